/* hookfan-admin's operations commands: workspace set (the ops endpoint). */
#ifndef HF_ADMIN_OPS_H
#define HF_ADMIN_OPS_H

#include "commands.h"

/* workspace set --workspace W --ops-endpoint P|none */
enum hf_result admin_workspace_set(struct hf_db *db, const struct admin_args *args,
				   json_object **result, char *errstr,
				   size_t errlen);

#endif
