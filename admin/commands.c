/*
 * The commands of hookfan-admin (CONTRACT §3).  Each turns its options
 * into a call of db_admin.h and describes what it made as a JSON object.
 */
#include "commands.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_admin.h"
#include "db_delivery.h"
#include "delivery.h"
#include "grants.h"
#include "ops.h"
#include "purge.h"
#include "limits.h"
#include "strparse.h"

#ifndef PKGDATADIR
#define PKGDATADIR "/usr/local/share/hookfan"
#endif

const char *
admin_option(const struct admin_args *args, const char *name)
{
	size_t i;

	for (i = 0; i < args->count; i++) {
		if (strcmp(args->options[i].name, name) == 0)
			return args->options[i].value;
	}
	return NULL;
}

bool
admin_flag(const struct admin_args *args, const char *name)
{
	size_t i;

	for (i = 0; i < args->count; i++) {
		if (strcmp(args->options[i].name, name) == 0)
			return true;
	}
	return false;
}

/* A fresh {"id": id} object, replacing whatever *result held. */
static json_object *
result_with_id(json_object **result, const char *id)
{
	json_object_put(*result);
	*result = json_object_new_object();
	json_object_object_add(*result, "id", json_object_new_string(id));
	return *result;
}

static enum hf_result
run_migrate(struct hf_db *db, const struct admin_args *args,
	    json_object **result, char *errstr, size_t errlen)
{
	const char *dir = getenv("HOOKFAN_SQL_DIR");
	int applied = 0;
	enum hf_result r;

	(void)args;
	if (dir == NULL || dir[0] == '\0')
		dir = PKGDATADIR "/sql";
	r = hf_migrate(db, dir, &applied, errstr, errlen);
	if (r != HF_OK)
		return r;
	json_object_put(*result);
	*result = json_object_new_object();
	json_object_object_add(*result, "applied", json_object_new_int(applied));
	return HF_OK;
}

static enum hf_result
run_workspace_create(struct hf_db *db, const struct admin_args *args,
		     json_object **result, char *errstr, size_t errlen)
{
	const char *cap = admin_option(args, "max-payload-bytes");
	char id[HF_ID_MAX_LEN + 1];
	long max_payload = 0;
	enum hf_result r;

	if (cap != NULL) {
		const char *p = cap;

		if (strparse_long(&p, 1, HF_PAYLOAD_BYTES_CEILING, &max_payload) != HF_OK ||
		    *p != '\0')
			return hf_fail(HF_ERR_INVALID, errstr, errlen,
				       "--max-payload-bytes must be a whole number from 1 to %d",
				       HF_PAYLOAD_BYTES_CEILING);
	}
	r = hf_workspace_create(db, admin_option(args, "name"), max_payload, id,
				errstr, errlen);
	if (r == HF_OK)
		result_with_id(result, id);
	return r;
}

static enum hf_result
run_env_create(struct hf_db *db, const struct admin_args *args,
	       json_object **result, char *errstr, size_t errlen)
{
	char id[HF_ID_MAX_LEN + 1];
	enum hf_result r;

	r = hf_environment_create(db, admin_option(args, "workspace"),
				  admin_option(args, "name"), id, errstr, errlen);
	if (r == HF_OK)
		result_with_id(result, id);
	return r;
}

static enum hf_result
run_app_create(struct hf_db *db, const struct admin_args *args,
	       json_object **result, char *errstr, size_t errlen)
{
	char id[HF_ID_MAX_LEN + 1];
	enum hf_result r;

	r = hf_application_create(db, admin_option(args, "workspace"),
				  admin_option(args, "env"),
				  admin_option(args, "name"),
				  !admin_flag(args, "inactive"), id, errstr,
				  errlen);
	if (r == HF_OK)
		result_with_id(result, id);
	return r;
}

static enum hf_result
set_app_active(struct hf_db *db, const struct admin_args *args,
	       json_object **result, bool active, char *errstr, size_t errlen)
{
	const char *app = admin_option(args, "app");
	enum hf_result r;

	r = hf_application_set_active(db, app, active, errstr, errlen);
	if (r == HF_OK)
		json_object_object_add(result_with_id(result, app), "active",
				       json_object_new_boolean(active));
	return r;
}

static enum hf_result
run_app_activate(struct hf_db *db, const struct admin_args *args,
		 json_object **result, char *errstr, size_t errlen)
{
	return set_app_active(db, args, result, true, errstr, errlen);
}

static enum hf_result
run_app_deactivate(struct hf_db *db, const struct admin_args *args,
		   json_object **result, char *errstr, size_t errlen)
{
	return set_app_active(db, args, result, false, errstr, errlen);
}

static enum hf_result
run_endpoint_create(struct hf_db *db, const struct admin_args *args,
		    json_object **result, char *errstr, size_t errlen)
{
	const char *types[ADMIN_MAX_OPTIONS];
	char id[HF_ID_MAX_LEN + 1], secret[HF_SECRET_MAX_LEN + 1];
	struct hf_endpoint_spec spec = { 0 };
	enum hf_result r;
	size_t i;

	for (i = 0; i < args->count; i++) {
		if (strcmp(args->options[i].name, "event-type") == 0)
			types[spec.event_type_count++] = args->options[i].value;
	}
	spec.workspace_id = admin_option(args, "workspace");
	spec.environment = admin_option(args, "env");
	spec.application_id = admin_option(args, "app");
	spec.url = admin_option(args, "url");
	spec.event_types = types;
	r = hf_endpoint_create(db, &spec, id, secret, errstr, errlen);
	if (r == HF_OK)
		json_object_object_add(result_with_id(result, id), "secret",
				       json_object_new_string(secret));
	return r;
}

static enum hf_result
set_endpoint_active(struct hf_db *db, const struct admin_args *args,
		    json_object **result, bool active, char *errstr,
		    size_t errlen)
{
	const char *endpoint = admin_option(args, "endpoint");
	enum hf_result r;

	r = hf_endpoint_set_active(db, endpoint, active,
				   "disabled by hookfan-admin", errstr, errlen);
	if (r == HF_OK)
		json_object_object_add(result_with_id(result, endpoint), "active",
				       json_object_new_boolean(active));
	return r;
}

static enum hf_result
run_endpoint_enable(struct hf_db *db, const struct admin_args *args,
		    json_object **result, char *errstr, size_t errlen)
{
	return set_endpoint_active(db, args, result, true, errstr, errlen);
}

static enum hf_result
run_endpoint_disable(struct hf_db *db, const struct admin_args *args,
		     json_object **result, char *errstr, size_t errlen)
{
	return set_endpoint_active(db, args, result, false, errstr, errlen);
}

static enum hf_result
run_subscribe(struct hf_db *db, const struct admin_args *args,
	      json_object **result, char *errstr, size_t errlen)
{
	const char *endpoint = admin_option(args, "endpoint");
	const char *type = admin_option(args, "event-type");
	enum hf_result r;

	r = hf_subscription_add(db, endpoint, type, errstr, errlen);
	if (r == HF_OK)
		json_object_object_add(result_with_id(result, endpoint),
				       "event_type", json_object_new_string(type));
	return r;
}

static enum hf_result
run_unsubscribe(struct hf_db *db, const struct admin_args *args,
		json_object **result, char *errstr, size_t errlen)
{
	const char *endpoint = admin_option(args, "endpoint");
	const char *type = admin_option(args, "event-type");
	json_object *left = NULL;
	enum hf_result r;

	r = hf_subscription_remove(db, endpoint, type, errstr, errlen);
	/* What it still gets: [] says it now receives nothing. */
	if (r == HF_OK)
		r = hf_endpoint_event_types(db, endpoint, &left, errstr, errlen);
	if (r != HF_OK)
		return r;
	json_object_object_add(result_with_id(result, endpoint), "unsubscribed",
			       json_object_new_string(type));
	json_object_object_add(*result, "event_types", left);
	return HF_OK;
}

static enum hf_result
run_key_create(struct hf_db *db, const struct admin_args *args,
	       json_object **result, char *errstr, size_t errlen)
{
	char id[HF_ID_MAX_LEN + 1], key[HF_API_KEY_MAX_LEN + 1];
	enum hf_result r;

	r = hf_api_key_create(db, admin_option(args, "workspace"),
			      admin_option(args, "env"),
			      admin_option(args, "endpoint"),
			      admin_flag(args, "management") ? HF_KEY_MANAGEMENT
							     : HF_KEY_INGEST,
			      id, key, errstr, errlen);
	if (r == HF_OK)
		json_object_object_add(result_with_id(result, id), "key",
				       json_object_new_string(key));
	return r;
}

static enum hf_result
run_key_revoke(struct hf_db *db, const struct admin_args *args,
	       json_object **result, char *errstr, size_t errlen)
{
	const char *key_id = admin_option(args, "key-id");
	enum hf_result r;

	r = hf_api_key_revoke(db, key_id, errstr, errlen);
	if (r == HF_OK)
		json_object_object_add(result_with_id(result, key_id), "revoked",
				       json_object_new_boolean(true));
	return r;
}

const struct admin_command admin_commands[] = {
	{ .words = "migrate", .usage = "", .outside_transaction = true,
	  .run = run_migrate },
	{ .words = "grants", .usage = "[--database D] [--host H] [--account admin|ingest|sweep|api]",
	  .allowed = "database host account", .offline = true,
	  .check = admin_grants_check, .run = admin_grants,
	  .print_text = admin_grants_print_text },
	{ .words = "workspace create", .usage = "--name N [--max-payload-bytes B]",
	  .required = "name", .allowed = "name max-payload-bytes",
	  .run = run_workspace_create },
	{ .words = "workspace set", .usage = "--workspace W --ops-endpoint P|none",
	  .required = "workspace ops-endpoint", .allowed = "workspace ops-endpoint",
	  .run = admin_workspace_set },
	{ .words = "env create", .usage = "--workspace W --name N",
	  .required = "workspace name", .allowed = "workspace name",
	  .run = run_env_create },
	{ .words = "app create",
	  .usage = "--workspace W [--env E] --name N [--inactive]",
	  .required = "workspace name", .allowed = "workspace env name inactive",
	  .flags = "inactive", .run = run_app_create },
	{ .words = "app activate", .usage = "--app A", .required = "app",
	  .allowed = "app", .run = run_app_activate },
	{ .words = "app deactivate", .usage = "--app A", .required = "app",
	  .allowed = "app", .run = run_app_deactivate },
	{ .words = "endpoint create",
	  .usage = "--workspace W [--env E] [--app A] --url U [--event-type T]...",
	  .required = "workspace url",
	  .allowed = "workspace env app url event-type",
	  .run = run_endpoint_create },
	{ .words = "endpoint list",
	  .usage = "[--workspace W] [--app A] [--disabled] [--limit N]",
	  .allowed = "workspace app disabled limit", .flags = "disabled",
	  .check = admin_list_check, .run = admin_endpoint_list,
	  .list_key = "endpoints" },
	{ .words = "endpoint show", .usage = "P", .positional = true,
	  .run = admin_endpoint_show },
	{ .words = "endpoint disable", .usage = "--endpoint P",
	  .required = "endpoint", .allowed = "endpoint",
	  .run = run_endpoint_disable },
	{ .words = "endpoint enable", .usage = "--endpoint P",
	  .required = "endpoint", .allowed = "endpoint",
	  .run = run_endpoint_enable },
	{ .words = "subscribe", .usage = "--endpoint P --event-type T",
	  .required = "endpoint event-type", .allowed = "endpoint event-type",
	  .run = run_subscribe },
	{ .words = "unsubscribe", .usage = "--endpoint P --event-type T",
	  .required = "endpoint event-type", .allowed = "endpoint event-type",
	  .run = run_unsubscribe },
	{ .words = "key create",
	  .usage = "--workspace W [--env E | --endpoint P] [--management]",
	  .required = "workspace", .allowed = "workspace env endpoint management",
	  .flags = "management", .run = run_key_create },
	{ .words = "key revoke", .usage = "--key-id K", .required = "key-id",
	  .allowed = "key-id", .run = run_key_revoke },
	{ .words = "delivery list",
	  .usage = "[--endpoint P] [--message M] [--status S] [--limit N]",
	  .allowed = "endpoint message status limit", .check = admin_list_check,
	  .run = admin_delivery_list, .list_key = "deliveries" },
	{ .words = "delivery show", .usage = "D", .positional = true,
	  .run = admin_delivery_show },
	{ .words = "delivery retry", .usage = "D", .positional = true,
	  .run = admin_delivery_retry },
	{ .words = "message resend", .usage = "M", .positional = true,
	  .run = admin_message_resend },
	{ .words = "endpoint rotate-secret",
	  .usage = "--endpoint P [--grace-hours H]", .required = "endpoint",
	  .allowed = "endpoint grace-hours", .run = admin_endpoint_rotate_secret },
	{ .words = "purge", .usage = "--older-than DAYS [--dry-run]",
	  .required = "older-than", .allowed = "older-than dry-run",
	  .flags = "dry-run", .outside_transaction = true, .check = admin_purge_check,
	  .run = admin_purge, .print_text = admin_purge_print_text },
	{ .words = NULL }
};
