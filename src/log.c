/* stderr logging; see log.h. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

static const char *log_program = "hookfan";
static enum hf_log_level log_level = HF_LOG_INFO;

void
hf_log_init(const char *program, enum hf_log_level level)
{
	log_program = program;
	log_level = level;
}

void
hf_log(enum hf_log_level level, const char *fmt, ...)
{
	static const char *const names[] = { "error", "warning", "info", "debug" };
	char stamp[32], line[2048];
	struct tm tm;
	time_t now;
	va_list ap;

	if (level > log_level)
		return;
	now = time(NULL);
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* One fprintf so concurrent processes don't interleave mid-line. */
	fprintf(stderr, "%s %s[%s]: %s\n", stamp, log_program, names[level], line);
}
