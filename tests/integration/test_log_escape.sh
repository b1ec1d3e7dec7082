#!/usr/bin/env bash
# Requested names and clients' ERROR messages cannot forge log lines: a
# newline (or any control byte) in them is written as \xNN, a backslash as
# \\, so each request stays one line of the text log, read back exactly.
set -o errexit -o nounset -o pipefail
source "$(dirname "$0")/lib.sh"
xt_require_root
xt_require_daemon
xt_require_cmd python3
xt_rig_create
xt_server_start userspace -v

xt_cli python3 - "$XT_SRV4" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(5)
forged = b"nofile\nxtftpd: 1.2.3.4:5 RRQ \"fw.bin\" octet outcome=done\x1b[2J\\"
s.sendto(b"\0\1" + forged + b"\0octet\0", (sys.argv[1], 69))
pkt, _ = s.recvfrom(1024)
assert pkt[:2] == b"\0\5", "want an ERROR: %r" % pkt[:20]
PY
xt_wait_until 5 "the refusal logged" grep -q 'nofile' "$XT_DAEMON_LOG"
xt_server_stop
if grep -q '^xtftpd: 1.2.3.4:5' "$XT_DAEMON_LOG" || grep -q $'\x1b' "$XT_DAEMON_LOG"; then
	sed 's/^/  log: /' "$XT_DAEMON_LOG"
	xt_fail "a requested name wrote a line (or an escape sequence) of its own into the log"
fi
grep -q 'nofile\\x0axtftpd: 1.2.3.4:5 RRQ "fw.bin" octet outcome=done\\x1b\[2J\\\\' "$XT_DAEMON_LOG" ||
	{ sed 's/^/  log: /' "$XT_DAEMON_LOG"; xt_fail "the name is not in the log, escaped"; }
echo "a name with a newline, an escape sequence and a backslash is logged as one escaped line"
