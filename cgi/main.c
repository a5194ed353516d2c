/*
 * hookfan.fcgi: the HTTP ingest.  A FastCGI responder (FCGX_* API, one
 * request at a time per process; the web server runs as many processes as
 * it likes), or, when started without a FastCGI listener on stdin, a plain
 * CGI program that answers one request.
 *
 * This file owns the process: config, the long-lived database connection,
 * the accept loop and the fixed route table.  Per request it hands a
 * struct hf_request to one handler and keeps nothing afterwards.
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
#include "routes.h"

extern char **environ;

enum route { ROUTE_NONE, ROUTE_TRIGGER, ROUTE_SEND_MESSAGE, ROUTE_HEALTH, ROUTE_METRICS };

static const char trigger_prefix[] = "/api/ingest/event/";
static const char applications_prefix[] = "/v1/applications/";
static const char messages_suffix[] = "/messages";

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

/*
 * One path segment (no '/', not empty) of len bytes into arg, decoded when
 * the path is raw.  A segment that does not decode, or decodes to anything
 * but visible ASCII (every id and event type is), becomes "", which every
 * handler refuses as invalid or unknown: error messages quote the segment,
 * and raw bytes would make the JSON answer invalid UTF-8.
 */
static void
take_segment(const char *s, size_t len, bool raw, char *arg, size_t arglen)
{
	size_t i;

	arg[0] = '\0';
	if (raw) {
		if (!request_percent_decode(s, len, arg, arglen))
			arg[0] = '\0';
	} else if (len < arglen) {
		memcpy(arg, s, len);
		arg[len] = '\0';
	}
	for (i = 0; arg[i] != '\0'; i++) {
		if ((unsigned char)arg[i] <= 0x20 || (unsigned char)arg[i] >= 0x7f) {
			arg[0] = '\0';
			return;
		}
	}
}

static enum route
route_match(const char *path, bool raw, char *arg, size_t arglen)
{
	size_t len = strlen(path), n;
	const char *rest;

	if (strcmp(path, "/healthz") == 0)
		return ROUTE_HEALTH;
	if (strcmp(path, "/metrics") == 0)
		return ROUTE_METRICS;
	if (strncmp(path, trigger_prefix, sizeof(trigger_prefix) - 1) == 0) {
		rest = path + sizeof(trigger_prefix) - 1;
		if (rest[0] == '\0' || strchr(rest, '/') != NULL)
			return ROUTE_NONE;
		take_segment(rest, strlen(rest), raw, arg, arglen);
		return ROUTE_TRIGGER;
	}
	if (strncmp(path, applications_prefix, sizeof(applications_prefix) - 1) == 0 &&
	    len > sizeof(applications_prefix) - 1 + sizeof(messages_suffix) - 1 &&
	    strcmp(path + len - (sizeof(messages_suffix) - 1), messages_suffix) == 0) {
		rest = path + sizeof(applications_prefix) - 1;
		n = (size_t)(path + len - (sizeof(messages_suffix) - 1) - rest);
		if (memchr(rest, '/', n) != NULL)
			return ROUTE_NONE;
		take_segment(rest, n, raw, arg, arglen);
		return ROUTE_SEND_MESSAGE;
	}
	return ROUTE_NONE;
}

static void
dispatch(struct hf_server *server, struct hf_request *req)
{
	char path[HF_REQUEST_PATH_MAX], arg[HF_REQUEST_PATH_MAX];
	const char *method = request_method(req), *candidate;
	enum route route = ROUTE_NONE;
	bool raw;
	int i;

	for (i = 0; i < 2 && route == ROUTE_NONE; i++) {
		candidate = request_path_candidate(req, i, path, sizeof(path), &raw);
		if (candidate != NULL)
			route = route_match(candidate, raw, arg, sizeof(arg));
	}
	switch (route) {
	case ROUTE_NONE:
		reply_error(req, 404, NULL, "not_found", "no such path");
		return;
	case ROUTE_HEALTH:
	case ROUTE_METRICS:
		if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
			reply_error(req, 405, "Allow: GET, HEAD\r\n", "method_not_allowed",
				    "use GET on this path");
			return;
		}
		if (route == ROUTE_METRICS)
			metrics_handle(server, req);
		else
			health_handle(server, req);
		return;
	case ROUTE_TRIGGER:
	case ROUTE_SEND_MESSAGE:
		if (strcmp(method, "POST") != 0) {
			reply_error(req, 405, "Allow: POST\r\n", "method_not_allowed",
				    "use POST on this path");
			return;
		}
		if (route == ROUTE_TRIGGER)
			trigger_handle(server, req, arg);
		else
			send_message_handle(server, req, arg);
		return;
	}
}

static void
serve(struct hf_server *server, struct hf_request *req)
{
	dispatch(server, req);
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
	free(server.body);
	return status;
}
