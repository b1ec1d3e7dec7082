/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The link-layer request path (--mac-sessions): requests to the listening
 * port taken from an AF_PACKET socket per interface, so the daemon knows the
 * requester's MAC address, VLAN tag and ingress interface; replies built as
 * whole Ethernet frames (IPv4, UDP, checksums computed here) and sent to that
 * MAC, whatever the ARP cache says.
 *
 * Why: bootloaders on a flashing bench all use the same address (every
 * TP-Link asks 192.168.0.66 from 192.168.0.86); the kernel's neighbour table
 * holds one MAC for that address, so anything sent through the IP stack goes
 * to one device. The kernel tiers already answer each ACK to the MAC that
 * sent it; this module does the same for what userspace sends (OACK, DATA 1,
 * retransmissions, ERRORs). It also receives 802.1Q-tagged requests, which
 * never reach a UDP socket on a kernel without VLAN devices.
 * IPv4 only: IPv6 requests keep coming through the UDP listener.
 */
#ifndef XTFTP_LINKPATH_H
#define XTFTP_LINKPATH_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include "util/evsrc.h"

#define LINK_MAX_IFACES 32
#define LINK_MAX_PORTS 8
#define LINK_VID_MASK 0x0fffu
#define LINK_FRAME_MAX 9216u

/* Where a session's packets go on the link. All zero = through the IP stack. */
struct link_peer {
	uint8_t mac[6];                 /* the requester's (Ethernet source) */
	uint8_t local_mac[6];           /* ours on ifindex (source of replies) */
	uint16_t vlan_tci;              /* 802.1Q TCI as received (PCP, DEI, VID) */
	uint8_t tagged;                 /* the request came with a tag: replies carry it */
	uint8_t valid;                  /* 1: send this session's packets as frames */
	unsigned int ifindex;           /* ingress interface of the request */
};

/* One packet socket; the engine registers src with epoll (util/evsrc.h). */
struct linkpath_sock {
	struct ev_source src;
	void *owner;                    /* the engine's, for its callback */
	int fd;
	unsigned int ifindex;
	unsigned int master_ifindex;    /* the bridge (or bond) it is a port of, 0 none */
	uint8_t mac[6];
	uint8_t master_mac[6];          /* the bridge's: clients address it, not the port */
	char ifname[16];
	struct linkpath *lp;
};

/* A request as received. */
struct linkpath_rx {
	struct sockaddr_in peer;        /* source IPv4 address and port */
	struct sockaddr_in local;       /* destination IPv4 address and port */
	struct link_peer link;
	const uint8_t *payload;         /* inside the caller's buffer */
	size_t len;
};

struct linkpath;

/*
 * One packet socket per interface, each with a classic BPF filter that keeps
 * only IPv4 UDP (untagged, or tagged in the frame or in the skb metadata)
 * to one of ports (network byte order). Logs the cause once and returns a negative errno.
 */
int linkpath_open(const unsigned int *ifindexes, unsigned int n, const uint16_t *ports,
		  unsigned int n_ports, struct linkpath **out);
void linkpath_close(struct linkpath *lp);
unsigned int linkpath_count(const struct linkpath *lp);
struct linkpath_sock *linkpath_sock_at(struct linkpath *lp, unsigned int i);
/* 1 if requests on ifindex come through a packet socket: ifindex is one of
 * ours, or the bridge one of ours is a port of (the stack delivers a request
 * that came in on a bridge port with the bridge's ifindex). */
int linkpath_covers(const struct linkpath *lp, unsigned int ifindex);

/*
 * Receive one frame. 0 with *rx filled (payload points into buf), -EAGAIN
 * when nothing is queued, -EINVAL for a frame that is not a request for us
 * (not to our MAC, bad checksum, truncated, ...): skip it and read again.
 */
int linkpath_recv(struct linkpath_sock *ls, uint8_t *buf, size_t cap, struct linkpath_rx *rx);

/* Send a UDP datagram from src to dst as one Ethernet frame to lk->mac
 * (with lk's VLAN tag if it came tagged) on lk->ifindex. 0 or -errno. */
int linkpath_send_udp(struct linkpath *lp, const struct link_peer *lk,
		      const struct sockaddr_in *src, const struct sockaddr_in *dst,
		      const void *payload, size_t len);

/* ---- pure pieces, exposed for unit tests ------------------------------------ */

/* Build the frame into buf; returns its length or -ENOSPC / -EMSGSIZE. */
int linkpath_build_frame(uint8_t *buf, size_t cap, const struct link_peer *lk,
			 const struct sockaddr_in *src, const struct sockaddr_in *dst,
			 uint16_t ip_id, const void *payload, size_t len);
/*
 * Parse a received frame (tag either in the frame or given as aux_tci with
 * aux_tagged, as the kernel reports it through PACKET_AUXDATA). Fills rx
 * except link.ifindex and link.local_mac. check_udp_csum 0 skips the UDP
 * checksum (the sender left it to offload). 0 or -EINVAL.
 */
int linkpath_parse_frame(const uint8_t *frame, size_t len, int aux_tagged, uint16_t aux_tci,
			 int check_udp_csum, struct linkpath_rx *rx);
/* The classic BPF program of each packet socket, into f (LINK_FILTER_MAX
 * slots); returns its length. */
#define LINK_FILTER_MAX (6 + 2 * (8 + LINK_MAX_PORTS))
struct sock_filter;
unsigned int linkpath_filter_build(struct sock_filter *f, const uint16_t *ports,
				   unsigned int n_ports);
/* "02:00:00:00:00:01" (buf at least 18 bytes) */
void linkpath_format_mac(const uint8_t mac[6], char *buf, size_t len);

#endif
