/*
 * GET, POST /v1/applications ({name, env_id?, status?}) and GET, PATCH
 * ({name?, status?}), DELETE /v1/applications/{id}: {id, env_id, name,
 * status: active|inactive, created_at, updated_at}.
 */
#include <stdlib.h>
#include <string.h>

#include "application.h"
#include "manage_handlers.h"
#include "validate.h"

static struct json_object *
application_json(const struct hf_application *a)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "id", json_object_new_string(a->id));
	json_object_object_add(o, "env_id", manage_json_optional(a->environment_id));
	json_object_object_add(o, "name", json_object_new_string(a->name));
	json_object_object_add(o, "status",
			       json_object_new_string(a->active ? "active" : "inactive"));
	json_object_object_add(o, "created_at", json_object_new_string(a->created_at));
	json_object_object_add(o, "updated_at", json_object_new_string(a->updated_at));
	return o;
}

/* name (required on create) and status, checked. */
static enum hf_result
read_fields(struct manage_call *call, bool create, const char **name,
	    bool *active, bool *status_given)
{
	const char *status;
	enum hf_result r;

	r = manage_body_string(call, "name", create, HF_NAME_MAX_LEN, name);
	if (r == HF_OK && *name != NULL && !hf_name_valid(*name))
		r = manage_invalid(call, "name must be 1 to %d bytes of UTF-8 text without control characters",
				   HF_NAME_MAX_LEN);
	if (r == HF_OK)
		r = manage_body_string(call, "status", false, 16, &status);
	if (r != HF_OK)
		return r;
	*status_given = status != NULL;
	*active = true;
	if (status != NULL && strcmp(status, "active") != 0) {
		if (strcmp(status, "inactive") != 0)
			return manage_invalid(call, "status must be \"active\" or \"inactive\"");
		*active = false;
	}
	return HF_OK;
}

enum hf_result
applications_list(struct hf_db *db, struct manage_call *call)
{
	struct hf_application_list list;
	struct json_object *items;
	struct hf_page page;
	enum hf_result r;
	size_t i;

	r = manage_page(call, "app", &page);
	if (r != HF_OK)
		return r;
	r = hf_application_list(db, &call->scope, &page, &list);
	if (r == HF_OK) {
		items = json_object_new_array();
		for (i = 0; i < list.count; i++)
			json_object_array_add(items, application_json(&list.items[i]));
		manage_reply_list(call, items, list.more,
				  list.count > 0 ? list.items[list.count - 1].id : NULL);
	}
	free(list.items);
	return r;
}

enum hf_result
applications_create(struct hf_db *db, struct manage_call *call)
{
	static const char *const fields[] = { "name", "env_id", "status", NULL };
	struct hf_application app;
	const char *name, *env_id;
	bool active, status_given;
	char errstr[256];
	enum hf_result r;

	if ((r = manage_body_fields(call, fields)) != HF_OK ||
	    (r = read_fields(call, true, &name, &active, &status_given)) != HF_OK ||
	    (r = manage_body_id(call, "env_id", &env_id)) != HF_OK)
		return r;
	r = hf_application_insert(db, &call->scope, env_id, name, active, &app,
				  errstr, sizeof(errstr));
	if (r != HF_OK)
		return manage_failed(call, r, errstr);
	manage_reply(call, 201, application_json(&app));
	return HF_OK;
}

enum hf_result
applications_get(struct hf_db *db, struct manage_call *call)
{
	struct hf_application app;
	char errstr[256];
	enum hf_result r;

	r = hf_application_get(db, &call->scope, manage_param(call, 0), false, &app,
			       errstr, sizeof(errstr));
	if (r != HF_OK)
		return manage_failed(call, r, errstr);
	manage_reply(call, 200, application_json(&app));
	return HF_OK;
}

enum hf_result
applications_update(struct hf_db *db, struct manage_call *call)
{
	static const char *const fields[] = { "name", "status", NULL };
	struct hf_application app;
	const char *name;
	bool active, status_given;
	char errstr[256];
	enum hf_result r;

	if ((r = manage_body_fields(call, fields)) != HF_OK ||
	    (r = read_fields(call, false, &name, &active, &status_given)) != HF_OK)
		return r;
	r = hf_application_update(db, &call->scope, manage_param(call, 0), name,
				  status_given ? &active : NULL, &app, errstr,
				  sizeof(errstr));
	if (r != HF_OK)
		return manage_failed(call, r, errstr);
	manage_reply(call, 200, application_json(&app));
	return HF_OK;
}

enum hf_result
applications_delete(struct hf_db *db, struct manage_call *call)
{
	char errstr[256];
	enum hf_result r;

	r = hf_application_delete(db, &call->scope, manage_param(call, 0), errstr,
				  sizeof(errstr));
	if (r != HF_OK)
		return manage_failed(call, r, errstr);
	manage_reply(call, 204, NULL);
	return HF_OK;
}
