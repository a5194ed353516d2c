/*
 * A minimal TAP producer for C unit tests (lighttpd's src/t/ style: the
 * test file #includes the module's header and checks values).
 *
 *	ok(cond, "name");  is_int(got, want, "name");  is_str(got, want, "name");
 *	return tap_done();
 *
 * The plan is printed at the end ("1..N"), which TAP allows.
 */
#ifndef HF_TAP_H
#define HF_TAP_H

#include <stdio.h>
#include <string.h>

static int tap_count, tap_failed;

static inline int
ok(int cond, const char *name)
{
	tap_count++;
	if (!cond)
		tap_failed++;
	printf("%sok %d - %s\n", cond ? "" : "not ", tap_count, name);
	return cond;
}

static inline int
is_int(long long got, long long want, const char *name)
{
	if (!ok(got == want, name))
		printf("#   got %lld, want %lld\n", got, want);
	return got == want;
}

static inline int
is_str(const char *got, const char *want, const char *name)
{
	int same = got != NULL && want != NULL ? strcmp(got, want) == 0 : got == want;

	if (!ok(same, name))
		printf("#   got \"%s\", want \"%s\"\n", got ? got : "(null)",
		       want ? want : "(null)");
	return same;
}

static inline int
tap_done(void)
{
	printf("1..%d\n", tap_count);
	return tap_failed == 0 ? 0 : 1;
}

#endif
