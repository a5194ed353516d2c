/*
 * What hookfan needs from a MariaDB Galera Cluster node, checked and set
 * on every new connection when the server has wsrep_on=ON; nothing is
 * done on a plain server.  The README's "Scaling out" says why each
 * setting matters.
 */
#ifndef HF_DB_GALERA_H
#define HF_DB_GALERA_H

#include <stdbool.h>
#include <stddef.h>

#include <mysql.h>

#include "result.h"

/*
 * On a fresh connection m: find out whether the server is a Galera node
 * (*wsrep), and if so refuse settings that break hookfan's guarantees
 * (HF_ERR_REFUSED, one line in errstr naming the setting and the value
 * needed) and set the session variables hookfan needs itself:
 * wsrep_sync_wait so that every read sees what any node committed before
 * it started, and wsrep_OSU_method=TOI so that hookfan-admin migrate's
 * DDL runs on every node at the same point.  HF_ERR_DB_GONE when the
 * node cannot serve clients (not in the primary component).
 */
enum hf_result hf_db_galera_setup(MYSQL *m, bool *wsrep, char *errstr,
				  size_t errlen);

/* True for the error numbers of a Galera node that refuses work because
 * it is not (or no longer) part of the primary component: the statement
 * was refused before it ran. */
bool hf_db_galera_node_unready(unsigned int err);



/* HF_OK when the node serves clients (wsrep_ready=ON), else
 * HF_ERR_DB_GONE with why in errstr. */
enum hf_result hf_db_galera_ready(MYSQL *m, char *errstr, size_t errlen);

/*
 * The migration lock across a Galera cluster.  GET_LOCK() is local to
 * the node that granted it, so two `hookfan-admin migrate` on two nodes
 * would both get it: this lock is a row, replicated like any other, in
 * schema_migrations_lock.  Two nodes taking it at once collide at
 * certification and one of them loses.  A holder that dies leaves the
 * row until HF_MIGRATE_CLUSTER_LOCK_SECONDS after it took it.
 * token (HF_MIGRATE_LOCK_TOKEN_LEN + 1 bytes) gets the holder's token for
 * the release.  HF_ERR_TIMEOUT when another migrate still holds it after
 * HF_MIGRATE_LOCK_WAIT_SECONDS.
 */
#define HF_MIGRATE_LOCK_TOKEN_LEN 32

struct hf_db;
enum hf_result hf_db_galera_migrate_lock(struct hf_db *db, char *token,
					 char *errstr, size_t errlen);
void hf_db_galera_migrate_unlock(struct hf_db *db, const char *token);
#endif
