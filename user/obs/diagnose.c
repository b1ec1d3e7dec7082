// SPDX-License-Identifier: GPL-2.0-or-later
/* Facts about clients and diagnoses of failed or stalled transfers (see diagnose.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/errqueue.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>
#include <netinet/icmp6.h>
#include "diagnose.h"
#include "report.h"

int diagnose_enable_recverr(int fd, int family)
{
	int one = 1, rc;

	if (family == AF_INET6)
		rc = setsockopt(fd, IPPROTO_IPV6, IPV6_RECVERR, &one, sizeof(one));
	else
		rc = setsockopt(fd, IPPROTO_IP, IP_RECVERR, &one, sizeof(one));
	return rc ? -errno : 0;
}

int diagnose_read_errqueue(int fd, struct transfer *t)
{
	int n_icmp = 0;

	/* bounded: a flood of errors must not hold the event loop */
	for (int i = 0; i < 32; i++) {
		char cbuf[512], data[64];
		struct iovec iov = { .iov_base = data, .iov_len = sizeof(data) };
		struct msghdr mh = {
			.msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
		};

		if (recvmsg(fd, &mh, MSG_ERRQUEUE | MSG_DONTWAIT) < 0)
			break;
		for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
			struct sock_extended_err ee;

			if (!((cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_RECVERR) ||
			      (cm->cmsg_level == IPPROTO_IPV6 && cm->cmsg_type == IPV6_RECVERR)))
				continue;
			memcpy(&ee, CMSG_DATA(cm), sizeof(ee));
			if (ee.ee_origin != SO_EE_ORIGIN_ICMP && ee.ee_origin != SO_EE_ORIGIN_ICMP6)
				continue;
			t->icmp_errors++;
			t->icmp_type = ee.ee_type;
			t->icmp_code = ee.ee_code;
			/* remember the family through the type space below */
			if (ee.ee_origin == SO_EE_ORIGIN_ICMP6)
				t->icmp_type |= 0x80;
			n_icmp++;
		}
	}
	return n_icmp;
}

int diagnose_neighbour(const struct sockaddr_storage *client, unsigned int ifindex,
		       char *mac, size_t len)
{
	struct {
		struct nlmsghdr nh;
		struct ndmsg nd;
		struct rtattr rta;
		uint8_t addr[16];
	} req;
	union {
		struct nlmsghdr nh;
		char buf[1024];
	} resp;
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	const void *addr;
	size_t alen;
	int fd, err = -ENOENT;
	ssize_t n;

	if (len)
		mac[0] = '\0';
	if (!ifindex)
		return -EINVAL;
	if (client->ss_family == AF_INET) {
		addr = &((const struct sockaddr_in *)client)->sin_addr;
		alen = 4;
	} else if (client->ss_family == AF_INET6) {
		addr = &((const struct sockaddr_in6 *)client)->sin6_addr;
		alen = 16;
	} else {
		return -EAFNOSUPPORT;
	}
	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = (uint32_t)NLMSG_LENGTH(sizeof(struct ndmsg) + RTA_LENGTH(alen));
	req.nh.nlmsg_type = RTM_GETNEIGH;
	req.nh.nlmsg_flags = NLM_F_REQUEST;
	req.nh.nlmsg_seq = 1;
	req.nd.ndm_family = (uint8_t)client->ss_family;
	req.nd.ndm_ifindex = (int)ifindex;
	req.rta.rta_type = NDA_DST;
	req.rta.rta_len = (unsigned short)RTA_LENGTH(alen);
	memcpy(req.addr, addr, alen);

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	if (sendto(fd, &req, req.nh.nlmsg_len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		err = -errno;
		goto cleanup;
	}
	/* one answer: RTM_NEWNEIGH or an error; the kernel answers at once */
	n = recv(fd, &resp, sizeof(resp), 0);
	if (n < 0) {
		err = -errno;
		goto cleanup;
	}
	for (struct nlmsghdr *nh = &resp.nh; NLMSG_OK(nh, (size_t)n); nh = NLMSG_NEXT(nh, n)) {
		struct ndmsg *nd;
		struct rtattr *rta;
		int rlen;

		if (nh->nlmsg_type == NLMSG_ERROR) {
			err = ((struct nlmsgerr *)NLMSG_DATA(nh))->error;
			break;
		}
		if (nh->nlmsg_type != RTM_NEWNEIGH)
			continue;
		nd = NLMSG_DATA(nh);
		rta = (struct rtattr *)((char *)nd + NLMSG_ALIGN(sizeof(*nd)));
		rlen = (int)(nh->nlmsg_len - NLMSG_LENGTH(sizeof(*nd)));
		if (nd->ndm_state & (NUD_FAILED | NUD_INCOMPLETE))
			break;
		for (; RTA_OK(rta, rlen); rta = RTA_NEXT(rta, rlen)) {
			const uint8_t *l = RTA_DATA(rta);

			if (rta->rta_type != NDA_LLADDR || RTA_PAYLOAD(rta) != 6)
				continue;
			snprintf(mac, len, "%02x:%02x:%02x:%02x:%02x:%02x",
				 l[0], l[1], l[2], l[3], l[4], l[5]);
			err = 0;
		}
		break;
	}
cleanup:
	close(fd);
	return err;
}

/* Port unreachable (v4 type 3 code 3, v6 type 1 code 4)? */
static int icmp_is_port_unreach(const struct transfer *t)
{
	if (t->icmp_type & 0x80)
		return (t->icmp_type & 0x7f) == ICMP6_DST_UNREACH && t->icmp_code == ICMP6_DST_UNREACH_NOPORT;
	return t->icmp_type == ICMP_DEST_UNREACH && t->icmp_code == ICMP_PORT_UNREACH;
}

static int icmp_is_host_unreach(const struct transfer *t)
{
	if (t->icmp_type & 0x80)
		return (t->icmp_type & 0x7f) == ICMP6_DST_UNREACH && t->icmp_code == ICMP6_DST_UNREACH_ADDR;
	return t->icmp_type == ICMP_DEST_UNREACH && t->icmp_code == ICMP_HOST_UNREACH;
}

static void where(const struct transfer *t, uint64_t block, char *buf, size_t len)
{
	int pm = report_permille(t);

	if (t->final_block)
		snprintf(buf, len, "block %" PRIu64 " of %" PRIu64 " (%d%%)", block, t->final_block,
			 pm < 0 ? 0 : pm / 10);
	else
		snprintf(buf, len, "block %" PRIu64, block);
}

void diagnose_transfer(const struct transfer *t, uint64_t stalled_ns, char *buf, size_t len)
{
	uint64_t block = t->stall_block ? t->stall_block : t->blocks + 1;
	char at[64];

	if (!len)
		return;
	buf[0] = '\0';
	if (t->outcome == XFER_DONE || (t->outcome == XFER_RUNNING && !stalled_ns))
		return;
	if (t->outcome == XFER_REFUSED) {
		snprintf(buf, len, "refused (TFTP error %u): %s", t->error_code, t->message);
		return;
	}
	if (t->outcome == XFER_UNCONFIRMED) {
		snprintf(buf, len, "delivered, unconfirmed: every block went out and all but the last "
			 "were acknowledged; the final ACK never came (lost, or the client left "
			 "without sending it again), so it ended after a bounded wait, not as a failure");
		return;
	}
	if (t->outcome == XFER_PROBE) {
		snprintf(buf, len, "a size probe, not a failure: the client asked for the options "
			 "(%s) and stopped; firmware (UEFI PXE, PXE ROMs) then asks again", t->options);
		return;
	}
	where(t, block, at, sizeof(at));
	if (t->icmp_errors && icmp_is_port_unreach(t)) {
		snprintf(buf, len, "ICMP port unreachable from the client (%u) at %s: its TFTP program "
			 "has gone (exited, rebooted, or restarted on a new port); check its console",
			 t->icmp_errors, at);
		return;
	}
	if (t->icmp_errors && icmp_is_host_unreach(t)) {
		snprintf(buf, len, "client unreachable (no ARP/ND answer, %u ICMP errors) at %s: "
			 "link down, cable unplugged, or the device rebooted", t->icmp_errors, at);
		return;
	}
	if (t->icmp_errors) {
		snprintf(buf, len, "%u ICMP error(s) about the client (type %u code %u) at %s",
			 t->icmp_errors, t->icmp_type & 0x7f, t->icmp_code, at);
		return;
	}
	if (t->restarted_by) {
		snprintf(buf, len, "the client started over (transfer %" PRIu64 ") after %s: typical of "
			 "a bootloader whose own timeout ran out; see that transfer's outcome",
			 t->restarted_by, at);
		return;
	}
	if (!t->is_write && t->final_block && block == t->final_block &&
	    (t->outcome == XFER_TIMEOUT || t->outcome == XFER_RUNNING)) {
		snprintf(buf, len, "stalled right after the last block: the device is probably "
			 "writing flash before it ACKs; it often completes anyway (raise --timeout or "
			 "--retries if it reports failure)");
		return;
	}
	if (t->outcome == XFER_RUNNING) {
		snprintf(buf, len, "no ACK for %.1f s at %s, resent %u time(s), no ICMP error: the "
			 "client is slow, lost the link, or gave up", (double)stalled_ns / 1e9, at,
			 t->retransmits);
		return;
	}
	if (t->outcome == XFER_TIMEOUT) {
		if (!t->is_write && t->blocks == 0 && t->options[0])
			snprintf(buf, len, "no ACK for our OACK (%s), no ICMP error: the client may "
				 "not accept it (U-Boot rejects a changed timeout or a larger blksize: "
				 "try -r OPTION or -B) or it never got it", t->options);
		else
			snprintf(buf, len, "the client stopped answering at %s; we resent %u time(s), no "
				 "ICMP error: it gave up or lost the link (cable, duplex: try forcing "
				 "10 Mbit half duplex), or a firewall drops our packets",
				 at, t->retransmits);
		return;
	}
	if (t->outcome == XFER_CLIENT_ERROR) {
		if (t->blocks == 0 && t->options[0])
			snprintf(buf, len, "the client refused our OACK (%s) with: %s; pass -r OPTION "
				 "to stop negotiating it, or -B to cap blksize", t->options, t->message);
		else if (t->retransmits == 0 && strcasestr(t->message, "timeout"))
			snprintf(buf, len, "the client timed out at %s although we resent nothing (every "
				 "ACK was answered): packets are lost on the path to the client or its "
				 "timeout is too short", at);
		else
			snprintf(buf, len, "the client gave up at %s: %s", at, t->message);
		return;
	}
	if (t->outcome == XFER_ABORTED && strstr(t->message, "restarted")) {
		snprintf(buf, len, "the client sent a new request from the same port at %s "
			 "(restart from block 1)", at);
		return;
	}
	snprintf(buf, len, "%s at %s", t->message[0] ? t->message : "aborted", at);
}
