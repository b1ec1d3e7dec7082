/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The catalog: what the daemon serves under which name, between a request's
 * file name and the file descriptor the engine reads.
 *
 * - published images: `xtftpctl load NAME FILE` copies FILE into a sealed
 *   memfd (and into the image pool, pinned) and makes NAME resolve to it,
 *   before the file system is looked at; `xtftpctl unload NAME` withdraws
 *   it. Running transfers keep the copy they started with (their own fd and
 *   pool reference). The control socket is root's (mode 0660, directory of
 *   root), so FILE may be any path the daemon can read: absolute, or
 *   relative to the root; the trust boundary is the socket's permissions.
 * - --preload GLOB: images mapped into the pool at start;
 * - pool counters for `xtftpctl stats`, --check-config.
 *
 * The image pool keys images by (served path, device, inode, size, mtime):
 * a file rewritten in place or replaced by rename becomes a new generation
 * of the same image id on the next request; the old generation is freed
 * when its last session ends.
 */
#ifndef XTFTP_CATALOG_H
#define XTFTP_CATALOG_H

#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>
#include "ctl/commands.h"
#include "kern/fastpath.h"
#include "options.h"

struct catalog;

/* The catalog of the root open at root_fd (real path root_real). */
int catalog_create(const struct xtftpd_options *opt, int root_fd, const char *root_real,
		   struct catalog **out);
/* Release the published images (fp may be NULL) and everything else. */
void catalog_destroy(struct catalog *c, struct fastpath *fp);

/*
 * An RRQ for a published name: requested as the client sent it, resolved
 * as the names pipeline made it (NULL: not known). Returns a new fd of the
 * published contents (the caller owns it; it stays valid after an unload)
 * with *size, or -ENOENT when the name is not published (open the file).
 */
int catalog_open_published(const struct catalog *c, const char *requested, const char *resolved,
			   long long *size);

/* Map the --preload GLOBs' regular files into the pool (logged: how many,
 * how many bytes, what did not fit). No-op without fp. */
void catalog_preload(struct catalog *c, struct fastpath *fp);

/* A request's image did not fit the free pool: counted (stats). */
void catalog_note_pool_full(struct catalog *c);

/* Control commands "load NAME FILE", "unload NAME", "images" (CTL_LOAD,
 * CTL_UNLOAD, CTL_IMAGES of ctl/commands.h), args what follows the name.
 * Returns 1 when answered, 0 for arguments "images" does not take. */
int catalog_control(struct catalog *c, struct fastpath *fp, enum ctl_cmd id, const char *args,
		    FILE *out);

/* For "xtftpctl stats": pool_* counters, "name value" lines. */
void catalog_write_stats(const struct catalog *c, const struct fastpath *fp, FILE *f);
/* For "xtftpctl status": pool occupancy and counters, published names
 * (the images themselves are listed by the engine's status). */
void catalog_write_status(const struct catalog *c, const struct fastpath *fp, FILE *f);

/*
 * --check-config: validate root (exists, a directory, readable), the names
 * configuration (every bad map file line, alias; names NULL: opt's), the
 * --preload globs, -i interfaces, -u user and --event-log. One line per
 * problem on out. Returns 0 when the configuration is usable, 1 when not.
 */
struct names_config;
int catalog_check_config(const struct xtftpd_options *opt, const struct names_config *names,
			 FILE *out);

#endif
