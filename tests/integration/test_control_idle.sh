#!/usr/bin/env bash
# Idle connections to the control socket cannot lock xtftpctl out: with 100
# connections open that never send a command (the cap is 64), xtftpctl
# status and stats still answer at once, and a download still works; the
# idle ones are closed by the daemon (oldest first at the cap, all after 5 s).
set -o errexit -o nounset -o pipefail
source "$(dirname "$0")/lib.sh"
xt_require_root
xt_require_daemon
xt_require_cmd python3 tftp
xt_rig_create
xt_make_file "$XT_ROOT/f" 100000
xt_server_start userspace

# Hold 100 idle connections; report how many the daemon closed, on exit.
python3 - "$XT_CTL_SOCK" "$XT_TMP/idle.out" <<'PY' &
import socket, sys, time, select
path, out = sys.argv[1], sys.argv[2]
conns = []
for _ in range(100):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    conns.append(s)
open(out + ".ready", "w").close()
deadline = time.monotonic() + 30
closed = set()
while time.monotonic() < deadline and len(closed) < len(conns):
    r, _, _ = select.select([c for c in conns if c not in closed], [], [], 0.2)
    for c in r:
        if not c.recv(1):
            closed.add(c)
with open(out, "w") as f:
    f.write(f"{len(closed)}\n")
PY
holder=$!
xt_on_cleanup "kill $holder"
xt_wait_until 10 "100 idle control connections" test -e "$XT_TMP/idle.out.ready"
for i in 1 2 3; do
	timeout 3 "$XTFTPCTL" -S "$XT_CTL_SOCK" status >/dev/null ||
		xt_fail "xtftpctl status did not answer with 100 idle connections open (try $i)"
done
timeout 3 "$XTFTPCTL" -S "$XT_CTL_SOCK" stats | grep -q '^transfers_started ' ||
	xt_fail "xtftpctl stats did not answer with idle connections open"
xt_get hpa f "$XT_OUT/f" || xt_fail "download failed"
xt_check_file "$XT_OUT/f" "$XT_ROOT/f" "download beside idle control connections"
# Past the idle limit (5 s) an accept closes the rest: status polls it.
xt_wait_until 20 "the daemon to close all 100 idle connections" \
	sh -c "timeout 3 '$XTFTPCTL' -S '$XT_CTL_SOCK' status >/dev/null && test -s '$XT_TMP/idle.out'"
wait "$holder" || true
closed=$(cat "$XT_TMP/idle.out")
[ "$closed" -eq 100 ] || xt_fail "the daemon closed $closed of 100 idle connections, want all"
xt_server_stop
echo "100 idle control connections: xtftpctl answered at once, all 100 closed by the daemon"
