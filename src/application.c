/* Applications; see application.h. */
#include "application.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_admin.h"
#include "db_ingest.h"
#include "ids.h"
#include "validate.h"

enum hf_result
hf_application_create(struct hf_db *db, const char *workspace_id,
		      const char *environment, const char *name, bool active,
		      char *id, char *errstr, size_t errlen)
{
	char env_id[HF_ID_MAX_LEN + 1];
	struct hf_query q;
	enum hf_result r;

	if (!hf_name_valid(name))
		return hf_fail(HF_ERR_INVALID, errstr, errlen,
			       "a name is 1 to %d characters of UTF-8 text",
			       HF_NAME_MAX_LEN);
	r = hf_workspace_exists(db, workspace_id, errstr, errlen);
	if (r == HF_OK && environment != NULL)
		r = hf_environment_resolve(db, workspace_id, environment,
					   env_id, errstr, errlen);
	if (r != HF_OK)
		return r;
	if (hf_id_new(id, "app") != HF_OK)
		return HF_ERR_IO;
	hf_query_start(&q, db,
		       "INSERT INTO applications (id, workspace_id, environment_id, name, active)"
		       " VALUES (?, ?, ?, ?, ?)");
	hf_query_text(&q, id);
	hf_query_text(&q, workspace_id);
	hf_query_text(&q, environment != NULL ? env_id : NULL);
	hf_query_text(&q, name);
	hf_query_int(&q, active ? 1 : 0);
	r = hf_query_run(&q);
	hf_query_end(&q);
	return r == HF_OK ? r : hf_db_fail(db, r, errstr, errlen);
}

enum hf_result
hf_application_set_active(struct hf_db *db, const char *app_id, bool active,
			  char *errstr, size_t errlen)
{
	struct hf_query q;
	enum hf_result r;

	r = hf_require_row(db, "SELECT 1 FROM applications WHERE id = ? AND deleted_at IS NULL FOR UPDATE",
			app_id, "application", errstr, errlen);
	if (r != HF_OK)
		return r;
	hf_query_start(&q, db, "UPDATE applications SET active = ?, updated_at = NOW(3) WHERE id = ?");
	hf_query_int(&q, active ? 1 : 0);
	hf_query_text(&q, app_id);
	r = hf_query_run(&q);
	hf_query_end(&q);
	if (r == HF_OK)
		r = hf_ingest_changed(db, HF_CHANGED_APPLICATION, app_id);
	return r == HF_OK ? r : hf_db_fail(db, r, errstr, errlen);
}

#define APPLICATION_COLUMNS \
	"id, environment_id, name, active, " HF_SQL_ISO("created_at") ", " \
	HF_SQL_ISO("updated_at")
#define APPLICATION_IN_SCOPE \
	"workspace_id = ? AND (? IS NULL OR environment_id = ?) AND deleted_at IS NULL"

static void
bind_scope(struct hf_query *q, const struct hf_scope *scope)
{
	hf_query_text(q, scope->workspace_id);
	hf_query_text(q, hf_scope_environment(scope));
	hf_query_text(q, hf_scope_environment(scope));
}

static enum hf_result
read_application(const struct hf_query *q, void *item)
{
	struct hf_application *a = item;

	hf_entity_copy(a->id, sizeof(a->id), hf_query_column(q, 0, NULL));
	hf_entity_copy(a->environment_id, sizeof(a->environment_id),
		       hf_query_column(q, 1, NULL));
	hf_entity_copy(a->name, sizeof(a->name), hf_query_column(q, 2, NULL));
	a->active = hf_query_column_int(q, 3) != 0;
	hf_entity_copy(a->created_at, sizeof(a->created_at),
		       hf_query_column(q, 4, NULL));
	hf_entity_copy(a->updated_at, sizeof(a->updated_at),
		       hf_query_column(q, 5, NULL));
	return HF_OK;
}

enum hf_result
hf_application_get(struct hf_db *db, const struct hf_scope *scope,
		   const char *id, bool lock, struct hf_application *out,
		   char *errstr, size_t errlen)
{
	struct hf_query q;
	enum hf_result r;

	memset(out, 0, sizeof(*out));
	hf_query_start(&q, db, lock
		? "SELECT " APPLICATION_COLUMNS " FROM applications WHERE id = ? AND "
		  APPLICATION_IN_SCOPE " FOR UPDATE"
		: "SELECT " APPLICATION_COLUMNS " FROM applications WHERE id = ? AND "
		  APPLICATION_IN_SCOPE);
	hf_query_text(&q, id);
	bind_scope(&q, scope);
	r = hf_query_expect_row(&q, "application", id, errstr, errlen);
	if (r == HF_OK)
		read_application(&q, out);
	else if (r == HF_ERR_NOT_FOUND)
		hf_fail(r, errstr, errlen, "application %s not found", id);
	hf_query_end(&q);
	return r;
}

enum hf_result
hf_application_list(struct hf_db *db, const struct hf_scope *scope,
		    const struct hf_page *page, struct hf_application_list *out)
{
	struct hf_query q;

	memset(out, 0, sizeof(*out));
	hf_query_start(&q, db,
		       "SELECT " APPLICATION_COLUMNS " FROM applications WHERE "
		       APPLICATION_IN_SCOPE HF_SQL_PAGE("id"));
	bind_scope(&q, scope);
	return hf_page_read(&q, page, sizeof(*out->items), read_application,
			    (void **)&out->items, &out->count, &out->more);
}

enum hf_result
hf_application_insert(struct hf_db *db, const struct hf_scope *scope,
		      const char *environment_id, const char *name, bool active,
		      struct hf_application *out, char *errstr, size_t errlen)
{
	char id[HF_ID_MAX_LEN + 1];
	enum hf_result r;

	if (environment_id == NULL)
		environment_id = hf_scope_environment(scope);
	else if ((r = hf_environment_check(db, scope, environment_id, errstr,
					   errlen)) != HF_OK)
		return r;
	r = hf_application_create(db, scope->workspace_id, environment_id, name,
				  active, id, errstr, errlen);
	if (r != HF_OK)
		return r;
	return hf_application_get(db, scope, id, false, out, errstr, errlen);
}

enum hf_result
hf_application_update(struct hf_db *db, const struct hf_scope *scope,
		      const char *id, const char *name, const bool *active,
		      struct hf_application *out, char *errstr, size_t errlen)
{
	struct hf_query q;
	enum hf_result r;

	r = hf_application_get(db, scope, id, true, out, errstr, errlen);
	if (r != HF_OK)
		return r;
	hf_query_start(&q, db,
		       "UPDATE applications SET name = COALESCE(?, name),"
		       " active = COALESCE(?, active), updated_at = NOW(3) WHERE id = ?");
	hf_query_text(&q, name);
	if (active != NULL)
		hf_query_int(&q, *active ? 1 : 0);
	else
		hf_query_null(&q);
	hf_query_text(&q, id);
	r = hf_query_run(&q);
	hf_query_end(&q);
	if (r == HF_OK)
		r = hf_ingest_changed(db, HF_CHANGED_APPLICATION, id);
	if (r != HF_OK)
		return hf_db_fail(db, r, errstr, errlen);
	return hf_application_get(db, scope, id, false, out, errstr, errlen);
}

enum hf_result
hf_application_delete(struct hf_db *db, const struct hf_scope *scope,
		      const char *id, char *errstr, size_t errlen)
{
	struct hf_application app;
	struct hf_query q;
	enum hf_result r;
	long endpoints = 0;

	r = hf_application_get(db, scope, id, true, &app, errstr, errlen);
	if (r != HF_OK)
		return r;
	hf_query_start(&q, db,
		       "SELECT COUNT(*) FROM endpoints WHERE application_id = ?"
		       " AND deleted_at IS NULL");
	hf_query_text(&q, id);
	r = hf_query_run(&q);
	if (r == HF_OK)
		r = hf_query_next(&q);
	if (r == HF_OK)
		endpoints = (long)hf_query_column_int(&q, 0);
	hf_query_end(&q);
	if (r != HF_OK)
		return hf_db_fail(db, r, errstr, errlen);
	if (endpoints > 0)
		return hf_fail(HF_ERR_CONFLICT, errstr, errlen,
			       "application %s still has %ld endpoints; delete them first",
			       id, endpoints);
	hf_query_start(&q, db,
		       "UPDATE applications SET deleted_at = NOW(3), active = 0,"
		       " updated_at = NOW(3) WHERE id = ?");
	hf_query_text(&q, id);
	r = hf_query_run(&q);
	hf_query_end(&q);
	if (r == HF_OK)
		r = hf_ingest_changed(db, HF_CHANGED_APPLICATION, id);
	return r == HF_OK ? r : hf_db_fail(db, r, errstr, errlen);
}
