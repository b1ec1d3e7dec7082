#!/usr/bin/env bash
# Hot image replacement (issue 7): a slow client is flashing v1 when v2 is
# written over the file, (a) to a temp name renamed over it, (b) rewritten in
# place. A new request gets v2's sha256, the running one completes with v1's;
# `xtftpctl status` shows both generations while v1 runs, then only v2.
# Then `xtftpctl load NAME FILE` publishes a third version under the name
# (it wins over the file on disk) and `xtftpctl unload NAME` withdraws it.
set -o errexit -o nounset -o pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

xt_require_root
xt_require_cmd atftp sha256sum
xt_require_daemon
xt_require_helper slowget
xt_rig_create

SLOW_PID=""
xt_on_cleanup '[ -n "$SLOW_PID" ] && kill -KILL $SLOW_PID'

xt_server_start kernel --pool-size 32M
# (xt_server_start kernel failed already unless bpf_active is 1)

# status_has REGEX: the daemon's status has a line matching REGEX
status_has() {
	xt_ctl status > "$XT_TMP/status" 2>/dev/null || return 1
	grep -qE "$1" "$XT_TMP/status"
}
size_ge() { [ -f "$1" ] && [ "$(stat -c %s "$1")" -ge "$2" ]; }

# replace_case NAME HOW: v1 slow download running, v2 written (HOW = rename
# or inplace), fast download of v2, slow one finishes with v1
replace_case() {
	local name=$1 how=$2 v1="$XT_TMP/$1.v1" v2="$XT_TMP/$1.v2"
	xt_make_file "$v1" $((384 * 1024))
	xt_make_file "$v2" $((400 * 1024 + 77))
	cp "$v1" "$XT_ROOT/$name"
	chmod 0644 "$XT_ROOT/$name"

	# 768 blocks of 512 bytes, an ACK every 4 ms: a few seconds of v1
	xt_cli "$XT_HELPERS/slowget" "$XT_SRV4" 69 "$name" "$XT_OUT/$name.slow" 4 \
		2>"$XT_TMP/slowget.log" &
	SLOW_PID=$!
	xt_wait_until 10 "the slow client receiving $name" size_ge "$XT_OUT/$name.slow" 2048
	xt_wait_until 5 "status listing $name gen 1 with a session" \
		status_has "\"$name\" [0-9]+ bytes sha256 $(xt_sha256 "$v1"), 1 session"

	case $how in
	rename)
		cp "$v2" "$XT_ROOT/.$name.tmp"
		chmod 0644 "$XT_ROOT/.$name.tmp"
		mv -f "$XT_ROOT/.$name.tmp" "$XT_ROOT/$name"
		;;
	inplace)
		cat "$v2" > "$XT_ROOT/$name"    # same inode, new size and mtime
		;;
	esac
	xt_get atftp "$name" "$XT_OUT/$name.new" ||
		xt_fail "$how: v2 download failed: $(tail -n 2 "$XT_TMP/client.log")"
	xt_check_file "$XT_OUT/$name.new" "$v2" "$how: new request after the replacement"
	kill -0 "$SLOW_PID" 2>/dev/null ||
		xt_fail "$how: the slow v1 download ended before v2 was served: make it slower"
	status_has "image [0-9]+ gen 1 \"$name\" [0-9]+ bytes sha256 $(xt_sha256 "$v1"), 1 session\(s\), old generation" ||
		xt_fail "$how: status does not show v1 as the old generation in use: $(grep "$name" "$XT_TMP/status")"
	status_has "image [0-9]+ gen 2 \"$name\" [0-9]+ bytes sha256 $(xt_sha256 "$v2")" ||
		xt_fail "$how: status does not show v2 as generation 2: $(grep "$name" "$XT_TMP/status")"
	echo "$how: while v1 runs, status shows:"
	grep "\"$name\"" "$XT_TMP/status" | sed 's/^/  /'

	local st=0
	wait "$SLOW_PID" || st=$?
	SLOW_PID=""
	[ "$st" -eq 0 ] || xt_fail "$how: slow v1 download failed: $(cat "$XT_TMP/slowget.log")"
	xt_check_file "$XT_OUT/$name.slow" "$v1" "$how: the transfer running during the replacement"
	xt_wait_idle
	status_has "gen 2 \"$name\"" || xt_fail "$how: v2 left the status"
	! status_has "gen 1 \"$name\"" ||
		xt_fail "$how: v1 still listed after its last session ended: $(grep "$name" "$XT_TMP/status")"
	echo "$how: v1 finished intact, v1 generation freed, v2 served"
}

replace_case fw-rename.bin rename
replace_case fw-inplace.bin inplace

# ---- xtftpctl load / unload ------------------------------------------------------------
name=fw-rename.bin
v2="$XT_TMP/$name.v2"
v3="$XT_TMP/v3.bin"
xt_make_file "$v3" $((300 * 1024 + 5))
xt_ctl load "$name" "$v3" > "$XT_TMP/load.out" || xt_fail "xtftpctl load failed: $(cat "$XT_TMP/load.out")"
cat "$XT_TMP/load.out"
grep -q "sha256 $(xt_sha256 "$v3")" "$XT_TMP/load.out" || xt_fail "load did not report v3's sha256"
xt_get atftp "$name" "$XT_OUT/pub" || xt_fail "download of the published $name failed"
xt_check_file "$XT_OUT/pub" "$v3" "published $name (wins over the file on disk)"
rm -f "$XT_OUT/pub"
# a published name also works when the file does not exist on disk at all
xt_ctl load only-published.bin "$v3" >/dev/null || xt_fail "load of a new name failed"
xt_get atftp only-published.bin "$XT_OUT/pub" || xt_fail "download of only-published.bin failed"
xt_check_file "$XT_OUT/pub" "$v3" "published name with no file behind it"
rm -f "$XT_OUT/pub"
status_has "published \"$name\"" || xt_fail "status does not list the published $name"
xt_ctl unload "$name" > "$XT_TMP/unload.out" || xt_fail "xtftpctl unload failed"
xt_get atftp "$name" "$XT_OUT/disk" || xt_fail "download after unload failed"
xt_check_file "$XT_OUT/disk" "$v2" "$name after unload (the file on disk again)"
! xt_ctl unload "$name" >/dev/null 2>&1 || xt_fail "unload of a name not published succeeded"
! xt_ctl load ../escape.bin "$v3" >/dev/null 2>&1 || xt_fail "load accepted a name with .."
xt_check_counters kernel 5
xt_server_stop
echo "hot replace: rename and in-place rewrite keep v1 for the running transfer, v2 for new ones; load/unload ok"
