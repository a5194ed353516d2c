/* The migration runner; see migrate.h. */
#include "migrate.h"
#include "db_galera.h"

#include <ctype.h>
#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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
