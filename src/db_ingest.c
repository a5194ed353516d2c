/* The SQL behind the HTTP ingest; see db_ingest.h. */
#include "db_ingest.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_text.h"
#include "ids.h"

/* Copy a column ("" for NULL) into an id-sized buffer. */
static void
copy_id(char *dst, const struct hf_query *q, unsigned int column)
{
	const char *s = hf_query_column(q, column, NULL);

	snprintf(dst, HF_ID_MAX_LEN + 1, "%s", s != NULL ? s : "");
}

/*
 * One statement for everything a request needs to know, so the request
 * costs one round trip before its write: the key (a const table: unique
 * hash) with its workspace, event type, asked-for application and
 * endpoint, then one row per target endpoint, or one row with NULL there.
 * target_scope is the condition an endpoint e must meet beyond the
 * subscription.  The last two columns are the endpoint's backlog reading
 * and its age (enum hf_backlog_reading): a joined row, never a count, so
 * the lookup costs the same however long the backlog.  An endpoint subscribed to both T and
 * "*" comes twice: hf_ingest_lookup sorts and folds the few rows itself,
 * which spares the server a temporary table.
 */
#define LOOKUP_KIND_SQL(target_scope, kind) \
	"SELECT k.id, k.workspace_id, k.environment_id, k.endpoint_id," \
	" w.max_payload_bytes, t.id, a.id, a.environment_id, a.active," \
	" ke.application_id, w.ingest_epoch, e.id," \
	" ? > 0 AND b.is_full = 1," \
	" CASE WHEN ? = 0 OR e.id IS NULL THEN 0 WHEN b.endpoint_id IS NULL THEN 2" \
	"  WHEN b.checked_at > NOW(3) - INTERVAL ? MICROSECOND THEN 0 ELSE 1 END" \
	" FROM api_keys k" \
	" JOIN workspaces w ON w.id = k.workspace_id" \
	" LEFT JOIN event_types t ON t.workspace_id = k.workspace_id AND t.name = ?" \
	" LEFT JOIN applications a ON a.id = ? AND a.workspace_id = k.workspace_id" \
	"  AND a.deleted_at IS NULL" \
	" LEFT JOIN endpoints ke ON ke.id = k.endpoint_id" \
	" LEFT JOIN (subscriptions s JOIN endpoints e" \
	"   ON e.id = s.endpoint_id AND e.active = 1)" \
	"  ON s.workspace_id = k.workspace_id AND s.event_type IN (?, '*')" \
	"  AND " target_scope \
	" LEFT JOIN endpoint_backlog b ON b.endpoint_id = e.id" \
	" WHERE k.key_hash = ? AND k.revoked_at IS NULL AND k.kind = '" kind "'"
#define LOOKUP_SQL(target_scope) LOOKUP_KIND_SQL(target_scope, "ingest")

/* A fan-out: the key's workspace, within the key's environment if any. */
static const char lookup_fan_out_sql[] =
	LOOKUP_SQL("(k.environment_id IS NULL OR e.environment_id = k.environment_id)");

/* One application's endpoints; an endpoint key reaches its own only. */
static const char lookup_application_sql[] =
	LOOKUP_SQL("e.application_id = a.id AND (k.endpoint_id IS NULL OR e.id = k.endpoint_id)");

/* The same, by a management key (which has no endpoint). */
static const char lookup_application_management_sql[] =
	LOOKUP_KIND_SQL("e.application_id = a.id", "management");

enum hf_result
hf_ingest_targets_add(struct hf_ingest_targets *t, const struct hf_ingest_target *target)
{
	struct hf_ingest_target *grown;

	if (t->count == t->capacity) {
		size_t capacity = t->capacity ? t->capacity * 2 : 8;

		grown = realloc(t->items, capacity * sizeof(*grown));
		if (grown == NULL)
			return HF_ERR_NOMEM;
		t->items = grown;
		t->capacity = capacity;
	}
	t->items[t->count++] = *target;
	return HF_OK;
}

/* Append the target of the current row, if it has one. */
static enum hf_result
add_target(const struct hf_query *q, struct hf_ingest_targets *t)
{
	struct hf_ingest_target target;

	if (hf_query_column(q, 11, NULL) == NULL)
		return HF_OK;
	copy_id(target.endpoint_id, q, 11);
	target.backlog_full = hf_query_column_int(q, 12) != 0;
	switch (hf_query_column_int(q, 13)) {
	case 0:
		target.reading = HF_READING_FRESH;
		break;
	case 1:
		target.reading = HF_READING_OLD;
		break;
	default:
		target.reading = HF_READING_NONE;
		break;
	}
	return hf_ingest_targets_add(t, &target);
}

static int
compare_targets(const void *a, const void *b)
{
	return strcmp(((const struct hf_ingest_target *)a)->endpoint_id,
		      ((const struct hf_ingest_target *)b)->endpoint_id);
}

/* Endpoint id order, each endpoint once. */
static void
sort_targets(struct hf_ingest_targets *t)
{
	size_t i, kept = 0;

	if (t->count == 0)
		return;		/* items may be NULL, which qsort may not get */
	qsort(t->items, t->count, sizeof(*t->items), compare_targets);
	for (i = 0; i < t->count; i++) {
		if (kept > 0 && strcmp(t->items[kept - 1].endpoint_id,
				       t->items[i].endpoint_id) == 0)
			continue;
		t->items[kept++] = t->items[i];
	}
	t->count = kept;
}

enum hf_result
hf_ingest_lookup(struct hf_db *db, const struct hf_ingest_ask *ask,
		 struct hf_ingest_lookup *out, struct hf_ingest_targets *targets)
{
	struct hf_query q;
	enum hf_result r;

	memset(out, 0, sizeof(*out));
	targets->count = 0;
	hf_query_start(&q, db, ask->application_id == NULL ? lookup_fan_out_sql
			       : ask->management_key ? lookup_application_management_sql
						     : lookup_application_sql);
	hf_query_int(&q, ask->max_pending);
	hf_query_int(&q, ask->max_pending);
	hf_query_int(&q, HF_BACKLOG_CHECK_MS * 1000);
	hf_query_text(&q, ask->event_type);
	hf_query_text(&q, ask->application_id);
	hf_query_text(&q, ask->event_type);
	hf_query_text(&q, ask->key_hash);
	r = hf_query_run(&q);
	if (r == HF_OK)
		r = hf_query_next(&q);
	if (r == HF_OK) {
		copy_id(out->key_id, &q, 0);
		copy_id(out->workspace_id, &q, 1);
		copy_id(out->key_environment_id, &q, 2);
		copy_id(out->key_endpoint_id, &q, 3);
		out->workspace_max_payload_bytes = (long)hf_query_column_int(&q, 4);
		copy_id(out->event_type_id, &q, 5);
		out->application_found = hf_query_column(&q, 6, NULL) != NULL;
		copy_id(out->application_environment_id, &q, 7);
		out->application_active = hf_query_column_int(&q, 8) != 0;
		copy_id(out->key_endpoint_application_id, &q, 9);
		out->ingest_epoch = (unsigned long long)hf_query_column_int(&q, 10);
		do
			r = add_target(&q, targets);
		while (r == HF_OK && (r = hf_query_next(&q)) == HF_OK);
		if (r == HF_ERR_NOT_FOUND)
			r = HF_OK;
	}
	hf_query_end(&q);
	if (r == HF_OK)
		sort_targets(targets);
	return r;
}

void
hf_ingest_targets_free(struct hf_ingest_targets *targets)
{
	free(targets->items);
	memset(targets, 0, sizeof(*targets));
}

const struct hf_ingest_target *
hf_ingest_targets_find(const struct hf_ingest_targets *targets, const char *endpoint_id)
{
	size_t i;

	for (i = 0; i < targets->count; i++) {
		if (strcmp(targets->items[i].endpoint_id, endpoint_id) == 0)
			return &targets->items[i];
	}
	return NULL;
}

/* A reading an endpoint made outside hookfan-admin and the APIs lacks
 * (each of theirs has one from its creation): a row to lock, as old as
 * can be. */
static const char backlog_add_sql[] =
	"INSERT IGNORE INTO endpoint_backlog (endpoint_id, checked_at, is_full)"
	" SELECT j.id, '1970-01-01', 0 FROM " HF_ID_LIST;

/* The old readings nobody else is counting now: ours to count, with
 * when each was last counted (NULL: to be counted). */
static const char backlog_take_sql[] =
	"SELECT b.endpoint_id, CAST(b.counted_at AS CHAR) FROM " HF_ID_LIST
	" JOIN endpoint_backlog b ON b.endpoint_id = j.id"
	" WHERE b.checked_at <= NOW(3) - INTERVAL ? MICROSECOND"
	" FOR UPDATE SKIP LOCKED";

/*
 * Which taken endpoints' backlogs may have reached the cap since their
 * last count: never counted, full then, or the count plus the messages
 * the workspace has had since (from HF_BACKLOG_SLACK_MS before the oldest
 * of the counts, at most max_pending of them) reaches max_pending.  Only a
 * message adds deliveries between counts (the other ways void the count:
 * hf_ingest_backlog_grew), at most one per endpoint, so that sum bounds
 * the backlog.  The last column is the time the counts are as of.
 */
static const char backlog_due_sql[] =
	"SELECT b.endpoint_id,"
	" b.counted_at IS NULL OR b.is_full = 1 OR b.pending + s.since >= ?,"
	" CAST(NOW(3) AS CHAR)"
	" FROM " HF_ID_LIST
	" JOIN endpoint_backlog b ON b.endpoint_id = j.id"
	" CROSS JOIN (SELECT COUNT(*) AS since FROM (SELECT 1 FROM messages m"
	"   WHERE m.workspace_id = ? AND m.created_at >= ? - INTERVAL ? MICROSECOND"
	"   LIMIT ?) recent) s";

/* An endpoint's pending deliveries, up to the cap: at most max_pending
 * entries of the (endpoint_id, status, due_at) index, one pass.  (A
 * derived table with a LIMIT cannot refer to an outer row, so each
 * endpoint is a statement of its own.) */
static const char backlog_count_sql[] =
	"SELECT COUNT(*) FROM (SELECT 1 FROM deliveries d"
	" WHERE d.endpoint_id = ? AND d.status = 'pending' LIMIT ?) upto";

/* [id, is_full, pending or -1 (not counted: its count stands)]. */
static const char backlog_write_sql[] =
	"UPDATE JSON_TABLE(?, '$[*]' COLUMNS (id " HF_ID_COLUMN " PATH '$[0]',"
	"  is_full INT PATH '$[1]', pending INT PATH '$[2]')) j"
	" JOIN endpoint_backlog b ON b.endpoint_id = j.id"
	" SET b.is_full = j.is_full, b.checked_at = NOW(3),"
	"  b.counted_at = IF(j.pending < 0, b.counted_at, ?),"
	"  b.pending = IF(j.pending < 0, b.pending, j.pending)";

/* backlog_take_sql for the list of old readings: the ids taken, and the
 * oldest of their counts ("" when none was counted). */
static enum hf_result
take_readings(struct hf_db *db, const char *old, struct hf_id_list *taken,
	      char oldest[HF_DB_TIME_LEN + 1])
{
	struct hf_query q;
	enum hf_result r;

	oldest[0] = '\0';
	hf_query_start(&q, db, backlog_take_sql);
	hf_query_text(&q, old);
	hf_query_int(&q, HF_BACKLOG_CHECK_MS * 1000);
	r = hf_query_run(&q);
	while (r == HF_OK && (r = hf_query_next(&q)) == HF_OK) {
		const char *id = hf_query_column(&q, 0, NULL);
		const char *counted = hf_query_column(&q, 1, NULL);

		if (id == NULL)
			continue;
		hf_id_list_add(taken, id);
		if (counted != NULL && (oldest[0] == '\0' || strcmp(counted, oldest) < 0))
			snprintf(oldest, HF_DB_TIME_LEN + 1, "%s", counted);
	}
	hf_query_end(&q);
	return r == HF_ERR_NOT_FOUND ? HF_OK : r;
}

/* One endpoint's backlog_count_sql into n. */
static enum hf_result
count_backlog(struct hf_db *db, const char *endpoint_id, long max_pending, long long *n)
{
	struct hf_query q;
	enum hf_result r;

	hf_query_start(&q, db, backlog_count_sql);
	hf_query_text(&q, endpoint_id);
	hf_query_int(&q, max_pending);
	r = hf_query_run(&q);
	if (r == HF_OK)
		r = hf_query_next(&q);
	if (r == HF_OK)
		*n = hf_query_column_int(&q, 0);
	hf_query_end(&q);
	return r;
}

/* Count the taken endpoints' backlogs where they may have reached the
 * cap (backlog_due_sql), into the readings to write (an empty text, the
 * caller frees it), and the time the counts are as of. */
static enum hf_result
count_backlogs(struct hf_db *db, const char *taken, size_t taken_count,
	       const char *workspace_id, const char *oldest, long max_pending,
	       struct hf_text *readings, char counted_at[HF_DB_TIME_LEN + 1])
{
	char (*due)[HF_ID_MAX_LEN + 1] = calloc(taken_count, sizeof *due);
	size_t due_count = 0, i;
	struct hf_query q;
	enum hf_result r;

	if (due == NULL)
		return HF_ERR_NOMEM;
	hf_text_add(readings, "[", 1);
	hf_query_start(&q, db, backlog_due_sql);
	hf_query_int(&q, max_pending);
	hf_query_text(&q, taken);
	hf_query_text(&q, workspace_id);
	hf_query_text(&q, oldest[0] != '\0' ? oldest : NULL);
	hf_query_int(&q, HF_BACKLOG_SLACK_MS * 1000);
	hf_query_int(&q, max_pending);
	r = hf_query_run(&q);
	while (r == HF_OK && (r = hf_query_next(&q)) == HF_OK) {
		const char *id = hf_query_column(&q, 0, NULL);
		const char *now = hf_query_column(&q, 2, NULL);

		if (id == NULL || now == NULL)
			continue;
		snprintf(counted_at, HF_DB_TIME_LEN + 1, "%s", now);
		if (hf_query_column_int(&q, 1) != 0 && due_count < taken_count)
			copy_id(due[due_count++], &q, 0);
		else	/* not counted: its count stands */
			hf_text_printf(readings, "%s[\"%s\",0,-1]", readings->len > 1 ? "," : "", id);
	}
	hf_query_end(&q);
	if (r == HF_ERR_NOT_FOUND)
		r = HF_OK;
	for (i = 0; i < due_count && r == HF_OK; i++) {
		long long pending = 0;

		r = count_backlog(db, due[i], max_pending, &pending);
		if (r == HF_OK)
			hf_text_printf(readings, "%s[\"%s\",%d,%lld]", readings->len > 1 ? "," : "",
				       due[i], pending >= max_pending ? 1 : 0, pending);
	}
	hf_text_add(readings, "]", 1);
	free(due);
	return r;
}

/* backlog_write_sql of the readings, counted as of counted_at. */
static enum hf_result
write_readings(struct hf_db *db, const char *readings, const char *counted_at)
{
	struct hf_query q;
	enum hf_result r;

	hf_query_start(&q, db, backlog_write_sql);
	hf_query_text(&q, readings);
	hf_query_text(&q, counted_at);
	r = hf_query_run(&q);
	hf_query_end(&q);
	return r;
}

enum hf_result
hf_ingest_backlog_recount(struct hf_db *db, long max_pending, const char *workspace_id,
			  const struct hf_ingest_targets *stale)
{
	struct hf_id_list old_list = { 0 }, unread_list = { 0 }, taken_list = { 0 };
	struct hf_text readings = { 0 };
	char *unread = NULL, *old = NULL, *taken = NULL, *written = NULL;
	char oldest[HF_DB_TIME_LEN + 1], counted_at[HF_DB_TIME_LEN + 1] = "";
	size_t unread_count, old_count, taken_count, i;
	enum hf_result r = HF_OK;

	/* Old readings, and among them those never made (rows to add). */
	for (i = 0; i < stale->count; i++) {
		const struct hf_ingest_target *t = &stale->items[i];

		if (t->reading != HF_READING_FRESH)
			hf_id_list_add(&old_list, t->endpoint_id);
		if (t->reading == HF_READING_NONE)
			hf_id_list_add(&unread_list, t->endpoint_id);
	}
	old_count = old_list.count;
	unread_count = unread_list.count;
	old = hf_id_list_finish(&old_list);
	unread = hf_id_list_finish(&unread_list);
	if (old == NULL || unread == NULL) {
		r = HF_ERR_NOMEM;
		goto out;
	}
	if (old_count == 0 || max_pending <= 0)
		goto out;
	if (unread_count > 0)
		r = hf_db_exec_text(db, backlog_add_sql, unread, NULL);
	if (r == HF_OK)
		r = take_readings(db, old, &taken_list, oldest);
	if (r != HF_OK || taken_list.count == 0)
		goto out;
	taken_count = taken_list.count;
	taken = hf_id_list_finish(&taken_list);
	r = taken == NULL ? HF_ERR_NOMEM
			  : count_backlogs(db, taken, taken_count, workspace_id, oldest,
					   max_pending, &readings, counted_at);
	written = hf_text_finish(&readings);
	if (r == HF_OK && written == NULL)
		r = HF_ERR_NOMEM;
	if (r == HF_OK)
		r = write_readings(db, written, counted_at);
out:
	free(taken_list.text.s);	/* unfinished when a statement failed */
	free(unread);
	free(old);
	free(taken);
	free(written);
	return r;
}

enum hf_result
hf_ingest_backlog_grew(struct hf_db *db, const char *endpoint_id)
{
	/* Static: the statement cache keeps the text's address. */
	static const char sql[] =
		"UPDATE endpoint_backlog SET counted_at = NULL,"
		" checked_at = '1970-01-01' WHERE endpoint_id = ?";

	return hf_db_exec_text(db, sql, endpoint_id, NULL);
}

enum hf_result
hf_ingest_changed(struct hf_db *db, enum hf_ingest_change what, const char *id)
{
#define BUMP_SQL(workspace) \
	"UPDATE workspaces SET ingest_epoch = ingest_epoch + 1 WHERE id = " workspace
	/* Static: the statement cache keeps the text's address. */
	static const char *const bump_sql[] = {
		[HF_CHANGED_WORKSPACE] = BUMP_SQL("?"),
		[HF_CHANGED_ENDPOINT] =
			BUMP_SQL("(SELECT workspace_id FROM endpoints WHERE id = ?)"),
		[HF_CHANGED_APPLICATION] =
			BUMP_SQL("(SELECT workspace_id FROM applications WHERE id = ?)"),
		[HF_CHANGED_KEY] =
			BUMP_SQL("(SELECT workspace_id FROM api_keys WHERE id = ?)"),
	};
#undef BUMP_SQL
	struct hf_query q;
	enum hf_result r;

	hf_query_start(&q, db, bump_sql[what]);
	hf_query_text(&q, id);
	r = hf_query_run(&q);
	hf_query_end(&q);
	return r;
}

enum hf_result
hf_ingest_event_type_register(struct hf_db *db, const char *workspace_id,
			      const char *event_type, char *id)
{
	char new_id[HF_ID_MAX_LEN + 1];
	struct hf_query q;
	enum hf_result r;

	if (hf_id_new(new_id, "evt") != HF_OK)
		return HF_ERR_IO;
	hf_query_start(&q, db,
		       "INSERT IGNORE INTO event_types (id, workspace_id, name) VALUES (?, ?, ?)");
	hf_query_text(&q, new_id);
	hf_query_text(&q, workspace_id);
	hf_query_text(&q, event_type);
	r = hf_query_run(&q);
	hf_query_end(&q);
	if (r != HF_OK)
		return r;
	/* Another request may have registered it first: read back. */
	hf_query_start(&q, db,
		       "SELECT id FROM event_types WHERE workspace_id = ? AND name = ?");
	hf_query_text(&q, workspace_id);
	hf_query_text(&q, event_type);
	r = hf_query_run(&q);
	if (r == HF_OK)
		r = hf_query_next(&q);
	if (r == HF_OK)
		copy_id(id, &q, 0);
	hf_query_end(&q);
	return r == HF_ERR_NOT_FOUND ? HF_ERR_DB : r;
}

/*
 * Append ["del_..","ep_.."] per delivery of m to buf (many: with the
 * message id, workspace, epoch and time the group's CALL needs, see
 * hf_ingest_store_deliveries in sql/routines.sql).
 */
static void
append_deliveries(struct hf_text *buf, const struct hf_ingest_message *m,
		  bool many)
{
	size_t i;

	for (i = 0; i < m->delivery_count; i++) {
		if (buf->len > 1)
			hf_text_add(buf, ",", 1);
		if (many)
			hf_text_printf(buf, "[\"%s\",\"%s\",\"%s\",\"%s\",%llu,\"%s\"]",
				       m->delivery_ids[i], m->id, m->endpoint_ids[i],
				       m->workspace_id, m->ingest_epoch, m->created_at);
		else
			hf_text_printf(buf, "[\"%s\",\"%s\"]", m->delivery_ids[i],
				       m->endpoint_ids[i]);
	}
}

/* The message columns, in the order both stores bind them. */
static void
bind_message(struct hf_query *q, const struct hf_ingest_message *m)
{
	hf_query_text(q, m->id);
	hf_query_text(q, m->workspace_id);
	hf_query_text(q, m->environment_id);
	hf_query_text(q, m->application_id);
	hf_query_text(q, m->event_type_id);
	hf_query_text(q, m->event_type);
	hf_query_bytes(q, m->payload, m->payload_len);
	hf_query_text(q, m->metadata);
	hf_query_text(q, m->status);
	hf_query_text(q, m->created_at);
}

enum hf_result
hf_ingest_store(struct hf_db *db, const struct hf_ingest_message *m)
{
	struct hf_text text = { 0 };
	struct hf_query q;
	enum hf_result r;
	char *pairs;

	hf_text_add(&text, "[", 1);
	append_deliveries(&text, m, false);
	hf_text_add(&text, "]", 1);
	pairs = hf_text_finish(&text);
	if (pairs == NULL)
		return HF_ERR_NOMEM;
	hf_query_start(&q, db,
		       "CALL hf_ingest_store(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
	bind_message(&q, m);
	hf_query_text(&q, pairs);
	hf_query_int(&q, (long long)m->delivery_count);
	hf_query_int(&q, (long long)m->ingest_epoch);
	r = hf_query_run_and_commit(&q);
	hf_query_end(&q);
	free(pairs);
	return r;
}

#define MESSAGE_COLUMNS 11
_Static_assert(HF_INGEST_GROUP_MAX * MESSAGE_COLUMNS <= HF_DB_MAX_PARAMS,
	       "a shared ingest commit binds every message's columns at once");

/* INSERT INTO messages ... VALUES (...) n times, for n = 1..GROUP_MAX:
 * the statement cache keeps the text's address, so it must stay. */
static char *insert_messages_sql[HF_INGEST_GROUP_MAX + 1];
static pthread_once_t insert_messages_once = PTHREAD_ONCE_INIT;

static void
build_insert_messages_sql(void)
{
	static const char head[] =
		"INSERT INTO messages (id, workspace_id, environment_id, application_id,"
		" event_type_id, event_type, payload, metadata, status, created_at,"
		" updated_at) VALUES ";
	static const char row[] = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
	size_t n, i;

	for (n = 1; n <= HF_INGEST_GROUP_MAX; n++) {
		char *sql = malloc(sizeof(head) + n * sizeof(row) + n * 2);

		if (sql == NULL)
			return;	/* hf_ingest_store_many then fails with HF_ERR_NOMEM */
		strcpy(sql, head);
		for (i = 0; i < n; i++) {
			if (i > 0)
				strcat(sql, ", ");
			strcat(sql, row);
		}
		insert_messages_sql[n] = sql;
	}
}

enum hf_result
hf_ingest_store_many(struct hf_db *db, const struct hf_ingest_message *const *m,
		     size_t n)
{
	struct hf_text text = { 0 };
	struct hf_query q;
	size_t count = 0, i;
	char *deliveries;
	enum hf_result r;

	if (n == 0 || n > HF_INGEST_GROUP_MAX)
		return HF_ERR_LIMIT;
	pthread_once(&insert_messages_once, build_insert_messages_sql);
	if (insert_messages_sql[n] == NULL)
		return HF_ERR_NOMEM;
	hf_text_add(&text, "[", 1);
	for (i = 0; i < n; i++) {
		append_deliveries(&text, m[i], true);
		count += m[i]->delivery_count;
	}
	hf_text_add(&text, "]", 1);
	deliveries = hf_text_finish(&text);
	if (deliveries == NULL)
		return HF_ERR_NOMEM;
	hf_query_start(&q, db, insert_messages_sql[n]);
	for (i = 0; i < n; i++) {
		bind_message(&q, m[i]);
		hf_query_text(&q, m[i]->created_at);	/* updated_at */
	}
	r = hf_query_run(&q);
	hf_query_end(&q);
	if (r == HF_OK) {
		hf_query_start(&q, db, "CALL hf_ingest_store_deliveries(?, ?)");
		hf_query_text(&q, deliveries);
		hf_query_int(&q, (long long)count);
		r = hf_query_run_and_commit(&q);
		hf_query_end(&q);
	}
	free(deliveries);
	return r;
}

enum hf_result
hf_ingest_rate_hit(struct hf_db *db, const char *key_bucket,
		   const char *workspace_bucket, long *key_hits,
		   long *workspace_hits)
{
	struct hf_query q;
	enum hf_result r;
	const char *bucket;

	*key_hits = *workspace_hits = 0;
	/*
	 * hits is assigned before window_start, so it still compares with
	 * the old window: a new second starts the count again at 1.
	 */
	hf_query_start(&q, db,
		       "INSERT INTO rate_limits (bucket, window_start, hits)"
		       " VALUES (?, UNIX_TIMESTAMP(), 1), (?, UNIX_TIMESTAMP(), 1)"
		       " ON DUPLICATE KEY UPDATE"
		       " hits = IF(window_start = VALUES(window_start), hits + 1, 1),"
		       " window_start = VALUES(window_start)"
		       " RETURNING bucket, hits");
	hf_query_text(&q, key_bucket);
	hf_query_text(&q, workspace_bucket);
	r = hf_query_run(&q);
	while (r == HF_OK && (r = hf_query_next(&q)) == HF_OK) {
		bucket = hf_query_column(&q, 0, NULL);
		if (bucket != NULL && strcmp(bucket, key_bucket) == 0)
			*key_hits = (long)hf_query_column_int(&q, 1);
		else
			*workspace_hits = (long)hf_query_column_int(&q, 1);
	}
	hf_query_end(&q);
	return r == HF_ERR_NOT_FOUND ? HF_OK : r;
}

enum hf_result
hf_ingest_message_exists(struct hf_db *db, const char *id)
{
	struct hf_query q;
	enum hf_result r;

	hf_query_start(&q, db, "SELECT 1 FROM messages WHERE id = ?");
	hf_query_text(&q, id);
	r = hf_query_run(&q);
	if (r == HF_OK)
		r = hf_query_next(&q);
	hf_query_end(&q);
	return r;
}
