// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests: the link-layer request path (user/linkpath.c): frames built for
 * --mac-sessions replies (addresses, tag, lengths, checksums checked by an
 * independent sum here), the parser for received requests (tag in the frame
 * or in PACKET_AUXDATA, corrupt and foreign frames refused), and the classic
 * BPF filter run by the kernel's own interpreter (attached to a unix datagram
 * socket pair, which runs socket filters the same way).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/filter.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "daemon/linkpath.h"

static const uint8_t RRQ[] = "\0\1ArcherC7v2_tp_recovery.bin\0octet\0";

static void addrs(struct sockaddr_in *src, struct sockaddr_in *dst)
{
	memset(src, 0, sizeof(*src));
	memset(dst, 0, sizeof(*dst));
	src->sin_family = dst->sin_family = AF_INET;
	inet_pton(AF_INET, "192.168.0.66", &src->sin_addr);
	inet_pton(AF_INET, "192.168.0.86", &dst->sin_addr);
	src->sin_port = htons(40001);
	dst->sin_port = htons(69);
}

static struct link_peer peer(int tagged, uint16_t tci)
{
	struct link_peer lk = {
		.mac = { 0x02, 0x00, 0x5e, 0x00, 0x86, 0x01 },
		.local_mac = { 0x02, 0x00, 0x5e, 0x00, 0x66, 0x01 },
		.vlan_tci = tci, .tagged = (uint8_t)tagged, .valid = 1, .ifindex = 7,
	};
	return lk;
}

/* Ones' complement sum written out plainly: 0 when the checksum is right. */
static uint16_t ref_sum(const uint8_t *p, size_t n, uint32_t s)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)(~s & 0xffff);
}

static void check_frame(const uint8_t *f, int n, int tagged, size_t payload_len)
{
	size_t l3 = tagged ? 18 : 14;
	const uint8_t *ip = f + l3, *udp = ip + 20;
	uint32_t pseudo = 0;

	assert_int_equal(n, (int)(l3 + 28 + payload_len));
	assert_memory_equal(f, "\x02\x00\x5e\x00\x86\x01", 6);          /* to the requester */
	assert_memory_equal(f + 6, "\x02\x00\x5e\x00\x66\x01", 6);      /* from us */
	assert_int_equal(f[l3 - 2] << 8 | f[l3 - 1], 0x0800);
	assert_int_equal(ip[0], 0x45);
	assert_int_equal(ip[2] << 8 | ip[3], 28 + payload_len);
	assert_int_equal(ip[9], 17);
	assert_int_equal(ref_sum(ip, 20, 0), 0);
	assert_int_equal(udp[4] << 8 | udp[5], 8 + payload_len);
	assert_true(udp[6] || udp[7]);
	for (int i = 12; i < 20; i += 2)
		pseudo += (uint32_t)(ip[i] << 8 | ip[i + 1]);
	pseudo += 17 + 8 + (uint32_t)payload_len;
	assert_int_equal(ref_sum(udp, 8 + payload_len, pseudo), 0);
}

static void test_build_untagged(void **state)
{
	struct sockaddr_in src, dst;
	struct link_peer lk = peer(0, 0);
	uint8_t f[2048];
	int n;

	(void)state;
	addrs(&src, &dst);
	n = linkpath_build_frame(f, sizeof(f), &lk, &src, &dst, 1, RRQ, sizeof(RRQ) - 1);
	check_frame(f, n, 0, sizeof(RRQ) - 1);
	assert_memory_equal(f + 14 + 12, "\xc0\xa8\x00\x42\xc0\xa8\x00\x56", 8);
	assert_int_equal(f[14 + 20] << 8 | f[14 + 21], 40001);
	assert_int_equal(f[14 + 22] << 8 | f[14 + 23], 69);
	assert_memory_equal(f + 42, RRQ, sizeof(RRQ) - 1);
}

static void test_build_tagged_keeps_tci(void **state)
{
	struct sockaddr_in src, dst;
	struct link_peer lk = peer(1, 0x6064);  /* PCP 3, VID 100 */
	uint8_t f[2048], data[1472];
	int n;

	(void)state;
	addrs(&src, &dst);
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7 + 1);
	n = linkpath_build_frame(f, sizeof(f), &lk, &src, &dst, 2, data, sizeof(data));
	assert_int_equal(f[12] << 8 | f[13], 0x8100);
	assert_int_equal(f[14] << 8 | f[15], 0x6064);
	check_frame(f, n, 1, sizeof(data));
}

static void test_build_too_small(void **state)
{
	struct sockaddr_in src, dst;
	struct link_peer lk = peer(1, 100);
	uint8_t f[64];

	(void)state;
	addrs(&src, &dst);
	assert_int_equal(linkpath_build_frame(f, sizeof(f), &lk, &src, &dst, 1, RRQ, 40), -ENOSPC);
}

/* A request as a client would send it: built, then parsed back. */
static int request_frame(uint8_t *f, size_t cap, int tagged, uint16_t tci)
{
	struct sockaddr_in src, dst;
	struct link_peer lk = peer(tagged, tci);

	addrs(&src, &dst);
	/* swap the roles: the client (…86) sends to the server (…66) */
	memcpy(lk.mac, "\x02\x00\x5e\x00\x66\x01", 6);
	memcpy(lk.local_mac, "\x02\x00\x5e\x00\x86\x01", 6);
	return linkpath_build_frame(f, cap, &lk, &dst, &src, 9, RRQ, sizeof(RRQ) - 1);
}

static void test_parse_untagged(void **state)
{
	struct linkpath_rx rx;
	uint8_t f[2048];
	int n = request_frame(f, sizeof(f), 0, 0);
	char mac[18];

	(void)state;
	assert_int_equal(linkpath_parse_frame(f, (size_t)n, 0, 0, 1, &rx), 0);
	assert_int_equal(rx.link.valid, 1);
	assert_int_equal(rx.link.tagged, 0);
	linkpath_format_mac(rx.link.mac, mac, sizeof(mac));
	assert_string_equal(mac, "02:00:5e:00:86:01");
	assert_int_equal(ntohs(rx.peer.sin_port), 69);  /* as built above: src port 69 */
	assert_int_equal(ntohs(rx.local.sin_port), 40001);
	assert_int_equal(rx.len, sizeof(RRQ) - 1);
	assert_memory_equal(rx.payload, RRQ, rx.len);
}

static void test_parse_tag_in_frame_and_aux(void **state)
{
	struct linkpath_rx rx;
	uint8_t f[2048];
	int n = request_frame(f, sizeof(f), 1, 0x00c8);  /* VID 200 */

	(void)state;
	assert_int_equal(linkpath_parse_frame(f, (size_t)n, 0, 0, 1, &rx), 0);
	assert_int_equal(rx.link.tagged, 1);
	assert_int_equal(rx.link.vlan_tci & LINK_VID_MASK, 200);
	/* a second tag on top of one in the frame is not ours */
	assert_int_equal(linkpath_parse_frame(f, (size_t)n, 1, 300, 1, &rx), -EINVAL);
	/* as the kernel delivers it: tag moved into the metadata */
	memmove(f + 12, f + 16, (size_t)n - 16);
	assert_int_equal(linkpath_parse_frame(f, (size_t)n - 4, 1, 0x00c8, 1, &rx), 0);
	assert_int_equal(rx.link.tagged, 1);
	assert_int_equal(rx.link.vlan_tci, 0x00c8);
	assert_memory_equal(rx.payload, RRQ, sizeof(RRQ) - 1);
}

static void test_parse_refuses_bad_frames(void **state)
{
	struct linkpath_rx rx;
	uint8_t f[2048], g[2048];
	int n = request_frame(f, sizeof(f), 0, 0);

	(void)state;
	memcpy(g, f, (size_t)n);
	g[n - 3] ^= 0x20;                       /* payload bit flip: UDP checksum */
	assert_int_equal(linkpath_parse_frame(g, (size_t)n, 0, 0, 1, &rx), -EINVAL);
	assert_int_equal(linkpath_parse_frame(g, (size_t)n, 0, 0, 0, &rx), 0); /* offloaded */
	memcpy(g, f, (size_t)n);
	g[14 + 8] ^= 1;                         /* TTL: IPv4 header checksum */
	assert_int_equal(linkpath_parse_frame(g, (size_t)n, 0, 0, 1, &rx), -EINVAL);
	assert_int_equal(linkpath_parse_frame(f, (size_t)n - 1, 0, 0, 1, &rx), -EINVAL); /* truncated */
	assert_int_equal(linkpath_parse_frame(f, 40, 0, 0, 1, &rx), -EINVAL);
	memcpy(g, f, (size_t)n);
	g[12] = 0x86;                           /* IPv6 ethertype: not ours */
	g[13] = 0xdd;
	assert_int_equal(linkpath_parse_frame(g, (size_t)n, 0, 0, 1, &rx), -EINVAL);
}

/* ---- the cBPF filter, in the kernel -------------------------------------- */

static int filter_passes(int tx, int rx, const uint8_t *f, size_t n)
{
	uint8_t buf[2048];

	assert_int_equal(send(tx, f, n, 0), (ssize_t)n);
	return recv(rx, buf, sizeof(buf), MSG_DONTWAIT) == (ssize_t)n;
}

static void test_filter_in_kernel(void **state)
{
	struct sock_filter code[LINK_FILTER_MAX];
	struct sock_fprog prog = { .filter = code };
	uint16_t ports[2] = { htons(69), htons(6969) };
	uint8_t f[2048], g[2048];
	int sv[2], n;

	(void)state;
	prog.len = (unsigned short)linkpath_filter_build(code, ports, 2);
	assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0);
	assert_int_equal(setsockopt(sv[1], SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)), 0);

	/* server -> client frames from request_frame() go to port 40001: build
	 * real requests (to port 69) with the roles as on the wire */
	{
		struct sockaddr_in cli, srv;
		struct link_peer lk = peer(0, 0);

		addrs(&srv, &cli);              /* srv = .66:40001, cli = .86:69 */
		cli.sin_port = htons(43210);
		srv.sin_port = htons(69);
		n = linkpath_build_frame(f, sizeof(f), &lk, &cli, &srv, 1, RRQ, sizeof(RRQ) - 1);
		assert_true(filter_passes(sv[0], sv[1], f, (size_t)n));
		srv.sin_port = htons(6969);
		n = linkpath_build_frame(f, sizeof(f), &lk, &cli, &srv, 1, RRQ, sizeof(RRQ) - 1);
		assert_true(filter_passes(sv[0], sv[1], f, (size_t)n));
		srv.sin_port = htons(40001);    /* an ACK to a transfer port: kernel tiers' */
		n = linkpath_build_frame(f, sizeof(f), &lk, &cli, &srv, 1, "\0\4\0\1", 4);
		assert_false(filter_passes(sv[0], sv[1], f, (size_t)n));

		srv.sin_port = htons(69);
		lk = peer(1, 100);              /* tag still in the frame */
		n = linkpath_build_frame(f, sizeof(f), &lk, &cli, &srv, 1, RRQ, sizeof(RRQ) - 1);
		assert_true(filter_passes(sv[0], sv[1], f, (size_t)n));
		memcpy(g, f, (size_t)n);
		g[18 + 9] = 6;                  /* TCP */
		assert_false(filter_passes(sv[0], sv[1], g, (size_t)n));
		memcpy(g, f, (size_t)n);
		g[18 + 6] |= 0x20;              /* more fragments */
		assert_false(filter_passes(sv[0], sv[1], g, (size_t)n));

		/* IPv4 options: the port is found after IHL * 4 bytes */
		lk = peer(0, 0);
		n = linkpath_build_frame(f, sizeof(f), &lk, &cli, &srv, 1, RRQ, sizeof(RRQ) - 1);
		memcpy(g, f, 34);
		g[14] = 0x46;
		memset(g + 34, 1, 4);           /* four NOP options */
		memcpy(g + 38, f + 34, (size_t)n - 34);
		assert_true(filter_passes(sv[0], sv[1], g, (size_t)n + 4));
		memcpy(g, f, (size_t)n);
		g[12] = 0x08;                   /* ARP */
		g[13] = 0x06;
		assert_false(filter_passes(sv[0], sv[1], g, (size_t)n));
	}
	close(sv[0]);
	close(sv[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build_untagged),
		cmocka_unit_test(test_build_tagged_keeps_tci),
		cmocka_unit_test(test_build_too_small),
		cmocka_unit_test(test_parse_untagged),
		cmocka_unit_test(test_parse_tag_in_frame_and_aux),
		cmocka_unit_test(test_parse_refuses_bad_frames),
		cmocka_unit_test(test_filter_in_kernel),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
