/*
 * The statements behind hookfan-sweep after the claim (db_claim.h):
 * writing the outcome of a batch of attempts, and handing back or parking
 * claimed work that was never started.  Each function
 * runs its own transactions (hf_db_transaction: redone after a deadlock or
 * a lost connection) and never holds one open across HTTP.
 *
 * The protocol, safe with any number of sweeps on any number of hosts:
 *
 *  - claim and read: db_claim.h (fairly across endpoints, within each
 *    endpoint's in-flight cap).
 *  - every later write names the lease_token: a sweep whose lease was
 *    taken over changes nothing.
 *  - results: one transaction per batch locks the batch's messages (id
 *    order), then its deliveries (token still ours), inserts the attempts,
 *    updates deliveries and message status; endpoints are read without a
 *    lock and written only when their state changes (failing_since set or
 *    cleared, disabled), so healthy traffic never contends on them.
 *
 * Statements: a batch of results is 6 (7-9 when an endpoint starts or
 * stops failing, or is disabled), whatever the batch size.
 */
#ifndef HF_DB_SWEEP_H
#define HF_DB_SWEEP_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"
#include "delivery_state.h"
#include "limits.h"

/* A signing secret (endpoint_secrets) signs until its expiry, if any. */
#define HF_SQL_SECRET_SIGNS(a) \
	"(" a "expires_at IS NULL OR " a "expires_at > NOW(3))"

#define HF_LEASE_TOKEN_LEN 32

/* One claimed delivery and what to send.  Strings are owned by the job. */
struct hf_sweep_job {
	char delivery_id[HF_ID_MAX_LEN + 1];
	char message_id[HF_ID_MAX_LEN + 1];
	char endpoint_id[HF_ID_MAX_LEN + 1];
	char lease_token[HF_LEASE_TOKEN_LEN + 1];
	unsigned int attempt;	/* this attempt's number, counted at claim */
	unsigned int slots;	/* transfers the sweep may run to the endpoint */
	char *url;
	char *payload;
	size_t payload_len;
	char *secrets;		/* space-separated, newest first; may be "" */
};

enum hf_sweep_outcome {
	HF_OUTCOME_SUCCEEDED,	/* 2xx */
	HF_OUTCOME_RETRY,	/* try again after delay_ms */
	HF_OUTCOME_FAILED,	/* that was the last attempt */
	HF_OUTCOME_GONE		/* 410: disable the endpoint, park this */
};

/* What happened to one attempt.  Strings are borrowed. */
struct hf_sweep_result {
	const struct hf_sweep_job *job;
	enum hf_sweep_outcome outcome;
	long long delay_ms;		/* HF_OUTCOME_RETRY only */
	long status_code;		/* 0: no HTTP response */
	const char *error;		/* NULL or why there was no success */
	const unsigned char *excerpt;	/* response body, capped */
	size_t excerpt_len;
	uint64_t started_unix_ms;
	uint64_t duration_ms;
};

/*
 * Write the outcome of n attempts in one transaction of a few statements:
 * attempts rows, delivery states, endpoint failing_since and disabling
 * (410, or failing without success for disable_after_s; 0 = never) with
 * the parking of a disabled endpoint's waiting deliveries, and the status
 * of the messages concerned.  Results whose lease_token no longer matches
 * are ignored; *written receives how many matched.
 */
enum hf_result hf_sweep_record(struct hf_db *db,
			       const struct hf_sweep_result *results, size_t n,
			       long disable_after_s, size_t *written,
			       char *errstr, size_t errlen);

/*
 * Hand back claimed jobs that were never sent: due again now, the attempt
 * counted at claim taken back.
 */
enum hf_result hf_sweep_release(struct hf_db *db,
				const struct hf_sweep_job *const *jobs,
				size_t n, char *errstr, size_t errlen);

/* Park claimed jobs of a disabled endpoint: 'paused', nothing due, the
 * attempt counted at claim taken back. */
enum hf_result hf_sweep_park(struct hf_db *db,
			     const struct hf_sweep_job *const *jobs,
			     size_t n, char *errstr, size_t errlen);

/* HF_OK when the database holds the schema this sweep needs, else an
 * error that says to run hookfan-admin migrate. */
enum hf_result hf_sweep_check_schema(struct hf_db *db, char *errstr,
				     size_t errlen);

#endif
