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

/*
 * Control bytes (a newline in a requested file name, an escape sequence in a
 * client's ERROR message) would let a client write lines of its own into
 * the log: each becomes \xNN, and a backslash \\, so the text is still read
 * back exactly. Bytes >= 0x80 (UTF-8 names) stay.
 */
static void escape_line(const char *in, char *out, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	for (; *in && o + 5 < len; in++) {
		unsigned char c = (unsigned char)*in;

		if (c < 0x20 || c == 0x7f) {
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		} else if (c == '\\') {
			out[o++] = '\\';
			out[o++] = '\\';
		} else {
			out[o++] = (char)c;
		}
	}
	out[o] = '\0';
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	static const int prio[] = {
		[LOG_LVL_ERR] = LOG_ERR, [LOG_LVL_WARN] = LOG_WARNING,
		[LOG_LVL_INFO] = LOG_INFO, [LOG_LVL_VERBOSE] = LOG_INFO,
		[LOG_LVL_DEBUG] = LOG_DEBUG,
	};
	char raw[1024], line[4 * sizeof(raw)];
	va_list ap;

	if (!log_enabled(lvl))
		return;
	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	escape_line(raw, line, sizeof(line));
	if (log_syslog)
		syslog(prio[lvl], "%s", line);
	else
		/* one write per line so lines from several processes (tests
		 * run many) do not interleave mid-line */
		fprintf(stderr, "%s: %s\n", log_ident, line);
}
