/* Event types; see event_type.h. */
#include "event_type.h"

#include <stdlib.h>
#include <string.h>

#include "ids.h"

#define EVENT_TYPE_COLUMNS "id, name, " HF_SQL_ISO("created_at")

static enum hf_result
read_event_type(const struct hf_query *q, void *item)
{
	struct hf_event_type *t = item;

	hf_entity_copy(t->id, sizeof(t->id), hf_query_column(q, 0, NULL));
	hf_entity_copy(t->name, sizeof(t->name), hf_query_column(q, 1, NULL));
	hf_entity_copy(t->created_at, sizeof(t->created_at),
		       hf_query_column(q, 2, NULL));
	return HF_OK;
}

enum hf_result
hf_event_type_list(struct hf_db *db, const struct hf_scope *scope,
		   const struct hf_page *page, struct hf_event_type_list *out)
{
	struct hf_query q;

	memset(out, 0, sizeof(*out));
	hf_query_start(&q, db,
		       "SELECT " EVENT_TYPE_COLUMNS " FROM event_types WHERE workspace_id = ?" HF_SQL_PAGE("id"));
	hf_query_text(&q, scope->workspace_id);
	return hf_page_read(&q, page, sizeof(*out->items), read_event_type,
			    (void **)&out->items, &out->count, &out->more);
}

enum hf_result
hf_event_type_insert(struct hf_db *db, const struct hf_scope *scope,
		     const char *name, struct hf_event_type *out, char *errstr,
		     size_t errlen)
{
	struct hf_query q;
	enum hf_result r;

	memset(out, 0, sizeof(*out));
	if (hf_id_new(out->id, "evt") != HF_OK)
		return HF_ERR_IO;
	hf_query_start(&q, db,
		       "INSERT INTO event_types (id, workspace_id, name) VALUES (?, ?, ?)");
	hf_query_text(&q, out->id);
	hf_query_text(&q, scope->workspace_id);
	hf_query_text(&q, name);
	r = hf_query_run(&q);
	hf_query_end(&q);
	if (r == HF_ERR_CONFLICT)
		return hf_fail(r, errstr, errlen, "event type \"%s\" exists already", name);
	if (r != HF_OK)
		return hf_db_fail(db, r, errstr, errlen);
	hf_query_start(&q, db, "SELECT " EVENT_TYPE_COLUMNS " FROM event_types WHERE id = ?");
	hf_query_text(&q, out->id);
	r = hf_query_expect_row(&q, "event type", out->id, errstr, errlen);
	if (r == HF_OK)
		read_event_type(&q, out);
	hf_query_end(&q);
	return r;
}
