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
 *     leave are exact (layer 2 written by the first block actually built);
 *   a resend on a duplicate ACK (xtftp_rto.h rule 2) is a retransmission:
 *     a block list (first transmissions only) never faults it, prob 1.0
 *     without a list drops it (counted as resent and as dropped).
 * The clones TC sends (the window's other blocks, the dup's copy) leave
 * through bpf_clone_redirect, not in the returned frame: those cases run
 * again on a veth pair in a private network namespace and the peer
 * captures them (AF_PACKET): exactly the blocks that must leave, byte for
 * byte, and none that was dropped (a marker frame sent after the run ends
 * the capture: the queue is in order on one CPU).
 * One line per subtest; exit 0 all passed, 1 any failed, 77 not root/no BPF.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <sys/socket.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
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

/* A duplicate ACK of block 4 (DATA 5 out 50 ms ago, past the gap) with
 * fault injection c: the resend of 5 dropped (want_drop) or sent exactly. */
static void one_resend(int tc, const struct xt_inject *c, int want_drop)
{
	static uint8_t in[FRAME_MAX], want[FRAME_MAX];
	struct bpf_program *prog = tc ? skel->progs.tc_tftp : skel->progs.xdp_tftp;
	uint64_t drop0 = stat_read(XT_STAT_INJECT_DROP), resend0 = stat_read(XT_STAT_DUP_RESEND);
	struct session_value v;
	struct flow fl;
	struct run r;
	size_t n, wlen;

	flow_init(&fl, 4, 0);
	if (inject_set(c) || session_put(&fl, lo_ifindex, &img_a, 512, 1, 5, 4, XT_SESS_ACTIVE) ||
	    session_timing(&fl, lo_ifindex, mono_ns() - 50000000ull, 1000000ull, 500000ull, 0)) {
		CHECK(0, "setup: %s", strerror(errno));
		return;
	}
	n = build_ack(in, &fl, 4);
	wlen = build_data(want, &fl, &img_a, 512, 5);
	run_prog(prog, in, n, 0, &r);
	CHECK(r.err == 0, "test run: %s", strerror(-r.err));
	CHECK(session_get(&fl, lo_ifindex, &v) == 0, "session vanished");
	if (want_drop) {
		CHECK(r.retval == (tc ? (unsigned)TC_ACT_SHOT : XDP_DROP), "retval %u, want drop",
		      r.retval);
		CHECK(stat_read(XT_STAT_INJECT_DROP) == drop0 + 1, "inject_drop did not go up by 1");
		CHECK(v.inject_drops == 1, "session inject_drops %u, want 1", v.inject_drops);
	} else {
		CHECK(r.retval == (tc ? TC_ACT_REDIRECT : XDP_TX), "retval %u, want DATA out",
		      r.retval);
		check_frame(&r, want, wlen);
		CHECK(stat_read(XT_STAT_INJECT_DROP) == drop0, "inject_drop counted a frame sent");
	}
	/* sent or dropped, accounted as a resend; last_sent stays */
	CHECK(v.last_sent == 5 && v.last_acked == 4 && v.last_resent == 5 && v.dup_resends == 1,
	      "last_sent %u last_acked %u last_resent %u dup_resends %u, want 5 4 5 1",
	      v.last_sent, v.last_acked, v.last_resent, v.dup_resends);
	CHECK(stat_read(XT_STAT_DUP_RESEND) == resend0 + 1, "dup_resend did not go up by 1");
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

/* ---- clones captured on a veth pair ------------------------------------------ */

#define MARKER_PROTO 0x88b5     /* IEEE local experimental ethertype */

static int packet_socket(unsigned int ifindex)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL),
				   .sll_ifindex = (int)ifindex };
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));

	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll))) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

/*
 * After a run on ifa: send a marker frame out of ifa (tx) and collect, from
 * rx on the peer, the DATA frames of the flow until the marker arrives
 * (3 s at most). Each must be byte for byte the frame build_data makes;
 * their block numbers go to blocks[] in arrival order. Returns how many,
 * or -1 (a frame differs, or no marker).
 */
static int capture_until_marker(int tx, int rx, unsigned int ifa, const struct flow *fl,
				const struct image *img, uint16_t blksize, uint32_t *blocks, int max)
{
	static uint8_t buf[FRAME_MAX], want[FRAME_MAX];
	uint8_t marker[60] = { 0 };
	struct sockaddr_ll to = { .sll_family = AF_PACKET, .sll_ifindex = (int)ifa, .sll_halen = 6 };
	struct timespec t0, t;
	int n = 0;

	memcpy(marker, fl->client_mac, 6);
	memcpy(marker + 6, fl->server_mac, 6);
	put16(marker + 12, MARKER_PROTO);
	memcpy(to.sll_addr, fl->client_mac, 6);
	if (sendto(tx, marker, sizeof(marker), 0, (struct sockaddr *)&to, sizeof(to)) < 0) {
		fprintf(stderr, "  marker: %s\n", strerror(errno));
		return -1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct pollfd p = { .fd = rx, .events = POLLIN };
		ssize_t len;
		size_t l4 = 14 + 20, wlen;
		uint32_t blk;

		clock_gettime(CLOCK_MONOTONIC, &t);
		if (t.tv_sec - t0.tv_sec > 3) {
			fprintf(stderr, "  the marker frame never arrived\n");
			return -1;
		}
		if (poll(&p, 1, 100) <= 0)
			continue;
		len = recv(rx, buf, sizeof(buf), MSG_DONTWAIT);
		if (len < 14)
			continue;
		if (get16(buf + 12) == MARKER_PROTO)
			return n;
		if (len < (ssize_t)(l4 + 8 + 4) || get16(buf + 12) != 0x0800 || buf[14 + 9] != 17 ||
		    get16(buf + l4 + 2) != fl->client_port || get16(buf + l4 + 8) != TFTP_DATA)
			continue;       /* not ours (IPv6 ND, ...) */
		blk = get16(buf + l4 + 10);
		wlen = build_data(want, fl, img, blksize, blk);
		if ((size_t)len != wlen || memcmp(buf, want, wlen)) {
			fprintf(stderr, "  captured block %u differs from the expected frame\n", blk);
			dump_diff(buf, (size_t)len, want, wlen);
			return -1;
		}
		if (n < max)
			blocks[n] = blk;
		n++;
	}
}

/* "6,8" (two calls may share one printf: the buffers alternate) */
static const char *block_list(const uint32_t *b, int n)
{
	static char bufs[2][128];
	static int which;
	char *s = bufs[which ^= 1];
	size_t off = 0;

	s[0] = '\0';
	for (int i = 0; i < n && off < sizeof(bufs[0]) - 12; i++)
		off += (size_t)snprintf(s + off, sizeof(bufs[0]) - off, "%s%u", i ? "," : "", b[i]);
	return n ? s : "none";
}

/* One TC run on the veth with injection c: window win from ACK ack, the
 * returned frame want_ret (0: none, TC_ACT_SHOT), and the clones captured
 * on the peer exactly want[0..n_want). */
static void clones_case(unsigned int ifa, int tx, int rx, const struct xt_inject *c, uint16_t win,
			uint32_t ack, uint32_t want_ret, const uint32_t *want, int n_want)
{
	static uint8_t in[FRAME_MAX], wframe[FRAME_MAX];
	uint32_t got[16];
	struct flow fl;
	struct run r;
	size_t n, wlen;
	int k;

	flow_init(&fl, 4, 0);
	if (inject_set(c) || session_put(&fl, ifa, &img_a, 1428, win, ack, ack - 1, XT_SESS_ACTIVE)) {
		CHECK(0, "setup: %s", strerror(errno));
		return;
	}
	n = build_ack(in, &fl, (uint16_t)ack);
	run_prog(skel->progs.tc_tftp, in, n, ifa, &r);
	CHECK(r.err == 0, "test run: %s", strerror(-r.err));
	if (want_ret) {
		CHECK(r.retval == TC_ACT_REDIRECT, "retval %u", r.retval);
		wlen = build_data(wframe, &fl, &img_a, 1428, want_ret);
		check_frame(&r, wframe, wlen);
	} else {
		CHECK(r.retval == (unsigned)TC_ACT_SHOT, "retval %u, want SHOT", r.retval);
	}
	k = capture_until_marker(tx, rx, ifa, &fl, &img_a, 1428, got, 16);
	CHECK(k == n_want && (k <= 0 || !memcmp(got, want, (size_t)k * sizeof(got[0]))),
	      "clones on the wire: %s, want %s", k < 0 ? "capture failed" : block_list(got, k),
	      block_list(want, n_want));
	session_del(&fl, ifa);
	inject_off();
}

/* The clone cases in a private network namespace, pinned to one CPU (the
 * veth's receive queue is per CPU: the marker then comes after the clones). */
static void test_clones_veth(void)
{
	static const uint32_t mid[] = { 6, 8 }, last[] = { 6, 7, 8 }, dup[] = { 8 };
	int orig_ns, tx = -1, rx = -1;
	cpu_set_t old_cpus, one;
	unsigned int ifa, ifb;
	struct xt_inject c;

	orig_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (orig_ns < 0 || sched_getaffinity(0, sizeof(old_cpus), &old_cpus)) {
		CHECK(0, "own netns / affinity: %s", strerror(errno));
		return;
	}
	CPU_ZERO(&one);
	for (int i = 0; i < CPU_SETSIZE; i++)
		if (CPU_ISSET(i, &old_cpus)) {
			CPU_SET(i, &one);
			break;
		}
	if (sched_setaffinity(0, sizeof(one), &one) || unshare(CLONE_NEWNET)) {
		CHECK(0, "pin / unshare(CLONE_NEWNET): %s", strerror(errno));
		goto out;
	}
	if (system("ip link add xti0 type veth peer name xti1 && ip link set xti0 up && "
		   "ip link set xti1 up")) {
		CHECK(0, "cannot create the veth pair");
		goto out;
	}
	ifa = if_nametoindex("xti0");
	ifb = if_nametoindex("xti1");
	tx = packet_socket(ifa);
	rx = packet_socket(ifb);
	if (!ifa || !ifb || tx < 0 || rx < 0) {
		CHECK(0, "veth %u/%u, packet sockets %d/%d", ifa, ifb, tx, rx);
		goto out;
	}

	/* window 4 from ACK 5 (6..9): 6..8 are clones, 9 the returned frame */
	c = drop_blocks(7, 7);
	c.n_blocks = 1;
	clones_case(ifa, tx, rx, &c, 4, 5, 9, mid, 2);
	report("tc_window_middle_dropped_clones_captured");
	c.blocks[0] = 9;
	clones_case(ifa, tx, rx, &c, 4, 5, 0, last, 3);
	report("tc_window_last_dropped_clones_captured");
	/* window 2 from ACK 5 with 6 dropped: 7 returned, nothing cloned */
	c.blocks[0] = 6;
	clones_case(ifa, tx, rx, &c, 2, 5, 7, NULL, 0);
	report("tc_window_first_dropped_nothing_cloned");
	/* no injection: the whole window's clones, as a control */
	c = (struct xt_inject){ 0 };
	clones_case(ifa, tx, rx, &c, 4, 5, 9, last, 3);
	report("tc_window_clones_captured");
	/* dup: window 1 from ACK 7: DATA 8 returned and one copy cloned */
	c = (struct xt_inject){ .mode = XT_INJECT_DUP, .prob = XT_INJECT_PROB_ONE };
	clones_case(ifa, tx, rx, &c, 1, 7, 8, dup, 1);
	report("tc_dup_clone_captured");
out:
	if (tx >= 0)
		close(tx);
	if (rx >= 0)
		close(rx);
	if (setns(orig_ns, CLONE_NEWNET) || sched_setaffinity(0, sizeof(old_cpus), &old_cpus)) {
		fprintf(stderr, "setns / affinity back: %s\n", strerror(errno));
		exit(1);
	}
	close(orig_ns);
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

		c = drop_blocks(5, 6);
		one_resend(tc, &c, 0);
		snprintf(name, sizeof(name), "%s_resend_not_in_block_list", p);
		report(name);
		c = (struct xt_inject){ .mode = XT_INJECT_DROP, .prob = XT_INJECT_PROB_ONE };
		one_resend(tc, &c, 1);
		snprintf(name, sizeof(name), "%s_resend_dropped_at_prob_1", p);
		report(name);
	}
	test_tc_window(7);
	report("tc_window_middle_dropped");
	test_tc_window(9);
	report("tc_window_last_dropped");
	test_tc_window_first_dropped();
	report("tc_window_first_dropped_l2_exact");
	test_clones_veth();

	harness_unload();
	printf("%d inject subtests passed, %d failed\n", n_pass, n_fail);
	return n_fail ? 1 : 0;
}
