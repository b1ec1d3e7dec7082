#!/usr/bin/env bash
# Load, flood and session limits (issue 6), with the load generator
# (tests/bench/xtftp-loadgen.c) and hostile_client.c:
#  1. 1,000 downloads of a 64 KiB file started at once, in both flavours,
#     at least 500 of them open at the same moment (the sessions_peak
#     high-water mark; the link is shaped so they overlap): every
#     one verified by sha256; afterwards sessions_active is 0, the kernel
#     session map holds no entry, the daemon's open fds equal their idle
#     count and its RSS is within RSS_SLACK_KB of the idle value.
#  2. A flood of RRQs for a missing file and junk to port 69, as fast as one
#     sender can go for 5 s, while a 16 MiB download runs: the download
#     completes with the right sha256, the refusals are counted and the
#     daemon still answers afterwards.
#  3. --max-sessions 40 against 120 concurrent clients: sessions_peak
#     exactly 40 (never more, and the limit was reached), the rest refused with error 3 (counted as "busy"),
#     every transfer that was admitted verified.
#  4. --max-per-client 10 against 30 concurrent clients from one address:
#     sessions_peak_client exactly 10, the rest refused with
#     error 3 (counted as "busy_per_client"), while a download from another
#     address of the same host (its IPv6 one) is still served.
#
# RSS bound: the engine allocates per session (struct session, a block
# buffer, the record) and frees at the end; glibc keeps freed heap for
# reuse rather than returning it, and ASan's allocator (make check) keeps a
# quarantine of freed memory (256 MiB max by default). So RSS after a load
# is compared against a bound, not for equality: 64 MiB under ASan, 16 MiB
# for the -O2 build; the 1,000 sessions at once are a few MiB of live heap.
# The fd count has no such excuse: it must come back exactly.
. "$(dirname "$0")/lib.sh"
xt_require_root
xt_require_cmd curl
xt_require_daemon
[ "$XT_TARGET" = hpa ] && xt_skip "needs xtftpd's counters (XT_TARGET=hpa)"
LOADGEN=${LOADGEN:-${XT_BUILD:-$(dirname "$XTFTPD")}/tests/xtftp-loadgen}
[ -x "$LOADGEN" ] || xt_skip "no load generator at $LOADGEN; build it with make tests"
SESSIONS=${SESSIONS:-1000}
# sessions_peak must reach this. The load generator starts all at once
# (-c), but the daemon (ASan, 2 cores) takes seconds to accept 1,000
# requests: measured 894 open at once (kernel flavour) and 995 (userspace)
# with the shaping below, ~220 without it.
PEAK_FLOOR=${PEAK_FLOOR:-$(( SESSIONS / 2 ))}
# grep without -q: -q would exit at the first match and, under pipefail,
# nm's SIGPIPE would make the test false.
if nm "$XTFTPD" 2>/dev/null | grep __asan_init >/dev/null; then
	RSS_SLACK_KB=${RSS_SLACK_KB:-65536}
	# ASan keeps freed blocks in a quarantine (256 MiB by default) and its
	# allocator keeps freed pages: a small quarantine and a prompt release
	# let RSS say what the daemon itself still holds.
	export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=4:allocator_release_to_os_interval_ms=100"
else
	RSS_SLACK_KB=${RSS_SLACK_KB:-16384}
fi
# 1,000 sessions: a socket and a file each in the daemon, a socket each in
# the load generator.
want_fds=$((SESSIONS * 2 + 256))
hard_fds=$(ulimit -Hn)
[ "$hard_fds" = unlimited ] || [ "$hard_fds" -ge "$want_fds" ] ||
	xt_skip "needs $want_fds open files, the hard limit is $hard_fds"
ulimit -n "$want_fds" || xt_skip "cannot raise the fd limit to $want_fds"
xt_require_helper hostile_client
xt_rig_create
HC="$XT_HELPERS/hostile_client"
xt_make_file "$XT_ROOT/f64k" 65536
xt_make_file "$XT_ROOT/f16m" 16777216
xt_make_file "$XT_ROOT/f2m" 2097152

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$XT_DAEMON_PID/status"; }

# The daemon's high-water marks since it started (sessions_peak: in all,
# sessions_peak_client: of one address), counted at each session start, so
# no peak between two samples goes unseen.
stat_or_fail() { xt_stat "$1" || xt_fail "xtftpctl stats has no $1"; }

# Entries in this daemon's session map (kernel flavour). Other daemons may
# have a map of the same name (and bpftool here lists no owner pids), so
# the map is found through the ids in the daemon's own fdinfo.
kernel_sessions_left() {
	local f id
	for f in /proc/"$XT_DAEMON_PID"/fdinfo/*; do
		id=$(awk '$1 == "map_id:" { print $2 }' "$f" 2>/dev/null)
		[ -n "$id" ] || continue
		if [ "$(bpftool -j map show id "$id" | jq -r .name)" = sessions ]; then
			bpftool -j map dump id "$id" | jq 'length'
			return 0
		fi
	done
	echo "no-map"
}

loadgen() { xt_cli "$LOADGEN" -s "$XT_SRV4" "$@"; }

for flavour in kernel userspace; do
	echo "== $flavour: $SESSIONS concurrent sessions"
	if [ "$flavour" = kernel ]; then
		xt_daemon_start -s -i "$XT_IF_SRV" --max-sessions 4096
	else
		xt_daemon_start -s --no-bpf --max-sessions 4096
	fi
	loadgen -f f64k --compare "$XT_ROOT/f64k" -b 1468 -c 4 >"$XT_TMP/warm.log" 2>&1 ||
		xt_fail "$flavour: warm-up: $(cat "$XT_TMP/warm.log")"
	xt_wait_idle
	idle_fds=$(xt_daemon_fds)
	idle_rss=$(rss_kb)
	done0=$(xt_stat transfers_done)

	# Shaped (server egress, 50 Mbit/s: 64 MB take ~11 s), so the sessions
	# overlap: unshaped, each lasts ~50 ms, less than it takes to start
	# them all, and only ~220 were ever open at once (sessions_peak).
	tc -n "$XT_NS_SRV" qdisc add dev "$XT_IF_SRV" root tbf rate 50mbit burst 64kb latency 400ms ||
		xt_fail "cannot add a tbf qdisc on $XT_IF_SRV (sch_tbf)"
	loadgen -f f64k --compare "$XT_ROOT/f64k" -b 1468 -c "$SESSIONS" -T 1000 -r 8 \
		>"$XT_TMP/load.log" 2>&1 &
	lpid=$!
	xt_on_cleanup "kill -KILL $lpid"
	rc=0; wait "$lpid" || rc=$?
	tc -n "$XT_NS_SRV" qdisc del dev "$XT_IF_SRV" root || xt_fail "cannot remove the tbf qdisc"
	[ "$rc" -eq 0 ] || xt_fail "$flavour: load generator exit $rc: $(tail -n 8 "$XT_TMP/load.log")"
	grep -q "^transfers: $SESSIONS started, $SESSIONS verified, 0 failed, 0 bad" "$XT_TMP/load.log" ||
		xt_fail "$flavour: not every transfer verified: $(head -n 1 "$XT_TMP/load.log")"
	xt_wait_idle 30
	peak=$(stat_or_fail sessions_peak)
	# concurrency floor: the load generator opens its sessions at once
	[ "$peak" -ge "$PEAK_FLOOR" ] ||
		xt_fail "$flavour: sessions_peak $peak: fewer than $PEAK_FLOOR of $SESSIONS sessions were ever open at once"
	done1=$(xt_stat transfers_done)
	[ $((done1 - done0)) -eq "$SESSIONS" ] ||
		xt_fail "$flavour: transfers_done grew by $((done1 - done0)), want $SESSIONS"
	if [ "$flavour" = kernel ]; then   # bpf_active 1 (xt_daemon_start checked)
		left=$(kernel_sessions_left)
		[ "$left" = 0 ] || xt_fail "$flavour: $left entries left in the kernel session map"
		# each transfer on its own (the daemon keeps the last 256 records)
		xt_check_transfers --kernel --min 256
	fi
	xt_wait_until 10 "fd count back to $idle_fds" sh -c "[ \$(ls /proc/$XT_DAEMON_PID/fd | wc -l) -eq $idle_fds ]"
	after_rss=$(rss_kb)
	[ "$after_rss" -le $((idle_rss + RSS_SLACK_KB)) ] ||
		xt_fail "$flavour: RSS $after_rss KiB after the load, idle $idle_rss KiB (bound +$RSS_SLACK_KB KiB)"
	echo "$flavour: $SESSIONS/$SESSIONS verified, sessions_peak $peak (floor $PEAK_FLOOR);" \
		"fds idle $idle_fds after $(xt_daemon_fds); RSS idle ${idle_rss} KiB after ${after_rss} KiB;" \
		"map entries left: $( [ "$flavour" = kernel ] && kernel_sessions_left || echo n/a)"
	sed -n 's/^/  loadgen: /p' "$XT_TMP/load.log" | head -n 5

	if [ "$flavour" = kernel ]; then
		echo "== $flavour: flood beside a 16 MiB download"
		refused0=$(xt_stat requests_refused)
		xt_cli curl -sS --tftp-blksize 1468 -o "$XT_OUT/f16m" "tftp://$XT_SRV4/f16m" \
			>"$XT_TMP/curl.log" 2>&1 &
		cpid=$!
		xt_on_cleanup "kill -KILL $cpid"
		flood=$(xt_cli timeout 30 "$HC" "$XT_SRV4" flood 5 no-such-file) || xt_fail "flood sender failed"
		rc=0; wait "$cpid" || rc=$?
		[ "$rc" -eq 0 ] || xt_fail "download beside the flood: curl exit $rc: $(cat "$XT_TMP/curl.log")"
		xt_check_file "$XT_OUT/f16m" "$XT_ROOT/f16m" "download beside the flood"
		xt_daemon_alive || xt_fail "the daemon died in the flood"
		refused=$(( $(xt_stat requests_refused) - refused0 ))
		[ "$refused" -gt 1000 ] || xt_fail "only $refused refusals counted during the flood ($flood)"
		xt_get curl f64k "$XT_OUT/after" || xt_fail "download after the flood: exit $?"
		xt_check_file "$XT_OUT/after" "$XT_ROOT/f64k" "download after the flood"
		xt_wait_idle 15
		echo "$flood; requests_refused +$refused; 16 MiB download beside it: sha256 ok"
		rm -f "$XT_OUT"/*
	fi
	xt_daemon_stop
done

echo "== --max-sessions 40 against 120 concurrent clients"
xt_daemon_start -s --no-bpf --max-sessions 40
loadgen -f f2m --compare "$XT_ROOT/f2m" -b 512 -c 120 -T 1000 -r 2 -q >"$XT_TMP/limit.log" 2>&1 &
lpid=$!
wait "$lpid" || true   # refused transfers make it exit 1
peak=$(stat_or_fail sessions_peak)
busy=$(xt_stat busy) || xt_fail "no busy counter"
ok=$(sed -n 's/^transfers: [0-9]* started, \([0-9]*\) verified.*/\1/p' "$XT_TMP/limit.log")
bad=$(sed -n 's/.*failed, \([0-9]*\) bad digest.*/\1/p' "$XT_TMP/limit.log")
[ "$peak" -le 40 ] || xt_fail "sessions_peak $peak with --max-sessions 40"
# and the limit was reached (else the refusals prove nothing)
[ "$peak" -eq 40 ] || xt_fail "sessions_peak $peak: 120 clients never filled --max-sessions 40"
[ "$busy" -ge 80 ] || xt_fail "busy $busy, want >= 80 of 120 refused"
[ "${bad:-1}" -eq 0 ] || xt_fail "$bad admitted transfers had a wrong digest"
[ "${ok:-0}" -ge 1 ] || xt_fail "no admitted transfer completed: $(cat "$XT_TMP/limit.log")"
xt_wait_idle 30
echo "--max-sessions 40: sessions_peak $peak, busy $busy refusals (error 3), $ok admitted transfers verified"
xt_daemon_stop

echo "== --max-per-client 10 against 30 concurrent clients from one address"
xt_daemon_start -s --no-bpf --max-per-client 10
loadgen -f f2m --compare "$XT_ROOT/f2m" -b 512 -c 30 -T 1000 -r 2 -q >"$XT_TMP/perclient.log" 2>&1 &
lpid=$!
per_client_refused() { [ "$(xt_stat busy_per_client)" -ge 1 ]; }
xt_wait_until 20 "the first address to reach its limit" per_client_refused
xt_get hpa f2m "$XT_OUT/other-address" "$XT_SRV6" ||
	xt_fail "a client at another address was refused while the first was at its limit"
xt_check_file "$XT_OUT/other-address" "$XT_ROOT/f2m" "download from a second address beside a limited one"
wait "$lpid" || true
peak=$(stat_or_fail sessions_peak)
peak_client=$(stat_or_fail sessions_peak_client)
per=$(xt_stat busy_per_client) || xt_fail "no busy_per_client counter"
bad=$(sed -n 's/.*failed, \([0-9]*\) bad digest.*/\1/p' "$XT_TMP/perclient.log")
[ "$peak_client" -eq 10 ] ||
	xt_fail "sessions_peak_client $peak_client with --max-per-client 10 and 30 clients from one address, want exactly 10"
[ "$peak" -le 11 ] || xt_fail "sessions_peak $peak with --max-per-client 10 (+1 other address)"
[ "$per" -ge 20 ] || xt_fail "busy_per_client $per, want >= 20 of 30 refused"
[ "${bad:-1}" -eq 0 ] || xt_fail "$bad admitted transfers had a wrong digest"
xt_wait_idle 30
echo "--max-per-client 10: peak $peak sessions, $peak_client of one address, busy_per_client $per refusals (error 3), other address served"
xt_daemon_stop
echo "load: $SESSIONS sessions in both flavours, flood, session limits (total and per client) hold"
