/* Unit tests of src/ids.c: format, validity, time order, floors. */
#include <string.h>
#include <unistd.h>

#include "ids.h"
#include "tap.h"

int
main(void)
{
	static const unsigned char zeros[10] = { 0 };
	static const unsigned char ones[10] = { 0xff, 0xff, 0xff, 0xff, 0xff,
						0xff, 0xff, 0xff, 0xff, 0xff };
	char a[HF_ID_MAX_LEN + 1], b[HF_ID_MAX_LEN + 1];
	int i, ordered = 1, unique = 1;

	hf_id_format(a, "msg", 0, zeros);
	is_str(a, "msg_00000000000000000000000000", "all-zero id");
	hf_id_format(a, "msg", 0xffffffffffffULL, ones);
	is_str(a, "msg_7zzzzzzzzzzzzzzzzzzzzzzzzz", "all-ones id");
	hf_id_format(a, "ep", 1, zeros);
	is_str(a, "ep_0000000001" "0000000000000000", "time is the leading bits");
	is_int((long long)strlen(a), 3 + HF_ID_BODY_LEN, "length");

	hf_id_format(a, "del", 1000, ones);
	hf_id_format(b, "del", 1001, zeros);
	ok(strcmp(a, b) < 0, "a later millisecond sorts later whatever the random part");

	/* hf_id_floor: the bound "made before" compares ids against. */
	hf_id_floor(a, "msg", 0);
	is_str(a, "msg_00000000000000000000000000", "floor of the epoch");
	hf_id_floor(a, "msg", 1700000000000ULL);
	is_str(a, "msg_01hf7yat00" "0000000000000000",
	       "floor of 2023-11-14T22:13:20Z (as bench.py's id_bound spells it)");
	hf_id_format(b, "msg", 1700000000000ULL, zeros);
	is_str(a, b, "the floor is the id of that millisecond with no random bits");
	hf_id_format(b, "msg", 1700000000000ULL - 1, ones);
	ok(strcmp(b, a) < 0, "the last id of the millisecond before sorts below the floor");
	hf_id_format(b, "msg", 1700000000000ULL, ones);
	ok(strcmp(b, a) > 0, "an id of that millisecond sorts at or above it");
	hf_id_format(b, "msg", 1700000000001ULL, zeros);
	ok(strcmp(b, a) > 0, "an id of a later millisecond sorts above it");

	is_int(hf_id_new(a, "ws"), HF_OK, "new id");
	ok(hf_id_valid(a, "ws"), "new id is valid");
	ok(!hf_id_valid(a, "ep"), "wrong prefix is not valid");
	ok(hf_id_plausible(a), "new id is plausible");
	ok(!hf_id_plausible("ws_short"), "short body rejected");
	ok(!hf_id_plausible("ws_0000000000000000000000000U"), "non-base32 rejected");
	ok(!hf_id_plausible("ws_000000000000000000000000000"), "long body rejected");
	ok(!hf_id_plausible("toolong_00000000000000000000000000"), "long prefix rejected");
	ok(!hf_id_plausible(""), "empty rejected");

	for (i = 0; i < 1000; i++) {
		hf_id_new(b, "msg");
		if (i > 0 && strcmp(a, b) == 0)
			unique = 0;
		if (i > 0 && strncmp(a, b, 4 + 10) > 0)
			ordered = 0;
		memcpy(a, b, sizeof(a));
	}
	ok(unique, "1000 ids in a row are distinct");
	ok(ordered, "their time parts never go backwards");
	return tap_done();
}
