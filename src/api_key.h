/*
 * API keys, the entity: ingest keys (hfk_, post events) and management
 * keys (hfm_, manage a workspace), each scoped to a workspace, one of its
 * environments, or (ingest only) one endpoint.  Only a key's SHA-256 is
 * stored; the key itself is returned once, at creation.
 *
 * Every call runs in the caller's transaction; errors are a result and a
 * one-line errstr.  Id buffers are HF_ID_MAX_LEN + 1 bytes, keys
 * HF_API_KEY_MAX_LEN + 1.
 */
#ifndef HF_API_KEY_H
#define HF_API_KEY_H

#include <stddef.h>

#include "db.h"
#include "entity.h"

enum hf_key_kind { HF_KEY_INGEST, HF_KEY_MANAGEMENT };

/* An ingest key as the management API lists it (never the key). */
struct hf_api_key {
	char id[HF_ID_MAX_LEN + 1];
	char environment_id[HF_ID_MAX_LEN + 1];	/* "": none */
	char endpoint_id[HF_ID_MAX_LEN + 1];	/* "": none */
	char created_at[HF_ISO_TIME_SIZE];
};

/* A page of keys; items owned (free()). */
struct hf_api_key_list {
	struct hf_api_key *items;
	size_t count;
	bool more;		/* rows remain after this page */
};

/*
 * A new key of kind; environment (an id or a name) and endpoint_id may be
 * NULL and at most one is set; a management key has no endpoint.
 */
enum hf_result hf_api_key_create(struct hf_db *db, const char *workspace_id,
				 const char *environment,
				 const char *endpoint_id, enum hf_key_kind kind,
				 char *id, char *key, char *errstr,
				 size_t errlen);

/* Revoke any key by id (the sysadmin's reach). */
enum hf_result hf_api_key_revoke(struct hf_db *db, const char *key_id,
				 char *errstr, size_t errlen);

/*
 * The unrevoked key whose SHA-256 hex is key_hash: its kind and scope.
 * HF_ERR_NOT_FOUND when there is none.
 */
enum hf_result hf_api_key_authenticate(struct hf_db *db, const char *key_hash,
				       enum hf_key_kind *kind,
				       struct hf_scope *scope);

/* Unrevoked ingest keys in scope, newest first. */
enum hf_result hf_api_key_list(struct hf_db *db, const struct hf_scope *scope,
			       const struct hf_page *page,
			       struct hf_api_key_list *out);

/*
 * A new ingest key in scope: environment_id (an id) or endpoint_id (an
 * endpoint in scope), or neither: the scope's environment, if it has one,
 * else the whole workspace.  HF_ERR_NOT_FOUND for an environment or
 * endpoint out of reach.
 */
enum hf_result hf_api_key_insert(struct hf_db *db, const struct hf_scope *scope,
				 const char *environment_id,
				 const char *endpoint_id, struct hf_api_key *out,
				 char *key, char *errstr, size_t errlen);

/* Revoke an ingest key in scope; HF_ERR_NOT_FOUND if out of reach or
 * revoked already. */
enum hf_result hf_api_key_delete(struct hf_db *db, const struct hf_scope *scope,
				 const char *id, char *errstr, size_t errlen);

#endif
