/*
 * The statements behind hookfan-admin: the objects a sysadmin creates
 * that have no entity module of their own yet (workspaces, endpoints).  Each function issues its statements inside the
 * caller's transaction (see hf_db_transaction) and returns
 * HF_ERR_NOT_FOUND / HF_ERR_INVALID with a one-line errstr for the user.
 * Id outputs are buffers of HF_ID_MAX_LEN + 1 bytes.
 */
#ifndef HF_DB_ADMIN_H
#define HF_DB_ADMIN_H

#include <stdbool.h>
#include <stddef.h>

#include "db.h"
#include "api_key.h"
#include "application.h"
#include "environment.h"
#include "limits.h"
#include "migrate.h"

/* HF_OK, or HF_ERR_NOT_FOUND and "unknown workspace". */
enum hf_result hf_workspace_exists(struct hf_db *db, const char *workspace_id,
				   char *errstr, size_t errlen);

enum hf_result hf_workspace_create(struct hf_db *db, const char *name,
				   long max_payload_bytes /* 0: default */,
				   char *id, char *errstr, size_t errlen);





struct hf_endpoint_spec {
	const char *workspace_id;
	const char *environment;	/* may be NULL */
	const char *application_id;	/* may be NULL */
	const char *url;
	const char *const *event_types;	/* none: subscribed to "*" */
	size_t event_type_count;
};

/* secret receives the whsec_ signing secret (HF_SECRET_MAX_LEN + 1). */
enum hf_result hf_endpoint_create(struct hf_db *db,
				  const struct hf_endpoint_spec *spec,
				  char *id, char *secret,
				  char *errstr, size_t errlen);

/*
 * Disabling parks the endpoint's waiting deliveries as "paused"; enabling
 * makes them due again at once.  Nothing is dropped.
 */
enum hf_result hf_endpoint_set_active(struct hf_db *db, const char *endpoint_id,
				      bool active, const char *reason,
				      char *errstr, size_t errlen);

enum hf_result hf_subscription_add(struct hf_db *db, const char *endpoint_id,
				   const char *event_type,
				   char *errstr, size_t errlen);

/*
 * Unsubscribe an endpoint from one event type (or "*": then it receives
 * only the types it names).  Deliveries already made are not touched.
 * HF_ERR_NOT_FOUND when it was not subscribed to it.
 */
enum hf_result hf_subscription_remove(struct hf_db *db, const char *endpoint_id,
				      const char *event_type,
				      char *errstr, size_t errlen);



/*
 * Lock an endpoint's row, for a change to what hangs off it (secrets,
 * subscriptions); HF_ERR_NOT_FOUND and "unknown endpoint" when there is
 * none.  Writers of deliveries lock messages, then deliveries, then the
 * endpoint (db_sweep.c); endpoint enable/disable takes the endpoint first
 * and may then meet a sweep in a deadlock, which the retry of the
 * transaction resolves.
 */
enum hf_result hf_endpoint_lock(struct hf_db *db, const char *endpoint_id,
				char *errstr, size_t errlen);

/* hf_endpoint_lock, giving the endpoint's workspace (HF_ID_MAX_LEN + 1). */
enum hf_result hf_endpoint_lock_workspace(struct hf_db *db,
					  const char *endpoint_id,
					  char *workspace_id, char *errstr,
					  size_t errlen);

/* A new whsec_ secret: "whsec_" + base64 of HF_SECRET_RANDOM_BYTES. */
enum hf_result hf_secret_generate(char *secret);

#endif
