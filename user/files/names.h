/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Name resolution: from the file name a client asked for to the path the
 * server opens, once per request, before path_open_read()/path_create_temp():
 *
 *   requested --remap (-m MAPFILE)--> --alias NAME=FILE--> --serve-any FILE
 *             --ignore-case--> relative path
 *
 * 1. remap: tftpd-hpa rule file (remap.h); an 'a' rule, a runaway rule set
 *    or an over-long result refuses the request (TFTP error 2).
 * 1b. without -s (cfg.root_prefix set): a remapped name under the root's
 *    absolute path loses that prefix, as tftpd-hpa accepts "/srv/tftp/x".
 * 2. alias (RRQ only): NAME equal to the remapped name (leading '/' ignored
 *    on both sides) is replaced by FILE. Repeatable; a NAME given twice is
 *    a configuration error.
 * 3. serve-any (RRQ only): every name no alias matched becomes FILE. For the
 *    router-recovery case: a bootloader asks a fixed name you may not know.
 * 4. leading '/' are stripped (names are relative to the root, like
 *    tftpd-hpa -s); an empty result or a ".." component is refused.
 * 5. ignore-case: each component beneath the root that does not exist as
 *    given is replaced by the entry of its directory that matches it
 *    case-insensitively (ASCII; the first in strcmp order if several do).
 *    Directories are opened with openat2(RESOLVE_BENEATH), so the lookup
 *    itself never reads outside the root. A component with no match is kept
 *    as given (the open then fails with "file not found").
 *
 * Confinement is not done here: the result still goes through the path
 * module, which refuses "..", absolute escapes and symlinks out of the root.
 * The requested name is never changed: log and report it as the client sent
 * it, with res.path and res.why for what was served and why.
 */
#ifndef XTFTP_NAMES_H
#define XTFTP_NAMES_H

#include <stddef.h>
#include <stdio.h>
#include <sys/socket.h>

#include "proto/packet.h"
#include "remap.h"

/* What the daemon's CLI collects; the strings must outlive names_init(). */
struct names_config {
	const char *map_file;           /* -m/--map-file FILE; NULL: no remapping */
	const char *const *aliases;     /* --alias NAME=FILE arguments, as given */
	unsigned int n_aliases;
	const char *serve_any;          /* --serve-any FILE; NULL: off */
	int ignore_case;                /* --ignore-case */
	const char *root_prefix;        /* without -s: the root's absolute path; a
					 * (remapped) name "ROOT/x" becomes "x". NULL with -s */
	int root_fd;                    /* fd of the served root (O_PATH is enough);
					 * used by ignore_case and names_check; -1: none.
					 * Not owned: keep it open while the resolver lives. */
};

enum names_source {
	NAMES_AS_REQUESTED = 0,         /* no stage changed the name */
	NAMES_REMAPPED,                 /* a remap rule rewrote it */
	NAMES_ALIAS,                    /* an --alias matched */
	NAMES_SERVE_ANY,                /* --serve-any */
};

struct names_result {
	char path[TFTP_MAX_NAME + 1];   /* relative path to open beneath the root */
	char client_msg[REMAP_MSG_MAX]; /* refused: text for the TFTP error, "" = default */
	char why[3 * TFTP_MAX_NAME / 2];/* one log line: how the name was resolved or refused */
	enum names_source source;
	unsigned int remap_line;        /* rule line that refused or ended remapping, 0 = none */
	int case_folded;                /* ignore_case changed at least one component */
};

struct name_resolver;

/*
 * Build a resolver from cfg: loads and compiles the map file, parses the
 * aliases. On error returns -EINVAL (bad map file line, bad --alias), -ENOENT
 * etc. (map file unreadable) or -ENOMEM, with the first problem in err
 * ("FILE:LINE: ..."), suffixed with how many more there are.
 * Reload on SIGHUP (tftpd-hpa rereads its map file): build a new resolver,
 * swap it in when names_init() succeeded, free the old one.
 */
int names_init(struct name_resolver **out, const struct names_config *cfg, char *err, size_t errlen);

/*
 * Resolve requested for a request from client (may be NULL). is_write: 1 for
 * WRQ (aliases and serve-any do not apply; G/P remap rules do).
 * Returns 0 with res->path set, or -EACCES: refused (TFTP error 2, message
 * res->client_msg or the default "Access violation"); res->why says why.
 * -ENOMEM on allocation failure. Safe to call from several threads.
 */
int names_resolve(const struct name_resolver *nr, const char *requested, int is_write,
		  const struct sockaddr *client, struct names_result *res);

/* Whether the resolver changes names at all (no map, alias, serve-any or
 * ignore-case: callers may skip the call). */
int names_active(const struct name_resolver *nr);

void names_free(struct name_resolver *nr);

/*
 * For the daemon's --check-config: validate cfg and print every problem, one
 * line each, to err: every bad map file line with its number, every bad or
 * duplicate --alias. With cfg->root_fd >= 0 it also warns ("warning: ...",
 * not an error: the file may appear later) about alias targets and the
 * serve-any file that do not exist beneath the root.
 * Returns 0 when the configuration is usable, -EINVAL (or -errno of the map
 * file) when it is not.
 */
int names_check(const struct names_config *cfg, FILE *err);

#endif
