/*
 * hookfan-admin grants: the CREATE USER and GRANT statements of the four
 * database accounts, one per program, each with what that program needs
 * and nothing more.  Printed, never run: the database's root runs them.
 *
 *	ingest	hookfan.fcgi's ingest and GET /metrics: reads keys,
 *		endpoints, subscriptions, counters; writes messages,
 *		deliveries, event types, rate-limit counts;
 *		calls hf_ingest_store and hf_ingest_store_deliveries
 *		(SQL SECURITY INVOKER: they insert with these
 *		privileges).  No signing secret, no DDL.
 *	sweep	hookfan-sweep: reads everything (secrets to sign); writes
 *		deliveries, attempts, messages, endpoints (disabling) and the
 *		operations tables.
 *	admin	hookfan-admin: everything on the database, DDL included.
 *	api	the management API of hookfan.fcgi: rows of every table,
 *		secrets included, and the procedure; no DDL.
 *
 * Table-level grants need the tables, so they are run after migrate (and
 * again after a migration that adds a table); --account admin alone first.
 */
#include "grants.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "limits.h"

/* A table and the statements an account may run on it. */
struct table_grant {
	const char *table;
	const char *privileges;
};

struct account_grants {
	const char *name;		/* --account */
	const char *default_user;
	enum hf_db_account account;
	const char *database_privileges; /* on every table, or NULL */
	const struct table_grant *tables; /* NULL-terminated, or NULL */
	bool execute_store;		/* EXECUTE on the ingest stores */
};

/* The ingest's statements are in src/db_ingest.c, GET /metrics's in
 * src/db_metrics.c; endpoint_secrets is left out on purpose. */
static const struct table_grant ingest_tables[] = {
	{ "api_keys", "SELECT" },
	{ "workspaces", "SELECT" },
	{ "applications", "SELECT" },
	{ "endpoints", "SELECT" },
	{ "subscriptions", "SELECT" },
	{ "event_types", "SELECT, INSERT" },
	{ "messages", "SELECT, INSERT" },
	{ "deliveries", "SELECT, INSERT" },
	{ "rate_limits", "SELECT, INSERT, UPDATE" },
	{ "attempt_counters", "SELECT" },
	/* send-message's Idempotency-Key, and Svix's eventId, are written
	 * in the transaction of the store. */
	{ "idempotency_keys", "SELECT, INSERT, UPDATE" },
	{ "svix_event_ids", "SELECT, INSERT" },
	/* The backlog readings ingest keeps (src/db_ingest.c). */
	{ "endpoint_backlog", "SELECT, INSERT, UPDATE" },
	{ NULL, NULL },
};

/* The sweep reads with the database-wide SELECT; it writes these (its
 * results in src/db_sweep.c, its claims' slots in src/db_claim.c, the
 * operational webhooks and counters in src/db_ops.c). */
static const struct table_grant sweep_tables[] = {
	{ "deliveries", "INSERT, UPDATE" },
	{ "attempts", "INSERT, UPDATE" },
	{ "messages", "INSERT, UPDATE" },
	{ "endpoints", "UPDATE" },
	{ "attempt_counters", "INSERT, UPDATE" },
	{ "ops_failing_deliveries", "INSERT, DELETE" },
	{ "endpoint_slots", "INSERT, UPDATE, DELETE" },
	/* Disabling an endpoint tells ingest (hf_ingest_changed). */
	{ "workspaces", "UPDATE (ingest_epoch)" },
	{ NULL, NULL },
};

static const struct account_grants accounts[] = {
	{ "admin", "hookfan_admin", HF_DB_ACCOUNT_ADMIN, "ALL PRIVILEGES", NULL, false },
	{ "ingest", "hookfan_ingest", HF_DB_ACCOUNT_INGEST, NULL, ingest_tables, true },
	{ "sweep", "hookfan_sweep", HF_DB_ACCOUNT_SWEEP, "SELECT", sweep_tables, false },
	{ "api", "hookfan_api", HF_DB_ACCOUNT_API, "SELECT, INSERT, UPDATE, DELETE",
	  NULL, true },
};

/* Names go inside quotes unescaped: refuse what could end them. */
static bool
plain_name(const char *s)
{
	return s[0] != '\0' && strlen(s) < 256 && strpbrk(s, "'`\"\\\n\r") == NULL;
}

int
admin_grants_check(const struct admin_args *args)
{
	const char *account = admin_option(args, "account");
	const char *names[] = { admin_option(args, "database"),
				admin_option(args, "host") };
	size_t i;

	for (i = 0; i < 2; i++) {
		if (names[i] != NULL && !plain_name(names[i])) {
			fprintf(stderr, "hookfan-admin: --%s must be a plain name (no quotes, backslashes or newlines)\n",
				i == 0 ? "database" : "host");
			return ADMIN_USAGE;
		}
	}
	if (account == NULL)
		return ADMIN_OK;
	for (i = 0; i < sizeof(accounts) / sizeof(accounts[0]); i++) {
		if (strcmp(account, accounts[i].name) == 0)
			return ADMIN_OK;
	}
	fprintf(stderr, "hookfan-admin: --account is one of admin, ingest, sweep, api\n");
	return ADMIN_USAGE;
}

static void
add(json_object *list, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
add(json_object *list, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	json_object_array_add(list, json_object_new_string(line));
}

static enum hf_result
add_account(json_object *list, const struct account_grants *a,
	    const struct hf_config *cfg, const char *database, const char *host,
	    char *errstr, size_t errlen)
{
	const char *user = a->default_user, *configured, *password;
	char who[600];
	const struct table_grant *t;

	/* The account the program will use, when its key names one. */
	hf_config_account(cfg, a->account, &configured, &password);
	(void)password;
	if (configured != cfg->db_user)
		user = configured;
	if (!plain_name(user))
		return hf_fail(HF_ERR_INVALID, errstr, errlen,
			       "the %s account's user name has quotes or backslashes", a->name);
	snprintf(who, sizeof(who), "'%s'@'%s'", user, host);
	add(list, "CREATE USER IF NOT EXISTS %s IDENTIFIED BY 'CHANGE_ME'", who);
	if (a->database_privileges != NULL)
		add(list, "GRANT %s ON `%s`.* TO %s", a->database_privileges, database, who);
	for (t = a->tables; t != NULL && t->table != NULL; t++)
		add(list, "GRANT %s ON `%s`.`%s` TO %s", t->privileges, database,
		    t->table, who);
	if (a->execute_store) {
		add(list, "GRANT EXECUTE ON PROCEDURE `%s`.`hf_ingest_store` TO %s",
		    database, who);
		add(list, "GRANT EXECUTE ON PROCEDURE `%s`.`hf_ingest_store_deliveries` TO %s",
		    database, who);
	}
	return HF_OK;
}

enum hf_result
admin_grants(struct hf_db *db, const struct admin_args *args,
	     json_object **result, char *errstr, size_t errlen)
{
	const char *database = admin_option(args, "database");
	const char *host = admin_option(args, "host");
	const char *only = admin_option(args, "account");
	json_object *list = json_object_new_array();
	enum hf_result r = HF_OK;
	size_t i;

	(void)db;
	if (database == NULL)
		database = args->cfg->db_name;
	if (host == NULL)
		host = "localhost";
	if (!plain_name(database))
		r = hf_fail(HF_ERR_INVALID, errstr, errlen,
			    "db_name has quotes or backslashes");
	for (i = 0; r == HF_OK && i < sizeof(accounts) / sizeof(accounts[0]); i++) {
		if (only == NULL || strcmp(only, accounts[i].name) == 0)
			r = add_account(list, &accounts[i], args->cfg, database, host,
					errstr, errlen);
	}
	*result = json_object_new_object();
	json_object_object_add(*result, "statements", list);
	return r;
}

void
admin_grants_print_text(json_object *result)
{
	json_object *list = NULL;
	size_t i, n;

	json_object_object_get_ex(result, "statements", &list);
	n = json_object_array_length(list);
	printf("-- hookfan's database accounts, one per program.  Run as the database's\n"
	       "-- root after hookfan-admin migrate (--account admin alone before it),\n"
	       "-- with each CHANGE_ME replaced by that account's password.\n");
	for (i = 0; i < n; i++)
		printf("%s;\n", json_object_get_string(json_object_array_get_idx(list, i)));
	json_object_put(result);
}
