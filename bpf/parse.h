/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Cursor-based parsing of a TFTP ACK frame, shared by the XDP and TC
 * programs: Ethernet (at most one 802.1Q/802.1ad tag), IPv4 without options
 * and unfragmented, or IPv6 with UDP as the first next header, UDP, and the
 * 4-byte TFTP ACK header.
 *
 * Every packet access goes through one bounds check, `cursor + size >
 * data_end`, right before the header is used (xdp-tutorial style); lengths
 * from the headers (IP total/payload length, UDP length) are checked against
 * the frame length as well, so a header never claims bytes the frame lacks.
 * The parser copies what the reply needs (MACs, tag, addresses, ports) to
 * the stack, so the frame builder never reads the packet again (after a
 * resize every packet pointer is invalid anyway).
 */
#ifndef XTFTP_BPF_PARSE_H
#define XTFTP_BPF_PARSE_H

#include <linux/types.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "xtftp_wire.h"
#include "xtftp_kern.h"

#define XT_ETH_P_8021Q  0x8100
#define XT_ETH_P_8021AD 0x88a8
#define XT_VLAN_VID_MASK 0x0fff
#define XT_IP_MF        0x2000
#define XT_IP_OFFSET    0x1fff
#define XT_IP_DF        0x4000

/* 802.1Q tag as it follows the MAC addresses (not in the UAPI headers). */
struct xt_vlan_hdr {
	__be16 tci;
	__be16 encap_proto;
};

struct xt_tftp_hdr {
	__be16 opcode;
	__be16 block;
};

struct hdr_cursor {
	void *pos;
};

/* What the reply is built from. The session key is filled in place
 * (addresses, ports, family, VLAN id; the caller sets ifindex), which keeps
 * one copy of the addresses on the 512-byte BPF stack. Network byte order
 * except the fields marked host. */
struct tftp_ack {
	struct session_key key;     /* zeroed by the caller */
	__u8 dst_mac[ETH_ALEN];     /* our MAC (the ACK's destination) */
	__u8 src_mac[ETH_ALEN];     /* the client's MAC */
	__be16 tpid;                /* outer ethertype when tagged */
	__be16 tci;                 /* tag control info when tagged */
	__be32 ip6_flow;            /* IPv6 version/class/flow label word */
	__u16 l3_off;               /* host: 14, or 18 with an in-frame tag */
	__u16 block;                /* host: the ACK's 16-bit block number */
	__u8 vlan_in_frame;         /* 1: the tag is in the frame (XDP) */
	__u8 tos;                   /* IPv4 type of service */
	__u8 pad[2];
};

static __always_inline int ipv6_is_ext_hdr(__u8 nexthdr)
{
	switch (nexthdr) {
	case 0:   /* hop-by-hop */
	case 43:  /* routing */
	case 44:  /* fragment */
	case 50:  /* ESP */
	case 51:  /* AH */
	case 60:  /* destination options */
	case 135: /* mobility */
	case 139: /* HIP */
	case 140: /* shim6 */
	case 253: /* experimental */
	case 254:
		return 1;
	}
	return 0;
}

/*
 * Parse the UDP header and the TFTP ACK after an IP header.
 * ip_payload_len is what the IP header says follows it; it has already been
 * checked to lie inside the frame.
 */
static __always_inline int parse_udp_tftp_ack(struct hdr_cursor *c, void *data_end,
					      __u32 ip_payload_len, struct tftp_ack *ack)
{
	struct udphdr *udp = c->pos;
	struct xt_tftp_hdr *tftp;

	if ((void *)(udp + 1) > data_end)
		return XT_STAT_PASS_TRUNCATED;
	/* UDP must cover exactly the IP payload: a shorter UDP length would
	 * leave trailing bytes we would silently reuse, a longer one lies. */
	if (bpf_ntohs(udp->len) != ip_payload_len)
		return XT_STAT_PASS_TRUNCATED;
	if (ip_payload_len < sizeof(*udp) + sizeof(*tftp))
		return XT_STAT_PASS_NOT_ACK;
	c->pos = udp + 1;

	tftp = c->pos;
	if ((void *)(tftp + 1) > data_end)
		return XT_STAT_PASS_TRUNCATED;
	if (tftp->opcode != bpf_htons(TFTP_ACK))
		return XT_STAT_PASS_NOT_ACK;
	c->pos = tftp + 1;

	ack->block = bpf_ntohs(tftp->block);
	ack->key.client_port = udp->source;
	ack->key.server_port = udp->dest;
	return 0;
}

/*
 * Parse a frame [data, data_end) of frame_len bytes (frame_len may exceed
 * data_end - data only when the TC skb is non-linear; every read is bounded
 * by data_end). tag_outside: a VLAN tag was already taken out of the frame
 * (TC: skb->vlan_present), so an in-frame tag would be a second one.
 * ack must be zeroed. Returns 0 for a TFTP ACK, otherwise the enum xt_stat
 * pass reason.
 */
static __always_inline int parse_tftp_ack(void *data, void *data_end, __u32 frame_len,
					  int tag_outside, struct tftp_ack *ack)
{
	struct hdr_cursor c = { .pos = data };
	struct ethhdr *eth;
	__be16 proto;
	__u32 l3_len;

	eth = c.pos;
	if ((void *)(eth + 1) > data_end)
		return XT_STAT_PASS_TRUNCATED;
	__builtin_memcpy(ack->dst_mac, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(ack->src_mac, eth->h_source, ETH_ALEN);
	proto = eth->h_proto;
	c.pos = eth + 1;
	ack->l3_off = sizeof(*eth);

	if (proto == bpf_htons(XT_ETH_P_8021Q) || proto == bpf_htons(XT_ETH_P_8021AD)) {
		struct xt_vlan_hdr *vh = c.pos;

		if (tag_outside)
			return XT_STAT_PASS_NOT_IP;     /* a VLAN stack */
		if ((void *)(vh + 1) > data_end)
			return XT_STAT_PASS_TRUNCATED;
		ack->tpid = proto;
		ack->tci = vh->tci;
		ack->key.vlan_id = bpf_ntohs(vh->tci) & XT_VLAN_VID_MASK;
		ack->vlan_in_frame = 1;
		proto = vh->encap_proto;
		c.pos = vh + 1;
		ack->l3_off += sizeof(*vh);
		if (proto == bpf_htons(XT_ETH_P_8021Q) || proto == bpf_htons(XT_ETH_P_8021AD))
			return XT_STAT_PASS_NOT_IP;     /* a VLAN stack */
	}

	if (proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *iph = c.pos;

		if ((void *)(iph + 1) > data_end)
			return XT_STAT_PASS_TRUNCATED;
		if (iph->version != 4)
			return XT_STAT_PASS_NOT_IP;
		if (iph->ihl != 5)
			return XT_STAT_PASS_IP_OPTIONS;
		if (iph->frag_off & bpf_htons(XT_IP_MF | XT_IP_OFFSET))
			return XT_STAT_PASS_FRAGMENT;
		if (iph->protocol != IPPROTO_UDP)
			return XT_STAT_PASS_NOT_UDP;
		l3_len = bpf_ntohs(iph->tot_len);
		/* The frame may carry Ethernet padding after the datagram,
		 * never less than the datagram. */
		if (l3_len < sizeof(*iph) || ack->l3_off + l3_len > frame_len)
			return XT_STAT_PASS_TRUNCATED;
		ack->key.family = XT_FAMILY_INET;
		ack->tos = iph->tos;
		__builtin_memcpy(ack->key.client_addr, &iph->saddr, 4);
		__builtin_memcpy(ack->key.server_addr, &iph->daddr, 4);
		c.pos = iph + 1;
		return parse_udp_tftp_ack(&c, data_end, l3_len - sizeof(*iph), ack);
	}

	if (proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6h = c.pos;

		if ((void *)(ip6h + 1) > data_end)
			return XT_STAT_PASS_TRUNCATED;
		if (ip6h->version != 6)
			return XT_STAT_PASS_NOT_IP;
		if (ip6h->nexthdr != IPPROTO_UDP)
			return ipv6_is_ext_hdr(ip6h->nexthdr) ? XT_STAT_PASS_IPV6_EXT :
								XT_STAT_PASS_NOT_UDP;
		l3_len = bpf_ntohs(ip6h->payload_len);
		if (ack->l3_off + sizeof(*ip6h) + l3_len > frame_len)
			return XT_STAT_PASS_TRUNCATED;
		ack->key.family = XT_FAMILY_INET6;
		__builtin_memcpy(&ack->ip6_flow, ip6h, 4);
		__builtin_memcpy(ack->key.client_addr, &ip6h->saddr, 16);
		__builtin_memcpy(ack->key.server_addr, &ip6h->daddr, 16);
		c.pos = ip6h + 1;
		return parse_udp_tftp_ack(&c, data_end, l3_len, ack);
	}

	return XT_STAT_PASS_NOT_IP;
}

/*
 * A resend request (struct xt_resend_req, xtftp_kern.h) leaving through TC
 * egress: Ethernet without a tag, IPv4 without options or IPv6, UDP to
 * XT_RESEND_PORT carrying exactly the request. Returns XT_RESEND_NOT_MINE
 * for any other frame (left alone: it is not ours), 0 for a request, with
 * the reply's fields in ack as if the client had sent an ACK (its key from
 * the request, the MACs and addresses the other way round: the writer
 * swaps them back) and the block in *block; else an enum xt_stat reason
 * (the request is refused). ack must be zeroed.
 */
#define XT_RESEND_NOT_MINE (-1)

static __always_inline int parse_resend_req(void *data, void *data_end, struct tftp_ack *ack,
					    __u32 *block)
{
	struct hdr_cursor c = { .pos = data };
	struct xt_resend_req *req;
	struct ethhdr *eth;
	struct udphdr *udp;
	__u8 daddr[16] = {};   /* as session_key.client_addr */
	__u8 family, diff = 0;
	int i;

	eth = c.pos;
	if ((void *)(eth + 1) > data_end)
		return XT_RESEND_NOT_MINE;
	c.pos = eth + 1;
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *iph = c.pos;

		if ((void *)(iph + 1) > data_end || iph->version != 4 || iph->ihl != 5 ||
		    iph->protocol != IPPROTO_UDP ||
		    (iph->frag_off & bpf_htons(XT_IP_MF | XT_IP_OFFSET)))
			return XT_RESEND_NOT_MINE;
		family = XT_FAMILY_INET;
		ack->tos = iph->tos;
		__builtin_memcpy(daddr, &iph->daddr, 4);
		c.pos = iph + 1;
	} else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6h = c.pos;

		if ((void *)(ip6h + 1) > data_end || ip6h->version != 6 ||
		    ip6h->nexthdr != IPPROTO_UDP)
			return XT_RESEND_NOT_MINE;
		family = XT_FAMILY_INET6;
		__builtin_memcpy(&ack->ip6_flow, ip6h, 4);
		__builtin_memcpy(daddr, &ip6h->daddr, 16);
		c.pos = ip6h + 1;
	} else {
		return XT_RESEND_NOT_MINE;
	}
	udp = c.pos;
	if ((void *)(udp + 1) > data_end || udp->dest != bpf_htons(XT_RESEND_PORT))
		return XT_RESEND_NOT_MINE;
	req = (void *)(udp + 1);
	if ((void *)(req + 1) > data_end || req->magic != XT_RESEND_MAGIC)
		return XT_RESEND_NOT_MINE;
	/* ours from here on: anything wrong is refused, never sent on */
	if (bpf_ntohs(udp->len) != sizeof(*udp) + sizeof(*req))
		return XT_STAT_PASS_TRUNCATED;
	__builtin_memcpy(&ack->key, &req->key, sizeof(ack->key));
	if (ack->key.family != family || ack->key.vlan_id || ack->key.pad)
		return XT_STAT_PASS_NO_SESSION;
	/* the kernel resolved the MAC of the address it sent to: it must be
	 * the session's client */
	for (i = 0; i < 16; i++)
		diff |= daddr[i] ^ ack->key.client_addr[i];
	if (diff)
		return XT_STAT_PASS_NO_SESSION;
	__builtin_memcpy(ack->dst_mac, eth->h_source, ETH_ALEN);
	__builtin_memcpy(ack->src_mac, eth->h_dest, ETH_ALEN);
	ack->l3_off = sizeof(*eth);
	*block = req->block;
	return 0;
}

#endif /* XTFTP_BPF_PARSE_H */
