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

struct hf_text {
	char *s;		/* owned until hf_text_finish */
	size_t len, cap;
	bool failed;		/* out of memory (or a printf too long): s is unusable */
};

void hf_text_add(struct hf_text *t, const char *s, size_t len);
void hf_text_str(struct hf_text *t, const char *s);

/* At most 255 characters per call, else the text fails. */
void hf_text_printf(struct hf_text *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* A JSON string of a value known to need no escaping (ids, tokens, hex). */
void hf_text_plain_string(struct hf_text *t, const char *value);

/* The text built (the caller's, to free), or NULL (and nothing to free)
 * when memory ran out. */
char *hf_text_finish(struct hf_text *t);

/* A JSON list of the n strings ids[] (sorted here, with strcmp) without
 * repeats, as hf_text_finish returns it. */
char *hf_text_unique_id_list(const char **ids, size_t n);

#endif
