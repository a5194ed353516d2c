/*
 * Endpoints, the entity, as the management API sees them: an URL with
 * its signing secrets and the event types it is subscribed to, in a
 * workspace, perhaps an environment and an application.  The sysadmin's
 * operations on the same rows (create, enable/disable, subscribe) are in
 * db_admin.h and these calls use them; delivery state is db_delivery.h's.
 *
 * Calls run in the caller's transaction; errors are a result and a
 * one-line errstr; id buffers are HF_ID_MAX_LEN + 1 bytes.  A deleted
 * endpoint keeps its row (its deliveries and attempts name it, until
 * purged) but is gone for every call, is never delivered to again and
 * gets nothing from later fan-outs.
 */
#ifndef HF_ENDPOINT_H
#define HF_ENDPOINT_H

#include <stdbool.h>
#include <stddef.h>

#include "db.h"
#include "entity.h"

struct hf_endpoint {
	char id[HF_ID_MAX_LEN + 1];
	char application_id[HF_ID_MAX_LEN + 1];	/* "": none */
	char environment_id[HF_ID_MAX_LEN + 1];	/* "": none */
	char url[HF_URL_MAX_LEN + 1];
	char description[HF_DESCRIPTION_MAX_LEN + 1];
	bool active;
	char disabled_reason[256];		/* "": none */
	char failing_since[HF_ISO_TIME_SIZE];	/* "": not failing */
	char *event_types;	/* owned: space-separated, sorted; "*" is all */
	char created_at[HF_ISO_TIME_SIZE];
	char updated_at[HF_ISO_TIME_SIZE];
};

/* Free what an endpoint owns (not the struct). */
void hf_endpoint_clear(struct hf_endpoint *e);

struct hf_endpoint_page {
	struct hf_endpoint *items;	/* owned: hf_endpoint_page_free */
	size_t count;
	bool more;
};

void hf_endpoint_page_free(struct hf_endpoint_page *p);

/* List filters; each NULL for any. */
struct hf_endpoint_match {
	const char *application_id;
	const char *environment_id;
	const bool *active;
};

/* What a new endpoint is. */
struct hf_endpoint_new {
	const char *application_id;	/* in scope, or NULL */
	const char *environment_id;	/* in scope, or NULL: the app's or scope's */
	const char *url;		/* valid (hf_url_valid) */
	const char *description;	/* NULL: "" */
	const char *const *event_types;	/* valid; none: "*" */
	size_t event_type_count;
};

/* What a change sets; NULL fields are kept. */
struct hf_endpoint_change {
	const char *url;
	const char *description;
	const char *const *event_types;	/* replaces them all when set */
	size_t event_type_count;
	const bool *active;		/* disabling parks, enabling resumes */
};

/* One endpoint in scope; lock takes its row FOR UPDATE. */
enum hf_result hf_endpoint_get(struct hf_db *db, const struct hf_scope *scope,
			       const char *id, bool lock,
			       struct hf_endpoint *out, char *errstr,
			       size_t errlen);

/* The endpoints in scope matching m, newest first. */
enum hf_result hf_endpoint_page_read(struct hf_db *db,
				     const struct hf_scope *scope,
				     const struct hf_endpoint_match *m,
				     const struct hf_page *page,
				     struct hf_endpoint_page *out);

/* A new endpoint, as stored, and its signing secret (HF_SECRET_MAX_LEN + 1). */
enum hf_result hf_endpoint_insert(struct hf_db *db, const struct hf_scope *scope,
				  const struct hf_endpoint_new *spec,
				  struct hf_endpoint *out, char *secret,
				  char *errstr, size_t errlen);

enum hf_result hf_endpoint_update(struct hf_db *db, const struct hf_scope *scope,
				  const char *id,
				  const struct hf_endpoint_change *change,
				  struct hf_endpoint *out, char *errstr,
				  size_t errlen);

/*
 * Delete: the endpoint is disabled (parking its waiting deliveries as
 * disabling does), then those parked deliveries are ended as failed ("the
 * endpoint was deleted"), so that their messages finish and purge can
 * take them; one being sent at that moment is left to its sweep, whose
 * result parks it.  The ingest keys scoped to it are revoked, and a
 * workspace whose ops endpoint it was has none.
 */
enum hf_result hf_endpoint_delete(struct hf_db *db, const struct hf_scope *scope,
				  const char *id, char *errstr, size_t errlen);

/* The newest signing secret in force (HF_SECRET_MAX_LEN + 1). */
enum hf_result hf_endpoint_secret(struct hf_db *db, const struct hf_scope *scope,
				  const char *id, char *secret, char *errstr,
				  size_t errlen);

/* A new secret as "endpoint rotate-secret" makes it; the old ones sign
 * for grace_hours more. */
enum hf_result hf_endpoint_rotate(struct hf_db *db, const struct hf_scope *scope,
				  const char *id, long grace_hours,
				  char *secret, char *errstr, size_t errlen);

#endif
