/*
 * The destination guard: unless allow_private_targets = yes, a delivery may
 * only connect to a public address.  The check runs on the address libcurl
 * is about to connect to (CURLOPT_OPENSOCKETFUNCTION), after DNS, so no
 * spelling of a URL (127.1, 0x7f000001, [::ffff:127.0.0.1], a DNS name
 * pointing inside) gets around it, and a refused connection sends nothing.
 */
#ifndef HF_GUARD_H
#define HF_GUARD_H

#include <stdbool.h>
#include <stddef.h>

#include <sys/socket.h>

/*
 * NULL when addr may be connected to, else a static phrase saying what
 * kind of address it is ("loopback", "private (RFC 1918)", ...).  IPv4
 * inside IPv6 (mapped, compatible, NAT64, 6to4) is judged by the IPv4
 * address it carries.  Families other than IPv4 and IPv6 are refused.
 */
const char *guard_classify(const struct sockaddr *addr, size_t addrlen);

/*
 * Text form of addr into out (at least 64 bytes), for error messages.
 */
void guard_format(const struct sockaddr *addr, char *out, size_t outlen);

#endif
