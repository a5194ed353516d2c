/*
 * The Svix-compatible API (/api/v1/...): Svix's routes, field names,
 * statuses, list envelope and error body over hookfan's entities, so
 * that Svix's client libraries work against hookfan given its base URL
 * and a management key.  Its rows run through manage.c (the key, its
 * scope, the body, Idempotency-Key, one transaction), except creating a
 * message, which is send-message's ingest transaction (svix_messages.c).
 * What hookfan has no counterpart for answers 501 not_implemented.
 */
#ifndef HF_CGI_SVIX_H
#define HF_CGI_SVIX_H

#include <stdbool.h>

#include <json-c/json.h>

#include "application.h"
#include "manage.h"

/* The prefix of every route of this API. */
#define SVIX_PREFIX "/api/v1/"

extern const struct route svix_routes[];	/* svix_routes.c */

/* Whether path is under SVIX_PREFIX. */
bool svix_path(const char *path);

/*
 * An error in Svix's shape: {"code", "detail"}; hookfan's 400
 * invalid_request is Svix's 422 validation error, whose detail is a
 * list of {loc, msg, type}.
 */
void svix_reply_error(struct hf_request *req, int status, const char *headers,
		      const char *code, const char *detail);

/* 501 not_implemented: a Svix route or feature hookfan does not have. */
void svix_reply_unsupported(struct hf_request *req);

/* Fail the call with 501 not_implemented naming what. */
enum hf_result svix_unsupported(struct manage_call *call, const char *what);

/*
 * Forget a lookup's failure (its code and message) before PUT creates
 * what the lookup did not find: a failure of the create (a unique name
 * taken meanwhile) must answer with its own code, not not_found.
 */
void svix_forget_failure(struct manage_call *call);

/* The application path parameter i names (its id or its uid), in scope. */
enum hf_result svix_app(struct hf_db *db, struct manage_call *call, size_t i,
			struct hf_application *app);

/* The endpoint of path parameter i in the application of parameter 0
 * (lock: FOR UPDATE); free it with hf_endpoint_clear. */
struct hf_endpoint;
enum hf_result svix_endpoint(struct hf_db *db, struct manage_call *call, size_t i,
			     bool lock, struct hf_application *app,
			     struct hf_endpoint *e);

/* limit (1..HF_SVIX_LIST_LIMIT_MAX) and iterator (an id of id_prefix);
 * then any query parameter no one read is refused. */
enum hf_result svix_page(struct manage_call *call, const char *id_prefix,
			 struct hf_page *page);

/* {"data", "iterator", "prevIterator", "done"}; items is taken over. */
void svix_reply_list(struct manage_call *call, struct json_object *items,
		     bool more, const char *last_id);

/* A boolean body field into *value; *given whether it was there. */
enum hf_result svix_body_bool(struct manage_call *call, const char *name,
			      bool *value, bool *given);

/* A JSON field that hookfan cannot keep: 501 unless absent, null, or
 * (empty_ok) an empty object or array. */
enum hf_result svix_refuse_field(struct manage_call *call, const char *name,
				 bool empty_ok);

/* Route functions (svix_*.c). */
route_manage_fn svix_app_list, svix_app_create, svix_app_get, svix_app_put,
	svix_app_patch, svix_app_delete;
route_manage_fn svix_endpoint_list, svix_endpoint_create, svix_endpoint_get,
	svix_endpoint_put, svix_endpoint_patch, svix_endpoint_delete,
	svix_endpoint_secret, svix_endpoint_rotate, svix_endpoint_recover,
	svix_endpoint_stats;
route_manage_fn svix_msg_list, svix_msg_get, svix_attempts_by_msg,
	svix_attempts_by_endpoint, svix_attempt_get, svix_resend;
route_serve_fn svix_msg_create;
route_manage_fn svix_event_type_list, svix_event_type_create, svix_event_type_get,
	svix_event_type_put, svix_event_type_patch;

#endif
