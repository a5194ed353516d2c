/*
 * Event types, the entity: a workspace's catalogue of names.  Ingest and
 * subscriptions register a name on first use; the management API lists
 * them and registers new ones.  The catalogue belongs to the workspace:
 * an environment scope sees all of it.
 */
#ifndef HF_EVENT_TYPE_H
#define HF_EVENT_TYPE_H

#include <stdbool.h>
#include <stddef.h>

#include "db.h"
#include "entity.h"

struct hf_event_type {
	char id[HF_ID_MAX_LEN + 1];
	char name[HF_EVENT_TYPE_MAX_LEN + 1];
	char created_at[HF_ISO_TIME_SIZE];
};

struct hf_event_type_list {
	struct hf_event_type *items;	/* owned: free() */
	size_t count;
	bool more;
};

/* The workspace's event types, newest first. */
enum hf_result hf_event_type_list(struct hf_db *db, const struct hf_scope *scope,
				  const struct hf_page *page,
				  struct hf_event_type_list *out);

/* Register name (valid, not "*"); HF_ERR_CONFLICT when it exists. */
enum hf_result hf_event_type_insert(struct hf_db *db,
				    const struct hf_scope *scope,
				    const char *name, struct hf_event_type *out,
				    char *errstr, size_t errlen);

#endif
