// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Confinement of requested names to the served root.
 *
 * Two layers. path_clean() refuses what no legitimate client sends (".."
 * components, backslashes, control bytes) so it is logged as an attack
 * rather than as "not found". openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS)
 * on the root fd is the actual guarantee: the kernel refuses (-EXDEV) any
 * resolution that leaves the root, symlinks included, with no
 * check-then-open race. Symlinks that stay inside the root work, as with
 * tftpd-hpa.
 *
 * What resolution cannot see: a hard link inside the root to a file
 * outside it is, to the kernel, a file inside the root. The served root
 * must not contain such links (create the root, do not hard-link into it).
 *
 * Name rules: leading '/' are stripped (names are relative to the root, as
 * with tftpd-hpa -s); "//" and "." components collapse; percent signs are
 * literal (no URL decoding); bytes >= 0x80 (non-UTF-8 included) are literal
 * bytes and work if such a file exists.
 *
 * Error codes: ENAMETOOLONG maps to TFTP error 1 (file not found): no file
 * with such a name can exist, and it is not an escape attempt.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <linux/openat2.h>

#include "xtftp_wire.h"
#include "path.h"

#define TEMP_PREFIX ".xtftp-"
#define TEMP_ATTEMPTS 16

#define WALK_MAX_DEPTH 64      /* directory levels the fallback walker follows */
#define WALK_MAX_LINKS 40       /* symlinks followed per open, as the kernel */

/*
 * Fallback where openat2 is missing (kernels before 5.6, valgrind 3.19):
 * resolve component by component, following symlinks by hand and refusing,
 * like RESOLVE_BENEATH, any ".." above the root and any absolute symlink
 * (-EXDEV). Every open uses O_NOFOLLOW, so a symlink swapped in between the
 * check and the open fails instead of being followed. Unlike openat2 it
 * cannot stop a directory being renamed out of the root mid-walk.
 */
static int walk_beneath(int root_fd, const char *rel, int flags, int mode)
{
	int stack[WALK_MAX_DEPTH];
	char todo[PATH_MAX * 2], target[PATH_MAX];
	unsigned int depth = 0, links = 0;
	int err = 0, fd = -1;
	char *rest;

	if (strlen(rel) >= sizeof(todo))
		return -ENAMETOOLONG;
	strcpy(todo, rel);
	stack[0] = fcntl(root_fd, F_DUPFD_CLOEXEC, 0);
	if (stack[0] < 0)
		return -errno;
	rest = todo;
	for (;;) {
		char *comp, *slash;
		struct stat st;
		int last;

		while (*rest == '/')
			rest++;
		if (!*rest) {   /* "" or "." or a trailing slash: the directory itself */
			fd = openat(stack[depth], ".", flags, mode);
			err = fd < 0 ? -errno : 0;
			goto out;
		}
		comp = rest;
		slash = strchr(rest, '/');
		if (slash) {
			*slash = '\0';
			rest = slash + 1;
		} else {
			rest = comp + strlen(comp);
		}
		while (*rest == '/')
			rest++;
		last = !*rest;
		if (!strcmp(comp, "."))
			continue;
		if (!strcmp(comp, "..")) {
			if (depth == 0) {
				err = -EXDEV;
				goto out;
			}
			close(stack[depth--]);
			continue;
		}
		if (fstatat(stack[depth], comp, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISLNK(st.st_mode)) {
			ssize_t n = readlinkat(stack[depth], comp, target, sizeof(target) - 1);

			if (n < 0) {
				err = -errno;
				goto out;
			}
			target[n] = '\0';
			if (target[0] == '/') {
				err = -EXDEV;
				goto out;
			}
			if (++links > WALK_MAX_LINKS) {
				err = -ELOOP;
				goto out;
			}
			if ((size_t)n + 1 + strlen(rest) >= sizeof(todo)) {
				err = -ENAMETOOLONG;
				goto out;
			}
			/* todo = target "/" rest (rest may overlap todo: move it first) */
			memmove(todo + n + 1, rest, strlen(rest) + 1);
			memcpy(todo, target, (size_t)n);
			todo[n] = '/';
			rest = todo;
			continue;
		}
		if (last) {
			fd = openat(stack[depth], comp, flags | O_NOFOLLOW, mode);
			err = fd < 0 ? -errno : 0;
			goto out;
		}
		if (depth + 1 >= WALK_MAX_DEPTH) {
			err = -ENAMETOOLONG;
			goto out;
		}
		fd = openat(stack[depth], comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0) {
			err = -errno;
			goto out;
		}
		stack[++depth] = fd;
		fd = -1;
	}
out:
	while (depth > 0)
		close(stack[depth--]);
	close(stack[0]);
	return err ? err : fd;
}

int path_force_walk;

int path_openat_beneath(int root_fd, const char *rel, int flags, int mode)
{
	struct open_how how = {
		.flags = (unsigned long long)flags,
		.mode = (unsigned long long)((flags & (O_CREAT | O_TMPFILE)) ? mode : 0),
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
	};
	long fd;
	int tries = 0;

	if (path_force_walk)
		return walk_beneath(root_fd, rel, flags, mode);
	/* EAGAIN: a ".." was resolved while something on the system renamed
	 * or mounted, so the kernel could not prove it stayed beneath the
	 * root (openat2(2) says to retry). Busy hosts do this; a request must
	 * not fail for it. After a few tries the walk answers instead. */
	do
		fd = syscall(SYS_openat2, root_fd, rel, &how, sizeof(how));
	while (fd < 0 && errno == EAGAIN && ++tries < 8);
	if (fd < 0 && (errno == ENOSYS || errno == EAGAIN))
		return walk_beneath(root_fd, rel, flags, mode);
	if (fd < 0)
		return -errno;
	return (int)fd;
}

int path_clean(const char *requested, char *out, size_t out_len)
{
	const unsigned char *p = (const unsigned char *)requested;
	size_t o = 0, req_len;

	if (!requested || !out || out_len == 0)
		return -EINVAL;
	out[0] = '\0';
	req_len = strnlen(requested, PATH_MAX);
	if (req_len >= PATH_MAX)
		return -ENAMETOOLONG;

	while (*p) {
		const unsigned char *comp;
		size_t clen, k;

		while (*p == '/')
			p++;
		if (!*p)
			break;
		comp = p;
		while (*p && *p != '/')
			p++;
		clen = (size_t)(p - comp);
		for (k = 0; k < clen; k++)
			if (comp[k] < 0x20 || comp[k] == 0x7f || comp[k] == '\\')
				return -EACCES;
		if (clen == 1 && comp[0] == '.')
			continue;
		if (clen == 2 && comp[0] == '.' && comp[1] == '.')
			return -EACCES;
		if (clen > NAME_MAX)
			return -ENAMETOOLONG;
		/* component, plus a separator before it, plus the final NUL */
		if (o + (o ? 1 : 0) + clen + 1 > out_len)
			return -ENAMETOOLONG;
		if (o)
			out[o++] = '/';
		memcpy(out + o, comp, clen);
		o += clen;
		out[o] = '\0';
	}
	if (o == 0)
		return -EACCES;         /* empty, or names the root itself */
	return 0;
}

int path_open_read(int root_fd, const char *requested, long long *st_size)
{
	char rel[PATH_MAX];
	struct stat st, st2;
	int pfd = -1, fd = -1, err;

	err = path_clean(requested, rel, sizeof(rel));
	if (err)
		goto cleanup;

	/*
	 * Look first through an O_PATH fd: opening a device or a FIFO for
	 * reading can have side effects (or block), and a refused name
	 * should have none.
	 */
	pfd = path_openat_beneath(root_fd, rel, O_PATH | O_CLOEXEC, 0);
	if (pfd < 0) {
		err = pfd;
		goto cleanup;
	}
	if (fstat(pfd, &st) < 0) {
		err = -errno;
		goto cleanup;
	}
	if (!S_ISREG(st.st_mode)) {
		err = -EACCES;
		goto cleanup;
	}
	/* O_NONBLOCK: if the name was swapped for a FIFO meanwhile, the open
	 * does not hang; the inode check below refuses it. */
	fd = path_openat_beneath(root_fd, rel, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, 0);
	if (fd < 0) {
		err = fd;
		fd = -1;
		goto cleanup;
	}
	if (fstat(fd, &st2) < 0) {
		err = -errno;
		goto cleanup;
	}
	if (!S_ISREG(st2.st_mode) || st2.st_ino != st.st_ino || st2.st_dev != st.st_dev) {
		err = -EACCES;
		goto cleanup;
	}
	/* Regular files ignore O_NONBLOCK; clear it anyway for clarity. */
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	if (st_size)
		*st_size = (long long)st2.st_size;
	err = 0;
cleanup:
	if (pfd >= 0)
		close(pfd);
	if (err) {
		if (fd >= 0)
			close(fd);
		return err;
	}
	return fd;
}

/* A hidden, unlikely name in dir_fd: ".xtftp-" + 12 hex digits. */
static void make_temp_name(char *buf, size_t len, unsigned int attempt)
{
	struct timespec ts;
	unsigned long long x;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	x = (unsigned long long)ts.tv_nsec ^ ((unsigned long long)ts.tv_sec << 20) ^
	    ((unsigned long long)getpid() << 32) ^ ((unsigned long long)attempt * 0x9e3779b97f4a7c15ull);
	snprintf(buf, len, TEMP_PREFIX "%012llx", x & 0xffffffffffffull);
}

int path_create_temp(int root_fd, const char *requested, int *dir_fd,
		     char *tmp_name, size_t tmp_len, char *final_name, size_t final_len)
{
	char rel[PATH_MAX], name[32];
	const char *base, *dir;
	struct stat st;
	int dfd = -1, fd = -1, err;
	unsigned int attempt;
	char *slash;

	*dir_fd = -1;
	if (tmp_len)
		tmp_name[0] = '\0';
	err = path_clean(requested, rel, sizeof(rel));
	if (err)
		goto cleanup;
	slash = strrchr(rel, '/');
	if (slash) {
		*slash = '\0';
		dir = rel;
		base = slash + 1;
	} else {
		dir = ".";
		base = rel;
	}
	if (strlen(base) + 1 > final_len) {
		err = -ENAMETOOLONG;
		goto cleanup;
	}
	/* The temp names are ours: a client may not write over one. */
	if (strncmp(base, TEMP_PREFIX, sizeof(TEMP_PREFIX) - 1) == 0) {
		err = -EACCES;
		goto cleanup;
	}

	dfd = path_openat_beneath(root_fd, dir, O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
	if (dfd < 0) {
		err = dfd;
		dfd = -1;
		goto cleanup;
	}
	/* Refuse early what the commit would refuse late (after the whole
	 * upload): a directory, a symlink, a device in the target's place. */
	if (fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISREG(st.st_mode)) {
		err = -EACCES;
		goto cleanup;
	}

	fd = path_openat_beneath(dfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0666);
	if (fd < 0 && (fd == -EOPNOTSUPP || fd == -EISDIR || fd == -EINVAL)) {
		/* No O_TMPFILE on this filesystem: a hidden name instead. */
		for (attempt = 0; attempt < TEMP_ATTEMPTS; attempt++) {
			make_temp_name(name, sizeof(name), attempt);
			fd = path_openat_beneath(dfd, name,
					     O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC,
					     0666);
			if (fd != -EEXIST)
				break;
		}
		if (fd >= 0) {
			if (strlen(name) + 1 > tmp_len) {
				unlinkat(dfd, name, 0);
				close(fd);
				fd = -1;
				err = -ENAMETOOLONG;
				goto cleanup;
			}
			memcpy(tmp_name, name, strlen(name) + 1);
		}
	}
	if (fd < 0) {
		err = fd;
		fd = -1;
		goto cleanup;
	}
	memcpy(final_name, base, strlen(base) + 1);
	*dir_fd = dfd;
	dfd = -1;
	err = 0;
cleanup:
	if (dfd >= 0)
		close(dfd);
	return err ? err : fd;
}

/* Link an O_TMPFILE into dir_fd under name. AT_EMPTY_PATH needs
 * CAP_DAC_READ_SEARCH; without it the /proc/self/fd link does the same. */
static int link_tmpfile(int file_fd, int dir_fd, const char *name)
{
	char proc[64];

	if (linkat(file_fd, "", dir_fd, name, AT_EMPTY_PATH) == 0)
		return 0;
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", file_fd);
	if (linkat(AT_FDCWD, proc, dir_fd, name, AT_SYMLINK_FOLLOW) == 0)
		return 0;
	return -errno;
}

int path_commit_temp(int file_fd, int dir_fd, const char *tmp_name, const char *final_name)
{
	char name[32];
	unsigned int attempt;
	int err, linked = 0;

	if (tmp_name && tmp_name[0]) {
		snprintf(name, sizeof(name), "%s", tmp_name);
		linked = 1;
	}
	/* The data must be on disk before the name points at it. */
	if (fsync(file_fd) < 0) {
		err = -errno;
		goto cleanup;
	}
	if (!linked) {
		/* linkat cannot replace an existing file: link under a hidden
		 * name, then rename over the target, atomically. */
		err = -EEXIST;
		for (attempt = 0; attempt < TEMP_ATTEMPTS && err == -EEXIST; attempt++) {
			make_temp_name(name, sizeof(name), attempt);
			err = link_tmpfile(file_fd, dir_fd, name);
		}
		if (err)
			goto cleanup;
		linked = 1;
	}
	if (renameat(dir_fd, name, dir_fd, final_name) < 0) {
		err = -errno;
		goto cleanup;
	}
	linked = 0;
	err = 0;
cleanup:
	if (linked)
		unlinkat(dir_fd, name, 0);
	close(file_fd);
	close(dir_fd);
	return err;
}

void path_abort_temp(int file_fd, int dir_fd, const char *tmp_name)
{
	/* An O_TMPFILE vanishes with its last fd; a named temp is unlinked. */
	if (tmp_name && tmp_name[0] && dir_fd >= 0)
		unlinkat(dir_fd, tmp_name, 0);
	if (file_fd >= 0)
		close(file_fd);
	if (dir_fd >= 0)
		close(dir_fd);
}

int path_errno_to_tftp(int neg_errno)
{
	switch (-neg_errno) {
	case ENOENT:
	case ENOTDIR:
	case ENAMETOOLONG:
		return TFTP_ENOTFOUND;
	case EACCES:
	case EPERM:
	case EXDEV:
	case ELOOP:
	case EISDIR:
	case EROFS:
	case ETXTBSY:
		return TFTP_EACCESS;
	case ENOSPC:
	case EDQUOT:
	case EFBIG:
		return TFTP_ENOSPACE;
	case EEXIST:
		return TFTP_EEXISTS;
	default:
		return TFTP_EUNDEF;
	}
}
