/* Bounded decimal parsing; see strparse.h. */
#include "strparse.h"

enum hf_result
strparse_long(const char **p, long min, long max, long *out)
{
	const char *s = *p;
	long value = 0;

	if (*s < '0' || *s > '9')
		return HF_ERR_INVALID;
	while (*s >= '0' && *s <= '9') {
		int digit = *s - '0';

		if (value > (max - digit) / 10)
			return HF_ERR_INVALID;
		value = value * 10 + digit;
		s++;
	}
	if (value < min)
		return HF_ERR_INVALID;
	*out = value;
	*p = s;
	return HF_OK;
}

int
strparse_hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}
