/*
 * What the entity modules (environment.h, application.h, endpoint.h,
 * event_type.h, api_key.h) share: the scope every call takes, a page of a
 * list, and times as the API shows them.
 *
 * Every call of an entity module names its scope, and an object outside
 * it is HF_ERR_NOT_FOUND exactly like one that does not exist: a caller
 * cannot tell the two apart, so ids of other tenants cannot be probed.
 */
#ifndef HF_ENTITY_H
#define HF_ENTITY_H

#include <stdbool.h>
#include <stddef.h>

#include "db.h"
#include "limits.h"

/* A workspace, narrowed to one of its environments when environment_id
 * is not "". */
struct hf_scope {
	char workspace_id[HF_ID_MAX_LEN + 1];
	char environment_id[HF_ID_MAX_LEN + 1];
};

/* The environment id to bind in SQL: NULL for the whole workspace. */
static inline const char *
hf_scope_environment(const struct hf_scope *scope)
{
	return scope->environment_id[0] != '\0' ? scope->environment_id : NULL;
}

/*
 * A page of a list, newest first: at most limit rows with ids below
 * before_id (NULL: from the newest).  Ids are time-ordered (ids.h), so
 * "id < the last id shown" is the next page whatever is inserted
 * meanwhile: rows never repeat and none is skipped.
 */
struct hf_page {
	long limit;
	const char *before_id;
};

/* SQL that ends the query of a page, on the id column col: its three
 * parameters are hf_page_read's to bind. */
#define HF_SQL_PAGE(col) \
	" AND (? IS NULL OR " col " < ?) ORDER BY " col " DESC LIMIT ?"

/* Read the current row of q into item (an entity struct). */
typedef enum hf_result hf_row_reader(const struct hf_query *q, void *item);

/*
 * Bind the page's parameters (HF_SQL_PAGE's, after the caller's), run q,
 * and read up to page->limit rows into *items, a new array of item_size
 * structs (zeroed; the caller frees it, and what the *count rows read
 * own, whatever the result); *more says whether rows remain.  Ends q.
 */
enum hf_result hf_page_read(struct hf_query *q, const struct hf_page *page,
			    size_t item_size, hf_row_reader *read, void **items,
			    size_t *count, bool *more);

/* SQL: column col (DATETIME(3), UTC) as 2026-12-01T21:16:07.123Z. */
#define HF_SQL_ISO(col) \
	"CONCAT(LEFT(DATE_FORMAT(" col ", '%Y-%m-%dT%H:%i:%s.%f'), 23), 'Z')"

/* "2026-12-01T21:16:07.123Z" and its NUL. */
#define HF_ISO_TIME_SIZE 32

/* Copy column text (NULL: "") into a buffer of size bytes. */
void hf_entity_copy(char *dst, size_t size, const char *src);

#endif
