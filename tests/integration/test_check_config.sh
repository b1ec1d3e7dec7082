#!/usr/bin/env bash
# xtftpd --check-config (issue 7): exit 0 and "configuration OK" for a good
# configuration; exit 1 with one line per problem (root, map file lines by
# number, aliases, interfaces, user); usage errors stay exit 2.
# Then, in namespaces: SIGHUP rereads the map file (a broken one keeps the
# old rules).
set -o errexit -o nounset -o pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

xt_require_daemon

# check EXPECTED_RC DESC ARGS...: run --check-config, keep its output
check() {
	local want=$1 desc=$2 rc=0
	shift 2
	"$XTFTPD" --check-config "$@" >"$XT_TMP/cc.out" 2>&1 || rc=$?
	[ "$rc" -eq "$want" ] ||
		xt_fail "$desc: exit $rc, want $want: $(cat "$XT_TMP/cc.out")"
}
said() {
	grep -qE "$1" "$XT_TMP/cc.out" || xt_fail "$2: output lacks /$1/: $(cat "$XT_TMP/cc.out")"
}

cat > "$XT_TMP/good.map" <<'EOF'
# tftpd-hpa remap rules
r ^/?boot/ pxe/
rg \\ /
EOF
cat > "$XT_TMP/bad.map" <<'EOF'
r ^ok$ fine
r ^(unclosed x
r
EOF
printf 'x' > "$XT_ROOT/fw.bin"
chmod 0644 "$XT_ROOT/fw.bin"

check 0 "good configuration" -s -m "$XT_TMP/good.map" --alias a.bin=fw.bin --serve-any fw.bin "$XT_ROOT"
said "configuration OK" "good configuration"
check 1 "missing root" -s /nonexistent/xtftp-root-$$
said "root /nonexistent/xtftp-root-$$: No such file" "missing root"
check 1 "root is a file" "$XT_ROOT/fw.bin"
said "not a directory" "root is a file"
check 1 "bad map file" -m "$XT_TMP/bad.map" "$XT_ROOT"
said "bad.map:2:" "bad map file line 2"
said "bad.map:3:" "bad map file line 3"
check 1 "missing map file" -m "$XT_TMP/none.map" "$XT_ROOT"
said "none.map" "missing map file"
check 1 "bad alias" --alias nofile "$XT_ROOT"
said "nofile" "bad alias"
check 1 "unknown interface" -i xtnosuch$$ "$XT_ROOT"
said "interface xtnosuch$$" "unknown interface"
check 1 "unknown user" -u xtftp-no-such-user "$XT_ROOT"
said "user xtftp-no-such-user" "unknown user"
check 1 "three problems" -i xtnosuch$$ -u xtftp-no-such-user /nonexistent/xtftp-root-$$
[ "$(grep -cvE 'configuration has errors' "$XT_TMP/cc.out")" -ge 3 ] ||
	xt_fail "three problems, not three lines: $(cat "$XT_TMP/cc.out")"
rc=0
"$XTFTPD" --check-config --pool-size 12Q "$XT_ROOT" >/dev/null 2>&1 || rc=$?
[ "$rc" -eq 2 ] || xt_fail "a bad flag value exits $rc, want 2 (usage error)"
echo "--check-config: ok, root, map lines, alias, interface, user problems each reported"

# ---- SIGHUP rereads the map file ----------------------------------------------------------
[ "$(id -u)" -eq 0 ] || xt_skip "SIGHUP part needs root (network namespaces)"
xt_require_root
xt_require_cmd tftp
xt_rig_create
xt_make_file "$XT_ROOT/a.bin" 3000
xt_make_file "$XT_ROOT/b.bin" 5000
echo 'r ^alpha$ a.bin' > "$XT_TMP/hup.map"
xt_server_start kernel --pool-size 8M -m "$XT_TMP/hup.map"
get_alpha() {
	rm -f "$XT_OUT/alpha"
	xt_get hpa alpha "$XT_OUT/alpha" || xt_fail "alpha: tftp exit $?"
	! xt_client_said_error || xt_fail "alpha: $(cat "$XT_TMP/client.log")"
}
get_alpha
xt_check_file "$XT_OUT/alpha" "$XT_ROOT/a.bin" "alpha before SIGHUP"
echo 'r ^alpha$ b.bin' > "$XT_TMP/hup.map"
kill -HUP "$XT_DAEMON_PID"
xt_wait_until 5 "the daemon logging the reload" grep -q "SIGHUP: names reloaded" "$XT_DAEMON_LOG"
get_alpha
xt_check_file "$XT_OUT/alpha" "$XT_ROOT/b.bin" "alpha after SIGHUP (map now says b.bin)"
echo 'r ^(alpha a.bin' > "$XT_TMP/hup.map"
kill -HUP "$XT_DAEMON_PID"
xt_wait_until 5 "the daemon logging the failed reload" grep -q "SIGHUP: names not reloaded" "$XT_DAEMON_LOG"
get_alpha
xt_check_file "$XT_OUT/alpha" "$XT_ROOT/b.bin" "alpha after a broken map file (old rules stay)"
xt_daemon_alive || xt_fail "the daemon died on SIGHUP"
xt_server_stop
echo "check-config reports each problem; SIGHUP rereads the map file, keeps the old rules when the new ones are broken"
