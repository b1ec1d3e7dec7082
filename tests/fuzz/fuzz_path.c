// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target: requested names. Invariants (abort = finding):
 * - path_clean never yields an absolute name, a ".." or "." component, an
 *   empty component, a backslash or a control byte, and never overflows;
 * - path_open_read beneath a fixed temporary root opens only the root's own
 *   regular files: the opened inode must be one of them (not merely "not
 *   the one outside file"). The root holds symlinks that point out
 *   (absolute, relative, chained, a directory, "/", "..") and in (to a
 *   file, to a directory, through ".." that stays inside); outside are
 *   several files, a directory and the root's parent;
 * - both resolvers, openat2(RESOLVE_BENEATH) and the component walk used
 *   where openat2 is missing (path_force_walk), agree: the same inode, or
 *   both refuse with the same TFTP error code.
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

#include "files/path.h"

static char top[64];
static int root_fd = -1;
/* the root's own regular files: the only inodes an open may return */
static struct { dev_t dev; ino_t ino; } inside[8];
static unsigned int n_inside;

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

static void note_inside(const char *rel)
{
	char p[256];
	struct stat st;

	snprintf(p, sizeof(p), "%s/%s", top, rel);
	if (lstat(p, &st) < 0 || !S_ISREG(st.st_mode) || n_inside >= sizeof(inside) / sizeof(inside[0]))
		abort();
	inside[n_inside].dev = st.st_dev;
	inside[n_inside].ino = st.st_ino;
	n_inside++;
}

static int is_inside(const struct stat *st)
{
	for (unsigned int i = 0; i < n_inside; i++)
		if (inside[i].dev == st->st_dev && inside[i].ino == st->st_ino)
			return 1;
	return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char p[256];

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
	snprintf(p, sizeof(p), "%s/root/d/e", top);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/other", top);
	mkdir(p, 0755);
	put("outside", "secret");
	put("other/x", "secret too");
	put("root/a", "a");
	put("root/d/b", "b");
	put("root/d/e/c", "c");
	put("root/x y", "space");
	note_inside("root/a");
	note_inside("root/d/b");
	note_inside("root/d/e/c");
	note_inside("root/x y");
	lnk("a", "root/in");
	lnk("../a", "root/d/up");
	lnk("d", "root/dl");
	lnk("e/../../d/e/c", "root/d/wind");
	snprintf(p, sizeof(p), "%s/outside", top);
	lnk(p, "root/abs");
	snprintf(p, sizeof(p), "%s/other", top);
	lnk(p, "root/absdir");
	lnk("../outside", "root/rel");
	lnk("../other", "root/reldir");
	lnk("..", "root/dotdot");
	lnk("/", "root/slash");
	lnk("d/../../outside", "root/deep");
	lnk("chain2", "root/chain1");
	lnk("d/chain3", "root/chain2");
	lnk("../../other/x", "root/d/chain3");
	lnk("/proc/self/root/etc/passwd", "root/magic");
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
	struct stat st = { 0 }, first_st = { 0 };
	int fd, err, first_fd = -1;

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

	/* both resolvers: openat2 first, then the component walk */
	for (int walk = 0; walk < 2; walk++) {
		path_force_walk = walk;
		fd = path_open_read(root_fd, name, &sz);
		if (fd >= 0) {
			if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || sz != st.st_size)
				abort();
			if (!is_inside(&st))
				abort();        /* escaped the root */
			close(fd);
		}
		if (!walk) {
			first_fd = fd;
			first_st = st;
		} else if ((fd >= 0) != (first_fd >= 0)) {
			abort();                /* one resolver opened, the other refused */
		} else if (fd >= 0 && (st.st_ino != first_st.st_ino || st.st_dev != first_st.st_dev)) {
			abort();                /* different files */
		} else if (fd < 0 && path_errno_to_tftp(fd) != path_errno_to_tftp(first_fd)) {
			abort();                /* a different answer on the wire */
		}
	}
	path_force_walk = 0;
	free(name);
	return 0;
}
