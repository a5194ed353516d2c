/* Messages; see message.h. */
#include "message.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_ingest.h"
#include "deliveries.h"
#include "ids.h"
#include "reach.h"

#define MESSAGE_COLUMNS \
	"m.id, m.workspace_id, m.environment_id, m.application_id, m.event_type," \
	" m.status, " HF_SQL_ISO("m.created_at") ", " HF_SQL_ISO("m.updated_at") \
	", m.payload"

void
hf_message_free(struct hf_message *m)
{
	free(m->payload);
	m->payload = NULL;
}

void
hf_message_list_free(struct hf_message_list *list)
{
	size_t i;

	for (i = 0; i < list->count; i++)
		hf_message_free(&list->items[i]);
	free(list->items);
	memset(list, 0, sizeof(*list));
}

static enum hf_result
read_message(const struct hf_query *q, void *item)
{
	struct hf_message *m = item;
	const char *payload;
	size_t len = 0;

	memset(m, 0, sizeof(*m));
	hf_entity_copy(m->id, sizeof(m->id), hf_query_column(q, 0, NULL));
	hf_entity_copy(m->workspace_id, sizeof(m->workspace_id), hf_query_column(q, 1, NULL));
	hf_entity_copy(m->environment_id, sizeof(m->environment_id),
		       hf_query_column(q, 2, NULL));
	hf_entity_copy(m->application_id, sizeof(m->application_id),
		       hf_query_column(q, 3, NULL));
	hf_entity_copy(m->event_type, sizeof(m->event_type), hf_query_column(q, 4, NULL));
	hf_entity_copy(m->status, sizeof(m->status), hf_query_column(q, 5, NULL));
	hf_entity_copy(m->created_at, sizeof(m->created_at), hf_query_column(q, 6, NULL));
	hf_entity_copy(m->updated_at, sizeof(m->updated_at), hf_query_column(q, 7, NULL));
	payload = hf_query_column(q, 8, &len);
	m->payload = malloc(len + 1);
	if (m->payload == NULL)
		return HF_ERR_NOMEM;
	memcpy(m->payload, payload != NULL ? payload : "", len);
	m->payload[len] = '\0';
	m->payload_len = len;
	return HF_OK;
}

enum hf_result
hf_message_list(struct hf_db *db, const struct hf_scope *scope,
		const struct hf_message_filter *filter,
		const struct hf_page *page, struct hf_message_list *out,
		char *errstr, size_t errlen)
{
	struct hf_query q;
	enum hf_result r;

	memset(out, 0, sizeof(*out));
	if (filter->application_id != NULL &&
	    (r = hf_reach_application(db, scope, filter->application_id, errstr,
				      errlen)) != HF_OK)
		return r;
	/* Newest first is the primary key read backwards: ids are
	 * time-ordered (ids.h). */
	hf_query_start(&q, db,
		       HF_SQL_LIST_PLAN "SELECT " MESSAGE_COLUMNS " FROM messages m WHERE "
		       HF_SQL_IN_REACH("m.") " AND (? IS NULL OR m.application_id = ?)"
		       " AND (? IS NULL OR m.event_type = ?)"
		       " AND (? IS NULL OR m.status = ?)"
		       " AND (? IS NULL OR m.created_at < ?)"
		       " AND (? IS NULL OR m.created_at > ?)" HF_SQL_PAGE("m.id"));
	hf_reach_bind(&q, scope);
	hf_query_text(&q, filter->application_id);
	hf_query_text(&q, filter->application_id);
	hf_query_text(&q, filter->event_type);
	hf_query_text(&q, filter->event_type);
	hf_query_text(&q, filter->status);
	hf_query_text(&q, filter->status);
	hf_query_text(&q, filter->created_before);
	hf_query_text(&q, filter->created_before);
	hf_query_text(&q, filter->created_after);
	hf_query_text(&q, filter->created_after);
	r = hf_page_read(&q, page, sizeof(*out->items), read_message,
			 (void **)&out->items, &out->count, &out->more);
	if (r == HF_OK)
		return HF_OK;
	/* A row read only in part owns its payload too. */
	if (out->items != NULL)
		hf_message_free(&out->items[out->count]);
	hf_message_list_free(out);
	return r == HF_ERR_NOMEM ? r : hf_db_fail(db, r, errstr, errlen);
}

enum hf_result
hf_message_get(struct hf_db *db, const struct hf_scope *scope,
	       const char *application_id, const char *message_id,
	       struct hf_message *out, char *errstr, size_t errlen)
{
	struct hf_query q;
	enum hf_result r;

	memset(out, 0, sizeof(*out));
	if (application_id != NULL &&
	    (r = hf_reach_application(db, scope, application_id, errstr, errlen)) != HF_OK)
		return r;
	hf_query_start(&q, db,
		       "SELECT " MESSAGE_COLUMNS " FROM messages m WHERE m.id = ?"
		       " AND (? IS NULL OR m.application_id = ?) AND " HF_SQL_IN_REACH("m."));
	hf_query_text(&q, message_id);
	hf_query_text(&q, application_id);
	hf_query_text(&q, application_id);
	hf_reach_bind(&q, scope);
	r = hf_query_expect_row(&q, "message", message_id, errstr, errlen);
	if (r == HF_OK)
		r = read_message(&q, out);
	hf_query_end(&q);
	if (r != HF_OK)
		hf_message_free(out);
	return r;
}

enum hf_result
hf_message_set_pending(struct hf_db *db, const char *message_id, char *errstr,
		       size_t errlen)
{
	struct hf_query q;
	enum hf_result r;

	hf_query_start(&q, db,
		       "UPDATE messages SET status = 'pending', updated_at = NOW(3) WHERE id = ?");
	hf_query_text(&q, message_id);
	r = hf_query_run(&q);
	hf_query_end(&q);
	return r == HF_OK ? r : hf_db_fail(db, r, errstr, errlen);
}

/* An endpoint a resend makes a delivery for. */
struct resend_target {
	char endpoint_id[HF_ID_MAX_LEN + 1];
	bool active;
};

/* The endpoints (not deleted) message_id had deliveries for, in id order. */
static enum hf_result
resend_targets(struct hf_db *db, const char *message_id,
	       struct resend_target **targets, size_t *count, char *errstr,
	       size_t errlen)
{
	struct resend_target *grown;
	size_t cap = 0;
	struct hf_query q;
	enum hf_result r;

	*targets = NULL;
	*count = 0;
	hf_query_start(&q, db,
		       "SELECT DISTINCT d.endpoint_id, e.active FROM deliveries d"
		       " JOIN endpoints e ON e.id = d.endpoint_id"
		       " WHERE d.message_id = ? AND e.deleted_at IS NULL ORDER BY d.endpoint_id");
	hf_query_text(&q, message_id);
	r = hf_query_run(&q);
	while (r == HF_OK && (r = hf_query_next(&q)) == HF_OK) {
		if (*count == cap) {
			cap += 16;
			grown = realloc(*targets, cap * sizeof(*grown));
			if (grown == NULL) {
				r = HF_ERR_NOMEM;
				break;
			}
			*targets = grown;
		}
		hf_entity_copy((*targets)[*count].endpoint_id, HF_ID_MAX_LEN + 1,
			       hf_query_column(&q, 0, NULL));
		(*targets)[*count].active = hf_query_column_int(&q, 1) == 1;
		(*count)++;
	}
	hf_query_end(&q);
	if (r == HF_ERR_NOT_FOUND)
		return HF_OK;
	free(*targets);
	*targets = NULL;
	*count = 0;
	return r == HF_ERR_NOMEM ? r : hf_db_fail(db, r, errstr, errlen);
}

enum hf_result
hf_message_resend(struct hf_db *db, const struct hf_scope *scope,
		  const char *message_id, struct hf_resend *out, char *errstr,
		  size_t errlen)
{
	struct resend_target *targets = NULL;
	size_t count = 0, i;
	struct hf_query q;
	enum hf_result r;

	memset(out, 0, sizeof(*out));
	r = hf_reach_message(db, scope, NULL, message_id, errstr, errlen);
	if (r == HF_OK)
		r = hf_delivery_lock_message(db, message_id, errstr, errlen);
	if (r == HF_OK)
		r = resend_targets(db, message_id, &targets, &count, errstr, errlen);
	if (r != HF_OK)
		return r;
	if (count == 0)
		return hf_fail(HF_ERR_INVALID, errstr, errlen,
			       "message %s went to no endpoint: nothing to resend",
			       message_id);
	out->delivery_ids = calloc(count, sizeof(*out->delivery_ids));
	if (out->delivery_ids == NULL) {
		free(targets);
		return HF_ERR_NOMEM;
	}
	for (i = 0; i < count && r == HF_OK; i++) {
		char *id = out->delivery_ids[i];

		if (hf_id_new(id, "del") != HF_OK) {
			r = HF_ERR_IO;
			break;
		}
		hf_query_start(&q, db,
			       "INSERT INTO deliveries (id, message_id, endpoint_id, status,"
			       " attempts, due_at, created_at, updated_at)"
			       " VALUES (?, ?, ?, ?, 0, IF(? = 1, NOW(3), NULL), NOW(3), NOW(3))");
		hf_query_text(&q, id);
		hf_query_text(&q, message_id);
		hf_query_text(&q, targets[i].endpoint_id);
		hf_query_text(&q, targets[i].active ? "pending" : "paused");
		hf_query_int(&q, targets[i].active ? 1 : 0);
		r = hf_query_run(&q);
		hf_query_end(&q);
		if (r == HF_OK && targets[i].active)
			r = hf_ingest_backlog_grew(db, targets[i].endpoint_id);
		if (r == HF_OK)
			out->count++;
		else
			hf_db_fail(db, r, errstr, errlen);
	}
	free(targets);
	if (r == HF_OK)
		r = hf_message_set_pending(db, message_id, errstr, errlen);
	if (r != HF_OK) {
		free(out->delivery_ids);
		memset(out, 0, sizeof(*out));
	}
	return r;
}
