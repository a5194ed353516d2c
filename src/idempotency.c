/* Idempotency-Key answers in the database; see idempotency.h. */
#include "idempotency.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "limits.h"

/* What the answer key is derived from the raw API key with. */
#define ANSWER_KEY_LABEL "hookfan idempotency answer"
/* The stored key and the request hash, both hex SHA-256: the AAD. */
#define AAD_LEN (2 * HF_SHA256_HEX_LEN)

#define STR2(x) #x
#define STR(x) STR2(x)
#define EXPIRED "created_at < NOW(3) - INTERVAL " STR(HF_IDEMPOTENCY_TTL_HOURS) " HOUR"

/*
 * One statement whatever is there: a new row is inserted (1 row
 * affected), an expired one taken over (2), a live one left alone (0:
 * no CLIENT_FOUND_ROWS) but locked, so that it is read as committed.
 * created_at is assigned last: the IFs before it read the old value.
 */
static const char claim_sql[] =
	"INSERT INTO idempotency_keys"
	" (workspace_id, idempotency_key, request_hash, status, body, created_at)"
	" VALUES (?, ?, ?, ?, ?, NOW(3))"
	" ON DUPLICATE KEY UPDATE"
	" request_hash = IF(" EXPIRED ", VALUES(request_hash), request_hash),"
	" status = IF(" EXPIRED ", VALUES(status), status),"
	" body = IF(" EXPIRED ", VALUES(body), body),"
	" created_at = IF(" EXPIRED ", VALUES(created_at), created_at)";

void
hf_idempotency_answer_free(struct hf_idempotency_answer *a)
{
	free(a->body);
	memset(a, 0, sizeof(*a));
}

enum hf_result
hf_idempotency_caller_init(struct hf_idempotency_caller *caller,
			   const char *api_key, const char *key_hash)
{
	snprintf(caller->key_hash, sizeof(caller->key_hash), "%s", key_hash);
	return hf_hmac_sha256((const unsigned char *)api_key, strlen(api_key),
			      ANSWER_KEY_LABEL, strlen(ANSWER_KEY_LABEL), "", 0,
			      caller->answer_key);
}

/* The row's key: the caller's key hash, a newline, the header. */
static void
row_key(const struct hf_idempotency_caller *caller, const char *key,
	char out[HF_SHA256_HEX_LEN + 1])
{
	char text[HF_SHA256_HEX_LEN + 1 + HF_IDEMPOTENCY_KEY_MAX_LEN + 1];
	/* The header is at most HF_IDEMPOTENCY_KEY_MAX_LEN: it fits. */
	snprintf(text, sizeof(text), "%s\n%s", caller->key_hash, key);
	hf_sha256_hex(text, strlen(text), out);
}

/* The row's key and the request hash, bound to the sealed answer. */
static void
make_aad(const char *row, const char *request_hash, char aad[AAD_LEN + 1])
{
	snprintf(aad, AAD_LEN + 1, "%s%s", row, request_hash);
}

/* body sealed under the caller's answer key, in base64 (owned, *out). */
static enum hf_result
seal_answer(const struct hf_idempotency_caller *caller, const char *aad,
	    const char *body, size_t body_len, char **out)
{
	size_t sealed_len = body_len + HF_AEAD_OVERHEAD;
	unsigned char *sealed;
	enum hf_result r;

	*out = NULL;
	if (body_len > HF_AEAD_MAX_LEN)
		return HF_ERR_INVALID;
	sealed = malloc(sealed_len);
	*out = malloc(4 * ((sealed_len + 2) / 3) + 1);
	if (sealed == NULL || *out == NULL) {
		free(sealed);
		free(*out);
		*out = NULL;
		return HF_ERR_NOMEM;
	}
	r = hf_aead_seal(caller->answer_key, aad, AAD_LEN, body, body_len, sealed);
	if (r == HF_OK)
		hf_base64_encode(sealed, sealed_len, *out);
	free(sealed);
	if (r != HF_OK) {
		free(*out);
		*out = NULL;
	}
	return r;
}

/*
 * Open a stored answer into previous: HF_ERR_INVALID when it does not
 * (not base64, or sealed under another key or for another row).
 */
static enum hf_result
open_answer(const struct hf_idempotency_caller *caller, const char *aad,
	    const char *stored, struct hf_idempotency_answer *previous)
{
	size_t len = strlen(stored), sealed_len = 0;
	unsigned char *sealed = malloc(3 * (len / 4) + 1);
	enum hf_result r;

	if (sealed == NULL)
		return HF_ERR_NOMEM;
	r = hf_base64_decode(stored, sealed, &sealed_len);
	if (r == HF_OK && sealed_len < HF_AEAD_OVERHEAD)
		r = HF_ERR_INVALID;
	if (r == HF_OK) {
		previous->body = malloc(sealed_len - HF_AEAD_OVERHEAD + 1);
		if (previous->body == NULL)
			r = HF_ERR_NOMEM;
	}
	if (r == HF_OK)
		r = hf_aead_open(caller->answer_key, aad, AAD_LEN, sealed, sealed_len,
				 (unsigned char *)previous->body, &previous->body_len);
	free(sealed);
	if (r != HF_OK) {
		free(previous->body);
		previous->body = NULL;
		previous->body_len = 0;
		return r;
	}
	previous->body[previous->body_len] = '\0';
	return HF_OK;
}

static enum hf_result
read_previous(struct hf_db *db, const char *workspace_id,
	      const struct hf_idempotency_caller *caller, const char *row,
	      const char *request_hash, struct hf_idempotency_answer *previous)
{
	char aad[AAD_LEN + 1];
	struct hf_query q;
	enum hf_result r;
	const char *hash, *body;

	hf_query_start(&q, db,
		       "SELECT request_hash, status, body FROM idempotency_keys"
		       " WHERE workspace_id = ? AND idempotency_key = ?");
	hf_query_text(&q, workspace_id);
	hf_query_text(&q, row);
	r = hf_query_run(&q);
	if (r == HF_OK)
		r = hf_query_next(&q);
	if (r == HF_OK) {
		hash = hf_query_column(&q, 0, NULL);
		body = hf_query_column(&q, 2, NULL);
		make_aad(row, request_hash, aad);
		if (hash == NULL || strcmp(hash, request_hash) != 0) {
			previous->state = HF_IDEMPOTENCY_MISMATCH;
		} else {
			r = open_answer(caller, aad, body != NULL ? body : "", previous);
			/* What does not open is not this caller's request. */
			if (r == HF_ERR_INVALID)
				previous->state = HF_IDEMPOTENCY_MISMATCH, r = HF_OK;
			else if (r == HF_OK)
				previous->state = HF_IDEMPOTENCY_REPLAY;
			previous->status = (int)hf_query_column_int(&q, 1);
		}
	}
	hf_query_end(&q);
	/* Locked by the claim a moment ago: it cannot have gone. */
	return r == HF_ERR_NOT_FOUND ? HF_ERR_DB : r;
}

enum hf_result
hf_idempotency_claim(struct hf_db *db, const char *workspace_id,
		     const struct hf_idempotency_caller *caller,
		     const char *key, const char *request_hash, int status,
		     const char *body, size_t body_len,
		     struct hf_idempotency_answer *previous)
{
	char row[HF_SHA256_HEX_LEN + 1], aad[AAD_LEN + 1], *sealed;
	struct hf_query q;
	enum hf_result r;
	unsigned long long affected = 0;

	hf_idempotency_answer_free(previous);
	row_key(caller, key, row);
	make_aad(row, request_hash, aad);
	r = seal_answer(caller, aad, body, body_len, &sealed);
	if (r != HF_OK)
		return r;
	hf_query_start(&q, db, claim_sql);
	hf_query_text(&q, workspace_id);
	hf_query_text(&q, row);
	hf_query_text(&q, request_hash);
	hf_query_int(&q, status);
	hf_query_text(&q, sealed);
	r = hf_query_run(&q);
	if (r == HF_OK)
		affected = hf_query_affected(&q);
	hf_query_end(&q);
	free(sealed);
	if (r != HF_OK)
		return r;
	if (affected != 0) {
		previous->state = HF_IDEMPOTENCY_NEW;
		return HF_OK;
	}
	return read_previous(db, workspace_id, caller, row, request_hash, previous);
}

enum hf_result
hf_idempotency_finish(struct hf_db *db, const char *workspace_id,
		      const struct hf_idempotency_caller *caller,
		      const char *key, const char *request_hash, int status,
		      const char *body, size_t body_len)
{
	char row[HF_SHA256_HEX_LEN + 1], aad[AAD_LEN + 1], *sealed;
	struct hf_query q;
	enum hf_result r;

	row_key(caller, key, row);
	make_aad(row, request_hash, aad);
	r = seal_answer(caller, aad, body, body_len, &sealed);
	if (r != HF_OK)
		return r;

	hf_query_start(&q, db,
		       "UPDATE idempotency_keys SET status = ?, body = ?"
		       " WHERE workspace_id = ? AND idempotency_key = ?");
	hf_query_int(&q, status);
	hf_query_text(&q, sealed);
	hf_query_text(&q, workspace_id);
	hf_query_text(&q, row);
	r = hf_query_run(&q);
	hf_query_end(&q);
	free(sealed);
	return r;
}
