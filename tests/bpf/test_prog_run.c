// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The XDP and TC programs under BPF_PROG_TEST_RUN, against the verifier of
 * the running kernel: crafted ACK frames in, exact DATA frames out.
 *
 * The expected frames are built here independently of bpf/: plain byte
 * writes and a plain RFC 1071 checksum over the pseudo-header. The TC
 * window case sends real clones through a veth pair in a private network
 * namespace (unshare(CLONE_NEWNET): it vanishes with the process) and
 * captures them with an AF_PACKET socket on the peer.
 *
 * One line per subtest (PASS/FAIL); exit 0 all passed, 1 any failed,
 * 77 when not root or BPF is unavailable.
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
#include <linux/types.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "xtftp_kern.h"
#include "xtftp_wire.h"
#include "xtftp.skel.h"

#include "harness.h"

/* ---- subtests: DATA out -------------------------------------------------- */

struct send_case {
	const char *name;
	int tc;                 /* run tc_tftp instead of xdp_tftp */
	int family, vlan;
	struct image *img;
	uint16_t blksize;
	uint32_t last_sent, last_acked;
	uint32_t expect_blk;    /* absolute block expected out */
	int sums;               /* with a block checksum table (sums_put) */
};

static void one_send(const struct send_case *c)
{
	static uint8_t ack[FRAME_MAX], want[FRAME_MAX];
	struct bpf_program *prog = c->tc ? skel->progs.tc_tftp : skel->progs.xdp_tftp;
	uint64_t data0 = stat_read(c->tc ? XT_STAT_DATA_TC : XT_STAT_DATA_XDP);
	uint64_t seen0 = stat_read(XT_STAT_ACK_SEEN);
	uint64_t hist0 = hist_count(XT_HIST_ACK_TO_DATA);
	uint64_t off = (uint64_t)(c->expect_blk - 1) * c->blksize;
	uint32_t len = off >= c->img->size ? 0 :
		       (c->img->size - off < c->blksize ? c->img->size - off : c->blksize);
	struct session_value v;
	struct flow fl;
	struct run r;
	size_t alen, wlen;

	flow_init(&fl, c->family, c->vlan);
	if (session_put(&fl, lo_ifindex, c->img, c->blksize, 1, c->last_sent, c->last_acked,
			XT_SESS_ACTIVE)) {
		subtest_failed = 1;
		return;
	}
	if (c->sums) {
		uint32_t ref = 0;

		CHECK(sums_put(c->img, c->blksize, SUMS_FIRST_CHUNK, &ref) == 0 &&
		      session_sums(&fl, lo_ifindex, ref) == 0, "cannot set the checksum table");
	}
	alen = build_ack(ack, &fl, (c->expect_blk - 1) & 0xffff);
	wlen = build_data(want, &fl, c->img, c->blksize, c->expect_blk);
	run_prog(prog, ack, alen, 0, &r);
	CHECK(r.err == 0, "test run: %s", strerror(-r.err));
	CHECK(r.retval == (c->tc ? TC_ACT_REDIRECT : XDP_TX), "retval %u", r.retval);
	check_frame(&r, want, wlen);
	CHECK(session_get(&fl, lo_ifindex, &v) == 0, "session vanished");
	CHECK(v.last_sent == c->expect_blk, "last_sent %u want %u", v.last_sent, c->expect_blk);
	CHECK(v.last_acked == c->expect_blk - 1, "last_acked %u want %u", v.last_acked,
	      c->expect_blk - 1);
	CHECK(v.bytes_sent == len, "bytes_sent %llu want %u", (unsigned long long)v.bytes_sent, len);
	CHECK((c->tc ? v.blocks_tc : v.blocks_xdp) == 1, "blocks counter not 1");
	CHECK(v.last_data_ns != 0 && v.last_ack_ns != 0, "timestamps not set");
	CHECK(v.state == XT_SESS_ACTIVE, "state %u", v.state);
	CHECK(stat_read(c->tc ? XT_STAT_DATA_TC : XT_STAT_DATA_XDP) == data0 + 1,
	      "DATA counter did not go up by 1");
	CHECK(stat_read(XT_STAT_ACK_SEEN) == seen0 + 1, "ACK_SEEN did not go up by 1");
	CHECK(hist_count(XT_HIST_ACK_TO_DATA) == hist0 + 1, "ACK_TO_DATA histogram not fed");
	session_del(&fl, lo_ifindex);
}

static const struct send_case send_cases[] = {
	{ "xdp_v4_512",            0, 4, 0, &img_a, 512,  1, 0, 2, 0 },
	{ "xdp_v6_1468",           0, 6, 0, &img_a, 1468, 5, 4, 6, 0 },
	{ "xdp_v4_vlan_1428",      0, 4, 1, &img_a, 1428, 3, 2, 4, 0 },
	{ "xdp_v6_vlan_512",       0, 6, 1, &img_a, 512,  7, 6, 8, 0 },
	{ "xdp_v4_ack0_of_oack",   0, 4, 0, &img_a, 1468, 0, (uint32_t)-1, 1, 0 },
	/* block 45 of 1468 covers [64592, 66060): chunks 0 and 1 */
	{ "xdp_v4_straddle_1468",  0, 4, 0, &img_a, 1468, 44, 43, 45, 0 },
	{ "xdp_v6_straddle_1428",  0, 6, 1, &img_a, 1428, 45, 44, 46, 0 },
	/* ACK 65535 -> DATA wire 0 = absolute 65536 (blksize 8 keeps it small) */
	{ "xdp_v4_rollover",       0, 4, 0, &img_c, 8, 65535, 65534, 65536, 0 },
	{ "xdp_v6_after_rollover", 0, 6, 0, &img_c, 8, 65536, 65535, 65537, 0 },
	/* ACK wire 65535 with last_sent 65536 is absolute 65535, not 131071:
	 * the ACK re-bases there and block 65536 goes again */
	{ "xdp_v4_ack_across_rollover", 0, 4, 0, &img_c, 8, 65536, 65534, 65536, 0 },
	{ "xdp_v4_final_short",    0, 4, 0, &img_a, 512, 390, 389, 391, 0 },
	{ "xdp_v6_final_short",    0, 6, 0, &img_a, 1468, 136, 135, 137, 0 },
	{ "xdp_v4_final_zero",     0, 4, 0, &img_b, 512, 10, 9, 11, 0 },
	{ "xdp_v6_vlan_final_zero", 0, 6, 1, &img_b, 512, 10, 9, 11, 0 },
	{ "xdp_v4_blksize_8",      0, 4, 0, &img_a, 8, 1, 0, 2, 0 },
	{ "tc_v4_512",             1, 4, 0, &img_a, 512,  1, 0, 2, 0 },
	{ "tc_v6_1468",            1, 6, 0, &img_a, 1468, 5, 4, 6, 0 },
	{ "tc_v4_vlan_in_frame",   1, 4, 1, &img_a, 1428, 3, 2, 4, 0 },
	{ "tc_v6_straddle_1468",   1, 6, 0, &img_a, 1468, 44, 43, 45, 0 },
	{ "tc_v4_rollover",        1, 4, 0, &img_c, 8, 65535, 65534, 65536, 0 },
	{ "tc_v4_final_zero",      1, 4, 0, &img_b, 512, 10, 9, 11, 0 },
	{ "tc_v6_final_short",     1, 6, 1, &img_a, 512, 390, 389, 391, 0 },
	/* odd blksize: blocks at odd offsets, odd lengths (the last byte
	 * padded), a straddle at block 45, a short final block 137 */
	{ "xdp_v4_odd_1467",       0, 4, 0, &img_a, 1467, 1, 0, 2, 0 },
	{ "xdp_v6_odd_straddle_1467", 0, 6, 0, &img_a, 1467, 44, 43, 45, 0 },
	{ "tc_v4_odd_final_1467",  1, 4, 0, &img_a, 1467, 136, 135, 137, 0 },
	/* the stored per-block checksums (sums_put) instead of summing */
	{ "xdp_v4_512_sums",       0, 4, 0, &img_a, 512,  1, 0, 2, 1 },
	{ "xdp_v6_straddle_1468_sums", 0, 6, 0, &img_a, 1468, 44, 43, 45, 1 },
	{ "xdp_v4_final_short_sums", 0, 4, 0, &img_a, 512, 390, 389, 391, 1 },
	{ "xdp_v4_final_zero_sums", 0, 4, 0, &img_b, 512, 10, 9, 11, 1 },
	{ "xdp_v4_odd_1467_sums",  0, 4, 0, &img_a, 1467, 1, 0, 2, 1 },
	{ "xdp_v4_rollover_sums",  0, 4, 0, &img_c, 8, 65535, 65534, 65536, 1 },
	{ "tc_v4_1468_sums",       1, 4, 0, &img_a, 1468, 5, 4, 6, 1 },
	{ "tc_v6_vlan_odd_straddle_sums", 1, 6, 1, &img_a, 1467, 44, 43, 45, 1 },
	{ "tc_v4_odd_final_1467_sums", 1, 4, 0, &img_a, 1467, 136, 135, 137, 1 },
};

/* ---- subtests: passed untouched ------------------------------------------ */

enum mangle {
	M_NONE,
	M_OTHER_CLIENT_PORT,
	M_OTHER_SERVER_PORT,
	M_TRUNCATE,
	M_IP_OPTIONS,
	M_FRAGMENT,
	M_V6_EXT,
	M_VLAN_STACK,
	M_NOT_ACK,
	M_UDP_LEN,
	M_ARP,
};

struct pass_case {
	const char *name;
	int tc;
	int family, vlan;
	enum mangle mangle;
	uint32_t state;
	uint16_t window;
	uint32_t last_sent, last_acked;
	uint16_t ack;
	enum xt_stat reason;
};

/* Build the ACK of the case, then damage it the way the case says. */
static size_t build_pass_frame(uint8_t *f, struct flow *fl, const struct pass_case *c)
{
	size_t n, l3 = fl->vlan ? 18 : 14;
	uint8_t pl[8];

	put16(pl, TFTP_ACK);
	put16(pl + 2, c->ack);
	switch (c->mangle) {
	case M_OTHER_CLIENT_PORT:
		fl->client_port++;
		return build_ack(f, fl, c->ack);
	case M_OTHER_SERVER_PORT:
		fl->server_port = TFTP_PORT;
		return build_ack(f, fl, c->ack);
	case M_TRUNCATE:        /* cut inside the TFTP header */
		n = build_udp_frame(f, fl, 1, 1, 0, 64, pl, 4);
		return n - 2;
	case M_IP_OPTIONS: {    /* IHL 6: one word of NOP options */
		n = build_udp_frame(f, fl, 1, 1, 0, 64, pl, 4);
		memmove(f + l3 + 24, f + l3 + 20, n - l3 - 20);
		memset(f + l3 + 20, 1, 4);
		f[l3] = 0x46;
		put16(f + l3 + 2, get16(f + l3 + 2) + 4);
		return n + 4;
	}
	case M_FRAGMENT:        /* first fragment: MF set */
		n = build_udp_frame(f, fl, 1, 1, 0x2000, 64, pl, 4);
		return n;
	case M_V6_EXT: {        /* hop-by-hop header (8 bytes of PadN) before UDP */
		n = build_udp_frame(f, fl, 1, 1, 0, 64, pl, 4);
		memmove(f + l3 + 48, f + l3 + 40, n - l3 - 40);
		memset(f + l3 + 40, 0, 8);
		f[l3 + 40] = 17;        /* next header: UDP */
		f[l3 + 42] = 1;         /* PadN, 4 bytes of padding */
		f[l3 + 43] = 4;
		f[l3 + 6] = 0;          /* hop-by-hop */
		put16(f + l3 + 4, get16(f + l3 + 4) + 8);
		return n + 8;
	}
	case M_VLAN_STACK:      /* a second tag inside the first */
		n = build_udp_frame(f, fl, 1, 1, 0, 64, pl, 4);
		memmove(f + 16, f + 12, n - 12);
		put16(f + 12, 0x88a8);
		put16(f + 14, 200);
		return n + 4;
	case M_NOT_ACK:         /* a DATA packet towards the server */
		put16(pl, TFTP_DATA);
		return build_udp_frame(f, fl, 1, 1, 0, 64, pl, 8);
	case M_UDP_LEN:         /* UDP length one short of the IP payload */
		n = build_udp_frame(f, fl, 1, 1, 0, 64, pl, 4);
		put16(f + l3 + (fl->family == 4 ? 20 : 40) + 4, 11);
		return n;
	case M_ARP:
		memset(f, 0xff, 6);
		memcpy(f + 6, fl->client_mac, 6);
		put16(f + 12, ETH_P_ARP);
		memset(f + 14, 0, 46);
		return 60;
	case M_NONE:
		break;
	}
	return build_ack(f, fl, c->ack);
}

static void one_pass(const struct pass_case *c)
{
	static uint8_t in[FRAME_MAX];
	struct bpf_program *prog = c->tc ? skel->progs.tc_tftp : skel->progs.xdp_tftp;
	uint64_t reason0 = stat_read(c->reason);
	struct session_value before, after;
	struct flow fl, sess_fl;
	struct run r;
	size_t n;

	flow_init(&fl, c->family, c->vlan);
	sess_fl = fl;
	if (session_put(&sess_fl, lo_ifindex, &img_a, 512, c->window ? c->window : 1,
			c->last_sent, c->last_acked, c->state)) {
		subtest_failed = 1;
		return;
	}
	session_get(&sess_fl, lo_ifindex, &before);
	n = build_pass_frame(in, &fl, c);
	run_prog(prog, in, n, 0, &r);
	CHECK(r.err == 0, "test run: %s", strerror(-r.err));
	CHECK(r.retval == (c->tc ? (uint32_t)TC_ACT_UNSPEC : XDP_PASS), "retval %u, want pass", r.retval);
	CHECK(r.size_out == n && !memcmp(r.out, in, n), "frame not passed untouched");
	if (!(r.size_out == n && !memcmp(r.out, in, n)))
		dump_diff(r.out, r.size_out, in, n);
	CHECK(stat_read(c->reason) == reason0 + 1, "pass reason %d did not go up by 1", c->reason);
	CHECK(session_get(&sess_fl, lo_ifindex, &after) == 0, "session vanished");
	CHECK(!memcmp(&before, &after, sizeof(before)), "session changed by a passed frame");
	session_del(&sess_fl, lo_ifindex);
}

#define NOSESS_ACTIVE XT_SESS_ACTIVE
static const struct pass_case pass_cases[] = {
	{ "xdp_pass_unknown_session", 0, 4, 0, M_OTHER_CLIENT_PORT, NOSESS_ACTIVE, 1, 1, 0, 1, XT_STAT_PASS_NO_SESSION },
	{ "xdp_pass_wrong_port",      0, 6, 0, M_OTHER_SERVER_PORT, NOSESS_ACTIVE, 1, 1, 0, 1, XT_STAT_PASS_NO_SESSION },
	{ "xdp_pass_truncated",       0, 4, 0, M_TRUNCATE,   XT_SESS_ACTIVE, 1, 1, 0, 1, XT_STAT_PASS_TRUNCATED },
	{ "xdp_pass_truncated_v6",    0, 6, 1, M_TRUNCATE,   XT_SESS_ACTIVE, 1, 1, 0, 1, XT_STAT_PASS_TRUNCATED },
	{ "xdp_pass_ip_options",      0, 4, 0, M_IP_OPTIONS, XT_SESS_ACTIVE, 1, 1, 0, 1, XT_STAT_PASS_IP_OPTIONS },
	{ "xdp_pass_fragment",        0, 4, 1, M_FRAGMENT,   XT_SESS_ACTIVE, 1, 1, 0, 1, XT_STAT_PASS_FRAGMENT },
	{ "xdp_pass_ipv6_ext",        0, 6, 0, M_V6_EXT,     XT_SESS_ACTIVE, 1, 1, 0, 1, XT_STAT_PASS_IPV6_EXT },
	{ "xdp_pass_vlan_stack",      0, 4, 1, M_VLAN_STACK, XT_SESS_ACTIVE, 1, 1, 0, 1, XT_STAT_PASS_NOT_IP },
	{ "xdp_pass_not_ack",         0, 4, 0, M_NOT_ACK,    XT_SESS_ACTIVE, 1, 1, 0, 1, XT_STAT_PASS_NOT_ACK },
	{ "xdp_pass_udp_len",         0, 6, 0, M_UDP_LEN,    XT_SESS_ACTIVE, 1, 1, 0, 1, XT_STAT_PASS_TRUNCATED },
	{ "xdp_pass_arp",             0, 4, 0, M_ARP,        XT_SESS_ACTIVE, 1, 1, 0, 1, XT_STAT_PASS_NOT_IP },
	{ "xdp_pass_paused",          0, 4, 0, M_NONE,       XT_SESS_PAUSED, 1, 1, 0, 1, XT_STAT_PASS_PAUSED },
	{ "xdp_pass_done",            0, 6, 0, M_NONE,       XT_SESS_DONE,   1, 1, 0, 1, XT_STAT_PASS_PAUSED },
	{ "xdp_pass_window",          0, 4, 0, M_NONE,       XT_SESS_ACTIVE, 8, 8, 0, 8, XT_STAT_PASS_WINDOW },
	{ "xdp_pass_bad_window",      0, 4, 0, M_NONE,       XT_SESS_ACTIVE, 64, 1, 0, 1, XT_STAT_PASS_BAD_SESSION },
	{ "tc_pass_unknown_session",  1, 4, 0, M_OTHER_CLIENT_PORT, NOSESS_ACTIVE, 1, 1, 0, 1, XT_STAT_PASS_NO_SESSION },
	{ "tc_pass_ip_options",       1, 4, 0, M_IP_OPTIONS, XT_SESS_ACTIVE, 1, 1, 0, 1, XT_STAT_PASS_IP_OPTIONS },
	{ "tc_pass_fragment",         1, 4, 0, M_FRAGMENT,   XT_SESS_ACTIVE, 1, 1, 0, 1, XT_STAT_PASS_FRAGMENT },
	{ "tc_pass_ipv6_ext",         1, 6, 0, M_V6_EXT,     XT_SESS_ACTIVE, 1, 1, 0, 1, XT_STAT_PASS_IPV6_EXT },
	{ "tc_pass_truncated",        1, 4, 0, M_TRUNCATE,   XT_SESS_ACTIVE, 1, 1, 0, 1, XT_STAT_PASS_TRUNCATED },
	{ "tc_pass_paused",           1, 6, 0, M_NONE,       XT_SESS_PAUSED, 1, 1, 0, 1, XT_STAT_PASS_PAUSED },
};

/* ---- subtests: duplicate, never-sent and final ACKs ------------------------ */

/* Duplicates within xtftp_rto.h's resend gap (the last DATA went out just
 * now, turnaround 1 s): counted and dropped, never answered. */
static void test_dup_ack(int tc)
{
	static uint8_t in[FRAME_MAX];
	struct bpf_program *prog = tc ? skel->progs.tc_tftp : skel->progs.xdp_tftp;
	uint64_t dup0 = stat_read(XT_STAT_DUP_ACK);
	struct session_value v;
	struct flow fl;
	struct run r;
	uint16_t acks[] = { 3, 4, 0 };  /* last_acked 4: all old */
	size_t n;

	flow_init(&fl, 4, 0);
	if (session_put(&fl, lo_ifindex, &img_a, 512, 1, 5, 4, XT_SESS_ACTIVE) ||
	    session_timing(&fl, lo_ifindex, mono_ns(), 1000000000ull, 0, 0)) {
		subtest_failed = 1;
		return;
	}
	for (unsigned int i = 0; i < 3; i++) {
		n = build_ack(in, &fl, acks[i]);
		run_prog(prog, in, n, 0, &r);
		CHECK(r.err == 0, "test run: %s", strerror(-r.err));
		CHECK(r.retval == (tc ? (unsigned)TC_ACT_SHOT : XDP_DROP),
		      "ACK %u: retval %u, want drop", acks[i], r.retval);
	}
	CHECK(session_get(&fl, lo_ifindex, &v) == 0, "session vanished");
	CHECK(v.dup_acks == 3, "session dup_acks %u want 3", v.dup_acks);
	CHECK(v.last_sent == 5 && v.last_acked == 4, "session advanced on a duplicate");
	CHECK(v.blocks_xdp == 0 && v.blocks_tc == 0, "a duplicate ACK was answered");
	CHECK(stat_read(XT_STAT_DUP_ACK) == dup0 + 3, "DUP_ACK counter did not go up by 3");
	CHECK(v.dup_resends == 0 && v.last_resent == 0, "a duplicate within the gap was resent");
	session_del(&fl, lo_ifindex);
}

/*
 * An ACK for a block never sent (ACK 9 with DATA 5 out; a stray, late ACK
 * of an earlier attempt): dropped and counted (ack_unsent), the session
 * untouched and still the kernel's: the next real ACK is answered here.
 */
static void test_unsent_ack(int tc)
{
	static uint8_t in[FRAME_MAX], want[FRAME_MAX];
	struct bpf_program *prog = tc ? skel->progs.tc_tftp : skel->progs.xdp_tftp;
	uint64_t unsent0 = stat_read(XT_STAT_ACK_UNSENT);
	uint64_t seen0 = stat_read(XT_STAT_ACK_SEEN);
	uint64_t bad0 = stat_read(XT_STAT_PASS_BAD_BLOCK);
	struct session_value before, v;
	struct flow fl;
	struct run r;
	size_t n, wlen;

	flow_init(&fl, 4, 0);
	if (session_put(&fl, lo_ifindex, &img_a, 512, 1, 5, 4, XT_SESS_ACTIVE)) {
		subtest_failed = 1;
		return;
	}
	session_get(&fl, lo_ifindex, &before);
	n = build_ack(in, &fl, 9);
	run_prog(prog, in, n, 0, &r);
	CHECK(r.err == 0, "test run: %s", strerror(-r.err));
	CHECK(r.retval == (tc ? (unsigned)TC_ACT_SHOT : XDP_DROP), "retval %u, want drop",
	      r.retval);
	CHECK(stat_read(XT_STAT_ACK_UNSENT) == unsent0 + 1, "ACK_UNSENT did not go up by 1");
	CHECK(stat_read(XT_STAT_ACK_SEEN) == seen0 + 1, "ACK_SEEN did not go up by 1");
	CHECK(stat_read(XT_STAT_PASS_BAD_BLOCK) == bad0, "still passed as pass_bad_block");
	CHECK(session_get(&fl, lo_ifindex, &v) == 0, "session vanished");
	CHECK(!memcmp(&before, &v, sizeof(v)), "the session changed");
	CHECK(v.state == XT_SESS_ACTIVE, "state %u want ACTIVE", v.state);
	/* still the kernel's: ACK 5 is answered with DATA 6 */
	n = build_ack(in, &fl, 5);
	wlen = build_data(want, &fl, &img_a, 512, 6);
	run_prog(prog, in, n, 0, &r);
	CHECK(r.retval == (tc ? TC_ACT_REDIRECT : XDP_TX), "next ACK: retval %u", r.retval);
	check_frame(&r, want, wlen);
	session_del(&fl, lo_ifindex);
}

/*
 * Rule 2 of xtftp_rto.h: a duplicate ACK of last_acked (k) with k + 1
 * outstanding. Each case sets last_data_ns ago_ms before now, srtt (gap =
 * 2 srtt, at least 1 ms) and last_resent, sends the duplicate and expects:
 *   RESEND  DATA k + 1 out, exactly (XDP_TX or TC redirect), one block
 *           also in a window, last_sent and last_acked unchanged,
 *           last_resent = k + 1, dup_resend, dup_ack (every duplicate is)
 *           and the tier's DATA counted;
 *   IGNORE  dropped, counted as a duplicate, the session unchanged;
 *   ECHO    dropped, counted as a duplicate, last_resent forgotten (0).
 */
enum { V_IGNORE, V_RESEND, V_ECHO };

struct dup_case {
	const char *name;
	int tc, family, vlan;
	uint16_t window;
	uint32_t last_sent, last_acked, last_resent;
	uint64_t ago_ms, srtt_ms;
	int verdict;
};

static const struct dup_case dup_cases[] = {
	{ "xdp_dupack_resend",           0, 4, 0, 1, 5, 4, 0, 50, 1, V_RESEND },
	{ "tc_dupack_resend",            1, 4, 0, 1, 5, 4, 0, 50, 1, V_RESEND },
	{ "xdp_dupack_resend_v6_vlan",   0, 6, 1, 1, 8, 7, 0, 50, 10, V_RESEND },
	{ "tc_dupack_resend_v6",         1, 6, 0, 1, 8, 7, 0, 50, 10, V_RESEND },
	/* no sample yet: the gap is its floor, 1 ms */
	{ "xdp_dupack_resend_no_srtt",   0, 4, 0, 1, 5, 4, 0, 50, 0, V_RESEND },
	/* a window: only k + 1 again, last_sent stays at the window's end */
	{ "tc_dupack_resend_window4",    1, 4, 0, 4, 8, 4, 0, 50, 1, V_RESEND },
	{ "xdp_dupack_resend_window4",   0, 6, 0, 4, 8, 4, 0, 50, 1, V_RESEND },
	/* a resend of an earlier block is no echo of this one */
	{ "tc_dupack_resend_after_older", 1, 4, 0, 1, 5, 4, 3, 50, 1, V_RESEND },
	/* within the gap (2 srtt = 200 ms, 50 ms ago) */
	{ "xdp_dupack_within_gap",       0, 4, 0, 1, 5, 4, 0, 50, 100, V_IGNORE },
	{ "tc_dupack_within_gap",        1, 4, 0, 1, 5, 4, 0, 50, 100, V_IGNORE },
	/* the echo of our resend of k: absorbed once */
	{ "xdp_dupack_echo",             0, 4, 0, 1, 5, 4, 4, 50, 1, V_ECHO },
	{ "tc_dupack_echo",              1, 4, 0, 1, 5, 4, 4, 50, 1, V_ECHO },
};

static void one_dup(const struct dup_case *c)
{
	static uint8_t in[FRAME_MAX], want[FRAME_MAX];
	struct bpf_program *prog = c->tc ? skel->progs.tc_tftp : skel->progs.xdp_tftp;
	enum xt_stat data_stat = c->tc ? XT_STAT_DATA_TC : XT_STAT_DATA_XDP;
	uint64_t data0 = stat_read(data_stat), dup0 = stat_read(XT_STAT_DUP_ACK);
	uint64_t resend0 = stat_read(XT_STAT_DUP_RESEND), seen0 = stat_read(XT_STAT_ACK_SEEN);
	uint32_t k = c->last_acked, len;
	uint64_t t_before, t_after;
	struct session_value before, v;
	struct flow fl;
	struct run r;
	size_t n, wlen;

	flow_init(&fl, c->family, c->vlan);
	t_before = mono_ns();
	if (session_put(&fl, lo_ifindex, &img_a, 512, c->window, c->last_sent, k,
			XT_SESS_ACTIVE) ||
	    session_timing(&fl, lo_ifindex, t_before - c->ago_ms * 1000000ull,
			   c->srtt_ms * 1000000ull, c->srtt_ms * 500000ull, c->last_resent)) {
		subtest_failed = 1;
		return;
	}
	session_get(&fl, lo_ifindex, &before);
	n = build_ack(in, &fl, k & 0xffff);
	run_prog(prog, in, n, 0, &r);
	t_after = mono_ns();
	CHECK(r.err == 0, "test run: %s", strerror(-r.err));
	CHECK(session_get(&fl, lo_ifindex, &v) == 0, "session vanished");
	CHECK(v.last_sent == c->last_sent && v.last_acked == k && v.state == XT_SESS_ACTIVE,
	      "the session moved: last_sent %u last_acked %u state %u", v.last_sent,
	      v.last_acked, v.state);
	CHECK(v.srtt_ns == before.srtt_ns && v.rttvar_ns == before.rttvar_ns,
	      "a duplicate fed the turnaround estimate");
	CHECK(v.last_ack_ns == before.last_ack_ns, "a duplicate moved last_ack_ns");
	CHECK(stat_read(XT_STAT_ACK_SEEN) == seen0 + 1, "ACK_SEEN did not go up by 1");
	if (c->verdict == V_RESEND) {
		len = 512;
		wlen = build_data(want, &fl, &img_a, 512, k + 1);
		CHECK(r.retval == (c->tc ? TC_ACT_REDIRECT : XDP_TX), "retval %u, want a transmit",
		      r.retval);
		check_frame(&r, want, wlen);
		CHECK(v.last_resent == k + 1, "last_resent %u want %u", v.last_resent, k + 1);
		CHECK(v.dup_resends == 1, "dup_resends %u want 1", v.dup_resends);
		CHECK(v.dup_acks == 1, "dup_acks %u want 1 (every duplicate, answered or not)",
		      v.dup_acks);
		CHECK((c->tc ? v.blocks_tc : v.blocks_xdp) == 1 &&
		      (c->tc ? v.blocks_xdp : v.blocks_tc) == 0, "blocks counters %u/%u",
		      v.blocks_xdp, v.blocks_tc);
		CHECK(v.bytes_sent == len, "bytes_sent %llu want %u",
		      (unsigned long long)v.bytes_sent, len);
		CHECK(v.last_data_ns >= t_before && v.last_data_ns <= t_after,
		      "last_data_ns not the resend's time");
		CHECK(stat_read(XT_STAT_DUP_RESEND) == resend0 + 1, "DUP_RESEND did not go up by 1");
		CHECK(stat_read(data_stat) == data0 + 1, "DATA counter did not go up by 1");
		CHECK(stat_read(XT_STAT_DUP_ACK) == dup0 + 1, "DUP_ACK did not go up by 1");
		/* The same duplicate again at once: within the gap now. */
		run_prog(prog, in, n, 0, &r);
		CHECK(r.retval == (c->tc ? (unsigned)TC_ACT_SHOT : XDP_DROP),
		      "second duplicate: retval %u, want drop", r.retval);
		CHECK(session_get(&fl, lo_ifindex, &v) == 0, "session vanished");
		CHECK(v.dup_resends == 1 && v.dup_acks == 2, "second duplicate: dup_resends %u "
		      "dup_acks %u, want 1 2", v.dup_resends, v.dup_acks);
		CHECK(stat_read(XT_STAT_DUP_RESEND) == resend0 + 1, "second duplicate resent");
	} else {
		CHECK(r.retval == (c->tc ? (unsigned)TC_ACT_SHOT : XDP_DROP), "retval %u, want drop",
		      r.retval);
		CHECK(v.dup_acks == 1 && v.dup_resends == 0, "dup_acks %u dup_resends %u, want 1 0",
		      v.dup_acks, v.dup_resends);
		CHECK(v.blocks_xdp == 0 && v.blocks_tc == 0 && v.bytes_sent == 0, "DATA counted");
		CHECK(stat_read(XT_STAT_DUP_ACK) == dup0 + 1, "DUP_ACK did not go up by 1");
		CHECK(stat_read(XT_STAT_DUP_RESEND) == resend0, "DUP_RESEND went up");
		CHECK(stat_read(data_stat) == data0, "DATA counter went up");
		CHECK(v.last_data_ns == before.last_data_ns, "last_data_ns moved");
		CHECK(v.last_resent == (c->verdict == V_ECHO ? 0 : c->last_resent),
		      "last_resent %u want %u", v.last_resent,
		      c->verdict == V_ECHO ? 0 : c->last_resent);
		if (c->verdict == V_ECHO) {
			/* absorbed once: the next duplicate is news of a loss */
			wlen = build_data(want, &fl, &img_a, 512, k + 1);
			run_prog(prog, in, n, 0, &r);
			CHECK(r.retval == (c->tc ? TC_ACT_REDIRECT : XDP_TX),
			      "duplicate after the echo: retval %u, want a transmit", r.retval);
			check_frame(&r, want, wlen);
			CHECK(session_get(&fl, lo_ifindex, &v) == 0, "session vanished");
			CHECK(v.dup_resends == 1 && v.last_resent == k + 1,
			      "after the echo: dup_resends %u last_resent %u", v.dup_resends,
			      v.last_resent);
		}
	}
	session_del(&fl, lo_ifindex);
}

/*
 * The turnaround estimate (xtftp_rto.h rule 1) on new ACKs: a sample
 * now - last_data_ns into srtt/rttvar (RFC 6298: the first sets srtt = r,
 * rttvar = r / 2; the next srtt += (r - srtt) / 8), but not from the ACK of
 * the block resent last (Karn): the estimate is left as it was. Nor from
 * the ACK of the block userspace sent before the kernel sent any (the
 * session's last_data_ns still its start_ns, as fastpath_session_init
 * leaves it): that time spans userspace's send and the client's start.
 */
static void test_srtt(int tc)
{
	static uint8_t in[FRAME_MAX];
	struct bpf_program *prog = tc ? skel->progs.tc_tftp : skel->progs.xdp_tftp;
	uint64_t t0, t1, lo, hi, srtt1, want_lo, want_hi;
	struct session_value v;
	struct session_key k;
	struct flow fl;
	struct run r;
	size_t n;

	flow_init(&fl, 4, 0);
	/* the hand-off: DATA 4 sent by userspace, the entry made 10 ms ago */
	t0 = mono_ns();
	flow_key(&fl, lo_ifindex, &k);
	if (session_put(&fl, lo_ifindex, &img_a, 512, 1, 4, 3, XT_SESS_ACTIVE) ||
	    session_get(&fl, lo_ifindex, &v)) {
		subtest_failed = 1;
		return;
	}
	v.start_ns = v.last_data_ns = t0 - 10000000ull;
	if (bpf_map_update_elem(bpf_map__fd(skel->maps.sessions), &k, &v, BPF_EXIST)) {
		subtest_failed = 1;
		return;
	}
	n = build_ack(in, &fl, 4);
	run_prog(prog, in, n, 0, &r);
	CHECK(r.retval == (tc ? TC_ACT_REDIRECT : XDP_TX), "hand-off ACK: retval %u", r.retval);
	CHECK(session_get(&fl, lo_ifindex, &v) == 0, "session vanished");
	CHECK(v.last_sent == 5 && v.last_acked == 4, "the hand-off ACK was not answered");
	CHECK(v.srtt_ns == 0 && v.rttvar_ns == 0,
	      "the ACK of userspace's block fed the estimate: srtt %llu rttvar %llu",
	      (unsigned long long)v.srtt_ns, (unsigned long long)v.rttvar_ns);
	CHECK(v.last_data_ns > v.start_ns, "the kernel's DATA did not move last_data_ns");

	/* first sample: DATA 5 went out 10 ms ago, no estimate yet */
	t0 = mono_ns();
	if (session_timing(&fl, lo_ifindex, t0 - 10000000ull, 0, 0, 0)) {
		subtest_failed = 1;
		return;
	}
	n = build_ack(in, &fl, 5);
	run_prog(prog, in, n, 0, &r);
	t1 = mono_ns();
	CHECK(r.retval == (tc ? TC_ACT_REDIRECT : XDP_TX), "retval %u", r.retval);
	CHECK(session_get(&fl, lo_ifindex, &v) == 0, "session vanished");
	lo = 10000000ull;
	hi = 10000000ull + (t1 - t0);
	CHECK(v.srtt_ns >= lo && v.srtt_ns <= hi && v.rttvar_ns == v.srtt_ns / 2,
	      "first sample: srtt %llu rttvar %llu, want srtt in [%llu, %llu], rttvar srtt/2",
	      (unsigned long long)v.srtt_ns, (unsigned long long)v.rttvar_ns,
	      (unsigned long long)lo, (unsigned long long)hi);
	CHECK(v.last_sent == 6 && v.last_acked == 5, "the ACK was not answered");

	/* a later sample: srtt 8 ms, DATA 6 out 16 ms ago -> srtt 9 ms */
	t0 = mono_ns();
	if (session_timing(&fl, lo_ifindex, t0 - 16000000ull, 8000000ull, 2000000ull, 0)) {
		subtest_failed = 1;
		return;
	}
	n = build_ack(in, &fl, 6);
	run_prog(prog, in, n, 0, &r);
	t1 = mono_ns();
	CHECK(session_get(&fl, lo_ifindex, &v) == 0, "session vanished");
	want_lo = 8000000ull - 1000000ull + 16000000ull / 8;
	want_hi = 8000000ull - 1000000ull + (16000000ull + (t1 - t0)) / 8 + 1;
	CHECK(v.srtt_ns >= want_lo && v.srtt_ns <= want_hi,
	      "second sample: srtt %llu, want [%llu, %llu]", (unsigned long long)v.srtt_ns,
	      (unsigned long long)want_lo, (unsigned long long)want_hi);
	CHECK(v.rttvar_ns > 2000000ull, "rttvar %llu did not grow with |r - srtt| = 8 ms",
	      (unsigned long long)v.rttvar_ns);
	srtt1 = v.srtt_ns;

	/* Karn: DATA 7 was resent (last_resent 7); its ACK is no sample */
	if (session_timing(&fl, lo_ifindex, mono_ns() - 30000000ull, srtt1, v.rttvar_ns, 7)) {
		subtest_failed = 1;
		return;
	}
	session_get(&fl, lo_ifindex, &v);
	n = build_ack(in, &fl, 7);
	run_prog(prog, in, n, 0, &r);
	CHECK(r.retval == (tc ? TC_ACT_REDIRECT : XDP_TX), "ACK of the resent block: retval %u",
	      r.retval);
	{
		struct session_value after;

		CHECK(session_get(&fl, lo_ifindex, &after) == 0, "session vanished");
		CHECK(after.last_sent == 8 && after.last_acked == 7, "the ACK was not answered");
		CHECK(after.srtt_ns == v.srtt_ns && after.rttvar_ns == v.rttvar_ns,
		      "the ACK of the resent block fed the estimate: srtt %llu -> %llu",
		      (unsigned long long)v.srtt_ns, (unsigned long long)after.srtt_ns);
		CHECK(after.last_resent == 7, "last_resent %u: a new ACK is no echo",
		      after.last_resent);
		/* the next block was sent once: a sample again */
		n = build_ack(in, &fl, 8);
		run_prog(prog, in, n, 0, &r);
		CHECK(session_get(&fl, lo_ifindex, &v) == 0, "session vanished");
		CHECK(v.last_acked == 8 && v.srtt_ns != after.srtt_ns,
		      "the ACK of a block sent once after a resend: srtt unchanged");
	}
	session_del(&fl, lo_ifindex);
}

static int event_seen;
static struct xt_event event_got;

static int on_event(void *ctx, void *data, size_t len)
{
	(void)ctx;
	if (len >= sizeof(event_got)) {
		memcpy(&event_got, data, sizeof(event_got));
		event_seen++;
	}
	return 0;
}

static void test_final_ack(int tc, int family)
{
	static uint8_t in[FRAME_MAX];
	struct bpf_program *prog = tc ? skel->progs.tc_tftp : skel->progs.xdp_tftp;
	uint64_t done0 = stat_read(XT_STAT_SESSION_DONE);
	struct ring_buffer *rb;
	struct session_value v;
	struct session_key k;
	struct flow fl;
	struct run r;
	size_t n;

	flow_init(&fl, family, 0);
	rb = ring_buffer__new(bpf_map__fd(skel->maps.events), on_event, NULL, NULL);
	CHECK(rb != NULL, "ring_buffer__new: %s", strerror(errno));
	if (!rb)
		return;
	ring_buffer__consume(rb);       /* drop leftovers of earlier cases */
	event_seen = 0;
	/* final block of A at 1468 is 137 */
	if (session_put(&fl, lo_ifindex, &img_a, 1468, 1, 137, 136, XT_SESS_ACTIVE)) {
		subtest_failed = 1;
		goto out;
	}
	n = build_ack(in, &fl, 137);
	run_prog(prog, in, n, 0, &r);
	CHECK(r.err == 0, "test run: %s", strerror(-r.err));
	CHECK(r.retval == (tc ? (unsigned)TC_ACT_SHOT : XDP_DROP), "retval %u, want drop",
	      r.retval);
	CHECK(session_get(&fl, lo_ifindex, &v) == 0, "session vanished");
	CHECK(v.state == XT_SESS_DONE, "state %u want DONE", v.state);
	CHECK(v.last_acked == 137, "last_acked %u want 137", v.last_acked);
	CHECK(stat_read(XT_STAT_SESSION_DONE) == done0 + 1, "SESSION_DONE did not go up by 1");
	CHECK(ring_buffer__consume(rb) >= 0, "ring buffer consume failed");
	CHECK(event_seen == 1, "%d events, want 1", event_seen);
	flow_key(&fl, lo_ifindex, &k);
	CHECK(event_got.type == XT_EV_DONE && event_got.block == 137 &&
	      !memcmp(&event_got.key, &k, sizeof(k)) && event_got.ts_ns != 0,
	      "event type %u block %u does not describe the session",
	      event_got.type, event_got.block);
	/* The final ACK again: the session is no longer the kernel's. */
	run_prog(prog, in, n, 0, &r);
	CHECK(r.retval == (tc ? (uint32_t)TC_ACT_UNSPEC : XDP_PASS), "repeated final ACK: retval %u", r.retval);
	session_del(&fl, lo_ifindex);
out:
	ring_buffer__free(rb);
}

/* A window of 4 through XDP passes; TC answers it, as the last block of the
 * window in the frame and the others as clones (to lo here: nobody checks
 * them, the veth case below does). Also checks the window is cut at the
 * final block. */
static void test_tc_window_lo(void)
{
	static uint8_t in[FRAME_MAX], want[FRAME_MAX];
	struct session_value v;
	struct flow fl;
	struct run r;
	size_t n, wlen;

	flow_init(&fl, 6, 0);
	/* A at 1468: final 137. ACK 134 with window 4 -> 135, 136, 137. */
	if (session_put(&fl, lo_ifindex, &img_a, 1468, 4, 134, 130, XT_SESS_ACTIVE)) {
		subtest_failed = 1;
		return;
	}
	n = build_ack(in, &fl, 134);
	wlen = build_data(want, &fl, &img_a, 1468, 137);
	run_prog(skel->progs.tc_tftp, in, n, 0, &r);
	CHECK(r.err == 0, "test run: %s", strerror(-r.err));
	CHECK(r.retval == TC_ACT_REDIRECT, "retval %u", r.retval);
	check_frame(&r, want, wlen);
	CHECK(session_get(&fl, lo_ifindex, &v) == 0, "session vanished");
	CHECK(v.last_sent == 137 && v.last_acked == 134, "last_sent %u last_acked %u",
	      v.last_sent, v.last_acked);
	CHECK(v.blocks_tc == 3, "blocks_tc %u want 3", v.blocks_tc);
	CHECK(v.bytes_sent == 2 * 1468 + (200000 - 136 * 1468), "bytes_sent %llu",
	      (unsigned long long)v.bytes_sent);
	session_del(&fl, lo_ifindex);
}

/* ---- the TC window through a real veth pair -------------------------------- */

static int run_cmd(const char *cmd)
{
	int rc = system(cmd);

	if (rc != 0)
		fprintf(stderr, "  command failed (%d): %s\n", rc, cmd);
	return rc;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Receive frames on sock until every block in [first, first + n) of the
 * flow has arrived (compared byte for byte with the expected frame) or the
 * deadline passes. Returns the number of distinct blocks seen. */
static unsigned int capture_blocks(int sock, const struct flow *fl, const struct image *img,
				   uint16_t blksize, uint32_t first, unsigned int n,
				   double timeout_s)
{
	static uint8_t buf[FRAME_MAX], want[FRAME_MAX];
	unsigned int got = 0, bad = 0;
	uint8_t seen[64] = { 0 };
	double deadline = now_s() + timeout_s;

	while (got < n && now_s() < deadline) {
		struct pollfd p = { .fd = sock, .events = POLLIN };
		int left_ms = (int)((deadline - now_s()) * 1000) + 1;
		ssize_t len;
		uint32_t blk;
		size_t l4, wlen;

		if (poll(&p, 1, left_ms) <= 0)
			continue;
		len = recv(sock, buf, sizeof(buf), MSG_DONTWAIT);
		if (len < 14 + 20 + 8 + 4 || get16(buf + 12) != 0x0800 || buf[14 + 9] != 17)
			continue;       /* not ours (IPv6 ND, ...) */
		l4 = 14 + 20;
		if (get16(buf + l4 + 2) != fl->client_port || get16(buf + l4 + 8) != TFTP_DATA)
			continue;
		/* wire number -> absolute, near first */
		blk = (first & ~0xffffu) | get16(buf + l4 + 10);
		if (blk < first || blk >= first + n || blk - first >= sizeof(seen)) {
			fprintf(stderr, "  unexpected block %u\n", blk);
			bad++;
			continue;
		}
		wlen = build_data(want, fl, img, blksize, blk);
		if ((size_t)len != wlen || memcmp(buf, want, wlen)) {
			fprintf(stderr, "  block %u differs from the expected frame\n", blk);
			dump_diff(buf, len, want, wlen);
			bad++;
			continue;
		}
		if (!seen[blk - first]) {
			seen[blk - first] = 1;
			got++;
		}
	}
	return bad ? 0 : got;
}

static void test_tc_window_veth(void)
{
	static uint8_t in[FRAME_MAX], want[FRAME_MAX];
	int orig_ns = -1, sock = -1;
	unsigned int ifa, ifb, got;
	struct sockaddr_ll sll;
	struct session_value v;
	struct flow fl;
	struct run r;
	size_t n, wlen;

	orig_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	CHECK(orig_ns >= 0, "open own netns: %s", strerror(errno));
	if (orig_ns < 0)
		return;
	/* A private namespace: it and the veth pair in it disappear when we
	 * switch back and nothing refers to it any more, even on a crash. */
	if (unshare(CLONE_NEWNET)) {
		CHECK(0, "unshare(CLONE_NEWNET): %s", strerror(errno));
		goto out;
	}
	if (run_cmd("ip link add xtw0 type veth peer name xtw1 && "
		    "ip link set xtw0 up && ip link set xtw1 up")) {
		subtest_failed = 1;
		goto out;
	}
	ifa = if_nametoindex("xtw0");
	ifb = if_nametoindex("xtw1");
	CHECK(ifa && ifb, "veth ifindex");

	sock = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
	CHECK(sock >= 0, "AF_PACKET socket: %s", strerror(errno));
	if (sock < 0)
		goto out;
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_ALL);
	sll.sll_ifindex = ifb;
	if (bind(sock, (struct sockaddr *)&sll, sizeof(sll))) {
		CHECK(0, "bind AF_PACKET: %s", strerror(errno));
		goto out;
	}

	/* Window 8 at 512: blocks 1..8 are out, ACK 8 -> 9..16 (9..15 as
	 * clones on the wire, 16 in the frame returned). */
	flow_init(&fl, 4, 0);
	if (session_put(&fl, ifa, &img_a, 512, 8, 8, 0, XT_SESS_ACTIVE)) {
		subtest_failed = 1;
		goto out;
	}
	n = build_ack(in, &fl, 8);
	wlen = build_data(want, &fl, &img_a, 512, 16);
	run_prog(skel->progs.tc_tftp, in, n, ifa, &r);
	CHECK(r.err == 0, "test run: %s", strerror(-r.err));
	CHECK(r.retval == TC_ACT_REDIRECT, "retval %u", r.retval);
	check_frame(&r, want, wlen);
	got = capture_blocks(sock, &fl, &img_a, 512, 9, 7, 3.0);
	CHECK(got == 7, "%u of blocks 9..15 arrived intact on the peer", got);
	CHECK(session_get(&fl, ifa, &v) == 0, "session vanished");
	CHECK(v.last_sent == 16 && v.last_acked == 8 && v.blocks_tc == 8,
	      "last_sent %u last_acked %u blocks_tc %u", v.last_sent, v.last_acked, v.blocks_tc);

	/* An ACK inside the window (12 of 9..16) re-bases it: 13..20. */
	n = build_ack(in, &fl, 12);
	wlen = build_data(want, &fl, &img_a, 512, 20);
	run_prog(skel->progs.tc_tftp, in, n, ifa, &r);
	CHECK(r.retval == TC_ACT_REDIRECT, "re-base: retval %u", r.retval);
	check_frame(&r, want, wlen);
	got = capture_blocks(sock, &fl, &img_a, 512, 13, 7, 3.0);
	CHECK(got == 7, "re-base: %u of blocks 13..19 arrived intact", got);
	CHECK(session_get(&fl, ifa, &v) == 0 && v.last_sent == 20 && v.last_acked == 12,
	      "re-base: last_sent %u last_acked %u", v.last_sent, v.last_acked);
	session_del(&fl, ifa);
out:
	if (sock >= 0)
		close(sock);
	if (orig_ns >= 0) {
		if (setns(orig_ns, CLONE_NEWNET)) {
			fprintf(stderr, "setns back: %s\n", strerror(errno));
			exit(1);
		}
		close(orig_ns);
	}
}

/* Wait up to timeout_s for counter s to reach want. */
static int wait_stat(enum xt_stat s, uint64_t want, double timeout_s)
{
	double deadline = now_s() + timeout_s;

	while (stat_read(s) < want) {
		if (now_s() > deadline)
			return -ETIMEDOUT;
		poll(NULL, 0, 5);
	}
	return 0;
}

/*
 * Both programs attached for real to one end of a veth pair (XDP through a
 * bpf_link, TC on clsact ingress), an ACK sent from the other end through an
 * AF_PACKET socket: the DATA must come back intact from whichever tier can
 * serve it (on veth the XDP grow fails, so TC, counting GROW_FAILED); a
 * duplicate ACK must get nothing back.
 */
static void test_live_veth(void)
{
	static uint8_t ack[FRAME_MAX], want[FRAME_MAX];
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .attach_point = BPF_TC_INGRESS);
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, tc_opts);
	struct bpf_link *xdp_link = NULL, *peer_link = NULL;
	uint64_t tc0 = stat_read(XT_STAT_DATA_TC), xdp0 = stat_read(XT_STAT_DATA_XDP);
	uint64_t grow0 = stat_read(XT_STAT_PASS_GROW_FAILED), dup0 = stat_read(XT_STAT_DUP_ACK);
	int orig_ns = -1, sock = -1;
	unsigned int ifa, ifb, got;
	struct sockaddr_ll sll;
	struct flow fl;
	size_t n, wlen;

	orig_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	CHECK(orig_ns >= 0, "open own netns: %s", strerror(errno));
	if (orig_ns < 0)
		return;
	if (unshare(CLONE_NEWNET)) {
		CHECK(0, "unshare(CLONE_NEWNET): %s", strerror(errno));
		goto out;
	}
	if (run_cmd("ip link add xtl0 type veth peer name xtl1 && "
		    "ip link set xtl0 up && ip link set xtl1 up")) {
		subtest_failed = 1;
		goto out;
	}
	ifa = if_nametoindex("xtl0");
	ifb = if_nametoindex("xtl1");
	/* Let XDP try to transmit here, as on a NIC the loader trusts: on veth
	 * the grow then fails and is counted, and TC serves. */
	CHECK(xdp_tx_allow(ifa) == 0, "xdp_tx_ifaces: %s", strerror(errno));

	xdp_link = bpf_program__attach_xdp(skel->progs.xdp_tftp, ifa);
	CHECK(xdp_link != NULL, "attach XDP to xtl0: %s", strerror(errno));
	/* XDP_TX towards the peer needs NAPI there: any XDP program does it,
	 * and ours passes everything on an interface without sessions. */
	peer_link = bpf_program__attach_xdp(skel->progs.xdp_tftp, ifb);
	CHECK(peer_link != NULL, "attach XDP to xtl1: %s", strerror(errno));
	hook.ifindex = ifa;
	CHECK(bpf_tc_hook_create(&hook) == 0, "clsact on xtl0");
	tc_opts.prog_fd = bpf_program__fd(skel->progs.tc_tftp);
	CHECK(bpf_tc_attach(&hook, &tc_opts) == 0, "attach TC to xtl0");
	if (subtest_failed)
		goto out;

	sock = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
	CHECK(sock >= 0, "AF_PACKET socket: %s", strerror(errno));
	if (sock < 0)
		goto out;
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_ALL);
	sll.sll_ifindex = ifb;
	if (bind(sock, (struct sockaddr *)&sll, sizeof(sll))) {
		CHECK(0, "bind AF_PACKET: %s", strerror(errno));
		goto out;
	}

	flow_init(&fl, 4, 0);
	if (session_put(&fl, ifa, &img_a, 1468, 1, 1, 0, XT_SESS_ACTIVE)) {
		subtest_failed = 1;
		goto out;
	}
	n = build_ack(ack, &fl, 1);
	wlen = build_data(want, &fl, &img_a, 1468, 2);
	(void)wlen;
	CHECK(send(sock, ack, n, 0) == (ssize_t)n, "send ACK: %s", strerror(errno));
	got = capture_blocks(sock, &fl, &img_a, 1468, 2, 1, 3.0);
	CHECK(got == 1, "DATA 2 did not come back intact");
	if (stat_read(XT_STAT_DATA_TC) == tc0 + 1) {
		struct xdp_tx_iface g = { 0 };
		__u32 key = ifa;
		uint8_t ack2[FRAME_MAX];
		size_t n2;

		CHECK(stat_read(XT_STAT_PASS_GROW_FAILED) == grow0 + 1,
		      "TC served but XDP did not count GROW_FAILED");
		/* the failure is learnt for this interface and frame length */
		CHECK(bpf_map_lookup_elem(bpf_map__fd(skel->maps.xdp_tx_ifaces), &key, &g) == 0,
		      "xdp_tx_ifaces lost the interface");
		CHECK(g.grow_fail_len == 14 + 20 + 8 + 4 + 1468 && g.grow_ok_len == 0,
		      "xdp_tx_ifaces: grow_fail_len %u grow_ok_len %u, want 1514 and 0",
		      g.grow_fail_len, g.grow_ok_len);
		/* the next ACK goes to TC without a grow: served, counted */
		n2 = build_ack(ack2, &fl, 2);
		CHECK(send(sock, ack2, n2, 0) == (ssize_t)n2, "send ACK 2: %s", strerror(errno));
		got = capture_blocks(sock, &fl, &img_a, 1468, 3, 3, 3.0);
		CHECK(got == 1, "DATA 3 did not come back intact after the learnt failure");
		CHECK(stat_read(XT_STAT_PASS_GROW_FAILED) == grow0 + 2 &&
		      stat_read(XT_STAT_DATA_TC) == tc0 + 2, "ACK 2: not passed to TC as grow-failed");
		printf("  live veth: served by TC (XDP grow failed, counted, learnt)\n");
	} else {
		CHECK(stat_read(XT_STAT_DATA_XDP) == xdp0 + 1, "neither tier counted the DATA");
		printf("  live veth: served by XDP\n");
	}

	/* The same ACK again: a duplicate, dropped, nothing sent. */
	CHECK(send(sock, ack, n, 0) == (ssize_t)n, "send ACK: %s", strerror(errno));
	CHECK(wait_stat(XT_STAT_DUP_ACK, dup0 + 1, 3.0) == 0, "duplicate not counted");
	got = capture_blocks(sock, &fl, &img_a, 1468, 2, 2, 0.3);
	CHECK(got == 0, "a duplicate ACK was answered");
	session_del(&fl, ifa);
out:
	bpf_link__destroy(xdp_link);
	bpf_link__destroy(peer_link);
	if (sock >= 0)
		close(sock);
	if (orig_ns >= 0) {
		if (setns(orig_ns, CLONE_NEWNET)) {
			fprintf(stderr, "setns back: %s\n", strerror(errno));
			exit(1);
		}
		close(orig_ns);
	}
}

/* ---- benchmark ------------------------------------------------------------ */

/*
 * ns per run of an ACK -> grow -> 1468-byte DATA build. Every run must meet
 * a fresh session (the program advances it, and BPF_PROG_TEST_RUN does not
 * restore the frame between repeats), so this runs repeat=1 100000 times,
 * rewriting the session in between, and averages topts.duration (the
 * kernel's own timing of the program run).
 */
static void test_bench(void)
{
	static uint8_t in[FRAME_MAX];
	const unsigned int runs = 100000;
	unsigned long long total = 0;
	unsigned int ok = 0;
	struct flow fl;
	struct run r;
	size_t n;

	flow_init(&fl, 4, 0);
	n = build_ack(in, &fl, 44);
	for (unsigned int i = 0; i < runs; i++) {
		if (session_put(&fl, lo_ifindex, &img_a, 1468, 1, 44, 43, XT_SESS_ACTIVE))
			break;
		run_prog(skel->progs.xdp_tftp, in, n, 0, &r);
		if (r.err || r.retval != XDP_TX || r.size_out != 14 + 20 + 12 + 1468)
			break;
		total += r.duration;
		ok++;
	}
	CHECK(ok == runs, "only %u of %u runs sent DATA", ok, runs);
	if (ok)
		printf("  xdp grow + 1468-byte DATA build: %.1f ns per run (%u runs of repeat=1)\n",
		       (double)total / ok, ok);
	session_del(&fl, lo_ifindex);

	/* For scale: a frame without a session, the same way (cold, one run
	 * per syscall) and hot (repeat=100000 in one syscall). */
	total = 0;
	for (unsigned int i = 0; i < runs; i++) {
		run_prog(skel->progs.xdp_tftp, in, n, 0, &r);
		total += r.duration;
	}
	{
		LIBBPF_OPTS(bpf_test_run_opts, topts,
			.data_in = in, .data_size_in = n, .repeat = runs);
		int err = bpf_prog_test_run_opts(bpf_program__fd(skel->progs.xdp_tftp), &topts);

		CHECK(err == 0 && topts.retval == XDP_PASS, "repeat run: %d retval %u",
		      err, topts.retval);
		printf("  xdp no-session pass: %.1f ns per run (repeat=1), %u ns (repeat=%u)\n",
		       (double)total / runs, topts.duration, runs);
	}
}

/* ---- main ------------------------------------------------------------------ */

int main(void)
{
	int err;

	err = harness_start();
	if (err)
		return err;

	RUN_CASES(send_cases, one_send);
	RUN_CASES(pass_cases, one_pass);
	test_dup_ack(0);
	report("xdp_dup_ack_dropped");
	test_dup_ack(1);
	report("tc_dup_ack_dropped");
	test_unsent_ack(0);
	report("xdp_ack_never_sent_dropped");
	test_unsent_ack(1);
	report("tc_ack_never_sent_dropped");
	RUN_CASES(dup_cases, one_dup);
	test_srtt(0);
	report("xdp_srtt_sample_karn");
	test_srtt(1);
	report("tc_srtt_sample_karn");
	test_final_ack(0, 4);
	report("xdp_final_ack_done_event");
	test_final_ack(1, 6);
	report("tc_final_ack_done_event");
	test_tc_window_lo();
	report("tc_window_cut_at_final");
	test_tc_window_veth();
	report("tc_window8_veth_clones");
	test_live_veth();
	report("live_veth_xdp_and_tc_attached");
	test_bench();
	report("bench_xdp_1468");

	return harness_finish();
}
