/*
 * Environments, the entity: named parts of a workspace (prod, staging)
 * that applications, endpoints and keys may belong to.  Calls run in the
 * caller's transaction; errors are a result and a one-line errstr; id
 * buffers are HF_ID_MAX_LEN + 1 bytes.
 */
#ifndef HF_ENVIRONMENT_H
#define HF_ENVIRONMENT_H

#include <stdbool.h>
#include <stddef.h>

#include "db.h"
#include "entity.h"

struct hf_environment {
	char id[HF_ID_MAX_LEN + 1];
	char name[HF_NAME_MAX_LEN + 1];
	char created_at[HF_ISO_TIME_SIZE];
};

struct hf_environment_list {
	struct hf_environment *items;	/* owned: free() */
	size_t count;
	bool more;
};

/* environment may be an id or a name within the workspace; *env_id out. */
enum hf_result hf_environment_resolve(struct hf_db *db,
				      const char *workspace_id,
				      const char *environment, char *env_id,
				      char *errstr, size_t errlen);

enum hf_result hf_environment_create(struct hf_db *db, const char *workspace_id,
				     const char *name, char *id,
				     char *errstr, size_t errlen);

/* HF_OK when environment_id (an id, not a name) is in scope, else
 * HF_ERR_NOT_FOUND. */
enum hf_result hf_environment_check(struct hf_db *db,
				    const struct hf_scope *scope,
				    const char *environment_id, char *errstr,
				    size_t errlen);

/* The environments in scope (one, for an environment scope), newest first. */
enum hf_result hf_environment_list(struct hf_db *db, const struct hf_scope *scope,
				   const struct hf_page *page,
				   struct hf_environment_list *out);

/* A new environment of the scope's workspace, as stored. */
enum hf_result hf_environment_insert(struct hf_db *db,
				     const struct hf_scope *scope,
				     const char *name,
				     struct hf_environment *out,
				     char *errstr, size_t errlen);

#endif
