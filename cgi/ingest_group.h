/*
 * Shared commits for hookfan.fcgi's threads (main.c): the stores of
 * requests that reach the database together run as one transaction of a
 * few statements with one commit (hf_ingest_store_many), so the commit
 * and the statements' fixed costs are paid once per group, not once per
 * request.  Nobody waits to form a group: while one store runs, the
 * stores that arrive queue, and the first of them, once it runs, takes
 * them all (a leader, no writer thread).  Each request still answers
 * only after the commit that holds its message.
 *
 * Only a store whose transaction has done nothing else may join: one
 * decided on a cached lookup, with no rate-limit hit, Idempotency-Key or
 * new event type to commit beside it (cgi/ingest.c decides).  A group
 * that fails before its commit is rolled back and each of its requests
 * stores alone, as it would have without the group; a commit whose outcome
 * is unknown is HF_ERR_DB_COMMIT_LOST for each, which each settles by
 * looking for its own message.
 */
#ifndef HF_CGI_INGEST_GROUP_H
#define HF_CGI_INGEST_GROUP_H

#include <stdbool.h>

#include "db.h"
#include "db_ingest.h"

struct ingest_group;

/* One per process, shared by its threads; NULL when out of memory. */
struct ingest_group *ingest_group_new(void);
void ingest_group_free(struct ingest_group *group);

/* How a store in a group ended. */
enum ingest_group_end {
	INGEST_GROUP_DONE,	/* the result is as hf_ingest_store's on db */
	INGEST_GROUP_ALONE,	/* nothing stored, rolled back: store it alone */
	INGEST_GROUP_UNKNOWN	/* cut short after its commit was sent: the
				 * result is HF_ERR_TIMEOUT or
				 * HF_ERR_DB_COMMIT_LOST, and the caller looks
				 * for its message to learn the outcome */
};

/*
 * Store m (with at least one delivery) in a group, running the group on
 * db when this thread leads it.  Unless *end is INGEST_GROUP_ALONE, db's
 * transaction is over, as after hf_ingest_store: committed (here, or on
 * the leader's connection) when the result is HF_OK.
 */
enum hf_result ingest_group_store(struct ingest_group *group, struct hf_db *db,
				  const struct hf_ingest_message *m,
				  enum ingest_group_end *end);

#endif
