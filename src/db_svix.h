/*
 * The statements of the Svix-compatible API that the entity modules do
 * not have: an application's uid, a message's eventId, an endpoint's
 * delivery counts.  Calls run in the caller's transaction; "" stands for
 * SQL NULL; id buffers are HF_ID_MAX_LEN + 1 bytes, uid buffers
 * HF_SVIX_UID_MAX_LEN + 1.
 */
#ifndef HF_DB_SVIX_H
#define HF_DB_SVIX_H

#include <stddef.h>

#include "db.h"
#include "limits.h"

/* The application of the workspace whose uid is uid (deleted ones are
 * not): its id, or HF_ERR_NOT_FOUND. */
enum hf_result hf_svix_app_find_uid(struct hf_db *db, const char *workspace_id,
				    const char *uid, char *id);

/* An application's uid ("" when it has none). */
enum hf_result hf_svix_app_uid(struct hf_db *db, const char *app_id, char *uid);

/* Set (NULL: clear) an application's uid; HF_ERR_CONFLICT when another
 * application of the workspace has it. */
enum hf_result hf_svix_app_set_uid(struct hf_db *db, const char *app_id,
				   const char *uid);

/* Record message_id's eventId; HF_ERR_CONFLICT when the application has
 * a message with that eventId already. */
enum hf_result hf_svix_event_id_claim(struct hf_db *db, const char *app_id,
				      const char *event_id,
				      const char *message_id);

/* A message's eventId ("" when it has none). */
enum hf_result hf_svix_event_id(struct hf_db *db, const char *message_id,
				char *event_id);

/* The event type of the workspace named name: its id and created_at
 * (HF_ISO_TIME_SIZE) into id and created_at; HF_ERR_NOT_FOUND if none. */
enum hf_result hf_svix_event_type_find(struct hf_db *db, const char *workspace_id,
				       const char *name, char *id, char *created_at);

/* An event type's description (HF_DESCRIPTION_MAX_LEN + 1), and setting
 * it. */
enum hf_result hf_svix_event_type_description(struct hf_db *db, const char *id,
					      char *description);
enum hf_result hf_svix_event_type_set_description(struct hf_db *db, const char *id,
						  const char *description);

/* An endpoint's deliveries by status (delivery_state.h's order). */
enum hf_result hf_svix_endpoint_counts(struct hf_db *db, const char *endpoint_id,
				       long long counts[5]);

#endif
