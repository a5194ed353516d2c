/*
 * Applications, the entity: what send-message addresses, with the
 * endpoints that belong to it.  Calls run in the caller's transaction;
 * errors are a result and a one-line errstr; id buffers are
 * HF_ID_MAX_LEN + 1 bytes.  A deleted application keeps its row (its
 * messages name it) but is gone for every call and for send-message.
 */
#ifndef HF_APPLICATION_H
#define HF_APPLICATION_H

#include <stdbool.h>
#include <stddef.h>

#include "db.h"
#include "entity.h"

struct hf_application {
	char id[HF_ID_MAX_LEN + 1];
	char environment_id[HF_ID_MAX_LEN + 1];	/* "": none */
	char name[HF_NAME_MAX_LEN + 1];
	bool active;
	char created_at[HF_ISO_TIME_SIZE];
	char updated_at[HF_ISO_TIME_SIZE];
};

struct hf_application_list {
	struct hf_application *items;	/* owned: free() */
	size_t count;
	bool more;
};

/* environment (an id or a name) may be NULL. */
enum hf_result hf_application_create(struct hf_db *db, const char *workspace_id,
				     const char *environment, const char *name,
				     bool active, char *id,
				     char *errstr, size_t errlen);

enum hf_result hf_application_set_active(struct hf_db *db, const char *app_id,
					 bool active, char *errstr,
					 size_t errlen);

/* One application in scope; lock takes its row FOR UPDATE. */
enum hf_result hf_application_get(struct hf_db *db, const struct hf_scope *scope,
				  const char *id, bool lock,
				  struct hf_application *out, char *errstr,
				  size_t errlen);

/* The applications in scope, newest first. */
enum hf_result hf_application_list(struct hf_db *db, const struct hf_scope *scope,
				   const struct hf_page *page,
				   struct hf_application_list *out);

/*
 * A new application in environment_id (an id in scope; NULL: the scope's
 * environment, if any), as stored.
 */
enum hf_result hf_application_insert(struct hf_db *db,
				     const struct hf_scope *scope,
				     const char *environment_id,
				     const char *name, bool active,
				     struct hf_application *out,
				     char *errstr, size_t errlen);

/* Change the name (NULL: keep) and activity (NULL: keep); *out as stored. */
enum hf_result hf_application_update(struct hf_db *db,
				     const struct hf_scope *scope,
				     const char *id, const char *name,
				     const bool *active,
				     struct hf_application *out,
				     char *errstr, size_t errlen);

/* Delete; HF_ERR_CONFLICT while it has endpoints that are not deleted. */
enum hf_result hf_application_delete(struct hf_db *db,
				     const struct hf_scope *scope,
				     const char *id, char *errstr,
				     size_t errlen);

#endif
