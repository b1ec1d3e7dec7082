/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Rendering of what the daemon knows: JSON (transfers, events, stats),
 * Prometheus text exposition (stats), and the `xtftpctl top` screen.
 * Pure formatting: callers hand in snapshots, nothing here touches the
 * engine's state or the network. Field names are documented in
 * docs/observability.md and are a stable interface.
 */
#ifndef XTFTP_REPORT_H
#define XTFTP_REPORT_H

#include <stdint.h>
#include <stdio.h>
#include "transfer.h"
#include "hist.h"

/*
 * A JSON string, quotes included. Bytes are taken as UTF-8: valid sequences
 * pass through, '"' and '\\' are escaped, control bytes (< 0x20, 0x7f)
 * become \u00XX, and every byte that is not part of a valid UTF-8 sequence
 * (stray continuation, overlong form, surrogate, > U+10FFFF, truncated)
 * becomes \ufffd. A hostile file name can therefore never break the line
 * structure of a JSON-lines log or inject fields.
 */
void json_write_string(FILE *f, const char *s);
/* Same for a buffer that may hold NUL bytes (each becomes \u0000). */
void json_write_mem(FILE *f, const void *buf, size_t len);

/* "xdp+tc+user", "tc", "none" */
void report_tiers(unsigned int tiers, char *buf, size_t len);
/* Progress in per-mille (0..1000), -1 when the size is unknown. */
int report_permille(const struct transfer *t);
/* Payload bytes per second from start to end (or to now while running). */
uint64_t report_goodput(const struct transfer *t, uint64_t now_ns);
/* "running", "done", "client-error", "timeout", "icmp-unreachable", "refused", "aborted" */
const char *report_outcome(const struct transfer *t);

/*
 * One transfer as the members of a JSON object (no braces), so events can
 * put their own members first. now_ns (CLOCK_MONOTONIC) gives a running
 * transfer its duration and the age of its last ACK.
 */
void report_transfer_members(FILE *f, const struct transfer *t, uint64_t now_ns);
/* {"...transfer..."} */
void report_transfer_json(FILE *f, const struct transfer *t, uint64_t now_ns);

/* What stats --json / --prometheus show: one snapshot. */
struct report_stats {
	struct engine_totals tot;
	uint64_t uptime_ns;
	unsigned int sessions_active;
	int bpf_active;
	uint64_t dup_acks_user;         /* finished + live sessions, userspace engine */
	uint64_t kern[XT_STAT_MAX];     /* the kernel tiers' counters (0 without BPF) */
	unsigned int pool_images;
	uint64_t pool_image_bytes;
	struct hist ack_to_data[2];     /* [0] userspace engine, [1] kernel tiers */
	struct hist turnaround[2];
};
#define REPORT_TIER_USER 0
#define REPORT_TIER_KERNEL 1

void report_stats_json(FILE *f, const struct report_stats *st);
/* node_exporter textfile-collector compatible; passes promtool check metrics. */
void report_stats_prometheus(FILE *f, const struct report_stats *st);
/* {"count":..,"sum_ns":..,"mean_ns":..,"p50_ns":..,"p90_ns":..,"p99_ns":..,"buckets":[[le_ns,n],..]} */
void report_hist_json(FILE *f, const struct hist *h);

/* ---- top ---------------------------------------------------------------- */
struct report_top_header {
	uint64_t uptime_ns;
	unsigned int sessions_active;
	uint64_t transfers_done;
	uint64_t transfers_failed;
	uint64_t bytes_per_s;           /* sum of the running transfers' rates */
	const char *tiers;              /* "xts0: TC" ..., or "userspace only" */
};

/*
 * One frame of `xtftpctl top`: a header, then one row per transfer (the
 * caller passes active ones first, then the most recent finished ones), a
 * progress bar, percent, rate, retransmits, tier, age of the last ACK,
 * outcome; a diagnosis line under a failed or stalled row. At most
 * `height` lines, each at most `width` columns. No escape sequences: the
 * client adds them when it draws on a terminal.
 */
void report_top(FILE *f, const struct report_top_header *hdr, const struct transfer *rows,
		unsigned int n_rows, unsigned int width, unsigned int height, uint64_t now_ns);

/* 1.5 KiB/s style, into buf. */
void report_human_rate(uint64_t bytes_per_s, char *buf, size_t len);

#endif
