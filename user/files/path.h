/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Confinement of requested names to the served root. openat2(RESOLVE_BENEATH
 * | RESOLVE_NO_MAGICLINKS) on an O_PATH fd of the root: "..", absolute
 * escapes and symlinks out of the root fail in the kernel, and there is no
 * check-then-open race.
 */
#ifndef XTFTP_PATH_H
#define XTFTP_PATH_H

#include <stddef.h>

/*
 * Turn a requested name into a path relative to the root:
 * - strips leading '/' (tftpd-hpa -s: names are relative to the root);
 * - refuses (-EACCES) names with a ".." component, backslashes, NUL, empty
 *   names, control bytes < 0x20; refuses (-ENAMETOOLONG) over PATH_MAX.
 * out receives the cleaned relative name. Returns 0 or negative errno.
 */
int path_clean(const char *requested, char *out, size_t out_len);

/*
 * openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS) of rel beneath root_fd;
 * where the kernel lacks openat2 (before 5.6, or under valgrind 3.19) a
 * component-by-component walk with the same refusals. fd or negative errno.
 */
int path_openat_beneath(int root_fd, const char *rel, int flags, int mode);
/* Tests only: use the fallback walk even where openat2 exists. */
extern int path_force_walk;

/*
 * Open requested (cleaned with path_clean) beneath root_fd.
 * flags: O_RDONLY for RRQ; for WRQ see path_create_temp.
 * Only regular files are served: directories, FIFOs, devices -> -EACCES.
 * Returns an fd, or negative errno: -ENOENT (TFTP 1), -EACCES/-EXDEV/-ELOOP/
 * -EPERM (TFTP 2). On success *st_size holds the file size.
 */
int path_open_read(int root_fd, const char *requested, long long *st_size);

/*
 * WRQ (--create): open an O_TMPFILE (or a hidden temp name) in the target's
 * directory beneath root_fd; the caller writes, then path_commit_temp()
 * links it into place only when the upload completed. *dir_fd receives the
 * directory fd, tmp_name a temp name when O_TMPFILE is unsupported ("" else).
 */
int path_create_temp(int root_fd, const char *requested, int *dir_fd,
		     char *tmp_name, size_t tmp_len, char *final_name, size_t final_len);
/* create returns the file fd (write to it), or negative errno; a target
 * that exists and is not a regular file, or a ".xtftp-*" name: -EACCES.
 * Commit fsyncs, then atomically replaces final_name (an existing file is
 * overwritten, like tftpd-hpa). Commit and abort both close file_fd and
 * dir_fd, whatever the outcome; commit returns 0 or negative errno. */
int path_commit_temp(int file_fd, int dir_fd, const char *tmp_name, const char *final_name);
void path_abort_temp(int file_fd, int dir_fd, const char *tmp_name);

/* Map errno from path_* to a TFTP error code: 1 not found (ENOENT, ENOTDIR,
 * ENAMETOOLONG), 2 access (EACCES, EPERM, EXDEV, ELOOP, ...), 3 disk (ENOSPC,
 * EDQUOT, EFBIG), 6 exists, 0 (undefined) for anything else. */
int path_errno_to_tftp(int neg_errno);

#endif
