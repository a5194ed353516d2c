/*
 * The Svix API's endpoints: /api/v1/app/{app_id}/endpoint[/{endpoint_id}]
 * with their secret, rotation, recover and stats, over endpoint.h and
 * deliveries.h.  Svix 1.x clients name the event types filterTypes, 2.x
 * eventTypes: both are read (not both at once) and both answered; none
 * is hookfan's "*".  What hookfan has no counterpart for (uid, channels,
 * a rate limit, metadata, a secret of the caller's) answers 501.
 */
#include <stdlib.h>
#include <string.h>

#include "db_svix.h"
#include "deliveries.h"
#include "endpoint.h"
#include "iso_time.h"
#include "svix.h"
#include "validate.h"

static const char *const endpoint_fields[] = {
	"url", "description", "filterTypes", "eventTypes", "disabled", "version",
	"uid", "channels", "rateLimit", "throttleRate", "metadata", "secret", NULL
};

/* The endpoint of path parameter 1 in the application of parameter 0. */
static enum hf_result
find(struct hf_db *db, struct manage_call *call, bool lock,
     struct hf_application *app, struct hf_endpoint *e)
{
	return svix_endpoint(db, call, 1, lock, app, e);
}

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
	json_object_object_add(o, "uid", NULL);
	json_object_object_add(o, "url", json_object_new_string(e->url));
	json_object_object_add(o, "description", json_object_new_string(e->description));
	json_object_object_add(o, "version", json_object_new_int(1));
	json_object_object_add(o, "disabled", json_object_new_boolean(!e->active));
	if (strcmp(e->event_types != NULL ? e->event_types : "*", "*") == 0) {
		json_object_put(types);
		json_object_object_add(o, "filterTypes", NULL);
		json_object_object_add(o, "eventTypes", NULL);
	} else {
		json_object_object_add(o, "filterTypes", json_object_get(types));
		json_object_object_add(o, "eventTypes", types);
	}
	json_object_object_add(o, "channels", NULL);
	json_object_object_add(o, "metadata", json_object_new_object());
	json_object_object_add(o, "createdAt", json_object_new_string(e->created_at));
	json_object_object_add(o, "updatedAt", json_object_new_string(e->updated_at));
	return o;
}

enum hf_result
svix_endpoint(struct hf_db *db, struct manage_call *call, size_t i, bool lock,
	      struct hf_application *app, struct hf_endpoint *e)
{
	char errstr[256];
	enum hf_result r = svix_app(db, call, 0, app);

	if (r != HF_OK)
		return r;
	r = hf_endpoint_get(db, &call->scope, manage_param(call, i), lock, e,
			    errstr, sizeof(errstr));
	if (r == HF_OK && strcmp(e->application_id, app->id) != 0)
		return manage_fail(call, HF_ERR_NOT_FOUND, "not_found",
				   "endpoint %s not found", manage_param(call, i));
	return r == HF_OK ? HF_OK : manage_failed(call, r, errstr);
}

/* What a create, update or patch says. */
struct endpoint_body {
	const char *url, *description;
	const char *types[HF_ENDPOINT_EVENT_TYPES_MAX];
	size_t type_count;
	bool types_given, disabled, disabled_given;
};

static enum hf_result
read_endpoint(struct manage_call *call, bool url_required, struct endpoint_body *b)
{
	size_t count;
	bool given;
	const char *why = NULL;
	enum hf_result r;

	memset(b, 0, sizeof(*b));
	if ((r = manage_body_fields(call, endpoint_fields)) != HF_OK ||
	    (r = svix_refuse_field(call, "uid", false)) != HF_OK ||
	    (r = svix_refuse_field(call, "channels", true)) != HF_OK ||
	    (r = svix_refuse_field(call, "rateLimit", false)) != HF_OK ||
	    (r = svix_refuse_field(call, "throttleRate", false)) != HF_OK ||
	    (r = svix_refuse_field(call, "metadata", true)) != HF_OK ||
	    (r = svix_refuse_field(call, "secret", false)) != HF_OK ||
	    (r = manage_body_string(call, "url", url_required, HF_URL_MAX_LEN, &b->url)) != HF_OK ||
	    (r = manage_body_string(call, "description", false, HF_DESCRIPTION_MAX_LEN,
				    &b->description)) != HF_OK ||
	    (r = svix_body_bool(call, "disabled", &b->disabled, &b->disabled_given)) != HF_OK)
		return r;
	if (b->url != NULL && !hf_url_valid(b->url, &why))
		return manage_invalid(call, "url is not a valid http or https URL: %s", why);
	r = manage_body_event_types(call, "filterTypes", b->types,
				    HF_ENDPOINT_EVENT_TYPES_MAX, &b->type_count, &b->types_given);
	if (r != HF_OK)
		return r;
	r = manage_body_event_types(call, "eventTypes", b->types,
				    HF_ENDPOINT_EVENT_TYPES_MAX, &count, &given);
	if (r == HF_OK && given && b->types_given)
		return manage_invalid(call, "give filterTypes or eventTypes, not both");
	if (given) {
		b->type_count = count;
		b->types_given = true;
	}
	return r;
}

enum hf_result
svix_endpoint_list(struct hf_db *db, struct manage_call *call)
{
	struct hf_endpoint_page list = { NULL, 0, false };
	struct hf_endpoint_match m = { NULL, NULL, NULL };
	struct hf_application app;
	struct json_object *items;
	struct hf_page page;
	enum hf_result r;
	size_t i;

	r = svix_app(db, call, 0, &app);
	if (r == HF_OK)
		r = svix_page(call, "ep", &page);
	if (r != HF_OK)
		return r;
	m.application_id = app.id;
	r = hf_endpoint_page_read(db, &call->scope, &m, &page, &list);
	if (r == HF_OK) {
		items = json_object_new_array();
		for (i = 0; i < list.count; i++)
			json_object_array_add(items, endpoint_json(&list.items[i]));
		svix_reply_list(call, items, list.more,
				list.count > 0 ? list.items[list.count - 1].id : NULL);
	}
	hf_endpoint_page_free(&list);
	return r;
}

enum hf_result
svix_endpoint_create(struct hf_db *db, struct manage_call *call)
{
	struct hf_endpoint_new spec = { 0 };
	struct hf_endpoint e = { 0 };
	struct hf_application app;
	struct endpoint_body b;
	char secret[HF_SECRET_MAX_LEN + 1], errstr[256];
	enum hf_result r;

	if ((r = read_endpoint(call, true, &b)) != HF_OK ||
	    (r = svix_app(db, call, 0, &app)) != HF_OK)
		return r;
	spec.application_id = app.id;
	spec.url = b.url;
	spec.description = b.description;
	spec.event_types = b.types;
	spec.event_type_count = b.type_count;
	r = hf_endpoint_insert(db, &call->scope, &spec, &e, secret, errstr, sizeof(errstr));
	if (r == HF_OK && b.disabled_given && b.disabled) {
		const bool active = false;
		struct hf_endpoint_change change = { 0 };
		char id[HF_ID_MAX_LEN + 1];

		change.active = &active;
		memcpy(id, e.id, sizeof(id));
		hf_endpoint_clear(&e);
		r = hf_endpoint_update(db, &call->scope, id, &change, &e, errstr, sizeof(errstr));
	}
	if (r == HF_OK)
		manage_reply(call, 201, endpoint_json(&e));
	hf_endpoint_clear(&e);
	return r == HF_OK ? r : manage_failed(call, r, errstr);
}

enum hf_result
svix_endpoint_get(struct hf_db *db, struct manage_call *call)
{
	struct hf_application app;
	struct hf_endpoint e = { 0 };
	enum hf_result r = find(db, call, false, &app, &e);

	if (r == HF_OK)
		manage_reply(call, 200, endpoint_json(&e));
	hf_endpoint_clear(&e);
	return r;
}

/* PUT replaces what Svix's EndpointUpdate holds (absent types: all). */
static enum hf_result
change_endpoint(struct hf_db *db, struct manage_call *call, bool patch)
{
	static const char *const all[] = { "*" };
	struct hf_endpoint_change change = { 0 };
	struct hf_application app;
	struct hf_endpoint e = { 0 };
	struct endpoint_body b;
	bool active;
	char errstr[256];
	enum hf_result r;

	if ((r = read_endpoint(call, !patch, &b)) != HF_OK ||
	    (r = find(db, call, true, &app, &e)) != HF_OK) {
		hf_endpoint_clear(&e);
		return r;
	}
	hf_endpoint_clear(&e);
	change.url = b.url;
	change.description = b.description != NULL ? b.description : patch ? NULL : "";
	if (b.types_given) {
		change.event_types = b.types;
		change.event_type_count = b.type_count;
	} else if (!patch) {
		change.event_types = all;
		change.event_type_count = 1;
	}
	if (b.disabled_given || !patch) {
		active = !(b.disabled_given && b.disabled);
		change.active = &active;
	}
	r = hf_endpoint_update(db, &call->scope, manage_param(call, 1), &change, &e,
			       errstr, sizeof(errstr));
	if (r == HF_OK)
		manage_reply(call, 200, endpoint_json(&e));
	hf_endpoint_clear(&e);
	return r == HF_OK ? r : manage_failed(call, r, errstr);
}

enum hf_result
svix_endpoint_put(struct hf_db *db, struct manage_call *call)
{
	return change_endpoint(db, call, false);
}

enum hf_result
svix_endpoint_patch(struct hf_db *db, struct manage_call *call)
{
	return change_endpoint(db, call, true);
}

enum hf_result
svix_endpoint_delete(struct hf_db *db, struct manage_call *call)
{
	struct hf_application app;
	struct hf_endpoint e = { 0 };
	char errstr[256];
	enum hf_result r = find(db, call, true, &app, &e);

	hf_endpoint_clear(&e);
	if (r != HF_OK)
		return r;
	r = hf_endpoint_delete(db, &call->scope, manage_param(call, 1), errstr, sizeof(errstr));
	if (r != HF_OK)
		return manage_failed(call, r, errstr);
	manage_reply(call, 204, NULL);
	return HF_OK;
}

enum hf_result
svix_endpoint_secret(struct hf_db *db, struct manage_call *call)
{
	struct hf_application app;
	struct hf_endpoint e = { 0 };
	struct json_object *o;
	char secret[HF_SECRET_MAX_LEN + 1], errstr[256];
	enum hf_result r = find(db, call, false, &app, &e);

	hf_endpoint_clear(&e);
	if (r != HF_OK)
		return r;
	r = hf_endpoint_secret(db, &call->scope, manage_param(call, 1), secret,
			       errstr, sizeof(errstr));
	if (r != HF_OK)
		return manage_failed(call, r, errstr);
	o = json_object_new_object();
	json_object_object_add(o, "key", json_object_new_string(secret));
	manage_reply(call, 200, o);
	return HF_OK;
}

/* A new secret of hookfan's making; the old ones sign for the default
 * grace period more, as "endpoint rotate-secret" does. */
enum hf_result
svix_endpoint_rotate(struct hf_db *db, struct manage_call *call)
{
	static const char *const fields[] = { "key", "gracePeriodSeconds", NULL };
	struct hf_application app;
	struct hf_endpoint e = { 0 };
	char secret[HF_SECRET_MAX_LEN + 1], errstr[256];
	enum hf_result r;

	if ((r = manage_body_fields(call, fields)) != HF_OK ||
	    (r = svix_refuse_field(call, "key", false)) != HF_OK ||
	    (r = svix_refuse_field(call, "gracePeriodSeconds", false)) != HF_OK)
		return r;
	r = find(db, call, true, &app, &e);
	hf_endpoint_clear(&e);
	if (r != HF_OK)
		return r;
	r = hf_endpoint_rotate(db, &call->scope, manage_param(call, 1),
			       HF_ROTATE_GRACE_HOURS_DEFAULT, secret, errstr, sizeof(errstr));
	if (r != HF_OK)
		return manage_failed(call, r, errstr);
	manage_reply(call, 204, NULL);
	return HF_OK;
}

/*
 * Retry the endpoint's failed deliveries made since (and before until),
 * at most HF_SVIX_RECOVER_MAX, in this transaction; the answer is Svix's
 * background task, already finished.
 */
enum hf_result
svix_endpoint_recover(struct hf_db *db, struct manage_call *call)
{
	static const char *const fields[] = { "since", "until", NULL };
	struct hf_delivery_filter filter = { 0 };
	struct hf_delivery_list list = { NULL, 0, false };
	struct hf_page page = { HF_SVIX_RECOVER_MAX, NULL };
	char since[HF_SQL_TIME_SIZE], until[HF_SQL_TIME_SIZE], at[HF_SQL_TIME_SIZE];
	const char *since_text, *until_text;
	enum hf_delivery_status previous;
	struct hf_application app;
	struct hf_endpoint e = { 0 };
	struct json_object *o;
	char errstr[256];
	enum hf_result r;
	size_t i;

	if ((r = manage_body_fields(call, fields)) != HF_OK ||
	    (r = manage_body_string(call, "since", true, 64, &since_text)) != HF_OK ||
	    (r = manage_body_string(call, "until", false, 64, &until_text)) != HF_OK)
		return r;
	if (!hf_iso_time_to_sql(since_text, since))
		return manage_invalid(call, "since must be an RFC 3339 time");
	if (until_text != NULL && !hf_iso_time_to_sql(until_text, until))
		return manage_invalid(call, "until must be an RFC 3339 time");
	r = find(db, call, false, &app, &e);
	hf_endpoint_clear(&e);
	if (r != HF_OK)
		return r;
	filter.endpoint_id = manage_param(call, 1);
	filter.has_status = true;
	filter.status = HF_DELIVERY_FAILED;
	r = hf_delivery_list(db, &call->scope, &filter, &page, &list, errstr, sizeof(errstr));
	if (r != HF_OK)
		return manage_failed(call, r, errstr);
	for (i = 0; r == HF_OK && i < list.count; i++) {
		if (!hf_iso_time_to_sql(list.items[i].created_at, at) ||
		    strcmp(at, since) < 0 || (until_text != NULL && strcmp(at, until) >= 0))
			continue;
		r = hf_delivery_retry(db, &call->scope, list.items[i].id, &previous,
				      errstr, sizeof(errstr));
	}
	free(list.items);
	if (r != HF_OK)
		return manage_failed(call, r, errstr);
	o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_string("qtask_recover"));
	json_object_object_add(o, "status", json_object_new_string("finished"));
	json_object_object_add(o, "task", json_object_new_string("endpoint.recover"));
	manage_reply(call, 202, o);
	return HF_OK;
}

enum hf_result
svix_endpoint_stats(struct hf_db *db, struct manage_call *call)
{
	struct hf_application app;
	struct hf_endpoint e = { 0 };
	struct json_object *o;
	long long n[5];
	enum hf_result r = find(db, call, false, &app, &e);

	hf_endpoint_clear(&e);
	if (r == HF_OK && (manage_query(call, "since") != NULL || manage_query(call, "until") != NULL))
		return svix_unsupported(call, "stats over a period");
	if (r == HF_OK)
		r = hf_svix_endpoint_counts(db, manage_param(call, 1), n);
	if (r != HF_OK)
		return r;
	o = json_object_new_object();
	json_object_object_add(o, "success", json_object_new_int64(n[HF_DELIVERY_SUCCEEDED]));
	json_object_object_add(o, "pending", json_object_new_int64(n[HF_DELIVERY_PENDING] +
								    n[HF_DELIVERY_PAUSED]));
	json_object_object_add(o, "sending", json_object_new_int64(n[HF_DELIVERY_SENDING]));
	json_object_object_add(o, "fail", json_object_new_int64(n[HF_DELIVERY_FAILED]));
	json_object_object_add(o, "canceled", json_object_new_int64(0));
	manage_reply(call, 200, o);
	return HF_OK;
}
