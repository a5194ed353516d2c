/*
 * The delivery and message state machine: every status a delivery or a
 * message can have, and what "sending", "due", "finished" and a message's
 * status mean, for every program (ingest, sweep, admin, the API, purge).
 *
 * A delivery is stored as pending, succeeded, failed or paused:
 *
 *  - pending: waiting for an attempt.  due_at is when a sweep may claim
 *    it.  A claim keeps it 'pending' but sets lease_token and moves due_at
 *    to the lease's end: while that end is ahead the delivery is being
 *    sent ("sending", shown so, never stored); once it passes (a dead
 *    sweep) the delivery is due again.
 *  - succeeded: a 2xx came.  failed: no attempt is left.  Both are final;
 *    a delivery is finished when it is final and nothing is due (due_at
 *    NULL), and only then may it be purged.
 *  - paused: its endpoint is disabled; enabling it makes it pending again.
 *
 * Ingest makes deliveries pending with their message.  Anything else that
 * makes one pending (a retry, a resend, an endpoint enabled) calls
 * hf_ingest_backlog_grew (src/db_ingest.h) in its transaction: the
 * backlog cap's check counts on no other way in.
 *
 * A message is delivered when every delivery succeeded, failed when one
 * gave up, no_subscribers when it had none to make, else pending: a
 * function of its deliveries alone.
 *
 * The SQL macros take the deliveries' table alias with its dot ("d.") or
 * "" for none.
 */
#ifndef HF_DELIVERY_STATE_H
#define HF_DELIVERY_STATE_H

#include <stdbool.h>

/* The statuses a delivery is shown with. */
enum hf_delivery_status {
	HF_DELIVERY_PENDING,
	HF_DELIVERY_SENDING,
	HF_DELIVERY_SUCCEEDED,
	HF_DELIVERY_FAILED,
	HF_DELIVERY_PAUSED
};

/* The name of a status ("pending" ...). */
const char *hf_delivery_status_name(enum hf_delivery_status status);

/* name as a status into *status; false when it names none. */
bool hf_delivery_status_parse(const char *name, enum hf_delivery_status *status);

/* Every status name, for messages that list them. */
#define HF_DELIVERY_STATUS_NAMES "pending, sending, succeeded, failed or paused"

/* Whether name is a message status (the rule below). */
bool hf_message_status_valid(const char *name);

#define HF_MESSAGE_STATUS_NAMES "pending, delivered, failed or no_subscribers"

/* A claim has it under a lease that still holds. */
#define HF_SQL_SENDING(a) \
	"(" a "status = 'pending' AND " a "lease_token <> '' AND " a "due_at > NOW(3))"

/* A sweep may claim it now (a retry whose time came, or a dead lease). */
#define HF_SQL_DUE(a) "(" a "due_at <= NOW(3))"

/* The status shown: "sending" while a lease holds, else the stored one. */
#define HF_SQL_SHOWN_STATUS(a) \
	"IF(" HF_SQL_SENDING(a) ", 'sending', " a "status)"

/*
 * The status shown equals the bound name, or the name is NULL: two
 * parameters, both the name.  The stored status is compared first
 * ('pending' for "sending"), so an (x, status) index stays usable.
 */
#define HF_SQL_SHOWN_STATUS_IS(a) \
	"(? IS NULL OR (" a "status = IF(? = 'sending', 'pending', ?)" \
	" AND " HF_SQL_SHOWN_STATUS(a) " = ?))"

/* When the next attempt is due: due_at while waiting, not a lease's end. */
#define HF_SQL_NEXT_ATTEMPT_AT(a) \
	"IF(" a "status = 'pending' AND NOT " HF_SQL_SENDING(a) ", " a "due_at, NULL)"

/* Nothing more will happen to it without a person (retry, resend). */
#define HF_SQL_FINISHED(a) \
	"(" a "due_at IS NULL AND " a "status IN ('succeeded', 'failed'))"

/*
 * A pending delivery whose lease does not hold may be parked when its
 * endpoint is disabled: HF_SQL_PARK sets it aside, its lease (a dead
 * sweep's) cleared; one whose lease holds is left to its sweep, whose
 * result parks it.
 */
#define HF_SQL_PARKABLE(a) \
	"(" a "status = 'pending' AND NOT " HF_SQL_SENDING(a) ")"
#define HF_SQL_PARK(a) \
	a "status = 'paused', " a "due_at = NULL, " a "lease_token = '', " \
	a "updated_at = NOW(3)"

/* A message's status from its deliveries (table alias a, aggregated). */
#define HF_SQL_MESSAGE_STATUS(a) \
	"CASE WHEN SUM(" a "status = 'failed') > 0 THEN 'failed'" \
	" WHEN SUM(" a "status <> 'succeeded') = 0 THEN 'delivered'" \
	" ELSE 'pending' END"

#endif
