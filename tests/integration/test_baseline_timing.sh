#!/usr/bin/env bash
# A timing figure, printed not asserted: the same 16 MiB image fetched by
# tftp-hpa's client (512-byte lock-step), atftp with blksize 1468
# (lock-step) and atftp with blksize 1468 + windowsize 8, from xtftpd with
# the kernel tiers, xtftpd --no-bpf and Debian's tftpd-hpa (another port,
# same namespace), all in one run of one rig. Each download is still checked
# by sha256, and the kernel tiers' share of the DATA blocks is printed.
. "$(dirname "$0")/lib.sh"
xt_require_root
xt_require_cmd tftp atftp in.tftpd
xt_rig_create
xt_make_file "$XT_ROOT/img16" 16777216
HPA_PORT=6969
xt_hpa_start "$XT_ROOT" "$HPA_PORT"

CLIENTS=(hpa atftp-1468 atftp)
declare -A secs
measure() {  # measure SERVER PORT CLIENT
	local server=$1 port=$2 client=$3 t0 rc=0
	rm -f "$XT_OUT/img16"
	t0=$(xt_now)
	xt_get "$client" img16 "$XT_OUT/img16" "$XT_SRV4" "$port" || rc=$?
	secs[$server-$client]=$(xt_elapsed "$t0")
	[ "$rc" -eq 0 ] || xt_fail "$client from $server: exit $rc: $(tail -n 3 "$XT_TMP/client.log")"
	xt_check_file "$XT_OUT/img16" "$XT_ROOT/img16" "$client from $server"
}
measure_all() {  # measure_all SERVER PORT
	local c
	for c in "${CLIENTS[@]}"; do
		measure "$1" "$2" "$c"
	done
}

servers=(tftpd-hpa)
measure_all tftpd-hpa "$HPA_PORT"
share=""
if [ "$XT_TARGET" != hpa ]; then
	servers+=(xtftpd xtftpd-no-bpf)
	xt_daemon_start -s -i "$XT_IF_SRV"
	measure_all xtftpd 69
	xt_wait_idle
	k=$(( $(xt_stat blocks_xdp) + $(xt_stat blocks_tc) ))
	all=$(( k + $(xt_stat blocks_user) ))
	share="kernel tiers sent $k of $all DATA blocks ($(awk -v k="$k" -v a="$all" 'BEGIN { printf "%.3f", a ? 100 * k / a : 0 }')%)"
	xt_daemon_stop
	xt_daemon_start -s --no-bpf
	measure_all xtftpd-no-bpf 69
	xt_wait_idle
	xt_daemon_stop
fi
printf '%-14s %13s %13s %15s\n' "16 MiB" "tftp-hpa/512" "atftp/1468" "atftp/1468+w8"
for server in "${servers[@]}"; do
	printf '%-14s %12ss %12ss %14ss\n' "$server" "${secs[$server-hpa]}" \
		"${secs[$server-atftp-1468]}" "${secs[$server-atftp]}"
done
[ -z "$share" ] || echo "xtftpd: $share"
line="16 MiB (tftp-hpa/512, atftp/1468, atftp/1468+w8): tftpd-hpa ${secs[tftpd-hpa-hpa]}s/${secs[tftpd-hpa-atftp-1468]}s/${secs[tftpd-hpa-atftp]}s"
[ "$XT_TARGET" = hpa ] ||
	line+=", xtftpd ${secs[xtftpd-hpa]}s/${secs[xtftpd-atftp-1468]}s/${secs[xtftpd-atftp]}s, --no-bpf ${secs[xtftpd-no-bpf-hpa]}s/${secs[xtftpd-no-bpf-atftp-1468]}s/${secs[xtftpd-no-bpf-atftp]}s"
echo "$line"
