#!/usr/bin/env bash
# IPv6: tftp-hpa and curl (default options, blksize 1468, no options) fetch
# edge-size files from [2001:2:0:N::1]; the same daemon, started without -a,
# serves IPv4 at the same time. sha256 compared.
. "$(dirname "$0")/lib.sh"
xt_require_root
xt_require_cmd tftp curl
[ "$XT_TARGET" = hpa ] && xt_require_cmd in.tftpd || xt_require_daemon
xt_rig_create
SIZES=(1 511 512 513 1468 1469 1048576 4194304)
for s in "${SIZES[@]}"; do
	xt_make_file "$XT_ROOT/f$s" "$s"
done
if [ "$XT_TARGET" = hpa ]; then
	# One tftpd-hpa per family: -a takes one address.
	ip netns exec "$XT_NS_SRV" in.tftpd -L -s "$XT_ROOT" -a "[$XT_SRV6]:69" \
		>>"$XT_TMP/hpa6.log" 2>&1 &
	xt_on_cleanup "kill -KILL $!; wait $!"
fi
xt_server_start kernel
n=0
for v in hpa curl curl-1468 curl-noopt; do
	for s in "${SIZES[@]}"; do
		out="$XT_OUT/$v-$s"
		rc=0; xt_get "$v" "f$s" "$out" "$XT_SRV6" || rc=$?
		[ "$rc" -eq 0 ] || xt_fail "$v [$XT_SRV6] f$s: exit $rc: $(tail -n 3 "$XT_TMP/client.log")"
		[ "$v" = hpa ] && xt_client_said_error &&
			xt_fail "$v [$XT_SRV6] f$s: $(tail -n 3 "$XT_TMP/client.log")"
		xt_check_file "$out" "$XT_ROOT/f$s" "$v [$XT_SRV6] f$s"
		rm -f "$out"
		n=$((n + 1))
	done
done
# Both families from one daemon.
xt_get curl f513 "$XT_OUT/v4" "$XT_SRV4" || xt_fail "curl IPv4 next to IPv6: exit $?"
xt_check_file "$XT_OUT/v4" "$XT_ROOT/f513" "curl IPv4 next to IPv6"
n=$((n + 1))
if [ "$XT_TARGET" != hpa ]; then
	xt_check_counters kernel "$n"
	xt_server_stop
fi
echo "$n IPv6/IPv4 transfers verified by sha256"
