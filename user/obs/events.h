/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The event bus: the engine reports what happens to each transfer (start,
 * progress every N %, done, failed, restart, stall); every event becomes one
 * JSON line (report.c) that goes to the --event-log file, to a ring of
 * recent events (`xtftpctl events`), and to every control-socket follower
 * (`xtftpctl events --follow`). Field names: docs/observability.md.
 */
#ifndef XTFTP_EVENTS_H
#define XTFTP_EVENTS_H

#include <stdint.h>
#include <stdio.h>
#include "transfer.h"

enum xt_evt {
	EVT_START = 0,
	EVT_PROGRESS,
	EVT_DONE,
	EVT_FAILED,     /* client error, timeout, ICMP unreachable, refused, aborted */
	EVT_RESTART,    /* the client asked again for a file it had not finished */
	EVT_STALL,      /* no progress for one retransmit timeout */
	EVT_PROBE,      /* a size probe ended: the client stopped after the OACK */
	EVT_UNCONFIRMED, /* delivered, the final ACK never came */
	EVT_MAX,
};

#define EVENTS_RING 512                 /* recent lines kept for `xtftpctl events` */
#define EVENTS_MAX_FOLLOWERS 16
#define EVENTS_DEFAULT_STEP_PCT 10

struct events;

/* log: the --event-log stream (owned by the caller, may be NULL);
 * step_pct: progress events every step_pct percent (0 = default 10). */
int events_create(FILE *log, unsigned int step_pct, struct events **out);
/* Closes the followers. NULL-safe. */
void events_destroy(struct events *ev);

const char *events_type_name(enum xt_evt type);
/* Emit one event about t. NULL-safe on ev. */
void events_emit(struct events *ev, enum xt_evt type, const struct transfer *t, uint64_t now_ns);
/* Emit a progress event if t crossed the next step since the last one;
 * updates t->progress_pct. Returns 1 when it emitted. */
int events_progress(struct events *ev, struct transfer *t, uint64_t now_ns);

/* Stream every future event to fd (a connected stream socket, non-blocking),
 * after the recent ones. Takes ownership of fd. A follower that cannot keep
 * up (socket buffer full) or has gone is dropped. Returns 0 or -errno. */
int events_add_follower(struct events *ev, int fd);
/* The recent events, oldest first. */
void events_write_recent(const struct events *ev, FILE *out);

#endif
