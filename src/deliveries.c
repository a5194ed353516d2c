/* Deliveries and their attempts; see deliveries.h. */
#include "deliveries.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_ingest.h"
#include "message.h"
#include "reach.h"

#define DELIVERY_COLUMNS \
	"d.id, d.message_id, d.endpoint_id, " HF_SQL_SHOWN_STATUS("d.") ", d.attempts, " \
	HF_SQL_ISO("d.due_at") ", " HF_SQL_ISO(HF_SQL_NEXT_ATTEMPT_AT("d.")) ", " \
	"d.last_status_code, d.last_error, " \
	HF_SQL_ISO("d.created_at") ", " HF_SQL_ISO("d.updated_at")

/* The deliveries d of messages m in the scope bound by hf_reach_bind. */
#define DELIVERY_FROM \
	" FROM deliveries d JOIN messages m ON m.id = d.message_id WHERE " HF_SQL_IN_REACH("m.")

static void
read_delivery(const struct hf_query *q, struct hf_delivery *d)
{
	const char *s;

	memset(d, 0, sizeof(*d));
	hf_entity_copy(d->id, sizeof(d->id), hf_query_column(q, 0, NULL));
	hf_entity_copy(d->message_id, sizeof(d->message_id), hf_query_column(q, 1, NULL));
	hf_entity_copy(d->endpoint_id, sizeof(d->endpoint_id), hf_query_column(q, 2, NULL));
	s = hf_query_column(q, 3, NULL);
	/* The table holds no other status; an unknown one shows as failed. */
	if (s == NULL || !hf_delivery_status_parse(s, &d->status))
		d->status = HF_DELIVERY_FAILED;
	d->attempts = hf_query_column_int(q, 4);
	hf_entity_copy(d->due_at, sizeof(d->due_at), hf_query_column(q, 5, NULL));
	hf_entity_copy(d->next_attempt_at, sizeof(d->next_attempt_at),
		       hf_query_column(q, 6, NULL));
	d->has_last_status_code = hf_query_column(q, 7, NULL) != NULL;
	d->last_status_code = (long)hf_query_column_int(q, 7);
	s = hf_query_column(q, 8, NULL);
	d->has_last_error = s != NULL;
	hf_entity_copy(d->last_error, sizeof(d->last_error), s);
	hf_entity_copy(d->created_at, sizeof(d->created_at), hf_query_column(q, 9, NULL));
	hf_entity_copy(d->updated_at, sizeof(d->updated_at), hf_query_column(q, 10, NULL));
}

static enum hf_result
read_delivery_row(const struct hf_query *q, void *item)
{
	read_delivery(q, item);
	return HF_OK;
}

/* The status filter's four parameters (HF_SQL_SHOWN_STATUS_IS). */
static void
bind_status(struct hf_query *q, const struct hf_delivery_filter *filter)
{
	const char *name = filter->has_status ? hf_delivery_status_name(filter->status)
					      : NULL;
	int i;

	for (i = 0; i < 4; i++)
		hf_query_text(q, name);
}

enum hf_result
hf_delivery_list(struct hf_db *db, const struct hf_scope *scope,
		 const struct hf_delivery_filter *filter,
		 const struct hf_page *page, struct hf_delivery_list *out,
		 char *errstr, size_t errlen)
{
	struct hf_query q;
	enum hf_result r;

	memset(out, 0, sizeof(*out));
	if (scope != NULL && filter->endpoint_id != NULL &&
	    (r = hf_reach_endpoint(db, scope, filter->endpoint_id, errstr,
					 errlen)) != HF_OK)
		return r;
	if (scope != NULL && filter->message_id != NULL &&
	    (r = hf_reach_message(db, scope, NULL, filter->message_id, errstr,
					errlen)) != HF_OK)
		return r;
	/*
	 * One statement per leading filter, so that each can use its index
	 * (message, endpoint, or the primary key: ids are time-ordered, so
	 * newest first is the key read backwards).
	 */
	if (filter->message_id != NULL) {
		hf_query_start(&q, db,
			       HF_SQL_LIST_PLAN "SELECT " DELIVERY_COLUMNS DELIVERY_FROM
			       " AND d.message_id = ? AND (? IS NULL OR d.endpoint_id = ?)"
			       " AND " HF_SQL_SHOWN_STATUS_IS("d.") HF_SQL_PAGE("d.id"));
		hf_reach_bind(&q, scope);
		hf_query_text(&q, filter->message_id);
		hf_query_text(&q, filter->endpoint_id);
		hf_query_text(&q, filter->endpoint_id);
	} else if (filter->endpoint_id != NULL) {
		hf_query_start(&q, db,
			       HF_SQL_LIST_PLAN "SELECT " DELIVERY_COLUMNS DELIVERY_FROM
			       " AND d.endpoint_id = ? AND " HF_SQL_SHOWN_STATUS_IS("d.")
			       HF_SQL_PAGE("d.id"));
		hf_reach_bind(&q, scope);
		hf_query_text(&q, filter->endpoint_id);
	} else {
		hf_query_start(&q, db,
			       HF_SQL_LIST_PLAN "SELECT " DELIVERY_COLUMNS DELIVERY_FROM
			       " AND " HF_SQL_SHOWN_STATUS_IS("d.") HF_SQL_PAGE("d.id"));
		hf_reach_bind(&q, scope);
	}
	bind_status(&q, filter);
	r = hf_page_read(&q, page, sizeof(*out->items), read_delivery_row,
			 (void **)&out->items, &out->count, &out->more);
	if (r == HF_OK)
		return HF_OK;
	free(out->items);
	memset(out, 0, sizeof(*out));
	return r == HF_ERR_NOMEM ? r : hf_db_fail(db, r, errstr, errlen);
}

enum hf_result
hf_delivery_get(struct hf_db *db, const struct hf_scope *scope,
		const char *delivery_id, struct hf_delivery *out, char *url,
		char *errstr, size_t errlen)
{
	struct hf_query q;
	enum hf_result r;

	hf_query_start(&q, db,
		       "SELECT " DELIVERY_COLUMNS ", e.url"
		       " FROM deliveries d JOIN messages m ON m.id = d.message_id"
		       " JOIN endpoints e ON e.id = d.endpoint_id"
		       " WHERE d.id = ? AND " HF_SQL_IN_REACH("m."));
	hf_query_text(&q, delivery_id);
	hf_reach_bind(&q, scope);
	r = hf_query_expect_row(&q, "delivery", delivery_id, errstr, errlen);
	if (r == HF_OK) {
		read_delivery(&q, out);
		if (url != NULL)
			hf_entity_copy(url, HF_URL_MAX_LEN + 1, hf_query_column(&q, 11, NULL));
	}
	hf_query_end(&q);
	return r;
}

static void
read_attempt(const struct hf_query *q, struct hf_attempt *a)
{
	const char *s;
	size_t len = 0;

	memset(a, 0, sizeof(*a));
	hf_entity_copy(a->id, sizeof(a->id), hf_query_column(q, 0, NULL));
	a->attempt_number = hf_query_column_int(q, 1);
	hf_entity_copy(a->started_at, sizeof(a->started_at), hf_query_column(q, 2, NULL));
	a->duration_ms = hf_query_column_int(q, 3);
	a->has_status_code = hf_query_column(q, 4, NULL) != NULL;
	a->status_code = (long)hf_query_column_int(q, 4);
	s = hf_query_column(q, 5, NULL);
	a->has_error = s != NULL;
	hf_entity_copy(a->error, sizeof(a->error), s);
	s = hf_query_column(q, 6, &len);
	a->has_excerpt = s != NULL;
	if (s != NULL) {
		a->excerpt_len = len < sizeof(a->excerpt) ? len : sizeof(a->excerpt);
		memcpy(a->excerpt, s, a->excerpt_len);
	}
}

enum hf_result
hf_attempt_list(struct hf_db *db, const char *delivery_id,
		struct hf_attempt_list *out, char *errstr, size_t errlen)
{
	struct hf_attempt *grown;
	size_t cap = 0;
	struct hf_query q;
	enum hf_result r;

	memset(out, 0, sizeof(*out));
	hf_query_start(&q, db,
		       "SELECT id, attempt_number, " HF_SQL_ISO("started_at") ", duration_ms,"
		       " status_code, error, response_excerpt FROM attempts"
		       " WHERE delivery_id = ? ORDER BY attempt_number, started_at, id");
	hf_query_text(&q, delivery_id);
	r = hf_query_run(&q);
	while (r == HF_OK && (r = hf_query_next(&q)) == HF_OK) {
		if (out->count == cap) {
			cap = cap == 0 ? 8 : cap * 2;
			grown = realloc(out->items, cap * sizeof(*grown));
			if (grown == NULL) {
				r = HF_ERR_NOMEM;
				break;
			}
			out->items = grown;
		}
		read_attempt(&q, &out->items[out->count++]);
	}
	hf_query_end(&q);
	if (r == HF_ERR_NOT_FOUND)
		return HF_OK;
	free(out->items);
	memset(out, 0, sizeof(*out));
	return r == HF_ERR_NOMEM ? r : hf_db_fail(db, r, errstr, errlen);
}

enum hf_result
hf_delivery_lock_message(struct hf_db *db, const char *message_id,
			 char *errstr, size_t errlen)
{
	return hf_require_row(db, "SELECT 1 FROM messages WHERE id = ? FOR UPDATE",
			      message_id, "message", errstr, errlen);
}

enum hf_result
hf_delivery_retry(struct hf_db *db, const struct hf_scope *scope,
		  const char *delivery_id, enum hf_delivery_status *previous,
		  char *errstr, size_t errlen)
{
	char message_id[HF_ID_MAX_LEN + 1] = "", endpoint_id[HF_ID_MAX_LEN + 1] = "";
	const char *status;
	bool active = false;
	struct hf_query q;
	enum hf_result r;

	hf_query_start(&q, db,
		       "SELECT d.message_id FROM deliveries d JOIN messages m ON m.id = d.message_id"
		       " WHERE d.id = ? AND " HF_SQL_IN_REACH("m."));
	hf_query_text(&q, delivery_id);
	hf_reach_bind(&q, scope);
	r = hf_query_expect_row(&q, "delivery", delivery_id, errstr, errlen);
	if (r == HF_OK)
		hf_entity_copy(message_id, sizeof(message_id), hf_query_column(&q, 0, NULL));
	hf_query_end(&q);
	if (r != HF_OK)
		return r;
	r = hf_delivery_lock_message(db, message_id, errstr, errlen);
	/* Purged since the read above: the delivery went with its message. */
	if (r == HF_ERR_NOT_FOUND)
		return hf_fail(r, errstr, errlen, "unknown delivery \"%s\"", delivery_id);
	if (r != HF_OK)
		return r;
	hf_query_start(&q, db,
		       "SELECT " HF_SQL_SHOWN_STATUS("d.") ", e.active, d.endpoint_id"
		       " FROM deliveries d JOIN endpoints e ON e.id = d.endpoint_id"
		       " WHERE d.id = ? FOR UPDATE");
	hf_query_text(&q, delivery_id);
	r = hf_query_expect_row(&q, "delivery", delivery_id, errstr, errlen);
	if (r == HF_OK) {
		status = hf_query_column(&q, 0, NULL);
		if (status == NULL || !hf_delivery_status_parse(status, previous))
			*previous = HF_DELIVERY_FAILED;
		active = hf_query_column_int(&q, 1) == 1;
		hf_entity_copy(endpoint_id, sizeof(endpoint_id), hf_query_column(&q, 2, NULL));
	}
	hf_query_end(&q);
	if (r != HF_OK)
		return r;
	if (*previous == HF_DELIVERY_SENDING)
		return hf_fail(HF_ERR_CONFLICT, errstr, errlen,
			       "delivery %s is being sent right now", delivery_id);
	if (!active)
		return hf_fail(HF_ERR_REFUSED, errstr, errlen,
			       "endpoint %s is disabled: enable it and its deliveries go out again",
			       endpoint_id);
	/* A lease that ran out is cleared: its dead sweep's result must not land. */
	hf_query_start(&q, db,
		       "UPDATE deliveries SET status = 'pending', due_at = NOW(3),"
		       " lease_token = '', updated_at = NOW(3) WHERE id = ?");
	hf_query_text(&q, delivery_id);
	r = hf_query_run(&q);
	hf_query_end(&q);
	if (r == HF_OK)
		r = hf_ingest_backlog_grew(db, endpoint_id);
	if (r != HF_OK)
		return hf_db_fail(db, r, errstr, errlen);
	return hf_message_set_pending(db, message_id, errstr, errlen);
}
