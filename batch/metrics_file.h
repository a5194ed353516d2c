/*
 * hookfan-sweep --metrics-file: one run's figures in Prometheus text
 * format for node_exporter's textfile collector, written whole to a
 * temporary file of its own beside FILE and renamed over FILE, so the
 * collector never reads half.
 */
#ifndef HF_BATCH_METRICS_FILE_H
#define HF_BATCH_METRICS_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "result.h"

/* What one run did.  Strings are borrowed. */
struct sweep_figures {
	unsigned long claimed;		/* deliveries claimed to send */
	unsigned long sent;		/* attempts started */
	unsigned long delivered;	/* 2xx */
	unsigned long retried;		/* failed, retry scheduled */
	unsigned long failed;		/* failed for good: the last attempt */
	unsigned long gone;		/* 410: endpoint disabled */
	unsigned long blocked;		/* non-public destination, not contacted */
	unsigned long handed_back;	/* claimed, not started, released */
	unsigned long lost_results;	/* results the database would not take */
	double duration_seconds;
	const char *exit_reason;	/* drained, max_seconds, signal, database */
	int exit_status;
	uint64_t finished_unix_ms;
};

enum hf_result metrics_file_write(const char *path,
				  const struct sweep_figures *f,
				  char *errstr, size_t errlen);

#endif
