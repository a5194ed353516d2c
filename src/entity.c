/* What the entity modules share; see entity.h. */
#include "entity.h"

#include <stdio.h>
#include <stdlib.h>

void
hf_entity_copy(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src != NULL ? src : "");
}

enum hf_result
hf_page_read(struct hf_query *q, const struct hf_page *page, size_t item_size,
	     hf_row_reader *read, void **items, size_t *count, bool *more)
{
	enum hf_result r;
	char *space;

	*count = 0;
	*more = false;
	/* One row more than the page: whether another page follows. */
	*items = space = calloc((size_t)page->limit + 1, item_size);
	if (space == NULL) {
		hf_query_end(q);
		return HF_ERR_NOMEM;
	}
	hf_query_text(q, page->before_id);
	hf_query_text(q, page->before_id);
	hf_query_int(q, page->limit + 1);
	r = hf_query_run(q);
	while (r == HF_OK && (r = hf_query_next(q)) == HF_OK) {
		if (*count == (size_t)page->limit) {
			*more = true;
			break;
		}
		r = read(q, space + *count * item_size);
		if (r != HF_OK)
			break;
		(*count)++;
	}
	hf_query_end(q);
	return r == HF_ERR_NOT_FOUND ? HF_OK : r;
}
