// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * rawclient: a TFTP reader that vanishes on purpose, for the integration
 * tests. It sends an octet RRQ (optionally with blksize), acknowledges the
 * OACK and the first ACKS DATA blocks, and then exits without another word,
 * like a device that lost power mid-transfer. The server must then give up
 * after its retry limit and free the session.
 *
 *   rawclient HOST PORT FILE ACKS [BLKSIZE]
 *
 * Exit: 0 when ACKS blocks were acknowledged (or the file ended first),
 * 1 on a TFTP ERROR, a timeout or a socket error (one line on stderr),
 * 2 on bad usage. Built by make tests into BUILD/tests (lib.sh: $XT_HELPERS).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define RECV_TIMEOUT_MS 5000
#define MAX_PACKET 65536

static int send_ack(int fd, const struct sockaddr_storage *to, socklen_t tolen,
		    unsigned int block)
{
	unsigned char ack[4] = { 0, 4, (unsigned char)(block >> 8), (unsigned char)block };

	if (sendto(fd, ack, sizeof(ack), 0, (const struct sockaddr *)to, tolen) < 0)
		return -errno;
	return 0;
}

int main(int argc, char **argv)
{
	static unsigned char buf[MAX_PACKET];
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM }, *ai = NULL;
	struct sockaddr_storage peer;
	socklen_t peerlen;
	unsigned long acks_wanted, blksize = 512, acked = 0;
	size_t reqlen;
	int fd = -1, ret = 1, err;
	char req[600];

	if (argc < 5 || argc > 6) {
		fprintf(stderr, "usage: rawclient HOST PORT FILE ACKS [BLKSIZE]\n");
		return 2;
	}
	acks_wanted = strtoul(argv[4], NULL, 10);
	if (argc == 6)
		blksize = strtoul(argv[5], NULL, 10);
	if (strlen(argv[3]) > 256 || blksize < 8 || blksize > 65464) {
		fprintf(stderr, "rawclient: file name too long or bad blksize\n");
		return 2;
	}

	err = getaddrinfo(argv[1], argv[2], &hints, &ai);
	if (err) {
		fprintf(stderr, "rawclient: %s: %s\n", argv[1], gai_strerror(err));
		return 2;
	}
	fd = socket(ai->ai_family, SOCK_DGRAM, 0);
	if (fd < 0) {
		perror("rawclient: socket");
		goto cleanup;
	}

	/* RRQ: opcode 1, file, "octet", and blksize only when asked for. */
	req[0] = 0;
	req[1] = 1;
	reqlen = 2;
	reqlen += (size_t)sprintf(req + reqlen, "%s", argv[3]) + 1;
	reqlen += (size_t)sprintf(req + reqlen, "octet") + 1;
	if (argc == 6) {
		reqlen += (size_t)sprintf(req + reqlen, "blksize") + 1;
		reqlen += (size_t)sprintf(req + reqlen, "%lu", blksize) + 1;
	}
	if (sendto(fd, req, reqlen, 0, ai->ai_addr, ai->ai_addrlen) < 0) {
		perror("rawclient: sendto");
		goto cleanup;
	}

	while (acked < acks_wanted) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t n;
		unsigned int op, block;

		n = poll(&pfd, 1, RECV_TIMEOUT_MS);
		if (n == 0) {
			fprintf(stderr, "rawclient: no answer within %d ms after %lu acks\n",
				RECV_TIMEOUT_MS, acked);
			goto cleanup;
		}
		if (n < 0) {
			perror("rawclient: poll");
			goto cleanup;
		}
		peerlen = sizeof(peer);
		n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&peer, &peerlen);
		if (n < 0) {
			perror("rawclient: recvfrom");
			goto cleanup;
		}
		if (n < 4)
			continue;
		op = (unsigned int)buf[0] << 8 | buf[1];
		block = (unsigned int)buf[2] << 8 | buf[3];
		if (op == 5) {
			fprintf(stderr, "rawclient: server error %u: %.*s\n", block,
				(int)(n > 4 ? n - 5 : 0), (const char *)buf + 4);
			goto cleanup;
		}
		if (op == 6) {          /* OACK: acknowledge with block 0 */
			if (send_ack(fd, &peer, peerlen, 0) < 0)
				goto cleanup;
			continue;
		}
		if (op != 3)
			continue;
		/* Acknowledge only the block we expect next; anything else is a
		 * retransmission of a block already acknowledged. */
		if (block != ((acked + 1) & 0xffff))
			continue;
		if (send_ack(fd, &peer, peerlen, block) < 0) {
			perror("rawclient: sendto");
			goto cleanup;
		}
		acked++;
		if ((size_t)n - 4 < blksize)
			break;          /* short block: the file ended */
	}
	printf("rawclient: acknowledged %lu blocks, vanishing\n", acked);
	ret = 0;
cleanup:
	if (fd >= 0)
		close(fd);
	freeaddrinfo(ai);
	return ret;
}
