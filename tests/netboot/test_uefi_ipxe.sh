#!/usr/bin/env bash
# UEFI (OVMF's PXE client) -> Debian's ipxe.efi -> its own DHCP (user class
# iPXE: dnsmasq hands it boot.ipxe) -> the script -> imgfetch of a 32 MiB
# file (iPXE: blksize 1432, tsize, no windowsize). Checked by iPXE's words
# on the console ("big : 33554432 bytes") and by the daemon's events (each
# file intact by sha256 of the served image, >= 99 % kernel tiers, the
# probe a probe, transfers_failed 0). Then the same boot from tftpd-hpa and
# dnsmasq's TFTP, timing the fetch (iPXE's "up" to its imgstat line).
set -o errexit -o nounset -o pipefail
source "$(dirname "$0")/lib.sh"
xtnb_require
[ -r /usr/lib/ipxe/ipxe.efi ] || xt_skip "needs Debian's ipxe (ipxe.efi); run 'make deps'"

BIG=$((32 << 20))
xt_make_file "$XT_ROOT/big.bin" "$BIG"
cp /usr/lib/ipxe/ipxe.efi "$XT_ROOT/ipxe.efi"
cat > "$XT_ROOT/boot.ipxe" <<'IPXE'
#!ipxe
echo XTNB: ipxe up
imgfetch --name big tftp://${next-server}/big.bin || goto failed
imgstat big
echo XTNB: ipxe done
exit
:failed
echo XTNB: ipxe failed
IPXE
chmod -R a+rX "$XT_ROOT"
xtnb_rig ipxe.efi boot.ipxe

declare -A secs
for server in xtftpd hpa dnsmasq; do
	xtnb_server "$server"
	xtnb_boot uefi
	t_up=$(xtnb_wait_mark 240 'XTNB: ipxe up' "$server: UEFI PXE -> iPXE -> script")
	t_got=$(xtnb_wait_mark 300 "big : $BIG bytes|XTNB: ipxe failed" "$server: iPXE's imgfetch of big.bin")
	tr -d '\r' < "$XTNB_CONSOLE" | grep -aq "big : $BIG bytes" ||
		xt_fail "$server: iPXE could not fetch big.bin: $(tr -d '\r' < "$XTNB_CONSOLE" | grep -a 'big.bin' | tail -n 2)"
	secs[$server]=$(awk -v a="$t_up" -v b="$t_got" 'BEGIN { printf "%.1f", b - a }')
	xtnb_stop_qemu
	[ "$server" = xtftpd ] && xtnb_check_xtftpd ipxe.efi boot.ipxe big.bin
	xtnb_server_stop "$server"
done
echo "UEFI -> iPXE, 32 MiB imgfetch: xtftpd ${secs[xtftpd]} s, tftpd-hpa ${secs[hpa]} s, dnsmasq ${secs[dnsmasq]} s (under TCG)"
