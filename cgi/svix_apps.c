/*
 * The Svix API's applications: /api/v1/app[/{app_id}], over
 * application.h, with Svix's uid (db_svix.h).  hookfan keeps no metadata
 * and no rate limit per application: an empty metadata object is
 * accepted, anything else in them answers 501.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_svix.h"
#include "endpoint.h"
#include "svix.h"

static const char *const app_fields[] = {
	"name", "uid", "metadata", "rateLimit", "throttleRate", NULL
};

static enum hf_result
app_json(struct hf_db *db, const struct hf_application *app, struct json_object **out)
{
	char uid[HF_SVIX_UID_MAX_LEN + 1];
	enum hf_result r = hf_svix_app_uid(db, app->id, uid);
	struct json_object *o;

	if (r != HF_OK)
		return r;
	o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_string(app->id));
	json_object_object_add(o, "uid", manage_json_optional(uid));
	json_object_object_add(o, "name", json_object_new_string(app->name));
	json_object_object_add(o, "metadata", json_object_new_object());
	json_object_object_add(o, "createdAt", json_object_new_string(app->created_at));
	json_object_object_add(o, "updatedAt", json_object_new_string(app->updated_at));
	*out = o;
	return HF_OK;
}

static enum hf_result
reply_app(struct hf_db *db, struct manage_call *call, int status,
	  const struct hf_application *app)
{
	struct json_object *o;
	enum hf_result r = app_json(db, app, &o);

	if (r == HF_OK)
		manage_reply(call, status, o);
	return r;
}

/* The body's fields; name is required unless patching. */
static enum hf_result
read_app(struct manage_call *call, bool patch, const char **name, const char **uid)
{
	enum hf_result r = manage_body_fields(call, app_fields);

	if (r == HF_OK)
		r = svix_refuse_field(call, "metadata", true);
	if (r == HF_OK)
		r = svix_refuse_field(call, "rateLimit", false);
	if (r == HF_OK)
		r = svix_refuse_field(call, "throttleRate", false);
	if (r == HF_OK)
		r = manage_body_string(call, "name", !patch, HF_NAME_MAX_LEN, name);
	if (r == HF_OK && *name != NULL && (*name)[0] == '\0')
		r = manage_invalid(call, "name must not be empty");
	if (r == HF_OK)
		r = manage_body_string(call, "uid", false, HF_SVIX_UID_MAX_LEN, uid);
	/* A uid must not pass for an id, or the two would be ambiguous. */
	if (r == HF_OK && *uid != NULL && ((*uid)[0] == '\0' || strncmp(*uid, "app_", 4) == 0))
		r = manage_invalid(call, "uid must not be empty nor begin with app_");
	return r;
}

static enum hf_result
set_uid(struct hf_db *db, struct manage_call *call, const char *app_id,
	const char *uid)
{
	enum hf_result r = hf_svix_app_set_uid(db, app_id, uid);

	if (r == HF_ERR_CONFLICT)
		return manage_fail(call, r, "conflict",
				   "another application has the uid %s", uid);
	return r;
}

static enum hf_result
create_app(struct hf_db *db, struct manage_call *call, const char *name,
	   const char *uid)
{
	struct hf_application app;
	char errstr[256];
	enum hf_result r;

	r = hf_application_insert(db, &call->scope, NULL, name, true, &app,
				  errstr, sizeof(errstr));
	if (r != HF_OK)
		return manage_failed(call, r, errstr);
	if (uid != NULL && (r = set_uid(db, call, app.id, uid)) != HF_OK)
		return r;
	return reply_app(db, call, 201, &app);
}

enum hf_result
svix_app_list(struct hf_db *db, struct manage_call *call)
{
	struct hf_application_list list = { NULL, 0, false };
	struct json_object *items, *o;
	struct hf_page page;
	enum hf_result r;
	size_t i;

	r = svix_page(call, "app", &page);
	if (r == HF_OK)
		r = hf_application_list(db, &call->scope, &page, &list);
	items = json_object_new_array();
	for (i = 0; r == HF_OK && i < list.count; i++) {
		r = app_json(db, &list.items[i], &o);
		if (r == HF_OK)
			json_object_array_add(items, o);
	}
	if (r == HF_OK)
		svix_reply_list(call, items, list.more,
				list.count > 0 ? list.items[list.count - 1].id : NULL);
	else
		json_object_put(items);
	free(list.items);
	return r;
}

enum hf_result
svix_app_create(struct hf_db *db, struct manage_call *call)
{
	const char *name, *uid, *get_if_exists = manage_query(call, "get_if_exists");
	char id[HF_ID_MAX_LEN + 1];
	struct hf_application app;
	enum hf_result r;

	r = read_app(call, false, &name, &uid);
	if (r == HF_OK && get_if_exists != NULL && strcmp(get_if_exists, "true") != 0 &&
	    strcmp(get_if_exists, "false") != 0)
		r = manage_invalid(call, "get_if_exists must be true or false");
	if (r != HF_OK || (r = svix_page(call, "app", &(struct hf_page){ 0, NULL })) != HF_OK)
		return r;
	if (uid != NULL && get_if_exists != NULL && strcmp(get_if_exists, "true") == 0) {
		r = hf_svix_app_find_uid(db, call->scope.workspace_id, uid, id);
		if (r == HF_OK) {
			char errstr[256];

			r = hf_application_get(db, &call->scope, id, false, &app,
					       errstr, sizeof(errstr));
			if (r != HF_OK)
				return manage_failed(call, r, errstr);
			return reply_app(db, call, 200, &app);
		}
		if (r != HF_ERR_NOT_FOUND)
			return r;
	}
	return create_app(db, call, name, uid);
}

enum hf_result
svix_app_get(struct hf_db *db, struct manage_call *call)
{
	struct hf_application app;
	enum hf_result r = svix_app(db, call, 0, &app);

	return r == HF_OK ? reply_app(db, call, 200, &app) : r;
}

static enum hf_result
change_app(struct hf_db *db, struct manage_call *call, bool patch)
{
	const char *name, *uid;
	struct hf_application app;
	char id[HF_ID_MAX_LEN + 1], errstr[256];
	enum hf_result r;

	r = read_app(call, patch, &name, &uid);
	if (r != HF_OK)
		return r;
	/* PUT may create under the path's uid: it is checked as the body's. */
	if (!patch && strlen(manage_param(call, 0)) > HF_SVIX_UID_MAX_LEN)
		return manage_invalid(call, "the path's uid must be at most %d bytes",
				      HF_SVIX_UID_MAX_LEN);
	r = svix_app(db, call, 0, &app);
	/* PUT creates what it does not find, under the uid it was given. */
	if (r == HF_ERR_NOT_FOUND && !patch && strncmp(manage_param(call, 0), "app_", 4) != 0) {
		svix_forget_failure(call);
		return create_app(db, call, name, uid != NULL ? uid : manage_param(call, 0));
	}
	if (r != HF_OK)
		return r;
	if (uid != NULL && (r = set_uid(db, call, app.id, uid)) != HF_OK)
		return r;
	/* app is the output too: the id must not live in it. */
	memcpy(id, app.id, sizeof(id));
	r = hf_application_update(db, &call->scope, id, name, NULL, &app,
				  errstr, sizeof(errstr));
	if (r != HF_OK)
		return manage_failed(call, r, errstr);
	return reply_app(db, call, 200, &app);
}

enum hf_result
svix_app_put(struct hf_db *db, struct manage_call *call)
{
	return change_app(db, call, false);
}

enum hf_result
svix_app_patch(struct hf_db *db, struct manage_call *call)
{
	return change_app(db, call, true);
}

/* Delete every endpoint of the application, as hf_endpoint_delete does. */
static enum hf_result
delete_endpoints(struct hf_db *db, struct manage_call *call, const char *app_id)
{
	struct hf_endpoint_match m = { app_id, NULL, NULL };
	struct hf_page page = { HF_SVIX_LIST_LIMIT_MAX, NULL };
	struct hf_endpoint_page list;
	char errstr[256];
	enum hf_result r;
	size_t i;

	do {
		r = hf_endpoint_page_read(db, &call->scope, &m, &page, &list);
		for (i = 0; r == HF_OK && i < list.count; i++)
			r = hf_endpoint_delete(db, &call->scope, list.items[i].id,
					       errstr, sizeof(errstr));
		if (r != HF_OK && call->message[0] == '\0')
			manage_failed(call, r, errstr);
		/* Deleted ones are no longer listed: the next page is the first. */
		i = list.count;
		hf_endpoint_page_free(&list);
	} while (r == HF_OK && i > 0);
	return r;
}

enum hf_result
svix_app_delete(struct hf_db *db, struct manage_call *call)
{
	struct hf_application app;
	char errstr[256];
	enum hf_result r = svix_app(db, call, 0, &app);

	if (r != HF_OK)
		return r;
	/* Svix deletes an application's endpoints with it. */
	r = delete_endpoints(db, call, app.id);
	if (r != HF_OK)
		return r;
	r = hf_application_delete(db, &call->scope, app.id, errstr, sizeof(errstr));
	if (r != HF_OK)
		return manage_failed(call, r, errstr);
	/* A deleted application's uid is free for a new one. */
	r = hf_svix_app_set_uid(db, app.id, NULL);
	if (r == HF_OK)
		manage_reply(call, 204, NULL);
	return r;
}
