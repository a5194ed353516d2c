/*
 * Times as users write them in query strings (RFC 3339: ISO 8601 with a
 * date, a time, optional fractions of a second and a zone), turned into
 * the UTC DATETIME text MariaDB compares with hookfan's columns, and a
 * time of hookfan's own written so.  Pure: no database, no clock.
 */
#ifndef HF_ISO_TIME_H
#define HF_ISO_TIME_H

#include <stdbool.h>
#include <stdint.h>

/* "2026-12-01 21:16:07.123456" and its NUL. */
#define HF_SQL_TIME_SIZE 27

/*
 * s as YYYY-MM-DDTHH:MM:SS[.F{1,6}](Z|+HH:MM|-HH:MM) (T and Z in either
 * case) into out (HF_SQL_TIME_SIZE bytes) in UTC; false, out untouched,
 * when it is anything else or names no real instant (31 February).
 */
bool hf_iso_time_to_sql(const char *s, char *out);

/* unix_ms (milliseconds since the epoch) as "YYYY-MM-DD HH:MM:SS.mmm",
 * UTC, into out (HF_SQL_TIME_SIZE bytes). */
void hf_sql_time_from_unix_ms(uint64_t unix_ms, char *out);

#endif
