/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Block-number rollover arithmetic, shared by the BPF programs and
 * userspace: no libc, no helpers. Include <linux/types.h> (userspace) or
 * vmlinux.h (BPF) first, as for xtftp_kern.h.
 *
 * Sessions count blocks absolutely (__u32, 1-based, block 0 = the OACK);
 * the wire carries TFTP_BLOCK_WIRE(n) = n & 0xffff, which rolls over from
 * 65535 to 0. A 16-bit number from the wire is expanded back to the
 * absolute block at or below a reference the receiver knows:
 *
 *   ACK from a client:   ref = last block sent. The client cannot ACK a
 *                        block not yet sent, so the ACK names ref or one
 *                        of the 65535 blocks before it.
 *   DATA from a client:  ref = last block received + 1 (the block
 *                        expected): the new one, or an old duplicate.
 *
 * Why "at or below": a window never spans 65536 blocks (RFC 7440 caps
 * windowsize at 65535), so the nearest match not after ref is the only one
 * the peer can mean.
 */
#ifndef XTFTP_BLOCK_H
#define XTFTP_BLOCK_H

/*
 * The absolute block n <= ref with (n & 0xffff) == wire. When ref is so
 * small that no such n exists (e.g. ref 3, wire 65535: a block "before the
 * start"), the u32 subtraction wraps and the result is > ref: callers test
 * xt_block_expand(ref, wire) > ref to reject it (see xt_block_valid).
 */
static inline __attribute__((always_inline)) __u32
xt_block_expand(__u32 ref, __u16 wire)
{
	__u16 behind = (__u16)((__u16)ref - wire);   /* mod 65536 distance */

	return ref - behind;
}

/* 1 if wire names a block at or below ref that exists (>= 0), else 0. */
static inline __attribute__((always_inline)) int
xt_block_valid(__u32 ref, __u16 wire)
{
	return xt_block_expand(ref, wire) <= ref;
}

#endif /* XTFTP_BLOCK_H */
