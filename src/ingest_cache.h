/*
 * The ingest lookups a hookfan.fcgi process remembers: what
 * hf_ingest_lookup found for one (key, event type, application) ask, kept
 * HF_INGEST_CACHE_MS, so that a request like one made a moment ago costs
 * the store's round trip alone.  Staleness is bounded twice: the store
 * refuses a lookup whose workspace ingest_epoch has moved (any change to
 * keys, endpoints, subscriptions or applications), and an entry is at
 * most HF_INGEST_CACHE_MS old (what that bounds: the backlog readings).
 * Pure: no database, no clock; the caller passes the time.
 */
#ifndef HF_INGEST_CACHE_H
#define HF_INGEST_CACHE_H

#include <stdint.h>

#include "crypto.h"
#include "db_ingest.h"
#include "limits.h"
#include "result.h"

struct hf_ingest_cache_entry {
	bool used;
	uint64_t stored_ms;
	char key_hash[HF_SHA256_HEX_LEN + 1];
	char event_type[HF_EVENT_TYPE_MAX_LEN + 1];
	char application_id[HF_ID_MAX_LEN + 1];	/* "": a fan-out */
	bool management_key;
	struct hf_ingest_lookup lookup;
	struct hf_ingest_target *targets;
	size_t target_count;
};

struct hf_ingest_cache {
	struct hf_ingest_cache_entry entries[HF_INGEST_CACHE_ENTRIES];
};

/*
 * The entry for ask stored at most HF_INGEST_CACHE_MS before now_ms, into
 * *lookup and *targets (emptied first, reusable): HF_OK, or
 * HF_ERR_NOT_FOUND when there is none (HF_ERR_NOMEM).
 */
enum hf_result hf_ingest_cache_get(const struct hf_ingest_cache *cache,
				   const struct hf_ingest_ask *ask, uint64_t now_ms,
				   struct hf_ingest_lookup *lookup,
				   struct hf_ingest_targets *targets);

/*
 * Remember lookup and targets for ask, in place of an earlier entry for
 * it, else of the oldest.  An ask whose strings do not fit is not kept.
 */
enum hf_result hf_ingest_cache_put(struct hf_ingest_cache *cache,
				   const struct hf_ingest_ask *ask, uint64_t now_ms,
				   const struct hf_ingest_lookup *lookup,
				   const struct hf_ingest_targets *targets);

/* Forget ask's entry, if any. */
void hf_ingest_cache_drop(struct hf_ingest_cache *cache,
			  const struct hf_ingest_ask *ask);

/* Release every entry (the cache may be used again). */
void hf_ingest_cache_free(struct hf_ingest_cache *cache);

#endif
