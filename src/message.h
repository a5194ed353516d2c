/*
 * Messages, the entity: the message log (what was sent, newest first),
 * one message, and sending one again (resend).  Its deliveries are
 * deliveries.h's; the statuses delivery_state.h's.
 *
 * Every call takes a scope (reach.h): a message belongs to a workspace
 * and, when it has one, an environment; one outside the scope is
 * HF_ERR_NOT_FOUND like one that does not exist.  NULL is the whole
 * installation.  Calls run in the caller's transaction; errors are a
 * result and a one-line errstr.
 */
#ifndef HF_MESSAGE_H
#define HF_MESSAGE_H

#include <stdbool.h>
#include <stddef.h>

#include "db.h"
#include "entity.h"
#include "limits.h"

/* The longest message status ("no_subscribers") and its NUL. */
#define HF_MESSAGE_STATUS_SIZE 16

struct hf_message {
	char id[HF_ID_MAX_LEN + 1];
	char workspace_id[HF_ID_MAX_LEN + 1];
	char environment_id[HF_ID_MAX_LEN + 1];	/* "": none */
	char application_id[HF_ID_MAX_LEN + 1];	/* "": the trigger's */
	char event_type[HF_EVENT_TYPE_MAX_LEN + 1];
	char status[HF_MESSAGE_STATUS_SIZE];
	char created_at[HF_ISO_TIME_SIZE];
	char updated_at[HF_ISO_TIME_SIZE];
	char *payload;			/* owned: the stored JSON text */
	size_t payload_len;
};

struct hf_message_list {
	struct hf_message *items;	/* owned: hf_message_list_free */
	size_t count;
	bool more;			/* rows remain after the page */
};

/* Each member may be NULL (no filter).  Times are SQL DATETIME text in
 * UTC (hf_iso_time_to_sql); both bounds are exclusive. */
struct hf_message_filter {
	const char *application_id;
	const char *event_type;
	const char *status;
	const char *created_before;
	const char *created_after;
};

void hf_message_free(struct hf_message *m);
void hf_message_list_free(struct hf_message_list *list);

/*
 * The messages in scope, newest first, a page (entity.h) at a time.  A
 * filter's application outside the scope is HF_ERR_NOT_FOUND.
 */
enum hf_result hf_message_list(struct hf_db *db, const struct hf_scope *scope,
			       const struct hf_message_filter *filter,
			       const struct hf_page *page,
			       struct hf_message_list *out, char *errstr,
			       size_t errlen);

/* One message (of application_id, unless that is NULL); *out is freed
 * with hf_message_free. */
enum hf_result hf_message_get(struct hf_db *db, const struct hf_scope *scope,
			      const char *application_id,
			      const char *message_id, struct hf_message *out,
			      char *errstr, size_t errlen);

/* The new deliveries of a resend. */
struct hf_resend {
	char (*delivery_ids)[HF_ID_MAX_LEN + 1];	/* owned: free() */
	size_t count;
};

/*
 * Send a message again: one new delivery for every endpoint it had a
 * delivery for (not for endpoints subscribed since: a resend repeats the
 * fan-out, never widens it), due now, or paused while the endpoint is
 * disabled.  HF_ERR_INVALID when it went to no endpoint.
 */
enum hf_result hf_message_resend(struct hf_db *db, const struct hf_scope *scope,
				 const char *message_id, struct hf_resend *out,
				 char *errstr, size_t errlen);

/* The message is pending again (a delivery of it was made due). */
enum hf_result hf_message_set_pending(struct hf_db *db, const char *message_id,
				      char *errstr, size_t errlen);

#endif
