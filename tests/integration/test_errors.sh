#!/usr/bin/env bash
# What a user sees when a request is refused: a missing file is TFTP error 1
# (curl exit 68, tftp-hpa "Error code 1", busybox "(1)", atftp "not found");
# "../", absolute and symlink escapes out of the root are error 2 (curl exit
# 69) and not one byte from outside the root is delivered.
. "$(dirname "$0")/lib.sh"
xt_require_root
xt_require_cmd tftp atftp curl busybox
[ "$XT_TARGET" = hpa ] && xt_require_cmd in.tftpd || xt_require_daemon
xt_rig_create

# A secret outside the root, and ways to reach it from inside.
secret="$XT_TMP/secret"
echo "xtftp-secret-$$-$RANDOM" > "$secret"
chmod 0644 "$secret"
mkdir -p "$XT_ROOT/sub"
chmod 0755 "$XT_ROOT/sub"
ln -s "$secret" "$XT_ROOT/abs-link"
ln -s ../../secret "$XT_ROOT/sub/rel-link"
ln -s "$XT_TMP" "$XT_ROOT/dir-link"
xt_make_file "$XT_ROOT/sub/ok" 700

xt_server_start kernel
# The secret must never arrive anywhere the clients write.
no_secret() {
	! grep -rqF "$(cat "$secret")" "$XT_OUT" ||
		xt_fail "$1: the file outside the root was delivered"
}

# ---- a file inside a subdirectory still works (control case) ----
xt_get curl sub/ok "$XT_OUT/ok" || xt_fail "curl sub/ok: exit $?: $(cat "$XT_TMP/client.log")"
xt_check_file "$XT_OUT/ok" "$XT_ROOT/sub/ok" "curl sub/ok"

# ---- missing file: error 1 ----
rc=0; xt_get curl nope "$XT_OUT/c" || rc=$?
[ "$rc" -eq 68 ] || xt_fail "curl missing file: exit $rc, want 68 (TFTP file not found): $(cat "$XT_TMP/client.log")"
xt_get hpa nope "$XT_OUT/h" || true
grep -q 'Error code 1' "$XT_TMP/client.log" ||
	xt_fail "tftp-hpa missing file: no 'Error code 1' in: $(cat "$XT_TMP/client.log")"
rc=0; xt_get busybox nope "$XT_OUT/b" || rc=$?
[ "$rc" -ne 0 ] && grep -q '(1)' "$XT_TMP/client.log" ||
	xt_fail "busybox missing file: exit $rc, want error (1): $(cat "$XT_TMP/client.log")"
rc=0; xt_get atftp-plain nope "$XT_OUT/a" || rc=$?
[ "$rc" -ne 0 ] && grep -qi 'not found' "$XT_TMP/client.log" ||
	xt_fail "atftp missing file: exit $rc, want 'File not found': $(cat "$XT_TMP/client.log")"
echo "missing file: error 1 seen by curl, tftp-hpa, busybox, atftp"

# ---- escapes: error 2 ----
# tftpd-hpa -s chroots, so there an escape is simply "not found" (1).
want_codes="69"
[ "$XT_TARGET" = hpa ] && want_codes="68 69"
for name in ../secret ../../secret abs-link sub/rel-link dir-link/secret sub/../../secret; do
	rc=0; xt_get curl-asis "$name" "$XT_OUT/esc" || rc=$?
	[[ " $want_codes " == *" $rc "* ]] ||
		xt_fail "curl '$name': exit $rc, want $want_codes (TFTP permission problem): $(cat "$XT_TMP/client.log")"
	if [ -s "$XT_OUT/esc" ]; then
		xt_fail "curl '$name': $(stat -c %s "$XT_OUT/esc") bytes delivered despite the refusal"
	fi
	xt_get hpa "$name" "$XT_OUT/esc-hpa" || true
	if [ "$XT_TARGET" != hpa ]; then
		grep -q 'Error code 2' "$XT_TMP/client.log" ||
			xt_fail "tftp-hpa '$name': no 'Error code 2' in: $(cat "$XT_TMP/client.log")"
	fi
	no_secret "$name"
done
# With -s an absolute name means a name under the root (tftpd-hpa
# semantics), so these are "not found" (1) or refused (2), never delivered.
for name in /etc/passwd "$XT_TMP/secret" //etc/passwd; do
	rc=0; xt_get curl-asis "$name" "$XT_OUT/abs" || rc=$?
	[ "$rc" -eq 68 ] || [ "$rc" -eq 69 ] ||
		xt_fail "curl '$name': exit $rc, want 68 or 69: $(cat "$XT_TMP/client.log")"
	[ -s "$XT_OUT/abs" ] && xt_fail "curl '$name': bytes delivered despite the refusal"
	no_secret "$name"
done
echo "escapes: ../ and symlink names refused with error 2, absolute names kept under the root, nothing delivered"

if [ "$XT_TARGET" != hpa ]; then
	# The daemon keeps serving after refusals and counts nothing as done.
	xt_get curl sub/ok "$XT_OUT/ok2" || xt_fail "curl sub/ok after refusals: exit $?"
	xt_check_file "$XT_OUT/ok2" "$XT_ROOT/sub/ok" "curl sub/ok after refusals"
	active=$(xt_stat sessions_active) || xt_fail "no sessions_active counter"
	xt_wait_idle
	xt_server_stop
fi
echo "error cases pass"
