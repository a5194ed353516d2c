/*
 * JSON text written by hand, for the lists the database modules send as
 * one parameter read with JSON_TABLE (db_sweep.c, db_purge.c).  Not
 * json-c: building and printing a json-c tree of every result cost the
 * sweep more CPU than sending the requests.  The caller writes only what
 * needs no escaping (numbers, ids, tokens, hex, fixed words) or escapes
 * it first.
 *
 * A text starts as { 0 }.  Out of memory is remembered in failed, every
 * later add does nothing, and hf_text_finish says so once at the end, so
 * a builder checks one result.
 */
#ifndef HF_DB_TEXT_H
#define HF_DB_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

/* The JSON_TABLE column type of an id, and a list of ids as table j. */
#define HF_ID_COLUMN "VARCHAR(40) CHARACTER SET ascii COLLATE ascii_bin"
#define HF_ID_LIST \
	"JSON_TABLE(?, '$[*]' COLUMNS (id " HF_ID_COLUMN " PATH '$')) j"

struct hf_text {
	char *s;		/* owned until hf_text_finish */
	size_t len, cap;
	bool failed;		/* out of memory (or a printf too long): s is unusable */
};

/* Room for more bytes and the NUL, or failed set. */
void hf_text_reserve(struct hf_text *t, size_t more);

/* Inline: the sweep adds every field of every result, a byte at a time
 * where it escapes. */
static inline void
hf_text_add(struct hf_text *t, const char *s, size_t len)
{
	if (t->len + len + 1 > t->cap)
		hf_text_reserve(t, len);
	if (t->failed)
		return;
	memcpy(t->s + t->len, s, len);
	t->len += len;
	t->s[t->len] = '\0';
}

/* At most 255 characters per call, else the text fails. */
void hf_text_printf(struct hf_text *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* A JSON string of a value known to need no escaping (ids, tokens, hex). */
void hf_text_plain_string(struct hf_text *t, const char *value);

/* The text built (the caller's, to free), or NULL (and nothing to free)
 * when memory ran out. */
char *hf_text_finish(struct hf_text *t);

/*
 * A JSON list of ids (the text HF_ID_LIST reads) built as they come, and
 * how many it holds.  Starts as { 0 }; ids need no escaping (ids.h).
 */
struct hf_id_list {
	struct hf_text text;
	size_t count;
};

void hf_id_list_add(struct hf_id_list *l, const char *id);

/* The list ("[]" if empty), as hf_text_finish returns it; l is { 0 }
 * again, ready for another list. */
char *hf_id_list_finish(struct hf_id_list *l);

/* A JSON list of the n strings ids[] (sorted here, with strcmp) without
 * repeats, as hf_text_finish returns it. */
char *hf_text_unique_id_list(const char **ids, size_t n);

/* qsort/bsearch order of an array of id strings (const char *), the one
 * hf_text_unique_id_list sorts by. */
int hf_compare_ids(const void *a, const void *b);

#endif
