/*
 * The claim of hookfan-sweep: which due deliveries a sweep takes, under a
 * lease, fairly across endpoints and within each endpoint's in-flight
 * cap, and what to send for them.  One transaction per claim, never held
 * across HTTP; any number of sweeps on any number of hosts.
 *
 *  - due endpoints: one dive per endpoint into the (endpoint_id, due_at)
 *    index finds the endpoints with deliveries due and the oldest due of
 *    each, oldest first, at most as many endpoints as the claim has room
 *    for.
 *  - slots: an endpoint's cap (max_in_flight_per_endpoint, less while it
 *    fails: fair.h) is shared out as slots in endpoint_slots, one row per
 *    sweep (holder) and endpoint, granted for a lease.  A claim takes the
 *    endpoint's lock row (holder '') FOR UPDATE SKIP LOCKED, so endpoints
 *    another sweep is claiming at this instant are left to it, counts the
 *    slots other sweeps hold, and grants itself the rest (on a Galera
 *    cluster it also writes the lock row: locks are local to a node, and
 *    only written rows make two nodes' claims conflict).  A sweep never
 *    has more transfers running to an endpoint than its slots; a sweep
 *    that dies loses its slots when their lease ends.
 *  - shares: each endpoint may be claimed up to a depth per slot (fair.h)
 *    less what the sweep already holds of it; the room is shared round by
 *    round (hf_fair_shares), so a backlog of one endpoint never keeps
 *    another's due delivery out of a claim.
 *  - rows: per endpoint, SELECT ... FOR UPDATE SKIP LOCKED of its oldest
 *    due; one UPDATE gives them attempts + 1, a fresh lease_token and
 *    due_at = lease expiry (the status stays 'pending': a delivery is
 *    "sending" while its lease holds).  Rows whose lease expired (a dead
 *    sweep) are due again and are claimed the same way.
 *  - read, in the same transaction: a plain (non-locking) SELECT by id and
 *    token fetches url and payload, and one more the secrets in force of
 *    each endpoint of the batch; commit.  A failed read rolls the claim
 *    back.  Deliveries whose endpoint is disabled are then parked
 *    ('paused', the attempt taken back) instead of sent.  On Galera the
 *    claimed rows are then read back, and only those still under this
 *    claim's token are sent (db_claim.c says why).
 *
 * Statements: 8 and one per endpoint claimed from (one more when slots
 * are given back, one more on Galera, and there the read-back after the
 * commit), whatever the number of deliveries.
 */
#ifndef HF_DB_CLAIM_H
#define HF_DB_CLAIM_H

#include <stddef.h>

#include "db.h"
#include "db_sweep.h"

/*
 * An endpoint of which the sweep holds claimed deliveries (queued or
 * being sent).  slots: in, what the sweep runs it with; out, what the
 * claim granted, when the claim had the endpoint due and locked.
 */
struct hf_claim_held {
	char endpoint_id[HF_ID_MAX_LEN + 1];
	unsigned int count, running;
	unsigned int slots;
};

struct hf_claim_request {
	unsigned int limit;		/* deliveries at most */
	long lease_ms;
	const char *holder;		/* this sweep's id for its slots */
	long max_in_flight;		/* per endpoint; 0 = unlimited */
	struct hf_claim_held *held;	/* what the sweep holds */
	size_t nheld;
	/* Endpoints the sweep holds nothing of any more: their slots go. */
	const char (*give_back)[HF_ID_MAX_LEN + 1];
	size_t ngive_back;
};

/*
 * Claim up to req->limit due deliveries for req->lease_ms under a fresh
 * token, fairly across endpoints, and read what to send; each job's slots
 * say how many transfers to its endpoint the sweep may run.  Deliveries
 * of disabled endpoints met on the way are parked as 'paused' instead.
 * *jobs (freed with hf_sweep_jobs_free) and *count receive the work to
 * send; *claimed receives how many rows were taken (sent or parked), and
 * *waiting how many endpoints with deliveries due it left for lack of a
 * slot or to another sweep's claim: both 0 means nothing is due.
 */
enum hf_result hf_sweep_claim(struct hf_db *db, const struct hf_claim_request *req,
			      struct hf_sweep_job **jobs, size_t *count,
			      size_t *claimed, size_t *waiting, char *errstr,
			      size_t errlen);

/* Free the strings of n jobs and the array itself.  jobs may be NULL. */
void hf_sweep_jobs_free(struct hf_sweep_job *jobs, size_t n);

/* Give back every slot holder holds (a sweep that stops). */
enum hf_result hf_sweep_give_back_slots(struct hf_db *db, const char *holder,
					char *errstr, size_t errlen);

#endif
