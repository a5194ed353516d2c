/* The SQL behind hookfan-admin; see db_admin.h. */
#include "db_admin.h"
#include "db_galera.h"

#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "crypto.h"
#include "db_ops.h"
#include "db_sweep.h"
#include "ids.h"
#include "validate.h"

enum hf_result
hf_workspace_exists(struct hf_db *db, const char *workspace_id, char *errstr,
		    size_t errlen)
{
	return hf_require_row(db, "SELECT 1 FROM workspaces WHERE id = ?",
			      workspace_id, "workspace", errstr, errlen);
}

/* ---- migrations ------------------------------------------------------ */

/*
 * The numbered files (001_initial.sql, ...) are applied once each, in
 * order; this one, the stored routines, after them on every run.
 */
#define HF_ROUTINES_FILE "routines.sql"

static int
compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Read a whole (small) file into a NUL-terminated buffer the caller frees. */
static char *
read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	char *text = NULL;
	long size;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) >= 0 &&
	    fseek(f, 0, SEEK_SET) == 0) {
		text = malloc((size_t)size + 1);
		if (text != NULL && fread(text, 1, (size_t)size, f) != (size_t)size) {
			free(text);
			text = NULL;
		}
		if (text != NULL)
			text[size] = '\0';
	}
	fclose(f);
	return text;
}

/* Send a text of one or more statements; drains every result. */
static enum hf_result
run_text(MYSQL *m, const char *text, size_t len, char *errstr, size_t errlen,
	 const char *name)
{
	int status;

	if (mysql_real_query(m, text, len) != 0)
		return hf_fail(HF_ERR_DB, errstr, errlen, "%s: %s", name,
			       mysql_error(m));
	do {
		MYSQL_RES *res = mysql_store_result(m);

		if (res != NULL)
			mysql_free_result(res);
		status = mysql_next_result(m);
		if (status > 0)
			return hf_fail(HF_ERR_DB, errstr, errlen, "%s: %s",
				       name, mysql_error(m));
	} while (status == 0);
	return HF_OK;
}

/*
 * Where the comment or quoted string starting at text[i] ends (the index
 * after it), or i when none starts there.  As the mariadb client reads
 * them: "--" and "#" to the end of the line, slash-star to star-slash,
 * and strings in ', " or ` with backslash escapes.
 */
static size_t
skip_comment_or_string(const char *text, size_t len, size_t i)
{
	char quote = text[i];

	if (text[i] == '#' || (i + 1 < len && text[i] == '-' && text[i + 1] == '-')) {
		while (i < len && text[i] != '\n')
			i++;
		return i;
	}
	if (i + 1 < len && text[i] == '/' && text[i + 1] == '*') {
		for (i += 2; i + 1 < len; i++) {
			if (text[i] == '*' && text[i + 1] == '/')
				return i + 2;
		}
		return len;
	}
	if (quote != '\'' && quote != '"' && quote != '`')
		return i;
	for (i++; i < len && text[i] != quote; i++) {
		if (text[i] == '\\' && quote != '`')
			i++;
	}
	return i < len ? i + 1 : len;
}

/* True when text holds nothing but white space and comments. */
static bool
blank_sql(const char *text, size_t len)
{
	size_t i = 0, next;

	while (i < len) {
		if (isspace((unsigned char)text[i])) {
			i++;
			continue;
		}
		next = skip_comment_or_string(text, len, i);
		if (next == i || text[i] == '\'' || text[i] == '"' || text[i] == '`')
			return false;
		i = next;
	}
	return true;
}

/*
 * The statements between two DELIMITER lines.  With ";" they go to the
 * server as one multi-statement text; with another delimiter (a routine
 * body holds ";") each delimited statement goes alone.  A delimiter
 * inside a comment or a string does not count.
 */
static enum hf_result
run_section(MYSQL *m, const char *text, size_t len, const char *delimiter,
	    char *errstr, size_t errlen, const char *name)
{
	size_t dlen = strlen(delimiter), start = 0, i = 0, next;
	enum hf_result r;

	if (strcmp(delimiter, ";") == 0)
		return blank_sql(text, len) ? HF_OK
					    : run_text(m, text, len, errstr, errlen, name);
	while (i + dlen <= len) {
		next = skip_comment_or_string(text, len, i);
		if (next != i) {
			i = next;
			continue;
		}
		if (memcmp(text + i, delimiter, dlen) != 0) {
			i++;
			continue;
		}
		if (!blank_sql(text + start, i - start)) {
			r = run_text(m, text + start, i - start, errstr, errlen, name);
			if (r != HF_OK)
				return r;
		}
		start = i = i + dlen;
	}
	if (!blank_sql(text + start, len - start))
		return hf_fail(HF_ERR_DB, errstr, errlen,
			       "%s: the last statement lacks its delimiter %s",
			       name, delimiter);
	return HF_OK;
}

/*
 * Run a migration script.  It may change the statement delimiter with
 * "DELIMITER X" lines, as scripts for the mariadb client do.
 */
static enum hf_result
run_script(MYSQL *m, const char *text, char *errstr, size_t errlen,
	   const char *name)
{
	char delimiter[16] = ";";
	const char *section = text, *line = text, *end;
	enum hf_result r;

	while (*line != '\0') {
		end = strchr(line, '\n');
		if (end == NULL)
			end = line + strlen(line);
		if (strncasecmp(line, "DELIMITER ", 10) == 0) {
			r = run_section(m, section, (size_t)(line - section), delimiter,
					errstr, errlen, name);
			if (r != HF_OK)
				return r;
			if (sscanf(line + 10, "%15s", delimiter) != 1)
				return hf_fail(HF_ERR_DB, errstr, errlen,
					       "%s: DELIMITER without a delimiter", name);
			section = *end == '\n' ? end + 1 : end;
		}
		line = *end == '\n' ? end + 1 : end;
	}
	return run_section(m, section, (size_t)(line - section), delimiter,
			   errstr, errlen, name);
}

static const char migrations_table_sql[] =
	"CREATE TABLE IF NOT EXISTS schema_migrations ("
	" version INT UNSIGNED NOT NULL PRIMARY KEY,"
	" name VARCHAR(200) NOT NULL,"
	" applied_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)"
	") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4";

static enum hf_result
migrate_locked(struct hf_db *db, const char *sql_dir, int *applied,
	       char *errstr, size_t errlen)
{
	MYSQL *m = hf_db_mysql(db);
	struct dirent *entry;
	char **names = NULL, *text = NULL, path[1024];
	size_t count = 0, cap = 0, i;
	enum hf_result r = HF_OK;
	DIR *dir;

	*applied = 0;
	dir = opendir(sql_dir);
	if (dir == NULL)
		return hf_fail(HF_ERR_IO, errstr, errlen,
			       "cannot open migrations folder %s", sql_dir);
	while ((entry = readdir(dir)) != NULL) {
		size_t len = strlen(entry->d_name);

		if (len < 5 || strcmp(entry->d_name + len - 4, ".sql") != 0 ||
		    entry->d_name[0] < '0' || entry->d_name[0] > '9')
			continue;
		if (count == cap) {
			char **grown = realloc(names, (cap + 16) * sizeof(*names));

			if (grown == NULL) {
				r = HF_ERR_NOMEM;
				goto out;
			}
			names = grown;
			cap += 16;
		}
		names[count] = strdup(entry->d_name);
		if (names[count] == NULL) {
			r = HF_ERR_NOMEM;
			goto out;
		}
		count++;
	}
	qsort(names, count, sizeof(*names), compare_names);
	r = hf_db_exec(db, migrations_table_sql);
	if (r != HF_OK) {
		r = hf_db_fail(db, r, errstr, errlen);
		goto out;
	}
	for (i = 0; i < count; i++) {
		struct hf_query q;
		long version = strtol(names[i], NULL, 10);
		bool done;

		hf_query_start(&q, db,
			       "SELECT 1 FROM schema_migrations WHERE version = ?");
		hf_query_int(&q, version);
		r = hf_query_run(&q);
		if (r == HF_OK)
			r = hf_query_next(&q);
		hf_query_end(&q);
		done = r == HF_OK;
		if (r != HF_OK && r != HF_ERR_NOT_FOUND) {
			r = hf_db_fail(db, r, errstr, errlen);
			goto out;
		}
		r = HF_OK;
		if (done)
			continue;
		snprintf(path, sizeof(path), "%s/%s", sql_dir, names[i]);
		text = read_file(path);
		if (text == NULL) {
			r = hf_fail(HF_ERR_IO, errstr, errlen, "cannot read %s", path);
			goto out;
		}
		r = run_script(m, text, errstr, errlen, names[i]);
		free(text);
		text = NULL;
		if (r != HF_OK)
			goto out;
		hf_query_start(&q, db,
			       "INSERT INTO schema_migrations (version, name) VALUES (?, ?)");
		hf_query_int(&q, version);
		hf_query_text(&q, names[i]);
		r = hf_query_run(&q);
		hf_query_end(&q);
		if (r == HF_OK && mysql_commit(m) != 0)
			r = HF_ERR_DB;
		if (r != HF_OK) {
			r = hf_db_fail(db, r, errstr, errlen);
			goto out;
		}
		(*applied)++;
	}
	/* The stored routines: every time, after the tables they use. */
	snprintf(path, sizeof(path), "%s/%s", sql_dir, HF_ROUTINES_FILE);
	text = read_file(path);
	if (text == NULL) {
		r = hf_fail(HF_ERR_IO, errstr, errlen, "cannot read %s", path);
		goto out;
	}
	r = run_script(m, text, errstr, errlen, HF_ROUTINES_FILE);
	free(text);
	text = NULL;
out:
	for (i = 0; i < count; i++)
		free(names[i]);
	free(names);
	closedir(dir);
	return r;
}

enum hf_result
hf_migrate(struct hf_db *db, const char *sql_dir, int *applied, char *errstr,
	   size_t errlen)
{
	MYSQL *m;
	enum hf_result r;
	struct hf_query q;
	char cluster_token[HF_MIGRATE_LOCK_TOKEN_LEN + 1];

	r = hf_db_ping(db);
	if (r != HF_OK)
		return hf_db_fail(db, r, errstr, errlen);
	m = hf_db_mysql(db);
	if (mysql_set_server_option(m, MYSQL_OPTION_MULTI_STATEMENTS_ON) != 0)
		return hf_fail(HF_ERR_DB, errstr, errlen, "%s", mysql_error(m));
	/* A named server lock serialises concurrent migrators. */
	hf_query_start(&q, db, "SELECT GET_LOCK('hookfan_migrate', 60)");
	r = hf_query_run(&q);
	if (r == HF_OK)
		r = hf_query_next(&q);
	if (r == HF_OK && hf_query_column_int(&q, 0) != 1)
		r = hf_fail(HF_ERR_TIMEOUT, errstr, errlen,
			    "another migration holds the lock");
	else if (r != HF_OK)
		r = hf_db_fail(db, r, errstr, errlen);
	hf_query_end(&q);
	/* GET_LOCK is node-local on a Galera cluster: a row lock there too. */
	if (r == HF_OK && hf_db_wsrep(db))
		r = hf_db_galera_migrate_lock(db, cluster_token, errstr, errlen);
	if (r == HF_OK) {
		r = migrate_locked(db, sql_dir, applied, errstr, errlen);
		if (hf_db_wsrep(db))
			hf_db_galera_migrate_unlock(db, cluster_token);
	}
	hf_db_exec(db, "DO RELEASE_LOCK('hookfan_migrate')");
	mysql_commit(m);
	mysql_set_server_option(m, MYSQL_OPTION_MULTI_STATEMENTS_OFF);
	return r;
}

/* ---- workspaces, environments, applications -------------------------- */

enum hf_result
hf_workspace_create(struct hf_db *db, const char *name, long max_payload_bytes,
		    char *id, char *errstr, size_t errlen)
{
	struct hf_query q;
	enum hf_result r;

	if (!hf_name_valid(name))
		return hf_fail(HF_ERR_INVALID, errstr, errlen,
			       "a name is 1 to %d characters of UTF-8 text",
			       HF_NAME_MAX_LEN);
	if (hf_id_new(id, "ws") != HF_OK)
		return HF_ERR_IO;
	hf_query_start(&q, db,
		       "INSERT INTO workspaces (id, name, max_payload_bytes) VALUES (?, ?, ?)");
	hf_query_text(&q, id);
	hf_query_text(&q, name);
	if (max_payload_bytes > 0)
		hf_query_int(&q, max_payload_bytes);
	else
		hf_query_null(&q);
	r = hf_query_run(&q);
	hf_query_end(&q);
	return r == HF_OK ? r : hf_db_fail(db, r, errstr, errlen);
}

enum hf_result
hf_environment_resolve(struct hf_db *db, const char *workspace_id,
		       const char *environment, char *env_id, char *errstr,
		       size_t errlen)
{
	struct hf_query q;
	enum hf_result r;

	hf_query_start(&q, db,
		       "SELECT id FROM environments WHERE workspace_id = ? AND (id = ? OR name = ?)"
		       " ORDER BY id = ? DESC LIMIT 1");
	hf_query_text(&q, workspace_id);
	hf_query_text(&q, environment);
	hf_query_text(&q, environment);
	hf_query_text(&q, environment);
	r = hf_query_expect_row(&q, "environment", environment, errstr, errlen);
	if (r == HF_ERR_NOT_FOUND)
		hf_fail(r, errstr, errlen,
			"unknown environment \"%s\" in workspace %s",
			environment, workspace_id);
	if (r == HF_OK)
		snprintf(env_id, HF_ID_MAX_LEN + 1, "%s", hf_query_column(&q, 0, NULL));
	hf_query_end(&q);
	return r;
}

enum hf_result
hf_environment_create(struct hf_db *db, const char *workspace_id,
		      const char *name, char *id, char *errstr, size_t errlen)
{
	struct hf_query q;
	enum hf_result r;

	if (!hf_name_valid(name))
		return hf_fail(HF_ERR_INVALID, errstr, errlen,
			       "a name is 1 to %d characters of UTF-8 text",
			       HF_NAME_MAX_LEN);
	r = hf_workspace_exists(db, workspace_id, errstr, errlen);
	if (r != HF_OK)
		return r;
	if (hf_id_new(id, "env") != HF_OK)
		return HF_ERR_IO;
	hf_query_start(&q, db,
		       "INSERT INTO environments (id, workspace_id, name) VALUES (?, ?, ?)");
	hf_query_text(&q, id);
	hf_query_text(&q, workspace_id);
	hf_query_text(&q, name);
	r = hf_query_run(&q);
	hf_query_end(&q);
	if (r == HF_ERR_CONFLICT)
		return hf_fail(r, errstr, errlen,
			       "workspace %s already has an environment named \"%s\"",
			       workspace_id, name);
	return r == HF_OK ? r : hf_db_fail(db, r, errstr, errlen);
}

enum hf_result
hf_application_create(struct hf_db *db, const char *workspace_id,
		      const char *environment, const char *name, bool active,
		      char *id, char *errstr, size_t errlen)
{
	char env_id[HF_ID_MAX_LEN + 1];
	struct hf_query q;
	enum hf_result r;

	if (!hf_name_valid(name))
		return hf_fail(HF_ERR_INVALID, errstr, errlen,
			       "a name is 1 to %d characters of UTF-8 text",
			       HF_NAME_MAX_LEN);
	r = hf_workspace_exists(db, workspace_id, errstr, errlen);
	if (r == HF_OK && environment != NULL)
		r = hf_environment_resolve(db, workspace_id, environment,
					   env_id, errstr, errlen);
	if (r != HF_OK)
		return r;
	if (hf_id_new(id, "app") != HF_OK)
		return HF_ERR_IO;
	hf_query_start(&q, db,
		       "INSERT INTO applications (id, workspace_id, environment_id, name, active)"
		       " VALUES (?, ?, ?, ?, ?)");
	hf_query_text(&q, id);
	hf_query_text(&q, workspace_id);
	hf_query_text(&q, environment != NULL ? env_id : NULL);
	hf_query_text(&q, name);
	hf_query_int(&q, active ? 1 : 0);
	r = hf_query_run(&q);
	hf_query_end(&q);
	return r == HF_OK ? r : hf_db_fail(db, r, errstr, errlen);
}

enum hf_result
hf_application_set_active(struct hf_db *db, const char *app_id, bool active,
			  char *errstr, size_t errlen)
{
	struct hf_query q;
	enum hf_result r;

	r = hf_require_row(db, "SELECT 1 FROM applications WHERE id = ? FOR UPDATE",
			app_id, "application", errstr, errlen);
	if (r != HF_OK)
		return r;
	hf_query_start(&q, db, "UPDATE applications SET active = ? WHERE id = ?");
	hf_query_int(&q, active ? 1 : 0);
	hf_query_text(&q, app_id);
	r = hf_query_run(&q);
	hf_query_end(&q);
	return r == HF_OK ? r : hf_db_fail(db, r, errstr, errlen);
}

/* ---- endpoints and subscriptions ------------------------------------- */

enum hf_result
hf_secret_generate(char *secret)
{
	unsigned char raw[HF_SECRET_RANDOM_BYTES];

	if (hf_random_bytes(raw, sizeof(raw)) != HF_OK)
		return HF_ERR_IO;
	memcpy(secret, "whsec_", 6);
	hf_base64_encode(raw, sizeof(raw), secret + 6);
	return HF_OK;
}

/* Subscribe endpoint_id (of workspace_id) to one event type or "*". */
static enum hf_result
subscribe(struct hf_db *db, const char *workspace_id, const char *endpoint_id,
	  const char *event_type, char *errstr, size_t errlen)
{
	char type_id[HF_ID_MAX_LEN + 1];
	struct hf_query q;
	enum hf_result r;

	if (!hf_event_type_valid(event_type, strlen(event_type), true))
		return hf_fail(HF_ERR_INVALID, errstr, errlen,
			       "invalid event type \"%s\": use 1 to %d of A-Z a-z 0-9 . _ - : (or * for all)",
			       event_type, HF_EVENT_TYPE_MAX_LEN);
	if (strcmp(event_type, "*") != 0) {
		/* Register the type so triggers can report its id. */
		if (hf_id_new(type_id, "evt") != HF_OK)
			return HF_ERR_IO;
		hf_query_start(&q, db,
			       "INSERT IGNORE INTO event_types (id, workspace_id, name) VALUES (?, ?, ?)");
		hf_query_text(&q, type_id);
		hf_query_text(&q, workspace_id);
		hf_query_text(&q, event_type);
		r = hf_query_run(&q);
		hf_query_end(&q);
		if (r != HF_OK)
			return hf_db_fail(db, r, errstr, errlen);
	}
	hf_query_start(&q, db,
		       "INSERT IGNORE INTO subscriptions (endpoint_id, event_type, workspace_id)"
		       " VALUES (?, ?, ?)");
	hf_query_text(&q, endpoint_id);
	hf_query_text(&q, event_type);
	hf_query_text(&q, workspace_id);
	r = hf_query_run(&q);
	hf_query_end(&q);
	return r == HF_OK ? r : hf_db_fail(db, r, errstr, errlen);
}

enum hf_result
hf_endpoint_create(struct hf_db *db, const struct hf_endpoint_spec *spec,
		   char *id, char *secret, char *errstr, size_t errlen)
{
	char env_id[HF_ID_MAX_LEN + 1] = "", secret_id[HF_ID_MAX_LEN + 1];
	const char *why = NULL, *app_env = NULL;
	struct hf_query q;
	enum hf_result r;
	size_t i;

	if (!hf_url_valid(spec->url, &why))
		return hf_fail(HF_ERR_INVALID, errstr, errlen,
			       "invalid URL (%s): \"%.200s\"", why, spec->url);
	for (i = 0; i < spec->event_type_count; i++) {
		const char *t = spec->event_types[i];

		if (!hf_event_type_valid(t, strlen(t), true))
			return hf_fail(HF_ERR_INVALID, errstr, errlen,
				       "invalid event type \"%s\": use 1 to %d of A-Z a-z 0-9 . _ - : (or * for all)",
				       t, HF_EVENT_TYPE_MAX_LEN);
	}
	r = hf_workspace_exists(db, spec->workspace_id, errstr, errlen);
	if (r == HF_OK && spec->environment != NULL)
		r = hf_environment_resolve(db, spec->workspace_id,
					   spec->environment, env_id, errstr,
					   errlen);
	if (r != HF_OK)
		return r;
	if (spec->application_id != NULL) {
		hf_query_start(&q, db,
			       "SELECT environment_id FROM applications WHERE id = ? AND workspace_id = ?");
		hf_query_text(&q, spec->application_id);
		hf_query_text(&q, spec->workspace_id);
		r = hf_query_expect_row(&q, "application", spec->application_id, errstr,
			       errlen);
		if (r == HF_OK)
			app_env = hf_query_column(&q, 0, NULL);
		/* An application's endpoints live in its environment. */
		if (r == HF_OK && env_id[0] != '\0' &&
		    (app_env == NULL || strcmp(app_env, env_id) != 0))
			r = hf_fail(HF_ERR_INVALID, errstr, errlen,
				    "application %s is not in environment %s",
				    spec->application_id, env_id);
		else if (r == HF_OK && app_env != NULL)
			snprintf(env_id, sizeof(env_id), "%s", app_env);
		hf_query_end(&q);
		if (r != HF_OK)
			return r;
	}
	if (hf_id_new(id, "ep") != HF_OK || hf_id_new(secret_id, "sec") != HF_OK ||
	    hf_secret_generate(secret) != HF_OK)
		return HF_ERR_IO;
	hf_query_start(&q, db,
		       "INSERT INTO endpoints (id, workspace_id, environment_id, application_id, url)"
		       " VALUES (?, ?, ?, ?, ?)");
	hf_query_text(&q, id);
	hf_query_text(&q, spec->workspace_id);
	hf_query_text(&q, env_id[0] != '\0' ? env_id : NULL);
	hf_query_text(&q, spec->application_id);
	hf_query_text(&q, spec->url);
	r = hf_query_run(&q);
	hf_query_end(&q);
	if (r != HF_OK)
		return hf_db_fail(db, r, errstr, errlen);
	hf_query_start(&q, db,
		       "INSERT INTO endpoint_secrets (id, endpoint_id, secret) VALUES (?, ?, ?)");
	hf_query_text(&q, secret_id);
	hf_query_text(&q, id);
	hf_query_text(&q, secret);
	r = hf_query_run(&q);
	hf_query_end(&q);
	if (r != HF_OK)
		return hf_db_fail(db, r, errstr, errlen);
	if (spec->event_type_count == 0)
		return subscribe(db, spec->workspace_id, id, "*", errstr, errlen);
	for (i = 0; i < spec->event_type_count && r == HF_OK; i++)
		r = subscribe(db, spec->workspace_id, id, spec->event_types[i],
			      errstr, errlen);
	return r;
}

/* Look up an endpoint's workspace, locking the endpoint row. */
static enum hf_result
endpoint_workspace(struct hf_db *db, const char *endpoint_id,
		   char *workspace_id, char *errstr, size_t errlen)
{
	struct hf_query q;
	enum hf_result r;

	hf_query_start(&q, db, "SELECT workspace_id FROM endpoints WHERE id = ? FOR UPDATE");
	hf_query_text(&q, endpoint_id);
	r = hf_query_expect_row(&q, "endpoint", endpoint_id, errstr, errlen);
	if (r == HF_OK)
		snprintf(workspace_id, HF_ID_MAX_LEN + 1, "%s",
			 hf_query_column(&q, 0, NULL));
	hf_query_end(&q);
	return r;
}

enum hf_result
hf_endpoint_set_active(struct hf_db *db, const char *endpoint_id, bool active,
		       const char *reason, char *errstr, size_t errlen)
{
	char workspace_id[HF_ID_MAX_LEN + 1];
	struct hf_query q;
	enum hf_result r;

	r = endpoint_workspace(db, endpoint_id, workspace_id, errstr, errlen);
	if (r == HF_OK)
		r = hf_ops_endpoint_toggling(db, endpoint_id, active, reason, errstr, errlen);
	if (r != HF_OK)
		return r;
	hf_query_start(&q, db,
		       "UPDATE endpoints SET active = ?, disabled_reason = ?,"
		       " failing_since = NULL WHERE id = ?");
	hf_query_int(&q, active ? 1 : 0);
	hf_query_text(&q, active ? NULL : reason);
	hf_query_text(&q, endpoint_id);
	r = hf_query_run(&q);
	hf_query_end(&q);
	if (r != HF_OK)
		return hf_db_fail(db, r, errstr, errlen);
	if (active)
		hf_query_start(&q, db,
			       "UPDATE deliveries SET status = 'pending', due_at = NOW(3),"
			       " updated_at = NOW(3) WHERE endpoint_id = ? AND status = 'paused'");
	else	/* as the sweep parks them (db_sweep.h) */
		hf_query_start(&q, db,
			       "UPDATE deliveries SET " HF_SQL_PARK("")
			       " WHERE endpoint_id = ? AND " HF_SQL_PARKABLE(""));
	hf_query_text(&q, endpoint_id);
	r = hf_query_run(&q);
	hf_query_end(&q);
	return r == HF_OK ? r : hf_db_fail(db, r, errstr, errlen);
}

enum hf_result
hf_subscription_add(struct hf_db *db, const char *endpoint_id,
		    const char *event_type, char *errstr, size_t errlen)
{
	char workspace_id[HF_ID_MAX_LEN + 1];
	enum hf_result r;

	r = endpoint_workspace(db, endpoint_id, workspace_id, errstr, errlen);
	if (r != HF_OK)
		return r;
	return subscribe(db, workspace_id, endpoint_id, event_type, errstr, errlen);
}

enum hf_result
hf_endpoint_lock(struct hf_db *db, const char *endpoint_id, char *errstr,
		 size_t errlen)
{
	char workspace_id[HF_ID_MAX_LEN + 1];

	return endpoint_workspace(db, endpoint_id, workspace_id, errstr, errlen);
}

enum hf_result
hf_subscription_remove(struct hf_db *db, const char *endpoint_id,
		       const char *event_type, char *errstr, size_t errlen)
{
	struct hf_query q;
	enum hf_result r;

	r = hf_endpoint_lock(db, endpoint_id, errstr, errlen);
	if (r != HF_OK)
		return r;
	hf_query_start(&q, db,
		       "DELETE FROM subscriptions WHERE endpoint_id = ? AND event_type = ?");
	hf_query_text(&q, endpoint_id);
	hf_query_text(&q, event_type);
	r = hf_query_run(&q);
	if (r == HF_OK && hf_query_affected(&q) == 0)
		r = hf_fail(HF_ERR_NOT_FOUND, errstr, errlen,
			    "endpoint %s is not subscribed to \"%s\"", endpoint_id,
			    event_type);
	else if (r != HF_OK)
		r = hf_db_fail(db, r, errstr, errlen);
	hf_query_end(&q);
	return r;
}

/* ---- API keys -------------------------------------------------------- */

enum hf_result
hf_api_key_create(struct hf_db *db, const char *workspace_id,
		  const char *environment, const char *endpoint_id, char *id,
		  char *key, char *errstr, size_t errlen)
{
	unsigned char raw[HF_API_KEY_RANDOM_BYTES];
	char env_id[HF_ID_MAX_LEN + 1], hash[HF_SHA256_HEX_LEN + 1];
	struct hf_query q;
	enum hf_result r;

	if (environment != NULL && endpoint_id != NULL)
		return hf_fail(HF_ERR_INVALID, errstr, errlen,
			       "a key is scoped to an environment or an endpoint, not both");
	r = hf_workspace_exists(db, workspace_id, errstr, errlen);
	if (r == HF_OK && environment != NULL)
		r = hf_environment_resolve(db, workspace_id, environment,
					   env_id, errstr, errlen);
	if (r == HF_OK && endpoint_id != NULL) {
		hf_query_start(&q, db,
			       "SELECT 1 FROM endpoints WHERE id = ? AND workspace_id = ?");
		hf_query_text(&q, endpoint_id);
		hf_query_text(&q, workspace_id);
		r = hf_query_expect_row(&q, "endpoint", endpoint_id, errstr, errlen);
		hf_query_end(&q);
	}
	if (r != HF_OK)
		return r;
	if (hf_random_bytes(raw, sizeof(raw)) != HF_OK || hf_id_new(id, "key") != HF_OK)
		return HF_ERR_IO;
	memcpy(key, "hfk_", 4);
	hf_hex_encode(raw, sizeof(raw), key + 4);
	hf_sha256_hex(key, strlen(key), hash);
	hf_query_start(&q, db,
		       "INSERT INTO api_keys (id, key_hash, workspace_id, environment_id, endpoint_id)"
		       " VALUES (?, ?, ?, ?, ?)");
	hf_query_text(&q, id);
	hf_query_text(&q, hash);
	hf_query_text(&q, workspace_id);
	hf_query_text(&q, environment != NULL ? env_id : NULL);
	hf_query_text(&q, endpoint_id);
	r = hf_query_run(&q);
	hf_query_end(&q);
	return r == HF_OK ? r : hf_db_fail(db, r, errstr, errlen);
}

enum hf_result
hf_api_key_revoke(struct hf_db *db, const char *key_id, char *errstr,
		  size_t errlen)
{
	struct hf_query q;
	enum hf_result r;

	r = hf_require_row(db, "SELECT 1 FROM api_keys WHERE id = ? FOR UPDATE",
			key_id, "key", errstr, errlen);
	if (r != HF_OK)
		return r;
	hf_query_start(&q, db,
		       "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, NOW(3)) WHERE id = ?");
	hf_query_text(&q, key_id);
	r = hf_query_run(&q);
	hf_query_end(&q);
	return r == HF_OK ? r : hf_db_fail(db, r, errstr, errlen);
}
