/* Retry schedule with jitter, and Retry-After parsing. */
#include <string.h>

#include "retry.h"
#include "tap.h"

static void
check_after(const char *value, time_t now, long want, const char *name)
{
	long got = -1;
	enum hf_result r = hf_retry_after_parse(value, now, &got);

	if (!ok(r == HF_OK && got == want, name))
		printf("#   \"%s\": result %d, got %ld, want %ld\n", value, r, got, want);
}

static void
check_bad(const char *value, const char *name)
{
	long got = -1;

	ok(hf_retry_after_parse(value, 0, &got) == HF_ERR_INVALID, name);
}

int
main(void)
{
	static const int schedule[] = { 5, 300, 1800 };
	/* 1994-11-06 08:49:37 UTC, the RFC 9110 example date. */
	const time_t rfc_date = 784111777;
	long long d, lo = 1LL << 60, hi = -1;
	double u;

	is_int(hf_retry_delay_ms(schedule, 3, 1, 0.5), 5000, "attempt 1: 5 s at mid jitter");
	is_int(hf_retry_delay_ms(schedule, 3, 2, 0.5), 300000, "attempt 2: 300 s");
	is_int(hf_retry_delay_ms(schedule, 3, 3, 0.5), 1800000, "attempt 3: 1800 s");
	is_int(hf_retry_delay_ms(schedule, 3, 4, 0.5), -1, "attempt 4 = entries + 1 was the last");
	is_int(hf_retry_delay_ms(schedule, 3, 9, 0.5), -1, "beyond the last: no retry");
	is_int(hf_retry_delay_ms(schedule, 3, 1, 0.0), 4000, "jitter floor is -20%");
	ok(hf_retry_delay_ms(schedule, 3, 1, 0.999999) < 6000 &&
	   hf_retry_delay_ms(schedule, 3, 1, 0.999999) >= 5999, "jitter ceiling is +20%");
	for (u = 0.0; u < 1.0; u += 0.001) {
		d = hf_retry_delay_ms(schedule, 3, 2, u);
		if (d < lo)
			lo = d;
		if (d > hi)
			hi = d;
	}
	ok(lo == 240000 && hi < 360000 && hi > 359000, "jitter spans [-20%, +20%)");
	is_int(hf_retry_delay_ms(schedule, 3, 1, -3.0), 4000, "unit below 0 clamps");
	is_int(hf_retry_delay_ms(schedule, 3, 1, 7.0) / 1000, 5, "unit above 1 clamps");

	check_after("120", 0, 120, "delta seconds");
	check_after("0", 0, 0, "zero");
	check_after(" 7 ", 0, 7, "spaces around");
	check_after("999999999999999", 0, HF_RETRY_AFTER_MAX_SECONDS, "huge delta clamps");
	check_after("90000", 0, HF_RETRY_AFTER_MAX_SECONDS, "past the maximum clamps");
	check_after("Sun, 06 Nov 1994 08:49:37 GMT", rfc_date - 30, 30, "IMF-fixdate");
	check_after("Sunday, 06-Nov-94 08:49:37 GMT", rfc_date - 30, 30, "RFC 850 date");
	check_after("Sun Nov  6 08:49:37 1994", rfc_date - 30, 30, "asctime date");
	check_after("Sun, 06 Nov 1994 08:49:37 GMT", rfc_date + 100, 0, "date in the past is 0");
	check_after("Sun, 06 Nov 1994 08:49:37 GMT", rfc_date - 10 * 86400,
		    HF_RETRY_AFTER_MAX_SECONDS, "far future date clamps");
	check_after("Thu, 01 Jan 1970 00:00:10 GMT", 0, 10, "epoch arithmetic");
	check_after("Tue, 29 Feb 2028 12:00:00 GMT", 1835438400 - 60, 60, "leap day");
	check_bad("", "empty");
	check_bad("-5", "negative");
	check_bad("5s", "trailing junk");
	check_bad("1.5", "fraction");
	check_bad("soon", "word");
	check_bad("Sun, 06 Nov 1994 08:49:37 CET", "not GMT");
	check_bad("Sun, 06 Foo 1994 08:49:37 GMT", "bad month");
	check_bad("Sun, 06 Nov 1994 25:49:37 GMT", "bad hour");
	{ long s; ok(hf_retry_after_parse(NULL, 0, &s) == HF_ERR_INVALID, "NULL"); }

	is_int(hf_retry_combine_ms(5000, -1), 5000, "no Retry-After: schedule");
	is_int(hf_retry_combine_ms(5000, 2), 5000, "shorter Retry-After: schedule");
	is_int(hf_retry_combine_ms(5000, 60), 60000, "longer Retry-After wins");
	is_int(hf_retry_combine_ms(5000, HF_RETRY_AFTER_MAX_SECONDS * 2),
	       (long long)HF_RETRY_AFTER_MAX_SECONDS * 1000, "bounded");
	return tap_done();
}
