#!/usr/bin/env bash
# What xtftpctl shows is what is (issue 17, the smaller untruths):
#  1. `transfers --json` and `events` on a daemon that has served nothing
#     answer nothing, exit 0, and say nothing on stderr (an empty list is
#     an answer, not "closed without an answer");
#  2. start and progress events of userspace transfers (a download with
#     --no-bpf, an upload) name the tier "user", never "none";
#  3. an image published with `xtftpctl load` and served to nobody shows
#     in `status` as held by the catalog with 0 sessions, not "1 session(s)";
#  4. `xtftpctl inject` shows inject_drop / inject_dup with the counts
#     `stats` has under those names (every tier), and the kernel's part as
#     kernel_inject_drop / kernel_inject_dup (needs the kernel tiers: skipped
#     without them, after 1-3).
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
xt_require_root
xt_require_cmd tftp python3
xt_require_daemon
[ "$XT_TARGET" = hpa ] && xt_skip "xtftpctl only (XT_TARGET=hpa)"
xt_rig_create
EVLOG="$XT_TMP/events.jsonl"
xt_make_file "$XT_ROOT/f1m" 1048576
xt_make_file "$XT_TMP/up" 300000
xt_make_file "$XT_TMP/pub.bin" 200000
chmod 0777 "$XT_ROOT"

# ---- 1. empty lists -------------------------------------------------------------
xt_daemon_start -s -c --no-bpf --event-log "$EVLOG"
for cmd in "transfers --json" "events"; do
	rc=0
	# shellcheck disable=SC2086
	xt_ctl $cmd >"$XT_TMP/ans" 2>"$XT_TMP/err" || rc=$?
	[ "$rc" -eq 0 ] || xt_fail "xtftpctl $cmd with nothing served: exit $rc: $(cat "$XT_TMP/err")"
	[ ! -s "$XT_TMP/err" ] || xt_fail "xtftpctl $cmd with nothing served said: $(cat "$XT_TMP/err")"
	[ ! -s "$XT_TMP/ans" ] || xt_fail "xtftpctl $cmd with nothing served printed: $(head -n 3 "$XT_TMP/ans")"
done
echo "transfers --json and events with nothing served: empty answers, exit 0"

# ---- 2. tier in start/progress events of userspace transfers ---------------------
xt_get hpa f1m "$XT_OUT/f1m" || xt_fail "download: exit $?"
xt_check_file "$XT_OUT/f1m" "$XT_ROOT/f1m" "download"
xt_cli timeout --kill-after=5 30 tftp -m binary "$XT_SRV4" -c put "$XT_TMP/up" up >"$XT_TMP/client.log" 2>&1 ||
	xt_fail "upload: exit $?"
xt_client_said_error && xt_fail "upload: $(cat "$XT_TMP/client.log")"
xt_wait_idle
xt_wait_until 10 "two done events" sh -c "[ \$(grep -c '\"event\":\"done\"' '$EVLOG') -ge 2 ]"
python3 - "$EVLOG" <<'EOF' || xt_fail "events of userspace transfers with a tier other than user (above)"
import json, sys
bad = 0
seen = {}
for line in open(sys.argv[1]):
    e = json.loads(line)
    seen[e["event"]] = seen.get(e["event"], 0) + 1
    if e["event"] in ("start", "progress", "done") and e.get("tier") != "user":
        print("  %s event of %r: tier %r" % (e["event"], e.get("file"), e.get("tier")))
        bad = 1
for want in ("start", "progress", "done"):
    if not seen.get(want):
        print("  no %s event at all" % want)
        bad = 1
print("events: %s" % ", ".join("%s %d" % kv for kv in sorted(seen.items())))
sys.exit(bad)
EOF
echo "start, progress and done events of a --no-bpf download and an upload: tier user"

# ---- 3. a published image in status --------------------------------------------------
xt_ctl load pub.bin "$XT_TMP/pub.bin" >/dev/null || xt_fail "xtftpctl load failed"
xt_ctl status > "$XT_TMP/status"
line=$(grep '"pub.bin"' "$XT_TMP/status" | grep '^image ' | head -n 1)
[ -n "$line" ] || xt_fail "status lists no image for the published pub.bin: $(cat "$XT_TMP/status")"
echo "$line" | grep -q ', 0 session(s), held by the catalog' ||
	xt_fail "a published image nobody downloads: '$line' (want 0 session(s), held by the catalog)"
grep -q 'published "pub.bin" .*(image [0-9]* gen [0-9]*, held by the catalog)' "$XT_TMP/status" ||
	xt_fail "the published line does not name its image: $(grep published "$XT_TMP/status")"
echo "status: $line"
# -c given: new files and overwrites (without -c in.tftpd still lets an
# upload replace a world-writable file: the line must not say "none")
grep -q '^root .*, uploads: new files and overwrites of world-writable files$' "$XT_TMP/status" ||
	xt_fail "the root line misstates uploads with -c: $(grep '^root' "$XT_TMP/status")"
xt_daemon_stop
xt_daemon_start -s --no-bpf
xt_ctl status > "$XT_TMP/status"
grep -q '^root .*, uploads: overwrites of world-writable files (-c for new files)$' "$XT_TMP/status" ||
	xt_fail "the root line misstates uploads without -c: $(grep '^root' "$XT_TMP/status")"
xt_daemon_stop

# ---- 4. inject's counts are stats' -------------------------------------------------
xt_daemon_start -s -i "$XT_IF_SRV" --retransmit-timeout 0.2 --retries 10 --inject "drop:blocks=3,7"
xt_get hpa f1m "$XT_OUT/k.bin" || xt_fail "kernel download: exit $?"
xt_check_file "$XT_OUT/k.bin" "$XT_ROOT/f1m" "kernel download with injected drops"
xt_wait_idle
xt_ctl inject > "$XT_TMP/inject"
for name in inject_drop inject_dup kernel_inject_drop kernel_inject_dup; do
	want=$(xt_stat "$name") || xt_fail "stats has no $name"
	got=$(awk -v n="$name" '$1 == n { print $2 }' "$XT_TMP/inject")
	[ "$got" = "$want" ] || xt_fail "xtftpctl inject shows $name '${got}', stats $want: $(cat "$XT_TMP/inject")"
done
[ "$(xt_stat kernel_inject_drop)" -ge 2 ] || xt_fail "the kernel tiers dropped nothing (kernel_inject_drop $(xt_stat kernel_inject_drop))"
echo "inject: $(tr '\n' ' ' < "$XT_TMP/inject")(the same as stats)"
xt_daemon_stop
echo "xtftpctl's empty lists, event tiers, published images and inject counts say what is"
