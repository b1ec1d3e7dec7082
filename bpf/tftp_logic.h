/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The TFTP data-path logic shared by the XDP and TC programs: session
 * lookup and validation, the ACK state machine (duplicate, resend on a
 * duplicate, never sent, final, new; loss recovery by xtftp_rto.h),
 * block location in the image pool, the reply headers with their
 * checksums, counters, histograms and events. The programs only differ in
 * how they resize, write and transmit the frame.
 *
 * Include after the map definitions (sessions, image_pool, stats, hist,
 * events, inject_cfg) in the program source.
 */
#ifndef XTFTP_BPF_TFTP_LOGIC_H
#define XTFTP_BPF_TFTP_LOGIC_H

#include "xtftp_block.h"
#include "xtftp_ack.h"
#include "xtftp_rto.h"
#include "parse.h"
#include "csum.h"

#ifndef READ_ONCE
#define READ_ONCE(x) (*(volatile typeof(x) *)&(x))
#endif
#ifndef WRITE_ONCE
#define WRITE_ONCE(x, v) (*(volatile typeof(x) *)&(x) = (v))
#endif

#define XT_TTL 64
#define XT_UDP_TFTP_HDRS (sizeof(struct udphdr) + sizeof(struct xt_tftp_hdr))

/* ---- counters ------------------------------------------------------------ */

static __always_inline void stat_add(__u32 idx, __u64 n)
{
	__u64 *v = bpf_map_lookup_elem(&XT_MAP_STATS, &idx);

	if (v)
		*v += n;        /* per-CPU: no other writer */
}

/* Index of the highest set bit (0 for 0 and 1): log2 bucket of a duration. */
static __always_inline __u32 log2_u64(__u64 v)
{
	__u32 r = 0;

	if (v >> 32) { v >>= 32; r += 32; }
	if (v >> 16) { v >>= 16; r += 16; }
	if (v >> 8)  { v >>= 8;  r += 8; }
	if (v >> 4)  { v >>= 4;  r += 4; }
	if (v >> 2)  { v >>= 2;  r += 2; }
	if (v >> 1)  { r += 1; }
	return r;
}

static __always_inline void hist_add(__u32 id, __u64 ns)
{
	struct xt_hist *h = bpf_map_lookup_elem(&XT_MAP_HIST, &id);
	__u32 b;

	if (!h)
		return;
	b = log2_u64(ns) & (XT_HIST_BUCKETS - 1);
	h->bucket[b]++;
	h->sum_ns += ns;
	h->count++;
}

/* ---- sessions ------------------------------------------------------------ */

/* What an ACK asks for. */
enum ack_class {
	ACK_PASS = 0,   /* give it to the next tier; reason says why */
	ACK_DUP,        /* duplicate, not answered: counted, dropped */
	ACK_UNSENT,     /* names a block never sent (a stray, late ACK):
			 * counted, dropped; the session stays here */
	ACK_FINAL,      /* the final block: the session is done */
	ACK_NEW,        /* send blocks first..last (abs + 1 ..) */
	ACK_RESEND,     /* duplicate of last_acked after the gap (xtftp_rto.h
			 * rule 2): send block first = last = abs + 1 again */
};

struct ack_decision {
	__u32 abs;          /* absolute block number acknowledged */
	__u32 seen_acked;   /* last_acked as read: the new ACK's CAS expectation */
	__u32 seen_sent;    /* last_sent as read */
	__u32 seen_resent;  /* last_resent as read (ACK_RESEND: given back on failure) */
	__u64 seen_data_ns; /* last_data_ns as read: the resend's CAS expectation */
	__u32 first;        /* first block to send */
	__u32 last;         /* last block to send (inclusive) */
	__u32 reason;       /* enum xt_stat when ACK_PASS */
	__u32 resend;       /* 1: ACK_RESEND (one block, last_sent stays) */
};

/*
 * Check the session and place the ACK in it. Reads the kernel-advanced
 * fields once; the claim itself (claim_ack) is a CAS on the value read here,
 * so a concurrent change makes the claim fail rather than double-send.
 */
static __always_inline int classify_ack(const struct session_value *s, __u16 ack16,
					struct ack_decision *d)
{
	__u32 last_sent, last_acked, final_block, w;

	if (s->state != XT_SESS_ACTIVE) {
		d->reason = XT_STAT_PASS_PAUSED;
		return ACK_PASS;
	}
	w = s->windowsize;
	if (s->blksize == 0 || s->blksize > XT_KERN_MAX_BLKSIZE ||
	    w == 0 || w > XT_KERN_MAX_WINDOW ||
	    s->final_block != xt_final_block(s->image_size, s->blksize)) {
		d->reason = XT_STAT_PASS_BAD_SESSION;
		return ACK_PASS;
	}
	final_block = s->final_block;
	last_sent = READ_ONCE(s->last_sent);
	last_acked = READ_ONCE(s->last_acked);
	d->seen_acked = last_acked;
	d->seen_sent = last_sent;

	/* The arithmetic userspace's xfer uses too (xtftp_ack.h): the wire
	 * number expanded to the block nearest at or below last_sent. */
	switch (xt_ack_classify(last_sent, last_acked, final_block, ack16, &d->abs)) {
	case XT_ACK_BEFORE_START:
		return ACK_UNSENT;
	case XT_ACK_DUP:
		return ACK_DUP;
	case XT_ACK_FINAL:
		return ACK_FINAL;
	case XT_ACK_PAST_FINAL:
		d->reason = XT_STAT_PASS_BAD_SESSION;
		return ACK_PASS;
	default:
		break;
	}
	/* RFC 7440: an ACK inside the window re-bases it there. */
	d->first = d->abs + 1;
	d->last = d->abs + w;
	if (d->last > final_block)
		d->last = final_block;
	return ACK_NEW;
}

/* Claim a new ACK so no other CPU answers it too. 1 = ours. */
static __always_inline int claim_ack(struct session_value *s, const struct ack_decision *d)
{
	return __sync_val_compare_and_swap(&s->last_acked, d->seen_acked, d->abs) ==
	       d->seen_acked;
}

/* Give the claim back when nothing was sent, so the client's retry of the
 * same ACK is answered instead of dropped as a duplicate. */
static __always_inline void unclaim_ack(struct session_value *s, const struct ack_decision *d)
{
	__sync_val_compare_and_swap(&s->last_acked, d->abs, d->seen_acked);
}

static __always_inline void count_dup_ack(struct session_value *s)
{
	__sync_fetch_and_add(&s->dup_acks, 1);
	stat_add(XT_STAT_DUP_ACK, 1);
}

/*
 * The final block is acknowledged: mark the session done and tell
 * userspace. Returns 1 if this CPU did it, 0 if another CPU raced it.
 * If the ring is full the session is still marked done (userspace polls).
 */
static __always_inline int finish_session(struct session_value *s, const struct ack_decision *d,
					  const struct session_key *key, __u64 now)
{
	struct xt_event *ev;

	if (!claim_ack(s, d))
		return 0;
	s->last_ack_ns = now;
	WRITE_ONCE(s->state, XT_SESS_DONE);
	stat_add(XT_STAT_SESSION_DONE, 1);
	ev = bpf_ringbuf_reserve(&XT_MAP_EVENTS, sizeof(*ev), 0);
	if (ev) {
		ev->type = XT_EV_DONE;
		ev->block = d->abs;
		ev->ts_ns = now;
		__builtin_memcpy(&ev->key, key, sizeof(*key));
		ev->pad = 0;
		bpf_ringbuf_submit(ev, 0);
	}
	return 1;
}

/*
 * Record a new ACK's client turnaround (DATA sent -> this ACK): the
 * histogram always, the session's estimate (xtftp_rto.h rule 1) only from
 * a block sent once (Karn): not when this ACK is the first to acknowledge
 * the block resent last (seen_acked < last_resent <= abs; in lock-step,
 * abs == last_resent), whose ACK may answer either copy. Nor from the ACK
 * of what userspace sent before the kernel sent anything (last_data_ns
 * still the entry's start_ns): that time runs from the entry's creation,
 * before userspace's send, and holds the client's first answer, which
 * includes its own start (a Linux client on veth: 110-280 us against 5-10
 * us a block after). Taken as the first sample, srtt stayed above 100 us
 * for the first ~10 blocks and the clean-link floor (512 turnarounds, at
 * most 50 ms) with it: a loss there cost 50 ms in a 1 MiB transfer of
 * 35. Called under the ACK's claim: one CPU at a time writes
 * srtt_ns/rttvar_ns.
 */
static __always_inline void note_turnaround(struct session_value *s, const struct ack_decision *d,
					    __u64 now)
{
	__u64 sent = READ_ONCE(s->last_data_ns);
	__u32 resent = READ_ONCE(s->last_resent);

	if (!sent || now < sent)
		return;
	hist_add(XT_HIST_TURNAROUND, now - sent);
	if (resent && (__s32)(resent - d->seen_acked) > 0 && (__s32)(d->abs - resent) >= 0)
		return;
	if (sent == s->start_ns)
		return;
	if (!xt_rtt_sample_plausible(s->srtt_ns, s->rttvar_ns, now - sent))
		return;
	xt_rtt_sample(&s->srtt_ns, &s->rttvar_ns, now - sent);
}

/*
 * Rule 2 of xtftp_rto.h for a duplicate ACK: if it names last_acked with
 * a block outstanding, the verdict (from the fields as read here) may make
 * it a resend of last_acked + 1 (ACK_RESEND, nothing written yet: the
 * claim comes later, so XDP may still hand it to TC, which decides afresh)
 * or the echo of our own resend (absorbed: last_resent forgotten). Every
 * other duplicate is counted and dropped, as always.
 */
static __always_inline int settle_dup_ack(struct session_value *s, struct ack_decision *d,
					  __u64 now)
{
	__u32 resent;
	__u64 sent_ns;

	if (d->abs == d->seen_acked && (__s32)(d->seen_sent - d->seen_acked) > 0) {
		resent = READ_ONCE(s->last_resent);
		sent_ns = READ_ONCE(s->last_data_ns);
		switch (xt_dup_ack_verdict(d->abs, resent, now, sent_ns, READ_ONCE(s->srtt_ns))) {
		case XT_DUP_RESEND:
			d->first = d->abs + 1;
			d->last = d->first;
			d->seen_resent = resent;
			d->seen_data_ns = sent_ns;
			d->resend = 1;
			return ACK_RESEND;
		case XT_DUP_ECHO:
			__sync_val_compare_and_swap(&s->last_resent, resent, 0);
			break;
		default:
			break;
		}
	}
	count_dup_ack(s);
	return ACK_DUP;
}

/*
 * The ACK state machine's first step, the same in both tiers: classify the
 * ACK; a duplicate is counted and dropped unless rule 2 makes it a resend
 * (settle_dup_ack), an ACK for a block never sent is counted and dropped,
 * the final block's ACK finishes the session. Returns the class: the
 * caller drops the ACK on ACK_DUP, ACK_UNSENT and ACK_FINAL, passes it on
 * ACK_PASS (d->reason says why) and sends d->first..d->last on ACK_NEW
 * and ACK_RESEND (claim_send, commit_send: one path for both).
 */
static __always_inline int settle_ack(struct session_value *s, const struct tftp_ack *ack,
				      struct ack_decision *d, __u64 now)
{
	int cls = classify_ack(s, ack->block, d);

	if (cls == ACK_DUP)
		cls = settle_dup_ack(s, d, now);
	else if (cls == ACK_UNSENT)
		stat_add(XT_STAT_ACK_UNSENT, 1);
	else if (cls == ACK_FINAL && !finish_session(s, d, &ack->key, now))
		stat_add(XT_STAT_RACE_LOST, 1);
	return cls;
}

/*
 * Claim a new ACK before the first block it asks for goes out (or is
 * dropped by fault injection) and record the client's turnaround. 1 =
 * ours; 0 = another CPU answered it (counted): the caller drops the ACK.
 */
static __always_inline int claim_new_ack(struct session_value *s, const struct ack_decision *d,
					 __u64 now)
{
	if (!claim_ack(s, d)) {
		stat_add(XT_STAT_RACE_LOST, 1);
		return 0;
	}
	note_turnaround(s, d, now);
	return 1;
}

/*
 * Claim a resend: a CAS of last_data_ns from the value the verdict read to
 * now, so of two CPUs holding copies of the same duplicate only one
 * resends (the other finds the time moved and drops its copy). A new ACK
 * that moved last_acked meanwhile sends the next block itself: the claim
 * is given back and the duplicate dropped. Then last_resent = the block
 * (the echo rule's memory). The duplicate is counted here either way
 * (dup_acks counts every duplicate ACK, answered or not, as userspace's
 * xfer does; dup_resends the answered ones): the tier that claims is the
 * one that counts, so an ACK XDP hands to TC is counted once.
 */
static __always_inline int claim_resend(struct session_value *s, const struct ack_decision *d,
					__u64 now)
{
	count_dup_ack(s);
	if (__sync_val_compare_and_swap(&s->last_data_ns, d->seen_data_ns, now) !=
	    d->seen_data_ns)
		return 0;
	if (READ_ONCE(s->last_acked) != d->seen_acked) {
		__sync_val_compare_and_swap(&s->last_data_ns, now, d->seen_data_ns);
		return 0;
	}
	WRITE_ONCE(s->last_resent, d->first);
	return 1;
}

/* Claim what settle_ack decided to send (ACK_NEW or ACK_RESEND). 1 = ours;
 * 0 = another CPU has it (counted): the caller drops the ACK. */
static __always_inline int claim_send(struct session_value *s, const struct ack_decision *d,
				      __u64 now)
{
	return d->resend ? claim_resend(s, d, now) : claim_new_ack(s, d, now);
}

/* Give back a claim nothing came of (the frame could not be written). */
static __always_inline void unclaim_send(struct session_value *s, const struct ack_decision *d,
					 __u64 now)
{
	if (d->resend) {
		__sync_val_compare_and_swap(&s->last_resent, d->first, d->seen_resent);
		__sync_val_compare_and_swap(&s->last_data_ns, now, d->seen_data_ns);
	} else {
		unclaim_ack(s, d);
	}
}

/* The tier's DATA counters for nblocks blocks of bytes payload sent. */
static __always_inline void count_data(struct session_value *s, __u32 nblocks, __u64 bytes, int tc)
{
	__sync_fetch_and_add(&s->bytes_sent, bytes);
	if (tc) {
		__sync_fetch_and_add(&s->blocks_tc, nblocks);
		stat_add(XT_STAT_DATA_TC, nblocks);
		stat_add(XT_STAT_BYTES_TC, bytes);
	} else {
		__sync_fetch_and_add(&s->blocks_xdp, nblocks);
		stat_add(XT_STAT_DATA_XDP, nblocks);
		stat_add(XT_STAT_BYTES_XDP, bytes);
	}
}

/*
 * Advance the session after blocks d->first..last_sent_now went out (or
 * were dropped by fault injection, accounted as sent). A resend leaves
 * last_sent and last_ack_ns alone (last_data_ns was set by its claim) and
 * is counted as one.
 */
static __always_inline void commit_send(struct session_value *s, const struct ack_decision *d,
					__u32 last_sent_now, __u32 nblocks, __u64 bytes,
					__u64 now, int tc)
{
	if (d->resend) {
		__sync_fetch_and_add(&s->dup_resends, nblocks);
		stat_add(XT_STAT_DUP_RESEND, nblocks);
	} else {
		WRITE_ONCE(s->last_sent, last_sent_now);
		s->last_ack_ns = now;
		s->last_data_ns = now;
	}
	count_data(s, nblocks, bytes, tc);
}

/* ---- fault injection (xtftp_inject.h) ------------------------------------- */

/* The fault injection setting if it applies to this ACK's client, else
 * NULL. Checked once per ACK; xt_inject_block_fault() then per block. */
static __always_inline const struct xt_inject *inject_for(const struct tftp_ack *ack)
{
	__u32 zero = 0;
	const struct xt_inject *c = bpf_map_lookup_elem(&XT_MAP_INJECT, &zero);

	if (!c || !xt_inject_client_matches(c, ack->key.family, ack->key.client_addr,
					    ack->src_mac))
		return NULL;
	return c;
}

/* Payload length of block blk without touching the pool (for a dropped
 * block, which is accounted as sent). */
static __always_inline __u32 block_len(const struct session_value *s, __u32 blk)
{
	__u64 off = (__u64)(blk - 1) * s->blksize;

	if (blk == 0 || off >= s->image_size)
		return 0;
	return s->image_size - off < s->blksize ? (__u32)(s->image_size - off) : s->blksize;
}

/* ---- blocks in the image pool -------------------------------------------- */

struct block_src {
	struct pool_chunk *chunk;   /* NULL when len == 0 */
	__u32 in_off;               /* < XT_CHUNK_DATA */
	__u32 len;                  /* <= blksize <= XT_KERN_MAX_BLKSIZE */
	__u32 csum;                 /* unfolded sum of the payload */
};

/* Where a located block's bytes start in its chunk (see xt_bound_chunk_off). */
static __always_inline const __u8 *block_data(const struct block_src *b)
{
	return b->chunk->data + xt_bound_chunk_off(b->in_off);
}

/*
 * Locate block blk (absolute, 1-based) of the session's image: bytes
 * [(blk-1)*blksize, min(blk*blksize, image_size)). The chunk must belong
 * to the image, so nothing outside it can ever be sent. The payload's
 * checksum comes from the session's block checksum table when it has one
 * (a table entry names no bytes that are sent: a wrong one could only spoil
 * the checksum), else it is summed here. Returns 0 or an enum xt_stat pass
 * reason.
 */
static __always_inline int block_locate(const struct session_value *s, __u32 blk,
					struct block_src *b)
{
	__u64 image_size = s->image_size;
	__u32 blksize = s->blksize;
	__u64 off, rest, chunk_rel, n_chunks;
	__u32 idx;
	__s64 sum;

	if (blk == 0 || blksize == 0 || blksize > XT_KERN_MAX_BLKSIZE)
		return XT_STAT_PASS_BAD_SESSION;
	off = (__u64)(blk - 1) * blksize;
	if (off > image_size)
		return XT_STAT_PASS_BAD_SESSION;
	rest = image_size - off;
	b->len = rest < blksize ? (__u32)rest : blksize;
	b->chunk = NULL;
	b->in_off = 0;
	b->csum = 0;
	if (b->len == 0)
		return 0;       /* zero-length final block */

	chunk_rel = off / XT_CHUNK_DATA;
	n_chunks = (image_size + XT_CHUNK_DATA - 1) / XT_CHUNK_DATA;
	if (chunk_rel >= n_chunks)
		return XT_STAT_PASS_BAD_SESSION;
	idx = s->first_chunk + (__u32)chunk_rel;
	b->chunk = bpf_map_lookup_elem(&XT_MAP_IMAGE_POOL, &idx);
	if (!b->chunk)
		return XT_STAT_PASS_HELPER_FAILED;
	b->in_off = off & (XT_CHUNK_DATA - 1);
	/* The stored sum when the session has a table (xtftp_kern.h): one
	 * array lookup instead of bpf_csum_diff over the payload. */
	if (s->sums_ref) {
		const struct pool_chunk *t;

		idx = s->sums_ref - 1 + (blk - 1) / XT_SUMS_PER_CHUNK;
		t = bpf_map_lookup_elem(&XT_MAP_IMAGE_POOL, &idx);
		if (t) {
			b->csum = *(const __u32 *)(t->data + xt_bound_sum_off((blk - 1) * 4));
			return 0;
		}
	}
	sum = csum_pool_block(block_data(b), b->len);
	if (sum < 0)
		return XT_STAT_PASS_HELPER_FAILED;
	b->csum = (__u32)sum;
	return 0;
}

/* ---- reply headers --------------------------------------------------------- */

/* Layer 2 of the reply: MACs swapped, the tag kept (only the first
 * l3_off bytes are written). */
struct reply_l2 {
	__u8 h_dest[ETH_ALEN];
	__u8 h_source[ETH_ALEN];
	__be16 proto0;      /* ethertype, or the TPID when tagged */
	__be16 tci;
	__be16 proto1;      /* ethertype after the tag */
};

struct reply_v4 {
	struct iphdr ip;
	struct udphdr udp;
	struct xt_tftp_hdr tftp;
};

struct reply_v6 {
	struct ipv6hdr ip6;
	struct udphdr udp;
	struct xt_tftp_hdr tftp;
};

union reply_l3 {
	struct reply_v4 v4;
	struct reply_v6 v6;
};

static __always_inline void build_reply_l2(const struct tftp_ack *ack, struct reply_l2 *l2)
{
	__be16 l3proto = ack->key.family == XT_FAMILY_INET ? bpf_htons(ETH_P_IP) :
							 bpf_htons(ETH_P_IPV6);

	__builtin_memcpy(l2->h_dest, ack->src_mac, ETH_ALEN);
	__builtin_memcpy(l2->h_source, ack->dst_mac, ETH_ALEN);
	if (ack->vlan_in_frame) {
		l2->proto0 = ack->tpid;
		l2->tci = ack->tci;
		l2->proto1 = l3proto;
	} else {
		l2->proto0 = l3proto;
		l2->tci = 0;
		l2->proto1 = 0;
	}
}

/* UDP checksum of the reply: pseudo-header + UDP header + TFTP header +
 * payload; 0 is sent as 0xffff (0 means "none" in IPv4 and is illegal in
 * IPv6). addrs: source and destination, contiguous in the IP header. */
static __always_inline __u16 udp_csum_finish(__u64 addr_sum, __be16 udp_len,
					     const void *udp_and_tftp, __u32 payload_sum)
{
	__u64 sum = addr_sum;
	__u16 c;

	sum += bpf_htons(IPPROTO_UDP);
	sum += udp_len;
	sum += csum_words(udp_and_tftp, XT_UDP_TFTP_HDRS);
	sum += payload_sum;
	c = ~csum_fold64(sum);
	return c ? c : 0xffff;
}

/* UDP and TFTP DATA headers of the reply, the same for IPv4 and IPv6 but
 * for the sum of the addresses in the pseudo-header (addr_sum). udp and
 * tftp are contiguous (struct reply_v4/v6): the checksum covers both. */
static __always_inline void build_reply_udp(const struct tftp_ack *ack, __u32 blk,
					    const struct block_src *b, __u64 addr_sum,
					    struct udphdr *udp, struct xt_tftp_hdr *tftp)
{
	__u16 udp_len = XT_UDP_TFTP_HDRS + b->len;

	udp->source = ack->key.server_port;
	udp->dest = ack->key.client_port;
	udp->len = bpf_htons(udp_len);
	udp->check = 0;
	tftp->opcode = bpf_htons(TFTP_DATA);
	tftp->block = bpf_htons(TFTP_BLOCK_WIRE(blk));
	udp->check = udp_csum_finish(addr_sum, udp->len, udp, b->csum);
}

static __always_inline void build_reply_v4(const struct tftp_ack *ack, __u32 blk,
					   const struct block_src *b, struct reply_v4 *r)
{
	__u16 udp_len = XT_UDP_TFTP_HDRS + b->len;

	r->ip.version = 4;
	r->ip.ihl = 5;
	r->ip.tos = ack->tos;
	r->ip.tot_len = bpf_htons(sizeof(r->ip) + udp_len);
	/* DF is set, so the datagram is atomic (RFC 6864) and the ID only
	 * needs to be deterministic: the wire block number. */
	r->ip.id = bpf_htons(TFTP_BLOCK_WIRE(blk));
	r->ip.frag_off = bpf_htons(XT_IP_DF);
	r->ip.ttl = XT_TTL;
	r->ip.protocol = IPPROTO_UDP;
	r->ip.check = 0;
	__builtin_memcpy(&r->ip.saddr, ack->key.server_addr, 4);
	__builtin_memcpy(&r->ip.daddr, ack->key.client_addr, 4);
	r->ip.check = ~csum_fold64(csum_words(&r->ip, sizeof(r->ip)));
	build_reply_udp(ack, blk, b, csum_words(&r->ip.saddr, 8), &r->udp, &r->tftp);
}

static __always_inline void build_reply_v6(const struct tftp_ack *ack, __u32 blk,
					   const struct block_src *b, struct reply_v6 *r)
{
	__u16 udp_len = XT_UDP_TFTP_HDRS + b->len;

	__builtin_memcpy(&r->ip6, &ack->ip6_flow, 4); /* version, class, flow */
	r->ip6.payload_len = bpf_htons(udp_len);
	r->ip6.nexthdr = IPPROTO_UDP;
	r->ip6.hop_limit = XT_TTL;
	__builtin_memcpy(&r->ip6.saddr, ack->key.server_addr, 16);
	__builtin_memcpy(&r->ip6.daddr, ack->key.client_addr, 16);
	build_reply_udp(ack, blk, b, csum_words(&r->ip6.saddr, 32), &r->udp, &r->tftp);
}

/* Bytes of the reply frame from the start of layer 3. */
static __always_inline __u32 reply_l3_len(const struct tftp_ack *ack, const struct block_src *b)
{
	return (ack->key.family == XT_FAMILY_INET ? sizeof(struct reply_v4) :
						sizeof(struct reply_v6)) + b->len;
}

#endif /* XTFTP_BPF_TFTP_LOGIC_H */
