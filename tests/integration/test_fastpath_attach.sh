#!/usr/bin/env bash
# The kernel tiers attach and detach cleanly: XDP and TC on the server end
# of a veth, nothing of ours left after kill -9 (links die with the
# process), a legacy clsact filter left by an earlier run removed at start,
# a restarted daemon serving a download (tftp-hpa, sha256), and without BPF
# privilege one line saying so and userspace still serving.
. "$(dirname "$0")/lib.sh"

XT_BUILD=${XT_BUILD:-$XT_TOP/build/san}
LOADER="$XT_BUILD/tests/test_loader"

xt_require_root
[ -x "$LOADER" ] || xt_skip "no $LOADER; build it with make tests"
# every case runs: a missing tool skips the whole test, with the reason
# (on CI a skip fails, tests/skip-allowlist), instead of a case quietly
xt_require_cmd tc capsh tftp
xt_rig_create

# What is attached to the server end: "xdp=NAME/MODE tc=NAMES legacy=NAME
# egress=NAMES legacy_egress=NAME" (tc, egress: tcx links; legacy*: clsact).
attached() { xt_srv "$LOADER" --query "$XT_IF_SRV"; }
nothing_attached() { [ "$(attached)" = "xdp=- tc=- legacy=- egress=- legacy_egress=-" ]; }
ours_attached() {
	local a
	a=$(attached)
	[[ $a == *"xdp=xdp_tftp/"* && $a == *"tc=tc_tftp"* && $a == *"egress=tc_resend"* ]]
}

nothing_attached || xt_fail "something attached before we started: $(attached)"

# ---- 1. the loader alone (test_loader --hold runs fastpath_open) ----------
hold_log="$XT_TMP/hold.log"
hold_start() {
	: > "$hold_log"
	# ip netns exec directly (not the xt_srv function): $! is then the
	# loader itself, which is what kill -9 must hit.
	ip netns exec "$XT_NS_SRV" "$LOADER" --hold "$XT_IF_SRV" >"$hold_log" 2>&1 &
	HOLD_PID=$!
	xt_on_cleanup "kill -KILL $HOLD_PID"
	xt_wait_until 20 "the loader to attach (test_loader --hold)" grep -q '^ready' "$hold_log"
}

hold_start
ours_attached || xt_fail "loader ready but not attached: $(attached)"
grep -q "^xtftpd: $XT_IF_SRV: XDP .* + TC" "$hold_log" ||
	xt_fail "no per-interface tier line: $(cat "$hold_log")"
echo "attached: $(attached)"
echo "loader said: $(grep "$XT_IF_SRV:" "$hold_log")"

kill -KILL "$HOLD_PID"
wait "$HOLD_PID" 2>/dev/null || true
xt_wait_until 5 "XDP and TC to detach after kill -9 of the loader" nothing_attached
echo "kill -9 of the loader: nothing left attached"

# A legacy clsact filter of ours (what a kernel without tcx would have
# left after kill -9): the next start removes it and says so.
if xt_srv tc qdisc add dev "$XT_IF_SRV" clsact 2>"$XT_TMP/tc.err" &&
   xt_srv tc filter add dev "$XT_IF_SRV" ingress prio 0x7874 handle 0x7874 \
	bpf da obj "$XT_BUILD/xtftp.bpf.o" sec tc 2>"$XT_TMP/tc.err"; then
	[[ $(attached) == *"legacy=tc_tftp"* ]] || xt_fail "stale filter not visible: $(attached)"
	hold_start
	grep -q "removed a TC filter left by an earlier run" "$hold_log" ||
		xt_fail "stale legacy filter not reported: $(cat "$hold_log")"
	[[ $(attached) == *"legacy=-"* ]] || xt_fail "stale legacy filter still there: $(attached)"
	kill -TERM "$HOLD_PID"
	wait "$HOLD_PID" || xt_fail "loader exited non-zero after SIGTERM"
	nothing_attached || xt_fail "left attached after a clean exit: $(attached)"
	echo "stale legacy filter removed at start"
	# The same by hand, with no daemon: xtftpctl detach IFACE.
	xt_srv tc filter add dev "$XT_IF_SRV" ingress prio 0x7874 handle 0x7874 \
		bpf da obj "$XT_BUILD/xtftp.bpf.o" sec tc ||
		xt_fail "cannot plant the legacy filter again"
	[[ $(attached) == *"legacy=tc_tftp"* ]] || xt_fail "stale filter not visible: $(attached)"
	out=$(xt_srv "$XTFTPCTL" detach "$XT_IF_SRV") || xt_fail "xtftpctl detach: exit $?: $out"
	[[ $out == *"$XT_IF_SRV: removed xtftpd's TC filter"* ]] || xt_fail "xtftpctl detach said: $out"
	[[ $(attached) == *"legacy=-"* ]] || xt_fail "xtftpctl detach left the filter: $(attached)"
	# What a daemon killed on a kernel without tcx leaves: both legacy
	# filters, tc_tftp at ingress and tc_resend at egress; detach takes both.
	: > "$hold_log"
	ip netns exec "$XT_NS_SRV" "$LOADER" --hold-legacy "$XT_IF_SRV" >"$hold_log" 2>&1 &
	HOLD_PID=$!
	xt_on_cleanup "kill -KILL $HOLD_PID"
	xt_wait_until 20 "the loader to attach legacy filters" grep -q '^ready' "$hold_log"
	[[ $(attached) == *"legacy=tc_tftp egress=- legacy_egress=tc_resend"* ]] ||
		xt_fail "--hold-legacy: not both legacy filters: $(attached)"
	kill -KILL "$HOLD_PID"
	wait "$HOLD_PID" 2>/dev/null || true
	[[ $(attached) == *"legacy=tc_tftp egress=- legacy_egress=tc_resend"* ]] ||
		xt_fail "kill -9 on legacy TC: the filters did not stay: $(attached)"
	out=$(xt_srv "$XTFTPCTL" detach "$XT_IF_SRV") || xt_fail "xtftpctl detach: exit $?: $out"
	[[ $(attached) == *"legacy=- egress=- legacy_egress=-"* ]] ||
		xt_fail "xtftpctl detach left a filter of a killed legacy-TC daemon: $(attached)"
	out=$(xt_srv "$XTFTPCTL" detach) || xt_fail "xtftpctl detach (all): exit $?: $out"
	[ "$out" = "nothing of xtftpd's attached" ] || xt_fail "second detach said: $out"
	xt_srv tc qdisc del dev "$XT_IF_SRV" clsact 2>/dev/null || true
	echo "xtftpctl detach removed a planted legacy filter by hand"
else
	xt_fail "tc cannot plant a legacy filter of $XT_BUILD/xtftp.bpf.o: $(head -n 3 "$XT_TMP/tc.err")"
fi

# ---- 2. the daemon ----------------------------------------------------------
# (no feature detection: a daemon whose --help lacks a flag, or crashes,
# fails below instead of turning the daemon cases into a pass)
xt_require_daemon
xt_require_cmd tftp
xt_make_file "$XT_ROOT/img" 3000000

xt_daemon_start -s -i "$XT_IF_SRV"
xt_wait_until 5 "the daemon to attach" ours_attached
kill -KILL "$XT_DAEMON_PID"
wait "$XT_DAEMON_PID" 2>/dev/null || true
XT_DAEMON_PID=""
xt_wait_until 5 "XDP and TC to detach after kill -9 of the daemon" nothing_attached
echo "kill -9 of the daemon: nothing left attached"

xt_daemon_start -s -i "$XT_IF_SRV"
xt_wait_until 5 "the restarted daemon to attach" ours_attached
xt_get hpa img "$XT_OUT/img" || xt_fail "tftp-hpa download failed: $(tail -n 3 "$XT_TMP/client.log")"
xt_client_said_error && xt_fail "tftp-hpa: $(tail -n 3 "$XT_TMP/client.log")"
xt_check_file "$XT_OUT/img" "$XT_ROOT/img" "download after restart"
xt_daemon_stop
nothing_attached || xt_fail "left attached after SIGTERM: $(attached)"
echo "restarted daemon served 3000000 bytes (sha256 ok) and detached on SIGTERM"

# The default, --xdp auto: on veth TC alone (XDP could only pass frames
# there), said in the tier line; the download comes from TC.
rm -f "$XT_OUT/img"
XT_XDP=auto xt_daemon_start -s -i "$XT_IF_SRV"
[ "$(attached)" = "xdp=- tc=tc_tftp legacy=- egress=tc_resend legacy_egress=-" ] || xt_fail "--xdp auto on veth attached: $(attached)"
grep -q "$XT_IF_SRV: TC (tcx link) (XDP not attached: on veth it could only pass frames" "$XT_DAEMON_LOG" ||
	xt_fail "--xdp auto: no tier line saying why XDP is off on veth: $(grep "$XT_IF_SRV" "$XT_DAEMON_LOG")"
xt_get hpa img "$XT_OUT/img" || xt_fail "tftp-hpa download (--xdp auto) failed: $(tail -n 3 "$XT_TMP/client.log")"
xt_check_file "$XT_OUT/img" "$XT_ROOT/img" "download with --xdp auto"
xt_check_counters kernel 1 >/dev/null
[ "$(xt_stat blocks_xdp)" = 0 ] || xt_fail "--xdp auto on veth: XDP sent $(xt_stat blocks_xdp) blocks"
xt_daemon_stop
nothing_attached || xt_fail "--xdp auto: left attached after SIGTERM: $(attached)"
echo "--xdp auto on veth: TC alone served 3000000 bytes (sha256 ok)"

# ---- 3. no BPF privilege: one line, userspace serves -------------------------
{
	wrapper="$XT_TMP/xtftpd-nocaps"
	printf '#!/bin/sh\nexec capsh --drop=cap_bpf,cap_sys_admin,cap_net_admin,cap_perfmon -- -c '\''exec "$@"'\'' xtftpd %s "$@"\n' \
		"$XTFTPD" > "$wrapper"
	chmod +x "$wrapper"
	real=$XTFTPD
	XTFTPD=$wrapper
	rm -f "$XT_OUT/img"
	XT_EXPECT_BPF=0 xt_daemon_start -s -i "$XT_IF_SRV"   # the fallback is the point here
	XTFTPD=$real
	[ "$(xt_stat bpf_active)" = 0 ] || xt_fail "without BPF privilege but bpf_active $(xt_stat bpf_active)"
	n=$(grep -c "cannot load BPF: not permitted" "$XT_DAEMON_LOG" || true)
	[ "$n" -eq 1 ] || xt_fail "want one 'cannot load BPF: not permitted' line, got $n: $(cat "$XT_DAEMON_LOG")"
	nothing_attached || xt_fail "attached without privilege?: $(attached)"
	xt_get hpa img "$XT_OUT/img" || xt_fail "download without BPF failed: $(tail -n 3 "$XT_TMP/client.log")"
	xt_check_file "$XT_OUT/img" "$XT_ROOT/img" "download without BPF privilege"
	xt_daemon_stop
	echo "without BPF privilege: one line, served from userspace"
}
echo "attach, --xdp auto on veth, kill -9 detach, stale filter removal (at start and by xtftpctl detach), restart and no-privilege cases ok"
