/*
 * GET, POST /v1/environments ({name}) and GET, POST /v1/event-types
 * ({name}).  An environment key sees its own environment only and cannot
 * make one; the event-type catalogue is the whole workspace's.
 */
#include <stdlib.h>
#include <string.h>

#include "environment.h"
#include "event_type.h"
#include "manage_handlers.h"
#include "validate.h"

static const char *const name_only[] = { "name", NULL };

static struct json_object *
environment_json(const struct hf_environment *e)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "id", json_object_new_string(e->id));
	json_object_object_add(o, "name", json_object_new_string(e->name));
	json_object_object_add(o, "created_at", json_object_new_string(e->created_at));
	return o;
}

enum hf_result
environments_list(struct hf_db *db, struct manage_call *call)
{
	struct hf_environment_list list;
	struct json_object *items;
	struct hf_page page;
	enum hf_result r;
	size_t i;

	r = manage_page(call, "env", &page);
	if (r != HF_OK)
		return r;
	r = hf_environment_list(db, &call->scope, &page, &list);
	if (r == HF_OK) {
		items = json_object_new_array();
		for (i = 0; i < list.count; i++)
			json_object_array_add(items, environment_json(&list.items[i]));
		manage_reply_list(call, items, list.more,
				  list.count > 0 ? list.items[list.count - 1].id : NULL);
	}
	free(list.items);
	return r;
}

enum hf_result
environments_create(struct hf_db *db, struct manage_call *call)
{
	struct hf_environment env;
	const char *name;
	char errstr[256];
	enum hf_result r;

	if ((r = manage_require_workspace_scope(call)) != HF_OK ||
	    (r = manage_body_fields(call, name_only)) != HF_OK ||
	    (r = manage_body_string(call, "name", true, HF_NAME_MAX_LEN, &name)) != HF_OK)
		return r;
	if (!hf_name_valid(name))
		return manage_invalid(call, "name must be 1 to %d bytes of UTF-8 text without control characters",
				      HF_NAME_MAX_LEN);
	r = hf_environment_insert(db, &call->scope, name, &env, errstr, sizeof(errstr));
	if (r != HF_OK)
		return manage_failed(call, r, errstr);
	manage_reply(call, 201, environment_json(&env));
	return HF_OK;
}

static struct json_object *
event_type_json(const struct hf_event_type *t)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "id", json_object_new_string(t->id));
	json_object_object_add(o, "name", json_object_new_string(t->name));
	json_object_object_add(o, "created_at", json_object_new_string(t->created_at));
	return o;
}

enum hf_result
event_types_list(struct hf_db *db, struct manage_call *call)
{
	struct hf_event_type_list list;
	struct json_object *items;
	struct hf_page page;
	enum hf_result r;
	size_t i;

	r = manage_page(call, "evt", &page);
	if (r != HF_OK)
		return r;
	r = hf_event_type_list(db, &call->scope, &page, &list);
	if (r == HF_OK) {
		items = json_object_new_array();
		for (i = 0; i < list.count; i++)
			json_object_array_add(items, event_type_json(&list.items[i]));
		manage_reply_list(call, items, list.more,
				  list.count > 0 ? list.items[list.count - 1].id : NULL);
	}
	free(list.items);
	return r;
}

enum hf_result
event_types_create(struct hf_db *db, struct manage_call *call)
{
	struct hf_event_type type;
	const char *name;
	char errstr[256];
	enum hf_result r;

	if ((r = manage_body_fields(call, name_only)) != HF_OK ||
	    (r = manage_body_string(call, "name", true, HF_EVENT_TYPE_MAX_LEN, &name)) != HF_OK)
		return r;
	if (!hf_event_type_valid(name, strlen(name), false))
		return manage_invalid(call, "name must be 1 to %d characters of A-Z a-z 0-9 . _ - :",
				      HF_EVENT_TYPE_MAX_LEN);
	r = hf_event_type_insert(db, &call->scope, name, &type, errstr, sizeof(errstr));
	if (r != HF_OK)
		return manage_failed(call, r, errstr);
	manage_reply(call, 201, event_type_json(&type));
	return HF_OK;
}
