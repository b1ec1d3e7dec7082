#!/usr/bin/env bash
# UEFI (Debian's OVMF, EDK2's own PXE client: a tsize probe, then blksize
# 1468 windowsize 4) -> a GRUB EFI image from grub-mkimage -> grub.cfg ->
# GRUB's own sha256sum of a 32 MiB file over TFTP (blksize 1024, tsize).
# Checked by GRUB's words on the serial console (the sha256 it computed is
# the file's) and by the daemon's events (each file served intact, >= 99 %
# by the kernel tiers, the probe a probe, transfers_failed 0). Then the same
# boot from tftpd-hpa and from dnsmasq's TFTP, timing the 32 MiB fetch in
# each (from GRUB's "up" to its sha256 line on the console).
set -o errexit -o nounset -o pipefail
source "$(dirname "$0")/lib.sh"
xtnb_require grub-mkimage
[ -d /usr/lib/grub/x86_64-efi ] || xt_skip "needs grub-efi-amd64-bin; run 'make deps'"

BIG=$((32 << 20))
xt_make_file "$XT_ROOT/big.bin" "$BIG"
want=$(sha256sum "$XT_ROOT/big.bin" | cut -d' ' -f1)
mkdir -p "$XT_ROOT/grub"
# (tftp) is the server GRUB's PXE booted it from; hashsum needs its digest.
grub-mkimage -O x86_64-efi -o "$XT_ROOT/grubx64.efi" -p '(tftp)/grub' \
	efinet tftp net normal configfile echo hashsum gcry_sha256 halt ||
	xt_fail "grub-mkimage failed"
cat > "$XT_ROOT/grub/grub.cfg" <<'CFG'
set timeout=0
echo "XTNB: grub up"
sha256sum (tftp)/big.bin
echo "XTNB: grub done"
halt
CFG
chmod -R a+rX "$XT_ROOT"
xtnb_rig grubx64.efi

declare -A secs
for server in xtftpd hpa dnsmasq; do
	xtnb_server "$server"
	xtnb_boot uefi
	t_up=$(xtnb_wait_mark 240 'XTNB: grub up' "$server: UEFI PXE -> GRUB")
	t_sum=$(xtnb_wait_mark 300 '[0-9a-f]{64}  \(tftp\)/big.bin' "$server: GRUB's sha256sum of big.bin")
	got=$(tr -d '\r' < "$XTNB_CONSOLE" | grep -aoE '[0-9a-f]{64}  \(tftp\)/big.bin' | cut -d' ' -f1)
	[ "$got" = "$want" ] || xt_fail "$server: GRUB computed sha256 $got, the file has $want"
	secs[$server]=$(awk -v a="$t_up" -v b="$t_sum" 'BEGIN { printf "%.1f", b - a }')
	xtnb_stop_qemu
	[ "$server" = xtftpd ] && xtnb_check_xtftpd grubx64.efi grub/grub.cfg big.bin
	xtnb_server_stop "$server"
done
echo "UEFI -> GRUB, 32 MiB sha256 verified by GRUB: xtftpd ${secs[xtftpd]} s, tftpd-hpa ${secs[hpa]} s, dnsmasq ${secs[dnsmasq]} s (under TCG)"
