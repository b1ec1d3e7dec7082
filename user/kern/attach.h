/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Attaching the XDP and TC programs to one interface, so that a killed
 * daemon leaves nothing behind: XDP through a bpf_link, TC through a tcx
 * link (kernel 6.6+), else a legacy clsact filter with a fixed handle and
 * priority of ours that the next start replaces and close removes.
 */
#ifndef XTFTP_ATTACH_H
#define XTFTP_ATTACH_H

#include <net/if.h>

/* Not in libbpf 1.1 nor Debian 12's uapi headers: kernel 6.6 uapi values. */
#ifndef BPF_TCX_INGRESS
#define XT_BPF_TCX_INGRESS 46
#define XT_BPF_TCX_EGRESS  47
#else
#define XT_BPF_TCX_INGRESS BPF_TCX_INGRESS
#define XT_BPF_TCX_EGRESS  BPF_TCX_EGRESS
#endif

/* Legacy clsact filter identity: "xt" and a priority no one else picks. */
#define XT_TC_HANDLE   0x7874u
#define XT_TC_PRIORITY 0x7874u

enum attach_xdp_mode {
	ATTACH_XDP_NONE = 0,
	ATTACH_XDP_GENERIC,
	ATTACH_XDP_NATIVE,
};

/* What the user asked of XDP (--xdp). */
enum attach_xdp_request {
	ATTACH_XDP_AUTO = 0,    /* where it can transmit DATA: native, generic if
				 * the driver refuses native; not on veth */
	ATTACH_XDP_ON,          /* also on veth (it only counts and passes there) */
	ATTACH_XDP_OFF,         /* TC only (--no-xdp) */
};

enum attach_tc_mode {
	ATTACH_TC_NONE = 0,
	ATTACH_TC_TCX,          /* link: detached when the daemon dies */
	ATTACH_TC_LEGACY,       /* clsact filter: removed on close / next start */
};

struct if_attach {
	char name[IF_NAMESIZE];
	unsigned int ifindex;
	unsigned int mtu;
	char driver[32];        /* ethtool driver name, "" if unknown */
	int xdp_link_fd;        /* -1: none */
	enum attach_xdp_mode xdp_mode;
	int xdp_may_tx;         /* XDP may answer ACKs with XDP_TX here (growth is
				 * learnt by the program: struct xdp_tx_iface) */
	int xdp_blind;          /* attached natively, but the driver's receive path
				 * never runs XDP (virtio-net big-packet mode) */
	int xdp_err;            /* why XDP is not attached (negative errno), 0;
				 * -ECANCELED: --xdp off, -EPROTONOSUPPORT:
				 * left off on veth by --xdp auto */
	int xdp_native_err;     /* why native XDP was refused (negative errno), 0 */
	char xdp_native_msg[160]; /* the driver's extack message for that, "" */
	int tc_link_fd;         /* tcx link, -1: none */
	enum attach_tc_mode tc_mode;
	int tc_hook_created;    /* we created the clsact qdisc (legacy only) */
	int tc_err;             /* why TC is not attached, 0 */
	int stale_removed;      /* a legacy filter of a previous run was removed */
	int resend_link_fd;     /* tc_resend's tcx link (egress), -1: none */
	enum attach_tc_mode resend_mode; /* how tc_resend is attached, NONE: not */
	int resend_err;         /* why not, 0 */
};

/*
 * Attach xdp_prog_fd (as xdp asks; none when < 0) and tc_prog_fd to ifname.
 * Returns 0 when at least TC is attached (XDP is best effort; ia->xdp_err
 * says why not), else a negative errno with nothing left attached.
 */
int attach_interface(struct if_attach *ia, const char *ifname, int xdp_prog_fd,
		     int tc_prog_fd, enum attach_xdp_request xdp);
/* After attach_interface: the timer-resend program (tc_resend) at TC
 * egress, the same way as TC ingress. 0, or a negative errno (also in
 * ia->resend_err): the daemon then resends from userspace here. */
int attach_resend(struct if_attach *ia, int prog_fd);
/* Detach what attach_interface and attach_resend attached. Safe to call twice. */
void detach_interface(struct if_attach *ia);
/* One line for the log: "XDP generic (counts and passes: TC serves DATA) + TC (tcx link)". */
void attach_describe(const struct if_attach *ia, char *buf, size_t len);
/* Why native XDP was refused, with the driver's words and the remedy; ""
 * when it was not. */
void attach_describe_refusal(const struct if_attach *ia, char *buf, size_t len);
const char *attach_xdp_remedy(const struct if_attach *ia);

/* Tests only: skip tcx and use the legacy clsact filter, as on kernels
 * before 6.6. */
extern int attach_force_legacy_tc;
/* --check-config: attach to see what works, beside a daemon that may be
 * running: no stale filter removal, a legacy filter identity of its own. */
extern int attach_probe_mode;

/* BPF_LINK_CREATE for BPF_TCX_INGRESS: a link fd, or a negative errno
 * (-EINVAL: kernel without tcx). */
int tcx_link_create(int prog_fd, unsigned int ifindex);
/* Remove the legacy clsact filters of ours (handle/priority above: tc_tftp
 * at ingress, tc_resend at egress) that are there. 1 if any was removed,
 * 0 if none, negative errno. */
int tc_legacy_remove_stale(unsigned int ifindex);
/* Silence libbpf's own messages (xtftpctl detach: "no clsact qdisc here"
 * is the usual answer, not news). */
void attach_quiet(void);

#endif
