/* Standard Webhooks signing against the specification's test vector. */
#include <string.h>

#include "signature.h"
#include "tap.h"

/* From the Standard Webhooks reference libraries' test suites. */
#define VECTOR_SECRET "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
#define VECTOR_ID "msg_p5jXN8AQM9LWM0D4loKWxJek"
#define VECTOR_TS 1614265330LL
#define VECTOR_BODY "{\"test\": 2432232314}"
#define VECTOR_SIG "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="

int
main(void)
{
	char sig[HF_SIGNATURE_LEN + 1], header[HF_SIGNATURE_HEADER_MAX];
	char small[HF_SIGNATURE_LEN + 2];

	ok(hf_signature_sign(VECTOR_SECRET, VECTOR_ID, VECTOR_TS, VECTOR_BODY,
			     strlen(VECTOR_BODY), sig) == HF_OK, "sign the vector");
	is_str(sig, VECTOR_SIG, "signature matches the test vector");

	ok(hf_signature_sign(VECTOR_SECRET + 6, VECTOR_ID, VECTOR_TS, VECTOR_BODY,
			     strlen(VECTOR_BODY), sig) == HF_OK, "bare base64 secret");
	is_str(sig, VECTOR_SIG, "whsec_ prefix is optional");

	ok(hf_signature_sign(VECTOR_SECRET, VECTOR_ID, VECTOR_TS + 1, VECTOR_BODY,
			     strlen(VECTOR_BODY), sig) == HF_OK &&
	   strcmp(sig, VECTOR_SIG) != 0, "another timestamp, another signature");
	ok(hf_signature_sign(VECTOR_SECRET, VECTOR_ID, VECTOR_TS, VECTOR_BODY,
			     strlen(VECTOR_BODY) - 1, sig) == HF_OK &&
	   strcmp(sig, VECTOR_SIG) != 0, "another body, another signature");

	ok(hf_signature_sign("whsec_not*base64", VECTOR_ID, VECTOR_TS, "x", 1, sig) ==
	   HF_ERR_INVALID, "undecodable secret refused");
	ok(hf_signature_sign("whsec_", VECTOR_ID, VECTOR_TS, "x", 1, sig) ==
	   HF_ERR_INVALID, "empty secret refused");

	ok(hf_signature_header(VECTOR_SECRET, VECTOR_ID, VECTOR_TS, VECTOR_BODY,
			       strlen(VECTOR_BODY), header, sizeof(header)) == HF_OK,
	   "header with one secret");
	is_str(header, VECTOR_SIG, "one secret, one signature");

	ok(hf_signature_header("whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= " VECTOR_SECRET,
			       VECTOR_ID, VECTOR_TS, VECTOR_BODY, strlen(VECTOR_BODY),
			       header, sizeof(header)) == HF_OK, "header with two secrets");
	ok(strchr(header, ' ') != NULL &&
	   strcmp(strchr(header, ' ') + 1, VECTOR_SIG) == 0 &&
	   strncmp(header, "v1,", 3) == 0 &&
	   strlen(header) == 2 * HF_SIGNATURE_LEN + 1,
	   "two signatures, space-separated, in secret order");

	ok(hf_signature_header("", VECTOR_ID, VECTOR_TS, "x", 1, header,
			       sizeof(header)) == HF_ERR_INVALID, "no secret: error");
	ok(hf_signature_header(VECTOR_SECRET " whsec_!!!!", VECTOR_ID, VECTOR_TS,
			       "x", 1, header, sizeof(header)) == HF_ERR_INVALID,
	   "one bad secret spoils the header");
	ok(hf_signature_header(VECTOR_SECRET " " VECTOR_SECRET, VECTOR_ID, VECTOR_TS,
			       "x", 1, small, sizeof(small)) == HF_ERR_LIMIT,
	   "too small a buffer: error, not truncation");
	return tap_done();
}
