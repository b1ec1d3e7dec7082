// SPDX-License-Identifier: GPL-2.0-or-later
/* The control commands' table (commands.h). */
#include <stdio.h>
#include <string.h>
#include "commands.h"

const struct ctl_command ctl_commands[CTL_CMD_MAX] = {
	{ CTL_LOAD, "load", 0,
"  load NAME FILE  publish FILE (a path on the daemon's host, absolute or\n"
"              relative to its root) under NAME: copied into the image pool\n"
"              at once; NAME then resolves to it before the file system;\n"
"              running transfers keep what they started with\n" },
	{ CTL_UNLOAD, "unload", 0,
"  unload NAME withdraw a published NAME\n" },
	{ CTL_IMAGES, "images", 0,
"  images      the image pool and the published names\n" },
	{ CTL_STATUS, "status", 0,
"  status      daemon, listeners, kernel tiers, active transfers\n" },
	{ CTL_STATS, "stats", CTL_F_JSON | CTL_F_PROMETHEUS,
"  stats       counters, one \"name value\" per line;\n"
"              --json: one JSON object with latency histograms;\n"
"              --prometheus: text exposition format (node_exporter textfile)\n" },
	{ CTL_TRANSFERS, "transfers", CTL_F_JSON,
"  transfers   the last finished transfers, oldest first (--json: JSON lines,\n"
"              then the active ones)\n" },
	{ CTL_EVENTS, "events", CTL_F_FOLLOW,
"  events      recent transfer events as JSON lines (start, progress, done,\n"
"              failed, restart, stall); --follow: then every new one, until\n"
"              interrupted\n" },
	{ CTL_TOP, "top", CTL_F_ONCE,
"  top         live view of active and recent transfers, refreshed every\n"
"              --interval SEC (default 0.5); --once: one frame and exit;\n"
"              plain frames when stdout is not a terminal\n" },
	{ CTL_DETACH, "detach", CTL_F_LOCAL,
"  detach [IFACE...]  remove a TC filter of xtftpd's left on these\n"
"              interfaces (default: all) by a daemon killed while on legacy\n"
"              clsact TC (kernels without tcx); XDP and tcx attachments are\n"
"              links and go with the daemon. Needs no daemon; needs root\n" },
	{ CTL_INJECT, "inject", 0,
"  inject      fault injection for bootloader tests, in every tier:\n"
"              inject drop|dup [--prob P] [--blocks N,M,...] [--client-ip IP]\n"
"              [--client-mac MAC]: drop or duplicate DATA frames with\n"
"              probability P (default 1) or at these block numbers (their\n"
"              first transmission); --clear: off; alone: show the setting\n"
"              and the inject_drop/inject_dup counts\n" },
};

const struct ctl_command *ctl_command_lookup(const char *line, const char **args)
{
	size_t n = strcspn(line, " \t");

	for (unsigned int i = 0; i < CTL_CMD_MAX; i++) {
		const struct ctl_command *c = &ctl_commands[i];

		if (strlen(c->name) == n && !strncmp(line, c->name, n)) {
			if (args) {
				line += n;
				while (*line == ' ' || *line == '\t')
					line++;
				*args = line;
			}
			return c;
		}
	}
	return NULL;
}

const char *ctl_command_names(int daemon_only)
{
	static char names[2][160];
	char *out = names[!!daemon_only];

	if (!out[0]) {
		size_t o = 0;

		for (unsigned int i = 0; i < CTL_CMD_MAX; i++) {
			if (daemon_only && (ctl_commands[i].flags & CTL_F_LOCAL))
				continue;
			o += (size_t)snprintf(out + o, 160 - o, "%s%s", o ? ", " : "",
					      ctl_commands[i].name);
		}
	}
	return out;
}

void ctl_commands_help(FILE *f)
{
	for (unsigned int i = 0; i < CTL_CMD_MAX; i++)
		fputs(ctl_commands[i].help, f);
}
