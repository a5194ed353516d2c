/*
 * Drives src/db.c against the test bed's MariaDB for tests/db_layer.py:
 *
 *	db_probe CONFIG lockwait	UPDATE a row another session holds
 *	db_probe CONFIG reconnect	a transaction, wait for a line on
 *					stdin (the test kills the connection),
 *					then another transaction
 *	db_probe CONFIG commitlost	an INSERT, then wait for a line (the
 *					test kills the connection), then COMMIT
 *	db_probe CONFIG columns SQL	run SQL, print each column of each row
 *					as "rowN.colM=VALUE" and its length
 *	db_probe CONFIG short SQL	the same with every column's buffer
 *					cut to one byte, as when the stored
 *					result under-reports a column's
 *					length: each fetch is truncated
 *
 * Prints "key=value" lines the test checks.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "db.h"

static int attempts;

static enum hf_result
update_locked_row(struct hf_db *db, void *ctx)
{
	struct hf_query q;
	enum hf_result r;

	(void)ctx;
	attempts++;
	hf_query_start(&q, db, "UPDATE workspaces SET name = 'probe' WHERE id = 'ws_lock'");
	r = hf_query_run(&q);
	hf_query_end(&q);
	return r;
}

static enum hf_result
connection_id(struct hf_db *db, void *ctx)
{
	struct hf_query q;
	enum hf_result r;

	attempts++;
	hf_query_start(&q, db, "SELECT CONNECTION_ID()");
	r = hf_query_run(&q);
	if (r == HF_OK)
		r = hf_query_next(&q);
	if (r == HF_OK)
		*(long long *)ctx = hf_query_column_int(&q, 0);
	hf_query_end(&q);
	return r;
}

/* Insert a row, then let the test kill the connection before COMMIT. */
static enum hf_result
insert_then_wait(struct hf_db *db, void *ctx)
{
	struct hf_query q;
	enum hf_result r;
	char line[16];

	(void)ctx;
	attempts++;
	hf_query_start(&q, db, "INSERT INTO workspaces (id, name) VALUES ('ws_lost', 'lost')");
	r = hf_query_run(&q);
	hf_query_end(&q);
	if (r != HF_OK)
		return r;
	hf_query_start(&q, db, "SELECT CONNECTION_ID()");
	r = hf_query_run(&q);
	if (r == HF_OK)
		r = hf_query_next(&q);
	if (r == HF_OK)
		printf("connection=%lld\n", hf_query_column_int(&q, 0));
	hf_query_end(&q);
	fflush(stdout);
	if (fgets(line, sizeof(line), stdin) == NULL)
		return HF_ERR_IO;
	return r;
}

/* Print every column of every row of sql, with its length as read. */
static enum hf_result
print_columns(struct hf_db *db, const char *sql, bool cut_buffers)
{
	struct hf_query q;
	enum hf_result r;
	unsigned int row = 0, i;
	const char *value;
	size_t len;

	hf_query_start(&q, db, sql);
	r = hf_query_run(&q);
	if (r == HF_OK && cut_buffers) {
		for (i = 0; i < q.ncolumns; i++)
			q.columns[i].buffer_length = 1;
		if (mysql_stmt_bind_result(q.stmt, q.columns) != 0)
			r = HF_ERR_DB;
	}
	while (r == HF_OK && (r = hf_query_next(&q)) == HF_OK) {
		for (i = 0; i < q.ncolumns; i++) {
			value = hf_query_column(&q, i, &len);
			printf("row%u.col%u=%s\nrow%u.col%u.length=%zu/%zu\n",
			       row, i, value != NULL ? value : "NULL", row, i,
			       len, value != NULL ? strlen(value) : 0);
		}
		row++;
	}
	hf_query_end(&q);
	return r == HF_ERR_NOT_FOUND ? HF_OK : r;
}

int
main(int argc, char **argv)
{
	struct hf_db_limits limits = {
		.connect_seconds = 2, .lock_wait_seconds = 1,
		.statement_seconds = 0, .read_timeout_seconds = 10,
	};
	struct hf_config cfg;
	struct hf_db *db;
	char errstr[512], line[16];
	long long id = 0;
	enum hf_result r;

	if (argc != 3 && argc != 4)
		return 2;
	if (hf_config_load(&cfg, argv[1], false, errstr, sizeof(errstr)) != HF_OK ||
	    hf_db_open(&db, &cfg, &limits, errstr, sizeof(errstr)) != HF_OK) {
		fprintf(stderr, "db_probe: %s\n", errstr);
		return 1;
	}
	if (argc == 4) {
		r = print_columns(db, argv[3], strcmp(argv[2], "short") == 0);
		printf("result=%s\n", hf_result_str(r));
		if (r != HF_OK)
			printf("error=%s\n", hf_db_error(db));
	} else if (strcmp(argv[2], "commitlost") == 0) {
		r = hf_db_transaction(db, insert_then_wait, NULL);
		printf("result=%s\nattempts=%d\n", hf_result_str(r), attempts);
	} else if (strcmp(argv[2], "lockwait") == 0) {
		r = hf_db_transaction(db, update_locked_row, NULL);
		printf("result=%s\nattempts=%d\n", hf_result_str(r), attempts);
	} else {
		r = hf_db_transaction(db, connection_id, &id);
		printf("result=%s\nconnection=%lld\n", hf_result_str(r), id);
		fflush(stdout);
		if (fgets(line, sizeof(line), stdin) == NULL)
			return 1;
		attempts = 0;
		r = hf_db_transaction(db, connection_id, &id);
		printf("result=%s\nconnection=%lld\nattempts=%d\n",
		       hf_result_str(r), id, attempts);
	}
	hf_db_close(db);
	return r == HF_OK ? 0 : 1;
}
