/* The SQL behind hookfan-admin's delivery commands; see db_delivery.h. */
#include "db_delivery.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "db_admin.h"
#include "db_sweep.h"
#include "ids.h"
#include "limits.h"
#include "validate.h"

/* A DATETIME(3) column as ISO 8601 UTC with milliseconds, NULL stays NULL. */
#define ISO(col) "CONCAT(LEFT(DATE_FORMAT(" col ", '%Y-%m-%dT%H:%i:%s.%f'), 23), 'Z')"

/* Column i as a JSON string, or JSON null for SQL NULL. */
static json_object *
text_or_null(const struct hf_query *q, unsigned int i)
{
	const char *s = hf_query_column(q, i, NULL);

	return s != NULL ? json_object_new_string(s) : NULL;
}

static json_object *
int_or_null(const struct hf_query *q, unsigned int i)
{
	const char *s = hf_query_column(q, i, NULL);

	return s != NULL ? json_object_new_int64(strtoll(s, NULL, 10)) : NULL;
}

/*
 * Run q (started and bound) and make each row an object with row: *out is
 * the array of them (the caller's).  q is ended either way.
 */
static enum hf_result
list_rows(struct hf_query *q, json_object *(*row)(const struct hf_query *q),
	  json_object **out, char *errstr, size_t errlen)
{
	json_object *list = json_object_new_array();
	enum hf_result r = hf_query_run(q);

	while (r == HF_OK && (r = hf_query_next(q)) == HF_OK)
		json_object_array_add(list, row(q));
	hf_query_end(q);
	if (r != HF_ERR_NOT_FOUND) {
		json_object_put(list);
		*out = NULL;
		return hf_db_fail(q->db, r, errstr, errlen);
	}
	*out = list;
	return HF_OK;
}

/* The status a person sees: "sending" while a lease holds (db_sweep.h). */
#define SHOWN_STATUS "IF(" HF_SQL_SENDING("d.") ", 'sending', d.status)"

/*
 * --status S, or any when NULL (the parameter comes four times).  The
 * stored status ('pending' for "sending") keeps the (endpoint_id, status)
 * index usable.
 */
#define STATUS_FILTER \
	"(? IS NULL OR (d.status = IF(? = 'sending', 'pending', ?)" \
	" AND " SHOWN_STATUS " = ?))"

#define DELIVERY_COLUMNS \
	"d.id, d.message_id, d.endpoint_id, " SHOWN_STATUS ", d.attempts, " \
	ISO("d.due_at") ", d.last_status_code, d.last_error, " \
	ISO("d.created_at") ", " ISO("d.updated_at")

static json_object *
delivery_object(const struct hf_query *q)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "id", text_or_null(q, 0));
	json_object_object_add(o, "message_id", text_or_null(q, 1));
	json_object_object_add(o, "endpoint_id", text_or_null(q, 2));
	json_object_object_add(o, "status", text_or_null(q, 3));
	json_object_object_add(o, "attempts", int_or_null(q, 4));
	json_object_object_add(o, "due_at", text_or_null(q, 5));
	json_object_object_add(o, "last_status_code", int_or_null(q, 6));
	json_object_object_add(o, "last_error", text_or_null(q, 7));
	json_object_object_add(o, "created_at", text_or_null(q, 8));
	json_object_object_add(o, "updated_at", text_or_null(q, 9));
	return o;
}

static bool
status_known(const char *s)
{
	static const char *const known[] = {
		"pending", "sending", "succeeded", "failed", "paused"
	};
	size_t i;

	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		if (strcmp(s, known[i]) == 0)
			return true;
	}
	return false;
}

enum hf_result
hf_delivery_list(struct hf_db *db, const struct hf_delivery_filter *filter,
		 json_object **out, char *errstr, size_t errlen)
{
	struct hf_query q;

	*out = NULL;
	if (filter->status != NULL && !status_known(filter->status))
		return hf_fail(HF_ERR_INVALID, errstr, errlen,
			       "unknown status \"%s\": use pending, sending, succeeded, failed or paused",
			       filter->status);
	/*
	 * One statement per leading filter, so that each can use its index
	 * (message, endpoint, or the primary key: ids are time-ordered, so
	 * newest first is the key read backwards).
	 */
	if (filter->message_id != NULL) {
		hf_query_start(&q, db,
			       "SELECT " DELIVERY_COLUMNS " FROM deliveries d"
			       " WHERE d.message_id = ? AND (? IS NULL OR d.endpoint_id = ?)"
			       " AND " STATUS_FILTER " ORDER BY d.id DESC LIMIT ?");
		hf_query_text(&q, filter->message_id);
		hf_query_text(&q, filter->endpoint_id);
		hf_query_text(&q, filter->endpoint_id);
	} else if (filter->endpoint_id != NULL) {
		hf_query_start(&q, db,
			       "SELECT " DELIVERY_COLUMNS " FROM deliveries d"
			       " WHERE d.endpoint_id = ?"
			       " AND " STATUS_FILTER " ORDER BY d.id DESC LIMIT ?");
		hf_query_text(&q, filter->endpoint_id);
	} else {
		hf_query_start(&q, db,
			       "SELECT " DELIVERY_COLUMNS " FROM deliveries d"
			       " WHERE " STATUS_FILTER " ORDER BY d.id DESC LIMIT ?");
	}
	hf_query_text(&q, filter->status);
	hf_query_text(&q, filter->status);
	hf_query_text(&q, filter->status);
	hf_query_text(&q, filter->status);
	hf_query_int(&q, filter->limit);
	return list_rows(&q, delivery_object, out, errstr, errlen);
}

static json_object *
attempt_object(const struct hf_query *q)
{
	json_object *o = json_object_new_object();
	size_t len = 0;
	const char *excerpt = hf_query_column(q, 6, &len);

	json_object_object_add(o, "id", text_or_null(q, 0));
	json_object_object_add(o, "attempt_number", int_or_null(q, 1));
	json_object_object_add(o, "started_at", text_or_null(q, 2));
	json_object_object_add(o, "duration_ms", int_or_null(q, 3));
	json_object_object_add(o, "status_code", int_or_null(q, 4));
	json_object_object_add(o, "error", text_or_null(q, 5));
	/* Response bytes are whatever the receiver sent: text when UTF-8. */
	if (excerpt == NULL || hf_utf8_valid(excerpt, len)) {
		json_object_object_add(o, "response_excerpt",
				       excerpt != NULL ? json_object_new_string_len(excerpt, (int)len)
						       : NULL);
	} else {
		char *b64 = malloc(4 * ((len + 2) / 3) + 1);

		if (b64 != NULL) {
			hf_base64_encode((const unsigned char *)excerpt, len, b64);
			json_object_object_add(o, "response_excerpt_base64",
					       json_object_new_string(b64));
			free(b64);
		}
	}
	return o;
}

enum hf_result
hf_delivery_show(struct hf_db *db, const char *delivery_id, json_object **out,
		 char *errstr, size_t errlen)
{
	json_object *obj = NULL, *attempts;
	struct hf_query q;
	enum hf_result r;

	*out = NULL;
	hf_query_start(&q, db,
		       "SELECT " DELIVERY_COLUMNS ", e.url FROM deliveries d"
		       " JOIN endpoints e ON e.id = d.endpoint_id WHERE d.id = ?");
	hf_query_text(&q, delivery_id);
	r = hf_query_expect_row(&q, "delivery", delivery_id, errstr, errlen);
	if (r == HF_OK) {
		obj = delivery_object(&q);
		json_object_object_add(obj, "url", text_or_null(&q, 10));
	}
	hf_query_end(&q);
	if (r != HF_OK)
		return r;

	hf_query_start(&q, db,
		       "SELECT id, attempt_number, " ISO("started_at") ", duration_ms,"
		       " status_code, error, response_excerpt FROM attempts"
		       " WHERE delivery_id = ? ORDER BY attempt_number, started_at, id");
	hf_query_text(&q, delivery_id);
	r = list_rows(&q, attempt_object, &attempts, errstr, errlen);
	if (r != HF_OK) {
		json_object_put(obj);
		return r;
	}
	json_object_object_add(obj, "attempts", attempts);
	*out = obj;
	return HF_OK;
}

/* Lock a message row: callers that change deliveries lock it first, like
 * the sweep does, so the two never wait on each other in a circle. */
static enum hf_result
lock_message(struct hf_db *db, const char *message_id, char *errstr,
	     size_t errlen)
{
	return hf_require_row(db, "SELECT 1 FROM messages WHERE id = ? FOR UPDATE",
			      message_id, "message", errstr, errlen);
}

static enum hf_result
message_pending(struct hf_db *db, const char *message_id, char *errstr,
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

enum hf_result
hf_delivery_retry(struct hf_db *db, const char *delivery_id, json_object **out,
		  char *errstr, size_t errlen)
{
	char message_id[HF_ID_MAX_LEN + 1] = "", endpoint_id[HF_ID_MAX_LEN + 1] = "";
	char status[17] = "";
	bool active = false;
	struct hf_query q;
	enum hf_result r;

	*out = NULL;
	hf_query_start(&q, db, "SELECT message_id FROM deliveries WHERE id = ?");
	hf_query_text(&q, delivery_id);
	r = hf_query_expect_row(&q, "delivery", delivery_id, errstr, errlen);
	if (r == HF_OK)
		snprintf(message_id, sizeof(message_id), "%s", hf_query_column(&q, 0, NULL));
	hf_query_end(&q);
	if (r != HF_OK)
		return r;
	r = lock_message(db, message_id, errstr, errlen);
	/* Purged since the read above: the delivery went with its message. */
	if (r == HF_ERR_NOT_FOUND)
		return hf_fail(r, errstr, errlen, "unknown delivery \"%s\"", delivery_id);
	if (r != HF_OK)
		return r;
	hf_query_start(&q, db,
		       "SELECT " SHOWN_STATUS ", e.active, d.endpoint_id FROM deliveries d"
		       " JOIN endpoints e ON e.id = d.endpoint_id WHERE d.id = ? FOR UPDATE");
	hf_query_text(&q, delivery_id);
	r = hf_query_expect_row(&q, "delivery", delivery_id, errstr, errlen);
	if (r == HF_OK) {
		snprintf(status, sizeof(status), "%s", hf_query_column(&q, 0, NULL));
		active = hf_query_column_int(&q, 1) == 1;
		snprintf(endpoint_id, sizeof(endpoint_id), "%s", hf_query_column(&q, 2, NULL));
	}
	hf_query_end(&q);
	if (r != HF_OK)
		return r;
	if (strcmp(status, "sending") == 0)
		return hf_fail(HF_ERR_CONFLICT, errstr, errlen,
			       "delivery %s is being sent right now", delivery_id);
	if (!active)
		return hf_fail(HF_ERR_REFUSED, errstr, errlen,
			       "endpoint %s is disabled: enable it (hookfan-admin endpoint enable --endpoint %s) and its deliveries go out again",
			       endpoint_id, endpoint_id);
	/* A lease that ran out is cleared: its dead sweep's result must not land. */
	hf_query_start(&q, db,
		       "UPDATE deliveries SET status = 'pending', due_at = NOW(3),"
		       " lease_token = '', updated_at = NOW(3) WHERE id = ?");
	hf_query_text(&q, delivery_id);
	r = hf_query_run(&q);
	hf_query_end(&q);
	if (r != HF_OK)
		return hf_db_fail(db, r, errstr, errlen);
	r = message_pending(db, message_id, errstr, errlen);
	if (r != HF_OK)
		return r;
	*out = json_object_new_object();
	json_object_object_add(*out, "id", json_object_new_string(delivery_id));
	json_object_object_add(*out, "status", json_object_new_string("pending"));
	json_object_object_add(*out, "previous_status", json_object_new_string(status));
	return HF_OK;
}

enum hf_result
hf_message_resend(struct hf_db *db, const char *message_id, json_object **out,
		  char *errstr, size_t errlen)
{
	struct target {
		char endpoint_id[HF_ID_MAX_LEN + 1];
		bool active;
	} *targets = NULL;
	size_t count = 0, cap = 0, i;
	json_object *ids = NULL;
	struct hf_query q;
	enum hf_result r;

	*out = NULL;
	r = lock_message(db, message_id, errstr, errlen);
	if (r != HF_OK)
		return r;
	hf_query_start(&q, db,
		       "SELECT DISTINCT d.endpoint_id, e.active FROM deliveries d"
		       " JOIN endpoints e ON e.id = d.endpoint_id"
		       " WHERE d.message_id = ? ORDER BY d.endpoint_id");
	hf_query_text(&q, message_id);
	r = hf_query_run(&q);
	while (r == HF_OK && (r = hf_query_next(&q)) == HF_OK) {
		if (count == cap) {
			struct target *grown = realloc(targets, (cap + 16) * sizeof(*grown));

			if (grown == NULL) {
				r = HF_ERR_NOMEM;
				break;
			}
			targets = grown;
			cap += 16;
		}
		snprintf(targets[count].endpoint_id, sizeof(targets[count].endpoint_id),
			 "%s", hf_query_column(&q, 0, NULL));
		targets[count].active = hf_query_column_int(&q, 1) == 1;
		count++;
	}
	hf_query_end(&q);
	if (r != HF_ERR_NOT_FOUND) {
		free(targets);
		return r == HF_ERR_NOMEM ? r : hf_db_fail(db, r, errstr, errlen);
	}
	if (count == 0)
		return hf_fail(HF_ERR_INVALID, errstr, errlen,
			       "message %s went to no endpoint: nothing to resend",
			       message_id);
	ids = json_object_new_array();
	r = HF_OK;
	for (i = 0; i < count && r == HF_OK; i++) {
		char id[HF_ID_MAX_LEN + 1];

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
		if (r == HF_OK)
			json_object_array_add(ids, json_object_new_string(id));
		else
			hf_db_fail(db, r, errstr, errlen);
	}
	free(targets);
	if (r == HF_OK)
		r = message_pending(db, message_id, errstr, errlen);
	if (r != HF_OK) {
		json_object_put(ids);
		return r;
	}
	*out = json_object_new_object();
	json_object_object_add(*out, "id", json_object_new_string(message_id));
	json_object_object_add(*out, "deliveries", ids);
	return HF_OK;
}

enum hf_result
hf_endpoint_rotate_secret(struct hf_db *db, const char *endpoint_id,
			  long grace_hours, json_object **out, char *errstr,
			  size_t errlen)
{
	char secret[HF_SECRET_MAX_LEN + 1], secret_id[HF_ID_MAX_LEN + 1];
	json_object *expires = NULL;
	long in_force = 0;
	struct hf_query q;
	enum hf_result r;

	*out = NULL;
	r = hf_endpoint_lock(db, endpoint_id, errstr, errlen);
	if (r != HF_OK)
		return r;

	/* Shorten, never lengthen, the life of the secrets in force. */
	hf_query_start(&q, db,
		       "UPDATE endpoint_secrets SET expires_at = NOW(3) + INTERVAL ? HOUR"
		       " WHERE endpoint_id = ? AND (expires_at IS NULL"
		       "  OR expires_at > NOW(3) + INTERVAL ? HOUR)");
	hf_query_int(&q, grace_hours);
	hf_query_text(&q, endpoint_id);
	hf_query_int(&q, grace_hours);
	r = hf_query_run(&q);
	hf_query_end(&q);
	if (r != HF_OK)
		return hf_db_fail(db, r, errstr, errlen);

	hf_query_start(&q, db,
		       "SELECT COUNT(*), " ISO("MAX(expires_at)") " FROM endpoint_secrets"
		       " WHERE endpoint_id = ? AND expires_at > NOW(3)");
	hf_query_text(&q, endpoint_id);
	r = hf_query_run(&q);
	if (r == HF_OK)
		r = hf_query_next(&q);
	if (r == HF_OK) {
		in_force = (long)hf_query_column_int(&q, 0);
		expires = text_or_null(&q, 1);
	}
	hf_query_end(&q);
	if (r != HF_OK)
		return hf_db_fail(db, r, errstr, errlen);
	if (in_force >= HF_SECRETS_PER_ENDPOINT_MAX) {
		json_object_put(expires);
		return hf_fail(HF_ERR_LIMIT, errstr, errlen,
			       "endpoint %s already has %ld secrets in force; rotate with --grace-hours 0 or wait for one to expire",
			       endpoint_id, in_force);
	}

	if (hf_id_new(secret_id, "sec") != HF_OK || hf_secret_generate(secret) != HF_OK) {
		json_object_put(expires);
		return HF_ERR_IO;
	}
	hf_query_start(&q, db,
		       "INSERT INTO endpoint_secrets (id, endpoint_id, secret) VALUES (?, ?, ?)");
	hf_query_text(&q, secret_id);
	hf_query_text(&q, endpoint_id);
	hf_query_text(&q, secret);
	r = hf_query_run(&q);
	hf_query_end(&q);
	if (r != HF_OK) {
		json_object_put(expires);
		return hf_db_fail(db, r, errstr, errlen);
	}
	*out = json_object_new_object();
	json_object_object_add(*out, "id", json_object_new_string(endpoint_id));
	json_object_object_add(*out, "secret", json_object_new_string(secret));
	json_object_object_add(*out, "secret_id", json_object_new_string(secret_id));
	json_object_object_add(*out, "previous_secrets_expire_at", expires);
	return HF_OK;
}

/* ---- endpoints ------------------------------------------------------- */

/*
 * An endpoint as hookfan-admin shows it: where it points, whether the
 * sweep (or a person) disabled it and why, since when it has been failing,
 * what it is subscribed to (names have no spaces: validate.h), and how
 * many of its deliveries are in each unfinished status delivery list
 * shows (pending, sending, paused).  The stored 'pending' (sending too)
 * and 'paused' are counted on the (endpoint_id, status) index alone; only
 * sending needs each pending row's lease.
 */
#define ENDPOINT_COLUMNS \
	"e.id, e.workspace_id, e.environment_id, e.application_id, e.url," \
	" e.active, e.disabled_reason, " ISO("e.failing_since") ", " \
	ISO("e.created_at") "," \
	" (SELECT GROUP_CONCAT(s.event_type ORDER BY s.event_type SEPARATOR ' ')" \
	"  FROM subscriptions s WHERE s.endpoint_id = e.id)," \
	" (SELECT COUNT(*) FROM deliveries d" \
	"  WHERE d.endpoint_id = e.id AND d.status = 'pending')," \
	" (SELECT COUNT(*) FROM deliveries d" \
	"  WHERE d.endpoint_id = e.id AND " HF_SQL_SENDING("d.") ")," \
	" (SELECT COUNT(*) FROM deliveries d" \
	"  WHERE d.endpoint_id = e.id AND d.status = 'paused')"

/* A space-separated column as an array of strings ([] for NULL). */
static json_object *
words_array(const struct hf_query *q, unsigned int i)
{
	json_object *a = json_object_new_array();
	const char *s = hf_query_column(q, i, NULL);

	while (s != NULL && *s != '\0') {
		size_t n = strcspn(s, " ");

		json_object_array_add(a, json_object_new_string_len(s, (int)n));
		s += n;
		s += strspn(s, " ");
	}
	return a;
}

static json_object *
endpoint_object(const struct hf_query *q)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "id", text_or_null(q, 0));
	json_object_object_add(o, "workspace_id", text_or_null(q, 1));
	json_object_object_add(o, "environment_id", text_or_null(q, 2));
	json_object_object_add(o, "application_id", text_or_null(q, 3));
	json_object_object_add(o, "url", text_or_null(q, 4));
	json_object_object_add(o, "active",
			       json_object_new_boolean(hf_query_column_int(q, 5) != 0));
	json_object_object_add(o, "disabled_reason", text_or_null(q, 6));
	json_object_object_add(o, "failing_since", text_or_null(q, 7));
	json_object_object_add(o, "created_at", text_or_null(q, 8));
	json_object_object_add(o, "event_types", words_array(q, 9));
	json_object_object_add(o, "pending", json_object_new_int64(
		hf_query_column_int(q, 10) - hf_query_column_int(q, 11)));
	json_object_object_add(o, "sending", int_or_null(q, 11));
	json_object_object_add(o, "paused", int_or_null(q, 12));
	return o;
}

enum hf_result
hf_endpoint_list(struct hf_db *db, const struct hf_endpoint_filter *filter,
		 json_object **out, char *errstr, size_t errlen)
{
	struct hf_query q;
	enum hf_result r;

	hf_query_start(&q, db,
		       "SELECT " ENDPOINT_COLUMNS " FROM endpoints e"
		       " WHERE (? IS NULL OR e.workspace_id = ?)"
		       " AND (? IS NULL OR e.application_id = ?)"
		       " AND (? = 0 OR e.active = 0)"
		       " ORDER BY e.id LIMIT ?");
	hf_query_text(&q, filter->workspace_id);
	hf_query_text(&q, filter->workspace_id);
	hf_query_text(&q, filter->application_id);
	hf_query_text(&q, filter->application_id);
	hf_query_int(&q, filter->disabled_only ? 1 : 0);
	hf_query_int(&q, filter->limit);
	r = list_rows(&q, endpoint_object, out, errstr, errlen);
	if (r != HF_OK || json_object_array_length(*out) > 0)
		return r;
	/* Nothing listed: an unknown id is a mistake to report, not an
	 * empty list. */
	if (filter->workspace_id != NULL)
		r = hf_workspace_exists(db, filter->workspace_id, errstr, errlen);
	if (r == HF_OK && filter->application_id != NULL)
		r = hf_require_row(db, "SELECT 1 FROM applications WHERE id = ?",
				   filter->application_id, "application", errstr,
				   errlen);
	if (r != HF_OK) {
		json_object_put(*out);
		*out = NULL;
	}
	return r;
}

static json_object *
first_column(const struct hf_query *q)
{
	return text_or_null(q, 0);
}

enum hf_result
hf_endpoint_event_types(struct hf_db *db, const char *endpoint_id,
			json_object **out, char *errstr, size_t errlen)
{
	struct hf_query q;

	hf_query_start(&q, db,
		       "SELECT event_type FROM subscriptions WHERE endpoint_id = ?"
		       " ORDER BY event_type");
	hf_query_text(&q, endpoint_id);
	return list_rows(&q, first_column, out, errstr, errlen);
}

static json_object *
secret_object(const struct hf_query *q)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "id", text_or_null(q, 0));
	json_object_object_add(o, "created_at", text_or_null(q, 1));
	json_object_object_add(o, "expires_at", text_or_null(q, 2));
	json_object_object_add(o, "signing",
			       json_object_new_boolean(hf_query_column_int(q, 3) != 0));
	return o;
}

enum hf_result
hf_endpoint_show(struct hf_db *db, const char *endpoint_id, json_object **out,
		 char *errstr, size_t errlen)
{
	json_object *obj = NULL, *secrets;
	struct hf_query q;
	enum hf_result r;

	*out = NULL;
	hf_query_start(&q, db, "SELECT " ENDPOINT_COLUMNS " FROM endpoints e WHERE e.id = ?");
	hf_query_text(&q, endpoint_id);
	r = hf_query_expect_row(&q, "endpoint", endpoint_id, errstr, errlen);
	if (r == HF_OK)
		obj = endpoint_object(&q);
	hf_query_end(&q);
	if (r != HF_OK)
		return r;

	/* Which secrets sign; never the secrets themselves. */
	hf_query_start(&q, db,
		       "SELECT id, " ISO("created_at") ", " ISO("expires_at") ", "
		       HF_SQL_SECRET_SIGNS("")
		       " FROM endpoint_secrets WHERE endpoint_id = ?"
		       " ORDER BY created_at DESC, id DESC");
	hf_query_text(&q, endpoint_id);
	r = list_rows(&q, secret_object, &secrets, errstr, errlen);
	if (r != HF_OK) {
		json_object_put(obj);
		return r;
	}
	json_object_object_add(obj, "secrets", secrets);
	*out = obj;
	return HF_OK;
}
