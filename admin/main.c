/*
 * hookfan-admin: the sysadmin's tool.  Parses the command line, loads the
 * config, opens the database and runs one command of commands.c inside a
 * transaction; prints the result only after it committed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "config.h"
#include "db.h"
#include "output.h"

static void
usage(FILE *to)
{
	const struct admin_command *c;

	fputs("usage: hookfan-admin [--config FILE] [--json] COMMAND [OPTIONS]\n"
	      "commands:\n", to);
	for (c = admin_commands; c->words != NULL; c++)
		fprintf(to, "  %s %s\n", c->words, c->usage);
}

/* True when word is one of the space-separated names in list (NULL: none). */
static bool
in_list(const char *list, const char *word)
{
	size_t n = strlen(word);
	const char *p = list;

	if (list == NULL)
		return false;
	while ((p = strstr(p, word)) != NULL) {
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
			return true;
		p += n;
	}
	return false;
}

/* Find the command named by argv[*i] (and argv[*i + 1]); advances *i. */
static const struct admin_command *
find_command(int argc, char **argv, int *i)
{
	const struct admin_command *c;
	char two[128];

	if (*i + 1 < argc) {
		snprintf(two, sizeof(two), "%s %s", argv[*i], argv[*i + 1]);
		for (c = admin_commands; c->words != NULL; c++) {
			if (strcmp(c->words, two) == 0) {
				*i += 2;
				return c;
			}
		}
	}
	for (c = admin_commands; c->words != NULL; c++) {
		if (strcmp(c->words, argv[*i]) == 0) {
			*i += 1;
			return c;
		}
	}
	return NULL;
}

struct command_run {
	const struct admin_command *command;
	const struct admin_args *args;
	json_object *result;
	char *errstr;
	size_t errlen;
};

static enum hf_result
run_in_transaction(struct hf_db *db, void *ctx)
{
	struct command_run *run = ctx;

	return run->command->run(db, run->args, &run->result, run->errstr,
				 run->errlen);
}

/* Check the options against what the command accepts and requires. */
static int
check_options(const struct admin_command *c, const struct admin_args *args)
{
	char required[256], *word, *save = NULL;
	size_t i;

	for (i = 0; i < args->count; i++) {
		const struct admin_option *o = &args->options[i];
		bool is_flag = in_list(c->flags, o->name);

		if (!in_list(c->allowed, o->name)) {
			fprintf(stderr, "hookfan-admin: %s: unknown option --%s\n",
				c->words, o->name);
			return ADMIN_USAGE;
		}
		if (!is_flag && o->value == NULL) {
			fprintf(stderr, "hookfan-admin: %s: --%s needs a value\n",
				c->words, o->name);
			return ADMIN_USAGE;
		}
		if (!in_list("event-type", o->name) &&
		    admin_option(args, o->name) != o->value) {
			fprintf(stderr, "hookfan-admin: %s: --%s given twice\n",
				c->words, o->name);
			return ADMIN_USAGE;
		}
	}
	snprintf(required, sizeof(required), "%s", c->required ? c->required : "");
	for (word = strtok_r(required, " ", &save); word != NULL;
	     word = strtok_r(NULL, " ", &save)) {
		if (!admin_flag(args, word)) {
			fprintf(stderr, "hookfan-admin: %s: --%s is required\n"
				"usage: hookfan-admin %s %s\n",
				c->words, word, c->words, c->usage);
			return ADMIN_USAGE;
		}
	}
	if (c->positional != (args->positional != NULL)) {
		fprintf(stderr, "usage: hookfan-admin %s %s\n", c->words, c->usage);
		return ADMIN_USAGE;
	}
	return ADMIN_OK;
}

/* A command that needs no database: run and print it. */
static int
run_offline(const struct admin_command *command, const struct admin_args *args)
{
	json_object *result = NULL;
	char errstr[512] = "";
	enum hf_result r;

	r = command->run(NULL, args, &result, errstr, sizeof(errstr));
	if (r != HF_OK) {
		fprintf(stderr, "hookfan-admin: %s\n",
			errstr[0] != '\0' ? errstr : hf_result_str(r));
		json_object_put(result);
		return ADMIN_ERROR;
	}
	if (!args->json && command->print_text != NULL)
		command->print_text(result);
	else
		output_object(result, args->json);
	return ADMIN_OK;
}

int
main(int argc, char **argv)
{
	static struct admin_args args;
	static struct hf_config cfg;
	const struct admin_command *command = NULL;
	const char *cli_config = NULL, *path;
	bool is_default;
	struct hf_db_limits limits = {
		.connect_seconds = HF_ADMIN_CONNECT_SECONDS,
		.lock_wait_seconds = HF_ADMIN_LOCK_WAIT_SECONDS,
		.statement_seconds = 0,
		.read_timeout_seconds = HF_ADMIN_READ_TIMEOUT_SECONDS,
		.account = HF_DB_ACCOUNT_ADMIN,
	};
	struct command_run run = { 0 };
	struct hf_db *db = NULL;
	char errstr[1024] = "";
	enum hf_result r;
	int i = 1, status;

	/* Global options come first. */
	while (i < argc && strncmp(argv[i], "--", 2) == 0) {
		if (strcmp(argv[i], "--json") == 0) {
			args.json = true;
			i++;
		} else if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
			cli_config = argv[i + 1];
			i += 2;
		} else if (strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return ADMIN_OK;
		} else {
			fprintf(stderr, "hookfan-admin: unknown option %s\n", argv[i]);
			usage(stderr);
			return ADMIN_USAGE;
		}
	}
	if (i >= argc || (command = find_command(argc, argv, &i)) == NULL) {
		if (i < argc)
			fprintf(stderr, "hookfan-admin: unknown command \"%s\"\n", argv[i]);
		usage(stderr);
		return ADMIN_USAGE;
	}
	for (; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0) {
			args.json = true;
		} else if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
			cli_config = argv[++i];
		} else if (strncmp(argv[i], "--", 2) == 0 && argv[i][2] != '\0') {
			struct admin_option *o;

			if (args.count == ADMIN_MAX_OPTIONS) {
				fprintf(stderr, "hookfan-admin: too many options\n");
				return ADMIN_USAGE;
			}
			o = &args.options[args.count++];
			o->name = argv[i] + 2;
			o->value = NULL;
			if (!in_list(command->flags, o->name) && i + 1 < argc)
				o->value = argv[++i];
		} else if (args.positional == NULL) {
			args.positional = argv[i];
		} else {
			fprintf(stderr, "hookfan-admin: unexpected argument \"%s\"\n",
				argv[i]);
			return ADMIN_USAGE;
		}
	}
	status = check_options(command, &args);
	if (status == ADMIN_OK && command->check != NULL)
		status = command->check(&args);
	if (status != ADMIN_OK)
		return status;

	path = hf_config_path(cli_config, &is_default);
	r = hf_config_load(&cfg, path, is_default, errstr, sizeof(errstr));
	if (r != HF_OK) {
		fprintf(stderr, "hookfan-admin: %s\n", errstr);
		return ADMIN_ERROR;
	}
	if (hf_config_warning(&cfg) != NULL)
		fprintf(stderr, "hookfan-admin: %s: %s\n", path, hf_config_warning(&cfg));
	args.cfg = &cfg;
	args.config_path = path;
	if (command->offline)
		return run_offline(command, &args);
	r = hf_db_open(&db, &cfg, &limits, errstr, sizeof(errstr));
	if (r != HF_OK) {
		fprintf(stderr, "hookfan-admin: %s\n", errstr);
		return ADMIN_ERROR;
	}
	run.command = command;
	run.args = &args;
	run.errstr = errstr;
	run.errlen = sizeof(errstr);
	if (command->outside_transaction)
		r = run_in_transaction(db, &run);
	else
		r = hf_db_transaction(db, run_in_transaction, &run);
	if (r != HF_OK) {
		if (errstr[0] == '\0')
			snprintf(errstr, sizeof(errstr), "%s: %s", hf_result_str(r),
				 hf_db_error(db));
		fprintf(stderr, "hookfan-admin: %s\n", errstr);
		json_object_put(run.result);
		hf_db_close(db);
		return ADMIN_ERROR;
	}
	if (command->list_key != NULL)
		output_list(run.result, command->list_key, args.json);
	else if (run.result != NULL && !args.json && command->print_text != NULL)
		command->print_text(run.result);
	else if (run.result != NULL)
		output_object(run.result, args.json);
	hf_db_close(db);
	return ADMIN_OK;
}
