/*
 * The fair-share rules of the claim (fair.h): pure arithmetic.
 */
#include "fair.h"

#include "limits.h"

unsigned int
hf_fair_cap(long max_in_flight, bool failing)
{
	unsigned int cap = max_in_flight <= 0 || max_in_flight > HF_SWEEP_CONCURRENCY_MAX
				   ? HF_SWEEP_CONCURRENCY_MAX
				   : (unsigned int)max_in_flight;

	if (failing) {
		cap /= HF_FAILING_SHARE_DIVISOR;
		if (cap == 0)
			cap = 1;
	}
	return cap;
}

unsigned int
hf_fair_slots(unsigned int cap, unsigned int others, unsigned int sweeps)
{
	unsigned int free_slots = cap > others ? cap - others : 0;
	unsigned int share = cap / (sweeps + 1);

	if (share == 0)
		share = 1;
	return free_slots < share ? free_slots : share;
}

unsigned int
hf_fair_depth(unsigned int slots, bool failing)
{
	return failing ? slots : slots * HF_CLAIM_DEPTH_PER_SLOT;
}

size_t
hf_fair_shares(const unsigned int *limit, size_t n, size_t room,
	       unsigned int *take)
{
	size_t i, total = 0, open = 0, level = 0;

	for (i = 0; i < n; i++) {
		take[i] = 0;
		if (limit[i] > 0)
			open++;
	}
	/*
	 * Whole rounds first: while every endpoint still open can take one
	 * more each, raise the level to the next smallest limit at once
	 * instead of a round at a time (a claim of thousands).
	 */
	while (open > 0 && room - total >= open) {
		size_t next = (size_t)-1, rounds;

		for (i = 0; i < n; i++) {
			if (limit[i] > level && limit[i] < next)
				next = limit[i];
		}
		rounds = next - level;
		if (rounds > (room - total) / open)
			rounds = (room - total) / open;
		level += rounds;
		total = 0;
		open = 0;
		for (i = 0; i < n; i++) {
			take[i] = limit[i] < level ? limit[i] : (unsigned int)level;
			total += take[i];
			if (limit[i] > level)
				open++;
		}
	}
	/* The partial round, in priority order. */
	for (i = 0; i < n && total < room; i++) {
		if (limit[i] > take[i]) {
			take[i]++;
			total++;
		}
	}
	return total;
}
