/*
 * The Svix API's messages and attempts: creating a message (send-message's
 * ingest transaction, authenticated by a management key: the same tables,
 * fan-out and sweep), the message log, the attempts of a message or an
 * endpoint, and a resend to one endpoint; over message.h, deliveries.h.
 *
 * A Svix attempt is one HTTP request of a delivery.  Attempt lists are
 * paged by delivery: a page holds every attempt of up to limit
 * deliveries, and its iterator is the last delivery's id.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_key.h"
#include "crypto.h"
#include "db_svix.h"
#include "deliveries.h"
#include "endpoint.h"
#include "ids.h"
#include "ingest.h"
#include "json_input.h"
#include "message.h"
#include "reply.h"
#include "svix.h"
#include "validate.h"

/* Svix's MessageStatus of an attempt or delivery. */
enum { SVIX_SUCCESS = 0, SVIX_PENDING = 1, SVIX_FAIL = 2, SVIX_SENDING = 3 };

/* MessageOut; payload is JSON text (NULL: left out, as with_content=false). */
static struct json_object *
message_json(const char *id, const char *event_type, const char *event_id,
	     const char *payload, size_t payload_len, const char *timestamp)
{
	struct json_object *o = json_object_new_object(), *doc = NULL;
	char errstr[128];

	json_object_object_add(o, "id", json_object_new_string(id));
	json_object_object_add(o, "eventType", json_object_new_string(event_type));
	json_object_object_add(o, "eventId", manage_json_optional(event_id));
	if (payload != NULL && hf_json_parse(payload, payload_len, &doc, errstr,
					     sizeof(errstr)) == HF_OK)
		json_object_object_add(o, "payload", doc);
	else
		json_object_object_add(o, "payload", json_object_new_object());
	json_object_object_add(o, "channels", NULL);
	json_object_object_add(o, "timestamp", json_object_new_string(timestamp));
	return o;
}

/* ---- POST /api/v1/app/{app_id}/msg ------------------------------------ */

/* What the create hands the ingest transaction's hooks. */
struct create_context {
	bool with_content;
};

/* The body's eventId, checked by check_message; NULL: none. */
static const char *
message_event_id(const struct ingest_input *in)
{
	struct json_object *v = NULL;

	if (in->doc == NULL || !json_object_object_get_ex(in->doc, "eventId", &v) ||
	    v == NULL)
		return NULL;
	return json_object_get_string(v);
}

static enum hf_result
claim_event_id(struct hf_db *db, const struct ingest_input *in,
	       struct ingest_outcome *out)
{
	const char *event_id = message_event_id(in);
	enum hf_result r;

	if (event_id == NULL)
		return HF_OK;
	r = hf_svix_event_id_claim(db, in->application_id, event_id, out->message_id);
	if (r != HF_ERR_CONFLICT)
		return r;
	out->status = 409;
	out->code = "conflict";
	snprintf(out->message, sizeof(out->message),
		 "this application has a message with eventId %.200s already", event_id);
	return HF_ERR_REFUSED;
}

static struct json_object *
created_json(const struct ingest_input *in, const struct ingest_outcome *out)
{
	const struct create_context *ctx = in->hook_arg;
	char when[32];

	ingest_iso_time(out->created_at, when, sizeof(when));
	return message_json(out->message_id, in->event_type, message_event_id(in),
			    ctx->with_content ? in->payload : NULL, in->payload_len, when);
}

static char *
created_text(const struct ingest_input *in, const struct ingest_outcome *out,
	     size_t *len)
{
	struct json_object *o = created_json(in, out);
	const char *text = reply_json_text(o, len);
	char *copy = malloc(*len + 1);

	if (copy != NULL)
		memcpy(copy, text, *len + 1);
	json_object_put(o);
	return copy;
}

/* The application id of a uid, for the key of key_hash. */
struct uid_lookup {
	const char *key_hash, *uid;
	char id[HF_ID_MAX_LEN + 1];
	int status;			/* a refusal's, else 0 */
};

static enum hf_result
find_uid(struct hf_db *db, void *arg)
{
	struct uid_lookup *u = arg;
	struct hf_scope scope;
	enum hf_key_kind kind;
	enum hf_result r = hf_api_key_authenticate(db, u->key_hash, &kind, &scope);

	if (r == HF_ERR_NOT_FOUND)
		u->status = 401;
	else if (r == HF_OK && kind != HF_KEY_MANAGEMENT)
		u->status = 403;
	if (r != HF_OK || u->status != 0)
		return r;
	r = hf_svix_app_find_uid(db, scope.workspace_id, u->uid, u->id);
	if (r == HF_ERR_NOT_FOUND)
		u->status = 404;
	return r;
}

/*
 * The parsed body's fields into in, or the first error, in Svix's terms
 * (400 invalid_request is its 422): the ingest transaction calls this once
 * the key is known good.
 */
static void
check_message(struct json_object *doc, struct ingest_input *in)
{
	static const char *const fields[] = {
		"eventType", "payload", "eventId", "channels", "application",
		"payloadRetentionPeriod", "payloadRetentionHours", "tags", NULL
	};
	const int flags = JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE;
	struct json_object *v = NULL;
	size_t i;

	if (!json_object_is_type(doc, json_type_object)) {
		ingest_invalid(in, 400, "invalid_request", "the body must be a JSON object");
		return;
	}
	json_object_object_foreach(doc, key, value) {
		(void)value;
		for (i = 0; fields[i] != NULL && strcmp(fields[i], key) != 0; i++)
			;
		if (fields[i] == NULL) {
			ingest_invalid(in, 400, "invalid_request", "unknown field");
			return;
		}
	}
	if (json_object_object_get_ex(doc, "application", &v) && v != NULL) {
		ingest_invalid(in, 501, "not_implemented",
			       "hookfan does not create applications inside a message");
		return;
	}
	if (!json_object_object_get_ex(doc, "eventType", &v) ||
	    !json_object_is_type(v, json_type_string) ||
	    !hf_event_type_valid(json_object_get_string(v),
				 (size_t)json_object_get_string_len(v), false)) {
		ingest_invalid(in, 400, "invalid_request",
			       "eventType must be 1 to 128 characters of A-Z a-z 0-9 . _ - :");
		return;
	}
	in->event_type = json_object_get_string(v);
	if (!json_object_object_get_ex(doc, "payload", &v) ||
	    !json_object_is_type(v, json_type_object)) {
		ingest_invalid(in, 400, "invalid_request", "payload must be an object");
		return;
	}
	in->payload = json_object_to_json_string_length(v, flags, &in->payload_len);
	if (json_object_object_get_ex(doc, "eventId", &v) && v != NULL &&
	    (!json_object_is_type(v, json_type_string) ||
	     json_object_get_string_len(v) < 1 ||
	     json_object_get_string_len(v) > HF_SVIX_UID_MAX_LEN ||
	     !hf_utf8_valid(json_object_get_string(v), (size_t)json_object_get_string_len(v))))
		ingest_invalid(in, 400, "invalid_request",
			       "eventId must be a string of 1 to 256 bytes");
}

/*
 * The body into server->body; what is wrong with it is recorded, not
 * answered, so that a bad key is 401 whatever the body.
 */
static void
read_body(struct hf_server *server, struct hf_request *req, struct ingest_input *in)
{
	const char *hint;
	size_t len;

	switch (request_read_body(req, server->body, (size_t)server->cfg.max_payload_bytes,
				  &in->body_len)) {
	case REQUEST_BODY_OK:
		in->body = server->body;
		break;
	case REQUEST_BODY_TOO_LARGE:
		ingest_invalid(in, 413, "payload_too_large",
			       "the body is larger than max_payload_bytes");
		return;
	default:
		ingest_invalid(in, 400, "invalid_request", "the request body could not be read");
		return;
	}
	/* A hint, so that one lookup finds both the key and the targets;
	 * the parse confirms it. */
	hint = hf_json_peek_string_member(in->body, in->body_len, "eventType", &len);
	if (hint != NULL && hf_event_type_valid(hint, len, false)) {
		memcpy(in->event_type_hint, hint, len);
		in->event_type_hint[len] = '\0';
		in->event_type = in->event_type_hint;
	}
}

/*
 * A uid in the path: the application's id, looked up before the ingest
 * transaction, which needs the id for its one lookup.  The lookup checks
 * the key first, so a bad key still costs no parse.  False when it has
 * replied.
 */
static bool
resolve_uid(struct hf_server *server, struct hf_request *req, struct ingest_input *in,
	    struct uid_lookup *u)
{
	u->key_hash = in->key_hash;
	u->uid = in->application_id;
	if (server_manage_db(server) == NULL ||
	    (hf_db_transaction(server_manage_db(server), find_uid, u) != HF_OK &&
	     u->status == 0)) {
		svix_reply_error(req, 503, "Retry-After: 5\r\n", "unavailable",
				 "the database is unavailable; retry later");
		return false;
	}
	if (u->status != 0) {
		svix_reply_error(req, u->status, NULL,
				 u->status == 401 ? "unauthorized" :
				 u->status == 403 ? "forbidden" : "not_found",
				 u->status == 404 ? "application not found" :
				 "unknown or revoked API key, or not a management key");
		return false;
	}
	in->application_id = u->id;
	return true;
}

void
svix_msg_create(struct hf_server *server, struct hf_request *req,
		const struct route_match *match)
{
	char hash_text[HF_ID_MAX_LEN + 64];
	struct create_context ctx = { true };
	struct uid_lookup u = { NULL, NULL, "", 0 };
	char key[HF_API_KEY_MAX_LEN + 1];
	struct ingest_outcome out;
	struct ingest_input in;
	const char *with_content = request_param(req, "QUERY_STRING");
	enum request_idempotency idem;
	char *text;
	size_t n;

	memset(&in, 0, sizeof(in));
	if (!request_api_key(req, key)) {
		svix_reply_error(req, 401, "WWW-Authenticate: Bearer\r\n", "unauthorized",
				 "missing or malformed API key: send Authorization: Bearer KEY");
		return;
	}
	ingest_take_key(&in, req, key);
	if (with_content != NULL && strcmp(with_content, "with_content=false") == 0)
		ctx.with_content = false;
	else if (with_content != NULL && with_content[0] != '\0' &&
		 strcmp(with_content, "with_content=true") != 0)
		ingest_invalid(&in, 501, "not_implemented",
			       "hookfan does not implement this Svix route (see the README, \"Coming from Svix\")");
	read_body(server, req, &in);

	in.application_id = match->params[0];
	if (!hf_id_valid(in.application_id, "app") && !resolve_uid(server, req, &in, &u))
		return;
	in.kind = INGEST_SEND_MESSAGE;
	in.check = check_message;
	in.management_key = true;
	in.before_store = claim_event_id;
	in.hook_arg = &ctx;
	if (in.body == NULL)
		;	/* refused already: the body could not be read */
	else if ((idem = request_idempotency_key(req, in.idempotency_key)) ==
		 REQUEST_IDEMPOTENCY_INVALID) {
		/* Refused as any bad input (Svix's 422), never sent unguarded. */
		ingest_invalid(&in, 400, "invalid_request",
			       "idempotency-key must be 1 to %d visible ASCII characters",
			       HF_IDEMPOTENCY_KEY_MAX_LEN);
	} else if (idem == REQUEST_IDEMPOTENCY_KEY) {
		/* What the request was: the route, the application, the body. */
		n = (size_t)snprintf(hash_text, sizeof(hash_text), "POST\n%s\n%s\n",
				     match->route->pattern, in.application_id);
		text = malloc(n + in.body_len);
		if (text == NULL) {
			svix_reply_error(req, 500, NULL, "internal_error", "out of memory");
			return;
		}
		memcpy(text, hash_text, n);
		memcpy(text + n, in.body, in.body_len);
		hf_sha256_hex(text, n + in.body_len, in.request_hash);
		free(text);
		in.answer_text = created_text;
	}
	ingest_run(server, &in, &out);
	if (out.answer != NULL && (out.status == 201 || out.replayed)) {
		reply_text(req, 202, out.replayed ? "Idempotent-Replayed: true\r\n" : NULL,
			   out.answer, out.answer_len, false);
	} else if (out.status == 201) {
		struct json_object *o = created_json(&in, &out);

		reply_json(req, 202, NULL, o, false);
		json_object_put(o);
	} else {
		svix_reply_error(req, out.status, out.extra_headers, out.code, out.message);
	}
	ingest_outcome_free(&out);
	json_object_put(in.doc);
}

/* ---- the message log ---------------------------------------------------- */

static enum hf_result
add_message(struct hf_db *db, struct json_object *items, const struct hf_message *m,
	    bool with_content)
{
	char event_id[HF_SVIX_UID_MAX_LEN + 1];
	enum hf_result r = hf_svix_event_id(db, m->id, event_id);

	if (r == HF_OK)
		json_object_array_add(items, message_json(m->id, m->event_type, event_id,
							  with_content ? m->payload : NULL,
							  m->payload_len, m->created_at));
	return r;
}

static enum hf_result
read_with_content(struct manage_call *call, bool *with_content)
{
	const char *v = manage_query(call, "with_content");

	*with_content = v == NULL || strcmp(v, "true") == 0;
	if (v != NULL && strcmp(v, "true") != 0 && strcmp(v, "false") != 0)
		return manage_invalid(call, "with_content must be true or false");
	return HF_OK;
}

enum hf_result
svix_msg_list(struct hf_db *db, struct manage_call *call)
{
	struct hf_message_list list = { NULL, 0, false };
	struct hf_message_filter filter = { 0 };
	struct hf_application app;
	struct json_object *items;
	struct hf_page page;
	bool with_content;
	char errstr[256];
	enum hf_result r;
	size_t i;

	if ((r = svix_app(db, call, 0, &app)) != HF_OK ||
	    (r = read_with_content(call, &with_content)) != HF_OK ||
	    (r = svix_page(call, HF_MESSAGE_ID_PREFIX, &page)) != HF_OK)
		return r;
	filter.application_id = app.id;
	r = hf_message_list(db, &call->scope, &filter, &page, &list, errstr, sizeof(errstr));
	if (r != HF_OK)
		return manage_failed(call, r, errstr);
	items = json_object_new_array();
	for (i = 0; r == HF_OK && i < list.count; i++)
		r = add_message(db, items, &list.items[i], with_content);
	if (r == HF_OK)
		svix_reply_list(call, items, list.more,
				list.count > 0 ? list.items[list.count - 1].id : NULL);
	else
		json_object_put(items);
	hf_message_list_free(&list);
	return r;
}

/* The message of path parameter i in the application of parameter 0. */
static enum hf_result
find_message(struct hf_db *db, struct manage_call *call, size_t i,
	     struct hf_message *m)
{
	struct hf_application app;
	char errstr[256];
	enum hf_result r = svix_app(db, call, 0, &app);

	if (r != HF_OK)
		return r;
	r = hf_message_get(db, &call->scope, app.id, manage_param(call, i), m,
			   errstr, sizeof(errstr));
	return r == HF_OK ? r : manage_failed(call, r, errstr);
}

enum hf_result
svix_msg_get(struct hf_db *db, struct manage_call *call)
{
	struct hf_message m = { 0 };
	struct json_object *items;
	bool with_content;
	enum hf_result r;

	if ((r = read_with_content(call, &with_content)) != HF_OK ||
	    (r = svix_page(call, HF_MESSAGE_ID_PREFIX, &(struct hf_page){ 0, NULL })) != HF_OK ||
	    (r = find_message(db, call, 1, &m)) != HF_OK) {
		hf_message_free(&m);
		return r;
	}
	items = json_object_new_array();
	r = add_message(db, items, &m, with_content);
	if (r == HF_OK)
		manage_reply(call, 200, json_object_get(json_object_array_get_idx(items, 0)));
	json_object_put(items);
	hf_message_free(&m);
	return r;
}

/* ---- attempts ---------------------------------------------------------- */

static struct json_object *
attempt_json(const struct hf_attempt *a, const struct hf_delivery *d, const char *url)
{
	struct json_object *o = json_object_new_object();
	bool ok = a->has_status_code && a->status_code >= 200 && a->status_code < 300;

	json_object_object_add(o, "id", json_object_new_string(a->id));
	json_object_object_add(o, "msgId", json_object_new_string(d->message_id));
	json_object_object_add(o, "endpointId", json_object_new_string(d->endpoint_id));
	json_object_object_add(o, "url", json_object_new_string(url));
	json_object_object_add(o, "response",
			       a->has_excerpt && hf_utf8_valid((const char *)a->excerpt, a->excerpt_len)
			       ? json_object_new_string_len((const char *)a->excerpt, (int)a->excerpt_len)
			       : json_object_new_string(""));
	json_object_object_add(o, "responseStatusCode",
			       json_object_new_int(a->has_status_code ? (int)a->status_code : 0));
	json_object_object_add(o, "responseDurationMs", json_object_new_int64(a->duration_ms));
	json_object_object_add(o, "status", json_object_new_int(ok ? SVIX_SUCCESS : SVIX_FAIL));
	json_object_object_add(o, "triggerType", json_object_new_int(0));
	json_object_object_add(o, "timestamp", json_object_new_string(a->started_at));
	return o;
}

/*
 * The attempts of the deliveries filter selects (a page of them), newest
 * first, into items; only attempt_id's when that is not NULL.
 */
static enum hf_result
add_attempts(struct hf_db *db, struct manage_call *call,
	     const struct hf_delivery_filter *filter, const struct hf_page *page,
	     const char *attempt_id, struct json_object *items, bool *more,
	     char *last_id)
{
	struct hf_delivery_list list = { NULL, 0, false };
	struct hf_attempt_list attempts = { NULL, 0 };
	char url[HF_URL_MAX_LEN + 1], errstr[256];
	struct hf_delivery d;
	enum hf_result r;
	size_t i, j;

	r = hf_delivery_list(db, &call->scope, filter, page, &list, errstr, sizeof(errstr));
	for (i = 0; r == HF_OK && i < list.count; i++) {
		r = hf_delivery_get(db, &call->scope, list.items[i].id, &d, url,
				    errstr, sizeof(errstr));
		if (r == HF_OK)
			r = hf_attempt_list(db, d.id, &attempts, errstr, sizeof(errstr));
		for (j = attempts.count; r == HF_OK && j > 0; j--) {
			if (attempt_id == NULL || strcmp(attempt_id, attempts.items[j - 1].id) == 0)
				json_object_array_add(items, attempt_json(&attempts.items[j - 1], &d, url));
		}
		free(attempts.items);
		attempts.items = NULL;
		attempts.count = 0;
	}
	*more = list.more;
	last_id[0] = '\0';
	if (list.count > 0)
		memcpy(last_id, list.items[list.count - 1].id, HF_ID_MAX_LEN + 1);
	free(list.items);
	return r == HF_OK ? r : manage_failed(call, r, errstr);
}

static enum hf_result
list_attempts(struct hf_db *db, struct manage_call *call,
	      const struct hf_delivery_filter *filter)
{
	struct json_object *items = json_object_new_array();
	char last_id[HF_ID_MAX_LEN + 1];
	const char *content = manage_query(call, "with_content");
	const char *expanded = manage_query(call, "expanded_statuses");
	struct hf_page page;
	bool more;
	enum hf_result r;

	/* Svix 2.x asks for both by default.  An attempt's status is only
	 * ever success or fail, the same in either set of statuses; the
	 * message's content in each attempt is not given. */
	if (content != NULL && strcmp(content, "false") != 0)
		return svix_unsupported(call, "attempts with their message's content");
	if (expanded != NULL && strcmp(expanded, "true") != 0 && strcmp(expanded, "false") != 0)
		return manage_invalid(call, "expanded_statuses must be true or false");
	r = svix_page(call, "del", &page);

	if (r == HF_OK)
		r = add_attempts(db, call, filter, &page, NULL, items, &more, last_id);
	if (r != HF_OK) {
		json_object_put(items);
		return r;
	}
	svix_reply_list(call, items, more, last_id);
	return HF_OK;
}

enum hf_result
svix_attempts_by_msg(struct hf_db *db, struct manage_call *call)
{
	struct hf_delivery_filter filter = { 0 };
	struct hf_message m = { 0 };
	enum hf_result r = find_message(db, call, 1, &m);

	if (r == HF_OK) {
		filter.message_id = m.id;
		r = list_attempts(db, call, &filter);
	}
	hf_message_free(&m);
	return r;
}

enum hf_result
svix_attempts_by_endpoint(struct hf_db *db, struct manage_call *call)
{
	struct hf_delivery_filter filter = { 0 };
	struct hf_application app;
	struct hf_endpoint e = { 0 };
	enum hf_result r = svix_endpoint(db, call, 1, false, &app, &e);

	if (r == HF_OK) {
		filter.endpoint_id = e.id;
		r = list_attempts(db, call, &filter);
	}
	hf_endpoint_clear(&e);
	return r;
}

enum hf_result
svix_attempt_get(struct hf_db *db, struct manage_call *call)
{
	struct hf_delivery_filter filter = { 0 };
	struct hf_page page = { HF_SVIX_LIST_LIMIT_MAX, NULL };
	struct json_object *items = json_object_new_array();
	char last_id[HF_ID_MAX_LEN + 1];
	struct hf_message m = { 0 };
	bool more;
	enum hf_result r = find_message(db, call, 1, &m);

	if (r == HF_OK) {
		filter.message_id = m.id;
		r = add_attempts(db, call, &filter, &page, manage_param(call, 2), items,
				 &more, last_id);
	}
	if (r == HF_OK && json_object_array_length(items) == 0)
		r = manage_fail(call, HF_ERR_NOT_FOUND, "not_found", "attempt %s not found",
				manage_param(call, 2));
	if (r == HF_OK)
		manage_reply(call, 200, json_object_get(json_object_array_get_idx(items, 0)));
	json_object_put(items);
	hf_message_free(&m);
	return r;
}

/* One more attempt of the message's newest delivery to the endpoint. */
enum hf_result
svix_resend(struct hf_db *db, struct manage_call *call)
{
	struct hf_delivery_filter filter = { 0 };
	struct hf_delivery_list list = { NULL, 0, false };
	struct hf_page page = { 1, NULL };
	enum hf_delivery_status previous;
	struct hf_message m = { 0 };
	char errstr[256];
	enum hf_result r = find_message(db, call, 1, &m);

	if (r == HF_OK) {
		filter.message_id = m.id;
		filter.endpoint_id = manage_param(call, 2);
		r = hf_delivery_list(db, &call->scope, &filter, &page, &list,
				     errstr, sizeof(errstr));
		if (r == HF_OK && list.count == 0)
			r = manage_fail(call, HF_ERR_NOT_FOUND, "not_found",
					"message %s was not sent to endpoint %s", m.id,
					manage_param(call, 2));
		else if (r == HF_OK)
			r = hf_delivery_retry(db, &call->scope, list.items[0].id, &previous,
					      errstr, sizeof(errstr));
		if (r != HF_OK && call->code == NULL)
			manage_failed(call, r, errstr);
	}
	/* Svix answers {} (its 2.x clients parse it). */
	if (r == HF_OK)
		manage_reply(call, 202, json_object_new_object());
	free(list.items);
	hf_message_free(&m);
	return r;
}
