/* Standard Webhooks signing; see signature.h. */
#include "signature.h"

#include <stdio.h>
#include <string.h>

#include "crypto.h"

enum hf_result
hf_signature_sign(const char *secret, const char *msg_id, long long timestamp,
		  const char *body, size_t body_len, char *out)
{
	unsigned char key[HF_SECRET_MAX_LEN], mac[32];
	char prefix[HF_ID_MAX_LEN + 32];
	size_t key_len = 0;
	enum hf_result r;
	int n;

	if (strncmp(secret, "whsec_", 6) == 0)
		secret += 6;
	if (strlen(secret) > HF_SECRET_MAX_LEN ||
	    hf_base64_decode(secret, key, &key_len) != HF_OK || key_len == 0)
		return HF_ERR_INVALID;
	n = snprintf(prefix, sizeof(prefix), "%s.%lld.", msg_id, timestamp);
	if (n < 0 || (size_t)n >= sizeof(prefix))
		return HF_ERR_INVALID;
	r = hf_hmac_sha256(key, key_len, prefix, (size_t)n, body, body_len, mac);
	if (r != HF_OK)
		return r;
	memcpy(out, "v1,", 3);
	hf_base64_encode(mac, sizeof(mac), out + 3);
	return HF_OK;
}

enum hf_result
hf_signature_header(const char *secrets, const char *msg_id,
		    long long timestamp, const char *body, size_t body_len,
		    char *out, size_t outlen)
{
	char secret[HF_SECRET_MAX_LEN + 1], signature[HF_SIGNATURE_LEN + 1];
	const char *p = secrets;
	size_t used = 0, n;
	enum hf_result r;

	if (outlen == 0)
		return HF_ERR_LIMIT;
	out[0] = '\0';
	while (*p != '\0') {
		while (*p == ' ')
			p++;
		n = strcspn(p, " ");
		if (n == 0)
			break;
		if (n >= sizeof(secret))
			return HF_ERR_INVALID;
		memcpy(secret, p, n);
		secret[n] = '\0';
		p += n;
		r = hf_signature_sign(secret, msg_id, timestamp, body, body_len,
				      signature);
		if (r != HF_OK)
			return r;
		n = strlen(signature);
		if (used + (used > 0) + n + 1 > outlen)
			return HF_ERR_LIMIT;
		if (used > 0)
			out[used++] = ' ';
		memcpy(out + used, signature, n + 1);
		used += n;
	}
	return used > 0 ? HF_OK : HF_ERR_INVALID;
}
