/* The ingest lookups a FastCGI process remembers; see ingest_cache.h. */
#include "ingest_cache.h"

#include <stdlib.h>
#include <string.h>

static bool
entry_is_for(const struct hf_ingest_cache_entry *e, const struct hf_ingest_ask *ask)
{
	const char *app = ask->application_id != NULL ? ask->application_id : "";

	return e->used && e->management_key == ask->management_key &&
	       strcmp(e->key_hash, ask->key_hash) == 0 &&
	       strcmp(e->event_type, ask->event_type) == 0 &&
	       strcmp(e->application_id, app) == 0;
}

static struct hf_ingest_cache_entry *
find(const struct hf_ingest_cache *cache, const struct hf_ingest_ask *ask)
{
	size_t i;

	if (ask->key_hash == NULL || ask->event_type == NULL)
		return NULL;
	for (i = 0; i < HF_INGEST_CACHE_ENTRIES; i++) {
		if (entry_is_for(&cache->entries[i], ask))
			return (struct hf_ingest_cache_entry *)&cache->entries[i];
	}
	return NULL;
}

static void
clear(struct hf_ingest_cache_entry *e)
{
	free(e->targets);
	memset(e, 0, sizeof(*e));
}

enum hf_result
hf_ingest_cache_get(const struct hf_ingest_cache *cache,
		    const struct hf_ingest_ask *ask, uint64_t now_ms,
		    struct hf_ingest_lookup *lookup, struct hf_ingest_targets *targets)
{
	const struct hf_ingest_cache_entry *e = find(cache, ask);
	struct hf_ingest_target *grown;

	targets->count = 0;
	if (e == NULL || now_ms < e->stored_ms ||
	    now_ms - e->stored_ms >= HF_INGEST_CACHE_MS)
		return HF_ERR_NOT_FOUND;
	if (e->target_count > targets->capacity) {
		grown = realloc(targets->items, e->target_count * sizeof(*grown));
		if (grown == NULL)
			return HF_ERR_NOMEM;
		targets->items = grown;
		targets->capacity = e->target_count;
	}
	if (e->target_count > 0)
		memcpy(targets->items, e->targets, e->target_count * sizeof(*e->targets));
	targets->count = e->target_count;
	*lookup = e->lookup;
	return HF_OK;
}

enum hf_result
hf_ingest_cache_put(struct hf_ingest_cache *cache, const struct hf_ingest_ask *ask,
		    uint64_t now_ms, const struct hf_ingest_lookup *lookup,
		    const struct hf_ingest_targets *targets)
{
	struct hf_ingest_cache_entry *e = find(cache, ask);
	const char *app = ask->application_id != NULL ? ask->application_id : "";
	struct hf_ingest_target *copy = NULL;
	size_t i;

	if (ask->key_hash == NULL || ask->event_type == NULL ||
	    strlen(ask->key_hash) >= sizeof(e->key_hash) ||
	    strlen(ask->event_type) >= sizeof(e->event_type) ||
	    strlen(app) >= sizeof(e->application_id))
		return HF_OK;
	if (targets->count > 0) {
		copy = malloc(targets->count * sizeof(*copy));
		if (copy == NULL)
			return HF_ERR_NOMEM;
		memcpy(copy, targets->items, targets->count * sizeof(*copy));
	}
	if (e == NULL) {
		e = &cache->entries[0];
		/* An empty entry, else the oldest. */
		for (i = 1; i < HF_INGEST_CACHE_ENTRIES && e->used; i++) {
			if (!cache->entries[i].used ||
			    cache->entries[i].stored_ms < e->stored_ms)
				e = &cache->entries[i];
		}
	}
	clear(e);
	strcpy(e->key_hash, ask->key_hash);
	strcpy(e->event_type, ask->event_type);
	strcpy(e->application_id, app);
	e->management_key = ask->management_key;
	e->lookup = *lookup;
	e->targets = copy;
	e->target_count = targets->count;
	e->stored_ms = now_ms;
	e->used = true;
	return HF_OK;
}

void
hf_ingest_cache_drop(struct hf_ingest_cache *cache, const struct hf_ingest_ask *ask)
{
	struct hf_ingest_cache_entry *e = find(cache, ask);

	if (e != NULL)
		clear(e);
}

void
hf_ingest_cache_free(struct hf_ingest_cache *cache)
{
	size_t i;

	for (i = 0; i < HF_INGEST_CACHE_ENTRIES; i++)
		clear(&cache->entries[i]);
}
