/*
 * portal.c: application portal links (see portal.h).  A portal token
 * opens, for its one application, what that application's customer
 * needs to watch and repair their webhooks: the application, its
 * endpoints, its messages and their deliveries, and retrying a delivery.
 * Nothing that shows a secret, changes an endpoint, or names another
 * application is reachable with it.
 */
#include <stdio.h>
#include <string.h>

#include "application.h"
#include "db_portal.h"
#include "portal.h"

/* What a route needs checked before a portal token may use it. */
enum portal_check {
	PORTAL_APP_IN_PATH,	/* path parameter 0 is the application */
	PORTAL_ENDPOINT_FILTER,	/* ?endpoint_id= names one of its endpoints */
	PORTAL_DELIVERY_IN_PATH	/* path parameter 0 is a delivery to one */
};

/* The routes a portal token opens, spelled as in the route tables. */
static const struct portal_route {
	const char *method;
	const char *pattern;
	enum portal_check check;
} portal_routes[] = {
	{ "GET", "/v1/applications/{id}", PORTAL_APP_IN_PATH },
	{ "GET", "/v1/applications/{appId}/endpoints", PORTAL_APP_IN_PATH },
	{ "GET", "/v1/applications/{appId}/endpoints/{id}", PORTAL_APP_IN_PATH },
	{ "GET", "/v1/applications/{appId}/messages", PORTAL_APP_IN_PATH },
	{ "GET", "/v1/applications/{appId}/messages/{id}", PORTAL_APP_IN_PATH },
	{ "GET", "/v1/deliveries", PORTAL_ENDPOINT_FILTER },
	{ "GET", "/v1/deliveries/{id}", PORTAL_DELIVERY_IN_PATH },
	{ "POST", "/v1/deliveries/{id}/retry", PORTAL_DELIVERY_IN_PATH },
};

/* A Host header fit to put in a link: a name or address and a port. */
static bool
portal_host_valid(const char *host)
{
	size_t i, len = host != NULL ? strlen(host) : 0;

	if (len == 0 || len > HF_PORTAL_HOST_MAX_LEN)
		return false;
	for (i = 0; i < len; i++)
		if (strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			   "0123456789.-:[]", host[i]) == NULL)
			return false;
	return true;
}

enum hf_result
applications_portal(struct hf_db *db, struct manage_call *call)
{
	static const char *const fields[] = { "expires_in_minutes", NULL };
	char token[HF_PORTAL_TOKEN_LEN + 1], expires_at[HF_ISO_TIME_SIZE];
	char url[HF_PORTAL_HOST_MAX_LEN + HF_PORTAL_TOKEN_LEN + HF_ID_MAX_LEN + 64];
	const char *host = request_param(call->req, "HTTP_HOST");
	const char *https = request_param(call->req, "HTTPS");
	long minutes = HF_PORTAL_MINUTES_DEFAULT;
	struct hf_application app;
	struct json_object *reply;
	char errstr[256];
	enum hf_result r;
	bool given;

	/* A stored answer would keep the token in plain text. */
	if (call->idempotency_key[0] != '\0')
		return manage_invalid(call, "a portal link is not made under an "
				      "Idempotency-Key: its answer, token and all, would be stored");
	if ((r = manage_body_fields(call, fields)) != HF_OK ||
	    (r = manage_body_int(call, "expires_in_minutes", 1, HF_PORTAL_MINUTES_MAX,
				 &minutes, &given)) != HF_OK)
		return r;
	if (!given)
		minutes = HF_PORTAL_MINUTES_DEFAULT;
	r = hf_application_get(db, &call->scope, manage_param(call, 0), false, &app,
			       errstr, sizeof(errstr));
	if (r == HF_OK)
		r = hf_portal_create(db, call->scope.workspace_id, app.id, (int)minutes,
				     token, expires_at, errstr, sizeof(errstr));
	if (r != HF_OK)
		return manage_failed(call, r, errstr);
	if (portal_host_valid(host))
		snprintf(url, sizeof(url), "%s://%s/ui/#portal=%s&app=%s",
			 https != NULL && strcmp(https, "on") == 0 ? "https" : "http",
			 host, token, app.id);
	else
		snprintf(url, sizeof(url), "/ui/#portal=%s&app=%s", token, app.id);
	reply = json_object_new_object();
	json_object_object_add(reply, "url", json_object_new_string(url));
	json_object_object_add(reply, "expires_at", json_object_new_string(expires_at));
	manage_reply(call, 201, reply);
	return HF_OK;
}

static const struct portal_route *
portal_route_find(const struct route *route)
{
	size_t i;

	for (i = 0; i < sizeof(portal_routes) / sizeof(portal_routes[0]); i++)
		if (strcmp(portal_routes[i].method, route->method) == 0 &&
		    strcmp(portal_routes[i].pattern, route->pattern) == 0)
			return &portal_routes[i];
	return NULL;
}

enum hf_result
portal_authenticate(struct hf_db *db, struct manage_call *call, const char *token)
{
	const struct portal_route *allowed;
	char app_id[HF_ID_MAX_LEN + 1];
	const char *endpoint_id = NULL;
	char errstr[256];
	enum hf_result r;

	r = hf_portal_authenticate(db, token, call->scope.workspace_id, app_id,
				   errstr, sizeof(errstr));
	if (r == HF_ERR_NOT_FOUND)
		return manage_fail(call, r, "unauthorized",
				   "unknown or expired portal link: ask for a new one");
	if (r != HF_OK)
		return r;
	call->scope.environment_id[0] = '\0';
	strcpy(call->portal_app_id, app_id);
	allowed = portal_route_find(call->match->route);
	if (allowed == NULL)
		return manage_fail(call, HF_ERR_REFUSED, "forbidden",
				   "a portal link opens only its application's endpoints, messages and deliveries");
	switch (allowed->check) {
	case PORTAL_APP_IN_PATH:
		if (strcmp(manage_param(call, 0), app_id) == 0)
			return HF_OK;
		return manage_fail(call, HF_ERR_NOT_FOUND, "not_found",
				   "unknown application \"%s\"", manage_param(call, 0));
	case PORTAL_ENDPOINT_FILTER:
		r = manage_query_id(call, "endpoint_id", &endpoint_id);
		if (r != HF_OK)
			return r;
		if (endpoint_id == NULL)
			return manage_fail(call, HF_ERR_REFUSED, "forbidden",
					   "a portal link lists the deliveries of one endpoint: give endpoint_id");
		r = hf_portal_endpoint_in_app(db, endpoint_id, app_id, errstr, sizeof(errstr));
		break;
	case PORTAL_DELIVERY_IN_PATH:
		r = hf_portal_delivery_in_app(db, manage_param(call, 0), app_id, errstr,
					      sizeof(errstr));
		break;
	}
	return r == HF_OK ? r : manage_failed(call, r, errstr);
}
