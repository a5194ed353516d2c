/*
 * Shared commits for hookfan.fcgi's threads (main.c): the stores of
 * requests that reach the database together run as one transaction of a
 * few statements with one commit (hf_ingest_store_many), so the commit
 * and the statements' fixed costs are paid once per group, not once per
 * request.  Nobody waits to form a group: a store that finds the
 * database idle runs at once, on its own connection; the stores that
 * arrive meanwhile queue, and a writer thread with a connection of its
 * own takes them all, and again what queued while it wrote, so the
 * database never waits for a thread to be scheduled between two groups.
 * Each request still answers only after the commit that holds its
 * message.
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

struct hf_server;
struct ingest_group;

/*
 * One per process, shared by its threads, with its writer thread, which
 * stores on writer's ingest connection (server_db, opened on the first
 * group: a process that never has two stores at once never opens it);
 * NULL when out of memory or no thread can start.  Free it after the
 * last store, before writer.
 */
struct ingest_group *ingest_group_new(struct hf_server *writer);
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
 * Store m (with at least one delivery) in a group, or at once on db when
 * nothing else is being stored.  Unless *end is INGEST_GROUP_ALONE, db's
 * transaction is over, as after hf_ingest_store: committed (on db, or on
 * the writer's connection) when the result is HF_OK.
 */
enum hf_result ingest_group_store(struct ingest_group *group, struct hf_db *db,
				  const struct hf_ingest_message *m,
				  enum ingest_group_end *end);

#endif
