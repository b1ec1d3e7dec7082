// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests for user/names.c: remap -> alias -> serve-any -> ignore-case. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "files/names.h"
#include "files/path.h"

/* A scratch tree: TOP/root is the served root, TOP/outside is not. */
struct fixture {
	char top[64];
	char root[96];
	char map[96];
	int root_fd;
};

static void put_file(const char *dir, const char *rel, const char *content)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, content, strlen(content)), (ssize_t)strlen(content));
	close(fd);
}

static void make_dir(const char *dir, const char *rel)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	assert_int_equal(mkdir(path, 0755), 0);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char outside[128], link[160];

	assert_non_null(f);
	strcpy(f->top, "/tmp/test_names.XXXXXX");
	assert_non_null(mkdtemp(f->top));
	snprintf(f->root, sizeof(f->root), "%s/root", f->top);
	snprintf(f->map, sizeof(f->map), "%s/map", f->top);
	assert_int_equal(mkdir(f->root, 0755), 0);
	make_dir(f->root, "Boot");
	make_dir(f->root, "Boot/PXELinux.cfg");
	put_file(f->root, "Boot/PXELinux.0", "pxe");
	put_file(f->root, "Boot/PXELinux.cfg/Default", "cfg");
	put_file(f->root, "A.BIN", "upper");
	put_file(f->root, "a.bin", "lower");
	put_file(f->root, "B.bin", "B");
	put_file(f->root, "b.BIN", "b");
	put_file(f->root, "image.bin", "image");
	put_file(f->root, "recovery.bin", "recovery");
	snprintf(outside, sizeof(outside), "%s/outside", f->top);
	assert_int_equal(mkdir(outside, 0755), 0);
	put_file(outside, "Secret", "secret");
	/* root/escape -> ../outside: a symlink out of the root. */
	snprintf(link, sizeof(link), "%s/escape", f->root);
	assert_int_equal(symlink("../outside", link), 0);
	f->root_fd = open(f->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	assert_true(f->root_fd >= 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	close(f->root_fd);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->top);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static void write_map(const struct fixture *f, const char *text)
{
	int fd = open(f->map, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static struct name_resolver *init_ok(const struct names_config *cfg)
{
	struct name_resolver *nr = NULL;
	char err[256];

	assert_int_equal(names_init(&nr, cfg, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_non_null(nr);
	return nr;
}

/* Resolve as an RRQ from 198.18.0.2 and check the resulting path. */
static void expect_path(const struct name_resolver *nr, const char *requested, const char *want,
			enum names_source source)
{
	struct sockaddr_in c = { .sin_family = AF_INET };
	struct names_result res;

	inet_pton(AF_INET, "198.18.0.2", &c.sin_addr);
	assert_int_equal(names_resolve(nr, requested, 0, (struct sockaddr *)&c, &res), 0);
	assert_string_equal(res.path, want);
	assert_int_equal(res.source, source);
	/* The log line always starts with the name as the client sent it. */
	assert_int_equal(strncmp(res.why + 1, requested, strlen(requested)), 0);
}

static void expect_refused(const struct name_resolver *nr, const char *requested, const char *why_part)
{
	struct names_result res;

	assert_int_equal(names_resolve(nr, requested, 0, NULL, &res), -EACCES);
	assert_non_null(strstr(res.why, why_part));
}

/* Open what names produced through the path module, as the engine will. */
static int open_served(const struct fixture *f, const struct name_resolver *nr, const char *requested,
		       char *content, size_t cap)
{
	struct names_result res;
	long long size = 0;
	int rc, fd;
	ssize_t n;

	rc = names_resolve(nr, requested, 0, NULL, &res);
	if (rc)
		return rc;
	fd = path_open_read(f->root_fd, res.path, &size);
	if (fd < 0)
		return fd;
	n = read(fd, content, cap - 1);
	close(fd);
	assert_true(n >= 0);
	content[n] = '\0';
	return 0;
}

static void test_no_config_strips_leading_slash(void **state)
{
	struct fixture *f = *state;
	struct names_config cfg = { .root_fd = f->root_fd };
	struct name_resolver *nr = init_ok(&cfg);

	assert_false(names_active(nr));
	expect_path(nr, "/Boot/PXELinux.0", "Boot/PXELinux.0", NAMES_AS_REQUESTED);
	expect_path(nr, "boot/pxelinux.0", "boot/pxelinux.0", NAMES_AS_REQUESTED); /* no folding */
	expect_refused(nr, "/", "empty name");
	expect_refused(nr, "a/../../x", "\"..\"");
	names_free(nr);
	/* Without -s: the root's absolute path in a name is dropped, once. */
	cfg.root_prefix = "/srv/tftp/";
	nr = init_ok(&cfg);
	expect_path(nr, "/srv/tftp/Boot/PXELinux.0", "Boot/PXELinux.0", NAMES_AS_REQUESTED);
	expect_path(nr, "/srv/tftpx/y", "srv/tftpx/y", NAMES_AS_REQUESTED);
	expect_path(nr, "srv/tftp/y", "srv/tftp/y", NAMES_AS_REQUESTED);
	names_free(nr);
	/* A NULL resolver behaves like an empty configuration. */
	expect_path(NULL, "//x", "x", NAMES_AS_REQUESTED);
}

static void test_remap_then_alias_then_serve_any(void **state)
{
	struct fixture *f = *state;
	const char *aliases[] = { "ArcherC7v2_tp_recovery.bin=recovery.bin", "/pxe=Boot/PXELinux.0" };
	struct names_config cfg = {
		.map_file = f->map, .aliases = aliases, .n_aliases = 2, .root_fd = f->root_fd,
	};
	struct name_resolver *nr;
	struct names_result res;

	write_map(f, "# strip a tftpboot prefix some clients send\n"
		     "r ^/?tftpboot/ \n"
		     "a \\.pvt$ private\\ file\n"
		     "r ^old-pxe$ pxe\n");
	nr = init_ok(&cfg);
	assert_true(names_active(nr));
	expect_path(nr, "tftpboot/image.bin", "image.bin", NAMES_REMAPPED);
	expect_path(nr, "/ArcherC7v2_tp_recovery.bin", "recovery.bin", NAMES_ALIAS);
	expect_path(nr, "old-pxe", "Boot/PXELinux.0", NAMES_ALIAS);     /* remap feeds alias */
	expect_path(nr, "image.bin", "image.bin", NAMES_AS_REQUESTED);

	assert_int_equal(names_resolve(nr, "tftpboot/keys.pvt", 0, NULL, &res), -EACCES);
	assert_string_equal(res.client_msg, "private file");
	assert_int_equal(res.remap_line, 3);
	assert_non_null(strstr(res.why, "line 3"));

	/* WRQ: aliases do not apply, remap does. */
	assert_int_equal(names_resolve(nr, "/tftpboot/pxe", 1, NULL, &res), 0);
	assert_string_equal(res.path, "pxe");
	names_free(nr);

	/* serve-any: every RRQ name gets the file, except alias hits. */
	cfg.serve_any = "/image.bin";
	nr = init_ok(&cfg);
	expect_path(nr, "whatever/the/bootloader/wants.bin", "image.bin", NAMES_SERVE_ANY);
	expect_path(nr, "ArcherC7v2_tp_recovery.bin", "recovery.bin", NAMES_ALIAS);
	expect_refused(nr, "x.pvt", "refused by remap rule at line 3");
	assert_int_equal(names_resolve(nr, "upload.bin", 1, NULL, &res), 0);
	assert_string_equal(res.path, "upload.bin");
	names_free(nr);
}

static void test_ignore_case(void **state)
{
	struct fixture *f = *state;
	struct names_config cfg = { .ignore_case = 1, .root_fd = f->root_fd };
	struct name_resolver *nr = init_ok(&cfg);
	struct names_result res;
	char content[64];

	expect_path(nr, "boot/pxelinux.0", "Boot/PXELinux.0", NAMES_AS_REQUESTED);
	expect_path(nr, "/BOOT//pxelinux.CFG/./default", "Boot/PXELinux.cfg/Default", NAMES_AS_REQUESTED);
	assert_int_equal(names_resolve(nr, "boot/pxelinux.0", 0, NULL, &res), 0);
	assert_true(res.case_folded);
	assert_non_null(strstr(res.why, "ignore-case"));
	/* An exact name wins over a folded one. */
	expect_path(nr, "a.bin", "a.bin", NAMES_AS_REQUESTED);
	expect_path(nr, "A.BIN", "A.BIN", NAMES_AS_REQUESTED);
	/* Several candidates: the first in strcmp order, every time. */
	expect_path(nr, "b.bin", "B.bin", NAMES_AS_REQUESTED);
	/* No candidate: the rest stays as given (and the open says not found). */
	expect_path(nr, "boot/missing/x", "Boot/missing/x", NAMES_AS_REQUESTED);
	assert_int_equal(open_served(f, nr, "boot/missing/x", content, sizeof(content)), -ENOENT);
	assert_int_equal(open_served(f, nr, "BOOT/pxelinux.0", content, sizeof(content)), 0);
	assert_string_equal(content, "pxe");
	/* The lookup never lists a directory outside the root: "secret" is not
	 * folded to the "Secret" that lives behind the escaping symlink. */
	expect_path(nr, "escape/secret", "escape/secret", NAMES_AS_REQUESTED);
	assert_int_equal(names_resolve(nr, "escape/secret", 0, NULL, &res), 0);
	assert_false(res.case_folded);
	names_free(nr);
}

static void test_rules_cannot_escape_the_root(void **state)
{
	struct fixture *f = *state;
	const char *aliases[] = { "leak=escape/Secret" };
	struct names_config cfg = {
		.map_file = f->map, .aliases = aliases, .n_aliases = 1, .root_fd = f->root_fd,
	};
	struct name_resolver *nr;
	char content[64];
	int rc;

	write_map(f, "r ^up$ ../outside/Secret\n"
		     "r ^abs$ /etc/passwd\n"
		     "r ^link$ escape/Secret\n"
		     "r ^hex$ \\x/../../../outside/Secret\n");
	nr = init_ok(&cfg);
	expect_refused(nr, "up", "\"..\"");
	expect_refused(nr, "hex", "\"..\"");
	/* Absolute results are names beneath the root, not the host's files. */
	expect_path(nr, "abs", "etc/passwd", NAMES_REMAPPED);
	assert_int_equal(open_served(f, nr, "abs", content, sizeof(content)), -ENOENT);
	/* A symlink out of the root is refused by the path layer. */
	rc = open_served(f, nr, "link", content, sizeof(content));
	assert_true(rc == -EXDEV || rc == -EACCES || rc == -ELOOP || rc == -EPERM);
	rc = open_served(f, nr, "leak", content, sizeof(content));
	assert_true(rc == -EXDEV || rc == -EACCES || rc == -ELOOP || rc == -EPERM);
	/* And a harmless name still works end to end. */
	assert_int_equal(open_served(f, nr, "image.bin", content, sizeof(content)), 0);
	assert_string_equal(content, "image");
	names_free(nr);
}

static void test_init_errors(void **state)
{
	struct fixture *f = *state;
	const char *bad_alias[] = { "noequals" };
	const char *dup_alias[] = { "x=image.bin", "/x=recovery.bin" };
	struct names_config cfg = { .map_file = f->map, .root_fd = f->root_fd };
	struct name_resolver *nr = NULL;
	char err[256];

	write_map(f, "r ok fine\nr bad( x\n\nzz foo\n");
	assert_int_equal(names_init(&nr, &cfg, err, sizeof(err)), -EINVAL);
	assert_null(nr);
	assert_non_null(strstr(err, ":2: bad regex"));
	assert_non_null(strstr(err, "and 1 more problem"));

	cfg.map_file = "/nonexistent/map";
	assert_int_equal(names_init(&nr, &cfg, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "/nonexistent/map"));

	cfg.map_file = NULL;
	cfg.aliases = bad_alias;
	cfg.n_aliases = 1;
	assert_int_equal(names_init(&nr, &cfg, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "expected NAME=FILE"));
	cfg.aliases = dup_alias;
	cfg.n_aliases = 2;
	assert_int_equal(names_init(&nr, &cfg, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "already given"));
	cfg.n_aliases = 0;
	cfg.serve_any = "../outside/Secret";
	assert_int_equal(names_init(&nr, &cfg, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "--serve-any"));
	assert_null(nr);
}

static void test_check_config(void **state)
{
	struct fixture *f = *state;
	const char *aliases[] = { "a=missing.bin", "=x", "b=image.bin" };
	struct names_config cfg = {
		.map_file = f->map, .aliases = aliases, .n_aliases = 3, .root_fd = f->root_fd,
		.serve_any = "also-missing.bin",
	};
	char *msg = NULL;
	size_t len = 0;
	FILE *err;

	write_map(f, "r ok fine\nrq x y\n# fine\nr (unclosed y\n");
	err = open_memstream(&msg, &len);
	assert_int_equal(names_check(&cfg, err), -EINVAL);
	fclose(err);
	assert_non_null(strstr(msg, ":2: unknown operation 'q'"));
	assert_non_null(strstr(msg, ":4: bad regex"));
	assert_non_null(strstr(msg, "--alias \"=x\""));
	assert_non_null(strstr(msg, "warning: --alias \"a=missing.bin\""));
	assert_non_null(strstr(msg, "warning: --serve-any"));
	assert_null(strstr(msg, "b=image.bin"));
	free(msg);

	/* Warnings alone do not fail the check. */
	write_map(f, "r ok fine\n");
	aliases[1] = "c=B.bin";
	msg = NULL;
	err = open_memstream(&msg, &len);
	assert_int_equal(names_check(&cfg, err), 0);
	fclose(err);
	assert_non_null(strstr(msg, "warning:"));
	free(msg);
}

/*
 * Driver mode for tests/integration/test_remap_vs_hpa.sh: resolve names the
 * way the engine will (names_resolve, then path_open_read) and print one line
 * per name: "NAME<TAB>data:CONTENT" or "NAME<TAB>error:TFTPCODE[:MESSAGE]".
 *   test_names --resolve ROOT MAPFILE CLIENT_IP NAME...
 */
static int resolve_driver(int argc, char **argv)
{
	struct sockaddr_storage ss = { 0 };
	struct names_config cfg = { .map_file = argv[3] };
	struct name_resolver *nr = NULL;
	char err[512];
	int rc = 1;

	cfg.root_fd = open(argv[2], O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (cfg.root_fd < 0) {
		fprintf(stderr, "test_names: cannot open root %s\n", argv[2]);
		return 1;
	}
	if (inet_pton(AF_INET, argv[4], &((struct sockaddr_in *)&ss)->sin_addr) == 1) {
		ss.ss_family = AF_INET;
	} else if (inet_pton(AF_INET6, argv[4], &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1) {
		ss.ss_family = AF_INET6;
	} else {
		fprintf(stderr, "test_names: bad client address %s\n", argv[4]);
		goto cleanup;
	}
	if (names_init(&nr, &cfg, err, sizeof(err))) {
		fprintf(stderr, "test_names: %s\n", err);
		goto cleanup;
	}
	for (int i = 5; i < argc; i++) {
		struct names_result res;
		char content[256];
		long long size;
		ssize_t n;
		int fd;

		if (names_resolve(nr, argv[i], 0, (struct sockaddr *)&ss, &res)) {
			printf("%s\terror:2%s%s\n", argv[i], res.client_msg[0] ? ":" : "", res.client_msg);
			continue;
		}
		fd = path_open_read(cfg.root_fd, res.path, &size);
		if (fd < 0) {
			printf("%s\terror:%d\n", argv[i], path_errno_to_tftp(fd));
			continue;
		}
		n = read(fd, content, sizeof(content) - 1);
		close(fd);
		content[n > 0 ? n : 0] = '\0';
		content[strcspn(content, "\n")] = '\0';
		printf("%s\tdata:%s\n", argv[i], content);
	}
	rc = 0;
cleanup:
	names_free(nr);
	close(cfg.root_fd);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc >= 5 && !strcmp(argv[1], "--resolve"))
		return resolve_driver(argc, argv);

	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_no_config_strips_leading_slash, setup, teardown),
		cmocka_unit_test_setup_teardown(test_remap_then_alias_then_serve_any, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ignore_case, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rules_cannot_escape_the_root, setup, teardown),
		cmocka_unit_test_setup_teardown(test_init_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_check_config, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
