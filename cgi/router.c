/*
 * Routing: the patterns of every table against the request's path
 * candidates (request.h), in order; the first candidate some pattern
 * matches decides.  See router.h.
 */
#include "router.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "manage.h"
#include "reply.h"
#include "routes.h"
#include "svix.h"

static void
serve_health(struct hf_server *server, struct hf_request *req,
	     const struct route_match *match)
{
	(void)match;
	health_handle(server, req);
}

static void
serve_metrics(struct hf_server *server, struct hf_request *req,
	      const struct route_match *match)
{
	(void)match;
	metrics_handle(server, req);
}

static void
serve_trigger(struct hf_server *server, struct hf_request *req,
	      const struct route_match *match)
{
	trigger_handle(server, req, match->params[0]);
}

static void
serve_send_message(struct hf_server *server, struct hf_request *req,
		   const struct route_match *match)
{
	send_message_handle(server, req, match->params[0]);
}

const struct route core_routes[] = {
	{ "GET", "/healthz", serve_health, NULL },
	{ "HEAD", "/healthz", serve_health, NULL },
	{ "GET", "/metrics", serve_metrics, NULL },
	{ "HEAD", "/metrics", serve_metrics, NULL },
	{ "POST", "/api/ingest/event/{eventType}", serve_trigger, NULL },
	{ "POST", "/v1/applications/{appId}/messages", serve_send_message, NULL },
	{ NULL, NULL, NULL, NULL }
};

static const struct route *const tables[] = {
	core_routes, manage_routes, message_routes, svix_routes
};

/*
 * One path segment (no '/', not empty) of len bytes into arg, decoded when
 * the path is raw.  A segment that does not decode, or decodes to anything
 * but visible ASCII (every id and event type is), becomes "", which every
 * handler refuses as invalid or unknown: error messages quote the segment,
 * and raw bytes would make the JSON answer invalid UTF-8.
 */
static void
take_segment(const char *s, size_t len, bool raw, char *arg, size_t arglen)
{
	size_t i;

	arg[0] = '\0';
	if (raw) {
		if (!request_percent_decode(s, len, arg, arglen))
			arg[0] = '\0';
	} else if (len < arglen) {
		memcpy(arg, s, len);
		arg[len] = '\0';
	}
	for (i = 0; arg[i] != '\0'; i++) {
		if ((unsigned char)arg[i] <= 0x20 || (unsigned char)arg[i] >= 0x7f) {
			arg[0] = '\0';
			return;
		}
	}
}

/* Whether path matches pattern segment by segment; {x} segments go to m. */
static bool
pattern_matches(const char *pattern, const char *path, bool raw,
		struct route_match *m)
{
	const char *p = pattern, *s = path;

	m->count = 0;
	for (;;) {
		size_t plen = strcspn(p, "/"), slen = strcspn(s, "/");

		if (plen > 1 && p[0] == '{' && p[plen - 1] == '}') {
			if (slen == 0 || m->count == HF_ROUTE_MAX_PARAMS)
				return false;
			take_segment(s, slen, raw, m->params[m->count],
				     sizeof(m->params[m->count]));
			m->count++;
		} else if (plen != slen || memcmp(p, s, plen) != 0) {
			return false;
		}
		p += plen;
		s += slen;
		if (*p == '\0' || *s == '\0')
			return *p == '\0' && *s == '\0';
		p++;
		s++;
	}
}

/*
 * The row of path and method into m; else false, with the methods path
 * has (if any) in allow ("GET, HEAD").
 */
static bool
route_find(const char *path, bool raw, const char *method,
	   struct route_match *m, char *allow, size_t allow_len)
{
	const struct route *r;
	size_t t, used = 0;

	allow[0] = '\0';
	for (t = 0; t < sizeof(tables) / sizeof(tables[0]); t++) {
		for (r = tables[t]; r->method != NULL; r++) {
			if (!pattern_matches(r->pattern, path, raw, m))
				continue;
			if (strcmp(r->method, method) == 0) {
				m->route = r;
				return true;
			}
			if (used < allow_len)
				used += (size_t)snprintf(allow + used, allow_len - used,
							 "%s%s", used > 0 ? ", " : "",
							 r->method);
		}
	}
	return false;
}

/*
 * Svix's server takes its routes with or without one trailing slash, and
 * some of its client libraries send one: a Svix path loses it (into buf).
 */
static const char *
svix_trim_slash(const char *candidate, char *buf, size_t buflen)
{
	size_t len = strlen(candidate);

	if (!svix_path(candidate) || len < 2 || candidate[len - 1] != '/' ||
	    len > buflen)
		return candidate;
	memcpy(buf, candidate, len - 1);
	buf[len - 1] = '\0';
	return buf;
}

void
router_dispatch(struct hf_server *server, struct hf_request *req)
{
	struct route_match match;
	char path[HF_REQUEST_PATH_MAX], trimmed[HF_REQUEST_PATH_MAX];
	char allow[128], header[160];
	const char *method = request_method(req), *candidate;
	bool raw, svix = false;
	int i;

	/*
	 * No route has an empty segment.  lighttpd hands "/a//b" on as
	 * PATH_INFO "/a/b", which may be another route's path: the raw path
	 * decides.
	 */
	candidate = request_path_candidate(req, 1, path, sizeof(path), &raw);
	if (candidate != NULL && strstr(candidate, "//") != NULL) {
		reply_error(req, 404, NULL, "not_found", "no such path");
		return;
	}
	for (i = 0; i < 2; i++) {
		candidate = request_path_candidate(req, i, path, sizeof(path), &raw);
		if (candidate == NULL)
			continue;
		candidate = svix_trim_slash(candidate, trimmed, sizeof(trimmed));
		if (route_find(candidate, raw, method, &match, allow, sizeof(allow))) {
			if (match.route->manage != NULL)
				manage_serve(server, req, &match);
			else
				match.route->serve(server, req, &match);
			return;
		}
		/* Svix's clients know routes hookfan has not: say so. */
		svix |= svix_path(candidate);
		if (allow[0] != '\0' && svix) {
			svix_reply_unsupported(req);
			return;
		}
		if (allow[0] != '\0') {
			snprintf(header, sizeof(header), "Allow: %s\r\n", allow);
			reply_error(req, 405, header, "method_not_allowed",
				    "use %s on this path", allow);
			return;
		}
	}
	if (svix)
		svix_reply_unsupported(req);
	else
		reply_error(req, 404, NULL, "not_found", "no such path");
}
