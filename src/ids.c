/* Time-ordered prefixed ids; see ids.h. */
#include "ids.h"

#include <string.h>
#include <time.h>

#include "crypto.h"

static const char base32[] = "0123456789abcdefghjkmnpqrstvwxyz";

void
hf_id_format(char *out, const char *prefix, uint64_t unix_ms,
	     const unsigned char random10[10])
{
	unsigned char raw[16];
	size_t plen = strlen(prefix), i;
	unsigned int bit;

	for (i = 0; i < 6; i++)
		raw[i] = (unsigned char)(unix_ms >> (8 * (5 - i)));
	memcpy(raw + 6, random10, 10);
	memcpy(out, prefix, plen);
	out[plen] = '_';
	/* 128 bits as 26 five-bit groups, the first group padded on the left. */
	for (i = 0; i < HF_ID_BODY_LEN; i++) {
		unsigned int value = 0, b;

		for (b = 0; b < 5; b++) {
			bit = (unsigned int)(i * 5 + b);
			value <<= 1;
			if (bit >= 2) {	/* 130 bit slots, 2 padding bits */
				unsigned int real = bit - 2;

				value |= (raw[real / 8] >> (7 - real % 8)) & 1u;
			}
		}
		out[plen + 1 + i] = base32[value];
	}
	out[plen + 1 + HF_ID_BODY_LEN] = '\0';
}

uint64_t
hf_unix_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

enum hf_result
hf_id_new(char *out, const char *prefix)
{
	unsigned char random10[10];

	if (hf_random_bytes(random10, sizeof(random10)) != HF_OK)
		return HF_ERR_IO;
	hf_id_format(out, prefix, hf_unix_ms(), random10);
	return HF_OK;
}

void
hf_id_floor(char *out, const char *prefix, uint64_t unix_ms)
{
	static const unsigned char zeros[10] = { 0 };

	hf_id_format(out, prefix, unix_ms, zeros);
}

static bool
body_valid(const char *body)
{
	size_t i;

	for (i = 0; i < HF_ID_BODY_LEN; i++) {
		if (body[i] == '\0' || strchr(base32, body[i]) == NULL)
			return false;
	}
	return body[HF_ID_BODY_LEN] == '\0';
}

bool
hf_id_valid(const char *id, const char *prefix)
{
	size_t plen = strlen(prefix);

	return strncmp(id, prefix, plen) == 0 && id[plen] == '_' &&
	       body_valid(id + plen + 1);
}

bool
hf_id_plausible(const char *s)
{
	size_t i;

	for (i = 0; i < 5 && s[i] >= 'a' && s[i] <= 'z'; i++)
		;
	return i >= 1 && i <= 4 && s[i] == '_' && body_valid(s + i + 1);
}
