/* API keys; see api_key.h. */
#include "api_key.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "db_admin.h"
#include "db_ingest.h"
#include "environment.h"
#include "ids.h"

static const char *const kind_names[] = { "ingest", "management" };

enum hf_result
hf_api_key_create(struct hf_db *db, const char *workspace_id,
		  const char *environment, const char *endpoint_id,
		  enum hf_key_kind kind, char *id, char *key, char *errstr,
		  size_t errlen)
{
	unsigned char raw[HF_API_KEY_RANDOM_BYTES];
	char env_id[HF_ID_MAX_LEN + 1], hash[HF_SHA256_HEX_LEN + 1];
	struct hf_query q;
	enum hf_result r;

	if (environment != NULL && endpoint_id != NULL)
		return hf_fail(HF_ERR_INVALID, errstr, errlen,
			       "a key is scoped to an environment or an endpoint, not both");
	if (kind == HF_KEY_MANAGEMENT && endpoint_id != NULL)
		return hf_fail(HF_ERR_INVALID, errstr, errlen,
			       "a management key is scoped to a workspace or an environment, not an endpoint");
	r = hf_workspace_exists(db, workspace_id, errstr, errlen);
	if (r == HF_OK && environment != NULL)
		r = hf_environment_resolve(db, workspace_id, environment,
					   env_id, errstr, errlen);
	if (r == HF_OK && endpoint_id != NULL) {
		hf_query_start(&q, db,
			       "SELECT 1 FROM endpoints WHERE id = ? AND workspace_id = ?"
			       " AND deleted_at IS NULL");
		hf_query_text(&q, endpoint_id);
		hf_query_text(&q, workspace_id);
		r = hf_query_expect_row(&q, "endpoint", endpoint_id, errstr, errlen);
		hf_query_end(&q);
	}
	if (r != HF_OK)
		return r;
	if (hf_random_bytes(raw, sizeof(raw)) != HF_OK || hf_id_new(id, "key") != HF_OK)
		return HF_ERR_IO;
	memcpy(key, kind == HF_KEY_MANAGEMENT ? HF_MANAGEMENT_KEY_PREFIX
					      : HF_INGEST_KEY_PREFIX, 4);
	hf_hex_encode(raw, sizeof(raw), key + 4);
	hf_sha256_hex(key, strlen(key), hash);
	hf_query_start(&q, db,
		       "INSERT INTO api_keys (id, key_hash, kind, workspace_id, environment_id, endpoint_id)"
		       " VALUES (?, ?, ?, ?, ?, ?)");
	hf_query_text(&q, id);
	hf_query_text(&q, hash);
	hf_query_text(&q, kind_names[kind]);
	hf_query_text(&q, workspace_id);
	hf_query_text(&q, environment != NULL ? env_id : NULL);
	hf_query_text(&q, endpoint_id);
	r = hf_query_run(&q);
	hf_query_end(&q);
	return r == HF_OK ? r : hf_db_fail(db, r, errstr, errlen);
}

enum hf_result
hf_api_key_revoke(struct hf_db *db, const char *key_id, char *errstr,
		  size_t errlen)
{
	struct hf_query q;
	enum hf_result r;

	r = hf_require_row(db, "SELECT 1 FROM api_keys WHERE id = ? FOR UPDATE",
			   key_id, "key", errstr, errlen);
	if (r != HF_OK)
		return r;
	hf_query_start(&q, db,
		       "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, NOW(3)) WHERE id = ?");
	hf_query_text(&q, key_id);
	r = hf_query_run(&q);
	hf_query_end(&q);
	if (r == HF_OK)
		r = hf_ingest_changed(db, HF_CHANGED_KEY, key_id);
	return r == HF_OK ? r : hf_db_fail(db, r, errstr, errlen);
}

enum hf_result
hf_api_key_authenticate(struct hf_db *db, const char *key_hash,
			enum hf_key_kind *kind, struct hf_scope *scope)
{
	struct hf_query q;
	enum hf_result r;
	const char *k;

	memset(scope, 0, sizeof(*scope));
	hf_query_start(&q, db,
		       "SELECT kind, workspace_id, environment_id FROM api_keys"
		       " WHERE key_hash = ? AND revoked_at IS NULL");
	hf_query_text(&q, key_hash);
	r = hf_query_run(&q);
	if (r == HF_OK)
		r = hf_query_next(&q);
	if (r == HF_OK) {
		k = hf_query_column(&q, 0, NULL);
		*kind = k != NULL && strcmp(k, kind_names[HF_KEY_MANAGEMENT]) == 0
				? HF_KEY_MANAGEMENT : HF_KEY_INGEST;
		hf_entity_copy(scope->workspace_id, sizeof(scope->workspace_id),
			       hf_query_column(&q, 1, NULL));
		hf_entity_copy(scope->environment_id, sizeof(scope->environment_id),
			       hf_query_column(&q, 2, NULL));
	}
	hf_query_end(&q);
	return r;
}

/*
 * An ingest key k is in scope when it is of the workspace and, for an
 * environment scope, of that environment, or of an endpoint there.
 */
#define KEY_IN_SCOPE \
	"k.kind = 'ingest' AND k.revoked_at IS NULL AND k.workspace_id = ?" \
	" AND (? IS NULL OR k.environment_id = ? OR k.endpoint_id IN" \
	"  (SELECT e.id FROM endpoints e WHERE e.environment_id = ?))"

static void
bind_scope(struct hf_query *q, const struct hf_scope *scope)
{
	const char *env = hf_scope_environment(scope);

	hf_query_text(q, scope->workspace_id);
	hf_query_text(q, env);
	hf_query_text(q, env);
	hf_query_text(q, env);
}

static enum hf_result
read_key(const struct hf_query *q, void *item)
{
	struct hf_api_key *k = item;

	hf_entity_copy(k->id, sizeof(k->id), hf_query_column(q, 0, NULL));
	hf_entity_copy(k->environment_id, sizeof(k->environment_id),
		       hf_query_column(q, 1, NULL));
	hf_entity_copy(k->endpoint_id, sizeof(k->endpoint_id),
		       hf_query_column(q, 2, NULL));
	hf_entity_copy(k->created_at, sizeof(k->created_at),
		       hf_query_column(q, 3, NULL));
	return HF_OK;
}

enum hf_result
hf_api_key_list(struct hf_db *db, const struct hf_scope *scope,
		const struct hf_page *page, struct hf_api_key_list *out)
{
	struct hf_query q;

	memset(out, 0, sizeof(*out));
	hf_query_start(&q, db,
		       "SELECT k.id, k.environment_id, k.endpoint_id, " HF_SQL_ISO("k.created_at")
		       " FROM api_keys k WHERE " KEY_IN_SCOPE HF_SQL_PAGE("k.id"));
	bind_scope(&q, scope);
	return hf_page_read(&q, page, sizeof(*out->items), read_key,
			    (void **)&out->items, &out->count, &out->more);
}

enum hf_result
hf_api_key_insert(struct hf_db *db, const struct hf_scope *scope,
		  const char *environment_id, const char *endpoint_id,
		  struct hf_api_key *out, char *key, char *errstr, size_t errlen)
{
	struct hf_query q;
	enum hf_result r;

	memset(out, 0, sizeof(*out));
	if (environment_id != NULL && endpoint_id != NULL)
		return hf_fail(HF_ERR_INVALID, errstr, errlen,
			       "env_id and endpoint_id: give one or neither, not both");
	if (environment_id != NULL) {
		r = hf_environment_check(db, scope, environment_id, errstr, errlen);
		if (r != HF_OK)
			return r;
	} else if (endpoint_id != NULL) {
		hf_query_start(&q, db,
			       "SELECT 1 FROM endpoints WHERE id = ? AND workspace_id = ?"
			       " AND (? IS NULL OR environment_id = ?) AND deleted_at IS NULL");
		hf_query_text(&q, endpoint_id);
		hf_query_text(&q, scope->workspace_id);
		hf_query_text(&q, hf_scope_environment(scope));
		hf_query_text(&q, hf_scope_environment(scope));
		r = hf_query_expect_row(&q, "endpoint", endpoint_id, errstr, errlen);
		hf_query_end(&q);
		if (r != HF_OK)
			return r;
	} else {
		/* A narrower caller makes keys as narrow as itself. */
		environment_id = hf_scope_environment(scope);
	}
	r = hf_api_key_create(db, scope->workspace_id, environment_id, endpoint_id,
			      HF_KEY_INGEST, out->id, key, errstr, errlen);
	if (r != HF_OK)
		return r;
	hf_query_start(&q, db,
		       "SELECT id, environment_id, endpoint_id, " HF_SQL_ISO("created_at")
		       " FROM api_keys WHERE id = ?");
	hf_query_text(&q, out->id);
	r = hf_query_expect_row(&q, "key", out->id, errstr, errlen);
	if (r == HF_OK)
		read_key(&q, out);
	hf_query_end(&q);
	return r;
}

enum hf_result
hf_api_key_delete(struct hf_db *db, const struct hf_scope *scope,
		  const char *id, char *errstr, size_t errlen)
{
	struct hf_query q;
	enum hf_result r;

	hf_query_start(&q, db,
		       "UPDATE api_keys k SET k.revoked_at = NOW(3) WHERE k.id = ? AND " KEY_IN_SCOPE);
	hf_query_text(&q, id);
	bind_scope(&q, scope);
	r = hf_query_run(&q);
	if (r == HF_OK && hf_query_affected(&q) == 0)
		r = hf_fail(HF_ERR_NOT_FOUND, errstr, errlen, "key %s not found", id);
	else if (r != HF_OK)
		r = hf_db_fail(db, r, errstr, errlen);
	hf_query_end(&q);
	if (r == HF_OK && (r = hf_ingest_changed(db, HF_CHANGED_KEY, id)) != HF_OK)
		r = hf_db_fail(db, r, errstr, errlen);
	return r;
}
