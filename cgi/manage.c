/* The management API's framework; see manage.h. */
#include "manage.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_key.h"
#include "crypto.h"
#include "ids.h"
#include "json_input.h"
#include "log.h"
#include "portal.h"
#include "reply.h"
#include "svix.h"
#include "validate.h"

/* Every 401 names the scheme (RFC 9110 section 11.6.1). */
#define WWW_AUTHENTICATE "WWW-Authenticate: Bearer\r\n"
#define RETRY_LATER "Retry-After: 5\r\n"

void
manage_error(enum hf_result r, int *status, const char **code)
{
	switch (r) {
	case HF_ERR_INVALID:
		*status = 400, *code = "invalid_request";
		break;
	case HF_ERR_NOT_FOUND:
		*status = 404, *code = "not_found";
		break;
	case HF_ERR_CONFLICT:
	case HF_ERR_LIMIT:
	case HF_ERR_REFUSED:
		*status = 409, *code = "conflict";
		break;
	case HF_ERR_DB_GONE:
	case HF_ERR_DB_RETRY:
	case HF_ERR_DB_COMMIT_LOST:
	case HF_ERR_TIMEOUT:
		*status = 503, *code = "unavailable";
		break;
	default:
		*status = 500, *code = "internal_error";
		break;
	}
}

const char *
manage_param(const struct manage_call *call, size_t i)
{
	return i < call->match->count ? call->match->params[i] : "";
}

void
manage_reply(struct manage_call *call, int status, struct json_object *reply)
{
	json_object_put(call->reply);
	call->status = status;
	call->reply = reply;
}

enum hf_result
manage_fail(struct manage_call *call, enum hf_result r, const char *code,
	    const char *fmt, ...)
{
	va_list ap;

	call->code = code;
	va_start(ap, fmt);
	vsnprintf(call->message, sizeof(call->message), fmt, ap);
	va_end(ap);
	return r;
}

enum hf_result
manage_failed(struct manage_call *call, enum hf_result r, const char *errstr)
{
	snprintf(call->message, sizeof(call->message), "%s", errstr);
	return r;
}

enum hf_result
manage_require_workspace_scope(struct manage_call *call)
{
	if (call->scope.environment_id[0] == '\0')
		return HF_OK;
	return manage_fail(call, HF_ERR_REFUSED, "forbidden",
			   "this key is scoped to environment %s; this needs a workspace key",
			   call->scope.environment_id);
}

/* ---- input ------------------------------------------------------------ */

static void
input_invalid(struct manage_call *call, int status, const char *code,
	      const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
input_invalid(struct manage_call *call, int status, const char *code,
	      const char *fmt, ...)
{
	va_list ap;

	if (call->input_status != 0)
		return;
	call->input_status = status;
	call->input_code = code;
	va_start(ap, fmt);
	vsnprintf(call->input_message, sizeof(call->input_message), fmt, ap);
	va_end(ap);
}

/*
 * Decode a query component ('+' is a space) into out; false if malformed.
 * The '+' become spaces before the %XX are decoded, so that %2B stays a
 * '+' (a time zone offset).
 */
static bool
query_decode(const char *s, size_t len, char *out, size_t outlen)
{
	char raw[HF_QUERY_MAX_LEN + 1];
	size_t i;

	if (len > HF_QUERY_MAX_LEN)
		return false;
	for (i = 0; i < len; i++)
		raw[i] = s[i] == '+' ? ' ' : s[i];
	return request_percent_decode(raw, len, out, outlen);
}

static void
read_query(struct manage_call *call)
{
	const char *qs = request_param(call->req, "QUERY_STRING"), *p;
	size_t used = 0, room = sizeof(call->query_space), i;

	if (qs == NULL || qs[0] == '\0')
		return;
	if (strlen(qs) > HF_QUERY_MAX_LEN) {
		input_invalid(call, 400, "invalid_request",
			      "the query string is longer than %d bytes", HF_QUERY_MAX_LEN);
		return;
	}
	for (p = qs; *p != '\0';) {
		size_t len = strcspn(p, "&"), klen = strcspn(p, "=&");
		struct manage_query_param *q;

		if (len == 0) {
			p++;
			continue;
		}
		if (call->query_count == HF_QUERY_PARAMS_MAX) {
			input_invalid(call, 400, "invalid_request",
				      "at most %d query parameters", HF_QUERY_PARAMS_MAX);
			return;
		}
		q = &call->query[call->query_count];
		q->name = call->query_space + used;
		if (!query_decode(p, klen, call->query_space + used, room - used))
			goto bad;
		used += strlen(q->name) + 1;
		q->value = call->query_space + used;
		if (!query_decode(p + (klen < len ? klen + 1 : len),
				  klen < len ? len - klen - 1 : 0,
				  call->query_space + used, room - used))
			goto bad;
		used += strlen(q->value) + 1;
		for (i = 0; i < call->query_count; i++) {
			if (strcmp(call->query[i].name, q->name) == 0) {
				input_invalid(call, 400, "invalid_request",
					      "query parameter %.64s is given twice", q->name);
				return;
			}
		}
		if (!hf_utf8_valid(q->name, strlen(q->name)) ||
		    !hf_utf8_valid(q->value, strlen(q->value)))
			goto bad;
		call->query_count++;
		p += len;
	}
	return;
bad:
	input_invalid(call, 400, "invalid_request",
		      "the query string is not valid percent-encoded UTF-8");
	call->query_count = 0;
}

/* The body of a POST, PUT or PATCH, as an object. */
static void
read_body(struct manage_call *call)
{
	struct hf_server *server = call->server;
	size_t cap = (size_t)server->cfg.max_payload_bytes, len = 0;
	const char *method = request_method(call->req);
	char errstr[256];

	if (strcmp(method, "POST") != 0 && strcmp(method, "PATCH") != 0 &&
	    strcmp(method, "PUT") != 0)
		return;
	switch (request_read_body(call->req, server->body, cap, &len)) {
	case REQUEST_BODY_OK:
		break;
	case REQUEST_BODY_TOO_LARGE:
		input_invalid(call, 413, "payload_too_large",
			      "the body is larger than %zu bytes", cap);
		return;
	case REQUEST_BODY_BAD_LENGTH:
		input_invalid(call, 400, "invalid_request",
			      "Content-Length is not a decimal number");
		return;
	default:
		input_invalid(call, 400, "invalid_request",
			      "the request body could not be read");
		return;
	}
	call->raw_body = server->body;
	call->raw_body_len = len;
	if (len == 0) {
		call->body = json_object_new_object();
		return;
	}
	if (!request_is_json(call->req)) {
		input_invalid(call, 415, "unsupported_media_type",
			      "the body must be JSON: send Content-Type: application/json");
		return;
	}
	if (hf_json_parse(server->body, len, &call->body, errstr, sizeof(errstr)) != HF_OK) {
		input_invalid(call, 400, "invalid_json", "%s", errstr);
		return;
	}
	if (!json_object_is_type(call->body, json_type_object))
		input_invalid(call, 400, "invalid_request", "the body must be a JSON object");
}

/* Idempotency-Key, on a POST only. */
static void
read_idempotency_key(struct manage_call *call)
{
	if (strcmp(request_method(call->req), "POST") != 0)
		return;
	if (request_idempotency_key(call->req, call->idempotency_key) ==
	    REQUEST_IDEMPOTENCY_INVALID)
		input_invalid(call, 400, "invalid_request",
			      "Idempotency-Key must be 1 to %d visible ASCII characters",
			      HF_IDEMPOTENCY_KEY_MAX_LEN);
}

/*
 * What the request was, for Idempotency-Key: the method, the route, its
 * parameters and the body's bytes.  The route, not the path: the two web
 * servers spell one path differently.
 */
static bool
hash_request(struct manage_call *call)
{
	const struct route_match *m = call->match;
	size_t room = strlen(m->route->method) + strlen(m->route->pattern) +
		      call->raw_body_len + 4, used, i;
	char *text;

	for (i = 0; i < m->count; i++)
		room += strlen(m->params[i]) + 1;
	text = malloc(room);
	if (text == NULL)
		return false;
	used = (size_t)snprintf(text, room, "%s\n%s\n", m->route->method,
				m->route->pattern);
	for (i = 0; i < m->count; i++)
		used += (size_t)snprintf(text + used, room - used, "%s\n", m->params[i]);
	memcpy(text + used, call->raw_body != NULL ? call->raw_body : "",
	       call->raw_body_len);
	hf_sha256_hex(text, used + call->raw_body_len, call->request_hash);
	free(text);
	return true;
}

/* ---- the transaction ---------------------------------------------------- */

/* The answer is a stored one: roll back, then send previous. */
#define REPLAYED HF_ERR_REFUSED

static enum hf_result
authenticate(struct hf_db *db, struct manage_call *call)
{
	char key[HF_API_KEY_MAX_LEN + 1], hash[HF_SHA256_HEX_LEN + 1];
	enum hf_key_kind kind;
	enum hf_result r;

	if (!request_api_key(call->req, key))
		return manage_fail(call, HF_ERR_NOT_FOUND, "unauthorized",
				   "missing or malformed API key: send Authorization: Bearer KEY or X-API-Key: KEY");
	hf_sha256_hex(key, strlen(key), hash);
	/* Idempotency-Keys are the caller's own: a key or portal token. */
	if (call->idempotency_key[0] != '\0') {
		r = hf_idempotency_caller_init(&call->caller, key, hash);
		if (r != HF_OK)
			return r;
	}
	if (strncmp(key, HF_PORTAL_TOKEN_PREFIX, strlen(HF_PORTAL_TOKEN_PREFIX)) == 0)
		return portal_authenticate(db, call, key);
	r = hf_api_key_authenticate(db, hash, &kind, &call->scope);
	if (r == HF_ERR_NOT_FOUND)
		return manage_fail(call, r, "unauthorized",
				   "unknown or revoked API key");
	if (r != HF_OK)
		return r;
	if (kind != HF_KEY_MANAGEMENT)
		return manage_fail(call, HF_ERR_REFUSED, "forbidden",
				   "an ingest key cannot use the management API; use a management key (hfm_)");
	return HF_OK;
}

static enum hf_result
manage_transaction(struct hf_db *db, void *arg)
{
	struct manage_call *call = arg;
	const char *text;
	enum hf_result r;

	manage_reply(call, 0, NULL);
	call->code = NULL;
	call->message[0] = '\0';
	free(call->reply_text);
	call->reply_text = NULL;
	hf_idempotency_answer_free(&call->previous);

	r = authenticate(db, call);
	if (r != HF_OK)
		return r;
	if (call->input_status != 0)
		return manage_fail(call, HF_ERR_INVALID, call->input_code, "%s",
				   call->input_message);
	if (call->idempotency_key[0] != '\0') {
		r = hf_idempotency_claim(db, call->scope.workspace_id, &call->caller,
					 call->idempotency_key, call->request_hash,
					 0, "", 0, &call->previous);
		if (r != HF_OK)
			return r;
		if (call->previous.state == HF_IDEMPOTENCY_REPLAY)
			return REPLAYED;
		if (call->previous.state == HF_IDEMPOTENCY_MISMATCH)
			return manage_fail(call, HF_ERR_INVALID, "idempotency_key_reused",
					   "this Idempotency-Key was used for another request in the last %d hours",
					   HF_IDEMPOTENCY_TTL_HOURS);
	}
	r = call->match->route->manage(db, call);
	if (r != HF_OK)
		return r;
	if (call->reply != NULL) {
		text = reply_json_text(call->reply, &call->reply_text_len);
		call->reply_text = strdup(text);
		if (call->reply_text == NULL)
			return HF_ERR_NOMEM;
	}
	if (call->idempotency_key[0] != '\0')
		r = hf_idempotency_finish(db, call->scope.workspace_id, &call->caller,
					  call->idempotency_key, call->request_hash,
					  call->status,
					  call->reply_text != NULL ? call->reply_text : "",
					  call->reply_text_len);
	return r;
}

static void
reply_failure(struct manage_call *call, enum hf_result r, struct hf_db *db)
{
	const char *code, *headers = NULL;
	int status;

	manage_error(r, &status, &code);
	if (call->code != NULL) {
		code = call->code;
		if (strcmp(code, "unauthorized") == 0)
			status = 401, headers = WWW_AUTHENTICATE;
		else if (strcmp(code, "forbidden") == 0)
			status = 403;
		else if (strcmp(code, "idempotency_key_reused") == 0)
			status = 422;
		else if (strcmp(code, "payload_too_large") == 0)
			status = 413;
		else if (strcmp(code, "unsupported_media_type") == 0)
			status = 415;
		else if (strcmp(code, "not_implemented") == 0)
			status = 501;
	}
	if (status == 503)
		headers = RETRY_LATER;
	if (status >= 500 && status != 501) {
		hf_log(HF_LOG_ERROR, "management request failed: %s: %s",
		       hf_result_str(r), db != NULL ? hf_db_error(db) : "no database");
		snprintf(call->message, sizeof(call->message), "%s",
			 r == HF_ERR_DB_COMMIT_LOST
				 ? "the commit was cut short and the database cannot tell whether the change was made; retry later, with the same Idempotency-Key to make it at most once"
			 : status == 503 ? "the database is unavailable; nothing was changed; retry later"
					 : "internal error; nothing was changed");
	}
	if (svix_path(call->match->route->pattern))
		svix_reply_error(call->req, status, headers, code, call->message);
	else
		reply_error(call->req, status, headers, code, "%s", call->message);
}

void
manage_serve(struct hf_server *server, struct hf_request *req,
	     const struct route_match *match)
{
	struct manage_call *call = calloc(1, sizeof(*call));	/* large */
	struct hf_db *db;
	enum hf_result r;

	if (call == NULL) {
		reply_error(req, 500, NULL, "internal_error", "out of memory");
		return;
	}
	call->server = server;
	call->req = req;
	call->match = match;
	read_body(call);
	read_query(call);
	read_idempotency_key(call);
	if (call->idempotency_key[0] != '\0' && !hash_request(call)) {
		reply_error(req, 500, NULL, "internal_error", "out of memory");
		goto out;
	}
	db = server_manage_db(server);
	if (db == NULL) {
		reply_failure(call, HF_ERR_DB_GONE, NULL);
		goto out;
	}
	hf_db_set_deadline(db, hf_monotonic_ms() + HF_MANAGE_TIMEOUT_MS);
	r = hf_db_transaction(db, manage_transaction, call);
	hf_db_set_deadline(db, 0);
	if (r == REPLAYED && call->previous.state == HF_IDEMPOTENCY_REPLAY)
		reply_text(req, call->previous.status, "Idempotent-Replayed: true\r\n",
			   call->previous.body, call->previous.body_len, false);
	else if (r != HF_OK)
		reply_failure(call, r, db);
	else
		reply_text(req, call->status, NULL,
			   call->reply_text != NULL ? call->reply_text : "",
			   call->reply_text_len, false);
out:
	json_object_put(call->body);
	json_object_put(call->reply);
	free(call->reply_text);
	hf_idempotency_answer_free(&call->previous);
	free(call);
}

/* ---- body fields ------------------------------------------------------ */

enum hf_result
manage_body_fields(struct manage_call *call, const char *const *allowed)
{
	size_t i;

	json_object_object_foreach(call->body, key, value) {
		(void)value;
		for (i = 0; allowed[i] != NULL; i++) {
			if (strcmp(allowed[i], key) == 0)
				break;
		}
		if (allowed[i] == NULL)
			return manage_invalid(call, "unknown field \"%.64s\"", key);
	}
	return HF_OK;
}

/* The field, or NULL when absent or JSON null. */
static struct json_object *
body_field(struct manage_call *call, const char *name)
{
	struct json_object *v = NULL;

	if (call->body == NULL || !json_object_object_get_ex(call->body, name, &v))
		return NULL;
	return v;
}

enum hf_result
manage_body_string(struct manage_call *call, const char *name, bool required,
		   size_t max_len, const char **value)
{
	struct json_object *v = body_field(call, name);

	*value = NULL;
	if (v == NULL)
		return required ? manage_invalid(call, "%s is required", name) : HF_OK;
	if (!json_object_is_type(v, json_type_string))
		return manage_invalid(call, "%s must be a string", name);
	if ((size_t)json_object_get_string_len(v) > max_len)
		return manage_invalid(call, "%s is longer than %zu bytes", name, max_len);
	*value = json_object_get_string(v);
	return HF_OK;
}

enum hf_result
manage_body_id(struct manage_call *call, const char *name, const char **value)
{
	enum hf_result r = manage_body_string(call, name, false, HF_ID_MAX_LEN, value);

	if (r == HF_OK && *value != NULL && !hf_id_plausible(*value))
		return manage_invalid(call, "%s is not an id", name);
	return r;
}

enum hf_result
manage_body_int(struct manage_call *call, const char *name, long min, long max,
		long *value, bool *given)
{
	struct json_object *v = body_field(call, name);
	int64_t n;

	*given = false;
	if (v == NULL)
		return HF_OK;
	if (!json_object_is_type(v, json_type_int))
		return manage_invalid(call, "%s must be a whole number from %ld to %ld",
				      name, min, max);
	n = json_object_get_int64(v);
	if (n < min || n > max)
		return manage_invalid(call, "%s must be a whole number from %ld to %ld",
				      name, min, max);
	*value = (long)n;
	*given = true;
	return HF_OK;
}

enum hf_result
manage_body_event_types(struct manage_call *call, const char *name,
			const char **types, size_t max_count, size_t *count,
			bool *given)
{
	struct json_object *v = body_field(call, name), *item;
	size_t n, i;

	*count = 0;
	*given = false;
	if (v == NULL)
		return HF_OK;
	if (!json_object_is_type(v, json_type_array))
		return manage_invalid(call, "%s must be an array of event type names", name);
	n = json_object_array_length(v);
	if (n == 0 || n > max_count)
		return manage_invalid(call, "%s must hold 1 to %zu event types (\"*\" for all)",
				      name, max_count);
	for (i = 0; i < n; i++) {
		item = json_object_array_get_idx(v, i);
		if (!json_object_is_type(item, json_type_string) ||
		    !hf_event_type_valid(json_object_get_string(item),
					 (size_t)json_object_get_string_len(item), true))
			return manage_invalid(call,
					      "%s[%zu] must be 1 to %d characters of A-Z a-z 0-9 . _ - : (or \"*\")",
					      name, i, HF_EVENT_TYPE_MAX_LEN);
		types[i] = json_object_get_string(item);
	}
	*count = n;
	*given = true;
	return HF_OK;
}

/* ---- query and lists -------------------------------------------------- */

const char *
manage_query(struct manage_call *call, const char *name)
{
	size_t i;

	for (i = 0; i < call->query_count; i++) {
		if (strcmp(call->query[i].name, name) == 0) {
			call->query[i].used = true;
			return call->query[i].value;
		}
	}
	return NULL;
}

enum hf_result
manage_query_id(struct manage_call *call, const char *name, const char **value)
{
	*value = manage_query(call, name);
	if (*value != NULL && (strlen(*value) > HF_ID_MAX_LEN || !hf_id_plausible(*value)))
		return manage_invalid(call, "%s is not an id", name);
	return HF_OK;
}

enum hf_result
manage_page(struct manage_call *call, const char *id_prefix,
	    struct hf_page *page)
{
	const char *limit = manage_query(call, "limit");
	const char *cursor = manage_query(call, "cursor");
	size_t i;
	char *end;
	long n;

	page->limit = HF_API_LIST_LIMIT_DEFAULT;
	page->before_id = NULL;
	if (limit != NULL) {
		n = strtol(limit, &end, 10);
		if (limit[0] < '0' || limit[0] > '9' || *end != '\0' || end - limit > 3 ||
		    n < 1 || n > HF_API_LIST_LIMIT_MAX)
			return manage_invalid(call, "limit must be a whole number from 1 to %d",
					      HF_API_LIST_LIMIT_MAX);
		page->limit = n;
	}
	if (cursor != NULL) {
		if (strlen(cursor) > HF_API_CURSOR_MAX_LEN || !hf_id_valid(cursor, id_prefix))
			return manage_fail(call, HF_ERR_INVALID, "invalid_cursor",
					   "cursor is not one this list gave out");
		page->before_id = cursor;
	}
	for (i = 0; i < call->query_count; i++) {
		if (!call->query[i].used)
			return manage_invalid(call, "unknown query parameter \"%.64s\"",
					      call->query[i].name);
	}
	return HF_OK;
}

void
manage_reply_list(struct manage_call *call, struct json_object *items,
		  bool more, const char *last_id)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "data", items);
	json_object_object_add(o, "next_cursor",
			       more && last_id != NULL ? json_object_new_string(last_id) : NULL);
	manage_reply(call, 200, o);
}

struct json_object *
manage_json_optional(const char *s)
{
	return s != NULL && s[0] != '\0' ? json_object_new_string(s) : NULL;
}
