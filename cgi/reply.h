/*
 * Replies: a status line, headers and a JSON body, written in one piece.
 * Every error is the contract's {"code": ..., "message": ...}.
 */
#ifndef HF_CGI_REPLY_H
#define HF_CGI_REPLY_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "request.h"

/*
 * Send status with body (may be NULL: no body) and extra_headers (NULL or
 * complete "Name: value\r\n" lines).  Does not take ownership of body.
 * With head_only the body is left out (HEAD requests).
 */
void reply_json(struct hf_request *req, int status, const char *extra_headers,
		struct json_object *body, bool head_only);

/* As reply_json, with the body already printed (text_len bytes). */
void reply_text(struct hf_request *req, int status, const char *extra_headers,
		const char *text, size_t text_len, bool head_only);

/* body as reply_json prints it; the text is owned by body. */
const char *reply_json_text(struct json_object *body, size_t *len);

/* An error reply {"code": code, "message": printf(fmt, ...)}. */
void reply_error(struct hf_request *req, int status, const char *extra_headers,
		 const char *code, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

#endif
