/*
 * The database layer: one MariaDB/MySQL connection, its cache of prepared
 * statements, and transactions that are redone whole after a deadlock, a
 * lock-wait timeout or a lost connection.  Every statement that carries data
 * is a prepared statement; the SQL text itself lives in the db_*.c modules.
 *
 * The connection runs with autocommit off and READ COMMITTED: every unit of
 * work goes through hf_db_transaction(), which commits or rolls back, so no
 * read view or metadata lock outlives it.  MYSQL_OPT_RECONNECT is never set:
 * a silent reconnect would roll back an open transaction behind our back.
 */
#ifndef HF_DB_H
#define HF_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mysql.h>

#include "config.h"
#include "limits.h"
#include "result.h"

struct hf_db;

/*
 * Bounds of every (re)connect and of the session it opens; every program
 * names its own in limits.h.
 */
struct hf_db_limits {
	unsigned int connect_seconds;	/* to reach the server, > 0 */
	unsigned int lock_wait_seconds;	/* row and metadata lock waits, > 0 */
	double statement_seconds;	/* max_statement_time, 0 = none */
	unsigned int read_timeout_seconds; /* client side, 0 = none */
	/* The account it connects as (a program's own, see config.h);
	 * left out (0), db_user and db_password. */
	enum hf_db_account account;
};

/*
 * Connect using cfg (which must outlive the handle).  On failure *out is
 * NULL and errstr says why.  The caller frees with hf_db_close().
 */
enum hf_result hf_db_open(struct hf_db **out, const struct hf_config *cfg,
			  const struct hf_db_limits *limits,
			  char *errstr, size_t errlen);

/* Close the connection and every prepared statement.  db may be NULL. */
void hf_db_close(struct hf_db *db);

/* The last error's text, owned by db; valid until the next call. */
const char *hf_db_error(const struct hf_db *db);

/* r, with the last error's text in errstr: how a db_*.c module fails. */
enum hf_result hf_db_fail(struct hf_db *db, enum hf_result r, char *errstr,
			  size_t errlen);

/* True when the server is a Galera cluster node (wsrep_on=ON). */
bool hf_db_wsrep(const struct hf_db *db);

/* The raw handle, for the migration runner's multi-statement scripts. */
MYSQL *hf_db_mysql(struct hf_db *db);

/* Reconnect if the connection was lost; HF_OK when the server answers
 * (and, on a Galera node, is in the primary component and serving). */
enum hf_result hf_db_ping(struct hf_db *db);

/*
 * Stop retrying transactions once CLOCK_MONOTONIC passes deadline_ms
 * (0 = no deadline); a transaction cut short returns HF_ERR_TIMEOUT.
 */
void hf_db_set_deadline(struct hf_db *db, uint64_t deadline_ms);

/* Milliseconds on CLOCK_MONOTONIC. */
uint64_t hf_monotonic_ms(void);

/*
 * The error number hookfan's stored routines SIGNAL when what the
 * transaction read has changed under it: HF_ERR_DB_RETRY, like a deadlock.
 */
#define HF_DB_ERRNO_REDO 32001

/*
 * A unit of work.  It may run several times (after a deadlock or a
 * reconnect), so it must reset whatever it fills in ctx before writing.
 * Return HF_OK to commit; anything else rolls back and is returned.
 */
typedef enum hf_result (*hf_db_txn_fn)(struct hf_db *db, void *ctx);

/*
 * Run fn in one transaction, redone up to HF_DB_TXN_ATTEMPTS times.
 * HF_ERR_DB_COMMIT_LOST: the connection died during COMMIT, so the work
 * may have been committed; it is never redone blindly.
 */
enum hf_result hf_db_transaction(struct hf_db *db, hf_db_txn_fn fn, void *ctx);

/*
 * One try of hf_db_transaction, never redone: HF_ERR_DB_GONE (the
 * connection is dropped, and opened again on next use) and
 * HF_ERR_DB_RETRY are the caller's to redo or not.
 */
enum hf_result hf_db_transaction_once(struct hf_db *db, hf_db_txn_fn fn,
				      void *ctx);

/*
 * One execution of a prepared statement.  Lives on the caller's stack:
 *
 *	struct hf_query q;
 *	hf_query_start(&q, db, "SELECT name FROM workspaces WHERE id = ?");
 *	hf_query_text(&q, id);
 *	r = hf_query_run(&q);
 *	while (r == HF_OK && (r = hf_query_next(&q)) == HF_OK)
 *		use(hf_query_column(&q, 0, NULL));
 *	hf_query_end(&q);	  always, whatever happened
 *
 * Results are fetched whole (store_result) and every column reads as text.
 */
struct hf_query {
	struct hf_db *db;
	const char *sql;
	MYSQL_STMT *stmt;
	enum hf_result bind_error;
	unsigned int nparams;
	unsigned int ncolumns;
	MYSQL_BIND *columns;	/* owned, freed by hf_query_end */
	unsigned long *column_lengths;
	my_bool *column_nulls;
	char *column_space;
	char **column_grown;	/* owned: per-column buffers a fetch outgrew */
	/* Last, and not cleared by hf_query_start: each is set when bound. */
	MYSQL_BIND params[HF_DB_MAX_PARAMS];
	long long ints[HF_DB_MAX_PARAMS];
	unsigned long lengths[HF_DB_MAX_PARAMS];
};

void hf_query_start(struct hf_query *q, struct hf_db *db, const char *sql);

/* Bind the next parameter.  s is borrowed until hf_query_run returns. */
void hf_query_bytes(struct hf_query *q, const char *s, size_t len);
void hf_query_text(struct hf_query *q, const char *s); /* NULL binds NULL */
void hf_query_int(struct hf_query *q, long long value);
void hf_query_null(struct hf_query *q);

/* Execute; for a SELECT the rows are then read with hf_query_next. */
enum hf_result hf_query_run(struct hf_query *q);

/*
 * Execute a statement that ends the transaction with its own COMMIT (a
 * stored procedure that commits): hf_db_transaction() then commits nothing
 * more.  HF_ERR_DB_COMMIT_LOST when the connection was lost once the
 * statement was sent: as with a lost COMMIT, whether it took effect is
 * unknown, and the transaction is not redone.  HF_ERR_TIMEOUT (the
 * statement timeout) may strike after the COMMIT inside, and the statement
 * still fails: hf_db_transaction() returns the timeout, and
 * hf_db_outcome_unknown() says whether the caller must look for what it
 * wrote.
 */
enum hf_result hf_query_run_and_commit(struct hf_query *q);

/*
 * The transaction's work was committed on another connection (a shared
 * commit, cgi/ingest_group.h): hf_db_transaction() commits nothing more.
 */
void hf_db_committed_elsewhere(struct hf_db *db);

/* After hf_db_transaction() returned HF_ERR_TIMEOUT: true when the
 * timeout cut short a statement of hf_query_run_and_commit, which may have
 * committed. */
bool hf_db_outcome_unknown(const struct hf_db *db);

/*
 * Advance to the next row: HF_OK, or HF_ERR_NOT_FOUND after the last.  A
 * column longer than its buffer (a type whose text is longer than what
 * the stored result reports for it) is fetched again, whole, into a buffer
 * of its size; HF_ERR_LIMIT when that would pass HF_DB_COLUMN_MAX_BYTES.
 */
enum hf_result hf_query_next(struct hf_query *q);

/* Column i of the current row, NUL-terminated; NULL for SQL NULL. */
const char *hf_query_column(const struct hf_query *q, unsigned int i,
			    size_t *len);

/* Column i as a number (0 for NULL). */
long long hf_query_column_int(const struct hf_query *q, unsigned int i);

/* Rows changed by an INSERT/UPDATE/DELETE. */
unsigned long long hf_query_affected(const struct hf_query *q);

void hf_query_end(struct hf_query *q);

/* Run q (started and bound) and move to its first row: else
 * HF_ERR_NOT_FOUND and 'unknown WHAT "ID"' in errstr, or the database's
 * error.  The caller reads the row, then ends q either way. */
enum hf_result hf_query_expect_row(struct hf_query *q, const char *what,
				   const char *id, char *errstr, size_t errlen);

/* hf_query_expect_row of sql with one "?" for id, for its row alone. */
enum hf_result hf_require_row(struct hf_db *db, const char *sql, const char *id,
			      const char *what, char *errstr, size_t errlen);

/* Run one statement with no parameters and no result (DDL, SET). */
enum hf_result hf_db_exec(struct hf_db *db, const char *sql);

/*
 * Run one statement whose only parameter is text (the JSON lists of
 * db_text.h); its rows, if any, are discarded (a SELECT ... FOR UPDATE
 * run for its locks).  *affected (if not NULL) gets the rows it changed.
 */
enum hf_result hf_db_exec_text(struct hf_db *db, const char *sql,
			       const char *text, unsigned long long *affected);

#endif
