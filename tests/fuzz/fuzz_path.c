// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target: requested names. Invariants (abort = finding):
 * - path_clean never yields an absolute name, a ".." or "." component, an
 *   empty component, a backslash or a control byte, and never overflows;
 * - path_open_read beneath a fixed temporary root never opens a file
 *   outside it: the root holds symlinks that point out (absolute, relative,
 *   a directory), and the opened inode must be one of the root's files.
 * The temporary tree is built once and removed at exit.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "path.h"

static char top[64];
static int root_fd = -1;
static ino_t outside_ino;
static dev_t outside_dev;

static int rm_entry(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static void remove_tree(void)
{
	if (top[0])
		nftw(top, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void put(const char *rel, const char *content)
{
	char p[256];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", top, rel);
	f = fopen(p, "w");
	if (!f)
		abort();
	fputs(content, f);
	fclose(f);
}

static void lnk(const char *target, const char *rel)
{
	char p[256];

	snprintf(p, sizeof(p), "%s/%s", top, rel);
	if (symlink(target, p) < 0)
		abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char p[256];
	struct stat st;

	(void)argc;
	(void)argv;
	snprintf(top, sizeof(top), "/tmp/xtftp-fuzz-path.XXXXXX");
	if (!mkdtemp(top))
		abort();
	atexit(remove_tree);
	snprintf(p, sizeof(p), "%s/root", top);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/root/d", top);
	mkdir(p, 0755);
	put("outside", "secret");
	put("root/a", "a");
	put("root/d/b", "b");
	lnk("a", "root/in");
	lnk("../a", "root/d/up");
	snprintf(p, sizeof(p), "%s/outside", top);
	lnk(p, "root/abs");
	lnk("../outside", "root/rel");
	lnk("..", "root/dotdot");
	lnk("/", "root/slash");
	lnk("d/../../outside", "root/deep");
	if (stat(p, &st) < 0)
		abort();
	outside_ino = st.st_ino;
	outside_dev = st.st_dev;
	snprintf(p, sizeof(p), "%s/root", top);
	root_fd = open(p, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root_fd < 0)
		abort();
	return 0;
}

static void check_clean(const char *out)
{
	const char *c = out, *end;

	if (!out[0] || out[0] == '/')
		abort();
	for (;;) {
		size_t len;

		end = strchr(c, '/');
		len = end ? (size_t)(end - c) : strlen(c);
		if (len == 0 || (len == 1 && c[0] == '.') ||
		    (len == 2 && c[0] == '.' && c[1] == '.'))
			abort();
		if (!end)
			break;
		c = end + 1;
	}
	for (c = out; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == '\\' || *c == 0x7f)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *name, out[PATH_MAX];
	size_t out_len;
	long long sz;
	struct stat st;
	int fd, err;

	name = malloc(size + 1);
	if (!name)
		return 0;
	memcpy(name, data, size);
	name[size] = '\0';

	/* a small output buffer too, to exercise the bound */
	out_len = size && data[0] & 1 ? (size_t)data[0] % 32 + 1 : sizeof(out);
	err = path_clean(name, out, out_len);
	if (err == 0) {
		if (strlen(out) >= out_len)
			abort();
		check_clean(out);
	} else if (err != -EACCES && err != -ENAMETOOLONG) {
		abort();
	}

	fd = path_open_read(root_fd, name, &sz);
	if (fd >= 0) {
		if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || sz != st.st_size)
			abort();
		if (st.st_ino == outside_ino && st.st_dev == outside_dev)
			abort();        /* escaped the root */
		close(fd);
	}
	free(name);
	return 0;
}
