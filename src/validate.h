/*
 * Rules for the names and URLs clients and sysadmins give us, shared by
 * hookfan-admin and the HTTP API so both refuse exactly the same things.
 */
#ifndef HF_VALIDATE_H
#define HF_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>

/*
 * An event type name: 1..HF_EVENT_TYPE_MAX_LEN characters, each a letter,
 * digit, '.', '_', '-' or ':'.  '*' (every type) is valid only when
 * allow_wildcard is true.
 */
bool hf_event_type_valid(const char *s, size_t len, bool allow_wildcard);

/*
 * An endpoint URL: http:// or https:// (any case), a non-empty host, no
 * spaces or control characters, at most HF_URL_MAX_LEN bytes.  On failure
 * *why (static) says what is wrong.
 */
bool hf_url_valid(const char *url, const char **why);

/* A display name: 1..HF_NAME_MAX_LEN bytes of valid UTF-8, no controls. */
bool hf_name_valid(const char *s);

/* True when s (len bytes) is valid UTF-8 with no NUL. */
bool hf_utf8_valid(const char *s, size_t len);

#endif
