// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests: --allow / --deny (user/acl.c). */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "util/acl.h"

static struct sockaddr_storage sa(const char *ip)
{
	struct sockaddr_storage ss;

	memset(&ss, 0, sizeof(ss));
	if (strchr(ip, ':')) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		assert_int_equal(inet_pton(AF_INET6, ip, &s6->sin6_addr), 1);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		assert_int_equal(inet_pton(AF_INET, ip, &s4->sin_addr), 1);
	}
	return ss;
}

static int admits(const struct acl *acl, const char *ip)
{
	struct sockaddr_storage ss = sa(ip);

	return acl_admits(acl, (struct sockaddr *)&ss);
}

static void add(struct acl *acl, const char *cidr, int allow)
{
	struct acl_rule r;

	assert_int_equal(acl_parse(cidr, allow, &r), 0);
	assert_int_equal(acl_add(acl, &r), 0);
}

static void test_parse(void **state)
{
	static const char *const bad[] = { "", "/24", "198.18.0.0/", "198.18.0.0/33",
		"198.18.0.1/24", "198.18.0.0/x", "198.18.0.0/-1", "2001:db8::1/64", "::/129",
		"host.example", "198.18.0.0/24/1", "198.18.0.0/ 24" };
	struct acl_rule r;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(acl_parse(bad[i], 1, &r), -EINVAL);
	assert_int_equal(acl_parse("198.18.0.0/15", 1, &r), 0);
	assert_int_equal(r.prefix, 15);
	assert_int_equal(acl_parse("198.18.7.9", 0, &r), 0);
	assert_int_equal(r.prefix, 32);
	assert_int_equal(acl_parse("2001:db8::/32", 1, &r), 0);
	assert_int_equal(r.family, AF_INET6);
	assert_int_equal(acl_parse("0.0.0.0/0", 1, &r), 0);
}

static void test_no_rules_admit_all(void **state)
{
	struct acl acl = { 0 };

	(void)state;
	assert_true(admits(&acl, "203.0.113.9"));
	assert_true(admits(&acl, "2001:db8::9"));
}

static void test_allow_and_deny(void **state)
{
	struct acl acl = { 0 };

	(void)state;
	add(&acl, "198.18.0.0/15", 1);
	add(&acl, "198.19.255.0/24", 0);
	add(&acl, "2001:db8:1::/48", 1);
	assert_true(admits(&acl, "198.18.0.1"));
	assert_true(admits(&acl, "198.19.254.255"));
	assert_false(admits(&acl, "198.19.255.1"));     /* deny wins */
	assert_false(admits(&acl, "198.20.0.1"));       /* not allowed */
	assert_false(admits(&acl, "198.17.255.255"));
	assert_true(admits(&acl, "2001:db8:1:ffff::1"));
	assert_false(admits(&acl, "2001:db8:2::1"));
	/* a dual-stack socket sees IPv4 clients as ::ffff:a.b.c.d */
	assert_true(admits(&acl, "::ffff:198.18.3.4"));
	assert_false(admits(&acl, "::ffff:198.19.255.4"));
}

static void test_deny_only(void **state)
{
	struct acl acl = { 0 };

	(void)state;
	add(&acl, "192.0.2.0/25", 0);
	assert_false(admits(&acl, "192.0.2.127"));
	assert_true(admits(&acl, "192.0.2.128"));
	assert_true(admits(&acl, "2001:db8::1"));
}

static void test_full(void **state)
{
	struct acl acl = { 0 };
	struct acl_rule r;

	(void)state;
	assert_int_equal(acl_parse("192.0.2.0/24", 1, &r), 0);
	for (int i = 0; i < ACL_MAX_RULES; i++)
		assert_int_equal(acl_add(&acl, &r), 0);
	assert_int_equal(acl_add(&acl, &r), -ENOSPC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_no_rules_admit_all),
		cmocka_unit_test(test_allow_and_deny),
		cmocka_unit_test(test_deny_only),
		cmocka_unit_test(test_full),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
