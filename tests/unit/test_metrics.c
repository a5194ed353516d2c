/* The outcome classes, buckets and exposition text of src/metrics.c. */
#include <stdlib.h>
#include <string.h>

#include "metrics.h"
#include "tap.h"

static void
test_classify(void)
{
	ok(hf_metrics_classify(200, NULL) == HF_CLASS_2XX, "200 is 2xx");
	ok(hf_metrics_classify(204, "the body was cut") == HF_CLASS_2XX,
	   "a status wins over an error");
	ok(hf_metrics_classify(301, NULL) == HF_CLASS_3XX, "301 is 3xx");
	ok(hf_metrics_classify(410, NULL) == HF_CLASS_4XX, "410 is 4xx");
	ok(hf_metrics_classify(503, NULL) == HF_CLASS_5XX, "503 is 5xx");
	ok(hf_metrics_classify(101, NULL) == HF_CLASS_1XX, "101 is 1xx");
	ok(hf_metrics_classify(700, NULL) == HF_CLASS_ERROR, "700 is an error");
	ok(hf_metrics_classify(0, "timeout: Operation timed out") == HF_CLASS_TIMEOUT,
	   "timeout");
	ok(hf_metrics_classify(0, "connection failed: refused") == HF_CLASS_CONNECT,
	   "connect");
	ok(hf_metrics_classify(0, "DNS: no such host") == HF_CLASS_DNS, "dns");
	ok(hf_metrics_classify(0, "blocked destination 127.0.0.1: loopback"
			       " (allow_private_targets = no)") == HF_CLASS_BLOCKED,
	   "blocked");
	ok(hf_metrics_classify(0, "the endpoint has no usable signing secret") ==
	   HF_CLASS_ERROR, "anything else is an error");
	ok(hf_metrics_classify(0, NULL) == HF_CLASS_ERROR, "no status, no error");
}

static void
test_buckets(void)
{
	ok(hf_metrics_bucket(0) == 0, "0 ms in the first bucket");
	ok(hf_metrics_bucket(5) == 0, "a bound is in its own bucket (le)");
	ok(hf_metrics_bucket(6) == 1, "just above goes to the next");
	ok(hf_metrics_bucket(30000) == HF_METRICS_BUCKET_COUNT - 2, "the last bound");
	ok(hf_metrics_bucket(30001) == HF_METRICS_BUCKET_COUNT - 1, "+Inf");
}

static void
test_text(void)
{
	struct hf_text t = { 0 };
	const char *labels[] = { "workspace", "a\"b\\c\nd", "le", "+Inf", NULL };
	char *s;

	hf_metrics_family(&t, "hookfan_x_total", "counter", "Things.");
	hf_metrics_sample(&t, "hookfan_x_total", labels, 12345678901.0);
	hf_metrics_sample(&t, "hookfan_x_total", NULL, 0.25);
	s = hf_text_finish(&t);
	is_str(s, "# HELP hookfan_x_total Things.\n# TYPE hookfan_x_total counter\n"
	       "hookfan_x_total{workspace=\"a\\\"b\\\\c\\nd\",le=\"+Inf\"} 12345678901\n"
	       "hookfan_x_total 0.25\n", "family, escaped labels, values");
	free(s);
}

int
main(void)
{
	test_classify();
	test_buckets();
	test_text();
	return tap_done();
}
