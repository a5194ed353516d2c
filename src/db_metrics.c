/* The reads behind GET /metrics; see db_metrics.h. */
#include "db_metrics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_sweep.h"

/*
 * Each read in two forms: every workspace, or one (a bound "?").  The
 * filter is spelled out rather than "? IS NULL OR ...", which would keep
 * the optimizer from using the workspace as an index range.
 */
#define ONE_WORKSPACE(col) " AND " col " = ?"

/*
 * The endpoints, from the endpoints table itself (a few rows each).  A
 * deleted endpoint (inactive too) is neither active nor disabled: it is
 * gone, and must not keep an alert on disabled endpoints firing.
 */
#define ENDPOINTS_SQL(filter) \
	"SELECT e.workspace_id, SUM(e.active = 1 AND e.deleted_at IS NULL)," \
	" SUM(e.active = 0 AND e.deleted_at IS NULL)" \
	" FROM endpoints e WHERE 1 = 1" filter " GROUP BY e.workspace_id"

/*
 * The outstanding deliveries, through each endpoint's (endpoint_id,
 * status) index entries of the two unfinished statuses: cost in
 * proportion to the deliveries outstanding, whatever the history holds.
 * The statuses come as a table joined by equality: with "status IN
 * (...)" the join used the endpoint part of the index alone and read
 * every delivery the endpoint ever had.  They are ascii, as the column
 * is, or the comparison would convert the column and use no index.
 */
#define OUTSTANDING_SQL(filter) \
	"SELECT e.workspace_id," \
	" SUM(d.status = 'pending' AND NOT " HF_SQL_SENDING("d.") ")," \
	" SUM(" HF_SQL_SENDING("d.") "), SUM(d.status = 'paused')," \
	" COUNT(DISTINCT d.message_id)" \
	" FROM endpoints e" \
	" STRAIGHT_JOIN (SELECT _ascii'pending' AS status UNION ALL SELECT _ascii'paused') s" \
	" STRAIGHT_JOIN deliveries d ON d.endpoint_id = e.id AND d.status = s.status" \
	" WHERE 1 = 1" filter " GROUP BY e.workspace_id"

/* What is due, endpoint by endpoint through the pending entries of the
 * (endpoint_id, status, due_at) index the claim uses: never a scan of
 * the finished ones. */
#define DUE_SQL(filter) \
	"SELECT e.workspace_id, COUNT(*)," \
	" TIMESTAMPDIFF(MICROSECOND, MIN(d.due_at), NOW(3))" \
	" FROM endpoints e STRAIGHT_JOIN deliveries d" \
	" ON d.endpoint_id = e.id AND d.status = 'pending' AND d.due_at <= NOW(3)" \
	" WHERE 1 = 1" filter " GROUP BY e.workspace_id"

#define COUNTERS_SQL(filter) \
	"SELECT workspace_id, outcome, bucket, SUM(attempts), SUM(duration_ms)," \
	" SUM(gave_up) FROM attempt_counters WHERE 1 = 1" filter \
	" GROUP BY workspace_id, outcome, bucket"

enum metrics_query { Q_ENDPOINTS, Q_OUTSTANDING, Q_DUE, Q_COUNTERS, Q_COUNT };

static const char *const all_sql[Q_COUNT] = {
	ENDPOINTS_SQL(""), OUTSTANDING_SQL(""), DUE_SQL(""), COUNTERS_SQL(""),
};

static const char *const one_sql[Q_COUNT] = {
	ENDPOINTS_SQL(ONE_WORKSPACE("e.workspace_id")),
	OUTSTANDING_SQL(ONE_WORKSPACE("e.workspace_id")),
	DUE_SQL(ONE_WORKSPACE("e.workspace_id")),
	COUNTERS_SQL(ONE_WORKSPACE("workspace_id")),
};

struct rows {
	struct hf_metrics_workspace *items;
	size_t count, cap;
};

/*
 * The row of workspace_id, added if missing.  Rows are kept in id order,
 * so a lookup is a binary search and an addition one insertion.
 */
static struct hf_metrics_workspace *
row_of(struct rows *rows, const char *workspace_id)
{
	size_t lo = 0, hi = rows->count;
	struct hf_metrics_workspace *row;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(rows->items[mid].workspace_id, workspace_id);

		if (c == 0)
			return &rows->items[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (rows->count == rows->cap) {
		size_t cap = rows->cap ? rows->cap * 2 : 16;
		struct hf_metrics_workspace *grown =
			realloc(rows->items, cap * sizeof(*grown));

		if (grown == NULL)
			return NULL;
		rows->items = grown;
		rows->cap = cap;
	}
	memmove(&rows->items[lo + 1], &rows->items[lo],
		(rows->count - lo) * sizeof(*rows->items));
	rows->count++;
	row = &rows->items[lo];
	memset(row, 0, sizeof(*row));
	snprintf(row->workspace_id, sizeof(row->workspace_id), "%s", workspace_id);
	return row;
}

static int
class_of(const char *name)
{
	int i;

	for (i = 0; i < HF_CLASS_COUNT; i++) {
		if (strcmp(hf_outcome_class_names[i], name) == 0)
			return i;
	}
	return -1;
}

/* Add one row of query which to its workspace's figures. */
static void
take_row(struct hf_metrics_workspace *w, enum metrics_query which,
	 const struct hf_query *q)
{
	long long bucket;
	int cls;

	switch (which) {
	case Q_ENDPOINTS:
		w->endpoints_active = hf_query_column_int(q, 1);
		w->endpoints_disabled = hf_query_column_int(q, 2);
		break;
	case Q_OUTSTANDING:
		w->pending = hf_query_column_int(q, 1);
		w->sending = hf_query_column_int(q, 2);
		w->paused = hf_query_column_int(q, 3);
		w->messages_outstanding = hf_query_column_int(q, 4);
		break;
	case Q_DUE:
		w->due = hf_query_column_int(q, 1);
		w->oldest_due_seconds = (double)hf_query_column_int(q, 2) / 1e6;
		if (w->oldest_due_seconds < 0)
			w->oldest_due_seconds = 0;
		break;
	case Q_COUNTERS:
		cls = class_of(hf_query_column(q, 1, NULL));
		bucket = hf_query_column_int(q, 2);
		/* A class or bucket a newer sweep wrote: not ours to show. */
		if (cls < 0 || bucket < 0 || bucket >= HF_METRICS_BUCKET_COUNT)
			break;
		w->attempts[cls][bucket] += (unsigned long long)hf_query_column_int(q, 3);
		w->duration_ms[cls] += (unsigned long long)hf_query_column_int(q, 4);
		w->gave_up += (unsigned long long)hf_query_column_int(q, 5);
		break;
	case Q_COUNT:
		break;
	}
}

enum hf_result
hf_metrics_read(struct hf_db *db, const char *workspace_id,
		struct hf_metrics_workspace **out, size_t *count, char *errstr,
		size_t errlen)
{
	struct rows rows = { 0 };
	enum hf_result r = HF_OK;
	struct hf_query q;
	int which;

	*out = NULL;
	*count = 0;
	if (workspace_id != NULL && row_of(&rows, workspace_id) == NULL)
		return hf_fail(HF_ERR_NOMEM, errstr, errlen, "out of memory");
	for (which = 0; which < Q_COUNT && r == HF_OK; which++) {
		hf_query_start(&q, db, workspace_id != NULL ? one_sql[which] : all_sql[which]);
		if (workspace_id != NULL)
			hf_query_text(&q, workspace_id);
		r = hf_query_run(&q);
		while (r == HF_OK && (r = hf_query_next(&q)) == HF_OK) {
			const char *ws = hf_query_column(&q, 0, NULL);
			struct hf_metrics_workspace *w;

			if (ws == NULL)
				continue;
			w = row_of(&rows, ws);
			if (w == NULL) {
				r = HF_ERR_NOMEM;
				break;
			}
			take_row(w, (enum metrics_query)which, &q);
		}
		hf_query_end(&q);
		if (r == HF_ERR_NOT_FOUND)
			r = HF_OK;
	}
	/* Reads only: end the snapshot so the connection holds no view open. */
	mysql_commit(hf_db_mysql(db));
	if (r != HF_OK) {
		free(rows.items);
		if (r == HF_ERR_NOMEM)
			return hf_fail(r, errstr, errlen, "out of memory");
		return hf_db_fail(db, r, errstr, errlen);
	}
	*out = rows.items;
	*count = rows.count;
	return HF_OK;
}

/* The one place a management key is told from an ingest key. */
static const char key_workspace_sql[] =
	"SELECT workspace_id, environment_id FROM api_keys"
	" WHERE key_hash = ? AND revoked_at IS NULL AND kind = 'management'";

enum hf_result
hf_metrics_key_workspace(struct hf_db *db, const char *key_hash,
			 char *workspace_id, char *errstr, size_t errlen)
{
	struct hf_query q;
	enum hf_result r;

	hf_query_start(&q, db, key_workspace_sql);
	hf_query_text(&q, key_hash);
	r = hf_query_run(&q);
	if (r == HF_OK)
		r = hf_query_next(&q);
	if (r == HF_OK) {
		snprintf(workspace_id, HF_ID_MAX_LEN + 1, "%s", hf_query_column(&q, 0, NULL));
		if (hf_query_column(&q, 1, NULL) != NULL)
			r = HF_ERR_REFUSED;
	}
	hf_query_end(&q);
	mysql_commit(hf_db_mysql(db));
	if (r == HF_OK || r == HF_ERR_NOT_FOUND || r == HF_ERR_REFUSED)
		return r;
	return hf_db_fail(db, r, errstr, errlen);
}
