// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * xtftpctl: ask a running xtftpd over its control socket.
 *   xtftpctl [-S PATH] status|stats|transfers
 * Exit status: 0 the daemon answered, 1 it did not (or refused the command),
 * 2 usage error.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include "options.h"

#define CTL_TIMEOUT_MS 5000

static void usage(FILE *f)
{
	fprintf(f,
"Usage: xtftpctl [-S PATH] COMMAND\n"
"Ask a running xtftpd.\n"
"\n"
"  -S, --socket PATH   control socket (default " XT_DEFAULT_CONTROL ")\n"
"  -h, --help          print this help and exit\n"
"  -V, --version       print the version and exit\n"
"\n"
"Commands:\n"
"  status      daemon, listeners, kernel tiers, active transfers\n"
"  stats       counters, one \"name value\" per line\n"
"  transfers   the last finished transfers, oldest first\n"
"\n"
"Exit status: 0 the daemon answered, 1 it did not, 2 usage error.\n");
}

static long remaining_ms(const struct timespec *deadline)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (deadline->tv_sec - now.tv_sec) * 1000 + (deadline->tv_nsec - now.tv_nsec) / 1000000;
}

int main(int argc, char **argv)
{
	static const struct option long_opts[] = {
		{ "socket", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = XT_DEFAULT_CONTROL, *cmd;
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct timespec deadline;
	char req[128], buf[4096];
	size_t total = 0;
	int c, fd = -1, rc = 1, first = 1, is_error = 0;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":S:hV", long_opts, NULL)) != -1) {
		switch (c) {
		case 'S': path = optarg; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("xtftpctl " XTFTPD_VERSION "\n"); return 0;
		case ':':
			fprintf(stderr, "xtftpctl: %s: missing value (see xtftpctl --help)\n", argv[optind - 1]);
			return 2;
		default:
			fprintf(stderr, "xtftpctl: %s: unknown option (see xtftpctl --help)\n", argv[optind - 1]);
			return 2;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "xtftpctl: expected one command: status, stats or transfers (see xtftpctl --help)\n");
		return 2;
	}
	cmd = argv[optind];
	if (strcmp(cmd, "status") && strcmp(cmd, "stats") && strcmp(cmd, "transfers")) {
		fprintf(stderr, "xtftpctl: %s: unknown command (status, stats, transfers)\n", cmd);
		return 2;
	}
	if (strlen(path) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "xtftpctl: -S %s: path too long\n", path);
		return 2;
	}
	strcpy(sun.sun_path, path);
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += CTL_TIMEOUT_MS / 1000;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		fprintf(stderr, "xtftpctl: cannot reach xtftpd at %s: %s (is it running? pass -S PATH)\n",
			path, strerror(errno));
		goto cleanup;
	}
	snprintf(req, sizeof(req), "%s\n", cmd);
	if (send(fd, req, strlen(req), MSG_NOSIGNAL) != (ssize_t)strlen(req)) {
		fprintf(stderr, "xtftpctl: cannot send to %s: %s\n", path, strerror(errno));
		goto cleanup;
	}
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		long ms = remaining_ms(&deadline);
		ssize_t n;

		if (ms <= 0 || poll(&pfd, 1, (int)ms) <= 0) {
			fprintf(stderr, "xtftpctl: no answer from %s within %d s\n", path,
				CTL_TIMEOUT_MS / 1000);
			goto cleanup;
		}
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "xtftpctl: reading from %s: %s\n", path, strerror(errno));
			goto cleanup;
		}
		if (n == 0)
			break;
		if (first && n >= 6 && !memcmp(buf, "error:", 6))
			is_error = 1;
		first = 0;
		fwrite(buf, 1, (size_t)n, is_error ? stderr : stdout);
		total += (size_t)n;
	}
	if (total == 0) {
		fprintf(stderr, "xtftpctl: %s closed without an answer\n", path);
		goto cleanup;
	}
	rc = is_error ? 1 : 0;
cleanup:
	if (fd >= 0)
		close(fd);
	return rc;
}
