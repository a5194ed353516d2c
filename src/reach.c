/* What a scope reaches; see reach.h. */
#include "reach.h"

void
hf_reach_bind(struct hf_query *q, const struct hf_scope *scope)
{
	const char *ws = scope != NULL ? scope->workspace_id : NULL;
	const char *env = scope != NULL ? hf_scope_environment(scope) : NULL;

	hf_query_text(q, ws);
	hf_query_text(q, ws);
	hf_query_text(q, env);
	hf_query_text(q, env);
}

/* One row of sql (the id, then HF_SQL_IN_REACH's four), or "unknown WHAT". */
static enum hf_result
reach_row(struct hf_db *db, const char *sql, const struct hf_scope *scope,
	  const char *id, const char *what, char *errstr, size_t errlen)
{
	struct hf_query q;
	enum hf_result r;

	hf_query_start(&q, db, sql);
	hf_query_text(&q, id);
	hf_reach_bind(&q, scope);
	r = hf_query_expect_row(&q, what, id, errstr, errlen);
	hf_query_end(&q);
	return r;
}

enum hf_result
hf_reach_application(struct hf_db *db, const struct hf_scope *scope,
		     const char *application_id, char *errstr, size_t errlen)
{
	return reach_row(db, "SELECT 1 FROM applications WHERE id = ? AND deleted_at IS NULL"
			 " AND " HF_SQL_IN_REACH(""), scope, application_id,
			 "application", errstr, errlen);
}

enum hf_result
hf_reach_endpoint(struct hf_db *db, const struct hf_scope *scope,
		  const char *endpoint_id, char *errstr, size_t errlen)
{
	return reach_row(db, "SELECT 1 FROM endpoints WHERE id = ? AND deleted_at IS NULL"
			 " AND " HF_SQL_IN_REACH(""), scope, endpoint_id,
			 "endpoint", errstr, errlen);
}

enum hf_result
hf_reach_message(struct hf_db *db, const struct hf_scope *scope,
		 const char *application_id, const char *message_id,
		 char *errstr, size_t errlen)
{
	struct hf_query q;
	enum hf_result r;

	hf_query_start(&q, db,
		       "SELECT 1 FROM messages WHERE id = ? AND (? IS NULL OR application_id = ?)"
		       " AND " HF_SQL_IN_REACH(""));
	hf_query_text(&q, message_id);
	hf_query_text(&q, application_id);
	hf_query_text(&q, application_id);
	hf_reach_bind(&q, scope);
	r = hf_query_expect_row(&q, "message", message_id, errstr, errlen);
	hf_query_end(&q);
	return r;
}
