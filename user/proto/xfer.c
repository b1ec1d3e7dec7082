// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The transfer state machine (xfer.h): what the sender does on an ACK, on
 * its timer and when the kernel tiers hand a session back; what the
 * receiver of an upload does on DATA, on its timer and after the file is
 * stored. Pure: time is an argument and every action is a field of struct
 * xfer_out.
 */
#include <stddef.h>
#include <string.h>
#include <linux/types.h>

#include "xtftp_wire.h"
#include "xtftp_block.h"
#include "xtftp_ack.h"
#include "xtftp_rto.h"
#include "proto/xfer.h"

#define MS_NS 1000000ull
#define DALLY_MIN_NS (200 * MS_NS)
/* Hand-backs to the kernel per transfer: a kernel that keeps passing the
 * session's ACKs up (an inconsistent entry) is not asked forever. */
#define HAND_BACK_MAX 64
/* The first look at a session the kernel serves. */
#define KERNEL_FIRST_LOOK_NS (5 * MS_NS)
/* A client's own retransmission timer is longer than this (busybox's
 * first is 50 ms): an answer sooner after our resend answered that. */
#define OWN_TIMER_MIN_NS (20 * MS_NS)
/* Least time between two looks at a session the kernel serves. */
#define LOOK_MIN_NS (XT_RTO_MIN_NS / 2)
/* Most time between two looks at a stalled session the kernel serves,
 * while the next resend is not due: the client's answer (to a resend, or
 * on its own timer: U-Boot re-ACKs after 1 s) goes to the kernel, which
 * carries on unseen, and a loss soon after is ours to resend. Looked at
 * only when the next resend was due, that loss waited for it (old U-Boot
 * at 0.5 % loss each way: 1.3 s a lost ACK instead of the client's 1 s).
 * The looks double from the RTO up to this: about 20 a second. */
#define KERNEL_STALL_LOOK_MAX_NS (50 * MS_NS)
/* The final window outstanding (lock-step: the final block), everything
 * before it acknowledged, and the client silent (no duplicate ACK: one says
 * it is there and still lacks a block) since the timeout before: after
 * this many counted timeouts (T + 2T with the default 1 s: ~3 s) the
 * transfer is delivered-unconfirmed, not a failure after minutes. RFC 1350
 * has the receiver of the last DATA dally; tftp-hpa's and busybox's
 * clients do not, so a lost final ACK is never sent again. */
#define FINAL_DALLY_RETRIES 2

/*
 * Interval before the next resend: the timeout doubled per retry so far, as
 * tftpd-hpa does, up to RETRANSMIT_CAP_NS (or the timeout itself if that is
 * longer). Why: a client that speaks only on its own timer and restarts it on
 * every duplicate it receives (atftp, after its ACK was lost) is heard once
 * our gap outgrows its timer; a fixed interval would keep both sides silent
 * until we give up.
 */
#define RETRANSMIT_CAP_NS (8ull * 1000000000ull)

uint64_t xfer_retransmit_interval(uint64_t timeout_ns, unsigned int retries)
{
	uint64_t cap = timeout_ns > RETRANSMIT_CAP_NS ? timeout_ns : RETRANSMIT_CAP_NS;
	uint64_t t = timeout_ns;

	while (retries-- > 0 && t < cap)
		t = t * 2 < cap ? t * 2 : cap;
	return t;
}

int xfer_final_window_out(const struct xfer *x)
{
	return !x->wrq && !x->done && x->final_block > 0 && x->last_sent == x->final_block &&
	       x->last_acked >= x->final_block - (int64_t)x->windowsize && x->client_acked;
}

/* A kernel session's RTO is at least this many times the client's pace
 * per window (k_pace_ns): the kernel's estimate comes from turnaround
 * samples, and it refuses those over 1.5 RTO (xt_rtt_sample_plausible), so
 * a client that slows down for good (512 transfers on one loaded host: the
 * turnaround went from 0.1 to ~15 ms within a second) kept an RTO of
 * milliseconds and was resent about 20 blocks per transfer for nothing. */
#define PACE_RTO_FACTOR 4

/* The RTO's floor until the first loss (xfer.h): a number of turnarounds,
 * within [XFER_CLEAN_RTO_MIN_NS, XFER_CLEAN_RTO_FLOOR_NS]. */
static uint64_t clean_floor(const struct xfer *x)
{
	uint64_t f = XFER_CLEAN_SRTT_FACTOR * x->srtt_ns;

	if (f < XFER_CLEAN_RTO_MIN_NS)
		f = XFER_CLEAN_RTO_MIN_NS;
	return f < XFER_CLEAN_RTO_FLOOR_NS ? f : XFER_CLEAN_RTO_FLOOR_NS;
}

uint64_t xfer_rto(const struct xfer *x)
{
	/* Adaptive from the first turnaround sample: a transfer's first loss
	 * costs one RTO, not the configured timeout (1 MiB at 2 % loss each
	 * way: 0.12 s instead of 1.5 s). Until that loss the floor is
	 * clean_floor() (firmware under an emulator pauses up to 50 ms; a
	 * LAN host's floor is a few ms); a resend the client echoed raises
	 * the session's floor (resend_needless). */
	uint64_t rto, paced, floor;

	if (x->timeout_asked)
		return x->timeout_ns;
	rto = xt_rto(x->srtt_ns, x->rttvar_ns, x->timeout_ns);
	floor = x->rto_floor_ns ? x->rto_floor_ns : x->loss_seen ? 0 : clean_floor(x);
	if (rto < floor)
		rto = floor < x->timeout_ns ? floor : x->timeout_ns;
	paced = PACE_RTO_FACTOR * x->k_pace_ns * x->windowsize;
	if (x->kernel && paced > rto)
		rto = paced < x->timeout_ns ? paced : x->timeout_ns;
	return rto;
}

/* A resend proved needless (the client echoed both copies: it had been
 * slow, not lost): the session's RTO floor becomes twice the RTO it had. */
static void resend_needless(struct xfer *x)
{
	uint64_t f = 2 * xfer_rto(x);

	x->needless_resends++;
	x->rto_floor_ns = f < XFER_CLEAN_RTO_FLOOR_NS ? f : XFER_CLEAN_RTO_FLOOR_NS;
}

void xfer_timeout_asked(struct xfer *x)
{
	x->timeout_asked = 1;
	x->wait_ns = x->timeout_ns;
}

/* Resends at the adaptive RTO (doubling) before the configured schedule,
 * for a client that answers a repeated DATA: at least FAST_RESENDS, and
 * on while the doubled wait stays within FAST_PHASE_NS, so the fast phase
 * lasts tens of milliseconds however small the RTO. With a 250 us RTO
 * three resends spanned under 2 ms: a client not scheduled for that long
 * on a busy host (three loss rigs on two CPUs) left the transfer to the
 * 1 s schedule, 1-5 s a transfer. */
#define FAST_RESENDS 3
#define FAST_PHASE_NS (50 * MS_NS)
/* After its one fast resend, a client that ignores repeats waits this
 * many halves of the configured timeout: its own timer (old U-Boot: 1 s,
 * as ours) re-ACKs first, so a lost ACK costs one needless copy, not two
 * (ours at 1 s raced its re-ACK: an old U-Boot at 2 % loss each way got
 * 101.3 % of the copies needed). */
#define IGNORER_WAIT_HALVES 3

/* The interval after the timeout that just fired. Below timeout_ns it is
 * the fast phase: the RTO doubling (see FAST_PHASE_NS), which heals a lost
 * DATA, a lost resend, or (a client that re-ACKs a repeated DATA: tftp-hpa,
 * curl, atftp) a lost ACK within milliseconds. A client seen to ignore
 * repeats (busybox, U-Boot: it answered only on its own timer, long after
 * our resends) gets one fast resend, since its lost ACK is healed by its
 * timer alone and every resend is a wasted copy, then 1.5 timeouts
 * (IGNORER_WAIT_HALVES) before the next. Then the configured
 * schedule (timeout_ns doubling, xfer_retransmit_interval), whose timeouts
 * alone spend --retries: a client that went away is given up on no sooner
 * than before. */
static uint64_t next_wait(const struct xfer *x)
{
	if (x->wait_ns && x->wait_ns < x->timeout_ns) {
		uint64_t w = x->wait_ns * 2;

		if (x->ignores_repeats)
			return IGNORER_WAIT_HALVES * (x->timeout_ns / 2);
		if (w >= x->timeout_ns ||
		    (x->timeouts_in_row >= FAST_RESENDS && w > FAST_PHASE_NS))
			return x->timeout_ns;
		return w;
	}
	return xfer_retransmit_interval(x->timeout_ns, x->retries);
}

/* Progress: the timeouts in a row are over, the next wait is the RTO. */
static void progress(struct xfer *x)
{
	x->retries = 0;
	x->timeouts_in_row = 0;
	x->dup_since_timer = 0;
	x->silent_timeouts = 0;
	x->wait_ns = xfer_rto(x);
}

/* An answer at answer_ns to our resend at resend_ns came on the client's
 * own timer, not in reply to the resend: past one RTO and a turnaround,
 * and past OWN_TIMER_MIN_NS, below any client's own timer (busybox: 50 ms)
 * but above a host's scheduling noise, which an RTO of 100 us would otherwise
 * take for that. */
static int answered_on_own_timer(const struct xfer *x, uint64_t resend_ns, uint64_t answer_ns)
{
	return answer_ns > resend_ns && answer_ns - resend_ns > xfer_rto(x) + x->srtt_ns &&
	       answer_ns - resend_ns > OWN_TIMER_MIN_NS;
}

static void out_init(const struct xfer *x, struct xfer_out *out)
{
	memset(out, 0, sizeof(*out));
	out->send_from = 1;
	out->send_to = 0;               /* nothing to send */
	out->first_new = x->last_sent + 1;
	out->ack = -1;
}

/* Send from..to, clamped to the final block when it is known; blocks past
 * last_sent are new and advance it. The newest block sent once times the
 * client's turnaround; a resend makes a pending sample ambiguous (Karn). */
static void out_send(struct xfer *x, struct xfer_out *out, int64_t from, int64_t to,
		     uint64_t now)
{
	if (x->final_block > 0 && to > x->final_block)
		to = x->final_block;
	if (from > to)
		return;
	out->send_from = from;
	out->send_to = to;
	out->first_new = x->last_sent + 1;
	if (from <= x->last_sent) {
		int64_t resent_to = to < x->last_sent ? to : x->last_sent;

		if (x->turn_block >= from && x->turn_block <= resent_to)
			x->turn_block = -1;
		if (resent_to > x->resent_hi)
			x->resent_hi = resent_to;
		if (from >= 1)
			x->last_resent = from;
	}
	if (to > x->last_sent) {
		x->last_sent = to;
		x->turn_block = to;
		x->turn_ns = now;
	}
	x->last_send_ns = now;
}

void xfer_rrq_start(struct xfer *x, unsigned int windowsize, uint64_t timeout_ns,
		    unsigned int max_retries, int64_t final_block, int has_oack, int kernel,
		    uint64_t now, struct xfer_out *out)
{
	int64_t first = has_oack ? 0 : 1;

	memset(x, 0, sizeof(*x));
	x->windowsize = windowsize ? windowsize : 1;
	x->timeout_ns = timeout_ns;
	x->max_retries = max_retries;
	x->final_block = final_block;
	x->last_sent = first - 1;
	x->last_acked = first - 1;
	x->kernel = kernel;
	x->kernel_capable = kernel;
	x->k_seen_acked = first - 1;    /* as the kernel's entry starts */
	x->turn_block = -1;
	x->wait_ns = timeout_ns;        /* no turnaround sample yet */
	out_init(x, out);
	/* the first DATA is one block whatever the window: the client has
	 * not said yet that it can take more (no OACK: no options) */
	out_send(x, out, first, first, now);
	out->acked = x->last_acked;
	out->deadline = now + x->timeout_ns;
	/* the kernel serves and measures the turnaround: look early, so a
	 * loss in the first second is not left to a 1 s timer (the whole
	 * 1 MiB transfer takes 70 ms) */
	if (kernel && KERNEL_FIRST_LOOK_NS < x->timeout_ns)
		out->deadline = now + KERNEL_FIRST_LOOK_NS;
}

/* One turnaround sample r (the block timed by turn_block) into the
 * session's estimate; that block is done with (Karn: one sample each). */
static void turn_sample(struct xfer *x, uint64_t r)
{
	__u64 srtt = x->srtt_ns, rttvar = x->rttvar_ns;

	xt_rtt_sample(&srtt, &rttvar, r);
	x->srtt_ns = srtt;
	x->rttvar_ns = rttvar;
	x->turn_block = -1;
}

/* The kernel's turnaround estimate is the session's, once it has one.
 * Until then, the turnaround of what userspace sent (the OACK, or DATA 1
 * without options) when the kernel saw exactly its ACK: the kernel has no
 * sample before its own DATA is acknowledged, so a first DATA it sent and
 * lost waited for the configured timeout (1 s) instead of one RTO. */
static void kernel_estimate(struct xfer *x, const struct xfer_kview *k)
{
	uint64_t r;

	if (k->srtt_ns) {
		x->srtt_ns = k->srtt_ns;
		x->rttvar_ns = k->rttvar_ns;
		return;
	}
	if (x->turn_block < 0 || (int64_t)k->last_acked != x->turn_block ||
	    k->last_ack_ns <= x->turn_ns)
		return;
	r = k->last_ack_ns - x->turn_ns;
	if (xt_rtt_sample_plausible(x->srtt_ns, x->rttvar_ns, r))
		turn_sample(x, r);
	x->turn_block = -1;
}

/* Userspace serves the session from here: continue from the kernel's
 * entry, or, when it is gone (LRU eviction), from what was last seen. */
static void take_back(struct xfer *x, const struct xfer_kview *k, struct xfer_out *out)
{
	if (k) {
		if (k->last_acked > x->last_acked)
			x->client_acked = 1;
		x->last_sent = k->last_sent;
		x->last_acked = k->last_acked;
		kernel_estimate(x, k);
		x->last_send_ns = k->last_data_ns;
	} else {
		x->last_acked = x->k_seen_acked;
		if (x->last_sent < x->last_acked)
			x->last_sent = x->last_acked;
		out->k_gone = 1;
	}
	x->kernel = 0;
	x->kernel_capable = !out->k_gone && x->hand_backs < HAND_BACK_MAX;
	x->turn_block = -1;             /* the kernel's last DATA time is not ours */
	x->resent_hi = x->last_sent;    /* in step once all of that is acked */
	out->events |= XFER_EV_TAKE_BACK;
	out->first_new = x->last_sent + 1;
}

/* Rule 2 of xtftp_rto.h: a duplicate ACK of the block before the
 * outstanding one resends that one block at once, one copy per gap; the
 * first duplicate of the block resent last is its echo. */
static void dup_ack(struct xfer *x, int64_t abs, uint64_t now, struct xfer_out *out)
{
	if (abs != x->last_acked || x->last_sent <= x->last_acked || x->last_acked < 1)
		return;
	x->loss_seen = 1;
	switch (xt_dup_ack_verdict((__u32)x->last_acked, (__u32)(x->last_resent > 0 ? x->last_resent : 0),
				   now, x->last_send_ns, x->srtt_ns)) {
	case XT_DUP_RESEND:
		out_send(x, out, x->last_acked + 1, x->last_acked + 1, now);
		out->events |= XFER_EV_DUP_RESEND;
		out->deadline = now + x->wait_ns;
		break;
	case XT_DUP_ECHO:
		x->last_resent = 0;
		resend_needless(x);
		break;
	default:
		break;
	}
}

void xfer_on_ack(struct xfer *x, uint16_t wire_block, const struct xfer_kview *k,
		 uint64_t now, struct xfer_out *out)
{
	__u32 abs = 0;

	out_init(x, out);
	if (x->done)
		return;
	if (x->kernel)
		take_back(x, k, out);
	switch (xt_ack_classify((__u32)x->last_sent, (__u32)x->last_acked, (__u32)x->final_block,
				wire_block, &abs)) {
	case XT_ACK_BEFORE_START:
		/* a block never sent (a stray ACK of an earlier attempt) */
		out->events |= XFER_EV_DUP_ACK;
		out->acked = x->last_acked;
		return;
	case XT_ACK_DUP:
		/* Sorcerer's Apprentice: never answered as such; at most the
		 * block after it is resent, once per gap (dup_ack) */
		out->events |= XFER_EV_DUP_ACK;
		out->acked = x->last_acked;
		x->dup_since_timer = 1;
		/* not in the event that took the session back: the kernel
		 * passed this ACK on for a reason, the timer decides */
		if (!x->kernel && !(out->events & XFER_EV_TAKE_BACK))
			dup_ack(x, (int64_t)abs, now, out);
		return;
	case XT_ACK_PAST_FINAL: /* cannot happen: last_sent stops at the final block */
	case XT_ACK_FINAL:
		x->last_acked = x->final_block;
		x->done = 1;
		out->events |= XFER_EV_ACK_NEW | XFER_EV_DONE;
		out->acked = x->last_acked;
		return;
	default:
		break;
	}
	if (x->turn_block >= 0 && (int64_t)abs >= x->turn_block && now >= x->turn_ns)
		turn_sample(x, now - x->turn_ns);
	/* progress long after our last resend of what it acknowledges: the
	 * client had the block, ignored our repeats and re-ACKed on its own
	 * timer (its first ACK was lost) */
	if (x->timeouts_in_row && x->last_resent > 0 && (int64_t)abs >= x->last_resent &&
	    answered_on_own_timer(x, x->last_send_ns, now))
		x->ignores_repeats = 1;
	x->last_acked = abs;
	x->client_acked = 1;
	progress(x);
	out->events |= XFER_EV_ACK_NEW;
	out->acked = x->last_acked;
	if (!x->kernel && x->kernel_capable && x->last_acked == x->last_sent &&
	    x->last_acked >= x->resent_hi) {
		/* in step again: the kernel answers from the next ACK on; the
		 * caller writes its entry before sending what follows */
		x->kernel = 1;
		x->hand_backs++;
		x->k_seen_acked = x->last_acked;
		x->k_seen_ack_ns = 0;    /* the pace restarts from the next look */
		x->k_resend_ns = 0;
		out->events |= XFER_EV_HAND_BACK;
	}
	/* RFC 7440: an ACK inside the window re-bases it there */
	out_send(x, out, x->last_acked + 1, x->last_acked + (int64_t)x->windowsize, now);
	out->deadline = now + x->wait_ns;
}

/*
 * The timer while the kernel serves: 1 when that settles this round
 * (done, progress, or the backoff not yet due); 0 to go on as a timeout.
 */
static int kernel_timer(struct xfer *x, const struct xfer_kview *k, uint64_t now,
			struct xfer_out *out)
{
	uint64_t our_send_ns = x->last_send_ns;        /* before the kernel's DATA */

	if (!k) {
		take_back(x, NULL, out);
		return 0;
	}
	x->last_sent = k->last_sent;
	out->first_new = x->last_sent + 1;
	if (k->done) {
		x->last_acked = k->last_acked;
		x->done = 1;
		out->events |= XFER_EV_DONE;
		out->acked = x->last_acked;
		return 1;
	}
	/* a duplicate ACK the kernel answered: the client is there and
	 * still lacks a block (the final-ACK dally must not end it) */
	if (k->dup_acks != x->k_seen_dups) {
		x->k_seen_dups = k->dup_acks;
		x->dup_since_timer = 1;
	}
	kernel_estimate(x, k);
	if (k->last_data_ns > x->last_send_ns)
		x->last_send_ns = k->last_data_ns;
	if (k->last_acked != x->k_seen_acked) {
		uint64_t due;

		/* the kernel made progress: not a stall; the client's pace
		 * over the blocks acknowledged since the last look, unless
		 * that time held a timeout (a loss's wait is no pace: taken
		 * in, the RTO fed on itself up to the configured timeout,
		 * 0.5 s a loss in the loss bench) */
		if (x->k_seen_ack_ns && k->last_ack_ns > x->k_seen_ack_ns &&
		    k->last_acked > x->k_seen_acked && !x->timeouts_in_row)
			x->k_pace_ns = (k->last_ack_ns - x->k_seen_ack_ns) /
				       (uint64_t)(k->last_acked - x->k_seen_acked);
		if (k->last_ack_ns)
			x->k_seen_ack_ns = k->last_ack_ns;
		/* progress long after our resends, as in xfer_on_ack: a client
		 * that ignores a repeated DATA and re-ACKs on its own timer
		 * (U-Boot), seen by the kernel */
		if (x->timeouts_in_row && answered_on_own_timer(x, our_send_ns, k->last_ack_ns))
			x->ignores_repeats = 1;
		/* our timer's resend, then progress with a duplicate ACK: the
		 * client had the block and echoed our second copy */
		if (x->timer_resend_open && k->dup_acks != x->timer_resend_dups)
			resend_needless(x);
		x->timer_resend_open = 0;
		x->k_seen_acked = k->last_acked;
		x->last_acked = k->last_acked;
		x->client_acked = 1;
		progress(x);
		due = k->last_data_ns + x->wait_ns;
		x->k_resend_ns = 0;
		out->events |= XFER_EV_K_PROGRESS;
		out->acked = x->last_acked;
		/* due one timeout after the kernel's last DATA, not after this
		 * look: a DATA lost since then is resent after one timeout,
		 * not up to two. Already due (this look came at or after it,
		 * a block outstanding) with the client's pace known (so the
		 * wait is the client's, not the floor's): the timeout is now
		 * (one more look later cost every loss of the 2 % loss bench
		 * ~0.2 ms more) */
		if (due <= now && x->k_pace_ns && k->last_data_ns && x->last_sent > x->last_acked)
			return 0;
		out->deadline = due > now ? due : now + LOOK_MIN_NS;
		return 1;
	}
	x->last_acked = k->last_acked;
	out->acked = x->last_acked;
	/* an early look (the first one, KERNEL_FIRST_LOOK_NS after the start)
	 * found no progress yet: not a timeout before one RTO has passed
	 * since the last DATA went out */
	if (!x->timeouts_in_row && now < x->last_send_ns + x->wait_ns) {
		out->deadline = x->last_send_ns + x->wait_ns;
		return 1;
	}
	/* looked at after a resend (below), resent on the backoff schedule;
	 * looked at again meanwhile, more rarely each time (see
	 * KERNEL_STALL_LOOK_MAX_NS) */
	if (x->k_resend_ns && now < x->k_resend_ns) {
		uint64_t look = 2 * x->k_look_ns;

		if (look > KERNEL_STALL_LOOK_MAX_NS)
			look = KERNEL_STALL_LOOK_MAX_NS;
		if (look < LOOK_MIN_NS)
			look = LOOK_MIN_NS;
		x->k_look_ns = look;
		out->deadline = now + look < x->k_resend_ns ? now + look : x->k_resend_ns;
		return 1;
	}
	return 0;
}

/* A timeout without progress: counted, the first of a run a stall; 1 when
 * the retries are spent (given up at block out->acked + 1). */
static int timeout_spent(struct xfer *x, struct xfer_out *out)
{
	out->events |= XFER_EV_TIMEOUT;
	x->timeouts_in_row++;
	x->loss_seen = 1;
	if (x->wait_ns && x->wait_ns < x->timeout_ns)
		return 0;       /* the fast phase does not spend the retries */
	/* a stall is no progress for one configured timeout (the first
	 * counted timeout of a run), not a loss healed in milliseconds */
	if (x->retries == 0)
		out->events |= XFER_EV_STALL;
	if (x->retries >= x->max_retries) {
		x->done = 1;
		out->events |= XFER_EV_GIVE_UP;
		return 1;
	}
	x->retries++;
	return 0;
}

static void wrq_timer(struct xfer *x, uint64_t now, struct xfer_out *out)
{
	if (x->dallying) {
		out->events |= XFER_EV_DALLY_END;
		return;
	}
	if (x->done)
		return;
	out->acked = x->expected - 1;
	if (timeout_spent(x, out))
		return;
	/* say again where we are: the client resends from there */
	x->since_ack = 0;
	out->ack = x->expected - 1;
	out->deadline = now + xfer_retransmit_interval(x->timeout_ns, x->retries);
}

void xfer_on_timer(struct xfer *x, const struct xfer_kview *k, uint64_t now,
		   struct xfer_out *out)
{
	uint64_t iv;

	out_init(x, out);
	if (x->wrq) {
		wrq_timer(x, now, out);
		return;
	}
	if (x->done)
		return;
	if (x->kernel && kernel_timer(x, k, now, out))
		return;
	out->acked = x->last_acked;
	if (timeout_spent(x, out))
		return;
	x->silent_timeouts = x->dup_since_timer ? 0 : x->silent_timeouts + 1;
	x->dup_since_timer = 0;
	if (xfer_final_window_out(x) &&
	    x->silent_timeouts >= FINAL_DALLY_RETRIES && x->retries >= FINAL_DALLY_RETRIES) {
		x->done = 1;
		out->events |= XFER_EV_UNCONFIRMED;
		return;
	}
	iv = next_wait(x);
	/* resend the outstanding window: last_acked+1 .. last_sent */
	out_send(x, out, x->last_acked + 1, x->last_sent, now);
	if (x->kernel) {
		uint64_t rto = xfer_rto(x);

		/* the client's answer to the resend goes to the kernel, which
		 * carries on unseen: look again after one RTO, so a loss
		 * soon after is resent as fast as the first (U-Boot counts
		 * every timeout of its own against one budget per transfer) */
		x->wait_ns = iv;
		x->k_resend_ns = now + iv;
		x->timer_resend_open = 1;
		x->timer_resend_dups = x->k_seen_dups;
		x->k_look_ns = iv < rto ? iv : rto;
		/* without an estimate the RTO is the configured timeout:
		 * a lost DATA 1 resent after 1 s, then a loss right after
		 * the client's answer waited another second for this look
		 * (2 s transfers at 2 % loss, one in 25) */
		if (x->k_look_ns > KERNEL_STALL_LOOK_MAX_NS)
			x->k_look_ns = KERNEL_STALL_LOOK_MAX_NS;
		out->deadline = now + x->k_look_ns;
		return;
	}
	x->wait_ns = iv;
	out->deadline = now + iv;
}

void xfer_on_kernel_done(struct xfer *x, struct xfer_out *out)
{
	out_init(x, out);
	if (x->done)
		return;
	if (x->final_block > 0) {
		/* the kernel sent and saw acknowledged every block */
		x->last_sent = x->final_block;
		x->last_acked = x->final_block;
	}
	x->done = 1;
	out->events |= XFER_EV_DONE;
	out->acked = x->last_acked;
}

void xfer_set_final(struct xfer *x, int64_t n)
{
	if (x->final_block == 0 || n < x->final_block)
		x->final_block = n;
	if (x->last_sent > x->final_block)
		x->last_sent = x->final_block;
}

/* ---- WRQ ------------------------------------------------------------------- */

void xfer_wrq_start(struct xfer *x, unsigned int blksize, unsigned int windowsize,
		    uint64_t timeout_ns, unsigned int max_retries, uint64_t now,
		    struct xfer_out *out)
{
	memset(x, 0, sizeof(*x));
	x->wrq = 1;
	x->blksize = blksize;
	x->windowsize = windowsize ? windowsize : 1;
	x->timeout_ns = timeout_ns;
	x->max_retries = max_retries;
	x->last_acked = -1;
	x->expected = 1;
	x->turn_block = -1;
	x->wait_ns = timeout_ns;        /* uploads keep the configured timer */
	out_init(x, out);
	out->ack = 0;
	out->deadline = now + x->timeout_ns;
}

void xfer_on_data(struct xfer *x, uint16_t wire_block, size_t len, uint64_t now,
		  struct xfer_out *out)
{
	out_init(x, out);
	out->acked = x->expected - 1;
	if (x->dallying) {
		if (wire_block == TFTP_BLOCK_WIRE((__u64)(x->expected - 1)))
			out->ack = x->expected - 1;
		return;
	}
	if (x->done)
		return;
	if (len > x->blksize) {
		x->done = 1;
		out->events |= XFER_EV_OVERSIZE;
		return;
	}
	if (wire_block != TFTP_BLOCK_WIRE((__u64)x->expected)) {
		__u16 behind = (__u16)(TFTP_BLOCK_WIRE((__u64)x->expected) - wire_block);

		if (behind <= x->windowsize + 1u) {
			/* a repeat: our ACK was lost; say again where we are,
			 * once per window (the client resends it whole) */
			out->events |= XFER_EV_DUP_DATA;
			if (x->windowsize == 1 || behind == 1)
				out->ack = x->expected - 1;
		} else if (!x->gap_acked) {
			/* a gap inside a window: ack the last in-order block once */
			x->gap_acked = 1;
			out->ack = x->expected - 1;
		}
		return;
	}
	x->expected++;
	x->since_ack++;
	x->gap_acked = 0;
	x->retries = 0;
	x->timeouts_in_row = 0;
	out->events |= XFER_EV_DATA_NEW;
	out->acked = x->expected - 1;
	if (len < x->blksize) {
		/* the ACK waits until the file is stored: xfer_on_committed */
		x->final_block = x->expected - 1;
		x->done = 1;
		out->events |= XFER_EV_LAST;
		return;
	}
	if (x->since_ack >= x->windowsize) {
		x->since_ack = 0;
		out->ack = x->expected - 1;
	}
	out->deadline = now + x->timeout_ns;
}

void xfer_on_committed(struct xfer *x, uint64_t now, struct xfer_out *out)
{
	out_init(x, out);
	x->done = 1;
	x->dallying = 1;
	out->acked = x->expected - 1;
	out->ack = x->expected - 1;
	out->deadline = now + (x->timeout_ns > DALLY_MIN_NS ? x->timeout_ns : DALLY_MIN_NS);
}
