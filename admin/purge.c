/*
 * hookfan-admin purge; see purge.h.  Meant for a daily cron run (the
 * commented line in apache/hookfan-sweep.cron.in).
 *
 * Batches keep every transaction short (HF_PURGE_BATCH_MESSAGES messages
 * examined, the finished ones deleted), so ingest and the sweeps running
 * beside it never wait on it for long.  A purge stopped at any point
 * (killed, the database gone) leaves nothing half-deleted, and the next
 * one carries on: it walks the same range and finds the rest.
 */
#include "purge.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "db_purge.h"
#include "ids.h"
#include "limits.h"
#include "strparse.h"

#define MS_PER_DAY (24ULL * 3600 * 1000)

/* The value of --older-than, in days. */
static enum hf_result
older_than_days(const struct admin_args *args, long *days)
{
	const char *p = admin_option(args, "older-than");

	if (p == NULL || strparse_long(&p, 1, HF_PURGE_DAYS_MAX, days) != HF_OK ||
	    *p != '\0')
		return HF_ERR_INVALID;
	return HF_OK;
}

int
admin_purge_check(const struct admin_args *args)
{
	long days;

	if (older_than_days(args, &days) == HF_OK)
		return ADMIN_OK;
	fprintf(stderr, "hookfan-admin: purge: --older-than must be a whole number of days from 1 to %d\n",
		HF_PURGE_DAYS_MAX);
	return ADMIN_USAGE;
}

struct purge_run {
	struct hf_purge purge;
	unsigned long long idempotency_keys;	/* deleted by the last batch */
	char *errstr;
	size_t errlen;
};

static enum hf_result
purge_batch_txn(struct hf_db *db, void *ctx)
{
	struct purge_run *run = ctx;

	return hf_purge_batch(db, &run->purge, run->errstr, run->errlen);
}

static enum hf_result
purge_idempotency_txn(struct hf_db *db, void *ctx)
{
	struct purge_run *run = ctx;

	return hf_purge_idempotency_keys(db, &run->idempotency_keys, run->errstr,
					 run->errlen);
}

/* unix_ms as ISO 8601 UTC with milliseconds, into out[32]. */
static void
format_iso(uint64_t unix_ms, char *out, size_t len)
{
	time_t seconds = (time_t)(unix_ms / 1000);
	struct tm tm;
	size_t n;

	gmtime_r(&seconds, &tm);
	n = strftime(out, len, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + n, len - n, ".%03uZ", (unsigned int)(unix_ms % 1000));
}

enum hf_result
admin_purge(struct hf_db *db, const struct admin_args *args,
	    json_object **result, char *errstr, size_t errlen)
{
	struct purge_run run = { .errstr = errstr, .errlen = errlen };
	unsigned long long messages = 0, deliveries = 0, attempts = 0;
	uint64_t now_ms, before_ms = 0;
	char before[32], why[768];
	enum hf_result r;
	long days;

	if (older_than_days(args, &days) != HF_OK)	/* admin_purge_check said so */
		return HF_ERR_INVALID;
	/* Ids hold the time of the host that made them: the wall clock. */
	now_ms = hf_unix_ms();
	if (now_ms > (uint64_t)days * MS_PER_DAY)
		before_ms = now_ms - (uint64_t)days * MS_PER_DAY;
	hf_purge_init(&run.purge, before_ms, admin_flag(args, "dry-run"));
	do {
		errstr[0] = '\0';
		r = hf_db_transaction(db, purge_batch_txn, &run);
		if (r != HF_OK)
			break;
		messages += run.purge.messages;
		deliveries += run.purge.deliveries;
		attempts += run.purge.attempts;
		/* Committed: the next batch starts after this one. */
		snprintf(run.purge.after, sizeof(run.purge.after), "%s",
			 run.purge.last);
	} while (run.purge.last[0] != '\0');
	/* Expired Idempotency-Key answers: nothing refers to them. */
	while (r == HF_OK && !run.purge.dry_run) {
		errstr[0] = '\0';
		r = hf_db_transaction(db, purge_idempotency_txn, &run);
		if (r != HF_OK || run.idempotency_keys < HF_PURGE_BATCH_MESSAGES)
			break;
	}
	if (r != HF_OK) {
		if (errstr[0] != '\0')
			snprintf(why, sizeof(why), "%s", errstr);
		else
			snprintf(why, sizeof(why), "%s: %s", hf_result_str(r),
				 hf_db_error(db));
		/* A lost commit may have deleted one batch more than counted. */
		return hf_fail(r, errstr, errlen,
			       "purge stopped after %s%llu messages, %llu deliveries and %llu attempts: %s",
			       r == HF_ERR_DB_COMMIT_LOST ? "at least " : "",
			       messages, deliveries, attempts, why);
	}
	format_iso(before_ms, before, sizeof(before));
	json_object_put(*result);
	*result = json_object_new_object();
	json_object_object_add(*result, "messages",
			       json_object_new_int64((int64_t)messages));
	json_object_object_add(*result, "deliveries",
			       json_object_new_int64((int64_t)deliveries));
	json_object_object_add(*result, "attempts",
			       json_object_new_int64((int64_t)attempts));
	json_object_object_add(*result, "before", json_object_new_string(before));
	json_object_object_add(*result, "dry_run",
			       json_object_new_boolean(run.purge.dry_run));
	return HF_OK;
}

static long long
count_of(json_object *result, const char *key)
{
	json_object *value = NULL;

	json_object_object_get_ex(result, key, &value);
	return json_object_get_int64(value);
}

void
admin_purge_print_text(json_object *result)
{
	json_object *before = NULL, *dry_run = NULL;
	long long messages = count_of(result, "messages");
	long long deliveries = count_of(result, "deliveries");
	long long attempts = count_of(result, "attempts");

	json_object_object_get_ex(result, "before", &before);
	json_object_object_get_ex(result, "dry_run", &dry_run);
	printf("%s %lld message%s made before %s, with %lld deliver%s and %lld attempt%s\n",
	       json_object_get_boolean(dry_run) ? "would purge" : "purged",
	       messages, messages == 1 ? "" : "s", json_object_get_string(before),
	       deliveries, deliveries == 1 ? "y" : "ies",
	       attempts, attempts == 1 ? "" : "s");
	json_object_put(result);
}
