/*
 * The application portal on the management API: the route that makes a
 * portal link, and the rule for requests that carry a portal token
 * (hfp_...) instead of a management key.
 */
#ifndef HF_CGI_PORTAL_H
#define HF_CGI_PORTAL_H

#include "manage.h"

/*
 * POST /v1/applications/{id}/portal {expires_in_minutes?}: 201
 * {url, expires_at}.  url is /ui/#portal=TOKEN&app=ID, absolute when the
 * request named its host: the token sits in the fragment, which browsers
 * never send, so it stays out of every server log.
 */
enum hf_result applications_portal(struct hf_db *db, struct manage_call *call);

/*
 * Authenticate token (it starts with HF_PORTAL_TOKEN_PREFIX) for the
 * route call matched: 401 unauthorized when it is unknown or expired, 403
 * forbidden on a route a customer has no use for, 404 for anything of
 * another application (as if it did not exist).  On HF_OK call->scope is
 * the token's workspace and call->portal_app_id its application.
 */
enum hf_result portal_authenticate(struct hf_db *db, struct manage_call *call,
				   const char *token);

#endif
