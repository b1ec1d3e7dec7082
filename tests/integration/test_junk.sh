#!/usr/bin/env bash
# Junk from the client's own port does not end a transfer: a 1-byte and a
# 3-byte runt and an unknown opcode (9) sent mid-transfer from the client's
# port are ignored and counted (junk_ignored), as tftpd-hpa ignores them,
# and the download finishes intact; only a real ERROR ends it. Both flavours.
set -o errexit -o nounset -o pipefail
source "$(dirname "$0")/lib.sh"
xt_require_root
xt_require_daemon
xt_require_cmd python3 sha256sum
xt_rig_create
xt_make_file "$XT_ROOT/fw" 300000

cat > "$XT_TMP/junk.py" <<'PY'
import socket, sys
host, out = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(3)
s.sendto(b"\0\1fw\0octet\0blksize\0001468\0", (host, 69))
pkt, peer = s.recvfrom(2048)
assert pkt[:2] == b"\0\6", "no OACK"
data, want, junk_sent = b"", 0, False
s.sendto(b"\0\4\0\0", peer)
while True:
    pkt, p = s.recvfrom(2048)
    if pkt[:2] == b"\0\5":
        sys.exit("server ended the transfer: %r" % pkt[:60])
    blk = int.from_bytes(pkt[2:4], "big")
    if pkt[:2] != b"\0\3" or blk != (want + 1) & 0xffff:
        continue
    want += 1
    data += pkt[4:]
    if want == 10 and not junk_sent:
        for j in (b"\0", b"\0\4\0", b"\0\x09junk"):
            s.sendto(j, peer)
        junk_sent = True
    s.sendto(b"\0\4" + pkt[2:4], peer)
    if len(pkt) < 4 + 1468:
        break
open(out, "wb").write(data)
PY

for flavour in kernel userspace; do
	xt_server_start "$flavour"
	xt_cli python3 "$XT_TMP/junk.py" "$XT_SRV4" "$XT_OUT/fw" || xt_fail "$flavour: junk ended the transfer"
	xt_check_file "$XT_OUT/fw" "$XT_ROOT/fw" "$flavour: download with junk from the client's port"
	xt_wait_idle
	[ "$(xt_stat junk_ignored)" = 3 ] || xt_fail "$flavour: junk_ignored $(xt_stat junk_ignored), want 3"
	[ "$(xt_stat transfers_done)" = 1 ] || xt_fail "$flavour: transfers_done $(xt_stat transfers_done)"
	rm -f "$XT_OUT/fw"
	xt_server_stop
done
echo "two runts and an unknown opcode mid-transfer: ignored, counted, the download intact, in both flavours"
