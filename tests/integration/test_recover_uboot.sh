#!/usr/bin/env bash
# xtftpd recover with a real bootloader: U-Boot (the uboot.sh rig) plays the
# TP-Link Archer C7 v2 in recovery mode: 192.168.0.86 asks 192.168.0.66 for
# ArcherC7v2_tp_recovery.bin with 512-byte blocks. The tap carries no
# address; `xtftpd recover --interface TAP FIRMWARE` adds it, serves the
# image under the bootloader's name, exits 0 by itself and removes the
# address. U-Boot's byte count and CRC32 must match FIRMWARE.
set -o nounset -o pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/integration/uboot.sh
. "$HERE/uboot.sh"

ub_require
XTFTPD=${XTFTPD:-$HERE/../../build/san/xtftpd}
if [ ! -x "$XTFTPD" ]; then
	echo "FAIL: no xtftpd at $XTFTPD (build it with make)"; exit 1
fi
SIZE=$((2 * 1024 * 1024 + 333))

ub_traps
ub_setup recover
mkdir -p "$UB_DIR/fw"
ub_crc32_build
fw="$UB_DIR/fw/openwrt-ath79-generic-tplink_archer-c7-v2-squashfs-factory.bin"
head -c "$SIZE" /dev/urandom >"$fw" || ub_fail "cannot write the image"
want_crc=$(ub_crc32 "$fw")

has_ip() { ip -n "$UB_NS" -4 addr show dev "$UB_TAP" | grep -q 'inet 192.168.0.66/24'; }
has_ip && ub_fail "the tap has 192.168.0.66 before recover ran"

# ub_cleanup stops UB_SRV_PID and shows server.log on failure
UB_SRV_KIND=xtftpd
ip netns exec "$UB_NS" timeout -k 5 "$UB_LIFETIME" "$XTFTPD" recover --interface "$UB_TAP" "$fw" \
	>"$UB_DIR/server.log" 2>&1 &
UB_SRV_PID=$!
deadline=$(( $(date +%s) + 20 ))
until grep -q '^ready:' "$UB_DIR/server.log"; do
	kill -0 "$UB_SRV_PID" 2>/dev/null || ub_fail "xtftpd recover exited at start"
	[ "$(date +%s)" -ge "$deadline" ] && ub_fail "xtftpd recover not ready after 20 s"
	sleep 0.05
done
has_ip || ub_fail "recover did not add 192.168.0.66/24 to $UB_TAP"

ub_boot
ub_cmd 5 "setenv netretry no" || ub_fail "setenv netretry"
ub_cmd 5 "setenv ipaddr 192.168.0.86; setenv serverip 192.168.0.66; setenv netmask 255.255.255.0" ||
	ub_fail "setenv addresses"
ub_cmd 5 "setenv tftpblocksize 512; setenv loadaddr 0x40200000" || ub_fail "setenv"
ub_cmd 30 "mw.q \${loadaddr} 0 $(printf '0x%x' $(( (SIZE + 7) / 8 )))" || ub_fail "mw.q"
t0=$(ub_now)
if ! ub_cmd 180 "tftpboot \${loadaddr} ArcherC7v2_tp_recovery.bin"; then
	printf '\003' >&"$UB_FD"
	ub_fail "tftpboot did not return to the prompt within 180 s"
fi
secs=$(ub_elapsed "$t0")
got_bytes=$(ub_since_mark | sed -n 's/^Bytes transferred = \([0-9]*\) .*/\1/p')
[ "${got_bytes:-0}" -eq "$SIZE" ] || ub_fail "U-Boot received ${got_bytes:-nothing} bytes, served $SIZE"
ub_cmd 30 "crc32 \${loadaddr} \${filesize}" || ub_fail "crc32 command"
got_crc=$(ub_since_mark | sed -n 's/.*==> \([0-9a-f]\{8\}\).*/\1/p' | head -n 1)
[ "$got_crc" = "$want_crc" ] || ub_fail "CRC32 in U-Boot '$got_crc', firmware $want_crc"

# recover ends by itself after the transfer, with status 0
deadline=$(( $(date +%s) + 20 ))
while kill -0 "$UB_SRV_PID" 2>/dev/null; do
	[ "$(date +%s)" -ge "$deadline" ] && ub_fail "recover still running 20 s after the transfer"
	sleep 0.05
done
st=0
wait "$UB_SRV_PID" || st=$?
UB_SRV_PID=
sed 's/^/  recover: /' "$UB_DIR/server.log" | grep -v '^  recover:  *[0-9.]*%'
[ "$st" -eq 0 ] || ub_fail "recover exited $st after U-Boot got the image"
grep -q 'for "ArcherC7v2_tp_recovery.bin"' "$UB_DIR/server.log" || ub_fail "the requested name is not printed"
grep -q '^done: ' "$UB_DIR/server.log" || ub_fail "no done line"
# the kernel tiers served it (TC on the tap); XT_EXPECT_BPF=0 accepts userspace
[ "${XT_EXPECT_BPF:-1}" = 0 ] || grep -q '^done: .*served by .*TC' "$UB_DIR/server.log" ||
	ub_fail "recover did not serve through the kernel tiers: $(grep '^done: ' "$UB_DIR/server.log")"
grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$UB_DIR/server.log" &&
	ub_fail "sanitizer report in the recover output"
has_ip && ub_fail "recover left 192.168.0.66 on $UB_TAP"

ub_poweroff
echo "ok: U-Boot as TP-Link recovery client got $SIZE bytes at blksize 512 in $secs s, crc32 $got_crc; recover exited 0, address removed"
