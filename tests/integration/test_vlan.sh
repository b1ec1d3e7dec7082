#!/usr/bin/env bash
# VLAN trunk (issue 8): this kernel has no 8021q module, so tagged frames
# reach no UDP socket. tests/integration/vlan_client.c, on a packet socket in
# the client namespace, downloads a 4 MiB image twice at the same moment with
# 802.1Q-tagged frames, VID 100 and VID 200, from the same MAC, address and
# source port: only the VLAN id tells the two transfers apart (session key,
# duplicate detection). xtftpd runs with --mac-sessions (requests through its
# packet socket) and the kernel tiers. Checked: both images by sha256; every
# reply carries the right tag and correct IPv4 and UDP checksums (the client
# computes them itself); the TC tier sent the DATA blocks; the transfer
# records and events carry the VLAN id; an untagged download still works
# beside them; a tagged upload is refused with an ERROR that carries the tag.
source "$(dirname "$0")/lib.sh"

SIZE=$(( 4 << 20 ))
BLK=1428
PORT=40069

xt_require_root
xt_require_daemon
xt_require_cmd sha256sum
xt_require_helper vlan_client
xt_rig_create

CLIENT="$XT_HELPERS/vlan_client"

xt_make_file "$XT_ROOT/image.bin" "$SIZE"
want=$(xt_sha256 "$XT_ROOT/image.bin")
srv_mac=$(xt_srv cat "/sys/class/net/$XT_IF_SRV/address")

xt_daemon_start -s -i "$XT_IF_SRV" --mac-sessions --pool-size 32M -a "$XT_SRV4" \
	--event-log "$XT_TMP/events.jsonl"
xt_ctl status | grep -q '^mac sessions:' || xt_fail "status does not show mac sessions"

# vget VID OUT [NAME]: one tagged download in the client namespace.
vget() {
	xt_cli timeout --kill-after=5 60 "$CLIENT" -i "$XT_IF_CLI" -m "$srv_mac" -s "$XT_CLI4" \
		-d "$XT_SRV4" -p "$PORT" -v "$1" -f "${3:-image.bin}" -b "$BLK" -x "$want" >"$2" 2>&1
}

t0=$(xt_now)
vget 100 "$XT_TMP/v100.out" & p100=$!
vget 200 "$XT_TMP/v200.out" & p200=$!
rc100=0; wait "$p100" || rc100=$?
rc200=0; wait "$p200" || rc200=$?
secs=$(xt_elapsed "$t0")
[ "$rc100" -eq 0 ] || xt_fail "VID 100 download: $(cat "$XT_TMP/v100.out")"
[ "$rc200" -eq 0 ] || xt_fail "VID 200 download: $(cat "$XT_TMP/v200.out")"
cat "$XT_TMP/v100.out" "$XT_TMP/v200.out"
final=$(( SIZE / BLK + 1 ))
for v in 100 200; do
	frames=$(sed -n 's/.* frames=\([0-9]*\).*/\1/p' "$XT_TMP/v$v.out")
	# OACK + every DATA block, each with the tag and verified checksums
	[ "${frames:-0}" -ge $(( final + 1 )) ] ||
		xt_fail "VID $v: $frames tagged replies, want >= $(( final + 1 ))"
	verified=$(sed -n 's/.* csum_verified=\([0-9]*\).*/\1/p' "$XT_TMP/v$v.out")
	[ "${verified:-0}" -ge 1 ] || xt_fail "VID $v: no reply had a checksum to verify"
done

# the two transfers are two sessions, served by the TC tier
xt_wait_until 10 "both tagged transfers recorded done" \
	sh -c "[ \"\$($XTFTPCTL -S $XT_CTL_SOCK stats | awk '\$1 == \"transfers_done\" { print \$2 }')\" -ge 2 ]"
[ "$(xt_stat transfers_started)" -eq 2 ] || xt_fail "transfers_started $(xt_stat transfers_started), want 2"
blocks_tc=$(xt_stat blocks_tc)
[ "$blocks_tc" -ge $(( 2 * (final - 1) )) ] ||
	xt_fail "TC tier sent $blocks_tc DATA blocks, want >= $(( 2 * (final - 1) ))"
for v in 100 200; do
	xt_ctl transfers | grep -q "vlan=$v RRQ \"image.bin\".*tier=tc.*outcome=done" ||
		xt_fail "no finished TC transfer record with vlan=$v: $(xt_ctl transfers)"
	grep -q "\"vlan\":$v," "$XT_TMP/events.jsonl" || xt_fail "no event with \"vlan\":$v"
done

# untagged beside the trunk: through the same packet socket, no tag on replies
xt_cli timeout --kill-after=5 60 "$CLIENT" -i "$XT_IF_CLI" -m "$srv_mac" -s "$XT_CLI4" \
	-d "$XT_SRV4" -p "$PORT" -v 0 -f image.bin -b "$BLK" -x "$want" >"$XT_TMP/v0.out" 2>&1 ||
	xt_fail "untagged raw download: $(cat "$XT_TMP/v0.out")"
grep -q ' tag_in_frame=0 tag_in_aux=0 ' "$XT_TMP/v0.out" || xt_fail "untagged download got tagged replies"
xt_cli curl -sS -o "$XT_OUT/curl.bin" "tftp://$XT_SRV4/image.bin" || xt_fail "curl download failed"
xt_check_file "$XT_OUT/curl.bin" "$XT_ROOT/image.bin" "curl beside the trunk"

# a tagged request the kernel tiers cannot serve (netascii) gets an ERROR,
# tagged, instead of a transfer that would stall
printf 'line\r\n' > "$XT_ROOT/text.txt"
chmod 0644 "$XT_ROOT/text.txt"
rc=0
xt_cli timeout 20 "$CLIENT" -i "$XT_IF_CLI" -m "$srv_mac" -s "$XT_CLI4" -d "$XT_SRV4" \
	-p $(( PORT + 1 )) -v 100 -f "text.txt" -b 512 -a -x "$want" >"$XT_TMP/na.out" 2>&1 || rc=$?
[ "$rc" -ne 0 ] && grep -q 'server error' "$XT_TMP/na.out" ||
	xt_fail "netascii over VID 100 was not refused with a tagged ERROR: $(cat "$XT_TMP/na.out")"

xt_daemon_stop
echo "vlan: 2 tagged downloads (VID 100 and 200, same MAC, address and port) of 4 MiB in ${secs}s," \
	"blocks_tc $blocks_tc, every reply tagged and checksummed right"
