#!/usr/bin/env bash
# A timing figure, printed not asserted: the same 16 MiB image fetched by
# tftp-hpa's client (512-byte lock-step) and by atftp (blksize 1468) from
# xtftpd (kernel tiers) and from Debian's tftpd-hpa on another port in the
# same namespace. Each download is still checked by sha256.
. "$(dirname "$0")/lib.sh"
xt_require_root
xt_require_cmd tftp atftp in.tftpd
xt_rig_create
xt_make_file "$XT_ROOT/img16" 16777216
HPA_PORT=6969
xt_hpa_start "$XT_ROOT" "$HPA_PORT"
[ "$XT_TARGET" = hpa ] || xt_daemon_start -s -i "$XT_IF_SRV"

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
servers=(tftpd-hpa)
[ "$XT_TARGET" = hpa ] || servers+=(xtftpd)
for server in "${servers[@]}"; do
	port=69
	[ "$server" = tftpd-hpa ] && port=$HPA_PORT
	measure "$server" "$port" hpa
	measure "$server" "$port" atftp
done
printf '%-10s %12s %12s\n' "16 MiB" "tftp-hpa/512" "atftp/1468"
for server in "${servers[@]}"; do
	printf '%-10s %11ss %11ss\n' "$server" "${secs[$server-hpa]}" "${secs[$server-atftp]}"
done
if [ "$XT_TARGET" != hpa ]; then
	xt_wait_idle
	echo "xtftpd: bpf_active $(xt_stat bpf_active) blocks_xdp $(xt_stat blocks_xdp)" \
		"blocks_tc $(xt_stat blocks_tc) blocks_user $(xt_stat blocks_user)"
	xt_daemon_stop
fi
line="16 MiB (tftp-hpa/512, atftp/1468): tftpd-hpa ${secs[tftpd-hpa-hpa]}s/${secs[tftpd-hpa-atftp]}s"
[ "$XT_TARGET" = hpa ] || line+=", xtftpd ${secs[xtftpd-hpa]}s/${secs[xtftpd-atftp]}s"
echo "$line"
