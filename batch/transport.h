/*
 * HTTP for the sweep: every libcurl option hookfan sets lives in
 * transport.c.  One curl multi handle serves the whole process, so
 * connections to an endpoint are reused from one batch to the next, and up
 * to `concurrency` transfers run at once; a slow endpoint holds only its
 * own slot.
 *
 * Policy applied to every transfer: http and https only, no redirects, no
 * proxy (whatever the environment says), no decompression, connect and
 * total timeouts from the config, the response body kept only up to
 * HF_RESPONSE_EXCERPT_MAX bytes (and read no further than
 * HF_RESPONSE_DRAIN_MAX past that), and, unless allow_private_targets,
 * the destination guard of guard.h on every connection.
 */
#ifndef HF_TRANSPORT_H
#define HF_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "limits.h"
#include "result.h"

struct transport;

/* One POST.  The caller owns it; it must stay put until it completes. */
struct transfer {
	/* In, borrowed until completion. */
	const char *url;
	const char *body;
	size_t body_len;
	const char *webhook_id;
	long long webhook_timestamp;
	const char *webhook_signature;
	void *owner;		/* the caller's, untouched */

	/* Out, valid once transport_wait returned the transfer. */
	long status_code;	/* 0: no HTTP response */
	char error[256];	/* empty when the whole response was read */
	unsigned char excerpt[HF_RESPONSE_EXCERPT_MAX];
	size_t excerpt_len;
	char retry_after[64];	/* the Retry-After header, "" if none */
	uint64_t started_unix_ms;
	uint64_t duration_ms;

	/* Private to transport.c. */
	void *transport;
	void *easy;
	size_t received;
	bool capped;
	char blocked[200];
	char curl_error[256];
	uint64_t started_mono_ms;
	size_t slot;
};

/*
 * One multi handle for the life of the process.  Fails (errstr) when
 * libcurl cannot be set up or lacks a feature the policy needs.
 */
enum hf_result transport_open(struct transport **out,
			      const struct hf_config *cfg,
			      unsigned int concurrency, char *errstr,
			      size_t errlen);

/* Abort whatever runs and free everything.  t may be NULL. */
void transport_close(struct transport *t);

/* Start x now.  HF_ERR_LIMIT when `concurrency` transfers already run. */
enum hf_result transport_start(struct transport *t, struct transfer *x,
			       char *errstr, size_t errlen);

/* Transfers started and not yet returned by transport_wait. */
size_t transport_running(const struct transport *t);

/*
 * Drive the transfers for at most timeout_ms (returning early when one
 * finishes) and hand back up to max finished ones in done[]; *ndone
 * receives how many.
 */
enum hf_result transport_wait(struct transport *t, int timeout_ms,
			      struct transfer **done, size_t max,
			      size_t *ndone);

/*
 * Make a transport_wait running in another thread return now (or the next
 * one return at once).  The one transport call safe from any thread.
 */
void transport_wakeup(struct transport *t);

#endif
