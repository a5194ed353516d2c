/*
 * The durable floor for hookfan.fcgi in the benchmark: a FastCGI responder
 * that does the least any durable ingest program must do -- read the
 * request body, store it with one prepared INSERT that commits (autocommit:
 * the 202 comes after the commit is on disk), and answer 202 -- and
 * nothing else (no key, no parsing, no fan-out).  It runs behind the same
 * lighttpd, against the same MariaDB, driven by the same wrk client as
 * hookfan.fcgi and the trivial responder, with 8 processes of one request
 * each (as hookfan.fcgi ran before its requests shared commits).
 *
 * Its rate against the trivial responder's is the most any durable ingest
 * can reach on the machine; hookfan's against it is what the rest costs.
 *
 * Settings from the environment: BENCH_DB_SOCKET, BENCH_DB_USER,
 * BENCH_DB_PASSWORD, BENCH_DB_NAME; the table is
 *   bench_floor (id BIGINT AUTO_INCREMENT PRIMARY KEY, body MEDIUMTEXT)
 *
 * Build: cc -O2 -o commit_fcgi commit_fcgi.c -lfcgi \
 *          $(pkg-config --cflags --libs libmariadb)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fcgiapp.h>
#include <mysql.h>

#define BODY_MAX (1 << 20)

static MYSQL *db;
static MYSQL_STMT *insert;

static int
connect_db(void)
{
	const char *sql = "INSERT INTO bench_floor (body) VALUES (?)";

	db = mysql_init(NULL);
	if (db == NULL ||
	    mysql_real_connect(db, NULL, getenv("BENCH_DB_USER"),
			       getenv("BENCH_DB_PASSWORD"), getenv("BENCH_DB_NAME"),
			       0, getenv("BENCH_DB_SOCKET"), 0) == NULL) {
		fprintf(stderr, "commit_fcgi: connect: %s\n", db ? mysql_error(db) : "no memory");
		return -1;
	}
	insert = mysql_stmt_init(db);
	if (insert == NULL || mysql_stmt_prepare(insert, sql, strlen(sql)) != 0) {
		fprintf(stderr, "commit_fcgi: prepare: %s\n", mysql_error(db));
		return -1;
	}
	return 0;
}

/* Store the body; 0 once the commit is durable. */
static int
store(char *body, unsigned long len)
{
	MYSQL_BIND bind;

	memset(&bind, 0, sizeof(bind));
	bind.buffer_type = MYSQL_TYPE_STRING;
	bind.buffer = body;
	bind.buffer_length = len;
	bind.length = &len;
	if (mysql_stmt_bind_param(insert, &bind) != 0 || mysql_stmt_execute(insert) != 0) {
		fprintf(stderr, "commit_fcgi: insert: %s\n", mysql_stmt_error(insert));
		return -1;
	}
	return 0;
}

int
main(void)
{
	FCGX_Request req;
	static char body[BODY_MAX], spill[65536];
	unsigned long served = 0;

	if (connect_db() != 0)
		return 1;
	if (FCGX_Init() != 0 || FCGX_InitRequest(&req, 0, 0) != 0)
		return 1;
	while (FCGX_Accept_r(&req) >= 0) {
		int len = FCGX_GetStr(body, BODY_MAX, req.in);
		int more = 0;

		while (FCGX_GetStr(spill, sizeof(spill), req.in) > 0)
			more = 1;
		if (more) {
			FCGX_FPrintF(req.out, "Status: 413 Content Too Large\r\n"
				     "Content-Type: application/json\r\n\r\n"
				     "{\"error\":\"body over %d bytes\"}\n", BODY_MAX);
		} else if (store(body, (unsigned long)len) != 0) {
			FCGX_FPrintF(req.out, "Status: 503 Service Unavailable\r\n"
				     "Content-Type: application/json\r\n\r\n"
				     "{\"error\":\"not stored\"}\n");
		} else {
			served++;
			FCGX_FPrintF(req.out,
				     "Status: 202 Accepted\r\n"
				     "Content-Type: application/json\r\n\r\n"
				     "{\"message_id\":\"msg_%026lu\",\"status\":\"accepted\"}\n",
				     served);
		}
		FCGX_Finish_r(&req);
	}
	return 0;
}
