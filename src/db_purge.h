/*
 * The statements behind hookfan-admin purge (admin/purge.c): retention.
 * A message goes, with its deliveries and their attempts, when it was
 * made before the cutoff, nothing has changed it since the cutoff
 * (messages.updated_at: the sweep's status update after each result,
 * "delivery retry" and "message resend" all set it), and every one of its
 * deliveries is finished: succeeded or failed, with nothing due.  One
 * still pending, paused, or under a sweep's lease keeps the whole
 * message; a message that went to nobody goes.
 *
 * The work is cut into batches, one transaction each, walking the old
 * messages in id order.  A batch examines at most HF_PURGE_BATCH_MESSAGES
 * messages and takes no more once their deliveries would pass
 * HF_PURGE_BATCH_DELIVERIES (but always one, however many deliveries it
 * has, so a purge always moves on):
 *
 *	hf_purge_init(&p, cutoff_ms, dry_run);
 *	do {
 *		r = hf_db_transaction(db, fn calling hf_purge_batch, &p);
 *		(on HF_OK) add p.messages, p.deliveries, p.attempts;
 *		snprintf(p.after, sizeof(p.after), "%s", p.last);
 *	} while (r == HF_OK && p.last[0] != '\0');
 *
 * The position moves on only after a commit, so a batch redone after a
 * deadlock examines the same messages again.  Like the other db_ modules
 * it never prints: errors are a result and a one-line errstr.
 */
#ifndef HF_DB_PURGE_H
#define HF_DB_PURGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db.h"
#include "limits.h"

struct hf_purge {
	char below[HF_ID_MAX_LEN + 1];	/* message ids below this are old */
	uint64_t before_unix_ms;	/* and updated_at must be before this */
	char after[HF_ID_MAX_LEN + 1];	/* examine ids above this: the caller's */
	bool dry_run;			/* count what would go, delete nothing */
	/* Filled by each hf_purge_batch, for that batch alone: */
	char last[HF_ID_MAX_LEN + 1];	/* the last id examined; "" when none was left */
	unsigned long long messages, deliveries, attempts; /* deleted (or would be) */
};

/* Start a purge of the messages made and last changed before before_unix_ms. */
void hf_purge_init(struct hf_purge *p, uint64_t before_unix_ms, bool dry_run);

/* One batch inside the caller's transaction; see above.  HF_ERR_NOMEM
 * when an id list could not be built. */
enum hf_result hf_purge_batch(struct hf_db *db, struct hf_purge *p,
			      char *errstr, size_t errlen);

/*
 * Delete up to HF_PURGE_BATCH_MESSAGES Idempotency-Key answers older than
 * their lifetime (HF_IDEMPOTENCY_TTL_HOURS; idempotency.h), in every
 * workspace, in the caller's transaction; *deleted says how many went:
 * the caller repeats while a batch was full.
 */
enum hf_result hf_purge_idempotency_keys(struct hf_db *db,
					 unsigned long long *deleted,
					 char *errstr, size_t errlen);

#endif
