#!/usr/bin/env bash
# Soak (issue 6, not in CI): SOAK_SECONDS (default 3600) of mixed load with
# loss against one daemon (kernel tiers, falling back to userspace), from
# the load generator (several file sizes, blksize 512 and 1468, windowsize
# 1 and 8) and real clients (curl, tftp-hpa) in a loop, with SOAK_LOSS %
# (default 2) of UDP dropped each way in the client namespace. Every
# SOAK_SAMPLE seconds (default 60) one line: transfers done and failed (the
# daemon's counters), bytes, RSS and open fds of the daemon. At the end: a
# summary, and the run fails if a download had a wrong sha256, the daemon
# died, or its fd count ended above its starting value.
#
#   make soak BUILD=build              (SOAK_SECONDS=600 make soak for 10 min)
#   tests/soak.sh BUILD_DIR
set -o errexit -o nounset -o pipefail
BUILD=${1:-build}
TOP=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "$TOP" && cd "$BUILD" && pwd)
export XTFTPD="$BUILD/xtftpd" XTFTPCTL="$BUILD/xtftpctl" XT_BUILD="$BUILD" XT_TOP="$TOP"
. "$TOP/tests/integration/lib.sh"
SOAK_SECONDS=${SOAK_SECONDS:-3600}
SOAK_SAMPLE=${SOAK_SAMPLE:-60}
SOAK_LOSS=${SOAK_LOSS:-2}
LOADGEN="$BUILD/tests/xtftp-loadgen"
xt_require_root
xt_require_daemon
xt_require_cmd curl tftp nft
[ -x "$LOADGEN" ] || xt_skip "no load generator at $LOADGEN; run make tests"
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
xt_rig_create
for s in 1 65536 1048576 8388608; do
	xt_make_file "$XT_ROOT/s$s" "$s"
done
xt_cli nft -f - <<EOF || xt_fail "cannot load the nftables loss rules"
table inet xtsoak {
	chain in {
		type filter hook input priority 0; policy accept;
		meta l4proto udp numgen random mod 100 < $SOAK_LOSS drop
	}
}
table netdev xtsoak {
	chain out {
		type filter hook egress device "$XT_IF_CLI" priority 0; policy accept;
		meta l4proto udp numgen random mod 100 < $SOAK_LOSS drop
	}
}
EOF
xt_daemon_start -s -i "$XT_IF_SRV" --retransmit-timeout 0.5 --retries 20 -r timeout
start_fds=$(xt_daemon_fds)
start_rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$XT_DAEMON_PID/status")
end_at=$(( $(date +%s) + SOAK_SECONDS ))
STOP="$XT_TMP/stop"

# Load generator workers: each loops over a mix until the end; their
# results (one JSON object per run) are appended to lg-N.json.
lg_worker() {
	local n=$1 i=0 f b w
	local -a mix=("s65536 512 1 16" "s1048576 1468 8 8" "s8388608 1468 8 2" "s1 512 1 4" "s1048576 512 1 8")
	while [ ! -e "$STOP" ] && [ "$(date +%s)" -lt "$end_at" ]; do
		read -r f b w c <<<"${mix[$((i % ${#mix[@]}))]}"
		xt_cli "$LOADGEN" -s "$XT_SRV4" -f "$f" --compare "$XT_ROOT/$f" -b "$b" -w "$w" \
			-c "$c" -T 1000 -r 10 -q -j >>"$XT_TMP/lg-$n.json" 2>/dev/null || true
		i=$((i + 1))
	done
}
# Real clients in a loop; a wrong sha256 is recorded in bad-real.
client_worker() {
	local i=0 v out
	while [ ! -e "$STOP" ] && [ "$(date +%s)" -lt "$end_at" ]; do
		v=$([ $((i % 2)) -eq 0 ] && echo curl-1468 || echo hpa)
		out="$XT_OUT/real-$i"
		if XT_CLIENT_LOG="$XT_TMP/real.log" XT_CLIENT_TIMEOUT=120 xt_get "$v" s1048576 "$out" &&
			! { [ "$v" = hpa ] && XT_CLIENT_LOG="$XT_TMP/real.log" xt_client_said_error; }; then
			if [ "$(xt_sha256 "$out")" = "$(xt_sha256 "$XT_ROOT/s1048576")" ]; then
				echo ok >>"$XT_TMP/real-results"
			else
				echo "bad $v $i" >>"$XT_TMP/bad-real"
			fi
		else
			echo failed >>"$XT_TMP/real-results"
		fi
		rm -f "$out"
		i=$((i + 1))
	done
}
pids=()
for n in 1 2 3; do lg_worker "$n" & pids+=("$!"); done
client_worker & pids+=("$!")
xt_on_cleanup "touch $STOP; kill ${pids[*]}"

printf '%8s %10s %8s %14s %10s %6s\n' seconds done failed bytes_user rss_kb fds
t0=$(date +%s)
while [ "$(date +%s)" -lt "$end_at" ]; do
	next=$(( $(date +%s) + SOAK_SAMPLE ))
	[ "$next" -gt "$end_at" ] && next=$end_at
	while [ "$(date +%s)" -lt "$next" ]; do
		xt_daemon_alive || xt_fail "the daemon died after $(( $(date +%s) - t0 )) s"
		sleep 1   # sampling period of a monitor, not synchronisation
	done
	printf '%8s %10s %8s %14s %10s %6s\n' "$(( $(date +%s) - t0 ))" "$(xt_stat transfers_done)" \
		"$(xt_stat transfers_failed)" "$(xt_stat bytes_user)" \
		"$(awk '/^VmRSS:/ { print $2 }' "/proc/$XT_DAEMON_PID/status")" "$(xt_daemon_fds)"
done
touch "$STOP"
for p in "${pids[@]}"; do wait "$p" || true; done
xt_wait_idle 120

lg_ok=0 lg_failed=0 lg_bad=0 lg_bytes=0
for f in "$XT_TMP"/lg-*.json; do
	[ -s "$f" ] || continue
	read -r a b c d < <(jq -s '[(map(.ok) | add), (map(.failed) | add), (map(.bad_digest) | add), (map(.bytes) | add)] | map(. // 0) | @tsv' -r "$f")
	lg_ok=$((lg_ok + a)); lg_failed=$((lg_failed + b)); lg_bad=$((lg_bad + c)); lg_bytes=$((lg_bytes + d))
done
real_ok=$(grep -c '^ok' "$XT_TMP/real-results" 2>/dev/null || true)
real_failed=$(grep -c '^failed' "$XT_TMP/real-results" 2>/dev/null || true)
end_fds=$(xt_daemon_fds)
end_rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$XT_DAEMON_PID/status")
echo "soak ${SOAK_SECONDS}s at ${SOAK_LOSS}% loss each way:"
echo "  load generator: $lg_ok verified, $lg_failed failed, $lg_bad bad digest, $lg_bytes bytes"
echo "  real clients:   ${real_ok:-0} verified, ${real_failed:-0} failed"
echo "  daemon: transfers_done $(xt_stat transfers_done) failed $(xt_stat transfers_failed)" \
	"retransmits $(xt_stat retransmits) blocks tc $(xt_stat blocks_tc) user $(xt_stat blocks_user)"
echo "  fds $start_fds -> $end_fds, RSS $start_rss -> $end_rss KiB"
[ ! -s "$XT_TMP/bad-real" ] || xt_fail "a real client got wrong bytes: $(cat "$XT_TMP/bad-real")"
[ "$lg_bad" -eq 0 ] || xt_fail "$lg_bad load-generator downloads had a wrong digest"
[ "$end_fds" -le "$start_fds" ] || xt_fail "fds grew from $start_fds to $end_fds"
xt_daemon_stop
echo "soak passed"
