/*
 * db_portal.c: the portal_tokens table (see db_portal.h).
 */
#include <string.h>

#include "crypto.h"
#include "db_portal.h"
#include "ids.h"

static bool
portal_token_shaped(const char *token)
{
	size_t i, prefix = strlen(HF_PORTAL_TOKEN_PREFIX);

	if (strlen(token) != HF_PORTAL_TOKEN_LEN ||
	    strncmp(token, HF_PORTAL_TOKEN_PREFIX, prefix) != 0)
		return false;
	for (i = prefix; token[i] != '\0'; i++)
		if (strchr("0123456789abcdef", token[i]) == NULL)
			return false;
	return true;
}

enum hf_result
hf_portal_create(struct hf_db *db, const char *workspace_id, const char *app_id,
		 int minutes, char *token, char *expires_at, char *errstr,
		 size_t errlen)
{
	unsigned char raw[HF_PORTAL_TOKEN_RANDOM_BYTES];
	char id[HF_ID_MAX_LEN + 1], hash[65];
	const char *value;
	struct hf_query q;
	enum hf_result r;

	token[0] = expires_at[0] = '\0';
	if (hf_random_bytes(raw, sizeof(raw)) != HF_OK || hf_id_new(id, "ptk") != HF_OK)
		return hf_fail(HF_ERR_IO, errstr, errlen, "no random bytes");
	memcpy(token, HF_PORTAL_TOKEN_PREFIX, strlen(HF_PORTAL_TOKEN_PREFIX));
	hf_hex_encode(raw, sizeof(raw), token + strlen(HF_PORTAL_TOKEN_PREFIX));
	hf_sha256_hex(token, strlen(token), hash);
	hf_query_start(&q, db,
		       "INSERT INTO portal_tokens (id, token_hash, workspace_id,"
		       " application_id, expires_at)"
		       " VALUES (?, ?, ?, ?, NOW(3) + INTERVAL ? MINUTE)");
	hf_query_text(&q, id);
	hf_query_text(&q, hash);
	hf_query_text(&q, workspace_id);
	hf_query_text(&q, app_id);
	hf_query_int(&q, minutes);
	r = hf_query_run(&q);
	hf_query_end(&q);
	if (r != HF_OK)
		return hf_db_fail(db, r, errstr, errlen);
	hf_query_start(&q, db,
		       "SELECT " HF_SQL_ISO("expires_at")
		       " FROM portal_tokens WHERE id = ?");
	hf_query_text(&q, id);
	r = hf_query_expect_row(&q, "portal token", id, errstr, errlen);
	if (r == HF_OK && (value = hf_query_column(&q, 0, NULL)) != NULL &&
	    strlen(value) < HF_ISO_TIME_SIZE)
		strcpy(expires_at, value);
	hf_query_end(&q);
	return r;
}

enum hf_result
hf_portal_authenticate(struct hf_db *db, const char *token, char *workspace_id,
		       char *app_id, char *errstr, size_t errlen)
{
	const char *ws, *app;
	struct hf_query q;
	enum hf_result r;
	char hash[65];

	workspace_id[0] = app_id[0] = '\0';
	if (!portal_token_shaped(token))
		return hf_fail(HF_ERR_NOT_FOUND, errstr, errlen, "unknown portal token");
	hf_sha256_hex(token, strlen(token), hash);
	hf_query_start(&q, db,
		       "SELECT t.workspace_id, t.application_id FROM portal_tokens t"
		       " JOIN applications a ON a.id = t.application_id"
		       " WHERE t.token_hash = ? AND t.expires_at > NOW(3)"
		       " AND a.deleted_at IS NULL");
	hf_query_text(&q, hash);
	r = hf_query_expect_row(&q, "portal token", "", errstr, errlen);
	if (r == HF_OK) {
		ws = hf_query_column(&q, 0, NULL);
		app = hf_query_column(&q, 1, NULL);
		if (ws != NULL && app != NULL && strlen(ws) <= HF_ID_MAX_LEN &&
		    strlen(app) <= HF_ID_MAX_LEN) {
			strcpy(workspace_id, ws);
			strcpy(app_id, app);
		} else {
			r = hf_fail(HF_ERR_NOT_FOUND, errstr, errlen,
				    "unknown portal token");
		}
	}
	hf_query_end(&q);
	return r;
}

/* One row of sql (two "?": id, then app_id), else not found as what. */
static enum hf_result
portal_expect(struct hf_db *db, const char *sql, const char *id,
	      const char *app_id, const char *what, char *errstr, size_t errlen)
{
	struct hf_query q;
	enum hf_result r;

	hf_query_start(&q, db, sql);
	hf_query_text(&q, id);
	hf_query_text(&q, app_id);
	r = hf_query_expect_row(&q, what, id, errstr, errlen);
	hf_query_end(&q);
	return r;
}

enum hf_result
hf_portal_endpoint_in_app(struct hf_db *db, const char *endpoint_id,
			  const char *app_id, char *errstr, size_t errlen)
{
	return portal_expect(db,
			     "SELECT 1 FROM endpoints WHERE id = ? AND application_id = ?"
			     " AND deleted_at IS NULL",
			     endpoint_id, app_id, "endpoint", errstr, errlen);
}

enum hf_result
hf_portal_delivery_in_app(struct hf_db *db, const char *delivery_id,
			  const char *app_id, char *errstr, size_t errlen)
{
	return portal_expect(db,
			     "SELECT 1 FROM deliveries d JOIN endpoints e ON e.id = d.endpoint_id"
			     " WHERE d.id = ? AND e.application_id = ? AND e.deleted_at IS NULL",
			     delivery_id, app_id, "delivery", errstr, errlen);
}
