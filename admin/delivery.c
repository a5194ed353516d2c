/*
 * hookfan-admin's delivery commands: options in, deliveries.h, message.h
 * and db_delivery.h out, printed as the commands always printed them.
 *
 * "message resend M" makes a new delivery for every endpoint the message
 * originally went to (not for endpoints subscribed since), so a resend
 * repeats the original fan-out and never widens it; a disabled endpoint's
 * new delivery waits, paused, until the endpoint is enabled.
 */
#include "delivery.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "db_delivery.h"
#include "deliveries.h"
#include "limits.h"
#include "message.h"
#include "strparse.h"
#include "validate.h"

static enum hf_result
replace_result(json_object **result, json_object *value)
{
	json_object_put(*result);
	*result = value;
	return HF_OK;
}

/* --limit N of the list commands into *limit (default when absent). */
static enum hf_result
list_limit(const struct admin_args *args, long *limit)
{
	const char *p = admin_option(args, "limit");

	*limit = HF_LIST_LIMIT_DEFAULT;
	if (p != NULL && (strparse_long(&p, 1, HF_LIST_LIMIT_MAX, limit) != HF_OK ||
			  *p != '\0'))
		return HF_ERR_INVALID;
	return HF_OK;
}

int
admin_list_check(const struct admin_args *args)
{
	long limit;

	if (list_limit(args, &limit) == HF_OK)
		return ADMIN_OK;
	fprintf(stderr, "hookfan-admin: --limit must be a whole number from 1 to %d\n",
		HF_LIST_LIMIT_MAX);
	return ADMIN_USAGE;
}

/* A JSON string, or null for what the column left NULL. */
static json_object *
string_or_null(bool present, const char *s)
{
	return present ? json_object_new_string(s) : NULL;
}

/* A delivery as the delivery commands print it. */
static json_object *
delivery_json(const struct hf_delivery *d)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "id", json_object_new_string(d->id));
	json_object_object_add(o, "message_id", json_object_new_string(d->message_id));
	json_object_object_add(o, "endpoint_id", json_object_new_string(d->endpoint_id));
	json_object_object_add(o, "status",
			       json_object_new_string(hf_delivery_status_name(d->status)));
	json_object_object_add(o, "attempts", json_object_new_int64(d->attempts));
	json_object_object_add(o, "due_at", string_or_null(d->due_at[0] != '\0', d->due_at));
	json_object_object_add(o, "last_status_code",
			       d->has_last_status_code ? json_object_new_int64(d->last_status_code)
						       : NULL);
	json_object_object_add(o, "last_error", string_or_null(d->has_last_error, d->last_error));
	json_object_object_add(o, "created_at", json_object_new_string(d->created_at));
	json_object_object_add(o, "updated_at", json_object_new_string(d->updated_at));
	return o;
}

/* Response bytes are whatever the receiver sent: text when UTF-8, else
 * base64 under another name. */
static json_object *
attempt_json(const struct hf_attempt *a)
{
	json_object *o = json_object_new_object();
	const char *excerpt = (const char *)a->excerpt;

	json_object_object_add(o, "id", json_object_new_string(a->id));
	json_object_object_add(o, "attempt_number", json_object_new_int64(a->attempt_number));
	json_object_object_add(o, "started_at", json_object_new_string(a->started_at));
	json_object_object_add(o, "duration_ms", json_object_new_int64(a->duration_ms));
	json_object_object_add(o, "status_code",
			       a->has_status_code ? json_object_new_int64(a->status_code) : NULL);
	json_object_object_add(o, "error", string_or_null(a->has_error, a->error));
	if (!a->has_excerpt || hf_utf8_valid(excerpt, a->excerpt_len)) {
		json_object_object_add(o, "response_excerpt",
				       a->has_excerpt ? json_object_new_string_len(excerpt,
										   (int)a->excerpt_len)
						      : NULL);
	} else {
		char b64[4 * ((HF_RESPONSE_EXCERPT_MAX + 2) / 3) + 1];

		hf_base64_encode(a->excerpt, a->excerpt_len, b64);
		json_object_object_add(o, "response_excerpt_base64", json_object_new_string(b64));
	}
	return o;
}

enum hf_result
admin_delivery_list(struct hf_db *db, const struct admin_args *args,
		    json_object **result, char *errstr, size_t errlen)
{
	struct hf_delivery_filter filter = { 0 };
	struct hf_delivery_list list;
	struct hf_page page = { 0 };
	const char *status = admin_option(args, "status");
	json_object *items;
	enum hf_result r;
	size_t i;

	filter.endpoint_id = admin_option(args, "endpoint");
	filter.message_id = admin_option(args, "message");
	if (status != NULL) {
		filter.has_status = true;
		if (!hf_delivery_status_parse(status, &filter.status))
			return hf_fail(HF_ERR_INVALID, errstr, errlen,
				       "unknown status \"%s\": use " HF_DELIVERY_STATUS_NAMES,
				       status);
	}
	(void)list_limit(args, &page.limit);	/* admin_list_check said it is good */
	r = hf_delivery_list(db, NULL, &filter, &page, &list, errstr, errlen);
	if (r != HF_OK)
		return r;
	items = json_object_new_array();
	for (i = 0; i < list.count; i++)
		json_object_array_add(items, delivery_json(&list.items[i]));
	free(list.items);
	return replace_result(result, items);
}

enum hf_result
admin_endpoint_list(struct hf_db *db, const struct admin_args *args,
		    json_object **result, char *errstr, size_t errlen)
{
	struct hf_endpoint_filter filter = { 0 };
	json_object *list = NULL;
	enum hf_result r;

	filter.workspace_id = admin_option(args, "workspace");
	filter.application_id = admin_option(args, "app");
	filter.disabled_only = admin_flag(args, "disabled");
	(void)list_limit(args, &filter.limit);	/* admin_list_check said it is good */
	r = hf_endpoint_list(db, &filter, &list, errstr, errlen);
	return r == HF_OK ? replace_result(result, list) : r;
}

/* The commands that act on the one id given: show, retry, resend. */
typedef enum hf_result (*by_id_fn)(struct hf_db *db, const char *id,
				   json_object **out, char *errstr,
				   size_t errlen);

static enum hf_result
run_by_id(by_id_fn fn, struct hf_db *db, const struct admin_args *args,
	  json_object **result, char *errstr, size_t errlen)
{
	json_object *obj = NULL;
	enum hf_result r;

	r = fn(db, args->positional, &obj, errstr, errlen);
	return r == HF_OK ? replace_result(result, obj) : r;
}

enum hf_result
admin_delivery_show(struct hf_db *db, const struct admin_args *args,
		    json_object **result, char *errstr, size_t errlen)
{
	struct hf_delivery d;
	struct hf_attempt_list attempts;
	char url[HF_URL_MAX_LEN + 1];
	json_object *o, *list;
	enum hf_result r;
	size_t i;

	r = hf_delivery_get(db, NULL, args->positional, &d, url, errstr, errlen);
	if (r == HF_OK)
		r = hf_attempt_list(db, d.id, &attempts, errstr, errlen);
	if (r != HF_OK)
		return r;
	o = delivery_json(&d);
	json_object_object_add(o, "url", json_object_new_string(url));
	list = json_object_new_array();
	for (i = 0; i < attempts.count; i++)
		json_object_array_add(list, attempt_json(&attempts.items[i]));
	free(attempts.items);
	json_object_object_add(o, "attempts", list);
	return replace_result(result, o);
}

enum hf_result
admin_delivery_retry(struct hf_db *db, const struct admin_args *args,
		     json_object **result, char *errstr, size_t errlen)
{
	enum hf_delivery_status previous;
	json_object *o;
	enum hf_result r;

	r = hf_delivery_retry(db, NULL, args->positional, &previous, errstr, errlen);
	if (r != HF_OK)
		return r;
	o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_string(args->positional));
	json_object_object_add(o, "status",
			       json_object_new_string(hf_delivery_status_name(HF_DELIVERY_PENDING)));
	json_object_object_add(o, "previous_status",
			       json_object_new_string(hf_delivery_status_name(previous)));
	return replace_result(result, o);
}

enum hf_result
admin_endpoint_show(struct hf_db *db, const struct admin_args *args,
		    json_object **result, char *errstr, size_t errlen)
{
	return run_by_id(hf_endpoint_show, db, args, result, errstr, errlen);
}

enum hf_result
admin_message_resend(struct hf_db *db, const struct admin_args *args,
		     json_object **result, char *errstr, size_t errlen)
{
	struct hf_resend resend;
	json_object *o, *ids;
	enum hf_result r;
	size_t i;

	r = hf_message_resend(db, NULL, args->positional, &resend, errstr, errlen);
	if (r != HF_OK)
		return r;
	ids = json_object_new_array();
	for (i = 0; i < resend.count; i++)
		json_object_array_add(ids, json_object_new_string(resend.delivery_ids[i]));
	free(resend.delivery_ids);
	o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_string(args->positional));
	json_object_object_add(o, "deliveries", ids);
	return replace_result(result, o);
}

enum hf_result
admin_endpoint_rotate_secret(struct hf_db *db, const struct admin_args *args,
			     json_object **result, char *errstr,
			     size_t errlen)
{
	const char *grace = admin_option(args, "grace-hours");
	long hours = HF_ROTATE_GRACE_HOURS_DEFAULT;
	json_object *obj = NULL;
	enum hf_result r;

	if (grace != NULL) {
		const char *p = grace;

		if (strparse_long(&p, 0, HF_ROTATE_GRACE_HOURS_MAX, &hours) != HF_OK ||
		    *p != '\0')
			return hf_fail(HF_ERR_INVALID, errstr, errlen,
				       "--grace-hours must be a whole number from 0 to %d",
				       HF_ROTATE_GRACE_HOURS_MAX);
	}
	r = hf_endpoint_rotate_secret(db, admin_option(args, "endpoint"), hours,
				      &obj, errstr, errlen);
	return r == HF_OK ? replace_result(result, obj) : r;
}
