/*
 * The statements behind hookfan-admin's endpoint commands: seeing the
 * endpoints' state and rotating an endpoint's signing secret (deliveries
 * and messages are delivery.h's and message.h's).  Like db_admin.h, each
 * function runs inside the caller's transaction and answers with a JSON
 * object or array the caller owns (json_object_put), or an error with a
 * one-line errstr.
 */
#ifndef HF_DB_DELIVERY_H
#define HF_DB_DELIVERY_H

#include <stdbool.h>

#include <json-c/json.h>

#include "db.h"

/*
 * A new signing secret for an endpoint; the secrets in force so far keep
 * signing for grace_hours (0: stop at once).  *out holds the endpoint id,
 * the new secret and when the old ones expire.
 */
enum hf_result hf_endpoint_rotate_secret(struct hf_db *db,
					 const char *endpoint_id,
					 long grace_hours, json_object **out,
					 char *errstr, size_t errlen);

struct hf_endpoint_filter {
	const char *workspace_id;	/* each may be NULL */
	const char *application_id;
	bool disabled_only;
	long limit;
};

/*
 * Endpoints in id order (oldest first) as an array of objects: url,
 * active, why disabled, failing since, event types, and how many of its
 * deliveries are pending, sending and paused (as delivery list says).  An unknown workspace or application
 * is HF_ERR_NOT_FOUND.
 */
enum hf_result hf_endpoint_list(struct hf_db *db,
				const struct hf_endpoint_filter *filter,
				json_object **out, char *errstr, size_t errlen);

/* The event types endpoint_id is subscribed to, in order, as an array. */
enum hf_result hf_endpoint_event_types(struct hf_db *db, const char *endpoint_id,
				       json_object **out, char *errstr,
				       size_t errlen);

/* One endpoint as listed, with "secrets": each secret's id, creation,
 * expiry and whether it signs now (never the secret itself). */
enum hf_result hf_endpoint_show(struct hf_db *db, const char *endpoint_id,
				json_object **out, char *errstr, size_t errlen);

#endif
