/*
 * The management API's framework (the /v1/... routes other than
 * send-message): what every management request goes through, so that a
 * handler only reads its input and calls the entity modules.
 *
 * manage_serve(), for a route row with a manage function:
 *  1. reads the body of a POST, PUT or PATCH (JSON by Content-Type, at most
 *     max_payload_bytes, strict JSON, an object; empty is {}) and the
 *     query string, remembering what is wrong with them;
 *  2. in one transaction on server_manage_db(): authenticates the key
 *     (Bearer or X-API-Key; unknown or revoked: 401 unauthorized; an
 *     ingest key: 403 forbidden), takes its scope (call->scope), refuses
 *     the bad input of step 1 (400), claims the Idempotency-Key of a
 *     POST (idempotency.h: a replay answers the first answer, another
 *     request under the same key is 422 idempotency_key_reused), runs
 *     the handler, stores its answer under the key, commits;
 *  3. answers: the handler's status and call->reply, or the error.
 *
 * A handler (route_manage_fn) may run more than once (the transaction is
 * redone after a deadlock): it sets call->status and call->reply (with
 * manage_reply, which replaces what a try before left) and returns HF_OK
 * to commit; or it returns an error and everything is rolled back.  An
 * error's answer comes from manage_error's mapping of the result, with
 * call->message as its message, unless the handler set call->code.
 */
#ifndef HF_CGI_MANAGE_H
#define HF_CGI_MANAGE_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "entity.h"
#include "idempotency.h"
#include "router.h"
#include "routes.h"

struct manage_query_param {
	const char *name;	/* decoded, in call->query_space */
	const char *value;
	bool used;		/* read by a handler: not unknown */
};

struct manage_call {
	struct hf_server *server;
	struct hf_request *req;
	const struct route_match *match;
	struct hf_scope scope;		/* the key's */
	char portal_app_id[HF_ID_MAX_LEN + 1]; /* a portal token's; else "" */
	struct json_object *body;	/* POST, PUT, PATCH: an object; else NULL */

	/* The answer: status and reply, or an error. */
	int status;
	struct json_object *reply;	/* owned by the call */
	const char *code;		/* NULL: manage_error's for the result */
	char message[512];

	/* Internal to manage.c. */
	struct manage_query_param query[HF_QUERY_PARAMS_MAX];
	size_t query_count;
	char query_space[HF_QUERY_MAX_LEN + HF_QUERY_PARAMS_MAX * 2];
	int input_status;		/* 0, or the input's error (step 1) */
	const char *input_code;
	char input_message[512];
	const char *raw_body;
	size_t raw_body_len;
	char idempotency_key[HF_IDEMPOTENCY_KEY_MAX_LEN + 1]; /* "": none */
	char request_hash[65];
	struct hf_idempotency_caller caller; /* the key's, for the claim */
	struct hf_idempotency_answer previous;
	char *reply_text;		/* the answer as sent and stored */
	size_t reply_text_len;
};

/* Run a management route; see above. */
void manage_serve(struct hf_server *server, struct hf_request *req,
		  const struct route_match *match);

/* The HTTP status and code of an error result (the one mapping). */
void manage_error(enum hf_result r, int *status, const char **code);

/* Path parameter i (decoded; "" when it was not visible ASCII). */
const char *manage_param(const struct manage_call *call, size_t i);

/* Set the answer; reply is taken over (NULL: no body, e.g. 204). */
void manage_reply(struct manage_call *call, int status,
		  struct json_object *reply);

/* Fail with code and a printf message: returns r, for tail calls. */
enum hf_result manage_fail(struct manage_call *call, enum hf_result r,
			   const char *code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* 400 invalid_request naming what is wrong. */
#define manage_invalid(call, ...) \
	manage_fail((call), HF_ERR_INVALID, "invalid_request", __VA_ARGS__)

/* After an entity call failed with r and errstr: r, with errstr as the
 * message. */
enum hf_result manage_failed(struct manage_call *call, enum hf_result r,
			     const char *errstr);

/* 403 forbidden unless the key reaches the whole workspace. */
enum hf_result manage_require_workspace_scope(struct manage_call *call);

/* ---- the body (POST, PATCH) ---------------------------------------- */

/* HF_ERR_INVALID naming the first field of the body not in the
 * NULL-ended list allowed. */
enum hf_result manage_body_fields(struct manage_call *call,
				  const char *const *allowed);

/*
 * The string field name into *value (borrowed from the body; NULL when
 * absent or null): HF_ERR_INVALID, naming it, when it is required and
 * missing, is not a string, or is longer than max_len bytes.
 */
enum hf_result manage_body_string(struct manage_call *call, const char *name,
				  bool required, size_t max_len,
				  const char **value);

/* An id field: as manage_body_string, and it must look like an id. */
enum hf_result manage_body_id(struct manage_call *call, const char *name,
			      const char **value);

/* An integer field in [min, max] into *value; *given says whether it was
 * there (absent or null: false). */
enum hf_result manage_body_int(struct manage_call *call, const char *name,
			       long min, long max, long *value, bool *given);

/*
 * An array of event type names (each valid, "*" allowed), 1 to max_count
 * of them, into types (max_count slots, borrowed); *count 0 and types
 * untouched when absent or null.
 */
enum hf_result manage_body_event_types(struct manage_call *call,
				       const char *name, const char **types,
				       size_t max_count, size_t *count,
				       bool *given);

/* ---- the query string and lists -------------------------------------- */

/* Query parameter name (decoded), or NULL; marks it known. */
const char *manage_query(struct manage_call *call, const char *name);

/* An id filter: NULL when absent, else it must look like an id. */
enum hf_result manage_query_id(struct manage_call *call, const char *name,
			       const char **value);

/*
 * limit (1..HF_API_LIST_LIMIT_MAX, default HF_API_LIST_LIMIT_DEFAULT) and
 * cursor (400 invalid_cursor unless it is one this API gave out for ids
 * of id_prefix) into *page; then any query parameter no one asked for is
 * refused, naming it.  Call it after reading every filter.
 */
enum hf_result manage_page(struct manage_call *call, const char *id_prefix,
			   struct hf_page *page);

/*
 * The list answer {"data": items, "next_cursor": cursor or null}: items
 * is taken over; the cursor is made from last_id when more rows remain.
 */
void manage_reply_list(struct manage_call *call, struct json_object *items,
		       bool more, const char *last_id);

/* A JSON string, or null for "" (the entities' "none"). */
struct json_object *manage_json_optional(const char *s);

#endif
