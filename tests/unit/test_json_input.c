/* Unit tests of src/json_input.c: what strict parsing accepts and refuses. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_input.h"
#include "limits.h"
#include "tap.h"

static char errstr[256];

/* Parse len bytes; return the result and drop the tree. */
static enum hf_result
parse_len(const char *text, size_t len)
{
	struct json_object *obj = NULL;
	enum hf_result r;

	errstr[0] = '\0';
	r = hf_json_parse(text, len, &obj, errstr, sizeof(errstr));
	json_object_put(obj);
	return r;
}

static enum hf_result
parse(const char *text)
{
	return parse_len(text, strlen(text));
}

static void
accepts(const char *text, const char *name)
{
	if (!is_int(parse(text), HF_OK, name))
		printf("#   %s\n", errstr);
}

static void
refuses(const char *text, const char *name)
{
	is_int(parse(text), HF_ERR_INVALID, name);
}

/* "[[[...]]]" with depth levels, into buf. */
static void
nested(char *buf, int depth)
{
	int i;

	for (i = 0; i < depth; i++)
		buf[i] = '[';
	for (i = 0; i < depth; i++)
		buf[depth + i] = ']';
	buf[2 * depth] = '\0';
}

/* "[" UNIT "," UNIT ... "]" with n units, in a buffer the caller frees. */
static char *
array_of(const char *unit, size_t n, size_t *len)
{
	size_t unit_len = strlen(unit), i, used = 0;
	char *text = malloc(n * (unit_len + 1) + 2);

	if (text == NULL)
		return NULL;
	text[used++] = '[';
	for (i = 0; i < n; i++) {
		if (i > 0)
			text[used++] = ',';
		memcpy(text + used, unit, unit_len);
		used += unit_len;
	}
	text[used++] = ']';
	*len = used;
	return text;
}

/* The caps on what a document may hold, at and one past each. */
static void
counted_caps(void)
{
	char *text;
	size_t len;

	/* The outer array is a container and a value too. */
	text = array_of("{}", HF_JSON_MAX_CONTAINERS - 1, &len);
	is_int(parse_len(text, len), HF_OK, "objects and arrays at the cap");
	free(text);
	text = array_of("[]", HF_JSON_MAX_CONTAINERS, &len);
	is_int(parse_len(text, len), HF_ERR_LIMIT, "one container past the cap");
	if (!ok(strstr(errstr, "objects and arrays") != NULL, "the message names the cap"))
		printf("#   %s\n", errstr);
	free(text);
	text = array_of("1", HF_JSON_MAX_VALUES - 1, &len);
	is_int(parse_len(text, len), HF_OK, "values at the cap");
	free(text);
	text = array_of("null", HF_JSON_MAX_VALUES, &len);
	is_int(parse_len(text, len), HF_ERR_LIMIT, "one value past the cap");
	if (!ok(strstr(errstr, "values") != NULL, "the message names the cap"))
		printf("#   %s\n", errstr);
	free(text);
	/* Members count as values: 100000 members of small objects. */
	text = array_of("{\"a\":1,\"b\":2,\"c\":3,\"d\":4,\"e\":5,\"f\":6,\"g\":7,"
			"\"h\":8,\"i\":9,\"j\":10}", HF_JSON_MAX_VALUES / 10, &len);
	is_int(parse_len(text, len), HF_ERR_LIMIT, "members count as values");
	free(text);
}

/* What hf_json_peek_string_member finds in text, "" for nothing. */
static void
peeks_as(const char *text, const char *want, const char *name)
{
	size_t len = 0;
	const char *found = hf_json_peek_string_member(text, strlen(text),
						       "event_type", &len);
	char got[64];

	snprintf(got, sizeof(got), "%.*s", found != NULL ? (int)len : 0,
		 found != NULL ? found : "");
	is_str(got, want, name);
}

static void
peeks(void)
{
	peeks_as("{\"event_type\": \"a.b\", \"payload\": {}}", "a.b", "peek: first member");
	peeks_as("{\"payload\":{\"event_type\":\"inner\",\"x\":[\"event_type\"]},"
		 " \"event_type\" :\t\"outer\"}", "outer", "peek: top level only");
	peeks_as("{\"k\":\"event_type\",\"event_type\":\"v\"}", "v", "peek: values are not keys");
	peeks_as("[{\"event_type\":\"x\"}]", "", "peek: not an object");
	peeks_as("{\"event_type\":\"a\\u002e\"}", "", "peek: an escape gives no hint");
	peeks_as("{\"event_type\":1}", "", "peek: not a string");
	peeks_as("{\"event_type\":\"unterminated", "", "peek: unterminated");
	peeks_as("{\"ev\\\"ent_type\":\"x\"}", "", "peek: an escaped key is not the name");
}

int
main(void)
{
	char deep[2 * (HF_JSON_MAX_DEPTH + 2) + 1];
	struct json_object *obj = NULL;
	const char *s;
	size_t len;

	accepts("{}", "empty object");
	accepts(" {\"a\": [1, -2.5e3, true, false, null, \"x\"]}\r\n", "ordinary document");
	accepts("{\"payload\":{\"orderId\":\"ord_123\",\"status\":\"paid\"}}", "seed payload");
	accepts("\"caf\xc3\xa9 \xf0\x9f\x8e\x89\"", "UTF-8 in strings");
	accepts("\"\\ud83c\\udf89 \\u00e9 \\/ \\n\"", "escapes and surrogate pairs");
	accepts("123", "bare top-level number");
	accepts("-9223372036854775808", "int64 minimum");
	accepts("18446744073709551615", "uint64 maximum");
	accepts("1e400", "big doubles keep their text");
	accepts("null", "null document");

	refuses("", "empty body");
	refuses("   ", "only whitespace");
	refuses("{} x", "trailing bytes");
	refuses("{}{}", "two documents");
	refuses("{\"a\":1}/* c */", "trailing comment");
	refuses("{/* c */\"a\":1}", "block comment");
	refuses("{\"a\":1 // c\n}", "line comment");
	refuses("{'a':1}", "single-quoted key");
	refuses("{\"a\":'x'}", "single-quoted value");
	refuses("{\"a\":NaN}", "NaN");
	refuses("{\"a\":nan}", "lowercase nan");
	refuses("{\"a\":Infinity}", "Infinity");
	refuses("{\"a\":-Infinity}", "-Infinity");
	refuses("{\"a\":0x10}", "hex number");
	refuses("{\"a\":+1}", "leading plus");
	refuses("{\"a\":01}", "leading zero");
	refuses("{\"a\":1.}", "bare decimal point");
	refuses("{\"a\":.5}", "missing integer part");
	refuses("{\"a\":truex}", "bad literal");
	refuses("{\"a\":True}", "capitalised literal");
	refuses("{\"a\":1,}", "trailing comma in object");
	refuses("[1,]", "trailing comma in array");
	refuses("{a:1}", "unquoted key");
	refuses("{\"a\" 1}", "missing colon");
	refuses("{\"a\":1", "unterminated object");
	refuses("\"abc", "unterminated string");
	refuses("{\"a\":\"\\u0000\"}", "\\u0000 escape");
	refuses("{\"a\":\"\\ud800\"}", "lone high surrogate");
	refuses("{\"a\":\"\\udc00\"}", "lone low surrogate");
	refuses("{\"a\":\"\\x41\"}", "unknown escape");
	refuses("{\"a\":\"tab\there\"}", "raw control character");
	refuses("\"\xff\"", "invalid UTF-8 byte");
	refuses("\"\xc3\"", "truncated UTF-8");
	refuses("\"\xc0\xaf\"", "overlong UTF-8");
	refuses("\"\xed\xa0\x80\"", "UTF-8 surrogate");
	refuses("\"\xf4\x90\x80\x80\"", "above U+10FFFF");
	refuses("\xef\xbb\xbf{}", "byte order mark");
	refuses("{\"a\":1,\"a\":2}", "duplicate key");
	refuses("{\"x\":{\"b\":1},\"y\":[{\"c\":1,\"c\":1}]}", "nested duplicate key");
	refuses("-9223372036854775809", "below int64");
	refuses("18446744073709551616", "above uint64");
	refuses("99999999999999999999999", "far above uint64");

	is_int(parse_len("{\"a\":\"x\0y\"}", 11), HF_ERR_INVALID, "raw NUL in string");
	is_int(parse_len("{}\0", 3), HF_ERR_INVALID, "NUL after the value");

	nested(deep, HF_JSON_MAX_DEPTH);
	accepts(deep, "nesting at the limit");
	nested(deep, HF_JSON_MAX_DEPTH + 1);
	refuses(deep, "nesting past the limit");
	ok(strstr(errstr, "deep") != NULL, "depth error names the problem");

	refuses("{\"a\":'x'}", "error message");
	ok(strstr(errstr, "single-quoted") != NULL, "message says single-quoted");

	/* The tree is the document. */
	is_int(hf_json_parse("{\"k\":\"v\",\"n\":[1,2]}", 19, &obj, errstr,
			     sizeof(errstr)), HF_OK, "parse for the tree");
	is_str(json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN),
	       "{\"k\":\"v\",\"n\":[1,2]}", "tree round-trips");
	json_object_put(obj);
	obj = NULL;
	is_int(hf_json_parse("\"a\\u00e9\"", 9, &obj, errstr, sizeof(errstr)),
	       HF_OK, "escaped string");
	s = json_object_get_string(obj);
	len = (size_t)json_object_get_string_len(obj);
	is_int((long long)len, 3, "decoded length");
	ok(s != NULL && memcmp(s, "a\xc3\xa9", 3) == 0, "decoded bytes");
	json_object_put(obj);

	is_int(hf_json_parse("{}", HF_PAYLOAD_BYTES_CEILING + 1, &obj, errstr,
			     sizeof(errstr)), HF_ERR_LIMIT, "length over the ceiling");

	counted_caps();
	peeks();
	return tap_done();
}
