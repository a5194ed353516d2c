/*
 * The fair-share rules of the claim, with no database: how many attempts
 * an endpoint may have in flight given its health, and how a claim's room
 * is shared among the endpoints that have deliveries due.  db_claim.c
 * applies them under its locks; tests/unit/test_fair.c pins them down.
 */
#ifndef HF_FAIR_H
#define HF_FAIR_H

#include <stdbool.h>
#include <stddef.h>

/*
 * The in-flight cap of one endpoint: max_in_flight (0 = unlimited, then
 * HF_SWEEP_CONCURRENCY_MAX) while it is healthy, a quarter of that (at
 * least 1) while it is failing (failing_since set): an endpoint that times
 * out holds a slot for the whole timeout, and its retries are likely to
 * fail too, so it gives up most of its share to endpoints that answer.
 */
unsigned int hf_fair_cap(long max_in_flight, bool failing);

/*
 * The slots of an endpoint of cap a sweep may take when other sweeps hold
 * `others` of them and `sweeps` other sweeps hold or wait for some: what
 * is free, but no more than an even share, so that a sweep that came
 * first gives way to one that waits (the holders shrink at their next
 * claim); at least 1 of what is free.
 */
unsigned int hf_fair_slots(unsigned int cap, unsigned int others,
			   unsigned int sweeps);

/*
 * The most deliveries of one endpoint a sweep may hold claimed (queued or
 * sending) given the slots it holds: enough per slot to keep a healthy
 * endpoint's connections busy between claims, one per slot for a failing
 * one (a claim of work that cannot start before its lease ends is handed
 * back unsent).
 */
unsigned int hf_fair_depth(unsigned int slots, bool failing);

/*
 * Share room among n endpoints, in priority order (the one whose oldest
 * due delivery is oldest first), endpoint i taking at most limit[i]:
 * round by round, one each, so every endpoint with room gets a share
 * before any gets a second; the last partial round goes to the first in
 * order.  take[i] receives endpoint i's share; returns the total taken
 * (min(room, sum of limits)).
 */
size_t hf_fair_shares(const unsigned int *limit, size_t n, size_t room,
		      unsigned int *take);

#endif
