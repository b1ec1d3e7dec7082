#!/usr/bin/env bash
# Loss benchmark smoke test: keeps `make bench-loss` (tests/bench/loss-bench.sh)
# working. A small run of it: xtftpd's kernel tiers and tftpd-hpa, the patient
# and the bootloader client, 0 and 5 % loss each way, a 64-block image.
# Asserts every download finished with the right bytes (the bench checks each
# by sha256), each row of the raw output is consistent (every block reached
# the client at least once; the kernel tiers sent DATA), xtftpd's patient
# cells ran LOSS_OWN_REPS times, and the tables the README quotes were
# rendered with every cell, the bootloader's floor included.
# Correctness only: no time is asserted.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

xt_require_root
xt_require_daemon
xt_require_cmd nft jq python3 timeout in.tftpd
BUILD=${XT_BUILD:-$XT_TOP/build/san}
[ -x "$BUILD/tests/xtftp-loadgen" ] || xt_skip "no load generator in $BUILD/tests; build with make tests"

OUT=$XT_TMP/loss-results.md RAW=$XT_TMP/loss-results.tsv
SIZE=$(( 63 * 512 + 100 ))   # 64 blocks
rc=0
LOSS_SERVERS="xtftpd-kernel tftpd-hpa" LOSS_RATES="0 5" LOSS_CLIENTS="patient bootloader" \
	LOSS_SIZE=$SIZE LOSS_REPS=1 LOSS_BASE_REPS=1 LOSS_OWN_REPS=2 LOSS_TIMEOUT=60 \
	LOSS_OUT="$OUT" LOSS_RAW="$RAW" \
	timeout --kill-after=10 400 bash "$XT_TOP/tests/bench/loss-bench.sh" "$BUILD" \
	>"$XT_TMP/bench.log" 2>&1 || rc=$?
[ "$rc" -eq 0 ] || xt_fail "loss-bench exit $rc: $(tail -n 5 "$XT_TMP/bench.log")"
[ -s "$RAW" ] || xt_fail "loss-bench wrote no raw rows"
[ -s "$OUT" ] || xt_fail "loss-bench wrote no table"

# The raw rows: server client rate rep status secs restarts blocks data_in
# drop_in drop_out kern user retr. Every download ok; each block delivered at
# least once (DATA that reached the client's interface minus those dropped);
# the kernel tiers sent DATA in xtftpd-kernel's rows.
python3 - "$RAW" <<'PY' || xt_fail "raw rows inconsistent (above); the bench's log: $(tail -n 3 "$XT_TMP/bench.log")"
import sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if not l.startswith("#")]
bad = []
want = {}
for s in ("xtftpd-kernel", "tftpd-hpa"):
    for c in ("patient", "bootloader"):
        for r in ("0", "5"):
            want[(s, c, r)] = 2 if s == "xtftpd-kernel" and c == "patient" else 1
got = {}
for f in rows:
    if len(f) != 14:
        bad.append("short row %r" % f)
        continue
    s, c, r, rep, status, secs, restarts, blocks, data_in, drop_in, drop_out, kern, user, retr = f
    got[(s, c, r)] = got.get((s, c, r), 0) + 1
    if status != "ok":
        bad.append("%s %s %s%% #%s: %s" % (s, c, r, rep, status))
        continue
    if int(data_in) - int(drop_in) < int(blocks):
        bad.append("%s %s %s%%: %s DATA reached the client, %s dropped, for %s blocks"
                   % (s, c, r, data_in, drop_in, blocks))
    if r == "0" and (drop_in != "0" or drop_out != "0"):
        bad.append("%s %s 0%%: %s + %s packets dropped without loss" % (s, c, drop_in, drop_out))
    if s == "xtftpd-kernel" and not (kern.isdigit() and int(kern) > 0):
        bad.append("%s %s %s%%: kernel tiers sent %s DATA" % (s, c, r, kern))
if got != want:
    bad.append("cells run %r, want %r" % (sorted(got.items()), sorted(want.items())))
for b in bad:
    print("loss-bench raw:", b)
sys.exit(1 if bad else 0)
PY

# The tables: a row per client and rate in the first, with each server's
# time; a row per cell in the second, the bootloader's with its floor.
for c in patient bootloader; do
	for r in 0 5; do
		row=$(grep -E "^\| $c \| $r % \| [0-9.]+ s" "$OUT" | head -n 1)
		[ -n "$row" ] || xt_fail "no time row for $c at $r % in the table: $(cat "$OUT")"
		[ "$(grep -o '[0-9.]* s' <<<"$row" | wc -l)" -eq 2 ] ||
			xt_fail "not a time for both servers in: $row"
		for s in xtftpd-kernel tftpd-hpa; do
			row=$(grep -E "^\| $c \| $r % \| $s \|" "$OUT") ||
				xt_fail "no cell row for $s, $c at $r %: $(cat "$OUT")"
			floor=$(awk -F' [|] ' '{ print $NF }' <<<"$row" | tr -d ' |')
			if [ "$c" = bootloader ]; then
				[[ $floor =~ ^[0-9.]+s$ ]] || xt_fail "bootloader cell without its floor: $row"
			else
				[ "$floor" = - ] || xt_fail "patient cell with a floor: $row"
			fi
		done
	done
done
grep -q "xtftpd with the patient client: median of 2 per cell" "$OUT" ||
	xt_fail "the table does not say how many runs xtftpd's patient cells took: $(head -n 3 "$OUT")"
sed -n '/^| client | loss each way/,/^$/p' "$OUT"
echo "loss bench smoke: every download byte-exact and each block delivered, tables rendered with every cell"
