/* The SQL behind the HTTP ingest; see db_ingest.h. */
#include "db_ingest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ids.h"

/* Copy a column ("" for NULL) into an id-sized buffer. */
static void
copy_id(char *dst, const struct hf_query *q, unsigned int column)
{
	const char *s = hf_query_column(q, column, NULL);

	snprintf(dst, HF_ID_MAX_LEN + 1, "%s", s != NULL ? s : "");
}

static const char lookup_sql[] =
	"SELECT k.id, k.workspace_id, k.environment_id, k.endpoint_id,"
	" w.max_payload_bytes, t.id, a.id, a.environment_id, a.active,"
	" ke.application_id, NOW(3)"
	" FROM api_keys k"
	" JOIN workspaces w ON w.id = k.workspace_id"
	" LEFT JOIN event_types t ON t.workspace_id = k.workspace_id AND t.name = ?"
	" LEFT JOIN applications a ON a.id = ? AND a.workspace_id = k.workspace_id"
	" LEFT JOIN endpoints ke ON ke.id = k.endpoint_id"
	" WHERE k.key_hash = ? AND k.revoked_at IS NULL";

enum hf_result
hf_ingest_lookup(struct hf_db *db, const char *key_hash, const char *event_type,
		 const char *application_id, struct hf_ingest_lookup *out)
{
	struct hf_query q;
	enum hf_result r;
	const char *now;

	memset(out, 0, sizeof(*out));
	hf_query_start(&q, db, lookup_sql);
	hf_query_text(&q, event_type);
	hf_query_text(&q, application_id);
	hf_query_text(&q, key_hash);
	r = hf_query_run(&q);
	if (r == HF_OK)
		r = hf_query_next(&q);
	if (r == HF_OK) {
		copy_id(out->key_id, &q, 0);
		copy_id(out->workspace_id, &q, 1);
		copy_id(out->key_environment_id, &q, 2);
		copy_id(out->key_endpoint_id, &q, 3);
		out->workspace_max_payload_bytes = (long)hf_query_column_int(&q, 4);
		copy_id(out->event_type_id, &q, 5);
		out->application_found = hf_query_column(&q, 6, NULL) != NULL;
		copy_id(out->application_environment_id, &q, 7);
		out->application_active = hf_query_column_int(&q, 8) != 0;
		copy_id(out->key_endpoint_application_id, &q, 9);
		now = hf_query_column(&q, 10, NULL);
		snprintf(out->now, sizeof(out->now), "%s", now != NULL ? now : "");
	}
	hf_query_end(&q);
	return r;
}

enum hf_result
hf_ingest_event_type_register(struct hf_db *db, const char *workspace_id,
			      const char *event_type, char *id)
{
	char new_id[HF_ID_MAX_LEN + 1];
	struct hf_query q;
	enum hf_result r;

	if (hf_id_new(new_id, "evt") != HF_OK)
		return HF_ERR_IO;
	hf_query_start(&q, db,
		       "INSERT IGNORE INTO event_types (id, workspace_id, name) VALUES (?, ?, ?)");
	hf_query_text(&q, new_id);
	hf_query_text(&q, workspace_id);
	hf_query_text(&q, event_type);
	r = hf_query_run(&q);
	hf_query_end(&q);
	if (r != HF_OK)
		return r;
	/* Another request may have registered it first: read back. */
	hf_query_start(&q, db,
		       "SELECT id FROM event_types WHERE workspace_id = ? AND name = ?");
	hf_query_text(&q, workspace_id);
	hf_query_text(&q, event_type);
	r = hf_query_run(&q);
	if (r == HF_OK)
		r = hf_query_next(&q);
	if (r == HF_OK)
		copy_id(id, &q, 0);
	hf_query_end(&q);
	return r == HF_ERR_NOT_FOUND ? HF_ERR_DB : r;
}

/*
 * Driven by the subscription index (workspace, event type).  The backlog
 * probe reads the max_pending-th pending/sending row of the endpoint from
 * the (endpoint_id, status) index: at most max_pending index entries, never
 * a full count.  DISTINCT folds an endpoint subscribed to both T and "*".
 */
static const char targets_sql[] =
	"SELECT DISTINCT e.id,"
	" CASE WHEN ? = 0 THEN 0 ELSE (SELECT 1 FROM deliveries d"
	"   WHERE d.endpoint_id = e.id AND d.status IN ('pending', 'sending')"
	"   LIMIT 1 OFFSET ?) IS NOT NULL END"
	" FROM subscriptions s JOIN endpoints e ON e.id = s.endpoint_id"
	" WHERE s.workspace_id = ? AND s.event_type IN (?, '*') AND e.active = 1"
	" AND (? IS NULL OR e.environment_id = ?)"
	" AND (? IS NULL OR e.application_id = ?)"
	" AND (? IS NULL OR e.id = ?)"
	" ORDER BY e.id";

enum hf_result
hf_ingest_targets(struct hf_db *db, const struct hf_ingest_scope *scope,
		  const char *event_type, long max_pending,
		  struct hf_ingest_target **targets, size_t *count)
{
	struct hf_ingest_target *list = NULL, *grown;
	size_t n = 0, capacity = 0;
	struct hf_query q;
	enum hf_result r;

	*targets = NULL;
	*count = 0;
	hf_query_start(&q, db, targets_sql);
	hf_query_int(&q, max_pending > 0 ? 1 : 0);
	hf_query_int(&q, max_pending > 0 ? max_pending - 1 : 0);
	hf_query_text(&q, scope->workspace_id);
	hf_query_text(&q, event_type);
	hf_query_text(&q, scope->environment_id);
	hf_query_text(&q, scope->environment_id);
	hf_query_text(&q, scope->application_id);
	hf_query_text(&q, scope->application_id);
	hf_query_text(&q, scope->endpoint_id);
	hf_query_text(&q, scope->endpoint_id);
	r = hf_query_run(&q);
	while (r == HF_OK && (r = hf_query_next(&q)) == HF_OK) {
		if (n == capacity) {
			capacity = capacity ? capacity * 2 : 8;
			grown = realloc(list, capacity * sizeof(*list));
			if (grown == NULL) {
				r = HF_ERR_NOMEM;
				break;
			}
			list = grown;
		}
		copy_id(list[n].endpoint_id, &q, 0);
		list[n].backlog_full = hf_query_column_int(&q, 1) != 0;
		n++;
	}
	hf_query_end(&q);
	if (r != HF_ERR_NOT_FOUND) {
		free(list);
		return r;
	}
	*targets = list;
	*count = n;
	return HF_OK;
}

enum hf_result
hf_ingest_message_insert(struct hf_db *db, const struct hf_ingest_message *m)
{
	struct hf_query q;
	enum hf_result r;

	hf_query_start(&q, db,
		       "INSERT INTO messages (id, workspace_id, environment_id, application_id,"
		       " event_type_id, event_type, payload, metadata, status, created_at, updated_at)"
		       " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
	hf_query_text(&q, m->id);
	hf_query_text(&q, m->workspace_id);
	hf_query_text(&q, m->environment_id);
	hf_query_text(&q, m->application_id);
	hf_query_text(&q, m->event_type_id);
	hf_query_text(&q, m->event_type);
	hf_query_bytes(&q, m->payload, m->payload_len);
	hf_query_text(&q, m->metadata);
	hf_query_text(&q, m->status);
	hf_query_text(&q, m->created_at);
	hf_query_text(&q, m->created_at);
	r = hf_query_run(&q);
	hf_query_end(&q);
	return r;
}

enum hf_result
hf_ingest_deliveries_insert(struct hf_db *db, const char *message_id,
			    const char *pairs_json, size_t count)
{
	struct hf_query q;
	enum hf_result r;

	hf_query_start(&q, db,
		       "INSERT INTO deliveries (id, message_id, endpoint_id, status, attempts,"
		       " due_at, created_at, updated_at)"
		       " SELECT j.id, ?, j.endpoint_id, 'pending', 0, NOW(3), NOW(3), NOW(3)"
		       " FROM JSON_TABLE(?, '$[*]' COLUMNS ("
		       "  id VARCHAR(40) PATH '$[0]' ERROR ON EMPTY,"
		       "  endpoint_id VARCHAR(40) PATH '$[1]' ERROR ON EMPTY)) AS j");
	hf_query_text(&q, message_id);
	hf_query_text(&q, pairs_json);
	r = hf_query_run(&q);
	if (r == HF_OK && hf_query_affected(&q) != count)
		r = HF_ERR_DB;
	hf_query_end(&q);
	return r;
}

enum hf_result
hf_ingest_rate_hit(struct hf_db *db, const char *key_bucket,
		   const char *workspace_bucket, long *key_hits,
		   long *workspace_hits)
{
	struct hf_query q;
	enum hf_result r;
	const char *bucket;

	*key_hits = *workspace_hits = 0;
	/*
	 * hits is assigned before window_start, so it still compares with
	 * the old window: a new second starts the count again at 1.
	 */
	hf_query_start(&q, db,
		       "INSERT INTO rate_limits (bucket, window_start, hits)"
		       " VALUES (?, UNIX_TIMESTAMP(), 1), (?, UNIX_TIMESTAMP(), 1)"
		       " ON DUPLICATE KEY UPDATE"
		       " hits = IF(window_start = VALUES(window_start), hits + 1, 1),"
		       " window_start = VALUES(window_start)"
		       " RETURNING bucket, hits");
	hf_query_text(&q, key_bucket);
	hf_query_text(&q, workspace_bucket);
	r = hf_query_run(&q);
	while (r == HF_OK && (r = hf_query_next(&q)) == HF_OK) {
		bucket = hf_query_column(&q, 0, NULL);
		if (bucket != NULL && strcmp(bucket, key_bucket) == 0)
			*key_hits = (long)hf_query_column_int(&q, 1);
		else
			*workspace_hits = (long)hf_query_column_int(&q, 1);
	}
	hf_query_end(&q);
	return r == HF_ERR_NOT_FOUND ? HF_OK : r;
}

enum hf_result
hf_ingest_message_exists(struct hf_db *db, const char *id)
{
	struct hf_query q;
	enum hf_result r;

	hf_query_start(&q, db, "SELECT 1 FROM messages WHERE id = ?");
	hf_query_text(&q, id);
	r = hf_query_run(&q);
	if (r == HF_OK)
		r = hf_query_next(&q);
	hf_query_end(&q);
	return r;
}
