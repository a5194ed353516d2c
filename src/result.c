/* Result codes and the helper that fills an errstr. */
#include "result.h"

#include <stdarg.h>
#include <stdio.h>

const char *
hf_result_str(enum hf_result r)
{
	switch (r) {
	case HF_OK: return "ok";
	case HF_ERR_NOMEM: return "out of memory";
	case HF_ERR_INVALID: return "invalid input";
	case HF_ERR_NOT_FOUND: return "not found";
	case HF_ERR_CONFLICT: return "already exists";
	case HF_ERR_LIMIT: return "limit exceeded";
	case HF_ERR_IO: return "i/o error";
	case HF_ERR_DB: return "database error";
	case HF_ERR_DB_GONE: return "database unavailable";
	case HF_ERR_DB_RETRY: return "database busy";
	case HF_ERR_DB_COMMIT_LOST: return "database connection lost during commit";
	case HF_ERR_TIMEOUT: return "timed out";
	case HF_ERR_REFUSED: return "refused";
	}
	return "unknown error";
}

enum hf_result
hf_fail(enum hf_result r, char *errstr, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (errstr != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(errstr, errlen, fmt, ap);
		va_end(ap);
	}
	return r;
}
