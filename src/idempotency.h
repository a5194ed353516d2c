/*
 * Idempotency-Key: the first answer to a request, kept for
 * HF_IDEMPOTENCY_TTL_HOURS per (workspace, API key, Idempotency-Key), and
 * written in the transaction of the request's effect, so a crash cannot
 * keep one without the other.
 *
 * Keys are per API key (or portal token): the row's key is the hex
 * SHA-256 of the caller's key hash, a newline and the header, so another
 * caller's request under the same header is a request of its own, which
 * its handler (and its reach checks) answers.  The answer is kept sealed
 * (AES-256-GCM, crypto.h) under a key derived from the raw API key, which
 * is never stored: what the answer holds (a new key, a signing secret) is
 * not readable from the table, and only its caller can open it.
 *
 * Inside the caller's transaction, before the effect:
 *
 *	hf_idempotency_caller_init(&caller, api_key, key_hash)
 *	hf_idempotency_claim(db, ws, &caller, key, hash, status, body, len,
 *			     &previous)
 *
 * inserts the row (with the answer, when it is known already, or a
 * placeholder that hf_idempotency_finish fills in after the effect).  A
 * second identical request meanwhile waits on the row's lock; once the
 * first commits it finds the row and replays it, once the first rolls
 * back it claims the key itself.  A row older than the lifetime counts as
 * absent and is taken over; hookfan-admin purge deletes such rows
 * (db_purge.h).
 */
#ifndef HF_IDEMPOTENCY_H
#define HF_IDEMPOTENCY_H

#include <stddef.h>

#include "crypto.h"
#include "db.h"

enum hf_idempotency_state {
	HF_IDEMPOTENCY_NEW,		/* claimed: go on with the effect */
	HF_IDEMPOTENCY_REPLAY,		/* same request before: answer previous */
	HF_IDEMPOTENCY_MISMATCH		/* the key was used for another request */
};

/* A stored answer; body is owned (hf_idempotency_answer_free). */
struct hf_idempotency_answer {
	enum hf_idempotency_state state;
	int status;
	char *body;
	size_t body_len;
};

void hf_idempotency_answer_free(struct hf_idempotency_answer *a);

/* Who asks: its key's hash and the key its answers are sealed under. */
struct hf_idempotency_caller {
	char key_hash[HF_SHA256_HEX_LEN + 1];
	unsigned char answer_key[HF_AEAD_KEY_LEN];
};

/* The caller of api_key (the raw key or portal token presented), whose
 * hash is key_hash. */
enum hf_result hf_idempotency_caller_init(struct hf_idempotency_caller *caller,
					  const char *api_key,
					  const char *key_hash);

/*
 * Claim key (the Idempotency-Key header) of caller for workspace_id with
 * request_hash (SHA-256 hex of what the request was).  status and body
 * (body_len bytes) are stored as the answer; status 0 and an empty body
 * are a placeholder for hf_idempotency_finish.  previous->state says what
 * was found; for a replay, previous holds the first answer.  An answer
 * that does not open is a mismatch.
 */
enum hf_result hf_idempotency_claim(struct hf_db *db, const char *workspace_id,
				    const struct hf_idempotency_caller *caller,
				    const char *key, const char *request_hash,
				    int status, const char *body,
				    size_t body_len,
				    struct hf_idempotency_answer *previous);

/* Store the answer of a claim made with a placeholder. */
enum hf_result hf_idempotency_finish(struct hf_db *db, const char *workspace_id,
				     const struct hf_idempotency_caller *caller,
				     const char *key, const char *request_hash,
				     int status,
				     const char *body, size_t body_len);

#endif
