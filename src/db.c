/*
 * Connection handling, the prepared-statement cache, transactions with
 * bounded retry, and the hf_query helper.  No SQL about hookfan's tables
 * lives here: see db_admin.c, db_ingest.c and db_sweep.c.
 */
#include "db.h"
#include "db_galera.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <errmsg.h>
#include <mysqld_error.h>

struct cached_stmt {
	const char *sql;	/* borrowed: statements are string literals */
	MYSQL_STMT *stmt;
};

struct hf_db {
	MYSQL *mysql;		/* NULL while disconnected */
	const struct hf_config *cfg;
	struct hf_db_limits limits;
	uint64_t deadline_ms;
	uint64_t used_ms;	/* a transaction last ended */
	bool committed;		/* a statement of this transaction committed it */
	bool outcome_unknown;	/* one that commits was cut short by the timeout */
	bool wsrep;		/* the server is a Galera node */
	unsigned int last_errno;	/* of the last error recorded */
	struct cached_stmt cache[HF_DB_STMT_CACHE];
	size_t cache_next;	/* slot to evict when the cache is full */
	char error[512];
};

uint64_t
hf_monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Map a server or client error number to the library's result. */
static enum hf_result
classify_errno(unsigned int err)
{
	switch (err) {
	case ER_LOCK_DEADLOCK:
	case ER_LOCK_WAIT_TIMEOUT:
	case HF_DB_ERRNO_REDO:
		return HF_ERR_DB_RETRY;
	case ER_DUP_ENTRY:
		return HF_ERR_CONFLICT;
	case ER_STATEMENT_TIMEOUT:
		return HF_ERR_TIMEOUT;
	case CR_SERVER_GONE_ERROR:
	case CR_SERVER_LOST:
	case CR_CONNECTION_ERROR:
	case CR_CONN_HOST_ERROR:
	case CR_SERVER_LOST_EXTENDED:
	case CR_COMMANDS_OUT_OF_SYNC:
	case ER_CONNECTION_KILLED:
	case ER_SERVER_SHUTDOWN:
	case ER_QUERY_INTERRUPTED:
		return HF_ERR_DB_GONE;
	case ER_UNKNOWN_COM_ERROR:
		/*
		 * A Galera node outside the primary component refuses every
		 * statement before running it: as good as gone until it
		 * rejoins (another node may serve meanwhile).
		 */
		return HF_ERR_DB_GONE;
	default:
		return HF_ERR_DB;
	}
}

static enum hf_result
record_error(struct hf_db *db, unsigned int err, const char *msg)
{
	snprintf(db->error, sizeof(db->error), "%s (%u)", msg, err);
	db->last_errno = err;
	return classify_errno(err);
}

static void
drop_statements(struct hf_db *db)
{
	size_t i;

	for (i = 0; i < HF_DB_STMT_CACHE; i++) {
		if (db->cache[i].stmt != NULL)
			mysql_stmt_close(db->cache[i].stmt);
		db->cache[i].stmt = NULL;
		db->cache[i].sql = NULL;
	}
	db->cache_next = 0;
}

static void
disconnect(struct hf_db *db)
{
	drop_statements(db);
	if (db->mysql != NULL)
		mysql_close(db->mysql);
	db->mysql = NULL;
}

static enum hf_result
connect_now(struct hf_db *db)
{
	const struct hf_config *cfg = db->cfg;
	unsigned int connect_s = db->limits.connect_seconds;
	unsigned int rw_s = db->limits.read_timeout_seconds;
	static const char isolation[] =
		"SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED";
	char session[512];
	const char *user, *password;
	enum hf_result r;
	MYSQL *m;

	hf_config_account(cfg, db->limits.account, &user, &password);
	m = mysql_init(NULL);
	if (m == NULL)
		return HF_ERR_NOMEM;
	mysql_options(m, MYSQL_OPT_CONNECT_TIMEOUT, &connect_s);
	if (rw_s > 0) {
		mysql_options(m, MYSQL_OPT_READ_TIMEOUT, &rw_s);
		mysql_options(m, MYSQL_OPT_WRITE_TIMEOUT, &rw_s);
	}
	mysql_options(m, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	if (mysql_real_connect(m,
			       cfg->db_socket[0] ? NULL : cfg->db_host,
			       user, password[0] ? password : NULL,
			       cfg->db_name, cfg->db_port,
			       cfg->db_socket[0] ? cfg->db_socket : NULL,
			       0) == NULL) {
		/* "localhost" means the library's default socket, not TCP. */
		if (cfg->db_socket[0] || strcmp(cfg->db_host, "localhost") == 0)
			snprintf(db->error, sizeof(db->error),
				 "cannot connect to %s: %s",
				 cfg->db_socket[0] ? cfg->db_socket : cfg->db_host,
				 mysql_error(m));
		else
			snprintf(db->error, sizeof(db->error),
				 "cannot connect to %s port %u: %s",
				 cfg->db_host, cfg->db_port, mysql_error(m));
		mysql_close(m);
		return HF_ERR_DB_GONE;
	}
	/*
	 * Bound the server side too, so that a client giving up never leaves
	 * a statement running that commits later.
	 */
	snprintf(session, sizeof(session),
		 "SET SESSION time_zone = '+00:00',"
		 " sql_mode = 'STRICT_ALL_TABLES,NO_ZERO_DATE,NO_ENGINE_SUBSTITUTION,ERROR_FOR_DIVISION_BY_ZERO',"
		 " innodb_lock_wait_timeout = %u, lock_wait_timeout = %u,"
		 " max_statement_time = %.3f",
		 db->limits.lock_wait_seconds, db->limits.lock_wait_seconds,
		 db->limits.statement_seconds);
	if (mysql_real_query(m, session, strlen(session)) != 0 ||
	    mysql_real_query(m, isolation, strlen(isolation)) != 0 ||
	    mysql_autocommit(m, 0) != 0) {
		r = classify_errno(mysql_errno(m));
		snprintf(db->error, sizeof(db->error), "session setup: %s",
			 mysql_error(m));
		mysql_close(m);
		return r == HF_ERR_DB_GONE ? r : HF_ERR_DB;
	}
	r = hf_db_galera_setup(m, &db->wsrep, db->error, sizeof(db->error));
	if (r != HF_OK) {
		mysql_close(m);
		return r;
	}
	db->mysql = m;
	db->used_ms = hf_monotonic_ms();
	return HF_OK;
}

enum hf_result
hf_db_open(struct hf_db **out, const struct hf_config *cfg,
	   const struct hf_db_limits *limits, char *errstr, size_t errlen)
{
	struct hf_db *db;
	enum hf_result r;

	*out = NULL;
	db = calloc(1, sizeof(*db));
	if (db == NULL)
		return HF_ERR_NOMEM;
	db->cfg = cfg;
	db->limits = *limits;
	r = connect_now(db);
	if (r != HF_OK) {
		hf_fail(r, errstr, errlen, "%s", db->error);
		free(db);
		return r;
	}
	*out = db;
	return HF_OK;
}

void
hf_db_close(struct hf_db *db)
{
	if (db == NULL)
		return;
	disconnect(db);
	free(db);
}

const char *
hf_db_error(const struct hf_db *db)
{
	return db->error;
}

bool
hf_db_outcome_unknown(const struct hf_db *db)
{
	return db->outcome_unknown;
}

void
hf_db_committed_elsewhere(struct hf_db *db)
{
	db->committed = true;
}

enum hf_result
hf_db_fail(struct hf_db *db, enum hf_result r, char *errstr, size_t errlen)
{
	return hf_fail(r, errstr, errlen, "%s", db->error);
}

enum hf_result
hf_query_expect_row(struct hf_query *q, const char *what, const char *id,
		    char *errstr, size_t errlen)
{
	enum hf_result r = hf_query_run(q);

	if (r == HF_OK)
		r = hf_query_next(q);
	if (r == HF_ERR_NOT_FOUND)
		return hf_fail(r, errstr, errlen, "unknown %s \"%s\"", what, id);
	return r == HF_OK ? r : hf_db_fail(q->db, r, errstr, errlen);
}

enum hf_result
hf_require_row(struct hf_db *db, const char *sql, const char *id,
	       const char *what, char *errstr, size_t errlen)
{
	struct hf_query q;
	enum hf_result r;

	hf_query_start(&q, db, sql);
	hf_query_text(&q, id);
	r = hf_query_expect_row(&q, what, id, errstr, errlen);
	hf_query_end(&q);
	return r;
}

bool
hf_db_wsrep(const struct hf_db *db)
{
	return db->wsrep;
}

MYSQL *
hf_db_mysql(struct hf_db *db)
{
	return db->mysql;
}

void
hf_db_set_deadline(struct hf_db *db, uint64_t deadline_ms)
{
	db->deadline_ms = deadline_ms;
}

static enum hf_result
ensure_connected(struct hf_db *db)
{
	if (db->mysql != NULL)
		return HF_OK;
	return connect_now(db);
}

enum hf_result
hf_db_ping(struct hf_db *db)
{
	enum hf_result r;

	r = ensure_connected(db);
	if (r != HF_OK)
		return r;
	if (mysql_ping(db->mysql) != 0) {
		r = record_error(db, mysql_errno(db->mysql), mysql_error(db->mysql));
		disconnect(db);
		r = connect_now(db);
	}
	/* A Galera node answers pings while it refuses all work. */
	if (r == HF_OK && db->wsrep)
		r = hf_db_galera_ready(db->mysql, db->error, sizeof(db->error));
	return r;
}

enum hf_result
hf_db_exec(struct hf_db *db, const char *sql)
{
	enum hf_result r = ensure_connected(db);

	if (r != HF_OK)
		return r;
	if (mysql_real_query(db->mysql, sql, strlen(sql)) != 0)
		return record_error(db, mysql_errno(db->mysql),
				    mysql_error(db->mysql));
	return HF_OK;
}

enum hf_result
hf_db_exec_text(struct hf_db *db, const char *sql, const char *text,
		unsigned long long *affected)
{
	struct hf_query q;
	enum hf_result r;

	hf_query_start(&q, db, sql);
	hf_query_text(&q, text);
	r = hf_query_run(&q);
	if (r == HF_OK && affected != NULL)
		*affected = hf_query_affected(&q);
	hf_query_end(&q);
	return r;
}

/* True when the transaction may run again before the deadline. */
static bool
time_for_another_try(const struct hf_db *db)
{
	if (db->deadline_ms == 0)
		return true;
	unsigned int wait_s = db->limits.lock_wait_seconds;

	/* A try may wait for a lock, or to reconnect first. */
	if (db->limits.connect_seconds > wait_s)
		wait_s = db->limits.connect_seconds;
	return hf_monotonic_ms() + wait_s * 1000u < db->deadline_ms;
}

/* hf_db_transaction_once on a connection known to be open. */
static enum hf_result
transaction_body(struct hf_db *db, hf_db_txn_fn fn, void *ctx)
{
	enum hf_result r;

	db->committed = false;
	db->outcome_unknown = false;
	r = fn(db, ctx);
	/* Committed by one of its statements: never rolled back nor redone. */
	if (db->committed)
		return r == HF_OK ? HF_OK : HF_ERR_DB_COMMIT_LOST;
	if (r == HF_ERR_DB_COMMIT_LOST) {
		disconnect(db);
		return r;
	}
	if (r == HF_OK) {
		if (mysql_commit(db->mysql) == 0)
			return HF_OK;
		r = record_error(db, mysql_errno(db->mysql),
				 mysql_error(db->mysql));
		if (r == HF_ERR_DB_GONE) {
			/*
			 * The COMMIT itself was lost: whether it took
			 * effect is unknown here, and a redo could store
			 * everything twice.  The caller decides (it can
			 * look for what it wrote).
			 */
			disconnect(db);
			return HF_ERR_DB_COMMIT_LOST;
		}
	}
	if (r == HF_ERR_DB_GONE) {
		/* Lost before COMMIT: the server rolled back. */
		disconnect(db);
		return r;
	}
	if (mysql_rollback(db->mysql) != 0)
		disconnect(db);
	return r;
}

enum hf_result
hf_db_transaction_once(struct hf_db *db, hf_db_txn_fn fn, void *ctx)
{
	enum hf_result r = ensure_connected(db);

	if (r == HF_OK && hf_monotonic_ms() - db->used_ms >= HF_DB_IDLE_PING_MS &&
	    mysql_ping(db->mysql) != 0) {
		/* Died while idle: the caller's next try connects again. */
		r = record_error(db, mysql_errno(db->mysql), mysql_error(db->mysql));
		disconnect(db);
	}
	if (r != HF_OK)
		return r;
	r = transaction_body(db, fn, ctx);
	db->used_ms = hf_monotonic_ms();
	return r;
}

enum hf_result
hf_db_transaction(struct hf_db *db, hf_db_txn_fn fn, void *ctx)
{
	enum hf_result r = HF_ERR_DB;
	int attempt;

	for (attempt = 0; attempt < HF_DB_TXN_ATTEMPTS; attempt++) {
		if (attempt > 0 && !time_for_another_try(db))
			return HF_ERR_TIMEOUT;
		r = hf_db_transaction_once(db, fn, ctx);
		if (r != HF_ERR_DB_GONE && r != HF_ERR_DB_RETRY)
			return r;
	}
	return r;
}

/*
 * The prepared statement for sql, preparing it on first use.  On NULL
 * *why says what failed, classified from the prepare's own error number:
 * the handle's is no longer reliable once the failed statement is closed.
 */
static MYSQL_STMT *
cached_statement(struct hf_db *db, const char *sql, enum hf_result *why)
{
	struct cached_stmt *slot = NULL;
	MYSQL_STMT *stmt;
	size_t i;

	for (i = 0; i < HF_DB_STMT_CACHE; i++) {
		if (db->cache[i].sql == NULL) {
			if (slot == NULL)
				slot = &db->cache[i];
			continue;
		}
		if (db->cache[i].sql == sql || strcmp(db->cache[i].sql, sql) == 0)
			return db->cache[i].stmt;
	}
	if (slot == NULL) {
		slot = &db->cache[db->cache_next];
		db->cache_next = (db->cache_next + 1) % HF_DB_STMT_CACHE;
		mysql_stmt_close(slot->stmt);
		slot->stmt = NULL;
		slot->sql = NULL;
	}
	*why = HF_ERR_NOMEM;
	stmt = mysql_stmt_init(db->mysql);
	if (stmt == NULL)
		return NULL;
	if (mysql_stmt_prepare(stmt, sql, strlen(sql)) != 0) {
		*why = record_error(db, mysql_stmt_errno(stmt),
				    mysql_stmt_error(stmt));
		mysql_stmt_close(stmt);
		return NULL;
	}
	slot->sql = sql;
	slot->stmt = stmt;
	return stmt;
}

void
hf_query_start(struct hf_query *q, struct hf_db *db, const char *sql)
{
	memset(q, 0, offsetof(struct hf_query, params));
	q->db = db;
	q->sql = sql;
}

static MYSQL_BIND *
next_param(struct hf_query *q)
{
	MYSQL_BIND *b;

	if (q->nparams == HF_DB_MAX_PARAMS) {
		q->bind_error = HF_ERR_LIMIT;
		return NULL;
	}
	b = &q->params[q->nparams++];
	memset(b, 0, sizeof(*b));
	return b;
}

void
hf_query_bytes(struct hf_query *q, const char *s, size_t len)
{
	MYSQL_BIND *b = next_param(q);

	if (b == NULL)
		return;
	q->lengths[q->nparams - 1] = len;
	b->buffer_type = MYSQL_TYPE_STRING;
	b->buffer = (void *)(s != NULL ? s : "");
	b->buffer_length = len;
	b->length = &q->lengths[q->nparams - 1];
}

void
hf_query_text(struct hf_query *q, const char *s)
{
	if (s == NULL)
		hf_query_null(q);
	else
		hf_query_bytes(q, s, strlen(s));
}

void
hf_query_int(struct hf_query *q, long long value)
{
	MYSQL_BIND *b = next_param(q);

	if (b == NULL)
		return;
	q->ints[q->nparams - 1] = value;
	b->buffer_type = MYSQL_TYPE_LONGLONG;
	b->buffer = &q->ints[q->nparams - 1];
}

void
hf_query_null(struct hf_query *q)
{
	MYSQL_BIND *b = next_param(q);

	if (b == NULL)
		return;
	b->buffer_type = MYSQL_TYPE_NULL;
}

/* Bind every result column as text, sized from the stored result. */
static enum hf_result
bind_columns(struct hf_query *q)
{
	MYSQL_RES *meta = mysql_stmt_result_metadata(q->stmt);
	MYSQL_FIELD *fields;
	size_t total = 0, offset = 0;
	unsigned int i;

	if (meta == NULL)
		return HF_OK;
	q->ncolumns = mysql_num_fields(meta);
	fields = mysql_fetch_fields(meta);
	for (i = 0; i < q->ncolumns; i++)
		total += fields[i].max_length + 1;
	q->columns = calloc(q->ncolumns, sizeof(*q->columns));
	q->column_lengths = calloc(q->ncolumns, sizeof(*q->column_lengths));
	q->column_nulls = calloc(q->ncolumns, sizeof(*q->column_nulls));
	q->column_space = malloc(total + 1);
	if (q->columns == NULL || q->column_lengths == NULL ||
	    q->column_nulls == NULL || q->column_space == NULL) {
		mysql_free_result(meta);
		return HF_ERR_NOMEM;
	}
	for (i = 0; i < q->ncolumns; i++) {
		q->columns[i].buffer_type = MYSQL_TYPE_STRING;
		q->columns[i].buffer = q->column_space + offset;
		q->columns[i].buffer_length = fields[i].max_length + 1;
		q->columns[i].length = &q->column_lengths[i];
		q->columns[i].is_null = &q->column_nulls[i];
		offset += fields[i].max_length + 1;
	}
	mysql_free_result(meta);
	if (mysql_stmt_bind_result(q->stmt, q->columns) != 0)
		return record_error(q->db, mysql_stmt_errno(q->stmt),
				    mysql_stmt_error(q->stmt));
	return HF_OK;
}

enum hf_result
hf_query_run(struct hf_query *q)
{
	struct hf_db *db = q->db;
	my_bool update_max = 1;
	enum hf_result r;

	if (q->bind_error != HF_OK)
		return hf_fail(q->bind_error, db->error, sizeof(db->error),
			       "too many parameters");
	r = ensure_connected(db);
	if (r != HF_OK)
		return r;
	q->stmt = cached_statement(db, q->sql, &r);
	if (q->stmt == NULL)
		return r;
	if (mysql_stmt_param_count(q->stmt) != q->nparams)
		return hf_fail(HF_ERR_INVALID, db->error, sizeof(db->error),
			       "statement wants %lu parameters, got %u",
			       mysql_stmt_param_count(q->stmt), q->nparams);
	if (q->nparams > 0 && mysql_stmt_bind_param(q->stmt, q->params) != 0)
		return record_error(db, mysql_stmt_errno(q->stmt),
				    mysql_stmt_error(q->stmt));
	mysql_stmt_attr_set(q->stmt, STMT_ATTR_UPDATE_MAX_LENGTH, &update_max);
	if (mysql_stmt_execute(q->stmt) != 0)
		return record_error(db, mysql_stmt_errno(q->stmt),
				    mysql_stmt_error(q->stmt));
	if (mysql_stmt_field_count(q->stmt) == 0)
		return HF_OK;
	if (mysql_stmt_store_result(q->stmt) != 0)
		return record_error(db, mysql_stmt_errno(q->stmt),
				    mysql_stmt_error(q->stmt));
	return bind_columns(q);
}

/*
 * A statement that failed with err never reached the server: a Galera
 * node that refuses all work, or Connector/C's "server has gone away",
 * which it reports only when it could not send the command (a connection
 * that died while idle: a statement lost on its way back is "lost
 * connection", CR_SERVER_LOST).
 */
static bool
never_sent(unsigned int err)
{
	return err == CR_SERVER_GONE_ERROR || hf_db_galera_node_unready(err);
}

enum hf_result
hf_query_run_and_commit(struct hf_query *q)
{
	enum hf_result r = hf_query_run(q);

	if (r == HF_OK)
		q->db->committed = true;
	else if (r == HF_ERR_DB_GONE && q->stmt != NULL && !never_sent(q->db->last_errno))
		r = HF_ERR_DB_COMMIT_LOST;	/* it was sent: it may have committed */
	else if (r == HF_ERR_TIMEOUT)
		q->db->outcome_unknown = true;	/* perhaps after its COMMIT */
	return r;
}

/*
 * Fetch column i of the current row whole: its length is known from the
 * truncated fetch, and the column is re-read into a buffer of that size,
 * which the caller binds for the rows that follow (after the row's last
 * column: binding forgets where the current row's columns are).
 */
static enum hf_result
fetch_column_whole(struct hf_query *q, unsigned int i)
{
	unsigned long len = q->column_lengths[i];
	MYSQL_BIND *b = &q->columns[i];
	char *grown;

	if (len > HF_DB_COLUMN_MAX_BYTES)
		return hf_fail(HF_ERR_LIMIT, q->db->error, sizeof(q->db->error),
			       "column %u of %lu bytes is over the %lu-byte limit",
			       i, len, (unsigned long)HF_DB_COLUMN_MAX_BYTES);
	if (q->column_grown == NULL) {
		q->column_grown = calloc(q->ncolumns, sizeof(*q->column_grown));
		if (q->column_grown == NULL)
			return HF_ERR_NOMEM;
	}
	grown = realloc(q->column_grown[i], len + 1);
	if (grown == NULL)
		return HF_ERR_NOMEM;
	q->column_grown[i] = grown;
	b->buffer = grown;
	b->buffer_length = len + 1;
	if (mysql_stmt_fetch_column(q->stmt, b, i, 0) != 0)
		return record_error(q->db, mysql_stmt_errno(q->stmt),
				    mysql_stmt_error(q->stmt));
	return HF_OK;
}

enum hf_result
hf_query_next(struct hf_query *q)
{
	enum hf_result r;
	bool grown = false;
	int rc;
	unsigned int i;

	if (q->ncolumns == 0)
		return HF_ERR_NOT_FOUND;
	rc = mysql_stmt_fetch(q->stmt);
	if (rc == MYSQL_NO_DATA)
		return HF_ERR_NOT_FOUND;
	if (rc == 1)
		return record_error(q->db, mysql_stmt_errno(q->stmt),
				    mysql_stmt_error(q->stmt));
	/*
	 * Buffers are sized from max_length, which for some types (dates,
	 * times) is the binary length, shorter than their text: a truncated
	 * column (MYSQL_DATA_TRUNCATED) reports its full length, and is read
	 * again, whole.
	 */
	for (i = 0; i < q->ncolumns; i++) {
		if (q->column_nulls[i])
			continue;
		/* Full, it has no room for the NUL: read it again too. */
		if (q->column_lengths[i] >= q->columns[i].buffer_length) {
			r = fetch_column_whole(q, i);
			if (r != HF_OK)
				return r;
			grown = true;
		}
		((char *)q->columns[i].buffer)[q->column_lengths[i]] = '\0';
	}
	if (grown && mysql_stmt_bind_result(q->stmt, q->columns) != 0)
		return record_error(q->db, mysql_stmt_errno(q->stmt),
				    mysql_stmt_error(q->stmt));
	return HF_OK;
}

const char *
hf_query_column(const struct hf_query *q, unsigned int i, size_t *len)
{
	if (i >= q->ncolumns || q->column_nulls[i]) {
		if (len != NULL)
			*len = 0;
		return NULL;
	}
	if (len != NULL)
		*len = q->column_lengths[i];
	return q->columns[i].buffer;
}

long long
hf_query_column_int(const struct hf_query *q, unsigned int i)
{
	const char *s = hf_query_column(q, i, NULL);

	return s != NULL ? strtoll(s, NULL, 10) : 0;
}

unsigned long long
hf_query_affected(const struct hf_query *q)
{
	return q->stmt != NULL ? mysql_stmt_affected_rows(q->stmt) : 0;
}

void
hf_query_end(struct hf_query *q)
{
	unsigned int i;

	if (q->stmt != NULL && q->ncolumns > 0)
		mysql_stmt_free_result(q->stmt);
	free(q->columns);
	free(q->column_lengths);
	free(q->column_nulls);
	free(q->column_space);
	if (q->column_grown != NULL) {
		for (i = 0; i < q->ncolumns; i++)
			free(q->column_grown[i]);
		free(q->column_grown);
	}
	q->column_grown = NULL;
	q->columns = NULL;
	q->column_lengths = NULL;
	q->column_nulls = NULL;
	q->column_space = NULL;
	q->ncolumns = 0;
	q->stmt = NULL;
}
