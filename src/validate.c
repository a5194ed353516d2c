/* Name and URL rules; see validate.h. */
#include "validate.h"

#include <string.h>
#include <strings.h>

#include "limits.h"

bool
hf_event_type_valid(const char *s, size_t len, bool allow_wildcard)
{
	size_t i;

	if (len == 1 && s[0] == '*')
		return allow_wildcard;
	if (len == 0 || len > HF_EVENT_TYPE_MAX_LEN)
		return false;
	for (i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		      c == '-' || c == ':'))
			return false;
	}
	return true;
}

bool
hf_url_valid(const char *url, const char **why)
{
	size_t len = strlen(url), i;
	const char *host;

	if (len > HF_URL_MAX_LEN) {
		*why = "URL is too long";
		return false;
	}
	if (strncasecmp(url, "http://", 7) == 0)
		host = url + 7;
	else if (strncasecmp(url, "https://", 8) == 0)
		host = url + 8;
	else {
		*why = "URL must start with http:// or https://";
		return false;
	}
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)url[i];

		if (c <= ' ' || c == 0x7f) {
			*why = "URL contains a space or control character";
			return false;
		}
	}
	if (*host == '\0' || *host == '/' || *host == ':' || *host == '?' ||
	    *host == '#' || *host == '@') {
		*why = "URL has no host";
		return false;
	}
	return true;
}

bool
hf_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < len) {
		unsigned char c = p[i];
		size_t need, k;
		unsigned int cp;

		if (c == 0)
			return false;
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			need = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			need = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			need = 3;
			cp = c & 0x07;
		} else {
			return false;
		}
		for (k = 1; k <= need; k++) {
			if (i + k >= len || (p[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (p[i + k] & 0x3f);
		}
		/* Overlong forms, surrogates and values past U+10FFFF. */
		if ((need == 2 && cp < 0x800) || (need == 3 && cp < 0x10000) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			return false;
		i += need + 1;
	}
	return true;
}

bool
hf_name_valid(const char *s)
{
	size_t len = strlen(s), i;

	if (len == 0 || len > HF_NAME_MAX_LEN || !hf_utf8_valid(s, len))
		return false;
	for (i = 0; i < len; i++) {
		if ((unsigned char)s[i] < ' ' || s[i] == 0x7f)
			return false;
	}
	return true;
}
