// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * XDP_PASS on the client end of the test veth pair. Why: a frame the
 * server's XDP program sends back with XDP_TX reaches the peer veth as an
 * xdp_frame, which the peer delivers only from NAPI. Measured on kernel
 * 6.18: "ethtool -K gro on" on the peer is not enough (those frames are
 * lost), an attached XDP program is. Built by make tests (clang).
 */
#include <linux/bpf.h>

__attribute__((section("xdp"), used))
int xdp_pass(struct xdp_md *ctx)
{
	(void)ctx;
	return XDP_PASS;
}

char LICENSE[] __attribute__((section("license"), used)) = "GPL";
