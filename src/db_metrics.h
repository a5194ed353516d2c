/*
 * The reads behind GET /metrics: gauges of the work outstanding and the
 * attempt counters the sweeps keep (db_ops.h), for one workspace or all.
 *
 * Every read costs in proportion to the endpoints and the deliveries
 * still outstanding (pending, being sent, paused, due), never to the
 * history: finished deliveries are counted by the sweeps as they finish
 * (the counters), not by scanning the deliveries table.
 */
#ifndef HF_DB_METRICS_H
#define HF_DB_METRICS_H

#include <stddef.h>

#include "db.h"
#include "limits.h"
#include "metrics.h"

/* What is outstanding in one workspace now. */
struct hf_metrics_workspace {
	char workspace_id[HF_ID_MAX_LEN + 1];
	long long endpoints_active, endpoints_disabled;
	long long pending;	/* waiting for an attempt, not under a lease */
	long long sending;	/* under a live lease */
	long long paused;	/* their endpoint is disabled */
	long long messages_outstanding;	/* with a delivery in one of those */
	long long due;		/* due_at passed: a sweep may claim them */
	double oldest_due_seconds;	/* how long the oldest has been due; 0: none */
	/* Attempts since the counters began, by class and duration bucket. */
	unsigned long long attempts[HF_CLASS_COUNT][HF_METRICS_BUCKET_COUNT];
	unsigned long long duration_ms[HF_CLASS_COUNT];
	unsigned long long gave_up;	/* deliveries failed after their last attempt */
};

/*
 * Every workspace (workspace_id NULL) or one: *out (freed by the caller)
 * and *count receive a row per workspace, in id order; a workspace with
 * no endpoint and no counters is left out of the installation's view.
 */
enum hf_result hf_metrics_read(struct hf_db *db, const char *workspace_id,
			       struct hf_metrics_workspace **out, size_t *count,
			       char *errstr, size_t errlen);

/*
 * The workspace of the unrevoked management key whose SHA-256 (hex) is
 * key_hash, into workspace_id (HF_ID_MAX_LEN + 1); HF_ERR_NOT_FOUND when
 * there is none, HF_ERR_REFUSED when the key is of one environment alone
 * (the figures are the whole workspace's, which it may not read).
 */
enum hf_result hf_metrics_key_workspace(struct hf_db *db, const char *key_hash,
					char *workspace_id, char *errstr,
					size_t errlen);

#endif
