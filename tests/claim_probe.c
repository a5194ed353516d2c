/*
 * One claim of hookfan-sweep (src/db_claim.c) as a given sweep, for
 * tests/galera_cluster.py:
 *
 *	claim_probe CONFIG HOLDER ENDPOINT HELD
 *
 * claims as the sweep whose slot holder id is HOLDER, which holds HELD
 * claimed deliveries of ENDPOINT, none of them being sent (so with HELD
 * past the claim depth it takes no row and only renews its slots), with
 * room for one delivery.  Prints "result=...", "slots=N" (what the claim
 * granted HOLDER for ENDPOINT) and "claimed=N".  The test holds a lock
 * the claim waits for, to make two claims on two nodes overlap.
 */
#include <stdio.h>
#include <stdlib.h>

#include "config.h"
#include "db.h"
#include "db_claim.h"

int
main(int argc, char **argv)
{
	struct hf_db_limits limits = {
		.connect_seconds = 2, .lock_wait_seconds = 10,
		.statement_seconds = 0, .read_timeout_seconds = 30,
		.account = HF_DB_ACCOUNT_SWEEP,
	};
	struct hf_claim_held held = { .running = 0, .slots = 0 };
	struct hf_claim_request req = { .limit = 1, .lease_ms = 60000 };
	struct hf_sweep_job *jobs = NULL;
	size_t count = 0, claimed = 0, waiting = 0;
	struct hf_config cfg;
	struct hf_db *db;
	char errstr[512];
	enum hf_result r;

	if (argc != 5)
		return 2;
	if (hf_config_load(&cfg, argv[1], false, errstr, sizeof(errstr)) != HF_OK ||
	    hf_db_open(&db, &cfg, &limits, errstr, sizeof(errstr)) != HF_OK) {
		fprintf(stderr, "claim_probe: %s\n", errstr);
		return 1;
	}
	snprintf(held.endpoint_id, sizeof(held.endpoint_id), "%s", argv[3]);
	held.count = (unsigned int)strtoul(argv[4], NULL, 10);
	req.holder = argv[2];
	req.max_in_flight = cfg.max_in_flight_per_endpoint;
	req.held = &held;
	req.nheld = 1;
	errstr[0] = '\0';
	r = hf_sweep_claim(db, &req, &jobs, &count, &claimed, &waiting, errstr,
			   sizeof(errstr));
	printf("result=%s\nslots=%u\nclaimed=%zu\n", hf_result_str(r), held.slots, claimed);
	if (r != HF_OK)
		printf("error=%s\n", errstr);
	hf_sweep_jobs_free(jobs, count);
	hf_db_close(db);
	return r == HF_OK ? 0 : 1;
}
