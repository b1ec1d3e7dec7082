// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target: the control socket protocol, end to end through the real
 * server code (control.c) on a real unix socket, plus the request parsers a
 * control command reaches without a running engine (inject.c).
 *
 * Input: one mode byte, then the bytes a client writes to the socket.
 *   mode & 0x3f  write in chunks of this many bytes (0: all at once), with
 *                the server's epoll loop run between chunks (partial reads)
 *   mode & 0x40  do not shut down the write side when the line is complete
 *                without it (the server must answer on the newline alone)
 *   mode & 0x80  close the client right after writing (answer to nobody)
 *
 * Invariants (abort = finding):
 * - the handler runs at most once per connection, with exactly the line a
 *   model of the protocol predicts: the first CONTROL_MAX_LINE - 1 bytes cut
 *   at the first newline and the first NUL, CR/blank trimmed at the end and
 *   blanks at the start; never a newline in it, never longer than the limit;
 * - control_current_fd() is the connection inside the handler, -1 outside;
 * - the client reads exactly the handler's answer (a 400 KiB one too, which
 *   needs the EPOLLOUT path), then end of stream; nothing more;
 * - the loop finishes within a bound (no stuck connection) and every server
 *   file descriptor is closed afterwards (no leak);
 * - "inject SPEC" lines: inject_parse either refuses with a reason or gives
 *   settings in range that survive inject_format -> inject_parse, and an
 *   INJECT_FORMAT_MAX buffer (the daemon's answer) holds all of them;
 * - inject_request (xtftpctl's side) on fields cut from the input builds one
 *   line with a single newline, at its end, that the daemon parses back.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "ctl/control.h"
#include "util/evsrc.h"
#include "util/inject.h"
#include "util/log.h"
#include "xtftp_kern.h"

#define BIG_ANSWER (400u * 1024u)       /* > a unix socket's send buffer */
#define MAX_ROUNDS 100000

static char sock_dir[64];
static char sock_path[128];
static int epfd = -1;
static struct control *ctl;
static int lowest_free_fd;

/* What the handler saw during one input. */
static struct {
	int calls;
	int fd_inside;
	char cmd[CONTROL_MAX_LINE];
} seen;

static void cleanup_socket(void)
{
	control_close(ctl);
	ctl = NULL;
	if (sock_dir[0])
		rmdir(sock_dir);
}

static int lowest_fd(void)
{
	int fd = fcntl(epfd, F_DUPFD_CLOEXEC, 0);

	if (fd < 0)
		abort();
	close(fd);
	return fd;
}

static int settings_equal(const struct xt_inject *a, const struct xt_inject *b)
{
	long dp = (long)a->prob - (long)b->prob;

	/* inject_format prints prob with 4 decimals: 1/65536 steps may move */
	return a->mode == b->mode && dp >= -4 && dp <= 4 && a->family == b->family &&
	       !memcmp(a->addr, b->addr, sizeof(a->addr)) && a->has_mac == b->has_mac &&
	       !memcmp(a->mac, b->mac, sizeof(a->mac)) && a->n_blocks == b->n_blocks &&
	       !memcmp(a->blocks, b->blocks, sizeof(a->blocks));
}

/* "drop prob=0.0500 blocks=3,7 client-ip=..." -> "drop:prob=0.0500,blocks=3,7,..." */
static void display_to_spec(char *s)
{
	char *sp = strchr(s, ' ');

	if (!sp)
		return;
	*sp = ':';
	while ((sp = strchr(sp, ' ')))
		*sp = ',';
}

static void check_inject(const char *spec, FILE *out)
{
	struct xt_inject c, back;
	char err[256], shown[512], engine_buf[INJECT_FORMAT_MAX];

	memset(err, 'x', sizeof(err));
	if (inject_parse(spec, &c, err, sizeof(err)) != 0) {
		if (!memchr(err, '\0', sizeof(err)) || !err[0])
			abort();        /* a refusal always says why */
		fprintf(out, "error: inject: %s\n", err);
		return;
	}
	if (c.mode > XT_INJECT_DUP || c.prob > XT_INJECT_PROB_ONE ||
	    c.n_blocks > XT_INJECT_MAX_BLOCKS ||
	    (c.family && c.family != XT_FAMILY_INET && c.family != XT_FAMILY_INET6) ||
	    c.has_mac > 1)
		abort();
	for (uint32_t i = 0; i < c.n_blocks; i++)
		if (!c.blocks[i])
			abort();
	if (c.mode == XT_INJECT_OFF && (c.prob || c.n_blocks || c.family || c.has_mac))
		abort();
	inject_format(&c, shown, sizeof(shown));
	if (strlen(shown) + 1 >= sizeof(shown))
		abort();        /* possibly cut: the round trip below would lie */
	inject_format(&c, engine_buf, sizeof(engine_buf));
	if (strcmp(engine_buf, shown))
		abort();        /* the daemon's answer (engine.c) would show a cut setting */
	display_to_spec(shown);
	if (inject_parse(shown, &back, err, sizeof(err)) != 0 || !settings_equal(&c, &back))
		abort();
	inject_format(&c, shown, sizeof(shown));
	fprintf(out, "inject %s\n", shown);
}

/* The test's own command handler: deterministic answers the client checks. */
static void answer(const char *cmd, FILE *out)
{
	if (!strncmp(cmd, "big", 3)) {
		for (size_t i = 0; i < BIG_ANSWER; i++)
			fputc("0123456789abcdef"[(i + (unsigned char)cmd[3]) % 16], out);
	} else if (!strncmp(cmd, "inject", 6) && (!cmd[6] || cmd[6] == ' ')) {
		if (cmd[6])
			check_inject(cmd + 7, out);
		else
			fprintf(out, "inject off\n");
	} else {
		fprintf(out, "error: unknown command '%.64s' (status, stats, transfers)\n", cmd);
	}
}

static void handler(void *ctx, const char *cmd, FILE *out)
{
	size_t n = strnlen(cmd, CONTROL_MAX_LINE);

	(void)ctx;
	if (n >= CONTROL_MAX_LINE || memchr(cmd, '\n', n))
		abort();
	seen.calls++;
	seen.fd_inside = control_current_fd(ctl);
	memcpy(seen.cmd, cmd, n + 1);
	answer(cmd, out);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_init("fuzz_control", 0, 0);
	snprintf(sock_dir, sizeof(sock_dir), "/tmp/xtftp-fuzz-ctl.XXXXXX");
	if (!mkdtemp(sock_dir))
		abort();
	snprintf(sock_path, sizeof(sock_path), "%s/ctl.sock", sock_dir);
	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (epfd < 0 || control_open(sock_path, epfd, handler, NULL, &ctl) != 0)
		abort();
	atexit(cleanup_socket);
	lowest_free_fd = lowest_fd();
	return 0;
}

/* The line the server must hand to its handler for these client bytes, or
 * -1 when it must not call it at all (nothing sent). */
static int model_line(const uint8_t *p, size_t len, char *line, int *complete_early)
{
	size_t take = len < CONTROL_MAX_LINE - 1 ? len : CONTROL_MAX_LINE - 1;
	const uint8_t *nl = memchr(p, '\n', take);
	size_t n, start = 0;

	/* complete without end of stream: a newline, or the buffer filled */
	*complete_early = nl || len >= CONTROL_MAX_LINE - 1;
	if (!len)
		return -1;
	n = nl ? (size_t)(nl - p) : take;
	memcpy(line, p, n);
	line[n] = '\0';
	n = strlen(line);
	while (n && (line[n - 1] == '\r' || line[n - 1] == ' ' || line[n - 1] == '\t'))
		line[--n] = '\0';
	while (line[start] == ' ' || line[start] == '\t')
		start++;
	memmove(line, line + start, n - start + 1);
	return 0;
}

static void run_loop_once(void)
{
	struct epoll_event evs[8];
	int n = epoll_wait(epfd, evs, 8, 0);

	for (int i = 0; i < n; i++)
		ev_source_dispatch(&evs[i]);
}

static void fuzz_socket(const uint8_t *data, size_t size)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	const uint8_t mode = size ? data[0] : 0;
	const uint8_t *payload = size ? data + 1 : data;
	const size_t plen = size ? size - 1 : 0;
	const size_t chunk = (mode & 0x3f) ? (mode & 0x3f) : (plen ? plen : 1);
	char want_cmd[CONTROL_MAX_LINE], *want = NULL, *got = NULL;
	size_t want_len = 0, got_len = 0, off = 0;
	int complete_early, expect_call, fd, shut = 0, done = 0;
	FILE *f;

	memset(&seen, 0, sizeof(seen));
	expect_call = model_line(payload, plen, want_cmd, &complete_early) == 0;
	if (expect_call) {
		f = open_memstream(&want, &want_len);
		if (!f)
			abort();
		answer(want_cmd, f);
		fclose(f);
	}

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	strcpy(sun.sun_path, sock_path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0)
		abort();
	got = malloc(BIG_ANSWER + 4096);
	if (!got)
		abort();

	for (unsigned int round = 0; !done; round++) {
		ssize_t n;

		if (round > MAX_ROUNDS)
			abort();        /* the server never finished this connection */
		if (off < plen) {
			size_t len = plen - off < chunk ? plen - off : chunk;

			n = send(fd, payload + off, len, MSG_NOSIGNAL);
			if (n > 0)
				off += (size_t)n;
			else if (n < 0 && errno != EAGAIN)
				off = plen;     /* server closed after an early answer */
		} else if (mode & 0x80) {
			close(fd);
			fd = -1;
			done = 1;
		} else if (!shut && (!(mode & 0x40) || !complete_early)) {
			shutdown(fd, SHUT_WR);
			shut = 1;
		}
		run_loop_once();
		if (fd < 0)
			break;
		n = recv(fd, got + got_len, BIG_ANSWER + 4096 - got_len, 0);
		if (n > 0) {
			got_len += (size_t)n;
			if (got_len > want_len)
				abort();        /* more than the handler wrote */
		} else if (n == 0 || errno == ECONNRESET || errno == EPIPE) {
			done = 1;       /* closed; a reset only after the answer */
		} else if (errno != EAGAIN) {
			abort();
		}
	}
	/* an abandoned connection: let the server see the close and finish */
	for (unsigned int i = 0; i < 64; i++)
		run_loop_once();

	if (seen.calls != expect_call)
		abort();
	if (expect_call) {
		if (strcmp(seen.cmd, want_cmd) || seen.fd_inside < 0)
			abort();
		if (fd >= 0 && (got_len != want_len || memcmp(got, want, want_len)))
			abort();
	} else if (got_len) {
		abort();
	}
	if (control_current_fd(ctl) != -1)
		abort();
	if (fd >= 0)
		close(fd);
	if (lowest_fd() != lowest_free_fd)
		abort();        /* a server-side connection was not closed */
	free(got);
	free(want);
}

/* xtftpctl inject: fields cut from the input at NUL bytes. */
static void fuzz_inject_request(const uint8_t *data, size_t size)
{
	const char *field[5] = { NULL };
	char out[512], err[256], *copy;
	size_t pos = 1;
	int clear, rc;

	if (size < 1)
		return;
	copy = malloc(size + 1);
	if (!copy)
		abort();
	memcpy(copy, data, size);
	copy[size] = '\0';
	/* mode byte bit i: field i present; bit 5: --clear */
	for (int i = 0; i < 5 && pos <= size; i++) {
		const char *s = copy + pos;

		pos += strlen(s) + 1;
		if (data[0] & (1u << i))
			field[i] = s;
	}
	clear = !!(data[0] & 0x20);
	rc = inject_request(field[0], field[1], field[2], field[3], field[4], clear, out,
			    sizeof(out), err, sizeof(err));
	if (rc == 0) {
		char *nl = strchr(out, '\n');
		struct xt_inject c;

		if (strncmp(out, "inject", 6) || !nl || nl[1] || (out[6] != ' ' && out[6] != '\n'))
			abort();        /* one line, one newline, at the end */
		*nl = '\0';
		if (out[6] == ' ' && inject_parse(out + 7, &c, err, sizeof(err)) != 0)
			abort();        /* the daemon must accept what the CLI sends */
	} else if (rc != -EINVAL || !err[0]) {
		abort();
	}
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_socket(data, size);
	fuzz_inject_request(data, size);
	return 0;
}
