/*
 * The ingest transaction shared by both APIs: authenticate the key, apply
 * its scope, find the subscribed endpoints, store one message and one
 * delivery per endpoint that has room, count the request against the rate
 * limits, commit.  All of it is one database transaction, bounded by
 * HF_INGEST_TIMEOUT_MS: an answer other than 2xx means nothing was stored.
 */
#ifndef HF_CGI_INGEST_H
#define HF_CGI_INGEST_H

#include <stdbool.h>
#include <stddef.h>

#include "crypto.h"
#include "db_ingest.h"
#include "routes.h"

enum ingest_kind { INGEST_TRIGGER, INGEST_SEND_MESSAGE };

struct ingest_outcome;

/* What the handler validated before the transaction; all borrowed. */
struct ingest_input {
	enum ingest_kind kind;
	char key_hash[HF_SHA256_HEX_LEN + 1];
	size_t body_len;		/* for the workspace's payload cap */
	const char *event_type;		/* valid name, or NULL when invalid */
	const char *application_id;	/* send-message: NULL if implausible */
	const char *payload;		/* JSON text to store */
	size_t payload_len;
	const char *metadata;		/* JSON text or NULL */
	/*
	 * Send-message with an Idempotency-Key: the key, the request's hash
	 * (idempotency.h) and how to print the success answer, which is
	 * stored under the key in the transaction, before the store
	 * commits it.  "": none (no statement more).
	 */
	char idempotency_key[HF_IDEMPOTENCY_KEY_MAX_LEN + 1];
	char request_hash[HF_SHA256_HEX_LEN + 1];
	char *(*answer_text)(const struct ingest_input *in,
			     const struct ingest_outcome *out, size_t *len);
	/*
	 * A malformed request is refused only once the key is known good,
	 * so a bad key is always 401 whatever the body: the handler records
	 * the error here instead of replying.
	 */
	int invalid_status;		/* 0: the request is valid */
	const char *invalid_code;
	char invalid_message[256];
};

struct ingest_failure {
	char endpoint_id[HF_ID_MAX_LEN + 1];
};

/* What was stored (status 2xx) or why not. */
struct ingest_outcome {
	int status;			/* HTTP status */
	const char *code;		/* errors: the contract's code */
	char message[256];		/* errors: for the client */
	const char *extra_headers;	/* e.g. Retry-After, or NULL */

	struct hf_ingest_lookup lookup;
	char message_id[HF_ID_MAX_LEN + 1];
	const char *message_status;
	char (*delivery_ids)[HF_ID_MAX_LEN + 1]; /* owned; ingest_outcome_free */
	size_t delivery_count;
	struct ingest_failure *failures;	/* owned */
	size_t failure_count;
	/* With an Idempotency-Key: the answer (owned), the one stored on
	 * success, or the first one when this is a replay. */
	char *answer;
	size_t answer_len;
	bool replayed;
};

/* Run the transaction; out is filled in either way. */
void ingest_run(struct hf_server *server, const struct ingest_input *in,
		struct ingest_outcome *out);

/* Free what ingest_run allocated in out. */
void ingest_outcome_free(struct ingest_outcome *out);

/* "2026-11-22 19:47:21.427" to "2026-11-22T19:47:21.427Z" (out 32 bytes). */
void ingest_iso_time(const char *db_time, char *out, size_t outlen);

/*
 * What both APIs check before the database: an API key is present and well
 * formed (else 401), the body is JSON by Content-Type (else 415) and no
 * larger than max_payload_bytes (else 413).  Fills in->key_hash and
 * in->body_len, and *body (in server->body).  false when it has replied.
 */
bool ingest_preflight(struct hf_server *server, struct hf_request *req,
		      struct ingest_input *in, const char **body);

/* Record a validation error in in (the first one wins). */
void ingest_invalid(struct ingest_input *in, int status, const char *code,
		    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Reply with out's error. */
void ingest_reply_error(struct hf_request *req, const struct ingest_outcome *out);

#endif
