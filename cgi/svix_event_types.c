/*
 * The Svix API's event types: /api/v1/event-type[/{event_type_name}] over
 * event_type.h, with the description Svix keeps (db_svix.h).  hookfan has
 * no schemas, feature flags, deprecation or archive, and never deletes an
 * event type (subscriptions and messages name it): those answer 501.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_svix.h"
#include "event_type.h"
#include "svix.h"
#include "validate.h"

static const char *const event_type_fields[] = {
	"name", "description", "archived", "deprecated", "schemas", "featureFlag",
	"featureFlags", "groupName", NULL
};

static enum hf_result
event_type_json(struct hf_db *db, const struct hf_event_type *t,
		struct json_object **out)
{
	char description[HF_DESCRIPTION_MAX_LEN + 1];
	enum hf_result r = hf_svix_event_type_description(db, t->id, description);
	struct json_object *o;

	if (r != HF_OK)
		return r;
	o = json_object_new_object();
	json_object_object_add(o, "name", json_object_new_string(t->name));
	json_object_object_add(o, "description", json_object_new_string(description));
	json_object_object_add(o, "archived", json_object_new_boolean(false));
	json_object_object_add(o, "deprecated", json_object_new_boolean(false));
	json_object_object_add(o, "schemas", NULL);
	json_object_object_add(o, "featureFlag", NULL);
	json_object_object_add(o, "createdAt", json_object_new_string(t->created_at));
	/* Only the description changes, and hookfan keeps no time for it. */
	json_object_object_add(o, "updatedAt", json_object_new_string(t->created_at));
	*out = o;
	return HF_OK;
}

static enum hf_result
reply_event_type(struct hf_db *db, struct manage_call *call, int status,
		 const struct hf_event_type *t)
{
	struct json_object *o;
	enum hf_result r = event_type_json(db, t, &o);

	if (r == HF_OK)
		manage_reply(call, status, o);
	return r;
}

/* The fields hookfan cannot keep: 501 unless absent, null, false or {}. */
static enum hf_result
refuse_extras(struct manage_call *call)
{
	static const char *const flags[] = { "archived", "deprecated", NULL };
	struct json_object *v;
	enum hf_result r;
	size_t i;

	for (i = 0; flags[i] != NULL; i++) {
		v = NULL;
		if (json_object_object_get_ex(call->body, flags[i], &v) && v != NULL &&
		    !(json_object_is_type(v, json_type_boolean) && !json_object_get_boolean(v)))
			return svix_unsupported(call, "archived or deprecated event types");
	}
	if ((r = svix_refuse_field(call, "schemas", true)) != HF_OK ||
	    (r = svix_refuse_field(call, "featureFlag", false)) != HF_OK ||
	    (r = svix_refuse_field(call, "featureFlags", true)) != HF_OK ||
	    (r = svix_refuse_field(call, "groupName", false)) != HF_OK)
		return r;
	return HF_OK;
}

/* The event type of path parameter 0 into *t. */
static enum hf_result
find(struct hf_db *db, struct manage_call *call, struct hf_event_type *t)
{
	const char *name = manage_param(call, 0);
	enum hf_result r;

	memset(t, 0, sizeof(*t));
	if (strlen(name) > HF_EVENT_TYPE_MAX_LEN)
		return manage_fail(call, HF_ERR_NOT_FOUND, "not_found", "event type not found");
	r = hf_svix_event_type_find(db, call->scope.workspace_id, name, t->id, t->created_at);
	if (r == HF_ERR_NOT_FOUND)
		return manage_fail(call, r, "not_found", "event type %s not found", name);
	snprintf(t->name, sizeof(t->name), "%s", name);
	return r;
}

static enum hf_result
create(struct hf_db *db, struct manage_call *call, const char *name,
       const char *description)
{
	struct hf_event_type t;
	char errstr[256];
	enum hf_result r;

	if (!hf_event_type_valid(name, strlen(name), false))
		return manage_invalid(call, "name must be 1 to %d characters of A-Z a-z 0-9 . _ - :",
				      HF_EVENT_TYPE_MAX_LEN);
	r = hf_event_type_insert(db, &call->scope, name, &t, errstr, sizeof(errstr));
	if (r != HF_OK)
		return manage_failed(call, r, errstr);
	if (description != NULL &&
	    (r = hf_svix_event_type_set_description(db, t.id, description)) != HF_OK)
		return r;
	return reply_event_type(db, call, 201, &t);
}

enum hf_result
svix_event_type_list(struct hf_db *db, struct manage_call *call)
{
	struct hf_event_type_list list = { NULL, 0, false };
	const char *content = manage_query(call, "with_content");
	const char *archived = manage_query(call, "include_archived");
	struct json_object *items, *o;
	struct hf_page page;
	enum hf_result r;
	size_t i;

	(void)content, (void)archived;	/* no schemas, none archived: either way */
	if ((r = svix_page(call, "evt", &page)) != HF_OK ||
	    (r = hf_event_type_list(db, &call->scope, &page, &list)) != HF_OK)
		return r;
	items = json_object_new_array();
	for (i = 0; r == HF_OK && i < list.count; i++) {
		r = event_type_json(db, &list.items[i], &o);
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
svix_event_type_create(struct hf_db *db, struct manage_call *call)
{
	const char *name, *description;
	enum hf_result r;

	if ((r = manage_body_fields(call, event_type_fields)) != HF_OK ||
	    (r = refuse_extras(call)) != HF_OK ||
	    (r = manage_body_string(call, "name", true, HF_EVENT_TYPE_MAX_LEN, &name)) != HF_OK ||
	    (r = manage_body_string(call, "description", true, HF_DESCRIPTION_MAX_LEN,
				    &description)) != HF_OK)
		return r;
	return create(db, call, name, description);
}

enum hf_result
svix_event_type_get(struct hf_db *db, struct manage_call *call)
{
	struct hf_event_type t;
	enum hf_result r = find(db, call, &t);

	return r == HF_OK ? reply_event_type(db, call, 200, &t) : r;
}

/* PUT (description required; creates what it does not find) and PATCH. */
static enum hf_result
change(struct hf_db *db, struct manage_call *call, bool patch)
{
	struct hf_event_type t;
	const char *description;
	enum hf_result r;

	if ((r = manage_body_fields(call, event_type_fields + 1)) != HF_OK ||
	    (r = refuse_extras(call)) != HF_OK ||
	    (r = manage_body_string(call, "description", !patch, HF_DESCRIPTION_MAX_LEN,
				    &description)) != HF_OK)
		return r;
	r = find(db, call, &t);
	if (r == HF_ERR_NOT_FOUND && !patch) {
		svix_forget_failure(call);
		return create(db, call, manage_param(call, 0), description);
	}
	if (r != HF_OK)
		return r;
	if (description != NULL &&
	    (r = hf_svix_event_type_set_description(db, t.id, description)) != HF_OK)
		return r;
	return reply_event_type(db, call, 200, &t);
}

enum hf_result
svix_event_type_put(struct hf_db *db, struct manage_call *call)
{
	return change(db, call, false);
}

enum hf_result
svix_event_type_patch(struct hf_db *db, struct manage_call *call)
{
	return change(db, call, true);
}
