/*
 * The message log's routes: messages (also under an application), one
 * message with its deliveries and their attempts, resend; deliveries, one
 * delivery with its attempts, retry.  Run by manage.c like
 * manage_routes.c's; the entities are message.h's and deliveries.h's.
 * And GET /v1/openapi.json (openapi.h), the document of every route,
 * which needs no key.
 *
 * A message's payload is answered as send-message answers it: the stored
 * JSON text, as a string.  A response excerpt is the receiver's bytes:
 * text when they are UTF-8, else base64, as response_excerpt_encoding
 * says, so the answer is always valid UTF-8.
 */
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "deliveries.h"
#include "iso_time.h"
#include "manage.h"
#include "message.h"
#include "openapi.h"
#include "validate.h"

static const char *const no_fields[] = { NULL };

/* ---- JSON of the entities ------------------------------------------- */

static struct json_object *
message_json(const struct hf_message *m)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "id", json_object_new_string(m->id));
	json_object_object_add(o, "org_id", json_object_new_string(m->workspace_id));
	/* As send-message answers it: "" for no environment. */
	json_object_object_add(o, "env_id", json_object_new_string(m->environment_id));
	json_object_object_add(o, "application_id", manage_json_optional(m->application_id));
	json_object_object_add(o, "event_type", json_object_new_string(m->event_type));
	json_object_object_add(o, "payload",
			       json_object_new_string_len(m->payload, (int)m->payload_len));
	json_object_object_add(o, "status", json_object_new_string(m->status));
	json_object_object_add(o, "created_at", json_object_new_string(m->created_at));
	json_object_object_add(o, "updated_at", json_object_new_string(m->updated_at));
	return o;
}

static struct json_object *
delivery_json(const struct hf_delivery *d)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "id", json_object_new_string(d->id));
	json_object_object_add(o, "message_id", json_object_new_string(d->message_id));
	json_object_object_add(o, "endpoint_id", json_object_new_string(d->endpoint_id));
	json_object_object_add(o, "status",
			       json_object_new_string(hf_delivery_status_name(d->status)));
	json_object_object_add(o, "attempts", json_object_new_int64(d->attempts));
	json_object_object_add(o, "next_attempt_at", manage_json_optional(d->next_attempt_at));
	json_object_object_add(o, "last_status_code",
			       d->has_last_status_code ? json_object_new_int64(d->last_status_code)
						       : NULL);
	json_object_object_add(o, "last_error",
			       d->has_last_error ? json_object_new_string(d->last_error) : NULL);
	json_object_object_add(o, "created_at", json_object_new_string(d->created_at));
	json_object_object_add(o, "updated_at", json_object_new_string(d->updated_at));
	return o;
}

static struct json_object *
attempt_json(const struct hf_attempt *a)
{
	struct json_object *o = json_object_new_object();
	const char *excerpt = (const char *)a->excerpt;
	char b64[4 * ((HF_RESPONSE_EXCERPT_MAX + 2) / 3) + 1];
	const char *encoding = NULL;

	json_object_object_add(o, "id", json_object_new_string(a->id));
	json_object_object_add(o, "attempt_number", json_object_new_int64(a->attempt_number));
	json_object_object_add(o, "started_at", json_object_new_string(a->started_at));
	json_object_object_add(o, "duration_ms", json_object_new_int64(a->duration_ms));
	json_object_object_add(o, "status_code",
			       a->has_status_code ? json_object_new_int64(a->status_code) : NULL);
	json_object_object_add(o, "error",
			       a->has_error ? json_object_new_string(a->error) : NULL);
	if (!a->has_excerpt) {
		json_object_object_add(o, "response_excerpt", NULL);
	} else if (hf_utf8_valid(excerpt, a->excerpt_len)) {
		encoding = "utf-8";
		json_object_object_add(o, "response_excerpt",
				       json_object_new_string_len(excerpt, (int)a->excerpt_len));
	} else {
		encoding = "base64";
		hf_base64_encode(a->excerpt, a->excerpt_len, b64);
		json_object_object_add(o, "response_excerpt", json_object_new_string(b64));
	}
	json_object_object_add(o, "response_excerpt_encoding",
			       encoding != NULL ? json_object_new_string(encoding) : NULL);
	return o;
}

/* The attempts of delivery_id as a JSON array into *out. */
static enum hf_result
attempts_json(struct hf_db *db, struct manage_call *call, const char *delivery_id,
	      struct json_object **out)
{
	struct hf_attempt_list list;
	char errstr[256];
	enum hf_result r;
	size_t i;

	*out = NULL;
	r = hf_attempt_list(db, delivery_id, &list, errstr, sizeof(errstr));
	if (r != HF_OK)
		return manage_failed(call, r, errstr);
	*out = json_object_new_array();
	for (i = 0; i < list.count; i++)
		json_object_array_add(*out, attempt_json(&list.items[i]));
	free(list.items);
	return HF_OK;
}

/* ---- messages ---------------------------------------------------------- */

/* Query parameter name as a time into sql (HF_SQL_TIME_SIZE bytes);
 * *value NULL when absent. */
static enum hf_result
query_time(struct manage_call *call, const char *name, char *sql, const char **value)
{
	const char *s = manage_query(call, name);

	*value = NULL;
	if (s == NULL)
		return HF_OK;
	if (!hf_iso_time_to_sql(s, sql))
		return manage_invalid(call,
				      "%s must be an ISO 8601 time with a zone, e.g. 2026-12-01T21:16:07.123Z",
				      name);
	*value = sql;
	return HF_OK;
}

/* GET /v1/messages, or the messages of application_id (not NULL). */
static enum hf_result
list_messages(struct hf_db *db, struct manage_call *call, const char *application_id)
{
	char before[HF_SQL_TIME_SIZE], after[HF_SQL_TIME_SIZE], errstr[256];
	struct hf_message_filter filter = { 0 };
	struct hf_message_list list;
	struct json_object *items;
	struct hf_page page;
	enum hf_result r;
	size_t i;

	filter.application_id = application_id;
	if (application_id == NULL &&
	    (r = manage_query_id(call, "application_id", &filter.application_id)) != HF_OK)
		return r;
	filter.event_type = manage_query(call, "event_type");
	if (filter.event_type != NULL &&
	    !hf_event_type_valid(filter.event_type, strlen(filter.event_type), false))
		return manage_invalid(call,
				      "event_type must be 1 to %d characters of A-Z a-z 0-9 . _ - :",
				      HF_EVENT_TYPE_MAX_LEN);
	filter.status = manage_query(call, "status");
	if (filter.status != NULL && !hf_message_status_valid(filter.status))
		return manage_invalid(call, "status must be " HF_MESSAGE_STATUS_NAMES);
	if ((r = query_time(call, "before", before, &filter.created_before)) != HF_OK ||
	    (r = query_time(call, "after", after, &filter.created_after)) != HF_OK ||
	    (r = manage_page(call, "msg", &page)) != HF_OK)
		return r;
	r = hf_message_list(db, &call->scope, &filter, &page, &list, errstr, sizeof(errstr));
	if (r != HF_OK)
		return manage_failed(call, r, errstr);
	items = json_object_new_array();
	for (i = 0; i < list.count; i++)
		json_object_array_add(items, message_json(&list.items[i]));
	manage_reply_list(call, items, list.more,
			  list.count > 0 ? list.items[list.count - 1].id : NULL);
	hf_message_list_free(&list);
	return HF_OK;
}

static enum hf_result
messages_list(struct hf_db *db, struct manage_call *call)
{
	return list_messages(db, call, NULL);
}

static enum hf_result
messages_list_in_app(struct hf_db *db, struct manage_call *call)
{
	return list_messages(db, call, manage_param(call, 0));
}

/* Every delivery of message m, newest first, each with its attempts, onto
 * the array deliveries: read a page at a time, as large as a list's. */
static enum hf_result
add_deliveries(struct hf_db *db, struct manage_call *call, const char *message_id,
	       struct json_object *deliveries)
{
	char last[HF_ID_MAX_LEN + 1] = "", errstr[256];
	struct hf_delivery_filter filter = { 0 };
	struct hf_page page = { HF_API_LIST_LIMIT_MAX, NULL };
	struct json_object *d, *attempts;
	struct hf_delivery_list list;
	enum hf_result r;
	size_t i;

	filter.message_id = message_id;
	do {
		r = hf_delivery_list(db, &call->scope, &filter, &page, &list, errstr,
				     sizeof(errstr));
		if (r != HF_OK)
			return manage_failed(call, r, errstr);
		for (i = 0; i < list.count && r == HF_OK; i++) {
			r = attempts_json(db, call, list.items[i].id, &attempts);
			if (r == HF_OK) {
				d = delivery_json(&list.items[i]);
				json_object_object_add(d, "attempts", attempts);
				json_object_array_add(deliveries, d);
			}
		}
		if (list.count > 0)
			memcpy(last, list.items[list.count - 1].id, sizeof(last));
		page.before_id = last;
		free(list.items);
	} while (r == HF_OK && list.more);
	return r;
}

/* {message, deliveries: [{..., attempts: [...]}]} of message_id (of
 * application_id unless NULL). */
static enum hf_result
get_message(struct hf_db *db, struct manage_call *call, const char *application_id,
	    const char *message_id)
{
	struct json_object *o, *deliveries;
	struct hf_message m;
	char errstr[256];
	enum hf_result r;

	r = hf_message_get(db, &call->scope, application_id, message_id, &m, errstr,
			   sizeof(errstr));
	if (r != HF_OK)
		return manage_failed(call, r, errstr);
	o = json_object_new_object();
	json_object_object_add(o, "message", message_json(&m));
	deliveries = json_object_new_array();
	json_object_object_add(o, "deliveries", deliveries);
	r = add_deliveries(db, call, m.id, deliveries);
	hf_message_free(&m);
	if (r != HF_OK) {
		json_object_put(o);
		return r;
	}
	manage_reply(call, 200, o);
	return HF_OK;
}

static enum hf_result
messages_get(struct hf_db *db, struct manage_call *call)
{
	return get_message(db, call, NULL, manage_param(call, 0));
}

static enum hf_result
messages_get_in_app(struct hf_db *db, struct manage_call *call)
{
	return get_message(db, call, manage_param(call, 0), manage_param(call, 1));
}

static enum hf_result
messages_resend(struct hf_db *db, struct manage_call *call)
{
	struct json_object *o, *ids;
	struct hf_resend resend;
	char errstr[256];
	enum hf_result r;
	size_t i;

	if ((r = manage_body_fields(call, no_fields)) != HF_OK)
		return r;
	r = hf_message_resend(db, &call->scope, manage_param(call, 0), &resend, errstr,
			      sizeof(errstr));
	if (r != HF_OK)
		return manage_failed(call, r, errstr);
	o = json_object_new_object();
	json_object_object_add(o, "message_id", json_object_new_string(manage_param(call, 0)));
	ids = json_object_new_array();
	for (i = 0; i < resend.count; i++)
		json_object_array_add(ids, json_object_new_string(resend.delivery_ids[i]));
	json_object_object_add(o, "delivery_ids", ids);
	free(resend.delivery_ids);
	manage_reply(call, 201, o);
	return HF_OK;
}

/* ---- deliveries -------------------------------------------------------- */

static enum hf_result
deliveries_list(struct hf_db *db, struct manage_call *call)
{
	struct hf_delivery_filter filter = { 0 };
	struct hf_delivery_list list;
	struct json_object *items;
	const char *status;
	struct hf_page page;
	char errstr[256];
	enum hf_result r;
	size_t i;

	if ((r = manage_query_id(call, "endpoint_id", &filter.endpoint_id)) != HF_OK ||
	    (r = manage_query_id(call, "message_id", &filter.message_id)) != HF_OK)
		return r;
	status = manage_query(call, "status");
	if (status != NULL) {
		filter.has_status = true;
		if (!hf_delivery_status_parse(status, &filter.status))
			return manage_invalid(call, "status must be " HF_DELIVERY_STATUS_NAMES);
	}
	if ((r = manage_page(call, "del", &page)) != HF_OK)
		return r;
	r = hf_delivery_list(db, &call->scope, &filter, &page, &list, errstr, sizeof(errstr));
	if (r != HF_OK)
		return manage_failed(call, r, errstr);
	items = json_object_new_array();
	for (i = 0; i < list.count; i++)
		json_object_array_add(items, delivery_json(&list.items[i]));
	manage_reply_list(call, items, list.more,
			  list.count > 0 ? list.items[list.count - 1].id : NULL);
	free(list.items);
	return HF_OK;
}

/* The delivery with its attempt_list, as the answer. */
static enum hf_result
reply_delivery(struct hf_db *db, struct manage_call *call, int status,
	       bool with_attempts)
{
	struct json_object *o, *attempts;
	struct hf_delivery d;
	char errstr[256];
	enum hf_result r;

	r = hf_delivery_get(db, &call->scope, manage_param(call, 0), &d, NULL, errstr,
			    sizeof(errstr));
	if (r != HF_OK)
		return manage_failed(call, r, errstr);
	o = delivery_json(&d);
	if (with_attempts) {
		r = attempts_json(db, call, d.id, &attempts);
		if (r != HF_OK) {
			json_object_put(o);
			return r;
		}
		json_object_object_add(o, "attempt_list", attempts);
	}
	manage_reply(call, status, o);
	return HF_OK;
}

static enum hf_result
deliveries_get(struct hf_db *db, struct manage_call *call)
{
	return reply_delivery(db, call, 200, true);
}

static enum hf_result
deliveries_retry(struct hf_db *db, struct manage_call *call)
{
	enum hf_delivery_status previous;
	char errstr[256];
	enum hf_result r;

	if ((r = manage_body_fields(call, no_fields)) != HF_OK)
		return r;
	r = hf_delivery_retry(db, &call->scope, manage_param(call, 0), &previous, errstr,
			      sizeof(errstr));
	if (r != HF_OK)
		return manage_failed(call, r, errstr);
	return reply_delivery(db, call, 200, false);
}

const struct route message_routes[] = {
	{ "GET", "/v1/messages", NULL, messages_list },
	{ "GET", "/v1/messages/{id}", NULL, messages_get },
	{ "POST", "/v1/messages/{id}/resend", NULL, messages_resend },
	{ "GET", "/v1/applications/{appId}/messages", NULL, messages_list_in_app },
	{ "GET", "/v1/applications/{appId}/messages/{id}", NULL, messages_get_in_app },
	{ "GET", "/v1/deliveries", NULL, deliveries_list },
	{ "GET", "/v1/deliveries/{id}", NULL, deliveries_get },
	{ "POST", "/v1/deliveries/{id}/retry", NULL, deliveries_retry },
	{ "GET", "/v1/openapi.json", openapi_serve, NULL },
	{ "HEAD", "/v1/openapi.json", openapi_serve, NULL },
	{ NULL, NULL, NULL, NULL }
};
