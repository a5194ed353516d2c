/*
 * The management API's routes (the /v1/... paths of the README's
 * "Management API"), each run by manage.c.  The message, delivery and
 * attempt routes are message_routes.c's.
 */
#include "manage_handlers.h"
#include "portal.h"

const struct route manage_routes[] = {
	{ "GET", "/v1/workspace", NULL, workspace_get },
	{ "PATCH", "/v1/workspace", NULL, workspace_update },
	{ "GET", "/v1/environments", NULL, environments_list },
	{ "POST", "/v1/environments", NULL, environments_create },
	{ "GET", "/v1/event-types", NULL, event_types_list },
	{ "POST", "/v1/event-types", NULL, event_types_create },
	{ "GET", "/v1/applications", NULL, applications_list },
	{ "POST", "/v1/applications", NULL, applications_create },
	{ "GET", "/v1/applications/{id}", NULL, applications_get },
	{ "PATCH", "/v1/applications/{id}", NULL, applications_update },
	{ "DELETE", "/v1/applications/{id}", NULL, applications_delete },
	{ "POST", "/v1/applications/{id}/portal", NULL, applications_portal },
	{ "GET", "/v1/applications/{appId}/endpoints", NULL, endpoints_list_in_app },
	{ "POST", "/v1/applications/{appId}/endpoints", NULL, endpoints_create_in_app },
	{ "GET", "/v1/applications/{appId}/endpoints/{id}", NULL, endpoints_get_in_app },
	{ "PATCH", "/v1/applications/{appId}/endpoints/{id}", NULL, endpoints_update_in_app },
	{ "DELETE", "/v1/applications/{appId}/endpoints/{id}", NULL, endpoints_delete_in_app },
	{ "GET", "/v1/endpoints", NULL, endpoints_list },
	{ "POST", "/v1/endpoints", NULL, endpoints_create },
	{ "GET", "/v1/endpoints/{id}", NULL, endpoints_get },
	{ "PATCH", "/v1/endpoints/{id}", NULL, endpoints_update },
	{ "DELETE", "/v1/endpoints/{id}", NULL, endpoints_delete },
	{ "GET", "/v1/endpoints/{id}/secret", NULL, endpoints_secret },
	{ "POST", "/v1/endpoints/{id}/rotate-secret", NULL, endpoints_rotate },
	{ "GET", "/v1/keys", NULL, keys_list },
	{ "POST", "/v1/keys", NULL, keys_create },
	{ "DELETE", "/v1/keys/{id}", NULL, keys_delete },
	{ NULL, NULL, NULL, NULL }
};
