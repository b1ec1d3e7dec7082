// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for the transfer state machine (user/proto/xfer.c) and the
 * ACK arithmetic it shares with the BPF programs (include/xtftp_ack.h):
 * scripted ACK and timer sequences with times, no socket and no clock.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <linux/types.h>

#include "xtftp_wire.h"
#include "xtftp_block.h"
#include "xtftp_ack.h"
#include "xtftp_rto.h"
#include "proto/xfer.h"
#include "../bpf/ack_cases.h"

#define SEC 1000000000ull
#define MS  1000000ull
#define US  1000ull
#define T   (1 * SEC)               /* the negotiated timeout in these scripts */
#define RETRIES 5

/* The sends of one answer: from..to, none when from > to. */
#define assert_sends(out, from, to) do {                        \
	assert_int_equal((out)->send_from, (from));             \
	assert_int_equal((out)->send_to, (to));                 \
} while (0)
#define assert_no_send(out) assert_true((out)->send_from > (out)->send_to)

/* ---- the ACK arithmetic (include/xtftp_ack.h) ---------------------------- */

/* Absolute block an ACK names: the nearest at or below last sent. */
static void test_ack_expand(void **state)
{
	__u32 abs = 0;

	(void)state;
	assert_int_equal(xt_ack_classify(0, (__u32)-1, 10, 0, &abs), XT_ACK_NEW);
	assert_int_equal(abs, 0);               /* ACK 0 of the OACK */
	assert_int_equal(xt_ack_classify(5, 4, 10, 5, &abs), XT_ACK_NEW);
	assert_int_equal(abs, 5);
	assert_int_equal(xt_ack_classify(5, 2, 10, 3, &abs), XT_ACK_NEW);
	assert_int_equal(abs, 3);
	/* never sent: a block before the start */
	assert_int_equal(xt_ack_classify(0, (__u32)-1, 10, 65535, &abs), XT_ACK_BEFORE_START);
	/* block 65536 goes on the wire as 0, 65537 as 1 */
	assert_int_equal(xt_ack_classify(65536, 65535, 0, 0, &abs), XT_ACK_NEW);
	assert_int_equal(abs, 65536);
	assert_int_equal(xt_ack_classify(65537, 65536, 0, 1, &abs), XT_ACK_NEW);
	assert_int_equal(abs, 65537);
	assert_int_equal(xt_ack_classify(65537, 1, 0, 65535, &abs), XT_ACK_NEW);
	assert_int_equal(abs, 65535);
	assert_int_equal(xt_ack_classify(65540, 1, 0, 65534, &abs), XT_ACK_NEW);
	assert_int_equal(abs, 65534);
	/* 40 MiB at 512: 81921 blocks */
	assert_int_equal(xt_ack_classify(81921, 81920, 81921, (__u16)81921, &abs), XT_ACK_FINAL);
	assert_int_equal(abs, 81921);
	assert_int_equal(xt_ack_classify(3 * 65536 + 2, 1, 0, 65535, &abs), XT_ACK_NEW);
	assert_int_equal(abs, 3 * 65536 - 1);
}

static void test_ack_classify(void **state)
{
	__u32 abs = 0;

	(void)state;
	/* lock-step: the ACK of the last block sent advances */
	assert_int_equal(xt_ack_classify(4, 3, 10, 4, &abs), XT_ACK_NEW);
	assert_int_equal(abs, 4);
	/* duplicate ACK (Sorcerer's Apprentice): never a resend */
	assert_int_equal(xt_ack_classify(4, 3, 10, 3, &abs), XT_ACK_DUP);
	assert_int_equal(xt_ack_classify(4, 3, 10, 2, &abs), XT_ACK_DUP);
	/* an ACK for a block never sent maps below: before the start here
	 * (xfer counts it as a duplicate), a duplicate further in */
	assert_int_equal(xt_ack_classify(4, 3, 10, 9, &abs), XT_ACK_BEFORE_START);
	assert_int_equal(xt_ack_classify(70004, 70003, 0, TFTP_BLOCK_WIRE(70009), &abs),
			 XT_ACK_DUP);
	assert_int_equal(abs, 70009 - 65536);
	/* final block */
	assert_int_equal(xt_ack_classify(10, 9, 10, 10, &abs), XT_ACK_FINAL);
	assert_int_equal(abs, 10);
	/* final not known yet (netascii) */
	assert_int_equal(xt_ack_classify(10, 9, 0, 10, &abs), XT_ACK_NEW);
	/* window 8: sent 9..16 after ACK 8; ACK 12 (13 lost) re-bases at 12 */
	assert_int_equal(xt_ack_classify(16, 8, 100, 12, &abs), XT_ACK_NEW);
	assert_int_equal(abs, 12);
	/* a late ACK 10 after that is a duplicate */
	assert_int_equal(xt_ack_classify(20, 12, 100, 10, &abs), XT_ACK_DUP);
	/* window across the rollover: sent 65530..65541, acked 65529 */
	assert_int_equal(xt_ack_classify(65541, 65529, 0, 2, &abs), XT_ACK_NEW);
	assert_int_equal(abs, 65538);
	assert_int_equal(xt_ack_classify(65541, 65529, 0, 65533, &abs), XT_ACK_NEW);
	assert_int_equal(abs, 65533);
}

static void test_final_block(void **state)
{
	(void)state;
	assert_int_equal(xt_final_block(0, 512), 1);           /* one empty block */
	assert_int_equal(xt_final_block(511, 512), 1);
	assert_int_equal(xt_final_block(512, 512), 2);         /* ends with an empty one */
	assert_int_equal(xt_final_block(513, 512), 2);
	assert_int_equal(xt_final_block(40ull << 20, 512), 81921);
	assert_int_equal(xt_final_block(16ull << 20, 1468), 11429);
}

/*
 * The table tests/bpf/test_ack_table.c runs against the BPF programs: the
 * same class and block here, and xfer's answer is the kernel's: a new ACK
 * sends the window after it cut at the final block, a duplicate or a block
 * never sent is not answered, the final ACK ends the transfer. The one
 * difference, by design: an ACK past the final block (a corrupt session)
 * the kernel passes on, xfer takes as the end.
 */
static void test_ack_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_ACK_CASES; i++) {
		const struct ack_case *c = &ack_cases[i];
		uint32_t final = xt_final_block(ACK_IMAGE_SIZE(c->image), c->blksize);
		__u32 abs = 0xdeadbeef;
		struct xfer x;
		struct xfer_out out;
		int cls;

		cls = xt_ack_classify(c->last_sent, c->last_acked, final, c->wire, &abs);
		if (cls != c->cls || (cls != XT_ACK_BEFORE_START && abs != c->abs))
			fail_msg("%s: class %d block %u, the table says %d %u", c->name, cls, abs,
				 c->cls, c->abs);
		xfer_rrq_start(&x, c->window, T, RETRIES, final, 1, 0, 0, &out);
		x.last_sent = c->last_sent;
		x.last_acked = (int32_t)c->last_acked;
		xfer_on_ack(&x, c->wire, NULL, 1, &out);
		switch (c->cls) {
		case XT_ACK_NEW: {
			int64_t top = (int64_t)c->abs + c->window;

			if (top > final)
				top = final;
			if (out.events != XFER_EV_ACK_NEW || out.send_from != (int64_t)c->abs + 1 ||
			    out.send_to != top)
				fail_msg("%s: events %#x send %" PRId64 "..%" PRId64, c->name,
					 out.events, out.send_from, out.send_to);
			break;
		}
		case XT_ACK_DUP:
		case XT_ACK_BEFORE_START:
			if (out.events != XFER_EV_DUP_ACK || out.send_from <= out.send_to)
				fail_msg("%s: events %#x, a duplicate answered", c->name, out.events);
			break;
		default:
			if (!(out.events & XFER_EV_DONE) || x.last_acked != final)
				fail_msg("%s: events %#x acked %" PRId64, c->name, out.events,
					 x.last_acked);
			break;
		}
	}
}

/* ---- the state machine ---------------------------------------------------- */

/* T as the client negotiated it (RFC 2349): used as is, never adapted, so
 * these scripts' deadlines are whole timeouts. test_adaptive_rto and
 * test_dup_ack_resend start without it. */
static void start(struct xfer *x, unsigned int w, int64_t final, int oack, int kernel,
		  uint64_t now, struct xfer_out *out)
{
	xfer_rrq_start(x, w, T, RETRIES, final, oack, kernel, now, out);
	xfer_timeout_asked(x);
}

static void ack(struct xfer *x, int64_t n, uint64_t now, struct xfer_out *out)
{
	xfer_on_ack(x, TFTP_BLOCK_WIRE((uint64_t)n), NULL, now, out);
}

static void test_lockstep(void **state)
{
	struct xfer x;
	struct xfer_out out;

	(void)state;
	/* with options: the OACK first, DATA 1 after ACK 0 */
	start(&x, 1, 3, 1, 0, 100, &out);
	assert_sends(&out, 0, 0);
	assert_int_equal(out.first_new, 0);
	assert_int_equal(out.deadline, 100 + T);
	assert_int_equal(out.events, 0);
	ack(&x, 0, 200, &out);
	assert_int_equal(out.events, XFER_EV_ACK_NEW);
	assert_int_equal(out.acked, 0);
	assert_sends(&out, 1, 1);
	assert_int_equal(out.first_new, 1);
	assert_int_equal(out.deadline, 200 + T);
	ack(&x, 1, 300, &out);
	assert_sends(&out, 2, 2);
	ack(&x, 2, 400, &out);
	assert_sends(&out, 3, 3);
	ack(&x, 3, 500, &out);
	assert_int_equal(out.events, XFER_EV_ACK_NEW | XFER_EV_DONE);
	assert_int_equal(out.acked, 3);
	assert_no_send(&out);
	assert_true(x.done);
	/* after the end nothing is answered, not even on the timer */
	ack(&x, 3, 600, &out);
	assert_int_equal(out.events, 0);
	assert_no_send(&out);
	xfer_on_timer(&x, NULL, 700, &out);
	assert_int_equal(out.events, 0);
	assert_no_send(&out);
	assert_int_equal(out.deadline, 0);

	/* plain RFC 1350: DATA 1 at once, even with a window set */
	start(&x, 8, 3, 0, 0, 0, &out);
	assert_sends(&out, 1, 1);
	assert_int_equal(out.first_new, 1);
	assert_int_equal(x.last_acked, 0);
	ack(&x, 1, 10, &out);
	assert_sends(&out, 2, 3);       /* the window, clamped to the final block */
}

static void test_window_rebase(void **state)
{
	struct xfer x;
	struct xfer_out out;

	(void)state;
	start(&x, 4, 10, 1, 0, 0, &out);
	ack(&x, 0, 1, &out);
	assert_sends(&out, 1, 4);
	assert_int_equal(out.first_new, 1);
	ack(&x, 4, 2, &out);
	assert_sends(&out, 5, 8);
	/* 7 lost: the client ACKs 6; the window re-bases there: 7 and 8 are
	 * resends, 9 and 10 new */
	ack(&x, 6, 3, &out);
	assert_int_equal(out.events, XFER_EV_ACK_NEW);
	assert_sends(&out, 7, 10);
	assert_int_equal(out.first_new, 9);
	assert_int_equal(x.last_sent, 10);
	/* a late ACK 5: a duplicate */
	ack(&x, 5, 4, &out);
	assert_int_equal(out.events, XFER_EV_DUP_ACK);
	assert_no_send(&out);
	assert_int_equal(x.last_acked, 6);
	ack(&x, 10, 5, &out);
	assert_true(out.events & XFER_EV_DONE);
}

/* Sorcerer's Apprentice: a duplicate ACK is never answered, however many
 * come, and does not move the timer. */
static void test_duplicates_never_answered(void **state)
{
	struct xfer x;
	struct xfer_out out;

	(void)state;
	start(&x, 1, 100, 1, 0, 0, &out);
	ack(&x, 0, 1, &out);
	ack(&x, 1, 2, &out);
	assert_sends(&out, 2, 2);
	for (int i = 0; i < 50; i++) {
		ack(&x, 1, 3 + (uint64_t)i, &out);
		assert_int_equal(out.events, XFER_EV_DUP_ACK);
		assert_no_send(&out);
		assert_int_equal(out.deadline, 0);
		assert_int_equal(out.acked, 1);
	}
	/* ACK 0 again, and an ACK for a block never sent (maps below) */
	ack(&x, 0, 60, &out);
	assert_int_equal(out.events, XFER_EV_DUP_ACK);
	xfer_on_ack(&x, 9, NULL, 61, &out);
	assert_int_equal(out.events, XFER_EV_DUP_ACK);
	assert_no_send(&out);
	/* before the start: only the OACK is out, the wire says 65535 */
	start(&x, 1, 100, 1, 0, 0, &out);
	xfer_on_ack(&x, 65535, NULL, 1, &out);
	assert_int_equal(out.events, XFER_EV_DUP_ACK);
	assert_no_send(&out);
	assert_int_equal(x.last_acked, -1);
	/* the answer came once: the next new ACK still works */
	ack(&x, 0, 2, &out);
	assert_sends(&out, 1, 1);
}

/* 70,000 blocks of 512 in lock-step and with a window of 8: the wire
 * number rolls over 65535 -> 0, the absolute count never does. */
static void test_rollover(void **state)
{
	const int64_t final = 70000;
	unsigned int windows[] = { 1, 8 };
	struct xfer x;
	struct xfer_out out;

	(void)state;
	for (unsigned int wi = 0; wi < 2; wi++) {
		unsigned int w = windows[wi];
		int64_t acked = 0;
		uint64_t now = 0;
		int saw_wrap = 0;

		start(&x, w, final, 1, 0, now, &out);
		ack(&x, 0, ++now, &out);
		while (!(out.events & XFER_EV_DONE)) {
			int64_t top = out.send_to;

			assert_int_equal(out.send_from, acked + 1);
			assert_true(top <= final);
			assert_true(top - out.send_from < (int64_t)w);
			if (top >= 65536 && out.send_from <= 65536)
				saw_wrap = 1;
			/* the client ACKs the last block of the window; the wire
			 * carries it mod 65536 */
			xfer_on_ack(&x, TFTP_BLOCK_WIRE((uint64_t)top), NULL, ++now, &out);
			assert_true(out.acked > acked);
			acked = out.acked;
		}
		assert_int_equal(acked, final);
		assert_true(saw_wrap);
	}
	/* around the wrap: last sent 65537 (wire 1), a late ACK 65535 and
	 * the ACK of wire 0 (65536) */
	start(&x, 1, 0, 0, 0, 0, &out);
	x.last_sent = 65537;
	x.last_acked = 65536;
	xfer_on_ack(&x, 65535, NULL, 1, &out);
	assert_int_equal(out.events, XFER_EV_DUP_ACK);
	xfer_on_ack(&x, 0, NULL, 2, &out);
	assert_int_equal(out.events, XFER_EV_DUP_ACK);
	xfer_on_ack(&x, 1, NULL, 3, &out);
	assert_int_equal(out.events, XFER_EV_ACK_NEW);
	assert_int_equal(out.acked, 65537);
	assert_sends(&out, 65538, 65538);
}

/* No answer: the window is resent on a timer doubled per retry (capped at
 * 8 s), the first timeout of a run is a stall, and after RETRIES resends
 * the transfer gives up at the block it waited for. */
static void test_backoff(void **state)
{
	static const uint64_t gaps[] = { 2 * T, 4 * T, 8 * T, 8 * T, 8 * T };
	struct xfer x;
	struct xfer_out out;
	uint64_t now;

	(void)state;
	start(&x, 4, 100, 1, 0, 0, &out);
	ack(&x, 0, 10, &out);
	assert_sends(&out, 1, 4);
	now = out.deadline;
	for (unsigned int i = 0; i < RETRIES; i++) {
		xfer_on_timer(&x, NULL, now, &out);
		assert_int_equal(out.events, XFER_EV_TIMEOUT | (i == 0 ? XFER_EV_STALL : 0));
		assert_sends(&out, 1, 4);               /* the whole outstanding window */
		assert_int_equal(out.first_new, 5);     /* all resends */
		assert_int_equal(out.deadline, now + gaps[i]);
		assert_int_equal(x.retries, i + 1);
		now = out.deadline;
	}
	xfer_on_timer(&x, NULL, now, &out);
	assert_int_equal(out.events, XFER_EV_TIMEOUT | XFER_EV_GIVE_UP);
	assert_int_equal(out.acked, 0);         /* gave up waiting for block 1 */
	assert_no_send(&out);
	assert_true(x.done);

	/* progress resets the run: the next timeout is a stall again */
	start(&x, 1, 100, 1, 0, 0, &out);
	xfer_on_timer(&x, NULL, T, &out);
	assert_sends(&out, 0, 0);               /* the OACK again */
	assert_int_equal(out.first_new, 1);
	xfer_on_timer(&x, NULL, 3 * T, &out);
	assert_int_equal(out.events, XFER_EV_TIMEOUT);
	ack(&x, 0, 4 * T, &out);
	assert_int_equal(x.retries, 0);
	assert_int_equal(out.deadline, 5 * T);
	xfer_on_timer(&x, NULL, 5 * T, &out);
	assert_int_equal(out.events, XFER_EV_TIMEOUT | XFER_EV_STALL);
	assert_sends(&out, 1, 1);

	/* the interval itself: a timeout above the cap is not shortened */
	assert_int_equal(xfer_retransmit_interval(T, 0), T);
	assert_int_equal(xfer_retransmit_interval(T, 3), 8 * T);
	assert_int_equal(xfer_retransmit_interval(T, 30), 8 * T);
	assert_int_equal(xfer_retransmit_interval(3 * T, 1), 6 * T);
	assert_int_equal(xfer_retransmit_interval(3 * T, 2), 8 * T);
	assert_int_equal(xfer_retransmit_interval(10 * T, 4), 10 * T);
}

static struct xfer_kview kview(uint32_t sent, int32_t acked, uint64_t last_data_ns)
{
	struct xfer_kview k = { .last_sent = sent, .last_acked = acked,
				.done = 0, .last_data_ns = last_data_ns };
	return k;
}

/* The kernel serves: its progress re-arms the timer one timeout after its
 * last DATA and is no stall; without progress userspace resends on the
 * backoff schedule but looks every timeout; the kernel's DONE ends it. */
static void test_kernel_progress(void **state)
{
	struct xfer x;
	struct xfer_out out;
	struct xfer_kview k;

	(void)state;
	start(&x, 1, 1000, 1, 1, 0, &out);
	assert_sends(&out, 0, 0);               /* userspace sends the OACK */
	assert_int_equal(x.k_seen_acked, -1);
	/* one timeout later the kernel has sent up to 40, acked 39 */
	k = kview(40, 39, T - 1000);
	xfer_on_timer(&x, &k, T, &out);
	assert_int_equal(out.events, XFER_EV_K_PROGRESS);
	assert_no_send(&out);
	assert_int_equal(out.acked, 39);
	assert_int_equal(out.deadline, 2 * T - 1000);
	/* its last DATA a timeout ago already: looked at again no sooner
	 * than half the RTO floor from now */
	k = kview(80, 79, T - 2000);
	xfer_on_timer(&x, &k, 2 * T - 1000, &out);
	assert_int_equal(out.events, XFER_EV_K_PROGRESS);
	assert_int_equal(out.deadline, 2 * T - 1000 + XT_RTO_MIN_NS / 2);
	/* no progress: a stall, 80 resent by userspace, looked at within
	 * 50 ms (not after the RTO, here the 1 s timeout: a loss right after
	 * the client's answer would wait that long), the next resend due
	 * after the backoff interval */
	xfer_on_timer(&x, &k, 3 * T, &out);
	assert_int_equal(out.events, XFER_EV_TIMEOUT | XFER_EV_STALL);
	assert_sends(&out, 80, 80);
	assert_int_equal(out.first_new, 81);
	assert_int_equal(out.deadline, 3 * T + 50 * MS);
	assert_int_equal(x.k_resend_ns, 5 * T);
	assert_true(x.kernel);
	/* looked at: no progress, resend not due yet: no send, looked at
	 * again within 50 ms (the client's answer goes to the kernel) */
	xfer_on_timer(&x, &k, 3 * T + 50 * MS, &out);
	assert_int_equal(out.events, 0);
	assert_no_send(&out);
	assert_int_equal(out.deadline, 3 * T + 100 * MS);
	while (out.deadline < 5 * T) {
		uint64_t at = out.deadline;

		xfer_on_timer(&x, &k, at, &out);
		assert_int_equal(out.events, 0);
		assert_no_send(&out);
		assert_true(out.deadline > at && out.deadline <= at + 50 * MS);
	}
	assert_int_equal(out.deadline, 5 * T);
	/* due: the second resend, the interval doubled */
	xfer_on_timer(&x, &k, 5 * T, &out);
	assert_int_equal(out.events, XFER_EV_TIMEOUT);
	assert_sends(&out, 80, 80);
	assert_int_equal(x.k_resend_ns, 9 * T);
	assert_int_equal(out.deadline, 5 * T + 50 * MS);
	/* the client answered the resend to the kernel: progress, the run
	 * of retries is over */
	k = kview(81, 80, 6 * T - 5);
	xfer_on_timer(&x, &k, 6 * T, &out);
	assert_int_equal(out.events, XFER_EV_K_PROGRESS);
	assert_int_equal(x.retries, 0);
	assert_int_equal(x.k_resend_ns, 0);
	/* the kernel saw the final ACK */
	k = kview(1000, 1000, 7 * T);
	k.done = 1;
	xfer_on_timer(&x, &k, 7 * T, &out);
	assert_int_equal(out.events, XFER_EV_DONE);
	assert_int_equal(out.acked, 1000);
	assert_true(x.done);

	/* the ring buffer's DONE: the final block is acknowledged */
	start(&x, 1, 1000, 1, 1, 0, &out);
	xfer_on_kernel_done(&x, &out);
	assert_int_equal(out.events, XFER_EV_DONE);
	assert_int_equal(x.last_acked, 1000);
}

/* The kernel's entry after an ACK of acked seen (and DATA sent) at t, its
 * turnaround estimate 100 us. */
static struct xfer_kview kview_paced(uint32_t sent, int32_t acked, uint64_t t)
{
	struct xfer_kview k = kview(sent, acked, t);

	k.last_ack_ns = t;
	k.srtt_ns = 20 * US;            /* + 4 rttvar: under XT_RTO_MIN_NS */
	k.rttvar_ns = 5 * US;
	return k;
}

/* Looks at a kernel session that progresses: due one wait after the
 * kernel's last DATA, even when that is sooner than half the RTO floor
 * from now (it was put off to then); and a look that finds the last DATA
 * already a whole wait old, the client's pace known, resends it at once
 * instead of looking again (each was one more look per loss: ~0.45 ms a
 * loss in the 2 % loss bench, now ~0.27 ms). */
static void test_kernel_late_look(void **state)
{
	struct xfer x;
	struct xfer_out out;
	struct xfer_kview k;

	(void)state;
	xfer_rrq_start(&x, 1, T, RETRIES, 10000, 1, 1, 0, &out);
	x.loss_seen = 1;                        /* the RTO floor, not the clean one */
	k = kview_paced(101, 100, 1000 * US);
	xfer_on_timer(&x, &k, 1050 * US, &out);
	assert_int_equal(out.events, XFER_EV_K_PROGRESS);
	assert_int_equal(xfer_rto(&x), XT_RTO_MIN_NS);
	assert_int_equal(out.deadline, 1000 * US + XT_RTO_MIN_NS);
	/* 10 blocks in 100 us: the pace is known (10 us a block, under the
	 * floor); looked at 50 us before the due time: due then */
	k = kview_paced(111, 110, 1100 * US);
	xfer_on_timer(&x, &k, 1100 * US + XT_RTO_MIN_NS - 50 * US, &out);
	assert_int_equal(out.events, XFER_EV_K_PROGRESS);
	assert_no_send(&out);
	assert_int_equal(x.k_pace_ns, 10 * US);
	assert_int_equal(out.deadline, 1100 * US + XT_RTO_MIN_NS);
	/* progress to 120, DATA 121 sent at 1400 us and not acknowledged at
	 * the next look, 300 us later: late, resent now */
	k = kview_paced(121, 120, 1400 * US);
	xfer_on_timer(&x, &k, 1700 * US, &out);
	assert_int_equal(out.events & (XFER_EV_K_PROGRESS | XFER_EV_TIMEOUT),
			 XFER_EV_K_PROGRESS | XFER_EV_TIMEOUT);
	assert_sends(&out, 121, 121);
	assert_int_equal(out.acked, 120);
	assert_true(x.kernel);
	/* the pace unknown (a first look), the same lateness is looked at
	 * again instead: the wait may be the floor's, not the client's */
	xfer_rrq_start(&x, 1, T, RETRIES, 10000, 1, 1, 0, &out);
	x.loss_seen = 1;
	k = kview_paced(121, 120, 1400 * US);
	xfer_on_timer(&x, &k, 1700 * US, &out);
	assert_int_equal(out.events, XFER_EV_K_PROGRESS);
	assert_no_send(&out);
}

/* A kernel session's RTO follows the client's pace between looks, not
 * only the kernel's turnaround estimate (which refuses samples over 1.5
 * RTO, so it never caught up with a client that slowed down for good:
 * 512 transfers on one loaded host were resent ~20 blocks each for
 * nothing). */
static void test_kernel_pace(void **state)
{
	struct xfer x;
	struct xfer_out out;
	struct xfer_kview k;

	(void)state;
	xfer_rrq_start(&x, 1, T, RETRIES, 10000, 1, 1, 0, &out);
	x.loss_seen = 1;                        /* as after a first timeout */
	k = kview_paced(101, 100, 1 * MS);
	xfer_on_timer(&x, &k, 2 * MS, &out);
	assert_int_equal(out.events, XFER_EV_K_PROGRESS);
	assert_int_equal(xfer_rto(&x), XT_RTO_MIN_NS);  /* no pace yet: the floor */
	/* 10 blocks in 200 ms: 20 ms a block, the RTO four of those */
	k = kview_paced(111, 110, 201 * MS);
	xfer_on_timer(&x, &k, 202 * MS, &out);
	assert_int_equal(out.events, XFER_EV_K_PROGRESS);
	assert_int_equal(x.k_pace_ns, 20 * MS);
	assert_int_equal(xfer_rto(&x), 80 * MS);
	assert_int_equal(out.deadline, 201 * MS + 80 * MS);
	/* a loss: no progress for one RTO, a resend; the next look's 2 s
	 * for 1 block hold that wait and are no pace (taken, the RTO fed on
	 * itself up to the configured timeout: 0.5 s a loss) */
	xfer_on_timer(&x, &k, 201 * MS + 80 * MS, &out);
	assert_true(out.events & XFER_EV_TIMEOUT);
	k = kview_paced(112, 111, 2201 * MS);
	xfer_on_timer(&x, &k, 2202 * MS, &out);
	assert_int_equal(out.events, XFER_EV_K_PROGRESS);
	assert_int_equal(x.k_pace_ns, 20 * MS);
	/* the same pace does not bind userspace, which times every block */
	x.kernel = 0;
	assert_int_equal(xfer_rto(&x), XT_RTO_MIN_NS);
	/* and never beyond the configured timeout */
	x.kernel = 1;
	x.k_pace_ns = T;
	assert_int_equal(xfer_rto(&x), T);
}

/* The final-ACK dally of a session the kernel serves: the client's
 * duplicate ACKs go to the kernel (which answers them), so the kernel's
 * count of them says the client is there, still lacking a block; without
 * it, the dally ended transfers whose clients then got ICMP unreachable
 * (the 5 % soak). Silent, it is delivered-unconfirmed as in userspace. */
static void test_kernel_final_dally(void **state)
{
	struct xfer x;
	struct xfer_out out;
	struct xfer_kview k;
	uint64_t now;
	int unconfirmed, dups;

	(void)state;
	for (dups = 0; dups < 2; dups++) {
		start(&x, 1, 10, 1, 1, 0, &out);
		k = kview(10, 9, 1 * MS);
		xfer_on_timer(&x, &k, 2 * MS, &out);
		assert_int_equal(out.events, XFER_EV_K_PROGRESS);
		now = out.deadline;
		unconfirmed = 0;
		for (int i = 0; i < 2000 && !x.done; i++) {
			if (dups)
				k.dup_acks++;   /* the client re-ACKed 9 since the last look */
			xfer_on_timer(&x, &k, now, &out);
			if (out.events & XFER_EV_UNCONFIRMED)
				unconfirmed = 1;
			now = out.deadline > now ? out.deadline : now + T;
		}
		assert_true(x.done);
		assert_int_equal(unconfirmed, !dups);
	}
}

/* An ACK the kernel passed on: userspace continues from the kernel's entry
 * (read after pausing it) or, when it is gone, from what it last saw. */
static void test_kernel_take_back(void **state)
{
	struct xfer x;
	struct xfer_out out;
	struct xfer_kview k;

	(void)state;
	start(&x, 4, 1000, 1, 1, 0, &out);
	k = kview(20, 16, 0);
	xfer_on_ack(&x, 18, &k, 10, &out);
	assert_int_equal(out.events, XFER_EV_TAKE_BACK | XFER_EV_ACK_NEW);
	assert_false(out.k_gone);
	assert_false(x.kernel);
	assert_int_equal(out.acked, 18);
	assert_sends(&out, 19, 22);
	assert_int_equal(out.first_new, 21);    /* 19 and 20 the kernel sent */
	/* the client is in step again (everything sent is acked, past what
	 * the kernel had sent): handed back, the kernel answers from here */
	xfer_on_ack(&x, 22, NULL, 11, &out);
	assert_int_equal(out.events, XFER_EV_ACK_NEW | XFER_EV_HAND_BACK);
	assert_true(x.kernel);
	assert_sends(&out, 23, 26);
	/* a duplicate that made the kernel pass: taken back, not answered */
	start(&x, 1, 1000, 1, 1, 0, &out);
	k = kview(30, 30, 0);
	xfer_on_ack(&x, 30, &k, 10, &out);
	assert_int_equal(out.events, XFER_EV_TAKE_BACK | XFER_EV_DUP_ACK);
	assert_no_send(&out);
	/* the entry is gone (LRU eviction): from the kernel's progress last
	 * seen on the timer */
	start(&x, 1, 1000, 1, 1, 0, &out);
	k = kview(12, 11, T);
	xfer_on_timer(&x, &k, T, &out);
	xfer_on_ack(&x, 12, NULL, T + 1, &out);
	assert_int_equal(out.events, XFER_EV_TAKE_BACK | XFER_EV_ACK_NEW);
	assert_true(out.k_gone);
	assert_int_equal(out.acked, 12);
	assert_sends(&out, 13, 13);
	/* gone, seen on the timer: taken back and resent from userspace */
	start(&x, 2, 1000, 1, 1, 0, &out);
	k = kview(12, 11, T);
	xfer_on_timer(&x, &k, T, &out);
	xfer_on_timer(&x, NULL, 2 * T, &out);
	assert_true(out.events & XFER_EV_TAKE_BACK);
	assert_true(out.events & XFER_EV_TIMEOUT);
	assert_true(out.k_gone);
	assert_false(x.kernel);
	assert_sends(&out, 12, 12);
	assert_int_equal(out.deadline, 2 * T + xfer_retransmit_interval(T, 1));
}

/* netascii: the final block is found while encoding; a short block in the
 * middle of a window ends it there, and nothing past it is ever sent. */
static void test_netascii_final(void **state)
{
	struct xfer x;
	struct xfer_out out;

	(void)state;
	start(&x, 8, 0, 1, 0, 0, &out);
	ack(&x, 0, 1, &out);
	assert_sends(&out, 1, 8);
	/* the caller finds 5 short and stops there */
	xfer_set_final(&x, 5);
	assert_int_equal(x.final_block, 5);
	assert_int_equal(x.last_sent, 5);
	ack(&x, 3, 2, &out);
	assert_sends(&out, 4, 5);
	assert_int_equal(out.first_new, 6);     /* 4 and 5 again */
	xfer_on_timer(&x, NULL, 2 + T, &out);
	assert_sends(&out, 4, 5);
	ack(&x, 5, 3 + T, &out);
	assert_true(out.events & XFER_EV_DONE);
	/* a later short block does not move the end back out */
	start(&x, 1, 0, 1, 0, 0, &out);
	xfer_set_final(&x, 3);
	xfer_set_final(&x, 7);
	assert_int_equal(x.final_block, 3);
}

/* Random ACK, loss and timer sequences against a model client: acked never
 * goes back, nothing past the final block is sent, a duplicate is never
 * answered, and every block the client gets is one it can use. */
/* A duplicate ACK is answered by nothing, or (rule 2) by block acked + 1
 * alone. */
static void assert_dup_answer(const struct xfer *x, const struct xfer_out *out)
{
	if (!(out->events & XFER_EV_DUP_ACK))
		return;
	if (out->events & XFER_EV_DUP_RESEND)
		assert_sends(out, x->last_acked + 1, x->last_acked + 1);
	else
		assert_no_send(out);
}

static void test_random_sequences(void **state)
{
	struct xfer x;
	struct xfer_out out;

	(void)state;
	srand(12);
	for (int run = 0; run < 300; run++) {
		unsigned int w = 1 + (unsigned int)rand() % 16;
		int64_t final = 1 + rand() % 300;
		int oack = rand() % 2;
		int64_t client_have = oack ? -1 : 0;    /* highest in-order block received */
		int64_t acked = oack ? -1 : 0;
		uint64_t now = 0;
		int steps = 0, unconfirmed = 0;

		xfer_rrq_start(&x, w, T, 1000, final, oack, 0, now, &out);
		while (!x.done && steps++ < 20000) {
			int64_t prev_acked = x.last_acked;
			int r = rand() % 10;

			assert_true(out.send_to <= final);
			/* the client receives what was sent, losing some */
			for (int64_t n = out.send_from; n <= out.send_to; n++)
				if (rand() % 5 && n == client_have + 1)
					client_have = n;
			now += 1000;
			if (r < 7 && client_have >= 0) {
				/* the client ACKs what it has (maybe again) */
				xfer_on_ack(&x, TFTP_BLOCK_WIRE((uint64_t)client_have), NULL, now, &out);
				if (client_have <= prev_acked)
					assert_int_equal(out.events & ~XFER_EV_DUP_RESEND, XFER_EV_DUP_ACK);
				assert_dup_answer(&x, &out);
			} else if (r < 9 && prev_acked >= 0) {
				/* an old ACK, delayed in the network */
				int64_t old = prev_acked - rand() % 4;

				if (old < 0)
					old = 0;
				xfer_on_ack(&x, TFTP_BLOCK_WIRE((uint64_t)old), NULL, now, &out);
				assert_int_equal(out.events & ~XFER_EV_DUP_RESEND, XFER_EV_DUP_ACK);
				assert_dup_answer(&x, &out);
			} else {
				xfer_on_timer(&x, NULL, now, &out);
				if (!x.done)
					assert_int_equal(out.send_from, x.last_acked + 1);
				if (out.events & XFER_EV_UNCONFIRMED)
					unconfirmed = 1;
			}
			assert_true(x.last_acked >= prev_acked);
			assert_true(x.last_acked >= acked);
			acked = x.last_acked;
			assert_true(x.last_sent <= final);
			assert_true(x.last_acked <= x.last_sent);
		}
		assert_true(x.done);
		/* done, or delivered-unconfirmed: all but the final window acked */
		if (unconfirmed)
			assert_true(x.last_acked < final && x.last_acked >= final - (int64_t)w);
		else
			assert_int_equal(x.last_acked, final);
	}
}

/* ---- loss recovery (xtftp_rto.h, issue 13) ----------------------------------- */


/* Without a timeout from the client the RTO follows the measured
 * turnaround (floor XT_RTO_MIN_NS), doubles on repeats up to the
 * configured timeout without spending the retries, then backs off as
 * before: a lost block costs milliseconds, a client that went away is
 * given up on no sooner than with the 1 s timer alone. */
static void test_adaptive_rto(void **state)
{
	struct xfer x;
	struct xfer_out out;
	uint64_t now;
	unsigned int timeouts = 0;

	(void)state;
	xfer_rrq_start(&x, 1, T, RETRIES, 100, 1, 0, 0, &out);
	x.loss_seen = 1;        /* a lossy link: the RTO adapts */
	assert_int_equal(out.deadline, T);              /* no sample yet */
	ack(&x, 0, 20000, &out);                       /* OACK -> ACK 0: 0.02 ms */
	assert_int_equal(x.srtt_ns, 20000);
	assert_int_equal(xfer_rto(&x), XT_RTO_MIN_NS);  /* 0.02 + 4 x 0.01 ms: floor */
	assert_int_equal(out.deadline, 20000 + XT_RTO_MIN_NS);
	/* a slower client: the RTO follows, within the ceiling */
	ack(&x, 1, 20000 + 5 * MS, &out);
	assert_true(xfer_rto(&x) > XT_RTO_MIN_NS && xfer_rto(&x) < T);
	/* DATA 2 lost: resent after the RTO, not after a second */
	now = out.deadline;
	assert_true(now - (20000 + 5 * MS) < 50 * MS);
	xfer_on_timer(&x, NULL, now, &out);
	assert_int_equal(out.events, XFER_EV_TIMEOUT);  /* healed fast: no stall */
	assert_sends(&out, 2, 2);
	assert_int_equal(x.retries, 0);                 /* the fast phase is free */
	/* Karn: the resent block's ACK is no sample */
	{
		uint64_t srtt = x.srtt_ns;

		ack(&x, 2, now + 40 * MS, &out);
		assert_int_equal(x.srtt_ns, srtt);
	}
	/* silence: one fast resend, then the configured schedule: T, 2T, 4T,
	 * 8T, 8T, each counted */
	now = out.deadline;
	for (;;) {
		xfer_on_timer(&x, NULL, now, &out);
		timeouts++;
		if (out.events & XFER_EV_GIVE_UP)
			break;
		assert_sends(&out, 3, 3);
		assert_true(out.deadline > now);
		now = out.deadline;
		assert_true(timeouts < 40);
	}
	assert_int_equal(x.retries, RETRIES);
	assert_true(timeouts > RETRIES + 1);            /* the fast ones came first */

	/* a timeout the client chose is used as is (RFC 2349) */
	start(&x, 1, 100, 1, 0, 0, &out);
	ack(&x, 0, 1000, &out);
	assert_int_equal(out.deadline, 1000 + T);
	assert_int_equal(xfer_rto(&x), T);
}

/* The fast phase: resends at the RTO, doubling, for a client that answers
 * repeats: three, and on while the doubled wait stays within 50 ms (with a
 * 250 us RTO three spanned under 2 ms: a client not scheduled for that
 * long waited for the 1 s schedule); a client seen to re-ACK only on its
 * own timer (its ACK was lost and our repeats were ignored: busybox,
 * U-Boot) gets one. */
static void test_fast_phase(void **state)
{
	struct xfer x;
	struct xfer_out out;
	uint64_t now, rto;

	(void)state;
	xfer_rrq_start(&x, 1, T, RETRIES, 100, 1, 0, 0, &out);
	x.loss_seen = 1;        /* a lossy link: the RTO adapts */
	ack(&x, 0, 100000, &out);                       /* srtt 0.1 ms */
	rto = xfer_rto(&x);
	now = out.deadline;
	xfer_on_timer(&x, NULL, now, &out);             /* 1st fast resend */
	assert_sends(&out, 1, 1);
	assert_int_equal(out.deadline, now + 2 * rto);
	now = out.deadline;
	xfer_on_timer(&x, NULL, now, &out);             /* 2nd */
	assert_int_equal(out.deadline, now + 4 * rto);
	now = out.deadline;
	xfer_on_timer(&x, NULL, now, &out);             /* 3rd */
	while (out.deadline - now < T) {                /* on up to 50 ms, then the schedule */
		assert_true(out.deadline - now <= 50 * MS);
		now = out.deadline;
		xfer_on_timer(&x, NULL, now, &out);
	}
	assert_int_equal(out.deadline, now + T);
	assert_true(x.timeouts_in_row > 3);             /* the floor, doubling: 0.1 ... 25.6 ms */
	assert_int_equal(x.retries, 0);
	assert_false(x.ignores_repeats);
	/* the client's own timer re-ACKs 1 much later: it had block 1 and
	 * ignored three repeats */
	ack(&x, 1, now + 900 * MS, &out);
	assert_true(x.ignores_repeats);
	/* from now on one fast resend, then 1.5 timeouts: the client's own
	 * timer (as long as ours) re-ACKs first, our copy would be a second
	 * needless one; then the schedule */
	now = out.deadline;
	xfer_on_timer(&x, NULL, now, &out);
	assert_sends(&out, 2, 2);
	assert_int_equal(out.deadline, now + T + T / 2);
	now = out.deadline;
	xfer_on_timer(&x, NULL, now, &out);
	assert_sends(&out, 2, 2);
	assert_int_equal(out.deadline, now + 2 * T);
	/* a client that answers the resend at once is not flagged */
	xfer_rrq_start(&x, 1, T, RETRIES, 100, 1, 0, 0, &out);
	x.loss_seen = 1;        /* a lossy link: the RTO adapts */
	ack(&x, 0, 100000, &out);
	now = out.deadline;
	xfer_on_timer(&x, NULL, now, &out);
	ack(&x, 1, now + 100000, &out);
	assert_false(x.ignores_repeats);
}

/* A session the kernel serves is looked at early (5 ms), not after a
 * whole timeout: a loss in the first second is healed at the RTO. An early
 * look without progress is no timeout before one RTO since the last DATA. */
static void test_kernel_first_look(void **state)
{
	struct xfer x;
	struct xfer_out out;
	struct xfer_kview k;

	(void)state;
	xfer_rrq_start(&x, 1, T, RETRIES, 2049, 1, 1, 0, &out);
	x.loss_seen = 1;        /* a lossy link: the RTO adapts */
	assert_int_equal(out.deadline, 5 * MS);
	/* nothing yet (the client is slow to ACK the OACK): not a timeout */
	k = kview(0, -1, 0);
	xfer_on_timer(&x, &k, 5 * MS, &out);
	assert_int_equal(out.events, 0);
	assert_no_send(&out);
	assert_int_equal(out.deadline, T);
	/* progress with the kernel's estimate: the next look one RTO after
	 * its last DATA */
	k = kview(40, 39, 30 * MS);
	k.srtt_ns = 20000;
	k.rttvar_ns = 5000;
	xfer_on_timer(&x, &k, 30 * MS + 50000, &out);
	assert_int_equal(out.events, XFER_EV_K_PROGRESS);
	assert_int_equal(out.deadline, 30 * MS + XT_RTO_MIN_NS);
	/* DATA 40 lost: resent from userspace at that look */
	xfer_on_timer(&x, &k, 30 * MS + XT_RTO_MIN_NS, &out);
	assert_true(out.events & XFER_EV_TIMEOUT);
	assert_sends(&out, 40, 40);
	assert_true(x.kernel);
}

/* Karn for a sample the sender cannot tie to one copy: the kernel does not
 * see the daemon's resends, so an ACK that arrives over 1.5x the RTO after
 * the kernel's last DATA is not learnt from. Without the rule, each loss
 * fed a sample of RTO + detection time and the estimate climbed. */
static void test_rtt_plausible(void **state)
{
	__u64 srtt = 0, rttvar = 0;

	(void)state;
	/* no estimate yet: anything but a sample that spans a resend */
	assert_true(xt_rtt_sample_plausible(0, 0, XT_RTT_FIRST_MAX_NS));
	assert_false(xt_rtt_sample_plausible(0, 0, T + 100000));
	xt_rtt_sample(&srtt, &rttvar, 20000);                   /* 0.02 ms */
	assert_int_equal(xt_rto(srtt, rttvar, T), XT_RTO_MIN_NS);
	assert_true(xt_rtt_sample_plausible(srtt, rttvar, 3 * XT_RTO_MIN_NS / 2));
	assert_false(xt_rtt_sample_plausible(srtt, rttvar, 3 * XT_RTO_MIN_NS / 2 + 1));
	/* a loss every tenth block, each answered after the RTO + 1.5 ms (look, rtt):
	 * with the rule the RTO stays at its floor */
	for (int i = 0; i < 500; i++) {
		__u64 r = i % 10 == 9 ? xt_rto(srtt, rttvar, T) + 3 * MS / 2 : 20000;

		if (xt_rtt_sample_plausible(srtt, rttvar, r))
			xt_rtt_sample(&srtt, &rttvar, r);
	}
	assert_true(xt_rto(srtt, rttvar, T) <= 2 * XT_RTO_MIN_NS);
	/* a client that really slows down to 10 ms is followed */
	for (int i = 0; i < 200; i++) {
		__u64 r = 10 * MS;

		if (xt_rtt_sample_plausible(srtt, rttvar, r))
			xt_rtt_sample(&srtt, &rttvar, r);
		else
			xt_rtt_sample(&srtt, &rttvar, xt_rto(srtt, rttvar, T) * 3 / 2);
	}
	assert_true(srtt > 5 * MS);
}

/* On a clean link the RTO is the adaptive one but at least
 * XFER_CLEAN_SRTT_FACTOR turnarounds within [XFER_CLEAN_RTO_MIN_NS,
 * XFER_CLEAN_RTO_FLOOR_NS]: a client answering in 100 us (firmware under an
 * emulator, which pauses up to 50 ms) gets 50 ms, one answering in 10 us
 * (a LAN host) 5 ms, so its first loss is not 50 ms of a 40 ms transfer.
 * The first timeout or duplicate ACK lets the RTO go down to
 * XT_RTO_MIN_NS. */
static void test_rto_adapts_after_loss(void **state)
{
	struct xfer x;
	struct xfer_out out;
	int64_t n;

	(void)state;
	xfer_rrq_start(&x, 1, T, RETRIES, 100, 1, 0, 0, &out);
	ack(&x, 0, 100000, &out);
	ack(&x, 1, 200000, &out);
	assert_int_equal(out.deadline, 200000 + XFER_CLEAN_RTO_FLOOR_NS); /* no loss yet */
	xfer_on_timer(&x, NULL, out.deadline, &out);    /* DATA 2 lost */
	assert_int_equal(out.events, XFER_EV_TIMEOUT);  /* healed fast: no stall */
	assert_sends(&out, 2, 2);
	ack(&x, 2, 200000 + XFER_CLEAN_RTO_FLOOR_NS + 100000, &out);
	assert_int_equal(out.deadline, 200000 + XFER_CLEAN_RTO_FLOOR_NS + 100000 +
					xt_rto(x.srtt_ns, x.rttvar_ns, T));
	assert_true(xfer_rto(&x) < 1 * MS);
	/* a LAN host's turnaround: 10 us a block, floor 512 x 10 us */
	xfer_rrq_start(&x, 1, T, RETRIES, 100, 1, 0, 0, &out);
	for (n = 0; n < 20; n++)
		ack(&x, n, (uint64_t)(n + 1) * 10000, &out);
	assert_int_equal(xfer_rto(&x), XFER_CLEAN_SRTT_FACTOR * 10000);
	xfer_on_timer(&x, NULL, out.deadline, &out);    /* DATA 20 lost */
	assert_sends(&out, 20, 20);
	ack(&x, 20, out.deadline + 10000, &out);
	assert_int_equal(xfer_rto(&x), XT_RTO_MIN_NS);
	/* ... 100 us, ten of its turnarounds: each of the ~80 losses of 1 MiB
	 * at 2 % each way costs that (with 250 us the losses alone took as
	 * long as the whole transfer on this veth) */
	assert_true(xfer_rto(&x) <= 100 * US);
	/* faster still: not below XFER_CLEAN_RTO_MIN_NS */
	xfer_rrq_start(&x, 1, T, RETRIES, 100, 1, 0, 0, &out);
	for (n = 0; n < 20; n++)
		ack(&x, n, (uint64_t)(n + 1) * 1000, &out);
	assert_int_equal(xfer_rto(&x), XFER_CLEAN_RTO_MIN_NS);
	/* a slow client's timeout stays its own */
	xfer_rrq_start(&x, 1, 10 * MS, RETRIES, 100, 1, 0, 0, &out);
	ack(&x, 0, 100000, &out);
	assert_int_equal(xfer_rto(&x), 10 * MS);
}

/* A resend the client echoes (it had the block: both copies arrived) was
 * needless: the session's floor doubles, up to XFER_CLEAN_RTO_FLOOR_NS and
 * never to the configured timeout, so a client that pauses now and then
 * is resent little, and a loss still costs at most 50 ms. */
static void test_needless_resend_floor(void **state)
{
	struct xfer x;
	struct xfer_out out;
	uint64_t t = 0, rto;
	int64_t n;

	(void)state;
	xfer_rrq_start(&x, 1, T, RETRIES, 1000, 1, 0, 0, &out);
	for (n = 0; n < 10; n++)
		ack(&x, n, t += 50000, &out);   /* 0.05 ms a block */
	xfer_on_timer(&x, NULL, out.deadline, &out);    /* DATA 10 "lost" */
	t = out.deadline;
	ack(&x, 10, t += 100000, &out);                 /* it was late, not lost */
	rto = xfer_rto(&x);
	assert_int_equal(rto, XT_RTO_MIN_NS);
	ack(&x, 10, t += 10000, &out);                  /* the echo of our copy */
	assert_int_equal(x.needless_resends, 1);
	assert_int_equal(xfer_rto(&x), 2 * rto);
	/* again and again: doubling up to the clean-link floor, no further */
	for (n = 11; n < 30; n++) {
		xfer_on_timer(&x, NULL, out.deadline, &out);
		assert_sends(&out, n, n);
		ack(&x, n, t = out.deadline + 1000, &out);
		ack(&x, n, t + 1000, &out);
	}
	assert_int_equal(x.needless_resends, 20);
	assert_int_equal(xfer_rto(&x), XFER_CLEAN_RTO_FLOOR_NS);
}

/* The kernel serves: our timer's resend, then progress together with a
 * duplicate ACK the kernel counted: the echo of a needless resend. Progress
 * without one: the resend was needed, the floor stays. */
static void test_kernel_needless_resend(void **state)
{
	struct xfer x;
	struct xfer_out out;
	struct xfer_kview k;
	uint64_t now;

	(void)state;
	xfer_rrq_start(&x, 1, T, RETRIES, 2049, 1, 1, 0, &out);
	k = kview(40, 39, 30 * MS);
	k.srtt_ns = 50000;
	k.rttvar_ns = 10000;
	xfer_on_timer(&x, &k, 30 * MS + 50000, &out);
	/* no loss yet: 512 turnarounds of 50 us */
	assert_int_equal(out.deadline, 30 * MS + XFER_CLEAN_SRTT_FACTOR * 50000);
	now = out.deadline;
	xfer_on_timer(&x, &k, now, &out);               /* no progress: resent */
	assert_sends(&out, 40, 40);
	/* needed: progress, no duplicate */
	k = kview(41, 40, now + 100000);
	k.srtt_ns = 50000;
	k.rttvar_ns = 10000;
	xfer_on_timer(&x, &k, now + 200000, &out);
	assert_int_equal(out.events, XFER_EV_K_PROGRESS);
	assert_int_equal(x.needless_resends, 0);
	assert_int_equal(xfer_rto(&x), XT_RTO_MIN_NS);
	now = out.deadline;
	xfer_on_timer(&x, &k, now, &out);               /* 41 late: resent */
	assert_sends(&out, 41, 41);
	k = kview(42, 41, now + 100000);
	k.srtt_ns = 50000;
	k.rttvar_ns = 10000;
	k.dup_acks = 1;                                 /* ... and echoed */
	xfer_on_timer(&x, &k, now + 200000, &out);
	assert_int_equal(out.events, XFER_EV_K_PROGRESS);
	assert_int_equal(x.needless_resends, 1);
	assert_int_equal(xfer_rto(&x), 2 * XT_RTO_MIN_NS);
	assert_false(x.ignores_repeats);
	/* 42 late, resent; the kernel saw the ACK 900 ms after our last
	 * resend: the client answered on its own timer (U-Boot) */
	now = out.deadline;
	xfer_on_timer(&x, &k, now, &out);
	assert_sends(&out, 42, 42);
	k = kview(43, 42, now + 900 * MS);
	k.last_ack_ns = now + 900 * MS;
	k.srtt_ns = 50000;
	k.rttvar_ns = 10000;
	k.dup_acks = 1;
	xfer_on_timer(&x, &k, now + 901 * MS, &out);
	assert_int_equal(out.events, XFER_EV_K_PROGRESS);
	assert_true(x.ignores_repeats);
}

/* The kernel serves a client that ignores a repeated DATA (old U-Boot):
 * our resend of a block whose ACK was lost goes unanswered, the next one
 * is due after the configured timeout, and the client re-ACKs on its own
 * timer (1 s) to the kernel, which carries on. A loss soon after that must
 * be seen within milliseconds, not when our resend was due: the looks in
 * between come at most 50 ms apart and double from the RTO. Before, the
 * session was looked at only then (1.3 s a lost ACK instead of 1 s). */
static void test_kernel_stall_looks(void **state)
{
	struct xfer x;
	struct xfer_out out;
	struct xfer_kview k;
	uint64_t now, resent, looks = 0;

	(void)state;
	xfer_rrq_start(&x, 1, T, RETRIES, 2049, 1, 1, 0, &out);
	x.ignores_repeats = 1;
	k = kview(40, 39, 30 * MS);
	k.srtt_ns = 10000;
	k.rttvar_ns = 1000;
	xfer_on_timer(&x, &k, 30 * MS + 50000, &out);  /* progress */
	now = out.deadline;
	xfer_on_timer(&x, &k, now, &out);                /* stall: 40 resent */
	assert_sends(&out, 40, 40);
	resent = now;
	assert_int_equal(x.k_resend_ns, resent + T + T / 2); /* ignores repeats */
	assert_true(out.deadline < resent + MS);         /* looked at after one RTO */
	/* the client re-ACKs 40 on its own timer at resent + 700 ms (ours
	 * is due at resent + 1 s): the kernel sends 41, which is lost */
	while (out.deadline < resent + 700 * MS) {
		now = out.deadline;
		xfer_on_timer(&x, &k, now, &out);
		assert_no_send(&out);
		looks++;
	}
	assert_true(looks <= 30);
	k = kview(41, 40, resent + 700 * MS);
	k.srtt_ns = 10000;
	k.rttvar_ns = 1000;
	now = out.deadline;
	assert_true(now <= resent + 750 * MS);
	xfer_on_timer(&x, &k, now, &out);
	assert_int_equal(out.events, XFER_EV_K_PROGRESS);
	/* 41 lost: resent at the next look, long before resent + 1 s */
	now = out.deadline;
	assert_true(now <= resent + 751 * MS);
	xfer_on_timer(&x, &k, now, &out);
	assert_sends(&out, 41, 41);
}

/* The kernel serves from ACK 0 on, and the DATA 1 it sent is lost: the
 * kernel has no turnaround sample yet (none before its own DATA is
 * acknowledged), so the session takes the OACK's (userspace sent it, the
 * kernel saw its ACK) and resends after one RTO, not the configured
 * timeout (1 s). Without options, DATA 1's turnaround serves the same way. */
static void test_kernel_first_sample(void **state)
{
	struct xfer x;
	struct xfer_out out;
	struct xfer_kview k;
	int has_oack;

	(void)state;
	for (has_oack = 0; has_oack < 2; has_oack++) {
		int64_t first = has_oack ? 0 : 1;

		xfer_rrq_start(&x, 1, T, RETRIES, 2049, has_oack, 1, 0, &out);
		/* its ACK at 100 us, the kernel's DATA right then, lost */
		k = kview((uint32_t)first + 1, (int32_t)first, 100 * US);
		k.last_ack_ns = 100 * US;
		xfer_on_timer(&x, &k, 5 * MS, &out);    /* the first look */
		assert_int_equal(out.events, XFER_EV_K_PROGRESS);
		assert_int_equal(x.srtt_ns, 100 * US);
		/* a clean link's floor: 512 turnarounds, at most 50 ms */
		assert_int_equal(out.deadline, 100 * US + XFER_CLEAN_RTO_FLOOR_NS);
		xfer_on_timer(&x, &k, out.deadline, &out);
		assert_sends(&out, first + 1, first + 1);
		/* the kernel's own estimate replaces it once it has one */
		k = kview((uint32_t)first + 3, (int32_t)first + 2, 60 * MS);
		k.last_ack_ns = 60 * MS;
		k.srtt_ns = 20 * US;
		k.rttvar_ns = 5 * US;
		xfer_on_timer(&x, &k, 61 * MS, &out);
		assert_int_equal(x.srtt_ns, 20 * US);
	}
	/* an ACK seen past the timed block says nothing of its turnaround */
	xfer_rrq_start(&x, 1, T, RETRIES, 2049, 1, 1, 0, &out);
	k = kview(2, 1, 200 * US);
	k.last_ack_ns = 200 * US;
	xfer_on_timer(&x, &k, 5 * MS, &out);
	assert_int_equal(x.srtt_ns, 0);
}

/* An ACK that comes a millisecond after our resend answered the resend,
 * however small the RTO: the client is not taken for one that ignores a
 * repeated DATA (that one answers on its own timer, 50 ms and more). */
static void test_ignores_repeats_needs_own_timer(void **state)
{
	struct xfer x;
	struct xfer_out out;
	uint64_t t = 0;
	int64_t n;

	(void)state;
	xfer_rrq_start(&x, 1, T, RETRIES, 1000, 1, 0, 0, &out);
	for (n = 0; n < 10; n++)
		ack(&x, n, t += 50000, &out);
	t = out.deadline;
	xfer_on_timer(&x, NULL, t, &out);               /* DATA 10 lost: a lossy link */
	ack(&x, 10, t + 100000, &out);
	assert_int_equal(xfer_rto(&x), XT_RTO_MIN_NS);
	xfer_on_timer(&x, NULL, out.deadline, &out);    /* DATA 11 lost */
	t = out.deadline;
	xfer_on_timer(&x, NULL, t, &out);               /* the first resend too */
	assert_sends(&out, 11, 11);
	ack(&x, 11, t + 1 * MS, &out);                  /* 1 ms after the resend */
	assert_false(x.ignores_repeats);
	t = out.deadline;
	xfer_on_timer(&x, NULL, t, &out);               /* DATA 12 lost */
	ack(&x, 12, t + 60 * MS, &out);                 /* its own timer */
	assert_true(x.ignores_repeats);
}

/* Rule 2: a duplicate ACK of the block before the outstanding one resends
 * that block at once, once per gap; the first duplicate of a resent block
 * is its echo and is absorbed, so a spurious resend never chains. */
static void test_dup_ack_resend(void **state)
{
	struct xfer x;
	struct xfer_out out;
	uint64_t t;

	(void)state;
	xfer_rrq_start(&x, 1, T, RETRIES, 100, 1, 0, 0, &out);
	x.loss_seen = 1;        /* a lossy link: the RTO adapts */
	ack(&x, 0, 100000, &out);                       /* srtt 0.1 ms */
	ack(&x, 1, 200000, &out);                       /* DATA 2 out at 0.2 ms */
	assert_sends(&out, 2, 2);
	t = 200000;
	/* the client re-ACKs 1 before DATA 2 had time to arrive: too soon */
	ack(&x, 1, t + XT_DUP_GAP_MIN_NS / 2, &out);
	assert_int_equal(out.events, XFER_EV_DUP_ACK);
	assert_no_send(&out);
	/* ... and after the gap: DATA 2 was lost, resent at once */
	ack(&x, 1, t + XT_DUP_GAP_MIN_NS, &out);
	assert_int_equal(out.events, XFER_EV_DUP_ACK | XFER_EV_DUP_RESEND);
	assert_sends(&out, 2, 2);
	assert_int_equal(out.first_new, 3);             /* a resend */
	assert_int_equal(out.deadline, t + XT_DUP_GAP_MIN_NS + xfer_rto(&x));
	/* a third copy of ACK 1 right after: one copy in flight per gap */
	ack(&x, 1, t + XT_DUP_GAP_MIN_NS + 10000, &out);
	assert_int_equal(out.events, XFER_EV_DUP_ACK);
	assert_no_send(&out);
	/* the resend arrives: ACK 2, DATA 3 */
	t += 3 * XT_DUP_GAP_MIN_NS;
	ack(&x, 2, t, &out);
	assert_sends(&out, 3, 3);
	/* the original DATA 2 was only late: the client ACKs 2 again. That is
	 * the echo of our second copy: absorbed, DATA 3 is not resent */
	ack(&x, 2, t + 2 * XT_DUP_GAP_MIN_NS, &out);
	assert_int_equal(out.events, XFER_EV_DUP_ACK);
	assert_no_send(&out);
	assert_int_equal(x.last_resent, 0);
	/* a further duplicate of 2 after the gap is news: DATA 3 was lost */
	ack(&x, 2, t + 3 * XT_DUP_GAP_MIN_NS, &out);
	assert_int_equal(out.events, XFER_EV_DUP_ACK | XFER_EV_DUP_RESEND);
	assert_sends(&out, 3, 3);
	/* an older duplicate (not the block before the outstanding one) and
	 * a block never sent are never answered */
	ack(&x, 1, t + 10 * XT_DUP_GAP_MIN_NS, &out);
	assert_int_equal(out.events, XFER_EV_DUP_ACK);
	assert_no_send(&out);
	ack(&x, 9000, t + 11 * XT_DUP_GAP_MIN_NS, &out);
	assert_int_equal(out.events, XFER_EV_DUP_ACK);
	assert_no_send(&out);

	/* Sorcerer's Apprentice, scripted: a client that ACKs every DATA it
	 * receives, twice-received ones included, behind a link that delays
	 * one DATA past our RTO. Copies sent stay at blocks + 1. */
	{
		unsigned int copies = 0;
		int64_t have = 0;

		xfer_rrq_start(&x, 1, T, RETRIES, 50, 0, 0, 0, &out);
		x.loss_seen = 1;        /* a lossy link: the RTO adapts */
		t = 0;
		copies++;
		while (!x.done) {
			int64_t n = out.send_from;

			assert_true(t < 10 * SEC);
			if (out.send_from > out.send_to) {
				/* nothing to send: our timer next */
				t = out.deadline;
				xfer_on_timer(&x, NULL, t, &out);
				copies += (unsigned int)(out.send_to - out.send_from + 1);
				continue;
			}
			if (n == 10 && have < 10) {
				/* DATA 10 is late: our timer fires first and resends */
				xfer_on_timer(&x, NULL, out.deadline, &out);
				copies++;
				t = out.deadline;
				have = 10;
				ack(&x, 10, t + 200000, &out);  /* for the late original */
				copies += (unsigned int)(out.send_to >= out.send_from);
				ack(&x, 10, t + 300000, &out);  /* for the resend: the echo */
				assert_int_equal(out.events, XFER_EV_DUP_ACK);
				assert_no_send(&out);
				t += 300000;
				/* the next block was sent on the first ACK 10 */
				n = 11;
				have = 11;
				ack(&x, 11, t + 100000, &out);
				copies += (unsigned int)(out.send_to >= out.send_from);
				t += 100000;
				continue;
			}
			have = out.send_to;
			t += 100000;
			ack(&x, have, t, &out);
			copies += (unsigned int)(out.send_to >= out.send_from ? out.send_to - out.send_from + 1 : 0);
		}
		assert_int_equal(x.last_acked, 50);
		assert_true(copies <= 50 + 1);
	}
}

/* A session taken back from the kernel goes back to it once the client is
 * in step (everything sent acknowledged, past what the kernel had sent),
 * and not when its entry is gone. */
static void test_hand_back(void **state)
{
	struct xfer x;
	struct xfer_out out;
	struct xfer_kview k;

	(void)state;
	start(&x, 1, 1000, 1, 1, 0, &out);
	k = kview(20, 18, 0);
	/* the kernel passed an ACK up (say, its entry was paused) */
	xfer_on_ack(&x, 19, &k, 10, &out);
	assert_int_equal(out.events, XFER_EV_TAKE_BACK | XFER_EV_ACK_NEW);
	assert_false(x.kernel);
	assert_sends(&out, 20, 20);                     /* resent: the kernel had sent it */
	xfer_on_ack(&x, 20, NULL, 20, &out);
	assert_int_equal(out.events, XFER_EV_ACK_NEW | XFER_EV_HAND_BACK);
	assert_true(x.kernel);
	assert_sends(&out, 21, 21);
	assert_int_equal(x.k_seen_acked, 20);
	/* back in the kernel: the timer looks at its progress again */
	k = kview(30, 29, 40);
	xfer_on_timer(&x, &k, 50, &out);
	assert_true(out.events & XFER_EV_K_PROGRESS);
	/* gone: never handed back */
	start(&x, 1, 1000, 1, 1, 0, &out);
	k = kview(12, 11, T);
	xfer_on_timer(&x, &k, T, &out);
	xfer_on_ack(&x, 12, NULL, T + 1, &out);
	assert_true(out.k_gone);
	xfer_on_ack(&x, 13, NULL, T + 2, &out);
	assert_int_equal(out.events, XFER_EV_ACK_NEW);
	assert_false(x.kernel);
}

/* The final ACK lost (tftp-hpa's and busybox's clients never send it
 * again): after a bounded dally the transfer is delivered-unconfirmed, not
 * a timeout after minutes; a client that never ACKed anything still times
 * out. */
static void test_final_ack_lost(void **state)
{
	struct xfer x;
	struct xfer_out out;
	uint64_t now;
	unsigned int timers = 0;

	(void)state;
	start(&x, 1, 3, 1, 0, 0, &out);
	ack(&x, 0, 10, &out);
	ack(&x, 1, 20, &out);
	ack(&x, 2, 30, &out);
	assert_sends(&out, 3, 3);                       /* the final block */
	now = out.deadline;
	for (;;) {
		xfer_on_timer(&x, NULL, now, &out);
		timers++;
		if (out.events & (XFER_EV_UNCONFIRMED | XFER_EV_GIVE_UP))
			break;
		assert_sends(&out, 3, 3);
		now = out.deadline;
	}
	assert_true(out.events & XFER_EV_UNCONFIRMED);
	assert_false(out.events & XFER_EV_GIVE_UP);
	assert_true(x.done);
	assert_int_equal(timers, 2);                    /* T, then 2T: ~3 s, not 23 */
	assert_true(now <= 30 + 3 * T);
	/* the last block's ACK before the dally ends: done as usual */
	start(&x, 1, 2, 1, 0, 0, &out);
	ack(&x, 0, 10, &out);
	ack(&x, 1, 20, &out);
	xfer_on_timer(&x, NULL, out.deadline, &out);
	ack(&x, 2, T + 100, &out);
	assert_int_equal(out.events, XFER_EV_ACK_NEW | XFER_EV_DONE);
	/* windowsize 4, 10 blocks: the final window (9-10) sent, its ACK
	 * lost (the load generator exits at once): unconfirmed after the
	 * same dally, not a timeout; the ICMP errors of a client gone do not
	 * change that */
	start(&x, 4, 10, 1, 0, 0, &out);
	ack(&x, 0, 10, &out);
	assert_sends(&out, 1, 4);
	ack(&x, 4, 20, &out);
	assert_sends(&out, 5, 8);
	ack(&x, 8, 30, &out);
	assert_sends(&out, 9, 10);
	now = out.deadline;
	for (timers = 0; timers < 20; timers++) {
		xfer_on_timer(&x, NULL, now, &out);
		if (out.events & (XFER_EV_UNCONFIRMED | XFER_EV_GIVE_UP))
			break;
		assert_sends(&out, 9, 10);
		now = out.deadline;
	}
	assert_true(out.events & XFER_EV_UNCONFIRMED);
	assert_int_equal(timers, 1);                    /* the second timer: T, then 2T */
	/* a client that re-ACKs (a duplicate) between our resends is there,
	 * waiting: no delivery */
	start(&x, 4, 10, 1, 0, 0, &out);
	ack(&x, 0, 10, &out);
	ack(&x, 4, 20, &out);
	ack(&x, 8, 30, &out);
	now = out.deadline;
	for (timers = 0; timers < 40 && !x.done; timers++) {
		ack(&x, 8, now - 1, &out);
		xfer_on_timer(&x, NULL, now, &out);
		now = out.deadline;
	}
	assert_true(out.events & XFER_EV_GIVE_UP);
	assert_false(out.events & XFER_EV_UNCONFIRMED);
	/* one duplicate before the final block's resend, then silence (the
	 * final ACK lost after all): unconfirmed, one timeout later (the soak
	 * counted such a transfer failed) */
	start(&x, 1, 3, 1, 0, 0, &out);
	ack(&x, 0, 10, &out);
	ack(&x, 1, 20, &out);
	ack(&x, 2, 30, &out);
	ack(&x, 2, 40, &out);
	now = out.deadline;
	for (timers = 0; timers < 40 && !x.done; timers++) {
		xfer_on_timer(&x, NULL, now, &out);
		now = out.deadline;
	}
	assert_true(out.events & XFER_EV_UNCONFIRMED);
	assert_int_equal(timers, 3);
	/* ... nor is an ACK short of the final window's start */
	start(&x, 4, 10, 1, 0, 0, &out);
	ack(&x, 0, 10, &out);
	ack(&x, 4, 20, &out);
	now = out.deadline;
	for (timers = 0; timers < 40 && !x.done; timers++) {
		xfer_on_timer(&x, NULL, now, &out);
		now = out.deadline;
	}
	assert_true(out.events & XFER_EV_GIVE_UP);
	assert_false(out.events & XFER_EV_UNCONFIRMED);
	/* one block, no OACK, no ACK ever: the client may have nothing */
	xfer_rrq_start(&x, 1, T, RETRIES, 1, 0, 0, 0, &out);
	xfer_timeout_asked(&x);
	now = out.deadline;
	for (timers = 0; timers < 20; timers++) {
		xfer_on_timer(&x, NULL, now, &out);
		if (x.done)
			break;
		now = out.deadline;
	}
	assert_true(out.events & XFER_EV_GIVE_UP);
	assert_false(out.events & XFER_EV_UNCONFIRMED);
}

/* ---- WRQ --------------------------------------------------------------------- */

#define BLK 512

static void data(struct xfer *x, int64_t n, size_t len, uint64_t now, struct xfer_out *out)
{
	xfer_on_data(x, TFTP_BLOCK_WIRE((uint64_t)n), len, now, out);
}

/* Lock-step upload of 2.5 blocks: each DATA stored and ACKed, the short
 * one ACKed only once the file is stored, then the dally. */
static void test_wrq_lockstep(void **state)
{
	struct xfer x;
	struct xfer_out out;

	(void)state;
	xfer_wrq_start(&x, BLK, 1, T, RETRIES, 0, &out);
	assert_int_equal(out.ack, 0);
	assert_int_equal(out.deadline, T);
	assert_no_send(&out);
	data(&x, 1, BLK, 10, &out);
	assert_int_equal(out.events, XFER_EV_DATA_NEW);
	assert_int_equal(out.ack, 1);
	assert_int_equal(out.deadline, 10 + T);
	data(&x, 2, BLK, 20, &out);
	assert_int_equal(out.ack, 2);
	data(&x, 3, 100, 30, &out);
	assert_int_equal(out.events, XFER_EV_DATA_NEW | XFER_EV_LAST);
	assert_int_equal(out.ack, -1);          /* not before the file is stored */
	assert_int_equal(out.deadline, 0);
	assert_int_equal(x.final_block, 3);
	xfer_on_committed(&x, 40, &out);
	assert_int_equal(out.ack, 3);
	assert_int_equal(out.deadline, 40 + T);
	/* dally: the final DATA again (our ACK was lost) is ACKed again;
	 * anything else is not answered */
	data(&x, 3, 100, 50, &out);
	assert_int_equal(out.events, 0);
	assert_int_equal(out.ack, 3);
	data(&x, 2, BLK, 60, &out);
	assert_int_equal(out.ack, -1);
	xfer_on_timer(&x, NULL, 40 + T, &out);
	assert_int_equal(out.events, XFER_EV_DALLY_END);
	/* a short timeout still dallies 200 ms */
	xfer_wrq_start(&x, BLK, 1, 1000, RETRIES, 0, &out);
	data(&x, 1, 0, 10, &out);
	assert_int_equal(out.events, XFER_EV_DATA_NEW | XFER_EV_LAST);
	xfer_on_committed(&x, 20, &out);
	assert_int_equal(out.deadline, 20 + 200000000ull);
}

/* Our ACK lost: the client sends its DATA again. In lock-step every repeat
 * is ACKed again; with a window the repeat of a whole window is ACKed once
 * (at its last block), a gap inside a window once per gap. */
static void test_wrq_repeats_and_gaps(void **state)
{
	struct xfer x;
	struct xfer_out out;

	(void)state;
	xfer_wrq_start(&x, BLK, 1, T, RETRIES, 0, &out);
	data(&x, 1, BLK, 1, &out);
	data(&x, 1, BLK, 2, &out);
	assert_int_equal(out.events, XFER_EV_DUP_DATA);
	assert_int_equal(out.ack, 1);
	assert_int_equal(out.deadline, 0);

	xfer_wrq_start(&x, BLK, 4, T, RETRIES, 0, &out);
	for (int64_t n = 1; n <= 4; n++) {
		data(&x, n, BLK, (uint64_t)n, &out);
		assert_int_equal(out.ack, n == 4 ? 4 : -1);     /* one ACK per window */
	}
	/* the window again: only its last block (behind == 1) is ACKed */
	for (int64_t n = 1; n <= 4; n++) {
		data(&x, n, BLK, 10 + (uint64_t)n, &out);
		assert_int_equal(out.events, XFER_EV_DUP_DATA);
		assert_int_equal(out.ack, n == 4 ? 4 : -1);
	}
	/* 5 lost: 6, 7, 8 are a gap; the first is ACKed (4), the rest not */
	data(&x, 6, BLK, 20, &out);
	assert_int_equal(out.events, 0);
	assert_int_equal(out.ack, 4);
	data(&x, 7, BLK, 21, &out);
	assert_int_equal(out.ack, -1);
	data(&x, 8, BLK, 22, &out);
	assert_int_equal(out.ack, -1);
	/* the client re-bases at 5: taken, and a new gap is ACKed again */
	data(&x, 5, BLK, 23, &out);
	assert_int_equal(out.events, XFER_EV_DATA_NEW);
	assert_int_equal(out.acked, 5);
	data(&x, 7, BLK, 24, &out);
	assert_int_equal(out.ack, 5);
	/* too long: abort */
	data(&x, 6, BLK + 1, 25, &out);
	assert_int_equal(out.events, XFER_EV_OVERSIZE);
}

/* No DATA: our ACK again on the backoff schedule, then give up waiting for
 * the block expected. */
static void test_wrq_timeout(void **state)
{
	static const uint64_t gaps[] = { 2 * T, 4 * T, 8 * T, 8 * T, 8 * T };
	struct xfer x;
	struct xfer_out out;
	uint64_t now;

	(void)state;
	xfer_wrq_start(&x, BLK, 1, T, RETRIES, 0, &out);
	data(&x, 1, BLK, 0, &out);
	now = out.deadline;
	for (unsigned int i = 0; i < RETRIES; i++) {
		xfer_on_timer(&x, NULL, now, &out);
		assert_int_equal(out.events, XFER_EV_TIMEOUT | (i == 0 ? XFER_EV_STALL : 0));
		assert_int_equal(out.ack, 1);
		assert_int_equal(out.deadline, now + gaps[i]);
		now = out.deadline;
	}
	xfer_on_timer(&x, NULL, now, &out);
	assert_int_equal(out.events, XFER_EV_TIMEOUT | XFER_EV_GIVE_UP);
	assert_int_equal(out.acked + 1, 2);     /* waited for block 2 */
	assert_int_equal(out.ack, -1);
	/* new DATA ends the run of retries */
	xfer_wrq_start(&x, BLK, 1, T, RETRIES, 0, &out);
	xfer_on_timer(&x, NULL, T, &out);
	assert_int_equal(out.ack, 0);           /* ACK 0 (the OACK) again */
	data(&x, 1, BLK, 2 * T, &out);
	assert_int_equal(x.retries, 0);
	xfer_on_timer(&x, NULL, 3 * T, &out);
	assert_int_equal(out.events, XFER_EV_TIMEOUT | XFER_EV_STALL);
}

/* An upload of 70,000 blocks with a window of 8: wire numbers roll over,
 * every block is taken once, in order. */
static void test_wrq_rollover(void **state)
{
	struct xfer x;
	struct xfer_out out;
	int64_t n;

	(void)state;
	xfer_wrq_start(&x, BLK, 8, T, RETRIES, 0, &out);
	for (n = 1; n < 70000; n++) {
		data(&x, n, BLK, (uint64_t)n, &out);
		assert_int_equal(out.events, XFER_EV_DATA_NEW);
		assert_int_equal(out.acked, n);
		assert_int_equal(out.ack, n % 8 == 0 ? n : -1);
	}
	/* a repeat of 65536 (wire 0) is far behind: a gap, not a repeat */
	data(&x, 65536, BLK, (uint64_t)n, &out);
	assert_int_equal(out.events, 0);
	data(&x, n, 3, (uint64_t)n, &out);
	assert_int_equal(out.events, XFER_EV_DATA_NEW | XFER_EV_LAST);
	assert_int_equal(x.final_block, 70000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ack_expand),
		cmocka_unit_test(test_ack_classify),
		cmocka_unit_test(test_final_block),
		cmocka_unit_test(test_ack_table),
		cmocka_unit_test(test_lockstep),
		cmocka_unit_test(test_window_rebase),
		cmocka_unit_test(test_duplicates_never_answered),
		cmocka_unit_test(test_rollover),
		cmocka_unit_test(test_backoff),
		cmocka_unit_test(test_kernel_progress),
		cmocka_unit_test(test_kernel_pace),
		cmocka_unit_test(test_kernel_late_look),
		cmocka_unit_test(test_kernel_final_dally),
		cmocka_unit_test(test_kernel_take_back),
		cmocka_unit_test(test_adaptive_rto),
		cmocka_unit_test(test_fast_phase),
		cmocka_unit_test(test_kernel_first_look),
		cmocka_unit_test(test_rtt_plausible),
		cmocka_unit_test(test_rto_adapts_after_loss),
		cmocka_unit_test(test_kernel_stall_looks),
		cmocka_unit_test(test_kernel_first_sample),
		cmocka_unit_test(test_needless_resend_floor),
		cmocka_unit_test(test_kernel_needless_resend),
		cmocka_unit_test(test_ignores_repeats_needs_own_timer),
		cmocka_unit_test(test_dup_ack_resend),
		cmocka_unit_test(test_hand_back),
		cmocka_unit_test(test_final_ack_lost),
		cmocka_unit_test(test_netascii_final),
		cmocka_unit_test(test_random_sequences),
		cmocka_unit_test(test_wrq_lockstep),
		cmocka_unit_test(test_wrq_repeats_and_gaps),
		cmocka_unit_test(test_wrq_timeout),
		cmocka_unit_test(test_wrq_rollover),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
