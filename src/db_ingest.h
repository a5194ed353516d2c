/*
 * The statements behind the HTTP ingest (hookfan.fcgi).  Each function
 * issues a fixed number of statements inside the caller's transaction
 * (hf_db_transaction), whatever the fan-out width (but for one per
 * backlog the recount counts); a request usually
 * costs one round trip, the store, since hookfan.fcgi keeps its lookups
 * for a while (src/ingest_cache.h), and two when it looks up:
 *
 *	hf_ingest_lookup		1 SELECT: key, workspace, event type,
 *					app, subscribed endpoints + backlog
 *					readings
 *	hf_ingest_backlog_recount	2 to 4 statements when a backlog
 *					reading is out of date (once per
 *					HF_BACKLOG_CHECK_MS per endpoint),
 *					and 1 per backlog it counts, in a
 *					transaction of its own
 *	hf_ingest_event_type_register	INSERT IGNORE + SELECT, first use only
 *	hf_ingest_rate_hit		1 INSERT ... ON DUPLICATE KEY ... RETURNING,
 *					when rate limits are on
 *	hf_ingest_store			1 CALL: message, deliveries, COMMIT
 *	hf_ingest_store_many		1 INSERT + 1 CALL: up to
 *					HF_INGEST_GROUP_MAX messages, their
 *					deliveries, one COMMIT
 *
 * Failures are the database's (HF_ERR_DB*, HF_ERR_TIMEOUT); the policy
 * (who may do what, which HTTP status) lives in cgi/.
 * Id buffers are HF_ID_MAX_LEN + 1 bytes; "" stands for SQL NULL.
 */
#ifndef HF_DB_INGEST_H
#define HF_DB_INGEST_H

#include <stdbool.h>
#include <stddef.h>

#include "db.h"
#include "limits.h"

/* "YYYY-MM-DD HH:MM:SS.mmm", a DATETIME(3). */
#define HF_DB_TIME_LEN 23

struct hf_ingest_lookup {
	char key_id[HF_ID_MAX_LEN + 1];
	char workspace_id[HF_ID_MAX_LEN + 1];
	char key_environment_id[HF_ID_MAX_LEN + 1];	/* "" : every env */
	char key_endpoint_id[HF_ID_MAX_LEN + 1];	/* "" : not endpoint-scoped */
	char key_endpoint_application_id[HF_ID_MAX_LEN + 1];
	long workspace_max_payload_bytes;		/* 0 : no workspace cap */
	char event_type_id[HF_ID_MAX_LEN + 1];		/* "" : not registered */
	bool application_found;		/* only when an app id was asked for */
	char application_environment_id[HF_ID_MAX_LEN + 1];
	bool application_active;
	/* The workspace's ingest_epoch: hf_ingest_store refuses a lookup
	 * older than the workspace's last change (sql/008_ingest_cache.sql). */
	unsigned long long ingest_epoch;
};

/* How old an endpoint's backlog reading is. */
enum hf_backlog_reading {
	HF_READING_FRESH,	/* younger than HF_BACKLOG_CHECK_MS, or no cap */
	HF_READING_OLD,		/* older: for hf_ingest_backlog_recount */
	HF_READING_NONE		/* never counted */
};

struct hf_ingest_target {
	char endpoint_id[HF_ID_MAX_LEN + 1];
	bool backlog_full;	/* max_pending or more pending when counted */
	enum hf_backlog_reading reading;
};

/* A growing array; hf_ingest_targets_free() releases it. */
struct hf_ingest_targets {
	struct hf_ingest_target *items;
	size_t count, capacity;
};

void hf_ingest_targets_free(struct hf_ingest_targets *targets);

/* Append a copy of target; HF_ERR_NOMEM when out of memory. */
enum hf_result hf_ingest_targets_add(struct hf_ingest_targets *targets,
				     const struct hf_ingest_target *target);

/* The target for endpoint_id, or NULL. */
const struct hf_ingest_target *hf_ingest_targets_find(const struct hf_ingest_targets *targets,
						      const char *endpoint_id);

/* What a request asks for. */
struct hf_ingest_ask {
	const char *key_hash;		/* SHA-256 hex of the API key */
	const char *event_type;
	const char *application_id;	/* NULL: a fan-out to the key's scope */
	long max_pending;		/* backlog cap per endpoint, 0 = none */
	bool management_key;		/* an application's message by a
					 * management key (not an ingest key) */
};

/*
 * Find the unrevoked key whose SHA-256 is ask->key_hash, its workspace,
 * the id of the event type in that workspace ("" when new) and, for an
 * application, that application if it is in the key's workspace.  Into
 * *targets (emptied first, reusable): the active endpoints the message
 * reaches, subscribed to the event type or "*", in id order, each with
 * the endpoint's backlog reading (never full when max_pending is 0).
 * A fan-out reaches
 * the key's workspace (its environment, if the key has one); an
 * application message that application's endpoints (only its own for an
 * endpoint key).  HF_ERR_NOT_FOUND when no valid key has that hash.
 */
enum hf_result hf_ingest_lookup(struct hf_db *db, const struct hf_ingest_ask *ask,
				struct hf_ingest_lookup *out,
				struct hf_ingest_targets *targets);

/*
 * Check again the backlog readings of the endpoints in stale (all of
 * workspace_id's) that are not fresh, and write them: whether each
 * endpoint has max_pending (> 0) or more deliveries pending.  A reading
 * keeps the count it was last made from; until the count plus the
 * messages the workspace has had since (HF_BACKLOG_SLACK_MS before it)
 * reaches max_pending, nothing more is counted.  Only then, or after a
 * full count, does the check count again (up to max_pending index
 * entries, a statement per endpoint counted), so an endpoint far from
 * its cap costs a few recent index entries of the messages, however long
 * its backlog.  Done once per HF_BACKLOG_CHECK_MS per endpoint, in a
 * transaction of its own after the answer of the request that found the
 * reading old (cgi/ingest.h ingest_after_answer).  A reading another
 * connection is checking, or has checked since, is left alone; the
 * readings checked stay locked until the transaction ends.
 */
enum hf_result hf_ingest_backlog_recount(struct hf_db *db, long max_pending,
					 const char *workspace_id,
					 const struct hf_ingest_targets *stale);

/*
 * The endpoint's backlog may have grown other than by a new message (a
 * delivery retried, a message resent, paused deliveries resumed), which
 * its reading's bound does not see: its reading is made old and its count
 * void, so the next request to it has the backlog counted.  In the
 * caller's transaction.
 */
enum hf_result hf_ingest_backlog_grew(struct hf_db *db, const char *endpoint_id);

/* The row an ingest_epoch bump names its workspace by. */
enum hf_ingest_change {
	HF_CHANGED_WORKSPACE,
	HF_CHANGED_ENDPOINT,
	HF_CHANGED_APPLICATION,
	HF_CHANGED_KEY
};

/*
 * Bump the ingest_epoch of the workspace of row id (what names it), in
 * the caller's transaction, so that no ingest lookup made before the
 * change is stored on.  Every change to what a lookup finds calls it: a
 * key revoked, an endpoint's active flag or its removal, a subscription
 * added or removed, an application changed or removed.
 */
enum hf_result hf_ingest_changed(struct hf_db *db, enum hf_ingest_change what,
				 const char *id);

/* Register event_type in the workspace if new; its id into id. */
enum hf_result hf_ingest_event_type_register(struct hf_db *db,
					     const char *workspace_id,
					     const char *event_type, char *id);

struct hf_ingest_message {
	const char *id;
	const char *workspace_id;
	const char *environment_id;	/* may be NULL */
	const char *application_id;	/* may be NULL */
	const char *event_type_id;	/* may be NULL */
	const char *event_type;
	const char *payload;		/* JSON text */
	size_t payload_len;
	const char *metadata;		/* JSON text or NULL */
	const char *status;		/* "pending" or "no_subscribers" */
	const char *created_at;		/* HF_DB_TIME_LEN, UTC */
	unsigned long long ingest_epoch; /* of the lookup it was decided on */
	/* One pending delivery, due at created_at, per endpoint: */
	const char (*delivery_ids)[HF_ID_MAX_LEN + 1];
	const char (*endpoint_ids)[HF_ID_MAX_LEN + 1];
	size_t delivery_count;
};

/*
 * Store the message and its deliveries, then COMMIT, in one CALL
 * (sql/routines.sql).  Anything but exactly m->delivery_count deliveries
 * stored is an error.  HF_ERR_DB_RETRY: the workspace changed since
 * m->ingest_epoch was read (nothing stored; look up again).
 * HF_ERR_DB_COMMIT_LOST: the connection died on the way and the outcome
 * is unknown.
 */
enum hf_result hf_ingest_store(struct hf_db *db, const struct hf_ingest_message *m);

/*
 * Store n messages (2 to HF_INGEST_GROUP_MAX, each with at least one
 * delivery) and their deliveries, then COMMIT: two statements whatever
 * n is, in a transaction of their own.  All or nothing: HF_ERR_DB_RETRY
 * when any workspace changed since its message's ingest_epoch was read,
 * any other error as hf_ingest_store's.
 */
enum hf_result hf_ingest_store_many(struct hf_db *db,
				    const struct hf_ingest_message *const *m,
				    size_t n);

/*
 * Whether message id is stored (HF_OK) or not (HF_ERR_NOT_FOUND): the
 * answer to a COMMIT whose acknowledgement was lost.
 */
enum hf_result hf_ingest_message_exists(struct hf_db *db, const char *id);

/*
 * Count one request in the current one-second window (the database's
 * clock) of both buckets, e.g. "key:<id>" and "ws:<id>"; the counts after
 * this request go to *key_hits and *workspace_hits.  The rows stay locked
 * until the transaction ends, which keeps the counts exact across
 * processes and hosts; a rolled back request does not count.  Before
 * hf_ingest_store, which ends the transaction.
 */
enum hf_result hf_ingest_rate_hit(struct hf_db *db, const char *key_bucket,
				  const char *workspace_bucket,
				  long *key_hits, long *workspace_hits);

#endif
