/*
 * The claim of hookfan-sweep; see db_claim.h for the protocol.  Lists of
 * endpoints and deliveries travel to the server as one JSON parameter
 * read with JSON_TABLE (db_text.h).
 */
#include "db_claim.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "db_text.h"
#include "fair.h"
#include "ids.h"

#define STR2(x) #x
#define STR(x) STR2(x)

static void
job_free_strings(struct hf_sweep_job *job)
{
	free(job->url);
	free(job->payload);
	free(job->secrets);
	job->url = job->payload = job->secrets = NULL;
}

void
hf_sweep_jobs_free(struct hf_sweep_job *jobs, size_t n)
{
	size_t i;

	if (jobs == NULL)
		return;
	for (i = 0; i < n; i++)
		job_free_strings(&jobs[i]);
	free(jobs);
}


/* ---- which endpoints, how many each ------------------------------- */

/*
 * The endpoints with deliveries due, oldest due first: per endpoint, its
 * first 'pending' entry of delivery_endpoint_state, the oldest due_at it
 * has (only a pending delivery has one), one index entry read however
 * long its history; then a sort of one row per endpoint with any due.
 */
static const char due_endpoints_sql[] =
	"SELECT e.id, (SELECT d.due_at FROM deliveries d FORCE INDEX (delivery_endpoint_state)"
	"  WHERE d.endpoint_id = e.id AND d.status = 'pending'"
	"  ORDER BY d.due_at LIMIT 1) AS oldest"
	" FROM endpoints e HAVING oldest <= NOW(3) ORDER BY oldest, e.id LIMIT ?";

/* The lock rows, made the first time an endpoint is claimed. */
static const char add_locks_sql[] =
	"INSERT IGNORE INTO endpoint_slots (endpoint_id, holder)"
	" SELECT j.id, '' FROM " HF_ID_LIST
	" WHERE NOT EXISTS (SELECT 1 FROM endpoint_slots s"
	"  WHERE s.endpoint_id = j.id AND s.holder = '')";

/* Endpoints another sweep is claiming right now are skipped, not waited on. */
static const char lock_endpoints_sql[] =
	"SELECT s.endpoint_id FROM " HF_ID_LIST
	" STRAIGHT_JOIN endpoint_slots s ON s.endpoint_id = j.id AND s.holder = ''"
	" FOR UPDATE SKIP LOCKED";

/*
 * Under the lock, READ COMMITTED: this statement sees every grant another
 * sweep committed before it released the lock.
 */
static const char endpoint_slots_sql[] =
	"SELECT j.id, e.failing_since IS NOT NULL,"
	" (SELECT COALESCE(SUM(s.slots), 0) FROM endpoint_slots s"
	"  WHERE s.endpoint_id = j.id AND s.holder NOT IN ('', ?)"
	"  AND s.until > NOW(3)),"
	" (SELECT COUNT(*) FROM endpoint_slots s"
	"  WHERE s.endpoint_id = j.id AND s.holder NOT IN ('', ?)"
	"  AND s.until > NOW(3))"
	" FROM " HF_ID_LIST " STRAIGHT_JOIN endpoints e ON e.id = j.id";

static const char pick_sql[] =
	"SELECT id FROM deliveries FORCE INDEX (delivery_endpoint_state)"
	" WHERE endpoint_id = ? AND status = 'pending' AND " HF_SQL_DUE("")
	" ORDER BY due_at LIMIT ? FOR UPDATE SKIP LOCKED";

/* A grant lasts as long as the leases of the deliveries claimed with it. */
static const char grant_sql[] =
	"INSERT INTO endpoint_slots (endpoint_id, holder, slots, until)"
	" SELECT j.id, ?, j.n, NOW(3) + INTERVAL ? MICROSECOND"
	" FROM JSON_TABLE(?, '$[*]' COLUMNS (id " HF_ID_COLUMN " PATH '$[0]',"
	"  n INT UNSIGNED PATH '$[1]')) j"
	" ON DUPLICATE KEY UPDATE slots = VALUES(slots), until = VALUES(until)";

/*
 * On a Galera cluster row locks are local to a node: claims on two nodes
 * can hold one endpoint's lock row at once, and each grant slots the
 * other has not counted.  Certification compares only the rows that
 * transactions wrote, so there a claim that grants slots also changes its
 * endpoints' lock rows: of two such claims one is rolled back (a deadlock
 * at COMMIT, or aborted when the other's write reaches its node, which
 * waits for the lock it holds), is redone, and counts the other's slots.
 * The lock row's slots, which nothing reads, flips between 0 and 1 so
 * that the row really changes: an UPDATE that changes nothing writes
 * nothing.  A grant of 0 cannot take the endpoint past its cap, so it
 * needs no conflict.
 */
static const char touch_locks_sql[] =
	"UPDATE JSON_TABLE(?, '$[*]' COLUMNS (id " HF_ID_COLUMN " PATH '$[0]',"
	"  n INT UNSIGNED PATH '$[1]')) j"
	" STRAIGHT_JOIN endpoint_slots s ON s.endpoint_id = j.id AND s.holder = ''"
	" SET s.slots = s.slots ^ 1 WHERE j.n > 0";

/* With the rows of those endpoints whose lease ended (dead sweeps'). */
static const char give_back_sql[] =
	"DELETE FROM endpoint_slots WHERE endpoint_id IN (SELECT j.id FROM " HF_ID_LIST ")"
	" AND (holder = ? OR (holder <> '' AND until < NOW(3)))";

static const char give_back_all_sql[] =
	"DELETE FROM endpoint_slots WHERE holder = ?";

/* One due endpoint of a claim. */
struct due_endpoint {
	char id[HF_ID_MAX_LEN + 1];
	bool locked;		/* ours to claim from this time */
	bool failing;
	unsigned int others;	/* slots other sweeps hold */
	unsigned int sweeps;	/* other sweeps holding or waiting for slots */
	unsigned int slots;	/* granted to this sweep */
	unsigned int row_slots;	/* recorded: no fewer than it runs */
	struct hf_claim_held *held;	/* what the sweep holds of it, or NULL */
	unsigned int limit;	/* most this claim may take */
	unsigned int take;	/* this claim's share */
	unsigned int taken;	/* rows actually claimed */
};

struct load_run;

struct claim_run {
	struct load_run *load;	/* read in the same transaction */
	const struct hf_claim_request *req;
	char token[HF_LEASE_TOKEN_LEN + 1];
	struct due_endpoint *eps;	/* req->limit entries */
	size_t neps;
	unsigned int *limits, *takes;	/* scratch for hf_fair_shares */
	char *ids_json;		/* the claimed ids, owned */
	size_t claimed;
	char *errstr;
	size_t errlen;
};

static struct due_endpoint *
find_due(struct claim_run *run, const char *id)
{
	size_t i;

	for (i = 0; id != NULL && i < run->neps; i++) {
		if (strcmp(run->eps[i].id, id) == 0)
			return &run->eps[i];
	}
	return NULL;
}

static struct hf_claim_held *
find_held(const struct hf_claim_request *req, const char *id)
{
	size_t i;

	for (i = 0; i < req->nheld; i++) {
		if (strcmp(req->held[i].endpoint_id, id) == 0)
			return &req->held[i];
	}
	return NULL;
}

/* The ids of eps[] (all, or the locked ones) as a JSON list. */
static char *
due_list(const struct claim_run *run, bool locked_only)
{
	struct hf_id_list l = { 0 };
	size_t i;

	for (i = 0; i < run->neps; i++) {
		if (!locked_only || run->eps[i].locked)
			hf_id_list_add(&l, run->eps[i].id);
	}
	return hf_id_list_finish(&l);
}

static enum hf_result
give_back(struct hf_db *db, struct claim_run *run)
{
	const struct hf_claim_request *req = run->req;
	struct hf_id_list l = { 0 };
	struct hf_query q;
	enum hf_result r;
	char *json;
	size_t i;

	if (req->ngive_back == 0)
		return HF_OK;
	for (i = 0; i < req->ngive_back; i++)
		hf_id_list_add(&l, req->give_back[i]);
	if ((json = hf_id_list_finish(&l)) == NULL)
		return HF_ERR_NOMEM;
	hf_query_start(&q, db, give_back_sql);
	hf_query_text(&q, json);
	hf_query_text(&q, req->holder);
	r = hf_query_run(&q);
	hf_query_end(&q);
	free(json);
	return r;
}

/* eps[]: the due endpoints, oldest due first. */
static enum hf_result
read_due_endpoints(struct hf_db *db, struct claim_run *run)
{
	struct hf_query q;
	enum hf_result r;

	hf_query_start(&q, db, due_endpoints_sql);
	hf_query_int(&q, run->req->limit);
	r = hf_query_run(&q);
	while (r == HF_OK && (r = hf_query_next(&q)) == HF_OK && run->neps < run->req->limit) {
		const char *id = hf_query_column(&q, 0, NULL);

		snprintf(run->eps[run->neps++].id, HF_ID_MAX_LEN + 1, "%s", id != NULL ? id : "");
	}
	hf_query_end(&q);
	return r == HF_ERR_NOT_FOUND || r == HF_OK ? HF_OK : r;
}

/* Lock what no other claim holds and read the slots others have. */
static enum hf_result
lock_endpoints(struct hf_db *db, struct claim_run *run)
{
	struct hf_query q;
	enum hf_result r;
	char *json = due_list(run, false);
	struct due_endpoint *e;

	if (json == NULL)
		return HF_ERR_NOMEM;
	r = hf_db_exec_text(db, add_locks_sql, json, NULL);
	if (r == HF_OK) {
		hf_query_start(&q, db, lock_endpoints_sql);
		hf_query_text(&q, json);
		r = hf_query_run(&q);
		while (r == HF_OK && (r = hf_query_next(&q)) == HF_OK) {
			if ((e = find_due(run, hf_query_column(&q, 0, NULL))) != NULL)
				e->locked = true;
		}
		hf_query_end(&q);
	}
	free(json);
	if (r != HF_ERR_NOT_FOUND)
		return r;
	if ((json = due_list(run, true)) == NULL)
		return HF_ERR_NOMEM;
	hf_query_start(&q, db, endpoint_slots_sql);
	hf_query_text(&q, run->req->holder);
	hf_query_text(&q, run->req->holder);
	hf_query_text(&q, json);
	r = hf_query_run(&q);
	while (r == HF_OK && (r = hf_query_next(&q)) == HF_OK) {
		long long others = hf_query_column_int(&q, 2);
		long long sweeps = hf_query_column_int(&q, 3);

		if ((e = find_due(run, hf_query_column(&q, 0, NULL))) == NULL)
			continue;
		e->failing = hf_query_column_int(&q, 1) == 1;
		e->others = others > 0 ? (unsigned int)(others < 1000000 ? others : 1000000) : 0;
		e->sweeps = sweeps > 0 ? (unsigned int)(sweeps < 1000000 ? sweeps : 1000000) : 0;
	}
	hf_query_end(&q);
	free(json);
	return r == HF_ERR_NOT_FOUND ? HF_OK : r;
}

/* The fair-share rule (fair.h) over the locked endpoints. */
static void
share_room(struct claim_run *run)
{
	const struct hf_claim_request *req = run->req;
	size_t i, n = 0;

	for (i = 0; i < run->neps; i++) {
		struct due_endpoint *e = &run->eps[i];
		unsigned int cap = hf_fair_cap(req->max_in_flight, e->failing), depth;

		if (!e->locked)
			continue;
		/* Unlimited: no share to keep, whatever others hold. */
		if (req->max_in_flight <= 0)
			e->slots = cap;
		else
			e->slots = hf_fair_slots(cap, e->others, e->sweeps);
		depth = hf_fair_depth(e->slots, e->failing);
		e->held = find_held(req, e->id);
		e->limit = e->held == NULL ? depth
			   : depth > e->held->count ? depth - e->held->count : 0;
		/*
		 * Slots taken back are in use until the sweep learns of it
		 * and its transfers end: until it runs no more than its new
		 * grant (its next claim), the row counts what it may run now
		 * (started while this claim ran) or runs.
		 */
		e->row_slots = e->slots;
		if (e->held != NULL && e->held->slots > e->row_slots)
			e->row_slots = e->held->slots;
		if (e->held != NULL && e->held->running > e->row_slots)
			e->row_slots = e->held->running;
		run->limits[n++] = e->limit;
	}
	hf_fair_shares(run->limits, n, req->limit, run->takes);
	for (i = 0, n = 0; i < run->neps; i++) {
		if (run->eps[i].locked)
			run->eps[i].take = run->takes[n++];
	}
}

/* Claim each endpoint's share of its oldest due rows. */
static enum hf_result
pick_rows(struct hf_db *db, struct claim_run *run, struct hf_id_list *ids)
{
	enum hf_result r = HF_OK;
	size_t i;

	for (i = 0; i < run->neps && r == HF_OK; i++) {
		struct due_endpoint *e = &run->eps[i];
		struct hf_query q;

		if (e->take == 0)
			continue;
		hf_query_start(&q, db, pick_sql);
		hf_query_text(&q, e->id);
		hf_query_int(&q, e->take);
		r = hf_query_run(&q);
		while (r == HF_OK && (r = hf_query_next(&q)) == HF_OK) {
			hf_id_list_add(ids, hf_query_column(&q, 0, NULL));
			e->taken++;
		}
		hf_query_end(&q);
		if (r == HF_ERR_NOT_FOUND)
			r = HF_OK;
	}
	return r;
}

/* Record the slots of every endpoint claimed from, for the lease. */
static enum hf_result
grant_slots(struct hf_db *db, struct claim_run *run)
{
	struct hf_text t = { 0 };
	struct hf_query q;
	enum hf_result r;
	bool first = true;
	char *json;
	size_t i;

	hf_text_add(&t, "[", 1);
	for (i = 0; i < run->neps; i++) {
		const struct due_endpoint *e = &run->eps[i];

		/*
		 * Renewed while the sweep holds deliveries of it; a sweep left
		 * without a slot says so with a row of 0, so that the holders
		 * share (hf_fair_slots).
		 */
		if (!e->locked || (e->taken == 0 && e->held == NULL && e->slots > 0))
			continue;
		hf_text_add(&t, first ? "[" : ",[", first ? 1 : 2);
		first = false;
		hf_text_plain_string(&t, e->id);
		hf_text_printf(&t, ",%u]", e->row_slots);
	}
	hf_text_add(&t, "]", 1);
	if ((json = hf_text_finish(&t)) == NULL)
		return HF_ERR_NOMEM;
	if (first) {
		free(json);
		return HF_OK;
	}
	hf_query_start(&q, db, grant_sql);
	hf_query_text(&q, run->req->holder);
	hf_query_int(&q, (long long)run->req->lease_ms * 1000);
	hf_query_text(&q, json);
	r = hf_query_run(&q);
	hf_query_end(&q);
	/* One server's row locks already keep its claims apart. */
	if (r == HF_OK && hf_db_wsrep(db))
		r = hf_db_exec_text(db, touch_locks_sql, json, NULL);
	free(json);
	return r;
}

/* ---- claiming -------------------------------------------------------- */

/*
 * The UPDATE touches deliveries only: joining endpoints here would lock
 * their rows and make claims wait on sweeps writing results for the same
 * endpoint (the read that follows is a plain SELECT, which locks nothing).
 * It leaves the status 'pending' (a live lease is what makes a delivery
 * "sending"), so of the secondary indexes only due_at's changes, and no
 * column it sets changes size (lease_token is fixed-size and never NULL),
 * so InnoDB rewrites each row in place (sql/002_lease_in_place.sql has
 * what that saved).
 */
static const char claim_update_sql[] =
	"UPDATE deliveries d"
	" JOIN " HF_ID_LIST " ON d.id = j.id"
	" SET d.attempts = d.attempts + 1,"
	"  d.lease_token = ?, d.due_at = NOW(3) + INTERVAL ? MICROSECOND,"
	"  d.updated_at = NOW(3)";

static enum hf_result load_jobs(struct hf_db *db, struct load_run *run);

/*
 * Share out, claim, then read what to send in the same transaction: the
 * read is a plain (non-locking) one, so it waits on nobody, and should it
 * fail the claim is rolled back with it instead of being handed back
 * afterwards.  The endpoints' lock rows are held until the commit.
 */
static enum hf_result
claim_txn(struct hf_db *db, void *ctx)
{
	struct claim_run *run = ctx;
	struct hf_id_list ids = { 0 };
	struct hf_query q;
	enum hf_result r;
	unsigned char raw[HF_LEASE_TOKEN_LEN / 2];

	free(run->ids_json);
	run->ids_json = NULL;
	run->claimed = 0;
	run->neps = 0;
	memset(run->eps, 0, run->req->limit * sizeof(*run->eps));
	/* A fresh token per try: a redone claim must not reuse a lost one. */
	if (hf_random_bytes(raw, sizeof(raw)) != HF_OK)
		return hf_fail(HF_ERR_IO, run->errstr, run->errlen,
			       "no random bytes for a lease token");
	hf_hex_encode(raw, sizeof(raw), run->token);

	r = give_back(db, run);
	if (r == HF_OK)
		r = read_due_endpoints(db, run);
	if (r == HF_OK && run->neps > 0)
		r = lock_endpoints(db, run);
	if (r == HF_OK) {
		share_room(run);
		r = pick_rows(db, run, &ids);
	}
	run->claimed = ids.count;
	run->ids_json = hf_id_list_finish(&ids);
	if (r == HF_ERR_NOMEM || (r == HF_OK && run->ids_json == NULL))
		return HF_ERR_NOMEM;
	if (r != HF_OK)
		return hf_db_fail(db, r, run->errstr, run->errlen);
	r = grant_slots(db, run);
	if (r == HF_ERR_NOMEM)
		return r;
	if (r == HF_OK && run->claimed == 0)
		return HF_OK;
	if (r == HF_OK) {
		hf_query_start(&q, db, claim_update_sql);
		hf_query_text(&q, run->ids_json);
		hf_query_text(&q, run->token);
		hf_query_int(&q, (long long)run->req->lease_ms * 1000);
		r = hf_query_run(&q);
		hf_query_end(&q);
	}
	if (r != HF_OK)
		return hf_db_fail(db, r, run->errstr, run->errlen);
	return load_jobs(db, run->load);
}

struct load_run {
	struct claim_run *claim;
	struct hf_sweep_job *jobs;
	size_t count;
	const struct hf_sweep_job **parked;	/* of disabled endpoints */
	size_t nparked;
	char *errstr;
	size_t errlen;
};

/*
 * The JSON list (in due order) drives the join (STRAIGHT_JOIN: left to
 * itself the optimizer scans every endpoint first), and there is no ORDER
 * BY: sorting rows that carry payloads spills a temporary table to disk.
 */
static const char load_sql[] =
	"SELECT d.id, d.message_id, d.endpoint_id, d.attempts, e.url, m.payload,"
	" e.active"
	" FROM " HF_ID_LIST
	" STRAIGHT_JOIN deliveries d ON d.id = j.id"
	" STRAIGHT_JOIN endpoints e ON e.id = d.endpoint_id"
	" STRAIGHT_JOIN messages m ON m.id = d.message_id"
	" WHERE d.lease_token = ?";

/*
 * The secrets of a claim's endpoints, once per endpoint rather than once
 * per delivery: a batch has far fewer endpoints than deliveries.  Secrets
 * sign while expires_at is NULL or in the future; newest first.
 */
static const char secrets_sql[] =
	"SELECT j.id,"
	" (SELECT GROUP_CONCAT(s.secret ORDER BY s.created_at DESC, s.id DESC"
	"    SEPARATOR ' ' LIMIT " STR(HF_SECRETS_PER_ENDPOINT_MAX) ")"
	"  FROM endpoint_secrets s WHERE s.endpoint_id = j.id"
	"  AND " HF_SQL_SECRET_SIGNS("s.") ")"
	" FROM " HF_ID_LIST;

static char *
copy_column(const struct hf_query *q, unsigned int i, size_t *len)
{
	size_t n = 0;
	const char *s = hf_query_column(q, i, &n);
	char *copy = malloc(n + 1);

	if (copy == NULL)
		return NULL;
	if (s != NULL)
		memcpy(copy, s, n);
	copy[n] = '\0';
	if (len != NULL)
		*len = n;
	return copy;
}

static void
copy_id(char *out, const struct hf_query *q, unsigned int i)
{
	const char *s = hf_query_column(q, i, NULL);

	snprintf(out, HF_ID_MAX_LEN + 1, "%s", s != NULL ? s : "");
}

struct endpoint_secrets {
	const char *endpoint_id;	/* borrowed from a job */
	char *secrets;			/* owned */
};

static int
compare_endpoint_secrets(const void *a, const void *b)
{
	return strcmp(((const struct endpoint_secrets *)a)->endpoint_id,
		      ((const struct endpoint_secrets *)b)->endpoint_id);
}

/* Give every loaded job its endpoint's secrets ("" when it has none). */
static enum hf_result
load_secrets(struct hf_db *db, struct load_run *run)
{
	struct endpoint_secrets *eps = calloc(run->count ? run->count : 1, sizeof(*eps));
	const char **ids = calloc(run->count ? run->count : 1, sizeof(*ids));
	char *ids_json = NULL;
	size_t neps = 0, i;
	struct hf_query q;
	enum hf_result r = HF_OK;

	if (eps == NULL || ids == NULL) {
		r = HF_ERR_NOMEM;
		goto out;
	}
	if (run->count == 0)
		goto out;
	for (i = 0; i < run->count; i++)
		ids[i] = run->jobs[i].endpoint_id;
	ids_json = hf_text_unique_id_list(ids, run->count);
	if (ids_json == NULL) {
		r = HF_ERR_NOMEM;
		goto out;
	}
	/* unique_id_list sorted ids[]: one entry per endpoint, in order. */
	for (i = 0; i < run->count; i++) {
		if (neps > 0 && strcmp(ids[i], eps[neps - 1].endpoint_id) == 0)
			continue;
		eps[neps++].endpoint_id = ids[i];
	}
	hf_query_start(&q, db, secrets_sql);
	hf_query_text(&q, ids_json);
	r = hf_query_run(&q);
	while (r == HF_OK && (r = hf_query_next(&q)) == HF_OK) {
		struct endpoint_secrets key = { hf_query_column(&q, 0, NULL), NULL }, *e;

		if (key.endpoint_id == NULL)
			continue;
		e = bsearch(&key, eps, neps, sizeof(*eps), compare_endpoint_secrets);
		if (e == NULL || e->secrets != NULL)
			continue;
		if ((e->secrets = copy_column(&q, 1, NULL)) == NULL) {
			r = HF_ERR_NOMEM;
			break;
		}
	}
	hf_query_end(&q);
	if (r == HF_ERR_NOMEM)
		goto out;
	if (r != HF_ERR_NOT_FOUND) {
		hf_db_fail(db, r, run->errstr, run->errlen);
		goto out;
	}
	r = HF_OK;
	for (i = 0; i < run->count && r == HF_OK; i++) {
		struct endpoint_secrets key = { run->jobs[i].endpoint_id, NULL }, *e;

		e = bsearch(&key, eps, neps, sizeof(*eps), compare_endpoint_secrets);
		run->jobs[i].secrets = strdup(e != NULL && e->secrets != NULL ? e->secrets : "");
		if (run->jobs[i].secrets == NULL)
			r = HF_ERR_NOMEM;
	}
out:
	for (i = 0; i < neps; i++)
		free(eps[i].secrets);
	free(eps);
	free(ids);
	free(ids_json);
	return r;
}

/* Read what to send for the rows claim_txn just claimed; redo-safe. */
static enum hf_result
load_jobs(struct hf_db *db, struct load_run *run)
{
	struct due_endpoint *ep;
	struct hf_query q;
	enum hf_result r;

	hf_sweep_jobs_free(run->jobs, run->count);
	free(run->parked);
	run->jobs = calloc(run->claim->claimed, sizeof(*run->jobs));
	run->parked = calloc(run->claim->claimed, sizeof(*run->parked));
	run->count = 0;
	run->nparked = 0;
	if (run->jobs == NULL || run->parked == NULL)
		return HF_ERR_NOMEM;
	hf_query_start(&q, db, load_sql);
	hf_query_text(&q, run->claim->ids_json);
	hf_query_text(&q, run->claim->token);
	r = hf_query_run(&q);
	while (r == HF_OK && (r = hf_query_next(&q)) == HF_OK &&
	       run->count < run->claim->claimed) {
		struct hf_sweep_job *job = &run->jobs[run->count++];

		copy_id(job->delivery_id, &q, 0);
		copy_id(job->message_id, &q, 1);
		copy_id(job->endpoint_id, &q, 2);
		memcpy(job->lease_token, run->claim->token, sizeof(job->lease_token));
		job->attempt = (unsigned int)hf_query_column_int(&q, 3);
		ep = find_due(run->claim, job->endpoint_id);
		job->slots = ep != NULL ? ep->slots : 1;
		job->url = copy_column(&q, 4, NULL);
		job->payload = copy_column(&q, 5, &job->payload_len);
		if (job->url == NULL || job->payload == NULL) {
			r = HF_ERR_NOMEM;
			break;
		}
		if (hf_query_column_int(&q, 6) != 1)
			run->parked[run->nparked++] = job;
	}
	hf_query_end(&q);
	if (r == HF_OK || r == HF_ERR_NOT_FOUND)
		return load_secrets(db, run);
	return r == HF_ERR_NOMEM ? r : hf_db_fail(db, r, run->errstr, run->errlen);
}

/*
 * Galera: a claim is read back before anything is sent.  Certification
 * keeps two nodes' claims of one row apart only while every node decides
 * alike, and a node that rejoined by a full state transfer while the
 * others kept writing was seen not to (tests/galera_cluster.py, before
 * its node came back from its recovered position): its claims' COMMIT
 * succeeded while the cluster kept another node's claim of the same
 * rows, and both sent them.  The read is causal (wsrep_sync_wait): it
 * sees every commit ordered before it, and a row whose lease token is
 * not this claim's is left to the claim that holds it.  It also stops a
 * claim whose node died right after the commit: the read waits for the
 * node (or fails, and the rows are sent as before) and by then finds
 * the leases run out and taken by other sweeps.
 */
static const char confirm_sql[] =
	"SELECT d.id FROM " HF_ID_LIST
	" STRAIGHT_JOIN deliveries d ON d.id = j.id WHERE d.lease_token = ?";

struct confirm_run {
	const struct claim_run *claim;
	struct load_run *load;
	bool *ours;		/* per loaded job */
};

static enum hf_result
confirm_txn(struct hf_db *db, void *ctx)
{
	struct confirm_run *run = ctx;
	struct load_run *load = run->load;
	struct hf_query q;
	enum hf_result r;
	size_t next = 0;

	memset(run->ours, 0, load->count * sizeof(*run->ours));
	hf_query_start(&q, db, confirm_sql);
	hf_query_text(&q, run->claim->ids_json);
	hf_query_text(&q, run->claim->token);
	r = hf_query_run(&q);
	while (r == HF_OK && (r = hf_query_next(&q)) == HF_OK) {
		const char *id = hf_query_column(&q, 0, NULL);
		size_t i, k;

		/* Rows come in the list's order, as the jobs were loaded. */
		for (k = 0; id != NULL && k < load->count; k++) {
			i = (next + k) % load->count;
			if (strcmp(load->jobs[i].delivery_id, id) == 0) {
				run->ours[i] = true;
				next = i + 1;
				break;
			}
		}
	}
	hf_query_end(&q);
	if (r == HF_ERR_NOT_FOUND)
		return HF_OK;
	return hf_db_fail(db, r, run->claim->errstr, run->claim->errlen);
}

/* Keep the jobs whose rows this claim holds; free the others. */
static enum hf_result
keep_confirmed(struct hf_db *db, const struct claim_run *claim, struct load_run *load)
{
	struct confirm_run run = { claim, load, NULL };
	enum hf_result r;
	size_t i, kept = 0;

	if (load->count == 0)
		return HF_OK;
	if ((run.ours = calloc(load->count, sizeof(*run.ours))) == NULL)
		return HF_ERR_NOMEM;
	r = hf_db_transaction(db, confirm_txn, &run);
	for (i = 0; r == HF_OK && i < load->count; i++) {
		if (run.ours[i])
			load->jobs[kept++] = load->jobs[i];
		else
			job_free_strings(&load->jobs[i]);
	}
	if (r == HF_OK)
		load->count = kept;
	free(run.ours);
	return r;
}

enum hf_result
hf_sweep_claim(struct hf_db *db, const struct hf_claim_request *req,
	       struct hf_sweep_job **jobs, size_t *count, size_t *claimed,
	       size_t *waiting, char *errstr, size_t errlen)
{
	struct claim_run claim = { 0 };
	struct load_run load = { 0 };
	enum hf_result r;
	size_t i;

	*jobs = NULL;
	*count = 0;
	*claimed = 0;
	*waiting = 0;
	if (req->limit == 0)
		return HF_OK;
	claim.req = req;
	claim.errstr = errstr;
	claim.errlen = errlen;
	claim.load = &load;
	claim.eps = calloc(req->limit, sizeof(*claim.eps));
	claim.limits = calloc(req->limit, sizeof(*claim.limits));
	claim.takes = calloc(req->limit, sizeof(*claim.takes));
	load.claim = &claim;
	load.errstr = errstr;
	load.errlen = errlen;
	if (claim.eps == NULL || claim.limits == NULL || claim.takes == NULL) {
		r = hf_fail(HF_ERR_NOMEM, errstr, errlen, "out of memory");
		goto out;
	}
	r = hf_db_transaction(db, claim_txn, &claim);
	for (i = 0; r == HF_OK && i < claim.neps; i++) {
		struct due_endpoint *e = &claim.eps[i];

		if (!e->locked || e->slots == 0)
			(*waiting)++;
		if (e->locked && e->held != NULL)
			e->held->slots = e->slots;
	}
	if (r != HF_OK || claim.claimed == 0) {
		hf_sweep_jobs_free(load.jobs, load.count);
		load.jobs = NULL;
		goto out;
	}
	*claimed = claim.claimed;
	/*
	 * A disabled endpoint's deliveries are parked, not sent.  Should that
	 * fail, they are sent after all: the endpoint was disabled a moment
	 * ago, and sending once more is better than holding them back.
	 */
	if (load.nparked > 0 &&
	    hf_sweep_park(db, load.parked, load.nparked, errstr, errlen) == HF_OK) {
		size_t kept = 0;

		for (i = 0; i < load.count; i++) {
			size_t k;
			bool parked = false;

			for (k = 0; k < load.nparked && !parked; k++)
				parked = load.parked[k] == &load.jobs[i];
			if (parked) {
				job_free_strings(&load.jobs[i]);
				continue;
			}
			load.jobs[kept++] = load.jobs[i];
		}
		load.count = kept;
	}
	/* Unconfirmed (the database failed meanwhile): sent, as before. */
	if (hf_db_wsrep(db) && keep_confirmed(db, &claim, &load) == HF_ERR_NOMEM) {
		r = hf_fail(HF_ERR_NOMEM, errstr, errlen, "out of memory");
		hf_sweep_jobs_free(load.jobs, load.count);
		load.jobs = NULL;
		goto out;
	}
	*jobs = load.jobs;
	*count = load.count;
out:
	free(load.parked);
	free(claim.ids_json);
	free(claim.eps);
	free(claim.limits);
	free(claim.takes);
	return r;
}

struct give_back_run {
	const char *holder;
	char *errstr;
	size_t errlen;
};

static enum hf_result
give_back_all_txn(struct hf_db *db, void *ctx)
{
	struct give_back_run *run = ctx;
	enum hf_result r = hf_db_exec_text(db, give_back_all_sql, run->holder, NULL);

	return r == HF_OK ? r : hf_db_fail(db, r, run->errstr, run->errlen);
}

enum hf_result
hf_sweep_give_back_slots(struct hf_db *db, const char *holder, char *errstr,
			 size_t errlen)
{
	struct give_back_run run = { holder, errstr, errlen };

	return hf_db_transaction(db, give_back_all_txn, &run);
}
