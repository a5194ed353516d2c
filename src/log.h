/*
 * Logging for the programs (never for the library, which returns errors):
 * one line per event on stderr, which cron mails, systemd journals and the
 * web server's error log keeps.
 */
#ifndef HF_LOG_H
#define HF_LOG_H

enum hf_log_level { HF_LOG_ERROR, HF_LOG_WARN, HF_LOG_INFO, HF_LOG_DEBUG };

/* Set the program name shown on every line and the most verbose level. */
void hf_log_init(const char *program, enum hf_log_level level);

void hf_log(enum hf_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
