/*
 * What serves a request in hookfan.fcgi, and the handlers of its ingest
 * routes (the route table is router.h's).  A struct hf_server serves one
 * request at a time and lives as long as the process (main.c keeps one
 * per request served at once): the config, its database connections
 * (with their statement caches) and the body buffer, sized once from
 * max_payload_bytes.  Handlers keep nothing from one request to the next
 * but the backlog readings to count once the answer is out, and what the
 * process's servers share: recent ingest lookups
 * (src/ingest_cache.h) and the shared commits (ingest_group.h).
 */
#ifndef HF_CGI_ROUTES_H
#define HF_CGI_ROUTES_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "db.h"
#include "ingest_cache.h"
#include "ingest_group.h"
#include "limits.h"
#include "request.h"

/* One per process, for all its servers. */
struct hf_shared {
	pthread_mutex_t cache_lock;
	struct hf_ingest_cache ingest_cache;	/* under cache_lock */
	struct ingest_group *ingest_group;	/* NULL: every store alone */
};

struct hf_server {
	struct hf_config cfg;
	struct hf_db *db;	/* NULL until the database first answers */
	struct hf_db *manage_db; /* the management API's; NULL until first used */
	char *body;		/* cfg.max_payload_bytes + 1 bytes */
	struct hf_shared *shared;
	/* Backlog readings the request found old, checked after its answer
	 * (ingest.h ingest_after_answer), and their endpoints' workspace. */
	struct hf_ingest_targets stale_readings;
	char stale_workspace_id[HF_ID_MAX_LEN + 1];
};

/*
 * The database handle, connecting now if the process started while the
 * database was away.  NULL (and a log line) when it still cannot connect.
 */
struct hf_db *server_db(struct hf_server *server);

/*
 * The management API's connection, under its own account (api_db_user,
 * which may read signing secrets), opened on first use and kept apart
 * from the ingest's, whose account may not.  NULL (and a log line) when
 * it cannot connect.
 */
struct hf_db *server_manage_db(struct hf_server *server);

/* POST /api/ingest/event/{eventType}; event_type is decoded, unchecked. */
void trigger_handle(struct hf_server *server, struct hf_request *req,
		    const char *event_type);

/* POST /v1/applications/{appId}/messages; app_id decoded, unchecked. */
void send_message_handle(struct hf_server *server, struct hf_request *req,
			 const char *app_id);

/* GET|HEAD /metrics: Prometheus text (cgi/metrics.c). */
void metrics_handle(struct hf_server *server, struct hf_request *req);

/* GET|HEAD /healthz. */
void health_handle(struct hf_server *server, struct hf_request *req);

#endif
