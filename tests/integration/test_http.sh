#!/usr/bin/env bash
# --http (issue 15), tested as a person at a bench and a Prometheus would:
#  - the daemon serves TFTP with its kernel tiers and --http on the server's
#    veth address; a bench laptop (the client namespace) does 8 real-client
#    downloads (sha256 checked), one throttled (htb on the client's ACKs) so
#    it is mid-transfer while the page is looked at, and one client killed
#    mid-transfer so a failed transfer with its diagnosis is on the page;
#  - the page in headless Chromium (DevTools protocol, tests/integration/
#    cdp.py): rows for running and finished transfers, a percentage between
#    0 and 100, the failed row with the daemon's diagnosis, and a download
#    done while the page is open appears through the events stream; the
#    screenshot and DOM are kept in $XT_BUILD/artifacts/;
#  - /metrics through promtool check metrics, with the family names of
#    xtftpctl stats --prometheus; /api/status and /api/transfers parse, with
#    xtftpctl's fields; /api/events read with curl as SSE;
#  - 405/404 for what is not served; a note in the log for a non-loopback
#    address; 40 idle connections neither stall a transfer nor the control
#    socket, are capped, and are closed by the idle timeout;
#  - SIGTERM with an event stream open: the daemon exits 0 at once.
. "$(dirname "$0")/lib.sh"
xt_require_root
xt_require_cmd curl atftp tftp busybox python3 promtool tc chromium
xt_require_daemon
[ "$XT_TARGET" = hpa ] && xt_skip "tests xtftpd's --http (XT_TARGET=hpa)"
XT_BUILD=${XT_BUILD:-$(dirname "$XTFTPD")}
ART="$XT_BUILD/artifacts"
mkdir -p "$ART"
xt_rig_create

HTTP_PORT=8080
URL="http://$XT_SRV4:$HTTP_PORT"
# curl from the bench laptop (the client namespace), bounded
hget() { xt_cli curl -sS --max-time 10 "$@"; }

FAST=(hpa atftp curl curl-1468 curl-noopt busybox)   # + one more while the page is open
sizes=(1 511 2000000 300000 1048576 1468 70000)
for i in 0 1 2 3 4 5 6; do
	xt_make_file "$XT_ROOT/f$i.bin" "${sizes[$i]}"
done
xt_make_file "$XT_ROOT/slow.bin" 4194304
xt_make_file "$XT_ROOT/stuck.bin" 4194304

xt_server_start kernel --http "$XT_SRV4:$HTTP_PORT" --retransmit-timeout 1 --retries 2
grep -q "not loopback" "$XT_DAEMON_LOG" ||
	xt_fail "no log line noting that $XT_SRV4:$HTTP_PORT is readable by anyone on that network"
xt_wait_until 10 "the page at $URL/" sh -c "ip netns exec $XT_NS_CLI curl -sf --max-time 2 -o /dev/null $URL/"

# ---- the events stream, read with curl from the start ----------------------------
SSE="$XT_TMP/sse.txt"
ip netns exec "$XT_NS_CLI" curl -sSN --max-time 300 "$URL/api/events" >"$SSE" 2>"$XT_TMP/sse.err" &
SSE_PID=$!
xt_on_cleanup "kill -KILL $SSE_PID"
xt_wait_until 10 "the event stream's first line" grep -q '^retry: ' "$SSE"

# ---- 6 downloads by real clients --------------------------------------------------
for i in 0 1 2 3 4 5; do
	v=${FAST[$i]}
	XT_CLIENT_LOG="$XT_TMP/client-$i.log" xt_get "$v" "f$i.bin" "$XT_OUT/f$i.bin" ||
		xt_fail "$v f$i.bin: exit $?: $(tail -n 3 "$XT_TMP/client-$i.log")"
	xt_check_file "$XT_OUT/f$i.bin" "$XT_ROOT/f$i.bin" "$v f$i.bin"
done
echo "6 downloads by ${FAST[*]}: sha256 match"

# ---- a client killed mid-transfer (the failed row), then one throttled -------------
# The client's UDP out (its ACKs) goes through a 48 kbit/s htb class: ~90
# ACKs a second, lock-step 512-byte blocks at ~45 KiB/s, a 4 MiB file takes
# ~90 s. TCP (the browser, curl) takes the default class, unshaped, so the
# page is not slowed with the transfer. (No prio/netem here: htb and u32.)
shape_udp() {
	xt_cli tc qdisc add dev "$XT_IF_CLI" root handle 1: htb default 10 &&
	xt_cli tc class add dev "$XT_IF_CLI" parent 1: classid 1:10 htb rate 10gbit &&
	xt_cli tc class add dev "$XT_IF_CLI" parent 1: classid 1:20 htb rate 48kbit ceil 48kbit burst 1600 &&
	xt_cli tc filter add dev "$XT_IF_CLI" parent 1: protocol ip prio 1 u32 \
		match ip protocol 17 0xff flowid 1:20
}
shape_udp 2>"$XT_TMP/tc.log" || xt_fail "cannot shape $XT_IF_CLI's UDP with htb+u32: $(cat "$XT_TMP/tc.log")"
ip netns exec "$XT_NS_CLI" atftp -g -r stuck.bin -l "$XT_OUT/stuck.bin" "$XT_SRV4" \
	>"$XT_TMP/stuck.log" 2>&1 &
STUCK_PID=$!
xt_on_cleanup "kill -KILL $STUCK_PID"
xt_wait_until 30 "the killed client to receive 64 KiB" \
	sh -c "[ \$(stat -c %s '$XT_OUT/stuck.bin' 2>/dev/null || echo 0) -ge 65536 ]"
kill -KILL "$STUCK_PID"
wait "$STUCK_PID" 2>/dev/null || true

ip netns exec "$XT_NS_CLI" timeout 300 tftp -m binary "$XT_SRV4" -c get slow.bin "$XT_OUT/slow.bin" \
	>"$XT_TMP/slow.log" 2>&1 &
SLOW_PID=$!
xt_on_cleanup "kill -KILL $SLOW_PID"

# transfers_json FILTER: the /api/transfers objects for which FILTER (python, t) holds
transfers_json() {
	hget "$URL/api/transfers" | python3 -c '
import json, sys
ts = [t for t in json.load(sys.stdin) if eval(sys.argv[1], {}, {"t": t})]
print(json.dumps(ts))
sys.exit(0 if ts else 1)' "$1"
}
xt_wait_until 30 "stuck.bin failed with a diagnosis in /api/transfers" \
	transfers_json 't["file"] == "stuck.bin" and t["outcome"] != "running" and t["diagnosis"]'
STUCK_DIAG=$(transfers_json 't["file"] == "stuck.bin" and t["outcome"] != "running"' |
	python3 -c 'import json, sys; print(json.load(sys.stdin)[-1]["diagnosis"])')
xt_wait_until 30 "slow.bin mid-transfer in /api/transfers" \
	transfers_json 't["file"] == "slow.bin" and t["outcome"] == "running" and (t["percent"] or 0) > 0'
echo "stuck.bin failed: $STUCK_DIAG"

# ---- the page, in headless Chromium on the bench laptop ---------------------------
mkdir -p "$XT_TMP/home"
HOME="$XT_TMP/home" ip netns exec "$XT_NS_CLI" chromium --headless --no-sandbox --disable-gpu \
	--disable-dev-shm-usage --no-first-run --user-data-dir="$XT_TMP/chromium" \
	--remote-debugging-port=9222 about:blank >"$XT_TMP/chromium.log" 2>&1 &
CHROMIUM_PID=$!
xt_on_cleanup "kill -KILL $CHROMIUM_PID"
DOM="$ART/http-bench-page.html"
PNG="$ART/http-bench-page.png"
rm -f "$DOM" "$PNG"
# first: the running row with a percentage, 6 done rows, the failed row with
# a diagnosis, events received; then a 7th download while the page is open
# must appear through the events stream (more events than at the mark)
WAIT1='(() => {
  const act = [...document.querySelectorAll("#active tr.xfer")];
  const done = document.querySelectorAll("#finished tr.done");
  const failed = [...document.querySelectorAll("#finished tr.failed")];
  return document.body.dataset.ready === "1" && Number(document.body.dataset.events || 0) > 0 &&
    act.some(r => r.dataset.file === "slow.bin" && Number(r.dataset.percent) > 0 && Number(r.dataset.percent) < 100) &&
    done.length >= 6 &&
    failed.some(r => r.dataset.file === "stuck.bin" && r.querySelector("td.diag").textContent.trim().length > 10);
})()'
WAIT2='(() => Number(document.body.dataset.events || 0) > window.__xt_mark &&
  !!document.querySelector("#finished tr.done[data-file=\"f6.bin\"]"))()'
GET7="atftp --option 'blksize 1468' -g -r f6.bin -l '$XT_OUT/f6.bin' $XT_SRV4 >'$XT_TMP/client-6.log' 2>&1"
rc=0
ip netns exec "$XT_NS_CLI" timeout 120 python3 "$(dirname "$0")/cdp.py" 9222 "$URL/" 60 "$DOM" "$PNG" \
	"$WAIT1" "$GET7" "$WAIT2" >"$XT_TMP/cdp.log" 2>&1 || rc=$?
[ "$rc" -eq 0 ] || xt_fail "the page in Chromium (cdp.py exit $rc): $(cat "$XT_TMP/cdp.log"); DOM in $DOM"
kill -KILL "$CHROMIUM_PID" 2>/dev/null || true
wait "$CHROMIUM_PID" 2>/dev/null || true
xt_check_file "$XT_OUT/f6.bin" "$XT_ROOT/f6.bin" "atftp f6.bin (while the page was open)"

# The DOM as Chromium rendered it, read without its JavaScript
python3 - "$DOM" "$STUCK_DIAG" <<'PY' || xt_fail "rendered DOM: see above; kept in $DOM"
import sys
from html.parser import HTMLParser

class Rows(HTMLParser):
    def __init__(self):
        super().__init__()
        self.rows, self.cur, self.table, self.skip = [], None, None, 0
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "script":
            self.skip += 1
        elif tag == "table":
            self.table = a.get("id")
        elif tag == "tr" and "xfer" in (a.get("class") or "").split():
            self.cur = {"table": self.table, "class": a["class"], "text": "", **a}
    def handle_endtag(self, tag):
        if tag == "script":
            self.skip -= 1
        elif tag == "tr" and self.cur is not None:
            self.rows.append(self.cur)
            self.cur = None
    def handle_data(self, data):
        if self.cur is not None and not self.skip:
            self.cur["text"] += data + " "

p = Rows()
p.feed(open(sys.argv[1]).read())
by_file = {}
for r in p.rows:
    by_file.setdefault(r["data-file"], []).append(r)
errs = []
for i in range(7):
    rs = [r for r in by_file.get("f%d.bin" % i, []) if r["table"] == "finished" and "done" in r["class"]]
    if not rs:
        errs.append("no done row for f%d.bin" % i)
slow = [r for r in by_file.get("slow.bin", []) if r["table"] == "active"]
if not slow or not (0 < float(slow[0]["data-percent"]) < 100) or " %" not in slow[0]["text"]:
    errs.append("no running row for slow.bin with a percentage: %r" % slow)
stuck = [r for r in by_file.get("stuck.bin", []) if r["table"] == "finished" and "failed" in r["class"]]
if not stuck or sys.argv[2] not in stuck[0]["text"]:
    errs.append("no failed row for stuck.bin showing the diagnosis %r: %r" % (sys.argv[2], stuck))
for e in errs:
    print("DOM: " + e)
if errs:
    sys.exit(1)
print("page in Chromium: 7 done rows, slow.bin running at %s%%, stuck.bin failed: %s" %
      (slow[0]["data-percent"], " ".join(stuck[0]["text"].split())))
PY
[ "$(head -c 8 "$PNG" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] && [ "$(stat -c %s "$PNG")" -gt 10000 ] ||
	xt_fail "no PNG screenshot at $PNG"
echo "screenshot: $PNG ($(stat -c %s "$PNG") bytes), DOM: $DOM"

# ---- the throttled download completes ---------------------------------------------
xt_cli tc qdisc del dev "$XT_IF_CLI" root
wait "$SLOW_PID" || xt_fail "tftp slow.bin: exit $?: $(tail -n 3 "$XT_TMP/slow.log")"
XT_CLIENT_LOG="$XT_TMP/slow.log" xt_client_said_error && xt_fail "tftp slow.bin: $(tail -n 3 "$XT_TMP/slow.log")"
xt_check_file "$XT_OUT/slow.bin" "$XT_ROOT/slow.bin" "tftp slow.bin (throttled)"
echo "8th download (throttled, mid-transfer on the page) complete: sha256 match"

# ---- /metrics, /api/status, /api/transfers ----------------------------------------
hget -f "$URL/metrics" >"$XT_TMP/metrics.prom" || xt_fail "GET /metrics failed"
promtool check metrics <"$XT_TMP/metrics.prom" >"$XT_TMP/promtool.log" 2>&1 ||
	xt_fail "promtool check metrics: $(head -n 5 "$XT_TMP/promtool.log")"
echo "promtool check metrics: clean ($(grep -c '^# TYPE' "$XT_TMP/metrics.prom") families)"
done_n=$(awk '$1 == "xtftpd_transfers_done_total" { print $2 }' "$XT_TMP/metrics.prom")
[ "${done_n:-0}" -ge 7 ] || xt_fail "/metrics says xtftpd_transfers_done_total ${done_n:-missing}, 7 done"
xt_ctl stats --prometheus >"$XT_TMP/ctl.prom" || xt_fail "xtftpctl stats --prometheus failed"
diff <(grep '^# TYPE' "$XT_TMP/metrics.prom") <(grep '^# TYPE' "$XT_TMP/ctl.prom") >"$XT_TMP/families.diff" ||
	xt_fail "/metrics and xtftpctl stats --prometheus differ in families: $(head -n 5 "$XT_TMP/families.diff")"
hget -f "$URL/api/status" >"$XT_TMP/status.json" || xt_fail "GET /api/status failed"
xt_ctl stats --json >"$XT_TMP/ctl-stats.json" || xt_fail "xtftpctl stats --json failed"
hget -f "$URL/api/transfers" >"$XT_TMP/transfers.json" || xt_fail "GET /api/transfers failed"
xt_ctl transfers --json >"$XT_TMP/ctl-transfers.jsonl" || xt_fail "xtftpctl transfers --json failed"
python3 - "$XT_TMP/status.json" "$XT_TMP/ctl-stats.json" "$XT_TMP/transfers.json" "$XT_TMP/ctl-transfers.jsonl" <<'PY' ||
import json, sys
st = json.load(open(sys.argv[1]))
ctl = json.load(open(sys.argv[2]))
assert "listening" in st["status"], st["status"]
assert set(st["stats"]) == set(ctl), set(st["stats"]) ^ set(ctl)
assert st["stats"]["transfers_done"] >= 7, st["stats"]["transfers_done"]
assert st["stats"]["bpf_active"] == 1, st["stats"]["bpf_active"]
ts = json.load(open(sys.argv[3]))
ctl_ts = [json.loads(l) for l in open(sys.argv[4]) if l.strip()]
assert isinstance(ts, list) and ts, ts
assert set(ts[0]) == set(ctl_ts[0]), set(ts[0]) ^ set(ctl_ts[0])
files = {t["file"]: t for t in ts}
for i in range(7):
    assert files["f%d.bin" % i]["outcome"] == "done", files.get("f%d.bin" % i)
print("/api/status and /api/transfers: xtftpctl's fields, %d transfers, %d done" %
      (len(ts), st["stats"]["transfers_done"]))
PY
	xt_fail "/api/status or /api/transfers (above)"

# ---- the SSE stream as curl read it ------------------------------------------------
python3 - "$SSE" <<'PY' || xt_fail "the event stream: see above"
import json, sys
evs, bad = [], []
for block in open(sys.argv[1]).read().split("\n\n"):
    for line in block.split("\n"):
        if line.startswith("data: "):
            try:
                evs.append(json.loads(line[6:]))
            except ValueError:
                bad.append(line[:80])
assert not bad, "data lines that are not JSON: %r" % bad
seen = {(e["event"], e["file"]) for e in evs}
for i in range(7):
    assert ("start", "f%d.bin" % i) in seen and ("done", "f%d.bin" % i) in seen, "f%d.bin" % i
assert ("failed", "stuck.bin") in seen, "no failed event for stuck.bin"
assert ("start", "slow.bin") in seen, "no start event for slow.bin"
seqs = [e["seq"] for e in evs]
assert seqs == sorted(seqs), "events out of order"
print("/api/events with curl: %d events as SSE, start and done for the 7 downloads, failed for stuck.bin" % len(evs))
PY

# ---- what is not served -----------------------------------------------------------
code=$(hget -o /dev/null -w '%{http_code}' -X POST "$URL/metrics")
[ "$code" = 405 ] || xt_fail "POST /metrics: HTTP $code, want 405"
hget -o /dev/null -D "$XT_TMP/405.hdr" -X DELETE "$URL/api/status"
grep -qi '^Allow: GET, HEAD' "$XT_TMP/405.hdr" || xt_fail "405 without Allow: GET, HEAD"
code=$(hget -o /dev/null -w '%{http_code}' "$URL/no/such/page")
[ "$code" = 404 ] || xt_fail "GET /no/such/page: HTTP $code, want 404"
code=$(hget -o /dev/null -w '%{http_code}' -I "$URL/")
[ "$code" = 200 ] || xt_fail "HEAD /: HTTP $code, want 200"
echo "POST/DELETE 405 with Allow, unknown path 404, HEAD 200"

# ---- idle clients cannot stall anything -------------------------------------------
# 40 connections that send nothing (more than the 32 allowed): the control
# socket and a TFTP transfer go on; the daemon runs no more than 32
# connection threads; every idle connection is closed within the 10 s idle
# timeout (plus slack).
threads_before=$(awk '/^Threads:/ { print $2 }' "/proc/$XT_DAEMON_PID/status")
ip netns exec "$XT_NS_CLI" python3 - "$XT_SRV4" "$HTTP_PORT" "$XT_TMP/idle.ready" >"$XT_TMP/idle.log" 2>&1 <<'PY' &
import socket, sys, time
socks = [socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=30) for _ in range(40)]
open(sys.argv[3], "w").close()
start = time.monotonic()
closed = 0
for s in socks:
    try:
        s.recv(1)                      # EOF (or a reset) when the server closes it
        closed += 1
    except socket.timeout:
        pass
    except OSError:
        closed += 1
print("%d of 40 idle connections closed by the server within %.1f s" % (closed, time.monotonic() - start))
sys.exit(0 if closed == 40 else 1)
PY
IDLE_PID=$!
xt_on_cleanup "kill -KILL $IDLE_PID"
xt_wait_until 10 "40 idle HTTP connections open" test -e "$XT_TMP/idle.ready"
xt_ctl status >/dev/null || xt_fail "control socket did not answer with 40 idle HTTP connections"
rm -f "$XT_OUT/f4.bin"
XT_CLIENT_LOG="$XT_TMP/client-idle.log" xt_get curl f4.bin "$XT_OUT/f4.bin" ||
	xt_fail "TFTP download with 40 idle HTTP connections: exit $?"
xt_check_file "$XT_OUT/f4.bin" "$XT_ROOT/f4.bin" "curl f4.bin with 40 idle HTTP connections"
threads=$(awk '/^Threads:/ { print $2 }' "/proc/$XT_DAEMON_PID/status")
[ "$threads" -le $((threads_before + 32)) ] ||
	xt_fail "$threads threads with 40 idle HTTP connections (was $threads_before): the 32-connection cap does not hold"
wait "$IDLE_PID" || xt_fail "idle connections: $(cat "$XT_TMP/idle.log")"
echo "idle: $(cat "$XT_TMP/idle.log"); threads $threads_before -> $threads; a transfer and the control socket went on"
# a closed connection's thread ends a moment after the close: until then
# the slot is taken and a new connection is accepted and closed at once
xt_wait_until 10 "/metrics to answer again after the idle connections" \
	ip netns exec "$XT_NS_CLI" curl -sf --max-time 2 -o /dev/null "$URL/metrics"

# ---- SIGTERM with an event stream open ---------------------------------------------
kill -0 "$SSE_PID" 2>/dev/null || xt_fail "the curl event stream ended before the daemon: $(cat "$XT_TMP/sse.err")"
xt_wait_idle 30
xt_daemon_stop
xt_wait_until 5 "the event stream to end with the daemon" sh -c "! kill -0 $SSE_PID 2>/dev/null"
echo "daemon stopped with an event stream open: exit 0, no sanitizer report, stream ended"
