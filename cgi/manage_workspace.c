/*
 * GET, PATCH /v1/workspace: the key's workspace, and its ops endpoint
 * ({ops_endpoint_id: id or null}), which receives its operational
 * webhooks.  Naming it is the whole workspace's business: an environment
 * key may read the workspace but not change it.
 */
#include <string.h>

#include "manage_handlers.h"
#include "workspace.h"

static const char *const patch_fields[] = { "ops_endpoint_id", NULL };

static struct json_object *
workspace_json(const struct hf_workspace *w)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "id", json_object_new_string(w->id));
	json_object_object_add(o, "name", json_object_new_string(w->name));
	json_object_object_add(o, "max_payload_bytes",
			       w->max_payload_bytes > 0 ?
			       json_object_new_int64(w->max_payload_bytes) : NULL);
	json_object_object_add(o, "ops_endpoint_id",
			       manage_json_optional(w->ops_endpoint_id));
	json_object_object_add(o, "created_at", json_object_new_string(w->created_at));
	return o;
}

static enum hf_result
reply_workspace(struct hf_db *db, struct manage_call *call)
{
	struct hf_workspace w;
	char errstr[256];
	enum hf_result r;

	r = hf_workspace_get(db, call->scope.workspace_id, &w, errstr, sizeof(errstr));
	if (r != HF_OK)
		return manage_failed(call, r, errstr);
	manage_reply(call, 200, workspace_json(&w));
	return HF_OK;
}

enum hf_result
workspace_get(struct hf_db *db, struct manage_call *call)
{
	return reply_workspace(db, call);
}

enum hf_result
workspace_update(struct hf_db *db, struct manage_call *call)
{
	const char *endpoint_id;
	char errstr[256];
	enum hf_result r;

	if ((r = manage_require_workspace_scope(call)) != HF_OK ||
	    (r = manage_body_fields(call, patch_fields)) != HF_OK ||
	    (r = manage_body_id(call, "ops_endpoint_id", &endpoint_id)) != HF_OK)
		return r;
	/* Absent keeps the ops endpoint; null clears it. */
	if (json_object_object_get_ex(call->body, "ops_endpoint_id", NULL)) {
		r = hf_workspace_set_ops_endpoint(db, call->scope.workspace_id,
						  endpoint_id, errstr, sizeof(errstr));
		/* Not errstr: it tells another workspace's endpoint from none. */
		if (r == HF_ERR_NOT_FOUND)
			return manage_fail(call, r, "not_found", "endpoint %s not found",
					   endpoint_id);
		if (r != HF_OK)
			return manage_failed(call, r, errstr);
	}
	return reply_workspace(db, call);
}
