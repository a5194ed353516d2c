/* The ingest transaction; see ingest.h. */
#include "ingest.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "idempotency.h"
#include "ids.h"
#include "ingest_cache.h"
#include "ingest_group.h"
#include "iso_time.h"
#include "json_input.h"
#include "log.h"
#include "reply.h"

/* Every 401 names the scheme (RFC 9110 section 11.6.1). */
#define INGEST_WWW_AUTHENTICATE "WWW-Authenticate: Bearer\r\n"

struct ingest_context {
	struct hf_server *server;
	struct ingest_input *in;
	struct ingest_outcome *out;
	struct hf_ingest_targets targets;	/* refilled by every try */
	bool cached;		/* this try's lookup came from the cache */
	bool fresh;		/* look up in the database, not the cache */
	bool ran_statements;	/* this try ran some before the store */
	bool store_unknown;	/* a shared commit was cut short: look */
};

/* Forget what an earlier try of the transaction filled in. */
static void
outcome_reset(struct ingest_outcome *out)
{
	free(out->delivery_ids);
	free(out->failures);
	free(out->answer);
	memset(out, 0, sizeof(*out));
}

void
ingest_outcome_free(struct ingest_outcome *out)
{
	outcome_reset(out);
}

/* Decide the answer and roll back: nothing of this request is kept. */
static enum hf_result
refuse(struct ingest_outcome *out, int status, const char *code,
       const char *message)
{
	out->status = status;
	out->code = code;
	snprintf(out->message, sizeof(out->message), "%s", message);
	return HF_ERR_REFUSED;
}

/* The checks that need the key's row alone, before the body is parsed. */
static enum hf_result
check_key(const struct ingest_input *in, struct ingest_outcome *out)
{
	const struct hf_ingest_lookup *k = &out->lookup;
	char message[256];

	if (in->kind == INGEST_TRIGGER && k->key_endpoint_id[0] != '\0')
		return refuse(out, 400, "invalid_api_key",
			      "this key is scoped to one endpoint; a fan-out needs a workspace or environment key");
	if (k->workspace_max_payload_bytes > 0 &&
	    in->body_len > (size_t)k->workspace_max_payload_bytes) {
		snprintf(message, sizeof(message),
			 "the body is larger than this workspace's cap of %ld bytes",
			 k->workspace_max_payload_bytes);
		return refuse(out, 413, "payload_too_large", message);
	}
	return HF_OK;
}

/* The checks of the parsed request, in the order the client sees them. */
static enum hf_result
check_request(const struct ingest_input *in, struct ingest_outcome *out)
{
	const struct hf_ingest_lookup *k = &out->lookup;
	char message[256];

	if (in->invalid_status != 0)
		return refuse(out, in->invalid_status, in->invalid_code,
			      in->invalid_message);
	if (in->kind != INGEST_SEND_MESSAGE)
		return HF_OK;
	/* An application outside the key's reach is as good as absent. */
	if (!k->application_found ||
	    (k->key_environment_id[0] != '\0' &&
	     strcmp(k->key_environment_id, k->application_environment_id) != 0) ||
	    (k->key_endpoint_id[0] != '\0' &&
	     strcmp(k->key_endpoint_application_id, in->application_id) != 0)) {
		snprintf(message, sizeof(message), "application %s not found",
			 in->application_id != NULL ? in->application_id : "");
		return refuse(out, 404, "not_found", message);
	}
	if (!k->application_active) {
		snprintf(message, sizeof(message), "application %s is inactive",
			 in->application_id);
		return refuse(out, 400, "application_inactive", message);
	}
	return HF_OK;
}

static bool
rate_limited(const struct hf_config *cfg)
{
	return cfg->rate_limit_per_key > 0 || cfg->rate_limit_per_workspace > 0;
}

static enum hf_result
count_request(struct hf_db *db, struct ingest_context *ctx)
{
	const struct hf_config *cfg = &ctx->server->cfg;
	struct ingest_outcome *out = ctx->out;
	char key_bucket[HF_ID_MAX_LEN + 8], workspace_bucket[HF_ID_MAX_LEN + 8];
	long key_hits, workspace_hits;
	enum hf_result r;

	if (!rate_limited(cfg))
		return HF_OK;
	ctx->ran_statements = true;
	snprintf(key_bucket, sizeof(key_bucket), "key:%s", out->lookup.key_id);
	snprintf(workspace_bucket, sizeof(workspace_bucket), "ws:%s",
		 out->lookup.workspace_id);
	r = hf_ingest_rate_hit(db, key_bucket, workspace_bucket, &key_hits,
			       &workspace_hits);
	if (r != HF_OK)
		return r;
	if ((cfg->rate_limit_per_key > 0 && key_hits > cfg->rate_limit_per_key) ||
	    (cfg->rate_limit_per_workspace > 0 &&
	     workspace_hits > cfg->rate_limit_per_workspace)) {
		out->extra_headers = "Retry-After: 1\r\n";
		return refuse(out, 429, "rate_limited",
			      key_hits > cfg->rate_limit_per_key && cfg->rate_limit_per_key > 0
				      ? "too many requests for this API key; retry in a second"
				      : "too many requests for this workspace; retry in a second");
	}
	return HF_OK;
}

/*
 * Store the answer under the request's Idempotency-Key, in the
 * transaction the store commits: a crash keeps both or neither.  The
 * same request before: its answer, and nothing is stored.
 */
static enum hf_result
claim_idempotency_key(struct hf_db *db, const struct ingest_input *in,
		      struct ingest_outcome *out)
{
	struct hf_idempotency_answer previous = { 0 };
	char message[128];
	enum hf_result r;

	out->answer = in->answer_text(in, out, &out->answer_len);
	if (out->answer == NULL)
		return HF_ERR_NOMEM;
	r = hf_idempotency_claim(db, out->lookup.workspace_id, &in->caller,
				 in->idempotency_key, in->request_hash, 201, out->answer,
				 out->answer_len, &previous);
	if (r != HF_OK)
		return r;
	if (previous.state == HF_IDEMPOTENCY_MISMATCH) {
		snprintf(message, sizeof(message),
			 "this Idempotency-Key was used for another request in the last %d hours",
			 HF_IDEMPOTENCY_TTL_HOURS);
		return refuse(out, 422, "idempotency_key_reused", message);
	}
	if (previous.state == HF_IDEMPOTENCY_REPLAY) {
		free(out->answer);
		out->answer = previous.body;
		out->answer_len = previous.body_len;
		out->replayed = true;
		out->status = previous.status;
		return HF_ERR_REFUSED;
	}
	return HF_OK;
}

static bool
same_event_type(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/*
 * Keep the targets' old backlog readings for ingest_after_answer; until
 * then the request goes by them as they are.
 */
static enum hf_result
keep_stale_readings(struct hf_server *server, const char *workspace_id,
		    const struct hf_ingest_targets *targets)
{
	struct hf_ingest_targets *stale = &server->stale_readings;
	enum hf_result r = HF_OK;
	size_t i;

	for (i = 0; i < targets->count && r == HF_OK; i++) {
		const struct hf_ingest_target *t = &targets->items[i];

		/* A retry of the request finds them again. */
		if (t->reading != HF_READING_FRESH &&
		    hf_ingest_targets_find(stale, t->endpoint_id) == NULL)
			r = hf_ingest_targets_add(stale, t);
	}
	snprintf(server->stale_workspace_id, sizeof(server->stale_workspace_id), "%s",
		 workspace_id);
	return r;
}

/*
 * Look the key and the targets up for ask, from this process's cache
 * when it has them and this try may; HF_ERR_REFUSED (401) when no valid
 * key has that hash.  A request refused after the key check (need_backlogs
 * false) leaves out-of-date backlog readings alone.
 */
static enum hf_result
look_up(struct hf_db *db, struct ingest_context *ctx,
	const struct hf_ingest_ask *ask, bool need_backlogs)
{
	struct hf_shared *shared = ctx->server->shared;
	struct ingest_outcome *out = ctx->out;
	uint64_t now = hf_monotonic_ms();
	enum hf_result r;

	/*
	 * Not on a Galera node: there only the lookup's SELECT waits for the
	 * writes other nodes have committed (wsrep_sync_wait), so a key
	 * revoked on one node is refused at once on every other.
	 */
	r = HF_ERR_NOT_FOUND;
	if (!ctx->fresh && !hf_db_wsrep(db)) {
		pthread_mutex_lock(&shared->cache_lock);
		r = hf_ingest_cache_get(&shared->ingest_cache, ask, now, &out->lookup,
					&ctx->targets);
		pthread_mutex_unlock(&shared->cache_lock);
	}
	ctx->cached = r == HF_OK;
	if (r != HF_ERR_NOT_FOUND)
		return r;
	ctx->ran_statements = true;	/* the lookup */
	r = hf_ingest_lookup(db, ask, &out->lookup, &ctx->targets);
	if (r == HF_ERR_NOT_FOUND) {
		out->extra_headers = INGEST_WWW_AUTHENTICATE;
		return refuse(out, 401, "unauthorized",
			      "missing, malformed, unknown or revoked API key");
	}
	if (r == HF_OK && need_backlogs)
		r = keep_stale_readings(ctx->server, out->lookup.workspace_id, &ctx->targets);
	if (r != HF_OK)
		return r;
	/*
	 * Not kept: the lookup of an event type not registered yet (this
	 * transaction registers it, and may yet roll back).  One with an old
	 * backlog reading is: its count follows this answer, and the
	 * process's other requests meanwhile go by the reading as it was.
	 */
	if (out->lookup.event_type_id[0] == '\0')
		return HF_OK;
	pthread_mutex_lock(&shared->cache_lock);
	r = hf_ingest_cache_put(&shared->ingest_cache, ask, now, &out->lookup,
				&ctx->targets);
	pthread_mutex_unlock(&shared->cache_lock);
	return r;
}

/*
 * A cached lookup led to a refusal or a failed store: the workspace may
 * have changed since.  Forget it and redo the transaction from the
 * database (HF_ERR_DB_RETRY rolls this try back).
 */
static enum hf_result
redo_fresh(struct ingest_context *ctx, const struct hf_ingest_ask *ask)
{
	struct hf_shared *shared = ctx->server->shared;

	pthread_mutex_lock(&shared->cache_lock);
	hf_ingest_cache_drop(&shared->ingest_cache, ask);
	pthread_mutex_unlock(&shared->cache_lock);
	ctx->fresh = true;
	return HF_ERR_DB_RETRY;
}

/*
 * Parse the body, once per request however often the transaction runs;
 * then, when the parsed event type is not the one the targets were looked
 * up for (send-message's hint was wrong), look them up again.
 */
static enum hf_result
parse_body_once(struct hf_db *db, struct ingest_context *ctx,
		struct hf_ingest_ask *ask)
{
	struct ingest_input *in = ctx->in;
	char errstr[256];

	if (!in->parsed && in->invalid_status == 0) {
		in->parsed = true;
		if (hf_json_parse(in->body, in->body_len, &in->doc, errstr,
				  sizeof(errstr)) != HF_OK)
			ingest_invalid(in, 400, "invalid_json", "%s", errstr);
		else
			in->check(in->doc, in);
	}
	if (in->invalid_status != 0 || same_event_type(in->event_type, ask->event_type))
		return HF_OK;
	ask->event_type = in->event_type;
	return look_up(db, ctx, ask, true);
}

static enum hf_result
ingest_transaction(struct hf_db *db, void *arg)
{
	struct ingest_context *ctx = arg;
	struct ingest_input *in = ctx->in;
	struct ingest_outcome *out = ctx->out;
	const struct hf_config *cfg = &ctx->server->cfg;
	const struct hf_ingest_targets *targets = &ctx->targets;
	char (*endpoints)[HF_ID_MAX_LEN + 1] = NULL;
	struct hf_ingest_ask ask;
	struct hf_ingest_message m;
	enum ingest_group_end end = INGEST_GROUP_ALONE;
	size_t count, i;
	enum hf_result r;

	outcome_reset(out);
	ctx->ran_statements = false;
	ctx->store_unknown = false;
	ask.key_hash = in->key_hash;
	ask.event_type = in->event_type;
	ask.application_id = in->kind == INGEST_SEND_MESSAGE ? in->application_id : NULL;
	ask.max_pending = cfg->max_pending_per_endpoint;
	ask.management_key = in->management_key;
	/* A request refused after the key check needs no backlog counts. */
	r = look_up(db, ctx, &ask, in->invalid_status == 0);
	if (r != HF_OK)
		return r;
	/*
	 * Counted before anything else is decided, so that a request refused
	 * below counts too (its hit alone is committed) and a 429 costs no
	 * parse; and before the store, which commits: a 429 stores nothing.
	 */
	r = count_request(db, ctx);
	if (r != HF_OK)
		return r;
	r = check_key(in, out);
	if (r == HF_OK)
		r = parse_body_once(db, ctx, &ask);
	if (r == HF_OK)
		r = check_request(in, out);
	/* A refusal the lookup decided is never taken from the cache. */
	if (r == HF_ERR_REFUSED && ctx->cached && in->invalid_status == 0)
		return redo_fresh(ctx, &ask);
	if (r == HF_ERR_REFUSED && out->status != 401 && rate_limited(cfg))
		return HF_OK;	/* commit the hit; out->status is the refusal */
	if (r != HF_OK)
		return r;
	if (out->lookup.event_type_id[0] == '\0') {
		ctx->ran_statements = true;
		r = hf_ingest_event_type_register(db, out->lookup.workspace_id,
						  in->event_type,
						  out->lookup.event_type_id);
		if (r != HF_OK)
			return r;
	}

	count = targets->count;
	if (count > 0) {
		out->delivery_ids = calloc(count, sizeof(*out->delivery_ids));
		out->failures = calloc(count, sizeof(*out->failures));
		endpoints = calloc(count, sizeof(*endpoints));
		if (out->delivery_ids == NULL || out->failures == NULL ||
		    endpoints == NULL) {
			r = HF_ERR_NOMEM;
			goto out;
		}
	}
	for (i = 0; i < count; i++) {
		const struct hf_ingest_target *t = &targets->items[i];

		if (t->backlog_full) {
			memcpy(out->failures[out->failure_count++].endpoint_id,
			       t->endpoint_id, HF_ID_MAX_LEN + 1);
			continue;
		}
		if (hf_id_new(out->delivery_ids[out->delivery_count], "del") != HF_OK) {
			r = HF_ERR_IO;
			goto out;
		}
		memcpy(endpoints[out->delivery_count++], t->endpoint_id,
		       HF_ID_MAX_LEN + 1);
	}

	if (hf_id_new(out->message_id, HF_MESSAGE_ID_PREFIX) != HF_OK) {
		r = HF_ERR_IO;
		goto out;
	}
	/* This host's clock, as the id's: the lookup may be a cached one. */
	hf_sql_time_from_unix_ms(hf_unix_ms(), out->created_at);
	/* Subscribers that were all refused (backlog) make a failed message. */
	out->message_status = out->delivery_count > 0 ? "pending"
			      : out->failure_count > 0 ? "failed"
						       : "no_subscribers";
	memset(&m, 0, sizeof(m));
	m.id = out->message_id;
	m.workspace_id = out->lookup.workspace_id;
	if (in->kind == INGEST_TRIGGER) {
		if (out->lookup.key_environment_id[0] != '\0')
			m.environment_id = out->lookup.key_environment_id;
	} else if (out->lookup.application_environment_id[0] != '\0') {
		m.environment_id = out->lookup.application_environment_id;
	}
	m.application_id = ask.application_id;
	m.event_type_id = out->lookup.event_type_id;
	m.event_type = in->event_type;
	m.payload = in->payload;
	m.payload_len = in->payload_len;
	m.metadata = in->metadata;
	m.status = out->message_status;
	m.created_at = out->created_at;
	m.ingest_epoch = out->lookup.ingest_epoch;
	m.delivery_ids = (const char (*)[HF_ID_MAX_LEN + 1])out->delivery_ids;
	m.endpoint_ids = (const char (*)[HF_ID_MAX_LEN + 1])endpoints;
	m.delivery_count = out->delivery_count;
	if (in->idempotency_key[0] != '\0') {
		r = claim_idempotency_key(db, in, out);
		if (r != HF_OK)
			goto out;
	}
	/* After the claim: a replay answers before the hook refuses. */
	if (in->before_store != NULL) {
		r = in->before_store(db, in, out);
		if (r != HF_OK)
			goto out;
	}
	/* With nothing else of this request to commit, share a commit. */
	if (!ctx->ran_statements && m.delivery_count > 0 && in->idempotency_key[0] == '\0' &&
	    in->before_store == NULL && ctx->server->shared->ingest_group != NULL)
		r = ingest_group_store(ctx->server->shared->ingest_group, db, &m, &end);
	if (end == INGEST_GROUP_ALONE)
		r = hf_ingest_store(db, &m);
	ctx->store_unknown = end == INGEST_GROUP_UNKNOWN;
	if ((r == HF_ERR_DB || r == HF_ERR_DB_RETRY) && ctx->cached)
		r = redo_fresh(ctx, &ask);
out:
	free(endpoints);
	return r;
}

/*
 * The store's outcome is unknown: the connection died during its CALL,
 * or the statement timeout cut the CALL short, perhaps after the COMMIT
 * inside it.  The message id is fresh, so looking it up (on a new
 * connection, or after the rollback) tells whether everything was
 * committed (the answer is then the success already built) or nothing
 * was (the answer is then absent's).
 */
static enum hf_result
message_exists(struct hf_db *db, void *message_id)
{
	return hf_ingest_message_exists(db, message_id);
}

static enum hf_result
settle_unknown_store(struct hf_db *db, char *message_id, enum hf_result absent)
{
	enum hf_result r;

	hf_log(HF_LOG_WARN, "store of %s cut short (%s); checking", message_id,
	       hf_db_error(db));
	r = hf_db_transaction(db, message_exists, message_id);
	if (r == HF_ERR_NOT_FOUND)
		return absent;
	if (r != HF_OK)
		return HF_ERR_DB_COMMIT_LOST;
	return HF_OK;
}

static enum hf_result
recount_stale_readings(struct hf_db *db, void *arg)
{
	struct hf_server *server = arg;

	return hf_ingest_backlog_recount(db, server->cfg.max_pending_per_endpoint,
					 server->stale_workspace_id, &server->stale_readings);
}

void
ingest_after_answer(struct hf_server *server)
{
	struct hf_db *db = server->db;	/* the lookup's, which found them */
	enum hf_result r;

	if (server->stale_readings.count == 0)
		return;
	hf_db_set_deadline(db, hf_monotonic_ms() + HF_INGEST_TIMEOUT_MS);
	r = hf_db_transaction(db, recount_stale_readings, server);
	hf_db_set_deadline(db, 0);
	if (r != HF_OK)
		hf_log(HF_LOG_WARN, "backlog readings not counted: %s: %s",
		       hf_result_str(r), hf_db_error(db));
	server->stale_readings.count = 0;
}

void
ingest_run(struct hf_server *server, struct ingest_input *in,
	   struct ingest_outcome *out)
{
	struct ingest_context ctx = { server, in, out, { NULL, 0, 0 }, false, false, false, false };
	struct hf_db *db;
	enum hf_result r;

	memset(out, 0, sizeof(*out));
	db = server_db(server);
	if (db == NULL) {
		refuse(out, 503, "unavailable",
		       "the database is unavailable; nothing was stored; retry later");
		out->extra_headers = "Retry-After: 5\r\n";
		return;
	}
	hf_db_set_deadline(db, hf_monotonic_ms() + HF_INGEST_TIMEOUT_MS);
	r = hf_db_transaction(db, ingest_transaction, &ctx);
	hf_ingest_targets_free(&ctx.targets);
	if (r == HF_ERR_DB_COMMIT_LOST ||
	    (r == HF_ERR_TIMEOUT && (hf_db_outcome_unknown(db) || ctx.store_unknown)))
		r = settle_unknown_store(db, out->message_id,
					 r == HF_ERR_TIMEOUT ? HF_ERR_TIMEOUT : HF_ERR_DB_GONE);
	hf_db_set_deadline(db, 0);
	switch (r) {
	case HF_OK:
		if (out->status != 0)
			break;	/* refused; its rate-limit hit was committed */
		out->status = in->kind == INGEST_TRIGGER ? 202 : 201;
		return;
	case HF_ERR_REFUSED:
		break;
	case HF_ERR_TIMEOUT:
	case HF_ERR_DB_RETRY:
		hf_log(HF_LOG_WARN, "ingest timed out: %s", hf_db_error(db));
		refuse(out, 504, "ingest_timeout",
		       "ingest took longer than 5 s; nothing was stored; safe to retry");
		break;
	case HF_ERR_DB_COMMIT_LOST:
		hf_log(HF_LOG_ERROR, "outcome of %s unknown: %s", out->message_id,
		       hf_db_error(db));
		refuse(out, 503, "unavailable",
		       "the store was cut short and the database cannot tell whether the message was stored; retry later");
		out->extra_headers = "Retry-After: 5\r\n";
		break;
	case HF_ERR_DB_GONE:
		hf_log(HF_LOG_ERROR, "database unavailable: %s", hf_db_error(db));
		refuse(out, 503, "unavailable",
		       "the database is unavailable; nothing was stored; retry later");
		out->extra_headers = "Retry-After: 5\r\n";
		break;
	default:
		hf_log(HF_LOG_ERROR, "ingest failed: %s: %s", hf_result_str(r),
		       hf_db_error(db));
		refuse(out, 500, "internal_error",
		       "internal error; nothing was stored");
		break;
	}
	/* Keep the decided answer, drop what the failed transaction built. */
	free(out->delivery_ids);
	free(out->failures);
	out->delivery_ids = NULL;
	out->failures = NULL;
	out->delivery_count = out->failure_count = 0;
}

void
ingest_iso_time(const char *db_time, char *out, size_t outlen)
{
	size_t len = strlen(db_time);

	if (len < 19) {
		snprintf(out, outlen, "%s", db_time);
		return;
	}
	/* DATETIME(3) always prints three fraction digits. */
	snprintf(out, outlen, "%.10sT%sZ", db_time, db_time + 11);
}

void
ingest_take_key(struct ingest_input *in, struct hf_request *req,
		const char *key)
{
	hf_sha256_hex(key, strlen(key), in->key_hash);
	if (request_param(req, "HTTP_IDEMPOTENCY_KEY") != NULL &&
	    hf_idempotency_caller_init(&in->caller, key, in->key_hash) != HF_OK)
		ingest_invalid(in, 500, "internal_error",
			       "cannot derive the key's Idempotency-Key answer key");
}

bool
ingest_preflight(struct hf_server *server, struct hf_request *req,
		 struct ingest_input *in)
{
	char key[HF_API_KEY_MAX_LEN + 1];
	size_t cap = (size_t)server->cfg.max_payload_bytes;

	if (!request_api_key(req, key)) {
		reply_error(req, 401, INGEST_WWW_AUTHENTICATE, "unauthorized",
			    "missing or malformed API key: send Authorization: Bearer KEY or X-API-Key: KEY");
		return false;
	}
	ingest_take_key(in, req, key);
	if (!request_is_json(req)) {
		ingest_invalid(in, 415, "unsupported_media_type",
			       "the body must be JSON: send Content-Type: application/json");
		return true;
	}
	switch (request_read_body(req, server->body, cap, &in->body_len)) {
	case REQUEST_BODY_OK:
		in->body = server->body;
		break;
	case REQUEST_BODY_TOO_LARGE:
		ingest_invalid(in, 413, "payload_too_large",
			       "the body is larger than %zu bytes", cap);
		break;
	case REQUEST_BODY_BAD_LENGTH:
		ingest_invalid(in, 400, "invalid_request",
			       "Content-Length is not a decimal number");
		break;
	default:
		ingest_invalid(in, 400, "invalid_request",
			       "the request body could not be read");
		break;
	}
	return true;
}

void
ingest_invalid(struct ingest_input *in, int status, const char *code,
	       const char *fmt, ...)
{
	va_list ap;

	if (in->invalid_status != 0)
		return;
	in->invalid_status = status;
	in->invalid_code = code;
	va_start(ap, fmt);
	vsnprintf(in->invalid_message, sizeof(in->invalid_message), fmt, ap);
	va_end(ap);
}

void
ingest_reply_error(struct hf_request *req, const struct ingest_outcome *out)
{
	reply_error(req, out->status, out->extra_headers, out->code, "%s",
		    out->message);
}
