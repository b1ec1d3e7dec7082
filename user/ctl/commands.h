/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The control socket's commands, once (xdp-tools' cmds[] table): the daemon
 * dispatches on it, xtftpctl validates its command line and prints its
 * --help from it, and both name the same set in their errors, so a command
 * added here cannot be missing from one side.
 */
#ifndef XTFTP_CTL_COMMANDS_H
#define XTFTP_CTL_COMMANDS_H

#include <stdio.h>

enum ctl_cmd {
	CTL_LOAD,
	CTL_UNLOAD,
	CTL_IMAGES,
	CTL_STATUS,
	CTL_STATS,
	CTL_TRANSFERS,
	CTL_EVENTS,
	CTL_TOP,
	CTL_DETACH,
	CTL_INJECT,
	CTL_CMD_MAX,
};

/* What a command takes on xtftpctl's command line; on the wire the option
 * becomes a word after the name ("stats json", "events follow"). */
#define CTL_F_JSON       0x01u  /* --json */
#define CTL_F_PROMETHEUS 0x02u  /* --prometheus */
#define CTL_F_FOLLOW     0x04u  /* --follow */
#define CTL_F_ONCE       0x08u  /* --once, --interval (xtftpctl's own loop) */
#define CTL_F_LOCAL      0x10u  /* done by xtftpctl itself, no daemon involved */

struct ctl_command {
	enum ctl_cmd id;
	const char *name;
	unsigned int flags;
	const char *help;       /* xtftpctl --help's lines for it */
};

extern const struct ctl_command ctl_commands[CTL_CMD_MAX];

/* The command whose name is the first word of line (a control line or an
 * xtftpctl argument); NULL if none. *args: what follows the name, leading
 * blanks skipped ("" if nothing). */
const struct ctl_command *ctl_command_lookup(const char *line, const char **args);
/* "load, unload, images, status, ..., inject": for error messages;
 * daemon_only leaves out what xtftpctl does alone (detach). */
const char *ctl_command_names(int daemon_only);
/* The commands' part of xtftpctl --help. */
void ctl_commands_help(FILE *f);

#endif
