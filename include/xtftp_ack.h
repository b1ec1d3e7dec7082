/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The sender's ACK arithmetic, once, for the BPF programs and userspace: no
 * libc, no helpers. Include <linux/types.h> (userspace) or vmlinux.h (BPF)
 * and xtftp_block.h first.
 *
 * Blocks are absolute (__u32, block 0 = the OACK). last_acked is compared
 * signed: (__u32)-1 means nothing is acknowledged yet (only the OACK is
 * out), as in struct session_value.
 */
#ifndef XTFTP_ACK_H
#define XTFTP_ACK_H

/*
 * The last block of an octet image of size bytes: size / blksize + 1. A
 * size that is a multiple of blksize ends with an empty block, so the
 * client sees a short one (RFC 1350).
 */
static inline __attribute__((always_inline)) __u32
xt_final_block(__u64 size, __u32 blksize)
{
	return (__u32)(size / blksize + 1);
}

enum xt_ack_class {
	XT_ACK_BEFORE_START,    /* names a block before block 0: never sent */
	XT_ACK_DUP,             /* at or below last_acked: never answered
				 * (Sorcerer's Apprentice) */
	XT_ACK_NEW,             /* new: *abs is the new last_acked, send from *abs + 1 */
	XT_ACK_FINAL,           /* the final block is acknowledged: done */
	XT_ACK_PAST_FINAL,      /* names a block past the final one: the session's
				 * last_sent or final_block is wrong */
};

/*
 * Classify an ACK for wire block wire, given the highest block sent and
 * acknowledged so far and the final block (0 = not known yet: netascii
 * finds it while encoding). *abs is set to the block the ACK names (the
 * nearest at or below last_sent, xt_block_expand) for every class but
 * XT_ACK_BEFORE_START. XT_ACK_PAST_FINAL needs last_sent > final_block,
 * which a sender that stops at the final block never has: the kernel
 * passes such a session on as bad, userspace takes it as the final ACK.
 */
static inline __attribute__((always_inline)) int
xt_ack_classify(__u32 last_sent, __u32 last_acked, __u32 final_block, __u16 wire, __u32 *abs)
{
	__u32 a;

	if (!xt_block_valid(last_sent, wire))
		return XT_ACK_BEFORE_START;
	a = xt_block_expand(last_sent, wire);
	*abs = a;
	if ((__s32)a <= (__s32)last_acked)
		return XT_ACK_DUP;
	if (final_block && a > final_block)
		return XT_ACK_PAST_FINAL;
	if (final_block && a == final_block)
		return XT_ACK_FINAL;
	return XT_ACK_NEW;
}

#endif /* XTFTP_ACK_H */
