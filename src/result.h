/*
 * The one result type of the hookfan library.  Every function that can fail
 * returns one of these; detail, where it matters, goes to an errstr buffer
 * supplied by the caller.  The library never prints and never exits.
 */
#ifndef HF_RESULT_H
#define HF_RESULT_H

#include <stddef.h>

enum hf_result {
	HF_OK = 0,
	HF_ERR_NOMEM,      /* allocation failed */
	HF_ERR_INVALID,    /* bad input: value, syntax, range */
	HF_ERR_NOT_FOUND,  /* the named thing does not exist */
	HF_ERR_CONFLICT,   /* a unique constraint refused the write */
	HF_ERR_LIMIT,      /* a named limit was exceeded */
	HF_ERR_IO,         /* a file or system call failed */
	HF_ERR_DB,         /* the database refused a statement */
	HF_ERR_DB_GONE,    /* the connection is lost or cannot be made */
	HF_ERR_DB_RETRY,   /* deadlock or lock wait: redo the transaction */
	HF_ERR_DB_COMMIT_LOST, /* the connection died during COMMIT: the
				  transaction may or may not have committed */
	HF_ERR_TIMEOUT,    /* a deadline passed */
	HF_ERR_REFUSED     /* a policy refused the operation */
};

/* A short, static, human description of r. */
const char *hf_result_str(enum hf_result r);

/* snprintf into errstr (which may be NULL), returning r for tail calls. */
enum hf_result hf_fail(enum hf_result r, char *errstr, size_t errlen,
		       const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
