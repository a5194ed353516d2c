/*
 * hookfan's configuration: one file of "key = value" lines shared by every
 * program.  The file is parsed once at start-up against a table of known
 * keys; an unknown key or a bad value is an error naming file and line.
 */
#ifndef HF_CONFIG_H
#define HF_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "limits.h"
#include "result.h"

struct hf_config {
	char db_host[256];
	unsigned int db_port;
	char db_socket[512];	/* empty: use host and port */
	char db_name[65];
	char db_user[81];
	char db_password[256];
	/* Each program's own account; "" falls back to db_user / db_password. */
	char ingest_db_user[81], ingest_db_password[256];
	char sweep_db_user[81], sweep_db_password[256];
	char admin_db_user[81], admin_db_password[256];
	char api_db_user[81], api_db_password[256];
	/* Set by hf_config_load: the file holds a password and every user
	 * may read it (the programs warn). */
	bool world_readable_password;

	long max_payload_bytes;
	long rate_limit_per_key;	/* requests per second, 0 = unlimited */
	long rate_limit_per_workspace;

	int retry_schedule[HF_RETRY_SCHEDULE_MAX]; /* seconds */
	size_t retry_count;

	long connect_timeout_ms;
	long delivery_timeout_ms;
	bool allow_private_targets;

	long max_pending_per_endpoint;	/* 0 = unlimited */
	long endpoint_disable_after_seconds; /* 0 = never */
	long lease_seconds;	/* sweep claim lease, 0 = automatic */
	long max_in_flight_per_endpoint; /* across all sweeps, 0 = unlimited */
	/* GET /metrics for the whole installation with this key; "" = off. */
	char metrics_key[HF_API_KEY_MAX_LEN + 1];
};

/* Whose database account a connection uses: see hf_config_account. */
enum hf_db_account {
	HF_DB_ACCOUNT_DEFAULT = 0,	/* db_user / db_password */
	HF_DB_ACCOUNT_INGEST,		/* hookfan.fcgi's ingest */
	HF_DB_ACCOUNT_SWEEP,		/* hookfan-sweep */
	HF_DB_ACCOUNT_ADMIN,		/* hookfan-admin */
	HF_DB_ACCOUNT_API,		/* hookfan.fcgi's management API */
};

/*
 * The user and password account connects with: its own keys
 * (ingest_db_user ...), each falling back on its own to db_user or
 * db_password when unset or empty.  Both point into cfg.
 */
void hf_config_account(const struct hf_config *cfg, enum hf_db_account account,
		       const char **user, const char **password);

/* Fill cfg with the documented defaults. */
void hf_config_defaults(struct hf_config *cfg);

/*
 * The file a program should read: cli_path if not NULL, else
 * $HOOKFAN_CONFIG if set and not empty, else the installed default, in
 * which case *is_default is set (a file nobody named may be missing);
 * is_default may be NULL.
 * The returned string is static or cli_path/getenv's; do not free.
 */
const char *hf_config_path(const char *cli_path, bool *is_default);

/* The file read when neither --config nor HOOKFAN_CONFIG names one. */
#ifndef SYSCONFDIR
#error "SYSCONFDIR must be defined (Makefile.am passes configure's)"
#endif
#define HF_CONFIG_DEFAULT_PATH SYSCONFDIR "/hookfan.conf"

/*
 * Parse text (len bytes, need not be NUL-terminated) on top of whatever cfg
 * holds.  filename is used only in messages.  On error errstr reads
 * "FILE:LINE: what is wrong".
 */
enum hf_result hf_config_parse(struct hf_config *cfg, const char *text,
			       size_t len, const char *filename,
			       char *errstr, size_t errlen);

/*
 * Defaults, then the file at path.  A missing file is an error unless
 * missing_ok is true (the installed default path that was never written).
 * Sets cfg->world_readable_password; hf_config_warning says it.
 */
enum hf_result hf_config_load(struct hf_config *cfg, const char *path,
			      bool missing_ok, char *errstr, size_t errlen);

/*
 * A one-line warning about the loaded file, for the program to print, or
 * NULL: the file holds a password and every user on the host may read it.
 */
const char *hf_config_warning(const struct hf_config *cfg);

/*
 * Parse a retry schedule ("5,300,1800") into out[]; *count receives the
 * number of entries.  Used by the config table and by tests.
 */
enum hf_result hf_config_parse_schedule(const char *value, int *out,
					size_t *count);

#endif
