/*
 * Strict JSON input; see json_input.h.  The scanner below walks the text
 * once, bounded by len and by HF_JSON_MAX_DEPTH (so its recursion is
 * bounded too), and records how many members each object has, in document
 * order.  json-c then builds the tree; an object whose json-c length is
 * smaller than the scanner's count had a duplicate key.
 */
#include "json_input.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "limits.h"
#include "strparse.h"

struct scanner {
	const unsigned char *start, *p, *end;
	int depth;
	size_t values, containers;	/* seen so far, for the caps */
	size_t *counts;		/* members per object, in document order */
	size_t ncounts, capacity;
	char *errstr;
	size_t errlen;
};

static enum hf_result scan_value(struct scanner *s);

static enum hf_result
scan_fail(struct scanner *s, const char *what)
{
	return hf_fail(HF_ERR_INVALID, s->errstr, s->errlen,
		       "invalid JSON at byte %zu: %s",
		       (size_t)(s->p - s->start), what);
}

static void
skip_whitespace(struct scanner *s)
{
	while (s->p < s->end &&
	       (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
		s->p++;
}


/* Read the 4 hex digits of a \u escape at s->p (just past the 'u'). */
static enum hf_result
scan_hex4(struct scanner *s, unsigned int *out)
{
	unsigned int v = 0;
	int i, h;

	if (s->end - s->p < 4)
		return scan_fail(s, "truncated \\u escape");
	for (i = 0; i < 4; i++) {
		h = strparse_hex_digit(s->p[i]);
		if (h < 0)
			return scan_fail(s, "bad \\u escape");
		v = v * 16 + (unsigned int)h;
	}
	s->p += 4;
	*out = v;
	return HF_OK;
}

/* One UTF-8 sequence starting at s->p (a byte >= 0x80), RFC 3629. */
static enum hf_result
scan_utf8(struct scanner *s)
{
	const unsigned char *p = s->p;
	unsigned char c = *p, lo = 0x80, hi = 0xbf;
	size_t need, i;

	if (c >= 0xc2 && c <= 0xdf)
		need = 1;
	else if (c >= 0xe0 && c <= 0xef) {
		need = 2;
		if (c == 0xe0)
			lo = 0xa0;	/* no overlong forms */
		else if (c == 0xed)
			hi = 0x9f;	/* no UTF-16 surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		need = 3;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;	/* nothing above U+10FFFF */
	} else
		return scan_fail(s, "invalid UTF-8");
	if ((size_t)(s->end - p) < need + 1)
		return scan_fail(s, "truncated UTF-8");
	for (i = 1; i <= need; i++) {
		unsigned char b = p[i];

		if (b < (i == 1 ? lo : 0x80) || b > (i == 1 ? hi : 0xbf))
			return scan_fail(s, "invalid UTF-8");
	}
	s->p += need + 1;
	return HF_OK;
}

static enum hf_result
scan_string(struct scanner *s)
{
	enum hf_result r;
	unsigned int u, low;

	s->p++;			/* the opening quote */
	for (;;) {
		if (s->p >= s->end)
			return scan_fail(s, "unterminated string");
		if (*s->p == '"') {
			s->p++;
			return HF_OK;
		}
		if (*s->p < 0x20)
			return scan_fail(s, *s->p == 0 ? "NUL byte in string"
						       : "control character in string");
		if (*s->p >= 0x80) {
			r = scan_utf8(s);
			if (r != HF_OK)
				return r;
			continue;
		}
		if (*s->p != '\\') {
			s->p++;
			continue;
		}
		s->p++;
		if (s->p >= s->end)
			return scan_fail(s, "unterminated string");
		if (strchr("\"\\/bfnrt", *s->p) != NULL && *s->p != '\0') {
			s->p++;
			continue;
		}
		if (*s->p != 'u')
			return scan_fail(s, "bad escape");
		s->p++;
		r = scan_hex4(s, &u);
		if (r != HF_OK)
			return r;
		if (u == 0)
			return scan_fail(s, "\\u0000 in string");
		if (u >= 0xdc00 && u <= 0xdfff)
			return scan_fail(s, "unpaired surrogate escape");
		if (u >= 0xd800 && u <= 0xdbff) {
			if (s->end - s->p < 2 || s->p[0] != '\\' || s->p[1] != 'u')
				return scan_fail(s, "unpaired surrogate escape");
			s->p += 2;
			r = scan_hex4(s, &low);
			if (r != HF_OK)
				return r;
			if (low < 0xdc00 || low > 0xdfff)
				return scan_fail(s, "unpaired surrogate escape");
		}
	}
}

static bool
is_digit(const struct scanner *s)
{
	return s->p < s->end && *s->p >= '0' && *s->p <= '9';
}

/*
 * An RFC 8259 number.  Integers (no fraction, no exponent) must fit in
 * int64 or, if positive, uint64: json-c saturates the others silently.
 */
static enum hf_result
scan_number(struct scanner *s)
{
	static const char int64_min_digits[] = "9223372036854775808";
	static const char uint64_max_digits[] = "18446744073709551615";
	const unsigned char *digits;
	bool negative = false, integer = true;
	size_t ndigits;
	const char *limit;

	if (*s->p == '-') {
		negative = true;
		s->p++;
	}
	digits = s->p;
	if (!is_digit(s))
		return scan_fail(s, "bad number");
	if (*s->p == '0') {
		s->p++;
		if (is_digit(s))
			return scan_fail(s, "leading zero in number");
	} else {
		while (is_digit(s))
			s->p++;
	}
	ndigits = (size_t)(s->p - digits);
	if (s->p < s->end && *s->p == '.') {
		integer = false;
		s->p++;
		if (!is_digit(s))
			return scan_fail(s, "bad number");
		while (is_digit(s))
			s->p++;
	}
	if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
		integer = false;
		s->p++;
		if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
			s->p++;
		if (!is_digit(s))
			return scan_fail(s, "bad number");
		while (is_digit(s))
			s->p++;
	}
	if (!integer)
		return HF_OK;
	limit = negative ? int64_min_digits : uint64_max_digits;
	if (ndigits > strlen(limit) ||
	    (ndigits == strlen(limit) && memcmp(digits, limit, ndigits) > 0))
		return scan_fail(s, "integer out of range");
	return HF_OK;
}

static enum hf_result
scan_literal(struct scanner *s, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n) != 0)
		return scan_fail(s, "unexpected word (only true, false, null)");
	s->p += n;
	/* "truex", "null1": a literal must end where a value may end. */
	if (s->p < s->end && ((*s->p >= 'a' && *s->p <= 'z') ||
			      (*s->p >= 'A' && *s->p <= 'Z') ||
			      (*s->p >= '0' && *s->p <= '9')))
		return scan_fail(s, "unexpected word (only true, false, null)");
	return HF_OK;
}

static enum hf_result
enter_container(struct scanner *s)
{
	if (++s->depth > HF_JSON_MAX_DEPTH)
		return scan_fail(s, "nested too deeply");
	if (++s->containers > HF_JSON_MAX_CONTAINERS)
		return hf_fail(HF_ERR_LIMIT, s->errstr, s->errlen,
			       "invalid JSON: more than %d objects and arrays in one document",
			       HF_JSON_MAX_CONTAINERS);
	s->p++;
	skip_whitespace(s);
	return HF_OK;
}

static enum hf_result
scan_object(struct scanner *s)
{
	enum hf_result r;
	size_t index;

	if (s->ncounts == s->capacity) {
		size_t grown_capacity = s->capacity ? s->capacity * 2 : 16;
		size_t *grown = realloc(s->counts, grown_capacity * sizeof(*grown));

		if (grown == NULL)
			return HF_ERR_NOMEM;
		s->counts = grown;
		s->capacity = grown_capacity;
	}
	index = s->ncounts++;
	s->counts[index] = 0;
	r = enter_container(s);
	if (r != HF_OK)
		return r;
	if (s->p < s->end && *s->p == '}') {
		s->p++;
		s->depth--;
		return HF_OK;
	}
	for (;;) {
		if (s->p >= s->end || *s->p != '"')
			return scan_fail(s, "expected a string key");
		r = scan_string(s);
		if (r != HF_OK)
			return r;
		skip_whitespace(s);
		if (s->p >= s->end || *s->p != ':')
			return scan_fail(s, "expected ':'");
		s->p++;
		r = scan_value(s);
		if (r != HF_OK)
			return r;
		s->counts[index]++;
		skip_whitespace(s);
		if (s->p < s->end && *s->p == ',') {
			s->p++;
			skip_whitespace(s);
			continue;
		}
		if (s->p < s->end && *s->p == '}') {
			s->p++;
			s->depth--;
			return HF_OK;
		}
		return scan_fail(s, "expected ',' or '}'");
	}
}

static enum hf_result
scan_array(struct scanner *s)
{
	enum hf_result r = enter_container(s);

	if (r != HF_OK)
		return r;
	if (s->p < s->end && *s->p == ']') {
		s->p++;
		s->depth--;
		return HF_OK;
	}
	for (;;) {
		r = scan_value(s);
		if (r != HF_OK)
			return r;
		skip_whitespace(s);
		if (s->p < s->end && *s->p == ',') {
			s->p++;
			continue;
		}
		if (s->p < s->end && *s->p == ']') {
			s->p++;
			s->depth--;
			return HF_OK;
		}
		return scan_fail(s, "expected ',' or ']'");
	}
}

static enum hf_result
scan_value(struct scanner *s)
{
	skip_whitespace(s);
	if (s->p >= s->end)
		return scan_fail(s, "expected a value");
	if (++s->values > HF_JSON_MAX_VALUES)
		return hf_fail(HF_ERR_LIMIT, s->errstr, s->errlen,
			       "invalid JSON: more than %d values in one document",
			       HF_JSON_MAX_VALUES);
	switch (*s->p) {
	case '{':
		return scan_object(s);
	case '[':
		return scan_array(s);
	case '"':
		return scan_string(s);
	case 't':
		return scan_literal(s, "true");
	case 'f':
		return scan_literal(s, "false");
	case 'n':
		return scan_literal(s, "null");
	case '\'':
		return scan_fail(s, "single-quoted string");
	case '/':
		return scan_fail(s, "comment");
	case '\0':
		return scan_fail(s, "NUL byte");
	default:
		if (*s->p == '-' || (*s->p >= '0' && *s->p <= '9'))
			return scan_number(s);
		return scan_fail(s, "unexpected character");
	}
}

/* Compare json-c's object sizes with the scanner's counts, in order. */
static bool
same_member_counts(struct json_object *obj, const size_t *counts, size_t n,
		   size_t *next)
{
	size_t i, len;

	switch (json_object_get_type(obj)) {
	case json_type_object: {
		if (*next >= n ||
		    (size_t)json_object_object_length(obj) != counts[*next])
			return false;
		(*next)++;
		json_object_object_foreach(obj, key, value) {
			(void)key;
			if (!same_member_counts(value, counts, n, next))
				return false;
		}
		return true;
	}
	case json_type_array:
		len = json_object_array_length(obj);
		for (i = 0; i < len; i++) {
			if (!same_member_counts(json_object_array_get_idx(obj, i),
						counts, n, next))
				return false;
		}
		return true;
	default:
		return true;
	}
}

enum hf_result
hf_json_parse(const char *text, size_t len, struct json_object **out,
	      char *errstr, size_t errlen)
{
	struct scanner s;
	struct json_tokener *tok = NULL;
	struct json_object *obj = NULL;
	enum json_tokener_error jerr;
	enum hf_result r;
	size_t next = 0;
	bool consumed_all = false;

	*out = NULL;
	if (len > HF_PAYLOAD_BYTES_CEILING)
		return hf_fail(HF_ERR_LIMIT, errstr, errlen, "document too large");
	memset(&s, 0, sizeof(s));
	s.start = s.p = (const unsigned char *)text;
	s.end = s.start + len;
	s.errstr = errstr;
	s.errlen = errlen;
	r = scan_value(&s);
	if (r == HF_OK) {
		skip_whitespace(&s);
		if (s.p != s.end)
			r = scan_fail(&s, "trailing bytes after the value");
	}
	if (r != HF_OK)
		goto out;

	/* The scanner's depth is the limit; json-c's is a second guard. */
	tok = json_tokener_new_ex(HF_JSON_MAX_DEPTH + 1);
	if (tok == NULL) {
		r = HF_ERR_NOMEM;
		goto out;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	obj = json_tokener_parse_ex(tok, text, (int)len);
	jerr = json_tokener_get_error(tok);
	if (jerr == json_tokener_continue) {
		/*
		 * A bare top-level number or literal only ends at a delimiter;
		 * the scanner has already seen that nothing else follows.
		 */
		obj = json_tokener_parse_ex(tok, " ", 1);
		jerr = json_tokener_get_error(tok);
		consumed_all = true;
	}
	if (jerr != json_tokener_success) {
		r = hf_fail(HF_ERR_INVALID, errstr, errlen, "invalid JSON: %s",
			    json_tokener_error_desc(jerr));
		goto out;
	}
	if (!consumed_all && json_tokener_get_parse_end(tok) < len) {
		size_t i;

		for (i = json_tokener_get_parse_end(tok); i < len; i++) {
			if (strchr(" \t\r\n", text[i]) == NULL || text[i] == '\0') {
				r = hf_fail(HF_ERR_INVALID, errstr, errlen,
					    "invalid JSON: trailing bytes after the value");
				goto out;
			}
		}
	}
	if (!same_member_counts(obj, s.counts, s.ncounts, &next) ||
	    next != s.ncounts) {
		r = hf_fail(HF_ERR_INVALID, errstr, errlen,
			    "invalid JSON: an object has the same key twice");
		goto out;
	}
	*out = obj;
	obj = NULL;
out:
	json_object_put(obj);
	if (tok != NULL)
		json_tokener_free(tok);
	free(s.counts);
	return r;
}

/* The index of the '"' closing the string whose text starts at i, or len;
 * *escaped says whether a backslash came first. */
static size_t
peek_string_end(const char *text, size_t len, size_t i, bool *escaped)
{
	*escaped = false;
	for (; i < len && text[i] != '"'; i++) {
		if (text[i] == '\\') {
			*escaped = true;
			i++;
		}
	}
	return i;
}

const char *
hf_json_peek_string_member(const char *text, size_t len, const char *name,
			   size_t *value_len)
{
	size_t name_len = strlen(name), i = 0, end, value;
	bool top_is_object = false, expect_key = false, escaped;
	long depth = 0;

	*value_len = 0;
	while (i < len) {
		switch (text[i]) {
		case '"':
			end = peek_string_end(text, len, i + 1, &escaped);
			if (end >= len)
				return NULL;
			if (depth == 1 && top_is_object && expect_key &&
			    !escaped && end - (i + 1) == name_len &&
			    memcmp(text + i + 1, name, name_len) == 0) {
				value = end + 1;
				while (value < len && strchr(" \t\r\n", text[value]) != NULL &&
				       text[value] != '\0')
					value++;
				if (value >= len || text[value] != ':')
					return NULL;
				value++;
				while (value < len && strchr(" \t\r\n", text[value]) != NULL &&
				       text[value] != '\0')
					value++;
				if (value >= len || text[value] != '"')
					return NULL;
				end = peek_string_end(text, len, value + 1, &escaped);
				if (end >= len || escaped)
					return NULL;
				*value_len = end - (value + 1);
				return text + value + 1;
			}
			expect_key = false;
			i = end + 1;
			continue;
		case '{':
		case '[':
			if (depth++ == 0)
				top_is_object = text[i] == '{';
			expect_key = depth == 1 && top_is_object;
			break;
		case '}':
		case ']':
			depth--;
			break;
		case ',':
			expect_key = depth == 1 && top_is_object;
			break;
		default:
			break;
		}
		i++;
	}
	return NULL;
}
