/* Hand-written JSON lists for JSON_TABLE; see db_text.h. */
#include "db_text.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
hf_text_reserve(struct hf_text *t, size_t more)
{
	char *grown;
	size_t cap;

	if (t->failed || t->len + more + 1 <= t->cap)
		return;
	cap = t->cap ? t->cap : 4096;
	while (cap < t->len + more + 1)
		cap *= 2;
	grown = realloc(t->s, cap);
	if (grown == NULL) {
		t->failed = true;
		return;
	}
	t->s = grown;
	t->cap = cap;
}


void
hf_text_printf(struct hf_text *t, const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(buf))
		t->failed = true;
	else
		hf_text_add(t, buf, (size_t)n);
}

void
hf_text_plain_string(struct hf_text *t, const char *value)
{
	hf_text_add(t, "\"", 1);
	hf_text_add(t, value, strlen(value));
	hf_text_add(t, "\"", 1);
}

char *
hf_text_finish(struct hf_text *t)
{
	if (!t->failed)
		return t->s;
	free(t->s);
	return NULL;
}

int
hf_compare_ids(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void
hf_id_list_add(struct hf_id_list *l, const char *id)
{
	hf_text_add(&l->text, l->count++ == 0 ? "[" : ",", 1);
	hf_text_plain_string(&l->text, id);
}

char *
hf_id_list_finish(struct hf_id_list *l)
{
	char *s;

	if (l->count == 0)
		hf_text_add(&l->text, "[]", 2);
	else
		hf_text_add(&l->text, "]", 1);
	s = hf_text_finish(&l->text);
	memset(l, 0, sizeof(*l));
	return s;
}

char *
hf_text_unique_id_list(const char **ids, size_t n)
{
	struct hf_id_list l = { 0 };
	size_t i;

	qsort(ids, n, sizeof(*ids), hf_compare_ids);
	for (i = 0; i < n; i++)
		if (i == 0 || strcmp(ids[i], ids[i - 1]) != 0)
			hf_id_list_add(&l, ids[i]);
	return hf_id_list_finish(&l);
}
