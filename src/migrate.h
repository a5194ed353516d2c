/*
 * The migration runner: applies the numbered scripts of sql/ once each,
 * in order, then the stored routines (routines.sql) on every run.  A
 * script may change its delimiter with DELIMITER lines, as scripts for
 * the mariadb client do.
 */
#ifndef HF_MIGRATE_H
#define HF_MIGRATE_H

#include <stddef.h>

#include "db.h"

/*
 * Apply, in order, the NNN_name.sql files of sql_dir not yet recorded in
 * schema_migrations.  Serialised by a server lock, so two shells may run
 * it at once; runs outside hf_db_transaction (DDL commits implicitly).
 * *applied receives how many ran.
 */
enum hf_result hf_migrate(struct hf_db *db, const char *sql_dir, int *applied,
			  char *errstr, size_t errlen);

#endif
