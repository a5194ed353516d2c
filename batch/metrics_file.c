/* The sweep's textfile; see metrics_file.h. */
#include "metrics_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "db_text.h"
#include "limits.h"
#include "metrics.h"

static const char *const exit_reasons[] = {
	"drained", "max_seconds", "signal", "database",
};

static void
one(struct hf_text *t, const char *name, const char *help, double value)
{
	hf_metrics_family(t, name, "gauge", help);
	hf_metrics_sample(t, name, NULL, value);
}

static char *
figures_text(const struct sweep_figures *f)
{
	static const struct { const char *result; size_t offset; } results[] = {
		{ "delivered", offsetof(struct sweep_figures, delivered) },
		{ "retried", offsetof(struct sweep_figures, retried) },
		{ "failed", offsetof(struct sweep_figures, failed) },
		{ "gone", offsetof(struct sweep_figures, gone) },
		{ "blocked", offsetof(struct sweep_figures, blocked) },
		{ "handed_back", offsetof(struct sweep_figures, handed_back) },
		{ "lost", offsetof(struct sweep_figures, lost_results) },
	};
	struct hf_text t = { 0 };
	size_t i;

	one(&t, "hookfan_sweep_claimed_deliveries",
	    "Deliveries the last hookfan-sweep run claimed to send.", (double)f->claimed);
	one(&t, "hookfan_sweep_sent_attempts",
	    "Attempts the last run started.", (double)f->sent);
	hf_metrics_family(&t, "hookfan_sweep_results", "gauge",
			  "What became of the last run's deliveries (blocked: a non-public"
			  " destination, also counted as retried or failed).");
	for (i = 0; i < sizeof(results) / sizeof(results[0]); i++) {
		const char *labels[] = { "result", results[i].result, NULL };

		hf_metrics_sample(&t, "hookfan_sweep_results", labels,
				  (double)*(const unsigned long *)((const char *)f +
								   results[i].offset));
	}
	one(&t, "hookfan_sweep_duration_seconds", "How long the last run took.",
	    f->duration_seconds);
	hf_metrics_family(&t, "hookfan_sweep_exit_reason", "gauge",
			  "Why the last run stopped (1 for its reason).");
	for (i = 0; i < sizeof(exit_reasons) / sizeof(exit_reasons[0]); i++) {
		const char *labels[] = { "reason", exit_reasons[i], NULL };

		hf_metrics_sample(&t, "hookfan_sweep_exit_reason", labels,
				  strcmp(exit_reasons[i], f->exit_reason) == 0 ? 1 : 0);
	}
	one(&t, "hookfan_sweep_exit_status", "The last run's exit status.",
	    (double)f->exit_status);
	one(&t, "hookfan_sweep_last_run_timestamp_seconds",
	    "When the last run ended (Unix time).", (double)(f->finished_unix_ms / 1000));
	return hf_text_finish(&t);
}

/* Every byte of text to fd. */
static int
write_all(int fd, const char *text, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = write(fd, text + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		done += (size_t)n;
	}
	return 0;
}

/*
 * The temporary file is made by mkstemp beside path (so the rename stays
 * in one file system): a name of its own, created with O_EXCL, so two
 * runs at once (a cron line and a timer overlapping) never write into
 * each other's file and a name planted in the folder, a symlink say, is
 * never followed.  The collector reads *.prom alone, so it never sees
 * PATH.XXXXXX half-written.
 */
enum hf_result
metrics_file_write(const char *path, const struct sweep_figures *f,
		   char *errstr, size_t errlen)
{
	char tmp[4096];
	char *text = figures_text(f);
	enum hf_result r = HF_OK;
	int fd;

	if (text == NULL)
		return hf_fail(HF_ERR_NOMEM, errstr, errlen, "out of memory");
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= sizeof(tmp)) {
		free(text);
		return hf_fail(HF_ERR_INVALID, errstr, errlen, "%s: path too long", path);
	}
	fd = mkstemp(tmp);
	if (fd < 0) {
		r = hf_fail(HF_ERR_IO, errstr, errlen, "%s: no temporary file beside it: %s",
			    path, strerror(errno));
		goto out;
	}
	/* Readable by the collector, which runs as another user (mkstemp: 0600). */
	if (fchmod(fd, 0644) != 0 || write_all(fd, text, strlen(text)) != 0 ||
	    fsync(fd) != 0)
		r = hf_fail(HF_ERR_IO, errstr, errlen, "%s: %s", tmp, strerror(errno));
	if (close(fd) != 0 && r == HF_OK)
		r = hf_fail(HF_ERR_IO, errstr, errlen, "%s: %s", tmp, strerror(errno));
	if (r == HF_OK && rename(tmp, path) != 0)
		r = hf_fail(HF_ERR_IO, errstr, errlen, "%s: %s", path, strerror(errno));
	if (r != HF_OK)
		unlink(tmp);
out:
	free(text);
	return r;
}
