/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Who may ask: --allow CIDR / --deny CIDR for request sources, IPv4 and
 * IPv6. A client is admitted when no --deny rule matches it and, if any
 * --allow rule is given, one matches it (deny wins; no --allow: all).
 * IPv4-mapped IPv6 sources (::ffff:a.b.c.d on a dual-stack socket) are
 * matched as IPv4. Pure: no sockets, no logging.
 */
#ifndef XTFTP_ACL_H
#define XTFTP_ACL_H

#include <stdint.h>
#include <sys/socket.h>

#define ACL_MAX_RULES 64

struct acl_rule {
	int family;             /* AF_INET or AF_INET6 */
	uint8_t addr[16];       /* network address, host bits cleared */
	unsigned int prefix;    /* 0..32 or 0..128 */
	int allow;              /* 1 --allow, 0 --deny */
};

struct acl {
	struct acl_rule rules[ACL_MAX_RULES];
	unsigned int n;
	unsigned int n_allow;
};

/* Parse "ADDR" or "ADDR/PREFIX" (IPv4 or IPv6) into a rule. 0 or -EINVAL
 * (malformed, prefix out of range, host bits set). */
int acl_parse(const char *cidr, int allow, struct acl_rule *out);
/* Add a rule: 0, or -ENOSPC past ACL_MAX_RULES. */
int acl_add(struct acl *acl, const struct acl_rule *rule);
/* 1 if the source may ask, 0 if refused. */
int acl_admits(const struct acl *acl, const struct sockaddr *src);

#endif
