// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The request sockets (port 69, --address, IPv4/IPv6), their drop
 * counting, and the packet sockets of --mac-sessions (link path).
 */
#include "internal.h"

/* ---- listeners ----------------------------------------------------------------- */

/* Requests the kernel dropped because the listening socket's buffer was
 * full (SO_RXQ_OVFL: a running count per socket): counted, and said once
 * per burst, never silent. */
static void listener_count_drops(struct engine *e, struct listener *l, uint32_t dropped)
{
	uint32_t n = dropped - l->rxq_dropped;

	if (!n)
		return;
	l->rxq_dropped = dropped;
	e->tot.requests_dropped += n;
	log_warn("%u request(s) dropped by the kernel: the request socket's buffer was full "
		 "(%" PRIu64 " since start; raise net.core.rmem_max for bigger bursts)", n,
		 e->tot.requests_dropped);
}

static void listener_on_readable(struct engine *e, struct listener *l)
{
	for (int i = 0; i < 64; i++) {
		union {
			char v4[CMSG_SPACE(sizeof(struct in_pktinfo)) + CMSG_SPACE(sizeof(uint32_t))];
			char v6[CMSG_SPACE(sizeof(struct in6_pktinfo)) + CMSG_SPACE(sizeof(uint32_t))];
		} cbuf;
		struct request_ctx rc = { .lst = l };
		struct iovec iov = { .iov_base = e->rx, .iov_len = RX_BUF_SIZE };
		struct msghdr mh = {
			.msg_name = &rc.peer, .msg_namelen = sizeof(rc.peer),
			.msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = &cbuf, .msg_controllen = sizeof(cbuf),
		};
		struct session *s;
		ssize_t n = recvmsg(l->fd, &mh, MSG_DONTWAIT);
		int op;

		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			continue;
		}
		rc.peer_len = mh.msg_namelen;
		/* default: the listener's own address (a specific -a) */
		rc.local = l->addr;
		for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
			if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SO_RXQ_OVFL) {
				uint32_t dropped;

				memcpy(&dropped, CMSG_DATA(cm), sizeof(dropped));
				listener_count_drops(e, l, dropped);
			} else if (cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_PKTINFO) {
				struct in_pktinfo pi;
				struct sockaddr_in *a = (struct sockaddr_in *)&rc.local;

				memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
				rc.ifindex = (unsigned int)pi.ipi_ifindex;
				/* the local address replies come from (= the
				 * destination for unicast; our address for a
				 * broadcast request) */
				a->sin_family = AF_INET;
				a->sin_addr = pi.ipi_spec_dst;
			} else if (cm->cmsg_level == IPPROTO_IPV6 && cm->cmsg_type == IPV6_PKTINFO) {
				struct in6_pktinfo pi;
				struct sockaddr_in6 *a = (struct sockaddr_in6 *)&rc.local;

				memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
				rc.ifindex = pi.ipi6_ifindex;
				a->sin6_family = AF_INET6;
				a->sin6_addr = pi.ipi6_addr;
				a->sin6_scope_id = IN6_IS_ADDR_LINKLOCAL(&pi.ipi6_addr) ? pi.ipi6_ifindex : 0;
			}
		}
		s = session_lookup(e, l, &rc.peer, &rc.link);
		op = tftp_opcode(e->rx, (size_t)n);
		if ((op == TFTP_RRQ || op == TFTP_WRQ) && l->family == AF_INET && e->lp &&
		    linkpath_covers(e->lp, rc.ifindex))
			continue; /* --mac-sessions: its packet socket took this one */
		if (op == TFTP_RRQ || op == TFTP_WRQ) {
			handle_request(e, &rc, e->rx, (size_t)n);
			continue;
		}
		if (s && !s->own_fd) {
			session_on_packet(s, e->rx, (size_t)n);
			continue;
		}
		if (op == TFTP_ERROR)
			continue; /* never answer an error with an error */
		if (op == TFTP_ACK || op == TFTP_DATA) {
			e->tot.wrong_tid++;
			send_error_via(l, -1, &rc.local, &rc.peer, rc.peer_len, TFTP_EBADID,
				       "unknown transfer ID");
		} else {
			/* junk (unknown opcode, OACK, < 2 bytes): error 4, the
			 * code RFC 1350 has for it; not counted as a wrong TID */
			send_error_via(l, -1, &rc.local, &rc.peer, rc.peer_len, TFTP_EBADOP,
				       "illegal TFTP operation");
		}
	}
}

/* ---- --mac-sessions: requests from the packet sockets (linkpath.h) ------------ */

/*
 * The address replies come from: the request's destination when it is one
 * of ours; for a broadcast, our first address on the ingress interface (as
 * IP_PKTINFO's spec_dst). 0, or -ENOENT for a frame meant for another host.
 */
static int link_local_addr(unsigned int ifindex, struct sockaddr_in *dst)
{
	struct ifaddrs *ifa_list = NULL;
	char ifname[IF_NAMESIZE] = "";
	int found = -ENOENT, bcast = dst->sin_addr.s_addr == htonl(INADDR_BROADCAST);
	struct in_addr first = { 0 };

	if (getifaddrs(&ifa_list) != 0)
		return -errno;
	if_indextoname(ifindex, ifname);
	for (struct ifaddrs *ifa = ifa_list; ifa && found; ifa = ifa->ifa_next) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)ifa->ifa_addr;
		const struct sockaddr_in *b = (const struct sockaddr_in *)ifa->ifa_broadaddr;

		if (!a || a->sin_family != AF_INET)
			continue;
		if (a->sin_addr.s_addr == dst->sin_addr.s_addr)
			found = 0;
		if (strcmp(ifa->ifa_name, ifname))
			continue;
		if (!first.s_addr)
			first = a->sin_addr;
		if ((ifa->ifa_flags & IFF_BROADCAST) && b && b->sin_family == AF_INET &&
		    b->sin_addr.s_addr == dst->sin_addr.s_addr)
			bcast = 1;
	}
	freeifaddrs(ifa_list);
	if (found && bcast && first.s_addr) {
		dst->sin_addr = first;
		found = 0;
	}
	return found;
}

/* The listener a request to local (address, port) belongs to, NULL if none. */
static struct listener *link_listener(struct engine *e, const struct sockaddr_in *local)
{
	for (unsigned int i = 0; i < e->n_lst; i++) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)&e->lst[i].addr;

		if (e->lst[i].family != AF_INET || a->sin_port != local->sin_port)
			continue;
		if (a->sin_addr.s_addr == htonl(INADDR_ANY) || a->sin_addr.s_addr == local->sin_addr.s_addr)
			return &e->lst[i];
	}
	return NULL;
}

static void link_on_readable(struct engine *e, struct linkpath_sock *ls)
{
	for (int i = 0; i < 64; i++) {
		struct request_ctx rc = { 0 };
		struct linkpath_rx rx;
		int err = linkpath_recv(ls, e->rx, RX_BUF_SIZE, &rx), op;

		if (err == -EAGAIN || err == -EWOULDBLOCK)
			return;
		if (err == -EINVAL)
			continue;       /* not a request for us */
		if (err) {
			log_debug("packet socket on %s: %s", ls->ifname, strerror(-err));
			return;
		}
		op = tftp_opcode(rx.payload, rx.len);
		/* the rest sent to the listening port (ACK to port 69, junk) also
		 * reaches the UDP listener, which answers it */
		if (op != TFTP_RRQ && op != TFTP_WRQ)
			continue;
		rc.lst = link_listener(e, &rx.local);
		if (!rc.lst)
			continue;
		if (link_local_addr(ls->ifindex, &rx.local) != 0) {
			/* an address that moved away? answering from another
			 * one would not reach the client's socket */
			if (rc.lst && rx.local.sin_addr.s_addr != htonl(INADDR_BROADCAST))
				log_debug("request to a foreign address on %s ignored", ls->ifname);
			continue;
		}
		memcpy(&rc.peer, &rx.peer, sizeof(rx.peer));
		rc.peer_len = sizeof(struct sockaddr_in);
		memcpy(&rc.local, &rx.local, sizeof(rx.local));
		rc.ifindex = ls->ifindex;
		rc.link = rx.link;
		handle_request(e, &rc, rx.payload, rx.len);
	}
}

static void listener_on_event(struct ev_source *src, uint32_t events)
{
	struct listener *l = ev_owner(src, struct listener, src);

	(void)events;
	listener_on_readable(l->e, l);
}

static void link_on_event(struct ev_source *src, uint32_t events)
{
	struct linkpath_sock *ls = ev_owner(src, struct linkpath_sock, src);

	(void)events;
	link_on_readable(ls->owner, ls);
}

int listener_open(struct engine *e, const struct sockaddr_storage *addr, socklen_t len,
			 int required)
{
	struct listener *l = &e->lst[e->n_lst];
	char name[INET6_ADDRSTRLEN + 10];
	int one = 1, rcvbuf = LISTENER_RCVBUF, fd, err;

	format_sockaddr(addr, name, sizeof(name));
	fd = socket(addr->ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		err = -errno;
		goto fail;
	}
	if (addr->ss_family == AF_INET6) {
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
		if (setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one)) != 0) {
			err = -errno;
			goto fail;
		}
	} else if (setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one)) != 0) {
		err = -errno;
		goto fail;
	}
	/* A bench of routers powered on together sends hundreds of requests
	 * within milliseconds: the default buffer (~200 queued datagrams)
	 * lost 122 of 320. Root may go past net.core.rmem_max. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) != 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)addr, len) != 0) {
		err = -errno;
		goto fail;
	}
	l->e = e;
	l->fd = fd;
	l->family = addr->ss_family;
	l->addr_len = sizeof(l->addr);
	getsockname(fd, (struct sockaddr *)&l->addr, &l->addr_len);
	err = ev_source_add(e->epfd, fd, EPOLLIN, &l->src, listener_on_event);
	if (err)
		goto fail;
	e->n_lst++;
	log_verbose("listening on %s", name);
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	if (required)
		log_err("cannot listen on %s: %s%s", name, strerror(-err),
			err == -EACCES ? " (port < 1024 needs root or CAP_NET_BIND_SERVICE)" :
			err == -EADDRINUSE ? " (another TFTP server runs? stop it or pass -a ADDR:PORT)" :
			err == -EADDRNOTAVAIL ? " (no such local address: check -a)" : "");
	else
		log_verbose("not listening on %s: %s", name, strerror(-err));
	return err;
}

/* --mac-sessions: a packet socket on each kernel-tier interface (the -i list,
 * or the defaults), filtering for the IPv4 listening ports. */
int engine_open_linkpath(struct engine *e)
{
	const struct xtftpd_options *o = e->opt;
	char names[XT_MAX_IFNAMES][IF_NAMESIZE];
	unsigned int ifindexes[LINK_MAX_IFACES], n_if = 0, n_ports = 0;
	uint16_t ports[LINK_MAX_PORTS];
	int err;

	for (unsigned int i = 0; i < e->n_lst; i++) {
		uint16_t p = ((const struct sockaddr_in *)&e->lst[i].addr)->sin_port;
		unsigned int j;

		if (e->lst[i].family != AF_INET)
			continue;
		for (j = 0; j < n_ports && ports[j] != p; j++)
			;
		if (j == n_ports && n_ports < LINK_MAX_PORTS)
			ports[n_ports++] = p;
	}
	if (o->n_ifnames) {
		for (unsigned int i = 0; i < o->n_ifnames && n_if < LINK_MAX_IFACES; i++) {
			unsigned int idx = if_nametoindex(o->ifnames[i]);

			if (!idx) {
				log_err("--mac-sessions: no interface %s; check -i", o->ifnames[i]);
				return -ENODEV;
			}
			ifindexes[n_if++] = idx;
		}
	} else {
		unsigned int n = default_ifnames(e, names, XT_MAX_IFNAMES);

		for (unsigned int i = 0; i < n && n_if < LINK_MAX_IFACES; i++)
			if ((ifindexes[n_if] = if_nametoindex(names[i])))
				n_if++;
	}
	if (!n_if || !n_ports) {
		log_err("--mac-sessions: %s; pass -i IFNAME and an IPv4 -a",
			!n_ports ? "no IPv4 listening address" : "no interface to listen on");
		return -EINVAL;
	}
	err = linkpath_open(ifindexes, n_if, ports, n_ports, &e->lp);
	if (err)
		return err;
	for (unsigned int i = 0; i < linkpath_count(e->lp); i++) {
		struct linkpath_sock *ls = linkpath_sock_at(e->lp, i);

		ls->owner = e;
		err = ev_source_add(e->epfd, ls->fd, EPOLLIN, &ls->src, link_on_event);
		if (err) {
			log_err("--mac-sessions: epoll: %s", strerror(-err));
			return err;
		}
		log_verbose("mac sessions: requests on %s through a packet socket", ls->ifname);
	}
	return 0;
}
