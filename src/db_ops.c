/*
 * Attempt counters and operational webhooks; see db_ops.h.  On the
 * sweep's hot path this costs two statements a batch (one read of the
 * batch's endpoints, one upsert of counters aggregated in memory); the
 * events, which are rare, cost a few statements each.
 */
#include "db_ops.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "crypto.h"
#include "db_text.h"
#include "ids.h"
#include "metrics.h"

/* A DATETIME(3) column as ISO 8601 UTC with milliseconds, NULL stays NULL. */
#define ISO(col) "CONCAT(LEFT(DATE_FORMAT(" col ", '%Y-%m-%dT%H:%i:%s.%f'), 23), 'Z')"

/* ---- making an event -------------------------------------------------- */

/* Is the ops endpoint still there to be told? */
static const char ops_target_sql[] =
	"SELECT id FROM endpoints"
	" WHERE id = ? AND workspace_id = ? AND active = 1";

/*
 * The event's message has no application and no environment, whatever
 * the ops endpoint's: it is the whole workspace's telemetry (any
 * application's failures), so only a workspace-wide key may see it, never
 * one application's listing or portal, nor an environment's key.
 */
static const char insert_message_sql[] =
	"INSERT INTO messages (id, workspace_id, environment_id, application_id,"
	" event_type, payload, status, created_at, updated_at)"
	" VALUES (?, ?, NULL, NULL, ?, ?, 'pending', NOW(3), NOW(3))";

static const char insert_delivery_sql[] =
	"INSERT INTO deliveries (id, message_id, endpoint_id, status, attempts,"
	" due_at, created_at, updated_at)"
	" VALUES (?, ?, ?, 'pending', 0, NOW(3), NOW(3), NOW(3))";

/*
 * A message {"type": type, "data": data} of the workspace with one
 * delivery, due now, to its ops endpoint; nothing when that endpoint is
 * disabled.  Takes data (freed here).
 */
static enum hf_result
ops_emit(struct hf_db *db, const char *workspace_id, const char *ops_id,
	 const char *type, json_object *data, char *errstr, size_t errlen)
{
	char message_id[HF_ID_MAX_LEN + 1], delivery_id[HF_ID_MAX_LEN + 1];
	json_object *event = json_object_new_object();
	const char *payload;
	struct hf_query q;
	enum hf_result r;

	if (event == NULL) {
		json_object_put(data);
		return hf_fail(HF_ERR_NOMEM, errstr, errlen, "out of memory");
	}
	json_object_object_add(event, "type", json_object_new_string(type));
	json_object_object_add(event, "data", data);

	hf_query_start(&q, db, ops_target_sql);
	hf_query_text(&q, ops_id);
	hf_query_text(&q, workspace_id);
	r = hf_query_run(&q);
	if (r == HF_OK)
		r = hf_query_next(&q);
	hf_query_end(&q);
	if (r == HF_ERR_NOT_FOUND) {	/* disabled (or gone): nobody to tell */
		r = HF_OK;
		goto out;
	}
	if (r != HF_OK) {
		hf_db_fail(db, r, errstr, errlen);
		goto out;
	}
	if (hf_id_new(message_id, HF_MESSAGE_ID_PREFIX) != HF_OK ||
	    hf_id_new(delivery_id, "del") != HF_OK) {
		r = hf_fail(HF_ERR_IO, errstr, errlen, "no random bytes for an id");
		goto out;
	}
	payload = json_object_to_json_string_ext(
		event, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	hf_query_start(&q, db, insert_message_sql);
	hf_query_text(&q, message_id);
	hf_query_text(&q, workspace_id);
	hf_query_text(&q, type);
	hf_query_text(&q, payload);
	r = hf_query_run(&q);
	hf_query_end(&q);
	if (r == HF_OK) {
		hf_query_start(&q, db, insert_delivery_sql);
		hf_query_text(&q, delivery_id);
		hf_query_text(&q, message_id);
		hf_query_text(&q, ops_id);
		r = hf_query_run(&q);
		hf_query_end(&q);
	}
	if (r != HF_OK)
		hf_db_fail(db, r, errstr, errlen);
out:
	json_object_put(event);
	return r;
}

/* A JSON string, or JSON null for NULL or "". */
static json_object *
string_or_null(const char *s)
{
	return s != NULL && s[0] != '\0' ? json_object_new_string(s) : NULL;
}

/* ---- endpoint state ----------------------------------------------------- */

/* The endpoint, and the ops endpoint of its workspace (NULL: none). */
static const char endpoint_event_sql[] =
	"SELECT e.workspace_id, e.application_id, " ISO("e.failing_since") ","
	" e.disabled_reason, e.active, w.ops_endpoint_id"
	" FROM endpoints e JOIN workspaces w ON w.id = e.workspace_id"
	" WHERE e.id = ?";

enum ops_trigger { OPS_AUTOMATIC, OPS_MANUAL };

/*
 * endpoint.enabled, or endpoint.disabled with why (reason; NULL: the one
 * the row holds), unless the workspace has no ops endpoint or this is it.
 * With expect_active >= 0, only when the row's active differs from it
 * (the change is still to be made).
 */
static enum hf_result
endpoint_event(struct hf_db *db, const char *endpoint_id, bool enabled,
	       enum ops_trigger trigger, const char *reason, int expect_active,
	       char *errstr, size_t errlen)
{
	char workspace_id[HF_ID_MAX_LEN + 1], ops_id[HF_ID_MAX_LEN + 1];
	json_object *data = NULL;
	struct hf_query q;
	enum hf_result r;
	const char *ops;

	hf_query_start(&q, db, endpoint_event_sql);
	hf_query_text(&q, endpoint_id);
	r = hf_query_expect_row(&q, "endpoint", endpoint_id, errstr, errlen);
	if (r != HF_OK)
		goto out;
	ops = hf_query_column(&q, 5, NULL);
	if (ops == NULL || strcmp(ops, endpoint_id) == 0 ||
	    (expect_active >= 0 && hf_query_column_int(&q, 4) != expect_active))
		goto out;
	snprintf(workspace_id, sizeof(workspace_id), "%s", hf_query_column(&q, 0, NULL));
	snprintf(ops_id, sizeof(ops_id), "%s", ops);
	data = json_object_new_object();
	json_object_object_add(data, "appId", string_or_null(hf_query_column(&q, 1, NULL)));
	json_object_object_add(data, "endpointId", json_object_new_string(endpoint_id));
	if (!enabled) {
		json_object_object_add(data, "failSince",
				       string_or_null(hf_query_column(&q, 2, NULL)));
		json_object_object_add(data, "trigger",
				       json_object_new_string(trigger == OPS_MANUAL
							      ? "manual" : "automatic"));
		json_object_object_add(data, "reason",
				       string_or_null(reason != NULL ? reason
						      : hf_query_column(&q, 3, NULL)));
	}
out:
	hf_query_end(&q);
	if (r != HF_OK || data == NULL)
		return r;
	return ops_emit(db, workspace_id, ops_id,
			enabled ? "endpoint.enabled" : "endpoint.disabled", data,
			errstr, errlen);
}

enum hf_result
hf_ops_endpoint_disabled(struct hf_db *db, const char *endpoint_id,
			 char *errstr, size_t errlen)
{
	return endpoint_event(db, endpoint_id, false, OPS_AUTOMATIC, NULL, -1,
			      errstr, errlen);
}

enum hf_result
hf_ops_endpoint_toggling(struct hf_db *db, const char *endpoint_id,
			 bool active, const char *reason, char *errstr,
			 size_t errlen)
{
	return endpoint_event(db, endpoint_id, active, OPS_MANUAL, reason,
			      active ? 0 : 1, errstr, errlen);
}

/* ---- a batch of results --------------------------------------------------- */

/* One endpoint of the batch as read: its workspace, application, ops. */
struct batch_endpoint {
	char id[HF_ID_MAX_LEN + 1];
	char workspace_id[HF_ID_MAX_LEN + 1];
	char app_id[HF_ID_MAX_LEN + 1];		/* "" when none */
	char ops_id[HF_ID_MAX_LEN + 1];		/* "" when none */
};

/* A plain read, as the result writer's of endpoints: it locks nothing. */
static const char batch_endpoints_sql[] =
	"SELECT e.id, e.workspace_id, e.application_id, w.ops_endpoint_id"
	" FROM " HF_ID_LIST
	" STRAIGHT_JOIN endpoints e ON e.id = j.id"
	" STRAIGHT_JOIN workspaces w ON w.id = e.workspace_id";

/* One cell of attempt_counters a batch adds to. */
struct counter_cell {
	const char *workspace_id;	/* borrowed from a batch_endpoint */
	enum hf_outcome_class outcome;
	unsigned int bucket;
	unsigned long long attempts, duration_ms, gave_up;
};

static int
compare_cells(const void *a, const void *b)
{
	const struct counter_cell *x = a, *y = b;
	int c = strcmp(x->workspace_id, y->workspace_id);

	if (c == 0)
		c = strcmp(hf_outcome_class_names[x->outcome],
			   hf_outcome_class_names[y->outcome]);
	if (c == 0)
		c = (int)x->bucket - (int)y->bucket;
	return c;
}

/*
 * Cells in key order: two sweeps adding to the same cells lock them in
 * the same order and cannot deadlock on them.
 */
static const char counters_sql[] =
	"INSERT INTO attempt_counters (workspace_id, outcome, bucket, shard,"
	" attempts, duration_ms, gave_up)"
	" SELECT j.ws, j.outcome, j.bucket, ?, j.n, j.ms, j.g"
	" FROM JSON_TABLE(?, '$[*]' COLUMNS (ws " HF_ID_COLUMN " PATH '$[0]',"
	"  outcome VARCHAR(16) CHARACTER SET ascii PATH '$[1]',"
	"  bucket INT UNSIGNED PATH '$[2]', n BIGINT UNSIGNED PATH '$[3]',"
	"  ms BIGINT UNSIGNED PATH '$[4]', g BIGINT UNSIGNED PATH '$[5]')) j"
	" ON DUPLICATE KEY UPDATE attempts = attempts + VALUES(attempts),"
	"  duration_ms = duration_ms + VALUES(duration_ms),"
	"  gave_up = gave_up + VALUES(gave_up)";

static enum hf_result
add_counters(struct hf_db *db, struct counter_cell *cells, size_t ncells,
	     char *errstr, size_t errlen)
{
	struct hf_text t = { 0 };
	unsigned char shard = 0;
	struct hf_query q;
	enum hf_result r;
	char *json;
	size_t i;

	if (ncells == 0)
		return HF_OK;
	qsort(cells, ncells, sizeof(*cells), compare_cells);
	hf_text_add(&t, "[", 1);
	for (i = 0; i < ncells; i++) {
		hf_text_add(&t, i > 0 ? ",[" : "[", i > 0 ? 2 : 1);
		hf_text_plain_string(&t, cells[i].workspace_id);
		hf_text_printf(&t, ",\"%s\",%u,%llu,%llu,%llu]",
			       hf_outcome_class_names[cells[i].outcome], cells[i].bucket,
			       cells[i].attempts, cells[i].duration_ms, cells[i].gave_up);
	}
	hf_text_add(&t, "]", 1);
	json = hf_text_finish(&t);
	if (json == NULL)
		return hf_fail(HF_ERR_NOMEM, errstr, errlen, "out of memory");
	if (hf_random_bytes(&shard, 1) != HF_OK)
		shard = 0;
	hf_query_start(&q, db, counters_sql);
	hf_query_int(&q, shard % HF_METRICS_COUNTER_SHARDS);
	hf_query_text(&q, json);
	r = hf_query_run(&q);
	hf_query_end(&q);
	free(json);
	return r == HF_OK ? r : hf_db_fail(db, r, errstr, errlen);
}

static struct batch_endpoint *
find_batch_endpoint(struct batch_endpoint *eps, size_t n, const char *id)
{
	size_t lo = 0, hi = n;

	/* eps[] is in id order: the read returns the sorted list's order. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(eps[mid].id, id);

		if (c == 0)
			return &eps[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static int
compare_batch_endpoints(const void *a, const void *b)
{
	return strcmp(((const struct batch_endpoint *)a)->id,
		      ((const struct batch_endpoint *)b)->id);
}

static enum hf_result
read_batch_endpoints(struct hf_db *db, const struct hf_sweep_result *results,
		     const bool *matched, size_t n, struct batch_endpoint **out,
		     size_t *count, char *errstr, size_t errlen)
{
	const char **ids = calloc(n ? n : 1, sizeof(*ids));
	struct batch_endpoint *eps = NULL;
	size_t k = 0, got = 0, i;
	struct hf_query q;
	enum hf_result r = HF_OK;
	char *json = NULL;

	*out = NULL;
	*count = 0;
	if (ids == NULL)
		return hf_fail(HF_ERR_NOMEM, errstr, errlen, "out of memory");
	for (i = 0; i < n; i++) {
		if (matched[i])
			ids[k++] = results[i].job->endpoint_id;
	}
	if (k == 0)
		goto out;
	json = hf_text_unique_id_list(ids, k);
	eps = calloc(k, sizeof(*eps));
	if (json == NULL || eps == NULL) {
		r = hf_fail(HF_ERR_NOMEM, errstr, errlen, "out of memory");
		goto out;
	}
	hf_query_start(&q, db, batch_endpoints_sql);
	hf_query_text(&q, json);
	r = hf_query_run(&q);
	while (r == HF_OK && (r = hf_query_next(&q)) == HF_OK && got < k) {
		const char *app = hf_query_column(&q, 2, NULL);
		const char *ops = hf_query_column(&q, 3, NULL);

		snprintf(eps[got].id, sizeof(eps[got].id), "%s", hf_query_column(&q, 0, NULL));
		snprintf(eps[got].workspace_id, sizeof(eps[got].workspace_id), "%s",
			 hf_query_column(&q, 1, NULL));
		snprintf(eps[got].app_id, sizeof(eps[got].app_id), "%s", app ? app : "");
		snprintf(eps[got].ops_id, sizeof(eps[got].ops_id), "%s", ops ? ops : "");
		got++;
	}
	hf_query_end(&q);
	if (r != HF_ERR_NOT_FOUND && r != HF_OK) {
		hf_db_fail(db, r, errstr, errlen);
		goto out;
	}
	r = HF_OK;
	qsort(eps, got, sizeof(*eps), compare_batch_endpoints);
	*out = eps;
	*count = got;
	eps = NULL;
out:
	free(eps);
	free(json);
	free(ids);
	return r;
}

/* Unix milliseconds as ISO 8601 UTC with milliseconds. */
static void
iso_time(uint64_t unix_ms, char *out, size_t len)
{
	time_t secs = (time_t)(unix_ms / 1000);
	struct tm tm;
	char day[32];

	gmtime_r(&secs, &tm);
	strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, len, "%s.%03uZ", day, (unsigned int)(unix_ms % 1000));
}

/* The data of a message.attempt.* event, in Svix's shape. */
static json_object *
attempt_event_data(const struct hf_sweep_result *res, const char *attempt_id,
		   const struct batch_endpoint *ep)
{
	json_object *data = json_object_new_object();
	json_object *last = json_object_new_object();
	char when[40];

	iso_time(res->started_unix_ms, when, sizeof(when));
	json_object_object_add(last, "id", json_object_new_string(attempt_id));
	json_object_object_add(last, "timestamp", json_object_new_string(when));
	json_object_object_add(last, "responseStatusCode",
			       json_object_new_int((int)res->status_code));
	json_object_object_add(data, "appId", string_or_null(ep->app_id));
	json_object_object_add(data, "endpointId", json_object_new_string(ep->id));
	json_object_object_add(data, "msgId", json_object_new_string(res->job->message_id));
	json_object_object_add(data, "msgEventId", NULL);
	json_object_object_add(data, "lastAttempt", last);
	return data;
}

/* The events one written result causes (see db_ops.h). */
static enum hf_result
attempt_events(struct hf_db *db, const struct hf_sweep_result *res,
	       const char *attempt_id, const struct batch_endpoint *ep,
	       char *errstr, size_t errlen)
{
	bool failed = res->outcome == HF_OUTCOME_RETRY || res->outcome == HF_OUTCOME_FAILED;
	unsigned long long recovered = 0;
	enum hf_result r = HF_OK;

	if (failed && res->job->attempt == HF_OPS_FAILING_ATTEMPT) {
		r = hf_db_exec_text(db, "INSERT IGNORE INTO ops_failing_deliveries (delivery_id)"
				    " VALUES (?)", res->job->delivery_id, NULL);
		if (r != HF_OK)
			return hf_db_fail(db, r, errstr, errlen);
		r = ops_emit(db, ep->workspace_id, ep->ops_id, "message.attempt.failing",
			     attempt_event_data(res, attempt_id, ep), errstr, errlen);
	}
	if (r == HF_OK && res->outcome == HF_OUTCOME_FAILED)
		r = ops_emit(db, ep->workspace_id, ep->ops_id, "message.attempt.exhausted",
			     attempt_event_data(res, attempt_id, ep), errstr, errlen);
	if (r == HF_OK && res->outcome == HF_OUTCOME_SUCCEEDED &&
	    res->job->attempt > HF_OPS_FAILING_ATTEMPT) {
		r = hf_db_exec_text(db, "DELETE FROM ops_failing_deliveries WHERE delivery_id = ?",
				    res->job->delivery_id, &recovered);
		if (r != HF_OK)
			return hf_db_fail(db, r, errstr, errlen);
		if (recovered > 0)
			r = ops_emit(db, ep->workspace_id, ep->ops_id,
				     "message.attempt.recovered",
				     attempt_event_data(res, attempt_id, ep), errstr, errlen);
	}
	return r;
}

enum hf_result
hf_ops_record_results(struct hf_db *db, const struct hf_sweep_result *results,
		      const bool *matched,
		      const char (*attempt_ids)[HF_ID_MAX_LEN + 1], size_t n,
		      char *errstr, size_t errlen)
{
	struct batch_endpoint *eps = NULL;
	struct counter_cell *cells = calloc(n ? n : 1, sizeof(*cells));
	size_t neps = 0, ncells = 0, i, c;
	enum hf_result r;

	if (cells == NULL)
		return hf_fail(HF_ERR_NOMEM, errstr, errlen, "out of memory");
	r = read_batch_endpoints(db, results, matched, n, &eps, &neps, errstr, errlen);
	for (i = 0; i < n && r == HF_OK; i++) {
		const struct hf_sweep_result *res = &results[i];
		struct batch_endpoint *ep;
		struct counter_cell cell;

		if (!matched[i])
			continue;
		ep = find_batch_endpoint(eps, neps, res->job->endpoint_id);
		if (ep == NULL)
			continue;	/* deleted meanwhile: nothing to count it under */
		cell.workspace_id = ep->workspace_id;
		cell.outcome = hf_metrics_classify(res->status_code, res->error);
		cell.bucket = hf_metrics_bucket(res->duration_ms);
		for (c = 0; c < ncells; c++) {
			if (cells[c].outcome == cell.outcome && cells[c].bucket == cell.bucket &&
			    strcmp(cells[c].workspace_id, cell.workspace_id) == 0)
				break;
		}
		if (c == ncells) {
			cell.attempts = cell.duration_ms = cell.gave_up = 0;
			cells[ncells++] = cell;
		}
		cells[c].attempts++;
		cells[c].duration_ms += res->duration_ms;
		if (res->outcome == HF_OUTCOME_FAILED)
			cells[c].gave_up++;
		if (ep->ops_id[0] != '\0' && strcmp(ep->ops_id, ep->id) != 0)
			r = attempt_events(db, res, attempt_ids[i], ep, errstr, errlen);
	}
	if (r == HF_OK)
		r = add_counters(db, cells, ncells, errstr, errlen);
	free(cells);
	free(eps);
	return r;
}
