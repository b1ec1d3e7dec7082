#!/usr/bin/env bash
# 50 clients at once, mixed (tftp-hpa, atftp with options, curl three ways,
# busybox), fetching files of 64 KiB to 4 MiB; every download verified by
# sha256, all within a bound, and the daemon ends with no active session.
. "$(dirname "$0")/lib.sh"
xt_require_root
xt_require_cmd tftp atftp curl busybox
[ "$XT_TARGET" = hpa ] && xt_require_cmd in.tftpd || xt_require_daemon
xt_rig_create
N=${XT_CONCURRENT:-50}
FILES=(65536 524288 1048577 4194304)
for s in "${FILES[@]}"; do
	xt_make_file "$XT_ROOT/c$s" "$s"
done
xt_server_start kernel

# One client per subshell, each with its own log, started together.
declare -a pids
t0=$(xt_now)
for (( i = 0; i < N; i++ )); do
	v=${XT_CLIENT_VARIANTS[$(( i % ${#XT_CLIENT_VARIANTS[@]} ))]}
	s=${FILES[$(( i % ${#FILES[@]} ))]}
	XT_CLIENT_LOG="$XT_TMP/client-$i.log" xt_get "$v" "c$s" "$XT_OUT/$i-$v-$s" &
	pids[$i]=$!
done
# Each client is bounded by XT_CLIENT_TIMEOUT inside xt_get.
bad=0
for (( i = 0; i < N; i++ )); do
	rc=0
	wait "${pids[$i]}" || rc=$?
	[ "$rc" -eq 0 ] ||
		{ echo "client $i: exit $rc: $(tail -n 2 "$XT_TMP/client-$i.log")"; bad=$((bad + 1)); }
done
secs=$(xt_elapsed "$t0")
[ "$bad" -eq 0 ] || xt_fail "$bad of $N concurrent clients failed"
for f in "$XT_OUT"/*; do
	s=${f##*-}
	xt_check_file "$f" "$XT_ROOT/c$s" "concurrent $(basename "$f")"
done
count=$(find "$XT_OUT" -type f | wc -l)
[ "$count" -eq "$N" ] || xt_fail "$count files downloaded, want $N"
if [ "$XT_TARGET" != hpa ]; then
	xt_check_counters kernel "$N"
	xt_server_stop
fi
echo "$N concurrent clients verified by sha256 in ${secs}s"
