/* Address classification of the destination guard. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "guard.h"
#include "tap.h"

static const char *
classify(const char *text)
{
	struct sockaddr_in in4;
	struct sockaddr_in6 in6;

	memset(&in4, 0, sizeof(in4));
	memset(&in6, 0, sizeof(in6));
	if (inet_pton(AF_INET, text, &in4.sin_addr) == 1) {
		in4.sin_family = AF_INET;
		return guard_classify((struct sockaddr *)&in4, sizeof(in4));
	}
	if (inet_pton(AF_INET6, text, &in6.sin6_addr) == 1) {
		in6.sin6_family = AF_INET6;
		return guard_classify((struct sockaddr *)&in6, sizeof(in6));
	}
	return "unparsable test address";
}

static void
refused(const char *text, const char *contains)
{
	const char *why = classify(text);
	char name[128];

	snprintf(name, sizeof(name), "%s refused (%s)", text, contains);
	if (!ok(why != NULL && strstr(why, contains) != NULL, name))
		printf("#   got %s\n", why ? why : "(allowed)");
}

static void
allowed(const char *text)
{
	const char *why = classify(text);
	char name[128];

	snprintf(name, sizeof(name), "%s allowed", text);
	if (!ok(why == NULL, name))
		printf("#   got %s\n", why);
}

int
main(void)
{
	struct sockaddr other = { 0 };
	char text[64];
	struct sockaddr_in in4;

	refused("127.0.0.1", "loopback");
	refused("127.255.255.254", "loopback");
	refused("0.0.0.0", "unspecified");
	refused("10.1.2.3", "private");
	refused("172.16.0.1", "private");
	refused("172.31.255.255", "private");
	refused("192.168.1.1", "private");
	refused("100.64.0.1", "CGNAT");
	refused("100.127.255.255", "CGNAT");
	refused("169.254.169.254", "link-local");
	refused("224.0.0.1", "multicast");
	refused("239.255.255.250", "multicast");
	refused("240.0.0.1", "reserved");
	refused("255.255.255.255", "reserved");
	refused("192.0.0.8", "reserved");
	refused("192.0.2.1", "documentation");
	refused("198.18.0.1", "benchmarking");
	allowed("8.8.8.8");
	allowed("1.1.1.1");
	allowed("172.32.0.1");
	allowed("100.128.0.1");
	allowed("192.169.0.1");
	allowed("11.0.0.1");

	refused("::", "unspecified");
	refused("::1", "loopback");
	refused("::ffff:127.0.0.1", "IPv4-mapped form of loopback");
	refused("::ffff:10.0.0.1", "IPv4-mapped form of private");
	refused("::ffff:169.254.169.254", "link-local");
	allowed("::ffff:8.8.8.8");
	refused("::127.0.0.1", "IPv4-compatible");
	refused("::8.8.8.8", "IPv4-compatible");
	refused("64:ff9b::127.0.0.1", "NAT64 form of loopback");
	refused("64:ff9b::a00:1", "NAT64 form of private");
	allowed("64:ff9b::808:808");
	refused("64:ff9b:1::1", "local-use NAT64");
	refused("2002:7f00:1::", "6to4 form of loopback");
	refused("2002:c0a8:101::1", "6to4 form of private");
	allowed("2002:808:808::1");
	refused("2001::1", "Teredo");
	refused("2001:db8::1", "documentation");
	refused("fc00::1", "unique local");
	refused("fd12:3456::1", "unique local");
	refused("fe80::1", "link-local");
	refused("fec0::1", "site-local");
	refused("ff02::1", "multicast");
	refused("100::1", "discard");
	refused("4000::1", "reserved");
	allowed("2606:4700:4700::1111");
	allowed("2a00:1450:4001:80b::200e");

	other.sa_family = AF_UNIX;
	ok(guard_classify(&other, sizeof(other)) != NULL, "other families refused");
	ok(guard_classify(NULL, 0) != NULL, "no address refused");

	memset(&in4, 0, sizeof(in4));
	in4.sin_family = AF_INET;
	inet_pton(AF_INET, "127.0.0.1", &in4.sin_addr);
	guard_format((struct sockaddr *)&in4, text, sizeof(text));
	is_str(text, "127.0.0.1", "format");
	return tap_done();
}
