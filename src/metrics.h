/*
 * What hookfan counts for Prometheus, decided without the database: the
 * outcome class of an attempt, the duration histogram's buckets, and the
 * text exposition format (version 0.0.4) that GET /metrics and
 * hookfan-sweep --metrics-file write.
 */
#ifndef HF_METRICS_H
#define HF_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "db_text.h"

/*
 * The classes an attempt ends in: its HTTP status class when a response
 * came, else why none came.  The names are the values of the outcome
 * label and of attempt_counters.outcome.
 */
enum hf_outcome_class {
	HF_CLASS_1XX, HF_CLASS_2XX, HF_CLASS_3XX, HF_CLASS_4XX, HF_CLASS_5XX,
	HF_CLASS_TIMEOUT,	/* no answer within delivery_timeout_ms */
	HF_CLASS_CONNECT,	/* refused, unreachable, connect timeout */
	HF_CLASS_DNS,		/* the host name did not resolve */
	HF_CLASS_BLOCKED,	/* a non-public address, not contacted */
	HF_CLASS_ERROR,		/* anything else (TLS, no signing secret...) */
	HF_CLASS_COUNT
};

extern const char *const hf_outcome_class_names[HF_CLASS_COUNT];

/*
 * The class of an attempt from what the sweep records of it: status_code
 * (0: no response) and error (NULL, or the transport's text, whose
 * prefixes "blocked destination", "timeout:", "connection failed:" and
 * "DNS:" name the cause).  A status code wins over an error: the status
 * line is what the endpoint answered.
 */
enum hf_outcome_class hf_metrics_classify(long status_code, const char *error);

/* The histogram's upper bounds in milliseconds; a last bucket is +Inf. */
#define HF_METRICS_BUCKETS_MS \
	{ 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000 }
#define HF_METRICS_BUCKET_COUNT 13	/* the bounds above, and +Inf */

extern const unsigned int hf_metrics_bucket_ms[HF_METRICS_BUCKET_COUNT - 1];

/* The index of the first bucket whose bound is at least duration_ms. */
unsigned int hf_metrics_bucket(uint64_t duration_ms);

/*
 * Exposition text, appended to t (db_text.h: out of memory is reported
 * once by hf_text_finish).  A family is its "# HELP" and "# TYPE" lines;
 * a sample is "name{labels} value" where labels is NULL or pairs of
 * name and value, ended by NULL, values escaped as the format asks.
 */
void hf_metrics_family(struct hf_text *t, const char *name, const char *type,
		       const char *help);
void hf_metrics_sample(struct hf_text *t, const char *name,
		       const char *const *labels, double value);

#endif
