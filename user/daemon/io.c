// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Sending: from a listener with the address the client asked (pktinfo), as
 * frames on the link (--mac-sessions), or on a session's own socket; ERROR
 * packets; the transfer socket and the largest blksize an interface allows.
 */
#include "internal.h"

/* ---- small pure helpers ---------------------------------------------------- */

/* ---- sockets ----------------------------------------------------------------- */

/* Send from a listener with the source address the client asked (pktinfo),
 * so replies in --single-port mode and refusals come from the right address. */
static int listener_sendto(struct listener *l, const struct sockaddr_storage *local,
			   const struct sockaddr_storage *peer, socklen_t peer_len,
			   const void *buf, size_t len)
{
	union {
		char v4[CMSG_SPACE(sizeof(struct in_pktinfo))];
		char v6[CMSG_SPACE(sizeof(struct in6_pktinfo))];
	} cbuf;
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr mh = {
		.msg_name = (void *)peer, .msg_namelen = peer_len,
		.msg_iov = &iov, .msg_iovlen = 1,
	};
	struct cmsghdr *cm;

	memset(&cbuf, 0, sizeof(cbuf));
	if (local && local->ss_family == AF_INET && l->family == AF_INET) {
		struct in_pktinfo pi = { 0 };

		pi.ipi_spec_dst = ((const struct sockaddr_in *)local)->sin_addr;
		mh.msg_control = cbuf.v4;
		mh.msg_controllen = sizeof(cbuf.v4);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = IPPROTO_IP;
		cm->cmsg_type = IP_PKTINFO;
		cm->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
	} else if (local && local->ss_family == AF_INET6 && l->family == AF_INET6) {
		struct in6_pktinfo pi = { 0 };
		const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)local;

		pi.ipi6_addr = a6->sin6_addr;
		pi.ipi6_ifindex = a6->sin6_scope_id;
		mh.msg_control = cbuf.v6;
		mh.msg_controllen = sizeof(cbuf.v6);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = IPPROTO_IPV6;
		cm->cmsg_type = IPV6_PKTINFO;
		cm->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
	}
	if (sendmsg(l->fd, &mh, MSG_DONTWAIT) < 0)
		return -errno;
	return 0;
}

/* --mac-sessions: the datagram leaves as a frame to the requester's MAC and
 * VLAN, not through the IP stack (whose ARP entry may name another device
 * with the same address). */
int link_send(struct engine *e, const struct link_peer *lk,
		     const struct sockaddr_storage *local, const struct sockaddr_storage *peer,
		     const void *buf, size_t len)
{
	int err = linkpath_send_udp(e->lp, lk, (const struct sockaddr_in *)local,
				    (const struct sockaddr_in *)peer, buf, len);

	if (err)
		log_debug("send frame to client: %s", strerror(-err));
	return err;
}

int session_send(struct session *s, const void *buf, size_t len)
{
	ssize_t n;

	if (s->link.valid)
		return link_send(s->e, &s->link, &s->rec.local, &s->rec.client, buf, len);
	if (!s->own_fd)
		return listener_sendto(s->lst, &s->rec.local, &s->rec.client, s->peer_len, buf, len);
	n = sendto(s->fd, buf, len, MSG_DONTWAIT, (const struct sockaddr *)&s->rec.client,
		   s->peer_len);
	if (n < 0) {
		/* a full socket buffer or an ICMP error: the retransmit timer recovers */
		log_debug("send to client: %s", strerror(errno));
		return -errno;
	}
	return 0;
}

void send_error_via(struct listener *l, int fd, const struct sockaddr_storage *local,
			   const struct sockaddr_storage *peer, socklen_t peer_len,
			   uint16_t code, const char *msg)
{
	uint8_t buf[512];
	int len = tftp_build_error(buf, sizeof(buf), code, msg);

	if (len < 0)
		return;
	if (fd >= 0)
		sendto(fd, buf, (size_t)len, MSG_DONTWAIT, (const struct sockaddr *)peer, peer_len);
	else
		listener_sendto(l, local, peer, peer_len, buf, (size_t)len);
}

/* An ERROR to a live session's client, by the session's own path. */
void session_send_error(struct session *s, uint16_t code, const char *msg)
{
	uint8_t buf[512];
	int len;

	if (!s->link.valid) {
		send_error_via(s->lst, s->own_fd ? s->fd : -1, &s->rec.local, &s->rec.client,
			       s->peer_len, code, msg);
		return;
	}
	len = tftp_build_error(buf, sizeof(buf), code, msg);
	if (len > 0)
		session_send(s, buf, (size_t)len);
}

/* MTU of an interface, 0 if unknown. */
static unsigned int interface_mtu(unsigned int ifindex)
{
	struct ifreq ifr = { 0 };
	unsigned int mtu = 0;
	int fd;

	if (!ifindex || !if_indextoname(ifindex, ifr.ifr_name))
		return 0;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	if (ioctl(fd, SIOCGIFMTU, &ifr) == 0 && ifr.ifr_mtu > 0)
		mtu = (unsigned int)ifr.ifr_mtu;
	close(fd);
	return mtu;
}

/* --blocksize, or the ingress MTU minus IP + UDP + TFTP headers. */
unsigned int max_blksize_for(const struct engine *e, unsigned int ifindex, int family)
{
	unsigned int hdrs = (family == AF_INET6 ? 40 : 20) + 8 + TFTP_HDR_LEN;
	unsigned int mtu;

	if (e->opt->max_blksize)
		return e->opt->max_blksize;
	mtu = interface_mtu(ifindex);
	if (mtu <= hdrs + TFTP_DEFAULT_BLKSIZE)
		return mtu ? TFTP_DEFAULT_BLKSIZE : 1468;
	if (mtu - hdrs > TFTP_BLKSIZE_MAX)
		return TFTP_BLKSIZE_MAX;
	return mtu - hdrs;
}

/* A socket for one transfer, bound to the address the client asked, on a
 * port from --port-range or one the kernel picks. */
int transfer_socket(struct engine *e, struct sockaddr_storage *local, socklen_t *local_len)
{
	int fd, err, one = 1;
	unsigned int tries, span, port;

	fd = socket(local->ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (local->ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	*local_len = local->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
						  : sizeof(struct sockaddr_in);
	if (!e->opt->port_lo) {
		((struct sockaddr_in *)local)->sin_port = 0; /* same offset in sockaddr_in6 */
		if (bind(fd, (struct sockaddr *)local, *local_len) != 0)
			goto fail;
	} else {
		span = e->opt->port_hi - e->opt->port_lo + 1;
		port = e->opt->port_lo + (unsigned int)random() % span;
		for (tries = 0; tries < span; tries++) {
			((struct sockaddr_in *)local)->sin_port = htons((uint16_t)port);
			if (bind(fd, (struct sockaddr *)local, *local_len) == 0)
				break;
			if (errno != EADDRINUSE)
				goto fail;
			port = port == e->opt->port_hi ? e->opt->port_lo : port + 1;
		}
		if (tries == span) {
			errno = EADDRINUSE;
			goto fail;
		}
	}
	if (getsockname(fd, (struct sockaddr *)local, local_len) != 0)
		goto fail;
	/* ICMP errors about the client (port unreachable) for the diagnosis */
	diagnose_enable_recverr(fd, local->ss_family);
	return fd;
fail:
	err = -errno;
	close(fd);
	return err;
}
