#!/usr/bin/env bash
# Who may ask: --allow / --deny CIDR (deny wins). A refused source gets
# ERROR 2 "access denied" (or nothing with --deny-silently), is counted in
# requests_denied, is logged once a minute however often it asks, and gets
# no session in any tier; an allowed one is served. A malformed CIDR is a
# one-line usage error (exit 2). Kernel flavour (the kernel tiers never
# serve what userspace refused).
set -o errexit -o nounset -o pipefail
source "$(dirname "$0")/lib.sh"
xt_require_root
xt_require_daemon
xt_require_cmd python3 tftp sha256sum
xt_rig_create
xt_make_file "$XT_ROOT/fw" 200000
net="${XT_SRV4%.*}.0"

cat > "$XT_TMP/ask.py" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(1.5)
s.sendto(b"\0\1fw\0octet\0", (sys.argv[1], 69))
try:
    pkt, _ = s.recvfrom(2048)
except socket.timeout:
    print("no answer")
    sys.exit(0)
if pkt[:2] == b"\0\5":
    print("error", int.from_bytes(pkt[2:4], "big"), pkt[4:-1].decode())
else:
    print("opcode", int.from_bytes(pkt[:2], "big"))
PY

for bad in "$net/33" "${XT_CLI4}/24" "not-an-address" "2001:db8::1/64"; do
	rc=0
	out=$("$XTFTPD" --allow "$bad" --check-config "$XT_ROOT" 2>&1) || rc=$?
	[ "$rc" -eq 2 ] && [ "$(echo "$out" | wc -l)" -eq 1 ] && [[ $out == *"--allow $bad"* ]] ||
		xt_fail "--allow $bad: exit $rc, '$out' (want a one-line usage error, exit 2)"
done

# The client's own address denied inside an allowed network.
xt_server_start kernel --allow "$net/24" --deny "$XT_CLI4/32"
for i in 1 2 3; do
	got=$(xt_cli python3 "$XT_TMP/ask.py" "$XT_SRV4")
	[ "$got" = "error 2 access denied" ] || xt_fail "denied source got '$got', want error 2"
done
[ "$(xt_stat requests_denied)" = 3 ] || xt_fail "requests_denied $(xt_stat requests_denied), want 3"
[ "$(xt_stat transfers_started)" = 0 ] || xt_fail "a denied request started a transfer"
[ "$(xt_stat kernel_sessions)" = 0 ] || xt_fail "a denied request reached the kernel tiers"
[ "$(grep -c 'denied by --allow/--deny' "$XT_DAEMON_LOG")" = 1 ] ||
	xt_fail "3 denied requests logged $(grep -c 'denied by' "$XT_DAEMON_LOG") times, want once a minute"
xt_server_stop

# Silently.
xt_server_start kernel --deny "$net/24" --deny-silently
got=$(xt_cli python3 "$XT_TMP/ask.py" "$XT_SRV4")
[ "$got" = "no answer" ] || xt_fail "--deny-silently: got '$got'"
[ "$(xt_stat requests_denied)" = 1 ] || xt_fail "--deny-silently: requests_denied $(xt_stat requests_denied)"
xt_server_stop

# Allowed: served, by the kernel tiers.
xt_server_start kernel --allow "$XT_CLI4/32" --allow 2001:db8::/32
xt_get atftp-1468 fw "$XT_OUT/fw" || xt_fail "an allowed client was not served"
xt_check_file "$XT_OUT/fw" "$XT_ROOT/fw" "allowed client"
xt_wait_idle
[ "$(xt_stat requests_denied)" = 0 ] || xt_fail "an allowed client was counted as denied"
[ "$(xt_stat blocks_tc)" -ge 130 ] || xt_fail "an allowed client was not served by the kernel tiers"
xt_server_stop
echo "--allow/--deny: denied sources get error 2 (or nothing), counted, logged once; allowed ones served by the kernel; bad CIDRs are usage errors"
