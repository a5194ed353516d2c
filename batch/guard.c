/*
 * Address classification for the destination guard; see guard.h.  The
 * ranges are those of the IANA IPv4 and IPv6 special-purpose registries
 * that are not globally reachable, plus multicast.  Everything in IPv6
 * outside 2000::/3 (global unicast) is refused outright.
 */
#include "guard.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

struct v4_range {
	uint32_t network;
	unsigned int prefix;
	const char *what;
};

static const struct v4_range v4_refused[] = {
	{ 0x00000000, 8, "unspecified (0.0.0.0/8)" },
	{ 0x0a000000, 8, "private (10.0.0.0/8)" },
	{ 0x64400000, 10, "shared CGNAT (100.64.0.0/10)" },
	{ 0x7f000000, 8, "loopback (127.0.0.0/8)" },
	{ 0xa9fe0000, 16, "link-local (169.254.0.0/16)" },
	{ 0xac100000, 12, "private (172.16.0.0/12)" },
	{ 0xc0000000, 24, "reserved IETF protocol assignments (192.0.0.0/24)" },
	{ 0xc0000200, 24, "documentation (192.0.2.0/24)" },
	{ 0xc0586300, 24, "6to4 relay anycast (192.88.99.0/24)" },
	{ 0xc0a80000, 16, "private (192.168.0.0/16)" },
	{ 0xc6120000, 15, "benchmarking (198.18.0.0/15)" },
	{ 0xc6336400, 24, "documentation (198.51.100.0/24)" },
	{ 0xcb007100, 24, "documentation (203.0.113.0/24)" },
	{ 0xe0000000, 4, "multicast (224.0.0.0/4)" },
	{ 0xf0000000, 4, "reserved (240.0.0.0/4)" },
};

/* addr is in host order. */
static const char *
classify_v4(uint32_t addr)
{
	size_t i;

	for (i = 0; i < sizeof(v4_refused) / sizeof(v4_refused[0]); i++) {
		uint32_t mask = v4_refused[i].prefix == 0
					? 0
					: 0xffffffffu << (32 - v4_refused[i].prefix);

		if ((addr & mask) == v4_refused[i].network)
			return v4_refused[i].what;
	}
	return NULL;
}

static uint32_t
v4_at(const unsigned char *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	       (uint32_t)b[2] << 8 | (uint32_t)b[3];
}

static bool
all_zero(const unsigned char *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (b[i] != 0)
			return false;
	}
	return true;
}

/* An embedded IPv4 address: refused when the IPv4 address is. */
static const char *
classify_embedded(uint32_t v4, const char *form)
{
	static char why[160];	/* only the sweep's one thread calls us */
	const char *inner = classify_v4(v4);

	if (inner == NULL)
		return NULL;
	snprintf(why, sizeof(why), "%s of %s", form, inner);
	return why;
}

static const char *
classify_v6(const unsigned char *b)
{
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	static const unsigned char nat64[12] = { 0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0 };
	const char *why;

	if (all_zero(b, 15) && b[15] == 0)
		return "unspecified (::)";
	if (all_zero(b, 15) && b[15] == 1)
		return "loopback (::1)";
	if (memcmp(b, mapped, 12) == 0)
		return classify_embedded(v4_at(b + 12), "IPv4-mapped form");
	if (all_zero(b, 12)) {
		why = classify_embedded(v4_at(b + 12), "IPv4-compatible form");
		return why != NULL ? why : "IPv4-compatible (::/96, deprecated)";
	}
	if (memcmp(b, nat64, 12) == 0)
		return classify_embedded(v4_at(b + 12), "NAT64 form");
	if (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b &&
	    b[4] == 0x00 && b[5] == 0x01)
		return "local-use NAT64 (64:ff9b:1::/48)";
	if (b[0] == 0x01 && b[1] == 0x00 && all_zero(b + 2, 6))
		return "discard-only (100::/64)";
	if (b[0] == 0x20 && b[1] == 0x02)
		return classify_embedded(v4_at(b + 2), "6to4 form");
	if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x00 && b[3] == 0x00)
		return "Teredo (2001::/32)";
	if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8)
		return "documentation (2001:db8::/32)";
	if (b[0] == 0x20 && b[1] == 0x01 && (b[2] & 0xfe) == 0x00)
		return "IETF protocol assignments (2001::/23)";
	if (b[0] == 0x3f && b[1] == 0xff && (b[2] & 0xf0) == 0x00)
		return "documentation (3fff::/20)";
	if ((b[0] & 0xfe) == 0xfc)
		return "unique local (fc00::/7)";
	if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80)
		return "link-local (fe80::/10)";
	if (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0)
		return "site-local (fec0::/10)";
	if (b[0] == 0xff)
		return "multicast (ff00::/8)";
	if ((b[0] & 0xe0) != 0x20)
		return "reserved (outside 2000::/3)";
	return NULL;
}

const char *
guard_classify(const struct sockaddr *addr, size_t addrlen)
{
	if (addr == NULL)
		return "no address";
	if (addr->sa_family == AF_INET && addrlen >= sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)addr;

		return classify_v4(ntohl(in->sin_addr.s_addr));
	}
	if (addr->sa_family == AF_INET6 && addrlen >= sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)addr;

		return classify_v6(in6->sin6_addr.s6_addr);
	}
	return "not an IPv4 or IPv6 address";
}

void
guard_format(const struct sockaddr *addr, char *out, size_t outlen)
{
	char text[INET6_ADDRSTRLEN] = "?";

	if (addr != NULL && addr->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)addr)->sin_addr,
			  text, sizeof(text));
	else if (addr != NULL && addr->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)addr)->sin6_addr,
			  text, sizeof(text));
	snprintf(out, outlen, "%s", text);
}
