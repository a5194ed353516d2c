/*
 * The config file parser.  The key table below is the single list of keys
 * hookfan understands; each key names the parser that validates its value.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "strparse.h"

enum value_kind { KIND_STRING, KIND_PORT, KIND_LONG, KIND_BOOL, KIND_SCHEDULE };

struct config_key {
	const char *name;
	enum value_kind kind;
	size_t offset;
	size_t size;		/* strings: buffer size */
	long min, max;		/* numbers: accepted range */
};

#define STRING_KEY(field) \
	{ #field, KIND_STRING, offsetof(struct hf_config, field), \
	  sizeof(((struct hf_config *)0)->field), 0, 0 }
#define LONG_KEY(field, lo, hi) \
	{ #field, KIND_LONG, offsetof(struct hf_config, field), 0, lo, hi }

static const struct config_key config_keys[] = {
	STRING_KEY(db_host),
	{ "db_port", KIND_PORT, offsetof(struct hf_config, db_port), 0, 1, 65535 },
	STRING_KEY(db_socket),
	STRING_KEY(db_name),
	STRING_KEY(db_user),
	STRING_KEY(db_password),
	STRING_KEY(ingest_db_user),
	STRING_KEY(ingest_db_password),
	STRING_KEY(sweep_db_user),
	STRING_KEY(sweep_db_password),
	STRING_KEY(admin_db_user),
	STRING_KEY(admin_db_password),
	STRING_KEY(api_db_user),
	STRING_KEY(api_db_password),
	LONG_KEY(max_payload_bytes, 1, HF_PAYLOAD_BYTES_CEILING),
	LONG_KEY(rate_limit_per_key, 0, 1000000),
	LONG_KEY(rate_limit_per_workspace, 0, 1000000),
	{ "retry_schedule", KIND_SCHEDULE, 0, 0, 0, 0 },
	LONG_KEY(connect_timeout_ms, 1, 600000),
	LONG_KEY(delivery_timeout_ms, 1, 3600000),
	{ "allow_private_targets", KIND_BOOL,
	  offsetof(struct hf_config, allow_private_targets), 0, 0, 0 },
	LONG_KEY(max_pending_per_endpoint, 0, 1000000000),
	LONG_KEY(endpoint_disable_after_seconds, 0, 10L * 365 * 24 * 3600),
	LONG_KEY(lease_seconds, 0, HF_SWEEP_LEASE_MAX_SECONDS),
	LONG_KEY(max_in_flight_per_endpoint, 0, HF_MAX_IN_FLIGHT_PER_ENDPOINT_MAX),
	STRING_KEY(metrics_key),
};

void
hf_config_defaults(struct hf_config *cfg)
{
	static const int schedule[] = { 5, 300, 1800, 7200, 18000, 36000, 36000 };

	memset(cfg, 0, sizeof(*cfg));
	strcpy(cfg->db_host, "localhost");
	cfg->db_port = 3306;
	strcpy(cfg->db_name, "hookfan");
	strcpy(cfg->db_user, "hookfan");
	cfg->max_payload_bytes = HF_PAYLOAD_BYTES_DEFAULT;
	memcpy(cfg->retry_schedule, schedule, sizeof(schedule));
	cfg->retry_count = sizeof(schedule) / sizeof(schedule[0]);
	cfg->connect_timeout_ms = 5000;
	cfg->delivery_timeout_ms = 15000;
	cfg->max_pending_per_endpoint = HF_MAX_PENDING_PER_ENDPOINT_DEFAULT;
	cfg->endpoint_disable_after_seconds = HF_ENDPOINT_DISABLE_AFTER_DEFAULT;
	cfg->max_in_flight_per_endpoint = HF_MAX_IN_FLIGHT_PER_ENDPOINT_DEFAULT;
}

void
hf_config_account(const struct hf_config *cfg, enum hf_db_account account,
		  const char **user, const char **password)
{
	const char *own_user = "", *own_password = "";

	switch (account) {
	case HF_DB_ACCOUNT_INGEST:
		own_user = cfg->ingest_db_user;
		own_password = cfg->ingest_db_password;
		break;
	case HF_DB_ACCOUNT_SWEEP:
		own_user = cfg->sweep_db_user;
		own_password = cfg->sweep_db_password;
		break;
	case HF_DB_ACCOUNT_ADMIN:
		own_user = cfg->admin_db_user;
		own_password = cfg->admin_db_password;
		break;
	case HF_DB_ACCOUNT_API:
		own_user = cfg->api_db_user;
		own_password = cfg->api_db_password;
		break;
	case HF_DB_ACCOUNT_DEFAULT:
		break;
	}
	*user = own_user[0] != '\0' ? own_user : cfg->db_user;
	*password = own_password[0] != '\0' ? own_password : cfg->db_password;
}

/* True when cfg holds a database password, whoever's. */
static bool
holds_password(const struct hf_config *cfg)
{
	return cfg->db_password[0] != '\0' || cfg->ingest_db_password[0] != '\0' ||
	       cfg->sweep_db_password[0] != '\0' ||
	       cfg->admin_db_password[0] != '\0' || cfg->api_db_password[0] != '\0';
}

const char *
hf_config_warning(const struct hf_config *cfg)
{
	if (!cfg->world_readable_password)
		return NULL;
	return "warning: the config file holds a database password and every user may read it; make it 0640 root:hookfan (README: Configuration)";
}

const char *
hf_config_path(const char *cli_path, bool *is_default)
{
	const char *env = getenv("HOOKFAN_CONFIG"), *path = cli_path;

	if (path == NULL && env != NULL && env[0] != '\0')
		path = env;
	if (is_default != NULL)
		*is_default = path == NULL;
	return path != NULL ? path : HF_CONFIG_DEFAULT_PATH;
}

enum hf_result
hf_config_parse_schedule(const char *value, int *out, size_t *count)
{
	const char *p = value;
	size_t n = 0;
	long delay;

	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (n == HF_RETRY_SCHEDULE_MAX)
			return HF_ERR_LIMIT;
		if (strparse_long(&p, 0, HF_RETRY_DELAY_MAX_SECONDS, &delay) != HF_OK)
			return HF_ERR_INVALID;
		out[n++] = (int)delay;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			break;
		if (*p != ',')
			return HF_ERR_INVALID;
		p++;
	}
	*count = n;
	return HF_OK;
}

static bool
parse_bool(const char *value, bool *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	size_t i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(value, yes[i]) == 0) {
			*out = true;
			return true;
		}
		if (strcasecmp(value, no[i]) == 0) {
			*out = false;
			return true;
		}
	}
	return false;
}

static enum hf_result
apply_key(struct hf_config *cfg, const struct config_key *key,
	  const char *value, const char *where, char *errstr, size_t errlen)
{
	char *field = (char *)cfg + key->offset;
	const char *p = value;
	long number;
	int schedule[HF_RETRY_SCHEDULE_MAX];
	size_t count;

	switch (key->kind) {
	case KIND_STRING:
		if (strlen(value) >= key->size)
			return hf_fail(HF_ERR_INVALID, errstr, errlen,
				       "%s: %s is longer than %zu characters",
				       where, key->name, key->size - 1);
		strcpy(field, value);
		return HF_OK;
	case KIND_PORT:
	case KIND_LONG:
		if (strparse_long(&p, key->min, key->max, &number) != HF_OK ||
		    *p != '\0')
			return hf_fail(HF_ERR_INVALID, errstr, errlen,
				       "%s: %s must be a whole number from %ld to %ld, not \"%s\"",
				       where, key->name, key->min, key->max, value);
		if (key->kind == KIND_PORT)
			*(unsigned int *)(void *)field = (unsigned int)number;
		else
			*(long *)(void *)field = number;
		return HF_OK;
	case KIND_BOOL:
		if (!parse_bool(value, (bool *)(void *)field))
			return hf_fail(HF_ERR_INVALID, errstr, errlen,
				       "%s: %s must be yes or no, not \"%s\"",
				       where, key->name, value);
		return HF_OK;
	case KIND_SCHEDULE:
		if (hf_config_parse_schedule(value, schedule, &count) != HF_OK)
			return hf_fail(HF_ERR_INVALID, errstr, errlen,
				       "%s: retry_schedule must be 1 to %d comma-separated delays in seconds (0 to %d), not \"%s\"",
				       where, HF_RETRY_SCHEDULE_MAX,
				       HF_RETRY_DELAY_MAX_SECONDS, value);
		memcpy(cfg->retry_schedule, schedule, count * sizeof(int));
		cfg->retry_count = count;
		return HF_OK;
	}
	return HF_ERR_INVALID;
}

/* Trim spaces and tabs from both ends of s in place; returns the start. */
static char *
trim(char *s)
{
	char *end;

	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
		*--end = '\0';
	return s;
}

static enum hf_result
parse_line(struct hf_config *cfg, char *line, const char *where,
	   char *errstr, size_t errlen)
{
	char *eq, *key, *value;
	size_t i;

	key = trim(line);
	if (*key == '\0' || *key == '#')
		return HF_OK;
	eq = strchr(key, '=');
	if (eq == NULL)
		return hf_fail(HF_ERR_INVALID, errstr, errlen,
			       "%s: expected \"key = value\"", where);
	*eq = '\0';
	key = trim(key);
	value = trim(eq + 1);
	/* A value may carry a trailing comment after whitespace. */
	for (i = 0; value[i] != '\0'; i++) {
		if (value[i] == '#' && i > 0 &&
		    (value[i - 1] == ' ' || value[i - 1] == '\t')) {
			value[i] = '\0';
			value = trim(value);
			break;
		}
	}
	for (i = 0; i < sizeof(config_keys) / sizeof(config_keys[0]); i++) {
		if (strcmp(config_keys[i].name, key) == 0)
			return apply_key(cfg, &config_keys[i], value, where,
					 errstr, errlen);
	}
	return hf_fail(HF_ERR_INVALID, errstr, errlen,
		       "%s: unknown key \"%s\"", where, key);
}

enum hf_result
hf_config_parse(struct hf_config *cfg, const char *text, size_t len,
		const char *filename, char *errstr, size_t errlen)
{
	char line[HF_CONFIG_LINE_MAX + 1];
	char where[600];
	size_t pos = 0, lineno = 0, n;
	const char *nl;
	enum hf_result r;

	while (pos < len) {
		lineno++;
		nl = memchr(text + pos, '\n', len - pos);
		n = nl != NULL ? (size_t)(nl - (text + pos)) : len - pos;
		snprintf(where, sizeof(where), "%s:%zu", filename, lineno);
		if (n > HF_CONFIG_LINE_MAX)
			return hf_fail(HF_ERR_LIMIT, errstr, errlen,
				       "%s: line longer than %d bytes", where,
				       HF_CONFIG_LINE_MAX);
		memcpy(line, text + pos, n);
		line[n] = '\0';
		if (memchr(line, '\0', n) != NULL)
			return hf_fail(HF_ERR_INVALID, errstr, errlen,
				       "%s: NUL byte in line", where);
		r = parse_line(cfg, line, where, errstr, errlen);
		if (r != HF_OK)
			return r;
		pos += n + (nl != NULL ? 1 : 0);
	}
	return HF_OK;
}

enum hf_result
hf_config_load(struct hf_config *cfg, const char *path, bool missing_ok,
	       char *errstr, size_t errlen)
{
	FILE *f;
	char *text = NULL;
	size_t len = 0, cap = 0, n;
	enum hf_result r = HF_OK;
	char chunk[4096];
	struct stat st;

	hf_config_defaults(cfg);
	f = fopen(path, "r");
	if (f == NULL) {
		if (errno == ENOENT && missing_ok)
			return HF_OK;
		return hf_fail(HF_ERR_IO, errstr, errlen, "%s: %s", path,
			       strerror(errno));
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (len + n > 1024 * 1024) {
			r = hf_fail(HF_ERR_LIMIT, errstr, errlen,
				    "%s: file larger than 1 MiB", path);
			goto out;
		}
		if (len + n > cap) {
			char *grown;

			cap = (len + n) * 2;
			grown = realloc(text, cap);
			if (grown == NULL) {
				r = HF_ERR_NOMEM;
				goto out;
			}
			text = grown;
		}
		memcpy(text + len, chunk, n);
		len += n;
	}
	if (ferror(f)) {
		r = hf_fail(HF_ERR_IO, errstr, errlen, "%s: read error", path);
		goto out;
	}
	r = hf_config_parse(cfg, text != NULL ? text : "", len, path, errstr,
			    errlen);
	if (r == HF_OK && fstat(fileno(f), &st) == 0)
		cfg->world_readable_password = (st.st_mode & S_IROTH) != 0 &&
					       holds_password(cfg);
out:
	free(text);
	fclose(f);
	return r;
}
