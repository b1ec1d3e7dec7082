#!/usr/bin/env bash
# The docs say what the code does, and cannot drift: every long flag of
# `xtftpd --help` is in xtftpd.8 and README.md; every xtftpctl command of
# `xtftpctl --help` is in xtftpctl.8 and README.md; every counter a running
# daemon prints with `xtftpctl stats` is in docs/observability.md's table;
# every field of a real transfer event, every event type and every outcome
# is in its tables there.
set -o errexit -o nounset -o pipefail
source "$(dirname "$0")/lib.sh"
xt_require_root
xt_require_daemon
xt_require_cmd python3 tftp
TOP=$(cd "$(dirname "$0")/../.." && pwd)
OBS="$TOP/docs/observability.md"
missing=()

# flags: those of the daemon's own usage (not the recover subcommand's)
flags=$("$XTFTPD" --help | sed '/^Router recovery\|xtftpd recover/,$d' | grep -oE -- '--[a-z][a-z0-9-]+' | sort -u)
[ -n "$flags" ] || xt_fail "xtftpd --help printed no long flag"
for f in $flags; do
	grep -qF -- "$(echo "$f" | sed 's/-/\\-/g')" "$TOP/xtftpd.8" || missing+=("xtftpd.8: $f")
	grep -qF -- "\`$f" "$TOP/README.md" || grep -qF -- "/\`$f" "$TOP/README.md" ||
		missing+=("README.md: $f")
done

cmds=$("$XTFTPCTL" --help | awk '/^Commands:/ { f = 1; next } f && /^  [a-z]/ { print $1 }' | sort -u)
[ -n "$cmds" ] || xt_fail "xtftpctl --help printed no command"
for c in $cmds; do
	grep -qE "^\.B[IR]? $c( |$)" "$TOP/xtftpctl.8" || missing+=("xtftpctl.8: command $c")
	grep -qE "xtftpctl .*\b$c\b" "$TOP/README.md" || missing+=("README.md: command $c")
done

xt_rig_create
xt_make_file "$XT_ROOT/f" 3000
xt_server_start userspace --event-log "$XT_TMP/ev.jsonl"
xt_get hpa f "$XT_OUT/f" || xt_fail "download failed"
xt_wait_idle
for c in $(xt_ctl stats | awk '{ print $1 }'); do
	grep -qE "\`$c\`" "$OBS" || missing+=("docs/observability.md: counter $c")
done
xt_server_stop
python3 - "$XT_TMP/ev.jsonl" "$OBS" "$TOP/user/obs/events.c" "$TOP/user/obs/transfer.c" <<'PY' > "$XT_TMP/fields" || true
import json, re, sys
evs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
doc = open(sys.argv[2]).read()
for e in evs:
    for k in e:
        if "`%s`" % k not in doc:
            print("docs/observability.md: event field %s" % k)
types = re.findall(r'\[EVT_[A-Z]+\] = "([a-z]+)"', open(sys.argv[3]).read())
outcomes = re.findall(r'case XFER_[A-Z_]+: return "([a-z-]+)"', open(sys.argv[4]).read())
if not types or not outcomes:
    print("tests/integration/test_docs.sh: found no event types or outcomes in the code (moved?)")
for t in types:
    if "| `%s` |" % t not in doc:
        print("docs/observability.md: event type %s" % t)
for o in outcomes:
    if "`%s`" % o not in doc:
        print("docs/observability.md: outcome %s" % o)
PY
while IFS= read -r l; do missing+=("$l"); done < <(sort -u "$XT_TMP/fields")
if [ ${#missing[@]} -gt 0 ]; then
	printf '  undocumented: %s\n' "${missing[@]}"
	xt_fail "${#missing[@]} names the code has and the docs lack"
fi
echo "docs agree with the code: $(echo "$flags" | wc -l) flags, $(echo "$cmds" | wc -l) commands, every counter, event field, type and outcome"
