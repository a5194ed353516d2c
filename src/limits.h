/*
 * Every limit hookfan enforces, in one place.  A limit that is not named
 * here is a bug: tests and documentation refer to these names.
 */
#ifndef HF_LIMITS_H
#define HF_LIMITS_H

/* Request bodies: the configured max_payload_bytes may not exceed this. */
#define HF_PAYLOAD_BYTES_DEFAULT 262144
#define HF_PAYLOAD_BYTES_CEILING (8 * 1024 * 1024)

/* JSON nesting accepted from clients; deeper documents are invalid_json. */
#define HF_JSON_MAX_DEPTH 32

/*
 * What one JSON document may hold, so that the tree json-c builds stays
 * bounded whatever the body: an object costs json-c about 800 bytes, an
 * array about 150, any other value about 80, so a document at these caps
 * costs at most some 16 MiB beyond its own text.  Counted by the scanner
 * before json-c builds anything.
 */
#define HF_JSON_MAX_CONTAINERS 10000	/* objects and arrays */
#define HF_JSON_MAX_VALUES 100000	/* every value, members and elements */

/* Event type names: 1..128 characters of [A-Za-z0-9._:-]. */
#define HF_EVENT_TYPE_MAX_LEN 128

/* Trigger metadata: at most 5 keys, short keys, bounded string values. */
#define HF_METADATA_MAX_KEYS 5
#define HF_METADATA_KEY_MAX_LEN 64
#define HF_METADATA_VALUE_MAX_LEN 512

/* Names given to workspaces, environments and applications. */
#define HF_NAME_MAX_LEN 200

/* Endpoint URLs. */
#define HF_URL_MAX_LEN 2048

/* Ids: a prefix of up to 4 letters, '_', 26 base32 characters. */
#define HF_ID_MAX_LEN 40

/* API keys: "hfk_" plus 32 random bytes in hex. */
#define HF_API_KEY_RANDOM_BYTES 32
#define HF_API_KEY_MAX_LEN 128

/* Endpoint signing secrets: "whsec_" plus base64 of this many random bytes. */
#define HF_SECRET_RANDOM_BYTES 32
#define HF_SECRET_MAX_LEN 128

/* Config files: longest line. */
#define HF_CONFIG_LINE_MAX 4096

/* retry_schedule: at most this many entries, each at most a week. */
#define HF_RETRY_SCHEDULE_MAX 32
#define HF_RETRY_DELAY_MAX_SECONDS (7 * 24 * 3600)

/* Ingest must finish within this or answer 504 ingest_timeout. */
#define HF_INGEST_TIMEOUT_MS 5000

/*
 * hookfan.fcgi's session bounds, inside HF_INGEST_TIMEOUT_MS: reaching
 * the server, a row or metadata lock wait, any one statement (server
 * side), a client read (a server that stops answering; longer than any
 * statement may run).  Two lock waits fit before the deadline; a third
 * try is not started.
 */
#define HF_INGEST_CONNECT_SECONDS 2
#define HF_INGEST_LOCK_WAIT_SECONDS 2
#define HF_INGEST_STATEMENT_SECONDS 3.0
#define HF_INGEST_READ_TIMEOUT_SECONDS 4

/* Longest request path (before the query string) hookfan.fcgi routes. */
#define HF_REQUEST_PATH_MAX 1024

/* Transactions are retried this often on deadlock, lock wait or reconnect. */
#define HF_DB_TXN_ATTEMPTS 3

/*
 * How long hookfan-admin migrate's lock on a Galera cluster outlives a
 * migrate that died holding it (the lock is a row, which nothing removes
 * when its session ends).  Longer than the slowest migration.
 */
#define HF_MIGRATE_CLUSTER_LOCK_SECONDS 3600

/* How long a migrate waits for another to finish (GET_LOCK's timeout). */
#define HF_MIGRATE_LOCK_WAIT_SECONDS 60

/* Prepared statements a single connection keeps. */
#define HF_DB_STMT_CACHE 64

/* Parameters one statement may bind: a shared ingest commit binds
 * HF_INGEST_GROUP_MAX messages of 11 each. */
#define HF_DB_MAX_PARAMS 192

/* Largest column value hf_query_next fetches (the largest payload, with
 * room for a JSON document built around one). */
#define HF_DB_COLUMN_MAX_BYTES (4 * HF_PAYLOAD_BYTES_CEILING)

/* Default per-endpoint backlog above which fan-out refuses to queue more. */
#define HF_MAX_PENDING_PER_ENDPOINT_DEFAULT 10000

/*
 * Counting a backlog reads up to max_pending index entries, too many for
 * every request, so an endpoint's count is kept as a reading, checked
 * again once it is this old, after the answer of the first request to
 * find it so (src/db_ingest.h hf_ingest_backlog_recount); a check counts
 * only where the last count plus the workspace's messages since could
 * reach the cap.  A process keeps its lookups HF_INGEST_CACHE_MS, the one
 * that found the reading old too, so while requests keep coming an
 * endpoint is refused at most this plus twice that plus one check (~7 s)
 * after its backlog reaches the cap; after a quiet spell, the requests of
 * a second and a check after the first still go by the reading from
 * before it.
 */
#define HF_BACKLOG_CHECK_MS 5000

/*
 * A check counts as new the workspace's messages made up to this long
 * before the last count: a message's created_at is its web server's
 * clock when the request was decided, and its store may commit after a
 * count that began later.  So the bound holds while a store's time from
 * decision to commit, plus its web server's clock's lag behind the
 * database's, stays under this.
 */
#define HF_BACKLOG_SLACK_MS 10000

/*
 * A FastCGI process keeps an ingest lookup (key, workspace, event type,
 * targets, backlog readings) this long, and this many of them
 * (src/ingest_cache.h).  Changes to the workspace do not wait for it: the
 * store checks the workspace's ingest_epoch.
 */
#define HF_INGEST_CACHE_MS 1000
#define HF_INGEST_CACHE_ENTRIES 128

/*
 * hookfan.fcgi serves up to HF_FCGI_THREADS requests at once, each on a
 * database connection of its own, opened when first needed (under
 * mod_fcgid, which sends one request at a time, that stays one).  The
 * stores of requests that arrive together share one transaction and one
 * commit (cgi/ingest_group.h): at most HF_INGEST_GROUP_MAX messages, with
 * at most HF_INGEST_GROUP_BYTES of payload (a larger one is stored alone).
 */
#define HF_FCGI_THREADS 16
#define HF_INGEST_GROUP_MAX 16
#define HF_INGEST_GROUP_BYTES (1024 * 1024)

/*
 * A connection idle this long is pinged (and opened again if it died)
 * before a transaction: its first statement may store and commit (an
 * ingest on a lookup another connection cached, a shared commit), and a
 * connection that died while idle would lose that as a commit whose
 * outcome it cannot tell.
 */
#define HF_DB_IDLE_PING_MS 1000

/* Response bytes kept per attempt; the rest is read and dropped. */
#define HF_RESPONSE_EXCERPT_MAX 1024

/* Sweep: claim batch size, concurrent transfers, --max-seconds. */
#define HF_SWEEP_BATCH_DEFAULT 1000
#define HF_SWEEP_BATCH_MAX 5000
#define HF_SWEEP_CONCURRENCY_DEFAULT 64
#define HF_SWEEP_CONCURRENCY_MAX 1024
#define HF_SWEEP_MAX_SECONDS_DEFAULT 55
#define HF_SWEEP_MAX_SECONDS_MAX (7 * 24 * 3600)

/*
 * The sweep's database bounds: reaching the server, a lock wait, one
 * statement (server side), a client read.  Its statements touch at most
 * a batch of rows, so 30 s means a server in trouble.
 */
#define HF_SWEEP_CONNECT_SECONDS 5
#define HF_SWEEP_LOCK_WAIT_SECONDS 5
#define HF_SWEEP_STATEMENT_SECONDS 30.0
#define HF_SWEEP_READ_TIMEOUT_SECONDS 60

/*
 * hookfan-admin's: a sysadmin waits longer, and migrate's statements
 * (rebuilding a big table) are not bounded at all.
 */
#define HF_ADMIN_CONNECT_SECONDS 10
#define HF_ADMIN_LOCK_WAIT_SECONDS 10
#define HF_ADMIN_READ_TIMEOUT_SECONDS 60

/* Retry-After is honoured between these bounds (seconds). */
#define HF_RETRY_AFTER_MAX_SECONDS (24 * 3600)

/* An endpoint failing without success this long is disabled (seconds). */
#define HF_ENDPOINT_DISABLE_AFTER_DEFAULT (5 * 24 * 3600)

/* Sweep: secrets that sign at once (rotation), response bytes read past
 * the excerpt before the connection is dropped, idle poll in --loop. */
#define HF_SECRETS_PER_ENDPOINT_MAX 8
#define HF_RESPONSE_DRAIN_MAX (64 * 1024)
#define HF_SWEEP_IDLE_POLL_MS 50

/* Sweep: payload bytes one claim may bring into memory (at the configured
 * max_payload_bytes each); a smaller claim when payloads may be large. */
#define HF_SWEEP_CLAIM_PAYLOAD_BUDGET (256L * 1024 * 1024)

/* Sweep: idle connections kept for reuse, 4 per slot up to this many. */
#define HF_SWEEP_IDLE_CONNECTIONS_MAX 512

/*
 * Fair claiming: max_in_flight_per_endpoint's default and largest value
 * (0 = unlimited, which is the largest); a failing endpoint (failing_since
 * set) keeps 1/HF_FAILING_SHARE_DIVISOR of it; a sweep holds at most
 * HF_CLAIM_DEPTH_PER_SLOT claimed deliveries per slot of a healthy
 * endpoint (enough to keep its connections busy between claims).
 */
#define HF_MAX_IN_FLIGHT_PER_ENDPOINT_DEFAULT 8
#define HF_MAX_IN_FLIGHT_PER_ENDPOINT_MAX HF_SWEEP_CONCURRENCY_MAX
#define HF_FAILING_SHARE_DIVISOR 4
#define HF_CLAIM_DEPTH_PER_SLOT 32

/* Sweep leases: lease_seconds = 0 picks 2 * delivery timeout + margin. */
#define HF_SWEEP_LEASE_MARGIN_SECONDS 10
#define HF_SWEEP_LEASE_MAX_SECONDS (24 * 3600)

/* endpoint rotate-secret: default and longest grace for the old secret. */
#define HF_ROTATE_GRACE_HOURS_DEFAULT 24
#define HF_ROTATE_GRACE_HOURS_MAX (30 * 24)

/*
 * Application portal links: minutes until a link expires (default and
 * most, one day: a link is handed to a customer, so it should not live
 * long), and its token, "hfp_" plus random bytes in hex.
 */
#define HF_PORTAL_MINUTES_DEFAULT 60
#define HF_PORTAL_MINUTES_MAX 1440
#define HF_PORTAL_TOKEN_RANDOM_BYTES 32
#define HF_PORTAL_TOKEN_PREFIX "hfp_"
#define HF_PORTAL_TOKEN_LEN (4 + 2 * HF_PORTAL_TOKEN_RANDOM_BYTES)
/* The longest Host header a portal link is built on (else it is relative). */
#define HF_PORTAL_HOST_MAX_LEN 255

/*
 * hookfan-admin purge: --older-than is a whole number of days up to this
 * (ten years: the cutoff stays well after the epoch ids count from).
 * Each transaction examines at most HF_PURGE_BATCH_MESSAGES messages and
 * takes finished ones while their deliveries stay within
 * HF_PURGE_BATCH_DELIVERIES (but at least one message, however many
 * deliveries it has), deleting them with their deliveries and attempts:
 * a message sent to hundreds of endpoints, each tried several times, must
 * not make one transaction of millions of rows.  So the locks are short,
 * and ingest and the sweeps run between batches.
 */
#define HF_PURGE_DAYS_MAX 3650
#define HF_PURGE_BATCH_MESSAGES 1000
#define HF_PURGE_BATCH_DELIVERIES 10000

/* hookfan-admin delivery list: default and largest --limit. */
#define HF_LIST_LIMIT_DEFAULT 100
#define HF_LIST_LIMIT_MAX 10000

/*
 * Operations.  The attempt counters are spread over this many shards
 * (attempt_counters.shard) so that sweeps committing at once seldom wait
 * on one row; a delivery's operational message.attempt.failing event is
 * sent on this failure in a row.
 */
#define HF_METRICS_COUNTER_SHARDS 8
#define HF_OPS_FAILING_ATTEMPT 4

/*
 * The management API: list pages (limit 1..max, default), the opaque
 * cursor's length, an endpoint's description and event types per
 * endpoint, and Idempotency-Key (1..255 visible ASCII, answers kept 24 h).
 */
#define HF_API_LIST_LIMIT_DEFAULT 50
#define HF_API_LIST_LIMIT_MAX 100
#define HF_API_CURSOR_MAX_LEN 64
#define HF_DESCRIPTION_MAX_LEN 1024
#define HF_ENDPOINT_EVENT_TYPES_MAX 64
#define HF_IDEMPOTENCY_KEY_MAX_LEN 255
#define HF_IDEMPOTENCY_TTL_HOURS 24
/*
 * hookfan.fcgi's route patterns hold at most this many {id} segments; a
 * query string is at most HF_QUERY_MAX_LEN bytes of at most
 * HF_QUERY_PARAMS_MAX parameters; a management request must finish
 * within HF_MANAGE_TIMEOUT_MS.
 */
#define HF_ROUTE_MAX_PARAMS 4
#define HF_QUERY_MAX_LEN 2048
#define HF_QUERY_PARAMS_MAX 16
#define HF_MANAGE_TIMEOUT_MS 10000
/* Management keys: "hfm_" plus HF_API_KEY_RANDOM_BYTES in hex. */
#define HF_MANAGEMENT_KEY_PREFIX "hfm_"
#define HF_INGEST_KEY_PREFIX "hfk_"

/* deliveries.last_error and attempts.error: 255 characters of UTF-8. */
#define HF_DELIVERY_ERROR_MAX_BYTES 1020

/*
 * The Svix-compatible API (/api/v1/...): a list page holds at most
 * HF_SVIX_LIST_LIMIT_MAX items (Svix's own cap); uid and eventId are at
 * most HF_SVIX_UID_MAX_LEN bytes; a recover retries at most
 * HF_SVIX_RECOVER_MAX deliveries (one transaction).
 */
#define HF_SVIX_LIST_LIMIT_MAX 250
#define HF_SVIX_LIST_LIMIT_DEFAULT 50
#define HF_SVIX_UID_MAX_LEN 256
#define HF_SVIX_RECOVER_MAX 1000

#endif
