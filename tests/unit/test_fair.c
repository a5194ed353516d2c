/* The fair-share rules of the claim (src/fair.c). */
#include <stdio.h>

#include "fair.h"
#include "limits.h"
#include "tap.h"

/* take[] as "a,b,c" for the messages. */
static const char *
shares(const unsigned int *take, size_t n)
{
	static char buf[256];
	size_t i, len = 0;

	buf[0] = '\0';
	for (i = 0; i < n && len < sizeof(buf) - 16; i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%u",
					i ? "," : "", take[i]);
	return buf;
}

int
main(void)
{
	unsigned int take[8];

	is_int(hf_fair_cap(8, false), 8, "a healthy endpoint keeps its cap");
	is_int(hf_fair_cap(8, true), 2, "a failing one keeps a quarter");
	is_int(hf_fair_cap(3, true), 1, "but never less than 1");
	is_int(hf_fair_cap(1, true), 1, "a cap of 1 stays 1 while failing");
	is_int(hf_fair_cap(0, false), HF_SWEEP_CONCURRENCY_MAX, "0 is unlimited");
	is_int(hf_fair_cap(0, true), HF_SWEEP_CONCURRENCY_MAX / 4,
	       "unlimited, failing: a quarter of the most a sweep runs");
	is_int(hf_fair_slots(8, 0, 0), 8, "alone: every slot");
	is_int(hf_fair_slots(8, 8, 1), 0, "all held by another: none");
	is_int(hf_fair_slots(8, 0, 1), 4, "one other waits: half");
	is_int(hf_fair_slots(8, 4, 1), 4, "the other holds its half: the rest");
	is_int(hf_fair_slots(8, 6, 1), 2, "never more than is free");
	is_int(hf_fair_slots(8, 3, 3), 2, "four sweeps: a quarter each");
	is_int(hf_fair_slots(2, 1, 5), 1, "more sweeps than slots: one, while one is free");
	is_int(hf_fair_slots(2, 2, 5), 0, "and none when none is");
	is_int(hf_fair_depth(8, false), 8 * HF_CLAIM_DEPTH_PER_SLOT,
	       "a healthy endpoint is claimed deep enough to keep its slots busy");
	is_int(hf_fair_depth(2, true), 2, "a failing one no deeper than its slots");
	is_int(hf_fair_depth(0, false), 0, "no slot, nothing claimed");

	{
		/* One endpoint with a backlog cannot crowd out the others. */
		const unsigned int limit[] = { 256, 256, 256 };

		is_int(hf_fair_shares(limit, 3, 10, take), 10, "room 10 over three: all used");
		is_str(shares(take, 3), "4,3,3", "one round each, the extra to the oldest");
	}
	{
		const unsigned int limit[] = { 1000, 1 };

		is_int(hf_fair_shares(limit, 2, 200, take), 200, "room 200");
		is_str(shares(take, 2), "199,1", "the small one gets its one, the big the rest");
	}
	{
		const unsigned int limit[] = { 5, 0, 2, 100 };

		is_int(hf_fair_shares(limit, 4, 1000, take), 107, "more room than work: all of it");
		is_str(shares(take, 4), "5,0,2,100", "each takes its limit, 0 takes none");
	}
	{
		const unsigned int limit[] = { 3, 3, 3 };

		is_int(hf_fair_shares(limit, 3, 2, take), 2, "less room than endpoints");
		is_str(shares(take, 3), "1,1,0", "the oldest first");
	}
	{
		const unsigned int limit[] = { 7, 2, 9 };

		is_int(hf_fair_shares(limit, 3, 14, take), 14, "levels rise past a small limit");
		is_str(shares(take, 3), "6,2,6", "the room left shared by the two still open");
	}
	is_int(hf_fair_shares(take, 0, 100, take), 0, "no endpoint: nothing");
	{
		const unsigned int limit[] = { 4 };

		is_int(hf_fair_shares(limit, 1, 0, take), 0, "no room: nothing");
		is_int(take[0], 0, "and a share of 0");
	}
	return tap_done();
}
