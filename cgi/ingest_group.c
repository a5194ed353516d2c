/* Shared ingest commits; see ingest_group.h. */
#include "ingest_group.h"

#include <pthread.h>
#include <stdlib.h>

#include "log.h"
#include "routes.h"

struct group_item {
	const struct hf_ingest_message *m;
	enum hf_result result;
	enum ingest_group_end end;
	bool done;
	pthread_cond_t stored;		/* signalled once done */
	struct group_item *next;
};

struct ingest_group {
	pthread_mutex_t lock;
	pthread_cond_t work;		/* to the writer: queued, or stop */
	struct group_item *waiting;	/* queued, in order, not yet taken */
	bool writing;			/* the writer is storing a group */
	bool direct;			/* a thread is storing on its own */
	bool stopping;
	struct hf_server *writer_server;
	pthread_t writer;
};

static void *write_groups(void *arg);

struct ingest_group *
ingest_group_new(struct hf_server *writer)
{
	struct ingest_group *g = calloc(1, sizeof(*g));

	if (g == NULL)
		return NULL;
	pthread_mutex_init(&g->lock, NULL);
	pthread_cond_init(&g->work, NULL);
	g->writer_server = writer;
	if (pthread_create(&g->writer, NULL, write_groups, g) != 0) {
		pthread_cond_destroy(&g->work);
		pthread_mutex_destroy(&g->lock);
		free(g);
		return NULL;
	}
	return g;
}

void
ingest_group_free(struct ingest_group *g)
{
	if (g == NULL)
		return;
	pthread_mutex_lock(&g->lock);
	g->stopping = true;
	pthread_cond_signal(&g->work);
	pthread_mutex_unlock(&g->lock);
	pthread_join(g->writer, NULL);
	pthread_cond_destroy(&g->work);
	pthread_mutex_destroy(&g->lock);
	free(g);
}

/*
 * The oldest waiting stores, while the payloads fit HF_INGEST_GROUP_BYTES
 * (a statement the server takes whole); always at least one.
 */
static size_t
take_group(struct ingest_group *g, struct group_item **group)
{
	size_t n = 0, bytes = 0;

	while (g->waiting != NULL && n < HF_INGEST_GROUP_MAX &&
	       (n == 0 || bytes + g->waiting->m->payload_len <= HF_INGEST_GROUP_BYTES)) {
		struct group_item *item = g->waiting;

		bytes += item->m->payload_len;
		g->waiting = item->next;
		item->next = NULL;
		group[n++] = item;
	}
	return n;
}

struct group_store {
	const struct hf_ingest_message *m[HF_INGEST_GROUP_MAX];
	size_t n;
};

static enum hf_result
store_fn(struct hf_db *db, void *arg)
{
	struct group_store *s = arg;

	return s->n == 1 ? hf_ingest_store(db, s->m[0])
			 : hf_ingest_store_many(db, s->m, s->n);
}

/* Store the group on the writer's connection, outside the lock. */
static void
store_group(struct ingest_group *g, struct group_item **group, size_t n)
{
	enum ingest_group_end end = INGEST_GROUP_DONE;
	struct group_store s;
	struct hf_db *db;
	enum hf_result r = HF_ERR_DB_GONE;
	size_t i;

	s.n = n;
	for (i = 0; i < n; i++)
		s.m[i] = group[i]->m;
	db = server_db(g->writer_server);
	if (db != NULL)
		r = hf_db_transaction_once(db, store_fn, &s);
	if (r == HF_OK || r == HF_ERR_DB_COMMIT_LOST) {
		end = r == HF_OK ? INGEST_GROUP_DONE : INGEST_GROUP_UNKNOWN;
	} else if (r == HF_ERR_TIMEOUT) {
		/* Cut short: perhaps after its commit; if before it, nothing
		 * is stored, and a store alone now would pass the request's
		 * time. */
		end = hf_db_outcome_unknown(db) ? INGEST_GROUP_UNKNOWN
						: INGEST_GROUP_DONE;
	} else {
		/* Nothing committed: each stores alone, as without the group
		 * (a stale lookup among them then looks up again). */
		if (n > 1 && r != HF_ERR_DB_RETRY)
			hf_log(HF_LOG_WARN, "shared ingest commit of %zu failed (%s: %s); storing each alone",
			       n, hf_result_str(r),
			       db != NULL ? hf_db_error(db) : "no connection");
		end = INGEST_GROUP_ALONE;
	}
	for (i = 0; i < n; i++) {
		group[i]->result = r;
		group[i]->end = end;
	}
}

/* The writer: stores what queued, group after group, until stopped. */
static void *
write_groups(void *arg)
{
	struct ingest_group *g = arg;
	struct group_item *group[HF_INGEST_GROUP_MAX];
	size_t n, i;

	pthread_mutex_lock(&g->lock);
	for (;;) {
		while (g->waiting == NULL && !g->stopping)
			pthread_cond_wait(&g->work, &g->lock);
		if (g->waiting == NULL)
			break;	/* stopping, and nothing is left */
		n = take_group(g, group);
		g->writing = true;
		pthread_mutex_unlock(&g->lock);
		store_group(g, group, n);
		pthread_mutex_lock(&g->lock);
		g->writing = false;
		/* Under the lock: a waiter may return, and its item end, as
		 * soon as it sees done. */
		for (i = 0; i < n; i++) {
			group[i]->done = true;
			pthread_cond_signal(&group[i]->stored);
		}
	}
	pthread_mutex_unlock(&g->lock);
	return NULL;
}

enum hf_result
ingest_group_store(struct ingest_group *g, struct hf_db *db,
		   const struct hf_ingest_message *m, enum ingest_group_end *end)
{
	struct group_item self = { .m = m, .end = INGEST_GROUP_DONE };
	struct group_item **tail;
	enum hf_result r;

	pthread_mutex_lock(&g->lock);
	if (!g->writing && !g->direct && g->waiting == NULL) {
		/* Nothing is being stored: store now, with no hand-over. */
		g->direct = true;
		pthread_mutex_unlock(&g->lock);
		r = hf_ingest_store(db, m);
		pthread_mutex_lock(&g->lock);
		g->direct = false;
		pthread_mutex_unlock(&g->lock);
		*end = INGEST_GROUP_DONE;
		return r;
	}
	pthread_cond_init(&self.stored, NULL);
	for (tail = &g->waiting; *tail != NULL; tail = &(*tail)->next)
		;
	*tail = &self;
	if (!g->writing)
		pthread_cond_signal(&g->work);
	while (!self.done)
		pthread_cond_wait(&self.stored, &g->lock);
	pthread_mutex_unlock(&g->lock);
	pthread_cond_destroy(&self.stored);
	/* Committed on the writer's connection: nothing is left on ours. */
	if (self.result == HF_OK)
		hf_db_committed_elsewhere(db);
	*end = self.end;
	return self.result;
}
