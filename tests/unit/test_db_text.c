/* Unit tests of src/db_text.c: the JSON lists db_sweep.c and db_purge.c
 * send to JSON_TABLE. */
#include <stdlib.h>
#include <string.h>

#include "db_text.h"
#include "tap.h"

int
main(void)
{
	struct hf_text t = { 0 };
	const char *ids[] = { "msg_b", "msg_a", "msg_b", "msg_c", "msg_a" };
	const char *none[1] = { NULL };
	char long_value[300], *s;
	size_t i;

	hf_text_add(&t, "[", 1);
	hf_text_plain_string(&t, "del_1");
	hf_text_add(&t, ",", 1);
	hf_text_printf(&t, "%d,%s", 42, "null");
	hf_text_add(&t, "]", 1);
	s = hf_text_finish(&t);
	is_str(s, "[\"del_1\",42,null]", "pieces in order");
	free(s);

	/* Past the first 4096 bytes the text grows and stays whole. */
	memset(&t, 0, sizeof(t));
	for (i = 0; i < 1000; i++)
		hf_text_plain_string(&t, "msg_0123456789");
	s = hf_text_finish(&t);
	ok(s != NULL && strlen(s) == 1000 * 16, "16,000 bytes in one piece");
	ok(s != NULL && strncmp(s + 15984, "\"msg_0123456789\"", 16) == 0, "the last piece intact");
	free(s);

	/* A printf too long fails the whole text, once, at the end. */
	memset(&t, 0, sizeof(t));
	memset(long_value, 'x', sizeof(long_value) - 1);
	long_value[sizeof(long_value) - 1] = '\0';
	hf_text_add(&t, "[", 1);
	hf_text_printf(&t, "%s", long_value);
	hf_text_add(&t, "]", 1);
	ok(t.failed, "a printf of more than 255 characters fails the text");
	ok(hf_text_finish(&t) == NULL, "and finish gives nothing (and frees)");

	/* An id list as rows come; finish leaves it ready for the next. */
	{
		struct hf_id_list l = { 0 };

		s = hf_id_list_finish(&l);
		is_str(s, "[]", "an id list with nothing added");
		free(s);
		hf_id_list_add(&l, "msg_b");
		hf_id_list_add(&l, "msg_a");
		ok(l.count == 2, "it counts its ids");
		s = hf_id_list_finish(&l);
		is_str(s, "[\"msg_b\",\"msg_a\"]", "in the order added");
		free(s);
		ok(l.count == 0 && l.text.s == NULL, "finish leaves it empty");
		hf_id_list_add(&l, "msg_c");
		s = hf_id_list_finish(&l);
		is_str(s, "[\"msg_c\"]", "and it starts a new list");
		free(s);
	}

	s = hf_text_unique_id_list(ids, 5);
	is_str(s, "[\"msg_a\",\"msg_b\",\"msg_c\"]", "unique list: sorted, no repeats");
	free(s);
	s = hf_text_unique_id_list(none, 0);
	is_str(s, "[]", "an empty list");
	free(s);
	return tap_done();
}
