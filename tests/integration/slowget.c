// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * slowget: a TFTP reader that takes its time, for the integration tests
 * (a device flashing slowly while the image is replaced under it). Octet
 * RRQ, optional blksize; every DATA is acknowledged DELAY_MS after it came
 * (the server sees a slow client, not loss). Writes the file to OUT.
 *
 *   slowget HOST PORT FILE OUT DELAY_MS [BLKSIZE]
 *
 * Exit: 0 file complete, 1 TFTP ERROR / timeout / I/O error (one line on
 * stderr), 2 bad usage. Built by make tests into BUILD/tests (lib.sh: $XT_HELPERS).
 */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define RECV_TIMEOUT_MS 2000
#define MAX_TRIES 5
#define MAX_PACKET 65536

static int send_ack(int fd, const struct sockaddr_storage *to, socklen_t tolen, unsigned int block)
{
	unsigned char ack[4] = { 0, 4, (unsigned char)(block >> 8), (unsigned char)block };

	return sendto(fd, ack, sizeof(ack), 0, (const struct sockaddr *)to, tolen) < 0 ? -errno : 0;
}

static void pause_ms(unsigned long ms)
{
	struct timespec ts = { .tv_sec = (time_t)(ms / 1000), .tv_nsec = (long)(ms % 1000) * 1000000 };

	/* pacing of the ACKs, the point of this client; not synchronisation */
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

int main(int argc, char **argv)
{
	static unsigned char buf[MAX_PACKET];
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM }, *ai = NULL;
	struct sockaddr_storage peer;
	socklen_t peerlen = 0;
	unsigned long delay_ms, blksize = 512, expected = 1;
	unsigned int last_ack = 0;
	int fd = -1, ret = 1, tries = 0, have_peer = 0;
	size_t reqlen;
	FILE *out = NULL;
	char req[600];

	if (argc < 6 || argc > 7) {
		fprintf(stderr, "usage: slowget HOST PORT FILE OUT DELAY_MS [BLKSIZE]\n");
		return 2;
	}
	delay_ms = strtoul(argv[5], NULL, 10);
	if (argc == 7)
		blksize = strtoul(argv[6], NULL, 10);
	if (strlen(argv[3]) > 256 || blksize < 8 || blksize > 65464) {
		fprintf(stderr, "slowget: file name too long or bad blksize\n");
		return 2;
	}
	if (getaddrinfo(argv[1], argv[2], &hints, &ai) != 0) {
		fprintf(stderr, "slowget: cannot resolve %s\n", argv[1]);
		return 2;
	}
	fd = socket(ai->ai_family, SOCK_DGRAM, 0);
	out = fopen(argv[4], "wb");
	if (fd < 0 || !out) {
		perror("slowget");
		goto cleanup;
	}
	reqlen = (size_t)snprintf(req, sizeof(req), "%c%c%s%coctet%c", 0, 1, argv[3], 0, 0);
	if (argc == 7)
		reqlen += (size_t)snprintf(req + reqlen, sizeof(req) - reqlen, "blksize%c%lu%c", 0,
					   blksize, 0);
	if (sendto(fd, req, reqlen, 0, ai->ai_addr, ai->ai_addrlen) < 0) {
		perror("slowget: send request");
		goto cleanup;
	}
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		struct sockaddr_storage from;
		socklen_t fromlen = sizeof(from);
		ssize_t n;

		if (poll(&pfd, 1, RECV_TIMEOUT_MS) <= 0) {
			if (++tries > MAX_TRIES) {
				fprintf(stderr, "slowget: timed out waiting for block %lu\n", expected);
				goto cleanup;
			}
			if (have_peer)
				send_ack(fd, &peer, peerlen, last_ack);
			else
				sendto(fd, req, reqlen, 0, ai->ai_addr, ai->ai_addrlen);
			continue;
		}
		n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fromlen);
		if (n < 4)
			continue;
		if (!have_peer) {
			peer = from;
			peerlen = fromlen;
			have_peer = 1;
		}
		if (buf[1] == 5) {
			fprintf(stderr, "slowget: ERROR %u: %.*s\n", (buf[2] << 8) | buf[3],
				(int)(n - 4), (const char *)buf + 4);
			goto cleanup;
		}
		if (buf[1] == 6) {                    /* OACK: our blksize was granted */
			send_ack(fd, &peer, peerlen, 0);
			continue;
		}
		if (buf[1] != 3)
			continue;
		if ((unsigned long)((buf[2] << 8) | buf[3]) != (expected & 0xffff))
			continue;                     /* a duplicate: the timer resends */
		tries = 0;
		if (fwrite(buf + 4, 1, (size_t)(n - 4), out) != (size_t)(n - 4)) {
			perror("slowget: write");
			goto cleanup;
		}
		fflush(out);
		pause_ms(delay_ms);
		last_ack = (unsigned int)(expected & 0xffff);
		send_ack(fd, &peer, peerlen, last_ack);
		if ((size_t)(n - 4) < blksize)
			break;
		expected++;
	}
	ret = 0;
cleanup:
	if (out && fclose(out) != 0)
		ret = 1;
	if (fd >= 0)
		close(fd);
	freeaddrinfo(ai);
	return ret;
}
