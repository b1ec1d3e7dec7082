#!/usr/bin/env bash
# Observability (issue 4): events, stats --json/--prometheus, top.
#  - a transfer through each tier (kernel: TC on the veth; --no-bpf: the
#    userspace engine) gives start and done events whose byte count and
#    sha256 match the file;
#  - a client killed mid-transfer gives a failed event naming the block
#    where it stopped, and asking again at once gives a restart event;
#  - stats --prometheus passes promtool check metrics; stats --json parses;
#  - xtftpctl top under tmux shows the progress row of a transfer slowed by
#    a tbf qdisc on the client side (read back with tmux capture-pane).
. "$(dirname "$0")/lib.sh"
xt_require_root
xt_require_cmd atftp curl python3 tmux promtool tc
xt_require_daemon
[ "$XT_TARGET" = hpa ] && xt_skip "needs xtftpd's events (XT_TARGET=hpa)"
xt_rig_create

EVLOG="$XT_TMP/events.jsonl"
xt_make_file "$XT_ROOT/img" 3000000
xt_make_file "$XT_ROOT/big" 41943040
IMG_SHA=$(xt_sha256 "$XT_ROOT/img")

# ev_count FILTER: events in the log matching a python expression over e
ev_count() {
	python3 - "$EVLOG" "$1" <<'PY'
import json, sys
n = 0
for line in open(sys.argv[1]):
    e = json.loads(line)
    if eval(sys.argv[2], {}, {"e": e}):
        n += 1
print(n)
PY
}
ev_has() { [ "$(ev_count "$1")" -ge "${2:-1}" ]; }
# ev_get FILTER FIELD: FIELD of the last event matching FILTER
ev_get() {
	python3 - "$EVLOG" "$1" "$2" <<'PY'
import json, sys
v = None
for line in open(sys.argv[1]):
    e = json.loads(line)
    if eval(sys.argv[2], {}, {"e": e}):
        v = e[sys.argv[3]]
print(v)
PY
}

for flavour in kernel userspace; do
	rm -f "$EVLOG"
	xt_server_start "$flavour" --event-log "$EVLOG" --retransmit-timeout 1 --retries 2
	tier_want=user
	if [ "$flavour" = kernel ]; then
		# (xt_server_start kernel failed already unless bpf_active is 1)
		tier_want=tc
	fi

	# 1. a clean transfer: start + done, bytes and sha256 match the file;
	# a follower on the control socket sees the same events
	"$XTFTPCTL" -S "$XT_CTL_SOCK" events --follow > "$XT_TMP/follow.jsonl" 2>&1 &
	fpid=$!
	xt_on_cleanup "kill -KILL $fpid"
	xt_get atftp-1468 img "$XT_OUT/img" || xt_fail "$flavour: atftp img: exit $?"
	xt_check_file "$XT_OUT/img" "$XT_ROOT/img" "$flavour img"
	xt_wait_until 10 "$flavour: done event" ev_has 'e["event"] == "done" and e["file"] == "img"'
	ev_has 'e["event"] == "start" and e["file"] == "img"' || xt_fail "$flavour: no start event"
	bytes=$(ev_get 'e["event"] == "done" and e["file"] == "img"' bytes)
	[ "$bytes" = 3000000 ] || xt_fail "$flavour: done event says $bytes bytes, file has 3000000"
	tier=$(ev_get 'e["event"] == "done" and e["file"] == "img"' tier)
	[[ $tier == *$tier_want* ]] || xt_fail "$flavour: done event tier $tier, want $tier_want"
	mac=$(ev_get 'e["event"] == "start" and e["file"] == "img"' mac)
	want_mac=$(ip -n "$XT_NS_CLI" -br link show dev "$XT_IF_CLI" | awk '{ print $3 }')
	[ "$mac" = "$want_mac" ] || xt_fail "$flavour: start event mac $mac, client's is $want_mac"
	if [ "$flavour" = kernel ]; then
		sha=$(ev_get 'e["event"] == "done" and e["file"] == "img"' sha256)
		[ "$sha" = "$IMG_SHA" ] || xt_fail "kernel: done event sha256 $sha, file $IMG_SHA"
	fi
	xt_wait_until 10 "$flavour: done event through events --follow" \
		grep -q '"event":"done".*"file":"img"' "$XT_TMP/follow.jsonl"
	kill -INT "$fpid"
	wait "$fpid" || xt_fail "$flavour: events --follow exit $? on SIGINT"
	echo "$flavour: start/done events: $bytes bytes, tier $tier, mac $mac (also via --follow)"

	# 2. a client killed mid-transfer, then an immediate re-request. The
	# daemon counts a restart only against a transfer running for 1 s or
	# more (faster, it is a second concurrent client), so the client's ACKs
	# are slowed (tbf, ~400 KiB/s of 512-byte blocks) to still be running.
	xt_cli tc qdisc add dev "$XT_IF_CLI" root tbf rate 400kbit burst 1600 latency 400ms ||
		xt_fail "cannot add tbf on $XT_IF_CLI"
	rm -f "$XT_OUT/big"
	t_start=$(date +%s%N)
	ip netns exec "$XT_NS_CLI" atftp -g -r big -l "$XT_OUT/big" "$XT_SRV4" \
		>"$XT_TMP/atftp.log" 2>&1 &
	apid=$!
	xt_on_cleanup "kill -KILL $apid"
	xt_wait_until 20 "atftp to receive 256 KiB and run 1.2 s" \
		sh -c "[ \$(stat -c %s '$XT_OUT/big' 2>/dev/null || echo 0) -ge 262144 ] &&
		       [ \$(( \$(date +%s%N) - $t_start )) -ge 1200000000 ]"
	kill -KILL "$apid"
	wait "$apid" 2>/dev/null || true
	got=$(stat -c %s "$XT_OUT/big")
	# the same file again at once, from a new port: a restart
	rm -f "$XT_OUT/big2"
	ip netns exec "$XT_NS_CLI" timeout 60 atftp -g -r big -l "$XT_OUT/big2" "$XT_SRV4" \
		>"$XT_TMP/atftp2.log" 2>&1 &
	apid2=$!
	xt_on_cleanup "kill -KILL $apid2"
	xt_wait_until 10 "$flavour: restart event" ev_has 'e["event"] == "restart" and e["file"] == "big"'
	rpct=$(ev_get 'e["event"] == "restart"' restart_percent)
	echo "$flavour: restart event: restart of a transfer at ${rpct}% (killed at $got bytes)"
	kill -KILL "$apid2" 2>/dev/null || true
	wait "$apid2" 2>/dev/null || true
	xt_cli tc qdisc del dev "$XT_IF_CLI" root
	xt_wait_until 30 "$flavour: failed event for the killed client" \
		ev_has 'e["event"] == "failed" and e["file"] == "big" and e["stall_block"] > 0' 1
	fev='e["event"] == "failed" and e["file"] == "big" and e["stall_block"] > 0'
	sblock=$(ev_get "$fev" stall_block)
	blocks=$(ev_get "$fev" blocks)
	outcome=$(ev_get "$fev" outcome)
	diag=$(ev_get "$fev" diagnosis)
	# 512-byte blocks: the killed client had received at least got bytes
	[ "$sblock" -ge $((got / 512)) ] && [ "$sblock" -eq $((blocks + 1)) ] ||
		xt_fail "$flavour: failed event stall_block $sblock, blocks $blocks, client had $got bytes"
	[ -n "$diag" ] && [ "$diag" != None ] || xt_fail "$flavour: failed event without diagnosis"
	echo "$flavour: failed event: $outcome at block $sblock: $diag"
	ev_has 'e["event"] == "stall"' || xt_fail "$flavour: no stall event before the failure"

	# 3. stats: Prometheus exposition checked by promtool, JSON parses
	xt_ctl stats --prometheus > "$XT_TMP/metrics.prom" || xt_fail "stats --prometheus failed"
	promtool check metrics < "$XT_TMP/metrics.prom" > "$XT_TMP/promtool.log" 2>&1 ||
		xt_fail "$flavour: promtool check metrics: $(head -n 5 "$XT_TMP/promtool.log")"
	grep -q '^xtftpd_transfers_done_total [1-9]' "$XT_TMP/metrics.prom" ||
		xt_fail "$flavour: xtftpd_transfers_done_total missing or 0"
	xt_ctl stats --json | python3 -c '
import json, sys
s = json.load(sys.stdin)
tier = sys.argv[1]
lat = s["latency"]["kernel" if tier == "kernel" else "user"]
assert s["transfers_done"] >= 1, s["transfers_done"]
assert lat["ack_to_data"]["count"] > 0, lat
assert lat["turnaround"]["count"] > 0, lat
print("%s: ack_to_data p50 %d ns p99 %d ns, turnaround p50 %d ns" % (tier,
      lat["ack_to_data"]["p50_ns"], lat["ack_to_data"]["p99_ns"], lat["turnaround"]["p50_ns"]))
' "$flavour" || xt_fail "$flavour: stats --json"
	xt_ctl events | python3 -c 'import json, sys; [json.loads(l) for l in sys.stdin]' ||
		xt_fail "$flavour: xtftpctl events is not JSON lines"
	xt_wait_idle 30
	xt_server_stop
done

# 4. top under tmux: a transfer slowed to ~2 Mbit/s by tbf on the client's
# egress (its ACKs), shown with a progress row
xt_server_start kernel
xt_cli tc qdisc add dev "$XT_IF_CLI" root tbf rate 16kbit burst 1600 latency 400ms ||
	xt_fail "cannot add tbf on $XT_IF_CLI"
rm -f "$XT_OUT/slow"
ip netns exec "$XT_NS_CLI" timeout 60 atftp -g -r big -l "$XT_OUT/slow" "$XT_SRV4" \
	>"$XT_TMP/atftp3.log" 2>&1 &
apid3=$!
xt_on_cleanup "kill -KILL $apid3"
TMUX_SOCK="$XT_TMP/tmux.sock"
xt_on_cleanup "tmux -S $TMUX_SOCK kill-server"
tmux -S "$TMUX_SOCK" new-session -d -x 140 -y 30 \
	"$XTFTPCTL -S $XT_CTL_SOCK top --interval 0.3" || xt_fail "cannot start tmux"
top_row() {
	tmux -S "$TMUX_SOCK" capture-pane -p > "$XT_TMP/top.txt" &&
		grep -E ' big +\[#*\.+\] +[0-9]+\.[0-9]% .* running' "$XT_TMP/top.txt"
}
xt_wait_until 20 "a progress row for big in top" top_row
echo "top under tmux:"
sed 's/^/  | /' "$XT_TMP/top.txt" | sed '/^  | *$/d'
kill -KILL "$apid3" 2>/dev/null || true
xt_daemon_stop
echo "observability: events, stats, prometheus and top checked in both flavours"
