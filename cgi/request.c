/*
 * Request parsing: CGI variables, the API key, the content type and the
 * body, over FastCGI (FCGX_*) or plain CGI (stdin/stdout, environ).  The
 * only file of cgi/ that touches the transport.
 */
#include "request.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "strparse.h"

const char *
request_param(const struct hf_request *req, const char *name)
{
	return FCGX_GetParam(name, req->envp);
}

const char *
request_method(const struct hf_request *req)
{
	const char *m = request_param(req, "REQUEST_METHOD");

	return m != NULL ? m : "";
}

const char *
request_path_candidate(const struct hf_request *req, int i, char *buf,
		       size_t buflen, bool *raw)
{
	const char *value;
	size_t len;

	if (i == 0) {
		value = request_param(req, "PATH_INFO");
		*raw = false;
	} else {
		value = request_param(req, "REQUEST_URI");
		*raw = true;
	}
	if (value == NULL || value[0] == '\0')
		return NULL;
	len = strcspn(value, i == 0 ? "" : "?#");
	if (len >= buflen)
		return NULL;
	memcpy(buf, value, len);
	buf[len] = '\0';
	return buf;
}


bool
request_percent_decode(const char *s, size_t len, char *out, size_t outlen)
{
	size_t i, o = 0;

	for (i = 0; i < len; i++) {
		char c = s[i];

		if (c == '%') {
			int hi, lo;

			if (i + 2 >= len)
				return false;
			hi = strparse_hex_digit(s[i + 1]);
			lo = strparse_hex_digit(s[i + 2]);
			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
				return false;
			c = (char)(hi * 16 + lo);
			i += 2;
		}
		if (o + 1 >= outlen)
			return false;
		out[o++] = c;
	}
	out[o] = '\0';
	return true;
}

/* Copy a key of visible ASCII, 1..HF_API_KEY_MAX_LEN bytes. */
static bool
take_key(const char *s, char *key)
{
	size_t len, i;

	while (*s == ' ' || *s == '\t')
		s++;
	len = strlen(s);
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	if (len == 0 || len > HF_API_KEY_MAX_LEN)
		return false;
	for (i = 0; i < len; i++) {
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return false;
	}
	memcpy(key, s, len);
	key[len] = '\0';
	return true;
}

bool
request_api_key(const struct hf_request *req, char *key)
{
	const char *auth = request_param(req, "HTTP_AUTHORIZATION");
	const char *header = request_param(req, "HTTP_X_API_KEY");

	if (auth != NULL) {
		while (*auth == ' ')
			auth++;
		if (strncasecmp(auth, "Bearer", 6) == 0 &&
		    (auth[6] == ' ' || auth[6] == '\t' || auth[6] == '\0'))
			return take_key(auth + 6, key);
	}
	/* Another scheme (a proxy's Basic, say) leaves room for X-API-Key. */
	if (header != NULL)
		return take_key(header, key);
	return false;
}

enum request_idempotency
request_idempotency_key(const struct hf_request *req, char *key)
{
	const char *value = request_param(req, "HTTP_IDEMPOTENCY_KEY");
	size_t len, i;

	if (value == NULL)
		return REQUEST_IDEMPOTENCY_NONE;
	len = strlen(value);
	if (len == 0 || len > HF_IDEMPOTENCY_KEY_MAX_LEN)
		return REQUEST_IDEMPOTENCY_INVALID;
	for (i = 0; i < len; i++) {
		if ((unsigned char)value[i] <= 0x20 || (unsigned char)value[i] >= 0x7f)
			return REQUEST_IDEMPOTENCY_INVALID;
	}
	memcpy(key, value, len + 1);
	return REQUEST_IDEMPOTENCY_KEY;
}

bool
request_is_json(const struct hf_request *req)
{
	const char *type = request_param(req, "CONTENT_TYPE");
	const char *p;

	if (type == NULL)
		return false;
	while (*type == ' ')
		type++;
	if (strncasecmp(type, "application/json", 16) != 0)
		return false;
	p = type + 16;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '\0')
		return true;
	if (*p != ';')
		return false;
	/* Only a UTF-8 charset parameter (RFC 8259 says JSON is UTF-8). */
	p++;
	while (*p == ' ' || *p == '\t')
		p++;
	if (strncasecmp(p, "charset=", 8) != 0)
		return false;
	p += 8;
	if (*p == '"')
		p++;
	if (strncasecmp(p, "utf-8", 5) != 0)
		return false;
	p += 5;
	if (*p == '"')
		p++;
	while (*p == ' ' || *p == '\t')
		p++;
	return *p == '\0';
}

/* Read up to n bytes; 0 at end of body, -1 on error. */
static long
read_some(struct hf_request *req, char *buf, size_t n)
{
	if (req->fcgx != NULL) {
		int got = FCGX_GetStr(buf, n > 65536 ? 65536 : (int)n, req->fcgx->in);

		if (got == 0 && FCGX_GetError(req->fcgx->in) != 0)
			return -1;
		return got;
	}
	for (;;) {
		ssize_t got = read(STDIN_FILENO, buf, n);

		if (got >= 0)
			return (long)got;
		if (errno == EINTR)
			continue;
		return -1;
	}
}

enum request_body_status
request_read_body(struct hf_request *req, char *buf, size_t cap, size_t *len)
{
	const char *declared = request_param(req, "CONTENT_LENGTH");
	size_t limit = cap + 1, have = 0;
	long content_length = -1;
	const char *p = declared;

	*len = 0;
	if (declared != NULL && declared[0] != '\0') {
		if (strspn(declared, "0123456789") != strlen(declared))
			return REQUEST_BODY_BAD_LENGTH;
		/* All digits: a parse failure can only be a huge number. */
		if (strparse_long(&p, 0, HF_PAYLOAD_BYTES_CEILING * 4L,
				  &content_length) != HF_OK || *p != '\0')
			return REQUEST_BODY_TOO_LARGE;
		if ((size_t)content_length > cap)
			return REQUEST_BODY_TOO_LARGE;
		/*
		 * A CGI script must not read past CONTENT_LENGTH (the server
		 * need not close the pipe); FastCGI marks the end itself.
		 */
		if (req->fcgx == NULL)
			limit = (size_t)content_length;
	}
	while (have < limit) {
		long got = read_some(req, buf + have, limit - have);

		if (got < 0)
			return REQUEST_BODY_ERROR;
		if (got == 0)
			break;
		have += (size_t)got;
	}
	if (have > cap)
		return REQUEST_BODY_TOO_LARGE;
	buf[have] = '\0';
	*len = have;
	return REQUEST_BODY_OK;
}

void
request_write(struct hf_request *req, const char *data, size_t len)
{
	req->replied = true;
	if (req->fcgx != NULL) {
		FCGX_PutStr(data, (int)len, req->fcgx->out);
		return;
	}
	fwrite(data, 1, len, stdout);
}
