/* ISO 8601 times from users; see iso_time.h. */
#define _DEFAULT_SOURCE		/* timegm */
#include "iso_time.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* n digits at *p into *value; advances *p. */
static bool
take_digits(const char **p, int n, int *value)
{
	int i;

	*value = 0;
	for (i = 0; i < n; i++) {
		if ((*p)[i] < '0' || (*p)[i] > '9')
			return false;
		*value = *value * 10 + ((*p)[i] - '0');
	}
	*p += n;
	return true;
}

static bool
take_char(const char **p, char c)
{
	if (**p != c)
		return false;
	(*p)++;
	return true;
}

bool
hf_iso_time_to_sql(const char *s, char *out)
{
	int year, month, day, hour, minute, second, micros = 0, digits = 0;
	int offset_hours = 0, offset_minutes = 0, sign = 0, v;
	struct tm tm, back;
	time_t t;

	if (!take_digits(&s, 4, &year) || !take_char(&s, '-') ||
	    !take_digits(&s, 2, &month) || !take_char(&s, '-') ||
	    !take_digits(&s, 2, &day) || (*s != 'T' && *s != 't'))
		return false;
	s++;
	if (!take_digits(&s, 2, &hour) || !take_char(&s, ':') ||
	    !take_digits(&s, 2, &minute) || !take_char(&s, ':') ||
	    !take_digits(&s, 2, &second))
		return false;
	if (*s == '.') {
		s++;
		while (*s >= '0' && *s <= '9') {
			if (++digits > 6)
				return false;
			micros = micros * 10 + (*s++ - '0');
		}
		if (digits == 0)
			return false;
		for (v = digits; v < 6; v++)
			micros *= 10;
	}
	if (*s == 'Z' || *s == 'z') {
		s++;
	} else if (*s == '+' || *s == '-') {
		sign = *s++ == '+' ? 1 : -1;
		if (!take_digits(&s, 2, &offset_hours) || !take_char(&s, ':') ||
		    !take_digits(&s, 2, &offset_minutes) || offset_hours > 23 ||
		    offset_minutes > 59)
			return false;
	} else {
		return false;
	}
	if (*s != '\0' || year < 1000 || month < 1 || month > 12 || day < 1 ||
	    hour > 23 || minute > 59 || second > 59)
		return false;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = year - 1900;
	tm.tm_mon = month - 1;
	tm.tm_mday = day;
	tm.tm_hour = hour;
	tm.tm_min = minute;
	tm.tm_sec = second;
	t = timegm(&tm);
	/* timegm normalises 31 February into March: such a date is no date. */
	if (gmtime_r(&t, &back) == NULL || back.tm_mday != day || back.tm_mon != month - 1)
		return false;
	t -= (time_t)sign * (offset_hours * 3600 + offset_minutes * 60);
	if (gmtime_r(&t, &back) == NULL || back.tm_year + 1900 > 9999 ||
	    back.tm_year + 1900 < 1000)
		return false;
	snprintf(out, HF_SQL_TIME_SIZE, "%04d-%02d-%02d %02d:%02d:%02d.%06d",
		 back.tm_year + 1900, back.tm_mon + 1, back.tm_mday, back.tm_hour,
		 back.tm_min, back.tm_sec, micros);
	return true;
}

void
hf_sql_time_from_unix_ms(uint64_t unix_ms, char *out)
{
	time_t seconds = (time_t)(unix_ms / 1000u);
	struct tm tm;

	gmtime_r(&seconds, &tm);
	snprintf(out, HF_SQL_TIME_SIZE, "%04d-%02d-%02d %02d:%02d:%02d.%03u",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec, (unsigned int)(unix_ms % 1000u));
}
