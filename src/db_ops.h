/*
 * Operations in the database: the attempt counters the sweep adds to, and
 * the operational webhooks.  A workspace may name one of its endpoints as
 * its ops endpoint (workspace.h); state changes elsewhere in the
 * workspace then create, in the transaction that makes the change, an
 * ordinary message (Svix's operational event names and data shapes) with
 * one delivery to that endpoint, which the sweep sends like any other:
 *
 *	endpoint.disabled	410 Gone, failing too long, or by hand
 *	endpoint.enabled	by hand
 *	message.attempt.failing	a delivery's HF_OPS_FAILING_ATTEMPT'th failure
 *	message.attempt.exhausted	its last attempt failed
 *	message.attempt.recovered	a success after .failing was sent
 *
 * The ops endpoint's own deliveries and state never make events (no
 * loops), and an ops endpoint that is disabled receives none.
 */
#ifndef HF_DB_OPS_H
#define HF_DB_OPS_H

#include <stdbool.h>
#include <stddef.h>

#include "db.h"
#include "db_sweep.h"
#include "limits.h"

/*
 * Inside hf_sweep_record's transaction, once its deliveries are written:
 * add the n results with matched[i] set (their lease held) to the attempt
 * counters in one statement, and make the attempt events they cause.
 * attempt_ids[i] is result i's attempts row.
 */
enum hf_result hf_ops_record_results(struct hf_db *db,
				     const struct hf_sweep_result *results,
				     const bool *matched,
				     const char (*attempt_ids)[HF_ID_MAX_LEN + 1],
				     size_t n, char *errstr, size_t errlen);

/*
 * The sweep has just disabled endpoint_id (its disabled_reason says why):
 * endpoint.disabled with trigger "automatic".
 */
enum hf_result hf_ops_endpoint_disabled(struct hf_db *db,
					const char *endpoint_id,
					char *errstr, size_t errlen);

/*
 * endpoint_id (its row locked) is about to be made active or not by hand,
 * with reason when disabling: endpoint.enabled or endpoint.disabled
 * (trigger "manual"), when that changes its state.
 */
enum hf_result hf_ops_endpoint_toggling(struct hf_db *db,
					const char *endpoint_id, bool active,
					const char *reason, char *errstr,
					size_t errlen);

#endif
