/* The SQL behind hookfan-admin; see db_admin.h. */
#include "db_admin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "db_ingest.h"
#include "db_ops.h"
#include "db_sweep.h"
#include "ids.h"
#include "validate.h"

enum hf_result
hf_workspace_exists(struct hf_db *db, const char *workspace_id, char *errstr,
		    size_t errlen)
{
	return hf_require_row(db, "SELECT 1 FROM workspaces WHERE id = ?",
			      workspace_id, "workspace", errstr, errlen);
}

/* ---- workspaces, environments, applications -------------------------- */

enum hf_result
hf_workspace_create(struct hf_db *db, const char *name, long max_payload_bytes,
		    char *id, char *errstr, size_t errlen)
{
	struct hf_query q;
	enum hf_result r;

	if (!hf_name_valid(name))
		return hf_fail(HF_ERR_INVALID, errstr, errlen,
			       "a name is 1 to %d characters of UTF-8 text",
			       HF_NAME_MAX_LEN);
	if (hf_id_new(id, "ws") != HF_OK)
		return HF_ERR_IO;
	hf_query_start(&q, db,
		       "INSERT INTO workspaces (id, name, max_payload_bytes) VALUES (?, ?, ?)");
	hf_query_text(&q, id);
	hf_query_text(&q, name);
	if (max_payload_bytes > 0)
		hf_query_int(&q, max_payload_bytes);
	else
		hf_query_null(&q);
	r = hf_query_run(&q);
	hf_query_end(&q);
	return r == HF_OK ? r : hf_db_fail(db, r, errstr, errlen);
}

/* ---- endpoints and subscriptions ------------------------------------- */

enum hf_result
hf_secret_generate(char *secret)
{
	unsigned char raw[HF_SECRET_RANDOM_BYTES];

	if (hf_random_bytes(raw, sizeof(raw)) != HF_OK)
		return HF_ERR_IO;
	memcpy(secret, "whsec_", 6);
	hf_base64_encode(raw, sizeof(raw), secret + 6);
	return HF_OK;
}

/* Subscribe endpoint_id (of workspace_id) to one event type or "*". */
static enum hf_result
subscribe(struct hf_db *db, const char *workspace_id, const char *endpoint_id,
	  const char *event_type, char *errstr, size_t errlen)
{
	char type_id[HF_ID_MAX_LEN + 1];
	struct hf_query q;
	enum hf_result r;

	if (!hf_event_type_valid(event_type, strlen(event_type), true))
		return hf_fail(HF_ERR_INVALID, errstr, errlen,
			       "invalid event type \"%s\": use 1 to %d of A-Z a-z 0-9 . _ - : (or * for all)",
			       event_type, HF_EVENT_TYPE_MAX_LEN);
	if (strcmp(event_type, "*") != 0) {
		/* Register the type so triggers can report its id. */
		if (hf_id_new(type_id, "evt") != HF_OK)
			return HF_ERR_IO;
		hf_query_start(&q, db,
			       "INSERT IGNORE INTO event_types (id, workspace_id, name) VALUES (?, ?, ?)");
		hf_query_text(&q, type_id);
		hf_query_text(&q, workspace_id);
		hf_query_text(&q, event_type);
		r = hf_query_run(&q);
		hf_query_end(&q);
		if (r != HF_OK)
			return hf_db_fail(db, r, errstr, errlen);
	}
	hf_query_start(&q, db,
		       "INSERT IGNORE INTO subscriptions (endpoint_id, event_type, workspace_id)"
		       " VALUES (?, ?, ?)");
	hf_query_text(&q, endpoint_id);
	hf_query_text(&q, event_type);
	hf_query_text(&q, workspace_id);
	r = hf_query_run(&q);
	hf_query_end(&q);
	if (r == HF_OK)
		r = hf_ingest_changed(db, HF_CHANGED_WORKSPACE, workspace_id);
	return r == HF_OK ? r : hf_db_fail(db, r, errstr, errlen);
}

enum hf_result
hf_endpoint_create(struct hf_db *db, const struct hf_endpoint_spec *spec,
		   char *id, char *secret, char *errstr, size_t errlen)
{
	char env_id[HF_ID_MAX_LEN + 1] = "", secret_id[HF_ID_MAX_LEN + 1];
	const char *why = NULL, *app_env = NULL;
	struct hf_query q;
	enum hf_result r;
	size_t i;

	if (!hf_url_valid(spec->url, &why))
		return hf_fail(HF_ERR_INVALID, errstr, errlen,
			       "invalid URL (%s): \"%.200s\"", why, spec->url);
	for (i = 0; i < spec->event_type_count; i++) {
		const char *t = spec->event_types[i];

		if (!hf_event_type_valid(t, strlen(t), true))
			return hf_fail(HF_ERR_INVALID, errstr, errlen,
				       "invalid event type \"%s\": use 1 to %d of A-Z a-z 0-9 . _ - : (or * for all)",
				       t, HF_EVENT_TYPE_MAX_LEN);
	}
	r = hf_workspace_exists(db, spec->workspace_id, errstr, errlen);
	if (r == HF_OK && spec->environment != NULL)
		r = hf_environment_resolve(db, spec->workspace_id,
					   spec->environment, env_id, errstr,
					   errlen);
	if (r != HF_OK)
		return r;
	if (spec->application_id != NULL) {
		hf_query_start(&q, db,
			       "SELECT environment_id FROM applications WHERE id = ? AND workspace_id = ?");
		hf_query_text(&q, spec->application_id);
		hf_query_text(&q, spec->workspace_id);
		r = hf_query_expect_row(&q, "application", spec->application_id, errstr,
			       errlen);
		if (r == HF_OK)
			app_env = hf_query_column(&q, 0, NULL);
		/* An application's endpoints live in its environment. */
		if (r == HF_OK && env_id[0] != '\0' &&
		    (app_env == NULL || strcmp(app_env, env_id) != 0))
			r = hf_fail(HF_ERR_INVALID, errstr, errlen,
				    "application %s is not in environment %s",
				    spec->application_id, env_id);
		else if (r == HF_OK && app_env != NULL)
			snprintf(env_id, sizeof(env_id), "%s", app_env);
		hf_query_end(&q);
		if (r != HF_OK)
			return r;
	}
	if (hf_id_new(id, "ep") != HF_OK || hf_id_new(secret_id, "sec") != HF_OK ||
	    hf_secret_generate(secret) != HF_OK)
		return HF_ERR_IO;
	hf_query_start(&q, db,
		       "INSERT INTO endpoints (id, workspace_id, environment_id, application_id, url)"
		       " VALUES (?, ?, ?, ?, ?)");
	hf_query_text(&q, id);
	hf_query_text(&q, spec->workspace_id);
	hf_query_text(&q, env_id[0] != '\0' ? env_id : NULL);
	hf_query_text(&q, spec->application_id);
	hf_query_text(&q, spec->url);
	r = hf_query_run(&q);
	hf_query_end(&q);
	if (r != HF_OK)
		return hf_db_fail(db, r, errstr, errlen);
	/* Its backlog reading, so that ingest never adds it (and never
	 * waits on another request adding it). */
	r = hf_db_exec_text(db,
			    "INSERT INTO endpoint_backlog (endpoint_id, checked_at, is_full)"
			    " VALUES (?, '1970-01-01', 0)", id, NULL);
	if (r != HF_OK)
		return hf_db_fail(db, r, errstr, errlen);
	hf_query_start(&q, db,
		       "INSERT INTO endpoint_secrets (id, endpoint_id, secret) VALUES (?, ?, ?)");
	hf_query_text(&q, secret_id);
	hf_query_text(&q, id);
	hf_query_text(&q, secret);
	r = hf_query_run(&q);
	hf_query_end(&q);
	if (r != HF_OK)
		return hf_db_fail(db, r, errstr, errlen);
	if (spec->event_type_count == 0)
		return subscribe(db, spec->workspace_id, id, "*", errstr, errlen);
	for (i = 0; i < spec->event_type_count && r == HF_OK; i++)
		r = subscribe(db, spec->workspace_id, id, spec->event_types[i],
			      errstr, errlen);
	return r;
}

enum hf_result
hf_endpoint_lock_workspace(struct hf_db *db, const char *endpoint_id,
			   char *workspace_id, char *errstr, size_t errlen)
{
	struct hf_query q;
	enum hf_result r;

	hf_query_start(&q, db, "SELECT workspace_id FROM endpoints WHERE id = ? AND deleted_at IS NULL"
		       " FOR UPDATE");
	hf_query_text(&q, endpoint_id);
	r = hf_query_expect_row(&q, "endpoint", endpoint_id, errstr, errlen);
	if (r == HF_OK)
		snprintf(workspace_id, HF_ID_MAX_LEN + 1, "%s",
			 hf_query_column(&q, 0, NULL));
	hf_query_end(&q);
	return r;
}

enum hf_result
hf_endpoint_set_active(struct hf_db *db, const char *endpoint_id, bool active,
		       const char *reason, char *errstr, size_t errlen)
{
	char workspace_id[HF_ID_MAX_LEN + 1];
	struct hf_query q;
	enum hf_result r;

	r = hf_endpoint_lock_workspace(db, endpoint_id, workspace_id, errstr,
				       errlen);
	if (r == HF_OK)
		r = hf_ops_endpoint_toggling(db, endpoint_id, active, reason, errstr, errlen);
	if (r != HF_OK)
		return r;
	hf_query_start(&q, db,
		       "UPDATE endpoints SET active = ?, disabled_reason = ?,"
		       " failing_since = NULL, updated_at = NOW(3) WHERE id = ?");
	hf_query_int(&q, active ? 1 : 0);
	hf_query_text(&q, active ? NULL : reason);
	hf_query_text(&q, endpoint_id);
	r = hf_query_run(&q);
	hf_query_end(&q);
	if (r == HF_OK)
		r = hf_ingest_changed(db, HF_CHANGED_WORKSPACE, workspace_id);
	if (r != HF_OK)
		return hf_db_fail(db, r, errstr, errlen);
	if (active)
		hf_query_start(&q, db,
			       "UPDATE deliveries SET status = 'pending', due_at = NOW(3),"
			       " updated_at = NOW(3) WHERE endpoint_id = ? AND status = 'paused'");
	else	/* as the sweep parks them (db_sweep.h) */
		hf_query_start(&q, db,
			       "UPDATE deliveries SET " HF_SQL_PARK("")
			       " WHERE endpoint_id = ? AND " HF_SQL_PARKABLE(""));
	hf_query_text(&q, endpoint_id);
	r = hf_query_run(&q);
	hf_query_end(&q);
	if (r == HF_OK && active)	/* its paused deliveries are pending again */
		r = hf_ingest_backlog_grew(db, endpoint_id);
	return r == HF_OK ? r : hf_db_fail(db, r, errstr, errlen);
}

enum hf_result
hf_subscription_add(struct hf_db *db, const char *endpoint_id,
		    const char *event_type, char *errstr, size_t errlen)
{
	char workspace_id[HF_ID_MAX_LEN + 1];
	enum hf_result r;

	r = hf_endpoint_lock_workspace(db, endpoint_id, workspace_id, errstr,
				       errlen);
	if (r != HF_OK)
		return r;
	return subscribe(db, workspace_id, endpoint_id, event_type, errstr, errlen);
}

enum hf_result
hf_endpoint_lock(struct hf_db *db, const char *endpoint_id, char *errstr,
		 size_t errlen)
{
	char workspace_id[HF_ID_MAX_LEN + 1];

	return hf_endpoint_lock_workspace(db, endpoint_id, workspace_id, errstr,
					  errlen);
}

enum hf_result
hf_subscription_remove(struct hf_db *db, const char *endpoint_id,
		       const char *event_type, char *errstr, size_t errlen)
{
	struct hf_query q;
	enum hf_result r;

	r = hf_endpoint_lock(db, endpoint_id, errstr, errlen);
	if (r != HF_OK)
		return r;
	hf_query_start(&q, db,
		       "DELETE FROM subscriptions WHERE endpoint_id = ? AND event_type = ?");
	hf_query_text(&q, endpoint_id);
	hf_query_text(&q, event_type);
	r = hf_query_run(&q);
	if (r == HF_OK && hf_query_affected(&q) == 0)
		r = hf_fail(HF_ERR_NOT_FOUND, errstr, errlen,
			    "endpoint %s is not subscribed to \"%s\"", endpoint_id,
			    event_type);
	else if (r != HF_OK)
		r = hf_db_fail(db, r, errstr, errlen);
	hf_query_end(&q);
	if (r == HF_OK &&
	    (r = hf_ingest_changed(db, HF_CHANGED_ENDPOINT, endpoint_id)) != HF_OK)
		r = hf_db_fail(db, r, errstr, errlen);
	return r;
}


