/* Unit tests for src/ingest_cache.c: what is kept, for how long, for whom. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest_cache.h"
#include "tap.h"

static struct hf_ingest_cache cache;

static struct hf_ingest_ask
ask_for(const char *key_hash, const char *event_type, const char *app)
{
	struct hf_ingest_ask a;

	memset(&a, 0, sizeof(a));
	a.key_hash = key_hash;
	a.event_type = event_type;
	a.application_id = app;
	a.max_pending = 10;
	return a;
}

/* A lookup for workspace ws with n targets ep_0..ep_{n-1}. */
static void
remember(const struct hf_ingest_ask *a, uint64_t now, const char *ws, size_t n)
{
	struct hf_ingest_lookup l;
	struct hf_ingest_target items[4];
	struct hf_ingest_targets t = { items, n, 4 };
	size_t i;

	memset(&l, 0, sizeof(l));
	snprintf(l.workspace_id, sizeof(l.workspace_id), "%s", ws);
	l.ingest_epoch = 7;
	for (i = 0; i < n; i++) {
		snprintf(items[i].endpoint_id, sizeof(items[i].endpoint_id), "ep_%zu", i);
		items[i].backlog_full = i == 1;
		items[i].reading = HF_READING_FRESH;
	}
	ok(hf_ingest_cache_put(&cache, a, now, &l, &t) == HF_OK, "put");
}

int
main(void)
{
	struct hf_ingest_ask a = ask_for("aa", "order.paid", NULL);
	struct hf_ingest_ask b = ask_for("aa", "order.paid", "app_1");
	struct hf_ingest_ask c = ask_for("bb", "order.paid", NULL);
	struct hf_ingest_ask d = ask_for("aa", "order.sent", NULL);
	struct hf_ingest_ask m = a;
	struct hf_ingest_lookup l;
	struct hf_ingest_targets t = { NULL, 0, 0 };
	char long_type[HF_EVENT_TYPE_MAX_LEN + 2];
	char hash[8];
	size_t i;

	is_int(hf_ingest_cache_get(&cache, &a, 1000, &l, &t), HF_ERR_NOT_FOUND, "empty");
	remember(&a, 1000, "ws_a", 3);
	is_int(hf_ingest_cache_get(&cache, &a, 1000, &l, &t), HF_OK, "found at once");
	is_str(l.workspace_id, "ws_a", "the lookup comes back");
	is_int((long long)l.ingest_epoch, 7, "with its epoch");
	is_int((long long)t.count, 3, "and its targets");
	is_str(t.items[2].endpoint_id, "ep_2", "in order");
	ok(t.items[1].backlog_full && !t.items[0].backlog_full, "with their backlog readings");
	is_int(hf_ingest_cache_get(&cache, &a, 1000 + HF_INGEST_CACHE_MS - 1, &l, &t),
	       HF_OK, "kept just under HF_INGEST_CACHE_MS");
	is_int(hf_ingest_cache_get(&cache, &a, 1000 + HF_INGEST_CACHE_MS, &l, &t),
	       HF_ERR_NOT_FOUND, "not at HF_INGEST_CACHE_MS");
	is_int((long long)t.count, 0, "a miss leaves no targets");
	is_int(hf_ingest_cache_get(&cache, &a, 999, &l, &t), HF_ERR_NOT_FOUND,
	       "a clock before the entry finds nothing");

	/* Each part of the ask tells entries apart. */
	is_int(hf_ingest_cache_get(&cache, &b, 1001, &l, &t), HF_ERR_NOT_FOUND, "another application");
	is_int(hf_ingest_cache_get(&cache, &c, 1001, &l, &t), HF_ERR_NOT_FOUND, "another key");
	is_int(hf_ingest_cache_get(&cache, &d, 1001, &l, &t), HF_ERR_NOT_FOUND, "another event type");
	m.management_key = true;
	is_int(hf_ingest_cache_get(&cache, &m, 1001, &l, &t), HF_ERR_NOT_FOUND,
	       "a management key's ask is its own");
	remember(&b, 1001, "ws_b", 1);
	is_int(hf_ingest_cache_get(&cache, &b, 1002, &l, &t), HF_OK, "the application's");
	is_str(l.workspace_id, "ws_b", "its own lookup");
	is_int(hf_ingest_cache_get(&cache, &a, 1002, &l, &t), HF_OK, "the fan-out's still");
	is_str(l.workspace_id, "ws_a", "unchanged");

	/* A new lookup for the same ask replaces the old; drop forgets it. */
	remember(&a, 1500, "ws_a2", 0);
	is_int(hf_ingest_cache_get(&cache, &a, 1500 + HF_INGEST_CACHE_MS - 1, &l, &t),
	       HF_OK, "replaced, with the new time");
	is_str(l.workspace_id, "ws_a2", "the new lookup");
	is_int((long long)t.count, 0, "no targets");
	hf_ingest_cache_drop(&cache, &a);
	is_int(hf_ingest_cache_get(&cache, &a, 1501, &l, &t), HF_ERR_NOT_FOUND, "dropped");
	a.event_type = NULL;
	is_int(hf_ingest_cache_get(&cache, &a, 1501, &l, &t), HF_ERR_NOT_FOUND,
	       "an invalid event type is never found");
	a.event_type = "order.paid";

	/* Full: the oldest entry goes; the rest stay. */
	for (i = 0; i < HF_INGEST_CACHE_ENTRIES; i++) {
		struct hf_ingest_ask k;

		snprintf(hash, sizeof(hash), "k%zu", i);
		k = ask_for(hash, "order.paid", NULL);
		remember(&k, 2000 + i, "ws_k", 1);
	}
	is_int(hf_ingest_cache_get(&cache, &b, 2000, &l, &t), HF_ERR_NOT_FOUND,
	       "the oldest entry made room");
	{
		struct hf_ingest_ask first = ask_for("k0", "order.paid", NULL);
		struct hf_ingest_ask last = ask_for("", "order.paid", NULL);

		snprintf(hash, sizeof(hash), "k%d", HF_INGEST_CACHE_ENTRIES - 1);
		last.key_hash = hash;
		is_int(hf_ingest_cache_get(&cache, &first, 2500, &l, &t), HF_OK, "the first of the new kept");
		is_int(hf_ingest_cache_get(&cache, &last, 2500, &l, &t), HF_OK, "the last kept");
	}

	/* An ask too long to keep is not kept, and no error. */
	memset(long_type, 'x', sizeof(long_type) - 1);
	long_type[sizeof(long_type) - 1] = '\0';
	d.event_type = long_type;
	remember(&d, 3000, "ws_d", 1);
	is_int(hf_ingest_cache_get(&cache, &d, 3000, &l, &t), HF_ERR_NOT_FOUND,
	       "an event type over HF_EVENT_TYPE_MAX_LEN is not kept");

	hf_ingest_cache_free(&cache);
	is_int(hf_ingest_cache_get(&cache, &c, 3000, &l, &t), HF_ERR_NOT_FOUND, "freed");
	free(t.items);
	return tap_done();
}
