/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Loss recovery timing, once for the BPF programs and userspace (no libc,
 * no helpers; include <linux/types.h> or vmlinux.h first).
 *
 * Why: a lost DATA block used to cost the server's full 1 s timer, doubling
 * on repeats, and a bootloader with a shorter patience restarted the flash
 * (the stall at random percentages). Two rules bring recovery to the
 * client's pace without the Sorcerer's Apprentice:
 *
 *  1. The retransmission timeout adapts to the session's measured
 *     turnaround (DATA sent -> its ACK; RFC 6298's estimator, samples only
 *     from blocks sent once: Karn), between XT_RTO_MIN_NS and the
 *     configured timeout; until the session's first loss at least 512
 *     turnarounds, within 2-50 ms (user/proto/xfer.h: firmware under an
 *     emulator answers in 0.1-0.4 ms and pauses up to 50 ms on a clean
 *     link), and a resend the client echoed (it had the block) doubles the
 *     session's floor up to 50 ms.
 *     A timeout the client negotiated (RFC 2349) is used as it is: the
 *     client asked for it.
 *  2. A duplicate ACK of the block before the outstanding one (the client
 *     re-ACKs because DATA k+1 did not arrive) resends k+1 at once, if k+1
 *     went out at least xt_dup_resend_gap() ago, unless k is the block
 *     resent last: the first duplicate of it is taken as the echo of our
 *     own second copy of k (a resend that proved spurious), not news of a
 *     loss, and absorbed. One copy in flight per gap: a duplicate never
 *     doubles the traffic, and a resend's echo never chains.
 */
#ifndef XTFTP_RTO_H
#define XTFTP_RTO_H

/* Floor of the adaptive timeout: above the daemon's timer granularity
 * (epoll_pwait2: nanoseconds, with a 1 ns timer slack) and the turnaround
 * noise of a fast LAN host (a Linux client on this build machine's veth:
 * 5-10 us, p99 20-50 us, measured at the client's interface). A client
 * slower than that now and then raises its own session's floor (xfer.c,
 * rto_floor_ns: a resend it echoed proved needless, and doubles it), so
 * the floor costs at most a few needless copies a session. Why so low: 1
 * MiB at 512 bytes takes ~20 ms here, and 2 % loss each way is about 80
 * losses, each costing one RTO and the daemon's wake-up (~25 us); with 250
 * us the losses alone took as long as the transfer (2 % loss: a median
 * 80 ms against 34 without, 2.4x; with 100 us and the first exchange
 * kept out of the estimate, 62 against 34). */
#define XT_RTO_MIN_NS       100000ull
/* With no estimate yet, a sample longer than this is not the first: it
 * most likely spans a resend the kernel did not see (DATA 1 lost and resent
 * by the daemon after the initial timeout of 1 s). Taken, srtt started at
 * about 1 s and rttvar at half that, and the RTO took hundreds of blocks to
 * come down (measured: 1 MiB at 5 % loss each way, 3.9 s instead of 0.2). */
#define XT_RTT_FIRST_MAX_NS 200000000ull
/* Floor of the gap before a duplicate ACK may resend. */
#define XT_DUP_GAP_MIN_NS   1000000ull

/* One turnaround sample r (ns) into the smoothed estimate (RFC 6298 2.2,
 * 2.3: alpha 1/8, beta 1/4). srtt 0 = no sample yet. */
static inline __attribute__((always_inline)) void
xt_rtt_sample(__u64 *srtt, __u64 *rttvar, __u64 r)
{
	__u64 d;

	if (r == 0)
		r = 1;
	if (*srtt == 0) {
		*srtt = r;
		*rttvar = r / 2;
		return;
	}
	d = *srtt > r ? *srtt - r : r - *srtt;
	*rttvar = *rttvar - (*rttvar >> 2) + (d >> 2);
	*srtt = *srtt - (*srtt >> 3) + (r >> 3);
}

/*
 * Is r a turnaround sample to learn from? Not when it is over 1.5 times
 * the current RTO: then the daemon's timer has most likely resent the
 * block meanwhile (at the RTO, seen by its next look: a resend the kernel
 * does not see), and the ACK may answer either copy (Karn). Taking such
 * samples made the kernel's estimate climb with every loss, and the RTO
 * with it (measured: srtt from 0.1 to 47 ms in one 1 MiB transfer at 5 %
 * loss). 1.5, not 1: a client that really slows down still raises the
 * estimate, by up to half again per sample.
 */
static inline __attribute__((always_inline)) int
xt_rtt_sample_plausible(__u64 srtt, __u64 rttvar, __u64 r)
{
	__u64 rto;

	if (srtt == 0)
		return r <= XT_RTT_FIRST_MAX_NS;
	rto = srtt + 4 * rttvar;
	if (rto < XT_RTO_MIN_NS)
		rto = XT_RTO_MIN_NS;
	return 2 * r <= 3 * rto;
}

/* The retransmission timeout: srtt + 4 rttvar within [XT_RTO_MIN_NS,
 * ceiling]; the ceiling (the configured timeout) until a sample exists. */
static inline __attribute__((always_inline)) __u64
xt_rto(__u64 srtt, __u64 rttvar, __u64 ceiling)
{
	__u64 rto;

	if (srtt == 0)
		return ceiling;
	rto = srtt + 4 * rttvar;
	if (rto < XT_RTO_MIN_NS)
		rto = XT_RTO_MIN_NS;
	return rto < ceiling ? rto : ceiling;
}

/* Least time between sending block k+1 and resending it on a duplicate
 * ACK of k: two turnarounds (the DATA had time to arrive and its ACK to
 * come back), at least XT_DUP_GAP_MIN_NS. */
static inline __attribute__((always_inline)) __u64
xt_dup_resend_gap(__u64 srtt)
{
	__u64 gap = 2 * srtt;

	return gap > XT_DUP_GAP_MIN_NS ? gap : XT_DUP_GAP_MIN_NS;
}

enum xt_dup_verdict {
	XT_DUP_IGNORE = 0,      /* counted, not answered: too soon */
	XT_DUP_RESEND,          /* resend acked + 1 and remember it as resent */
	XT_DUP_ECHO,            /* the echo of our resend of acked: absorb it
				 * and forget the resend (the next one is news) */
};

/*
 * Rule 2: what a duplicate ACK of block acked (the last acknowledged, with
 * acked + 1 outstanding) does. last_send_ns: when a DATA of this session
 * last went out; last_resent: the block resent last and not yet echoed (0
 * none; block 0, the OACK, is never resent this way).
 */
static inline __attribute__((always_inline)) int
xt_dup_ack_verdict(__u32 acked, __u32 last_resent, __u64 now, __u64 last_send_ns, __u64 srtt)
{
	if (last_resent && acked == last_resent)
		return XT_DUP_ECHO;
	if (now >= last_send_ns && now - last_send_ns >= xt_dup_resend_gap(srtt))
		return XT_DUP_RESEND;
	return XT_DUP_IGNORE;
}

#endif
