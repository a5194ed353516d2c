/*
 * Unit tests of cgi/request.c: percent-decoding, the API key headers, the
 * JSON content type, route path candidates and the capped body reader (in
 * CGI mode, stdin replaced by a pipe).
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "limits.h"
#include "request.h"
#include "tap.h"

static char *vars[8];

/* A request whose variables are the NULL-terminated "NAME=value" list. */
static struct hf_request
request_with(const char *a, const char *b)
{
	struct hf_request req;

	memset(&req, 0, sizeof(req));
	vars[0] = (char *)a;
	vars[1] = (char *)b;
	vars[2] = NULL;
	req.envp = vars;
	return req;
}

static int
decodes(const char *in, const char *want)
{
	char out[64];

	if (!request_percent_decode(in, strlen(in), out, sizeof(out)))
		return want == NULL;
	return want != NULL && strcmp(out, want) == 0;
}

static int
key_of(const char *a, const char *b, const char *want)
{
	struct hf_request req = request_with(a, b);
	char key[HF_API_KEY_MAX_LEN + 1];

	if (!request_api_key(&req, key))
		return want == NULL;
	return want != NULL && strcmp(key, want) == 0;
}

static int
json_type(const char *ctype)
{
	struct hf_request req = request_with(ctype, NULL);

	return request_is_json(&req);
}

/* Feed text to stdin through a pipe and read the body with cap. */
static enum request_body_status
read_body(const char *text, const char *content_length, size_t cap,
	  size_t *len, char *buf)
{
	struct hf_request req = request_with(content_length, NULL);
	int fds[2], saved = dup(STDIN_FILENO);
	enum request_body_status st;

	if (pipe(fds) != 0)
		abort();
	if (write(fds[1], text, strlen(text)) != (ssize_t)strlen(text))
		abort();
	close(fds[1]);
	dup2(fds[0], STDIN_FILENO);
	close(fds[0]);
	st = request_read_body(&req, buf, cap, len);
	dup2(saved, STDIN_FILENO);
	close(saved);
	return st;
}

int
main(void)
{
	char big[HF_API_KEY_MAX_LEN + 32], buf[64], path[64];
	struct hf_request req;
	bool raw = false;
	size_t len = 0;

	ok(decodes("order.paid", "order.paid"), "plain text");
	ok(decodes("order%2Epaid", "order.paid"), "escape");
	ok(decodes("%41%62", "Ab"), "two escapes, both cases");
	ok(decodes("a%2", NULL), "truncated escape");
	ok(decodes("a%", NULL), "bare percent");
	ok(decodes("%zz", NULL), "bad hex");
	ok(decodes("%00", NULL), "decoded NUL");
	ok(!request_percent_decode("abcdef", 6, buf, 4), "no room");

	ok(key_of("HTTP_AUTHORIZATION=Bearer hfk_abc", NULL, "hfk_abc"), "Bearer");
	ok(key_of("HTTP_AUTHORIZATION=bearer   hfk_abc  ", NULL, "hfk_abc"),
	   "scheme any case, spaces trimmed");
	ok(key_of("HTTP_X_API_KEY=hfk_xyz", NULL, "hfk_xyz"), "X-API-Key");
	ok(key_of("HTTP_AUTHORIZATION=Bearer hfk_a", "HTTP_X_API_KEY=hfk_b", "hfk_a"),
	   "Authorization wins");
	ok(key_of("HTTP_AUTHORIZATION=Basic abc", NULL, NULL), "Basic refused");
	ok(key_of("HTTP_AUTHORIZATION=Basic abc", "HTTP_X_API_KEY=hfk_b", "hfk_b"),
	   "another scheme leaves X-API-Key");
	ok(key_of("HTTP_AUTHORIZATION=Bearer ", "HTTP_X_API_KEY=hfk_b", NULL),
	   "an empty Bearer is an error, not a fallback");
	ok(key_of("HTTP_AUTHORIZATION=Bearer", NULL, NULL), "no key");
	ok(key_of("HTTP_AUTHORIZATION=Bearerhfk_a", NULL, NULL), "no space");
	ok(key_of("HTTP_AUTHORIZATION=Bearer a b", NULL, NULL), "inner space");
	ok(key_of("HTTP_X_API_KEY=k\xc3\xa9y", NULL, NULL), "non-ASCII");
	ok(key_of(NULL, NULL, NULL), "nothing sent");
	strcpy(big, "HTTP_X_API_KEY=");
	memset(big + 15, 'k', HF_API_KEY_MAX_LEN + 1);
	big[15 + HF_API_KEY_MAX_LEN + 1] = '\0';
	ok(key_of(big, NULL, NULL), "key too long");
	big[15 + HF_API_KEY_MAX_LEN] = '\0';
	ok(key_of(big, NULL, big + 15), "longest key");

	ok(json_type("CONTENT_TYPE=application/json"), "application/json");
	ok(json_type("CONTENT_TYPE=Application/JSON"), "any case");
	ok(json_type("CONTENT_TYPE=application/json; charset=utf-8"), "utf-8 charset");
	ok(json_type("CONTENT_TYPE=application/json;charset=\"UTF-8\""), "quoted charset");
	ok(!json_type("CONTENT_TYPE=application/json; charset=latin1"), "latin1");
	ok(!json_type("CONTENT_TYPE=application/jsonp"), "jsonp");
	ok(!json_type("CONTENT_TYPE=text/plain"), "text/plain");
	ok(!json_type("CONTENT_TYPE=application/json; boundary=x"), "other parameter");
	ok(!json_type(NULL), "missing");

	req = request_with("REQUEST_URI=/api/ingest/event/x?y=1#z", "PATH_INFO=");
	ok(request_path_candidate(&req, 0, path, sizeof(path), &raw) == NULL,
	   "empty PATH_INFO is no candidate");
	is_str(request_path_candidate(&req, 1, path, sizeof(path), &raw),
	       "/api/ingest/event/x", "REQUEST_URI without query");
	ok(raw, "REQUEST_URI is raw");
	req = request_with("PATH_INFO=/healthz", NULL);
	is_str(request_path_candidate(&req, 0, path, sizeof(path), &raw), "/healthz",
	       "PATH_INFO");
	ok(!raw, "PATH_INFO is decoded");
	is_str(request_method(&req), "", "missing method");

	is_int(read_body("{\"a\":1}", "CONTENT_LENGTH=7", 10, &len, buf),
	       REQUEST_BODY_OK, "body within the cap");
	is_str(buf, "{\"a\":1}", "body bytes");
	is_int(read_body("{\"a\":1}MORE", "CONTENT_LENGTH=7", 10, &len, buf),
	       REQUEST_BODY_OK, "CGI stops at CONTENT_LENGTH");
	is_int((long long)len, 7, "length");
	is_int(read_body("0123456789", "CONTENT_LENGTH=10", 10, &len, buf),
	       REQUEST_BODY_OK, "exactly the cap");
	is_int(read_body("0123456789X", "CONTENT_LENGTH=11", 10, &len, buf),
	       REQUEST_BODY_TOO_LARGE, "over the cap");
	is_int(read_body("", "CONTENT_LENGTH=999999999", 10, &len, buf),
	       REQUEST_BODY_TOO_LARGE, "declared over the cap, nothing read");
	is_int(read_body("", "CONTENT_LENGTH=-1", 10, &len, buf),
	       REQUEST_BODY_BAD_LENGTH, "negative length refused as malformed");
	is_int(read_body("{}", "CONTENT_LENGTH=2x", 10, &len, buf),
	       REQUEST_BODY_BAD_LENGTH, "trailing junk refused as malformed");
	is_int(read_body("{}", "CONTENT_LENGTH= 2", 10, &len, buf),
	       REQUEST_BODY_BAD_LENGTH, "a space refused as malformed");
	is_int(read_body("", "CONTENT_LENGTH=99999999999999999999999", 10, &len, buf),
	       REQUEST_BODY_TOO_LARGE, "an overflowing number is too large");
	is_int(read_body("0123456789ABC", NULL, 10, &len, buf),
	       REQUEST_BODY_TOO_LARGE, "no length: read to the cap and refuse");
	is_int(read_body("abc", NULL, 10, &len, buf), REQUEST_BODY_OK,
	       "no length: read to the end");
	is_int((long long)len, 3, "short body length");
	return tap_done();
}
