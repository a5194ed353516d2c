/*
 * hookfan-admin purge --older-than DAYS [--dry-run]: retention.  Deletes
 * the messages made and last changed more than DAYS days ago whose
 * deliveries are all finished, with those deliveries and their attempts;
 * db_purge.h says exactly what goes and what stays.  commands.c lists it
 * in admin_commands[].
 */
#ifndef HF_ADMIN_PURGE_H
#define HF_ADMIN_PURGE_H

#include "commands.h"

/* --older-than is 1..HF_PURGE_DAYS_MAX: else ADMIN_USAGE, said on stderr. */
int admin_purge_check(const struct admin_args *args);

/*
 * Runs outside main's transaction: one transaction per batch, until the
 * old messages are all examined.  *result: {"messages", "deliveries",
 * "attempts", "before", "dry_run"}.  On an error the batches already
 * committed stay done, and errstr counts them: at least that many went
 * (a commit whose answer was lost may have gone through).
 */
enum hf_result admin_purge(struct hf_db *db, const struct admin_args *args,
			   json_object **result, char *errstr, size_t errlen);

/* The result as one line: "purged 3 messages made before ...". */
void admin_purge_print_text(json_object *result);

#endif
