/* Environments; see environment.h. */
#include "environment.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_admin.h"
#include "ids.h"
#include "validate.h"

enum hf_result
hf_environment_resolve(struct hf_db *db, const char *workspace_id,
		       const char *environment, char *env_id, char *errstr,
		       size_t errlen)
{
	struct hf_query q;
	enum hf_result r;

	hf_query_start(&q, db,
		       "SELECT id FROM environments WHERE workspace_id = ? AND (id = ? OR name = ?)"
		       " ORDER BY id = ? DESC LIMIT 1");
	hf_query_text(&q, workspace_id);
	hf_query_text(&q, environment);
	hf_query_text(&q, environment);
	hf_query_text(&q, environment);
	r = hf_query_expect_row(&q, "environment", environment, errstr, errlen);
	if (r == HF_ERR_NOT_FOUND)
		hf_fail(r, errstr, errlen,
			"unknown environment \"%s\" in workspace %s",
			environment, workspace_id);
	if (r == HF_OK)
		snprintf(env_id, HF_ID_MAX_LEN + 1, "%s", hf_query_column(&q, 0, NULL));
	hf_query_end(&q);
	return r;
}

enum hf_result
hf_environment_create(struct hf_db *db, const char *workspace_id,
		      const char *name, char *id, char *errstr, size_t errlen)
{
	struct hf_query q;
	enum hf_result r;

	if (!hf_name_valid(name))
		return hf_fail(HF_ERR_INVALID, errstr, errlen,
			       "a name is 1 to %d characters of UTF-8 text",
			       HF_NAME_MAX_LEN);
	r = hf_workspace_exists(db, workspace_id, errstr, errlen);
	if (r != HF_OK)
		return r;
	if (hf_id_new(id, "env") != HF_OK)
		return HF_ERR_IO;
	hf_query_start(&q, db,
		       "INSERT INTO environments (id, workspace_id, name) VALUES (?, ?, ?)");
	hf_query_text(&q, id);
	hf_query_text(&q, workspace_id);
	hf_query_text(&q, name);
	r = hf_query_run(&q);
	hf_query_end(&q);
	if (r == HF_ERR_CONFLICT)
		return hf_fail(r, errstr, errlen,
			       "workspace %s already has an environment named \"%s\"",
			       workspace_id, name);
	return r == HF_OK ? r : hf_db_fail(db, r, errstr, errlen);
}

enum hf_result
hf_environment_check(struct hf_db *db, const struct hf_scope *scope,
		     const char *environment_id, char *errstr, size_t errlen)
{
	struct hf_query q;
	enum hf_result r;

	hf_query_start(&q, db,
		       "SELECT 1 FROM environments WHERE id = ? AND workspace_id = ?"
		       " AND (? IS NULL OR id = ?)");
	hf_query_text(&q, environment_id);
	hf_query_text(&q, scope->workspace_id);
	hf_query_text(&q, hf_scope_environment(scope));
	hf_query_text(&q, hf_scope_environment(scope));
	r = hf_query_expect_row(&q, "environment", environment_id, errstr, errlen);
	if (r == HF_ERR_NOT_FOUND)
		hf_fail(r, errstr, errlen, "environment %s not found", environment_id);
	hf_query_end(&q);
	return r;
}

#define ENVIRONMENT_COLUMNS "id, name, " HF_SQL_ISO("created_at")

static enum hf_result
read_environment(const struct hf_query *q, void *item)
{
	struct hf_environment *e = item;

	hf_entity_copy(e->id, sizeof(e->id), hf_query_column(q, 0, NULL));
	hf_entity_copy(e->name, sizeof(e->name), hf_query_column(q, 1, NULL));
	hf_entity_copy(e->created_at, sizeof(e->created_at),
		       hf_query_column(q, 2, NULL));
	return HF_OK;
}

enum hf_result
hf_environment_list(struct hf_db *db, const struct hf_scope *scope,
		    const struct hf_page *page, struct hf_environment_list *out)
{
	struct hf_query q;

	memset(out, 0, sizeof(*out));
	hf_query_start(&q, db,
		       "SELECT " ENVIRONMENT_COLUMNS " FROM environments"
		       " WHERE workspace_id = ? AND (? IS NULL OR id = ?)" HF_SQL_PAGE("id"));
	hf_query_text(&q, scope->workspace_id);
	hf_query_text(&q, hf_scope_environment(scope));
	hf_query_text(&q, hf_scope_environment(scope));
	return hf_page_read(&q, page, sizeof(*out->items), read_environment,
			    (void **)&out->items, &out->count, &out->more);
}

enum hf_result
hf_environment_insert(struct hf_db *db, const struct hf_scope *scope,
		      const char *name, struct hf_environment *out,
		      char *errstr, size_t errlen)
{
	struct hf_query q;
	enum hf_result r;

	memset(out, 0, sizeof(*out));
	r = hf_environment_create(db, scope->workspace_id, name, out->id, errstr,
				  errlen);
	if (r != HF_OK)
		return r;
	hf_query_start(&q, db, "SELECT " ENVIRONMENT_COLUMNS " FROM environments WHERE id = ?");
	hf_query_text(&q, out->id);
	r = hf_query_expect_row(&q, "environment", out->id, errstr, errlen);
	if (r == HF_OK)
		read_environment(&q, out);
	hf_query_end(&q);
	return r;
}
