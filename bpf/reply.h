/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Writing a DATA reply into the packet that carried the ACK, once for both
 * program types: DEFINE_WRITE_REPLY(name, ctx type, store shim from ctx.h,
 * inline attribute) makes
 *
 *   int name(ctx, ack, blk, b, with_l2)
 *
 * which writes the Ethernet header (with_l2; TC's window loop writes it
 * only for the first frame), the IPv4 or IPv6 and UDP headers and the
 * block's payload from the image pool into a packet that already has the
 * reply's length. 0 or a negative errno. A macro, not a function taking
 * the context as void *: each program type's helper must be called with
 * its own context type for the verifier.
 */
#ifndef XTFTP_BPF_REPLY_H
#define XTFTP_BPF_REPLY_H

#include "ctx.h"
#include "tftp_logic.h"

#define DEFINE_WRITE_REPLY(name, ctx_type, store, inline_attr)				\
static inline_attr int name(ctx_type *ctx, const struct tftp_ack *ack, __u32 blk,	\
			    const struct block_src *b, int with_l2)			\
{											\
	union reply_l3 r;								\
	__u32 l3_off = ack->l3_off;							\
	int err = 0;									\
											\
	if (with_l2) {									\
		struct reply_l2 l2;							\
											\
		build_reply_l2(ack, &l2);						\
		if (ack->vlan_in_frame)							\
			err = store(ctx, 0, &l2, sizeof(l2));				\
		else									\
			err = store(ctx, 0, &l2, ETH_HLEN);				\
		if (err)								\
			return err;							\
	}										\
	if (ack->key.family == XT_FAMILY_INET) {					\
		build_reply_v4(ack, blk, b, &r.v4);					\
		err = store(ctx, l3_off, &r.v4, sizeof(r.v4));				\
		l3_off += sizeof(r.v4);							\
	} else {									\
		build_reply_v6(ack, blk, b, &r.v6);					\
		err = store(ctx, l3_off, &r.v6, sizeof(r.v6));				\
		l3_off += sizeof(r.v6);							\
	}										\
	if (err)									\
		return err;								\
	if (b->len == 0)								\
		return 0;								\
	if (!b->chunk || b->len > XT_CHUNK_OVERLAP)					\
		return -EINVAL;								\
	return store(ctx, l3_off, (void *)block_data(b), xt_bound_copy_len(b->len));	\
}

#endif
