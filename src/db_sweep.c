/*
 * The SQL behind hookfan-sweep after the claim (db_claim.c); see
 * db_sweep.h for the protocol.  A batch of deliveries travels to the
 * server as one JSON parameter read with JSON_TABLE, so a batch of
 * results is a handful of statements however many deliveries it carries.
 */
#include "db_sweep.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mysqld_error.h>

#include "crypto.h"
#include "db_ingest.h"
#include "db_ops.h"
#include "db_text.h"
#include "ids.h"

/* The JSON_TABLE column type of the lease tokens (ids: db_text.h). */
#define TOKEN_COLUMN "CHAR(32) CHARACTER SET ascii COLLATE ascii_bin"

/*
 * The lists the statements take (ids, keys, results) travel as JSON text
 * written with db_text.h, not json-c.  Every value is either a number, an
 * id or token (ASCII letters, digits, '_'), hex, a fixed word, or an
 * error text made printable ASCII and escaped below.
 */

/* ["delivery id","lease token"]: a key that names a delivery under a lease. */
static void
text_key(struct hf_text *t, const struct hf_sweep_job *job)
{
	hf_text_add(t, "[", 1);
	hf_text_plain_string(t, job->delivery_id);
	hf_text_add(t, ",", 1);
	hf_text_plain_string(t, job->lease_token);
	hf_text_add(t, "]", 1);
}

/*
 * The newest numbered migration the sweep's statements rely on
 * (sql/005_operations.sql: the attempt counters and ops endpoints;
 * 004_fair_claim.sql: the claim's endpoint_slots and per-endpoint due
 * index; 002: lease_token NOT NULL, '' for no lease).
 */
#define SWEEP_SCHEMA_VERSION 5

enum hf_result
hf_sweep_check_schema(struct hf_db *db, char *errstr, size_t errlen)
{
	struct hf_query q;
	enum hf_result r;
	long long version = 0;

	hf_query_start(&q, db, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
	r = hf_query_run(&q);
	if (r == HF_OK)
		r = hf_query_next(&q);
	if (r == HF_OK)
		version = hf_query_column_int(&q, 0);
	hf_query_end(&q);
	mysql_commit(hf_db_mysql(db));
	if (r == HF_ERR_DB && mysql_errno(hf_db_mysql(db)) == ER_NO_SUCH_TABLE)
		return hf_fail(r, errstr, errlen, "no hookfan schema here (%s): run hookfan-admin migrate",
			       hf_db_error(db));
	if (r != HF_OK)
		return hf_db_fail(db, r, errstr, errlen);
	if (version < SWEEP_SCHEMA_VERSION)
		return hf_fail(HF_ERR_INVALID, errstr, errlen,
			       "the schema is at migration %lld, this hookfan-sweep needs %d: run hookfan-admin migrate",
			       version, SWEEP_SCHEMA_VERSION);
	return HF_OK;
}

/* ---- results --------------------------------------------------------- */


struct record_run {
	const struct hf_sweep_result *results;
	size_t n;
	long disable_after_s;
	char (*attempt_ids)[HF_ID_MAX_LEN + 1];	/* n, made once */
	char *msgs_json;	/* the batch's message ids, sorted, unique */
	char *keys_json;	/* every result's id and token */
	bool *matched;		/* n: the lease still holds */
	bool *active;		/* n: the endpoint as this batch leaves it */
	size_t written;
	char *errstr;
	size_t errlen;
};

static const char *const outcome_names[] = {
	[HF_OUTCOME_SUCCEEDED] = "succeeded",
	[HF_OUTCOME_RETRY] = "retry",
	[HF_OUTCOME_FAILED] = "failed",
	[HF_OUTCOME_GONE] = "gone",
};

/*
 * One result as a JSON array, its fields at the RESULT_* positions, null
 * for SQL NULL: JSON_TABLE reads '$[k]' without comparing keys, and two
 * statements read every row.
 */
static void
text_result(struct hf_text *t, const struct hf_sweep_result *res,
	    const char *attempt_id, bool active)
{
	hf_text_add(t, "[", 1);
	hf_text_plain_string(t, res->job->delivery_id);
	hf_text_add(t, ",", 1);
	hf_text_plain_string(t, attempt_id);
	hf_text_printf(t, ",%u,\"%s\",%d,%lld,%llu,%llu", res->job->attempt,
		    outcome_names[res->outcome], active ? 1 : 0, res->delay_ms,
		    (unsigned long long)res->started_unix_ms,
		    (unsigned long long)(res->duration_ms > 4000000000u
					 ? 4000000000u : res->duration_ms));
	if (res->status_code > 0)
		hf_text_printf(t, ",%ld", res->status_code);
	else
		hf_text_add(t, ",null", 5);
	if (res->error != NULL) {
		char error[256];
		size_t i;

		/*
		 * The column holds 255 characters.  Error texts can quote what
		 * a server or DNS said: keep printable ASCII only, so a cut
		 * never splits a character and the batch's JSON stays valid.
		 */
		snprintf(error, sizeof(error), "%s", res->error);
		hf_text_add(t, ",\"", 2);
		for (i = 0; error[i] != '\0'; i++) {
			char c = error[i];

			if ((unsigned char)c < 0x20 || (unsigned char)c > 0x7e)
				c = '?';
			if (c == '"' || c == '\\')
				hf_text_add(t, "\\", 1);
			hf_text_add(t, &c, 1);
		}
		hf_text_add(t, "\"", 1);
	} else {
		hf_text_add(t, ",null", 5);
	}
	if (res->excerpt_len > 0) {
		size_t len = res->excerpt_len > HF_RESPONSE_EXCERPT_MAX
				     ? HF_RESPONSE_EXCERPT_MAX
				     : res->excerpt_len;
		char hex[2 * HF_RESPONSE_EXCERPT_MAX + 1];

		hf_hex_encode(res->excerpt, len, hex);
		hf_text_add(t, ",", 1);
		hf_text_plain_string(t, hex);
	} else {
		hf_text_add(t, ",null", 5);
	}
	hf_text_add(t, "]", 1);
}

/*
 * Each statement declares only the columns it reads: JSON_TABLE fills
 * every declared column of every row, and that parsing was a good part of
 * the server's time per batch.  Rows are arrays ([id, token] pairs, and
 * results as text_result writes them): a positional path costs about
 * half what a key lookup does.
 */
#define KEY_LIST \
	"JSON_TABLE(?, '$[*]' COLUMNS (id " HF_ID_COLUMN " PATH '$[0]'," \
	"  token " TOKEN_COLUMN " PATH '$[1]')) j"

/* The positions of a result's fields (text_result). */
#define RESULT_ID "'$[0]'"
#define RESULT_ATTEMPT_ID "'$[1]'"
#define RESULT_NUMBER "'$[2]'"
#define RESULT_OUTCOME "'$[3]'"
#define RESULT_ACTIVE "'$[4]'"
#define RESULT_DELAY "'$[5]'"
#define RESULT_STARTED "'$[6]'"
#define RESULT_DURATION "'$[7]'"
#define RESULT_CODE "'$[8]'"
#define RESULT_ERROR "'$[9]'"
#define RESULT_EXCERPT "'$[10]'"

#define ATTEMPT_LIST \
	"JSON_TABLE(?, '$[*]' COLUMNS (id " HF_ID_COLUMN " PATH " RESULT_ID "," \
	"  aid " HF_ID_COLUMN " PATH " RESULT_ATTEMPT_ID "," \
	"  n INT UNSIGNED PATH " RESULT_NUMBER "," \
	"  started BIGINT PATH " RESULT_STARTED "," \
	"  duration BIGINT PATH " RESULT_DURATION "," \
	"  code INT PATH " RESULT_CODE "," \
	"  error VARCHAR(255) PATH " RESULT_ERROR "," \
	"  excerpt VARCHAR(2048) CHARACTER SET ascii PATH " RESULT_EXCERPT ")) j"

#define OUTCOME_LIST \
	"JSON_TABLE(?, '$[*]' COLUMNS (id " HF_ID_COLUMN " PATH " RESULT_ID "," \
	"  outcome VARCHAR(16) CHARACTER SET ascii PATH " RESULT_OUTCOME "," \
	"  active INT PATH " RESULT_ACTIVE "," \
	"  delay BIGINT PATH " RESULT_DELAY "," \
	"  code INT PATH " RESULT_CODE "," \
	"  error VARCHAR(255) PATH " RESULT_ERROR ")) j"

/*
 * Lock order, the same in every writer: messages (in id order), then
 * deliveries, then (rarely) endpoints.  Two sweeps finishing deliveries of
 * one message thus compute its status one after the other.
 */
static const char lock_messages_sql[] =
	"SELECT m.id FROM " HF_ID_LIST
	" STRAIGHT_JOIN messages m ON m.id = j.id"
	" ORDER BY m.id FOR UPDATE";

static const char lock_deliveries_sql[] =
	"SELECT d.id FROM " KEY_LIST
	" STRAIGHT_JOIN deliveries d ON d.id = j.id AND d.lease_token = j.token"
	" ORDER BY d.id FOR UPDATE";

static const char insert_attempts_sql[] =
	"INSERT INTO attempts (id, delivery_id, attempt_number, started_at,"
	" duration_ms, status_code, error, response_excerpt)"
	" SELECT j.aid, j.id, j.n, FROM_UNIXTIME(j.started / 1000), j.duration,"
	"  j.code, j.error, UNHEX(j.excerpt)"
	" FROM " ATTEMPT_LIST;

/*
 * A plain (non-locking) read: in the usual case nothing about the
 * endpoints changes and no endpoint row is locked at all.
 */
static const char endpoint_state_sql[] =
	"SELECT e.id, e.active, e.failing_since IS NOT NULL,"
	" e.failing_since IS NOT NULL AND ? > 0"
	"  AND e.failing_since <= NOW(3) - INTERVAL ? SECOND"
	" FROM " HF_ID_LIST " STRAIGHT_JOIN endpoints e ON e.id = j.id";

/* The conditions are checked again under the row lock. */
static const char disable_endpoint_sql[] =
	"UPDATE endpoints SET active = 0,"
	" disabled_reason = IF(? = 1, 'the endpoint answered 410 Gone',"
	"  CONCAT('failing without a success since ',"
	"         DATE_FORMAT(failing_since, '%Y-%m-%d %H:%i:%s UTC')))"
	" WHERE id = ? AND active = 1 AND (? = 1 OR (failing_since IS NOT NULL"
	"  AND failing_since <= NOW(3) - INTERVAL ? SECOND))";

/*
 * Statements that change rows named by a JSON list join the list as the
 * driving table: MariaDB 10.11 runs "UPDATE ... WHERE id IN (subquery)"
 * as a scan that locks every row it passes.
 */
static const char clear_failing_sql[] =
	"UPDATE " HF_ID_LIST " JOIN endpoints e ON e.id = j.id"
	" SET e.failing_since = NULL WHERE e.failing_since IS NOT NULL";

static const char set_failing_sql[] =
	"UPDATE " HF_ID_LIST " JOIN endpoints e ON e.id = j.id"
	" SET e.failing_since = NOW(3) WHERE e.failing_since IS NULL";

/* j.active: the endpoint's state as this batch leaves it. */
static const char update_deliveries_sql[] =
	"UPDATE deliveries d JOIN " OUTCOME_LIST " ON d.id = j.id"
	" SET d.status = CASE j.outcome WHEN 'succeeded' THEN 'succeeded'"
	"   WHEN 'failed' THEN 'failed' WHEN 'gone' THEN 'paused'"
	"   ELSE IF(j.active = 1, 'pending', 'paused') END,"
	"  d.due_at = IF(j.outcome = 'retry' AND j.active = 1,"
	"   NOW(3) + INTERVAL j.delay * 1000 MICROSECOND, NULL),"
	"  d.last_status_code = j.code, d.last_error = j.error,"
	"  d.lease_token = '', d.updated_at = NOW(3)";

/*
 * Deliveries under a live lease are left to their sweep, whose result
 * parks them; a lease that ran out (its sweep died) is cleared.
 */
static const char park_deliveries_sql[] =
	"UPDATE " HF_ID_LIST " JOIN deliveries d ON d.endpoint_id = j.id"
	" SET " HF_SQL_PARK("d.") " WHERE " HF_SQL_PARKABLE("d.");

/*
 * The message status rule (delivery_state.h) is a function of the
 * deliveries alone, so recomputing it for a message whose result came
 * too late changes nothing.
 */
static const char message_status_sql[] =
	"UPDATE " HF_ID_LIST " JOIN messages m ON m.id = j.id"
	" SET m.status = (SELECT " HF_SQL_MESSAGE_STATUS("d.")
	"   FROM deliveries d WHERE d.message_id = m.id),"
	"  m.updated_at = NOW(3)";

/* What the batch says about one endpoint, and what it was. */
struct endpoint_state {
	const char *id;		/* borrowed from the results */
	bool ok;		/* a success in this batch */
	bool gone;		/* a 410 in this batch */
	bool active, failing, failing_too_long; /* as read */
};

static struct endpoint_state *
find_endpoint(struct endpoint_state *eps, size_t n, const char *id)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (strcmp(eps[i].id, id) == 0)
			return &eps[i];
	}
	return NULL;
}

/* Run sql with the ids of eps[] selected by pick() as its JSON list. */
static enum hf_result
update_endpoint_list(struct hf_db *db, const char *sql,
		     const struct endpoint_state *eps, size_t n,
		     bool (*pick)(const struct endpoint_state *))
{
	const char **ids = calloc(n ? n : 1, sizeof(*ids));
	enum hf_result r = HF_OK;
	size_t i, k = 0;
	char *json;

	if (ids == NULL)
		return HF_ERR_NOMEM;
	for (i = 0; i < n; i++) {
		if (pick(&eps[i]))
			ids[k++] = eps[i].id;
	}
	if (k > 0) {
		json = hf_text_unique_id_list(ids, k);
		r = json == NULL ? HF_ERR_NOMEM : hf_db_exec_text(db, sql, json, NULL);
		free(json);
	}
	free(ids);
	return r;
}

static bool
pick_recovered(const struct endpoint_state *e)
{
	return e->ok && e->failing;
}

static bool
pick_newly_failing(const struct endpoint_state *e)
{
	return !e->ok && !e->failing;
}

static bool
pick_disabled(const struct endpoint_state *e)
{
	return !e->active;
}

/*
 * Read the endpoints of the matched results, decide what changes (failing
 * since, disabled), write only that, and note each result's endpoint's
 * resulting state in run->active[].
 */
static enum hf_result
update_endpoints(struct hf_db *db, struct record_run *run)
{
	size_t neps = 0, i;
	struct endpoint_state *eps = calloc(run->n, sizeof(*eps));
	const char **ids = calloc(run->n, sizeof(*ids));
	char *ids_json = NULL;
	bool any_disabled = false;
	struct hf_query q;
	enum hf_result r = HF_OK;

	if (eps == NULL || ids == NULL) {
		r = HF_ERR_NOMEM;
		goto out;
	}
	for (i = 0; i < run->n; i++) {
		const struct hf_sweep_result *res = &run->results[i];
		const char *ep = res->job->endpoint_id;
		struct endpoint_state *e;

		if (!run->matched[i])
			continue;
		e = find_endpoint(eps, neps, ep);
		if (e == NULL) {
			e = &eps[neps];
			ids[neps++] = ep;
			e->id = ep;
			e->active = true;
		}
		e->ok = e->ok || res->outcome == HF_OUTCOME_SUCCEEDED;
		e->gone = e->gone || res->outcome == HF_OUTCOME_GONE;
	}
	ids_json = hf_text_unique_id_list(ids, neps);
	if (ids_json == NULL) {
		r = HF_ERR_NOMEM;
		goto out;
	}
	hf_query_start(&q, db, endpoint_state_sql);
	hf_query_int(&q, run->disable_after_s);
	hf_query_int(&q, run->disable_after_s);
	hf_query_text(&q, ids_json);
	r = hf_query_run(&q);
	while (r == HF_OK && (r = hf_query_next(&q)) == HF_OK) {
		struct endpoint_state *e =
			find_endpoint(eps, neps, hf_query_column(&q, 0, NULL));

		if (e == NULL)
			continue;
		e->active = hf_query_column_int(&q, 1) == 1;
		e->failing = hf_query_column_int(&q, 2) == 1;
		e->failing_too_long = hf_query_column_int(&q, 3) == 1;
	}
	hf_query_end(&q);
	if (r != HF_ERR_NOT_FOUND)
		goto out;
	r = HF_OK;

	/* 410 disables at once; failing too long without a success does too. */
	for (i = 0; i < neps && r == HF_OK; i++) {
		struct endpoint_state *e = &eps[i];

		if (!e->active || !(e->gone || (!e->ok && e->failing_too_long)))
			continue;
		hf_query_start(&q, db, disable_endpoint_sql);
		hf_query_int(&q, e->gone ? 1 : 0);
		hf_query_text(&q, e->id);
		hf_query_int(&q, e->gone ? 1 : 0);
		hf_query_int(&q, run->disable_after_s);
		r = hf_query_run(&q);
		if (r == HF_OK && hf_query_affected(&q) > 0) {
			e->active = false;
			any_disabled = true;
		}
		hf_query_end(&q);
		if (r == HF_OK && !e->active)
			r = hf_ingest_changed(db, HF_CHANGED_ENDPOINT, e->id);
		if (r == HF_OK && !e->active)
			r = hf_ops_endpoint_disabled(db, e->id, run->errstr, run->errlen);
	}
	if (r == HF_OK)
		r = update_endpoint_list(db, clear_failing_sql, eps, neps, pick_recovered);
	if (r == HF_OK)
		r = update_endpoint_list(db, set_failing_sql, eps, neps, pick_newly_failing);
	if (r == HF_OK && any_disabled)
		r = update_endpoint_list(db, park_deliveries_sql, eps, neps, pick_disabled);
	for (i = 0; i < run->n && r == HF_OK; i++) {
		if (run->matched[i])
			run->active[i] = find_endpoint(eps, neps,
						       run->results[i].job->endpoint_id)->active;
	}
out:
	free(ids_json);
	free(ids);
	free(eps);
	return r;
}

/* The matched results as one JSON list, with their endpoints' state. */
static char *
matched_list(const struct record_run *run)
{
	struct hf_text t = { 0 };
	size_t i;
	bool first = true;

	hf_text_add(&t, "[", 1);
	for (i = 0; i < run->n; i++) {
		if (!run->matched[i])
			continue;
		if (!first)
			hf_text_add(&t, ",", 1);
		first = false;
		text_result(&t, &run->results[i], run->attempt_ids[i], run->active[i]);
	}
	hf_text_add(&t, "]", 1);
	return hf_text_finish(&t);
}

static enum hf_result
record_txn(struct hf_db *db, void *ctx)
{
	struct record_run *run = ctx;
	char **locked = NULL, *matched_json = NULL;
	size_t nlocked = 0, i;
	struct hf_query q;
	enum hf_result r;

	run->written = 0;
	memset(run->matched, 0, run->n * sizeof(*run->matched));

	r = hf_db_exec_text(db, lock_messages_sql, run->msgs_json, NULL);
	if (r != HF_OK)
		goto db_error;

	locked = calloc(run->n, sizeof(*locked));
	if (locked == NULL)
		return HF_ERR_NOMEM;
	hf_query_start(&q, db, lock_deliveries_sql);
	hf_query_text(&q, run->keys_json);
	r = hf_query_run(&q);
	while (r == HF_OK && (r = hf_query_next(&q)) == HF_OK && nlocked < run->n) {
		locked[nlocked] = strdup(hf_query_column(&q, 0, NULL));
		if (locked[nlocked++] == NULL) {
			r = HF_ERR_NOMEM;
			break;
		}
	}
	hf_query_end(&q);
	if (r != HF_ERR_NOT_FOUND && r != HF_OK)
		goto db_error;
	r = HF_OK;
	if (nlocked == 0)
		goto out;
	qsort(locked, nlocked, sizeof(*locked), hf_compare_ids);

	/* Only the results whose lease still holds are written. */
	for (i = 0; i < run->n; i++) {
		const char *key = run->results[i].job->delivery_id;

		if (bsearch(&key, locked, nlocked, sizeof(*locked), hf_compare_ids) != NULL) {
			run->matched[i] = true;
			run->written++;
		}
	}
	/*
	 * Endpoints before the attempts: the attempts lock nothing, and one
	 * list then carries both statements' columns.
	 */
	r = update_endpoints(db, run);
	if (r == HF_ERR_NOMEM)
		goto out;
	if (r != HF_OK)
		goto db_error;
	matched_json = matched_list(run);
	if (matched_json == NULL) {
		r = HF_ERR_NOMEM;
		goto out;
	}
	r = hf_db_exec_text(db, insert_attempts_sql, matched_json, NULL);
	if (r != HF_OK)
		goto db_error;
	r = hf_db_exec_text(db, update_deliveries_sql, matched_json, NULL);
	if (r != HF_OK)
		goto db_error;
	r = hf_db_exec_text(db, message_status_sql, run->msgs_json, NULL);
	if (r != HF_OK)
		goto db_error;
	/* Last: the counter rows it adds to are locked until the commit. */
	r = hf_ops_record_results(db, run->results, run->matched, run->attempt_ids,
				  run->n, run->errstr, run->errlen);
	goto out;
db_error:
	hf_db_fail(db, r, run->errstr, run->errlen);
out:
	for (i = 0; i < nlocked; i++)
		free(locked[i]);
	free(locked);
	free(matched_json);
	return r;
}

enum hf_result
hf_sweep_record(struct hf_db *db, const struct hf_sweep_result *results,
		size_t n, long disable_after_s, size_t *written, char *errstr,
		size_t errlen)
{
	struct record_run run = { 0 };
	struct hf_text keys = { 0 };
	const char **msgs = NULL;
	enum hf_result r = HF_OK;
	size_t i;

	*written = 0;
	if (n == 0)
		return HF_OK;
	run.attempt_ids = calloc(n, sizeof(*run.attempt_ids));
	run.matched = calloc(n, sizeof(*run.matched));
	run.active = calloc(n, sizeof(*run.active));
	msgs = calloc(n, sizeof(*msgs));
	if (run.attempt_ids == NULL || run.matched == NULL || run.active == NULL ||
	    msgs == NULL)
		r = HF_ERR_NOMEM;
	hf_text_add(&keys, "[", 1);
	for (i = 0; i < n && r == HF_OK; i++) {
		/* Attempt ids are made once, so a redone write keeps them. */
		if (hf_id_new(run.attempt_ids[i], "att") != HF_OK)
			r = HF_ERR_IO;
		msgs[i] = results[i].job->message_id;
		if (i > 0)
			hf_text_add(&keys, ",", 1);
		text_key(&keys, results[i].job);
	}
	hf_text_add(&keys, "]", 1);
	run.keys_json = hf_text_finish(&keys);
	if (r == HF_OK && run.keys_json == NULL)
		r = HF_ERR_NOMEM;
	if (r == HF_OK && (run.msgs_json = hf_text_unique_id_list(msgs, n)) == NULL)
		r = HF_ERR_NOMEM;
	if (r != HF_OK) {
		hf_fail(r, errstr, errlen, "cannot build the results batch");
		goto out;
	}
	run.results = results;
	run.n = n;
	run.disable_after_s = disable_after_s;
	run.errstr = errstr;
	run.errlen = errlen;
	r = hf_db_transaction(db, record_txn, &run);
	if (r == HF_OK)
		*written = run.written;
out:
	free(run.keys_json);
	free(msgs);
	free(run.msgs_json);
	free(run.attempt_ids);
	free(run.matched);
	free(run.active);
	return r;
}

/* ---- handing back --------------------------------------------------- */

struct release_run {
	const char *json;
	bool park;
	char *errstr;
	size_t errlen;
};

/* Due again now (release) or parked with nothing due (park); the attempt
 * counted at claim is taken back either way. */
static const char release_sql[] =
	"UPDATE deliveries d JOIN " KEY_LIST " ON d.id = j.id AND d.lease_token = j.token"
	" SET d.status = IF(? = 1, 'paused', 'pending'),"
	"  d.attempts = GREATEST(d.attempts, 1) - 1,"
	"  d.due_at = IF(? = 1, NULL, NOW(3)), d.lease_token = '',"
	"  d.updated_at = NOW(3)";

static enum hf_result
release_txn(struct hf_db *db, void *ctx)
{
	struct release_run *run = ctx;
	struct hf_query q;
	enum hf_result r;

	hf_query_start(&q, db, release_sql);
	hf_query_text(&q, run->json);
	hf_query_int(&q, run->park ? 1 : 0);
	hf_query_int(&q, run->park ? 1 : 0);
	r = hf_query_run(&q);
	hf_query_end(&q);
	return r == HF_OK ? r : hf_db_fail(db, r, run->errstr, run->errlen);
}

static enum hf_result
hand_back(struct hf_db *db, const struct hf_sweep_job *const *jobs, size_t n,
	  bool park, char *errstr, size_t errlen)
{
	struct release_run run = { 0 };
	struct hf_text keys = { 0 };
	char *json;
	enum hf_result r;
	size_t i;

	if (n == 0)
		return HF_OK;
	hf_text_add(&keys, "[", 1);
	for (i = 0; i < n; i++) {
		if (i > 0)
			hf_text_add(&keys, ",", 1);
		text_key(&keys, jobs[i]);
	}
	hf_text_add(&keys, "]", 1);
	json = hf_text_finish(&keys);
	if (json == NULL)
		return HF_ERR_NOMEM;
	run.json = json;
	run.park = park;
	run.errstr = errstr;
	run.errlen = errlen;
	r = hf_db_transaction(db, release_txn, &run);
	free(json);
	return r;
}

enum hf_result
hf_sweep_release(struct hf_db *db, const struct hf_sweep_job *const *jobs,
		 size_t n, char *errstr, size_t errlen)
{
	return hand_back(db, jobs, n, false, errstr, errlen);
}

enum hf_result
hf_sweep_park(struct hf_db *db, const struct hf_sweep_job *const *jobs,
	      size_t n, char *errstr, size_t errlen)
{
	return hand_back(db, jobs, n, true, errstr, errlen);
}
