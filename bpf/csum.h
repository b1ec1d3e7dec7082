/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Internet checksum (RFC 1071) pieces for the frame builder.
 *
 * All sums here are taken over 16-bit words exactly as they lie in memory
 * (network byte order bytes read as native __u16), which is what
 * bpf_csum_diff (csum_partial) does too: the one's complement sum is
 * byte-order independent as long as every term is read the same way, and
 * the folded result is then stored back into the header unchanged.
 */
#ifndef XTFTP_BPF_CSUM_H
#define XTFTP_BPF_CSUM_H

#include <linux/types.h>
#include <bpf/bpf_helpers.h>
#include "xtftp_kern.h"

/* bpf_csum_diff takes at most this many bytes per call (the kernel's
 * scratch buffer), in multiples of 4. */
#define XT_CSUM_DIFF_MAX 512

/*
 * Bounds every supported verifier can see. A range learnt from a comparison
 * is fragile: clang may test one copy of a value and use another (a spilled
 * one, or a pointer it precomputed), and Debian 12's 6.1 and Debian's 6.12
 * verifiers then lose the bound (6.1 rejected the payload store as "size=0",
 * 6.12 the tail read of the checksum as "off=67584"). A mask applied to the
 * very register that is used carries its range in the arithmetic itself;
 * the empty asm hides the value from clang so it cannot drop the mask as
 * redundant after the comparisons that make it a no-op at run time.
 */
static __always_inline __u32 xt_opaque_u32(__u32 v)
{
	asm volatile("" : "+r"(v));
	return v;
}

/* len, known by the caller to be 1..XT_CHUNK_OVERLAP, as 1..XT_CHUNK_OVERLAP. */
static __always_inline __u32 xt_bound_copy_len(__u32 len)
{
	return ((xt_opaque_u32(len) - 1) & (XT_CHUNK_OVERLAP - 1)) + 1;
}

/* An offset into a chunk value, known to be < XT_CHUNK_DATA, as such. */
static __always_inline __u32 xt_bound_chunk_off(__u32 off)
{
	return xt_opaque_u32(off) & (XT_CHUNK_DATA - 1);
}

/* The byte offset of a block's entry in a checksum table chunk, from
 * (blk - 1) * 4: 4-aligned and inside the chunk (XT_SUMS_PER_CHUNK). */
static __always_inline __u32 xt_bound_sum_off(__u32 off)
{
	return xt_opaque_u32(off) & (XT_CHUNK_DATA - 4);
}

/* Fold a 64-bit running sum to 16 bits (no complement). */
static __always_inline __u16 csum_fold64(__u64 sum)
{
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)sum;
}

/* Sum n (constant, even) bytes of a stack object as 16-bit words. */
static __always_inline __u64 csum_words(const void *p, const int n)
{
	const __u16 *w = p;
	__u64 sum = 0;
	int i;

#pragma unroll
	for (i = 0; i < n / 2; i++)
		sum += w[i];
	return sum;
}

/*
 * Sum of len bytes of a block in an image pool value, where ptr points into
 * the value at an offset below XT_CHUNK_DATA and len <= XT_CHUNK_OVERLAP:
 * both bounds are what lets the verifier prove every access lies inside the
 * value (offset + len <= XT_CHUNK_SIZE). The 4-byte-aligned part goes
 * through bpf_csum_diff in pieces of at most 512 bytes at constant offsets;
 * the 0-3 trailing bytes through a zero-padded 4-byte stack word. The block
 * starts at an even offset of the UDP payload, so the word pairing matches
 * the packet's. Returns an unfolded 32-bit sum (0 for len 0), or a negative
 * value if a helper refused.
 */
static __always_inline __s64 csum_pool_block(const __u8 *ptr, __u32 len)
{
	__u32 len4 = len & ~3u;
	__u32 tail = len & 3u;
	__u64 sum = 0;
	__s64 part;
	__u32 word = 0;
	__u32 pos;
	int i;

	if (len > XT_CHUNK_OVERLAP)
		return -1;
#pragma unroll
	for (i = 0; i < XT_CHUNK_OVERLAP / XT_CSUM_DIFF_MAX; i++) {
		__u32 done = i * XT_CSUM_DIFF_MAX;
		__u32 piece;

		if (len4 <= done)
			break;
		piece = len4 - done;
		if (piece > XT_CSUM_DIFF_MAX)
			piece = XT_CSUM_DIFF_MAX;
		/* 4..512 in steps of 4 by arithmetic (6.1 lost the bound the
		 * comparison gave through a 32-bit register copy) */
		piece = ((xt_opaque_u32(piece) - 4) & (XT_CSUM_DIFF_MAX - 4)) + 4;
		part = bpf_csum_diff(NULL, 0, (__be32 *)(ptr + done), piece, 0);
		if (part < 0)
			return part;
		sum += (__u32)part;
	}
	/* The 1-3 trailing bytes into a zeroed word. With a tail, len4 <=
	 * XT_CHUNK_OVERLAP - 4, so the three bytes at len4 are inside the value
	 * (bytes past the block are read and masked out, never summed). The
	 * mask puts that bound on the register the reads use. */
	if (tail) {
		const __u8 *t;

		pos = xt_opaque_u32(len4) & (XT_CHUNK_OVERLAP - 4);
		t = ptr + pos;
		((__u8 *)&word)[0] = t[0];
		((__u8 *)&word)[1] = tail > 1 ? t[1] : 0;
		((__u8 *)&word)[2] = tail > 2 ? t[2] : 0;
	}
	sum += (__u32)word & 0xffff;
	sum += (__u32)word >> 16;
	return csum_fold64(sum);
}

#endif /* XTFTP_BPF_CSUM_H */
