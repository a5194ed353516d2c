/*
 * Public ids: a short type prefix, '_', and 26 Crockford base32 characters
 * holding 48 bits of milliseconds since the epoch and 80 random bits (the
 * ULID layout).  Ids made later sort later, so InnoDB appends to the end of
 * the primary key instead of splitting pages at random.
 */
#ifndef HF_IDS_H
#define HF_IDS_H

#include <stdbool.h>
#include <stdint.h>

#include "limits.h"
#include "result.h"

#define HF_ID_BODY_LEN 26

/* The prefix of message ids: ingest makes them, purge walks their range. */
#define HF_MESSAGE_ID_PREFIX "msg"

/* Wall-clock milliseconds since the epoch: the time an id holds (and an
 * attempt's start, and purge's cutoff, compared with ids). */
uint64_t hf_unix_ms(void);

/*
 * Write prefix "_" body into out (at least HF_ID_MAX_LEN + 1 bytes).
 * prefix is 1..4 lowercase letters.
 */
enum hf_result hf_id_new(char *out, const char *prefix);

/* As hf_id_new with a given time and 10 random bytes (for tests). */
void hf_id_format(char *out, const char *prefix, uint64_t unix_ms,
		  const unsigned char random10[10]);

/*
 * The smallest id of prefix made at unix_ms (its random part all zero):
 * every id made earlier sorts before it, every id made then or later sorts
 * at or after it, so "id < floor" means "made before unix_ms" and is one
 * range of a primary key.  out as for hf_id_new.
 */
void hf_id_floor(char *out, const char *prefix, uint64_t unix_ms);

/* True when id is prefix "_" followed by 26 base32 characters. */
bool hf_id_valid(const char *id, const char *prefix);

/* True when s looks like any hookfan id (used to reject junk early). */
bool hf_id_plausible(const char *s);

#endif
