#!/usr/bin/env bash
# Clients that vanish mid-transfer: one that sends an RRQ and closes its
# socket, one that acknowledges 5 blocks of blksize 1468 and goes silent
# (rawclient.c), and a real atftp killed with SIGKILL in the middle of a
# 40 MiB download. In both flavours the daemon must give up after its retry
# limit: sessions_active back to 0, transfers_failed up by 3, and its open
# fd count back to the idle value (nothing leaked per session).
. "$(dirname "$0")/lib.sh"
xt_require_root
xt_require_cmd atftp curl
xt_require_daemon
[ "$XT_TARGET" = hpa ] && xt_skip "needs xtftpd's counters (XT_TARGET=hpa)"
xt_require_helper rawclient
xt_rig_create
xt_make_file "$XT_ROOT/small" 3000
xt_make_file "$XT_ROOT/big" 41943040

TIMEOUT=1 RETRIES=3
for flavour in userspace kernel; do
	if [ "$flavour" = kernel ]; then
		xt_daemon_start -s -i "$XT_IF_SRV" --retransmit-timeout $TIMEOUT --retries $RETRIES
	else
		xt_daemon_start -s --no-bpf --retransmit-timeout $TIMEOUT --retries $RETRIES
	fi
	# Idle state after one complete transfer (lazy opens, pool fill).
	xt_get curl small "$XT_OUT/small" || xt_fail "$flavour: warm-up download: exit $?"
	xt_check_file "$XT_OUT/small" "$XT_ROOT/small" "$flavour warm-up"
	xt_wait_idle
	idle_fds=$(xt_daemon_fds)
	failed0=$(xt_stat transfers_failed) || xt_fail "no transfers_failed counter"

	xt_cli "$XT_HELPERS/rawclient" "$XT_SRV4" 69 big 0 ||
		xt_fail "$flavour: rawclient (0 acks) failed"
	xt_cli "$XT_HELPERS/rawclient" "$XT_SRV4" 69 big 5 1468 ||
		xt_fail "$flavour: rawclient (5 acks) failed"

	rm -f "$XT_OUT/big"
	ip netns exec "$XT_NS_CLI" atftp -g -r big -l "$XT_OUT/big" "$XT_SRV4" \
		>"$XT_TMP/atftp.log" 2>&1 &
	apid=$!
	xt_on_cleanup "kill -KILL $apid"
	xt_wait_until 20 "atftp to receive 256 KiB" \
		sh -c "[ \$(stat -c %s '$XT_OUT/big' 2>/dev/null || echo 0) -ge 262144 ]"
	kill -KILL "$apid"
	wait "$apid" 2>/dev/null || true
	got=$(stat -c %s "$XT_OUT/big")
	[ "$got" -lt 41943040 ] || xt_fail "$flavour: atftp finished before it was killed"

	# Give-up time: timeouts with backoff over the retries; 60 s is ample.
	t0=$(xt_now)
	xt_wait_until 60 "transfers_failed >= $((failed0 + 3)) ($flavour)" \
		xt_stat_ge transfers_failed $((failed0 + 3))
	xt_wait_idle 30
	echo "$flavour: 3 vanished clients failed and freed after $(xt_elapsed "$t0")s" \
		"(atftp killed at $got bytes)"
	xt_wait_until 10 "fd count back to $idle_fds ($flavour)" \
		sh -c "[ \$(ls /proc/$XT_DAEMON_PID/fd | wc -l) -le $idle_fds ]"
	# And the daemon still serves.
	xt_get curl small "$XT_OUT/small2" || xt_fail "$flavour: download after vanished clients: exit $?"
	xt_check_file "$XT_OUT/small2" "$XT_ROOT/small" "$flavour after vanished clients"
	rm -f "$XT_OUT/small" "$XT_OUT/small2" "$XT_OUT/big"
	xt_daemon_stop
done
echo "vanished clients: sessions failed and freed in both flavours"
