/*
 * Application portal links: tokens (hfp_...) that open one application's
 * endpoints, messages and deliveries to that application's customer until
 * they expire.  Only a token's SHA-256 is stored.  Each function issues
 * its statements inside the caller's transaction (see hf_db_transaction).
 */
#ifndef HF_DB_PORTAL_H
#define HF_DB_PORTAL_H

#include <stddef.h>

#include "db.h"
#include "entity.h"
#include "limits.h"

/*
 * A new token for application app_id of workspace_id, valid for minutes:
 * the caller has checked both (the application is within its key's
 * reach; 1..HF_PORTAL_MINUTES_MAX).  token receives HF_PORTAL_TOKEN_LEN
 * + 1 bytes, shown to the caller once; expires_at HF_ISO_TIME_SIZE.
 */
enum hf_result hf_portal_create(struct hf_db *db, const char *workspace_id,
				const char *app_id, int minutes, char *token,
				char *expires_at, char *errstr, size_t errlen);

/*
 * The workspace and application a token opens (buffers of HF_ID_MAX_LEN
 * + 1 bytes).  HF_ERR_NOT_FOUND when the token is unknown, expired, or its
 * application is gone: the caller answers 401 alike, so a guess learns
 * nothing.
 */
enum hf_result hf_portal_authenticate(struct hf_db *db, const char *token,
				      char *workspace_id, char *app_id,
				      char *errstr, size_t errlen);

/*
 * HF_OK when endpoint_id (or, for the second, the delivery delivery_id)
 * belongs to application app_id; else HF_ERR_NOT_FOUND, "unknown
 * endpoint" or "unknown delivery", as if it did not exist.
 */
enum hf_result hf_portal_endpoint_in_app(struct hf_db *db, const char *endpoint_id,
					 const char *app_id, char *errstr,
					 size_t errlen);
enum hf_result hf_portal_delivery_in_app(struct hf_db *db, const char *delivery_id,
					 const char *app_id, char *errstr,
					 size_t errlen);

#endif
