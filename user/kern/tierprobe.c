// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * --check-config's kernel half (fastpath_probe, see fastpath.h): load the
 * programs the way the daemon does (fastpath_load_skel) and attach them for
 * a moment to each interface to say which tier will serve there and why.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/utsname.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "fastpath.h"
#include "attach.h"
#include "xtftp.skel.h"

/* Enough for the verifier's verdict (the kernel keeps the log's end). */
#define PROBE_LOG_SIZE (4u << 20)

/* How long the growth probe waits for a frame to arrive on an interface. */
#define PROBE_WAIT_MS 3000

static void probe_interface(struct xtftp_bpf *skel, struct if_attach *ia, const char *ifname,
			    enum attach_xdp_request xdp, FILE *out)
{
	int xdp_fd = bpf_program__fd(skel->progs.xdp_grow_probe);
	int tc_fd = bpf_program__fd(skel->progs.tc_tftp);
	int tx_fd = bpf_map__fd(skel->maps.XT_MAP_XDP_TX);
	char refusal[512], tc[160];
	struct xdp_tx_iface g = { 0 };
	__u32 key;
	int err, waited;

	err = attach_interface(ia, ifname, xdp == ATTACH_XDP_OFF ? -1 : xdp_fd, tc_fd, xdp);
	if (err) {
		fprintf(out, "interface %s: userspace serves: %s\n", ifname,
			ia->ifindex ? "cannot attach TC" : "no such interface");
		if (ia->ifindex)
			fprintf(out, "  (TC: %s)\n", strerror(-err));
		return;
	}
	snprintf(tc, sizeof(tc), "%s", ia->tc_mode == ATTACH_TC_TCX ? "TC through a tcx link" :
		 "TC through a clsact filter (no tcx links before 6.6)");
	attach_describe_refusal(ia, refusal, sizeof(refusal));
	if (refusal[0])
		fprintf(out, "interface %s: %s\n", ifname, refusal);
	if (ia->xdp_mode == ATTACH_XDP_NONE) {
		fprintf(out, "interface %s (%s, MTU %u): %s serves every DATA block%s\n", ifname,
			ia->driver[0] ? ia->driver : "?", ia->mtu, tc,
			xdp == ATTACH_XDP_OFF ? " (XDP off by request)" :
			ia->xdp_err == -EPROTONOSUPPORT ?
			"; XDP not attached (veth: it could only pass frames, and slows the "
			"peer's sending; --xdp on attaches it)" : "; XDP not attached (above)");
		goto detach;
	}
	if (ia->xdp_blind) {
		fprintf(out, "interface %s (%s, MTU %u): %s serves every DATA block; XDP native "
			"sees no frame here (above)\n", ifname, ia->driver, ia->mtu, tc);
		goto detach;
	}
	if (!ia->xdp_may_tx) {
		fprintf(out, "interface %s (%s, MTU %u): %s serves every DATA block; XDP %s only "
			"counts and passes (%s)\n", ifname, ia->driver[0] ? ia->driver : "?", ia->mtu,
			tc, ia->xdp_mode == ATTACH_XDP_NATIVE ? "native" : "generic",
			ia->xdp_mode == ATTACH_XDP_NATIVE ?
			"veth: XDP_TX needs NAPI on the peer" : "generic XDP works on skbs");
		goto detach;
	}
	/* Native XDP that may transmit: does the driver let a frame grow to a
	 * full DATA frame? Ask the probe program on a real received frame. */
	g.probe_len = 14 + (ia->mtu < XT_KERN_MAX_BLKSIZE + 32 ? ia->mtu : XT_KERN_MAX_BLKSIZE + 32);
	key = ia->ifindex;
	if (bpf_map_update_elem(tx_fd, &key, &g, BPF_ANY)) {
		fprintf(out, "interface %s: cannot set up the growth probe: %s\n", ifname,
			strerror(errno));
		goto detach;
	}
	for (waited = 0; waited < PROBE_WAIT_MS; waited += 20) {
		if (!bpf_map_lookup_elem(tx_fd, &key, &g) && (g.grow_ok_len || g.grow_fail_len))
			break;
		usleep(20000);
	}
	if (g.grow_ok_len)
		fprintf(out, "interface %s (%s, MTU %u): XDP native serves lock-step transfers "
			"(a received frame grew to %u bytes), %s serves windows\n", ifname,
			ia->driver[0] ? ia->driver : "?", ia->mtu, g.grow_ok_len, tc);
	else if (g.grow_fail_len)
		fprintf(out, "interface %s (%s, MTU %u): %s serves every DATA block: the driver "
			"cannot grow a received frame to %u bytes for XDP\n", ifname,
			ia->driver[0] ? ia->driver : "?", ia->mtu, tc, g.grow_fail_len);
	else
		fprintf(out, "interface %s (%s, MTU %u): XDP native + %s; no frame arrived in %d s "
			"to probe growth: the first ACK decides (frames that cannot grow go to TC)\n",
			ifname, ia->driver[0] ? ia->driver : "?", ia->mtu, tc, PROBE_WAIT_MS / 1000);
detach:
	detach_interface(ia);
	key = ia->ifindex;
	bpf_map_delete_elem(tx_fd, &key);
}

int fastpath_probe(const struct fastpath_config *cfg, FILE *out)
{
	struct xtftp_bpf *skel = NULL;
	struct if_attach ia;
	struct utsname un;
	char *vlog;
	unsigned int i;
	int err;

	if (uname(&un) != 0)
		snprintf(un.release, sizeof(un.release), "?");
	vlog = calloc(1, PROBE_LOG_SIZE);
	if (!vlog)
		return -ENOMEM;
	/* The smallest pool: this checks the programs, not the memory. */
	err = fastpath_load_skel(cfg->verbose, 1, vlog, PROBE_LOG_SIZE, &skel);
	if (err && !skel) {
		fprintf(out, "kernel tiers: userspace serves everything: cannot open the BPF "
			"object: %s\n", strerror(-err));
		goto cleanup;
	}
	if (err) {
		char verdict[200];

		if (err == -EPERM && !vlog[0]) {
			fprintf(out, "kernel tiers: cannot probe without root or CAP_BPF, "
				"CAP_NET_ADMIN, CAP_PERFMON (without them userspace serves "
				"everything)\n");
			err = 0;
			goto cleanup;
		}
		fastpath_load_verdict(vlog, verdict, sizeof(verdict));
		fprintf(out, "kernel tiers: userspace serves everything: the verifier of kernel %s "
			"rejected %s (%s)%s%s%s\n", un.release, fastpath_failed_prog(),
			strerror(-err), verdict[0] ? ": \"" : "", verdict, verdict[0] ? "\"" : "");
		goto cleanup;
	}
	fprintf(out, "kernel tiers: the BPF programs load on kernel %s\n", un.release);
	attach_probe_mode = 1;
	for (i = 0; i < cfg->n_ifnames; i++)
		probe_interface(skel, &ia, cfg->ifnames[i],
				(enum attach_xdp_request)cfg->xdp_request, out);
	attach_probe_mode = 0;
cleanup:
	free(vlog);
	xtftp_bpf__destroy(skel);
	return err;
}
