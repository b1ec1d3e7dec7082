// SPDX-License-Identifier: GPL-2.0-or-later
/* Logging: stderr in the foreground, syslog when daemonized. */
#include <stdarg.h>
#include <stdio.h>
#include <syslog.h>
#include "log.h"

static const char *log_ident = "xtftpd";
static int log_syslog;
static int log_verbosity;

void log_init(const char *ident, int to_syslog, int verbose)
{
	if (ident)
		log_ident = ident;
	log_syslog = to_syslog;
	log_verbosity = verbose;
	if (log_syslog)
		openlog(log_ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void log_close(void)
{
	if (log_syslog)
		closelog();
	log_syslog = 0;
}

int log_enabled(enum log_level lvl)
{
	/* INFO and below always; each -v opens one more level */
	return (int)lvl <= LOG_LVL_INFO + log_verbosity;
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	static const int prio[] = {
		[LOG_LVL_ERR] = LOG_ERR, [LOG_LVL_WARN] = LOG_WARNING,
		[LOG_LVL_INFO] = LOG_INFO, [LOG_LVL_VERBOSE] = LOG_INFO,
		[LOG_LVL_DEBUG] = LOG_DEBUG,
	};
	va_list ap;

	if (!log_enabled(lvl))
		return;
	va_start(ap, fmt);
	if (log_syslog) {
		vsyslog(prio[lvl], fmt, ap);
	} else {
		/* one fprintf-sized write per line so lines from several
		 * processes (tests run many) do not interleave mid-line */
		char line[1024];
		int n = snprintf(line, sizeof(line), "%s: ", log_ident);

		if (n < 0)
			n = 0;
		vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
		fprintf(stderr, "%s\n", line);
	}
	va_end(ap);
}
