/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fault injection for hardware-in-the-loop tests: drop or duplicate DATA
 * frames, with a probability or at chosen block numbers, for every client
 * or one client address / MAC. One configuration, one decision function,
 * shared by the kernel tiers (array map XT_MAP_INJECT, one entry, read before
 * each DATA frame) and the userspace engine (before each sendto of DATA), so
 * both tiers fault alike.
 *
 * drop: the frame is not sent but the session advances as if it had been,
 *       so the client's timeout and our retransmission do the recovery.
 * dup:  the frame is sent twice (the XDP tier cannot: it leaves the ACK to
 *       TC, which can).
 *
 * Userspace includes <linux/types.h> before this; BPF includes its own.
 */
#ifndef XTFTP_INJECT_H
#define XTFTP_INJECT_H

#define XT_MAP_INJECT inject_cfg

#define XT_INJECT_MAX_BLOCKS 16
#define XT_INJECT_PROB_ONE   65536u     /* prob: chance in 1/65536; this = always */

enum xt_inject_mode {
	XT_INJECT_OFF = 0,
	XT_INJECT_DROP = 1,
	XT_INJECT_DUP = 2,
};

struct xt_inject {
	__u32 mode;             /* enum xt_inject_mode */
	__u32 prob;             /* 0..XT_INJECT_PROB_ONE, per DATA frame */
	__u8  family;           /* client filter: 0 any, XT_FAMILY_INET/INET6 */
	__u8  has_mac;          /* 1: only the client with this MAC */
	__u8  mac[6];
	__u8  addr[16];         /* as session_key.client_addr (v4 in the first 4) */
	__u32 n_blocks;         /* 0: any block, retransmissions too; else only
				 * the first transmission of these blocks */
	__u32 blocks[XT_INJECT_MAX_BLOCKS]; /* absolute block numbers (1-based) */
};

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

/* Does the client filter of c (mode on) match this client? family/addr as
 * in session_key, mac: its link address, NULL when unknown (a MAC filter
 * then never matches). 1 yes, 0 no. */
static __always_inline int xt_inject_client_matches(const struct xt_inject *c, __u8 family,
						    const __u8 *addr, const __u8 *mac)
{
	int i;

	if (c->mode != XT_INJECT_DROP && c->mode != XT_INJECT_DUP)
		return 0;
	if (c->family) {
		if (c->family != family)
			return 0;
		for (i = 0; i < 16; i++)
			if (c->addr[i] != addr[i])
				return 0;
	}
	if (c->has_mac) {
		if (!mac)
			return 0;
		for (i = 0; i < 6; i++)
			if (c->mac[i] != mac[i])
				return 0;
	}
	return 1;
}

/* For a client that matches: fault DATA blk? first_send: 1 unless it is a
 * retransmission; rnd: a random number (low 16 bits used). Returns enum
 * xt_inject_mode: XT_INJECT_OFF (send normally), DROP or DUP. Early
 * returns only, so the BPF verifier walks it in linear time. */
static __always_inline __u32 xt_inject_block_fault(const struct xt_inject *c, __u32 blk,
						   int first_send, __u32 rnd)
{
	__u32 n = c->n_blocks;
	int i;

	if (c->prob < XT_INJECT_PROB_ONE && (rnd & 0xffff) >= c->prob)
		return XT_INJECT_OFF;
	if (!n)
		return c->mode;
	if (!first_send)
		return XT_INJECT_OFF;
	for (i = 0; i < XT_INJECT_MAX_BLOCKS; i++) {
		if ((__u32)i >= n)
			return XT_INJECT_OFF;
		if (c->blocks[i] == blk)
			return c->mode;
	}
	return XT_INJECT_OFF;
}

/* Both: should this DATA frame be faulted? (the userspace engine's call) */
static __always_inline __u32 xt_inject_decide(const struct xt_inject *c, __u8 family,
					      const __u8 *addr, const __u8 *mac, __u32 blk,
					      int first_send, __u32 rnd)
{
	if (!c || !xt_inject_client_matches(c, family, addr, mac))
		return XT_INJECT_OFF;
	return xt_inject_block_fault(c, blk, first_send, rnd);
}

#endif /* XTFTP_INJECT_H */
