/*
 * workspace set: the workspace's ops endpoint, which receives its
 * operational webhooks (db_ops.h); "none" clears it.
 */
#include "ops.h"

#include <string.h>

#include "workspace.h"

enum hf_result
admin_workspace_set(struct hf_db *db, const struct admin_args *args,
		    json_object **result, char *errstr, size_t errlen)
{
	const char *workspace = admin_option(args, "workspace");
	const char *ops = admin_option(args, "ops-endpoint");
	bool clear = strcmp(ops, "none") == 0;
	enum hf_result r;

	r = hf_workspace_set_ops_endpoint(db, workspace, clear ? NULL : ops, errstr,
					  errlen);
	if (r != HF_OK)
		return r;
	json_object_put(*result);
	*result = json_object_new_object();
	json_object_object_add(*result, "id", json_object_new_string(workspace));
	json_object_object_add(*result, "ops_endpoint",
			       clear ? NULL : json_object_new_string(ops));
	return HF_OK;
}
