/* Unit tests of src/config.c: defaults, parsing, every kind of bad line. */
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "tap.h"

static enum hf_result
parse(struct hf_config *cfg, const char *text, char *err, size_t errlen)
{
	hf_config_defaults(cfg);
	err[0] = '\0';
	return hf_config_parse(cfg, text, strlen(text), "test.conf", err, errlen);
}

/* Each program's account, and the fallback to db_user / db_password. */
static void
accounts(void)
{
	struct hf_config cfg;
	const char *user, *password;
	char err[512];

	is_int(parse(&cfg, "db_user = base\ndb_password = basepw\n"
			   "ingest_db_user = ing\ningest_db_password = ingpw\n"
			   "sweep_db_user = sw\n"
			   "api_db_password = apipw\n", err, sizeof(err)),
	       HF_OK, "account keys parse");
	hf_config_account(&cfg, HF_DB_ACCOUNT_INGEST, &user, &password);
	is_str(user, "ing", "ingest's own user");
	is_str(password, "ingpw", "ingest's own password");
	hf_config_account(&cfg, HF_DB_ACCOUNT_SWEEP, &user, &password);
	is_str(user, "sw", "sweep's own user");
	is_str(password, "basepw", "sweep's password falls back to db_password");
	hf_config_account(&cfg, HF_DB_ACCOUNT_API, &user, &password);
	is_str(user, "base", "api's user falls back to db_user");
	is_str(password, "apipw", "api's own password");
	hf_config_account(&cfg, HF_DB_ACCOUNT_ADMIN, &user, &password);
	is_str(user, "base", "admin unset: db_user");
	is_str(password, "basepw", "admin unset: db_password");
	hf_config_account(&cfg, HF_DB_ACCOUNT_DEFAULT, &user, &password);
	is_str(user, "base", "the default account is db_user");
	is_int(parse(&cfg, "ingest_db_user = x\nadmin_db_password = y\n", err, sizeof(err)),
	       HF_OK, "without db_user");
	hf_config_account(&cfg, HF_DB_ACCOUNT_SWEEP, &user, &password);
	is_str(user, "hookfan", "an unset program falls back to the default db_user");
	is_int(parse(&cfg, "sweep_db_user =\n", err, sizeof(err)), HF_OK, "an empty user");
	hf_config_account(&cfg, HF_DB_ACCOUNT_SWEEP, &user, &password);
	is_str(user, "hookfan", "an empty user falls back too");
	is_int(parse(&cfg, "swept_db_user = x\n", err, sizeof(err)), HF_ERR_INVALID,
	       "a misspelt account key is refused");
}

int
main(void)
{
	struct hf_config cfg;
	char err[512];
	int schedule[HF_RETRY_SCHEDULE_MAX];
	size_t count;
	bool is_default;

	hf_config_defaults(&cfg);
	is_str(cfg.db_host, "localhost", "default db_host");
	is_int(cfg.db_port, 3306, "default db_port");
	is_str(cfg.db_name, "hookfan", "default db_name");
	is_str(cfg.db_user, "hookfan", "default db_user");
	is_int(cfg.max_payload_bytes, 262144, "default max_payload_bytes");
	is_int(cfg.rate_limit_per_key, 0, "default rate_limit_per_key");
	is_int(cfg.retry_count, 7, "default schedule has 7 entries");
	is_int(cfg.retry_schedule[0], 5, "default schedule starts at 5 s");
	is_int(cfg.retry_schedule[6], 36000, "default schedule ends at 36000 s");
	is_int(cfg.connect_timeout_ms, 5000, "default connect_timeout_ms");
	is_int(cfg.delivery_timeout_ms, 15000, "default delivery_timeout_ms");
	ok(!cfg.allow_private_targets, "private targets refused by default");
	is_int(cfg.max_in_flight_per_endpoint, 8, "default max_in_flight_per_endpoint");

	is_int(parse(&cfg,
		     "# a comment\n\n"
		     "db_host = db.example.org\n"
		     "  db_port=3307  \n"
		     "db_socket = /run/mysqld/mysqld.sock # trailing comment\n"
		     "db_password = p#ss\n"
		     "max_payload_bytes = 1024\r\n"
		     "rate_limit_per_key = 10\n"
		     "retry_schedule = 1, 2 ,3\n"
		     "allow_private_targets = yes\n",
		     err, sizeof(err)), HF_OK, "a full file parses");
	is_str(cfg.db_host, "db.example.org", "db_host set");
	is_int(cfg.db_port, 3307, "db_port set");
	is_str(cfg.db_socket, "/run/mysqld/mysqld.sock", "comment after value dropped");
	is_str(cfg.db_password, "p#ss", "# inside a value is kept");
	is_int(cfg.max_payload_bytes, 1024, "CRLF line endings accepted");
	is_int(cfg.rate_limit_per_key, 10, "rate_limit_per_key set");
	is_int(cfg.retry_count, 3, "schedule of three");
	is_int(cfg.retry_schedule[2], 3, "schedule values");
	ok(cfg.allow_private_targets, "allow_private_targets = yes");

	is_int(parse(&cfg, "db_host = a\nbogus = 1\n", err, sizeof(err)),
	       HF_ERR_INVALID, "unknown key refused");
	is_str(err, "test.conf:2: unknown key \"bogus\"", "error names file and line");
	is_int(parse(&cfg, "db_port = 70000\n", err, sizeof(err)), HF_ERR_INVALID,
	       "port out of range refused");
	ok(strstr(err, "test.conf:1:") != NULL, "port error names the line");
	is_int(parse(&cfg, "db_port = -1\n", err, sizeof(err)), HF_ERR_INVALID,
	       "negative port refused");
	is_int(parse(&cfg, "max_payload_bytes = 12k\n", err, sizeof(err)),
	       HF_ERR_INVALID, "number with a suffix refused");
	is_int(parse(&cfg, "max_payload_bytes = 99999999999999999999\n", err,
		     sizeof(err)), HF_ERR_INVALID, "overflowing number refused");
	is_int(parse(&cfg, "max_payload_bytes = 0\n", err, sizeof(err)),
	       HF_ERR_INVALID, "zero payload cap refused");
	is_int(parse(&cfg, "allow_private_targets = maybe\n", err, sizeof(err)),
	       HF_ERR_INVALID, "bad boolean refused");
	is_int(parse(&cfg, "retry_schedule = 1,,2\n", err, sizeof(err)),
	       HF_ERR_INVALID, "empty schedule entry refused");
	is_int(parse(&cfg, "retry_schedule =\n", err, sizeof(err)), HF_ERR_INVALID,
	       "empty schedule refused");
	is_int(parse(&cfg, "retry_schedule = 604801\n", err, sizeof(err)),
	       HF_ERR_INVALID, "delay over a week refused");
	is_int(parse(&cfg, "just words\n", err, sizeof(err)), HF_ERR_INVALID,
	       "line without = refused");
	is_str(err, "test.conf:1: expected \"key = value\"", "missing = message");
	is_int(parse(&cfg, "db_name = aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
		     err, sizeof(err)), HF_ERR_INVALID, "over-long string refused");
	is_int(parse(&cfg, "max_in_flight_per_endpoint = 0\n", err, sizeof(err)), HF_OK,
	       "max_in_flight_per_endpoint = 0 (unlimited) accepted");
	is_int(cfg.max_in_flight_per_endpoint, 0, "max_in_flight_per_endpoint set");
	is_int(parse(&cfg, "max_in_flight_per_endpoint = 1024\n", err, sizeof(err)), HF_OK,
	       "max_in_flight_per_endpoint = 1024 accepted");
	is_int(parse(&cfg, "max_in_flight_per_endpoint = 1025\n", err, sizeof(err)),
	       HF_ERR_INVALID, "max_in_flight_per_endpoint above 1024 refused");
	is_int(parse(&cfg, "max_in_flight_per_endpoint = -1\n", err, sizeof(err)),
	       HF_ERR_INVALID, "negative max_in_flight_per_endpoint refused");
	is_int(hf_config_parse_schedule("5,300", schedule, &count), HF_OK,
	       "schedule parser");
	is_int(count, 2, "schedule parser count");
	is_int(hf_config_parse_schedule(
		       "1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1",
		       schedule, &count), HF_ERR_LIMIT, "more than 32 entries refused");

	setenv("HOOKFAN_CONFIG", "/tmp/from-env.conf", 1);
	is_str(hf_config_path("/tmp/cli.conf", &is_default), "/tmp/cli.conf", "--config wins");
	ok(!is_default, "--config is not the default");
	is_str(hf_config_path(NULL, &is_default), "/tmp/from-env.conf", "then HOOKFAN_CONFIG");
	ok(!is_default, "HOOKFAN_CONFIG is not the default");
	setenv("HOOKFAN_CONFIG", "", 1);
	is_str(hf_config_path(NULL, &is_default), SYSCONFDIR "/hookfan.conf",
	       "an empty HOOKFAN_CONFIG counts as unset");
	ok(is_default, "so the default may be missing");
	unsetenv("HOOKFAN_CONFIG");
	is_str(hf_config_path(NULL, &is_default), SYSCONFDIR "/hookfan.conf",
	       "then the installed default");
	ok(is_default, "flagged as the default");

	is_int(hf_config_load(&cfg, "/nonexistent/hookfan.conf", false, err,
			      sizeof(err)), HF_ERR_IO, "missing explicit file is an error");
	is_int(hf_config_load(&cfg, "/nonexistent/hookfan.conf", true, err,
			      sizeof(err)), HF_OK, "missing default file gives defaults");
	accounts();
	return tap_done();
}
