/* Retry schedule and Retry-After; see retry.h. */
#include "retry.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "strparse.h"

long long
hf_retry_delay_ms(const int *schedule, size_t count, unsigned int attempts_made,
		  double unit)
{
	long long base_ms, spread_ms;

	if (attempts_made == 0)
		attempts_made = 1;
	if (attempts_made > count)
		return -1;
	if (unit < 0.0)
		unit = 0.0;
	if (unit >= 1.0)
		unit = 0.999999;
	base_ms = (long long)schedule[attempts_made - 1] * 1000;
	spread_ms = base_ms * HF_RETRY_JITTER_PERCENT / 100;
	/* base - spread + unit * 2 * spread: uniform in [-20%, +20%). */
	return base_ms - spread_ms + (long long)(unit * (double)(2 * spread_ms));
}

static const char *const month_names[] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	"Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
};

static int
month_number(const char *s)
{
	int i;

	for (i = 0; i < 12; i++) {
		if (strncasecmp(s, month_names[i], 3) == 0)
			return i;
	}
	return -1;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian; m is 1..12). */
static long long
days_from_civil(long long y, int m, int d)
{
	long long era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* Read exactly `digits` digits (or 1..digits when digits is negative). */
static bool
read_number(const char **p, int digits, long *out)
{
	int max = digits < 0 ? -digits : digits, n = 0;
	long v = 0;

	while (n < max && isdigit((unsigned char)(*p)[n])) {
		v = v * 10 + ((*p)[n] - '0');
		n++;
	}
	if (n == 0 || (digits > 0 && n != digits))
		return false;
	*p += n;
	*out = v;
	return true;
}

static bool
expect(const char **p, char c)
{
	if (**p != c)
		return false;
	(*p)++;
	return true;
}

static bool
read_time(const char **p, long *h, long *mi, long *s)
{
	return read_number(p, 2, h) && expect(p, ':') && read_number(p, 2, mi) &&
	       expect(p, ':') && read_number(p, 2, s) && *h < 24 && *mi < 60 &&
	       *s <= 60;
}

/* Parse the three HTTP date forms of RFC 9110 into Unix seconds. */
static bool
parse_http_date(const char *s, long long *out)
{
	const char *p = s, *comma = strchr(s, ',');
	long day, year, h, mi, sec;
	int month;

	if (comma != NULL) {
		/* IMF-fixdate "Sun, 06 Nov 1994 08:49:37 GMT" or RFC 850
		 * "Sunday, 06-Nov-94 08:49:37 GMT". */
		p = comma + 1;
		if (!expect(&p, ' ') || !read_number(&p, 2, &day))
			return false;
		if (*p == ' ') {
			p++;
			if ((month = month_number(p)) < 0)
				return false;
			p += 3;
			if (!expect(&p, ' ') || !read_number(&p, 4, &year))
				return false;
		} else if (*p == '-') {
			p++;
			if ((month = month_number(p)) < 0)
				return false;
			p += 3;
			if (!expect(&p, '-') || !read_number(&p, 2, &year))
				return false;
			year += year < 70 ? 2000 : 1900;
		} else {
			return false;
		}
		if (!expect(&p, ' ') || !read_time(&p, &h, &mi, &sec) ||
		    strcmp(p, " GMT") != 0)
			return false;
	} else {
		/* asctime "Sun Nov  6 08:49:37 1994". */
		if (strlen(p) < 4 || p[3] != ' ')
			return false;
		p += 4;
		if ((month = month_number(p)) < 0)
			return false;
		p += 3;
		if (!expect(&p, ' '))
			return false;
		if (*p == ' ')
			p++;
		if (!read_number(&p, -2, &day) || !expect(&p, ' ') ||
		    !read_time(&p, &h, &mi, &sec) || !expect(&p, ' ') ||
		    !read_number(&p, 4, &year) || *p != '\0')
			return false;
	}
	if (day < 1 || day > 31)
		return false;
	*out = days_from_civil(year, month + 1, (int)day) * 86400 + h * 3600 +
	       mi * 60 + sec;
	return true;
}

enum hf_result
hf_retry_after_parse(const char *value, time_t now, long *seconds)
{
	char text[64];
	const char *p;
	size_t len;
	long long when;
	long delta;

	if (value == NULL)
		return HF_ERR_INVALID;
	while (*value == ' ' || *value == '\t')
		value++;
	len = strlen(value);
	while (len > 0 && (value[len - 1] == ' ' || value[len - 1] == '\t' ||
			   value[len - 1] == '\r' || value[len - 1] == '\n'))
		len--;
	if (len == 0 || len >= sizeof(text))
		return HF_ERR_INVALID;
	memcpy(text, value, len);
	text[len] = '\0';
	if (isdigit((unsigned char)text[0])) {
		size_t digits = strspn(text, "0123456789");

		if (digits != len)
			return HF_ERR_INVALID;
		/* Longer than any sane delay: clamp rather than overflow. */
		if (digits > 9) {
			*seconds = HF_RETRY_AFTER_MAX_SECONDS;
			return HF_OK;
		}
		p = text;
		if (strparse_long(&p, 0, 999999999L, &delta) != HF_OK)
			return HF_ERR_INVALID;
		*seconds = delta > HF_RETRY_AFTER_MAX_SECONDS
				   ? HF_RETRY_AFTER_MAX_SECONDS
				   : delta;
		return HF_OK;
	}
	if (!parse_http_date(text, &when))
		return HF_ERR_INVALID;
	if (when <= (long long)now)
		*seconds = 0;
	else if (when - (long long)now > HF_RETRY_AFTER_MAX_SECONDS)
		*seconds = HF_RETRY_AFTER_MAX_SECONDS;
	else
		*seconds = (long)(when - (long long)now);
	return HF_OK;
}

long long
hf_retry_combine_ms(long long scheduled_ms, long retry_after_s)
{
	long long asked_ms;

	if (retry_after_s < 0)
		return scheduled_ms;
	if (retry_after_s > HF_RETRY_AFTER_MAX_SECONDS)
		retry_after_s = HF_RETRY_AFTER_MAX_SECONDS;
	asked_ms = (long long)retry_after_s * 1000;
	return asked_ms > scheduled_ms ? asked_ms : scheduled_ms;
}
