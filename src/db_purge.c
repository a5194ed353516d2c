/* The SQL behind hookfan-admin purge; see db_purge.h. */
#include "db_purge.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_text.h"
#include "delivery_state.h"
#include "ids.h"

/*
 * "Made before the cutoff" is a range of the messages' primary key: ids
 * are time-ordered (ids.h), so every message made earlier has an id below
 * the cutoff's floor, and a batch reads the next HF_PURGE_BATCH_MESSAGES
 * keys of that range, however many messages there are.  created_at says
 * the same thing, but its one index (message_workspace) leads with the
 * workspace, so a global created_at range would be a scan of every
 * message.  An id holds the time its FastCGI host made it, created_at
 * the same request's time: they differ by far less than a day.
 *
 * "Not changed since the cutoff" is read from messages.updated_at for the
 * rows of that range only.  FROM_UNIXTIME and NOW(3), which sets
 * updated_at, both use the session's time zone, so they compare.
 */

#define UNCHANGED_SINCE_CUTOFF "m.updated_at < FROM_UNIXTIME(? / 1000)"

/*
 * A delivery of message m that is not finished (delivery_state.h): a
 * retry waiting, a sweep's lease, a paused one.  Read through the
 * delivery_message index.
 */
#define UNFINISHED_DELIVERY_OF_M \
	"SELECT 1 FROM deliveries d WHERE d.message_id = m.id" \
	" AND NOT " HF_SQL_FINISHED("d.")

/*
 * The next messages of the range, each with whether it may go and how
 * many deliveries it has (for the batch's delivery cap).  A plain read:
 * it locks nothing, so a batch that keeps everything waits on no one.
 */
static const char purge_examine_sql[] =
	"SELECT m.id, " UNCHANGED_SINCE_CUTOFF
	" AND NOT EXISTS (" UNFINISHED_DELIVERY_OF_M "),"
	" (SELECT COUNT(*) FROM deliveries d WHERE d.message_id = m.id)"
	" FROM messages m WHERE m.id > ? AND m.id < ? ORDER BY m.id LIMIT ?";

/*
 * Lock the candidates: messages first, as every writer does (db_sweep.c),
 * in id order (the list is in the examining read's order, and the join
 * follows it).  One that is locked is being worked on (a sweep writing a
 * result, a retry, a resend): it is skipped, and the next purge looks at
 * it again, rather than this one waiting.
 */
static const char purge_lock_sql[] =
	"SELECT m.id FROM " HF_ID_LIST " STRAIGHT_JOIN messages m ON m.id = j.id"
	" FOR UPDATE SKIP LOCKED";

/*
 * The check again, now that the messages are locked: "delivery retry" and
 * "message resend" lock the message before they make a delivery due (and
 * set its updated_at), so one that committed between the examining read
 * and the lock is seen by this statement (READ COMMITTED: a fresh view
 * per statement), and none can start until the batch commits.  The sweep
 * never makes a finished delivery due again, and its claims take due
 * ones only.
 */
static const char purge_recheck_sql[] =
	"SELECT m.id FROM " HF_ID_LIST " STRAIGHT_JOIN messages m ON m.id = j.id"
	" WHERE " UNCHANGED_SINCE_CUTOFF
	" AND NOT EXISTS (" UNFINISHED_DELIVERY_OF_M ")";

/*
 * Children first (deliveries refer to messages; attempts have no foreign
 * key, so nothing else would remove them).  The list drives each join, as
 * in db_sweep.c: "WHERE message_id IN (subquery)" may be run as a scan.
 */
static const char purge_attempts_sql[] =
	"DELETE a FROM " HF_ID_LIST
	" STRAIGHT_JOIN deliveries d ON d.message_id = j.id"
	" STRAIGHT_JOIN attempts a ON a.delivery_id = d.id";

static const char purge_deliveries_sql[] =
	"DELETE d FROM " HF_ID_LIST
	" STRAIGHT_JOIN deliveries d ON d.message_id = j.id";

static const char purge_messages_sql[] =
	"DELETE m FROM " HF_ID_LIST " STRAIGHT_JOIN messages m ON m.id = j.id";

/* --dry-run: what the deletes would remove. */
static const char purge_count_sql[] =
	"SELECT COUNT(DISTINCT d.id), COUNT(a.id) FROM " HF_ID_LIST
	" STRAIGHT_JOIN deliveries d ON d.message_id = j.id"
	" LEFT JOIN attempts a ON a.delivery_id = d.id";

void
hf_purge_init(struct hf_purge *p, uint64_t before_unix_ms, bool dry_run)
{
	memset(p, 0, sizeof(*p));
	hf_id_floor(p->below, HF_MESSAGE_ID_PREFIX, before_unix_ms);
	p->before_unix_ms = before_unix_ms;
	/* Below every message id: the prefix and "_" alone. */
	snprintf(p->after, sizeof(p->after), "%s_", HF_MESSAGE_ID_PREFIX);
	p->dry_run = dry_run;
}

/*
 * The list being built into *out (the caller's to free) and its length,
 * once the read that fills it ended with r.
 */
static enum hf_result
finish_list(struct hf_id_list *list, enum hf_result r, char **out,
	    size_t *count)
{
	*count = list->count;
	*out = hf_id_list_finish(list);
	if (r == HF_ERR_NOT_FOUND)
		r = HF_OK;
	return r == HF_OK && *out == NULL ? HF_ERR_NOMEM : r;
}

/*
 * The messages after p->after, up to HF_PURGE_BATCH_MESSAGES of them; the
 * ones that may go become the list *candidates, until one more would take
 * their deliveries past HF_PURGE_BATCH_DELIVERIES (the first is taken
 * however many it has).  p->last is the last one dealt with: the next
 * batch starts after it.
 */
static enum hf_result
purge_examine(struct hf_db *db, struct hf_purge *p, char **candidates,
	      size_t *count)
{
	struct hf_id_list list = { 0 };
	unsigned long long deliveries = 0;
	struct hf_query q;
	enum hf_result r;

	hf_query_start(&q, db, purge_examine_sql);
	hf_query_int(&q, (long long)p->before_unix_ms);
	hf_query_text(&q, p->after);
	hf_query_text(&q, p->below);
	hf_query_int(&q, HF_PURGE_BATCH_MESSAGES);
	r = hf_query_run(&q);
	while (r == HF_OK && (r = hf_query_next(&q)) == HF_OK) {
		const char *id = hf_query_column(&q, 0, NULL);	/* a key: never NULL */

		if (hf_query_column_int(&q, 1) == 1) {
			unsigned long long n =
				(unsigned long long)hf_query_column_int(&q, 2);

			/* Past the cap: this one starts the next batch. */
			if (list.count > 0 &&
			    deliveries + n > HF_PURGE_BATCH_DELIVERIES)
				break;
			hf_id_list_add(&list, id);
			deliveries += n;
		}
		snprintf(p->last, sizeof(p->last), "%s", id);
	}
	hf_query_end(&q);
	return finish_list(&list, r, candidates, count);
}

/*
 * The ids sql selects from the list ids (then binds before_unix_ms when
 * cutoff), as the list *out.
 */
static enum hf_result
purge_select_ids(struct hf_db *db, const char *sql, const char *ids,
		 bool cutoff, const struct hf_purge *p, char **out,
		 size_t *count)
{
	struct hf_id_list list = { 0 };
	struct hf_query q;
	enum hf_result r;

	hf_query_start(&q, db, sql);
	hf_query_text(&q, ids);
	if (cutoff)
		hf_query_int(&q, (long long)p->before_unix_ms);
	r = hf_query_run(&q);
	while (r == HF_OK && (r = hf_query_next(&q)) == HF_OK)
		hf_id_list_add(&list, hf_query_column(&q, 0, NULL));
	hf_query_end(&q);
	return finish_list(&list, r, out, count);
}

/* --dry-run: what deleting the count messages of ids would remove. */
static enum hf_result
purge_count_listed(struct hf_db *db, const char *ids, size_t count,
		   struct hf_purge *p)
{
	struct hf_query q;
	enum hf_result r;

	hf_query_start(&q, db, purge_count_sql);
	hf_query_text(&q, ids);
	r = hf_query_run(&q);
	if (r == HF_OK)
		r = hf_query_next(&q);
	if (r == HF_OK) {
		p->messages = count;
		p->deliveries = (unsigned long long)hf_query_column_int(&q, 0);
		p->attempts = (unsigned long long)hf_query_column_int(&q, 1);
	}
	hf_query_end(&q);
	return r;
}

enum hf_result
hf_purge_batch(struct hf_db *db, struct hf_purge *p, char *errstr,
	       size_t errlen)
{
	char *candidates = NULL, *locked = NULL, *doomed = NULL;
	size_t count = 0;
	enum hf_result r;

	p->last[0] = '\0';
	p->messages = p->deliveries = p->attempts = 0;
	r = purge_examine(db, p, &candidates, &count);
	if (r != HF_OK || count == 0)
		goto out;
	if (p->dry_run) {
		r = purge_count_listed(db, candidates, count, p);
		goto out;
	}
	r = purge_select_ids(db, purge_lock_sql, candidates, false, p, &locked, &count);
	if (r != HF_OK || count == 0)
		goto out;
	r = purge_select_ids(db, purge_recheck_sql, locked, true, p, &doomed, &count);
	if (r != HF_OK || count == 0)
		goto out;
	r = hf_db_exec_text(db, purge_attempts_sql, doomed, &p->attempts);
	if (r == HF_OK)
		r = hf_db_exec_text(db, purge_deliveries_sql, doomed, &p->deliveries);
	if (r == HF_OK)
		r = hf_db_exec_text(db, purge_messages_sql, doomed, &p->messages);
out:
	free(candidates);
	free(locked);
	free(doomed);
	if (r == HF_OK)
		return r;
	if (r == HF_ERR_NOMEM)
		return hf_fail(r, errstr, errlen, "out of memory");
	return hf_db_fail(db, r, errstr, errlen);
}

#define TTL_TEXT2(x) #x
#define TTL_TEXT(x) TTL_TEXT2(x)

enum hf_result
hf_purge_idempotency_keys(struct hf_db *db, unsigned long long *deleted,
			  char *errstr, size_t errlen)
{
	struct hf_query q;
	enum hf_result r;

	*deleted = 0;
	hf_query_start(&q, db,
		       "DELETE FROM idempotency_keys WHERE created_at < NOW(3) - INTERVAL "
		       TTL_TEXT(HF_IDEMPOTENCY_TTL_HOURS) " HOUR LIMIT ?");
	hf_query_int(&q, HF_PURGE_BATCH_MESSAGES);
	r = hf_query_run(&q);
	if (r == HF_OK)
		*deleted = hf_query_affected(&q);
	hf_query_end(&q);
	return r == HF_OK ? r : hf_db_fail(db, r, errstr, errlen);
}
