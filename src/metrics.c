/* Outcome classes, histogram buckets and exposition text; see metrics.h. */
#include "metrics.h"

#include <string.h>

const char *const hf_outcome_class_names[HF_CLASS_COUNT] = {
	[HF_CLASS_1XX] = "1xx", [HF_CLASS_2XX] = "2xx", [HF_CLASS_3XX] = "3xx",
	[HF_CLASS_4XX] = "4xx", [HF_CLASS_5XX] = "5xx",
	[HF_CLASS_TIMEOUT] = "timeout", [HF_CLASS_CONNECT] = "connect",
	[HF_CLASS_DNS] = "dns", [HF_CLASS_BLOCKED] = "blocked",
	[HF_CLASS_ERROR] = "error",
};

const unsigned int hf_metrics_bucket_ms[HF_METRICS_BUCKET_COUNT - 1] =
	HF_METRICS_BUCKETS_MS;

static int
starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

enum hf_outcome_class
hf_metrics_classify(long status_code, const char *error)
{
	if (status_code >= 100 && status_code <= 599)
		return (enum hf_outcome_class)(HF_CLASS_1XX + status_code / 100 - 1);
	if (status_code > 0 || error == NULL)
		return HF_CLASS_ERROR;
	if (starts_with(error, "blocked destination"))
		return HF_CLASS_BLOCKED;
	if (starts_with(error, "timeout:"))
		return HF_CLASS_TIMEOUT;
	if (starts_with(error, "connection failed:"))
		return HF_CLASS_CONNECT;
	if (starts_with(error, "DNS:"))
		return HF_CLASS_DNS;
	return HF_CLASS_ERROR;
}

unsigned int
hf_metrics_bucket(uint64_t duration_ms)
{
	unsigned int i;

	for (i = 0; i < HF_METRICS_BUCKET_COUNT - 1; i++) {
		if (duration_ms <= hf_metrics_bucket_ms[i])
			return i;
	}
	return HF_METRICS_BUCKET_COUNT - 1;
}

void
hf_metrics_family(struct hf_text *t, const char *name, const char *type,
		  const char *help)
{
	hf_text_printf(t, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A label value as the format escapes it: backslash, quote, newline. */
static void
add_label_value(struct hf_text *t, const char *v)
{
	for (; *v != '\0'; v++) {
		if (*v == '\\' || *v == '"')
			hf_text_add(t, "\\", 1);
		if (*v == '\n')
			hf_text_add(t, "\\n", 2);
		else
			hf_text_add(t, v, 1);
	}
}

void
hf_metrics_sample(struct hf_text *t, const char *name,
		  const char *const *labels, double value)
{
	size_t i;

	hf_text_add(t, name, strlen(name));
	if (labels != NULL && labels[0] != NULL) {
		hf_text_add(t, "{", 1);
		for (i = 0; labels[i] != NULL && labels[i + 1] != NULL; i += 2) {
			if (i > 0)
				hf_text_add(t, ",", 1);
			hf_text_printf(t, "%s=\"", labels[i]);
			add_label_value(t, labels[i + 1]);
			hf_text_add(t, "\"", 1);
		}
		hf_text_add(t, "}", 1);
	}
	/* Whole numbers as integers: counters read exactly at any size. */
	if (value > -9e15 && value < 9e15 && value == (double)(long long)value)
		hf_text_printf(t, " %.0f\n", value);
	else
		hf_text_printf(t, " %.6g\n", value);
}
