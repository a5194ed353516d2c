/*
 * Deliveries, the entity, with their attempts: what happened to a message
 * at each endpoint, and one more attempt on request (retry).  Statuses and
 * their rules are delivery_state.h's.
 *
 * Every call takes a scope: a delivery belongs to its message's workspace
 * and environment, and one outside the scope is HF_ERR_NOT_FOUND like one
 * that does not exist.  A NULL scope is the whole installation (the
 * sysadmin's tool).  Calls run in the caller's transaction; errors are a
 * result and a one-line errstr.
 */
#ifndef HF_DELIVERIES_H
#define HF_DELIVERIES_H

#include <stdbool.h>
#include <stddef.h>

#include "db.h"
#include "delivery_state.h"
#include "entity.h"
#include "limits.h"

struct hf_delivery {
	char id[HF_ID_MAX_LEN + 1];
	char message_id[HF_ID_MAX_LEN + 1];
	char endpoint_id[HF_ID_MAX_LEN + 1];
	enum hf_delivery_status status;
	long long attempts;		/* made, or being made */
	char due_at[HF_ISO_TIME_SIZE];	/* "": none; the lease's end while sending */
	char next_attempt_at[HF_ISO_TIME_SIZE]; /* "": no attempt waiting */
	bool has_last_status_code;
	long last_status_code;
	bool has_last_error;
	char last_error[HF_DELIVERY_ERROR_MAX_BYTES + 1];
	char created_at[HF_ISO_TIME_SIZE];
	char updated_at[HF_ISO_TIME_SIZE];
};

struct hf_delivery_list {
	struct hf_delivery *items;	/* owned: free() */
	size_t count;
	bool more;			/* rows remain after the page */
};

struct hf_attempt {
	char id[HF_ID_MAX_LEN + 1];
	long long attempt_number;
	char started_at[HF_ISO_TIME_SIZE];
	long long duration_ms;
	bool has_status_code;		/* false: no HTTP answer came */
	long status_code;
	bool has_error;
	char error[HF_DELIVERY_ERROR_MAX_BYTES + 1];
	bool has_excerpt;
	size_t excerpt_len;		/* the receiver's bytes, any bytes */
	unsigned char excerpt[HF_RESPONSE_EXCERPT_MAX];
};

struct hf_attempt_list {
	struct hf_attempt *items;	/* owned: free() */
	size_t count;
};

/* Each member may be NULL (no filter); has_status says whether status
 * filters. */
struct hf_delivery_filter {
	const char *endpoint_id;
	const char *message_id;
	bool has_status;
	enum hf_delivery_status status;
};

/*
 * The deliveries in scope, newest first, a page (entity.h) at a time.  A
 * filter's endpoint or message outside the scope is HF_ERR_NOT_FOUND.
 */
enum hf_result hf_delivery_list(struct hf_db *db, const struct hf_scope *scope,
				const struct hf_delivery_filter *filter,
				const struct hf_page *page,
				struct hf_delivery_list *out, char *errstr,
				size_t errlen);

/* One delivery; url (HF_URL_MAX_LEN + 1 bytes, may be NULL) receives its
 * endpoint's URL. */
enum hf_result hf_delivery_get(struct hf_db *db, const struct hf_scope *scope,
			       const char *delivery_id, struct hf_delivery *out,
			       char *url, char *errstr, size_t errlen);

/* Every attempt of a delivery (read with hf_delivery_get or a list, so
 * in scope), oldest first. */
enum hf_result hf_attempt_list(struct hf_db *db, const char *delivery_id,
			       struct hf_attempt_list *out, char *errstr,
			       size_t errlen);

/*
 * Make a delivery due now: one more attempt (if that fails and no retries
 * remain it is failed again); its message is pending again.  Refused with
 * HF_ERR_CONFLICT while an attempt is being made and HF_ERR_REFUSED while
 * its endpoint is disabled.  *previous receives the status it had.
 */
enum hf_result hf_delivery_retry(struct hf_db *db, const struct hf_scope *scope,
				 const char *delivery_id,
				 enum hf_delivery_status *previous,
				 char *errstr, size_t errlen);

/*
 * Lock a message's row, as everything that changes its deliveries does
 * first (the sweep too), so that they never wait on each other in a
 * circle.  HF_ERR_NOT_FOUND when it is gone.
 */
enum hf_result hf_delivery_lock_message(struct hf_db *db, const char *message_id,
					char *errstr, size_t errlen);

#endif
