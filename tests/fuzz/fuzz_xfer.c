// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target: the transfer state machine (user/proto/xfer.c) driven by
 * random event sequences. Input: a header (direction, options, window,
 * final block, a start far into the transfer for the rollover), then one
 * event per byte or three: an ACK (the model client's own or any 16-bit
 * number), DATA (the next block, a repeat, any number, any length), the
 * timer, the kernel's progress or DONE.
 * Invariants (abort = finding):
 * - RRQ: acked never goes back; nothing past the final block is sent or
 *   counted as sent; a duplicate ACK is never answered, except by
 *   xtftp_rto.h's rule 2: one block, acked + 1, no sooner than the gap
 *   after the last send (so a duplicate never doubles the traffic);
 *   acked <= last sent; a window starts right after acked; nothing
 *   is sent after the end;
 * - WRQ: expected grows by one per stored DATA and only for the block
 *   expected; an ACK never names a block not received; nothing is stored
 *   after the last block or an oversize one;
 * - a deadline, when set, is not in the past.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <linux/types.h>

#include "xtftp_wire.h"
#include "xtftp_rto.h"
#include "proto/xfer.h"

#define T_NS 1000000000ull

struct input {
	const uint8_t *p;
	size_t left;
};

static unsigned int next8(struct input *in)
{
	if (!in->left)
		return 0;
	in->left--;
	return *in->p++;
}

static unsigned int next16(struct input *in)
{
	unsigned int hi = next8(in);

	return hi << 8 | next8(in);
}

static void check_deadline(const struct xfer_out *out, uint64_t now)
{
	if (out->deadline && out->deadline < now)
		abort();
}

/* The sends of one answer, as the daemon carries them out: a short block
 * (netascii) found on the way ends the window there. The client keeps
 * the next block in order unless lost (bit n % 8 of loss). */
static void carry_sends(struct xfer *x, const struct xfer_out *out, int64_t final,
			int64_t short_at, int64_t *client_have, unsigned int loss)
{
	for (int64_t n = out->send_from; n <= out->send_to; n++) {
		if (x->final_block > 0 && n > x->final_block)
			break;
		if (final > 0 && n > final)
			abort();
		if (n == short_at)
			xfer_set_final(x, n);
		if (n == *client_have + 1 && !(loss >> (n % 8) & 1))
			*client_have = n;
	}
}

static void run_rrq(struct input *in, unsigned int flags, unsigned int w, int64_t final,
		    int64_t base)
{
	int kernel = final > 0 && (flags & 2);
	int64_t short_at = final > 0 ? -1 : 1 + (int64_t)next16(in) % 2000;
	int64_t client_have, acked;
	struct xfer_kview k = { 0 };
	struct xfer_out out;
	struct xfer x;
	uint64_t now = 1;

	xfer_rrq_start(&x, w, T_NS, 3, final, flags & 1, kernel, now, &out);
	client_have = x.last_acked;
	carry_sends(&x, &out, final, base > 0 ? -1 : short_at, &client_have, 0);
	if (base > 0) {
		/* far into the transfer, near the rollover: the client has
		 * ACKed base, the window after it is out and not yet there */
		x.last_acked = base;
		x.last_sent = base + w;
		if (final > 0 && x.last_sent > final)
			x.last_sent = final;
		x.k_seen_acked = base;
		client_have = base;
		if (short_at > 0)
			short_at += base;
	}
	k.last_sent = (uint32_t)x.last_sent;
	k.last_acked = (int32_t)x.last_acked;
	acked = x.last_acked;
	while (in->left) {
		unsigned int op = next8(in);
		int64_t prev_acked = x.last_acked;
		uint64_t prev_send_ns = x.last_send_ns, prev_srtt = x.srtt_ns;
		int was_done = x.done;

		now += (uint64_t)(op >> 3) * 10000000ull;
		switch (op & 7) {
		case 0: case 1: case 2:
			/* the client ACKs what it has (maybe again), or an old
			 * ACK arrives late */
			if (client_have < 0 && !(op & 0x80))
				continue;
			xfer_on_ack(&x, TFTP_BLOCK_WIRE((__u64)(client_have < 0 ? 0 :
						client_have - (op >> 6))), x.kernel ? &k : NULL, now, &out);
			break;
		case 3:
			xfer_on_ack(&x, (uint16_t)next16(in), x.kernel ? &k : NULL, now, &out);
			break;
		case 4: case 5:
			xfer_on_timer(&x, x.kernel ? &k : NULL, now, &out);
			break;
		case 6:
			/* the kernel answered ACKs on its own, or lost its entry */
			if (!x.kernel)
				continue;
			if (op & 0x80) {
				xfer_on_timer(&x, NULL, now, &out);
				break;
			}
			if (k.last_sent < final) {
				/* the client got the kernel's window and ACKed
				 * it; the kernel sent the next one */
				int64_t to;

				if (client_have < k.last_sent)
					client_have = k.last_sent;
				to = client_have + w;
				k.last_acked = (int32_t)client_have;
				k.last_sent = (uint32_t)(to < final ? to : final);
				k.last_data_ns = now;
			} else {
				client_have = k.last_acked = (int32_t)k.last_sent;
			}
			if (k.last_acked == final)
				k.done = 1;
			xfer_on_timer(&x, &k, now, &out);
			break;
		default:
			if (!x.kernel)
				continue;
			xfer_on_kernel_done(&x, &out);
			break;
		}
		if (x.last_acked < prev_acked || x.last_acked < acked)
			abort();
		acked = x.last_acked;
		if ((out.events & XFER_EV_DUP_ACK) && !(out.events & XFER_EV_DUP_RESEND) &&
		    (out.send_from <= out.send_to || out.deadline ||
		     (x.last_acked != prev_acked && !(out.events & XFER_EV_TAKE_BACK))))
			abort();
		if ((out.events & XFER_EV_DUP_RESEND) &&
		    (!(out.events & XFER_EV_DUP_ACK) || out.send_from != out.send_to ||
		     out.send_from != x.last_acked + 1 || x.last_acked != prev_acked ||
		     now < prev_send_ns || now - prev_send_ns < xt_dup_resend_gap(prev_srtt)))
			abort();
		if (was_done && (out.events || out.send_from <= out.send_to))
			abort();
		if (out.send_from <= out.send_to && out.send_from != x.last_acked + 1)
			abort();
		if (x.final_block > 0 && x.last_sent > x.final_block)
			abort();
		if (x.last_acked > x.last_sent && !(out.events & XFER_EV_DONE))
			abort();
		check_deadline(&out, now);
		if (out.send_from <= out.send_to)
			carry_sends(&x, &out, final, short_at, &client_have, next8(in));
		if (out.events & XFER_EV_HAND_BACK) {
			/* the daemon wrote the kernel's entry (fastpath_session_resume)
			 * before sending: the model's kernel starts from there */
			k.last_acked = (int32_t)x.last_acked;
			k.last_sent = (uint32_t)x.last_sent;
			k.last_data_ns = now;
			k.done = 0;
		}
		if (x.final_block > 0 && x.last_sent > x.final_block)
			abort();
	}
}

static void run_wrq(struct input *in, unsigned int w)
{
	unsigned int blksize = 8 + next8(in) % 64;
	struct xfer_out out;
	struct xfer x;
	uint64_t now = 1;
	int ended = 0, last = 0;

	xfer_wrq_start(&x, blksize, w, T_NS, 3, now, &out);
	while (in->left) {
		unsigned int op = next8(in);
		int64_t expected = x.expected;
		uint16_t wire;
		size_t len;

		now += (uint64_t)(op >> 3) * 10000000ull;
		switch (op & 3) {
		case 0: case 1:
			/* the next block, a repeat or a gap, short or full */
			wire = TFTP_BLOCK_WIRE((__u64)(x.expected + (int64_t)(op >> 5) - 3));
			len = op & 4 ? blksize : next8(in) % (blksize + 2);
			xfer_on_data(&x, wire, len, now, &out);
			break;
		case 2:
			wire = (uint16_t)next16(in);
			len = next8(in) % (blksize + 2);
			xfer_on_data(&x, wire, len, now, &out);
			break;
		default:
			if (last && !(op & 4)) {
				xfer_on_committed(&x, now, &out);
				last = 0;
			} else {
				xfer_on_timer(&x, NULL, now, &out);
			}
			wire = 0;
			len = 0;
			break;
		}
		if (out.events & XFER_EV_DATA_NEW) {
			if (ended || wire != TFTP_BLOCK_WIRE((__u64)expected) ||
			    x.expected != expected + 1 || len > blksize)
				abort();
			if (out.events & XFER_EV_LAST) {
				if (len >= blksize)
					abort();
				ended = last = 1;
			}
		} else if (x.expected != expected) {
			abort();
		}
		if (out.events & (XFER_EV_OVERSIZE | XFER_EV_GIVE_UP))
			ended = 1;
		if (out.ack >= x.expected || out.ack < -1)
			abort();
		check_deadline(&out, now);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };
	unsigned int flags = next8(&in);
	unsigned int w = 1 + next8(&in) % 16;
	int64_t final, base = 0;

	if (flags & 4) {
		run_wrq(&in, w);
		return 0;
	}
	/* final 0: found while sending (netascii) */
	final = flags & 8 ? 0 : 1 + (int64_t)next16(&in);
	if (flags & 16) {
		/* start just below the rollover (65535 -> 0): reaching it
		 * from block 1 would take 65536 events */
		base = 65536 - 1 - (int64_t)next8(&in) % 32;
		if (final)
			final += base;
	}
	run_rrq(&in, flags, w, final, base);
	return 0;
}
