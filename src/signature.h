/*
 * Standard Webhooks signatures (https://www.standardwebhooks.com/): the
 * receiver gets webhook-id, webhook-timestamp and webhook-signature, where
 * each signature is "v1," + base64(HMAC-SHA256(key, "id.timestamp.body"))
 * and key is the base64-decoded part of the endpoint secret after
 * "whsec_".  While a secret is being rotated every secret still in force
 * signs, and the header carries the signatures space-separated.
 */
#ifndef HF_SIGNATURE_H
#define HF_SIGNATURE_H

#include <stddef.h>

#include "limits.h"
#include "result.h"

/* "v1," + 44 characters of base64 of 32 bytes. */
#define HF_SIGNATURE_LEN (3 + 44)

/* Room for the header value with HF_SECRETS_PER_ENDPOINT_MAX signatures. */
#define HF_SIGNATURE_HEADER_MAX \
	(HF_SECRETS_PER_ENDPOINT_MAX * (HF_SIGNATURE_LEN + 1))

/*
 * Sign one message with one secret ("whsec_..." or bare base64) into out
 * (HF_SIGNATURE_LEN + 1 bytes).  HF_ERR_INVALID when the secret does not
 * decode.
 */
enum hf_result hf_signature_sign(const char *secret, const char *msg_id,
				 long long timestamp, const char *body,
				 size_t body_len, char *out);

/*
 * The webhook-signature header value: one signature per secret in the
 * space-separated list secrets, in that order, into out (outlen bytes,
 * HF_SIGNATURE_HEADER_MAX is enough).  Secrets beyond what fits, and
 * secrets that do not decode, are an error: a partial header would make a
 * receiver that only knows the new secret reject the message.
 */
enum hf_result hf_signature_header(const char *secrets, const char *msg_id,
				   long long timestamp, const char *body,
				   size_t body_len, char *out, size_t outlen);

#endif
