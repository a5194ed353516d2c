/*
 * The ingest transaction shared by both APIs: authenticate the key, count
 * the request against the rate limits, parse the body, apply the key's
 * scope, find the subscribed endpoints, store one message and one delivery
 * per endpoint that has room, commit.  All of it is one database
 * transaction, bounded by HF_INGEST_TIMEOUT_MS, whose store may share its
 * commit with other requests' (ingest_group.h): an answer other than 2xx
 * means nothing was stored (a refused request with a valid key commits
 * its rate-limit hit alone).
 */
#ifndef HF_CGI_INGEST_H
#define HF_CGI_INGEST_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "crypto.h"
#include "db_ingest.h"
#include "idempotency.h"
#include "iso_time.h"
#include "routes.h"

enum ingest_kind { INGEST_TRIGGER, INGEST_SEND_MESSAGE };

struct ingest_input;
struct ingest_outcome;

/*
 * Check the parsed body doc and fill in event_type (send-message),
 * payload and metadata, or record why the request is invalid
 * (ingest_invalid).  The body is parsed (hf_json_parse) at most once per
 * request, and only once the key is known good: a bad key costs no parse.
 */
typedef void (*ingest_check_fn)(struct json_object *doc, struct ingest_input *in);

/* What the handler validated before the transaction; all borrowed. */
struct ingest_input {
	enum ingest_kind kind;
	char key_hash[HF_SHA256_HEX_LEN + 1];
	const char *body;		/* in server->body; NULL when not read */
	size_t body_len;		/* for the workspace's payload cap */
	ingest_check_fn check;
	bool parsed;
	struct json_object *doc;	/* owned; the handler puts it */
	/*
	 * The event type the targets are looked up for: a valid name, or
	 * NULL when invalid.  Before the parse, send-message's is a hint
	 * peeked from the body (event_type_hint); the lookup is redone when
	 * the parsed one differs.
	 */
	const char *event_type;
	char event_type_hint[HF_EVENT_TYPE_MAX_LEN + 1];
	const char *application_id;	/* send-message: NULL if implausible */
	const char *payload;		/* JSON text to store */
	size_t payload_len;
	const char *metadata;		/* JSON text or NULL */
	/* Send-message authenticated by a management key (the Svix API),
	 * not an ingest key. */
	bool management_key;
	/*
	 * Called in the transaction just before the store (which commits
	 * it), with hook_arg: what the request writes beside the message.
	 * An error rolls everything back; to refuse, it sets out->status,
	 * code and message and returns HF_ERR_REFUSED.  NULL: none.
	 */
	enum hf_result (*before_store)(struct hf_db *db, const struct ingest_input *in,
				       struct ingest_outcome *out);
	const void *hook_arg;
	/*
	 * Send-message with an Idempotency-Key: the key, the request's hash
	 * (idempotency.h) and how to print the success answer, which is
	 * stored under the key in the transaction, before the store
	 * commits it.  "": none (no statement more).
	 */
	char idempotency_key[HF_IDEMPOTENCY_KEY_MAX_LEN + 1];
	char request_hash[HF_SHA256_HEX_LEN + 1];
	struct hf_idempotency_caller caller;	/* whose keys they are */
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
	char created_at[HF_SQL_TIME_SIZE];	/* UTC DATETIME(3) text */
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

/* Run the transaction (which parses the body and calls in->check); out
 * is filled in either way. */
void ingest_run(struct hf_server *server, struct ingest_input *in,
		struct ingest_outcome *out);

/*
 * Count the backlog readings (src/db_ingest.h hf_ingest_backlog_recount)
 * that the request just served found old, now that its answer is out, so
 * that no request waits for a count.  A failure is logged: the next
 * request that finds them old counts them.
 */
void ingest_after_answer(struct hf_server *server);

/* Free what ingest_run allocated in out. */
void ingest_outcome_free(struct ingest_outcome *out);

/* "2026-11-22 19:47:21.427" to "2026-11-22T19:47:21.427Z" (out 32 bytes). */
void ingest_iso_time(const char *db_time, char *out, size_t outlen);

/*
 * What both APIs check before the database: an API key is present and well
 * formed (else it replies 401 and returns false).  Then whether the body
 * is JSON by Content-Type (415) and no larger than max_payload_bytes
 * (413), recorded in in (ingest_invalid) so that the key is checked, and
 * the refusal counted, first.  Fills in->key_hash, in->caller, in->body
 * and in->body_len (in server->body).
 */
bool ingest_preflight(struct hf_server *server, struct hf_request *req,
		      struct ingest_input *in);

/*
 * The API key presented: its hash into in->key_hash, and in->caller when
 * the request carries an Idempotency-Key (deriving the answer key costs
 * an HMAC the hot path without one does not pay).
 */
void ingest_take_key(struct ingest_input *in, struct hf_request *req,
		     const char *key);

/* Record a validation error in in (the first one wins). */
void ingest_invalid(struct ingest_input *in, int status, const char *code,
		    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Reply with out's error. */
void ingest_reply_error(struct hf_request *req, const struct ingest_outcome *out);

#endif
