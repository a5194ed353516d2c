/*
 * hookfan.fcgi: the HTTP API (ingest and management).  A FastCGI
 * responder (FCGX_* API, one request at a time per process; the web
 * server runs as many processes as it likes), or, when started without a
 * FastCGI listener on stdin, a plain CGI program that answers one request.
 *
 * This file owns the process: config, the long-lived database connection
 * and the accept loop.  Per request it hands a struct hf_request to the
 * router (router.h) and keeps nothing afterwards.
 *
 *	hookfan.fcgi [--config FILE]	(else $HOOKFAN_CONFIG, else the default)
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fcgiapp.h>

#include "log.h"
#include "reply.h"
#include "router.h"
#include "routes.h"

extern char **environ;

/*
 * *slot, connecting now under account if it is not open yet; NULL (and a
 * log line naming what) when the database cannot be reached.
 */
static struct hf_db *
server_open_db(struct hf_server *server, struct hf_db **slot,
	       enum hf_db_account account, const char *what)
{
	struct hf_db_limits limits = {
		.connect_seconds = HF_INGEST_CONNECT_SECONDS,
		.lock_wait_seconds = HF_INGEST_LOCK_WAIT_SECONDS,
		.statement_seconds = HF_INGEST_STATEMENT_SECONDS,
		.read_timeout_seconds = HF_INGEST_READ_TIMEOUT_SECONDS,
		.account = account,
	};
	char errstr[512];

	if (*slot == NULL &&
	    hf_db_open(slot, &server->cfg, &limits, errstr, sizeof(errstr)) != HF_OK)
		hf_log(HF_LOG_ERROR, "%s: %s", what, errstr);
	return *slot;
}

struct hf_db *
server_db(struct hf_server *server)
{
	return server_open_db(server, &server->db, HF_DB_ACCOUNT_INGEST, "database");
}

struct hf_db *
server_manage_db(struct hf_server *server)
{
	return server_open_db(server, &server->manage_db, HF_DB_ACCOUNT_API,
			      "database (management account)");
}

static void
serve(struct hf_server *server, struct hf_request *req)
{
	router_dispatch(server, req);
	if (!req->replied)
		reply_error(req, 500, NULL, "internal_error", "no reply was made");
}

static int
usage(void)
{
	fputs("usage: hookfan.fcgi [--config FILE]\n", stderr);
	return 2;
}

int
main(int argc, char **argv)
{
	struct hf_server server;
	struct hf_request req;
	FCGX_Request fcgx;
	const char *config = NULL;
	char errstr[512];
	int status = 0;

	if (argc == 3 && strcmp(argv[1], "--config") == 0)
		config = argv[2];
	else if (argc != 1)
		return usage();
	hf_log_init("hookfan.fcgi", HF_LOG_INFO);
	signal(SIGPIPE, SIG_IGN);
	memset(&server, 0, sizeof(server));
	memset(&req, 0, sizeof(req));

	/* The API never runs on defaults: its file must exist, even unnamed. */
	if (hf_config_load(&server.cfg, hf_config_path(config, NULL), false,
			   errstr, sizeof(errstr)) != HF_OK) {
		hf_log(HF_LOG_ERROR, "%s", errstr);
		if (FCGX_IsCGI()) {
			req.envp = environ;
			reply_error(&req, 500, NULL, "internal_error",
				    "the server is misconfigured");
		}
		return 1;
	}
	if (hf_config_warning(&server.cfg) != NULL)
		hf_log(HF_LOG_WARN, "%s: %s", hf_config_path(config, NULL),
		       hf_config_warning(&server.cfg));
	server.body = malloc((size_t)server.cfg.max_payload_bytes + 1);
	if (server.body == NULL) {
		hf_log(HF_LOG_ERROR, "out of memory");
		return 1;
	}
	/* Connect now if we can; otherwise on the first request. */
	server_db(&server);

	if (FCGX_IsCGI()) {
		req.envp = environ;
		serve(&server, &req);
		fflush(stdout);
	} else if (FCGX_Init() != 0 || FCGX_InitRequest(&fcgx, 0, 0) != 0) {
		hf_log(HF_LOG_ERROR, "cannot initialise FastCGI");
		status = 1;
	} else {
		while (FCGX_Accept_r(&fcgx) >= 0) {
			memset(&req, 0, sizeof(req));
			req.fcgx = &fcgx;
			req.envp = fcgx.envp;
			serve(&server, &req);
			FCGX_Finish_r(&fcgx);
		}
	}
	hf_db_close(server.db);
	hf_db_close(server.manage_db);
	hf_ingest_cache_free(&server.ingest_cache);
	free(server.body);
	return status;
}
