/*
 * POST /v1/applications/{appId}/messages (seeds/send-message-api.txt):
 * {event_type: string, payload: object | string | null} goes to the
 * application's active endpoints subscribed to the type or to "*".
 * 201 {message: {id, org_id, env_id, application_id, event_type, payload,
 * status, created_at, updated_at}}.
 *
 * payload is stored, delivered and returned as JSON text: an object as
 * itself, a string as a JSON string ("\"text\""), null or absent as null.
 * Reach: a workspace key reaches every application of its workspace, an
 * environment key those of its environment, an endpoint key only the
 * application its endpoint belongs to, and then only that endpoint.
 * An endpoint whose backlog is full (max_pending_per_endpoint) is skipped,
 * as in a trigger; this API has no "failures" field, so the message's
 * status says "failed" when every subscribed endpoint was skipped.
 *
 * Idempotency-Key: the first success answer is stored with the message,
 * and a repeat of the same request within HF_IDEMPOTENCY_TTL_HOURS gets
 * it again, byte for byte, with nothing stored (ingest.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "ingest.h"
#include "json_input.h"
#include "reply.h"
#include "validate.h"

static void
check_body(struct json_object *doc, struct ingest_input *in)
{
	const int flags = JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE;
	struct json_object *type = NULL, *payload = NULL;
	const char *name;
	size_t len;

	if (!json_object_is_type(doc, json_type_object)) {
		ingest_invalid(in, 400, "invalid_request",
			       "the body must be a JSON object {\"event_type\": ..., \"payload\": ...}");
		return;
	}
	if (!json_object_object_get_ex(doc, "event_type", &type) ||
	    !json_object_is_type(type, json_type_string)) {
		ingest_invalid(in, 400, "invalid_request",
			       "event_type is required and must be a string");
		return;
	}
	name = json_object_get_string(type);
	len = (size_t)json_object_get_string_len(type);
	if (!hf_event_type_valid(name, len, false)) {
		ingest_invalid(in, 400, "invalid_request",
			       "event_type must be 1 to %d characters of A-Z a-z 0-9 . _ - :",
			       HF_EVENT_TYPE_MAX_LEN);
		return;
	}
	in->event_type = name;
	json_object_object_get_ex(doc, "payload", &payload);
	if (payload != NULL && !json_object_is_type(payload, json_type_object) &&
	    !json_object_is_type(payload, json_type_string)) {
		ingest_invalid(in, 400, "invalid_request",
			       "payload must be an object, a string or null");
		return;
	}
	/* json-c prints a NULL object (JSON null) as "null". */
	in->payload = json_object_to_json_string_length(payload, flags,
							&in->payload_len);
}

static struct json_object *
created_body(const struct ingest_input *in, const struct ingest_outcome *out)
{
	struct json_object *body = json_object_new_object();
	struct json_object *m = json_object_new_object();
	const char *env = out->lookup.application_environment_id;
	char when[32];

	ingest_iso_time(out->created_at, when, sizeof(when));
	json_object_object_add(m, "id", json_object_new_string(out->message_id));
	json_object_object_add(m, "org_id",
			       json_object_new_string(out->lookup.workspace_id));
	/* The seed types env_id as a required string: "" for no environment. */
	json_object_object_add(m, "env_id", json_object_new_string(env));
	json_object_object_add(m, "application_id",
			       json_object_new_string(in->application_id));
	json_object_object_add(m, "event_type", json_object_new_string(in->event_type));
	json_object_object_add(m, "payload",
			       json_object_new_string_len(in->payload, (int)in->payload_len));
	json_object_object_add(m, "status", json_object_new_string(out->message_status));
	json_object_object_add(m, "created_at", json_object_new_string(when));
	json_object_object_add(m, "updated_at", json_object_new_string(when));
	json_object_object_add(body, "message", m);
	return body;
}

static void
reply_created(struct hf_request *req, const struct ingest_input *in,
	      const struct ingest_outcome *out)
{
	struct json_object *body = created_body(in, out);

	reply_json(req, 201, NULL, body, false);
	json_object_put(body);
}

/* The answer as stored under an Idempotency-Key; the caller frees. */
static char *
answer_text(const struct ingest_input *in, const struct ingest_outcome *out,
	    size_t *len)
{
	struct json_object *body = created_body(in, out);
	const char *text = reply_json_text(body, len);
	char *copy = malloc(*len + 1);

	if (copy != NULL)
		memcpy(copy, text, *len + 1);
	json_object_put(body);
	return copy;
}

/*
 * An Idempotency-Key header: 1..HF_IDEMPOTENCY_KEY_MAX_LEN visible ASCII,
 * and what the request was (the route, the application, the body).
 */
static void
check_idempotency_key(struct hf_request *req, struct ingest_input *in,
		      const char *body)
{
	size_t i, room;
	char *text;

	switch (request_idempotency_key(req, in->idempotency_key)) {
	case REQUEST_IDEMPOTENCY_NONE:
		return;
	case REQUEST_IDEMPOTENCY_INVALID:
		ingest_invalid(in, 400, "invalid_request",
			       "Idempotency-Key must be 1 to %d visible ASCII characters",
			       HF_IDEMPOTENCY_KEY_MAX_LEN);
		return;
	case REQUEST_IDEMPOTENCY_KEY:
		break;
	}
	room = strlen(in->application_id) + in->body_len + 64;
	text = malloc(room);
	if (text == NULL) {
		ingest_invalid(in, 500, "internal_error", "out of memory");
		return;
	}
	i = (size_t)snprintf(text, room, "POST\n/v1/applications/{appId}/messages\n%s\n",
			     in->application_id);
	if (in->body_len > 0)
		memcpy(text + i, body, in->body_len);
	hf_sha256_hex(text, i + in->body_len, in->request_hash);
	free(text);
	in->answer_text = answer_text;
}

/*
 * The body's event type, peeked before the key is checked, so that one
 * lookup finds both the key and the targets; the parse confirms it.
 */
static void
peek_event_type(struct ingest_input *in)
{
	const char *hint;
	size_t len;

	if (in->body == NULL)
		return;
	hint = hf_json_peek_string_member(in->body, in->body_len, "event_type", &len);
	if (hint == NULL || !hf_event_type_valid(hint, len, false))
		return;
	memcpy(in->event_type_hint, hint, len);
	in->event_type_hint[len] = '\0';
	in->event_type = in->event_type_hint;
}

void
send_message_handle(struct hf_server *server, struct hf_request *req,
		    const char *app_id)
{
	struct ingest_input in;
	struct ingest_outcome out;

	memset(&in, 0, sizeof(in));
	in.kind = INGEST_SEND_MESSAGE;
	in.application_id = app_id;
	in.check = check_body;
	if (!ingest_preflight(server, req, &in))
		return;
	peek_event_type(&in);
	check_idempotency_key(req, &in, in.body);

	ingest_run(server, &in, &out);
	if (out.answer != NULL && (out.status == 201 || out.replayed))
		reply_text(req, out.status,
			   out.replayed ? "Idempotent-Replayed: true\r\n" : NULL,
			   out.answer, out.answer_len, false);
	else if (out.status == 201)
		reply_created(req, &in, &out);
	else
		ingest_reply_error(req, &out);
	ingest_outcome_free(&out);
	json_object_put(in.doc);
}
