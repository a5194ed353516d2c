/* libcrypto wrappers; see crypto.h. */
#include "crypto.h"

#include <pthread.h>
#include <string.h>
#include <sys/random.h>
#include <errno.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

enum hf_result
hf_random_bytes(unsigned char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = getrandom(buf, len, 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return HF_ERR_IO;
		}
		buf += n;
		len -= (size_t)n;
	}
	return HF_OK;
}

void
hf_hex_encode(const unsigned char *in, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * len] = '\0';
}

void
hf_sha256_hex(const void *data, size_t len, char *out)
{
	unsigned char digest[SHA256_DIGEST_LENGTH];

	SHA256(data, len, digest);
	hf_hex_encode(digest, sizeof(digest), out);
}

size_t
hf_base64_encode(const unsigned char *in, size_t len, char *out)
{
	/* EVP_EncodeBlock writes no newlines and NUL-terminates. */
	return (size_t)EVP_EncodeBlock((unsigned char *)out, in, (int)len);
}

enum hf_result
hf_base64_decode(const char *in, unsigned char *out, size_t *outlen)
{
	size_t len = strlen(in);
	int n;

	if (len == 0 || len % 4 != 0)
		return HF_ERR_INVALID;
	n = EVP_DecodeBlock(out, (const unsigned char *)in, (int)len);
	if (n < 0)
		return HF_ERR_INVALID;
	/* EVP_DecodeBlock counts padding as zero bytes: take them back off. */
	if (in[len - 1] == '=')
		n--;
	if (in[len - 2] == '=')
		n--;
	*outlen = (size_t)n;
	return HF_OK;
}

/* Fetched once per process: the lookup costs more than a short HMAC. */
static EVP_MAC *hmac;
static pthread_once_t hmac_once = PTHREAD_ONCE_INIT;

static void
fetch_hmac(void)
{
	hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
}

enum hf_result
hf_hmac_sha256(const unsigned char *key, size_t keylen, const void *head,
	       size_t head_len, const void *tail, size_t tail_len,
	       unsigned char mac[32])
{
	OSSL_PARAM params[2];
	EVP_MAC_CTX *ctx;
	size_t mac_len = 0;
	int ok;

	pthread_once(&hmac_once, fetch_hmac);
	if (hmac == NULL)
		return HF_ERR_INVALID;
	ctx = EVP_MAC_CTX_new(hmac);
	if (ctx == NULL)
		return HF_ERR_NOMEM;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
						     (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	ok = EVP_MAC_init(ctx, key, keylen, params) &&
	     EVP_MAC_update(ctx, head, head_len) &&
	     EVP_MAC_update(ctx, tail, tail_len) &&
	     EVP_MAC_final(ctx, mac, &mac_len, 32) && mac_len == 32;
	EVP_MAC_CTX_free(ctx);
	return ok ? HF_OK : HF_ERR_INVALID;
}

enum hf_result
hf_aead_seal(const unsigned char key[HF_AEAD_KEY_LEN], const void *aad,
	     size_t aad_len, const void *in, size_t len, unsigned char *out)
{
	unsigned char *nonce = out, *text = out + HF_AEAD_NONCE_LEN;
	EVP_CIPHER_CTX *ctx;
	enum hf_result r;
	int n = 0, ok;

	if (len > HF_AEAD_MAX_LEN || aad_len > HF_AEAD_MAX_LEN)
		return HF_ERR_INVALID;
	r = hf_random_bytes(nonce, HF_AEAD_NONCE_LEN);
	if (r != HF_OK)
		return r;
	ctx = EVP_CIPHER_CTX_new();
	if (ctx == NULL)
		return HF_ERR_NOMEM;
	/* The default GCM nonce length is 12 bytes, the one used here. */
	ok = EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, key, nonce) &&
	     EVP_EncryptUpdate(ctx, NULL, &n, aad, (int)aad_len) &&
	     EVP_EncryptUpdate(ctx, text, &n, in, (int)len) &&
	     EVP_EncryptFinal_ex(ctx, text + n, &n) &&
	     EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, HF_AEAD_TAG_LEN,
				 text + len);
	EVP_CIPHER_CTX_free(ctx);
	return ok ? HF_OK : HF_ERR_INVALID;
}

enum hf_result
hf_aead_open(const unsigned char key[HF_AEAD_KEY_LEN], const void *aad,
	     size_t aad_len, const unsigned char *in, size_t len,
	     unsigned char *out, size_t *outlen)
{
	unsigned char tag[HF_AEAD_TAG_LEN];
	EVP_CIPHER_CTX *ctx;
	size_t text_len;
	int n = 0, ok;

	if (len < HF_AEAD_OVERHEAD || len > HF_AEAD_MAX_LEN + HF_AEAD_OVERHEAD ||
	    aad_len > HF_AEAD_MAX_LEN)
		return HF_ERR_INVALID;
	text_len = len - HF_AEAD_OVERHEAD;
	/* The control call takes a non-const buffer. */
	memcpy(tag, in + HF_AEAD_NONCE_LEN + text_len, sizeof(tag));
	ctx = EVP_CIPHER_CTX_new();
	if (ctx == NULL)
		return HF_ERR_NOMEM;
	ok = EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, key, in) &&
	     EVP_DecryptUpdate(ctx, NULL, &n, aad, (int)aad_len) &&
	     EVP_DecryptUpdate(ctx, out, &n, in + HF_AEAD_NONCE_LEN,
			       (int)text_len) &&
	     EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, HF_AEAD_TAG_LEN, tag) &&
	     EVP_DecryptFinal_ex(ctx, out + n, &n) > 0;
	EVP_CIPHER_CTX_free(ctx);
	if (!ok)
		return HF_ERR_INVALID;
	*outlen = text_len;
	return HF_OK;
}
