// SPDX-License-Identifier: GPL-2.0-or-later
/* XDP and TC attachment for one interface; see attach.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <linux/bpf.h>
#include <linux/ethtool.h>
#include <linux/if_link.h>
#include <linux/sockios.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "attach.h"

#define XT_TC_PROG_NAME "tc_tftp"
#define XT_TC_RESEND_PROG_NAME "tc_resend"

int attach_force_legacy_tc;
int attach_probe_mode;

/* Our legacy clsact filter's identity; a probe (--check-config) uses its
 * own, so it never replaces nor removes a running daemon's filter. */
static __u32 tc_handle(void)
{
	return attach_probe_mode ? XT_TC_HANDLE + 1 : XT_TC_HANDLE;
}

static __u32 tc_priority(void)
{
	return attach_probe_mode ? XT_TC_PRIORITY + 1 : XT_TC_PRIORITY;
}

static int tcx_link_create_at(int prog_fd, unsigned int ifindex, __u32 attach_type)
{
	union bpf_attr attr;
	int fd;

	/* Kernel 6.6 layout: link_create.{prog_fd, target_ifindex,
	 * attach_type, flags} then a union whose tcx member is
	 * {relative_fd, expected_revision}; zero for "append, any revision".
	 * Debian's union bpf_attr has the same prefix and is zeroed here. */
	memset(&attr, 0, sizeof(attr));
	attr.link_create.prog_fd = (__u32)prog_fd;
	attr.link_create.target_ifindex = ifindex;
	attr.link_create.attach_type = attach_type;
	attr.link_create.flags = 0;
	fd = (int)syscall(__NR_bpf, BPF_LINK_CREATE, &attr, sizeof(attr));
	return fd < 0 ? -errno : fd;
}

int tcx_link_create(int prog_fd, unsigned int ifindex)
{
	return tcx_link_create_at(prog_fd, ifindex, XT_BPF_TCX_INGRESS);
}

/* Is prog_id a program called name (ours, from this or an earlier run)? */
static int prog_id_is_ours(__u32 prog_id, const char *name)
{
	struct bpf_prog_info info;
	__u32 len = sizeof(info);
	int fd, ours = 0;

	fd = bpf_prog_get_fd_by_id(prog_id);
	if (fd < 0)
		return 0;
	memset(&info, 0, sizeof(info));
	if (!bpf_obj_get_info_by_fd(fd, &info, &len))
		ours = !strcmp(info.name, name);
	close(fd);
	return ours;
}

/* Our legacy filter at one attach point, if a program called name holds
 * it: removed (1), none (0), or a negative errno. */
static int tc_legacy_remove_one(unsigned int ifindex, enum bpf_tc_attach_point where,
				const char *name)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = (int)ifindex, .attach_point = where);
	LIBBPF_OPTS(bpf_tc_opts, query, .handle = XT_TC_HANDLE, .priority = XT_TC_PRIORITY);
	LIBBPF_OPTS(bpf_tc_opts, del, .handle = XT_TC_HANDLE, .priority = XT_TC_PRIORITY);
	int err;

	err = bpf_tc_query(&hook, &query);
	if (err)
		return 0; /* no clsact qdisc or no filter with our handle */
	if (!prog_id_is_ours(query.prog_id, name))
		return 0; /* someone else's: not ours to remove */
	err = bpf_tc_detach(&hook, &del);
	return err ? err : 1;
}

int tc_legacy_remove_stale(unsigned int ifindex)
{
	int in = tc_legacy_remove_one(ifindex, BPF_TC_INGRESS, XT_TC_PROG_NAME);
	int out = tc_legacy_remove_one(ifindex, BPF_TC_EGRESS, XT_TC_RESEND_PROG_NAME);

	if (in < 0 || out < 0)
		return in < 0 ? in : out;
	return in || out;
}

static int tc_legacy_attach(struct if_attach *ia, int prog_fd)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = (int)ia->ifindex, .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .prog_fd = prog_fd, .handle = tc_handle(),
		    .priority = tc_priority(), .flags = attach_probe_mode ? 0 : BPF_TC_F_REPLACE);
	int err;

	err = bpf_tc_hook_create(&hook);
	if (err && err != -EEXIST)
		return err;
	ia->tc_hook_created = !err;
	err = bpf_tc_attach(&hook, &opts);
	if (err) {
		if (ia->tc_hook_created) {
			hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
			bpf_tc_hook_destroy(&hook);
			ia->tc_hook_created = 0;
		}
		return err;
	}
	ia->tc_mode = ATTACH_TC_LEGACY;
	return 0;
}

static void tc_legacy_detach(struct if_attach *ia)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = (int)ia->ifindex, .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = tc_handle(), .priority = tc_priority());

	bpf_tc_detach(&hook, &opts);
	if (ia->tc_hook_created) {
		/* Only a qdisc we created: others may have filters on theirs. */
		hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
		bpf_tc_hook_destroy(&hook);
		ia->tc_hook_created = 0;
	}
	ia->tc_mode = ATTACH_TC_NONE;
}

int attach_resend(struct if_attach *ia, int prog_fd)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = (int)ia->ifindex, .attach_point = BPF_TC_EGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .prog_fd = prog_fd, .handle = tc_handle(),
		    .priority = tc_priority(), .flags = attach_probe_mode ? 0 : BPF_TC_F_REPLACE);
	int fd, err;

	/* the same way as the ingress program: a tcx link, else a filter on
	 * the clsact qdisc that one put there (or found) */
	if (ia->tc_mode == ATTACH_TC_TCX) {
		fd = tcx_link_create_at(prog_fd, ia->ifindex, XT_BPF_TCX_EGRESS);
		if (fd < 0)
			return ia->resend_err = fd;
		ia->resend_link_fd = fd;
		ia->resend_mode = ATTACH_TC_TCX;
		return 0;
	}
	if (ia->tc_mode != ATTACH_TC_LEGACY)
		return ia->resend_err = -ENOENT;
	err = bpf_tc_attach(&hook, &opts);
	if (err)
		return ia->resend_err = err;
	ia->resend_mode = ATTACH_TC_LEGACY;
	return 0;
}

static void detach_resend(struct if_attach *ia)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = (int)ia->ifindex, .attach_point = BPF_TC_EGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = tc_handle(), .priority = tc_priority());

	if (ia->resend_link_fd >= 0)
		close(ia->resend_link_fd);
	ia->resend_link_fd = -1;
	if (ia->resend_mode == ATTACH_TC_LEGACY)
		bpf_tc_detach(&hook, &opts);
	ia->resend_mode = ATTACH_TC_NONE;
}

static int xdp_link_create(int prog_fd, unsigned int ifindex, __u32 mode)
{
	LIBBPF_OPTS(bpf_link_create_opts, opts, .flags = mode);
	int fd;

	fd = bpf_link_create(prog_fd, (int)ifindex, BPF_XDP, &opts);
	return fd < 0 ? -errno : fd;
}

/* Interface facts: MTU and driver name (ethtool), best effort. */
static void query_interface(struct if_attach *ia)
{
	struct ethtool_drvinfo drv = { .cmd = ETHTOOL_GDRVINFO };
	struct ifreq ifr;
	int sock;

	ia->mtu = 1500;
	sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sock < 0)
		return;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ia->name);
	if (!ioctl(sock, SIOCGIFMTU, &ifr) && ifr.ifr_mtu > 0)
		ia->mtu = (unsigned int)ifr.ifr_mtu;
	ifr.ifr_data = (void *)&drv;
	if (!ioctl(sock, SIOCETHTOOL, &ifr))
		snprintf(ia->driver, sizeof(ia->driver), "%s", drv.driver);
	close(sock);
}

/*
 * virtio-net with small receive buffers (no VIRTIO_NET_F_MRG_RXBUF, bit 15)
 * while the host offers guest TSO/ECN/UFO (bits 7-10) runs in "big packets"
 * mode, whose receive path never runs XDP (seen on Debian's 6.1 and 6.12:
 * the program attaches and sees no frame). Read from the negotiated
 * features in sysfs, a string of '0'/'1' indexed by feature bit.
 */
static int virtio_big_packets(const struct if_attach *ia)
{
	char path[96], feat[72] = "";
	FILE *f;
	int i, tso = 0;

	if (strcmp(ia->driver, "virtio_net"))
		return 0;
	snprintf(path, sizeof(path), "/sys/class/net/%s/device/features", ia->name);
	f = fopen(path, "re");
	if (!f)
		return 0;
	if (!fgets(feat, sizeof(feat), f))
		feat[0] = '\0';
	fclose(f);
	if (strlen(feat) < 16 || feat[15] == '1')
		return 0;
	for (i = 7; i <= 10; i++)
		tso |= feat[i] == '1';
	return tso;
}

/*
 * May XDP transmit here? Where XDP runs natively and XDP_TX is delivered.
 * Not generic XDP (skbs: no gain over TC) and not veth, whose XDP_TX frames
 * are lost unless the peer runs NAPI, which cannot be known from this end.
 * Whether the driver's buffers let an ACK grow into a DATA frame is not
 * guessed from its name: the XDP program learns it on the first frames
 * (struct xdp_tx_iface) and passes what cannot grow to TC.
 */
static int xdp_may_transmit(const struct if_attach *ia)
{
	return ia->xdp_mode == ATTACH_XDP_NATIVE && strcmp(ia->driver, "veth") != 0 &&
	       !ia->xdp_blind;
}

/* libbpf's netlink attach reports the driver's extack as a message; the
 * link attach returns only an errno. Captured here for the one-line
 * report of why native XDP was refused. */
static char xdp_extack[sizeof(((struct if_attach *)0)->xdp_native_msg)];

static int capture_extack(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char line[256];
	const char *p;

	(void)level;
	vsnprintf(line, sizeof(line), fmt, ap);
	p = strstr(line, "Kernel error message: ");
	if (p) {
		snprintf(xdp_extack, sizeof(xdp_extack), "%s", p + 22);
		xdp_extack[strcspn(xdp_extack, "\n")] = '\0';
	}
	return 0;
}

/* Why the driver refused native XDP, in its own words: the same attach
 * through netlink, which carries the extack message (undone if it works). */
static void xdp_native_refusal(struct if_attach *ia, int prog_fd)
{
	libbpf_print_fn_t old;
	int err;

	xdp_extack[0] = '\0';
	old = libbpf_set_print(capture_extack);
	err = bpf_xdp_attach((int)ia->ifindex, prog_fd,
			     XDP_FLAGS_DRV_MODE | XDP_FLAGS_UPDATE_IF_NOEXIST, NULL);
	libbpf_set_print(old);
	if (!err)
		bpf_xdp_detach((int)ia->ifindex, XDP_FLAGS_DRV_MODE, NULL);
	/* NL_SET_ERR_MSG_MOD prefixes the module's name: we name the driver */
	{
		size_t dl = strlen(ia->driver);
		const char *m = xdp_extack;

		if (dl && !strncmp(m, ia->driver, dl) && m[dl] == ':' && m[dl + 1] == ' ')
			m += dl + 2;
		snprintf(ia->xdp_native_msg, sizeof(ia->xdp_native_msg), "%s", m);
	}
}

const char *attach_xdp_remedy(const struct if_attach *ia)
{
	const char *m = ia->xdp_native_msg;

	if (strstr(m, "GRO_HW/CSUM"))
		return "the hypervisor must let the guest switch its offloads off: QEMU "
		       "virtio-net-pci with ctrl_guest_offloads=on (the default), or with "
		       "guest_csum=off,guest_tso4=off,guest_tso6=off,guest_ecn=off,guest_ufo=off";
	if (strstr(m, "MTU too large"))
		return "lower the MTU (ip link set IFACE mtu 1500)";
	if (strstr(m, "any_header_sg") || strstr(m, "single page"))
		return "a virtio-net device with any_header_sg (QEMU 2.x or later)";
	if (strstr(m, "queues") || strstr(m, "channels"))
		return "give the NIC more queues than CPUs (ethtool -L IFACE combined N)";
	if (ia->xdp_err == -EOPNOTSUPP)
		return "a driver with native XDP support";
	return "see the driver's message";
}

int attach_interface(struct if_attach *ia, const char *ifname, int xdp_prog_fd,
		     int tc_prog_fd, enum attach_xdp_request xdp)
{
	int err, fd;

	memset(ia, 0, sizeof(*ia));
	ia->xdp_link_fd = -1;
	ia->tc_link_fd = -1;
	ia->resend_link_fd = -1;
	snprintf(ia->name, sizeof(ia->name), "%s", ifname);
	ia->ifindex = if_nametoindex(ifname);
	if (!ia->ifindex) {
		err = -errno;
		ia->tc_err = err;
		return err;
	}
	query_interface(ia);

	/* A filter left by a daemon that was killed while on legacy TC. */
	if (!attach_probe_mode)
		ia->stale_removed = tc_legacy_remove_stale(ia->ifindex) > 0;

	fd = attach_force_legacy_tc ? -EOPNOTSUPP : tcx_link_create(tc_prog_fd, ia->ifindex);
	if (fd >= 0) {
		ia->tc_link_fd = fd;
		ia->tc_mode = ATTACH_TC_TCX;
	} else {
		err = tc_legacy_attach(ia, tc_prog_fd);
		if (err) {
			ia->tc_err = err;
			return err;
		}
	}

	if (xdp == ATTACH_XDP_OFF || xdp_prog_fd < 0) {
		ia->xdp_err = xdp == ATTACH_XDP_OFF ? -ECANCELED : -ENOENT;
		return 0;
	}
	/* On veth XDP may not transmit (xdp_may_transmit): it would only
	 * count and pass, and a veth with XDP attached takes its peer's
	 * frames through NAPI on the sending CPU. Measured (make bench, 3
	 * runs): 64 clients 58-60 MB/s with XDP+TC against 65-68 with TC
	 * alone, 128 flashes 46.1 s against 40.6 s. */
	if (xdp == ATTACH_XDP_AUTO && !strcmp(ia->driver, "veth")) {
		ia->xdp_err = -EPROTONOSUPPORT;
		return 0;
	}
	fd = xdp_link_create(xdp_prog_fd, ia->ifindex, XDP_FLAGS_DRV_MODE);
	if (fd >= 0) {
		ia->xdp_mode = ATTACH_XDP_NATIVE;
	} else if (fd == -EEXIST || fd == -EBUSY) {
		/* another XDP program holds the interface: generic mode would
		 * be refused too, and the driver has nothing to say */
		ia->xdp_native_err = fd;
		ia->xdp_err = fd;
	} else {
		ia->xdp_native_err = fd;
		xdp_native_refusal(ia, xdp_prog_fd);
		fd = xdp_link_create(xdp_prog_fd, ia->ifindex, XDP_FLAGS_SKB_MODE);
		if (fd >= 0)
			ia->xdp_mode = ATTACH_XDP_GENERIC;
		else
			ia->xdp_err = fd;
	}
	if (fd >= 0)
		ia->xdp_link_fd = fd;
	ia->xdp_blind = ia->xdp_mode == ATTACH_XDP_NATIVE && virtio_big_packets(ia);
	ia->xdp_may_tx = xdp_may_transmit(ia);
	return 0;
}

void detach_interface(struct if_attach *ia)
{
	/* Closing a link fd detaches it (links are never pinned). */
	if (ia->xdp_link_fd >= 0)
		close(ia->xdp_link_fd);
	ia->xdp_link_fd = -1;
	ia->xdp_mode = ATTACH_XDP_NONE;
	detach_resend(ia);      /* before a clsact qdisc of ours goes */
	if (ia->tc_link_fd >= 0)
		close(ia->tc_link_fd);
	ia->tc_link_fd = -1;
	if (ia->tc_mode == ATTACH_TC_LEGACY)
		tc_legacy_detach(ia);
	ia->tc_mode = ATTACH_TC_NONE;
}

void attach_describe(const struct if_attach *ia, char *buf, size_t len)
{
	const char *tc = ia->tc_mode == ATTACH_TC_TCX ? "TC (tcx link)" :
			 ia->tc_mode == ATTACH_TC_LEGACY ?
			 "TC (clsact filter: this kernel has no tcx links (6.6+); removed at exit, "
			 "or at the next start if killed)" : "no TC";
	const char *mode = ia->xdp_mode == ATTACH_XDP_NATIVE ? "native" : "generic";

	if (ia->xdp_mode == ATTACH_XDP_NONE) {
		if (ia->xdp_err == -ECANCELED)
			snprintf(buf, len, "%s (XDP off by request)", tc);
		else if (ia->xdp_err == -EPROTONOSUPPORT)
			snprintf(buf, len, "%s (XDP not attached: on veth it could only pass "
				 "frames, and slows the peer's sending; --xdp on attaches it)", tc);
		else
			snprintf(buf, len, "%s (XDP not attached: %s)", tc, strerror(-ia->xdp_err));
	} else if (ia->xdp_blind) {
		snprintf(buf, len, "XDP native (sees no frame here: TC serves DATA) + %s", tc);
	} else if (!ia->xdp_may_tx) {
		snprintf(buf, len, "XDP %s (counts and passes: TC serves DATA%s) + %s", mode,
			 ia->xdp_mode == ATTACH_XDP_NATIVE ? ", XDP_TX on veth needs NAPI on the peer" :
			 "", tc);
	} else {
		snprintf(buf, len, "XDP %s (transmits where the driver lets frames grow; TC "
			 "serves the rest) + %s", mode, tc);
	}
}

void attach_describe_refusal(const struct if_attach *ia, char *buf, size_t len)
{
	buf[0] = '\0';
	if (ia->xdp_blind) {
		snprintf(buf, len, "virtio-net in big-packet mode (small receive buffers while the "
			 "host offers guest TSO): its receive path never runs XDP; remedy: QEMU "
			 "virtio-net-pci with mrg_rxbuf=on (the default), or with guest_tso4=off,"
			 "guest_tso6=off,guest_ecn=off,guest_ufo=off");
		return;
	}
	if (!ia->xdp_native_err || ia->xdp_mode == ATTACH_XDP_NATIVE)
		return;
	if (ia->xdp_native_err == -EEXIST || ia->xdp_native_err == -EBUSY) {
		snprintf(buf, len, "cannot attach XDP: another XDP program is attached here (a "
			 "running xtftpd?); remedy: stop it, or detach it with ip link set %s "
			 "xdp off", ia->name);
		return;
	}
	snprintf(buf, len, "cannot attach XDP natively (%s%s%s%s); remedy: %s",
		 ia->driver[0] ? ia->driver : "driver",
		 ia->xdp_native_msg[0] ? " says \"" : ": ",
		 ia->xdp_native_msg[0] ? ia->xdp_native_msg : strerror(-ia->xdp_native_err),
		 ia->xdp_native_msg[0] ? "\"" : "", attach_xdp_remedy(ia));
}

void attach_quiet(void)
{
	libbpf_set_print(NULL);
}
