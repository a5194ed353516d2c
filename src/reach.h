/*
 * What a scope reaches, for the message log (message.h, deliveries.h):
 * messages of its workspace (and of its environment, when it has one),
 * and the applications and endpoints named in their filters.  A NULL
 * scope is the whole installation, the sysadmin's.
 *
 * Something out of reach is HF_ERR_NOT_FOUND with the same message as
 * something that does not exist, so other tenants' ids cannot be probed.
 */
#ifndef HF_REACH_H
#define HF_REACH_H

#include <stddef.h>

#include "db.h"
#include "entity.h"

/* SQL: the messages (table alias a, "m.") the scope bound next (four
 * parameters, hf_reach_bind) reaches. */
#define HF_SQL_IN_REACH(a) \
	"(? IS NULL OR " a "workspace_id = ?) AND (? IS NULL OR " a "environment_id = ?)"

/*
 * Put before the SELECT of a page that is read newest first (ORDER BY id
 * DESC LIMIT n): without it MariaDB sorts every row of a big workspace or
 * endpoint to return the first n (8 s for 300,000 deliveries); with it,
 * it reads in key order and stops after n where that is cheaper, and
 * keeps the filesort where the filter is narrow.
 */
#define HF_SQL_LIST_PLAN "SET STATEMENT optimizer_join_limit_pref_ratio = 100 FOR "

/* Bind the four parameters of HF_SQL_IN_REACH. */
void hf_reach_bind(struct hf_query *q, const struct hf_scope *scope);

/* HF_OK when the application (not deleted) is within reach. */
enum hf_result hf_reach_application(struct hf_db *db, const struct hf_scope *scope,
				    const char *application_id, char *errstr,
				    size_t errlen);

/* HF_OK when the endpoint (not deleted) is within reach. */
enum hf_result hf_reach_endpoint(struct hf_db *db, const struct hf_scope *scope,
				 const char *endpoint_id, char *errstr,
				 size_t errlen);

/* HF_OK when the message is within reach (and of application_id, unless
 * that is NULL). */
enum hf_result hf_reach_message(struct hf_db *db, const struct hf_scope *scope,
				const char *application_id,
				const char *message_id, char *errstr,
				size_t errlen);

#endif
