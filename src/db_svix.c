/* The Svix-compatible API's own statements; see db_svix.h. */
#include "db_svix.h"

#include <string.h>

#include "delivery_state.h"
#include "entity.h"

/* One text column of a one-row query into out (size bytes); "" if none. */
static enum hf_result
read_one(struct hf_query *q, char *out, size_t size)
{
	enum hf_result r = hf_query_run(q);

	out[0] = '\0';
	if (r == HF_OK)
		r = hf_query_next(q);
	if (r == HF_OK)
		hf_entity_copy(out, size, hf_query_column(q, 0, NULL));
	hf_query_end(q);
	return r;
}

enum hf_result
hf_svix_app_find_uid(struct hf_db *db, const char *workspace_id,
		     const char *uid, char *id)
{
	struct hf_query q;

	hf_query_start(&q, db,
		       "SELECT id FROM applications WHERE workspace_id = ? AND uid = ?"
		       " AND deleted_at IS NULL");
	hf_query_text(&q, workspace_id);
	hf_query_text(&q, uid);
	return read_one(&q, id, HF_ID_MAX_LEN + 1);
}

enum hf_result
hf_svix_app_uid(struct hf_db *db, const char *app_id, char *uid)
{
	struct hf_query q;

	hf_query_start(&q, db, "SELECT uid FROM applications WHERE id = ?");
	hf_query_text(&q, app_id);
	return read_one(&q, uid, HF_SVIX_UID_MAX_LEN + 1);
}

enum hf_result
hf_svix_app_set_uid(struct hf_db *db, const char *app_id, const char *uid)
{
	struct hf_query q;
	enum hf_result r;

	hf_query_start(&q, db, "UPDATE applications SET uid = ? WHERE id = ?");
	hf_query_text(&q, uid);
	hf_query_text(&q, app_id);
	r = hf_query_run(&q);
	hf_query_end(&q);
	return r;
}

enum hf_result
hf_svix_event_id_claim(struct hf_db *db, const char *app_id,
		       const char *event_id, const char *message_id)
{
	struct hf_query q;
	enum hf_result r;

	hf_query_start(&q, db,
		       "INSERT INTO svix_event_ids (application_id, event_id, message_id)"
		       " VALUES (?, ?, ?)");
	hf_query_text(&q, app_id);
	hf_query_text(&q, event_id);
	hf_query_text(&q, message_id);
	r = hf_query_run(&q);
	hf_query_end(&q);
	return r;
}

enum hf_result
hf_svix_event_id(struct hf_db *db, const char *message_id, char *event_id)
{
	struct hf_query q;
	enum hf_result r;

	hf_query_start(&q, db, "SELECT event_id FROM svix_event_ids WHERE message_id = ?");
	hf_query_text(&q, message_id);
	r = read_one(&q, event_id, HF_SVIX_UID_MAX_LEN + 1);
	return r == HF_ERR_NOT_FOUND ? HF_OK : r;
}

enum hf_result
hf_svix_event_type_find(struct hf_db *db, const char *workspace_id,
			const char *name, char *id, char *created_at)
{
	struct hf_query q;
	enum hf_result r;

	hf_query_start(&q, db,
		       "SELECT id, " HF_SQL_ISO("created_at") " FROM event_types"
		       " WHERE workspace_id = ? AND name = ?");
	hf_query_text(&q, workspace_id);
	hf_query_text(&q, name);
	r = hf_query_run(&q);
	if (r == HF_OK)
		r = hf_query_next(&q);
	if (r == HF_OK) {
		hf_entity_copy(id, HF_ID_MAX_LEN + 1, hf_query_column(&q, 0, NULL));
		hf_entity_copy(created_at, HF_ISO_TIME_SIZE, hf_query_column(&q, 1, NULL));
	}
	hf_query_end(&q);
	return r;
}

enum hf_result
hf_svix_event_type_description(struct hf_db *db, const char *id, char *description)
{
	struct hf_query q;

	hf_query_start(&q, db, "SELECT description FROM event_types WHERE id = ?");
	hf_query_text(&q, id);
	return read_one(&q, description, HF_DESCRIPTION_MAX_LEN + 1);
}

enum hf_result
hf_svix_event_type_set_description(struct hf_db *db, const char *id,
				   const char *description)
{
	struct hf_query q;
	enum hf_result r;

	hf_query_start(&q, db, "UPDATE event_types SET description = ? WHERE id = ?");
	hf_query_text(&q, description);
	hf_query_text(&q, id);
	r = hf_query_run(&q);
	hf_query_end(&q);
	return r;
}

enum hf_result
hf_svix_endpoint_counts(struct hf_db *db, const char *endpoint_id,
			long long counts[5])
{
	enum hf_delivery_status status;
	struct hf_query q;
	enum hf_result r;

	memset(counts, 0, 5 * sizeof(counts[0]));
	hf_query_start(&q, db,
		       "SELECT status, COUNT(*) FROM deliveries WHERE endpoint_id = ?"
		       " GROUP BY status");
	hf_query_text(&q, endpoint_id);
	r = hf_query_run(&q);
	while (r == HF_OK && (r = hf_query_next(&q)) == HF_OK) {
		if (hf_delivery_status_parse(hf_query_column(&q, 0, NULL), &status))
			counts[status] = hf_query_column_int(&q, 1);
	}
	hf_query_end(&q);
	return r == HF_ERR_NOT_FOUND ? HF_OK : r;
}
