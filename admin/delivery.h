/*
 * hookfan-admin's delivery commands (delivery list/show/retry, message
 * resend, endpoint list/show/rotate-secret).  Each is an admin_command run function;
 * commands.c lists them in admin_commands[].
 */
#ifndef HF_ADMIN_DELIVERY_H
#define HF_ADMIN_DELIVERY_H

#include "commands.h"

enum hf_result admin_delivery_list(struct hf_db *db, const struct admin_args *args,
				   json_object **result, char *errstr,
				   size_t errlen);
enum hf_result admin_delivery_show(struct hf_db *db, const struct admin_args *args,
				   json_object **result, char *errstr,
				   size_t errlen);
enum hf_result admin_delivery_retry(struct hf_db *db, const struct admin_args *args,
				    json_object **result, char *errstr,
				    size_t errlen);
enum hf_result admin_message_resend(struct hf_db *db, const struct admin_args *args,
				    json_object **result, char *errstr,
				    size_t errlen);
/* The list commands' --limit, before anything is opened (admin_command
 * check). */
int admin_list_check(const struct admin_args *args);
enum hf_result admin_endpoint_list(struct hf_db *db, const struct admin_args *args,
				   json_object **result, char *errstr,
				   size_t errlen);
enum hf_result admin_endpoint_show(struct hf_db *db, const struct admin_args *args,
				   json_object **result, char *errstr,
				   size_t errlen);
enum hf_result admin_endpoint_rotate_secret(struct hf_db *db,
					    const struct admin_args *args,
					    json_object **result,
					    char *errstr, size_t errlen);

#endif
