/*
 * One HTTP request as the web server hands it over, by FastCGI or plain
 * CGI: its variables, its body, and the channel the reply goes out on.
 * Everything here is untrusted; it is bounded before anything trusts it.
 * A struct hf_request lives on main()'s stack for one request only.
 */
#ifndef HF_CGI_REQUEST_H
#define HF_CGI_REQUEST_H

#include <stdbool.h>
#include <stddef.h>

#include <fcgiapp.h>

#include "limits.h"

struct hf_request {
	FCGX_Request *fcgx;	/* NULL when serving one plain CGI request */
	char **envp;		/* the request's variables (borrowed) */
	bool replied;		/* a reply has been written */
};

/* A request variable (CGI meta-variable), or NULL; owned by the request. */
const char *request_param(const struct hf_request *req, const char *name);

/* The request method, "" when missing. */
const char *request_method(const struct hf_request *req);

/*
 * The candidate paths to route, in order: PATH_INFO (already decoded by the
 * server; lets the program be mounted under a prefix) and REQUEST_URI
 * without its query string (raw, as lighttpd passes it when mounted at
 * "/").  i = 0, 1; NULL when that candidate is missing or too long.
 * *raw says whether percent-escapes are still to be decoded.
 */
const char *request_path_candidate(const struct hf_request *req, int i,
				   char *buf, size_t buflen, bool *raw);

/*
 * Decode %XX escapes of len bytes of s into out (outlen bytes with the
 * NUL).  false on a malformed escape, a decoded NUL or no room.
 */
bool request_percent_decode(const char *s, size_t len, char *out,
			    size_t outlen);

/*
 * The API key from "Authorization: Bearer KEY" or "X-API-Key: KEY", into
 * key (HF_API_KEY_MAX_LEN + 1 bytes).  false when there is none or it is
 * malformed (empty, too long, not visible ASCII).
 */
bool request_api_key(const struct hf_request *req, char *key);

enum request_idempotency {
	REQUEST_IDEMPOTENCY_NONE,	/* no Idempotency-Key header */
	REQUEST_IDEMPOTENCY_KEY,	/* key holds it */
	REQUEST_IDEMPOTENCY_INVALID	/* not 1..HF_IDEMPOTENCY_KEY_MAX_LEN visible ASCII */
};

/* The Idempotency-Key header into key (HF_IDEMPOTENCY_KEY_MAX_LEN + 1). */
enum request_idempotency request_idempotency_key(const struct hf_request *req,
						 char *key);

/* True when Content-Type is application/json (charset utf-8 or absent). */
bool request_is_json(const struct hf_request *req);

enum request_body_status {
	REQUEST_BODY_OK,
	REQUEST_BODY_TOO_LARGE,	/* more than cap bytes */
	REQUEST_BODY_BAD_LENGTH, /* CONTENT_LENGTH is not a decimal number */
	REQUEST_BODY_ERROR	/* the stream failed */
};

/*
 * Read the whole body into buf (at least cap + 1 bytes), never more than
 * cap + 1 bytes, whatever CONTENT_LENGTH says; a chunked body (no
 * CONTENT_LENGTH) is read to its end.  A CONTENT_LENGTH over cap is
 * refused before reading.  buf is NUL-terminated on REQUEST_BODY_OK.
 */
enum request_body_status request_read_body(struct hf_request *req, char *buf,
					   size_t cap, size_t *len);

/* Write len bytes of the reply; the first call marks the request replied. */
void request_write(struct hf_request *req, const char *data, size_t len);

#endif
