/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The userspace engine: one epoll loop that owns the listening sockets, every
 * session (RRQ and WRQ), the retransmission timers, the kernel-tier sessions'
 * timers and events, and the control socket. No thread or fork per client.
 */
#ifndef XTFTP_ENGINE_H
#define XTFTP_ENGINE_H

#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>
#include <time.h>
#include "options.h"

#define XT_RECORD_RING 256      /* finished transfers kept for the control socket */

#include "obs/transfer.h"

struct engine;

/* Create the engine: open ROOT, bind the listening sockets, open the kernel
 * tiers (unless --no-bpf). Logs the cause of a failure once; returns 0 or a
 * negative errno. */
int engine_create(const struct xtftpd_options *opt, struct engine **out);
/* Create the control socket (readiness signal: call after engine_create and
 * after daemonizing). */
int engine_open_control(struct engine *e);
/* Drop privileges to opt->user (after binding and attaching BPF). */
int engine_drop_privileges(struct engine *e);
/* Run until SIGTERM/SIGINT; returns 0 or a negative errno. */
int engine_run(struct engine *e);
void engine_destroy(struct engine *e);

/* ---- pieces exposed for unit tests ---------------------------------------- */


/* For control.c: snapshots of the engine's state. */
void engine_write_status(struct engine *e, FILE *f);
void engine_write_stats(struct engine *e, FILE *f);
void engine_write_transfers(struct engine *e, FILE *f);

/* ---- embedding (xtftpd recover) -------------------------------------------- */

/* Called from the event loop about every period_ns (between batches of
 * events, never inside one), until engine_run returns. */
typedef void (*engine_tick_fn)(struct engine *e, void *ctx, uint64_t now_ns);
void engine_set_tick(struct engine *e, engine_tick_fn fn, void *ctx, uint64_t period_ns);
/* The live transfers as they stand now, newest first; returns how many
 * were written (at most max). */
unsigned int engine_live_transfers(struct engine *e, struct transfer *out, unsigned int max);
/* The oldest finished (or refused) transfer with an id above after_id, NULL
 * if none is left in the record ring. Valid until the next loop iteration. */
const struct transfer *engine_finished_after(struct engine *e, uint64_t after_id);
/* Stop as SIGTERM does: no new requests, running transfers get the grace
 * period, then engine_run returns 0. */
void engine_stop(struct engine *e);

#endif
