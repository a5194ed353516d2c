/* GET /healthz: 200 when the database answers, else 503. */
#include <stdbool.h>
#include <string.h>

#include <json-c/json.h>

#include "reply.h"
#include "routes.h"

void
health_handle(struct hf_server *server, struct hf_request *req)
{
	bool head = strcmp(request_method(req), "HEAD") == 0;
	struct hf_db *db = server_db(server);
	struct json_object *body;

	if (db == NULL || hf_db_ping(db) != HF_OK) {
		body = json_object_new_object();
		json_object_object_add(body, "code", json_object_new_string("unavailable"));
		json_object_object_add(body, "message",
				       json_object_new_string("the database does not answer"));
		json_object_object_add(body, "status", json_object_new_string("unavailable"));
		reply_json(req, 503, "Retry-After: 5\r\n", body, head);
	} else {
		body = json_object_new_object();
		json_object_object_add(body, "status", json_object_new_string("ok"));
		reply_json(req, 200, NULL, body, head);
	}
	json_object_put(body);
}
