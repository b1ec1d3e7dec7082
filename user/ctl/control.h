/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Control socket: a unix stream socket served from the engine's epoll loop.
 * Line protocol, one command per connection: the client writes "CMD\n", the
 * daemon writes the answer and closes. Commands: status, stats, transfers.
 * An answer starting with "error:" means the command failed.
 */
#ifndef XTFTP_CONTROL_H
#define XTFTP_CONTROL_H

#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

/* Longest request line, newline excluded, is CONTROL_MAX_LINE - 1 bytes: a
 * longer one is cut there and answered as an unknown command. */
#define CONTROL_MAX_LINE 256

struct control;
/* Produce the answer to cmd (without the newline) into out. */
typedef void (*control_handler)(void *ctx, const char *cmd, FILE *out);

/* Create the directory of path if missing (0755), remove a stale socket file
 * (only if no daemon answers on it), bind, listen, register with epfd: the
 * listening socket and each connection are event sources (util/evsrc.h) with
 * their own callbacks, so the caller's loop only dispatches.
 * Returns 0 or negative errno (logged once). */
int control_open(const char *path, int epfd, control_handler fn, void *ctx,
		 struct control **out);
/* The connection whose command the handler is answering (-1 outside a
 * handler): a handler may dup it to stream to the client after the answer
 * (xtftpctl events --follow). */
int control_current_fd(const struct control *c);
/* Hand the socket file (and the directory if we created it) to uid/gid, so
 * the daemon can still remove it after dropping privileges. */
int control_chown(struct control *c, uid_t uid, gid_t gid);
/* Close every connection, remove the socket file. NULL-safe. */
void control_close(struct control *c);

#endif
