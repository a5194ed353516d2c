/*
 * Workspaces, the entity, as the management API and "hookfan-admin
 * workspace set" see them: reading one, and naming its ops endpoint (the
 * endpoint that receives its operational webhooks, db_ops.h).
 *
 * Calls run in the caller's transaction; errors are a result and a
 * one-line errstr.
 */
#ifndef HF_WORKSPACE_H
#define HF_WORKSPACE_H

#include <stdbool.h>
#include <stddef.h>

#include "db.h"
#include "entity.h"

struct hf_workspace {
	char id[HF_ID_MAX_LEN + 1];
	char name[HF_NAME_MAX_LEN + 1];
	long long max_payload_bytes;		/* 0: the server's default */
	char ops_endpoint_id[HF_ID_MAX_LEN + 1];	/* "": none */
	char created_at[HF_ISO_TIME_SIZE];
};

/* The workspace: HF_ERR_NOT_FOUND for an unknown one. */
enum hf_result hf_workspace_get(struct hf_db *db, const char *workspace_id,
				struct hf_workspace *out, char *errstr,
				size_t errlen);

/*
 * Name the workspace's ops endpoint (NULL: none).  HF_ERR_NOT_FOUND for
 * an unknown workspace, and for an endpoint that is unknown (deleted
 * ones are) or another workspace's: errstr says which, for the
 * sysadmin; an API answer must not, or ids of other tenants could be
 * probed.
 */
enum hf_result hf_workspace_set_ops_endpoint(struct hf_db *db,
					     const char *workspace_id,
					     const char *endpoint_id,
					     char *errstr, size_t errlen);

/* Inside the deletion of endpoint_id (its row locked), of workspace_id:
 * if it was the workspace's ops endpoint, the workspace has none. */
enum hf_result hf_workspace_forget_ops_endpoint(struct hf_db *db,
						const char *workspace_id,
						const char *endpoint_id,
						char *errstr, size_t errlen);

#endif
