#!/usr/bin/env bash
# Benchmark smoke test: keeps the load generator and the reflector working.
# Runs tests/bench's xtftp-loadgen for a few seconds against xtftpd (kernel
# tiers on) in lock-step, windowed, concurrent and IPv6 runs, and against the
# bare reflector; asserts every transfer was verified by sha256, that the
# loadgen does catch a wrong digest, and that the daemon counted no failure.
# Correctness only: no timing is asserted.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

xt_require_root
xt_require_daemon
xt_require_cmd jq
LOADGEN=${XT_BUILD:-$XT_TOP/build/san}/tests/xtftp-loadgen
REFLECTOR=${XT_BUILD:-$XT_TOP/build/san}/tests/reflector
[ -x "$LOADGEN" ] || xt_skip "no load generator at $LOADGEN; build with make tests"

xt_rig_create
xt_make_file "$XT_ROOT/one.img" $((1 << 20))
xt_make_file "$XT_ROOT/three.img" $(( (3 << 20) + 777 ))

# lg LABEL WANT_OK ARGS...: run the loadgen in the client namespace (JSON
# out), fail unless it exited 0 and verified exactly WANT_OK transfers.
lg() {
	local label=$1 want=$2 out rc=0
	shift 2
	out=$(xt_cli timeout --kill-after=5 120 "$LOADGEN" -j -l "$label" "$@" 2>"$XT_TMP/lg.err") || rc=$?
	[ "$rc" -eq 0 ] || xt_fail "$label: loadgen exit $rc: $(tail -n 2 "$XT_TMP/lg.err") $out"
	jq -e --argjson n "$want" '.ok == $n and .started == $n and .failed == 0 and .bad_digest == 0' \
		>/dev/null <<< "$out" || xt_fail "$label: not every transfer verified: $out"
	echo "$label: $(jq -r '"\(.ok) verified, \(.goodput_MBps) MB/s, rtt p50 \(.rtt_us.p50) us, \(.retransmits) retransmits"' <<< "$out")"
}

xt_server_start kernel
lg lockstep-512 1 -s "$XT_SRV4" -f three.img --compare "$XT_ROOT/three.img" -b 512
lg plain-no-options 1 -s "$XT_SRV4" -f one.img --compare "$XT_ROOT/one.img"
lg lockstep-1468-tsize 1 -s "$XT_SRV4" -f three.img --compare "$XT_ROOT/three.img" -b 1468 -t
lg window-8 2 -s "$XT_SRV4" -f three.img --compare "$XT_ROOT/three.img" -b 1468 -w 8 -n 2
lg concurrent-16 32 -s "$XT_SRV4" -f one.img --sha256 "$(xt_sha256 "$XT_ROOT/one.img")" -b 1468 -c 16 -n 32
lg ipv6 4 -s "$XT_SRV6" -f one.img --compare "$XT_ROOT/one.img" -b 1428 -c 2 -n 4

# The verification must be able to fail: a digest that is not the file's.
rc=0
out=$(xt_cli "$LOADGEN" -j -q -s "$XT_SRV4" -f one.img -b 1468 \
	--sha256 "$(printf '%064d' 0)" 2>/dev/null) || rc=$?
[ "$rc" -eq 1 ] || xt_fail "loadgen exit $rc on a wrong digest, want 1"
jq -e '.bad_digest == 1 and .ok == 0' >/dev/null <<< "$out" ||
	xt_fail "wrong digest not reported: $out"

total=$((1 + 1 + 1 + 2 + 32 + 4 + 1))
[ "$(xt_stat transfers_failed)" = 0 ] || xt_fail "daemon counted $(xt_stat transfers_failed) failed transfers"
done_n=$(xt_stat transfers_done)
[ "$done_n" -ge "$total" ] || xt_fail "daemon counted $done_n transfers done, want $total"
xt_server_stop

# The bare reflector (benchmark ceiling): zero image, verified the same way.
if [ -x "$REFLECTOR" ]; then
	head -c $((2 << 20)) /dev/zero > "$XT_TMP/zero.img"
	ip netns exec "$XT_NS_SRV" "$REFLECTOR" -i "$XT_IF_SRV" -s $((2 << 20)) -b 1468 \
		--ready-file "$XT_TMP/refl.ready" >"$XT_TMP/refl.log" 2>&1 &
	refl_pid=$!
	xt_on_cleanup "kill -KILL $refl_pid"
	xt_wait_until 10 "reflector attached" test -s "$XT_TMP/refl.ready"
	lg reflector-8 8 -s "$XT_SRV4" -f any.img --compare "$XT_TMP/zero.img" -b 1468 -c 8 -n 8
	kill -TERM "$refl_pid"
	wait "$refl_pid" || xt_fail "reflector exit $?: $(tail -n 2 "$XT_TMP/refl.log")"
	xt_srv tc filter show dev "$XT_IF_SRV" ingress | grep -q . &&
		xt_fail "reflector left a filter on $XT_IF_SRV ingress"
fi
echo "bench smoke: every transfer verified by sha256"
