/* Workspaces; see workspace.h. */
#include "workspace.h"

#include <string.h>

#include "db_admin.h"

enum hf_result
hf_workspace_get(struct hf_db *db, const char *workspace_id,
		 struct hf_workspace *out, char *errstr, size_t errlen)
{
	struct hf_query q;
	enum hf_result r;

	memset(out, 0, sizeof(*out));
	hf_query_start(&q, db,
		       "SELECT id, name, max_payload_bytes, ops_endpoint_id, "
		       HF_SQL_ISO("created_at") " FROM workspaces WHERE id = ?");
	hf_query_text(&q, workspace_id);
	r = hf_query_expect_row(&q, "workspace", workspace_id, errstr, errlen);
	if (r == HF_OK) {
		hf_entity_copy(out->id, sizeof(out->id), hf_query_column(&q, 0, NULL));
		hf_entity_copy(out->name, sizeof(out->name), hf_query_column(&q, 1, NULL));
		out->max_payload_bytes = hf_query_column_int(&q, 2);
		hf_entity_copy(out->ops_endpoint_id, sizeof(out->ops_endpoint_id),
			       hf_query_column(&q, 3, NULL));
		hf_entity_copy(out->created_at, sizeof(out->created_at),
			       hf_query_column(&q, 4, NULL));
	}
	hf_query_end(&q);
	return r;
}

/*
 * The endpoint is locked before the UPDATE locks the workspace row: the
 * order endpoint deletion takes them in (hf_workspace_forget_ops_endpoint
 * runs with the endpoint locked), so the two cannot deadlock, and a
 * deletion committed meanwhile is seen (a deleted endpoint is unknown),
 * never named as the ops endpoint.  The workspace is looked at first,
 * unlocked, only so that an unknown one is named as such.
 */
enum hf_result
hf_workspace_set_ops_endpoint(struct hf_db *db, const char *workspace_id,
			      const char *endpoint_id, char *errstr, size_t errlen)
{
	char endpoint_workspace[HF_ID_MAX_LEN + 1];
	struct hf_query q;
	enum hf_result r;

	r = hf_workspace_exists(db, workspace_id, errstr, errlen);
	if (r != HF_OK)
		return r;
	if (endpoint_id != NULL) {
		r = hf_endpoint_lock_workspace(db, endpoint_id, endpoint_workspace,
					       errstr, errlen);
		if (r == HF_OK && strcmp(endpoint_workspace, workspace_id) != 0)
			r = hf_fail(HF_ERR_NOT_FOUND, errstr, errlen,
				    "endpoint %s belongs to another workspace", endpoint_id);
		if (r != HF_OK)
			return r;
	}
	hf_query_start(&q, db, "UPDATE workspaces SET ops_endpoint_id = ? WHERE id = ?");
	hf_query_text(&q, endpoint_id);
	hf_query_text(&q, workspace_id);
	r = hf_query_run(&q);
	hf_query_end(&q);
	return r == HF_OK ? r : hf_db_fail(db, r, errstr, errlen);
}

enum hf_result
hf_workspace_forget_ops_endpoint(struct hf_db *db, const char *workspace_id,
				 const char *endpoint_id, char *errstr,
				 size_t errlen)
{
	struct hf_query q;
	enum hf_result r;

	/* By id: ops_endpoint_id has no index, and a scan would lock every
	 * workspace row. */
	hf_query_start(&q, db,
		       "UPDATE workspaces SET ops_endpoint_id = NULL"
		       " WHERE id = ? AND ops_endpoint_id = ?");
	hf_query_text(&q, workspace_id);
	hf_query_text(&q, endpoint_id);
	r = hf_query_run(&q);
	hf_query_end(&q);
	return r == HF_OK ? r : hf_db_fail(db, r, errstr, errlen);
}
