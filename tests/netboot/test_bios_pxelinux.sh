#!/usr/bin/env bash
# BIOS (SeaBIOS with the NIC's PXE ROM, iPXE from ipxe-qemu) -> Debian's
# pxelinux.0 (PXELINUX 6.04: tsize and blksize 1408, and an ERROR if the
# OACK holds an option it did not ask for) -> ldlinux.c32 -> pxelinux.cfg
# (after its per-MAC and per-address misses, which are refusals) -> Debian
# 12's kernel (8 MiB) and an initrd, which boot and say so on the serial
# console. Checked by the booted kernel's words and the daemon's events
# (each file intact, >= 99 % kernel tiers, transfers_failed 0). Then the
# same boot from tftpd-hpa and dnsmasq's TFTP, timing PXELINUX's banner to
# the kernel's first word (both files fetched, plus the kernel's boot).
set -o errexit -o nounset -o pipefail
source "$(dirname "$0")/lib.sh"
xtnb_require gzip
[ -r /usr/lib/PXELINUX/pxelinux.0 ] && [ -r /usr/lib/syslinux/modules/bios/ldlinux.c32 ] ||
	xt_skip "needs Debian's pxelinux and syslinux-common; run 'make deps'"
kdir=$("$(dirname "$0")/../vm/kernel.sh" 6.1 2>"$XT_TMP/kernel.log") ||
	xt_fail "cannot fetch Debian 12's kernel: $(tail -n 1 "$XT_TMP/kernel.log")"

cp "$kdir/vmlinuz" "$XT_ROOT/vmlinuz"
mkdir -p "$XT_TMP/ird"
cp "$(command -v busybox)" "$XT_TMP/ird/busybox"
printf '#!/busybox sh\n/busybox echo "XTNB: linux up"\n/busybox poweroff -f\n' > "$XT_TMP/ird/init"
chmod +x "$XT_TMP/ird/init"
( cd "$XT_TMP/ird" && find . | busybox cpio -o -H newc 2>/dev/null ) | gzip -1 > "$XT_ROOT/initrd.gz"
cp /usr/lib/PXELINUX/pxelinux.0 /usr/lib/syslinux/modules/bios/ldlinux.c32 "$XT_ROOT/"
mkdir -p "$XT_ROOT/pxelinux.cfg"
cat > "$XT_ROOT/pxelinux.cfg/default" <<'CFG'
SERIAL 0 115200
DEFAULT linux
PROMPT 0
TIMEOUT 1
LABEL linux
  KERNEL vmlinuz
  APPEND initrd=initrd.gz console=ttyS0 panic=-1 quiet
CFG
chmod -R a+rX "$XT_ROOT"
# The ROM's iPXE asks with user class iPXE too: PXELINUX for both.
xtnb_rig pxelinux.0 pxelinux.0

declare -A secs
for server in xtftpd hpa dnsmasq; do
	xtnb_server "$server"
	xtnb_boot bios
	t_up=$(xtnb_wait_mark 240 'PXELINUX 6' "$server: BIOS PXE -> PXELINUX")
	t_linux=$(xtnb_wait_mark 300 'XTNB: linux up' "$server: PXELINUX -> Linux")
	secs[$server]=$(awk -v a="$t_up" -v b="$t_linux" 'BEGIN { printf "%.1f", b - a }')
	xtnb_stop_qemu
	[ "$server" = xtftpd ] && xtnb_check_xtftpd pxelinux.0 ldlinux.c32 pxelinux.cfg/default vmlinuz initrd.gz
	xtnb_server_stop "$server"
done
echo "BIOS -> PXELINUX -> Linux (8 MiB kernel + initrd, booted): xtftpd ${secs[xtftpd]} s, tftpd-hpa ${secs[hpa]} s, dnsmasq ${secs[dnsmasq]} s (under TCG)"
