#!/usr/bin/env bash
# A bench of routers powered on together: 500 RRQs from 500 ports within a
# few milliseconds. Every one is answered (DATA 1 of a one-block file, then
# ACKed), none is lost in the request socket's buffer (requests_dropped 0),
# in both flavours. The default buffer lost 122 of 320 such requests; a drop
# is counted (requests_dropped) and logged, never silent.
set -o errexit -o nounset -o pipefail
source "$(dirname "$0")/lib.sh"
xt_require_root
xt_require_daemon
xt_require_cmd python3
xt_rig_create
xt_make_file "$XT_ROOT/fw" 400

cat > "$XT_TMP/burst.py" <<'PY'
import select, socket, sys, time
host, n = sys.argv[1], int(sys.argv[2])
socks = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(n)]
t0 = time.monotonic()
for s in socks:
    s.sendto(b"\0\1fw\0octet\0", (host, 69))
sent = time.monotonic() - t0
answered = set()
deadline = time.monotonic() + 20
while len(answered) < n and time.monotonic() < deadline:
    r, _, _ = select.select([s for s in socks if s not in answered], [], [], 0.5)
    for s in r:
        pkt, peer = s.recvfrom(2048)
        if pkt[:4] == b"\0\3\0\1":
            s.sendto(b"\0\4\0\1", peer)
            answered.add(s)
print(f"{n} requests sent in {sent * 1000:.1f} ms, {len(answered)} answered")
sys.exit(0 if len(answered) == n else 1)
PY

for flavour in kernel userspace; do
	xt_server_start "$flavour"
	out=$(xt_cli python3 "$XT_TMP/burst.py" "$XT_SRV4" 500) ||
		xt_fail "$flavour: not every request of the burst was answered: $out (requests_dropped $(xt_stat requests_dropped))"
	echo "$flavour: $out"
	xt_wait_idle 30
	[ "$(xt_stat requests_dropped)" = 0 ] || xt_fail "$flavour: requests_dropped $(xt_stat requests_dropped)"
	[ "$(xt_stat transfers_done)" = 500 ] || xt_fail "$flavour: transfers_done $(xt_stat transfers_done), want 500"
	xt_server_stop
done
echo "500 requests at once: all answered and done, none dropped, in both flavours"
