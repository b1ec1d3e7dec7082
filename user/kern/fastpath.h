/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The kernel tiers seen from the daemon: load the BPF skeleton, size and fill
 * the image pool, attach XDP and TC to interfaces, and own the session map,
 * the ring buffer of events and the per-CPU stats.
 * The engine calls only this; it never touches libbpf itself.
 */
#ifndef XTFTP_FASTPATH_H
#define XTFTP_FASTPATH_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>
#include <linux/types.h>
#include "xtftp_kern.h"
#include "xtftp_inject.h"
#include "files/pool.h"

struct fastpath;

struct fastpath_config {
	const char *const *ifnames;  /* interfaces to attach to */
	unsigned int n_ifnames;
	uint64_t pool_bytes;         /* --pool-size; 0 = XT_POOL_DEFAULT_BYTES */
	int verbose;                 /* libbpf debug output to stderr */
	const char *verifier_log;    /* write the verifier log here on load failure (NULL: none) */
	int xdp_request;             /* enum attach_xdp_request (attach.h): --xdp */
};

enum fastpath_tier {
	FP_TIER_NONE = 0,
	FP_TIER_TC = 1,              /* TC only (XDP absent or cannot grow frames) */
	FP_TIER_XDP_GENERIC_TC = 2,  /* generic XDP + TC */
	FP_TIER_XDP_NATIVE_TC = 3,   /* native XDP + TC */
};

/*
 * Load and attach. On success prints one line per interface saying which
 * tier is active and why, and returns 0. On failure logs one line with the
 * cause and the remedy and returns a negative errno; the caller then serves
 * from userspace. Attachment is through links (bpf_link for XDP, tcx for TC
 * where the kernel has it), so a killed daemon leaves nothing attached;
 * a stale legacy TC filter of ours is removed at start.
 */
int fastpath_open(const struct fastpath_config *cfg, struct fastpath **out);
void fastpath_close(struct fastpath *fp);
/*
 * --check-config: load the programs (the verifier's verdict on this kernel)
 * and, on each of cfg->ifnames, attach for a moment to see what will serve
 * there and why: XDP native with frames that grow (probed on a frame the
 * interface receives, waiting up to 3 s), TC, or userspace. One line per
 * finding to out; nothing stays attached. 0, or a negative errno when the
 * kernel tiers cannot serve at all (not a configuration error: userspace
 * serves then).
 */
int fastpath_probe(const struct fastpath_config *cfg, FILE *out);
/*
 * Open the skeleton, size the image pool to n_chunks and load it, as both
 * fastpath_open and fastpath_probe do; the verifier's log of a failing
 * program lands in vlog. 0, or a negative errno with *skel NULL (could not
 * open) or set (the load failed: the caller reports, with
 * fastpath_load_verdict and fastpath_failed_prog, and destroys it).
 */
struct xtftp_bpf;
int fastpath_load_skel(int verbose, uint32_t n_chunks, char *vlog, size_t vlog_size,
		       struct xtftp_bpf **skel);
/* The verifier's verdict: the last line of vlog that is not statistics. */
void fastpath_load_verdict(const char *vlog, char *out, size_t len);
/* The program libbpf said failed to load ("a program" if none). */
const char *fastpath_failed_prog(void);
/*
 * The image pool alone, for when the kernel tiers are off (--no-bpf, no
 * interface, BPF load failed): an anonymous mapping of pool_bytes (0 =
 * XT_POOL_DEFAULT_BYTES) with the same chunk layout, allocator, generations
 * and eviction, so userspace transfers too keep the bytes they started with.
 * The mapping is lazy: only loaded images cost memory. On such a fastpath
 * the session, inject, stats and histogram calls return -EOPNOTSUPP,
 * fastpath_can_serve* 0, fastpath_tier FP_TIER_NONE, fastpath_events_fd -1.
 * Logs the cause of a failure once; 0 or a negative errno.
 */
int fastpath_open_pool_only(uint64_t pool_bytes, struct fastpath **out);
/* Why the kernel tiers are not loaded, for status and --check-config (set
 * by fastpath_open on failure, or by the caller: "off by --no-bpf"). */
const char *fastpath_off_reason(void);
void fastpath_set_off_reason(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* 1 if the TC tier is a legacy clsact filter on some interface (kernels
 * without tcx links): removing it at stop needs CAP_NET_ADMIN. */
int fastpath_uses_legacy_tc(const struct fastpath *fp);
/* 1 if fp has the kernel tiers loaded (0 for NULL or a pool-only fastpath). */
int fastpath_kernel_active(const struct fastpath *fp);

/* What the XDP program learnt of frame growth on ifindex (struct
 * xdp_tx_iface, zero if XDP may not transmit there): 1 frames grew and
 * none failed, -1 a grow failed (TC serves frames that long and longer),
 * 0 not tried yet. */
int fastpath_xdp_growth(const struct fastpath *fp, unsigned int ifindex,
			struct xdp_tx_iface *out);
/* Tier active on an interface (FP_TIER_NONE if not one of ours). */
enum fastpath_tier fastpath_tier(const struct fastpath *fp, unsigned int ifindex);
/* 1 if a session on ifindex with these parameters can be served in the kernel.
 * Assumes the worst-case frame (VLAN tag + IPv6): blksize <= MTU - 56. */
int fastpath_can_serve(const struct fastpath *fp, unsigned int ifindex,
		       unsigned int blksize, unsigned int windowsize);
/* Same for a known address family (XT_FAMILY_INET/INET6): exact header
 * size, so blksize 1468 over IPv4 at MTU 1500 is served in the kernel. */
int fastpath_can_serve_frame(const struct fastpath *fp, unsigned int ifindex, int family,
			     unsigned int blksize, unsigned int windowsize);

/*
 * Find the image for an open file (keyed by dev, inode, size, mtime), or
 * read it into the pool. -ENOSPC when the pool cannot hold it (the caller
 * serves from userspace). Each successful call takes one reference.
 */
int fastpath_image_acquire(struct fastpath *fp, int fd, const struct stat *st,
			   const struct loaded_image **img);
void fastpath_image_release(struct fastpath *fp, const struct loaded_image *img);
/* Iterate over the images in the pool (refs = sessions using each), newest
 * first: prev NULL gives the first, NULL at the end or without a pool. */
const struct loaded_image *fastpath_image_next(const struct fastpath *fp,
						 const struct loaded_image *prev);
/* As fastpath_image_acquire, remembering the served path (names the image
 * in status; a file replaced by rename under the same name becomes a new
 * generation of the same image id). */
int fastpath_image_acquire_named(struct fastpath *fp, int fd, const struct stat *st,
				 const char *name, const struct loaded_image **img);
/* Mark img outdated: freed when its last session ends (now if none). */
void fastpath_image_retire(struct fastpath *fp, const struct loaded_image *img);
/* Hashing of loaded images off the first answer's path (image_pool_hash_step:
 * 1 while work is left) and an image's digest, finished now if needed. */
int fastpath_image_hash_step(struct fastpath *fp, uint64_t budget);
const uint8_t *fastpath_image_sha256(struct fastpath *fp, const struct loaded_image *img);
/* Served path given at acquire (NULL none); 1 if a newer generation exists. */
const char *fastpath_image_name(const struct loaded_image *img);
int fastpath_image_stale(const struct loaded_image *img);

/* Image pool occupancy and cache counters. */
struct fastpath_pool_stats {
	uint64_t bytes_total;        /* image bytes the pool can hold */
	uint64_t bytes_free;         /* free now (not counting evictable images) */
	uint64_t hits;               /* acquires served by a cached image */
	uint64_t loads;              /* images read into the pool */
	uint64_t evictions;          /* unused images evicted to make room */
	unsigned int images;         /* loaded now */
};
int fastpath_pool_stats(const struct fastpath *fp, struct fastpath_pool_stats *out);
/* Copy len bytes of the image at off (for userspace retransmission).
 * 0, or -EINVAL if [off, off + len) is not inside the image. */
int fastpath_image_read(const struct fastpath *fp, const struct loaded_image *img,
			uint64_t off, void *buf, size_t len);

/* Fill a session_value for img with the negotiated parameters (state
 * ACTIVE, last_sent = last_acked = first_sent - 1 ...). first_sent is 0 when
 * the OACK was (about to be) sent, 1 when DATA 1 was. */
void fastpath_session_init(struct session_value *val, const struct loaded_image *img,
			   unsigned int blksize, unsigned int windowsize, uint32_t first_sent);
/* Write the session before sending its first packet (so no ACK can race it). */
int fastpath_session_start(struct fastpath *fp, const struct session_key *key,
			   const struct session_value *val);
int fastpath_session_get(const struct fastpath *fp, const struct session_key *key,
			 struct session_value *val);
/* The daemon's timer resend of block (outstanding) of a session the kernel
 * serves, sent by the kernel from the pool (resend.h): 0 when it was,
 * -EALREADY when the client acknowledged the block meanwhile (nothing to
 * send); -EOPNOTSUPP where it cannot be (no resend program on the
 * interface), -EAGAIN when refused otherwise: then the caller sends the
 * block itself. */
int fastpath_kernel_resend(struct fastpath *fp, const struct session_key *key, uint32_t block);
/* Userspace takes the session over: the kernel passes its ACKs from now on. */
int fastpath_session_pause(struct fastpath *fp, const struct session_key *key);
/* Give a paused session back to the kernel: it answers the client's ACKs
 * again from last_acked/last_sent, with userspace's turnaround estimate
 * (issue 13: the kernel keeps serving). Write it before sending what
 * follows, so the client's next ACK finds it. 0 or a negative errno (the
 * entry is gone: userspace keeps the session). */
int fastpath_session_resume(struct fastpath *fp, const struct session_key *key,
			    uint32_t last_sent, int32_t last_acked, uint64_t srtt_ns,
			    uint64_t rttvar_ns);
int fastpath_session_end(struct fastpath *fp, const struct session_key *key);

/* Ring buffer of kernel events: an fd for epoll, and a non-blocking drain. */
int fastpath_events_fd(const struct fastpath *fp);
typedef void (*fastpath_event_cb)(void *ctx, const struct xt_event *ev);
int fastpath_events_drain(struct fastpath *fp, fastpath_event_cb cb, void *ctx);

/* Fault injection in the kernel tiers (xtftp_inject.h): replace the
 * setting; mode XT_INJECT_OFF turns it off. 0 or -errno. */
int fastpath_set_inject(struct fastpath *fp, const struct xt_inject *cfg);

/* Per-CPU counters and histograms, summed over CPUs. */
int fastpath_read_stats(const struct fastpath *fp, uint64_t out[XT_STAT_MAX]);
int fastpath_read_hist(const struct fastpath *fp, enum xt_hist_id id, struct xt_hist *out);

/* Names for stats indices ("data_tc", "pass_grow_failed", ...). */
const char *fastpath_stat_name(enum xt_stat s);
const char *fastpath_tier_name(enum fastpath_tier t);

#endif
