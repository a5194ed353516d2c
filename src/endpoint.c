/* Endpoints; see endpoint.h. */
#include "endpoint.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "application.h"
#include "db_admin.h"
#include "db_delivery.h"
#include "db_ingest.h"
#include "db_sweep.h"
#include "environment.h"
#include "workspace.h"

/* Why an endpoint disabled through the API or deleted is not active. */
#define DISABLED_BY_API "disabled through the management API"
#define DELETED "the endpoint was deleted"

#define ENDPOINT_COLUMNS \
	"e.id, e.application_id, e.environment_id, e.url, e.description," \
	" e.active, e.disabled_reason, " HF_SQL_ISO("e.failing_since") "," \
	" (SELECT GROUP_CONCAT(s.event_type ORDER BY s.event_type SEPARATOR ' ')" \
	"  FROM subscriptions s WHERE s.endpoint_id = e.id)," \
	" " HF_SQL_ISO("e.created_at") ", " HF_SQL_ISO("e.updated_at")
#define ENDPOINT_IN_SCOPE \
	"e.workspace_id = ? AND (? IS NULL OR e.environment_id = ?)" \
	" AND e.deleted_at IS NULL"

static void
bind_scope(struct hf_query *q, const struct hf_scope *scope)
{
	hf_query_text(q, scope->workspace_id);
	hf_query_text(q, hf_scope_environment(scope));
	hf_query_text(q, hf_scope_environment(scope));
}

void
hf_endpoint_clear(struct hf_endpoint *e)
{
	free(e->event_types);
	e->event_types = NULL;
}

void
hf_endpoint_page_free(struct hf_endpoint_page *p)
{
	size_t i;

	for (i = 0; i < p->count; i++)
		hf_endpoint_clear(&p->items[i]);
	free(p->items);
	memset(p, 0, sizeof(*p));
}

static enum hf_result
read_endpoint(const struct hf_query *q, void *item)
{
	struct hf_endpoint *e = item;
	const char *types = hf_query_column(q, 8, NULL);

	hf_endpoint_clear(e);
	memset(e, 0, sizeof(*e));
	hf_entity_copy(e->id, sizeof(e->id), hf_query_column(q, 0, NULL));
	hf_entity_copy(e->application_id, sizeof(e->application_id),
		       hf_query_column(q, 1, NULL));
	hf_entity_copy(e->environment_id, sizeof(e->environment_id),
		       hf_query_column(q, 2, NULL));
	hf_entity_copy(e->url, sizeof(e->url), hf_query_column(q, 3, NULL));
	hf_entity_copy(e->description, sizeof(e->description),
		       hf_query_column(q, 4, NULL));
	e->active = hf_query_column_int(q, 5) != 0;
	hf_entity_copy(e->disabled_reason, sizeof(e->disabled_reason),
		       hf_query_column(q, 6, NULL));
	hf_entity_copy(e->failing_since, sizeof(e->failing_since),
		       hf_query_column(q, 7, NULL));
	hf_entity_copy(e->created_at, sizeof(e->created_at),
		       hf_query_column(q, 9, NULL));
	hf_entity_copy(e->updated_at, sizeof(e->updated_at),
		       hf_query_column(q, 10, NULL));
	e->event_types = strdup(types != NULL ? types : "");
	return e->event_types != NULL ? HF_OK : HF_ERR_NOMEM;
}

enum hf_result
hf_endpoint_get(struct hf_db *db, const struct hf_scope *scope, const char *id,
		bool lock, struct hf_endpoint *out, char *errstr, size_t errlen)
{
	struct hf_query q;
	enum hf_result r;

	hf_endpoint_clear(out);
	memset(out, 0, sizeof(*out));
	hf_query_start(&q, db, lock
		? "SELECT " ENDPOINT_COLUMNS " FROM endpoints e WHERE e.id = ? AND "
		  ENDPOINT_IN_SCOPE " FOR UPDATE"
		: "SELECT " ENDPOINT_COLUMNS " FROM endpoints e WHERE e.id = ? AND "
		  ENDPOINT_IN_SCOPE);
	hf_query_text(&q, id);
	bind_scope(&q, scope);
	r = hf_query_expect_row(&q, "endpoint", id, errstr, errlen);
	if (r == HF_OK)
		r = read_endpoint(&q, out);
	else if (r == HF_ERR_NOT_FOUND)
		hf_fail(r, errstr, errlen, "endpoint %s not found", id);
	hf_query_end(&q);
	return r;
}

enum hf_result
hf_endpoint_page_read(struct hf_db *db, const struct hf_scope *scope,
		      const struct hf_endpoint_match *m, const struct hf_page *page,
		      struct hf_endpoint_page *out)
{
	struct hf_query q;

	memset(out, 0, sizeof(*out));
	hf_query_start(&q, db,
		       "SELECT " ENDPOINT_COLUMNS " FROM endpoints e WHERE " ENDPOINT_IN_SCOPE
		       " AND (? IS NULL OR e.application_id = ?)"
		       " AND (? IS NULL OR e.environment_id = ?)"
		       " AND (? IS NULL OR e.active = ?)" HF_SQL_PAGE("e.id"));
	bind_scope(&q, scope);
	hf_query_text(&q, m->application_id);
	hf_query_text(&q, m->application_id);
	hf_query_text(&q, m->environment_id);
	hf_query_text(&q, m->environment_id);
	if (m->active != NULL) {
		hf_query_int(&q, *m->active ? 1 : 0);
		hf_query_int(&q, *m->active ? 1 : 0);
	} else {
		hf_query_null(&q);
		hf_query_null(&q);
	}
	return hf_page_read(&q, page, sizeof(*out->items), read_endpoint,
			    (void **)&out->items, &out->count, &out->more);
}

static enum hf_result
set_description(struct hf_db *db, const char *id, const char *url,
		const char *description, char *errstr, size_t errlen)
{
	struct hf_query q;
	enum hf_result r;

	hf_query_start(&q, db,
		       "UPDATE endpoints SET url = COALESCE(?, url),"
		       " description = COALESCE(?, description), updated_at = NOW(3)"
		       " WHERE id = ?");
	hf_query_text(&q, url);
	hf_query_text(&q, description);
	hf_query_text(&q, id);
	r = hf_query_run(&q);
	hf_query_end(&q);
	return r == HF_OK ? r : hf_db_fail(db, r, errstr, errlen);
}

enum hf_result
hf_endpoint_insert(struct hf_db *db, const struct hf_scope *scope,
		   const struct hf_endpoint_new *spec, struct hf_endpoint *out,
		   char *secret, char *errstr, size_t errlen)
{
	struct hf_endpoint_spec admin = { 0 };
	struct hf_application app;
	char id[HF_ID_MAX_LEN + 1];
	enum hf_result r;

	admin.workspace_id = scope->workspace_id;
	admin.environment = spec->environment_id;
	if (spec->environment_id != NULL) {
		r = hf_environment_check(db, scope, spec->environment_id, errstr, errlen);
		if (r != HF_OK)
			return r;
	}
	if (spec->application_id != NULL) {
		r = hf_application_get(db, scope, spec->application_id, false, &app,
				       errstr, errlen);
		if (r != HF_OK)
			return r;
		admin.application_id = spec->application_id;
	}
	/* A narrower caller's endpoints stay in its environment. */
	if (admin.environment == NULL && admin.application_id == NULL)
		admin.environment = hf_scope_environment(scope);
	admin.url = spec->url;
	admin.event_types = spec->event_types;
	admin.event_type_count = spec->event_type_count;
	r = hf_endpoint_create(db, &admin, id, secret, errstr, errlen);
	if (r == HF_OK && spec->description != NULL)
		r = set_description(db, id, NULL, spec->description, errstr, errlen);
	if (r != HF_OK)
		return r;
	return hf_endpoint_get(db, scope, id, false, out, errstr, errlen);
}

static enum hf_result
replace_event_types(struct hf_db *db, const char *id,
		    const char *const *types, size_t count, char *errstr,
		    size_t errlen)
{
	enum hf_result r;
	size_t i;

	r = hf_db_exec_text(db, "DELETE FROM subscriptions WHERE endpoint_id = ?", id,
			    NULL);
	if (r == HF_OK)
		r = hf_ingest_changed(db, HF_CHANGED_ENDPOINT, id);
	if (r != HF_OK)
		return hf_db_fail(db, r, errstr, errlen);
	for (i = 0; i < count && r == HF_OK; i++)
		r = hf_subscription_add(db, id, types[i], errstr, errlen);
	return r;
}

enum hf_result
hf_endpoint_update(struct hf_db *db, const struct hf_scope *scope,
		   const char *id, const struct hf_endpoint_change *change,
		   struct hf_endpoint *out, char *errstr, size_t errlen)
{
	enum hf_result r;

	r = hf_endpoint_get(db, scope, id, true, out, errstr, errlen);
	if (r != HF_OK)
		return r;
	r = set_description(db, id, change->url, change->description, errstr,
			    errlen);
	if (r == HF_OK && change->event_types != NULL)
		r = replace_event_types(db, id, change->event_types,
					change->event_type_count, errstr, errlen);
	/* Only a change of state: disabling again would forget why. */
	if (r == HF_OK && change->active != NULL && *change->active != out->active)
		r = hf_endpoint_set_active(db, id, *change->active, DISABLED_BY_API,
					   errstr, errlen);
	if (r != HF_OK)
		return r;
	return hf_endpoint_get(db, scope, id, false, out, errstr, errlen);
}

enum hf_result
hf_endpoint_delete(struct hf_db *db, const struct hf_scope *scope,
		   const char *id, char *errstr, size_t errlen)
{
	struct hf_endpoint e = { 0 };
	enum hf_result r;

	r = hf_endpoint_get(db, scope, id, true, &e, errstr, errlen);
	hf_endpoint_clear(&e);
	if (r != HF_OK)
		return r;
	r = hf_endpoint_set_active(db, id, false, DELETED, errstr, errlen);
	if (r == HF_OK)
		r = hf_workspace_forget_ops_endpoint(db, scope->workspace_id, id,
						     errstr, errlen);
	if (r != HF_OK)
		return r;
	/* A failed delivery makes its message failed (the message rule). */
	r = hf_db_exec_text(db,
			    "UPDATE deliveries d JOIN messages m ON m.id = d.message_id"
			    " SET d.status = 'failed', d.due_at = NULL, d.lease_token = '',"
			    " d.last_error = '" DELETED "', d.updated_at = NOW(3),"
			    " m.status = 'failed', m.updated_at = NOW(3)"
			    " WHERE d.endpoint_id = ? AND d.status = 'paused'", id, NULL);
	if (r != HF_OK)
		return hf_db_fail(db, r, errstr, errlen);
	/* Its endpoint keys reached it alone: they reach nothing now. */
	r = hf_db_exec_text(db,
			    "UPDATE api_keys SET revoked_at = NOW(3)"
			    " WHERE endpoint_id = ? AND revoked_at IS NULL", id, NULL);
	if (r != HF_OK)
		return hf_db_fail(db, r, errstr, errlen);
	r = hf_db_exec_text(db,
			    "UPDATE endpoints SET deleted_at = NOW(3), updated_at = NOW(3)"
			    " WHERE id = ?", id, NULL);
	if (r == HF_OK)
		r = hf_ingest_changed(db, HF_CHANGED_ENDPOINT, id);
	return r == HF_OK ? r : hf_db_fail(db, r, errstr, errlen);
}

enum hf_result
hf_endpoint_secret(struct hf_db *db, const struct hf_scope *scope,
		   const char *id, char *secret, char *errstr, size_t errlen)
{
	struct hf_endpoint e = { 0 };
	struct hf_query q;
	enum hf_result r;

	r = hf_endpoint_get(db, scope, id, false, &e, errstr, errlen);
	hf_endpoint_clear(&e);
	if (r != HF_OK)
		return r;
	hf_query_start(&q, db,
		       "SELECT secret FROM endpoint_secrets WHERE endpoint_id = ? AND "
		       HF_SQL_SECRET_SIGNS("") " ORDER BY id DESC LIMIT 1");
	hf_query_text(&q, id);
	r = hf_query_expect_row(&q, "secret of endpoint", id, errstr, errlen);
	if (r == HF_OK)
		hf_entity_copy(secret, HF_SECRET_MAX_LEN + 1, hf_query_column(&q, 0, NULL));
	hf_query_end(&q);
	return r;
}

enum hf_result
hf_endpoint_rotate(struct hf_db *db, const struct hf_scope *scope,
		   const char *id, long grace_hours, char *secret, char *errstr,
		   size_t errlen)
{
	struct hf_endpoint e = { 0 };
	json_object *rotated = NULL, *value = NULL;
	enum hf_result r;

	r = hf_endpoint_get(db, scope, id, false, &e, errstr, errlen);
	hf_endpoint_clear(&e);
	if (r != HF_OK)
		return r;
	r = hf_endpoint_rotate_secret(db, id, grace_hours, &rotated, errstr, errlen);
	if (r == HF_OK && json_object_object_get_ex(rotated, "secret", &value))
		hf_entity_copy(secret, HF_SECRET_MAX_LEN + 1, json_object_get_string(value));
	else if (r == HF_OK)
		r = HF_ERR_DB;
	json_object_put(rotated);
	return r;
}
