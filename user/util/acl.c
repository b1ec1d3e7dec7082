// SPDX-License-Identifier: GPL-2.0-or-later
/* --allow / --deny: see acl.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include "acl.h"

int acl_parse(const char *cidr, int allow, struct acl_rule *out)
{
	char buf[INET6_ADDRSTRLEN + 8], *slash, *end;
	unsigned int max, byte;
	unsigned long prefix;

	memset(out, 0, sizeof(*out));
	if (!cidr || strlen(cidr) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, cidr);
	slash = strchr(buf, '/');
	if (slash)
		*slash++ = '\0';
	if (inet_pton(AF_INET, buf, out->addr) == 1) {
		out->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, buf, out->addr) == 1) {
		out->family = AF_INET6;
		max = 128;
	} else {
		return -EINVAL;
	}
	prefix = max;
	if (slash) {
		if (!*slash || *slash < '0' || *slash > '9')
			return -EINVAL;
		errno = 0;
		prefix = strtoul(slash, &end, 10);
		if (errno || *end || prefix > max)
			return -EINVAL;
	}
	/* host bits must be clear: "198.18.0.1/24" is a typo, not a network */
	for (byte = 0; byte < max / 8; byte++) {
		unsigned int first = byte * 8;
		uint8_t mask;

		if (first + 8 <= prefix)
			continue;
		mask = first >= prefix ? 0xff : (uint8_t)(0xff >> (prefix - first));
		if (out->addr[byte] & mask)
			return -EINVAL;
	}
	out->prefix = (unsigned int)prefix;
	out->allow = allow;
	return 0;
}

int acl_add(struct acl *acl, const struct acl_rule *rule)
{
	if (acl->n >= ACL_MAX_RULES)
		return -ENOSPC;
	acl->rules[acl->n++] = *rule;
	if (rule->allow)
		acl->n_allow++;
	return 0;
}

static int rule_matches(const struct acl_rule *r, int family, const uint8_t *addr)
{
	unsigned int full = r->prefix / 8, rest = r->prefix % 8;

	if (r->family != family)
		return 0;
	if (memcmp(r->addr, addr, full))
		return 0;
	if (rest && ((r->addr[full] ^ addr[full]) & (uint8_t)(0xff << (8 - rest))))
		return 0;
	return 1;
}

int acl_admits(const struct acl *acl, const struct sockaddr *src)
{
	static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	const uint8_t *addr;
	int family = src->sa_family, allowed;
	unsigned int i;

	if (!acl || !acl->n)
		return 1;
	if (family == AF_INET) {
		addr = (const uint8_t *)&((const struct sockaddr_in *)src)->sin_addr;
	} else if (family == AF_INET6) {
		addr = ((const struct sockaddr_in6 *)src)->sin6_addr.s6_addr;
		if (!memcmp(addr, v4mapped, sizeof(v4mapped))) {
			family = AF_INET;
			addr += 12;
		}
	} else {
		return 0;
	}
	allowed = acl->n_allow == 0;
	for (i = 0; i < acl->n; i++) {
		if (!rule_matches(&acl->rules[i], family, addr))
			continue;
		if (!acl->rules[i].allow)
			return 0;
		allowed = 1;
	}
	return allowed;
}
