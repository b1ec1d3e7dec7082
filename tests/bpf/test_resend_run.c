// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tc_resend (the timer resend at TC egress, xtftp_kern.h struct
 * xt_resend_req) under BPF_PROG_TEST_RUN, against the running kernel's
 * verifier: a resend request in, the exact DATA frame of the block out
 * (built plainly by harness.h, as for the ACK path), the session's counters
 * moved and nothing else of it; every request it must refuse dropped
 * (TC_ACT_SHOT, never sent on as it is), every other frame left untouched.
 *
 * One line per subtest (PASS/FAIL); exit 0 all passed, 1 any failed,
 * 77 when not root or BPF is unavailable.
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
#include "xtftp_wire.h"
#include "xtftp.skel.h"

#include "harness.h"

/* The request the daemon sends for block blk of fl's session (key: as the
 * daemon's, on ifindex), from source port 33333 to XT_RESEND_PORT, to
 * daddr (NULL: the client's address). */
static size_t build_request(uint8_t *f, const struct flow *fl, unsigned int ifindex, uint32_t blk,
			    const uint8_t *daddr, uint32_t magic)
{
	struct xt_resend_req req;
	struct flow out = *fl;

	memset(&req, 0, sizeof(req));
	req.magic = magic;
	req.block = blk;
	flow_key(fl, ifindex, &req.key);
	out.server_port = 33333;
	out.client_port = XT_RESEND_PORT;
	if (daddr)
		memcpy(out.client_addr, daddr, 16);
	return build_udp_frame(f, &out, 0, 0, 0x4000, 64, (const uint8_t *)&req, sizeof(req));
}

struct resend_case {
	const char *name;
	int family;
	uint16_t blksize;
	uint32_t last_sent, last_acked, blk;
};

/* Served: the DATA frame out, TC_ACT_OK, counted as TC's and as a timer
 * resend, remembered as the block resent last (Karn, the echo rule);
 * last_sent, last_acked and the timestamps as they were. */
static void one_resend(const struct resend_case *c)
{
	static uint8_t in[FRAME_MAX], want[FRAME_MAX];
	uint64_t tc0 = stat_read(XT_STAT_DATA_TC), rs0 = stat_read(XT_STAT_TIMER_RESEND);
	uint64_t off = (uint64_t)(c->blk - 1) * c->blksize;
	uint32_t len = off >= img_a.size ? 0 :
		       (img_a.size - off < c->blksize ? img_a.size - off : c->blksize);
	struct session_value v;
	struct flow fl;
	struct run r;
	size_t ilen, wlen;

	flow_init(&fl, c->family, 0);
	if (session_put(&fl, lo_ifindex, &img_a, c->blksize, 1, c->last_sent, c->last_acked,
			XT_SESS_ACTIVE)) {
		subtest_failed = 1;
		return;
	}
	ilen = build_request(in, &fl, lo_ifindex, c->blk, NULL, XT_RESEND_MAGIC);
	wlen = build_data(want, &fl, &img_a, c->blksize, c->blk);
	run_prog(skel->progs.tc_resend, in, ilen, lo_ifindex, &r);
	CHECK(r.err == 0, "test run: %s", strerror(-r.err));
	CHECK(r.retval == TC_ACT_OK, "retval %u, want TC_ACT_OK", r.retval);
	check_frame(&r, want, wlen);
	CHECK(session_get(&fl, lo_ifindex, &v) == 0, "session vanished");
	CHECK(v.timer_resends == 1, "timer_resends %u want 1", v.timer_resends);
	CHECK(v.blocks_tc == 1 && v.bytes_sent == len, "blocks_tc %u bytes %llu, want 1 and %u",
	      v.blocks_tc, (unsigned long long)v.bytes_sent, len);
	CHECK(v.last_sent == c->last_sent && v.last_acked == c->last_acked,
	      "last_sent %u last_acked %u changed", v.last_sent, v.last_acked);
	CHECK(v.last_resent == c->blk, "last_resent %u, want the resent block %u", v.last_resent,
	      c->blk);
	CHECK(v.last_data_ns == 0 && v.dup_resends == 0, "last_data_ns or dup_resends moved");
	CHECK(stat_read(XT_STAT_DATA_TC) == tc0 + 1 && stat_read(XT_STAT_TIMER_RESEND) == rs0 + 1,
	      "stats data_tc / timer_resend did not go up by 1");
	session_del(&fl, lo_ifindex);
}

static const struct resend_case resend_cases[] = {
	{ "resend_v4_512",            4, 512,  5, 3, 4 },
	{ "resend_v4_window_first",   4, 512,  8, 3, 4 },
	{ "resend_v4_window_last",    4, 512,  8, 3, 8 },
	/* block 45 of 1468 covers [64592, 66060): chunks 0 and 1 */
	{ "resend_v6_straddle_1468",  6, 1468, 45, 44, 45 },
	/* the short final block of image A at 1468 (136 blocks) */
	{ "resend_v4_final_1468",     4, 1468, 137, 136, 137 },
};

enum refusal {
	R_ACKED,        /* the block was acknowledged meanwhile */
	R_UNSENT,       /* beyond last_sent */
	R_BLOCK0,       /* the OACK is userspace's */
	R_PAUSED,       /* userspace owns the session */
	R_NO_SESSION,   /* another server port */
	R_IFINDEX,      /* the key names another interface */
	R_ADDR,         /* sent to another address than the key's client */
	R_SHORT,        /* UDP length not the request's */
};

struct refuse_case {
	const char *name;
	int family;
	enum refusal how;
};

/* Refused: dropped (TC_ACT_SHOT), counted, the session untouched. */
static void one_refuse(const struct refuse_case *c)
{
	static uint8_t in[FRAME_MAX];
	uint64_t ref0 = stat_read(XT_STAT_RESEND_REFUSED), rs0 = stat_read(XT_STAT_TIMER_RESEND);
	uint8_t other[16] = { 198, 18, 0, 99 };
	uint32_t blk = 4, state = XT_SESS_ACTIVE;
	unsigned int key_if = lo_ifindex;
	struct session_value v;
	struct flow fl, asked;
	struct run r;
	size_t ilen;

	flow_init(&fl, c->family, 0);
	asked = fl;
	if (c->family == 6)
		inet_pton(AF_INET6, "2001:db8::99", other);
	switch (c->how) {
	case R_ACKED:      blk = 3; break;
	case R_UNSENT:     blk = 6; break;
	case R_BLOCK0:     blk = 0; break;
	case R_PAUSED:     state = XT_SESS_PAUSED; break;
	case R_NO_SESSION: asked.server_port++; break;
	case R_IFINDEX:    key_if = lo_ifindex + 1000; break;
	default:           break;
	}
	if (session_put(&fl, lo_ifindex, &img_a, 512, 1, 5, 3, state) ||
	    (key_if != lo_ifindex &&
	     session_put(&fl, key_if, &img_a, 512, 1, 5, 3, XT_SESS_ACTIVE))) {
		subtest_failed = 1;
		return;
	}
	ilen = build_request(in, &asked, key_if, blk, c->how == R_ADDR ? other : NULL,
			     XT_RESEND_MAGIC);
	if (c->how == R_SHORT) {
		size_t l4 = ilen - sizeof(struct xt_resend_req) - 8;

		put16(in + l4 + 4, get16(in + l4 + 4) - 1);
	}
	run_prog(skel->progs.tc_resend, in, ilen, lo_ifindex, &r);
	CHECK(r.err == 0, "test run: %s", strerror(-r.err));
	CHECK(r.retval == TC_ACT_SHOT, "retval %u, want TC_ACT_SHOT", r.retval);
	CHECK(stat_read(XT_STAT_RESEND_REFUSED) == ref0 + 1, "resend_refused did not go up by 1");
	CHECK(stat_read(XT_STAT_TIMER_RESEND) == rs0, "timer_resend went up");
	CHECK(session_get(&fl, lo_ifindex, &v) == 0, "session vanished");
	CHECK(v.timer_resends == 0 && v.blocks_tc == 0 && v.last_sent == 5 && v.last_acked == 3,
	      "session changed: timer_resends %u blocks_tc %u", v.timer_resends, v.blocks_tc);
	session_del(&fl, lo_ifindex);
	if (key_if != lo_ifindex)
		session_del(&fl, key_if);
}

static const struct refuse_case refuse_cases[] = {
	{ "refuse_acked_v4",      4, R_ACKED },
	{ "refuse_unsent_v6",     6, R_UNSENT },
	{ "refuse_block0_v4",     4, R_BLOCK0 },
	{ "refuse_paused_v4",     4, R_PAUSED },
	{ "refuse_no_session_v6", 6, R_NO_SESSION },
	{ "refuse_ifindex_v4",    4, R_IFINDEX },
	{ "refuse_addr_v4",       4, R_ADDR },
	{ "refuse_addr_v6",       6, R_ADDR },
	{ "refuse_udp_len_v4",    4, R_SHORT },
};

/* Not a request: the frame goes on exactly as it came, nothing counted. */
static void one_untouched(const char *what, const uint8_t *in, size_t ilen)
{
	uint64_t ref0 = stat_read(XT_STAT_RESEND_REFUSED), rs0 = stat_read(XT_STAT_TIMER_RESEND);
	struct run r;

	run_prog(skel->progs.tc_resend, in, ilen, lo_ifindex, &r);
	CHECK(r.err == 0, "%s: test run: %s", what, strerror(-r.err));
	CHECK(r.retval == TC_ACT_OK, "%s: retval %u, want TC_ACT_OK", what, r.retval);
	check_frame(&r, in, ilen);
	CHECK(stat_read(XT_STAT_RESEND_REFUSED) == ref0 && stat_read(XT_STAT_TIMER_RESEND) == rs0,
	      "%s: counted", what);
}

static void test_others_untouched(void)
{
	static uint8_t f[FRAME_MAX];
	struct flow fl;
	size_t n;

	flow_init(&fl, 4, 0);
	n = build_data(f, &fl, &img_a, 512, 7);         /* userspace's own DATA */
	one_untouched("DATA 7", f, n);
	n = build_request(f, &fl, lo_ifindex, 4, NULL, XT_RESEND_MAGIC ^ 1);
	one_untouched("port 9 without the magic", f, n);
	flow_init(&fl, 6, 1);
	n = build_data(f, &fl, &img_a, 512, 7);         /* tagged */
	one_untouched("tagged DATA", f, n);
}

/*
 * Karn across the two programs: the kernel's first DATA (block 5, sent 30
 * ms ago, no estimate yet) lost and resent on the daemon's timer through
 * tc_resend; the client's ACK of it may answer either copy, so the ACK
 * path answers it (DATA 6) without a turnaround sample; the next ACK is a
 * sample again. Before, the 30 ms became the estimate's first sample.
 */
static void test_resend_then_ack(void)
{
	static uint8_t in[FRAME_MAX];
	struct session_value v;
	struct flow fl;
	struct run r;
	size_t n;

	flow_init(&fl, 4, 0);
	if (session_put(&fl, lo_ifindex, &img_a, 512, 1, 5, 4, XT_SESS_ACTIVE) ||
	    session_timing(&fl, lo_ifindex, mono_ns() - 30000000ull, 0, 0, 0)) {
		subtest_failed = 1;
		return;
	}
	n = build_request(in, &fl, lo_ifindex, 5, NULL, XT_RESEND_MAGIC);
	run_prog(skel->progs.tc_resend, in, n, lo_ifindex, &r);
	CHECK(r.retval == TC_ACT_OK, "resend: retval %u", r.retval);
	n = build_ack(in, &fl, 5);
	run_prog(skel->progs.tc_tftp, in, n, 0, &r);
	CHECK(r.retval == TC_ACT_REDIRECT, "ACK 5: retval %u, want DATA 6 out", r.retval);
	CHECK(session_get(&fl, lo_ifindex, &v) == 0, "session vanished");
	CHECK(v.last_acked == 5 && v.last_sent == 6, "last_acked %u last_sent %u, want 5 and 6",
	      v.last_acked, v.last_sent);
	CHECK(v.srtt_ns == 0, "the ACK of the timer's resend fed the estimate: srtt %llu",
	      (unsigned long long)v.srtt_ns);
	n = build_ack(in, &fl, 6);
	run_prog(skel->progs.tc_tftp, in, n, 0, &r);
	CHECK(session_get(&fl, lo_ifindex, &v) == 0, "session vanished");
	CHECK(v.last_acked == 6 && v.srtt_ns > 0 && v.srtt_ns < 30000000ull,
	      "ACK 6 (DATA 6 sent once): last_acked %u srtt %llu, want a sample",
	      v.last_acked, (unsigned long long)v.srtt_ns);
	session_del(&fl, lo_ifindex);
}

int main(void)
{
	int err;

	err = harness_start();
	if (err)
		return err;
	RUN_CASES(resend_cases, one_resend);
	RUN_CASES(refuse_cases, one_refuse);
	test_others_untouched();
	report("other_frames_untouched");
	test_resend_then_ack();
	report("resend_then_ack_no_sample");
	return harness_finish();
}
