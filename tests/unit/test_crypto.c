/* Unit tests of src/crypto.c against published test vectors. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "crypto.h"
#include "tap.h"

static void
unhex(const char *hex, unsigned char *out)
{
	unsigned int byte;

	for (; hex[0] != '\0'; hex += 2) {
		sscanf(hex, "%2x", &byte);
		*out++ = (unsigned char)byte;
	}
}

/* Whether the 6 bytes of "secret" appear in buf. */
static bool
has_secret(const unsigned char *buf, size_t len)
{
	size_t i;

	for (i = 0; i + 6 <= len; i++)
		if (memcmp(buf + i, "secret", 6) == 0)
			return true;
	return false;
}

static void
aead(void)
{
	unsigned char key[HF_AEAD_KEY_LEN] = { 0 }, other[HF_AEAD_KEY_LEN] = { 1 };
	unsigned char sealed[64], sealed2[64], plain[64];
	size_t len = 0;

	/* GCM spec (McGrew, Viega) test case 14: AES-256, zero key, nonce and
	 * 16 zero bytes; sealed = nonce || ciphertext || tag. */
	memset(sealed, 0, HF_AEAD_NONCE_LEN);
	unhex("cea7403d4d606b6e074ec5d3baf39d18" "d0d1c8a799996bf0265b98b5d48ab919",
	      sealed + HF_AEAD_NONCE_LEN);
	is_int(hf_aead_open(key, "", 0, sealed, 44, plain, &len), HF_OK,
	       "AES-256-GCM test case 14 opens");
	is_int((long long)len, 16, "its length");
	memset(sealed2, 0, 16);
	ok(memcmp(plain, sealed2, 16) == 0, "its plain text");

	is_int(hf_aead_seal(key, "aad", 3, "secret answer", 13, sealed), HF_OK, "seal");
	is_int(hf_aead_seal(key, "aad", 3, "secret answer", 13, sealed2), HF_OK, "seal again");
	ok(memcmp(sealed, sealed2, 13 + HF_AEAD_OVERHEAD) != 0, "a fresh nonce each time");
	ok(!has_secret(sealed, 13 + HF_AEAD_OVERHEAD), "no plain text");
	is_int(hf_aead_open(key, "aad", 3, sealed, 13 + HF_AEAD_OVERHEAD, plain, &len),
	       HF_OK, "opens");
	ok(len == 13 && memcmp(plain, "secret answer", 13) == 0, "the same bytes back");
	is_int(hf_aead_open(other, "aad", 3, sealed, 13 + HF_AEAD_OVERHEAD, plain, &len),
	       HF_ERR_INVALID, "another key refused");
	is_int(hf_aead_open(key, "aae", 3, sealed, 13 + HF_AEAD_OVERHEAD, plain, &len),
	       HF_ERR_INVALID, "other aad refused");
	sealed[HF_AEAD_NONCE_LEN + 2] ^= 1;
	is_int(hf_aead_open(key, "aad", 3, sealed, 13 + HF_AEAD_OVERHEAD, plain, &len),
	       HF_ERR_INVALID, "a changed byte refused");
	is_int(hf_aead_open(key, "aad", 3, sealed, HF_AEAD_OVERHEAD - 1, plain, &len),
	       HF_ERR_INVALID, "too short refused");
	is_int(hf_aead_seal(key, "", 0, "", 0, sealed), HF_OK, "seal empty");
	is_int(hf_aead_open(key, "", 0, sealed, HF_AEAD_OVERHEAD, plain, &len), HF_OK,
	       "open empty");
	is_int((long long)len, 0, "empty back");
}

int
main(void)
{
	char hex[HF_SHA256_HEX_LEN + 1], b64[64];
	unsigned char mac[32], decoded[64], r1[16], r2[16];
	size_t len = 0;

	hf_sha256_hex("abc", 3, hex);
	is_str(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
	       "SHA-256 of abc (FIPS 180-2)");
	hf_sha256_hex("", 0, hex);
	is_str(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	       "SHA-256 of empty");

	/* RFC 4231 test case 2. */
	hf_hmac_sha256((const unsigned char *)"Jefe", 4,
		       "what do ya want for nothing?", 28, "", 0, mac);
	hf_hex_encode(mac, 32, hex);
	is_str(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
	       "HMAC-SHA256 RFC 4231 case 2");
	hf_hmac_sha256((const unsigned char *)"Jefe", 4, "what do ya ", 11,
		       "want for nothing?", 17, mac);
	hf_hex_encode(mac, 32, hex);
	is_str(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
	       "the same text in two parts, the same HMAC");

	hf_base64_encode((const unsigned char *)"foobar", 6, b64);
	is_str(b64, "Zm9vYmFy", "base64 of foobar (RFC 4648)");
	hf_base64_encode((const unsigned char *)"fo", 2, b64);
	is_str(b64, "Zm8=", "base64 with padding");
	is_int(hf_base64_decode("Zm8=", decoded, &len), HF_OK, "decode padded");
	is_int((long long)len, 2, "decoded length drops padding");
	ok(memcmp(decoded, "fo", 2) == 0, "decoded bytes");
	is_int(hf_base64_decode("Zm9vYmFy", decoded, &len), HF_OK, "decode unpadded block");
	is_int((long long)len, 6, "decoded length");
	is_int(hf_base64_decode("Zm9", decoded, &len), HF_ERR_INVALID,
	       "length not a multiple of 4 refused");
	is_int(hf_base64_decode("Zm9*YmFy", decoded, &len), HF_ERR_INVALID,
	       "bad character refused");

	aead();

	hf_random_bytes(r1, sizeof(r1));
	hf_random_bytes(r2, sizeof(r2));
	ok(memcmp(r1, r2, sizeof(r1)) != 0, "two random draws differ");
	return tap_done();
}
