/*
 * libcurl for the sweep: the one file that sets curl options.  See
 * transport.h for the policy and PITFALLS.md for why each line is here.
 */
#include "transport.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <curl/curl.h>

#include "db.h"
#include "guard.h"
#include "signature.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "0"
#endif

#define USER_AGENT "hookfan/" PACKAGE_VERSION " (+https://www.standardwebhooks.com/)"

struct transport {
	CURLM *multi;
	const struct hf_config *cfg;
	unsigned int concurrency;
	size_t running;
	struct transfer **slots;	/* concurrency entries, NULL = free */
	/*
	 * Easy handles of finished transfers, reset and kept for the next:
	 * making one per transfer cost more CPU than the request itself.
	 */
	CURL **spare;			/* concurrency entries */
	size_t nspare;
};

uint64_t
transport_now_unix_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/*
 * The destination guard, on the address curl is about to connect to.
 * Refusing returns CURL_SOCKET_BAD before any socket exists, so not a
 * byte (not even a SYN) reaches the address.
 */
static curl_socket_t
open_guarded_socket(void *clientp, curlsocktype purpose,
		    struct curl_sockaddr *address)
{
	struct transfer *x = clientp;
	const char *why;
	char text[64];

	(void)purpose;
	why = guard_classify(&address->addr, address->addrlen);
	if (why != NULL) {
		if (x->blocked[0] == '\0') {
			guard_format(&address->addr, text, sizeof(text));
			snprintf(x->blocked, sizeof(x->blocked),
				 "blocked destination %s: %s (allow_private_targets = no)",
				 text, why);
		}
		return CURL_SOCKET_BAD;
	}
	return socket(address->family, address->socktype | SOCK_CLOEXEC,
		      address->protocol);
}

/* Keep the first HF_RESPONSE_EXCERPT_MAX bytes; stop reading past the
 * drain allowance so a huge or endless body costs neither memory nor
 * time. */
static size_t
on_body(char *data, size_t size, size_t count, void *clientp)
{
	struct transfer *x = clientp;
	size_t len = size * count, room, keep;

	room = sizeof(x->excerpt) - x->excerpt_len;
	keep = len < room ? len : room;
	memcpy(x->excerpt + x->excerpt_len, data, keep);
	x->excerpt_len += keep;
	x->received += len;
	if (x->received > HF_RESPONSE_EXCERPT_MAX + HF_RESPONSE_DRAIN_MAX) {
		x->capped = true;
		return 0;	/* a short count aborts the transfer */
	}
	return len;
}

enum hf_result
transport_open(struct transport **out, const struct hf_config *cfg,
	       unsigned int concurrency, char *errstr, size_t errlen)
{
	struct transport *t;
	CURL *probe;
	CURLcode rc;

	*out = NULL;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return hf_fail(HF_ERR_IO, errstr, errlen, "curl_global_init failed");
	/* Refuse to run with a libcurl that cannot restrict protocols. */
	probe = curl_easy_init();
	if (probe == NULL)
		return hf_fail(HF_ERR_NOMEM, errstr, errlen, "curl_easy_init failed");
	rc = curl_easy_setopt(probe, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_cleanup(probe);
	if (rc != CURLE_OK)
		return hf_fail(HF_ERR_IO, errstr, errlen,
			       "libcurl cannot restrict protocols: %s",
			       curl_easy_strerror(rc));
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return HF_ERR_NOMEM;
	t->multi = curl_multi_init();
	if (t->multi == NULL) {
		free(t);
		return hf_fail(HF_ERR_NOMEM, errstr, errlen, "curl_multi_init failed");
	}
	t->slots = calloc(concurrency, sizeof(*t->slots));
	if (t->slots == NULL) {
		curl_multi_cleanup(t->multi);
		free(t);
		return HF_ERR_NOMEM;
	}
	t->spare = calloc(concurrency, sizeof(*t->spare));
	if (t->spare == NULL) {
		curl_multi_cleanup(t->multi);
		free(t->slots);
		free(t);
		return HF_ERR_NOMEM;
	}
	t->cfg = cfg;
	t->concurrency = concurrency;
	/*
	 * Connections are reused per host: keep idle ones for several hosts
	 * per slot (libcurl's own default), within a bound on open files.
	 */
	curl_multi_setopt(t->multi, CURLMOPT_MAXCONNECTS,
			  4L * concurrency < HF_SWEEP_IDLE_CONNECTIONS_MAX
				  ? 4L * concurrency
				  : (long)HF_SWEEP_IDLE_CONNECTIONS_MAX);
	*out = t;
	return HF_OK;
}

/* Done with x's handle: reset (no option of x survives) and kept. */
static void
finish_easy(struct transport *t, struct transfer *x)
{
	if (x->easy != NULL) {
		curl_multi_remove_handle(t->multi, x->easy);
		if (t->nspare < t->concurrency) {
			curl_easy_reset(x->easy);
			t->spare[t->nspare++] = x->easy;
		} else {
			curl_easy_cleanup(x->easy);
		}
	}
	curl_slist_free_all(x->headers);
	x->easy = NULL;
	x->headers = NULL;
}

void
transport_close(struct transport *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->concurrency; i++) {
		if (t->slots[i] != NULL)
			finish_easy(t, t->slots[i]);
	}
	while (t->nspare > 0)
		curl_easy_cleanup(t->spare[--t->nspare]);
	curl_multi_cleanup(t->multi);
	free(t->spare);
	free(t->slots);
	free(t);
	curl_global_cleanup();
}

size_t
transport_running(const struct transport *t)
{
	return t->running;
}

static struct curl_slist *
add_header(struct curl_slist *list, const char *name, const char *value,
	   bool *ok)
{
	char line[HF_SIGNATURE_HEADER_MAX + 64];
	struct curl_slist *grown;

	if (!*ok)
		return list;
	if ((size_t)snprintf(line, sizeof(line), "%s: %s", name, value) >= sizeof(line)) {
		*ok = false;
		return list;
	}
	grown = curl_slist_append(list, line);
	if (grown == NULL)
		*ok = false;
	return grown != NULL ? grown : list;
}

#define SETOPT(opt, value) \
	do { \
		if (rc == CURLE_OK) \
			rc = curl_easy_setopt(easy, opt, value); \
	} while (0)

enum hf_result
transport_start(struct transport *t, struct transfer *x, char *errstr,
		size_t errlen)
{
	struct curl_slist *headers = NULL;
	char timestamp[32];
	CURLcode rc = CURLE_OK;
	CURLMcode mrc;
	bool ok = true;
	size_t slot;
	CURL *easy;

	if (t->running >= t->concurrency)
		return HF_ERR_LIMIT;
	x->status_code = 0;
	x->error[0] = '\0';
	x->excerpt_len = 0;
	x->retry_after[0] = '\0';
	x->received = 0;
	x->capped = false;
	x->blocked[0] = '\0';
	x->curl_error[0] = '\0';
	x->duration_ms = 0;

	snprintf(timestamp, sizeof(timestamp), "%lld", x->webhook_timestamp);
	headers = add_header(headers, "Content-Type", "application/json", &ok);
	headers = add_header(headers, "webhook-id", x->webhook_id, &ok);
	headers = add_header(headers, "webhook-timestamp", timestamp, &ok);
	headers = add_header(headers, "webhook-signature", x->webhook_signature, &ok);
	/* No "Expect: 100-continue" round trip for larger bodies. */
	if (ok && (headers = curl_slist_append(headers, "Expect:")) == NULL)
		ok = false;
	if (!ok) {
		curl_slist_free_all(headers);
		return hf_fail(HF_ERR_NOMEM, errstr, errlen, "cannot build headers");
	}
	easy = t->nspare > 0 ? t->spare[--t->nspare] : curl_easy_init();
	if (easy == NULL) {
		curl_slist_free_all(headers);
		return hf_fail(HF_ERR_NOMEM, errstr, errlen, "curl_easy_init failed");
	}
	x->easy = easy;
	x->headers = headers;

	SETOPT(CURLOPT_PRIVATE, (char *)x);
	SETOPT(CURLOPT_URL, x->url);
	/* Only http and https, for the request and for any redirect. */
	SETOPT(CURLOPT_PROTOCOLS_STR, "http,https");
	SETOPT(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	SETOPT(CURLOPT_FOLLOWLOCATION, 0L);
	/* http_proxy and friends from cron or systemd are not ours to use. */
	SETOPT(CURLOPT_PROXY, "");
	SETOPT(CURLOPT_NOSIGNAL, 1L);
	SETOPT(CURLOPT_CONNECTTIMEOUT_MS, t->cfg->connect_timeout_ms);
	SETOPT(CURLOPT_TIMEOUT_MS, t->cfg->delivery_timeout_ms);
	/* CURLOPT_ACCEPT_ENCODING stays unset: no compressed bombs. */
	SETOPT(CURLOPT_POST, 1L);
	SETOPT(CURLOPT_POSTFIELDS, x->body);
	SETOPT(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)x->body_len);
	SETOPT(CURLOPT_HTTPHEADER, headers);
	SETOPT(CURLOPT_USERAGENT, USER_AGENT);
	SETOPT(CURLOPT_WRITEFUNCTION, on_body);
	SETOPT(CURLOPT_WRITEDATA, x);
	SETOPT(CURLOPT_ERRORBUFFER, x->curl_error);
	if (!t->cfg->allow_private_targets) {
		SETOPT(CURLOPT_OPENSOCKETFUNCTION, open_guarded_socket);
		SETOPT(CURLOPT_OPENSOCKETDATA, x);
	}
	if (rc != CURLE_OK) {
		finish_easy(t, x);
		return hf_fail(HF_ERR_IO, errstr, errlen, "curl option refused: %s",
			       curl_easy_strerror(rc));
	}
	x->started_unix_ms = transport_now_unix_ms();
	x->started_mono_ms = hf_monotonic_ms();
	mrc = curl_multi_add_handle(t->multi, easy);
	if (mrc != CURLM_OK) {
		finish_easy(t, x);
		return hf_fail(HF_ERR_IO, errstr, errlen, "curl_multi_add_handle: %s",
			       curl_multi_strerror(mrc));
	}
	for (slot = 0; t->slots[slot] != NULL; slot++)
		;
	t->slots[slot] = x;
	x->slot = slot;
	t->running++;
	return HF_OK;
}

void
transport_wakeup(struct transport *t)
{
	curl_multi_wakeup(t->multi);
}

/* Fill x's outcome from the finished easy handle. */
static void
conclude(struct transfer *x, CURLcode result)
{
	struct curl_header *h = NULL;
	long code = 0;
	const char *detail;

	x->duration_ms = hf_monotonic_ms() - x->started_mono_ms;
	curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &code);
	x->status_code = code;
	if (code > 0 &&
	    curl_easy_header(x->easy, "Retry-After", 0, CURLH_HEADER, -1, &h) == CURLHE_OK &&
	    h != NULL && h->value != NULL)
		snprintf(x->retry_after, sizeof(x->retry_after), "%s", h->value);
	if (result == CURLE_OK || (result == CURLE_WRITE_ERROR && x->capped))
		return;
	detail = x->curl_error[0] != '\0' ? x->curl_error : curl_easy_strerror(result);
	if (x->blocked[0] != '\0')
		snprintf(x->error, sizeof(x->error), "%s", x->blocked);
	else if (result == CURLE_OPERATION_TIMEDOUT)
		snprintf(x->error, sizeof(x->error), "timeout: %s", detail);
	else if (result == CURLE_COULDNT_CONNECT)
		snprintf(x->error, sizeof(x->error), "connection failed: %s", detail);
	else if (result == CURLE_COULDNT_RESOLVE_HOST)
		snprintf(x->error, sizeof(x->error), "DNS: %s", detail);
	else
		snprintf(x->error, sizeof(x->error), "%s", detail);
}

enum hf_result
transport_wait(struct transport *t, int timeout_ms, struct transfer **done,
	       size_t max, size_t *ndone)
{
	CURLMcode mrc;
	CURLMsg *msg;
	int still, left;

	*ndone = 0;
	mrc = curl_multi_perform(t->multi, &still);
	if (mrc == CURLM_OK && timeout_ms > 0)
		mrc = curl_multi_poll(t->multi, NULL, 0, timeout_ms, NULL);
	if (mrc == CURLM_OK)
		mrc = curl_multi_perform(t->multi, &still);
	if (mrc != CURLM_OK)
		return HF_ERR_IO;
	while (*ndone < max && (msg = curl_multi_info_read(t->multi, &left)) != NULL) {
		struct transfer *x = NULL;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&x);
		conclude(x, msg->data.result);
		finish_easy(t, x);
		t->slots[x->slot] = NULL;
		t->running--;
		done[(*ndone)++] = x;
	}
	return HF_OK;
}
