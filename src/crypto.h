/*
 * The few cryptographic primitives hookfan needs, over OpenSSL's libcrypto:
 * random bytes, SHA-256 (for API key hashes), HMAC-SHA256 (for signatures),
 * base64 and AES-256-GCM (for the Idempotency-Key answers kept encrypted).
 */
#ifndef HF_CRYPTO_H
#define HF_CRYPTO_H

#include <stddef.h>

#include "result.h"

#define HF_SHA256_HEX_LEN 64

/* Fill buf with len bytes from the OS's CSPRNG. */
enum hf_result hf_random_bytes(unsigned char *buf, size_t len);

/* Lowercase hex of SHA-256(data); out holds HF_SHA256_HEX_LEN + 1 bytes. */
void hf_sha256_hex(const void *data, size_t len, char *out);

/* Lowercase hex of len bytes; out holds 2 * len + 1 bytes. */
void hf_hex_encode(const unsigned char *in, size_t len, char *out);

/* Standard base64 with padding; out holds 4 * ((len + 2) / 3) + 1 bytes. */
size_t hf_base64_encode(const unsigned char *in, size_t len, char *out);

/*
 * Decode standard base64 (padding required) into out, which holds at least
 * 3 * (strlen(in) / 4) bytes; *outlen receives the decoded length.
 */
enum hf_result hf_base64_decode(const char *in, unsigned char *out,
				size_t *outlen);

/*
 * HMAC-SHA256 under key of head followed by tail (either may be empty)
 * into mac[32]: a signed text made of a short prefix and a large body
 * needs no copy joining them.
 */
enum hf_result hf_hmac_sha256(const unsigned char *key, size_t keylen,
			      const void *head, size_t head_len,
			      const void *tail, size_t tail_len,
			      unsigned char mac[32]);

/*
 * AES-256-GCM with a random 12-byte nonce: a sealed text is
 * nonce || ciphertext || tag, HF_AEAD_OVERHEAD bytes longer than the
 * plain text, and aad is authenticated with it.
 */
#define HF_AEAD_KEY_LEN 32
#define HF_AEAD_NONCE_LEN 12
#define HF_AEAD_TAG_LEN 16
#define HF_AEAD_OVERHEAD (HF_AEAD_NONCE_LEN + HF_AEAD_TAG_LEN)
/* EVP counts in int: a longer text (or aad) is refused, HF_ERR_INVALID. */
#define HF_AEAD_MAX_LEN ((size_t)1 << 30)

/* Seal len bytes of in into out (len + HF_AEAD_OVERHEAD bytes). */
enum hf_result hf_aead_seal(const unsigned char key[HF_AEAD_KEY_LEN],
			    const void *aad, size_t aad_len,
			    const void *in, size_t len, unsigned char *out);

/*
 * Open a sealed text of len bytes into out (len - HF_AEAD_OVERHEAD bytes;
 * *outlen receives it): HF_ERR_INVALID when it is too short, or the key,
 * aad or any byte is not the one it was sealed with.
 */
enum hf_result hf_aead_open(const unsigned char key[HF_AEAD_KEY_LEN],
			    const void *aad, size_t aad_len,
			    const unsigned char *in, size_t len,
			    unsigned char *out, size_t *outlen);

#endif
