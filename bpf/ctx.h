/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What differs between the XDP and TC contexts for writing a reply, and
 * nothing else: storing bytes into the packet. reply.h's writer is
 * instantiated once per context over these, so the logic exists once.
 */
#ifndef XTFTP_BPF_CTX_H
#define XTFTP_BPF_CTX_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

static __always_inline long xdp_store_bytes(struct xdp_md *ctx, __u32 off, void *from, __u32 len)
{
	return bpf_xdp_store_bytes(ctx, off, from, len);
}

static __always_inline long skb_store_bytes(struct __sk_buff *skb, __u32 off, void *from, __u32 len)
{
	return bpf_skb_store_bytes(skb, off, from, len, 0);
}

#endif
