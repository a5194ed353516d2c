/*
 * POST /api/ingest/event/{eventType} (seeds/trigger-fanout-api.txt):
 * {payload: object, metadata?: up to HF_METADATA_MAX_KEYS string->string}
 * fans out to every active endpoint of the key's workspace (and
 * environment) subscribed to the type or to "*".  202 {eventTypeId,
 * deliveryIds, status: "accepted", failures}.
 */
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "ingest.h"
#include "reply.h"
#include "validate.h"

/* metadata: absent or null, or an object of at most 5 short strings. */
static void
check_metadata(struct json_object *metadata, struct ingest_input *in)
{
	size_t count = 0;

	if (metadata == NULL)
		return;
	if (!json_object_is_type(metadata, json_type_object)) {
		ingest_invalid(in, 400, "invalid_request",
			       "metadata must be an object of string values");
		return;
	}
	json_object_object_foreach(metadata, key, value) {
		size_t key_len = strlen(key);

		if (++count > HF_METADATA_MAX_KEYS) {
			ingest_invalid(in, 400, "invalid_request",
				       "metadata has at most %d keys",
				       HF_METADATA_MAX_KEYS);
			return;
		}
		if (key_len == 0 || key_len > HF_METADATA_KEY_MAX_LEN) {
			ingest_invalid(in, 400, "invalid_request",
				       "metadata keys are 1 to %d bytes",
				       HF_METADATA_KEY_MAX_LEN);
			return;
		}
		if (!json_object_is_type(value, json_type_string)) {
			ingest_invalid(in, 400, "invalid_request",
				       "metadata values must be strings");
			return;
		}
		if (json_object_get_string_len(value) > HF_METADATA_VALUE_MAX_LEN) {
			ingest_invalid(in, 400, "invalid_request",
				       "metadata values are at most %d bytes",
				       HF_METADATA_VALUE_MAX_LEN);
			return;
		}
	}
}

static void
check_body(struct json_object *doc, struct ingest_input *in)
{
	const int flags = JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE;
	struct json_object *payload = NULL, *metadata = NULL;

	if (!json_object_is_type(doc, json_type_object)) {
		ingest_invalid(in, 400, "invalid_request",
			       "the body must be a JSON object {\"payload\": {...}}");
		return;
	}
	if (!json_object_object_get_ex(doc, "payload", &payload) ||
	    !json_object_is_type(payload, json_type_object)) {
		ingest_invalid(in, 400, "invalid_request",
			       "payload is required and must be a JSON object");
		return;
	}
	json_object_object_get_ex(doc, "metadata", &metadata);
	check_metadata(metadata, in);
	if (in->invalid_status != 0)
		return;
	in->payload = json_object_to_json_string_length(payload, flags,
							&in->payload_len);
	if (metadata != NULL)
		in->metadata = json_object_to_json_string_ext(metadata, flags);
}

static void
reply_accepted(struct hf_request *req, const struct ingest_outcome *out,
	       long max_pending)
{
	struct json_object *body = json_object_new_object();
	struct json_object *ids = json_object_new_array();
	struct json_object *failures = json_object_new_array();
	char message[160];
	size_t i;

	snprintf(message, sizeof(message),
		 "the endpoint already has %ld or more deliveries waiting; not queued",
		 max_pending);
	for (i = 0; i < out->delivery_count; i++)
		json_object_array_add(ids, json_object_new_string(out->delivery_ids[i]));
	for (i = 0; i < out->failure_count; i++) {
		struct json_object *f = json_object_new_object();

		json_object_object_add(f, "endpointId",
				       json_object_new_string(out->failures[i].endpoint_id));
		json_object_object_add(f, "code",
				       json_object_new_string("endpoint_backlog_full"));
		json_object_object_add(f, "message", json_object_new_string(message));
		json_object_array_add(failures, f);
	}
	json_object_object_add(body, "eventTypeId",
			       json_object_new_string(out->lookup.event_type_id));
	json_object_object_add(body, "deliveryIds", ids);
	json_object_object_add(body, "status", json_object_new_string("accepted"));
	json_object_object_add(body, "failures", failures);
	reply_json(req, 202, NULL, body, false);
	json_object_put(body);
}

void
trigger_handle(struct hf_server *server, struct hf_request *req,
	       const char *event_type)
{
	struct ingest_input in;
	struct ingest_outcome out;

	memset(&in, 0, sizeof(in));
	in.kind = INGEST_TRIGGER;
	in.check = check_body;
	if (!ingest_preflight(server, req, &in))
		return;
	if (hf_event_type_valid(event_type, strlen(event_type), false))
		in.event_type = event_type;
	else
		ingest_invalid(&in, 400, "invalid_request",
			       "the event type must be 1 to %d characters of A-Z a-z 0-9 . _ - :",
			       HF_EVENT_TYPE_MAX_LEN);

	ingest_run(server, &in, &out);
	if (out.status == 202)
		reply_accepted(req, &out, server->cfg.max_pending_per_endpoint);
	else
		ingest_reply_error(req, &out);
	ingest_outcome_free(&out);
	json_object_put(in.doc);
}
