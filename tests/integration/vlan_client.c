// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vlan_client: a TFTP download over raw 802.1Q-tagged frames, for
 * test_vlan.sh. This kernel has no 8021q module, so a tagged client cannot
 * use a UDP socket: it builds Ethernet + tag + IPv4 + UDP frames itself on
 * an AF_PACKET socket (RRQ with blksize, then ACKs) and checks every reply
 * addressed to it: the tag is there with our VLAN id (in the frame, or in
 * PACKET_AUXDATA when the kernel moved it into the skb), the IPv4 header
 * checksum and the UDP checksum are right (computed here, independently of
 * the server's code), then hashes the image and compares it with -x.
 * Replies with another VLAN id belong to another client on the same MAC
 * (the test runs one per VLAN, same address and port) and are skipped; an
 * untagged reply to our port is an error.
 *
 * Exit: 0 image intact and every reply tagged and checksummed right,
 * 1 otherwise, 2 usage.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "util/sha256.h"

#define MAX_FRAME 9216

struct client {
	int fd;
	unsigned int ifindex;
	uint8_t mac[6], srv_mac[6];
	struct in_addr src, dst;
	uint16_t sport, tid;            /* host order; tid 0 = not known yet */
	uint16_t vid;                   /* 0 = untagged */
	unsigned int blksize;
	uint8_t last[MAX_FRAME];        /* last frame sent, for resends */
	size_t last_len;
	uint16_t ip_id;
	/* results */
	unsigned long frames, csum_verified, csum_offloaded, untagged, bad_csum, in_frame_tag, aux_tag;
};

static uint32_t sum16(uint32_t s, const uint8_t *p, size_t n)
{
	for (; n > 1; p += 2, n -= 2)
		s += (uint32_t)p[0] << 8 | p[1];
	if (n)
		s += (uint32_t)p[0] << 8;
	return s;
}

static uint16_t fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static uint16_t udp_csum(const uint8_t *ip, const uint8_t *udp, size_t ulen)
{
	uint32_t s = sum16(0, ip + 12, 8) + IPPROTO_UDP + (uint32_t)ulen;

	return fold(sum16(s, udp, ulen));
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Send a UDP payload to the server (port 69 until the TID is known). */
static int send_udp(struct client *c, const void *payload, size_t len)
{
	uint8_t *f = c->last, *ip, *udp;
	size_t l2 = c->vid ? 18 : 14;
	uint16_t dport = c->tid ? c->tid : 69, cs;
	struct sockaddr_ll to = { 0 };

	memcpy(f, c->srv_mac, 6);
	memcpy(f + 6, c->mac, 6);
	if (c->vid) {
		f[12] = 0x81; f[13] = 0x00;
		f[14] = (uint8_t)(c->vid >> 8); f[15] = (uint8_t)c->vid;
		f[16] = 0x08; f[17] = 0x00;
	} else {
		f[12] = 0x08; f[13] = 0x00;
	}
	ip = f + l2;
	memset(ip, 0, 20);
	ip[0] = 0x45;
	ip[2] = (uint8_t)((28 + len) >> 8); ip[3] = (uint8_t)(28 + len);
	ip[4] = (uint8_t)(c->ip_id >> 8); ip[5] = (uint8_t)c->ip_id;
	c->ip_id++;
	ip[8] = 64;
	ip[9] = IPPROTO_UDP;
	memcpy(ip + 12, &c->src, 4);
	memcpy(ip + 16, &c->dst, 4);
	cs = fold(sum16(0, ip, 20));
	ip[10] = (uint8_t)(cs >> 8); ip[11] = (uint8_t)cs;
	udp = ip + 20;
	udp[0] = (uint8_t)(c->sport >> 8); udp[1] = (uint8_t)c->sport;
	udp[2] = (uint8_t)(dport >> 8); udp[3] = (uint8_t)dport;
	udp[4] = (uint8_t)((8 + len) >> 8); udp[5] = (uint8_t)(8 + len);
	udp[6] = udp[7] = 0;
	memcpy(udp + 8, payload, len);
	cs = udp_csum(ip, udp, 8 + len);
	if (!cs)
		cs = 0xffff;
	udp[6] = (uint8_t)(cs >> 8); udp[7] = (uint8_t)cs;
	c->last_len = l2 + 28 + len;
	to.sll_family = AF_PACKET;
	to.sll_ifindex = (int)c->ifindex;
	to.sll_halen = 6;
	memcpy(to.sll_addr, c->srv_mac, 6);
	if (sendto(c->fd, f, c->last_len, 0, (struct sockaddr *)&to, sizeof(to)) < 0) {
		perror("vlan_client: sendto");
		return -1;
	}
	return 0;
}

static int resend(struct client *c)
{
	struct sockaddr_ll to = { .sll_family = AF_PACKET, .sll_ifindex = (int)c->ifindex };

	return sendto(c->fd, c->last, c->last_len, 0, (struct sockaddr *)&to, sizeof(to)) < 0 ? -1 : 0;
}

static int send_ack(struct client *c, uint16_t block)
{
	uint8_t a[4] = { 0, 4, (uint8_t)(block >> 8), (uint8_t)block };

	return send_udp(c, a, sizeof(a));
}

/*
 * One received frame: NULL if it is not a reply to us on our VLAN,
 * else the UDP payload (and *plen, *sport).
 */
static const uint8_t *accept_frame(struct client *c, const uint8_t *f, size_t n,
				   const struct tpacket_auxdata *aux, int have_aux,
				   size_t *plen, uint16_t *sport)
{
	int tagged = 0;
	uint16_t vid = 0;
	size_t l3 = 14, ulen;
	const uint8_t *ip, *udp;

	if (n < 14 + 28 || memcmp(f, c->mac, 6))
		return NULL;
	if (have_aux && (aux->tp_status & TP_STATUS_VLAN_VALID)) {
		tagged = 1;
		vid = aux->tp_vlan_tci & 0x0fff;
	}
	if (f[12] == 0x81 && f[13] == 0x00) {
		if (tagged)
			return NULL;    /* two tags: not ours */
		tagged = 2;
		vid = (uint16_t)((f[14] << 8 | f[15]) & 0x0fff);
		l3 = 18;
	}
	if (n < l3 + 28 || f[l3 - 2] != 0x08 || f[l3 - 1] != 0x00)
		return NULL;
	ip = f + l3;
	if (ip[9] != IPPROTO_UDP || memcmp(ip + 12, &c->dst, 4) || memcmp(ip + 16, &c->src, 4))
		return NULL;
	udp = ip + (ip[0] & 0x0f) * 4;
	if ((size_t)(udp - f) + 8 > n || (uint16_t)(udp[2] << 8 | udp[3]) != c->sport)
		return NULL;
	/* a reply to our address and port: from here on it counts */
	if (!tagged && c->vid) {
		c->untagged++;
		return NULL;
	}
	if (vid != c->vid)
		return NULL;            /* the other client's VLAN */
	c->frames++;
	if (tagged == 1)
		c->aux_tag++;
	else if (tagged == 2)
		c->in_frame_tag++;
	ulen = (size_t)(udp[4] << 8 | udp[5]);
	if (ulen < 8 || (size_t)(udp - f) + ulen > n) {
		c->bad_csum++;
		return NULL;
	}
	if (fold(sum16(0, ip, (size_t)(ip[0] & 0x0f) * 4)) != 0) {
		fprintf(stderr, "vlan_client: bad IPv4 header checksum\n");
		c->bad_csum++;
		return NULL;
	}
	if (have_aux && (aux->tp_status & TP_STATUS_CSUMNOTREADY)) {
		c->csum_offloaded++;    /* the field is a partial sum: nothing to check */
	} else if (udp[6] || udp[7]) {
		uint32_t s = sum16(0, ip + 12, 8) + IPPROTO_UDP + (uint32_t)ulen;

		if (fold(sum16(s, udp, ulen)) != 0) {
			fprintf(stderr, "vlan_client: bad UDP checksum\n");
			c->bad_csum++;
			return NULL;
		}
		c->csum_verified++;
	} else {
		c->bad_csum++;          /* the server always fills it in */
		return NULL;
	}
	*plen = ulen - 8;
	*sport = (uint16_t)(udp[0] << 8 | udp[1]);
	return udp + 8;
}

static int parse_mac(const char *s, uint8_t mac[6])
{
	unsigned int b[6];

	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5]) != 6)
		return -1;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)b[i];
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: vlan_client -i IF -m SERVER_MAC -s SRC_IP -d SERVER_IP -p SRC_PORT "
		"-v VID -f NAME -b BLKSIZE -x SHA256 [-T TIMEOUT_MS] [-a (netascii)]\n");
}

int main(int argc, char **argv)
{
	struct client c = { .fd = -1, .blksize = 512 };
	const char *ifname = NULL, *name = NULL, *want = NULL, *mode = "octet";
	unsigned int timeout_ms = 1000, retries = 0;
	struct sha256_ctx sha;
	uint8_t digest[SHA256_DIGEST_LEN], buf[MAX_FRAME], req[512];
	char hex[SHA256_HEX_LEN];
	uint64_t bytes = 0, deadline;
	uint32_t expected = 1;          /* next DATA block (absolute) */
	int opt, done = 0, one = 1, rc = 1, n;
	struct sockaddr_ll sll = { 0 };
	struct ifreq ifr = { 0 };

	while ((opt = getopt(argc, argv, "i:m:s:d:p:v:f:b:x:T:a")) != -1) {
		switch (opt) {
		case 'i': ifname = optarg; break;
		case 'm': if (parse_mac(optarg, c.srv_mac)) { usage(); return 2; } break;
		case 's': if (inet_pton(AF_INET, optarg, &c.src) != 1) { usage(); return 2; } break;
		case 'd': if (inet_pton(AF_INET, optarg, &c.dst) != 1) { usage(); return 2; } break;
		case 'p': c.sport = (uint16_t)atoi(optarg); break;
		case 'v': c.vid = (uint16_t)atoi(optarg); break;
		case 'f': name = optarg; break;
		case 'b': c.blksize = (unsigned int)atoi(optarg); break;
		case 'x': want = optarg; break;
		case 'T': timeout_ms = (unsigned int)atoi(optarg); break;
		case 'a': mode = "netascii"; break;
		default: usage(); return 2;
		}
	}
	if (!ifname || !name || !want || !c.sport || c.blksize < 8 || c.blksize > 8192 ||
	    c.vid > 4094) {
		usage();
		return 2;
	}
	c.ifindex = if_nametoindex(ifname);
	c.fd = socket(AF_PACKET, SOCK_RAW, 0);
	if (!c.ifindex || c.fd < 0) {
		perror("vlan_client: interface or packet socket");
		return 1;
	}
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(c.fd, SIOCGIFHWADDR, &ifr) != 0 ||
	    setsockopt(c.fd, SOL_PACKET, PACKET_AUXDATA, &one, sizeof(one)) != 0) {
		perror("vlan_client: setup");
		return 1;
	}
	memcpy(c.mac, ifr.ifr_hwaddr.sa_data, 6);
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_ALL);
	sll.sll_ifindex = (int)c.ifindex;
	if (bind(c.fd, (struct sockaddr *)&sll, sizeof(sll)) != 0) {
		perror("vlan_client: bind");
		return 1;
	}
	c.ip_id = (uint16_t)getpid();
	sha256_init(&sha);
	n = snprintf((char *)req + 2, sizeof(req) - 2, "%s%c%s%cblksize%c%u%c", name, 0, mode, 0, 0,
		     c.blksize, 0);
	req[0] = 0;
	req[1] = 1;
	if (send_udp(&c, req, (size_t)n + 2))
		return 1;
	deadline = now_ms() + timeout_ms;
	while (!done) {
		struct pollfd pfd = { .fd = c.fd, .events = POLLIN };
		char cbuf[CMSG_SPACE(sizeof(struct tpacket_auxdata))];
		struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
		struct sockaddr_ll from;
		struct msghdr mh = {
			.msg_name = &from, .msg_namelen = sizeof(from),
			.msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
		};
		struct tpacket_auxdata aux = { 0 };
		int have_aux = 0;
		const uint8_t *p;
		size_t plen;
		uint16_t sport, op, blk;
		ssize_t got;
		uint64_t now = now_ms();

		if (now >= deadline) {
			if (++retries > 5) {
				fprintf(stderr, "vlan_client: vid %u: no answer (block %u)\n", c.vid, expected);
				goto out;
			}
			resend(&c);
			deadline = now + timeout_ms;
			continue;
		}
		if (poll(&pfd, 1, (int)(deadline - now)) <= 0)
			continue;
		got = recvmsg(c.fd, &mh, MSG_DONTWAIT);
		if (got <= 0 || from.sll_pkttype == PACKET_OUTGOING)
			continue;
		for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm))
			if (cm->cmsg_level == SOL_PACKET && cm->cmsg_type == PACKET_AUXDATA) {
				memcpy(&aux, CMSG_DATA(cm), sizeof(aux));
				have_aux = 1;
			}
		p = accept_frame(&c, buf, (size_t)got, &aux, have_aux, &plen, &sport);
		if (!p || plen < 2)
			continue;
		if (c.tid && sport != c.tid)
			continue;       /* RFC 1350: another TID; not ours */
		op = (uint16_t)(p[0] << 8 | p[1]);
		if (op == 5) {
			fprintf(stderr, "vlan_client: vid %u: server error %u: %.*s\n", c.vid,
				plen >= 4 ? p[2] << 8 | p[3] : 0, plen > 4 ? (int)(plen - 5) : 0,
				(const char *)p + 4);
			goto out;
		}
		if (plen < 4)
			continue;
		blk = (uint16_t)(p[2] << 8 | p[3]);
		if (op == 6 && expected == 1) {
			c.tid = sport;
			send_ack(&c, 0);
		} else if (op == 3) {
			if (!c.tid)
				c.tid = sport;
			if (blk == (uint16_t)expected) {
				sha256_update(&sha, p + 4, plen - 4);
				bytes += plen - 4;
				send_ack(&c, blk);
				expected++;
				if (plen - 4 < c.blksize)
					done = 1;
			} else if (blk == (uint16_t)(expected - 1)) {
				send_ack(&c, blk);      /* our ACK was lost */
			}
		} else {
			continue;
		}
		retries = 0;
		deadline = now_ms() + timeout_ms;
	}
	sha256_final(&sha, digest);
	sha256_hex(digest, hex);
	printf("vid=%u bytes=%llu sha256=%s frames=%lu tag_in_frame=%lu tag_in_aux=%lu "
	       "csum_verified=%lu csum_offloaded=%lu untagged=%lu bad_csum=%lu\n",
	       c.vid, (unsigned long long)bytes, hex, c.frames, c.in_frame_tag, c.aux_tag,
	       c.csum_verified, c.csum_offloaded, c.untagged, c.bad_csum);
	if (strcmp(hex, want)) {
		fprintf(stderr, "vlan_client: vid %u: sha256 %s, want %s\n", c.vid, hex, want);
		goto out;
	}
	if (c.untagged || c.bad_csum) {
		fprintf(stderr, "vlan_client: vid %u: %lu untagged replies, %lu bad checksums\n",
			c.vid, c.untagged, c.bad_csum);
		goto out;
	}
	rc = 0;
out:
	close(c.fd);
	return rc;
}
