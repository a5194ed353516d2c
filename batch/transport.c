/*
 * libcurl for the sweep: the one file that sets curl options.  See
 * transport.h for the policy and PITFALLS.md for why each line is here.
 */
#include "transport.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "db.h"
#include "guard.h"
#include "ids.h"
#include "signature.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "0"
#endif

#define USER_AGENT "hookfan/" PACKAGE_VERSION " (+https://www.standardwebhooks.com/)"

/* The request headers of one slot: curl reads the list, never frees it. */
#define HEADER_COUNT 5
struct slot_headers {
	struct curl_slist node[HEADER_COUNT];
	char text[HF_SIGNATURE_HEADER_MAX + 256];
};

/*
 * curl's socket interface driven by epoll, not curl_multi_perform: with
 * perform, every call checks every running transfer's socket with a
 * poll() of its own, and curl_multi_poll builds a poll set of all of
 * them, so a wake-up cost grew with the concurrency.  Here curl hears
 * only about the sockets that are ready.
 */
struct transport {
	CURLM *multi;
	const struct hf_config *cfg;
	unsigned int concurrency;
	size_t running;
	struct transfer **slots;	/* concurrency entries, NULL = free */
	struct slot_headers *headers;	/* concurrency entries */
	/*
	 * Easy handles of finished transfers, kept with their fixed options
	 * for the next: making one per transfer cost more CPU than the
	 * request itself.
	 */
	CURL **spare;			/* concurrency entries */
	size_t nspare;
	int epoll_fd;
	int wake_fd;			/* an eventfd: transport_wakeup */
	/*
	 * What epoll watches per socket (WATCH_* by descriptor).  A
	 * connection goes back to curl's cache after every transfer and out
	 * again for the next: telling epoll each time cost epoll_ctl calls
	 * per delivery, so a connection stays in the set while idle, and is
	 * dropped only when an event comes for it that curl does not want,
	 * or when curl closes it (on_close_socket).  Other sockets (the
	 * resolver's) are dropped as soon as curl lets go of them.
	 */
	unsigned char *watch;
	size_t nwatch;
	bool timer_set;			/* curl wants a call at timer_at_ms */
	uint64_t timer_at_ms;		/* CLOCK_MONOTONIC */
};

/*
 * The destination guard, on the address curl is about to connect to.
 * Refusing returns CURL_SOCKET_BAD before any socket exists, so not a
 * byte (not even a SYN) reaches the address.
 */
#define WATCH_IN 1u		/* epoll watches for input */
#define WATCH_OUT 2u		/* ... for output */
#define WATCH_ADDED 4u		/* the socket is in the epoll set */
#define WATCH_WANTED 8u		/* curl waits for its events */
#define WATCH_CONNECTION 16u	/* opened by open_socket, closed by on_close_socket */

static unsigned char *watch_of(struct transport *t, curl_socket_t fd);

/*
 * Every connection's socket comes from here: the destination guard (when
 * allow_private_targets = no) checks the address, and the socket is
 * marked as a connection that curl closes through on_close_socket.
 */
static curl_socket_t
open_socket(void *clientp, curlsocktype purpose, struct curl_sockaddr *address)
{
	struct transfer *x = clientp;
	struct transport *t = x->transport;
	const char *why = NULL;
	unsigned char *w;
	curl_socket_t fd;
	char text[64];

	(void)purpose;
	if (!t->cfg->allow_private_targets)
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
	fd = socket(address->family, address->socktype | SOCK_CLOEXEC,
		    address->protocol);
	/* A new descriptor: whatever the table held for its number is gone. */
	w = watch_of(t, fd);
	if (w != NULL)
		*w = WATCH_CONNECTION;
	return fd;
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


/* The state of fd, growing the table; NULL when out of memory. */
static unsigned char *
watch_of(struct transport *t, curl_socket_t fd)
{
	size_t n = t->nwatch ? t->nwatch : 256;
	unsigned char *grown;

	if (fd < 0)
		return NULL;
	if ((size_t)fd < t->nwatch)
		return &t->watch[fd];
	while (n <= (size_t)fd)
		n *= 2;
	grown = realloc(t->watch, n);
	if (grown == NULL)
		return NULL;
	memset(grown + t->nwatch, 0, n - t->nwatch);
	t->watch = grown;
	t->nwatch = n;
	return &t->watch[fd];
}

/* curl tells which events a socket waits for; epoll watches them. */
static int
on_socket(CURL *easy, curl_socket_t fd, int what, void *clientp,
	  void *socketp)
{
	struct transport *t = clientp;
	struct epoll_event ev = { 0 };
	unsigned char *w = watch_of(t, fd), want;
	int op;

	(void)easy;
	(void)socketp;
	if (w == NULL)
		return -1;
	if (what == CURL_POLL_REMOVE) {
		if (*w & WATCH_CONNECTION) {
			*w &= (unsigned char)~WATCH_WANTED;	/* may idle in the set */
			return 0;
		}
		/*
		 * Not a connection (the resolver's socketpair, say): curl may
		 * close it without on_close_socket, and its number come back
		 * for another socket, so forget it now.
		 */
		if (*w & WATCH_ADDED)
			epoll_ctl(t->epoll_fd, EPOLL_CTL_DEL, fd, NULL);
		*w = 0;
		return 0;
	}
	want = ((what & CURL_POLL_IN) ? WATCH_IN : 0) |
	       ((what & CURL_POLL_OUT) ? WATCH_OUT : 0);
	if ((*w & WATCH_ADDED) && (*w & (WATCH_IN | WATCH_OUT)) == want) {
		*w |= WATCH_WANTED;
		return 0;
	}
	ev.events = ((want & WATCH_IN) ? EPOLLIN : 0) | ((want & WATCH_OUT) ? EPOLLOUT : 0);
	ev.data.fd = fd;
	op = (*w & WATCH_ADDED) ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
	if (epoll_ctl(t->epoll_fd, op, fd, &ev) != 0) {
		/* Only if a socket was closed behind our back: try the other. */
		op = op == EPOLL_CTL_MOD ? EPOLL_CTL_ADD : EPOLL_CTL_MOD;
		if (epoll_ctl(t->epoll_fd, op, fd, &ev) != 0)
			return -1;
	}
	*w = (unsigned char)((*w & WATCH_CONNECTION) | WATCH_ADDED | WATCH_WANTED | want);
	return 0;
}

/* curl closes a socket: closing removes it from the epoll set too. */
static int
on_close_socket(void *clientp, curl_socket_t fd)
{
	struct transport *t = clientp;

	if (fd >= 0 && (size_t)fd < t->nwatch)
		t->watch[fd] = 0;
	return close(fd);
}

/* curl wants to be called back in timeout_ms (-1: never). */
static int
on_timer(CURLM *multi, long timeout_ms, void *clientp)
{
	struct transport *t = clientp;

	(void)multi;
	t->timer_set = timeout_ms >= 0;
	t->timer_at_ms = hf_monotonic_ms() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0);
	return 0;
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
	rc = probe != NULL ? curl_easy_setopt(probe, CURLOPT_PROTOCOLS_STR, "http,https")
			   : CURLE_OUT_OF_MEMORY;
	curl_easy_cleanup(probe);
	if (rc != CURLE_OK) {
		curl_global_cleanup();
		return hf_fail(HF_ERR_IO, errstr, errlen,
			       "libcurl cannot restrict protocols: %s",
			       curl_easy_strerror(rc));
	}
	t = calloc(1, sizeof(*t));
	if (t == NULL) {
		curl_global_cleanup();
		return hf_fail(HF_ERR_NOMEM, errstr, errlen, "out of memory");
	}
	/* From here on transport_close undoes whatever was set up. */
	t->epoll_fd = t->wake_fd = -1;
	t->cfg = cfg;
	t->multi = curl_multi_init();
	t->slots = calloc(concurrency, sizeof(*t->slots));
	t->spare = calloc(concurrency, sizeof(*t->spare));
	t->headers = calloc(concurrency, sizeof(*t->headers));
	if (t->multi == NULL || t->slots == NULL || t->spare == NULL || t->headers == NULL) {
		transport_close(t);
		return hf_fail(HF_ERR_NOMEM, errstr, errlen, "out of memory for %u transfers",
			       concurrency);
	}
	t->concurrency = concurrency;
	t->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	t->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (t->epoll_fd < 0 || t->wake_fd < 0) {
		hf_fail(HF_ERR_IO, errstr, errlen, "cannot set up the event loop: %s",
			strerror(errno));
		transport_close(t);
		return HF_ERR_IO;
	}
	{
		struct epoll_event ev = { .events = EPOLLIN, .data.fd = t->wake_fd };

		if (epoll_ctl(t->epoll_fd, EPOLL_CTL_ADD, t->wake_fd, &ev) != 0) {
			hf_fail(HF_ERR_IO, errstr, errlen, "epoll_ctl: %s", strerror(errno));
			transport_close(t);
			return HF_ERR_IO;
		}
	}
	curl_multi_setopt(t->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
	curl_multi_setopt(t->multi, CURLMOPT_SOCKETDATA, t);
	curl_multi_setopt(t->multi, CURLMOPT_TIMERFUNCTION, on_timer);
	curl_multi_setopt(t->multi, CURLMOPT_TIMERDATA, t);
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

/*
 * Done with x's handle: kept for the next transfer.  It keeps the fixed
 * options of new_easy(); transport_start sets every option that names a
 * transfer again, so nothing of x survives into the next.
 */
static void
finish_easy(struct transport *t, struct transfer *x)
{
	if (x->easy != NULL) {
		curl_multi_remove_handle(t->multi, x->easy);
		if (t->nspare < t->concurrency)
			t->spare[t->nspare++] = x->easy;
		else
			curl_easy_cleanup(x->easy);
	}
	x->easy = NULL;
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
	if (t->multi != NULL)
		curl_multi_cleanup(t->multi);
	if (t->epoll_fd >= 0)
		close(t->epoll_fd);
	if (t->wake_fd >= 0)
		close(t->wake_fd);
	free(t->watch);
	free(t->headers);
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

/*
 * Append "name: value" to slot h's list.  The nodes and text live in the
 * slot, so a transfer allocates nothing for its headers.
 */
static bool
add_header(struct slot_headers *h, size_t *n, size_t *used, const char *name,
	   const char *value)
{
	size_t room = sizeof(h->text) - *used;
	int len = snprintf(h->text + *used, room, "%s: %s", name, value);

	if (len < 0 || (size_t)len >= room || *n == HEADER_COUNT)
		return false;
	h->node[*n].data = h->text + *used;
	h->node[*n].next = NULL;
	if (*n > 0)
		h->node[*n - 1].next = &h->node[*n];
	*used += (size_t)len + 1;
	(*n)++;
	return true;
}

#define SETOPT(opt, value) \
	do { \
		if (rc == CURLE_OK) \
			rc = curl_easy_setopt(easy, opt, value); \
	} while (0)

/* A new easy handle with the options every transfer shares. */
static CURL *
new_easy(struct transport *t, CURLcode *rcp)
{
	CURLcode rc = CURLE_OK;
	CURL *easy = curl_easy_init();

	if (easy == NULL)
		return NULL;
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
	SETOPT(CURLOPT_USERAGENT, USER_AGENT);
	SETOPT(CURLOPT_WRITEFUNCTION, on_body);
	SETOPT(CURLOPT_CLOSESOCKETFUNCTION, on_close_socket);
	SETOPT(CURLOPT_CLOSESOCKETDATA, (void *)t);
	SETOPT(CURLOPT_OPENSOCKETFUNCTION, open_socket);
	if (rc != CURLE_OK) {
		curl_easy_cleanup(easy);
		*rcp = rc;
		return NULL;
	}
	return easy;
}

enum hf_result
transport_start(struct transport *t, struct transfer *x, char *errstr,
		size_t errlen)
{
	struct slot_headers *h;
	char timestamp[32];
	CURLcode rc = CURLE_OK;
	CURLMcode mrc;
	bool ok = true;
	size_t slot, n = 0, used = 0;
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

	for (slot = 0; t->slots[slot] != NULL; slot++)
		;
	h = &t->headers[slot];
	snprintf(timestamp, sizeof(timestamp), "%lld", x->webhook_timestamp);
	ok = add_header(h, &n, &used, "Content-Type", "application/json") &&
	     add_header(h, &n, &used, "webhook-id", x->webhook_id) &&
	     add_header(h, &n, &used, "webhook-timestamp", timestamp) &&
	     add_header(h, &n, &used, "webhook-signature", x->webhook_signature) &&
	     /* No "Expect: 100-continue" round trip for larger bodies. */
	     add_header(h, &n, &used, "Expect", "");
	if (!ok)
		return hf_fail(HF_ERR_NOMEM, errstr, errlen, "cannot build headers");
	/* "Expect: " would be sent as is; "Expect:" removes the header. */
	h->node[n - 1].data[strlen("Expect:")] = '\0';
	easy = t->nspare > 0 ? t->spare[--t->nspare] : new_easy(t, &rc);
	if (easy == NULL) {
		if (rc != CURLE_OK)
			return hf_fail(HF_ERR_IO, errstr, errlen, "curl option refused: %s",
				       curl_easy_strerror(rc));
		return hf_fail(HF_ERR_NOMEM, errstr, errlen, "curl_easy_init failed");
	}
	x->easy = easy;

	/* Every option that names this transfer, set again on a kept handle. */
	SETOPT(CURLOPT_PRIVATE, (char *)x);
	SETOPT(CURLOPT_URL, x->url);
	SETOPT(CURLOPT_POSTFIELDS, x->body);
	SETOPT(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)x->body_len);
	SETOPT(CURLOPT_HTTPHEADER, &h->node[0]);
	SETOPT(CURLOPT_WRITEDATA, x);
	SETOPT(CURLOPT_ERRORBUFFER, x->curl_error);
	x->transport = t;
	SETOPT(CURLOPT_OPENSOCKETDATA, x);
	if (rc != CURLE_OK) {
		curl_easy_cleanup(easy);
		x->easy = NULL;
		return hf_fail(HF_ERR_IO, errstr, errlen, "curl option refused: %s",
			       curl_easy_strerror(rc));
	}
	x->started_unix_ms = hf_unix_ms();
	x->started_mono_ms = hf_monotonic_ms();
	mrc = curl_multi_add_handle(t->multi, easy);
	if (mrc != CURLM_OK) {
		curl_easy_cleanup(easy);
		x->easy = NULL;
		return hf_fail(HF_ERR_IO, errstr, errlen, "curl_multi_add_handle: %s",
			       curl_multi_strerror(mrc));
	}
	t->slots[slot] = x;
	x->slot = slot;
	t->running++;
	return HF_OK;
}

void
transport_wakeup(struct transport *t)
{
	uint64_t one = 1;

	/* A full counter (it never is) already means "wake up". */
	if (write(t->wake_fd, &one, sizeof(one)) < 0)
		return;
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

/* Let curl run whatever timer of its own has come due. */
static CURLMcode
run_timer(struct transport *t)
{
	int still;

	if (!t->timer_set || hf_monotonic_ms() < t->timer_at_ms)
		return CURLM_OK;
	t->timer_set = false;
	return curl_multi_socket_action(t->multi, CURL_SOCKET_TIMEOUT, 0, &still);
}

/* Hand finished transfers to done[] (up to max, counting in *ndone). */
static void
collect_done(struct transport *t, struct transfer **done, size_t max,
	     size_t *ndone)
{
	CURLMsg *msg;
	int left;

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
}

enum hf_result
transport_wait(struct transport *t, int timeout_ms, struct transfer **done,
	       size_t max, size_t *ndone)
{
	struct epoll_event events[256];
	CURLMcode mrc;
	uint64_t now;
	int n, i, still, wait_ms = timeout_ms > 0 ? timeout_ms : 0;

	*ndone = 0;
	mrc = run_timer(t);
	if (mrc != CURLM_OK)
		return HF_ERR_IO;
	collect_done(t, done, max, ndone);
	if (*ndone > 0)
		wait_ms = 0;
	now = hf_monotonic_ms();
	if (t->timer_set && wait_ms > 0)
		wait_ms = t->timer_at_ms <= now ? 0
			  : t->timer_at_ms - now < (uint64_t)wait_ms
				  ? (int)(t->timer_at_ms - now) : wait_ms;
	n = epoll_wait(t->epoll_fd, events, sizeof(events) / sizeof(events[0]), wait_ms);
	if (n < 0 && errno != EINTR)
		return HF_ERR_IO;
	for (i = 0; i < n && mrc == CURLM_OK; i++) {
		int fd = events[i].data.fd, flags = 0;
		uint64_t count;

		if (fd == t->wake_fd) {
			if (read(t->wake_fd, &count, sizeof(count)) < 0)
				continue;	/* EAGAIN: already read */
			continue;
		}
		/* An idle connection curl keeps (closed by its server, say). */
		if ((size_t)fd < t->nwatch && !(t->watch[fd] & WATCH_WANTED)) {
			epoll_ctl(t->epoll_fd, EPOLL_CTL_DEL, fd, NULL);
			t->watch[fd] &= WATCH_CONNECTION;
			continue;
		}
		if (events[i].events & EPOLLIN)
			flags |= CURL_CSELECT_IN;
		if (events[i].events & EPOLLOUT)
			flags |= CURL_CSELECT_OUT;
		if (events[i].events & (EPOLLERR | EPOLLHUP))
			flags |= CURL_CSELECT_ERR;
		mrc = curl_multi_socket_action(t->multi, fd, flags, &still);
	}
	if (mrc == CURLM_OK)
		mrc = run_timer(t);
	if (mrc != CURLM_OK)
		return HF_ERR_IO;
	collect_done(t, done, max, ndone);
	return HF_OK;
}
