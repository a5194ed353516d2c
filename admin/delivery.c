/*
 * hookfan-admin's delivery commands: options in, db_delivery.h out.
 *
 * "message resend M" makes a new delivery for every endpoint the message
 * originally went to (not for endpoints subscribed since), so a resend
 * repeats the original fan-out and never widens it; a disabled endpoint's
 * new delivery waits, paused, until the endpoint is enabled.
 */
#include "delivery.h"

#include <stdio.h>
#include <string.h>

#include "db_delivery.h"
#include "limits.h"
#include "strparse.h"

static enum hf_result
replace_result(json_object **result, json_object *value)
{
	json_object_put(*result);
	*result = value;
	return HF_OK;
}

/* --limit N of the list commands into *limit (default when absent). */
static enum hf_result
list_limit(const struct admin_args *args, long *limit)
{
	const char *p = admin_option(args, "limit");

	*limit = HF_LIST_LIMIT_DEFAULT;
	if (p != NULL && (strparse_long(&p, 1, HF_LIST_LIMIT_MAX, limit) != HF_OK ||
			  *p != '\0'))
		return HF_ERR_INVALID;
	return HF_OK;
}

int
admin_list_check(const struct admin_args *args)
{
	long limit;

	if (list_limit(args, &limit) == HF_OK)
		return ADMIN_OK;
	fprintf(stderr, "hookfan-admin: --limit must be a whole number from 1 to %d\n",
		HF_LIST_LIMIT_MAX);
	return ADMIN_USAGE;
}

enum hf_result
admin_delivery_list(struct hf_db *db, const struct admin_args *args,
		    json_object **result, char *errstr, size_t errlen)
{
	struct hf_delivery_filter filter = { 0 };
	json_object *list = NULL;
	enum hf_result r;

	filter.endpoint_id = admin_option(args, "endpoint");
	filter.message_id = admin_option(args, "message");
	filter.status = admin_option(args, "status");
	(void)list_limit(args, &filter.limit);	/* admin_list_check said it is good */
	r = hf_delivery_list(db, &filter, &list, errstr, errlen);
	return r == HF_OK ? replace_result(result, list) : r;
}

enum hf_result
admin_endpoint_list(struct hf_db *db, const struct admin_args *args,
		    json_object **result, char *errstr, size_t errlen)
{
	struct hf_endpoint_filter filter = { 0 };
	json_object *list = NULL;
	enum hf_result r;

	filter.workspace_id = admin_option(args, "workspace");
	filter.application_id = admin_option(args, "app");
	filter.disabled_only = admin_flag(args, "disabled");
	(void)list_limit(args, &filter.limit);	/* admin_list_check said it is good */
	r = hf_endpoint_list(db, &filter, &list, errstr, errlen);
	return r == HF_OK ? replace_result(result, list) : r;
}

/* The commands that act on the one id given: show, retry, resend. */
typedef enum hf_result (*by_id_fn)(struct hf_db *db, const char *id,
				   json_object **out, char *errstr,
				   size_t errlen);

static enum hf_result
run_by_id(by_id_fn fn, struct hf_db *db, const struct admin_args *args,
	  json_object **result, char *errstr, size_t errlen)
{
	json_object *obj = NULL;
	enum hf_result r;

	r = fn(db, args->positional, &obj, errstr, errlen);
	return r == HF_OK ? replace_result(result, obj) : r;
}

enum hf_result
admin_delivery_show(struct hf_db *db, const struct admin_args *args,
		    json_object **result, char *errstr, size_t errlen)
{
	return run_by_id(hf_delivery_show, db, args, result, errstr, errlen);
}

enum hf_result
admin_delivery_retry(struct hf_db *db, const struct admin_args *args,
		     json_object **result, char *errstr, size_t errlen)
{
	return run_by_id(hf_delivery_retry, db, args, result, errstr, errlen);
}

enum hf_result
admin_endpoint_show(struct hf_db *db, const struct admin_args *args,
		    json_object **result, char *errstr, size_t errlen)
{
	return run_by_id(hf_endpoint_show, db, args, result, errstr, errlen);
}

enum hf_result
admin_message_resend(struct hf_db *db, const struct admin_args *args,
		     json_object **result, char *errstr, size_t errlen)
{
	return run_by_id(hf_message_resend, db, args, result, errstr, errlen);
}

enum hf_result
admin_endpoint_rotate_secret(struct hf_db *db, const struct admin_args *args,
			     json_object **result, char *errstr,
			     size_t errlen)
{
	const char *grace = admin_option(args, "grace-hours");
	long hours = HF_ROTATE_GRACE_HOURS_DEFAULT;
	json_object *obj = NULL;
	enum hf_result r;

	if (grace != NULL) {
		const char *p = grace;

		if (strparse_long(&p, 0, HF_ROTATE_GRACE_HOURS_MAX, &hours) != HF_OK ||
		    *p != '\0')
			return hf_fail(HF_ERR_INVALID, errstr, errlen,
				       "--grace-hours must be a whole number from 0 to %d",
				       HF_ROTATE_GRACE_HOURS_MAX);
	}
	r = hf_endpoint_rotate_secret(db, admin_option(args, "endpoint"), hours,
				      &obj, errstr, errlen);
	return r == HF_OK ? replace_result(result, obj) : r;
}
