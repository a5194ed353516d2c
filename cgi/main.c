/*
 * hookfan.fcgi: the HTTP API (ingest and management).  A FastCGI
 * responder (FCGX_*_r API) serving up to HF_FCGI_THREADS requests at once
 * per process, so that the stores of requests that arrive together can
 * share a commit (ingest_group.h); the web server runs as many processes
 * as it likes (mod_fcgid sends each one request at a time).  Started
 * without a FastCGI listener on stdin, a plain CGI program that answers
 * one request.
 *
 * This file owns the process: config, the servers (routes.h) with their
 * long-lived database connections, and the accept loop.  Per request it
 * hands a struct hf_request to the router (router.h) and, once the answer
 * is out, lets the ingest count the backlog readings it found old
 * (ingest.h ingest_after_answer); it keeps nothing afterwards.
 *
 *	hookfan.fcgi [--config FILE]	(else $HOOKFAN_CONFIG, else the default)
 */
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fcgiapp.h>
#include <mysql.h>

#include "ingest.h"
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

/*
 * The FastCGI process: HF_FCGI_THREADS threads take requests from the
 * listening socket, one accept at a time (libfcgi's threaded example), and
 * serve each with a struct hf_server of the spare ones, made when none
 * is spare: a process holds as many database connections as it has
 * served requests at once, not one per thread.  A server still counting
 * backlog readings after its answer (ingest_after_answer) serves no
 * request: one that comes while no other is served waits for it rather
 * than open a connection more, so under mod_fcgid, which sends one
 * request at a time, a process keeps its one.
 */
struct process {
	const struct hf_config *cfg;
	struct hf_shared shared;
	pthread_mutex_t accept_lock;
	pthread_mutex_t servers_lock;
	struct hf_server *servers[HF_FCGI_THREADS];	/* every one made */
	size_t server_count;
	struct hf_server *spare[HF_FCGI_THREADS];
	size_t spare_count;
	size_t serving;		/* servers taken, serving a request */
	size_t finishing;	/* servers taken, counting after the answer */
	pthread_cond_t given_back;	/* a server is spare again */
};

static struct hf_server *
server_new(const struct hf_config *cfg, struct hf_shared *shared)
{
	struct hf_server *server = calloc(1, sizeof(*server));

	if (server == NULL)
		return NULL;
	server->cfg = *cfg;
	server->shared = shared;
	server->body = malloc((size_t)cfg->max_payload_bytes + 1);
	if (server->body == NULL) {
		free(server);
		return NULL;
	}
	return server;
}

static void
server_free(struct hf_server *server)
{
	hf_db_close(server->db);
	hf_db_close(server->manage_db);
	hf_ingest_targets_free(&server->stale_readings);
	free(server->body);
	free(server);
}

/* A spare server, or a new one; NULL when out of memory. */
static struct hf_server *
server_take(struct process *p)
{
	struct hf_server *server = NULL;

	pthread_mutex_lock(&p->servers_lock);
	while (p->spare_count == 0 && p->finishing > 0 && p->serving == 0)
		pthread_cond_wait(&p->given_back, &p->servers_lock);
	if (p->spare_count > 0) {
		server = p->spare[--p->spare_count];
	} else if (p->server_count < HF_FCGI_THREADS) {
		server = server_new(p->cfg, &p->shared);
		if (server != NULL)
			p->servers[p->server_count++] = server;
	}
	if (server != NULL)
		p->serving++;
	pthread_mutex_unlock(&p->servers_lock);
	return server;
}

static void
server_give_back(struct process *p, struct hf_server *server, bool finishing)
{
	pthread_mutex_lock(&p->servers_lock);
	p->spare[p->spare_count++] = server;
	if (finishing)
		p->finishing--;
	else
		p->serving--;
	pthread_cond_broadcast(&p->given_back);
	pthread_mutex_unlock(&p->servers_lock);
}

/*
 * End the request: the answer goes out, then the server counts what the
 * request left it to count (ingest.h) before it is spare again.
 */
static void
finish(struct process *p, struct hf_server *server, FCGX_Request *fcgx)
{
	if (server->stale_readings.count == 0) {
		server_give_back(p, server, false);
		FCGX_Finish_r(fcgx);
		return;
	}
	pthread_mutex_lock(&p->servers_lock);
	p->serving--;
	p->finishing++;
	pthread_mutex_unlock(&p->servers_lock);
	FCGX_Finish_r(fcgx);
	ingest_after_answer(server);
	server_give_back(p, server, true);
}

static void *
serve_requests(void *arg)
{
	struct process *p = arg;
	struct hf_server *server;
	struct hf_request req;
	FCGX_Request fcgx;
	int accepted;

	if (FCGX_InitRequest(&fcgx, 0, 0) != 0) {
		hf_log(HF_LOG_ERROR, "cannot initialise a FastCGI request");
		return NULL;
	}
	for (;;) {
		pthread_mutex_lock(&p->accept_lock);
		accepted = FCGX_Accept_r(&fcgx);
		pthread_mutex_unlock(&p->accept_lock);
		if (accepted < 0) {
			kill(getpid(), SIGTERM);	/* the others stop too */
			break;
		}
		memset(&req, 0, sizeof(req));
		req.fcgx = &fcgx;
		req.envp = fcgx.envp;
		server = server_take(p);
		if (server == NULL) {
			hf_log(HF_LOG_ERROR, "out of memory");
			reply_error(&req, 500, NULL, "internal_error", "out of memory");
			FCGX_Finish_r(&fcgx);
			continue;
		}
		serve(server, &req);
		finish(p, server, &fcgx);
	}
	FCGX_Free(&fcgx, 1);
	return NULL;
}

/*
 * Wait for SIGTERM, SIGINT or SIGUSR1 (lighttpd's and mod_fcgid's stop,
 * libfcgi's "finish"), blocked in every thread and taken here, then stop
 * taking requests: the threads finish the ones they serve.  libfcgi's
 * own handler would only interrupt an accept in the thread the signal
 * happens to reach.  A thread whose accept fails raises SIGTERM itself,
 * so the process ends (and the web server starts another) rather than
 * serving on with fewer threads.
 */
static void
wait_for_stop(const sigset_t *stop)
{
	int signo;

	while (sigwait(stop, &signo) != 0)
		;
	FCGX_ShutdownPending();
	/* Wakes the thread blocked in accept; the others then fail theirs. */
	shutdown(0, SHUT_RDWR);	/* FastCGI listens on stdin */
}

static int
run_fastcgi(struct process *p)
{
	pthread_t threads[HF_FCGI_THREADS];
	struct hf_server *writer;
	size_t started = 0, i;
	sigset_t stop;

	if (FCGX_Init() != 0) {
		hf_log(HF_LOG_ERROR, "cannot initialise FastCGI");
		return 1;
	}
	/* Threads free what other threads allocated: a few arenas suffice. */
	mallopt(M_ARENA_MAX, 2);
	pthread_mutex_init(&p->accept_lock, NULL);
	pthread_mutex_init(&p->servers_lock, NULL);
	pthread_cond_init(&p->given_back, NULL);
	/* Connect now if we can (a log line says why not); else on use. */
	p->servers[0] = server_new(p->cfg, &p->shared);
	if (p->servers[0] == NULL) {
		hf_log(HF_LOG_ERROR, "out of memory");
		return 1;
	}
	p->server_count = p->spare_count = 1;
	p->spare[0] = p->servers[0];
	server_db(p->servers[0]);
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	/* After the mask: the writer thread takes no signal either. */
	writer = server_new(p->cfg, &p->shared);
	if (writer != NULL)
		p->shared.ingest_group = ingest_group_new(writer);
	if (p->shared.ingest_group == NULL)
		hf_log(HF_LOG_WARN, "cannot start the ingest writer: every ingest commits alone");
	for (i = 0; i < HF_FCGI_THREADS; i++) {
		if (pthread_create(&threads[i], NULL, serve_requests, p) != 0) {
			hf_log(HF_LOG_WARN, "started %zu of %d threads", i, HF_FCGI_THREADS);
			break;
		}
		started++;
	}
	if (started > 0)
		wait_for_stop(&stop);
	for (i = 0; i < started; i++)
		pthread_join(threads[i], NULL);
	ingest_group_free(p->shared.ingest_group);
	if (writer != NULL)
		server_free(writer);
	for (i = 0; i < p->server_count; i++)
		server_free(p->servers[i]);
	return started > 0 ? 0 : 1;
}

int
main(int argc, char **argv)
{
	struct process p;
	struct hf_config cfg;
	struct hf_server *server;
	struct hf_request req;
	const char *config = NULL;
	char errstr[512];
	int status = 0;

	if (argc == 3 && strcmp(argv[1], "--config") == 0)
		config = argv[2];
	else if (argc != 1)
		return usage();
	hf_log_init("hookfan.fcgi", HF_LOG_INFO);
	signal(SIGPIPE, SIG_IGN);
	memset(&p, 0, sizeof(p));
	memset(&req, 0, sizeof(req));

	/* The API never runs on defaults: its file must exist, even unnamed. */
	if (hf_config_load(&cfg, hf_config_path(config, NULL), false,
			   errstr, sizeof(errstr)) != HF_OK) {
		hf_log(HF_LOG_ERROR, "%s", errstr);
		if (FCGX_IsCGI()) {
			req.envp = environ;
			reply_error(&req, 500, NULL, "internal_error",
				    "the server is misconfigured");
		}
		return 1;
	}
	if (hf_config_warning(&cfg) != NULL)
		hf_log(HF_LOG_WARN, "%s: %s", hf_config_path(config, NULL),
		       hf_config_warning(&cfg));
	/* Before any thread: the client library's set-up is not thread-safe. */
	if (mysql_library_init(0, NULL, NULL) != 0) {
		hf_log(HF_LOG_ERROR, "cannot initialise the MariaDB client library");
		return 1;
	}
	p.cfg = &cfg;
	pthread_mutex_init(&p.shared.cache_lock, NULL);
	if (!FCGX_IsCGI()) {
		status = run_fastcgi(&p);
	} else if ((server = server_new(&cfg, &p.shared)) == NULL) {
		hf_log(HF_LOG_ERROR, "out of memory");
		status = 1;
	} else {
		req.envp = environ;
		serve(server, &req);
		fclose(stdout);	/* the answer is complete: the web server may go on */
		ingest_after_answer(server);
		server_free(server);
	}
	hf_ingest_cache_free(&p.shared.ingest_cache);
	mysql_library_end();
	return status;
}
