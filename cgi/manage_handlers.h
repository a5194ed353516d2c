/*
 * The handlers of the management routes (manage_routes.c's table), one
 * file per resource: manage_environments.c (environments and event
 * types), manage_applications.c, manage_endpoints.c, manage_keys.c,
 * manage_workspace.c.
 * Each is a route_manage_fn (manage.h).
 */
#ifndef HF_CGI_MANAGE_HANDLERS_H
#define HF_CGI_MANAGE_HANDLERS_H

#include "manage.h"

route_manage_fn environments_list, environments_create;
route_manage_fn event_types_list, event_types_create;
route_manage_fn applications_list, applications_create, applications_get,
	applications_update, applications_delete;
/* Under /v1/endpoints, or /v1/applications/{appId}/endpoints (the
 * _in_app ones: the first parameter is the application). */
route_manage_fn endpoints_list, endpoints_create, endpoints_get,
	endpoints_update, endpoints_delete, endpoints_secret, endpoints_rotate;
route_manage_fn endpoints_list_in_app, endpoints_create_in_app,
	endpoints_get_in_app, endpoints_update_in_app, endpoints_delete_in_app;
route_manage_fn keys_list, keys_create, keys_delete;
route_manage_fn workspace_get, workspace_update;

#endif
