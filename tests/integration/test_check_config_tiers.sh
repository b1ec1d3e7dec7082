#!/usr/bin/env bash
# --check-config says, per interface, which tier will serve there and why,
# by loading and attaching for a moment (user/kern/tierprobe.c): on veth TC
# serves and XDP is left off (--xdp auto, the default), or only counts and
# passes (--xdp on: XDP_TX there needs NAPI on the peer); with --no-xdp TC
# alone; with --no-bpf userspace. Run beside a
# serving daemon on the same interface, the probe leaves the daemon's
# programs attached and its transfers served by the kernel. Without
# privilege it says it cannot probe. (The growth probe on a NIC that grows
# frames is in tests/vm: virtio-net.)
set -o errexit -o nounset -o pipefail
source "$(dirname "$0")/lib.sh"
xt_require_root
xt_require_daemon
xt_require_cmd atftp sha256sum setpriv
xt_rig_create
xt_make_file "$XT_ROOT/img" 1048576

check() { xt_srv "$XTFTPD" --check-config -s "$@" "$XT_ROOT" 2>&1; }

out=$(check -i "$XT_IF_SRV") || xt_fail "--check-config exited $? on veth: $out"
echo "$out" | sed 's/^/  /'
grep -q "^kernel tiers: the BPF programs load on kernel $(uname -r)$" <<<"$out" ||
	xt_fail "no line saying the programs load on this kernel"
grep -q "^interface $XT_IF_SRV (veth, MTU 1500): TC through a tcx link serves every DATA block; XDP not attached (veth: it could only pass frames, and slows the peer's sending; --xdp on attaches it)$" <<<"$out" ||
	xt_fail "veth: not reported as TC serving, XDP left off: $out"

out=$(check --xdp on -i "$XT_IF_SRV") || xt_fail "--check-config --xdp on exited $? on veth: $out"
grep -q "^interface $XT_IF_SRV (veth, MTU 1500): TC through a tcx link serves every DATA block; XDP native only counts and passes (veth: XDP_TX needs NAPI on the peer)$" <<<"$out" ||
	xt_fail "--xdp on, veth: not reported as TC serving, XDP passing: $out"

out=$(check --xdp sometimes -i "$XT_IF_SRV" || true)
grep -q "xdp.*sometimes.*expected auto, on or off" <<<"$out" ||
	xt_fail "--xdp sometimes: no one-line usage error: $out"

out=$(check --no-xdp -i "$XT_IF_SRV") || xt_fail "--check-config --no-xdp exited $?"
grep -q "^interface $XT_IF_SRV (veth, MTU 1500): TC through a tcx link serves every DATA block (XDP off by request)$" <<<"$out" ||
	xt_fail "--no-xdp: not reported as TC alone: $out"

out=$(check --no-bpf -i "$XT_IF_SRV") || xt_fail "--check-config --no-bpf exited $?"
grep -q '^kernel tiers: off by --no-bpf (userspace serves everything)$' <<<"$out" ||
	xt_fail "--no-bpf: not reported: $out"

out=$(check -i nosuch0 || true)
grep -q '^interface nosuch0: userspace serves: no such interface$' <<<"$out" ||
	xt_fail "a missing interface is not reported: $out"

out=$(xt_srv setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
	"$XTFTPD" --check-config -s -i "$XT_IF_SRV" "$XT_ROOT" 2>&1 || true)
grep -q '^kernel tiers: cannot probe without root or CAP_BPF' <<<"$out" ||
	xt_fail "unprivileged: no line saying it cannot probe: $out"

# Beside a serving daemon (XDP on, as lib.sh starts it): the probe must
# not take its programs away.
xt_server_start kernel
xt_require_kernel_tiers
before=$(bpftool net show dev "$XT_IF_SRV" 2>/dev/null | grep -c tc_tftp || true)
out=$(check --xdp on -i "$XT_IF_SRV") || xt_fail "--check-config beside a daemon exited $?"
echo "$out" | grep "^interface" | sed 's/^/  beside a daemon: /'
grep -q "^interface $XT_IF_SRV: cannot attach XDP: another XDP program is attached here (a running xtftpd?); remedy: stop it, or detach it with ip link set $XT_IF_SRV xdp off$" <<<"$out" ||
	xt_fail "beside a daemon: the XDP already attached is not named: $out"
grep -q "^interface $XT_IF_SRV (veth, MTU 1500): TC through a tcx link serves every DATA block; XDP not attached (above)$" <<<"$out" ||
	xt_fail "beside a daemon: no verdict for $XT_IF_SRV: $out"
xt_get atftp-1468 img "$XT_OUT/img" || xt_fail "download after the probe failed"
xt_check_file "$XT_OUT/img" "$XT_ROOT/img" "download after the probe"
xt_wait_idle
tc_blocks=$(xt_stat blocks_tc)
[ "$tc_blocks" -ge 700 ] || xt_fail "after the probe the kernel sent $tc_blocks of 715 blocks: the probe took the daemon's TC program away"
xt_server_stop
echo "check-config: veth (auto and --xdp on), --no-xdp, --no-bpf, no such interface, unprivileged and beside a daemon reported; the daemon kept serving ($tc_blocks blocks by TC after the probe)"
