#!/usr/bin/env bash
# Size probes are probes (what UEFI PXE and PXE ROMs do first): an RRQ with
# tsize, answered with an OACK, that the client ends with an ERROR before
# any DATA is recorded as outcome "probe", counted in transfers_probes and
# not in transfers_failed, logged as info and sent as a "probe" event; the
# real request that follows from the same client is linked to it
# (after_probe). An ERROR after DATA stays a client error. Both flavours.
set -o errexit -o nounset -o pipefail
source "$(dirname "$0")/lib.sh"
xt_require_root
xt_require_daemon
xt_require_cmd curl python3 sha256sum
xt_rig_create
xt_make_file "$XT_ROOT/fw.bin" 300000

# probe.py HOST NAME AFTER: RRQ NAME with tsize; on the OACK (or, with
# AFTER=data, on DATA 1 after ACK 0) send ERROR 8 as EDK2 does.
cat > "$XT_TMP/probe.py" <<'PY'
import socket, struct, sys
host, name, after = sys.argv[1], sys.argv[2], sys.argv[3]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(5)
s.sendto(b"\0\1" + name.encode() + b"\0octet\0tsize\0" + b"0\0blksize\0" + b"1468\0", (host, 69))
pkt, peer = s.recvfrom(2048)
assert pkt[:2] == b"\0\6", "no OACK: %r" % pkt[:40]
print("OACK", pkt[2:].split(b"\0")[:4])
if after == "data":
    s.sendto(b"\0\4\0\0", peer)
    pkt, peer = s.recvfrom(2048)
    assert pkt[:4] == b"\0\3\0\1", "no DATA 1"
s.sendto(b"\0\5\0\x08User aborted the transfer\0", peer)
PY

for flavour in kernel userspace; do
	xt_server_start "$flavour" --event-log "$XT_TMP/events-$flavour.jsonl"
	xt_cli python3 "$XT_TMP/probe.py" "$XT_SRV4" fw.bin oack || xt_fail "$flavour: the probe client failed"
	xt_get curl-1468 fw.bin "$XT_OUT/fw.bin" || xt_fail "$flavour: the real download failed"
	xt_check_file "$XT_OUT/fw.bin" "$XT_ROOT/fw.bin" "$flavour: download after the probe"
	xt_cli python3 "$XT_TMP/probe.py" "$XT_SRV4" fw.bin data || xt_fail "$flavour: the abort-after-DATA client failed"
	xt_wait_idle
	[ "$(xt_stat transfers_probes)" = 1 ] || xt_fail "$flavour: transfers_probes $(xt_stat transfers_probes), want 1"
	[ "$(xt_stat transfers_failed)" = 1 ] ||
		xt_fail "$flavour: transfers_failed $(xt_stat transfers_failed), want 1 (only the abort after DATA)"
	[ "$(xt_stat transfers_done)" = 1 ] || xt_fail "$flavour: transfers_done $(xt_stat transfers_done), want 1"
	xt_ctl transfers --json > "$XT_TMP/t.json" || xt_fail "xtftpctl transfers --json failed"
	python3 - "$XT_TMP/t.json" "$XT_TMP/events-$flavour.jsonl" <<'PY' || xt_fail "$flavour: probe records"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
evs = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
assert [r["outcome"] for r in recs] == ["probe", "done", "client-error"], [r["outcome"] for r in recs]
probe, real, aborted = recs
assert real["after_probe"] == probe["id"], (real["after_probe"], probe["id"])
assert real["restart_of"] == 0 and aborted["after_probe"] == 0
assert "probe" in [e["event"] for e in evs], "no probe event"
print("probe", probe["id"], "then transfer", real["id"], "after_probe", real["after_probe"])
PY
	grep -q 'outcome=probe' "$XT_DAEMON_LOG" || xt_fail "$flavour: the log has no outcome=probe line"
	xt_server_stop
done
echo "size probes recorded as probes (transfers_failed counts only the abort after DATA), the real request linked, in both flavours"
