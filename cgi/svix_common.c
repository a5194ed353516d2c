/* The Svix-compatible API's shared pieces: errors, lists, the
 * application by id or uid; see svix.h. */
#include "svix.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_svix.h"
#include "ids.h"
#include "reply.h"

bool
svix_path(const char *path)
{
	return path != NULL && strncmp(path, SVIX_PREFIX, strlen(SVIX_PREFIX)) == 0;
}

void
svix_reply_error(struct hf_request *req, int status, const char *headers,
		 const char *code, const char *detail)
{
	struct json_object *o = json_object_new_object(), *item, *loc, *list;

	if (status == 400 && strcmp(code, "invalid_request") == 0) {
		list = json_object_new_array();
		item = json_object_new_object();
		loc = json_object_new_array();
		json_object_array_add(loc, json_object_new_string("body"));
		json_object_object_add(item, "loc", loc);
		json_object_object_add(item, "msg", json_object_new_string(detail));
		json_object_object_add(item, "type", json_object_new_string("value_error"));
		json_object_array_add(list, item);
		json_object_object_add(o, "code", json_object_new_string("validation"));
		json_object_object_add(o, "detail", list);
		status = 422;
	} else {
		json_object_object_add(o, "code", json_object_new_string(code));
		json_object_object_add(o, "detail", json_object_new_string(detail));
	}
	reply_json(req, status, headers, o, false);
	json_object_put(o);
}

void
svix_reply_unsupported(struct hf_request *req)
{
	svix_reply_error(req, 501, NULL, "not_implemented",
			 "hookfan does not implement this Svix route (see the README, \"Coming from Svix\")");
}

enum hf_result
svix_unsupported(struct manage_call *call, const char *what)
{
	return manage_fail(call, HF_ERR_REFUSED, "not_implemented",
			   "hookfan does not implement %s", what);
}

void
svix_forget_failure(struct manage_call *call)
{
	call->code = NULL;
	call->message[0] = '\0';
}

enum hf_result
svix_app(struct hf_db *db, struct manage_call *call, size_t i,
	 struct hf_application *app)
{
	const char *given = manage_param(call, i);
	char id[HF_ID_MAX_LEN + 1], errstr[256];
	enum hf_result r;

	if (hf_id_valid(given, "app")) {
		snprintf(id, sizeof(id), "%s", given);
	} else {
		if (given[0] == '\0' || strlen(given) > HF_SVIX_UID_MAX_LEN)
			return manage_fail(call, HF_ERR_NOT_FOUND, "not_found",
					   "application not found");
		r = hf_svix_app_find_uid(db, call->scope.workspace_id, given, id);
		if (r == HF_ERR_NOT_FOUND)
			return manage_fail(call, r, "not_found",
					   "application %s not found", given);
		if (r != HF_OK)
			return r;
	}
	r = hf_application_get(db, &call->scope, id, false, app, errstr, sizeof(errstr));
	return r == HF_OK ? HF_OK : manage_failed(call, r, errstr);
}

enum hf_result
svix_page(struct manage_call *call, const char *id_prefix, struct hf_page *page)
{
	const char *limit = manage_query(call, "limit");
	const char *iterator = manage_query(call, "iterator");
	size_t i;
	char *end;
	long n;

	page->limit = HF_SVIX_LIST_LIMIT_DEFAULT;
	page->before_id = NULL;
	if (limit != NULL) {
		n = strtol(limit, &end, 10);
		if (limit[0] < '0' || limit[0] > '9' || *end != '\0' || end - limit > 3 ||
		    n < 1 || n > HF_SVIX_LIST_LIMIT_MAX)
			return manage_invalid(call, "limit must be a whole number from 1 to %d",
					      HF_SVIX_LIST_LIMIT_MAX);
		page->limit = n;
	}
	if (iterator != NULL) {
		if (!hf_id_valid(iterator, id_prefix))
			return manage_invalid(call, "iterator is not one this list gave out");
		page->before_id = iterator;
	}
	for (i = 0; i < call->query_count; i++) {
		if (!call->query[i].used)
			return manage_fail(call, HF_ERR_REFUSED, "not_implemented",
					   "hookfan does not implement the query parameter %.64s here",
					   call->query[i].name);
	}
	return HF_OK;
}

void
svix_reply_list(struct manage_call *call, struct json_object *items,
		bool more, const char *last_id)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "data", items);
	json_object_object_add(o, "iterator",
			       more && last_id != NULL ? json_object_new_string(last_id) : NULL);
	/* Pages go one way, newest first: there is no page before. */
	json_object_object_add(o, "prevIterator", NULL);
	json_object_object_add(o, "done", json_object_new_boolean(!more));
	manage_reply(call, 200, o);
}

enum hf_result
svix_body_bool(struct manage_call *call, const char *name, bool *value,
	       bool *given)
{
	struct json_object *v = NULL;

	*given = false;
	if (!json_object_object_get_ex(call->body, name, &v) || v == NULL)
		return HF_OK;
	if (!json_object_is_type(v, json_type_boolean))
		return manage_invalid(call, "%s must be true or false", name);
	*value = json_object_get_boolean(v);
	*given = true;
	return HF_OK;
}

enum hf_result
svix_refuse_field(struct manage_call *call, const char *name, bool empty_ok)
{
	struct json_object *v = NULL;

	if (!json_object_object_get_ex(call->body, name, &v) || v == NULL)
		return HF_OK;
	if (empty_ok && json_object_is_type(v, json_type_object) &&
	    json_object_object_length(v) == 0)
		return HF_OK;
	if (empty_ok && json_object_is_type(v, json_type_array) &&
	    json_object_array_length(v) == 0)
		return HF_OK;
	return manage_fail(call, HF_ERR_REFUSED, "not_implemented",
			   "hookfan does not implement the field %s", name);
}
