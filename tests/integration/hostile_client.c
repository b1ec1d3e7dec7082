// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hostile_client: a TFTP client that says what real clients never say, for
 * the robustness tests (test_hostile_wire.sh, test_faults.sh, ...). Every
 * observation is printed as one "key=value ..." line on stdout, so a test
 * asserts on exactly what came back (or on "silence").
 *
 *   hostile_client [-t MS] [-P PORT] [-m MODE] [-o NAME=VALUE]... HOST CASE [ARGS]
 *
 * Probes: one packet to HOST:PORT from a fresh socket, then print the first
 * answer ("reply op=... code|block=... len=... from=PORT [msg=|opts=]") or
 * "silence" after -t MS. A DATA/OACK answer is then cancelled with an ERROR
 * so no session is left behind.
 *   nonul                  RRQ whose name has no terminating NUL
 *   manyopts N FILE        RRQ FILE octet + N options "a" "1"
 *   bigname LEN            RRQ with a LEN-byte name (up to the UDP maximum)
 *   mode MODE FILE         RRQ FILE MODE (+ -o options)
 *   opt FILE               RRQ FILE octet with the -o options only
 *   error                  ERROR packet with a code and no message, no NUL
 *   short                  a 1-byte packet
 *   ack                    a stray ACK 1
 *
 * Sessions (-m MODE: the transfer mode of get, put and dupack, default
 * octet; the bytes are written and sent as they are on the wire, so
 * "-m netascii get" shows the server's netascii encoding raw):
 *   get NAME OUT           lock-step download (with -o options) into OUT;
 *                          exit 0 done, 1 server ERROR ("error code=N msg=")
 *   put NAME IN            upload IN with WRQ; exit 0 done, 1 server ERROR
 *   wrongport NAME OUT     download, but ACK block 1 first from a second
 *                          socket: expect error 5 there ("wrongport code=5"),
 *                          then finish the download from the right port
 *   data-to-read NAME      RRQ, then answer DATA 1 with a DATA packet: print
 *                          the server's answer (xtftpd and tftpd-hpa ignore
 *                          it: silence but for resends of DATA 1)
 *   error-mid NAME         RRQ, then answer DATA 1 with a message-less
 *                          ERROR: print what follows (want "silence": no
 *                          retransmission after the client gave up)
 *   dupack NAME OUT N MS   lock-step download (with -o options) into OUT;
 *                          DATA N (N >= 2) is not acknowledged: ACK N-1 goes
 *                          twice instead (the Sorcerer's Apprentice probe;
 *                          MS is the server's timeout). Then the first DATA
 *                          that comes must be the timer's resend of N, MS
 *                          after N at the earliest; on it, ACK N-1 twice
 *                          again: silence must follow for 1.5 MS (the
 *                          backoff doubled the interval). Prints "dupack
 *                          block=N first_block=B first_after_ms=A
 *                          silence_ms=S", then finishes the download (exit
 *                          as for get)
 *   flood SECS NAME        for SECS seconds, as fast as the socket takes
 *                          them, from 16 source ports: RRQs for NAME (a
 *                          missing file) and junk; answers are drained and
 *                          ignored. Prints "flood sent=N rate=N/s"
 *
 * Exit: 0 case ran (probes: whatever the answer), 1 server ERROR on a
 * session case, 3 no answer / timeout on a session case, 2 usage or socket
 * error. Built by make tests into BUILD/tests (lib.sh: $XT_HELPERS).
 */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#define MAX_UDP 65507           /* largest UDP payload over IPv4 */
#define MAX_OPTS 32
#define RETRIES 8

enum { OP_RRQ = 1, OP_WRQ, OP_DATA, OP_ACK, OP_ERROR, OP_OACK };

struct opt {
	const char *name;
	const char *value;
};

static struct {
	struct sockaddr_storage server;
	socklen_t server_len;
	int timeout_ms;
	unsigned long dupack_block;     /* dupack: the DATA answered by ACK N-1 twice */
	int dupack_ms;                  /* dupack: the server's timeout */
	const char *mode;               /* get/put/dupack transfer mode */
	struct opt opts[MAX_OPTS];
	unsigned int n_opts;
} cfg = { .timeout_ms = 2000, .mode = "octet" };

static uint8_t pkt[MAX_UDP + 1];
static uint8_t rx[MAX_UDP + 1];

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static size_t put16(uint8_t *p, unsigned int v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
	return 2;
}

/* Append a string with its NUL; the caller sized pkt for the worst case. */
static size_t put_str(size_t off, const char *s)
{
	size_t n = strlen(s) + 1;

	if (off + n > MAX_UDP) {
		fprintf(stderr, "hostile_client: packet would exceed %d bytes\n", MAX_UDP);
		exit(2);
	}
	memcpy(pkt + off, s, n);
	return off + n;
}

static size_t build_request(unsigned int op, const char *name, const char *mode)
{
	size_t off = put16(pkt, op);

	off = put_str(off, name);
	off = put_str(off, mode);
	for (unsigned int i = 0; i < cfg.n_opts; i++) {
		off = put_str(off, cfg.opts[i].name);
		off = put_str(off, cfg.opts[i].value);
	}
	return off;
}

static int new_socket(void)
{
	int fd = socket(cfg.server.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0) {
		perror("hostile_client: socket");
		exit(2);
	}
	return fd;
}

static void send_to(int fd, const void *buf, size_t len, const struct sockaddr_storage *to,
		    socklen_t tolen)
{
	if (sendto(fd, buf, len, 0, (const struct sockaddr *)to, tolen) < 0) {
		fprintf(stderr, "hostile_client: sendto (%zu bytes): %s\n", len, strerror(errno));
		exit(2);
	}
}

static void send_ack(int fd, const struct sockaddr_storage *to, socklen_t tolen, unsigned int b)
{
	uint8_t ack[4];

	put16(ack, OP_ACK);
	put16(ack + 2, b & 0xffff);
	send_to(fd, ack, sizeof(ack), to, tolen);
}

/* ERROR with a code and nothing after it: no message, no NUL. */
static void send_bare_error(int fd, const struct sockaddr_storage *to, socklen_t tolen)
{
	uint8_t err[4];

	put16(err, OP_ERROR);
	put16(err + 2, 0);
	send_to(fd, err, sizeof(err), to, tolen);
}

static int port_of(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
	return ntohs(((const struct sockaddr_in *)ss)->sin_port);
}

/* Wait up to ms for one datagram. Returns its length, 0 on timeout. */
static ssize_t recv_within(int fd, int ms, struct sockaddr_storage *from, socklen_t *fromlen)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	ssize_t n;
	int r;

	r = poll(&pfd, 1, ms);
	if (r < 0) {
		perror("hostile_client: poll");
		exit(2);
	}
	if (r == 0)
		return 0;
	*fromlen = sizeof(*from);
	n = recvfrom(fd, rx, MAX_UDP, 0, (struct sockaddr *)from, fromlen);
	if (n < 0) {
		/* ICMP errors on an unconnected socket do not show here; any
		 * other error is the rig's fault */
		fprintf(stderr, "hostile_client: recvfrom: %s\n", strerror(errno));
		exit(2);
	}
	return n;
}

/* One line describing a received packet. */
static void describe(const char *tag, ssize_t n, const struct sockaddr_storage *from)
{
	int op = n >= 2 ? be16(rx) : -1;

	printf("%s op=%d", tag, op);
	if (op == OP_ERROR && n >= 4) {
		rx[n] = '\0';
		printf(" code=%u len=%zd from=%d msg=%s\n", be16(rx + 2), n, port_of(from),
		       n > 4 ? (const char *)rx + 4 : "");
	} else if (op == OP_OACK) {
		printf(" len=%zd from=%d opts=", n, port_of(from));
		for (ssize_t i = 2; i < n; i++)
			putchar(rx[i] ? rx[i] : ',');
		putchar('\n');
	} else if (n >= 4) {
		printf(" block=%u len=%zd from=%d\n", be16(rx + 2), n, port_of(from));
	} else {
		printf(" len=%zd from=%d\n", n, port_of(from));
	}
	fflush(stdout);
}

/* Send pkt[0..len) from a fresh socket; print the first answer or silence. */
static int probe(size_t len)
{
	struct sockaddr_storage from;
	socklen_t fromlen;
	int fd = new_socket();
	ssize_t n;

	send_to(fd, pkt, len, &cfg.server, cfg.server_len);
	n = recv_within(fd, cfg.timeout_ms, &from, &fromlen);
	if (n == 0) {
		printf("silence\n");
	} else {
		describe("reply", n, &from);
		/* a transfer was started for us: end it at once */
		if (n >= 2 && (be16(rx) == OP_DATA || be16(rx) == OP_OACK))
			send_bare_error(fd, &from, fromlen);
	}
	close(fd);
	return 0;
}

/* Block size the server agreed to: from an OACK, or 512 without one. */
static unsigned long oack_blksize(ssize_t n)
{
	unsigned long blksize = 512;
	const char *p = (const char *)rx + 2, *end = (const char *)rx + n;

	rx[n] = '\0';
	while (p < end) {
		const char *name = p, *value;

		p += strlen(p) + 1;
		if (p >= end)
			break;
		value = p;
		p += strlen(p) + 1;
		if (!strcasecmp(name, "blksize"))
			blksize = strtoul(value, NULL, 10);
	}
	return blksize;
}

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Wait until deadline (CLOCK_MONOTONIC ms) for a DATA packet from tid;
 * other packets are skipped. Returns its block number, or -1 at the
 * deadline; *at gets the arrival time. */
static long next_data(int fd, const struct sockaddr_storage *tid, uint64_t deadline, uint64_t *at)
{
	struct sockaddr_storage from;
	socklen_t fromlen;

	for (;;) {
		uint64_t now = mono_ms();
		ssize_t n;

		if (now >= deadline)
			return -1;
		n = recv_within(fd, (int)(deadline - now), &from, &fromlen);
		if (n == 0)
			return -1;
		if (n >= 4 && be16(rx) == OP_DATA && port_of(&from) == port_of(tid)) {
			*at = mono_ms();
			return be16(rx + 2);
		}
	}
}

/*
 * dupack: DATA N has just arrived (at t_n) and is not acknowledged. A
 * server without the Sorcerer's Apprentice fix answers each ACK N-1 with
 * DATA N at once; a correct one stays silent until its timer resends N.
 */
static void dupack_probe(int fd, const struct sockaddr_storage *tid, socklen_t tidlen,
			 unsigned long n, uint64_t t_n)
{
	unsigned long prev = (n - 1) & 0xffff;
	uint64_t t_first = 0, t_b = 0, silence;
	long first, more;

	send_ack(fd, tid, tidlen, prev);
	send_ack(fd, tid, tidlen, prev);
	/* phase A: the first DATA after the duplicates (3 timeouts at most) */
	first = next_data(fd, tid, t_n + 3 * (uint64_t)cfg.dupack_ms, &t_first);
	/* phase B: on the timer's resend, the duplicates again; the next
	 * resend is two timeouts away (backoff): 1.5 timeouts of silence */
	t_b = first >= 0 ? t_first : mono_ms();
	send_ack(fd, tid, tidlen, prev);
	send_ack(fd, tid, tidlen, prev);
	more = next_data(fd, tid, t_b + (uint64_t)cfg.dupack_ms * 3 / 2, &silence);
	silence = more >= 0 ? silence - t_b : (uint64_t)cfg.dupack_ms * 3 / 2;
	printf("dupack block=%lu first_block=%ld first_after_ms=%lld silence_ms=%llu next_block=%ld\n",
	       n & 0xffff, first, first >= 0 ? (long long)(t_first - t_n) : -1LL,
	       (unsigned long long)silence, more);
}

/*
 * Lock-step download on fd after the request went out. The first answer
 * fixes the server's TID. hook (may be NULL) runs once on DATA 1 before it
 * is acknowledged; it returns 1 to stop (the case ends there).
 */
typedef int (*data1_hook)(int fd, const struct sockaddr_storage *tid, socklen_t tidlen);

static int download(int fd, FILE *out, data1_hook hook)
{
	struct sockaddr_storage tid, from;
	socklen_t tidlen = 0, fromlen;
	unsigned long blksize = 512, expect = 1, total = 0;
	int have_tid = 0, tries = 0;
	uint8_t last_ack[4] = { 0 };
	int have_last = 0;

	for (;;) {
		ssize_t n = recv_within(fd, cfg.timeout_ms, &from, &fromlen);
		unsigned int op;

		if (n == 0) {
			if (++tries > RETRIES) {
				printf("timeout after %lu bytes\n", total);
				return 3;
			}
			if (have_last)
				send_to(fd, last_ack, 4, &tid, tidlen);
			continue;
		}
		if (n < 4)
			continue;
		if (!have_tid) {
			tid = from;
			tidlen = fromlen;
			have_tid = 1;
		} else if (port_of(&from) != port_of(&tid)) {
			continue;
		}
		op = be16(rx);
		if (op == OP_ERROR) {
			describe("error", n, &from);
			return 1;
		}
		if (op == OP_OACK && expect == 1) {
			blksize = oack_blksize(n);
			put16(last_ack, OP_ACK);
			put16(last_ack + 2, 0);
			have_last = 1;
			send_to(fd, last_ack, 4, &tid, tidlen);
			continue;
		}
		if (op != OP_DATA || be16(rx + 2) != (expect & 0xffff))
			continue;       /* a duplicate: never answered (no apprentice) */
		tries = 0;
		if (cfg.dupack_block && expect == cfg.dupack_block) {
			/* rx holds DATA N; the probe receives into rx too */
			static uint8_t held[MAX_UDP + 1];
			uint64_t t_n = mono_ms();

			memcpy(held, rx, (size_t)n);
			dupack_probe(fd, &tid, tidlen, expect, t_n);
			memcpy(rx, held, (size_t)n);
		}
		if (expect == 1 && hook) {
			/* the hook receives into rx too: keep DATA 1 aside */
			static uint8_t held[MAX_UDP + 1];

			memcpy(held, rx, (size_t)n);
			if (hook(fd, &tid, tidlen))
				return 0;
			memcpy(rx, held, (size_t)n);
		}
		if (out && fwrite(rx + 4, 1, (size_t)n - 4, out) != (size_t)n - 4) {
			perror("hostile_client: write");
			return 2;
		}
		total += (unsigned long)n - 4;
		put16(last_ack, OP_ACK);
		put16(last_ack + 2, expect & 0xffff);
		have_last = 1;
		send_to(fd, last_ack, 4, &tid, tidlen);
		if ((unsigned long)n - 4 < blksize) {
			printf("done bytes=%lu blocks=%lu blksize=%lu\n", total, expect, blksize);
			return 0;
		}
		expect++;
	}
}

static int case_get(const char *name, const char *outpath, data1_hook hook)
{
	FILE *out = NULL;
	int fd, ret;
	size_t len;

	if (outpath) {
		out = fopen(outpath, "wb");
		if (!out) {
			fprintf(stderr, "hostile_client: %s: %s\n", outpath, strerror(errno));
			return 2;
		}
	}
	fd = new_socket();
	len = build_request(OP_RRQ, name, cfg.mode);
	send_to(fd, pkt, len, &cfg.server, cfg.server_len);
	ret = download(fd, out, hook);
	close(fd);
	if (out && fclose(out) != 0)
		ret = 2;
	return ret;
}

static int case_put(const char *name, const char *inpath)
{
	struct sockaddr_storage tid, from;
	socklen_t tidlen = 0, fromlen;
	unsigned long blksize = 512, block = 0;
	size_t last_len = 0, len;
	int fd, have_tid = 0, tries = 0, done = 0, ret = 3;
	FILE *in = fopen(inpath, "rb");

	if (!in) {
		fprintf(stderr, "hostile_client: %s: %s\n", inpath, strerror(errno));
		return 2;
	}
	fd = new_socket();
	len = build_request(OP_WRQ, name, cfg.mode);
	send_to(fd, pkt, len, &cfg.server, cfg.server_len);
	for (;;) {
		ssize_t n = recv_within(fd, cfg.timeout_ms, &from, &fromlen);
		unsigned int op, acked;

		if (n == 0) {
			if (++tries > RETRIES) {
				printf("timeout after block %lu\n", block);
				goto out;
			}
			if (have_tid && last_len)
				send_to(fd, pkt, last_len, &tid, tidlen);
			continue;
		}
		if (n < 4)
			continue;
		if (!have_tid) {
			tid = from;
			tidlen = fromlen;
			have_tid = 1;
		} else if (port_of(&from) != port_of(&tid)) {
			continue;
		}
		op = be16(rx);
		if (op == OP_ERROR) {
			describe("error", n, &from);
			ret = 1;
			goto out;
		}
		if (op == OP_OACK && block == 0) {
			blksize = oack_blksize(n);
			acked = 0;
		} else if (op == OP_ACK) {
			acked = be16(rx + 2);
		} else {
			continue;
		}
		if (acked != (block & 0xffff))
			continue;
		tries = 0;
		if (done) {
			printf("done blocks=%lu blksize=%lu\n", block, blksize);
			ret = 0;
			goto out;
		}
		block++;
		put16(pkt, OP_DATA);
		put16(pkt + 2, block & 0xffff);
		last_len = 4 + fread(pkt + 4, 1, blksize, in);
		if (last_len - 4 < blksize)
			done = 1;
		send_to(fd, pkt, last_len, &tid, tidlen);
	}
out:
	fclose(in);
	close(fd);
	return ret;
}

/* wrongport: ACK DATA 1 from another socket first; the server must answer
 * that socket with error 5 and go on with the real client. */
static int wrongport_hook(int fd, const struct sockaddr_storage *tid, socklen_t tidlen)
{
	struct sockaddr_storage from;
	socklen_t fromlen;
	int other = new_socket();
	ssize_t n;

	(void)fd;
	send_ack(other, tid, tidlen, 1);
	n = recv_within(other, cfg.timeout_ms, &from, &fromlen);
	if (n == 0)
		printf("wrongport silence\n");
	else
		describe("wrongport", n, &from);
	close(other);
	return 0;
}

/* data-to-read: a DATA packet into a read session. */
static int data_hook(int fd, const struct sockaddr_storage *tid, socklen_t tidlen)
{
	struct sockaddr_storage from;
	socklen_t fromlen;
	uint8_t data[4 + 16] = { 0 };
	ssize_t n;

	put16(data, OP_DATA);
	put16(data + 2, 1);
	send_to(fd, data, sizeof(data), tid, tidlen);
	/* skip retransmissions of DATA 1 that may cross our packet */
	do {
		n = recv_within(fd, cfg.timeout_ms, &from, &fromlen);
	} while (n >= 4 && be16(rx) == OP_DATA && be16(rx + 2) == 1);
	if (n == 0)
		printf("silence\n");
	else
		describe("reply", n, &from);
	return 1;
}

/* error-mid: the client gives up with a bare ERROR; nothing may follow. */
static int error_hook(int fd, const struct sockaddr_storage *tid, socklen_t tidlen)
{
	struct sockaddr_storage from;
	socklen_t fromlen;
	ssize_t n;

	send_bare_error(fd, tid, tidlen);
	n = recv_within(fd, cfg.timeout_ms, &from, &fromlen);
	if (n == 0)
		printf("silence\n");
	else
		describe("reply", n, &from);
	return 1;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int case_flood(double secs, const char *name)
{
	enum { N_SOCKS = 16 };
	int fds[N_SOCKS];
	uint64_t start = now_ms(), end = start + (uint64_t)(secs * 1000), sent = 0, i = 0;
	uint8_t junk[64];
	size_t rrq_len = build_request(OP_RRQ, name, "octet");

	for (int k = 0; k < N_SOCKS; k++)
		fds[k] = new_socket();
	for (size_t k = 0; k < sizeof(junk); k++)
		junk[k] = (uint8_t)(k * 37 + 11);
	while (now_ms() < end) {
		for (int burst = 0; burst < 256; burst++, i++) {
			int fd = fds[i % N_SOCKS];
			const void *buf = i % 4 == 3 ? (const void *)junk : (const void *)pkt;
			size_t len = i % 4 == 3 ? 1 + i % sizeof(junk) : rrq_len;

			junk[0] = (uint8_t)(i >> 3); /* opcodes 0..255 in turn */
			if (sendto(fd, buf, len, MSG_DONTWAIT, (const struct sockaddr *)&cfg.server,
				   cfg.server_len) == (ssize_t)len)
				sent++;
			/* drain answers so the socket buffers never fill */
			while (recv(fd, rx, MAX_UDP, MSG_DONTWAIT) > 0)
				;
		}
	}
	for (int k = 0; k < N_SOCKS; k++)
		close(fds[k]);
	secs = (double)(now_ms() - start) / 1000.0;
	printf("flood sent=%llu seconds=%.1f rate=%.0f/s\n", (unsigned long long)sent, secs,
	       secs > 0 ? (double)sent / secs : 0.0);
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: hostile_client [-t MS] [-P PORT] [-m MODE] [-o NAME=VALUE]... HOST CASE [ARGS]\n"
		"cases: nonul | manyopts N FILE | bigname LEN | mode MODE FILE | opt FILE | error |\n"
		"       short | ack | get NAME OUT | put NAME IN | wrongport NAME OUT |\n"
		"       data-to-read NAME | error-mid NAME | dupack NAME OUT N MS |\n"
		"       flood SECS NAME\n");
	exit(2);
}

static void need_args(int have, int want)
{
	if (have < want)
		usage();
}

int main(int argc, char **argv)
{
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM }, *ai = NULL;
	const char *port = "69", *host, *c;
	int ch, err;
	size_t len;

	while ((ch = getopt(argc, argv, "t:P:m:o:")) != -1) {
		switch (ch) {
		case 't':
			cfg.timeout_ms = atoi(optarg);
			break;
		case 'P':
			port = optarg;
			break;
		case 'm':
			cfg.mode = optarg;
			break;
		case 'o': {
			char *eq = strchr(optarg, '=');

			if (!eq || cfg.n_opts >= MAX_OPTS)
				usage();
			*eq = '\0';
			cfg.opts[cfg.n_opts].name = optarg;
			cfg.opts[cfg.n_opts].value = eq + 1;
			cfg.n_opts++;
			break;
		}
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	need_args(argc, 2);
	host = argv[0];
	c = argv[1];
	err = getaddrinfo(host, port, &hints, &ai);
	if (err) {
		fprintf(stderr, "hostile_client: %s: %s\n", host, gai_strerror(err));
		return 2;
	}
	memcpy(&cfg.server, ai->ai_addr, ai->ai_addrlen);
	cfg.server_len = ai->ai_addrlen;
	freeaddrinfo(ai);
	setvbuf(stdout, NULL, _IOLBF, 0);

	if (!strcmp(c, "nonul")) {
		len = put16(pkt, OP_RRQ);
		memcpy(pkt + len, "file-without-nul", 16);
		return probe(len + 16);
	}
	if (!strcmp(c, "manyopts")) {
		unsigned long n;

		need_args(argc, 4);
		n = strtoul(argv[2], NULL, 10);
		len = build_request(OP_RRQ, argv[3], "octet");
		for (unsigned long i = 0; i < n; i++) {
			len = put_str(len, "a");
			len = put_str(len, "1");
		}
		return probe(len);
	}
	if (!strcmp(c, "bigname")) {
		unsigned long n;

		need_args(argc, 3);
		n = strtoul(argv[2], NULL, 10);
		if (n + 2 + 1 + 6 > MAX_UDP)
			usage();
		len = put16(pkt, OP_RRQ);
		memset(pkt + len, 'a', n);
		len += n;
		pkt[len++] = '\0';
		len = put_str(len, "octet");
		return probe(len);
	}
	if (!strcmp(c, "mode")) {
		need_args(argc, 4);
		return probe(build_request(OP_RRQ, argv[3], argv[2]));
	}
	if (!strcmp(c, "opt")) {
		need_args(argc, 3);
		return probe(build_request(OP_RRQ, argv[2], "octet"));
	}
	if (!strcmp(c, "error")) {
		put16(pkt, OP_ERROR);
		put16(pkt + 2, 0);
		return probe(4);
	}
	if (!strcmp(c, "short")) {
		pkt[0] = 0;
		return probe(1);
	}
	if (!strcmp(c, "ack")) {
		put16(pkt, OP_ACK);
		put16(pkt + 2, 1);
		return probe(4);
	}
	if (!strcmp(c, "get")) {
		need_args(argc, 4);
		return case_get(argv[2], argv[3], NULL);
	}
	if (!strcmp(c, "put")) {
		need_args(argc, 4);
		return case_put(argv[2], argv[3]);
	}
	if (!strcmp(c, "wrongport")) {
		need_args(argc, 4);
		return case_get(argv[2], argv[3], wrongport_hook);
	}
	if (!strcmp(c, "data-to-read")) {
		need_args(argc, 3);
		return case_get(argv[2], NULL, data_hook);
	}
	if (!strcmp(c, "error-mid")) {
		need_args(argc, 3);
		return case_get(argv[2], NULL, error_hook);
	}
	if (!strcmp(c, "dupack")) {
		need_args(argc, 6);
		cfg.dupack_block = strtoul(argv[4], NULL, 10);
		cfg.dupack_ms = atoi(argv[5]);
		if (cfg.dupack_block < 2 || cfg.dupack_ms <= 0)
			usage();
		return case_get(argv[2], argv[3], NULL);
	}
	if (!strcmp(c, "flood")) {
		need_args(argc, 4);
		return case_flood(atof(argv[2]), argv[3]);
	}
	usage();
	return 2;
}
