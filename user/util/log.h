/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Logging for the daemon: stderr in the foreground (-L), syslog (daemon
 * facility) otherwise. Errors are logged once, at the edge that decides what
 * to do about them, with the cause and the remedy.
 */
#ifndef XTFTP_LOG_H
#define XTFTP_LOG_H

enum log_level {
	LOG_LVL_ERR = 0,
	LOG_LVL_WARN = 1,
	LOG_LVL_INFO = 2,    /* one line per finished transfer, start/stop */
	LOG_LVL_VERBOSE = 3, /* -v: one line per request */
	LOG_LVL_DEBUG = 4,   /* -vv: per-packet detail */
};

/* to_syslog 0: stderr with a "xtftpd: " prefix. verbose = number of -v. */
void log_init(const char *ident, int to_syslog, int verbose);
void log_close(void);
int log_enabled(enum log_level lvl);
void log_msg(enum log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_err(...)     log_msg(LOG_LVL_ERR, __VA_ARGS__)
#define log_warn(...)    log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...)    log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_verbose(...) log_msg(LOG_LVL_VERBOSE, __VA_ARGS__)
#define log_debug(...)   log_msg(LOG_LVL_DEBUG, __VA_ARGS__)

#endif
