/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The contract between the BPF programs (bpf/) and the daemon (user/):
 * map names, map keys and values, stats indices, event records.
 * Data layout and constants only; fixed-width types; no implicit padding.
 * Userspace includes <linux/types.h> before this; BPF includes its own.
 */
#ifndef XTFTP_KERN_H
#define XTFTP_KERN_H

/* ---- map names (userspace finds maps by these through the skeleton) --- */
#define XT_MAP_SESSIONS   sessions
#define XT_MAP_IMAGE_POOL image_pool
#define XT_MAP_STATS      stats
#define XT_MAP_HIST       hist
#define XT_MAP_EVENTS     events
#define XT_MAP_XDP_TX     xdp_tx_ifaces

/* ---- image pool ----------------------------------------------------------
 * An mmapable BPF array of chunks. An image occupies consecutive chunks
 * [first_chunk, first_chunk + n). Chunk i of an image holds the image bytes
 * [i * XT_CHUNK_DATA, i * XT_CHUNK_DATA + XT_CHUNK_SIZE): its own
 * XT_CHUNK_DATA bytes followed by a copy of the first XT_CHUNK_OVERLAP bytes
 * of the next chunk (zero past the end of the image). Why: a block that
 * straddles two chunks can then be copied (and checksummed) from one map
 * value with one bounded helper call, which the verifier can prove safe
 * (offset < XT_CHUNK_DATA, length <= XT_CHUNK_OVERLAP).
 */
#define XT_CHUNK_DATA     65536u
#define XT_CHUNK_OVERLAP  2048u
#define XT_CHUNK_SIZE     (XT_CHUNK_DATA + XT_CHUNK_OVERLAP) /* map value_size */
/*
 * Block checksum tables: a run of pool chunks holding, for one image and
 * one blksize, the payload checksum of every block, so the kernel adds the
 * headers to a stored sum instead of summing 512-1468 payload bytes per
 * ACK. Entry blk - 1 (blk 1-based, up to final_block) is a __u32 at byte
 * ((blk - 1) % XT_SUMS_PER_CHUNK) * 4 of chunk (blk - 1) / XT_SUMS_PER_CHUNK
 * of the table: the 16-bit words of the block's payload as they lie in
 * memory (native loads, the odd last byte padded with a zero byte after
 * it) summed and folded to 16 bits (0 for an empty block); what
 * csum_pool_block in bpf/csum.h computes. A session names its table in
 * session_value.sums_ref; userspace builds it (user/files/pool.c) before
 * it writes the session.
 */
#define XT_SUMS_PER_CHUNK (XT_CHUNK_DATA / 4)
/* Largest blksize the kernel tiers serve (a block must fit in the overlap). */
#define XT_KERN_MAX_BLKSIZE XT_CHUNK_OVERLAP
/* Largest RFC 7440 window the TC tier sends per ACK (bounded loop). */
#define XT_KERN_MAX_WINDOW 16
#define XT_POOL_DEFAULT_BYTES (256u << 20)

/* ---- sessions ------------------------------------------------------------ */
#define XT_FAMILY_INET  4
#define XT_FAMILY_INET6 6

/* Key of the session map (LRU hash). Addresses are in network byte order;
 * an IPv4 address fills the first 4 bytes and the rest is zero. */
struct session_key {
	__u32 ifindex;          /* ingress interface of the client's packets */
	__u16 vlan_id;          /* 802.1Q VID, 0 = untagged */
	__u8  family;           /* XT_FAMILY_INET or XT_FAMILY_INET6 */
	__u8  pad;              /* must be zero */
	__u8  client_addr[16];
	__u8  server_addr[16];
	__u16 client_port;      /* network byte order */
	__u16 server_port;      /* network byte order (the transfer's TID) */
};

enum session_state {
	XT_SESS_ACTIVE = 0,     /* kernel answers ACKs */
	XT_SESS_DONE = 1,       /* final block acknowledged */
	XT_SESS_PAUSED = 2,     /* userspace owns it: kernel passes its ACKs */
};

/*
 * Value of the session map. Userspace fills it once at session start; after
 * that the kernel advances last_sent/last_acked and the counters, and
 * userspace only reads (for retransmission and stats) or deletes it.
 * Block numbers here are absolute (1-based, never rolled over): the wire
 * number is TFTP_BLOCK_WIRE(n). Block 0 is the OACK.
 */
struct session_value {
	/* -- set by userspace, read-only for the kernel -- */
	__u64 image_size;       /* bytes */
	__u32 first_chunk;      /* pool index of the image's first chunk */
	__u32 image_id;
	__u32 image_gen;
	__u32 final_block;      /* image_size / blksize + 1 */
	__u16 blksize;          /* <= XT_KERN_MAX_BLKSIZE */
	__u16 windowsize;       /* 1 = lock-step; XDP passes > 1 */
	__u32 state;            /* enum session_state */
	/* -- advanced by the kernel (atomic ops), read by userspace -- */
	__u32 last_sent;        /* highest block sent (0: only the OACK) */
	__u32 last_acked;       /* highest block acknowledged, compared as a
				 * signed 32-bit number: (__u32)-1 = nothing
				 * acknowledged yet (OACK outstanding, so ACK 0
				 * is new); with DATA 1 sent first it is 0. */
	__u64 start_ns;         /* bpf_ktime_get_ns() clock (CLOCK_MONOTONIC) */
	__u64 last_ack_ns;      /* when the last new ACK was seen */
	__u64 last_data_ns;     /* when the last DATA was sent; start_ns until
				 * the kernel sends one (its ACK is then no
				 * turnaround sample: tftp_logic.h) */
	__u64 bytes_sent;       /* payload bytes sent by the kernel tiers */
	__u32 blocks_xdp;       /* DATA blocks sent by the XDP tier */
	__u32 blocks_tc;        /* DATA blocks sent by the TC tier */
	__u32 dup_acks;         /* duplicate ACKs seen (resent ones too: dup_resends) */
	__u16 inject_drops;     /* DATA dropped by fault injection (xtftp_inject.h);
				 * written under the ACK's claim: one CPU at a time */
	__u16 inject_dups;      /* DATA sent twice by fault injection */
	/* -- loss recovery (xtftp_rto.h): userspace seeds them at hand-off,
	 *    then the kernel keeps them under the ACK's claim -- */
	__u64 srtt_ns;          /* smoothed turnaround, 0 = no sample yet */
	__u64 rttvar_ns;
	__u32 last_resent;      /* block resent last (on a duplicate ACK, or by
				 * tc_resend on the daemon's timer) and not yet
				 * echoed (xt_dup_ack_verdict), 0 none */
	__u32 dup_resends;      /* DATA the kernel resent on duplicate ACKs */
	/* -- set by userspace, read-only for the kernel -- */
	__u32 sums_ref;         /* 1 + pool index of the first chunk of the
				 * image's block checksum table for this blksize
				 * (XT_SUMS_PER_CHUNK); 0: none, the kernel sums
				 * the payload itself */
	/* -- advanced by the kernel -- */
	__u32 timer_resends;    /* DATA tc_resend sent from the pool on the
				 * daemon's timer (struct xt_resend_req); 0 at
				 * session start */
};

/* ---- resends on the daemon's timer ----------------------------------------
 * The kernel has no timer that can send, so the daemon's timer decides that
 * a block is lost and the kernel sends it: the daemon sends this small
 * datagram to the client's address, UDP port XT_RESEND_PORT (discard: were
 * the program gone, the client would drop it), out of the session's
 * interface, and the TC egress program tc_resend rewrites it into DATA
 * `block` from the image pool, as the ingress program would have built it.
 * A request tc_resend cannot serve (no such session, userspace owns it,
 * the block is not outstanding) is dropped there, never sent on; the daemon
 * sees session_value.timer_resends unchanged and sends the block itself,
 * or nothing when the client has acknowledged it meanwhile. */
#define XT_RESEND_PORT  9
#define XT_RESEND_MAGIC 0x78745273u     /* "xtRs" */

struct xt_resend_req {
	__u32 magic;            /* XT_RESEND_MAGIC, host order */
	__u32 block;            /* absolute block number, host order */
	struct session_key key; /* the session (its ifindex is the egress one) */
};

/* ---- interfaces where XDP may transmit ------------------------------------
 * Hash map ifindex (__u32) -> struct xdp_tx_iface. The loader adds an
 * interface where XDP is attached natively and XDP_TX is delivered (not
 * veth: there XDP_TX is lost when the peer has no NAPI; not generic XDP:
 * skbs, no gain over TC); elsewhere the XDP program leaves new ACKs to TC.
 * Whether the driver lets XDP grow an ACK into a DATA frame is not guessed:
 * the program finds out on the interface's real frames and records it here
 * (a failed grow leaves the frame unchanged and TC serves it). */
#define XT_XDP_TX_MAX_IFACES 256

struct xdp_tx_iface {
	__u32 grow_fail_len;    /* smallest frame length a grow to failed; 0 = none.
				 * Frames this long or longer go to TC untried. */
	__u32 grow_ok_len;      /* largest frame length grown to; 0 = none yet */
	__u32 probe_len;        /* xdp_grow_probe (--check-config): grow any received
				 * frame to this length, record, shrink it back */
};

/* ---- per-CPU stats (array map indexed by enum xt_stat) ------------------ */
#include "xtftp_stats.h"

/* ---- latency histograms (per-CPU array indexed by enum xt_hist_id) ------ */
#define XT_HIST_BUCKETS 64          /* bucket b counts values in [2^b, 2^(b+1)) ns; 0 in bucket 0 */
enum xt_hist_id {
	XT_HIST_ACK_TO_DATA = 0,    /* kernel: ACK seen -> DATA handed to the driver */
	XT_HIST_TURNAROUND,         /* client: DATA sent -> next ACK seen */
	XT_HIST_MAX,
};
struct xt_hist {
	__u64 bucket[XT_HIST_BUCKETS];
	__u64 sum_ns;
	__u64 count;
};

/* ---- events (ring buffer, kernel -> userspace) -------------------------- */
enum xt_event_type {
	XT_EV_DONE = 1,             /* final block acknowledged */
};
struct xt_event {
	__u32 type;                 /* enum xt_event_type */
	__u32 block;                /* absolute block number concerned */
	__u64 ts_ns;
	struct session_key key;
	__u32 pad;
};

#endif /* XTFTP_KERN_H */
