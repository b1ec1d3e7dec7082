#!/usr/bin/env bash
# Duplicate ACKs under xtftp_rto.h's rule 2 (issue 13; Sorcerer's Apprentice
# probe of issue 16), in both flavours (the kernel tiers on the veth, where
# TC serves; and --no-bpf). A raw lock-step client (Python, below) asks for
# timeout=1 (RFC 2349: the server's timer is then 1 s, fixed, so every copy
# seen within the probe's windows is rule 2's, none the timer's) and, on
# DATA N, does not acknowledge it:
#   0  ACK N-1 twice at once: within the gap (xt_dup_resend_gap, >= 1 ms
#      after DATA N left), so no copy of N may come. Asserted when the
#      client sent both within 0.5 ms of DATA N arriving (the kernel's
#      receive timestamp, SO_TIMESTAMPNS: a probe woken late must not
#      count its wake-up as the server's), else reported as inconclusive
#      (a loaded host);
#   A  100 ms later (past any gap here) a burst of 5 x ACK N-1: DATA N
#      comes again, once per gap: at least 1 copy, at most 1 + the burst's
#      span in ms (the gap's floor is 1 ms);
#   B  the same again 100 ms later: one copy again (a new gap; N-1 is not
#      the block resent last, so no echo);
#   C  (N not final) ACK N, the new ACK: DATA N+1; 100 ms later ACK N again,
#      the echo of our second copy of N: absorbed, no DATA for 300 ms (an
#      answer would start the echo chain); then ACK N once more: news of a
#      loss, one copy of N+1;
#   then the download completes normally (sha256), and no other copy of any
#   block came: DATA received <= blocks + 1 per injected loss (A, B and C's
#   news), exactly so.
# The server's counters agree: dup_resends = the copies, dup_acks = every
# duplicate sent (answered or not), per transfer and in the totals; the
# kernel flavour's were the kernel's (kernel_dup_resends). The XDP tier gets
# the same rules under BPF_PROG_TEST_RUN (tests/bpf/test_prog_run.c,
# dupack_*): XDP cannot grow frames on a veth, so it serves nothing here.
. "$(dirname "$0")/lib.sh"
xt_require_root
xt_require_cmd python3
xt_require_daemon
[ "$XT_TARGET" = hpa ] && xt_skip "asserts xtftpd's rule 2 and its per-transfer records (XT_TARGET=hpa)"
xt_rig_create
xt_make_file "$XT_ROOT/f5k" $((512 * 10 + 100))     # 11 blocks of 512, 4 of 1468
xt_make_file "$XT_ROOT/f64k" 65536                  # 129 blocks of 512

PROBE="$XT_TMP/dupack_probe.py"
cat > "$PROBE" <<'EOF'
import socket, struct, sys, time
server, name, out, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
opts = sys.argv[5:]                     # extra option pairs, e.g. blksize 1468
import os
DEBUG = os.environ.get("XT_PROBE_DEBUG")
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
req = b"\0\1" + name.encode() + b"\0octet\0timeout\0" + b"1\0"
for o in opts:
    req += o.encode() + b"\0"
s.sendto(req, (server, 69))
tid = None
blksize = 512
last_rx = 0.0                           # when the last packet arrived (ms)
got = {}                                # block -> copies received
data = {}
fail = []
def now_ms():
    return time.monotonic() * 1000.0
SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)   # asm-generic, x86
s.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
def rx_stamp(anc):
    """the kernel's receive time of a datagram (CLOCK_REALTIME, s)"""
    for level, kind, val in anc:
        if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS and len(val) >= 16:
            sec, nsec = struct.unpack("qq", val[:16])
            return sec + nsec / 1e9
    return time.time()
def recv(deadline_ms):
    """next packet from the TID before deadline: (op, block, payload) or None"""
    global tid
    while True:
        left = deadline_ms - now_ms()
        if left <= 0:
            return None
        s.settimeout(left / 1000.0)
        try:
            pkt, anc, _, frm = s.recvmsg(65536, socket.CMSG_SPACE(16))
        except socket.timeout:
            return None
        global last_rx
        # when the packet entered this namespace's stack (the veth is
        # synchronous from the server's send): phase 0's clock starts
        # there, not when this process woke up to read it
        last_rx = now_ms() - (time.time() - rx_stamp(anc)) * 1000.0
        if tid is None:
            tid = frm
        if frm != tid or len(pkt) < 4:
            continue
        op, blk = struct.unpack("!HH", pkt[:4])
        if DEBUG: sys.stderr.write("rx op %d blk %d len %d from %r\n" % (op, blk, len(pkt), frm))
        if op == 3:
            got[blk] = got.get(blk, 0) + 1
            data.setdefault(blk, pkt[4:])
        if op == 5:
            sys.exit("server ERROR %d: %r" % (blk, pkt[4:]))
        return op, blk, pkt[4:]
def ack(b):
    s.sendto(struct.pack("!HH", 4, b & 0xffff), tid)
def collect(ms):
    """every DATA within ms: a list of block numbers"""
    end = now_ms() + ms
    seen = []
    while True:
        p = recv(end)
        if p is None:
            return seen
        if p[0] == 3:
            seen.append(p[1])
def burst(b, k):
    t0 = now_ms()
    for _ in range(k):
        ack(b)
    return now_ms() - t0
# the OACK
p = recv(now_ms() + 3000)
if p is None or p[0] != 6:
    sys.exit("no OACK: %r" % (p,))
fields = p[2].split(b"\0")
for i in range(0, len(fields) - 1, 2):
    if fields[i].lower() == b"blksize":
        blksize = int(fields[i + 1])
    if fields[i].lower() == b"timeout" and fields[i + 1] != b"1":
        fail.append("OACK timeout %r, want 1" % fields[i + 1])
ack(0)
expect, final, losses, resent_dups, dups_sent, retries = 1, None, 0, 0, 0, 0
rep = {}
while True:
    p = recv(now_ms() + 3000)
    if p is None:
        retries += 1
        if retries > 5:
            sys.exit("timed out at block %d" % expect)
        ack(expect - 1)                 # the client's own timer
        continue
    op, blk, pl = p
    if op != 3 or blk != expect:
        continue                        # a repeat: counted in got, never ACKed
    if len(pl) < blksize:
        final = blk
    if blk == n:
        t_n = last_rx
        # 0: within the gap
        burst(n - 1, 2)
        d0 = now_ms() - t_n
        dups_sent += 2
        seen = collect(50)
        c0 = seen.count(n)
        quick = d0 <= 0.5
        rep["phase0"] = "%d copies (dups sent %.2f ms after DATA %d arrived: %s)" % (
            c0, d0, n, "asserted" if quick else "inconclusive")
        if quick and c0 != 0:
            fail.append("phase 0: %d copies of DATA %d for ACK %d twice within the gap" % (c0, n, n - 1))
        if c0 > 1 or len(seen) != c0:
            fail.append("phase 0: ACK %d twice answered by %r" % (n - 1, seen))
        if not quick and c0:
            losses += 1                 # past the gap after all: a legitimate copy
            resent_dups += c0
        # A and B: past the gap, a burst of 5: one copy per gap
        for ph in ("A", "B"):
            time.sleep(0.1)
            span = burst(n - 1, 5)
            dups_sent += 5
            seen = collect(300)
            c = seen.count(n)
            allowed = 1 + int(span)
            rep[ph] = "%d copies (burst span %.2f ms, allowed 1..%d)" % (c, span, allowed)
            if c < 1:
                fail.append("phase %s: ACK %d x5 past the gap, DATA %d not resent" % (ph, n - 1, n))
            if c > allowed:
                fail.append("phase %s: %d copies of DATA %d for 5 duplicates within %.2f ms" % (ph, c, n, span))
            if len(seen) != c:
                fail.append("phase %s: DATA other than %d: %r" % (ph, n, seen))
            losses += 1
            resent_dups += c
        if final == n:
            ack(n)                      # the final block: done
            break
        # C: the echo of our second copy of N
        ack(n)
        seen = collect(100)
        if seen.count(n + 1) != 1 or len(seen) != 1:
            fail.append("phase C: ACK %d answered by %r, want DATA %d once" % (n, seen, n + 1))
        nxt = data.get((n + 1) & 0xffff, b"")
        span = burst(n, 1)
        dups_sent += 1
        seen = collect(300)
        rep["C_echo"] = "%d DATA after the echo ACK %d" % (len(seen), n)
        if seen:
            fail.append("phase C: the echo ACK %d was answered: %r (the echo chain)" % (n, seen))
        span = burst(n, 1)
        dups_sent += 1
        seen = collect(300)
        rep["C_news"] = "%d copies of DATA %d after ACK %d again" % (seen.count(n + 1), n + 1, n)
        if seen.count(n + 1) != 1 or len(seen) != 1:
            fail.append("phase C: ACK %d after the echo answered by %r, want DATA %d once" % (n, seen, n + 1))
        losses += 1
        resent_dups += seen.count(n + 1)
        expect = n + 1
        if len(nxt) < blksize:
            final = n + 1
            ack(n + 1)
            break
        ack(n + 1)
        expect = n + 2
        continue
    ack(blk)
    if final == blk:
        break
    expect += 1
# the dally: nothing more should come
collect(200)
with open(out, "wb") as f:
    for b in range(1, final + 1):
        f.write(data[b & 0xffff])
blocks = final
total = sum(got.values())
if total > blocks + losses:
    fail.append("%d DATA received for %d blocks and %d injected losses: more than one copy per loss (%r)"
                % (total, blocks, losses, {b: c for b, c in got.items() if c > 1}))
if retries:
    fail.append("the client had to re-ACK on its own timer %d times" % retries)
print("dupack2 n=%d blocks=%d losses=%d data=%d resends=%d dups=%d %s" % (
    n, blocks, losses, total, resent_dups, dups_sent,
    " ".join("%s=[%s]" % kv for kv in rep.items())))
for f in fail:
    print("FAIL: " + f)
sys.exit(1 if fail else 0)
EOF

# probe FILE N [OPTION VALUE ...]: one run; adds to the expected totals
want_resends=0
want_dups=0
probes=0
probe() {
	local file=$1 n=$2 out line
	shift 2
	out="$XT_OUT/$file-$n"
	line=$(xt_cli timeout --kill-after=5 60 python3 "$PROBE" "$XT_SRV4" "$file" "$out" "$n" "$@" 2>&1) ||
		xt_fail "$flavour $file N=$n $*: $(echo "$line" | tr '\n' ' ')"
	echo "$flavour $file N=$n $*: $line"
	line=$(echo "$line" | grep '^dupack2 ') || xt_fail "$flavour $file N=$n: no dupack2 line"
	want_resends=$(( want_resends + $(echo "$line" | sed -n 's/.* resends=\([0-9]*\).*/\1/p') ))
	want_dups=$(( want_dups + $(echo "$line" | sed -n 's/.* dups=\([0-9]*\).*/\1/p') ))
	probes=$(( probes + 1 ))
	xt_check_file "$out" "$XT_ROOT/$file" "$flavour $file N=$n"
	rm -f "$out"
}

for flavour in userspace kernel; do
	if [ "$flavour" = kernel ]; then
		xt_daemon_start -s -i "$XT_IF_SRV" --retransmit-timeout 1 --retries 5
	else
		xt_daemon_start -s --no-bpf --retransmit-timeout 1 --retries 5
	fi
	want_resends=0 want_dups=0 probes=0
	probe f5k 2                 # the first block after DATA 1
	probe f64k 70
	probe f5k 11                # the final block: no echo phase
	probe f5k 3 blksize 1468
	xt_wait_idle
	# per transfer: lock-step, every resend the timer's or rule 2's, no
	# more rule-2 resends than duplicates; the kernel served its part
	args=(--lockstep --min "$probes")
	[ "$flavour" = kernel ] && args+=(--kernel)
	xt_check_transfers "${args[@]}"
	# the totals: every copy the clients saw was a duplicate-ACK resend,
	# every duplicate counted once (whichever tier saw it)
	res=$(xt_stat dup_resends)
	[ "$res" -eq "$want_resends" ] ||
		xt_fail "$flavour: stats dup_resends $res, the clients got $want_resends copies on duplicates"
	dup=$(xt_stat dup_acks)
	[ "$dup" -eq "$want_dups" ] || xt_fail "$flavour: stats dup_acks $dup after $want_dups duplicate ACKs"
	dup=$(xt_ctl stats --json | python3 -c 'import json, sys; print(json.load(sys.stdin)["dup_acks"])')
	[ "$dup" -eq "$want_dups" ] || xt_fail "$flavour: stats --json dup_acks $dup after $want_dups duplicate ACKs"
	if [ "$flavour" = kernel ]; then
		res=$(xt_stat kernel_dup_resends)
		[ "$res" -eq "$want_resends" ] ||
			xt_fail "kernel: kernel_dup_resends $res, want all $want_resends resends from the kernel tiers"
	fi
	xt_daemon_stop
done
echo "duplicate ACKs: one copy per gap, none within it, echoes absorbed (no chain), DATA <= blocks + 1 per loss, in both flavours"
