/* Shared ingest commits; see ingest_group.h. */
#include "ingest_group.h"

#include <pthread.h>
#include <stdlib.h>

#include "log.h"

struct group_item {
	const struct hf_ingest_message *m;
	enum hf_result result;
	enum ingest_group_end end;
	bool done;
	struct group_item *next;
};

struct ingest_group {
	pthread_mutex_t lock;
	pthread_cond_t done;		/* broadcast when a group has run */
	struct group_item *waiting;	/* queued, in order, not yet taken */
	bool running;			/* a leader is storing a group */
};

struct ingest_group *
ingest_group_new(void)
{
	struct ingest_group *g = calloc(1, sizeof(*g));

	if (g == NULL)
		return NULL;
	pthread_mutex_init(&g->lock, NULL);
	pthread_cond_init(&g->done, NULL);
	return g;
}

void
ingest_group_free(struct ingest_group *g)
{
	if (g == NULL)
		return;
	pthread_cond_destroy(&g->done);
	pthread_mutex_destroy(&g->lock);
	free(g);
}

/* Unlink item from the waiting queue. */
static void
unqueue(struct ingest_group *g, struct group_item *item)
{
	struct group_item **p;

	for (p = &g->waiting; *p != NULL; p = &(*p)->next) {
		if (*p == item) {
			*p = item->next;
			item->next = NULL;
			return;
		}
	}
}

/*
 * The leader's group: its own item first, then the oldest waiting ones,
 * while the payloads fit HF_INGEST_GROUP_BYTES (a statement the server
 * takes whole).
 */
static size_t
take_group(struct ingest_group *g, struct group_item *self,
	   struct group_item **group)
{
	size_t n = 0, bytes = self->m->payload_len;

	unqueue(g, self);
	group[n++] = self;
	while (g->waiting != NULL && n < HF_INGEST_GROUP_MAX &&
	       bytes + g->waiting->m->payload_len <= HF_INGEST_GROUP_BYTES) {
		struct group_item *item = g->waiting;

		bytes += item->m->payload_len;
		g->waiting = item->next;
		item->next = NULL;
		group[n++] = item;
	}
	return n;
}

/* Store the group on db (the leader's connection), outside the lock. */
static void
store_group(struct hf_db *db, struct group_item **group, size_t n)
{
	const struct hf_ingest_message *m[HF_INGEST_GROUP_MAX];
	enum ingest_group_end end = INGEST_GROUP_DONE;
	enum hf_result r;
	size_t i;

	if (n == 1) {
		group[0]->result = hf_ingest_store(db, group[0]->m);
		group[0]->end = INGEST_GROUP_DONE;
		return;
	}
	for (i = 0; i < n; i++)
		m[i] = group[i]->m;
	r = hf_ingest_store_many(db, m, n);
	if (r == HF_ERR_DB_COMMIT_LOST ||
	    (r == HF_ERR_TIMEOUT && hf_db_outcome_unknown(db))) {
		end = INGEST_GROUP_UNKNOWN;
	} else if (r == HF_ERR_TIMEOUT) {
		/* Cut short before its commit: nothing is stored, and a store
		 * alone now would pass the request's time. */
		hf_db_exec(db, "ROLLBACK");
	} else if (r != HF_OK) {
		/* Nothing committed: each stores alone, as without the group
		 * (a stale lookup among them then looks up again). */
		if (r != HF_ERR_DB_RETRY)
			hf_log(HF_LOG_WARN, "shared ingest commit of %zu failed (%s: %s); storing each alone",
			       n, hf_result_str(r), hf_db_error(db));
		hf_db_exec(db, "ROLLBACK");
		end = INGEST_GROUP_ALONE;
	}
	for (i = 0; i < n; i++) {
		group[i]->result = r;
		group[i]->end = end;
	}
}

enum hf_result
ingest_group_store(struct ingest_group *g, struct hf_db *db,
		   const struct hf_ingest_message *m, enum ingest_group_end *end)
{
	struct group_item self = { m, HF_OK, INGEST_GROUP_DONE, false, NULL };
	struct group_item *group[HF_INGEST_GROUP_MAX], **tail;
	bool led = false;
	size_t n, i;

	pthread_mutex_lock(&g->lock);
	for (tail = &g->waiting; *tail != NULL; tail = &(*tail)->next)
		;
	*tail = &self;
	while (!self.done) {
		if (g->running) {
			pthread_cond_wait(&g->done, &g->lock);
			continue;
		}
		/* Nobody is storing: lead a group of what has queued. */
		n = take_group(g, &self, group);
		g->running = true;
		led = true;
		pthread_mutex_unlock(&g->lock);
		store_group(db, group, n);
		pthread_mutex_lock(&g->lock);
		for (i = 0; i < n; i++)
			group[i]->done = true;
		g->running = false;
		pthread_cond_broadcast(&g->done);
	}
	pthread_mutex_unlock(&g->lock);
	/* Committed on the leader's connection: nothing is left on ours. */
	if (!led && self.result == HF_OK)
		hf_db_committed_elsewhere(db);
	*end = self.end;
	return self.result;
}
