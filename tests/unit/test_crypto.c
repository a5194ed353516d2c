/* Unit tests of src/crypto.c against published test vectors. */
#include <string.h>

#include "crypto.h"
#include "tap.h"

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

	hf_random_bytes(r1, sizeof(r1));
	hf_random_bytes(r2, sizeof(r2));
	ok(memcmp(r1, r2, sizeof(r1)) != 0, "two random draws differ");
	return tap_done();
}
