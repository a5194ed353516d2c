/*
 * The Svix API's route table.  A path under /api/v1/ that no row has
 * answers 501 not_implemented (router.c), as does a method no row has.
 */
#include "reply.h"
#include "svix.h"

/* GET /api/v1/health: Svix answers 204 and asks no key. */
static void
serve_health(struct hf_server *server, struct hf_request *req,
	     const struct route_match *match)
{
	(void)server;
	(void)match;
	reply_text(req, 204, NULL, "", 0, false);
}

#define APP "/api/v1/app/{app_id}"
#define EP APP "/endpoint/{endpoint_id}"
#define MSG APP "/msg/{msg_id}"

const struct route svix_routes[] = {
	{ "GET", "/api/v1/health", serve_health, NULL },
	{ "GET", "/api/v1/app", NULL, svix_app_list },
	{ "POST", "/api/v1/app", NULL, svix_app_create },
	{ "GET", APP, NULL, svix_app_get },
	{ "PUT", APP, NULL, svix_app_put },
	{ "PATCH", APP, NULL, svix_app_patch },
	{ "DELETE", APP, NULL, svix_app_delete },
	{ "GET", APP "/endpoint", NULL, svix_endpoint_list },
	{ "POST", APP "/endpoint", NULL, svix_endpoint_create },
	{ "GET", EP, NULL, svix_endpoint_get },
	{ "PUT", EP, NULL, svix_endpoint_put },
	{ "PATCH", EP, NULL, svix_endpoint_patch },
	{ "DELETE", EP, NULL, svix_endpoint_delete },
	{ "GET", EP "/secret", NULL, svix_endpoint_secret },
	{ "POST", EP "/secret/rotate", NULL, svix_endpoint_rotate },
	{ "POST", EP "/recover", NULL, svix_endpoint_recover },
	{ "GET", EP "/stats", NULL, svix_endpoint_stats },
	{ "GET", APP "/msg", NULL, svix_msg_list },
	{ "POST", APP "/msg", svix_msg_create, NULL },
	{ "GET", MSG, NULL, svix_msg_get },
	{ "GET", MSG "/attempt/{attempt_id}", NULL, svix_attempt_get },
	{ "POST", MSG "/endpoint/{endpoint_id}/resend", NULL, svix_resend },
	{ "GET", APP "/attempt/msg/{msg_id}", NULL, svix_attempts_by_msg },
	{ "GET", APP "/attempt/endpoint/{endpoint_id}", NULL, svix_attempts_by_endpoint },
	{ "GET", "/api/v1/event-type", NULL, svix_event_type_list },
	{ "POST", "/api/v1/event-type", NULL, svix_event_type_create },
	{ "GET", "/api/v1/event-type/{event_type_name}", NULL, svix_event_type_get },
	{ "PUT", "/api/v1/event-type/{event_type_name}", NULL, svix_event_type_put },
	{ "PATCH", "/api/v1/event-type/{event_type_name}", NULL, svix_event_type_patch },
	{ NULL, NULL, NULL, NULL }
};
