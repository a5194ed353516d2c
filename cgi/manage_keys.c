/*
 * GET, POST /v1/keys ({env_id?, endpoint_id?}) and DELETE /v1/keys/{id}:
 * the workspace's ingest keys {id, env_id, endpoint_id, created_at}; the
 * key itself once, when made.  Management keys are the sysadmin's
 * (hookfan-admin key create --management) and are not listed here.
 */
#include <stdlib.h>

#include "api_key.h"
#include "manage_handlers.h"

static struct json_object *
key_json(const struct hf_api_key *k)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "id", json_object_new_string(k->id));
	json_object_object_add(o, "env_id", manage_json_optional(k->environment_id));
	json_object_object_add(o, "endpoint_id", manage_json_optional(k->endpoint_id));
	json_object_object_add(o, "created_at", json_object_new_string(k->created_at));
	return o;
}

enum hf_result
keys_list(struct hf_db *db, struct manage_call *call)
{
	struct hf_api_key_list list;
	struct json_object *items;
	struct hf_page page;
	enum hf_result r;
	size_t i;

	r = manage_page(call, "key", &page);
	if (r != HF_OK)
		return r;
	r = hf_api_key_list(db, &call->scope, &page, &list);
	if (r == HF_OK) {
		items = json_object_new_array();
		for (i = 0; i < list.count; i++)
			json_object_array_add(items, key_json(&list.items[i]));
		manage_reply_list(call, items, list.more,
				  list.count > 0 ? list.items[list.count - 1].id : NULL);
	}
	free(list.items);
	return r;
}

enum hf_result
keys_create(struct hf_db *db, struct manage_call *call)
{
	static const char *const fields[] = { "env_id", "endpoint_id", NULL };
	char key[HF_API_KEY_MAX_LEN + 1], errstr[256];
	const char *env_id, *endpoint_id;
	struct hf_api_key k;
	struct json_object *o;
	enum hf_result r;

	if ((r = manage_body_fields(call, fields)) != HF_OK ||
	    (r = manage_body_id(call, "env_id", &env_id)) != HF_OK ||
	    (r = manage_body_id(call, "endpoint_id", &endpoint_id)) != HF_OK)
		return r;
	if (env_id != NULL && endpoint_id != NULL)
		return manage_invalid(call, "env_id and endpoint_id: give one or neither, not both");
	r = hf_api_key_insert(db, &call->scope, env_id, endpoint_id, &k, key, errstr,
			      sizeof(errstr));
	if (r != HF_OK)
		return manage_failed(call, r, errstr);
	o = key_json(&k);
	json_object_object_add(o, "key", json_object_new_string(key));
	manage_reply(call, 201, o);
	return HF_OK;
}

enum hf_result
keys_delete(struct hf_db *db, struct manage_call *call)
{
	char errstr[256];
	enum hf_result r;

	r = hf_api_key_delete(db, &call->scope, manage_param(call, 0), errstr,
			      sizeof(errstr));
	if (r != HF_OK)
		return manage_failed(call, r, errstr);
	manage_reply(call, 204, NULL);
	return HF_OK;
}
