/*
 * Unit tests of cgi/router.c, #included with stand-ins for the handlers
 * and replies it calls: which row a path and method reach, what {name}
 * segments hold (decoded from a raw path), the Allow list of a 405, and
 * the 404 of an unknown path or one with an empty segment.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "tap.h"

#include "../../cgi/router.c"

/* What the stand-ins saw. */
static const char *served;
static char first_param[HF_REQUEST_PATH_MAX], second_param[HF_REQUEST_PATH_MAX];
static int replied_status;
static char replied_allow[160];

void
health_handle(struct hf_server *server, struct hf_request *req)
{
	(void)server, (void)req;
	served = "health";
}

void
metrics_handle(struct hf_server *server, struct hf_request *req)
{
	(void)server, (void)req;
	served = "metrics";
}

void
trigger_handle(struct hf_server *server, struct hf_request *req,
	       const char *event_type)
{
	(void)server, (void)req;
	served = "trigger";
	snprintf(first_param, sizeof(first_param), "%s", event_type);
}

void
send_message_handle(struct hf_server *server, struct hf_request *req,
		    const char *app_id)
{
	(void)server, (void)req;
	served = "send";
	snprintf(first_param, sizeof(first_param), "%s", app_id);
}

void
manage_serve(struct hf_server *server, struct hf_request *req,
	     const struct route_match *match)
{
	(void)server, (void)req;
	served = match->route->pattern;
	snprintf(first_param, sizeof(first_param), "%s", match->count > 0 ? match->params[0] : "");
	snprintf(second_param, sizeof(second_param), "%s", match->count > 1 ? match->params[1] : "");
}

void
reply_error(struct hf_request *req, int status, const char *extra_headers,
	    const char *code, const char *fmt, ...)
{
	(void)req, (void)code, (void)fmt;
	replied_status = status;
	snprintf(replied_allow, sizeof(replied_allow), "%s",
		 extra_headers != NULL ? extra_headers : "");
}

static enum hf_result
no_op(struct hf_db *db, struct manage_call *call)
{
	(void)db, (void)call;
	return HF_OK;
}

const struct route manage_routes[] = {
	{ "GET", "/v1/applications/{id}", NULL, no_op },
	{ "PATCH", "/v1/applications/{id}", NULL, no_op },
	{ "GET", "/v1/applications/{appId}/endpoints/{id}", NULL, no_op },
	{ NULL, NULL, NULL, NULL }
};
const struct route message_routes[] = {
	{ "GET", "/v1/applications/{appId}/messages", NULL, no_op },
	{ NULL, NULL, NULL, NULL }
};
const struct route svix_routes[] = {
	{ "GET", "/api/v1/app", NULL, no_op },
	{ NULL, NULL, NULL, NULL }
};

bool
svix_path(const char *path)
{
	return strncmp(path, "/api/v1/", 8) == 0;
}

void
svix_reply_unsupported(struct hf_request *req)
{
	(void)req;
	replied_status = 501;
}

/* Route method on PATH_INFO path_info (may be NULL) and REQUEST_URI uri. */
static void
route(const char *method, const char *path_info, const char *uri)
{
	static char vars[3][HF_REQUEST_PATH_MAX + 32];
	char *envp[4];
	struct hf_request req;
	int n = 0;

	served = NULL;
	replied_status = 0;
	first_param[0] = second_param[0] = replied_allow[0] = '\0';
	snprintf(vars[0], sizeof(vars[0]), "REQUEST_METHOD=%s", method);
	envp[n++] = vars[0];
	if (path_info != NULL) {
		snprintf(vars[1], sizeof(vars[1]), "PATH_INFO=%s", path_info);
		envp[n++] = vars[1];
	}
	snprintf(vars[2], sizeof(vars[2]), "REQUEST_URI=%s", uri);
	envp[n++] = vars[2];
	envp[n] = NULL;
	memset(&req, 0, sizeof(req));
	req.envp = envp;
	router_dispatch(NULL, &req);
}

int
main(void)
{
	route("GET", NULL, "/healthz");
	is_str(served, "health", "GET /healthz");
	route("HEAD", NULL, "/healthz?x=1");
	is_str(served, "health", "HEAD /healthz, query left out");
	route("POST", NULL, "/healthz");
	is_int(replied_status, 405, "POST /healthz is 405");
	is_str(replied_allow, "Allow: GET, HEAD\r\n", "its Allow");
	route("GET", NULL, "/metrics");
	is_str(served, "metrics", "GET /metrics");
	route("DELETE", NULL, "/metrics");
	is_int(replied_status, 405, "DELETE /metrics is 405");

	route("POST", NULL, "/api/ingest/event/order.paid");
	is_str(served, "trigger", "the trigger");
	is_str(first_param, "order.paid", "its event type");
	route("POST", NULL, "/api/ingest/event/a%2Eb");
	is_str(first_param, "a.b", "a raw segment is decoded");
	route("POST", "/api/ingest/event/a b", "/x/api/ingest/event/a%20b");
	is_str(served, "trigger", "PATH_INFO first (mounted under a prefix)");
	is_str(first_param, "", "a segment that is not visible ASCII is \"\"");

	route("POST", NULL, "/v1/applications/app_1/messages");
	is_str(served, "send", "send-message");
	route("GET", NULL, "/v1/applications/app_1/messages");
	is_str(served, "/v1/applications/{appId}/messages", "GET on the same path, another table");
	route("DELETE", NULL, "/v1/applications/app_1/messages");
	is_str(replied_allow, "Allow: POST, GET\r\n", "Allow across tables, in table order");

	route("GET", NULL, "/v1/applications/app_1/endpoints/ep_2");
	is_str(served, "/v1/applications/{appId}/endpoints/{id}", "two parameters");
	is_str(first_param, "app_1", "the first");
	is_str(second_param, "ep_2", "the second");
	route("DELETE", NULL, "/v1/applications/app_1");
	is_int(replied_status, 405, "a known path, another method");
	is_str(replied_allow, "Allow: GET, PATCH\r\n", "its Allow");

	route("GET", NULL, "/v1/applications/app_1/endpoints");
	is_int(replied_status, 404, "a path no row has");
	route("POST", NULL, "/api/ingest/event/");
	is_int(replied_status, 404, "an empty last segment");
	route("POST", NULL, "/api/ingest/event/a/b");
	is_int(replied_status, 404, "one segment too many");
	route("POST", "/v1/applications/messages", "/v1/applications//messages");
	is_int(replied_status, 404, "an empty segment the server folded away");
	route("GET", NULL, "/healthz/");
	is_int(replied_status, 404, "a trailing slash");

	route("GET", NULL, "/api/v1/app");
	is_str(served, "/api/v1/app", "a Svix route");
	route("DELETE", NULL, "/api/v1/app");
	is_int(replied_status, 501, "a Svix path, a method hookfan has not: 501");
	route("GET", NULL, "/api/v1/app/app_1/integration");
	is_int(replied_status, 501, "a Svix path hookfan has not: 501");
	route("GET", NULL, "/api/v2/app");
	is_int(replied_status, 404, "outside /api/v1/: 404");
	return tap_done();
}
