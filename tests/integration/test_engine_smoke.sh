#!/usr/bin/env bash
# The engine's own contract, beyond the client matrix: the CLI's exit codes,
# --single-port (every packet from port 69), --port-range (TID from the
# range; no free port -> error 0), --max-sessions (error 3 "server busy"),
# a stray packet to a transfer port (error 5, transfer unharmed), a
# clean SIGTERM that removes the control socket, and tftpd-hpa's -4, -6,
# -P (pid file, removed at exit), -T (retransmit us) and -t (ignored).
. "$(dirname "$0")/lib.sh"
xt_require_root
xt_require_cmd tftp atftp curl nft od
xt_require_daemon

# ---- CLI: exit codes and one-line messages (no namespace needed) ----------------
rc=0; "$XTFTPD" --no-such-flag >"$XT_TMP/cli.log" 2>&1 || rc=$?
[ "$rc" -eq 2 ] || xt_fail "unknown flag: exit $rc, want 2"
grep -q -- '--no-such-flag' "$XT_TMP/cli.log" || xt_fail "unknown flag: message does not name it"
rc=0; "$XTFTPD" -B 5 "$XT_ROOT" >"$XT_TMP/cli.log" 2>&1 || rc=$?
[ "$rc" -eq 2 ] || xt_fail "-B 5: exit $rc, want 2"
rc=0; "$XTFTPD" -L -u "nosuchuser$$" --control "" -a 127.0.0.1:1069 "$XT_ROOT" >"$XT_TMP/cli.log" 2>&1 || rc=$?
[ "$rc" -eq 1 ] || xt_fail "-u unknown user: exit $rc, want 1"
[ "$(wc -l < "$XT_TMP/cli.log")" -eq 1 ] || xt_fail "-u unknown user: want one line, got: $(cat "$XT_TMP/cli.log")"
# captured first: grep -q quits at the first match and, with pipefail, the
# writer's SIGPIPE would fail the pipeline
help=$("$XTFTPD" --help) || xt_fail "--help: exit $?"
grep -q -- '--single-port' <<<"$help" || xt_fail "--help lacks --single-port"
version=$("$XTFTPD" --version) || xt_fail "--version: exit $?"
grep -q '^xtftpd [0-9]' <<<"$version" || xt_fail "--version says '$version'"
rc=0; "$XTFTPCTL" -S "$XT_TMP/nothing.sock" status >/dev/null 2>&1 || rc=$?
[ "$rc" -eq 1 ] || xt_fail "xtftpctl without daemon: exit $rc, want 1"

xt_require_helper rawclient
xt_rig_create
xt_make_file "$XT_ROOT/f" 300000
xt_make_file "$XT_ROOT/big" 4000000

# ---- --single-port: all replies from port 69 ----------------------------------------
xt_cli nft -f - <<NFT || xt_fail "cannot load nftables counters"
table inet xtsp$$ {
	chain input {
		type filter hook input priority 0;
		ip saddr $XT_SRV4 udp sport 69 counter
		ip saddr $XT_SRV4 udp sport != 69 counter
	}
}
NFT
xt_on_cleanup "ip netns exec $XT_NS_CLI nft delete table inet xtsp$$"
xt_daemon_start -s --no-bpf --single-port
for v in hpa atftp curl; do
	rm -f "$XT_OUT/f"
	xt_get "$v" f "$XT_OUT/f" || xt_fail "single-port $v: exit $?"
	xt_check_file "$XT_OUT/f" "$XT_ROOT/f" "single-port $v"
done
counts=$(xt_cli nft list table inet xtsp$$ | awk '/counter packets/ { for (i = 1; i <= NF; i++) if ($i == "packets") print $(i + 1) }' | tr '\n' ' ')
read -r from69 other <<<"$counts"
[ "${from69:-0}" -gt 100 ] || xt_fail "single-port: only ${from69:-0} packets from port 69"
[ "${other:-1}" -eq 0 ] || xt_fail "single-port: $other packets from another port"
xt_daemon_stop
xt_note "single-port: $from69 packets, all from port 69"

# ---- --port-range with one port, --max-sessions 1 busy, wrong TID ----------------
# A client that vanishes after the OACK holds the only port for
# timeout x (retries + 1) = 3 s.
PORT=$(( 40000 + $$ % 20000 ))
xt_daemon_start -s --no-bpf -R "$PORT:$PORT" --retransmit-timeout 1 --retries 2 --max-sessions 1
xt_cli "$XT_HELPERS/rawclient" "$XT_SRV4" 69 big 1 || xt_fail "rawclient failed"
[ "$(xt_stat sessions_active)" -eq 1 ] || xt_fail "the vanished client's session is not active"
xt_cli ss -uan | grep -q ":$PORT " && xt_fail "port $PORT is in the client namespace?!"
xt_srv ss -uan | grep -q "$XT_SRV4:$PORT " || xt_fail "the transfer does not use port $PORT of --port-range"

# error 3 when --max-sessions is reached
XT_CLIENT_LOG=$XT_TMP/busy.log xt_get hpa f "$XT_OUT/busy" || true
grep -q 'Error code 3' "$XT_TMP/busy.log" || xt_fail "busy: want error 3, client said: $(cat "$XT_TMP/busy.log")"
[ "$(xt_stat busy)" -ge 1 ] || xt_fail "busy counter not counted"

# error 5 to a stray packet for the transfer's port; the session lives on
reply=$(xt_cli bash -c "exec 3<>/dev/udp/$XT_SRV4/$PORT; printf '\\0\\4\\0\\1' >&3; timeout 3 head -c 4 <&3 | od -An -tx1" | tr -d ' \n')
[ "$reply" = 00050005 ] || xt_fail "stray ACK: want ERROR 5 (00050005), got '$reply'"
[ "$(xt_stat wrong_tid)" -ge 1 ] || xt_fail "wrong_tid not counted"
[ "$(xt_stat sessions_active)" -eq 1 ] || xt_fail "the stray packet ended the transfer"

# the vanished client's transfer times out and frees the port and the slot
xt_wait_until 10 "vanished session to time out" sh -c "[ \"\$($XTFTPCTL -S $XT_CTL_SOCK stats | awk '\$1 == \"sessions_active\" { print \$2 }')\" = 0 ]"
xt_ctl transfers | grep -q 'outcome=timeout: timeout at block 2 of' || xt_fail "no 'timeout at block 2' record: $(xt_ctl transfers)"
rm -f "$XT_OUT/f"
xt_get atftp f "$XT_OUT/f" || xt_fail "after the timeout: download failed"
xt_check_file "$XT_OUT/f" "$XT_ROOT/f" "port-range download"

# ---- SIGTERM: exit 0 (checked by xt_daemon_stop) and the socket is gone -------------
xt_daemon_stop
[ -e "$XT_CTL_SOCK" ] && xt_fail "control socket left behind after SIGTERM"

# ---- tftpd-hpa's -4 / -6, -P pidfile, -T retransmit (us), -t (ignored) --------------
xt_daemon_start -s --no-bpf -4 -P "$XT_TMP/xtftpd.pid" -T 500000 -t 900
xt_srv ss -Huln > "$XT_TMP/ss4"
grep -qE "^UNCONN .* 0\.0\.0\.0:69 " "$XT_TMP/ss4" || xt_fail "-4: no IPv4 listener on 69: $(cat "$XT_TMP/ss4")"
grep -qE "\[::\]:69 " "$XT_TMP/ss4" && xt_fail "-4: an IPv6 listener on 69: $(cat "$XT_TMP/ss4")"
[ "$(cat "$XT_TMP/xtftpd.pid")" = "$XT_DAEMON_PID" ] ||
	xt_fail "-P: pid file says '$(cat "$XT_TMP/xtftpd.pid")'"
rm -f "$XT_OUT/f"
xt_get hpa f "$XT_OUT/f" || xt_fail "-4: download failed"
xt_check_file "$XT_OUT/f" "$XT_ROOT/f" "download with -4 -P -T -t"
xt_daemon_stop
[ -e "$XT_TMP/xtftpd.pid" ] && xt_fail "-P: pid file left behind after SIGTERM"
# in.tftpd's --timeout is -t's long form: a TFTP_OPTIONS copied from
# /etc/default/tftpd-hpa with "--timeout 900" starts, and leaves the
# retransmit timeout (1 s, or --retransmit-timeout) alone.
xt_daemon_start -s --no-bpf --timeout 900 --retransmit-timeout 0.5
xt_get hpa f "$XT_OUT/f2" || xt_fail "--timeout 900 (tftpd-hpa's meaning): download failed"
xt_check_file "$XT_OUT/f2" "$XT_ROOT/f" "download with --timeout 900"
xt_wait_idle
xt_ctl transfers --json | python3 -c 'import json, sys; t = [json.loads(l) for l in sys.stdin if l.strip()][-1]; sys.exit(0 if t["timeout_us"] == 500000 else "timeout_us %d, want 500000 from --retransmit-timeout 0.5" % t["timeout_us"])' ||
	xt_fail "--timeout 900 changed the retransmit timeout"
xt_daemon_stop
xt_daemon_start -s --no-bpf -6
xt_srv ss -Huln > "$XT_TMP/ss6"
grep -qE "\[::\]:69 " "$XT_TMP/ss6" || xt_fail "-6: no IPv6 listener on 69: $(cat "$XT_TMP/ss6")"
grep -qE " 0\.0\.0\.0:69 " "$XT_TMP/ss6" && xt_fail "-6: an IPv4 listener on 69: $(cat "$XT_TMP/ss6")"
xt_daemon_stop
echo "engine: CLI exit codes, single-port ($from69 pkts from :69), port-range, busy (3), wrong TID (5), timeout record, clean stop, -4/-6/-P/-T/-t/--timeout"
