/*
 * Bounded number parsing that advances a pointer (curl's strparse,
 * OpenBSD's strtonum): no sign surprises, no overflow, no locale.
 */
#ifndef HF_STRPARSE_H
#define HF_STRPARSE_H

#include "result.h"

/*
 * Parse decimal digits at *p into *out, which must fall in [min, max]
 * (min >= 0).  On success *p points past the digits.  No sign, no spaces.
 */
enum hf_result strparse_long(const char **p, long min, long max, long *out);

/* The value of one hexadecimal digit (either case), or -1. */
int strparse_hex_digit(int c);

#endif
