/* Idempotency-Key answers in the database; see idempotency.h. */
#include "idempotency.h"

#include <stdlib.h>
#include <string.h>

#include "limits.h"

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

static enum hf_result
read_previous(struct hf_db *db, const char *workspace_id, const char *key,
	      const char *request_hash, struct hf_idempotency_answer *previous)
{
	struct hf_query q;
	enum hf_result r;
	const char *hash, *body;
	size_t len = 0;

	hf_query_start(&q, db,
		       "SELECT request_hash, status, body FROM idempotency_keys"
		       " WHERE workspace_id = ? AND idempotency_key = ?");
	hf_query_text(&q, workspace_id);
	hf_query_text(&q, key);
	r = hf_query_run(&q);
	if (r == HF_OK)
		r = hf_query_next(&q);
	if (r == HF_OK) {
		hash = hf_query_column(&q, 0, NULL);
		body = hf_query_column(&q, 2, &len);
		if (hash == NULL || strcmp(hash, request_hash) != 0) {
			previous->state = HF_IDEMPOTENCY_MISMATCH;
		} else {
			previous->state = HF_IDEMPOTENCY_REPLAY;
			previous->status = (int)hf_query_column_int(&q, 1);
			previous->body = malloc(len + 1);
			if (previous->body == NULL) {
				r = HF_ERR_NOMEM;
			} else {
				memcpy(previous->body, body != NULL ? body : "", len);
				previous->body[len] = '\0';
				previous->body_len = len;
			}
		}
	}
	hf_query_end(&q);
	/* Locked by the claim a moment ago: it cannot have gone. */
	return r == HF_ERR_NOT_FOUND ? HF_ERR_DB : r;
}

enum hf_result
hf_idempotency_claim(struct hf_db *db, const char *workspace_id,
		     const char *key, const char *request_hash, int status,
		     const char *body, size_t body_len,
		     struct hf_idempotency_answer *previous)
{
	struct hf_query q;
	enum hf_result r;
	unsigned long long affected = 0;

	hf_idempotency_answer_free(previous);
	hf_query_start(&q, db, claim_sql);
	hf_query_text(&q, workspace_id);
	hf_query_text(&q, key);
	hf_query_text(&q, request_hash);
	hf_query_int(&q, status);
	hf_query_bytes(&q, body, body_len);
	r = hf_query_run(&q);
	if (r == HF_OK)
		affected = hf_query_affected(&q);
	hf_query_end(&q);
	if (r != HF_OK)
		return r;
	if (affected != 0) {
		previous->state = HF_IDEMPOTENCY_NEW;
		return HF_OK;
	}
	return read_previous(db, workspace_id, key, request_hash, previous);
}

enum hf_result
hf_idempotency_finish(struct hf_db *db, const char *workspace_id,
		      const char *key, int status, const char *body,
		      size_t body_len)
{
	struct hf_query q;
	enum hf_result r;

	hf_query_start(&q, db,
		       "UPDATE idempotency_keys SET status = ?, body = ?"
		       " WHERE workspace_id = ? AND idempotency_key = ?");
	hf_query_int(&q, status);
	hf_query_bytes(&q, body, body_len);
	hf_query_text(&q, workspace_id);
	hf_query_text(&q, key);
	r = hf_query_run(&q);
	hf_query_end(&q);
	return r;
}
