/*
 * The route table of hookfan.fcgi: {method, pattern, handler} rows, where
 * a pattern is a path of literal segments and {name} segments that match
 * any one non-empty segment.  A path that some row matches with another
 * method is 405 with Allow; a path no row matches is 404.
 *
 * A row has either serve (it does everything itself: the ingest APIs,
 * /healthz) or manage (run by manage.c: a management key, its scope, the
 * body, Idempotency-Key, one transaction, the JSON answer).
 */
#ifndef HF_CGI_ROUTER_H
#define HF_CGI_ROUTER_H

#include <stddef.h>

#include "limits.h"
#include "request.h"

struct hf_server;
struct route;
struct manage_call;
struct hf_db;

/* The route a request matched, with its {name} segments, decoded. */
struct route_match {
	const struct route *route;
	size_t count;
	char params[HF_ROUTE_MAX_PARAMS][HF_REQUEST_PATH_MAX];
};

typedef void route_serve_fn(struct hf_server *server, struct hf_request *req,
			    const struct route_match *match);
/* See manage.h. */
typedef enum hf_result route_manage_fn(struct hf_db *db, struct manage_call *call);

struct route {
	const char *method;
	const char *pattern;
	route_serve_fn *serve;
	route_manage_fn *manage;
};

/* The tables, each ended by a row with a NULL method. */
extern const struct route core_routes[];	/* router.c */
extern const struct route manage_routes[];	/* manage_routes.c */
extern const struct route message_routes[];	/* message_routes.c */

/* Route one request: a handler's answer, or 404 / 405 with Allow. */
void router_dispatch(struct hf_server *server, struct hf_request *req);

#endif
