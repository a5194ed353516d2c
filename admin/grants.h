/* hookfan-admin grants: the statements of the per-program accounts. */
#ifndef HF_ADMIN_GRANTS_H
#define HF_ADMIN_GRANTS_H

#include "commands.h"

/* Checks --database, --host and --account before anything is opened. */
int admin_grants_check(const struct admin_args *args);

/* Builds {"statements": [...]}; needs no database (db is NULL). */
enum hf_result admin_grants(struct hf_db *db, const struct admin_args *args,
			    json_object **result, char *errstr, size_t errlen);

/* Prints the statements (consumed), each ending with ';'. */
void admin_grants_print_text(json_object *result);

#endif
