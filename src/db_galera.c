/*
 * db_galera.c: what hookfan does differently on a MariaDB Galera Cluster
 * node: the start-up check, the session settings, whether the node
 * serves, and the migration lock that holds across nodes.
 *
 * Galera replicates a transaction's row changes when it commits and
 * certifies them against what other nodes committed meanwhile; row locks
 * are local to a node.  hookfan's transactions already redo themselves
 * after a deadlock, which is how a failed certification is reported
 * (1213 at COMMIT), so the claim stays "each due attempt made once"; the
 * claim writes the lock rows of the endpoints it grants slots of, so
 * that the per-endpoint cap holds across nodes too (db_claim.c).
 * What remains is here: settings without which replication is not
 * row-exact, and reads that must see the other nodes' latest commits.
 */
#include "db_galera.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <errmsg.h>
#include <mysqld_error.h>

#include "crypto.h"
#include "db.h"
#include "limits.h"

/*
 * wsrep_sync_wait bit 1: a SELECT, SHOW or BEGIN first waits until this
 * node has applied everything the cluster committed before it.  The
 * sweep's claim then sees other nodes' leases (instead of claiming a row
 * another node just leased and failing certification), and admin and
 * ingest see a key, endpoint or subscription created through any node.
 * Writes need no wait: a stale row they change fails certification and
 * the transaction is redone.
 */
#define GALERA_SYNC_WAIT_READS "1"

bool
hf_db_galera_node_unready(unsigned int err)
{
	/* "WSREP has not yet prepared node for application use". */
	return err == ER_UNKNOWN_COM_ERROR;
}

static enum hf_result
query_failed(MYSQL *m, char *errstr, size_t errlen)
{
	unsigned int err = mysql_errno(m);

	hf_fail(HF_ERR_DB, errstr, errlen, "Galera node check: %s (%u)",
		mysql_error(m), err);
	if (hf_db_galera_node_unready(err) || err >= CR_MIN_ERROR)
		return HF_ERR_DB_GONE;	/* the node refuses, or the client lost it */
	return HF_ERR_DB;
}

enum hf_result
hf_db_galera_setup(MYSQL *m, bool *wsrep, char *errstr, size_t errlen)
{
	static const char settings[] =
		"SELECT @@wsrep_on, @@binlog_format, @@innodb_autoinc_lock_mode";
	static const char session[] =
		"SET SESSION wsrep_sync_wait = " GALERA_SYNC_WAIT_READS ","
		" wsrep_OSU_method = 'TOI'";
	MYSQL_RES *res;
	MYSQL_ROW row;
	enum hf_result r = HF_OK;
	char format[32] = "", wsrep_on[8] = "", autoinc[8] = "";

	*wsrep = false;
	if (mysql_real_query(m, settings, strlen(settings)) != 0) {
		/* A server built without wsrep has no @@wsrep_on. */
		if (mysql_errno(m) == ER_UNKNOWN_SYSTEM_VARIABLE)
			return HF_OK;
		return query_failed(m, errstr, errlen);
	}
	res = mysql_store_result(m);
	if (res == NULL)
		return query_failed(m, errstr, errlen);
	row = mysql_fetch_row(res);
	if (row != NULL) {
		snprintf(wsrep_on, sizeof(wsrep_on), "%s", row[0] ? row[0] : "");
		snprintf(format, sizeof(format), "%s", row[1] ? row[1] : "");
		snprintf(autoinc, sizeof(autoinc), "%s", row[2] ? row[2] : "");
	}
	mysql_free_result(res);
	if (strcmp(wsrep_on, "1") != 0)
		return HF_OK;
	*wsrep = true;
	/*
	 * The claim (SELECT ... FOR UPDATE SKIP LOCKED) and every write must
	 * replicate as the rows they changed, not as statements each node
	 * would re-run against its own rows.
	 */
	if (strcmp(format, "ROW") != 0)
		return hf_fail(HF_ERR_REFUSED, errstr, errlen,
			       "this Galera node has binlog_format=%s: hookfan needs binlog_format=ROW (set it in the server's config on every node)",
			       format);
	/* Galera's own requirement for parallel applying of inserts. */
	if (strcmp(autoinc, "2") != 0)
		return hf_fail(HF_ERR_REFUSED, errstr, errlen,
			       "this Galera node has innodb_autoinc_lock_mode=%s: Galera needs innodb_autoinc_lock_mode=2 (set it in the server's config on every node)",
			       autoinc);
	if (mysql_real_query(m, session, strlen(session)) != 0) {
		r = query_failed(m, errstr, errlen);
		if (r == HF_ERR_DB)
			return hf_fail(HF_ERR_REFUSED, errstr, errlen,
				       "cannot set wsrep_sync_wait and wsrep_OSU_method for hookfan's session on this Galera node: %s",
				       mysql_error(m));
	}
	return r;
}

enum hf_result
hf_db_galera_ready(MYSQL *m, char *errstr, size_t errlen)
{
	static const char ready[] = "SHOW GLOBAL STATUS LIKE 'wsrep_ready'";
	MYSQL_RES *res;
	MYSQL_ROW row;
	bool on;

	if (mysql_real_query(m, ready, strlen(ready)) != 0)
		return query_failed(m, errstr, errlen);
	res = mysql_store_result(m);
	if (res == NULL)
		return query_failed(m, errstr, errlen);
	row = mysql_fetch_row(res);
	on = row != NULL && row[1] != NULL && strcmp(row[1], "ON") == 0;
	mysql_free_result(res);
	if (!on)
		return hf_fail(HF_ERR_DB_GONE, errstr, errlen,
			       "this Galera node is not serving (wsrep_ready is not ON: it is outside the primary component or still joining)");
	return HF_OK;
}

/* ---- the migration lock ---------------------------------------------- */

static const char lock_table_sql[] =
	"CREATE TABLE IF NOT EXISTS schema_migrations_lock ("
	" name VARCHAR(32) CHARACTER SET ascii NOT NULL PRIMARY KEY,"
	" holder CHAR(32) CHARACTER SET ascii NOT NULL,"
	" expires_at DATETIME(3) NOT NULL"
	") ENGINE=InnoDB";

struct migrate_lock {
	const char *token;
	char holder[HF_MIGRATE_LOCK_TOKEN_LEN + 1];
	char expires_at[32];
};

/*
 * Take the row unless a live holder has it.  MariaDB assigns ON
 * DUPLICATE KEY UPDATE columns left to right, so expires_at is renewed
 * only when holder has just become ours.
 */
static enum hf_result
take_lock(struct hf_db *db, void *ctx)
{
	struct migrate_lock *lock = ctx;
	struct hf_query q;
	enum hf_result r;
	const char *s;

	lock->holder[0] = lock->expires_at[0] = '\0';
	hf_query_start(&q, db,
		       "INSERT INTO schema_migrations_lock (name, holder, expires_at)"
		       " VALUES ('migrate', ?, NOW(3) + INTERVAL ? SECOND)"
		       " ON DUPLICATE KEY UPDATE"
		       " holder = IF(expires_at < NOW(3), VALUES(holder), holder),"
		       " expires_at = IF(holder = VALUES(holder), VALUES(expires_at), expires_at)");
	hf_query_text(&q, lock->token);
	hf_query_int(&q, HF_MIGRATE_CLUSTER_LOCK_SECONDS);
	r = hf_query_run(&q);
	hf_query_end(&q);
	if (r != HF_OK)
		return r;
	hf_query_start(&q, db,
		       "SELECT holder, expires_at FROM schema_migrations_lock WHERE name = 'migrate'");
	r = hf_query_run(&q);
	if (r == HF_OK)
		r = hf_query_next(&q);
	if (r == HF_OK) {
		s = hf_query_column(&q, 0, NULL);
		snprintf(lock->holder, sizeof(lock->holder), "%s", s ? s : "");
		s = hf_query_column(&q, 1, NULL);
		snprintf(lock->expires_at, sizeof(lock->expires_at), "%s", s ? s : "");
	}
	hf_query_end(&q);
	return r;
}

enum hf_result
hf_db_galera_migrate_lock(struct hf_db *db, char *token, char *errstr,
			  size_t errlen)
{
	unsigned char raw[HF_MIGRATE_LOCK_TOKEN_LEN / 2];
	static const struct timespec pause = { 0, 250 * 1000 * 1000 };
	struct migrate_lock lock;
	enum hf_result r;
	uint64_t deadline;

	if (hf_random_bytes(raw, sizeof(raw)) != HF_OK)
		return hf_fail(HF_ERR_IO, errstr, errlen,
			       "no random bytes for the migration lock");
	hf_hex_encode(raw, sizeof(raw), token);
	r = hf_db_exec(db, lock_table_sql);
	if (r != HF_OK)
		return hf_db_fail(db, r, errstr, errlen);
	lock.token = token;
	/* Wait for a live holder as GET_LOCK(name, timeout) would. */
	deadline = hf_monotonic_ms() + HF_MIGRATE_LOCK_WAIT_SECONDS * 1000u;
	for (;;) {
		r = hf_db_transaction(db, take_lock, &lock);
		if (r == HF_OK && strcmp(lock.holder, token) == 0)
			return HF_OK;
		/* HF_ERR_DB_RETRY: redone, and still colliding at certification. */
		if (r != HF_OK && r != HF_ERR_DB_RETRY)
			return hf_db_fail(db, r, errstr, errlen);
		if (hf_monotonic_ms() >= deadline)
			break;
		nanosleep(&pause, NULL);
	}
	if (r == HF_ERR_DB_RETRY)
		return hf_fail(HF_ERR_TIMEOUT, errstr, errlen,
			       "another migration, on another node of the cluster, is taking the lock");
	return hf_fail(HF_ERR_TIMEOUT, errstr, errlen,
		       "another migration holds the lock on the cluster (schema_migrations_lock, until %s UTC unless released)",
		       lock.expires_at);
}

static enum hf_result
drop_lock(struct hf_db *db, void *ctx)
{
	struct hf_query q;
	enum hf_result r;

	hf_query_start(&q, db,
		       "DELETE FROM schema_migrations_lock WHERE name = 'migrate' AND holder = ?");
	hf_query_text(&q, ctx);
	r = hf_query_run(&q);
	hf_query_end(&q);
	return r;
}

void
hf_db_galera_migrate_unlock(struct hf_db *db, const char *token)
{
	/* Failing, the lock lapses by itself. */
	hf_db_transaction(db, drop_lock, (void *)token);
}
