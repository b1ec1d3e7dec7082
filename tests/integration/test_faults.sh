#!/usr/bin/env bash
# Faults (issue 6):
#  1. SIGKILL mid-transfer (kernel flavour): nothing stays attached to the
#     interface (bpf_link / tcx die with the process), a restarted daemon
#     serves, a client that retries its request gets the whole file.
#  2. SIGTERM with a transfer running: the daemon exits 0 within a bound
#     (2 s grace + margin) and the client either completes with the right
#     sha256 or is told (ERROR "server shutting down"), never hangs.
#  3. A served file replaced on disk mid-transfer, both flavours (kernel
#     tiers, --no-bpf), by rename (new inode) and rewritten in place (same
#     inode): the running transfer keeps the bytes it started with (sha256
#     of the old file; every tier serves an immutable image in the pool)
#     and a new request gets the new file. A file too large for the pool
#     (--no-bpf --pool-size 1M, read from the file) rewritten in place ends
#     its transfer with ERROR "file changed during transfer" instead of
#     sending a mix; a new request then gets the new file.
#  4. WRQ into a full file system (a 1 MiB tmpfs under the root): error 3
#     to the client, no partial file and no temp file left.
#  5. -u nobody: after start the daemon has no capability left (CapEff 0)
#     and still serves, the kernel tier included.
# The server's egress is shaped (tbf 8 Mbit/s) so transfers last seconds.
. "$(dirname "$0")/lib.sh"
xt_require_root
xt_require_cmd curl tftp
xt_require_daemon
[ "$XT_TARGET" = hpa ] && xt_skip "xtftpd faults (XT_TARGET=hpa)"
xt_require_helper hostile_client
xt_rig_create
tc -n "$XT_NS_SRV" qdisc add dev "$XT_IF_SRV" root tbf rate 8mbit burst 16kb latency 200ms ||
	xt_fail "cannot add a tbf qdisc on $XT_IF_SRV (sch_tbf)"
HC="$XT_HELPERS/hostile_client"
xt_make_file "$XT_ROOT/f4m" 4194304
xt_make_file "$XT_ROOT/small" 3000

size_of() { stat -c %s "$1" 2>/dev/null || echo 0; }
# Background download with curl (blksize 1468); sets BG_PID.
bg_get() {
	rm -f "$2"
	xt_cli curl -sS --tftp-blksize 1468 -o "$2" "tftp://$XT_SRV4/$1" >"$XT_TMP/bg.log" 2>&1 &
	BG_PID=$!
	xt_on_cleanup "kill -KILL $BG_PID"
}
# What is on the server's interface, asked of the kernel directly:
# bpf_xdp_query, BPF_PROG_QUERY on tcx ingress and the legacy clsact hook
# (test_loader --query; Debian's bpftool 7.1 does not list tcx links).
LOADER="${XT_BUILD:-$XT_TOP/build/san}/tests/test_loader"
[ -x "$LOADER" ] || xt_fail "no $LOADER to query the interface; build it with make tests"
attached_desc() { xt_srv "$LOADER" --query "$XT_IF_SRV"; }
ours_attached() {
	local a
	a=$(attached_desc)
	[[ $a == *"xdp=xdp_tftp/"* && $a == *"tc=tc_tftp"* ]]
}
not_attached() { [ "$(attached_desc)" = "xdp=- tc=- legacy=- egress=- legacy_egress=-" ]; }

# ---- 1. SIGKILL mid-transfer --------------------------------------------------
xt_daemon_start -s -i "$XT_IF_SRV"
bpf=$(xt_stat bpf_active)
ours_attached || xt_fail "kernel tiers active but not on $XT_IF_SRV: $(attached_desc)"
bg_get f4m "$XT_OUT/k1"
xt_wait_until 20 "256 KiB received before the kill" sh -c "[ \$(stat -c %s '$XT_OUT/k1' 2>/dev/null || echo 0) -ge 262144 ]"
kill -KILL "$XT_DAEMON_PID"
wait "$XT_DAEMON_PID" 2>/dev/null || true
XT_DAEMON_PID=""
got=$(size_of "$XT_OUT/k1")
xt_wait_until 5 "no BPF program left on $XT_IF_SRV after SIGKILL (XDP, tcx, clsact)" not_attached
kill -KILL "$BG_PID" 2>/dev/null || true
wait "$BG_PID" 2>/dev/null || true
xt_daemon_start -s -i "$XT_IF_SRV"
# The client retries its request (what U-Boot and recovery tools do).
xt_get curl-1468 f4m "$XT_OUT/k2" || xt_fail "download after restart: exit $?: $(cat "$XT_TMP/client.log")"
xt_check_file "$XT_OUT/k2" "$XT_ROOT/f4m" "download after SIGKILL and restart"
echo "SIGKILL at $got bytes (bpf_active $bpf): nothing left attached, restarted daemon served the retried request"

# ---- 2. SIGTERM with a transfer running ---------------------------------------
# tftp-hpa here: it prints the server's ERROR message (curl maps code 0 to
# a generic exit 71 and shows no message).
rm -f "$XT_OUT/t1"
xt_cli timeout 60 tftp -m binary "$XT_SRV4" -c get f4m "$XT_OUT/t1" >"$XT_TMP/bg.log" 2>&1 &
BG_PID=$!
xt_on_cleanup "kill -KILL $BG_PID"
xt_wait_until 20 "256 KiB received before SIGTERM" sh -c "[ \$(stat -c %s '$XT_OUT/t1' 2>/dev/null || echo 0) -ge 262144 ]"
t0=$(xt_now)
xt_daemon_stop   # SIGTERM, exit 0 within 10 s, no sanitizer report
stop_secs=$(xt_elapsed "$t0")
xt_wait_until 30 "the client to end after SIGTERM" sh -c "! kill -0 $BG_PID 2>/dev/null"
rc=0; wait "$BG_PID" || rc=$?
if grep -qi 'shutting down' "$XT_TMP/bg.log"; then
	outcome="ended with the server's ERROR: $(grep -i 'shutting down' "$XT_TMP/bg.log" | head -n 1)"
elif [ "$rc" -eq 0 ] && ! XT_CLIENT_LOG="$XT_TMP/bg.log" xt_client_said_error; then
	xt_check_file "$XT_OUT/t1" "$XT_ROOT/f4m" "transfer finished during shutdown"
	outcome="finished (sha256 ok)"
else
	xt_fail "SIGTERM: client ended without the file and without the server's ERROR: exit $rc: $(cat "$XT_TMP/bg.log")"
fi
echo "SIGTERM: daemon exited 0 after ${stop_secs}s; running transfer $outcome"

# ---- 3. file replaced mid-transfer ----------------------------------------------
for flavour in kernel userspace; do
	for how in rename inplace; do
		if [ "$flavour" = kernel ]; then
			xt_daemon_start -s -i "$XT_IF_SRV"
		else
			xt_daemon_start -s --no-bpf
		fi
		xt_make_file "$XT_ROOT/img" 4194304
		cp "$XT_ROOT/img" "$XT_TMP/img.old"
		bg_get img "$XT_OUT/r1"
		xt_wait_until 20 "256 KiB before the rewrite" sh -c "[ \$(stat -c %s '$XT_OUT/r1' 2>/dev/null || echo 0) -ge 262144 ]"
		xt_make_file "$XT_TMP/img.new" 4194304
		if [ "$how" = rename ]; then
			cp "$XT_TMP/img.new" "$XT_ROOT/.img.tmp"
			mv -f "$XT_ROOT/.img.tmp" "$XT_ROOT/img"
		else
			dd if="$XT_TMP/img.new" of="$XT_ROOT/img" bs=1M conv=notrunc status=none
		fi
		at=$(size_of "$XT_OUT/r1")
		rc=0; wait "$BG_PID" || rc=$?
		[ "$rc" -eq 0 ] || xt_fail "$flavour/$how: running transfer failed: exit $rc: $(cat "$XT_TMP/bg.log")"
		got=$(xt_sha256 "$XT_OUT/r1")
		if [ "$got" = "$(xt_sha256 "$XT_TMP/img.old")" ]; then
			result=old
		elif [ "$got" = "$(xt_sha256 "$XT_TMP/img.new")" ]; then
			result=new
		else
			result=mixed
		fi
		[ "$result" = old ] || xt_fail "$flavour/$how: the running transfer got the $result bytes, want the old file"
		xt_get curl-1468 img "$XT_OUT/r2" || xt_fail "$flavour/$how: new request: exit $?"
		xt_check_file "$XT_OUT/r2" "$XT_ROOT/img" "$flavour/$how: new request gets the new file"
		echo "$flavour: file rewritten by $how at $at bytes: running transfer got the $result file; new request got the new file"
		rm -f "$XT_OUT/r1" "$XT_OUT/r2"
		xt_daemon_stop
	done
done

# 3b. Too large for the pool: read from the file, a rewrite ends the transfer.
# tftp-hpa prints the server's ERROR message; the first request must not
# end with the file (neither version nor a mix).
xt_daemon_start -s --no-bpf --pool-size 1M
xt_make_file "$XT_ROOT/img" 4194304
rm -f "$XT_OUT/r1"
xt_cli timeout 60 tftp -m binary "$XT_SRV4" -c get img "$XT_OUT/r1" >"$XT_TMP/bg.log" 2>&1 &
BG_PID=$!
xt_on_cleanup "kill -KILL $BG_PID"
xt_wait_until 20 "256 KiB before the rewrite" sh -c "[ \$(stat -c %s '$XT_OUT/r1' 2>/dev/null || echo 0) -ge 262144 ]"
xt_make_file "$XT_TMP/img.new" 4194304
dd if="$XT_TMP/img.new" of="$XT_ROOT/img" bs=1M conv=notrunc status=none
at=$(size_of "$XT_OUT/r1")
xt_wait_until 30 "the client to end after the rewrite" sh -c "! kill -0 $BG_PID 2>/dev/null"
wait "$BG_PID" 2>/dev/null || true
grep -q 'file changed during transfer' "$XT_TMP/bg.log" ||
	xt_fail "too large for the pool, rewritten in place: client did not get the 'file changed' ERROR: $(cat "$XT_TMP/bg.log"), $(size_of "$XT_OUT/r1") bytes"
[ "$(size_of "$XT_OUT/r1")" -lt 4194304 ] ||
	xt_fail "too large for the pool, rewritten in place: the client got a whole file after the rewrite"
[ "$(xt_stat pool_full_fallbacks)" -ge 1 ] || xt_fail "4 MiB with a 1M pool did not count as pool_full_fallbacks"
xt_get curl-1468 img "$XT_OUT/r2" || xt_fail "pool full/inplace: new request: exit $?"
xt_check_file "$XT_OUT/r2" "$XT_ROOT/img" "pool full/inplace: new request gets the new file"
echo "userspace, too large for the pool: file rewritten in place at $at bytes: transfer ended with ERROR 'file changed during transfer'; new request got the new file"
rm -f "$XT_OUT/r1" "$XT_OUT/r2"
xt_daemon_stop

# ---- 4. WRQ into a full file system -----------------------------------------------
mkdir -p "$XT_ROOT/full"
mount -t tmpfs -o size=1m,mode=0777 xtftp-full "$XT_ROOT/full" || xt_fail "cannot mount a tmpfs"
xt_on_cleanup "umount -l '$XT_ROOT/full'"
head -c 3000000 /dev/urandom > "$XT_TMP/upload"
xt_daemon_start -s -c --no-bpf
r=$(xt_cli timeout 60 "$HC" -t 2000 "$XT_SRV4" put full/big "$XT_TMP/upload" || true)
echo "$r" | grep -qE '^error op=5 code=3 ' || xt_fail "WRQ into a full disk: got '$r', want error 3"
xt_wait_idle
left=$(ls -A "$XT_ROOT/full")
[ -z "$left" ] || xt_fail "WRQ into a full disk left files behind: $left"
[ "$(df --output=used -k "$XT_ROOT/full" | tail -n 1 | tr -d ' ')" -lt 64 ] ||
	xt_fail "the full tmpfs still holds data after the refused upload"
r=$(xt_cli timeout 60 "$HC" -t 2000 "$XT_SRV4" put full/ok "$XT_ROOT/small")
echo "$r" | grep -q '^done' || xt_fail "a small upload after the full one failed: $r"
xt_check_file "$XT_ROOT/full/ok" "$XT_ROOT/small" "upload after the disk-full refusal"
echo "WRQ disk full: error 3 to the client, no partial or temp file left; a fitting upload works afterwards"
xt_daemon_stop

# ---- 5. privileges after -u nobody -------------------------------------------------
xt_daemon_start -s -i "$XT_IF_SRV" -u nobody
caps=$(awk '/^CapEff:/ { print $2 }' "/proc/$XT_DAEMON_PID/status")
uid=$(awk '/^Uid:/ { print $3 }' "/proc/$XT_DAEMON_PID/status")
[ "$uid" = "$(id -u nobody)" ] || xt_fail "-u nobody: effective uid $uid"
[ "$caps" = 0000000000000000 ] || xt_fail "-u nobody: CapEff $caps, want none"
xt_get curl-1468 f4m "$XT_OUT/u1" || xt_fail "download as nobody: exit $?"
xt_check_file "$XT_OUT/u1" "$XT_ROOT/f4m" "download served by the daemon running as nobody"
xt_wait_idle
echo "-u nobody: uid $uid, CapEff $caps, bpf_active $(xt_stat bpf_active), blocks_tc $(xt_stat blocks_tc), blocks_user $(xt_stat blocks_user)"
xt_daemon_stop
echo "faults: SIGKILL, SIGTERM, rewrite, disk full and privilege drop handled"
