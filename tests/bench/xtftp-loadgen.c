// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * xtftp-loadgen: a TFTP download load generator, one process.
 *
 * Runs N concurrent read transfers of one file against a TFTP server, each
 * on its own non-blocking UDP socket, driven by one epoll loop. It behaves
 * like a real client: RRQ with the requested options, OACK handling (and a
 * server that ignores options), lock-step or RFC 7440 windows, ACK
 * retransmission on timeout, block number rollover. Every downloaded image
 * is hashed with SHA-256 while it streams and compared with the expected
 * digest: one wrong byte makes the run fail (exit 1).
 *
 * Measures: per-block round trip (ACK sent -> next new DATA received,
 * Karn's rule: not measured across a retransmission) in a log2 histogram
 * with 8 linear sub-buckets per octave, goodput per transfer and in total,
 * retransmits, timeouts, duplicate and out-of-order DATA; per-transfer
 * times (RRQ sent -> last DATA verified: min, median, p90, max) and the
 * makespan (first RRQ -> last verified transfer), for a fleet of devices
 * flashed at once (--spread-ms staggers their starts).
 *
 * Exit: 0 every transfer verified, 1 a transfer failed or a digest did not
 * match, 2 usage error.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "xtftp_wire.h"
#include "util/sha256.h"

#define LG_MAX_SESSIONS 8192
#define LG_RXBUF (TFTP_MAX_PACKET + 16)
#define LG_SCAN_NS (5 * 1000 * 1000ull)        /* timeout scan period */
#define LG_HIST_BUCKETS 512

/* ---- options ---------------------------------------------------------- */
struct lg_opts {
	struct sockaddr_storage server;         /* address and port 69 (or -p) */
	socklen_t server_len;
	const char *server_str;
	const char *file;
	uint8_t want_sha[SHA256_DIGEST_LEN];
	bool have_sha;
	int64_t want_size;                      /* -1 unknown */
	unsigned int blksize;                   /* 0: do not ask */
	unsigned int windowsize;                /* 0: do not ask */
	bool tsize;
	unsigned int concurrency;
	uint64_t count;                         /* 0: not limited by count */
	double duration;                        /* 0: not limited by time */
	unsigned int timeout_ms;
	unsigned int retries;
	int src_port;                           /* -1: ephemeral */
	const char *src_addr;                   /* NULL: the route's */
	bool ignore_dup;                        /* U-Boot: no ACK for a repeat */
	unsigned int ack_delay_us;              /* a device's turnaround before each ACK */
	unsigned int spread_ms;                 /* first starts spread over this */
	bool json;
	bool quiet;
	const char *label;
};

/* ---- histogram --------------------------------------------------------- */
struct lg_hist {
	uint64_t bucket[LG_HIST_BUCKETS];
	uint64_t count;
	uint64_t sum;
	uint64_t max;
};

/* Values below 16 get exact buckets; above, 8 linear steps per power of 2,
 * so a percentile is accurate to about 6 %. */
static unsigned int hist_index(uint64_t v)
{
	unsigned int msb;

	if (v < 16)
		return (unsigned int)v;
	msb = 63 - (unsigned int)__builtin_clzll(v);
	return 16 + (msb - 4) * 8 + (unsigned int)((v >> (msb - 3)) & 7);
}

/* Midpoint of bucket i, in the histogram's unit. */
static double hist_mid(unsigned int i)
{
	unsigned int msb, sub;

	if (i < 16)
		return i;
	msb = (i - 16) / 8 + 4;
	sub = (i - 16) % 8;
	return (double)((8ull + sub) << (msb - 3)) + (double)(1ull << (msb - 3)) / 2.0;
}

static void hist_add(struct lg_hist *h, uint64_t v)
{
	h->bucket[hist_index(v)]++;
	h->count++;
	h->sum += v;
	if (v > h->max)
		h->max = v;
}

static double hist_pct(const struct lg_hist *h, double pct)
{
	uint64_t want, seen = 0;
	unsigned int i;

	if (!h->count)
		return 0;
	want = (uint64_t)(pct / 100.0 * (double)h->count);
	if (want >= h->count)
		want = h->count - 1;
	for (i = 0; i < LG_HIST_BUCKETS; i++) {
		seen += h->bucket[i];
		if (seen > want)
			return hist_mid(i);
	}
	return (double)h->max;
}

/* ---- sessions -------------------------------------------------------- */
enum lg_state {
	LG_IDLE = 0,
	LG_WAIT_FIRST,          /* RRQ sent, no answer yet */
	LG_RUNNING,             /* OACK acknowledged or DATA flowing */
};

struct lg_session {
	int fd;
	enum lg_state state;
	bool connected;                 /* socket connected to the server's TID */
	unsigned int blksize;           /* negotiated */
	unsigned int windowsize;
	int64_t tsize;                  /* from OACK, -1 unknown */
	uint64_t next_block;            /* absolute number of the next DATA wanted */
	unsigned int window_count;      /* in-order blocks since our last ACK */
	bool gap_acked;                 /* already ACKed a gap in this window */
	uint64_t bytes;
	struct sha256_ctx sha;
	uint8_t rrq[600];
	size_t rrq_len;
	uint64_t start_ns;
	uint64_t deadline_ns;
	uint64_t ack_sent_ns;           /* 0: no RTT sample pending */
	unsigned int tries;             /* retransmissions of the current packet */
};

struct lg_totals {
	uint64_t started, ok, failed, bad_digest;
	uint64_t bytes;
	uint64_t retransmits, timeouts, dup_data, out_of_order, foreign;
	uint64_t oack, no_oack;
	uint64_t waits, wait_events;    /* epoll_wait calls that returned events, and those */
	unsigned int win_min, win_max;  /* windowsize in force, over transfers */
	unsigned int blk_min, blk_max;  /* blksize in force, over transfers */
	struct lg_hist rtt;             /* ns, per block */
	struct lg_hist first;           /* ns, RRQ -> first answer */
	double sess_gp_min, sess_gp_max, sess_gp_sum; /* bytes/s per transfer */
	uint64_t *xfer_ns;              /* per verified transfer: RRQ -> done */
	size_t xfer_n, xfer_cap;
	uint64_t last_ok_ns;            /* when the last verified transfer ended */
	char last_error[200];
};

static struct lg_opts opt = {
	.want_size = -1,
	.concurrency = 1,
	.timeout_ms = 1000,
	.retries = 5,
	.src_port = -1,
};
static struct lg_totals tot = { .sess_gp_min = 1e300, .win_min = UINT_MAX, .blk_min = UINT_MAX };

/* What the server agreed to (OACK, or RFC 1350 defaults without one). */
static void note_negotiated(const struct lg_session *s)
{
	if (s->windowsize < tot.win_min)
		tot.win_min = s->windowsize;
	if (s->windowsize > tot.win_max)
		tot.win_max = s->windowsize;
	if (s->blksize < tot.blk_min)
		tot.blk_min = s->blksize;
	if (s->blksize > tot.blk_max)
		tot.blk_max = s->blksize;
}
static volatile sig_atomic_t stop_requested;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void note_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void note_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(tot.last_error, sizeof(tot.last_error), fmt, ap);
	va_end(ap);
	if (!opt.quiet)
		fprintf(stderr, "xtftp-loadgen: %s\n", tot.last_error);
}

/* ---- packets ----------------------------------------------------------- */
static size_t put_str(uint8_t *buf, size_t cap, size_t off, const char *s)
{
	size_t n = strlen(s) + 1;

	if (off + n > cap)
		return cap + 1;
	memcpy(buf + off, s, n);
	return off + n;
}

static int build_rrq(struct lg_session *s)
{
	size_t cap = sizeof(s->rrq), off = 2;
	char num[16];

	s->rrq[0] = 0;
	s->rrq[1] = TFTP_RRQ;
	off = put_str(s->rrq, cap, off, opt.file);
	off = put_str(s->rrq, cap, off, "octet");
	if (opt.blksize) {
		snprintf(num, sizeof(num), "%u", opt.blksize);
		off = put_str(s->rrq, cap, off, "blksize");
		off = put_str(s->rrq, cap, off, num);
	}
	if (opt.tsize) {
		off = put_str(s->rrq, cap, off, "tsize");
		off = put_str(s->rrq, cap, off, "0");
	}
	if (opt.windowsize) {
		snprintf(num, sizeof(num), "%u", opt.windowsize);
		off = put_str(s->rrq, cap, off, "windowsize");
		off = put_str(s->rrq, cap, off, num);
	}
	if (off > cap)
		return -ENAMETOOLONG;
	s->rrq_len = off;
	return 0;
}

static void send_ack(struct lg_session *s, uint64_t block, uint64_t now)
{
	uint8_t ack[4] = { 0, TFTP_ACK, (uint8_t)(TFTP_BLOCK_WIRE(block) >> 8),
			   (uint8_t)TFTP_BLOCK_WIRE(block) };

	/* a device's turnaround (flash write, slow CPU): busy, as it is */
	if (opt.ack_delay_us) {
		uint64_t until = now_ns() + opt.ack_delay_us * 1000ull;

		while (now_ns() < until)
			;
	}
	/* A full socket buffer or a transient error is a lost packet: the
	 * timeout retransmits, as on a real network. */
	(void)send(s->fd, ack, sizeof(ack), 0);
	s->ack_sent_ns = now;
	s->window_count = 0;
	s->gap_acked = false;
	s->deadline_ns = now + opt.timeout_ms * 1000000ull;
}

/* Send a TFTP error to the server's TID so it stops at once (best effort). */
static void send_error(struct lg_session *s, uint16_t code, const char *msg)
{
	uint8_t buf[128];
	size_t n = strlen(msg) + 1;

	if (!s->connected || n > sizeof(buf) - 4)
		return;
	buf[0] = 0;
	buf[1] = TFTP_ERROR;
	buf[2] = (uint8_t)(code >> 8);
	buf[3] = (uint8_t)code;
	memcpy(buf + 4, msg, n);
	(void)send(s->fd, buf, 4 + n, 0);
}

/* ---- session life ------------------------------------------------------ */
static void session_close(int ep, struct lg_session *s)
{
	if (s->fd >= 0) {
		epoll_ctl(ep, EPOLL_CTL_DEL, s->fd, NULL);
		close(s->fd);
	}
	s->fd = -1;
	s->state = LG_IDLE;
}

static void session_fail(int ep, struct lg_session *s, const char *why)
{
	tot.failed++;
	note_error("transfer failed after %" PRIu64 " bytes: %s", s->bytes, why);
	session_close(ep, s);
}

/* Every verified transfer's time, kept exactly (8 bytes a transfer); if
 * memory runs out the times stop being kept, the counts go on. */
static void xfer_time_add(uint64_t ns)
{
	if (tot.xfer_n == tot.xfer_cap) {
		size_t cap = tot.xfer_cap ? tot.xfer_cap * 2 : 1024;
		uint64_t *p = realloc(tot.xfer_ns, cap * sizeof(*p));

		if (!p)
			return;
		tot.xfer_ns = p;
		tot.xfer_cap = cap;
	}
	tot.xfer_ns[tot.xfer_n++] = ns;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Percentile PCT of the sorted transfer times, in seconds, interpolated
 * between neighbours (so p50 of an even count is the mean of the middle two). */
static double xfer_pct(double pct)
{
	double pos, frac;
	size_t lo;

	if (!tot.xfer_n)
		return 0;
	pos = pct / 100.0 * (double)(tot.xfer_n - 1);
	lo = (size_t)pos;
	frac = pos - (double)lo;
	if (lo + 1 >= tot.xfer_n)
		return (double)tot.xfer_ns[tot.xfer_n - 1] / 1e9;
	return ((double)tot.xfer_ns[lo] * (1 - frac) + (double)tot.xfer_ns[lo + 1] * frac) / 1e9;
}

static void session_finish(int ep, struct lg_session *s, uint64_t now)
{
	uint8_t got[SHA256_DIGEST_LEN];
	double secs, gp;

	sha256_final(&s->sha, got);
	if (opt.want_size >= 0 && (int64_t)s->bytes != opt.want_size) {
		tot.bad_digest++;
		note_error("size mismatch: got %" PRIu64 " bytes, want %" PRId64,
			   s->bytes, opt.want_size);
		goto out;
	}
	if (s->tsize >= 0 && (int64_t)s->bytes != s->tsize) {
		tot.bad_digest++;
		note_error("size mismatch: got %" PRIu64 " bytes, OACK tsize said %" PRId64,
			   s->bytes, s->tsize);
		goto out;
	}
	if (opt.have_sha && memcmp(got, opt.want_sha, sizeof(got))) {
		tot.bad_digest++;
		note_error("sha256 mismatch on a %" PRIu64 "-byte download", s->bytes);
		goto out;
	}
	tot.ok++;
	tot.bytes += s->bytes;
	tot.last_ok_ns = now;
	xfer_time_add(now - s->start_ns);
	secs = (double)(now - s->start_ns) / 1e9;
	gp = secs > 0 ? (double)s->bytes / secs : 0;
	tot.sess_gp_sum += gp;
	if (gp < tot.sess_gp_min)
		tot.sess_gp_min = gp;
	if (gp > tot.sess_gp_max)
		tot.sess_gp_max = gp;
out:
	session_close(ep, s);
}

static int session_start(int ep, struct lg_session *s, uint32_t idx, uint64_t now)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = idx };
	int family = opt.server.ss_family, one = 1, rcvbuf = 1 << 20, err;

	memset(s, 0, sizeof(*s));
	s->fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0) {
		err = -errno;
		note_error("socket: %s (raise ulimit -n for many sessions)", strerror(errno));
		return err;
	}
	/* Windows of large blocks arrive as bursts: keep room for them. */
	setsockopt(s->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (opt.src_port >= 0 || opt.src_addr) {
		struct sockaddr_storage local = { .ss_family = (sa_family_t)family };
		uint16_t port = opt.src_port >= 0 ? htons((uint16_t)opt.src_port) : 0;
		socklen_t len;
		int ok;

		setsockopt(s->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (family == AF_INET) {
			((struct sockaddr_in *)&local)->sin_port = port;
			ok = !opt.src_addr || inet_pton(AF_INET, opt.src_addr,
						       &((struct sockaddr_in *)&local)->sin_addr) == 1;
			len = sizeof(struct sockaddr_in);
		} else {
			((struct sockaddr_in6 *)&local)->sin6_port = port;
			ok = !opt.src_addr || inet_pton(AF_INET6, opt.src_addr,
						       &((struct sockaddr_in6 *)&local)->sin6_addr) == 1;
			len = sizeof(struct sockaddr_in6);
		}
		if (!ok) {
			err = -EINVAL;
			note_error("--src-addr %s: not an address of the server's family", opt.src_addr);
			goto fail;
		}
		if (bind(s->fd, (struct sockaddr *)&local, len) < 0) {
			err = -errno;
			note_error("bind source %s port %d: %s", opt.src_addr ? opt.src_addr : "*",
				   opt.src_port, strerror(errno));
			goto fail;
		}
	}
	if (epoll_ctl(ep, EPOLL_CTL_ADD, s->fd, &ev) < 0) {
		err = -errno;
		note_error("epoll_ctl: %s", strerror(errno));
		goto fail;
	}
	err = build_rrq(s);
	if (err) {
		note_error("file name too long for one RRQ");
		goto fail;
	}
	s->state = LG_WAIT_FIRST;
	s->blksize = TFTP_DEFAULT_BLKSIZE;
	s->windowsize = 1;
	s->tsize = -1;
	s->next_block = 1;
	sha256_init(&s->sha);
	s->start_ns = now;
	s->ack_sent_ns = now;
	s->deadline_ns = now + opt.timeout_ms * 1000000ull;
	(void)sendto(s->fd, s->rrq, s->rrq_len, 0, (struct sockaddr *)&opt.server,
		     opt.server_len);
	tot.started++;
	return 0;
fail:
	close(s->fd);
	s->fd = -1;
	return err;
}

/* The server answers from a new port (its TID); lock onto it with connect()
 * so the kernel drops strangers and reports ICMP errors on recv. */
static int lock_tid(struct lg_session *s, const struct sockaddr_storage *from, socklen_t len)
{
	if (from->ss_family != opt.server.ss_family) {
		tot.foreign++;
		return -EINVAL;
	}
	if (connect(s->fd, (const struct sockaddr *)from, len) < 0)
		return -errno;
	s->connected = true;
	return 0;
}

/* OACK: take the values the server chose, refuse what we did not offer. */
static int parse_oack(struct lg_session *s, const uint8_t *p, size_t n)
{
	size_t off = 2;

	while (off < n) {
		const char *name = (const char *)p + off, *val;
		size_t nl = strnlen(name, n - off), vl;
		unsigned long v;
		char *end;

		if (off + nl >= n)
			return -EINVAL;
		off += nl + 1;
		val = (const char *)p + off;
		vl = strnlen(val, n - off);
		if (off + vl >= n)
			return -EINVAL;
		off += vl + 1;
		errno = 0;
		v = strtoul(val, &end, 10);
		if (errno || end == val || *end)
			return -EINVAL;
		if (!strcasecmp(name, "blksize")) {
			if (!opt.blksize || v < TFTP_BLKSIZE_MIN || v > opt.blksize)
				return -EINVAL;
			s->blksize = (unsigned int)v;
		} else if (!strcasecmp(name, "windowsize")) {
			if (!opt.windowsize || v < 1 || v > opt.windowsize)
				return -EINVAL;
			s->windowsize = (unsigned int)v;
		} else if (!strcasecmp(name, "tsize")) {
			if (!opt.tsize)
				return -EINVAL;
			s->tsize = (int64_t)v;
		} else {
			return -EINVAL;
		}
	}
	return 0;
}

static void on_data(int ep, struct lg_session *s, const uint8_t *p, size_t n, uint64_t now)
{
	uint16_t wire = (uint16_t)(p[2] << 8 | p[3]);
	uint16_t diff = (uint16_t)(wire - TFTP_BLOCK_WIRE(s->next_block));
	size_t len = n - TFTP_HDR_LEN;

	if (diff == 0) {
		if (len > s->blksize) {
			send_error(s, TFTP_EUNDEF, "DATA larger than blksize");
			session_fail(ep, s, "DATA larger than the negotiated blksize");
			return;
		}
		if (s->ack_sent_ns) {
			hist_add(&tot.rtt, now - s->ack_sent_ns);
			s->ack_sent_ns = 0;
		}
		sha256_update(&s->sha, p + TFTP_HDR_LEN, len);
		s->bytes += len;
		s->next_block++;
		s->window_count++;
		s->tries = 0;
		s->deadline_ns = now + opt.timeout_ms * 1000000ull;
		if (len < s->blksize) {
			send_ack(s, s->next_block - 1, now);
			session_finish(ep, s, now);
		} else if (s->window_count >= s->windowsize) {
			send_ack(s, s->next_block - 1, now);
		}
		return;
	}
	if (diff >= 0x8000) {
		/* Already have it: the server retransmitted, so our ACK was
		 * lost or late. Re-ACK only the newest block we hold, which
		 * ends a resent window (or is the lock-step duplicate), so a
		 * resent window costs one ACK, not one per block.
		 * --ignore-dup: as U-Boot ("Same block again; ignore
		 * it"), no ACK at all; only our own timer re-ACKs. */
		tot.dup_data++;
		if (opt.ignore_dup)
			return;
		if (wire == TFTP_BLOCK_WIRE(s->next_block - 1))
			send_ack(s, s->next_block - 1, now);
		return;
	}
	/* A gap inside a window: ask once for a resend from the hole. */
	tot.out_of_order++;
	if (s->windowsize > 1 && !s->gap_acked) {
		send_ack(s, s->next_block - 1, now);
		s->gap_acked = true;
	}
}

static void on_packet(int ep, struct lg_session *s, const uint8_t *p, size_t n, uint64_t now)
{
	uint16_t op, code;
	char msg[120];

	if (n < 4) {
		tot.foreign++;
		return;
	}
	op = (uint16_t)(p[0] << 8 | p[1]);
	switch (op) {
	case TFTP_OACK:
		if (s->state == LG_WAIT_FIRST) {
			if (s->ack_sent_ns)
				hist_add(&tot.first, now - s->ack_sent_ns);
			if (parse_oack(s, p, n) < 0) {
				send_error(s, TFTP_EOPTNEG, "bad OACK");
				session_fail(ep, s, "server sent an OACK we cannot accept");
				return;
			}
			tot.oack++;
			note_negotiated(s);
			s->state = LG_RUNNING;
			s->tries = 0;
			send_ack(s, 0, now);
		} else if (s->next_block == 1) {
			/* our ACK 0 was lost: the server resent its OACK */
			tot.dup_data++;
			send_ack(s, 0, now);
		}
		return;
	case TFTP_DATA:
		if (s->state == LG_WAIT_FIRST) {
			/* Server ignored the options: RFC 1350 defaults. */
			if (s->ack_sent_ns)
				hist_add(&tot.first, now - s->ack_sent_ns);
			s->ack_sent_ns = 0;
			tot.no_oack++;
			note_negotiated(s);
			s->state = LG_RUNNING;
		}
		on_data(ep, s, p, n, now);
		return;
	case TFTP_ERROR:
		code = (uint16_t)(p[2] << 8 | p[3]);
		snprintf(msg, sizeof(msg), "server error %u: %.*s", code,
			 (int)(n > 4 ? strnlen((const char *)p + 4, n - 4) : 0), p + 4);
		session_fail(ep, s, msg);
		return;
	default:
		tot.foreign++;
		return;
	}
}

static void on_readable(int ep, struct lg_session *s)
{
	static uint8_t buf[LG_RXBUF];
	struct sockaddr_storage from;
	socklen_t flen;
	uint64_t now;
	ssize_t n;
	int burst;

	/* Bounded drain: fairness between sessions sharing the loop. */
	for (burst = 0; burst < 64 && s->state != LG_IDLE; burst++) {
		flen = sizeof(from);
		n = recvfrom(s->fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen);
		/* Stamp every packet: the server may answer an ACK sent
		 * earlier in this same drain, within microseconds. */
		now = now_ns();
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			if (errno == ECONNREFUSED) {
				/* ICMP port unreachable from the server's TID:
				 * it gave up on us. */
				session_fail(ep, s, "server TID unreachable (ICMP)");
				return;
			}
			session_fail(ep, s, strerror(errno));
			return;
		}
		if (!s->connected && lock_tid(s, &from, flen) < 0)
			continue;
		on_packet(ep, s, buf, (size_t)n, now);
	}
}

static void on_timeout(int ep, struct lg_session *s, uint64_t now)
{
	char why[80];

	tot.timeouts++;
	if (s->tries >= opt.retries) {
		snprintf(why, sizeof(why), "no answer after %u retries of %u ms",
			 opt.retries, opt.timeout_ms);
		send_error(s, TFTP_EUNDEF, "timeout");
		session_fail(ep, s, why);
		return;
	}
	s->tries++;
	tot.retransmits++;
	if (s->state == LG_WAIT_FIRST) {
		(void)sendto(s->fd, s->rrq, s->rrq_len, 0,
			     (struct sockaddr *)&opt.server, opt.server_len);
		s->deadline_ns = now + opt.timeout_ms * 1000000ull;
	} else {
		send_ack(s, s->next_block - 1, now);
	}
	/* Karn: the next answer may be for either copy, do not time it. */
	s->ack_sent_ns = 0;
}

/* ---- argument parsing ------------------------------------------------------ */
static int parse_server(const char *s, uint16_t port)
{
	struct sockaddr_in *in4 = (struct sockaddr_in *)&opt.server;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&opt.server;
	char host[INET6_ADDRSTRLEN + 2];
	size_t n = strlen(s);

	if (n >= sizeof(host))
		return -EINVAL;
	memcpy(host, s, n + 1);
	if (host[0] == '[' && n > 2 && host[n - 1] == ']') {
		host[n - 1] = 0;
		memmove(host, host + 1, n - 1);
	}
	memset(&opt.server, 0, sizeof(opt.server));
	if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons(port);
		opt.server_len = sizeof(*in4);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		opt.server_len = sizeof(*in6);
		return 0;
	}
	return -EINVAL;
}

static int parse_hex_sha(const char *s)
{
	int i;

	if (strlen(s) != 2 * SHA256_DIGEST_LEN)
		return -EINVAL;
	for (i = 0; i < SHA256_DIGEST_LEN; i++) {
		unsigned int b;

		if (sscanf(s + 2 * i, "%2x", &b) != 1)
			return -EINVAL;
		opt.want_sha[i] = (uint8_t)b;
	}
	opt.have_sha = true;
	return 0;
}

static int hash_local_file(const char *path)
{
	static uint8_t buf[1 << 16];
	struct sha256_ctx c;
	int fd, err = 0;
	ssize_t n;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	sha256_init(&c);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		sha256_update(&c, buf, (size_t)n);
	if (n < 0)
		err = -errno;
	else {
		opt.want_size = (int64_t)c.total_len;
		sha256_final(&c, opt.want_sha);
		opt.have_sha = true;
	}
	close(fd);
	return err;
}

static int parse_uint(const char *s, unsigned long lo, unsigned long hi, unsigned long *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		return -EINVAL;
	*out = v;
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
"usage: xtftp-loadgen -s ADDR -f FILE (--sha256 HEX | --compare LOCAL) [options]\n"
"  -s, --server ADDR       server IPv4 or IPv6 address ([::1] accepted)\n"
"  -p, --port PORT         server port (69)\n"
"  -f, --file NAME         file name to request\n"
"      --sha256 HEX        expected SHA-256 of the file\n"
"      --compare LOCAL     local copy: expected SHA-256 and size taken from it\n"
"      --size BYTES        expected size\n"
"  -b, --blksize N         ask for blksize N (default: no option, 512)\n"
"  -w, --windowsize N      ask for windowsize N (RFC 7440)\n"
"  -t, --tsize             ask for tsize and check it\n"
"  -c, --concurrency N     concurrent transfers (1)\n"
"  -n, --count N           total transfers (default: N concurrent, once each)\n"
"  -d, --duration SEC      keep starting transfers for SEC seconds\n"
"  -T, --timeout-ms MS     per-block timeout before the ACK is resent (1000)\n"
"  -r, --retries N         resends of one packet before a transfer fails (5)\n"
"      --src-port P        bind this source port (needs -c 1)\n"
"      --src-addr ADDR     send from this address (one of this host's)\n"
"      --ignore-dup        never ACK a repeated DATA block (U-Boot does not);\n"
"                          the ACK is resent only on the -T timer\n"
"      --ack-delay-us US   wait US microseconds before each ACK (a device's\n"
"                          turnaround; a busy wait, for one client at a time)\n"
"      --spread-ms MS      start the first transfers evenly over MS ms (a fleet\n"
"                          of devices powered on within MS) instead of at once\n"
"  -j, --json              one JSON object on stdout\n"
"  -l, --label TEXT        label copied into the JSON output\n"
"  -q, --quiet             no per-failure messages on stderr\n"
"  -h, --help\n");
}

static int parse_args(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "server", required_argument, NULL, 's' },
		{ "port", required_argument, NULL, 'p' },
		{ "file", required_argument, NULL, 'f' },
		{ "sha256", required_argument, NULL, 'S' },
		{ "compare", required_argument, NULL, 'C' },
		{ "size", required_argument, NULL, 'Z' },
		{ "blksize", required_argument, NULL, 'b' },
		{ "windowsize", required_argument, NULL, 'w' },
		{ "tsize", no_argument, NULL, 't' },
		{ "concurrency", required_argument, NULL, 'c' },
		{ "count", required_argument, NULL, 'n' },
		{ "duration", required_argument, NULL, 'd' },
		{ "timeout-ms", required_argument, NULL, 'T' },
		{ "retries", required_argument, NULL, 'r' },
		{ "src-port", required_argument, NULL, 'P' },
		{ "src-addr", required_argument, NULL, 'A' },
		{ "ignore-dup", no_argument, NULL, 'I' },
		{ "ack-delay-us", required_argument, NULL, 'D' },
		{ "spread-ms", required_argument, NULL, 'M' },
		{ "json", no_argument, NULL, 'j' },
		{ "label", required_argument, NULL, 'l' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	unsigned long v, port = TFTP_PORT;
	const char *compare = NULL, *sha = NULL;
	char *end;
	int c, err;

	while ((c = getopt_long(argc, argv, "s:p:f:b:w:tc:n:d:T:r:jl:qh", longopts, NULL)) != -1) {
		switch (c) {
		case 's': opt.server_str = optarg; break;
		case 'p':
			if (parse_uint(optarg, 1, 65535, &port))
				goto bad;
			break;
		case 'f': opt.file = optarg; break;
		case 'S': sha = optarg; break;
		case 'C': compare = optarg; break;
		case 'Z':
			if (parse_uint(optarg, 0, LONG_MAX, &v))
				goto bad;
			opt.want_size = (int64_t)v;
			break;
		case 'b':
			if (parse_uint(optarg, TFTP_BLKSIZE_MIN, TFTP_BLKSIZE_MAX, &v))
				goto bad;
			opt.blksize = (unsigned int)v;
			break;
		case 'w':
			if (parse_uint(optarg, TFTP_WINDOWSIZE_MIN, TFTP_WINDOWSIZE_MAX, &v))
				goto bad;
			opt.windowsize = (unsigned int)v;
			break;
		case 't': opt.tsize = true; break;
		case 'c':
			if (parse_uint(optarg, 1, LG_MAX_SESSIONS, &v))
				goto bad;
			opt.concurrency = (unsigned int)v;
			break;
		case 'n':
			if (parse_uint(optarg, 1, ULONG_MAX, &v))
				goto bad;
			opt.count = v;
			break;
		case 'd':
			errno = 0;
			opt.duration = strtod(optarg, &end);
			if (errno || end == optarg || *end || opt.duration <= 0)
				goto bad;
			break;
		case 'T':
			if (parse_uint(optarg, 1, 600000, &v))
				goto bad;
			opt.timeout_ms = (unsigned int)v;
			break;
		case 'r':
			if (parse_uint(optarg, 0, 1000, &v))
				goto bad;
			opt.retries = (unsigned int)v;
			break;
		case 'A': opt.src_addr = optarg; break;
		case 'P':
			if (parse_uint(optarg, 1, 65535, &v))
				goto bad;
			opt.src_port = (int)v;
			break;
		case 'I': opt.ignore_dup = true; break;
		case 'D':
			if (parse_uint(optarg, 0, 1000000, &v))
				goto bad;
			opt.ack_delay_us = (unsigned int)v;
			break;
		case 'M':
			if (parse_uint(optarg, 0, 3600000, &v))
				goto bad;
			opt.spread_ms = (unsigned int)v;
			break;
		case 'j': opt.json = true; break;
		case 'l': opt.label = optarg; break;
		case 'q': opt.quiet = true; break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return -EINVAL;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "xtftp-loadgen: unexpected argument '%s'\n", argv[optind]);
		return -EINVAL;
	}
	if (!opt.server_str || parse_server(opt.server_str, (uint16_t)port)) {
		fprintf(stderr, "xtftp-loadgen: -s/--server needs an IPv4 or IPv6 address\n");
		return -EINVAL;
	}
	if (!opt.file || !*opt.file) {
		fprintf(stderr, "xtftp-loadgen: -f/--file is required\n");
		return -EINVAL;
	}
	if (!sha == !compare) {
		fprintf(stderr, "xtftp-loadgen: give exactly one of --sha256 HEX or --compare LOCAL\n");
		return -EINVAL;
	}
	if (sha && parse_hex_sha(sha)) {
		fprintf(stderr, "xtftp-loadgen: --sha256 needs 64 hex digits\n");
		return -EINVAL;
	}
	if (compare) {
		err = hash_local_file(compare);
		if (err) {
			fprintf(stderr, "xtftp-loadgen: --compare %s: %s\n", compare, strerror(-err));
			return -EINVAL;
		}
	}
	if (opt.src_port >= 0 && opt.concurrency != 1) {
		fprintf(stderr, "xtftp-loadgen: --src-port needs -c 1 (one socket per port)\n");
		return -EINVAL;
	}
	if (!opt.count && !opt.duration)
		opt.count = opt.concurrency;
	return 0;
bad:
	fprintf(stderr, "xtftp-loadgen: bad value '%s' for -%c\n", optarg, c);
	return -EINVAL;
}

/* ---- report -------------------------------------------------------------- */
static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", *s);
		else
			putchar(*s);
	}
	putchar('"');
}

static void report(double wall, uint64_t t0)
{
	double gp = wall > 0 ? (double)tot.bytes / wall : 0;
	double avg = tot.ok ? tot.sess_gp_sum / (double)tot.ok : 0;
	double mn = tot.ok ? tot.sess_gp_min : 0;
	double makespan = tot.ok ? (double)(tot.last_ok_ns - t0) / 1e9 : 0;
	double xmean = 0;
	size_t i;

	if (tot.xfer_n) {
		qsort(tot.xfer_ns, tot.xfer_n, sizeof(*tot.xfer_ns), cmp_u64);
		for (i = 0; i < tot.xfer_n; i++)
			xmean += (double)tot.xfer_ns[i];
		xmean /= (double)tot.xfer_n * 1e9;
	}

	if (opt.json) {
		printf("{\"label\":");
		json_str(opt.label ? opt.label : "");
		printf(",\"file\":");
		json_str(opt.file);
		printf(",\"blksize\":%u,\"windowsize\":%u,\"concurrency\":%u"
		       ",\"started\":%" PRIu64 ",\"ok\":%" PRIu64 ",\"failed\":%" PRIu64
		       ",\"bad_digest\":%" PRIu64 ",\"bytes\":%" PRIu64 ",\"seconds\":%.6f"
		       ",\"goodput_MBps\":%.3f,\"goodput_Mbitps\":%.3f"
		       ",\"session_goodput_MBps\":{\"min\":%.3f,\"avg\":%.3f,\"max\":%.3f}"
		       ",\"rtt_us\":{\"p50\":%.2f,\"p99\":%.2f,\"max\":%.2f,\"mean\":%.2f,\"samples\":%" PRIu64 "}"
		       ",\"first_answer_us\":{\"p50\":%.2f,\"p99\":%.2f}"
		       ",\"retransmits\":%" PRIu64 ",\"timeouts\":%" PRIu64
		       ",\"dup_data\":%" PRIu64 ",\"out_of_order\":%" PRIu64
		       ",\"oack\":%" PRIu64 ",\"no_oack\":%" PRIu64
		       ",\"negotiated\":{\"blksize_min\":%u,\"blksize_max\":%u"
		       ",\"windowsize_min\":%u,\"windowsize_max\":%u},\"last_error\":",
		       opt.blksize ? opt.blksize : TFTP_DEFAULT_BLKSIZE,
		       opt.windowsize ? opt.windowsize : 1, opt.concurrency,
		       tot.started, tot.ok, tot.failed, tot.bad_digest, tot.bytes, wall,
		       gp / 1e6, gp * 8 / 1e6, mn / 1e6, avg / 1e6, tot.sess_gp_max / 1e6,
		       hist_pct(&tot.rtt, 50) / 1e3, hist_pct(&tot.rtt, 99) / 1e3,
		       (double)tot.rtt.max / 1e3,
		       tot.rtt.count ? (double)tot.rtt.sum / (double)tot.rtt.count / 1e3 : 0,
		       tot.rtt.count,
		       hist_pct(&tot.first, 50) / 1e3, hist_pct(&tot.first, 99) / 1e3,
		       tot.retransmits, tot.timeouts, tot.dup_data, tot.out_of_order,
		       tot.oack, tot.no_oack,
		       tot.blk_max ? tot.blk_min : 0, tot.blk_max,
		       tot.win_max ? tot.win_min : 0, tot.win_max);
		json_str(tot.last_error);
		/* Its own CPU: where the load generator is the ceiling of a
		 * scenario (one CPU busy the whole run), what a server gains
		 * or loses there is the generator's, e.g. fewer events per
		 * wakeup when answers come one by one. */
		struct rusage ru;

		getrusage(RUSAGE_SELF, &ru);
		printf(",\"cpu\":{\"user_s\":%.3f,\"sys_s\":%.3f,\"busy_share\":%.3f"
		       ",\"wakeups\":%" PRIu64 ",\"events_per_wakeup\":%.2f,\"ctx_voluntary\":%ld}",
		       ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6,
		       ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6,
		       wall > 0 ? (ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
				   ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6) / wall : 0,
		       tot.waits, tot.waits ? (double)tot.wait_events / (double)tot.waits : 0,
		       ru.ru_nvcsw);
		printf(",\"spread_ms\":%u,\"makespan_s\":%.6f"
		       ",\"transfer_s\":{\"min\":%.6f,\"p50\":%.6f,\"p90\":%.6f"
		       ",\"max\":%.6f,\"mean\":%.6f,\"samples\":%zu}}\n",
		       opt.spread_ms, makespan, xfer_pct(0), xfer_pct(50), xfer_pct(90),
		       xfer_pct(100), xmean, tot.xfer_n);
		return;
	}
	printf("transfers: %" PRIu64 " started, %" PRIu64 " verified, %" PRIu64
	       " failed, %" PRIu64 " bad digest/size\n",
	       tot.started, tot.ok, tot.failed, tot.bad_digest);
	printf("goodput:   %.1f MB/s (%.1f Mbit/s), %" PRIu64 " bytes in %.3f s\n",
	       gp / 1e6, gp * 8 / 1e6, tot.bytes, wall);
	printf("per transfer MB/s: min %.1f avg %.1f max %.1f\n",
	       mn / 1e6, avg / 1e6, tot.sess_gp_max / 1e6);
	if (tot.xfer_n)
		printf("per transfer s: min %.3f p50 %.3f p90 %.3f max %.3f;"
		       " makespan %.3f s (first RRQ -> last verified)\n",
		       xfer_pct(0), xfer_pct(50), xfer_pct(90), xfer_pct(100), makespan);
	printf("block rtt us: p50 %.1f p99 %.1f max %.1f (%" PRIu64 " samples)\n",
	       hist_pct(&tot.rtt, 50) / 1e3, hist_pct(&tot.rtt, 99) / 1e3,
	       (double)tot.rtt.max / 1e3, tot.rtt.count);
	printf("retransmits %" PRIu64 " timeouts %" PRIu64 " dup_data %" PRIu64
	       " out_of_order %" PRIu64 " oack %" PRIu64 " no_oack %" PRIu64 "\n",
	       tot.retransmits, tot.timeouts, tot.dup_data, tot.out_of_order,
	       tot.oack, tot.no_oack);
	if (tot.blk_max)
		printf("negotiated: blksize %u..%u windowsize %u..%u\n",
		       tot.blk_min, tot.blk_max, tot.win_min, tot.win_max);
	if (tot.last_error[0])
		printf("last error: %s\n", tot.last_error);
}

/* ---- main loop ------------------------------------------------------------ */
int main(int argc, char **argv)
{
	struct epoll_event evs[256];
	struct lg_session *sess = NULL;
	uint64_t *not_before = NULL;            /* per slot: first start, 0 once started */
	uint64_t t0, stop_at = 0, next_scan, now, first_n;
	unsigned int i, active = 0, pending;
	int ep = -1, ret = 1, n;

	if (parse_args(argc, argv))
		return 2;
	/* BENCH_SHA256_GENERIC=1: hash in portable C, to see what SHA-NI saves. */
	if (getenv("BENCH_SHA256_GENERIC"))
		sha256_force_portable = 1;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);

	sess = calloc(opt.concurrency, sizeof(*sess));
	not_before = calloc(opt.concurrency, sizeof(*not_before));
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (!sess || !not_before || ep < 0) {
		fprintf(stderr, "xtftp-loadgen: out of memory or epoll: %s\n", strerror(errno));
		goto cleanup;
	}
	for (i = 0; i < opt.concurrency; i++)
		sess[i].fd = -1;

	t0 = now_ns();
	if (opt.duration)
		stop_at = t0 + (uint64_t)(opt.duration * 1e9);
	/* --spread-ms: slot i's first transfer starts at i/N of the spread
	 * (N the transfers started at once); later ones start when a slot
	 * frees, as without it. */
	first_n = opt.count && opt.count < opt.concurrency ? opt.count : opt.concurrency;
	for (i = 0; i < opt.concurrency; i++)
		not_before[i] = i < first_n ?
			t0 + (uint64_t)opt.spread_ms * 1000000ull * i / first_n : t0;
	next_scan = t0 + LG_SCAN_NS;
	for (;;) {
		uint64_t next_start = UINT64_MAX;
		bool may_start;
		int wait_ms;

		now = now_ns();
		may_start = !stop_requested &&
			    (!opt.count || tot.started < opt.count) &&
			    (!stop_at || now < stop_at);
		active = 0;
		pending = 0;
		for (i = 0; i < opt.concurrency; i++) {
			if (sess[i].state == LG_IDLE && may_start && now < not_before[i]) {
				pending++;
				if (not_before[i] < next_start)
					next_start = not_before[i];
			} else if (sess[i].state == LG_IDLE && may_start) {
				if (session_start(ep, &sess[i], i, now))
					goto cleanup;
				not_before[i] = 0;
				may_start = (!opt.count || tot.started < opt.count);
			}
			if (sess[i].state != LG_IDLE)
				active++;
		}
		if (!active && !pending)
			break;

		wait_ms = (int)(LG_SCAN_NS / 1000000);
		if (next_start != UINT64_MAX && next_start - now < LG_SCAN_NS)
			wait_ms = (int)((next_start - now + 999999) / 1000000);
		n = epoll_wait(ep, evs, 256, wait_ms);
		if (n < 0 && errno != EINTR) {
			fprintf(stderr, "xtftp-loadgen: epoll_wait: %s\n", strerror(errno));
			goto cleanup;
		}
		now = now_ns();
		if (n > 0) {
			tot.waits++;
			tot.wait_events += (uint64_t)n;
		}
		for (int k = 0; k < n; k++) {
			struct lg_session *s = &sess[evs[k].data.u32];

			if (s->state != LG_IDLE)
				on_readable(ep, s);
		}
		if (now >= next_scan) {
			for (i = 0; i < opt.concurrency; i++)
				if (sess[i].state != LG_IDLE && now >= sess[i].deadline_ns)
					on_timeout(ep, &sess[i], now);
			next_scan = now + LG_SCAN_NS;
		}
		if (stop_requested) {
			for (i = 0; i < opt.concurrency; i++)
				if (sess[i].state != LG_IDLE)
					session_fail(ep, &sess[i], "interrupted");
		}
	}
	report((double)(now_ns() - t0) / 1e9, t0);
	ret = (tot.failed || tot.bad_digest || !tot.ok) ? 1 : 0;
cleanup:
	if (sess) {
		for (i = 0; i < opt.concurrency; i++)
			if (sess[i].fd >= 0)
				close(sess[i].fd);
		free(sess);
	}
	free(not_before);
	free(tot.xfer_ns);
	if (ep >= 0)
		close(ep);
	return ret;
}
