// SPDX-License-Identifier: GPL-2.0-or-later
/* Resends on the daemon's timer sent by the kernel; see resend.h. */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <sys/socket.h>
#include <bpf/bpf.h>
#include "resend.h"

#ifndef UDP_NO_CHECK6_TX
#define UDP_NO_CHECK6_TX 101
#endif

void resend_init(struct resend_sockets *rs)
{
	rs->fd4 = -1;
	rs->fd6 = -1;
}

void resend_close(struct resend_sockets *rs)
{
	if (rs->fd4 >= 0)
		close(rs->fd4);
	if (rs->fd6 >= 0)
		close(rs->fd6);
	resend_init(rs);
}

/* The request socket of a family: no UDP checksum, so the datagram is not
 * left for the NIC to complete (CHECKSUM_PARTIAL) after tc_resend has
 * written the DATA's full checksum into it. */
static int resend_socket_open(int v6)
{
	int fd, one = 1, err;

	fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	err = v6 ? setsockopt(fd, IPPROTO_UDP, UDP_NO_CHECK6_TX, &one, sizeof(one)) :
		   setsockopt(fd, SOL_SOCKET, SO_NO_CHECK, &one, sizeof(one));
	if (err) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

int resend_open(struct resend_sockets *rs)
{
	resend_close(rs);
	rs->fd4 = resend_socket_open(0);
	rs->fd6 = resend_socket_open(1);        /* none where IPv6 is off */
	if (rs->fd4 < 0 && rs->fd6 < 0)
		return rs->fd4;
	return 0;
}

/* One control message at cm; its space in the control buffer. */
static size_t put_cmsg(struct cmsghdr *cm, int level, int type, const void *data, size_t len)
{
	cm->cmsg_level = level;
	cm->cmsg_type = type;
	cm->cmsg_len = CMSG_LEN(len);
	memcpy(CMSG_DATA(cm), data, len);
	return CMSG_SPACE(len);
}

/* Send req to the client's address, port XT_RESEND_PORT, out of the
 * session's interface from its server address (IP_PKTINFO). */
static int resend_send(int fd, const struct xt_resend_req *req)
{
	const struct session_key *k = &req->key;
	union {
		char buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
		struct cmsghdr align;
	} ctl;
	struct sockaddr_storage to;
	struct iovec iov = { .iov_base = (void *)req, .iov_len = sizeof(*req) };
	struct msghdr msg = { .msg_name = &to, .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = ctl.buf };
	struct cmsghdr *cm;

	memset(&to, 0, sizeof(to));
	memset(&ctl, 0, sizeof(ctl));
	cm = (struct cmsghdr *)ctl.buf;
	if (k->family == XT_FAMILY_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&to;
		struct in_pktinfo pi = { .ipi_ifindex = (int)k->ifindex };

		sin->sin_family = AF_INET;
		sin->sin_port = htons(XT_RESEND_PORT);
		memcpy(&sin->sin_addr, k->client_addr, 4);
		memcpy(&pi.ipi_spec_dst, k->server_addr, 4);
		msg.msg_namelen = sizeof(*sin);
		msg.msg_controllen = put_cmsg(cm, IPPROTO_IP, IP_PKTINFO, &pi, sizeof(pi));
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&to;
		struct in6_pktinfo pi = { .ipi6_ifindex = k->ifindex };

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(XT_RESEND_PORT);
		memcpy(&sin6->sin6_addr, k->client_addr, 16);
		if (IN6_IS_ADDR_LINKLOCAL(&sin6->sin6_addr))
			sin6->sin6_scope_id = k->ifindex;
		memcpy(&pi.ipi6_addr, k->server_addr, 16);
		msg.msg_namelen = sizeof(*sin6);
		msg.msg_controllen = put_cmsg(cm, IPPROTO_IPV6, IPV6_PKTINFO, &pi, sizeof(pi));
	}
	return sendmsg(fd, &msg, 0) == (ssize_t)sizeof(*req) ? 0 : -errno;
}

int resend_via_kernel(struct resend_sockets *rs, int sessions_fd, const struct session_key *key,
		      uint32_t block)
{
	struct xt_resend_req req;
	struct session_value before, after;
	int fd, err;

	if (key->vlan_id)
		return -EOPNOTSUPP;     /* tc_resend serves untagged frames only */
	fd = key->family == XT_FAMILY_INET6 ? rs->fd6 : rs->fd4;
	if (fd < 0)
		return -EOPNOTSUPP;
	if (bpf_map_lookup_elem(sessions_fd, key, &before))
		return -ENOENT;
	memset(&req, 0, sizeof(req));
	req.magic = XT_RESEND_MAGIC;
	req.block = block;
	req.key = *key;
	err = resend_send(fd, &req);
	if (err)
		return err;
	/* TC egress ran inside sendmsg (the neighbour being resolved, as it
	 * is for a client in the middle of a transfer) */
	if (bpf_map_lookup_elem(sessions_fd, key, &after))
		return -ENOENT;
	if (after.timer_resends != before.timer_resends)
		return 0;
	/* refused: the client's ACK of it came meanwhile (nothing to send),
	 * or the session is not the kernel's to serve now (ours to send) */
	return (int32_t)(after.last_acked - block) >= 0 ? -EALREADY : -EAGAIN;
}
