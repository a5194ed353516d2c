/* Unit tests for src/iso_time.c and src/delivery_state.c: pure rules. */
#include "delivery_state.h"
#include "iso_time.h"
#include "tap.h"

static void
check(const char *in, const char *want)
{
	char out[HF_SQL_TIME_SIZE] = "untouched";
	bool ok_ = hf_iso_time_to_sql(in, out);

	if (want == NULL) {
		ok(!ok_, in);
		is_str(out, "untouched", "refused input leaves out alone");
	} else {
		ok(ok_, in);
		is_str(out, want, in);
	}
}

int
main(void)
{
	enum hf_delivery_status s;

	check("2026-12-01T21:16:07.123Z", "2026-12-01 21:16:07.123000");
	check("2026-12-01t21:16:07z", "2026-12-01 21:16:07.000000");
	check("2026-12-01T21:16:07.1234567Z", NULL);
	check("2026-12-01T21:16:07.Z", NULL);
	check("2026-12-01T21:16:07.5+01:00", "2026-12-01 20:16:07.500000");
	check("2026-01-01T00:30:00-01:00", "2026-01-01 01:30:00.000000");
	check("2000-01-01T00:00:00+01:00", "1999-12-31 23:00:00.000000");
	check("2024-02-29T00:00:00Z", "2024-02-29 00:00:00.000000");
	check("2026-02-29T00:00:00Z", NULL);
	check("2026-02-31T00:00:00Z", NULL);
	check("2026-13-01T00:00:00Z", NULL);
	check("2026-12-01T24:00:00Z", NULL);
	check("2026-12-01T23:60:00Z", NULL);
	check("2026-12-01T23:59:60Z", NULL);
	check("2026-12-01T21:16:07", NULL);
	check("2026-12-01 21:16:07Z", NULL);
	check("2026-12-01T21:16:07+0100", NULL);
	check("2026-12-01T21:16:07Z ", NULL);
	check("0999-12-01T21:16:07Z", NULL);
	check("yesterday", NULL);
	check("", NULL);

	{
		char t[HF_SQL_TIME_SIZE];

		hf_sql_time_from_unix_ms(0, t);
		is_str(t, "1970-01-01 00:00:00.000", "the epoch");
		hf_sql_time_from_unix_ms(1764710167123ull, t);
		is_str(t, "2025-12-02 21:16:07.123", "milliseconds kept, UTC");
		hf_sql_time_from_unix_ms(1709164800005ull, t);
		is_str(t, "2024-02-29 00:00:00.005", "a leap day, leading zeros");
	}

	ok(hf_delivery_status_parse("sending", &s) && s == HF_DELIVERY_SENDING, "sending");
	ok(hf_delivery_status_parse("paused", &s) && s == HF_DELIVERY_PAUSED, "paused");
	ok(!hf_delivery_status_parse("lost", &s), "unknown status");
	ok(!hf_delivery_status_parse("Pending", &s), "names are lower case");
	is_str(hf_delivery_status_name(HF_DELIVERY_SUCCEEDED), "succeeded", "a name");
	ok(hf_message_status_valid("no_subscribers"), "a message status");
	ok(!hf_message_status_valid("sending"), "not a message status");
	return tap_done();
}
