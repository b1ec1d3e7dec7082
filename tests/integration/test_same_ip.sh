#!/usr/bin/env bash
# Many devices with the same address on one segment (issue 8): 8 client
# namespaces, all 192.168.0.86/24 with different MACs, bridged (a bridge in
# a "switch" namespace) to the server at 192.168.0.66/24. All 8 download a
# 16 MiB image at the same moment from the same source port with xtftpd's
# kernel tier and --mac-sessions: every one must get the right sha256 (the
# load generator hashes what it receives), the server must have started
# exactly 8 transfers (duplicate detection by MAC, not by IP and port) and
# recorded 8 distinct MACs, and the kernel tier must have served the blocks.
# Then a control run without --mac-sessions shows what the flag fixes: the
# OACKs go through the ARP cache, to one device.
#
# Addresses 192.168.0.x exist only inside the namespaces this test creates.
source "$(dirname "$0")/lib.sh"

LOADGEN=${XT_BUILD:-$XT_TOP/build/san}/tests/xtftp-loadgen
N=${XT_SAME_IP_CLIENTS:-8}
SIZE=$(( 16 << 20 ))
SRV_IP=192.168.0.66
CLI_IP=192.168.0.86
SRC_PORT=43210
NS_SW="xt-sw-$$"

xt_require_root
xt_require_daemon
[ -x "$LOADGEN" ] || xt_skip "no load generator at $LOADGEN; build with make tests"

cli_ns() { echo "xt-c$1-$$"; }

rig_cleanup() {
	local ns
	for ns in "$NS_SW" $(for i in $(seq 1 "$N"); do cli_ns "$i"; done); do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill -KILL 2>/dev/null
		ip netns del "$ns" 2>/dev/null
	done
}
xt_on_cleanup rig_cleanup

# ---- the segment: server and N clients on one bridge ------------------------
ip netns add "$XT_NS_SRV" || xt_fail "cannot create netns $XT_NS_SRV"
XT_RIG_UP=1
ip netns add "$XT_NS_CLI" # unused; lib.sh's cleanup expects it
ip netns add "$NS_SW" || xt_fail "cannot create netns $NS_SW"
ip -n "$NS_SW" link add br0 type bridge
ip -n "$NS_SW" link set br0 up
ip -n "$NS_SW" link set lo up
ip -n "$XT_NS_SRV" link set lo up
ip -n "$XT_NS_SRV" link add "$XT_IF_SRV" type veth peer name sw-srv netns "$NS_SW"
ip -n "$XT_NS_SRV" addr add "$SRV_IP/24" dev "$XT_IF_SRV"
ip -n "$XT_NS_SRV" link set "$XT_IF_SRV" up
ip -n "$NS_SW" link set sw-srv master br0 up
for i in $(seq 1 "$N"); do
	ns=$(cli_ns "$i")
	ip netns add "$ns" || xt_fail "cannot create netns $ns"
	ip -n "$ns" link set lo up
	ip -n "$ns" link add eth0 address "02:00:5e:00:86:$(printf %02x "$i")" type veth \
		peer name "sw-c$i" netns "$NS_SW"
	ip -n "$ns" addr add "$CLI_IP/24" dev eth0
	ip -n "$ns" link set eth0 up
	ip -n "$NS_SW" link set "sw-c$i" master br0 up
done
for i in $(seq 1 "$N"); do
	xt_wait_until 10 "client $i reaches $SRV_IP" ip netns exec "$(cli_ns "$i")" ping -c 1 -W 1 "$SRV_IP"
done

xt_make_file "$XT_ROOT/image.bin" "$SIZE"

# run_all LABEL: start N load generators at once, same source port; wait for
# all (bounded by their own retry limits and `timeout`); print how many got
# the right digest. Each writes its JSON report to $XT_TMP/LABEL-I.json.
run_all() {
	local label=$1 i pids=() ok=0 rc
	for i in $(seq 1 "$N"); do
		ip netns exec "$(cli_ns "$i")" timeout --kill-after=5 60 \
			"$LOADGEN" -s "$SRV_IP" -f image.bin --compare "$XT_ROOT/image.bin" \
			-b 1468 -c 1 --src-port "$SRC_PORT" -T 1000 -r 5 -j -q -l "$label-$i" \
			>"$XT_TMP/$label-$i.json" 2>"$XT_TMP/$label-$i.err" &
		pids+=($!)
	done
	for i in $(seq 1 "$N"); do
		rc=0
		wait "${pids[$((i - 1))]}" || rc=$?
		[ "$rc" -eq 0 ] && ok=$(( ok + 1 ))
	done
	echo "$ok"
}

# ---- with --mac-sessions -------------------------------------------------------
xt_daemon_start -s -i "$XT_IF_SRV" --mac-sessions --pool-size 32M -a "$SRV_IP" \
	--event-log "$XT_TMP/events.jsonl"
xt_ctl status | grep -q '^mac sessions:' || xt_fail "status does not show mac sessions"
# One download first: it loads the image into the pool (hundreds of ms under
# ASan), so the clients below do not resend their RRQ while it loads (a
# repeated RRQ after the kernel has sent data counts as a restart).
ip netns exec "$(cli_ns 1)" timeout 60 "$LOADGEN" -s "$SRV_IP" -f image.bin \
	--compare "$XT_ROOT/image.bin" -b 1468 -c 1 --src-port "$SRC_PORT" -q >"$XT_TMP/warm.log" 2>&1 ||
	xt_fail "first single download failed: $(cat "$XT_TMP/warm.log")"
t0=$(xt_now)
ok=$(run_all mac)
secs=$(xt_elapsed "$t0")
for i in $(seq 1 "$N"); do
	grep -q '"bad_digest":0' "$XT_TMP/mac-$i.json" ||
		xt_fail "client $i: digest mismatch or no report: $(cat "$XT_TMP/mac-$i.json" "$XT_TMP/mac-$i.err")"
done
[ "$ok" -eq "$N" ] || {
	for i in $(seq 1 "$N"); do echo "client $i: $(cat "$XT_TMP/mac-$i.json")"; done
	xt_fail "only $ok of $N same-address clients got the image"
}
xt_wait_until 10 "all $N transfers recorded done" \
	sh -c "[ \"\$($XTFTPCTL -S $XT_CTL_SOCK stats | awk '\$1 == \"transfers_done\" { print \$2 }')\" -ge $(( N + 1 )) ]"
started=$(xt_stat transfers_started)
[ "$started" -eq $(( N + 1 )) ] || xt_fail "transfers_started $started, want $(( N + 1 )) (one per device, and the first)"
blocks_tc=$(xt_stat blocks_tc)
final=$(( SIZE / 1468 + 1 ))
[ "$blocks_tc" -ge $(( (N + 1) * (final - 1) )) ] ||
	xt_fail "kernel tier sent $blocks_tc DATA blocks, want >= $(( (N + 1) * (final - 1) ))"
macs=$(xt_ctl transfers | grep -o 'mac=[0-9a-f:]*' | sort -u | wc -l)
[ "$macs" -eq "$N" ] || xt_fail "transfer records name $macs distinct MACs, want $N: $(xt_ctl transfers)"
# every event carries the requester's MAC (not the neighbour table's guess)
for i in $(seq 1 "$N"); do
	grep -q "\"mac\":\"02:00:5e:00:86:$(printf %02x "$i")\"" "$XT_TMP/events.jsonl" ||
		xt_fail "no event names client $i's MAC: $(head -c 600 "$XT_TMP/events.jsonl")"
done
retrans=$(xt_stat retransmits)
# and each device's transfer on its own: DATA from the kernel tiers
xt_check_transfers --kernel --min $(( N + 1 ))
xt_daemon_stop
summary="same address: $N clients x 16 MiB, same IP and source port, all sha256 ok in ${secs}s (blocks_tc $blocks_tc, retransmits $retrans)"
echo "$summary"

# ---- control: without --mac-sessions the replies follow the ARP cache -----------
# Fewer clients and short client timeouts: this only has to show a failure.
xt_daemon_start -s -i "$XT_IF_SRV" --pool-size 32M -a "$SRV_IP" --retries 2
ok=$(run_all arp)
xt_daemon_stop
echo "control without --mac-sessions: $ok of $N clients got the image"
[ "$ok" -lt "$N" ] || xt_fail "all $N clients succeeded without --mac-sessions: the control run proves nothing"
echo "$summary; without --mac-sessions $ok of $N"
