/*
 * GET /metrics: Prometheus text exposition (version 0.0.4) of the work
 * outstanding and the attempts made, for the whole installation with the
 * config's metrics_key, or for one workspace with a management key of
 * that whole workspace (an environment's key is refused: the figures are
 * not split by environment).  Every series is labelled by workspace and nothing
 * finer (never an endpoint or a message), so their number stays bounded.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "db_metrics.h"
#include "log.h"
#include "metrics.h"
#include "reply.h"
#include "routes.h"

/* Management keys; ingest keys (hfk_) reach no metrics. */
#define MANAGEMENT_KEY_PREFIX "hfm_"

/* Every 401 names the scheme that would be let in (RFC 9110 §11.6.1). */
#define WWW_AUTHENTICATE "WWW-Authenticate: Bearer\r\n"

/* Equal, in time that depends on neither key: both are hashed first. */
static bool
keys_equal(const char *a, const char *b)
{
	char ha[HF_SHA256_HEX_LEN + 1], hb[HF_SHA256_HEX_LEN + 1];
	unsigned char diff = 0;
	size_t i;

	hf_sha256_hex(a, strlen(a), ha);
	hf_sha256_hex(b, strlen(b), hb);
	for (i = 0; i < HF_SHA256_HEX_LEN; i++)
		diff |= (unsigned char)(ha[i] ^ hb[i]);
	return diff == 0;
}

static void
gauge(struct hf_text *t, const char *name, const char *help,
      const struct hf_metrics_workspace *rows, size_t n, size_t offset)
{
	size_t i;

	hf_metrics_family(t, name, "gauge", help);
	for (i = 0; i < n; i++) {
		const char *labels[] = { "workspace", rows[i].workspace_id, NULL };

		hf_metrics_sample(t, name, labels,
				  (double)*(const long long *)((const char *)&rows[i] + offset));
	}
}

/* A gauge with one more label, whose values are fields of the row. */
struct labelled_field {
	const char *value;
	size_t offset;
};

static void
labelled_gauge(struct hf_text *t, const char *name, const char *help,
	       const char *label, const struct labelled_field *fields,
	       size_t nfields, const struct hf_metrics_workspace *rows, size_t n)
{
	size_t i, f;

	hf_metrics_family(t, name, "gauge", help);
	for (i = 0; i < n; i++) {
		for (f = 0; f < nfields; f++) {
			const char *labels[] = { "workspace", rows[i].workspace_id,
						 label, fields[f].value, NULL };

			hf_metrics_sample(t, name, labels, (double)*(const long long *)
					  ((const char *)&rows[i] + fields[f].offset));
		}
	}
}

static void
attempt_counters(struct hf_text *t, const struct hf_metrics_workspace *rows,
		 size_t n)
{
	char bound[32];
	size_t i;
	int c, b;

	hf_metrics_family(t, "hookfan_attempts_total", "counter",
			  "Delivery attempts written by the sweeps, by how they ended.");
	for (i = 0; i < n; i++) {
		for (c = 0; c < HF_CLASS_COUNT; c++) {
			const char *labels[] = { "workspace", rows[i].workspace_id, "outcome",
						 hf_outcome_class_names[c], NULL };
			unsigned long long total = 0;

			for (b = 0; b < HF_METRICS_BUCKET_COUNT; b++)
				total += rows[i].attempts[c][b];
			hf_metrics_sample(t, "hookfan_attempts_total", labels, (double)total);
		}
	}
	hf_metrics_family(t, "hookfan_deliveries_succeeded_total", "counter",
			  "Deliveries that succeeded (an attempt answered 2xx).");
	for (i = 0; i < n; i++) {
		const char *labels[] = { "workspace", rows[i].workspace_id, NULL };
		unsigned long long total = 0;

		for (b = 0; b < HF_METRICS_BUCKET_COUNT; b++)
			total += rows[i].attempts[HF_CLASS_2XX][b];
		hf_metrics_sample(t, "hookfan_deliveries_succeeded_total", labels, (double)total);
	}
	hf_metrics_family(t, "hookfan_deliveries_failed_total", "counter",
			  "Deliveries that failed for good after their last attempt.");
	for (i = 0; i < n; i++) {
		const char *labels[] = { "workspace", rows[i].workspace_id, NULL };

		hf_metrics_sample(t, "hookfan_deliveries_failed_total", labels,
				  (double)rows[i].gave_up);
	}
	hf_metrics_family(t, "hookfan_attempt_duration_seconds", "histogram",
			  "How long delivery attempts took, every outcome.");
	for (i = 0; i < n; i++) {
		unsigned long long cumulative = 0, ms = 0;

		for (b = 0; b < HF_METRICS_BUCKET_COUNT; b++) {
			const char *labels[] = { "workspace", rows[i].workspace_id, "le",
						 bound, NULL };

			for (c = 0; c < HF_CLASS_COUNT; c++)
				cumulative += rows[i].attempts[c][b];
			if (b < HF_METRICS_BUCKET_COUNT - 1)
				snprintf(bound, sizeof(bound), "%g",
					 hf_metrics_bucket_ms[b] / 1000.0);
			else
				snprintf(bound, sizeof(bound), "+Inf");
			hf_metrics_sample(t, "hookfan_attempt_duration_seconds_bucket", labels,
					  (double)cumulative);
		}
		for (c = 0; c < HF_CLASS_COUNT; c++)
			ms += rows[i].duration_ms[c];
		{
			const char *labels[] = { "workspace", rows[i].workspace_id, NULL };

			hf_metrics_sample(t, "hookfan_attempt_duration_seconds_sum", labels,
					  (double)ms / 1000.0);
			hf_metrics_sample(t, "hookfan_attempt_duration_seconds_count", labels,
					  (double)cumulative);
		}
	}
}

static char *
exposition(const struct hf_metrics_workspace *rows, size_t n)
{
	static const struct labelled_field endpoints[] = {
		{ "active", offsetof(struct hf_metrics_workspace, endpoints_active) },
		{ "disabled", offsetof(struct hf_metrics_workspace, endpoints_disabled) },
	};
	static const struct labelled_field deliveries[] = {
		{ "pending", offsetof(struct hf_metrics_workspace, pending) },
		{ "sending", offsetof(struct hf_metrics_workspace, sending) },
		{ "paused", offsetof(struct hf_metrics_workspace, paused) },
	};
	struct hf_text t = { 0 };
	size_t i;

	labelled_gauge(&t, "hookfan_endpoints", "Endpoints, active or disabled.",
		       "state", endpoints, 2, rows, n);
	labelled_gauge(&t, "hookfan_deliveries",
		       "Deliveries not finished: waiting for an attempt, being sent, or paused on a disabled endpoint.",
		       "status", deliveries, 3, rows, n);
	gauge(&t, "hookfan_deliveries_due", "Deliveries due now, waiting for a sweep.",
	      rows, n, offsetof(struct hf_metrics_workspace, due));
	hf_metrics_family(&t, "hookfan_oldest_due_delivery_age_seconds", "gauge",
			  "How long the oldest due delivery has been due (0: none is).");
	for (i = 0; i < n; i++) {
		const char *labels[] = { "workspace", rows[i].workspace_id, NULL };

		hf_metrics_sample(&t, "hookfan_oldest_due_delivery_age_seconds", labels,
				  rows[i].oldest_due_seconds);
	}
	gauge(&t, "hookfan_messages_outstanding",
	      "Messages with a delivery not finished.", rows, n,
	      offsetof(struct hf_metrics_workspace, messages_outstanding));
	attempt_counters(&t, rows, n);
	return hf_text_finish(&t);
}

void
metrics_handle(struct hf_server *server, struct hf_request *req)
{
	bool head = strcmp(request_method(req), "HEAD") == 0;
	char key[HF_API_KEY_MAX_LEN + 1], hash[HF_SHA256_HEX_LEN + 1];
	char workspace_id[HF_ID_MAX_LEN + 1], errstr[512], headers[256];
	struct hf_metrics_workspace *rows = NULL;
	const char *scope = NULL;
	struct hf_db *db;
	size_t n = 0;
	char *text;
	int len;

	if (!request_api_key(req, key)) {
		reply_error(req, 401, WWW_AUTHENTICATE, "unauthorized",
			    "a metrics or management key is required");
		return;
	}
	db = server_db(server);
	if (db == NULL) {
		reply_error(req, 503, "Retry-After: 5\r\n", "unavailable",
			    "the database does not answer");
		return;
	}
	if (server->cfg.metrics_key[0] == '\0' || !keys_equal(key, server->cfg.metrics_key)) {
		enum hf_result r = HF_ERR_NOT_FOUND;

		if (strncmp(key, MANAGEMENT_KEY_PREFIX, strlen(MANAGEMENT_KEY_PREFIX)) == 0) {
			hf_sha256_hex(key, strlen(key), hash);
			r = hf_metrics_key_workspace(db, hash, workspace_id, errstr, sizeof(errstr));
		}
		if (r == HF_ERR_NOT_FOUND) {
			reply_error(req, 401, WWW_AUTHENTICATE, "unauthorized",
				    "unknown or revoked key");
			return;
		}
		if (r == HF_ERR_REFUSED) {
			reply_error(req, 403, NULL, "forbidden",
				    "an environment's key reads no metrics: they are the"
				    " whole workspace's; use a workspace-wide management"
				    " key or the metrics key");
			return;
		}
		if (r != HF_OK) {
			hf_log(HF_LOG_ERROR, "metrics: %s", errstr);
			reply_error(req, 503, "Retry-After: 5\r\n", "unavailable",
				    "the database does not answer");
			return;
		}
		scope = workspace_id;
	}
	if (hf_metrics_read(db, scope, &rows, &n, errstr, sizeof(errstr)) != HF_OK) {
		hf_log(HF_LOG_ERROR, "metrics: %s", errstr);
		reply_error(req, 503, "Retry-After: 5\r\n", "unavailable",
			    "the database does not answer");
		return;
	}
	text = exposition(rows, n);
	free(rows);
	if (text == NULL) {
		reply_error(req, 500, NULL, "internal_error", "out of memory");
		return;
	}
	len = snprintf(headers, sizeof(headers),
		       "Status: 200 OK\r\n"
		       "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
		       "Content-Length: %zu\r\n"
		       "Cache-Control: no-store\r\n\r\n", strlen(text));
	request_write(req, headers, (size_t)len);
	if (!head)
		request_write(req, text, strlen(text));
	free(text);
}
