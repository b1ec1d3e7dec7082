// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Randomised and mutated frames through xdp_tftp and tc_tftp under
 * BPF_PROG_TEST_RUN (at least 100,000 per program), against sessions in
 * every state, sane and insane. Invariants checked on every frame:
 *  - never XDP_ABORTED; TC only ever OK, SHOT or REDIRECT;
 *  - a frame passed on is passed untouched (bytes and length);
 *  - a frame is transmitted only if it is a well-formed ACK (checked by an
 *    independent parser here) of an ACTIVE, sane session, and either
 *     . a new ACK, for a block in (last_acked, last_sent] that is not the
 *       final one: what goes out is then exactly the DATA frame expected
 *       for the last block of the window (headers, checksums, payload from
 *       the image at the right offset), and the session advanced exactly
 *       so; or
 *     . a duplicate ACK of last_acked with last_sent > last_acked that
 *       xtftp_rto.h's rule 2 makes a resend: not the echo of the block
 *       resent last, and the last DATA at least xt_dup_resend_gap(srtt)
 *       before the run ended; what goes out is exactly DATA last_acked + 1,
 *       the session's last_sent/last_acked unchanged, last_resent =
 *       last_acked + 1, dup_resends + 1, last_data_ns the run's time;
 *    XDP transmits one block per ACK (a window of more is TC's);
 *    (sessions are written with random last_data_ns, srtt and last_resent
 *    so duplicates fall in and out of the gap and on echoes);
 *  - no pool byte from outside an image ever goes out (the pool outside
 *    images is filled with a marker byte images never contain).
 * Deterministic (fixed seed; XT_FUZZ_SEED overrides, XT_FUZZ_FRAMES the count).
 */
#include <fcntl.h>
#include <unistd.h>
#include <net/if.h>
#include <linux/if_ether.h>

#include "harness.h"
#include "xtftp_rto.h"

struct fz_session {
	struct flow fl;
	struct image *img;
	uint16_t blksize, window;
	uint32_t state;
	uint32_t final_block;   /* as written to the map (may be inconsistent) */
	uint32_t first_chunk;   /* as written (may point past the pool) */
	int sane;               /* the kernel may serve it */
};

#define N_SESS 12
static struct fz_session sess[N_SESS];

static uint64_t rng_state;

static uint32_t rnd(void)
{
	/* xorshift64* */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 2685821657736338717ull) >> 32);
}

static uint32_t rnd_below(uint32_t n)
{
	return n ? rnd() % n : 0;
}

static void sess_define(int i, int family, int vlan, struct image *img, uint16_t blksize,
			uint16_t window, uint32_t state, int sane)
{
	struct fz_session *s = &sess[i];

	flow_init(&s->fl, family, vlan);
	s->fl.client_port = 41000 + i;
	s->img = img;
	s->blksize = blksize;
	s->window = window;
	s->state = state;
	s->first_chunk = img->first_chunk;
	s->final_block = blksize ? img->size / blksize + 1 : 1;
	s->sane = sane;
}

/* Write the session with a random position in its transfer. */
static int sess_write(int i)
{
	struct fz_session *s = &sess[i];
	uint32_t last_sent = rnd_below(s->final_block + 1);
	uint32_t last_acked = last_sent - 1 - rnd_below(s->window ? s->window : 1);
	struct session_value v;
	struct session_key k;

	if (rnd_below(8) == 0 && s->final_block > 65538)   /* at the rollover */
		last_sent = 65535 + rnd_below(3);
	if ((int32_t)last_acked < -1)
		last_acked = (uint32_t)-1;
	memset(&v, 0, sizeof(v));
	v.image_size = s->img->size;
	v.first_chunk = s->first_chunk;
	v.final_block = s->final_block;
	v.blksize = s->blksize;
	v.windowsize = s->window;
	v.state = s->state;
	v.last_sent = last_sent;
	v.last_acked = last_acked;
	/* loss recovery state: duplicates within the gap, after it, echoes */
	switch (rnd_below(4)) {
	case 0:
		v.last_data_ns = 0;
		break;
	case 1:
		v.last_data_ns = mono_ns();
		break;
	default:
		v.last_data_ns = mono_ns() - (uint64_t)rnd_below(100) * 1000000ull;
	}
	v.srtt_ns = rnd_below(3) ? (uint64_t)rnd_below(50) * 1000000ull : 0;
	v.rttvar_ns = v.srtt_ns / 2;
	switch (rnd_below(4)) {
	case 0:
		v.last_resent = last_acked;
		break;
	case 1:
		v.last_resent = last_acked + 1;
		break;
	case 2:
		v.last_resent = rnd();
		break;
	default:
		v.last_resent = 0;
	}
	flow_key(&s->fl, lo_ifindex, &k);
	return bpf_map_update_elem(bpf_map__fd(skel->maps.sessions), &k, &v, BPF_ANY) ? -errno : 0;
}

/* ---- an independent strict reading of an ACK ------------------------------ */

struct ack_view {
	int family, vlan;
	uint16_t vid, block;
	uint8_t l2[16];         /* MACs, and TPID + TCI when tagged */
	uint8_t tos;            /* IPv4 */
	uint8_t ip6_word[4];    /* IPv6 version, class, flow label */
	uint8_t saddr[16], daddr[16];
	uint16_t sport, dport;
};

/* 1 if f[0..n) is a TFTP ACK the kernel tiers may answer. */
static int read_ack(const uint8_t *f, size_t n, int tc, struct ack_view *a)
{
	size_t off = 14, l4;
	uint16_t proto, iplen, ulen;

	(void)tc;
	memset(a, 0, sizeof(*a));
	if (n < 14)
		return 0;
	memcpy(a->l2, f, n < 16 ? n : 16);
	proto = get16(f + 12);
	if (proto == 0x8100 || proto == 0x88a8) {
		if (n < 18)
			return 0;
		a->vlan = 1;
		a->vid = get16(f + 14) & 0x0fff;
		proto = get16(f + 16);
		off = 18;
	}
	if (proto == 0x0800) {
		if (n < off + 20 || f[off] != 0x45 || (get16(f + off + 6) & 0x3fff) || f[off + 9] != 17)
			return 0;
		iplen = get16(f + off + 2);
		if (iplen < 20 || off + iplen > n)
			return 0;
		a->family = 4;
		a->tos = f[off + 1];
		memcpy(a->saddr, f + off + 12, 4);
		memcpy(a->daddr, f + off + 16, 4);
		l4 = off + 20;
		iplen -= 20;
	} else if (proto == 0x86dd) {
		if (n < off + 40 || (f[off] >> 4) != 6 || f[off + 6] != 17)
			return 0;
		iplen = get16(f + off + 4);
		if (off + 40 + iplen > n)
			return 0;
		a->family = 6;
		memcpy(a->ip6_word, f + off, 4);
		memcpy(a->saddr, f + off + 8, 16);
		memcpy(a->daddr, f + off + 24, 16);
		l4 = off + 40;
	} else {
		return 0;
	}
	if (l4 + 12 > n)
		return 0;
	ulen = get16(f + l4 + 4);
	if (ulen != iplen || ulen < 12 || get16(f + l4 + 8) != TFTP_ACK)
		return 0;
	a->sport = get16(f + l4);
	a->dport = get16(f + l4 + 2);
	a->block = get16(f + l4 + 10);
	return 1;
}

static int ack_matches(const struct ack_view *a, const struct fz_session *s)
{
	size_t alen = a->family == 4 ? 4 : 16;

	return a->family == s->fl.family && a->vid == s->fl.vid &&
	       !memcmp(a->saddr, s->fl.client_addr, alen) &&
	       !memcmp(a->daddr, s->fl.server_addr, alen) &&
	       a->sport == s->fl.client_port && a->dport == s->fl.server_port;
}

/*
 * The DATA frame for block blk of session o in answer to ACK a: what the
 * harness builds for the session's flow, with what the reply copies from
 * the ACK (MACs swapped, the tag as it came, IPv4 TOS, IPv6 flow word).
 */
static size_t expected_reply(const struct ack_view *a, const struct fz_session *o,
			     uint32_t blk, uint8_t *want)
{
	struct flow fl = o->fl;
	size_t n, l3;

	fl.vlan = a->vlan;
	fl.vid = a->vid;
	n = build_data(want, &fl, o->img, o->blksize, blk);
	memcpy(want, a->l2 + 6, 6);
	memcpy(want + 6, a->l2, 6);
	l3 = 14;
	if (a->vlan) {
		memcpy(want + 12, a->l2 + 12, 4);
		l3 = 18;
	}
	if (a->family == 4) {
		want[l3 + 1] = a->tos;
		put16(want + l3 + 10, 0);
		put16(want + l3 + 10, fold_not(sum_bytes(0, want + l3, 20)));
	} else {
		memcpy(want + l3, a->ip6_word, 4);
	}
	return n;
}

/* ---- mutations ---------------------------------------------------------- */

static size_t mutate(uint8_t *f, size_t n, size_t cap)
{
	size_t l3 = get16(f + 12) == 0x8100 ? 18 : 14;

	switch (rnd_below(14)) {
	case 0:         /* truncate anywhere */
		return rnd_below(n + 1);
	case 1:         /* flip a byte */
		if (n)
			f[rnd_below(n)] ^= 1 + rnd_below(255);
		return n;
	case 2:         /* bogus IHL / version */
		if (n > l3)
			f[l3] = rnd();
		return n;
	case 3:         /* fragment bits */
		if (n > l3 + 7)
			put16(f + l3 + 6, rnd() & 0x3fff);
		return n;
	case 4:         /* IPv4 total length / IPv6 payload length */
		if (n > l3 + 5)
			put16(f + l3 + (f[l3] >> 4 == 6 ? 4 : 2), rnd_below(3) ? rnd_below(n + 8) : rnd());
		return n;
	case 5:         /* IPv6 next header: an extension header or anything */
		if (n > l3 + 6) {
			static const uint8_t ext[] = { 0, 43, 44, 50, 51, 60, 135, 6, 58 };

			f[l3 + 6] = ext[rnd_below(sizeof(ext))];
		}
		return n;
	case 6:         /* UDP length */
		if (n > l3 + 48)
			put16(f + l3 + (f[l3] >> 4 == 6 ? 44 : 24), rnd_below(40));
		return n;
	case 7:         /* opcode */
		if (n > l3 + 52)
			put16(f + l3 + (f[l3] >> 4 == 6 ? 48 : 28), rnd_below(8));
		return n;
	case 8:         /* push another VLAN tag (a stack when already tagged) */
		if (n + 4 <= cap && n >= 12) {
			memmove(f + 16, f + 12, n - 12);
			put16(f + 12, rnd_below(2) ? 0x8100 : 0x88a8);
			put16(f + 14, rnd() & 0xfff);
			return n + 4;
		}
		return n;
	case 9:         /* trailing garbage (more than Ethernet padding) */
		if (n + 64 <= cap) {
			for (int i = 0; i < 64; i++)
				f[n + i] = rnd();
			return n + rnd_below(65);
		}
		return n;
	case 10:        /* ethertype */
		if (n > 13)
			put16(f + 12, rnd_below(2) ? 0x0806 : rnd());
		return n;
	case 11:        /* a port */
		if (n > l3 + 44)
			put16(f + l3 + (f[l3] >> 4 == 6 ? 40 : 20) + 2 * rnd_below(2), 41000 + rnd_below(N_SESS + 2));
		return n;
	case 12:        /* random bytes of random length */
		n = rnd_below(cap < 200 ? cap : 200);
		for (size_t i = 0; i < n; i++)
			f[i] = rnd();
		return n;
	default:        /* leave it a valid ACK */
		return n;
	}
}

/* ---- the run ----------------------------------------------------------------- */

static int pool_marker_in(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] == POOL_MARKER)
			return 1;
	return 0;
}

static size_t reply_payload_len(const struct fz_session *o, uint32_t blk)
{
	uint64_t off = (uint64_t)(blk - 1) * o->blksize;

	if (off >= o->img->size)
		return 0;
	return o->img->size - off < o->blksize ? o->img->size - off : o->blksize;
}

static uint32_t expand(uint16_t wire, uint32_t last_sent)
{
	int64_t abs = (int64_t)((last_sent & ~0xffffu) | wire);

	if (abs > last_sent)
		abs -= 0x10000;
	return abs < 0 ? UINT32_MAX : (uint32_t)abs;
}

static int fuzz_program(int tc, unsigned long frames, unsigned long *sent_out,
			unsigned long *resent_out)
{
	static uint8_t in[FRAME_MAX], want[FRAME_MAX];
	struct bpf_program *prog = tc ? skel->progs.tc_tftp : skel->progs.xdp_tftp;
	unsigned long sent = 0, resent = 0, failures = 0;
	struct run r;

	for (int i = 0; i < N_SESS; i++)
		if (sess_write(i))
			return -1;

	for (unsigned long it = 0; it < frames && failures < 10; it++) {
		int si = rnd_below(N_SESS);
		struct fz_session *s = &sess[si];
		struct session_value before[N_SESS], after;
		struct ack_view a;
		uint16_t block;
		size_t n;
		int m, is_ack, owner = -1;
		int transmitted, passed;
		uint64_t t_before, t_after;

		if (rnd_below(64) == 0 && sess_write(si))
			return -1;
		for (int i = 0; i < N_SESS; i++)
			session_get(&sess[i].fl, lo_ifindex, &before[i]);
		switch (rnd_below(4)) {
		case 0:
			block = before[si].last_sent;
			break;
		case 1:
			block = before[si].last_acked + rnd_below(3);
			break;
		case 2:
			block = before[si].last_sent - rnd_below(20);
			break;
		default:
			block = rnd();
		}
		n = build_ack(in, &s->fl, block);
		for (m = rnd_below(3); m > 0; m--)
			n = mutate(in, n, sizeof(in) - 64);

		t_before = mono_ns();
		run_prog(prog, in, n, 0, &r);
		t_after = mono_ns();
		if (r.err) {
			/* The kernel refuses frames shorter than Ethernet and,
			 * for skbs, IP frames shorter than their IP header. */
			if (r.err == -EINVAL && (n < 14 || (tc && n < 14 + 40 &&
			    (get16(in + 12) == 0x86dd ||
			     (get16(in + 12) == 0x0800 && n < 14 + 20)))))
				continue;
			fprintf(stderr, "  frame %lu (%zu bytes, type %04x): test run: %s\n", it, n,
				n >= 14 ? get16(in + 12) : 0, strerror(-r.err));
			failures++;
			continue;
		}
		transmitted = tc ? r.retval == TC_ACT_REDIRECT : r.retval == XDP_TX;
		passed = tc ? r.retval == (uint32_t)TC_ACT_UNSPEC : r.retval == XDP_PASS;
		if (!transmitted && !passed &&
		    r.retval != (tc ? (unsigned)TC_ACT_SHOT : XDP_DROP)) {
			fprintf(stderr, "  frame %lu: retval %u\n", it, r.retval);
			failures++;
			continue;
		}
		if (passed) {
			if (r.size_out != n || memcmp(r.out, in, n)) {
				fprintf(stderr, "  frame %lu: passed but modified\n", it);
				dump_diff(r.out, r.size_out, in, n);
				failures++;
			}
			continue;
		}
		if (!transmitted)
			continue;

		/* A transmit: it must have been earned. */
		sent++;
		is_ack = read_ack(in, n, tc, &a);
		for (int i = 0; is_ack && i < N_SESS; i++)
			if (ack_matches(&a, &sess[i]))
				owner = i;
		if (!is_ack || owner < 0) {
			fprintf(stderr, "  frame %lu: transmitted for a frame that is not an ACK of a session\n", it);
			failures++;
			continue;
		}
		{
			struct fz_session *o = &sess[owner];
			struct session_value *b = &before[owner];
			uint32_t abs = expand(a.block, b->last_sent);
			uint32_t last;
			size_t wlen;
			int is_new, is_resend;

			/* a new ACK, in (last_acked, last_sent], not the final one */
			is_new = abs != UINT32_MAX && (int32_t)abs > (int32_t)b->last_acked &&
				 abs < o->final_block;
			/* rule 2: a duplicate of last_acked with a block out, no echo,
			 * the gap over by the time the run ended */
			is_resend = abs != UINT32_MAX && abs == b->last_acked &&
				    (int32_t)(b->last_sent - b->last_acked) > 0 &&
				    !(b->last_resent && b->last_resent == abs) &&
				    t_after >= b->last_data_ns &&
				    t_after - b->last_data_ns >= xt_dup_resend_gap(b->srtt_ns);
			last = is_resend ? abs + 1 : abs + o->window;
			if (last > o->final_block)
				last = o->final_block;
			if (!o->sane || b->state != XT_SESS_ACTIVE || (!is_new && !is_resend) ||
			    (!tc && last != abs + 1)) {
				fprintf(stderr, "  frame %lu: session %d (state %u, sane %d) answered "
					"ACK %u (abs %u, last_acked %d, last_sent %u, last_resent %u, "
					"last_data_ns %llu ago, srtt %llu)\n", it, owner,
					b->state, o->sane, a.block, abs, (int)b->last_acked,
					b->last_sent, b->last_resent,
					(unsigned long long)(t_after - b->last_data_ns),
					(unsigned long long)b->srtt_ns);
				failures++;
				continue;
			}
			wlen = expected_reply(&a, o, last, want);
			if (r.size_out != wlen || memcmp(r.out, want, wlen)) {
				fprintf(stderr, "  frame %lu: DATA %u for session %d is not the expected frame\n",
					it, last, owner);
				dump_diff(r.out, r.size_out, want, wlen);
				failures++;
			}
			if (r.size_out >= wlen &&
			    pool_marker_in(r.out + wlen - reply_payload_len(o, last),
					   reply_payload_len(o, last))) {
				fprintf(stderr, "  frame %lu: a pool byte from outside the image went out\n", it);
				failures++;
			}
			session_get(&o->fl, lo_ifindex, &after);
			if (is_resend && (after.last_sent != b->last_sent || after.last_acked != abs ||
					  after.last_resent != abs + 1 ||
					  after.dup_resends != b->dup_resends + 1 ||
					  after.last_data_ns < t_before || after.last_data_ns > t_after)) {
				fprintf(stderr, "  frame %lu: resend of %u: session %d at last_sent %u "
					"last_acked %u last_resent %u dup_resends %u, want %u %u %u %u\n",
					it, abs + 1, owner, after.last_sent, after.last_acked,
					after.last_resent, after.dup_resends, b->last_sent, abs,
					abs + 1, b->dup_resends + 1);
				failures++;
			}
			if (!is_resend && (after.last_sent != last || after.last_acked != abs ||
					   after.dup_resends != b->dup_resends)) {
				fprintf(stderr, "  frame %lu: session %d at last_sent %u last_acked %u, want %u %u\n",
					it, owner, after.last_sent, after.last_acked, last, abs);
				failures++;
			}
			if (is_resend)
				resent++;
		}
	}
	*sent_out = sent;
	*resent_out = resent;
	return failures ? -1 : 0;
}

int main(void)
{
	unsigned long frames = 100000, sent, resent;
	const char *env;
	int err, failed = 0;

	env = getenv("XT_FUZZ_FRAMES");
	if (env)
		frames = strtoul(env, NULL, 0);
	env = getenv("XT_FUZZ_SEED");
	rng_state = env ? strtoull(env, NULL, 0) : 0x7874667470646fULL;
	if (!rng_state)
		rng_state = 1;
	err = harness_load();
	if (err)
		return err;

	/* Sane sessions: v4/v6, tagged or not, lock-step and windows,
	 * short and zero-length final blocks, rollover. */
	sess_define(0, 4, 0, &img_a, 512, 1, XT_SESS_ACTIVE, 1);
	sess_define(1, 6, 1, &img_a, 1468, 1, XT_SESS_ACTIVE, 1);
	sess_define(2, 4, 1, &img_c, 8, 1, XT_SESS_ACTIVE, 1);
	sess_define(3, 6, 0, &img_a, 1428, 4, XT_SESS_ACTIVE, 1);
	sess_define(4, 4, 0, &img_b, 512, 1, XT_SESS_ACTIVE, 1);
	/* Not the kernel's, or insane. */
	sess_define(5, 4, 0, &img_a, 512, 1, XT_SESS_PAUSED, 0);
	sess_define(6, 6, 0, &img_a, 512, 1, XT_SESS_DONE, 0);
	sess_define(7, 4, 1, &img_a, 512, 1, 7, 0);                     /* unknown state */
	sess_define(8, 4, 0, &img_a, 0, 1, XT_SESS_ACTIVE, 0);          /* blksize 0 */
	sess_define(9, 6, 0, &img_a, 4000, 1, XT_SESS_ACTIVE, 0);       /* blksize too big */
	sess_define(10, 4, 0, &img_a, 512, 1, XT_SESS_ACTIVE, 0);
	sess[10].final_block += 5;                                      /* inconsistent */
	sess_define(11, 4, 0, &img_a, 1468, 1, XT_SESS_ACTIVE, 0);
	sess[11].first_chunk = POOL_CHUNKS;                             /* not in the pool */

	for (int tc = 0; tc < 2; tc++) {
		const char *name = tc ? "tc_tftp" : "xdp_tftp";

		if (fuzz_program(tc, frames, &sent, &resent)) {
			printf("FAIL fuzz_%s\n", name);
			failed = 1;
		} else {
			printf("PASS fuzz_%s: %lu frames tried, %lu answered with DATA, "
			       "%lu of them resends on a duplicate ACK\n", name, frames, sent,
			       resent);
			if (!resent) {
				/* the rule 2 branch above must have been exercised */
				printf("FAIL fuzz_%s_resends: no duplicate ACK was resent\n", name);
				failed = 1;
			}
		}
	}
	harness_unload();
	printf("%s: %lu frames per program\n", failed ? "FAILED" : "passed", frames);
	return failed;
}
