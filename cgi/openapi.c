/* GET /v1/openapi.json; see openapi.h. */
#include "openapi.h"

#include <stdbool.h>
#include <string.h>

#include "reply.h"

void
openapi_serve(struct hf_server *server, struct hf_request *req,
	      const struct route_match *match)
{
	bool head = strcmp(request_method(req), "HEAD") == 0;

	(void)server;
	(void)match;
	reply_text(req, 200, NULL, (const char *)hf_openapi_document, hf_openapi_document_len, head);
}
