// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Link-layer request path (see linkpath.h): AF_PACKET sockets that take TFTP
 * requests with the requester's MAC and VLAN tag, and send userspace replies
 * as whole Ethernet frames to that MAC.
 *
 * Where the socket sits in the receive path matters: an ETH_P_ALL socket is
 * a tap (ptype_all), run after the kernel moved a single 802.1Q tag into the
 * skb metadata and before TC ingress and the VLAN lookup. So it sees tagged
 * requests with pkt_type still PACKET_HOST (the stack later marks them
 * OTHERHOST and drops them when no VLAN device exists) and the tag in
 * PACKET_AUXDATA. A socket bound to ETH_P_IP would see them only after the
 * tag was cleared. The classic BPF filter keeps everything else (notably the
 * ACK stream the kernel tiers answer) out of userspace.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "linkpath.h"
#include "util/log.h"

#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23
#endif

#define ETH_HDR 14u
#define VLAN_HDR 4u
#define IP4_HDR 20u
#define UDP_HDR 8u
#define IP_DF 0x4000u
#define IP_FRAG_MASK 0x3fffu    /* MF + fragment offset: any fragment */
#define LINK_RCVBUF (1 << 20)

struct linkpath {
	struct linkpath_sock socks[LINK_MAX_IFACES];
	unsigned int n;
	uint16_t ip_id;
	uint8_t frame[ETH_HDR + VLAN_HDR + IP4_HDR + UDP_HDR + 65536];  /* one send at a time */
};

/* ---- checksums ------------------------------------------------------------ */

static uint32_t csum_add(uint32_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;

	for (; len > 1; p += 2, len -= 2)
		sum += (uint32_t)p[0] << 8 | p[1];
	if (len)
		sum += (uint32_t)p[0] << 8;
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* UDP checksum over the IPv4 pseudo-header, header and payload (host order). */
static uint16_t udp4_csum(const uint8_t *ip, const uint8_t *udp, size_t udp_len)
{
	uint32_t sum = 0;

	sum = csum_add(sum, ip + 12, 8);        /* source and destination */
	sum += IPPROTO_UDP;
	sum += (uint32_t)udp_len;
	sum = csum_add(sum, udp, udp_len);
	return csum_fold(sum);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* ---- frames ------------------------------------------------------------------ */

int linkpath_build_frame(uint8_t *buf, size_t cap, const struct link_peer *lk,
			 const struct sockaddr_in *src, const struct sockaddr_in *dst,
			 uint16_t ip_id, const void *payload, size_t len)
{
	size_t l2 = ETH_HDR + (lk->tagged ? VLAN_HDR : 0);
	size_t total = l2 + IP4_HDR + UDP_HDR + len;
	uint8_t *ip, *udp;
	uint16_t c;

	if (IP4_HDR + UDP_HDR + len > 0xffff)
		return -EMSGSIZE;
	if (total > cap)
		return -ENOSPC;
	memcpy(buf, lk->mac, 6);
	memcpy(buf + 6, lk->local_mac, 6);
	if (lk->tagged) {
		put16(buf + 12, ETH_P_8021Q);
		put16(buf + 14, lk->vlan_tci);
		put16(buf + 16, ETH_P_IP);
	} else {
		put16(buf + 12, ETH_P_IP);
	}
	ip = buf + l2;
	ip[0] = 0x45;
	ip[1] = 0;
	put16(ip + 2, (uint16_t)(IP4_HDR + UDP_HDR + len));
	put16(ip + 4, ip_id);
	put16(ip + 6, IP_DF);
	ip[8] = 64;
	ip[9] = IPPROTO_UDP;
	put16(ip + 10, 0);
	memcpy(ip + 12, &src->sin_addr, 4);
	memcpy(ip + 16, &dst->sin_addr, 4);
	put16(ip + 10, csum_fold(csum_add(0, ip, IP4_HDR)));
	udp = ip + IP4_HDR;
	memcpy(udp, &src->sin_port, 2);
	memcpy(udp + 2, &dst->sin_port, 2);
	put16(udp + 4, (uint16_t)(UDP_HDR + len));
	put16(udp + 6, 0);
	memcpy(udp + UDP_HDR, payload, len);
	c = udp4_csum(ip, udp, UDP_HDR + len);
	/* RFC 768: a computed zero is sent as all ones (zero = no checksum) */
	put16(udp + 6, c ? c : 0xffff);
	return (int)total;
}

int linkpath_parse_frame(const uint8_t *frame, size_t len, int aux_tagged, uint16_t aux_tci,
			 int check_udp_csum, struct linkpath_rx *rx)
{
	size_t l3 = ETH_HDR, ihl, tot, ulen;
	const uint8_t *ip, *udp;
	uint16_t type;

	memset(rx, 0, sizeof(*rx));
	if (len < ETH_HDR + IP4_HDR + UDP_HDR)
		return -EINVAL;
	memcpy(rx->link.mac, frame + 6, 6);
	type = get16(frame + 12);
	if (type == ETH_P_8021Q) {
		/* a tag left in the frame; a second one (QinQ) is not ours */
		if (aux_tagged || len < ETH_HDR + VLAN_HDR + IP4_HDR + UDP_HDR)
			return -EINVAL;
		aux_tagged = 1;
		aux_tci = get16(frame + 14);
		type = get16(frame + 16);
		l3 += VLAN_HDR;
	}
	if (type != ETH_P_IP)
		return -EINVAL;
	rx->link.tagged = aux_tagged ? 1 : 0;
	rx->link.vlan_tci = aux_tagged ? aux_tci : 0;
	ip = frame + l3;
	ihl = (size_t)(ip[0] & 0x0f) * 4;
	if ((ip[0] >> 4) != 4 || ihl < IP4_HDR || ip[9] != IPPROTO_UDP)
		return -EINVAL;
	tot = get16(ip + 2);
	if (tot < ihl + UDP_HDR || l3 + tot > len || (get16(ip + 6) & IP_FRAG_MASK))
		return -EINVAL;
	if (csum_fold(csum_add(0, ip, ihl)) != 0)
		return -EINVAL;
	udp = ip + ihl;
	ulen = get16(udp + 4);
	if (ulen < UDP_HDR || ulen > tot - ihl)
		return -EINVAL;
	if (check_udp_csum && get16(udp + 6) != 0) {
		uint32_t sum = csum_add(0, ip + 12, 8);

		sum += IPPROTO_UDP;
		sum += (uint32_t)ulen;
		sum = csum_add(sum, udp, ulen);
		if (csum_fold(sum) != 0)
			return -EINVAL;
	}
	rx->peer.sin_family = AF_INET;
	memcpy(&rx->peer.sin_addr, ip + 12, 4);
	memcpy(&rx->peer.sin_port, udp, 2);
	rx->local.sin_family = AF_INET;
	memcpy(&rx->local.sin_addr, ip + 16, 4);
	memcpy(&rx->local.sin_port, udp + 2, 2);
	rx->payload = udp + UDP_HDR;
	rx->len = ulen - UDP_HDR;
	rx->link.valid = 1;
	return 0;
}

void linkpath_format_mac(const uint8_t mac[6], char *buf, size_t len)
{
	snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3],
		 mac[4], mac[5]);
}

/* ---- the filter ----------------------------------------------------------------- */

/* IPv4 header at base: UDP, not a fragment, destination port one of ports. */
static unsigned int filter_v4_block(struct sock_filter *f, unsigned int base,
				    const uint16_t *ports, unsigned int n_ports)
{
	unsigned int i = 0, fail = 6 + n_ports, accept = fail + 1;

	f[i] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_B | BPF_ABS, base + 9); i++;
	f[i] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_UDP, 0,
					    (uint8_t)(fail - i - 1)); i++;
	f[i] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_H | BPF_ABS, base + 6); i++;
	f[i] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, IP_FRAG_MASK,
					    (uint8_t)(fail - i - 1), 0); i++;
	f[i] = (struct sock_filter)BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, base); i++;
	f[i] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_H | BPF_IND, base + 2); i++;
	for (unsigned int p = 0; p < n_ports; p++, i++)
		f[i] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ntohs(ports[p]),
						    (uint8_t)(accept - i - 1), 0);
	f[i] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, 0); i++;
	f[i] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, 0x40000); i++;
	return i;
}

/* Untagged (IPv4 at 14) or one tag in the frame (IPv4 at 18); a tag in the
 * skb metadata is invisible here, so that frame looks untagged. */
unsigned int linkpath_filter_build(struct sock_filter *f, const uint16_t *ports,
				   unsigned int n_ports)
{
	unsigned int blk = 8 + n_ports, b14 = 6, b18 = b14 + blk, n;

	f[0] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 12);
	f[1] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IP, (uint8_t)(b14 - 2), 0);
	f[2] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_8021Q, 0, 2);
	f[3] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 16);
	f[4] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IP, (uint8_t)(b18 - 5), 0);
	f[5] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, 0);
	n = b14 + filter_v4_block(f + b14, ETH_HDR, ports, n_ports);
	n += filter_v4_block(f + n, ETH_HDR + VLAN_HDR, ports, n_ports);
	return n;
}

/* ---- sockets ------------------------------------------------------------------- */

/* ifindex of the device ifname is enslaved to (bridge, bond), 0 if none. */
static unsigned int master_of(const char *ifname)
{
	char path[64], target[PATH_MAX];
	const char *base;
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/class/net/%s/master", ifname);
	n = readlink(path, target, sizeof(target) - 1);
	if (n <= 0)
		return 0;
	target[n] = '\0';
	base = strrchr(target, '/');
	return if_nametoindex(base ? base + 1 : target);
}

static int sock_open(struct linkpath_sock *ls, unsigned int ifindex, const uint16_t *ports,
		     unsigned int n_ports)
{
	struct sock_filter code[LINK_FILTER_MAX];
	struct sock_fprog prog = { .filter = code };
	struct sockaddr_ll sll = { 0 };
	struct ifreq ifr = { 0 };
	int one = 1, rcvbuf = LINK_RCVBUF, fd, err;
	uint8_t drain[64];

	if (!if_indextoname(ifindex, ls->ifname))
		return -ENODEV;
	/* protocol 0: nothing is queued before the filter is in place */
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	prog.len = (unsigned short)linkpath_filter_build(code, ports, n_ports);
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) != 0 ||
	    setsockopt(fd, SOL_PACKET, PACKET_AUXDATA, &one, sizeof(one)) != 0)
		goto fail;
	/* our own replies would otherwise come back as PACKET_OUTGOING copies */
	setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ls->ifname);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) != 0)
		goto fail;
	memcpy(ls->mac, ifr.ifr_hwaddr.sa_data, 6);
	ls->master_ifindex = master_of(ls->ifname);
	if (ls->master_ifindex && if_indextoname(ls->master_ifindex, ifr.ifr_name) &&
	    ioctl(fd, SIOCGIFHWADDR, &ifr) == 0)
		memcpy(ls->master_mac, ifr.ifr_hwaddr.sa_data, 6);
	else
		ls->master_ifindex = 0;
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_ALL);
	sll.sll_ifindex = (int)ifindex;
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) != 0)
		goto fail;
	while (recv(fd, drain, sizeof(drain), MSG_DONTWAIT) >= 0)
		;
	ls->fd = fd;
	ls->ifindex = ifindex;
	return 0;
fail:
	err = -errno;
	close(fd);
	return err;
}

int linkpath_open(const unsigned int *ifindexes, unsigned int n, const uint16_t *ports,
		  unsigned int n_ports, struct linkpath **out)
{
	struct linkpath *lp;
	int err = 0;

	*out = NULL;
	if (!n || n > LINK_MAX_IFACES || !n_ports || n_ports > LINK_MAX_PORTS) {
		log_err("mac sessions: need 1..%u interfaces and 1..%u listening ports",
			LINK_MAX_IFACES, LINK_MAX_PORTS);
		return -EINVAL;
	}
	lp = calloc(1, sizeof(*lp));
	if (!lp)
		return -ENOMEM;
	lp->ip_id = (uint16_t)getpid();
	for (unsigned int i = 0; i < n; i++) {
		struct linkpath_sock *ls = &lp->socks[lp->n];

		ls->lp = lp;
		err = sock_open(ls, ifindexes[i], ports, n_ports);
		if (err) {
			log_err("mac sessions: packet socket on interface %u (%s): %s%s", ifindexes[i],
				ls->ifname[0] ? ls->ifname : "?", strerror(-err),
				err == -EPERM ? " (needs root or CAP_NET_RAW)" : "");
			goto fail;
		}
		lp->n++;
	}
	*out = lp;
	return 0;
fail:
	linkpath_close(lp);
	return err;
}

void linkpath_close(struct linkpath *lp)
{
	if (!lp)
		return;
	for (unsigned int i = 0; i < lp->n; i++)
		close(lp->socks[i].fd);
	free(lp);
}

unsigned int linkpath_count(const struct linkpath *lp)
{
	return lp ? lp->n : 0;
}

struct linkpath_sock *linkpath_sock_at(struct linkpath *lp, unsigned int i)
{
	return lp && i < lp->n ? &lp->socks[i] : NULL;
}

static struct linkpath_sock *sock_for(struct linkpath *lp, unsigned int ifindex)
{
	for (unsigned int i = 0; lp && i < lp->n; i++)
		if (lp->socks[i].ifindex == ifindex)
			return &lp->socks[i];
	return NULL;
}

int linkpath_covers(const struct linkpath *lp, unsigned int ifindex)
{
	for (unsigned int i = 0; lp && i < lp->n; i++)
		if (lp->socks[i].ifindex == ifindex || lp->socks[i].master_ifindex == ifindex)
			return 1;
	return 0;
}

int linkpath_recv(struct linkpath_sock *ls, uint8_t *buf, size_t cap, struct linkpath_rx *rx)
{
	char cbuf[CMSG_SPACE(sizeof(struct tpacket_auxdata))];
	struct sockaddr_ll from;
	struct iovec iov = { .iov_base = buf, .iov_len = cap };
	struct msghdr mh = {
		.msg_name = &from, .msg_namelen = sizeof(from),
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct tpacket_auxdata aux = { 0 };
	int have_aux = 0, check_csum, err;
	ssize_t n;

	n = recvmsg(ls->fd, &mh, MSG_DONTWAIT | MSG_TRUNC);
	if (n < 0)
		return errno == EINTR ? -EINVAL : -errno;
	if ((size_t)n > cap)
		return -EINVAL;         /* truncated: no request is that large */
	/* On a bridge port, a frame to the bridge's MAC is PACKET_OTHERHOST
	 * here (the port's own MAC differs): the bridge takes it up as ours. */
	if (from.sll_pkttype == PACKET_OTHERHOST && ls->master_ifindex && n >= 6 &&
	    !memcmp(buf, ls->master_mac, 6))
		from.sll_pkttype = PACKET_HOST;
	if (from.sll_pkttype != PACKET_HOST && from.sll_pkttype != PACKET_BROADCAST &&
	    from.sll_pkttype != PACKET_MULTICAST)
		return -EINVAL;         /* another host's frame (promiscuous port), our own */
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
		if (cm->cmsg_level == SOL_PACKET && cm->cmsg_type == PACKET_AUXDATA &&
		    cm->cmsg_len >= CMSG_LEN(sizeof(aux))) {
			memcpy(&aux, CMSG_DATA(cm), sizeof(aux));
			have_aux = 1;
		}
	}
	/* a checksum left to offload (veth from a local sender) is not filled
	 * in yet; one the device verified needs no second look */
	check_csum = !(have_aux && (aux.tp_status & (TP_STATUS_CSUMNOTREADY | TP_STATUS_CSUM_VALID)));
	err = linkpath_parse_frame(buf, (size_t)n,
				   have_aux && (aux.tp_status & TP_STATUS_VLAN_VALID),
				   have_aux ? aux.tp_vlan_tci : 0, check_csum, rx);
	if (err)
		return err;
	rx->link.ifindex = ls->ifindex;
	/* replies come from the MAC the client addressed (the bridge's on a
	 * bridge port, as the TC tier's MAC swap does); for a broadcast
	 * request, from the interface (or its bridge) */
	if (from.sll_pkttype == PACKET_HOST)
		memcpy(rx->link.local_mac, buf, 6);
	else
		memcpy(rx->link.local_mac, ls->master_ifindex ? ls->master_mac : ls->mac, 6);
	return 0;
}

int linkpath_send_udp(struct linkpath *lp, const struct link_peer *lk,
		      const struct sockaddr_in *src, const struct sockaddr_in *dst,
		      const void *payload, size_t len)
{
	struct linkpath_sock *ls = sock_for(lp, lk->ifindex);
	struct sockaddr_ll to = { 0 };
	int n;

	if (!ls)
		return -ENODEV;
	n = linkpath_build_frame(lp->frame, sizeof(lp->frame), lk, src, dst, lp->ip_id++, payload, len);
	if (n < 0)
		return n;
	to.sll_family = AF_PACKET;
	to.sll_ifindex = (int)lk->ifindex;
	to.sll_protocol = htons(lk->tagged ? ETH_P_8021Q : ETH_P_IP);
	to.sll_halen = 6;
	memcpy(to.sll_addr, lk->mac, 6);
	if (sendto(ls->fd, lp->frame, (size_t)n, MSG_DONTWAIT, (struct sockaddr *)&to, sizeof(to)) < 0)
		return -errno;
	return 0;
}
