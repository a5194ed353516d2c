/* Unit tests of src/json_input.c: what strict parsing accepts and refuses. */
#include <stdio.h>
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
	return tap_done();
}
