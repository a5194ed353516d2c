/* Unit tests of src/validate.c: event types, URLs, names, UTF-8. */
#include <string.h>

#include "limits.h"
#include "tap.h"
#include "validate.h"

static int
type_ok(const char *s, int wildcard)
{
	return hf_event_type_valid(s, strlen(s), wildcard);
}

int
main(void)
{
	char long_type[HF_EVENT_TYPE_MAX_LEN + 2];
	const char *why = NULL;

	ok(type_ok("order.paid", 0), "order.paid");
	ok(type_ok("a-b_c:d.E9", 0), "every allowed character");
	ok(!type_ok("", 0), "empty type");
	ok(!type_ok("order paid", 0), "space");
	ok(!type_ok("order/paid", 0), "slash");
	ok(!type_ok("ordér", 0), "non-ASCII");
	ok(!type_ok("*", 0), "wildcard where not allowed");
	ok(type_ok("*", 1), "wildcard where allowed");
	ok(!type_ok("a*", 1), "star inside a name");
	memset(long_type, 'a', sizeof(long_type));
	long_type[HF_EVENT_TYPE_MAX_LEN] = '\0';
	ok(type_ok(long_type, 0), "longest type");
	long_type[HF_EVENT_TYPE_MAX_LEN] = 'a';
	long_type[HF_EVENT_TYPE_MAX_LEN + 1] = '\0';
	ok(!type_ok(long_type, 0), "one character too long");

	ok(hf_url_valid("https://example.com/hook", &why), "https URL");
	ok(hf_url_valid("HTTP://127.0.0.1:8080/", &why), "http URL, any case");
	ok(!hf_url_valid("ftp://example.com/", &why), "ftp refused");
	is_str(why, "URL must start with http:// or https://", "why");
	ok(!hf_url_valid("file:///etc/passwd", &why), "file refused");
	ok(!hf_url_valid("example.com", &why), "no scheme refused");
	ok(!hf_url_valid("http:///path", &why), "no host refused");
	ok(!hf_url_valid("http://exa mple.com/", &why), "space refused");
	ok(!hf_url_valid("http://example.com/\n", &why), "newline refused");

	ok(hf_name_valid("Acme Corp"), "plain name");
	ok(hf_name_valid("Café ☕"), "UTF-8 name");
	ok(!hf_name_valid(""), "empty name");
	ok(!hf_name_valid("a\tb"), "control character");
	ok(!hf_name_valid("\xc3\x28"), "invalid UTF-8");

	ok(hf_utf8_valid("\xf0\x9f\x98\x80", 4), "4-byte sequence");
	ok(!hf_utf8_valid("\xc0\xaf", 2), "overlong slash");
	ok(!hf_utf8_valid("\xed\xa0\x80", 3), "surrogate");
	ok(!hf_utf8_valid("\xf4\x90\x80\x80", 4), "past U+10FFFF");
	ok(!hf_utf8_valid("\xe2\x82", 2), "truncated sequence");
	ok(!hf_utf8_valid("a\0b", 3), "embedded NUL");
	return tap_done();
}
