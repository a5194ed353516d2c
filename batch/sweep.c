/*
 * hookfan-sweep: claims due deliveries, POSTs them signed, and writes what
 * happened (CONTRACT §5, §6).  One sweep is a loop of
 *
 *	claim a batch (db_sweep.c)  ->  send, `concurrency` at a time
 *	(transport.c)  ->  write results in batches (db_sweep.c)
 *
 * in which transfers are refilled as each one finishes, so a slow endpoint
 * holds one slot and never the batch, and no endpoint ever runs more
 * transfers than the slots its claims granted (db_claim.h): a queued job
 * waits for its endpoint's slot while others start.  The database work runs beside the
 * HTTP: two worker threads, each with its own connection, one claiming the
 * next batch ahead of need and one writing results and handing back, while
 * the main thread alone drives curl and owns every job list.  A worker
 * gets one operation at a time and its jobs stay where they were (first in
 * their list) until it is done, so a killed sweep loses exactly what a
 * single-threaded one would: nothing that was not committed, and a claim
 * is only ever acted on after its transaction committed.  Without --loop it stops when a claim
 * made with nothing in flight finds nothing due, or at --max-seconds; with
 * --loop it polls for new work every HF_SWEEP_IDLE_POLL_MS until SIGTERM.
 * Either way it stops claiming, hands back what it claimed but did not
 * start, lets what is in flight finish, writes the results and exits 0.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "crypto.h"
#include "ids.h"
#include "db.h"
#include "db_claim.h"
#include "db_sweep.h"
#include "limits.h"
#include "log.h"
#include "metrics.h"
#include "metrics_file.h"
#include "retry.h"
#include "signature.h"
#include "strparse.h"
#include "transport.h"

/* Results are written when this many wait, or when the oldest is older. */
#define FLUSH_AFTER_MS 200
/* Back-off after the database failed us. */
#define DB_RETRY_MS 1000
/*
 * Lease time a transfer must have left, beyond its own timeout, to be
 * started: the room to write its result while the lease still holds.
 * At least this, and an eighth of the lease (5 s of the default 40 s), so
 * a result write slowed by lock waits does not outlive the lease and
 * let another sweep send the delivery again -- but never so much that a
 * transfer claimed this instant could not start (see start_margin).
 */
#define START_MARGIN_MS 1000

/*
 * An eighth of the lease, capped so that timeout + margin leaves
 * START_MARGIN_MS of the lease for a job to wait in the queue (the
 * shortest lease accepted is the timeout + 2 * START_MARGIN_MS).
 */
static long
start_margin(long lease_ms, long timeout_ms)
{
	long margin = lease_ms / 8, most = lease_ms - timeout_ms - START_MARGIN_MS;

	if (margin > most)
		margin = most;
	return margin > START_MARGIN_MS ? margin : START_MARGIN_MS;
}

struct options {
	const char *config_path;
	bool loop;
	bool verbose;
	long max_seconds;
	bool max_seconds_given;
	long batch;
	long concurrency;
	const char *metrics_file;	/* NULL: none */
};

/*
 * An endpoint of which this sweep holds claimed deliveries: it runs at
 * most `slots` transfers to it (the slots its latest claim granted, see
 * db_claim.h).  Made at the claim of its first delivery, gone (and its
 * slots given back with the next claim) when the sweep holds none.
 */
struct endpoint {
	char id[HF_ID_MAX_LEN + 1];
	unsigned int slots;
	unsigned int queued, running;
};

/* One claimed delivery on its way through the sweep. */
struct job {
	struct hf_sweep_job d;		/* owns url, payload, secrets */
	struct endpoint *ep;		/* while queued or running */
	struct transfer x;
	char signature[HF_SIGNATURE_HEADER_MAX];
	uint64_t lease_until_ms;	/* CLOCK_MONOTONIC */
	struct hf_sweep_result result;	/* once finished */
	uint64_t finished_ms;
};

struct job_list {
	struct job **items;
	size_t count;
	size_t cap;
};

enum db_op {
	DB_OP_NONE,		/* the worker is free */
	DB_OP_CLAIM,
	DB_OP_RECORD,
	DB_OP_RELEASE
};

/*
 * A thread with its own database connection that runs one operation at a
 * time for the main thread.  The main thread fills the inputs and sets op;
 * the worker runs it, sets done and wakes the transport; the main thread
 * reads the outputs and sets op back to DB_OP_NONE.  The mutex hands the
 * fields over; neither side touches them while the other owns them.
 */
struct db_worker {
	struct hf_db *db;
	struct transport *transport;	/* woken when an op is done */
	pthread_t thread;
	bool started;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool quit;
	enum db_op op;
	bool done;

	/* In. */
	unsigned int claim_room;
	long lease_ms;
	struct hf_claim_request claim;	/* its lists owned, below */
	struct hf_claim_held *held;
	char (*give_back)[HF_ID_MAX_LEN + 1];
	long disable_after_s;
	struct hf_sweep_result *results;	/* owned, n entries */
	const struct hf_sweep_job **jobs;	/* owned, n entries */
	size_t n;
	bool submitted_idle;	/* nothing else was going on at submission */

	/* Out. */
	enum hf_result r;
	uint64_t claim_started_ms;
	struct hf_sweep_job *claimed;	/* moved into jobs by the main thread */
	size_t count, due, waiting, written;
	char errstr[512];
};

struct sweep {
	struct options opt;
	struct hf_config cfg;
	struct hf_db *db;		/* the writer's, and the schema check */
	struct hf_db *claim_db;		/* the claimer's */
	struct transport *transport;
	struct db_worker claimer, writer;
	long lease_ms;
	long start_margin_ms;		/* see START_MARGIN_MS */

	struct job_list queued;		/* claimed, not started (claim order) */
	char holder[HF_LEASE_TOKEN_LEN + 1];	/* this sweep's, for its slots */
	struct endpoint **endpoints;	/* of the queued and running jobs */
	size_t nendpoints, endpoints_cap;
	char (*give_back)[HF_ID_MAX_LEN + 1];	/* for the next claim */
	size_t ngive_back, give_back_cap;
	struct job_list finished;	/* results not yet written */
	struct job_list release;	/* to hand back */

	bool db_failing;
	uint64_t next_claim_ms;
	uint64_t next_flush_ms;
	bool nothing_due;

	unsigned long sent, succeeded, retried, failed, gone, released;
	unsigned long lost_results;
	unsigned long claimed, blocked;	/* for --metrics-file */
	const char *exit_reason;	/* metrics_file.h's names */
};

static volatile sig_atomic_t stop_requested;

static void
on_stop_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void
usage(FILE *to)
{
	fputs("usage: hookfan-sweep [--config FILE] [--loop] [--max-seconds N]"
	      " [--batch N] [--concurrency N] [--verbose] [--metrics-file FILE]\n", to);
}

static void
help(void)
{
	usage(stdout);
	printf("Delivers what is due until nothing is or --max-seconds has passed,\n"
	       "then exits 0 (one cron line or timer tick).  Exit 1: the config or\n"
	       "the database is unusable; 2: bad usage.\n"
	       "  --config FILE     config file (else $HOOKFAN_CONFIG, else %s)\n"
	       "  --loop            keep sweeping until SIGTERM (or --max-seconds, if given)\n"
	       "  --max-seconds N   after N seconds take no new work, hand back what has\n"
	       "                    not started, finish what is in flight (1 to %d,\n"
	       "                    default %d; with --loop no limit unless given)\n"
	       "  --batch N         deliveries claimed at a time (default %d, at most %d)\n"
	       "  --concurrency N   requests in flight at once (default %d, at most %d)\n"
	       "  --metrics-file FILE  write the run's figures there for node_exporter's\n"
	       "                    textfile collector (FILE.tmp, then renamed)\n"
	       "  --verbose         log what it does on stderr (without it: nothing\n"
	       "                    when all is well, one summary line when something failed)\n",
	       HF_CONFIG_DEFAULT_PATH, HF_SWEEP_MAX_SECONDS_MAX,
	       HF_SWEEP_MAX_SECONDS_DEFAULT, HF_SWEEP_BATCH_DEFAULT, HF_SWEEP_BATCH_MAX,
	       HF_SWEEP_CONCURRENCY_DEFAULT, HF_SWEEP_CONCURRENCY_MAX);
}

static bool
parse_number(const char *text, long min, long max, long *out)
{
	const char *p = text;

	return text != NULL && strparse_long(&p, min, max, out) == HF_OK &&
	       *p == '\0';
}

/* 0 on success, else the exit status. */
static int
parse_options(int argc, char **argv, struct options *opt)
{
	int i;

	opt->max_seconds = HF_SWEEP_MAX_SECONDS_DEFAULT;
	opt->batch = HF_SWEEP_BATCH_DEFAULT;
	opt->concurrency = HF_SWEEP_CONCURRENCY_DEFAULT;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "--loop") == 0) {
			opt->loop = true;
		} else if (strcmp(a, "--verbose") == 0) {
			opt->verbose = true;
		} else if (strcmp(a, "--help") == 0) {
			help();
			exit(0);
		} else if (strcmp(a, "--metrics-file") == 0 && v != NULL) {
			opt->metrics_file = v;
			i++;
		} else if (strcmp(a, "--config") == 0 && v != NULL) {
			opt->config_path = v;
			i++;
		} else if (strcmp(a, "--max-seconds") == 0) {
			if (!parse_number(v, 1, HF_SWEEP_MAX_SECONDS_MAX, &opt->max_seconds)) {
				fprintf(stderr, "hookfan-sweep: --max-seconds needs a whole number from 1 to %d\n",
					HF_SWEEP_MAX_SECONDS_MAX);
				return 2;
			}
			opt->max_seconds_given = true;
			i++;
		} else if (strcmp(a, "--batch") == 0) {
			if (!parse_number(v, 1, HF_SWEEP_BATCH_MAX, &opt->batch)) {
				fprintf(stderr, "hookfan-sweep: --batch needs a whole number from 1 to %d\n",
					HF_SWEEP_BATCH_MAX);
				return 2;
			}
			i++;
		} else if (strcmp(a, "--concurrency") == 0) {
			if (!parse_number(v, 1, HF_SWEEP_CONCURRENCY_MAX, &opt->concurrency)) {
				fprintf(stderr, "hookfan-sweep: --concurrency needs a whole number from 1 to %d\n",
					HF_SWEEP_CONCURRENCY_MAX);
				return 2;
			}
			i++;
		} else {
			fprintf(stderr, "hookfan-sweep: unknown option %s\n", a);
			usage(stderr);
			return 2;
		}
	}
	return 0;
}

/* ---- job lists ------------------------------------------------------- */

static bool
joblist_push(struct job_list *l, struct job *j)
{
	if (l->count == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		struct job **grown = realloc(l->items, cap * sizeof(*grown));

		if (grown == NULL)
			return false;
		l->items = grown;
		l->cap = cap;
	}
	l->items[l->count++] = j;
	return true;
}

static struct job *
joblist_shift(struct job_list *l)
{
	struct job *j;

	if (l->count == 0)
		return NULL;
	j = l->items[0];
	memmove(l->items, l->items + 1, (l->count - 1) * sizeof(*l->items));
	l->count--;
	return j;
}

static void
job_free(struct job *j)
{
	if (j == NULL)
		return;
	free(j->d.url);
	free(j->d.payload);
	free(j->d.secrets);
	free(j);
}

static void
joblist_free(struct job_list *l)
{
	size_t i;

	for (i = 0; i < l->count; i++)
		job_free(l->items[i]);
	l->count = 0;
}

/* ---- database workers ---------------------------------------------- */

static void
db_worker_run(struct db_worker *w, enum db_op op)
{
	w->r = HF_OK;
	w->errstr[0] = '\0';
	switch (op) {
	case DB_OP_CLAIM:
		w->claim_started_ms = hf_monotonic_ms();
		w->r = hf_sweep_claim(w->db, &w->claim, &w->claimed, &w->count,
				      &w->due, &w->waiting, w->errstr,
				      sizeof(w->errstr));
		break;
	case DB_OP_RECORD:
		w->r = hf_sweep_record(w->db, w->results, w->n, w->disable_after_s,
				       &w->written, w->errstr, sizeof(w->errstr));
		break;
	case DB_OP_RELEASE:
		w->r = hf_sweep_release(w->db, w->jobs, w->n, w->errstr,
					sizeof(w->errstr));
		break;
	case DB_OP_NONE:
		break;
	}
}

static void *
db_worker_main(void *arg)
{
	struct db_worker *w = arg;
	enum db_op op;

	mysql_thread_init();
	pthread_mutex_lock(&w->lock);
	for (;;) {
		while (!w->quit && (w->op == DB_OP_NONE || w->done))
			pthread_cond_wait(&w->wake, &w->lock);
		if (w->quit)
			break;
		op = w->op;
		pthread_mutex_unlock(&w->lock);
		db_worker_run(w, op);
		pthread_mutex_lock(&w->lock);
		w->done = true;
		pthread_mutex_unlock(&w->lock);
		transport_wakeup(w->transport);
		pthread_mutex_lock(&w->lock);
	}
	pthread_mutex_unlock(&w->lock);
	mysql_thread_end();
	return NULL;
}

/* The worker's inputs are filled in; let it run op. */
static void
db_worker_submit(struct db_worker *w, enum db_op op)
{
	pthread_mutex_lock(&w->lock);
	w->op = op;
	w->done = false;
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
}

/* True (and *op, the worker free again) when its op is done. */
static bool
db_worker_collect(struct db_worker *w, enum db_op *op)
{
	bool done;

	pthread_mutex_lock(&w->lock);
	done = w->op != DB_OP_NONE && w->done;
	if (done) {
		*op = w->op;
		w->op = DB_OP_NONE;
		w->done = false;
	}
	pthread_mutex_unlock(&w->lock);
	return done;
}

static enum hf_result
db_worker_start(struct db_worker *w, struct hf_db *db, struct transport *t,
		char *errstr, size_t errlen)
{
	w->db = db;
	w->transport = t;
	w->results = calloc(HF_SWEEP_BATCH_MAX, sizeof(*w->results));
	w->jobs = calloc(HF_SWEEP_BATCH_MAX, sizeof(*w->jobs));
	if (w->results == NULL || w->jobs == NULL)
		return hf_fail(HF_ERR_NOMEM, errstr, errlen, "out of memory");
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->wake, NULL);
	if (pthread_create(&w->thread, NULL, db_worker_main, w) != 0)
		return hf_fail(HF_ERR_IO, errstr, errlen, "cannot start a thread");
	w->started = true;
	return HF_OK;
}

/* Called with the worker free (op DB_OP_NONE). */
static void
db_worker_stop(struct db_worker *w)
{
	if (w->started) {
		pthread_mutex_lock(&w->lock);
		w->quit = true;
		pthread_cond_signal(&w->wake);
		pthread_mutex_unlock(&w->lock);
		pthread_join(w->thread, NULL);
		pthread_mutex_destroy(&w->lock);
		pthread_cond_destroy(&w->wake);
		w->started = false;
	}
	free(w->results);
	free(w->jobs);
	free(w->held);
	free(w->give_back);
	w->results = NULL;
	w->jobs = NULL;
	w->held = NULL;
	w->give_back = NULL;
}

/* ---- endpoints ------------------------------------------------------- */

static struct endpoint *
endpoint_find(struct sweep *s, const char *id)
{
	size_t i;

	for (i = 0; i < s->nendpoints; i++) {
		if (strcmp(s->endpoints[i]->id, id) == 0)
			return s->endpoints[i];
	}
	return NULL;
}

/* The endpoint of id, made if new; NULL when out of memory. */
static struct endpoint *
endpoint_get(struct sweep *s, const char *id)
{
	struct endpoint *e = endpoint_find(s, id);

	if (e != NULL)
		return e;
	if (s->nendpoints == s->endpoints_cap) {
		size_t cap = s->endpoints_cap ? s->endpoints_cap * 2 : 16;
		struct endpoint **grown = realloc(s->endpoints, cap * sizeof(*grown));

		if (grown == NULL)
			return NULL;
		s->endpoints = grown;
		s->endpoints_cap = cap;
	}
	if ((e = calloc(1, sizeof(*e))) == NULL)
		return NULL;
	snprintf(e->id, sizeof(e->id), "%s", id);
	s->endpoints[s->nendpoints++] = e;
	return e;
}

/*
 * Job j leaves the queue (running: the transfers) for good.  When its
 * endpoint has nothing else here, the endpoint goes, its slots to be
 * given back with the next claim (else their lease ends them).
 */
static void
endpoint_leave(struct sweep *s, struct job *j, bool running)
{
	struct endpoint *e = j->ep;
	size_t i;

	if (e == NULL)
		return;
	j->ep = NULL;
	if (running)
		e->running--;
	else
		e->queued--;
	if (e->queued + e->running > 0)
		return;
	if (s->ngive_back == s->give_back_cap) {
		size_t cap = s->give_back_cap ? s->give_back_cap * 2 : 16;
		void *grown = realloc(s->give_back, cap * sizeof(*s->give_back));

		if (grown != NULL) {
			s->give_back = grown;
			s->give_back_cap = cap;
		}
	}
	if (s->ngive_back < s->give_back_cap)
		memcpy(s->give_back[s->ngive_back++], e->id, sizeof(e->id));
	for (i = 0; i < s->nendpoints; i++) {
		if (s->endpoints[i] == e) {
			s->endpoints[i] = s->endpoints[--s->nendpoints];
			break;
		}
	}
	free(e);
}

/* Queued jobs that could start now, were there transfers free. */
static size_t
endpoints_ready(const struct sweep *s)
{
	size_t i, ready = 0;

	for (i = 0; i < s->nendpoints; i++) {
		const struct endpoint *e = s->endpoints[i];
		unsigned int free_slots = e->slots > e->running ? e->slots - e->running : 0;

		ready += e->queued < free_slots ? e->queued : free_slots;
	}
	return ready;
}

/*
 * The claim's lists, copied for the worker: what this sweep holds of each
 * endpoint, and the slots to give back (of endpoints it holds nothing of,
 * again, since they were listed).
 */
static bool
fill_claim_lists(struct sweep *s, struct db_worker *w)
{
	size_t i, n = 0;
	void *held = realloc(w->held, (s->nendpoints + 1) * sizeof(*w->held));
	void *give = realloc(w->give_back, (s->ngive_back + 1) * sizeof(*w->give_back));

	if (held != NULL)
		w->held = held;
	if (give != NULL)
		w->give_back = give;
	if (held == NULL || give == NULL)
		return false;
	for (i = 0; i < s->nendpoints; i++) {
		memcpy(w->held[i].endpoint_id, s->endpoints[i]->id, sizeof(w->held[i].endpoint_id));
		w->held[i].count = s->endpoints[i]->queued + s->endpoints[i]->running;
		w->held[i].running = s->endpoints[i]->running;
		w->held[i].slots = s->endpoints[i]->slots;
	}
	for (i = 0; i < s->ngive_back; i++) {
		if (endpoint_find(s, s->give_back[i]) == NULL)
			memcpy(w->give_back[n++], s->give_back[i], sizeof(w->give_back[0]));
	}
	s->ngive_back = 0;
	w->claim.held = w->held;
	w->claim.nheld = s->nendpoints;
	w->claim.give_back = (const char (*)[HF_ID_MAX_LEN + 1])w->give_back;
	w->claim.ngive_back = n;
	return true;
}

/* ---- claiming -------------------------------------------------------- */

static void
note_db_trouble(struct sweep *s, const char *what, const char *errstr)
{
	if (!s->db_failing)
		hf_log(HF_LOG_WARN, "%s: %s (will retry)", what, errstr);
	s->db_failing = true;
}

/*
 * Hand the claimer a claim once fewer than a batch (and never fewer than
 * `concurrency`) claimed deliveries wait for a transfer, so the next
 * batch is there before the transfers run dry; or once what runs and
 * what could start (its endpoint has a free slot) no longer fills the
 * transfers, so that deliveries waiting for a busy endpoint's slots never
 * keep the claim from taking other endpoints' work.  What waits too long for its lease is
 * handed back unsent (start_transfers), so claiming ahead costs churn, not
 * correctness.  A claim also brings at most HF_SWEEP_CLAIM_PAYLOAD_BUDGET
 * of payloads to memory.
 */
static void
submit_claim(struct sweep *s, bool idle_now)
{
	struct db_worker *w = &s->claimer;
	size_t want = (size_t)(s->opt.batch > s->opt.concurrency ? s->opt.batch
								 : s->opt.concurrency);
	size_t room = (size_t)s->opt.batch;

	if (w->op != DB_OP_NONE ||
	    (s->queued.count >= want &&
	     endpoints_ready(s) + transport_running(s->transport) >= (size_t)s->opt.concurrency))
		return;
	/*
	 * Back-pressure: while the writer lags a couple of batches behind,
	 * claiming more would only pile up results (memory, and time on
	 * their leases).
	 */
	if (s->finished.count >= 2 * (size_t)s->opt.batch)
		return;
	if (room > (size_t)(HF_SWEEP_CLAIM_PAYLOAD_BUDGET / s->cfg.max_payload_bytes))
		room = (size_t)(HF_SWEEP_CLAIM_PAYLOAD_BUDGET / s->cfg.max_payload_bytes);
	if (room == 0)
		room = 1;
	if (!fill_claim_lists(s, w))
		return;		/* out of memory: try again next time round */
	w->claim_room = (unsigned int)room;
	w->claim.limit = w->claim_room;
	w->claim.lease_ms = s->lease_ms;
	w->claim.holder = s->holder;
	w->claim.max_in_flight = s->cfg.max_in_flight_per_endpoint;
	w->submitted_idle = idle_now;
	db_worker_submit(w, DB_OP_CLAIM);
}

/* The claimer is done: queue what it claimed (or hand it back). */
static void
claim_done(struct sweep *s, uint64_t now, bool stopping)
{
	struct db_worker *w = &s->claimer;
	size_t i;

	if (w->r != HF_OK) {
		note_db_trouble(s, "claim", w->errstr[0] ? w->errstr : hf_result_str(w->r));
		s->next_claim_ms = now + DB_RETRY_MS;
		return;
	}
	s->db_failing = false;
	s->claimed += w->count;
	/* The slots of the endpoints it holds, as the claim left them. */
	for (i = 0; i < w->claim.nheld; i++) {
		struct endpoint *e = endpoint_find(s, w->held[i].endpoint_id);

		if (e != NULL)
			e->slots = w->held[i].slots;
	}
	for (i = 0; i < w->count; i++) {
		struct job *j = calloc(1, sizeof(*j));
		struct job_list *to = stopping ? &s->release : &s->queued;

		if (j == NULL || !joblist_push(to, j)) {
			/* Out of memory: the lease runs out, a later sweep sends it. */
			free(j);
			free(w->claimed[i].url);
			free(w->claimed[i].payload);
			free(w->claimed[i].secrets);
			continue;
		}
		j->d = w->claimed[i];
		if (!stopping) {
			if ((j->ep = endpoint_get(s, j->d.endpoint_id)) == NULL) {
				/* Out of memory: as above. */
				s->queued.count--;
				job_free(j);
				continue;
			}
			j->ep->slots = j->d.slots;
			j->ep->queued++;
		}
		/* The lease started no earlier than the claim did. */
		j->lease_until_ms = w->claim_started_ms + (uint64_t)s->lease_ms;
	}
	if (w->count > 0)
		hf_log(HF_LOG_DEBUG, "claimed %zu deliveries under lease %s",
		       w->count, w->claimed[0].lease_token);
	free(w->claimed);	/* the strings moved into the jobs */
	w->claimed = NULL;
	s->nothing_due = w->due == 0 && w->waiting == 0 && w->submitted_idle;
	/* A short claim means the due work is drained: poll again later. */
	s->next_claim_ms = w->due < w->claim_room ? now + HF_SWEEP_IDLE_POLL_MS : now;
}

/* ---- sending ----------------------------------------------------------- */

static double
random_unit(void)
{
	uint32_t v = 0;

	hf_random_bytes((unsigned char *)&v, sizeof(v));
	return (double)v / 4294967296.0;
}

/* Decide what a finished (or unsendable) attempt means. */
static void
conclude_job(struct sweep *s, struct job *j, uint64_t now)
{
	struct hf_sweep_result *res = &j->result;
	const struct transfer *x = &j->x;
	long long delay;
	long retry_after = -1;

	memset(res, 0, sizeof(*res));
	res->job = &j->d;
	res->status_code = x->status_code;
	res->error = x->error[0] != '\0' ? x->error : NULL;
	res->excerpt = x->excerpt;
	res->excerpt_len = x->excerpt_len;
	res->started_unix_ms = x->started_unix_ms;
	res->duration_ms = x->duration_ms;
	j->finished_ms = now;
	if (hf_metrics_classify(x->status_code, res->error) == HF_CLASS_BLOCKED)
		s->blocked++;
	/*
	 * The status line decides: an endpoint that answered 2xx has the
	 * message even if the rest of its response never arrived, and sending
	 * it again would deliver it twice.
	 */
	if (x->status_code >= 200 && x->status_code <= 299) {
		res->outcome = HF_OUTCOME_SUCCEEDED;
		s->succeeded++;
		return;
	}
	if (x->status_code == 410) {
		res->outcome = HF_OUTCOME_GONE;
		s->gone++;
		return;
	}
	delay = hf_retry_delay_ms(s->cfg.retry_schedule, s->cfg.retry_count,
				  j->d.attempt, random_unit());
	if (delay < 0) {
		res->outcome = HF_OUTCOME_FAILED;
		s->failed++;
		return;
	}
	if (x->retry_after[0] != '\0' &&
	    hf_retry_after_parse(x->retry_after, time(NULL), &retry_after) != HF_OK)
		retry_after = -1;
	res->outcome = HF_OUTCOME_RETRY;
	res->delay_ms = hf_retry_combine_ms(delay, retry_after);
	s->retried++;
}

static void
finish_unsent(struct sweep *s, struct job *j, uint64_t now, const char *why)
{
	j->x.status_code = 0;
	snprintf(j->x.error, sizeof(j->x.error), "%s", why);
	j->x.excerpt_len = 0;
	j->x.started_unix_ms = hf_unix_ms();
	j->x.duration_ms = 0;
	conclude_job(s, j, now);
	if (!joblist_push(&s->finished, j))
		job_free(j);
}

/*
 * Start queued jobs, in claim order, while there are free transfers and
 * their endpoint a free slot; the others keep their place.
 */
static void
start_transfers(struct sweep *s)
{
	uint64_t now = hf_monotonic_ms();	/* a claim may just have taken a while */
	char errstr[256];
	size_t i, kept = 0, n = s->queued.count;

	for (i = 0; i < n; i++) {
		struct job *j = s->queued.items[i];
		enum hf_result r;

		/* Not enough lease left to finish: hand it back unsent. */
		if (now + (uint64_t)s->cfg.delivery_timeout_ms +
			    (uint64_t)s->start_margin_ms > j->lease_until_ms) {
			endpoint_leave(s, j, false);
			if (!joblist_push(&s->release, j))
				job_free(j);
			continue;
		}
		if (transport_running(s->transport) >= (size_t)s->opt.concurrency ||
		    j->ep->running >= j->ep->slots) {
			s->queued.items[kept++] = j;
			continue;
		}
		j->x.url = j->d.url;
		j->x.body = j->d.payload;
		j->x.body_len = j->d.payload_len;
		j->x.webhook_id = j->d.message_id;
		j->x.webhook_timestamp = (long long)time(NULL);
		j->x.owner = j;
		r = hf_signature_header(j->d.secrets, j->d.message_id,
					j->x.webhook_timestamp, j->d.payload,
					j->d.payload_len, j->signature,
					sizeof(j->signature));
		if (r != HF_OK) {
			endpoint_leave(s, j, false);
			finish_unsent(s, j, now, "the endpoint has no usable signing secret");
			continue;
		}
		j->x.webhook_signature = j->signature;
		r = transport_start(s->transport, &j->x, errstr, sizeof(errstr));
		if (r != HF_OK) {
			endpoint_leave(s, j, false);
			finish_unsent(s, j, now, errstr);
			continue;
		}
		j->ep->queued--;
		j->ep->running++;
		s->sent++;
	}
	s->queued.count = kept;
}

static void
collect_finished(struct sweep *s, int timeout_ms)
{
	struct transfer *done[HF_SWEEP_CONCURRENCY_MAX];
	size_t n = 0, i;
	uint64_t now;

	if (transport_wait(s->transport, timeout_ms, done,
			   sizeof(done) / sizeof(done[0]), &n) != HF_OK) {
		hf_log(HF_LOG_WARN, "curl multi failed; waiting");
		usleep(100 * 1000);
		return;
	}
	now = hf_monotonic_ms();
	for (i = 0; i < n; i++) {
		struct job *j = done[i]->owner;

		endpoint_leave(s, j, true);
		conclude_job(s, j, now);
		hf_log(HF_LOG_DEBUG, "%s attempt %u to %s: %ld %s", j->d.delivery_id,
		       j->d.attempt, j->d.endpoint_id, j->x.status_code,
		       j->x.error);
		if (!joblist_push(&s->finished, j))
			job_free(j);	/* lease runs out; retried later */
	}
}

/* ---- writing results ------------------------------------------------- */

/* Remove the first n jobs of l, freeing them. */
static void
joblist_drop_front(struct job_list *l, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		job_free(l->items[i]);
	memmove(l->items, l->items + n, (l->count - n) * sizeof(*l->items));
	l->count -= n;
}

/* A job may be stamped with a later clock reading than now: that is 0. */
static uint64_t
elapsed_ms(uint64_t now, uint64_t since)
{
	return now > since ? now - since : 0;
}

/*
 * Give the writer its next operation: hand-backs first (their leases are
 * blocking other sweeps), then results once a batch waits, the oldest has
 * waited FLUSH_AFTER_MS, or nothing else is coming (force).  Results pile
 * up while the writer is busy, so the next write takes them all at once.
 */
static void
submit_write(struct sweep *s, uint64_t now, bool force)
{
	struct db_worker *w = &s->writer;
	size_t n, i;

	if (w->op != DB_OP_NONE)
		return;
	if (s->release.count > 0) {
		n = s->release.count < HF_SWEEP_BATCH_MAX ? s->release.count : HF_SWEEP_BATCH_MAX;
		for (i = 0; i < n; i++)
			w->jobs[i] = &s->release.items[i]->d;
		w->n = n;
		db_worker_submit(w, DB_OP_RELEASE);
		return;
	}
	if (s->finished.count == 0 || now < s->next_flush_ms)
		return;
	if (!force && s->finished.count < (size_t)s->opt.batch &&
	    elapsed_ms(now, s->finished.items[0]->finished_ms) < FLUSH_AFTER_MS)
		return;
	n = s->finished.count < HF_SWEEP_BATCH_MAX ? s->finished.count : HF_SWEEP_BATCH_MAX;
	for (i = 0; i < n; i++)
		w->results[i] = s->finished.items[i]->result;
	w->n = n;
	db_worker_submit(w, DB_OP_RECORD);
}

/* The writer is done with the first w->n jobs of release or finished. */
static void
write_done(struct sweep *s, uint64_t now, enum db_op op)
{
	struct db_worker *w = &s->writer;
	const char *why = w->errstr[0] ? w->errstr : hf_result_str(w->r);
	size_t n = w->n;

	if (op == DB_OP_RELEASE) {
		/* On failure the leases run out instead: nothing is lost. */
		if (w->r != HF_OK)
			hf_log(HF_LOG_WARN, "handing back %zu deliveries: %s", n, why);
		joblist_drop_front(&s->release, n);
		s->released += n;
		return;
	}
	if (w->r != HF_OK) {
		note_db_trouble(s, "writing results", why);
		s->next_flush_ms = now + DB_RETRY_MS;
		/*
		 * Past the lease another sweep may own these deliveries: our
		 * write would be refused anyway.  They are sent again.
		 */
		if (elapsed_ms(now, s->finished.items[0]->finished_ms) < (uint64_t)s->lease_ms)
			return;
		hf_log(HF_LOG_ERROR, "dropping %zu results the database would not take;"
		       " their deliveries are retried when the lease expires", n);
		s->lost_results += n;
	} else {
		s->db_failing = false;
		if (w->written < n)
			hf_log(HF_LOG_WARN, "%zu of %zu results came after the lease was taken over",
			       n - w->written, n);
	}
	joblist_drop_front(&s->finished, n);
}

/* Take in whatever the workers finished. */
static void
collect_db(struct sweep *s, bool stopping)
{
	uint64_t now = hf_monotonic_ms();
	enum db_op op;

	if (db_worker_collect(&s->claimer, &op))
		claim_done(s, now, stopping);
	if (db_worker_collect(&s->writer, &op))
		write_done(s, now, op);
}

/* ---- main ------------------------------------------------------------ */

/* Room for a socket per slot plus the idle connections kept for reuse. */
static void
raise_open_files_limit(long concurrency)
{
	rlim_t want = (rlim_t)concurrency + HF_SWEEP_IDLE_CONNECTIONS_MAX + 64;
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= want)
		return;
	rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > want ? want : rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
		hf_log(HF_LOG_WARN, "cannot raise the open files limit to %lu",
		       (unsigned long)want);
}

static bool
idle(struct sweep *s)
{
	return transport_running(s->transport) == 0 && s->queued.count == 0 &&
	       s->finished.count == 0 && s->release.count == 0 &&
	       s->claimer.op == DB_OP_NONE && s->writer.op == DB_OP_NONE;
}

static int
run(struct sweep *s)
{
	uint64_t started = hf_monotonic_ms(), now;
	uint64_t deadline = started + (uint64_t)s->opt.max_seconds * 1000;
	bool use_deadline = !s->opt.loop || s->opt.max_seconds_given;
	bool stopping = false, quiet;
	int wait_ms;

	for (;;) {
		collect_db(s, stopping);
		now = hf_monotonic_ms();
		if (!stopping && (stop_requested || (use_deadline && now >= deadline))) {
			stopping = true;
			s->exit_reason = stop_requested ? "signal" : "max_seconds";
			hf_log(HF_LOG_DEBUG, "stopping: %zu queued handed back, %zu in flight",
			       s->queued.count, transport_running(s->transport));
			while (s->queued.count > 0) {
				struct job *j = joblist_shift(&s->queued);

				endpoint_leave(s, j, false);
				if (!joblist_push(&s->release, j))
					job_free(j);
			}
		}
		if (s->nothing_due && s->opt.loop && now >= s->next_claim_ms)
			s->nothing_due = false;	/* time to poll again */
		/* Once all is quiet, one last claim tells whether anything is due. */
		if (!s->opt.loop && !s->db_failing && idle(s) && s->next_claim_ms > now)
			s->next_claim_ms = now;
		if (!stopping && !s->nothing_due && now >= s->next_claim_ms)
			submit_claim(s, idle(s));
		start_transfers(s);
		/* Nothing more can finish before these are written. */
		quiet = transport_running(s->transport) == 0 && s->queued.count == 0 &&
			s->claimer.op == DB_OP_NONE;
		submit_write(s, now, stopping || quiet);
		if (idle(s) && (stopping || (!s->opt.loop && s->nothing_due)))
			break;

		/* A worker that finishes wakes the wait early. */
		wait_ms = 0;
		if (transport_running(s->transport) > 0 || s->claimer.op != DB_OP_NONE ||
		    s->writer.op != DB_OP_NONE)
			wait_ms = 100;
		else if (s->queued.count == 0 && s->finished.count == 0 &&
			 now < s->next_claim_ms)
			wait_ms = (int)(s->next_claim_ms - now);
		else if (s->finished.count > 0 && now < s->next_flush_ms)
			wait_ms = (int)(s->next_flush_ms - now);
		if (wait_ms > HF_SWEEP_IDLE_POLL_MS)
			wait_ms = HF_SWEEP_IDLE_POLL_MS;
		collect_finished(s, wait_ms);
	}
	if (s->exit_reason == NULL)
		s->exit_reason = "drained";
	if (s->lost_results > 0 || (s->db_failing && !s->opt.loop)) {
		s->exit_reason = "database";
		hf_log(HF_LOG_ERROR, "the database was unusable; %lu results not written"
		       " (sent %lu: %lu succeeded, %lu to retry, %lu failed, %lu gone)",
		       s->lost_results, s->sent, s->succeeded, s->retried, s->failed,
		       s->gone);
		return 1;
	}
	/*
	 * The one line a plain cron run prints, and only when a delivery gave
	 * up or an endpoint went away, so the mail cron sends means something.
	 */
	hf_log(s->failed > 0 || s->gone > 0 ? HF_LOG_WARN : HF_LOG_INFO,
	       "sent %lu: %lu succeeded, %lu to retry, %lu failed,"
	       " %lu gone; %lu handed back", s->sent, s->succeeded, s->retried,
	       s->failed, s->gone, s->released);
	return 0;
}

/* --metrics-file: a failure to write it is one more line, not a failed run. */
static void
write_metrics_file(const struct sweep *s, int status, uint64_t started_ms)
{
	struct sweep_figures f = {
		.claimed = s->claimed, .sent = s->sent, .delivered = s->succeeded,
		.retried = s->retried, .failed = s->failed, .gone = s->gone,
		.blocked = s->blocked, .handed_back = s->released,
		.lost_results = s->lost_results,
		.duration_seconds = (double)(hf_monotonic_ms() - started_ms) / 1000.0,
		.exit_reason = s->exit_reason != NULL ? s->exit_reason : "database",
		.exit_status = status, .finished_unix_ms = hf_unix_ms(),
	};
	char errstr[512];

	if (s->opt.metrics_file == NULL)
		return;
	if (metrics_file_write(s->opt.metrics_file, &f, errstr, sizeof(errstr)) != HF_OK)
		hf_log(HF_LOG_ERROR, "--metrics-file: %s", errstr);
}

int
main(int argc, char **argv)
{
	static struct sweep s;
	struct hf_db_limits limits = {
		.connect_seconds = HF_SWEEP_CONNECT_SECONDS,
		.lock_wait_seconds = HF_SWEEP_LOCK_WAIT_SECONDS,
		.statement_seconds = HF_SWEEP_STATEMENT_SECONDS,
		.read_timeout_seconds = HF_SWEEP_READ_TIMEOUT_SECONDS,
		.account = HF_DB_ACCOUNT_SWEEP,
	};
	struct sigaction sa;
	sigset_t stop_signals;
	char errstr[1024] = "";
	const char *path;
	bool is_default;
	enum hf_result r;
	uint64_t started_ms;
	int status;

	status = parse_options(argc, argv, &s.opt);
	if (status != 0)
		return status;
	started_ms = hf_monotonic_ms();
	hf_log_init("hookfan-sweep", s.opt.verbose ? HF_LOG_DEBUG : HF_LOG_WARN);

	path = hf_config_path(s.opt.config_path, &is_default);
	r = hf_config_load(&s.cfg, path, is_default, errstr, sizeof(errstr));
	if (r != HF_OK) {
		fprintf(stderr, "hookfan-sweep: %s\n", errstr);
		return 1;
	}
	if (hf_config_warning(&s.cfg) != NULL)
		fprintf(stderr, "hookfan-sweep: %s: %s\n", path, hf_config_warning(&s.cfg));
	s.lease_ms = s.cfg.lease_seconds > 0
			     ? s.cfg.lease_seconds * 1000
			     : 2 * s.cfg.delivery_timeout_ms +
				       HF_SWEEP_LEASE_MARGIN_SECONDS * 1000L;
	if (s.lease_ms < s.cfg.delivery_timeout_ms + 2 * START_MARGIN_MS) {
		fprintf(stderr, "hookfan-sweep: %s: lease_seconds must exceed delivery_timeout_ms by at least 2 seconds\n",
			path);
		return 1;
	}
	s.start_margin_ms = start_margin(s.lease_ms, s.cfg.delivery_timeout_ms);
	{
		unsigned char raw[HF_LEASE_TOKEN_LEN / 2];

		if (hf_random_bytes(raw, sizeof(raw)) != HF_OK) {
			fputs("hookfan-sweep: no random bytes for its id\n", stderr);
			return 1;
		}
		hf_hex_encode(raw, sizeof(raw), s.holder);
	}
	r = hf_db_open(&s.db, &s.cfg, &limits, errstr, sizeof(errstr));
	if (r == HF_OK)
		r = hf_sweep_check_schema(s.db, errstr, sizeof(errstr));
	if (r == HF_OK)
		r = hf_db_open(&s.claim_db, &s.cfg, &limits, errstr, sizeof(errstr));
	if (r != HF_OK) {
		fprintf(stderr, "hookfan-sweep: database: %s\n", errstr);
		hf_db_close(s.db);
		s.exit_reason = "database";
		write_metrics_file(&s, 1, started_ms);
		return 1;
	}
	r = transport_open(&s.transport, &s.cfg, (unsigned int)s.opt.concurrency,
			   errstr, sizeof(errstr));
	if (r != HF_OK) {
		fprintf(stderr, "hookfan-sweep: %s\n", errstr);
		hf_db_close(s.claim_db);
		hf_db_close(s.db);
		return 1;
	}
	raise_open_files_limit(s.opt.concurrency);
	s.claimer.lease_ms = s.writer.lease_ms = s.lease_ms;
	s.claimer.disable_after_s = s.writer.disable_after_s =
		s.cfg.endpoint_disable_after_seconds;

	/* The workers never see SIGTERM/SIGINT: the main thread decides. */
	sigemptyset(&stop_signals);
	sigaddset(&stop_signals, SIGTERM);
	sigaddset(&stop_signals, SIGINT);
	sigaddset(&stop_signals, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);
	r = db_worker_start(&s.claimer, s.claim_db, s.transport, errstr, sizeof(errstr));
	if (r == HF_OK)
		r = db_worker_start(&s.writer, s.db, s.transport, errstr, sizeof(errstr));
	pthread_sigmask(SIG_UNBLOCK, &stop_signals, NULL);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (r == HF_OK) {
		status = run(&s);
	} else {
		fprintf(stderr, "hookfan-sweep: %s\n", errstr);
		status = 1;
	}
	db_worker_stop(&s.claimer);
	db_worker_stop(&s.writer);
	/* Else other sweeps wait for the lease to end them. */
	if (r == HF_OK &&
	    hf_sweep_give_back_slots(s.db, s.holder, errstr, sizeof(errstr)) != HF_OK)
		hf_log(HF_LOG_WARN, "giving back its endpoint slots: %s (they end with their lease)",
		       errstr);
	write_metrics_file(&s, status, started_ms);

	joblist_free(&s.queued);
	joblist_free(&s.finished);
	joblist_free(&s.release);
	free(s.queued.items);
	free(s.finished.items);
	free(s.release.items);
	while (s.nendpoints > 0)
		free(s.endpoints[--s.nendpoints]);
	free(s.endpoints);
	free(s.give_back);
	transport_close(s.transport);
	hf_db_close(s.claim_db);
	hf_db_close(s.db);
	return status;
}
