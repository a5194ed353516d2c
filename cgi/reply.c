/* JSON replies and errors; see reply.h. */
#include "reply.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

static const char *
status_text(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 204: return "No Content";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 413: return "Payload Too Large";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Content";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	default: return "Unknown";
	}
}

void
reply_text(struct hf_request *req, int status, const char *extra_headers,
	   const char *text, size_t text_len, bool head_only)
{
	char head[1024], length[64] = "";
	int n;

	/* A 204 has neither a body nor a length (RFC 9110 section 8.6). */
	if (status != 204)
		snprintf(length, sizeof(length),
			 "Content-Type: application/json\r\n"
			 "Content-Length: %zu\r\n", text_len);
	n = snprintf(head, sizeof(head),
		     "Status: %d %s\r\n"
		     "%s"
		     "Cache-Control: no-store\r\n"
		     "X-Content-Type-Options: nosniff\r\n"
		     "%s\r\n",
		     status, status_text(status), length,
		     extra_headers != NULL ? extra_headers : "");
	if (n < 0 || (size_t)n >= sizeof(head)) {
		hf_log(HF_LOG_ERROR, "reply headers too long");
		return;
	}
	request_write(req, head, (size_t)n);
	if (!head_only && status != 204 && text_len > 0)
		request_write(req, text, text_len);
}

void
reply_json(struct hf_request *req, int status, const char *extra_headers,
	   struct json_object *body, bool head_only)
{
	const char *text = "";
	size_t text_len = 0;

	if (body != NULL)
		text = reply_json_text(body, &text_len);
	reply_text(req, status, extra_headers, text, text_len, head_only);
}

const char *
reply_json_text(struct json_object *body, size_t *len)
{
	return json_object_to_json_string_length(
		body, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, len);
}

void
reply_error(struct hf_request *req, int status, const char *extra_headers,
	    const char *code, const char *fmt, ...)
{
	struct json_object *body = json_object_new_object();
	char message[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	if (body == NULL) {
		/* Out of memory: a bodiless reply still carries the status. */
		reply_json(req, status, extra_headers, NULL, false);
		return;
	}
	json_object_object_add(body, "code", json_object_new_string(code));
	json_object_object_add(body, "message", json_object_new_string(message));
	reply_json(req, status, extra_headers, body, false);
	json_object_put(body);
}
