/*
 * The endpoints of the management API, under /v1/endpoints and under
 * /v1/applications/{appId}/endpoints (the same endpoints, of one
 * application): {id, application_id, env_id, url, description, status:
 * active|disabled, disabled_reason, failing_since, event_types,
 * created_at, updated_at}; the secret, once, when made; the secret in
 * force and its rotation.
 */
#include <stdlib.h>
#include <string.h>

#include "application.h"
#include "endpoint.h"
#include "environment.h"
#include "manage_handlers.h"
#include "validate.h"

static struct json_object *
endpoint_json(const struct hf_endpoint *e)
{
	struct json_object *o = json_object_new_object();
	struct json_object *types = json_object_new_array();
	const char *p = e->event_types != NULL ? e->event_types : "";

	while (*p != '\0') {
		size_t len = strcspn(p, " ");

		json_object_array_add(types, json_object_new_string_len(p, (int)len));
		p += len;
		p += strspn(p, " ");
	}
	json_object_object_add(o, "id", json_object_new_string(e->id));
	json_object_object_add(o, "application_id", manage_json_optional(e->application_id));
	json_object_object_add(o, "env_id", manage_json_optional(e->environment_id));
	json_object_object_add(o, "url", json_object_new_string(e->url));
	json_object_object_add(o, "description", json_object_new_string(e->description));
	json_object_object_add(o, "status",
			       json_object_new_string(e->active ? "active" : "disabled"));
	json_object_object_add(o, "disabled_reason", manage_json_optional(e->disabled_reason));
	json_object_object_add(o, "failing_since", manage_json_optional(e->failing_since));
	json_object_object_add(o, "event_types", types);
	json_object_object_add(o, "created_at", json_object_new_string(e->created_at));
	json_object_object_add(o, "updated_at", json_object_new_string(e->updated_at));
	return o;
}

static enum hf_result
read_url(struct manage_call *call, bool required, const char **url)
{
	enum hf_result r = manage_body_string(call, "url", required, HF_URL_MAX_LEN, url);
	const char *why = NULL;

	if (r == HF_OK && *url != NULL && !hf_url_valid(*url, &why))
		return manage_invalid(call, "url is not a valid http or https URL: %s", why);
	return r;
}

static enum hf_result
read_status(struct manage_call *call, bool *active, bool *given)
{
	const char *status;
	enum hf_result r = manage_body_string(call, "status", false, 16, &status);

	*given = status != NULL;
	*active = true;
	if (r != HF_OK || status == NULL || strcmp(status, "active") == 0)
		return r;
	if (strcmp(status, "disabled") != 0)
		return manage_invalid(call, "status must be \"active\" or \"disabled\"");
	*active = false;
	return HF_OK;
}

/* The endpoint of the path, checked to be the application's if app_id. */
static enum hf_result
find(struct hf_db *db, struct manage_call *call, const char *app_id,
     const char *id, bool lock, struct hf_endpoint *e)
{
	char errstr[256];
	enum hf_result r;

	r = hf_endpoint_get(db, &call->scope, id, lock, e, errstr, sizeof(errstr));
	if (r == HF_OK && app_id != NULL && strcmp(e->application_id, app_id) != 0)
		r = manage_fail(call, HF_ERR_NOT_FOUND, NULL,
				"endpoint %s not found in application %s", id, app_id);
	else if (r != HF_OK)
		manage_failed(call, r, errstr);
	return r;
}

static enum hf_result
list(struct hf_db *db, struct manage_call *call, const char *app_id)
{
	struct hf_endpoint_match m = { 0 };
	struct hf_endpoint_page page_out;
	struct hf_application app;
	struct json_object *items;
	const char *status = NULL;
	struct hf_page page;
	char errstr[256];
	bool active;
	enum hf_result r;
	size_t i;

	m.application_id = app_id;
	if (app_id == NULL)
		r = manage_query_id(call, "application_id", &m.application_id);
	else
		r = HF_OK;
	if (r == HF_OK)
		r = manage_query_id(call, "env_id", &m.environment_id);
	if (r == HF_OK && (status = manage_query(call, "status")) != NULL) {
		if (strcmp(status, "active") != 0 && strcmp(status, "disabled") != 0)
			r = manage_invalid(call, "status must be \"active\" or \"disabled\"");
		active = strcmp(status, "active") == 0;
		m.active = &active;
	}
	if (r == HF_OK)
		r = manage_page(call, "ep", &page);
	if (r != HF_OK)
		return r;
	/* A filter naming what the key cannot reach is 404, as its path is. */
	if (m.application_id != NULL &&
	    (r = hf_application_get(db, &call->scope, m.application_id, false, &app,
				    errstr, sizeof(errstr))) != HF_OK)
		return manage_failed(call, r, errstr);
	if (m.environment_id != NULL &&
	    (r = hf_environment_check(db, &call->scope, m.environment_id, errstr,
				      sizeof(errstr))) != HF_OK)
		return manage_failed(call, r, errstr);
	r = hf_endpoint_page_read(db, &call->scope, &m, &page, &page_out);
	if (r == HF_OK) {
		items = json_object_new_array();
		for (i = 0; i < page_out.count; i++)
			json_object_array_add(items, endpoint_json(&page_out.items[i]));
		manage_reply_list(call, items, page_out.more,
				  page_out.count > 0 ? page_out.items[page_out.count - 1].id
						     : NULL);
	}
	hf_endpoint_page_free(&page_out);
	return r;
}

static enum hf_result
create(struct hf_db *db, struct manage_call *call, const char *app_id)
{
	static const char *const fields[] = {
		"url", "description", "event_types", "application_id", "env_id", NULL
	};
	static const char *const fields_in_app[] = {
		"url", "description", "event_types", NULL
	};
	const char *types[HF_ENDPOINT_EVENT_TYPES_MAX];
	struct hf_endpoint_new spec = { 0 };
	struct hf_endpoint e = { 0 };
	char secret[HF_SECRET_MAX_LEN + 1], errstr[256];
	struct json_object *o;
	bool given;
	enum hf_result r;

	if ((r = manage_body_fields(call, app_id != NULL ? fields_in_app : fields)) != HF_OK ||
	    (r = read_url(call, true, &spec.url)) != HF_OK ||
	    (r = manage_body_string(call, "description", false, HF_DESCRIPTION_MAX_LEN,
				    &spec.description)) != HF_OK ||
	    (r = manage_body_event_types(call, "event_types", types,
					 HF_ENDPOINT_EVENT_TYPES_MAX,
					 &spec.event_type_count, &given)) != HF_OK)
		return r;
	spec.event_types = types;
	spec.application_id = app_id;
	if (app_id == NULL &&
	    ((r = manage_body_id(call, "application_id", &spec.application_id)) != HF_OK ||
	     (r = manage_body_id(call, "env_id", &spec.environment_id)) != HF_OK))
		return r;
	r = hf_endpoint_insert(db, &call->scope, &spec, &e, secret, errstr, sizeof(errstr));
	if (r != HF_OK) {
		hf_endpoint_clear(&e);
		return manage_failed(call, r, errstr);
	}
	o = endpoint_json(&e);
	json_object_object_add(o, "secret", json_object_new_string(secret));
	hf_endpoint_clear(&e);
	manage_reply(call, 201, o);
	return HF_OK;
}

static enum hf_result
get(struct hf_db *db, struct manage_call *call, const char *app_id, const char *id)
{
	struct hf_endpoint e = { 0 };
	enum hf_result r = find(db, call, app_id, id, false, &e);

	if (r == HF_OK)
		manage_reply(call, 200, endpoint_json(&e));
	hf_endpoint_clear(&e);
	return r;
}

static enum hf_result
update(struct hf_db *db, struct manage_call *call, const char *app_id,
       const char *id)
{
	static const char *const fields[] = {
		"url", "description", "event_types", "status", NULL
	};
	const char *types[HF_ENDPOINT_EVENT_TYPES_MAX];
	struct hf_endpoint_change change = { 0 };
	struct hf_endpoint e = { 0 };
	bool active, status_given, types_given;
	char errstr[256];
	enum hf_result r;

	if ((r = manage_body_fields(call, fields)) != HF_OK ||
	    (r = read_url(call, false, &change.url)) != HF_OK ||
	    (r = manage_body_string(call, "description", false, HF_DESCRIPTION_MAX_LEN,
				    &change.description)) != HF_OK ||
	    (r = manage_body_event_types(call, "event_types", types,
					 HF_ENDPOINT_EVENT_TYPES_MAX,
					 &change.event_type_count, &types_given)) != HF_OK ||
	    (r = read_status(call, &active, &status_given)) != HF_OK)
		return r;
	if (types_given)
		change.event_types = types;
	if (status_given)
		change.active = &active;
	r = find(db, call, app_id, id, true, &e);
	if (r == HF_OK) {
		r = hf_endpoint_update(db, &call->scope, id, &change, &e, errstr,
				       sizeof(errstr));
		if (r != HF_OK)
			manage_failed(call, r, errstr);
		else
			manage_reply(call, 200, endpoint_json(&e));
	}
	hf_endpoint_clear(&e);
	return r;
}

static enum hf_result
delete(struct hf_db *db, struct manage_call *call, const char *app_id,
       const char *id)
{
	struct hf_endpoint e = { 0 };
	char errstr[256];
	enum hf_result r = find(db, call, app_id, id, true, &e);

	hf_endpoint_clear(&e);
	if (r != HF_OK)
		return r;
	r = hf_endpoint_delete(db, &call->scope, id, errstr, sizeof(errstr));
	if (r != HF_OK)
		return manage_failed(call, r, errstr);
	manage_reply(call, 204, NULL);
	return HF_OK;
}

/* An application of the path must be in reach, even for a list. */
static enum hf_result
check_app(struct hf_db *db, struct manage_call *call)
{
	struct hf_application app;
	char errstr[256];
	enum hf_result r;

	r = hf_application_get(db, &call->scope, manage_param(call, 0), false, &app,
			       errstr, sizeof(errstr));
	return r == HF_OK ? r : manage_failed(call, r, errstr);
}

enum hf_result
endpoints_list(struct hf_db *db, struct manage_call *call)
{
	return list(db, call, NULL);
}

enum hf_result
endpoints_create(struct hf_db *db, struct manage_call *call)
{
	return create(db, call, NULL);
}

enum hf_result
endpoints_get(struct hf_db *db, struct manage_call *call)
{
	return get(db, call, NULL, manage_param(call, 0));
}

enum hf_result
endpoints_update(struct hf_db *db, struct manage_call *call)
{
	return update(db, call, NULL, manage_param(call, 0));
}

enum hf_result
endpoints_delete(struct hf_db *db, struct manage_call *call)
{
	return delete(db, call, NULL, manage_param(call, 0));
}

enum hf_result
endpoints_list_in_app(struct hf_db *db, struct manage_call *call)
{
	enum hf_result r = check_app(db, call);

	return r == HF_OK ? list(db, call, manage_param(call, 0)) : r;
}

enum hf_result
endpoints_create_in_app(struct hf_db *db, struct manage_call *call)
{
	enum hf_result r = check_app(db, call);

	return r == HF_OK ? create(db, call, manage_param(call, 0)) : r;
}

enum hf_result
endpoints_get_in_app(struct hf_db *db, struct manage_call *call)
{
	return get(db, call, manage_param(call, 0), manage_param(call, 1));
}

enum hf_result
endpoints_update_in_app(struct hf_db *db, struct manage_call *call)
{
	return update(db, call, manage_param(call, 0), manage_param(call, 1));
}

enum hf_result
endpoints_delete_in_app(struct hf_db *db, struct manage_call *call)
{
	return delete(db, call, manage_param(call, 0), manage_param(call, 1));
}

enum hf_result
endpoints_secret(struct hf_db *db, struct manage_call *call)
{
	char secret[HF_SECRET_MAX_LEN + 1], errstr[256];
	struct json_object *o;
	enum hf_result r;

	r = hf_endpoint_secret(db, &call->scope, manage_param(call, 0), secret,
			       errstr, sizeof(errstr));
	if (r != HF_OK)
		return manage_failed(call, r, errstr);
	o = json_object_new_object();
	json_object_object_add(o, "secret", json_object_new_string(secret));
	manage_reply(call, 200, o);
	return HF_OK;
}

enum hf_result
endpoints_rotate(struct hf_db *db, struct manage_call *call)
{
	static const char *const fields[] = { "grace_hours", NULL };
	char secret[HF_SECRET_MAX_LEN + 1], errstr[256];
	long grace = HF_ROTATE_GRACE_HOURS_DEFAULT;
	struct json_object *o;
	bool given;
	enum hf_result r;

	if ((r = manage_body_fields(call, fields)) != HF_OK ||
	    (r = manage_body_int(call, "grace_hours", 0, HF_ROTATE_GRACE_HOURS_MAX,
				 &grace, &given)) != HF_OK)
		return r;
	r = hf_endpoint_rotate(db, &call->scope, manage_param(call, 0), grace, secret,
			       errstr, sizeof(errstr));
	if (r != HF_OK)
		return manage_failed(call, r, errstr);
	o = json_object_new_object();
	json_object_object_add(o, "secret", json_object_new_string(secret));
	manage_reply(call, 200, o);
	return HF_OK;
}
