/*
 * hookfan-admin's commands.  main.c parses the command line into a
 * struct admin_args and finds the command in admin_commands[]; each
 * command runs with an open database and prints through output.h.
 */
#ifndef HF_ADMIN_COMMANDS_H
#define HF_ADMIN_COMMANDS_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "db.h"

#include <json-c/json.h>

#define ADMIN_MAX_OPTIONS 32

struct admin_option {
	const char *name;	/* without the leading "--" */
	const char *value;	/* NULL for a flag */
};

struct admin_args {
	struct admin_option options[ADMIN_MAX_OPTIONS];
	size_t count;
	const char *positional;	/* one bare argument, e.g. a delivery id */
	bool json;
	const struct hf_config *cfg;
	const char *config_path;
};

/* Exit statuses: 0 success, 1 error, 2 bad usage. */
enum { ADMIN_OK = 0, ADMIN_ERROR = 1, ADMIN_USAGE = 2 };

/*
 * A command.  run() executes inside one transaction (unless
 * outside_transaction) and may be run again after a deadlock, so it builds
 * its answer in *result (replacing what a previous try left) and prints
 * nothing; main prints *result once the transaction has committed.
 */
struct admin_command {
	const char *words;	/* "endpoint create" */
	const char *usage;	/* the options, for errors and --help */
	const char *required;	/* space-separated options that must be given; NULL: none */
	const char *allowed;	/* space-separated options it accepts; NULL: none */
	const char *flags;	/* space-separated options that take no value; NULL: none */
	bool positional;	/* takes one bare argument */
	bool outside_transaction;
	bool offline;		/* needs no database: run() gets db NULL */
	enum hf_result (*run)(struct hf_db *db, const struct admin_args *args,
			      json_object **result, char *errstr,
			      size_t errlen);
	const char *list_key;	/* set: *result is an array printed as a list */
	/*
	 * Set: checks the option values before any file or connection is
	 * opened; returns ADMIN_OK, or ADMIN_USAGE once it said why on stderr.
	 */
	int (*check)(const struct admin_args *args);
	/* Set: prints *result (consumed) without --json, as a sentence. */
	void (*print_text)(json_object *result);
};

extern const struct admin_command admin_commands[];

/* The value of --name, or NULL. */
const char *admin_option(const struct admin_args *args, const char *name);

/* True when the flag --name was given. */
bool admin_flag(const struct admin_args *args, const char *name);

#endif
