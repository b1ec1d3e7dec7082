// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Fault injection (include/xtftp_inject.h) in the XDP and TC programs under
 * BPF_PROG_TEST_RUN: the inject_cfg map set as xtftpctl inject would, a
 * crafted ACK in, and then exactly what must happen:
 *   drop at a chosen block: nothing sent (XDP_DROP / TC_ACT_SHOT), the
 *     session advanced as if sent, inject_drop counted;
 *   drop at prob 1.0: the same for any block;
 *   another block, another client address or MAC: the normal DATA frame;
 *   dup: XDP leaves it to TC (pass_inject), TC sends the frame plus a clone;
 *   TC window with a dropped first, middle or last block: the frames that do
 *     leave are exact (layer 2 written by the first block actually built).
 * One line per subtest; exit 0 all passed, 1 any failed, 77 not root/no BPF.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <linux/types.h>
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "xtftp_kern.h"
#include "xtftp_inject.h"
#include "xtftp_wire.h"
#include "xtftp.skel.h"

#include "harness.h"

static int inject_set(const struct xt_inject *c)
{
	__u32 key = 0;

	return bpf_map_update_elem(bpf_map__fd(skel->maps.inject_cfg), &key, c, BPF_ANY) ? -errno : 0;
}

static void inject_off(void)
{
	struct xt_inject c = { 0 };

	inject_set(&c);
}

static uint32_t block_bytes(const struct image *img, uint32_t blksize, uint32_t blk)
{
	uint64_t off = (uint64_t)(blk - 1) * blksize;

	return off >= img->size ? 0 : (img->size - off < blksize ? img->size - off : blksize);
}

/* One ACK for block ack_blk (session last_sent = ack_blk, window 1) with
 * fault injection c: dropped (want_drop) or answered with the exact DATA. */
static void one_block(int tc, const struct xt_inject *c, uint32_t ack_blk, int want_drop)
{
	static uint8_t in[FRAME_MAX], want[FRAME_MAX];
	struct bpf_program *prog = tc ? skel->progs.tc_tftp : skel->progs.xdp_tftp;
	uint64_t drop0 = stat_read(XT_STAT_INJECT_DROP);
	uint64_t data0 = stat_read(tc ? XT_STAT_DATA_TC : XT_STAT_DATA_XDP);
	uint32_t blk = ack_blk + 1;
	struct session_value v;
	struct flow fl;
	struct run r;
	size_t n, wlen;

	flow_init(&fl, 4, 0);
	if (inject_set(c) || session_put(&fl, lo_ifindex, &img_a, 512, 1, ack_blk, ack_blk - 1,
					 XT_SESS_ACTIVE)) {
		CHECK(0, "setup: %s", strerror(errno));
		return;
	}
	n = build_ack(in, &fl, ack_blk & 0xffff);
	wlen = build_data(want, &fl, &img_a, 512, blk);
	run_prog(prog, in, n, 0, &r);
	CHECK(r.err == 0, "test run: %s", strerror(-r.err));
	if (want_drop) {
		CHECK(r.retval == (tc ? (unsigned)TC_ACT_SHOT : XDP_DROP), "retval %u, want drop",
		      r.retval);
		CHECK(stat_read(XT_STAT_INJECT_DROP) == drop0 + 1, "inject_drop did not go up by 1");
		CHECK(session_get(&fl, lo_ifindex, &v) == 0 && v.inject_drops == 1,
		      "session inject_drops %u, want 1", v.inject_drops);
	} else {
		CHECK(r.retval == (tc ? TC_ACT_REDIRECT : XDP_TX), "retval %u, want DATA out",
		      r.retval);
		check_frame(&r, want, wlen);
		CHECK(stat_read(XT_STAT_INJECT_DROP) == drop0, "inject_drop counted a frame sent");
	}
	/* sent or dropped, the session advances the same way */
	CHECK(session_get(&fl, lo_ifindex, &v) == 0, "session vanished");
	CHECK(v.last_sent == blk && v.last_acked == ack_blk, "last_sent %u last_acked %u, want %u %u",
	      v.last_sent, v.last_acked, blk, ack_blk);
	CHECK(v.bytes_sent == block_bytes(&img_a, 512, blk), "bytes_sent %llu",
	      (unsigned long long)v.bytes_sent);
	CHECK(stat_read(tc ? XT_STAT_DATA_TC : XT_STAT_DATA_XDP) == data0 + 1,
	      "DATA counter did not go up by 1");
	session_del(&fl, lo_ifindex);
	inject_off();
}

static struct xt_inject drop_blocks(uint32_t a, uint32_t b)
{
	struct xt_inject c = { .mode = XT_INJECT_DROP, .prob = XT_INJECT_PROB_ONE, .n_blocks = 2 };

	c.blocks[0] = a;
	c.blocks[1] = b;
	return c;
}

static void test_dup(int tc)
{
	static uint8_t in[FRAME_MAX], want[FRAME_MAX];
	struct xt_inject c = { .mode = XT_INJECT_DUP, .prob = XT_INJECT_PROB_ONE };
	struct bpf_program *prog = tc ? skel->progs.tc_tftp : skel->progs.xdp_tftp;
	uint64_t dup0 = stat_read(XT_STAT_INJECT_DUP), pass0 = stat_read(XT_STAT_PASS_INJECT);
	struct session_value v;
	struct flow fl;
	struct run r;
	size_t n, wlen;

	flow_init(&fl, 6, 0);
	if (inject_set(&c) || session_put(&fl, lo_ifindex, &img_a, 1468, 1, 7, 6, XT_SESS_ACTIVE)) {
		CHECK(0, "setup: %s", strerror(errno));
		return;
	}
	n = build_ack(in, &fl, 7);
	wlen = build_data(want, &fl, &img_a, 1468, 8);
	run_prog(prog, in, n, 0, &r);
	CHECK(r.err == 0, "test run: %s", strerror(-r.err));
	CHECK(session_get(&fl, lo_ifindex, &v) == 0, "session vanished");
	if (!tc) {
		/* XDP_TX sends one frame: the ACK goes on to TC untouched */
		CHECK(r.retval == XDP_PASS, "retval %u, want XDP_PASS", r.retval);
		CHECK(r.size_out == n && !memcmp(r.out, in, n), "the passed ACK was modified");
		CHECK(stat_read(XT_STAT_PASS_INJECT) == pass0 + 1, "pass_inject did not go up by 1");
		CHECK(v.last_sent == 7 && v.last_acked == 6, "XDP advanced a session it passed on");
	} else {
		CHECK(r.retval == TC_ACT_REDIRECT, "retval %u", r.retval);
		check_frame(&r, want, wlen);
		CHECK(stat_read(XT_STAT_INJECT_DUP) == dup0 + 1, "inject_dup did not go up by 1");
		CHECK(v.last_sent == 8 && v.blocks_tc == 1, "last_sent %u blocks_tc %u", v.last_sent,
		      v.blocks_tc);
	}
	session_del(&fl, lo_ifindex);
	inject_off();
}

/* TC window 4 from ACK 5 (blocks 6..9) with block `dropped` dropped: the
 * skb that leaves is block 9 unless 9 was dropped (then nothing leaves). */
static void test_tc_window(uint32_t dropped)
{
	static uint8_t in[FRAME_MAX], want[FRAME_MAX];
	struct xt_inject c = drop_blocks(dropped, dropped);
	uint64_t drop0 = stat_read(XT_STAT_INJECT_DROP), data0 = stat_read(XT_STAT_DATA_TC);
	struct session_value v;
	struct flow fl;
	struct run r;
	size_t n, wlen;

	c.n_blocks = 1;
	flow_init(&fl, 4, 1);
	if (inject_set(&c) || session_put(&fl, lo_ifindex, &img_a, 1428, 4, 5, 4, XT_SESS_ACTIVE)) {
		CHECK(0, "setup: %s", strerror(errno));
		return;
	}
	n = build_ack(in, &fl, 5);
	wlen = build_data(want, &fl, &img_a, 1428, 9);
	run_prog(skel->progs.tc_tftp, in, n, 0, &r);
	CHECK(r.err == 0, "test run: %s", strerror(-r.err));
	if (dropped == 9) {
		CHECK(r.retval == (unsigned)TC_ACT_SHOT, "retval %u, want SHOT", r.retval);
	} else {
		CHECK(r.retval == TC_ACT_REDIRECT, "retval %u", r.retval);
		check_frame(&r, want, wlen);
	}
	CHECK(stat_read(XT_STAT_INJECT_DROP) == drop0 + 1, "inject_drop did not go up by 1");
	CHECK(stat_read(XT_STAT_DATA_TC) == data0 + 4, "DATA_TC +%llu, want 4 (the drop counts as sent)",
	      (unsigned long long)(stat_read(XT_STAT_DATA_TC) - data0));
	CHECK(session_get(&fl, lo_ifindex, &v) == 0, "session vanished");
	CHECK(v.last_sent == 9 && v.last_acked == 5, "last_sent %u last_acked %u", v.last_sent,
	      v.last_acked);
	CHECK(v.bytes_sent == 4 * 1428, "bytes_sent %llu", (unsigned long long)v.bytes_sent);
	session_del(&fl, lo_ifindex);
	inject_off();
}

/* TC window 2 from ACK 5 with block 6 dropped: block 7 leaves as the skb,
 * exact, with its layer 2 (the first block built writes it). */
static void test_tc_window_first_dropped(void)
{
	static uint8_t in[FRAME_MAX], want[FRAME_MAX];
	struct xt_inject c = drop_blocks(6, 6);
	struct session_value v;
	struct flow fl;
	struct run r;
	size_t n, wlen;

	c.n_blocks = 1;
	flow_init(&fl, 6, 1);
	if (inject_set(&c) || session_put(&fl, lo_ifindex, &img_a, 1428, 2, 5, 4, XT_SESS_ACTIVE)) {
		CHECK(0, "setup: %s", strerror(errno));
		return;
	}
	n = build_ack(in, &fl, 5);
	wlen = build_data(want, &fl, &img_a, 1428, 7);
	run_prog(skel->progs.tc_tftp, in, n, 0, &r);
	CHECK(r.err == 0, "test run: %s", strerror(-r.err));
	CHECK(r.retval == TC_ACT_REDIRECT, "retval %u", r.retval);
	check_frame(&r, want, wlen);
	CHECK(session_get(&fl, lo_ifindex, &v) == 0 && v.last_sent == 7, "session not at block 7");
	session_del(&fl, lo_ifindex);
	inject_off();
}

int main(void)
{
	struct xt_inject c;
	struct flow fl;
	int err;

	err = harness_load();
	if (err)
		return err;

	for (int tc = 0; tc < 2; tc++) {
		const char *p = tc ? "tc" : "xdp";
		char name[64];

		c = drop_blocks(7, 300);
		one_block(tc, &c, 6, 1);
		snprintf(name, sizeof(name), "%s_drop_at_chosen_block", p);
		report(name);
		one_block(tc, &c, 7, 0);
		snprintf(name, sizeof(name), "%s_other_block_sent", p);
		report(name);

		c = (struct xt_inject){ .mode = XT_INJECT_DROP, .prob = XT_INJECT_PROB_ONE };
		one_block(tc, &c, 20, 1);
		snprintf(name, sizeof(name), "%s_drop_prob_1", p);
		report(name);

		c = (struct xt_inject){ .mode = XT_INJECT_DROP, .prob = 0 };
		one_block(tc, &c, 21, 0);
		snprintf(name, sizeof(name), "%s_drop_prob_0_sends", p);
		report(name);

		/* client filters: the flow's client is 198.18.0.2, MAC 02:..:c1 */
		flow_init(&fl, 4, 0);
		c = (struct xt_inject){ .mode = XT_INJECT_DROP, .prob = XT_INJECT_PROB_ONE,
					.family = XT_FAMILY_INET };
		inet_pton(AF_INET, "198.18.0.99", c.addr);
		one_block(tc, &c, 30, 0);
		snprintf(name, sizeof(name), "%s_other_client_ip_sent", p);
		report(name);
		memcpy(c.addr, fl.client_addr, 4);
		one_block(tc, &c, 31, 1);
		snprintf(name, sizeof(name), "%s_client_ip_dropped", p);
		report(name);

		c = (struct xt_inject){ .mode = XT_INJECT_DROP, .prob = XT_INJECT_PROB_ONE, .has_mac = 1 };
		memcpy(c.mac, fl.client_mac, 6);
		c.mac[5] ^= 1;
		one_block(tc, &c, 40, 0);
		snprintf(name, sizeof(name), "%s_other_client_mac_sent", p);
		report(name);
		memcpy(c.mac, fl.client_mac, 6);
		one_block(tc, &c, 41, 1);
		snprintf(name, sizeof(name), "%s_client_mac_dropped", p);
		report(name);

		test_dup(tc);
		snprintf(name, sizeof(name), "%s_dup", p);
		report(name);
	}
	test_tc_window(7);
	report("tc_window_middle_dropped");
	test_tc_window(9);
	report("tc_window_last_dropped");
	test_tc_window_first_dropped();
	report("tc_window_first_dropped_l2_exact");

	harness_unload();
	printf("%d inject subtests passed, %d failed\n", n_pass, n_fail);
	return n_fail ? 1 : 0;
}
