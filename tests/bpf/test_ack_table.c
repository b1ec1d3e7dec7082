// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The ACK table (ack_cases.h) against the BPF programs under
 * BPF_PROG_TEST_RUN: for every case the TC program (and XDP for lock-step
 * ones) must do what the class says, the same table tests/unit/test_xfer.c
 * runs against userspace:
 *   NEW          answered: last_acked = the block named, last_sent = the
 *                window after it, cut at the final block;
 *   DUP          dropped and counted, the session unchanged (its last DATA
 *                went out just now, within xtftp_rto.h's resend gap: the
 *                resend on a duplicate is test_prog_run's);
 *   FINAL        dropped, the session done at the final block;
 *   BEFORE_START dropped and counted (ack_unsent), the session unchanged
 *                and still the kernel's (issue 13: a stray ACK used to
 *                move the transfer to userspace for good);
 *   PAST_FINAL   passed on (pass_bad_session): userspace ends it.
 * Needs root; exit 77 when BPF is unavailable.
 */
#include "harness.h"
#include "xtftp_block.h"
#include "xtftp_ack.h"
#include "ack_cases.h"

static const struct image *case_image(const struct ack_case *c)
{
	return c->image == 'a' ? &img_a : c->image == 'b' ? &img_b : &img_c;
}

static void run_case(const struct ack_case *c, int tc)
{
	static uint8_t in[FRAME_MAX];
	struct bpf_program *prog = tc ? skel->progs.tc_tftp : skel->progs.xdp_tftp;
	const struct image *img = case_image(c);
	uint32_t final = img->size / c->blksize + 1;
	uint64_t dup0 = stat_read(XT_STAT_DUP_ACK);
	uint64_t unsent0 = stat_read(XT_STAT_ACK_UNSENT);
	uint64_t resend0 = stat_read(XT_STAT_DUP_RESEND);
	uint64_t bad_session0 = stat_read(XT_STAT_PASS_BAD_SESSION);
	uint32_t want_retval;
	struct session_value v;
	struct flow fl;
	struct run r;
	size_t n;

	CHECK(img->size == ACK_IMAGE_SIZE(c->image), "image %c: %u bytes, the table says %u",
	      c->image, (unsigned int)img->size, ACK_IMAGE_SIZE(c->image));
	flow_init(&fl, 4, 0);
	if (session_put(&fl, lo_ifindex, img, c->blksize, c->window, c->last_sent,
			c->last_acked, XT_SESS_ACTIVE)) {
		subtest_failed = 1;
		return;
	}
	/* DATA sent just now, turnaround 1 s: every duplicate is within the gap */
	if (session_timing(&fl, lo_ifindex, mono_ns(), 1000000000ull, 0, 0)) {
		subtest_failed = 1;
		return;
	}
	n = build_ack(in, &fl, c->wire);
	run_prog(prog, in, n, 0, &r);
	CHECK(r.err == 0, "test run: %s", strerror(-r.err));
	CHECK(session_get(&fl, lo_ifindex, &v) == 0, "session vanished");
	switch (c->cls) {
	case XT_ACK_NEW: {
		uint32_t top = c->abs + c->window < final ? c->abs + c->window : final;

		want_retval = tc ? (uint32_t)TC_ACT_REDIRECT : XDP_TX;
		CHECK(v.last_acked == c->abs && v.last_sent == top,
		      "last_acked %u last_sent %u, want %u %u", v.last_acked, v.last_sent,
		      c->abs, top);
		break;
	}
	case XT_ACK_DUP:
		want_retval = tc ? (uint32_t)TC_ACT_SHOT : XDP_DROP;
		CHECK(v.dup_acks == 1, "dup_acks %u want 1", v.dup_acks);
		CHECK(stat_read(XT_STAT_DUP_ACK) == dup0 + 1, "DUP_ACK did not go up by 1");
		CHECK(v.last_sent == c->last_sent && v.last_acked == c->last_acked,
		      "a duplicate moved the session: last_sent %u last_acked %u",
		      v.last_sent, v.last_acked);
		CHECK(v.dup_resends == 0 && stat_read(XT_STAT_DUP_RESEND) == resend0,
		      "a duplicate within the gap was resent");
		break;
	case XT_ACK_BEFORE_START:
		want_retval = tc ? (uint32_t)TC_ACT_SHOT : XDP_DROP;
		CHECK(stat_read(XT_STAT_ACK_UNSENT) == unsent0 + 1, "ACK_UNSENT did not go up by 1");
		CHECK(v.state == XT_SESS_ACTIVE && v.last_sent == c->last_sent &&
		      v.last_acked == c->last_acked && v.dup_acks == 0,
		      "an ACK for a block never sent changed the session");
		break;
	case XT_ACK_FINAL:
		want_retval = tc ? (uint32_t)TC_ACT_SHOT : XDP_DROP;
		CHECK(v.state == XT_SESS_DONE && v.last_acked == final,
		      "state %u last_acked %u, want done at %u", v.state, v.last_acked, final);
		break;
	case XT_ACK_PAST_FINAL:
	default:
		want_retval = tc ? (uint32_t)TC_ACT_UNSPEC : XDP_PASS;
		CHECK(stat_read(XT_STAT_PASS_BAD_SESSION) == bad_session0 + 1,
		      "PASS_BAD_SESSION did not go up by 1");
		CHECK(v.state == XT_SESS_ACTIVE && v.last_sent == c->last_sent &&
		      v.last_acked == c->last_acked, "a passed ACK changed the session");
		break;
	}
	CHECK(r.retval == want_retval, "retval %u want %u", r.retval, want_retval);
	session_del(&fl, lo_ifindex);
}

int main(void)
{
	char name[96];
	int err;

	err = harness_load();
	if (err)
		return err;
	for (size_t i = 0; i < N_ACK_CASES; i++) {
		run_case(&ack_cases[i], 1);
		snprintf(name, sizeof(name), "tc_%s", ack_cases[i].name);
		report(name);
		/* XDP leaves windows to TC (pass_window): lock-step only */
		if (ack_cases[i].window != 1)
			continue;
		run_case(&ack_cases[i], 0);
		snprintf(name, sizeof(name), "xdp_%s", ack_cases[i].name);
		report(name);
	}
	harness_unload();
	printf("%d subtests passed, %d failed\n", n_pass, n_fail);
	return n_fail ? 1 : 0;
}
