/*
 * Strict JSON input: the one way hookfan turns client bytes into a json-c
 * tree.  json-c alone is too lenient (PITFALLS.md): even in strict mode it
 * takes single-quoted strings and NaN/Infinity, lets duplicate keys win
 * silently, truncates "\u0000" in C strings and saturates big integers.
 * So the text is first checked by a small RFC 8259 scanner of our own, and
 * only then handed to json-c (depth-limited, strict, UTF-8 validating) with
 * a check that every byte was consumed.
 *
 * What is refused, each with a one-line reason:
 *   - anything that is not exactly one RFC 8259 value plus whitespace
 *     (trailing bytes, comments, single quotes, NaN, Infinity, hex, +1,
 *     leading zeros, bare words other than true/false/null);
 *   - nesting deeper than HF_JSON_MAX_DEPTH arrays/objects;
 *   - more than HF_JSON_MAX_CONTAINERS arrays and objects, or more than
 *     HF_JSON_MAX_VALUES values, in one document (HF_ERR_LIMIT): the scan
 *     stops there, before json-c has built anything;
 *   - invalid UTF-8, raw control characters in strings, a raw NUL anywhere,
 *     the escape \u0000, unpaired UTF-16 surrogate escapes;
 *   - integers outside [-2^63, 2^64 - 1] (json-c would saturate them);
 *   - an object with the same key twice.
 */
#ifndef HF_JSON_INPUT_H
#define HF_JSON_INPUT_H

#include <stddef.h>

#include <json-c/json.h>

#include "result.h"

/*
 * Parse len bytes of text (need not be NUL-terminated; len at most
 * HF_PAYLOAD_BYTES_CEILING).  On HF_OK *out is a new tree the caller
 * releases with json_object_put().  A JSON document that is `null` yields
 * HF_OK with *out == NULL.  On HF_ERR_INVALID and HF_ERR_LIMIT (len too
 * large, too many values) errstr says what is wrong; HF_ERR_NOMEM is the
 * other failure.
 */
enum hf_result hf_json_parse(const char *text, size_t len,
			     struct json_object **out,
			     char *errstr, size_t errlen);

/*
 * The string value of the top-level object's member name, found without
 * building or validating anything: a hint for what the document will say
 * once parsed (hf_json_parse), so that work can start before the parse.
 * Its length goes to *value_len; NULL when the text is not an object with
 * that member, or the value is not a string, or has escapes.  The result
 * points into text; the caller must check it against the parsed document.
 */
const char *hf_json_peek_string_member(const char *text, size_t len,
				       const char *name, size_t *value_len);

#endif
