/*
 * When to try a failed delivery again: the configured retry_schedule with
 * +-20% jitter (so endpoints that failed together do not all come back at
 * the same instant), stretched to honour a Retry-After the receiver sent.
 * Pure functions: the caller supplies the clock and the randomness.
 */
#ifndef HF_RETRY_H
#define HF_RETRY_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "limits.h"
#include "result.h"

/* Jitter applied to every scheduled delay, in percent either way. */
#define HF_RETRY_JITTER_PERCENT 20

/*
 * The delay in milliseconds before the attempt after attempt number
 * attempts_made (1 for the first attempt) failed, or -1 when that was the
 * last attempt (attempts = count + 1).  unit is a random number in [0, 1)
 * that picks the point in the jitter window.
 */
long long hf_retry_delay_ms(const int *schedule, size_t count,
			    unsigned int attempts_made, double unit);

/*
 * Parse a Retry-After header value: delta seconds ("120") or an HTTP date
 * ("Wed, 21 Oct 2015 07:28:00 GMT", also the obsolete RFC 850 and asctime
 * forms), relative to now.  A date in the past is 0.  The result is
 * clamped to HF_RETRY_AFTER_MAX_SECONDS.  HF_ERR_INVALID for anything
 * else.
 */
enum hf_result hf_retry_after_parse(const char *value, time_t now,
				    long *seconds);

/*
 * The delay to use: the scheduled delay, but never sooner than what the
 * receiver asked for with Retry-After (retry_after_s < 0: none given).
 */
long long hf_retry_combine_ms(long long scheduled_ms, long retry_after_s);

#endif
