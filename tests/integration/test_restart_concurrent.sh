#!/usr/bin/env bash
# A second client on the same host is not a restart. Client A fetches a
# file alone (its ACKs slowed by a tbf qdisc, so it runs for seconds); once
# it has run over 1 s and got data, client B on the same host asks for the
# same file and both carry on to the end. The daemon used to call B a
# restart of A at once (the host's only live transfer of that file, older
# than 1 s), so the 2 % soak's load generator, many clients on one address,
# failed the strict verdict on restarts that never were. Now a live
# transfer is only suspected until it stalls or fails; A goes on, so: no
# restart event, restarted_by 0, both files intact. Then the real thing
# still counts: A killed and asked for again gives a restart event (also
# in test_observe). Both flavours.
set -o errexit -o nounset -o pipefail
source "$(dirname "$0")/lib.sh"
xt_require_root
xt_require_daemon
xt_require_cmd atftp python3 tc sha256sum
[ "$XT_TARGET" = hpa ] && xt_skip "needs xtftpd's events (XT_TARGET=hpa)"
xt_rig_create
xt_make_file "$XT_ROOT/fw" 300000
EVLOG="$XT_TMP/events.jsonl"

ev_count() {
	python3 - "$EVLOG" "$1" <<'PY'
import json, sys
n = 0
for line in open(sys.argv[1]):
    try:
        e = json.loads(line)
    except ValueError:
        continue
    if eval(sys.argv[2], {}, {"e": e}):
        n += 1
print(n)
PY
}
size_of() { stat -c %s "$1" 2>/dev/null || echo 0; }

xt_cli tc qdisc add dev "$XT_IF_CLI" root tbf rate 40kbit burst 1600 latency 2s ||
	xt_fail "cannot add tbf on $XT_IF_CLI"
for flavour in kernel userspace; do
	rm -f "$EVLOG" "$XT_OUT/a" "$XT_OUT/b"
	xt_server_start "$flavour" --event-log "$EVLOG"
	t0=$(date +%s%N)
	ip netns exec "$XT_NS_CLI" timeout 120 atftp -g -r fw -l "$XT_OUT/a" "$XT_SRV4" \
		>"$XT_TMP/a.log" 2>&1 &
	apid=$!
	xt_on_cleanup "kill -KILL $apid 2>/dev/null"
	xt_wait_until 30 "$flavour: client A to get 32 KiB and run 1.2 s" \
		sh -c "[ \$(stat -c %s '$XT_OUT/a' 2>/dev/null || echo 0) -ge 32768 ] &&
		       [ \$(( \$(date +%s%N) - $t0 )) -ge 1200000000 ]"
	[ "$(size_of "$XT_OUT/a")" -lt 300000 ] || xt_fail "$flavour: client A ended before B began; slow it more"
	ip netns exec "$XT_NS_CLI" timeout 120 atftp -g -r fw -l "$XT_OUT/b" "$XT_SRV4" \
		>"$XT_TMP/b.log" 2>&1 || xt_fail "$flavour: client B failed: $(cat "$XT_TMP/b.log")"
	wait "$apid" || xt_fail "$flavour: client A failed: $(cat "$XT_TMP/a.log")"
	xt_check_file "$XT_OUT/a" "$XT_ROOT/fw" "$flavour: client A"
	xt_check_file "$XT_OUT/b" "$XT_ROOT/fw" "$flavour: client B"
	xt_wait_idle
	[ "$(xt_stat transfers_done)" = 2 ] || xt_fail "$flavour: transfers_done $(xt_stat transfers_done), want 2"
	n=$(ev_count 'e["event"] == "restart"')
	[ "$n" = 0 ] || xt_fail "$flavour: $n restart event(s) for a second client that never restarted anything"
	n=$(ev_count 'e["event"] in ("done", "failed") and e["restarted_by"] != 0')
	[ "$n" = 0 ] || xt_fail "$flavour: $n transfer(s) say restarted_by"
	xt_server_stop
	echo "$flavour: a second client of the same file on the same host: both intact, no restart"
done
