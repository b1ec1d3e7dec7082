#!/usr/bin/env bash
# The kernel tiers on a Debian kernel under QEMU, with a virtio-net NIC: the
# daemon runs in the guest, real clients on the host side of the tap.
#
# Usage: tests/vm/kernel_suite.sh FLAVOUR   (6.1 = Debian 12's, 6.12)
#
# Checks, per kernel: the BPF object loads (bpf_active 1, no fallback), XDP
# attaches natively and may transmit; every download (tftp-hpa, atftp
# lock-step 512 and 1468, atftp windowsize 8, curl, busybox; edge sizes and
# a 2 MiB image) matches the source by sha256; every lock-step transfer of
# more than one block was served >= 99 % by XDP, every windowed one by the
# kernel tiers with TC sending its windows; nothing was retransmitted. Then
# the per-ACK run time of both programs (bpf_stats_enabled), printed.
# The summary line gives XDP's, TC's and userspace's block counts.
set -o errexit -o nounset -o pipefail
FLAVOUR=${1:?usage: kernel_suite.sh 6.1|6.12}
source "$(dirname "$0")/lib.sh"
xtvm_require "$FLAVOUR"
xt_require_cmd tftp atftp curl sha256sum

SIZES=(0 1 511 512 513 1468 1469 2097152)
for s in "${SIZES[@]}"; do
	xt_make_file "$XT_ROOT/f$s" "$s"
done
xtvm_boot "${XTVM_NIC_OPTS:-}"

# --check-config probes before serving: the programs load, and a frame the
# NIC receives (the host pings meanwhile) grows to a full DATA frame.
xtvm_check_config() {
	local pinger rc=0
	xt_cli ping -q -c 2000 -i 0.05 "$XTVM_GUEST4" >/dev/null 2>&1 &
	pinger=$!
	xtvm_run 60 'xtftpd --check-config -s -i eth0 /srv/tftp 2>&1' > "$XT_TMP/check.txt" || rc=$?
	kill "$pinger" 2>/dev/null || true
	wait "$pinger" 2>/dev/null || true
	sed 's/^/  check-config: /' "$XT_TMP/check.txt"
	[ "$rc" -eq 0 ] || xt_fail "kernel $FLAVOUR: --check-config exited $rc"
}
xtvm_check_config
grep -q "kernel tiers: the BPF programs load on kernel $(xtvm_run 5 'uname -r')" "$XT_TMP/check.txt" ||
	xt_fail "kernel $FLAVOUR: --check-config does not say the programs load"
grep -q 'interface eth0 (virtio_net, MTU 1500): XDP native serves lock-step transfers (a received frame grew to 1514 bytes)' "$XT_TMP/check.txt" ||
	xt_fail "kernel $FLAVOUR: --check-config did not find XDP growth on virtio-net"

xtvm_daemon_start --event-log /tmp/events.jsonl

status=$(xtvm_ctl status) || xt_fail "xtftpctl status failed in the guest"
echo "$status" | sed 's/^/  status: /'
[ "$(xtvm_stat bpf_active)" = 1 ] || {
	xtvm_run 5 'cat /tmp/xtftpd.log; tail -n 5 /tmp/verifier.log 2>/dev/null'
	xt_fail "kernel $FLAVOUR: the kernel tiers are not active (bpf_active != 1)"
}
log=$(xtvm_run 5 'cat /tmp/xtftpd.log')
echo "$log" | sed 's/^/  daemon: /'
grep -q 'eth0: XDP native' <<<"$log" ||
	xt_fail "kernel $FLAVOUR: XDP is not attached natively on virtio-net"
grep -q 'eth0: XDP native (transmits' <<<"$log" ||
	xt_fail "kernel $FLAVOUR: XDP may not transmit on virtio-net"

VARIANTS=(hpa atftp-plain atftp-1468 atftp curl busybox)
n=0
for v in "${VARIANTS[@]}"; do
	for s in "${SIZES[@]}"; do
		# curl cannot fetch an empty file with tsize (tests/integration/lib.sh)
		[ "$s" -eq 0 ] && [ "$v" = curl ] && continue
		out="$XT_OUT/$v-$s"
		rc=0
		xt_get "$v" "f$s" "$out" "$XTVM_GUEST4" || rc=$?
		[ "$rc" -eq 0 ] || xt_fail "$v f$s: client exit $rc: $(tail -n 3 "$XT_TMP/client.log")"
		[ "$v" = hpa ] && xt_client_said_error &&
			xt_fail "$v f$s: client reported: $(tail -n 3 "$XT_TMP/client.log")"
		xt_check_file "$out" "$XT_ROOT/f$s" "$v f$s"
		rm -f "$out"
		n=$((n + 1))
	done
done
xt_wait_until 30 "sessions_active 0 in the guest" \
	bash -c "[ \"\$(\"$XTVM_DIR/vmctl.py\" \"$XTVM_SOCK\" 10 'xtftpctl -S $XTVM_GUEST_CTL stats' | awk '\$1 == \"sessions_active\" { print \$2 }')\" = 0 ]"

# Per transfer: which tier sent its blocks.
xtvm_run 10 'cat /tmp/events.jsonl' > "$XT_TMP/events.jsonl"
python3 - "$XT_TMP/events.jsonl" "$n" <<'PY' || xt_fail "kernel $FLAVOUR: per-transfer tier check failed"
import json, sys
path, want = sys.argv[1], int(sys.argv[2])
done = [e for e in map(json.loads, open(path)) if e.get("event") == "done"]
bad = []
for e in done:
    blocks = e["blocks_user"] + e["blocks_xdp"] + e["blocks_tc"]
    kern = e["blocks_xdp"] + e["blocks_tc"]
    what = f'{e.get("file", "?")} blksize {e["blksize"]} window {e["windowsize"]}: ' \
           f'xdp {e["blocks_xdp"]} tc {e["blocks_tc"]} user {e["blocks_user"]} ' \
           f'retransmits {e["retransmits"]}'
    # Userspace sends the first DATA (or answers the OACK's ACK 0), so a
    # one-block transfer is all userspace by design; from two blocks on the
    # kernel serves all but that first block.
    if blocks >= 2:
        if e["windowsize"] <= 1 and e["blocks_xdp"] * 100 < (blocks - 1) * 99:
            bad.append("lock-step not served by XDP: " + what)
        if e["windowsize"] > 1 and (kern * 100 < (blocks - 1) * 99 or e["blocks_tc"] == 0):
            bad.append("window not served by TC: " + what)
    if e["retransmits"]:
        bad.append("retransmitted on a lossless link: " + what)
if len(done) < want:
    bad.append(f"{len(done)} transfers recorded done, {want} completed")
lock = [e for e in done if e["windowsize"] <= 1]
win = [e for e in done if e["windowsize"] > 1]
print(f"  {len(done)} transfers: {len(lock)} lock-step (xdp {sum(e['blocks_xdp'] for e in lock)}, "
      f"tc {sum(e['blocks_tc'] for e in lock)}, user {sum(e['blocks_user'] for e in lock)} blocks), "
      f"{len(win)} windowed (xdp {sum(e['blocks_xdp'] for e in win)}, "
      f"tc {sum(e['blocks_tc'] for e in win)}, user {sum(e['blocks_user'] for e in win)} blocks)")
for b in bad:
    print("  " + b)
sys.exit(1 if bad else 0)
PY

xdp=$(xtvm_stat blocks_xdp) tc=$(xtvm_stat blocks_tc) user=$(xtvm_stat blocks_user)
# What the XDP program learnt on the real frames: growth to a full frame.
tiers=$(xtvm_ctl status | grep '^interfaces:') || xt_fail "no interfaces line in status"
echo "  $tiers"
grep -q 'eth0: XDP native + TC (XDP grew frames to 1514 bytes)' <<<"$tiers" ||
	xt_fail "kernel $FLAVOUR: status does not say XDP grew frames to 1514 bytes on virtio-net"
# Per-ACK run time of both programs, from the daemon's program fds'
# fdinfo (bpf_stats_enabled is on in the guest's /init). One line: the
# command channel takes one command per line.
progs_cmd='for f in /proc/$(pidof xtftpd)/fdinfo/*; do t=$(sed -n "s/^prog_type:[[:space:]]*//p" $f); [ -n "$t" ] && echo "$t $(sed -n "s/^run_time_ns:[[:space:]]*//p" $f) $(sed -n "s/^run_cnt:[[:space:]]*//p" $f)"; done; true'
runtime=$(xtvm_run 10 "$progs_cmd") || xt_fail "cannot read the programs' run time in the guest"
per_ack() { awk -v t="$1" '$1 == t && $3 > 0 { printf "%.0f ns/run over %d runs", $2 / $3, $3; f = 1 } END { if (!f) print "no runs" }' <<<"$runtime"; }
xdp_ack=$(per_ack 6)
xtvm_daemon_stop

# The same lock-step downloads with TC alone (--no-xdp), to set the two
# programs' per-ACK cost side by side.
xtvm_run 5 'rm -f /tmp/events.jsonl'
xtvm_daemon_start --no-xdp
for v in atftp-plain atftp-1468; do
	out="$XT_OUT/$v-tc"
	xt_get "$v" f2097152 "$out" "$XTVM_GUEST4" || xt_fail "$v f2097152 (TC only): client failed"
	xt_check_file "$out" "$XT_ROOT/f2097152" "$v f2097152 (TC only)"
	n=$((n + 1))
done
runtime=$(xtvm_run 10 "$progs_cmd") || xt_fail "cannot read the programs' run time in the guest"
tc_ack=$(per_ack 3)
tc_only=$(xtvm_stat blocks_tc)
[ "$tc_only" -ge 2800 ] || xt_fail "--no-xdp: TC sent $tc_only blocks of two 2 MiB lock-step downloads"
xtvm_daemon_stop
echo "per-ACK run time under TCG (lock-step): XDP $xdp_ack; TC $tc_ack"

# The timer's resends from the pool (tc_resend at TC egress: a clsact
# filter on 6.1, a tcx link from 6.6): four blocks dropped at their first
# sending by fault injection are resent by the daemon's timer, whose
# request leaves through virtio-net's egress (no checksum offload left to
# the NIC: tc_resend writes the DATA's) and comes out as the block. The
# download is byte-exact, the four resends were the kernel's, and
# userspace sent no block but the first. (A request tc_resend refused is
# printed, not failed: under TCG a late timer may ask for a block whose
# ACK is on its way, and the kernel, which sees that ACK first, sends
# nothing.)
xtvm_daemon_start --inject drop:blocks=3,7,100,1000
xt_get atftp-1468 f2097152 "$XT_OUT/resend" "$XTVM_GUEST4" || xt_fail "atftp-1468 with 4 blocks dropped: client failed"
xt_check_file "$XT_OUT/resend" "$XT_ROOT/f2097152" "atftp-1468 with 4 blocks dropped"
n=$((n + 1))
timer_k=$(xtvm_stat kernel_timer_resends) refused=$(xtvm_stat kernel_resend_refused)
user_resend=$(xtvm_stat blocks_user) drops=$(xtvm_stat inject_drop)
[ "$drops" = 4 ] || xt_fail "kernel $FLAVOUR: $drops blocks dropped by injection, want 4"
[ "$timer_k" -ge 4 ] || xt_fail "kernel $FLAVOUR: $timer_k timer resends through TC egress, want >= 4"
[ "$user_resend" -le 1 ] || xt_fail "kernel $FLAVOUR: userspace sent $user_resend blocks (resends not the kernel's?)"
xtvm_daemon_stop
echo "timer resends: $timer_k through TC egress for 4 dropped blocks ($refused refused at egress), userspace $user_resend block(s)"

# Nothing stays attached on a kernel without tcx links (6.1: the TC tier is
# a clsact filter): a daemon that dropped to another user (-u) still
# removes its filter at SIGTERM; after a SIGKILL the filter stays, and the
# next start removes it and puts its own.
if [[ $(xtvm_run 5 'uname -r') == 6.1.* ]]; then
	# LeakSanitizer cannot read /proc/PID/task of a process that changed
	# its uid (it is no longer dumpable): no leak check for the -u runs;
	# every other run of the daemon has it.
	export XTVM_DAEMON_ENV="ASAN_OPTIONS=detect_leaks=0"
	xtvm_daemon_start -u nobody
	xtvm_daemon_stop
	left=$(xtvm_run 10 'xtftpctl detach eth0') || xt_fail "xtftpctl detach failed in the guest"
	[ "$left" = "nothing of xtftpd's attached" ] ||
		xt_fail "-u nobody, SIGTERM: the TC filter stayed ($left)"
	xtvm_daemon_start -u nobody
	xtvm_run 5 'kill -KILL $(pidof xtftpd)' >/dev/null
	xt_wait_until 10 "the killed daemon's exit" xtvm_run 5 'test -e /tmp/xtftpd.rc'
	unset XTVM_DAEMON_ENV
	xtvm_daemon_start
	xtvm_run 5 'cat /tmp/xtftpd.log' | grep -q 'eth0: .*(removed a TC filter left by an earlier run)' ||
		xt_fail "after SIGKILL the restart did not remove the filter left behind"
	xtvm_daemon_stop
	left=$(xtvm_run 10 'xtftpctl detach eth0')
	[ "$left" = "nothing of xtftpd's attached" ] || xt_fail "after the restart and SIGTERM: $left"
	echo "clsact filter (6.1): -u nobody + SIGTERM leaves nothing; SIGKILL, restart removes the stale one"
fi

# nic_case DESC NIC_OPTS STAT: boot again with these virtio-net options,
# start the daemon, download the 2 MiB image lock-step at 1468 and check
# that STAT (blocks_xdp or blocks_tc) sent at least 99 % of its 1429 blocks.
# --check-config's output is in $XT_TMP/check.txt, the daemon's log in $log.
nic_case() {
	local desc=$1 opts=$2 stat=$3 got
	xtvm_shutdown
	xtvm_boot "$opts"
	xtvm_check_config
	xtvm_daemon_start
	log=$(xtvm_run 5 'cat /tmp/xtftpd.log')
	echo "$log" | sed 's/^/  daemon: /'
	xt_get atftp-1468 f2097152 "$XT_OUT/$stat" "$XTVM_GUEST4" || xt_fail "$desc: atftp-1468 failed"
	xt_check_file "$XT_OUT/$stat" "$XT_ROOT/f2097152" "atftp-1468, $desc"
	got=$(xtvm_stat "$stat")
	[ "$got" -ge 1415 ] || xt_fail "$desc: $stat $got of 1429 blocks"
	echo "$desc: $stat $got of 1429 blocks"
	xtvm_daemon_stop
	n=$((n + 1))
}

# A NIC that refuses native XDP: a host that keeps the guest's offloads on
# (virtio-net without ctrl_guest_offloads). The daemon names the driver's
# reason and the remedy in one line and serves with generic XDP + TC.
if [ "${XTVM_REFUSAL:-$FLAVOUR}" = 6.1 ]; then
	nic_case "native XDP refused" ctrl_guest_offloads=off blocks_tc
	grep -q 'interface eth0 (virtio_net, MTU 1500): TC through a clsact filter .*serves every DATA block; XDP generic only counts and passes' "$XT_TMP/check.txt" ||
		xt_fail "kernel $FLAVOUR: --check-config does not say TC serves where native XDP is refused"
	grep -q 'eth0: cannot attach XDP natively (virtio_net says "Can.t set XDP while host is implementing GRO_HW/CSUM.*remedy: .*ctrl_guest_offloads=on.*; using generic XDP$' <<<"$log" ||
		xt_fail "kernel $FLAVOUR: no one-line reason and remedy for the refused native XDP"
fi

# Small receive buffers (mrg_rxbuf=off). While the host offers guest TSO
# the driver runs in big-packet mode, whose receive path never runs XDP:
# the daemon says so and why in one line and TC serves. Without guest TSO
# the small-buffer path gives XDP a frame it can grow: XDP serves.
if [ "${XTVM_SMALL_BUFS:-$FLAVOUR}" = 6.12 ]; then
	nic_case "big-packet mode" mrg_rxbuf=off blocks_tc
	grep -q '^interface eth0: virtio-net in big-packet mode .*never runs XDP; remedy: .*mrg_rxbuf=on' "$XT_TMP/check.txt" ||
		xt_fail "big-packet mode: --check-config does not name it"
	grep -q 'eth0: virtio-net in big-packet mode .*remedy: .*; using TC$' <<<"$log" ||
		xt_fail "big-packet mode: no one-line reason and remedy in the log"
	nic_case "small buffers without guest TSO" \
		mrg_rxbuf=off,guest_tso4=off,guest_tso6=off,guest_ecn=off,guest_ufo=off blocks_xdp
fi
echo "kernel $(xtvm_run 5 'uname -r'): $n downloads verified by sha256; blocks xdp $xdp, tc $tc, user $user; TC alone $tc_only"
