// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests for user/remap.c: tftpd-hpa -m rule files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "files/remap.h"

/* tftpd-hpa's own example (/usr/share/doc/tftpd-hpa/examples/sample.rules). */
static const char sample_rules[] =
	"#\n"
	"# Sample rule file for the -m (remapping option)\n"
	"#\n"
	"ri\t^[a-z]:\t\t\t\t# Remove \"drive letters\"\n"          /* line 4 */
	"rg\t\\\\\t\t/\t\t# Convert backslashes to slashes\n"     /* line 5 */
	"rg\t\\#\t\t@\t\t# Convert hash marks to @ signs\n"       /* line 6 */
	"rg\t/../\t\t/..no../\t# Convert /../ to /..no../\n"     /* line 7 */
	"e\t^ok/\t\t\t\t# These are always ok\n"                /* line 8 */
	"r\t^[^/]\t\t/tftpboot/\\0\t# Convert non-absolute files\n" /* line 9 */
	"a\t\\.pvt$\t\t\t\t# Reject requests for private files\n"; /* line 10 */

static struct remap_rules *parse_ok(const char *text)
{
	struct remap_rules *rules = NULL;

	assert_int_equal(remap_parse(text, "map", &rules, stderr), 0);
	assert_non_null(rules);
	return rules;
}

/* Parse text that must fail; returns what was reported. Caller frees. */
static char *parse_bad(const char *text)
{
	struct remap_rules *rules = NULL;
	char *msg = NULL;
	size_t len = 0;
	FILE *errs = open_memstream(&msg, &len);

	assert_non_null(errs);
	assert_int_equal(remap_parse(text, "map", &rules, errs), -EINVAL);
	fclose(errs);
	assert_null(rules);
	return msg;
}

static struct sockaddr_in v4(const char *addr)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(1234) };

	assert_int_equal(inet_pton(AF_INET, addr, &sin.sin_addr), 1);
	return sin;
}

static struct sockaddr_in6 v6(const char *addr)
{
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_port = htons(1234) };

	assert_int_equal(inet_pton(AF_INET6, addr, &sin6.sin6_addr), 1);
	return sin6;
}

/* Apply rules to name as an IPv4 RRQ from 198.18.0.2; expect rc and result. */
static void expect_map(const struct remap_rules *rules, const char *name, int rc, const char *want)
{
	struct sockaddr_in c = v4("198.18.0.2");
	char out[PATH_MAX];

	assert_int_equal(remap_apply(rules, name, 0, (struct sockaddr *)&c, out, sizeof(out), NULL), rc);
	if (!rc)
		assert_string_equal(out, want);
}

static void test_sample_rules(void **state)
{
	struct remap_rules *rules = parse_ok(sample_rules);
	struct sockaddr_in c = v4("198.18.0.2");
	struct remap_verdict v;
	char out[PATH_MAX];

	(void)state;
	assert_int_equal(remap_count(rules), 7);
	expect_map(rules, "C:\\boot\\pxelinux.0", 0, "/boot/pxelinux.0");
	expect_map(rules, "c:kernel", 0, "/tftpboot/kernel");
	expect_map(rules, "a#b#c", 0, "/tftpboot/a@b@c");
	expect_map(rules, "/x/../y/../z", 0, "/x/..no../y/..no../z");
	expect_map(rules, "ok/file", 0, "ok/file");          /* e: no /tftpboot/ */
	expect_map(rules, "/already/absolute", 0, "/already/absolute");

	assert_int_equal(remap_apply(rules, "keys.pvt", 0, (struct sockaddr *)&c, out, sizeof(out), &v),
			 -EACCES);
	assert_int_equal(v.line, 10);
	assert_string_equal(v.message, "");                  /* default message */
	assert_string_equal(out, "");
	/* e ends processing before the 'a' rule on line 10 can refuse. */
	assert_int_equal(remap_apply(rules, "ok/keys.pvt", 0, (struct sockaddr *)&c, out, sizeof(out), &v), 0);
	assert_string_equal(out, "ok/keys.pvt");
	assert_int_equal(v.line, 8);
	remap_free(rules);
}

static void test_no_rules_is_identity(void **state)
{
	struct remap_rules *rules = parse_ok("# only comments\n\n   \t\n# more\n");
	char out[16];

	(void)state;
	assert_int_equal(remap_count(rules), 0);
	expect_map(rules, "pxelinux.0", 0, "pxelinux.0");
	expect_map(NULL, "pxelinux.0", 0, "pxelinux.0");
	/* The input alone must fit. */
	assert_int_equal(remap_apply(rules, "0123456789abcdef", 0, NULL, out, sizeof(out), NULL),
			 -ENAMETOOLONG);
	remap_free(rules);
}

static void test_first_match_only_without_g(void **state)
{
	struct remap_rules *rules = parse_ok("r a X\n");

	(void)state;
	expect_map(rules, "banana", 0, "bXnana");
	remap_free(rules);
	rules = parse_ok("rg a X\n");
	expect_map(rules, "banana", 0, "bXnXnX");
	remap_free(rules);
}

static void test_case_insensitive_flag(void **state)
{
	struct remap_rules *rules = parse_ok("ri ^PXELINUX\\.CFG/ pxelinux.cfg/\nr ^Boot boot\n");

	(void)state;
	expect_map(rules, "PxeLinux.Cfg/default", 0, "pxelinux.cfg/default");
	expect_map(rules, "BOOT/x", 0, "BOOT/x");            /* line 2 is case-sensitive */
	remap_free(rules);
}

static void test_groups_and_case_conversion(void **state)
{
	struct remap_rules *rules = parse_ok("r \\.BIN$ \\L\\0\n"
					     "r ^([^/]*)/(.*)$ \\2/\\1\n"
					     "r ^(x+) \\U\\1y\\Ez\n");

	(void)state;
	expect_map(rules, "dir/FILE.BIN", 0, "FILE.bin/dir");
	expect_map(rules, "xxq", 0, "XXYzq");
	/* \9 of a regex with fewer groups expands to nothing. */
	remap_free(rules);
	rules = parse_ok("r ^(a)(b)? [\\1|\\2|\\9]\n");
	expect_map(rules, "ac", 0, "[a||]c");
	remap_free(rules);
}

static void test_escapes_in_replacement(void **state)
{
	/* \\ backslash, "\ " space, \# hash, \q unknown: q; trailing \ literal. */
	struct remap_rules *rules = parse_ok("r ^foo$ a\\ b\\#c\\\\d\\q\\\n"
					     "r ^with\\ space$ ok # the regex has an escaped space\n");

	(void)state;
	expect_map(rules, "foo", 0, "a b#c\\dq\\");
	expect_map(rules, "with space", 0, "ok");
	remap_free(rules);
}

static void test_client_address_macros(void **state)
{
	struct remap_rules *rules = parse_ok("r ^ \\i/\\x/\n");
	struct sockaddr_in c4 = v4("192.0.2.169");
	struct sockaddr_in6 c6 = v6("2001:db8::1");
	struct sockaddr_in6 mapped = v6("::ffff:198.18.0.7");
	char out[PATH_MAX];

	(void)state;
	assert_int_equal(remap_apply(rules, "f", 0, (struct sockaddr *)&c4, out, sizeof(out), NULL), 0);
	assert_string_equal(out, "192.0.2.169/C00002A9/f");  /* the man page's example */
	assert_int_equal(remap_apply(rules, "f", 0, (struct sockaddr *)&c6, out, sizeof(out), NULL), 0);
	assert_string_equal(out, "2001:db8::1/20010DB8000000000000000000000001/f");
	assert_int_equal(remap_apply(rules, "f", 0, (struct sockaddr *)&mapped, out, sizeof(out), NULL), 0);
	assert_string_equal(out, "198.18.0.7/C6120007/f");
	/* Unknown client: the macros expand to nothing. */
	assert_int_equal(remap_apply(rules, "f", 0, NULL, out, sizeof(out), NULL), 0);
	assert_string_equal(out, "//f");
	remap_free(rules);
}

static void test_get_put_and_family_rules(void **state)
{
	struct remap_rules *rules = parse_ok("rG ^ get/\n"
					     "rP ^ put/\n"
					     "r4 ^ v4/\n"
					     "r6 ^ v6/\n"
					     "rGP ^ never/\n"
					     "r46 ^ never/\n");
	struct sockaddr_in c4 = v4("198.18.0.2");
	struct sockaddr_in6 c6 = v6("2001:db8::2");
	char out[PATH_MAX];

	(void)state;
	assert_int_equal(remap_apply(rules, "f", 0, (struct sockaddr *)&c4, out, sizeof(out), NULL), 0);
	assert_string_equal(out, "v4/get/f");
	assert_int_equal(remap_apply(rules, "f", 1, (struct sockaddr *)&c6, out, sizeof(out), NULL), 0);
	assert_string_equal(out, "v6/put/f");
	assert_int_equal(remap_apply(rules, "f", 1, NULL, out, sizeof(out), NULL), 0);
	assert_string_equal(out, "put/f");
	remap_free(rules);
}

static void test_inverse_abort_with_message(void **state)
{
	struct remap_rules *rules = parse_ok("# only boot files\n"
					     "a~ ^(pxelinux|boot/) \\0only\\ boot\\ files,\\ not\\ \\i\n");
	struct sockaddr_in c = v4("198.18.0.9");
	struct remap_verdict v;
	char out[PATH_MAX];

	(void)state;
	expect_map(rules, "pxelinux.0", 0, "pxelinux.0");
	expect_map(rules, "boot/vmlinuz", 0, "boot/vmlinuz");
	assert_int_equal(remap_apply(rules, "etc/shadow", 0, (struct sockaddr *)&c, out, sizeof(out), &v),
			 -EACCES);
	assert_int_equal(v.line, 2);
	/* Inverted: \0 is empty, the message is the expanded replacement alone. */
	assert_string_equal(v.message, "only boot files, not 198.18.0.9");
	remap_free(rules);

	rules = parse_ok("a \\.pvt$ private:\\ \\0\n");
	assert_int_equal(remap_apply(rules, "x.pvt", 0, (struct sockaddr *)&c, out, sizeof(out), &v), -EACCES);
	assert_string_equal(v.message, "private: .pvt");
	remap_free(rules);
}

static void test_exit_and_restart(void **state)
{
	/* s restarts at the first rule, as the man page says. */
	struct remap_rules *rules = parse_ok("r ^a$ b\n"
					     "rs ^c$ a\n"
					     "re ^b$ done\n"
					     "r ^done$ not-reached\n");

	(void)state;
	expect_map(rules, "c", 0, "done");
	expect_map(rules, "b", 0, "done");
	expect_map(rules, "z", 0, "z");
	remap_free(rules);
	/* A non-rewrite e rule that matches stops without changing the name. */
	rules = parse_ok("e ^keep\nr ^ x/\n");
	expect_map(rules, "keep.bin", 0, "keep.bin");
	expect_map(rules, "other", 0, "x/other");
	remap_free(rules);
}

static void test_bad_lines_reported_with_numbers(void **state)
{
	char *msg;

	(void)state;
	msg = parse_bad("r ok fine\n"
			"r bad( x\n"                    /* 2: bad regex */
			"# comment\n"
			"rq foo bar\n"                  /* 4: unknown flag q */
			"r~ foo bar\n"                  /* 5: r with ~ */
			"e\n"                           /* 6: no regex */
			"r [z-a] y\n");                 /* 7: bad range */
	assert_non_null(strstr(msg, "map:2: bad regex \"bad(\""));
	assert_non_null(strstr(msg, "map:4: unknown operation 'q'"));
	assert_non_null(strstr(msg, "map:5: "));
	assert_non_null(strstr(msg, "map:6: operation \"e\" has no regex"));
	assert_non_null(strstr(msg, "map:7: bad regex"));
	assert_null(strstr(msg, "map:1:"));
	assert_null(strstr(msg, "map:3:"));
	free(msg);
	/* A regex that starts with an unescaped '#' is a comment: no regex. */
	msg = parse_bad("a #foo\n");
	assert_non_null(strstr(msg, "map:1: operation \"a\" has no regex"));
	free(msg);
}

static void test_runaway_rules_are_bounded(void **state)
{
	struct remap_rules *rules = parse_ok("rg a aa\n");
	struct remap_verdict v;
	char out[PATH_MAX];

	(void)state;
	/* Every rewrite grows the name by one (tftpd-hpa 5.2 loops forever
	 * here): the step limit ends it long before the buffer fills. */
	assert_int_equal(remap_apply(rules, "a", 0, NULL, out, sizeof(out), &v), -ELOOP);
	assert_int_equal(v.line, 1);
	remap_free(rules);

	/* An empty match rewritten to nothing never ends: step limit. */
	rules = parse_ok("rg x* \n");
	assert_int_equal(remap_apply(rules, "abc", 0, NULL, out, sizeof(out), &v), -ELOOP);
	remap_free(rules);

	/* Two rules restarting each other forever: step limit too. */
	rules = parse_ok("rs ^a$ b\nrs ^b$ a\n");
	assert_int_equal(remap_apply(rules, "a", 0, NULL, out, sizeof(out), &v), -ELOOP);
	assert_true(v.line == 1 || v.line == 2);
	remap_free(rules);

	/* Doubling overflows a small buffer cleanly. */
	rules = parse_ok("rs ^(.{1,100})$ \\1\\1\n");
	assert_int_equal(remap_apply(rules, "abc", 0, NULL, out, 64, &v), -ENAMETOOLONG);
	assert_string_equal(out, "");
	remap_free(rules);

	/* A long refusal message is cut, the refusal stands. */
	rules = parse_ok("a ^ \\0xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
			 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n");
	assert_int_equal(remap_apply(rules, "a", 0, NULL, out, sizeof(out), &v), -EACCES);
	assert_int_equal(strlen(v.message), REMAP_MSG_MAX - 1);
	remap_free(rules);
}

static void test_rules_can_produce_escaping_names(void **state)
{
	/* remap is a string rewriter: it happily builds "../" and absolute
	 * names; confinement is the path layer's job (tested in test_names). */
	struct remap_rules *rules = parse_ok("r ^ ../../etc/\nr ^../../etc/shadow$ /etc/shadow\n");

	(void)state;
	expect_map(rules, "passwd", 0, "../../etc/passwd");
	expect_map(rules, "shadow", 0, "/etc/shadow");
	remap_free(rules);
}

static void test_load_file(void **state)
{
	char path[] = "/tmp/test_remap.XXXXXX";
	struct remap_rules *rules = NULL;
	char *msg = NULL;
	size_t len = 0;
	FILE *errs;
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	/* CRLF line ends (a map file edited on Windows) work like tftpd-hpa's. */
	assert_int_equal(write(fd, "r\t^old\\.bin$\tnew.bin\r\nrx bad\r\n", 30), 30);
	close(fd);
	errs = open_memstream(&msg, &len);
	assert_int_equal(remap_load(path, &rules, errs), -EINVAL);
	fclose(errs);
	assert_non_null(strstr(msg, ":2: unknown operation 'x'"));
	assert_non_null(strstr(msg, path));
	free(msg);

	fd = open(path, O_WRONLY | O_TRUNC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "r\t^old\\.bin$\tnew.bin\r\n", 22), 22);
	close(fd);
	assert_int_equal(remap_load(path, &rules, stderr), 0);
	expect_map(rules, "old.bin", 0, "new.bin");
	remap_free(rules);
	unlink(path);

	assert_int_equal(remap_load("/nonexistent/map", &rules, NULL), -ENOENT);
}

/* Stacked repetition operators are undefined in POSIX and made glibc's
 * regcomp run for minutes (fuzz_remap): refused with the reason; single
 * operators, escaped and bracketed ones pass. */
static void test_stacked_repeats_refused(void **state)
{
	static const char *const bad[] = { "r A** x\n", "r a+* x\n", "r (x)?{2} y\n",
					   "r ^A*************************** z\n" };
	struct remap_rules *rules;

	(void)state;
	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *msg = parse_bad(bad[i]);

		assert_non_null(strstr(msg, "map:1: regex"));
		assert_non_null(strstr(msg, "stacks repetition operators"));
		free(msg);
	}
	rules = parse_ok("r a*b+c? x\nr \\** y\nr [*+]* z\nr (a*)* w\n");
	remap_free(rules);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sample_rules),
		cmocka_unit_test(test_no_rules_is_identity),
		cmocka_unit_test(test_first_match_only_without_g),
		cmocka_unit_test(test_case_insensitive_flag),
		cmocka_unit_test(test_groups_and_case_conversion),
		cmocka_unit_test(test_escapes_in_replacement),
		cmocka_unit_test(test_client_address_macros),
		cmocka_unit_test(test_get_put_and_family_rules),
		cmocka_unit_test(test_inverse_abort_with_message),
		cmocka_unit_test(test_exit_and_restart),
		cmocka_unit_test(test_bad_lines_reported_with_numbers),
		cmocka_unit_test(test_runaway_rules_are_bounded),
		cmocka_unit_test(test_rules_can_produce_escaping_names),
		cmocka_unit_test(test_load_file),
		cmocka_unit_test(test_stacked_repeats_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
