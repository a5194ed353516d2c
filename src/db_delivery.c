/* The SQL behind hookfan-admin's endpoint commands; see db_delivery.h. */
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
