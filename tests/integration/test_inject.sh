#!/usr/bin/env bash
# A bootloader survives loss: Debian's U-Boot (arm64 under qemu TCG, the
# uboot.sh rig) fetches a 1 MiB image with tftpboot from xtftpd running with
# --inject drop:prob=0.05 (5 % of the DATA frames dropped, in the kernel tier
# and in userspace resends alike). U-Boot must report the right byte count
# and CRC32, and the daemon's counters must show the faults and their
# recovery: inject_drop > 0 and retransmits >= inject_drop (every lost frame
# was sent again; a lost resend is itself resent).
#
# U-Boot's tftptimeout is set to 1000 ms (it sends "timeout 1"), so each
# loss costs about one second, not five, and tftptimeoutcountmax to 1000
# (its default 10 timeouts per transfer cannot outlast 5 % of 715 blocks
# with any server that resends on a timeout): the run takes ~40 s.
# XT_INJECT_LOSS (percent, default 5) and XT_INJECT_SIZE (bytes) tune it.
set -o nounset -o pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/integration/uboot.sh
. "$HERE/uboot.sh"

ub_require
XTFTPD=${XTFTPD:-$HERE/../../build/san/xtftpd}
XTFTPCTL=${XTFTPCTL:-$HERE/../../build/san/xtftpctl}
if [ ! -x "$XTFTPD" ] || [ ! -x "$XTFTPCTL" ]; then
	echo "FAIL: no xtftpd/xtftpctl at $XTFTPD, $XTFTPCTL (build them with make)"; exit 1
fi
LOSS=${XT_INJECT_LOSS:-5}
SIZE=${XT_INJECT_SIZE:-$((1 << 20))}
PROB=$(awk -v p="$LOSS" 'BEGIN { printf "%.4f", p / 100 }')

ub_traps
ub_setup inject 198.18.9.1/24
mkdir -p "$UB_DIR/root"
ub_crc32_build
img="$UB_DIR/root/image.bin"
head -c "$SIZE" /dev/urandom >"$img" || ub_fail "cannot write the image"
want_crc=$(ub_crc32 "$img")

# The daemon as ub_server_start runs it, plus the injected loss.
UB_SRV_KIND=xtftpd
UB_SRV_SOCK="$UB_DIR/xtftpd.sock"
ip netns exec "$UB_NS" timeout -k 5 "$UB_LIFETIME" "$XTFTPD" -L -s -a 198.18.9.1:69 -i "$UB_TAP" \
	--control "$UB_SRV_SOCK" --pool-size 32M --inject "drop:prob=$PROB" -v "$UB_DIR/root" \
	>"$UB_DIR/server.log" 2>&1 &
UB_SRV_PID=$!
ub_xtftpd_ready "$UB_SRV_SOCK" "$UB_SRV_PID" 20
"$XTFTPCTL" -S "$UB_SRV_SOCK" inject | grep -qx "inject drop prob=$PROB" ||
	ub_fail "the daemon does not report the injection: $("$XTFTPCTL" -S "$UB_SRV_SOCK" inject)"

ub_boot
ub_cmd 5 "setenv netretry no" || ub_fail "setenv netretry"
ub_cmd 5 "setenv tftptimeout 1000" || ub_fail "setenv tftptimeout"
# U-Boot counts its timeouts over the whole transfer (not per block) and
# gives up after tftptimeoutcountmax (default 10); a lost DATA costs one
# (its timer runs out just before the server's resend arrives), so 5 % of
# 715 blocks needs a larger budget, as a HIL rig on a lossy link would set.
ub_cmd 5 "setenv tftptimeoutcountmax 1000" || ub_fail "setenv tftptimeoutcountmax"
ub_cmd 5 "setenv ipaddr 198.18.9.2; setenv serverip 198.18.9.1" || ub_fail "setenv addresses"
ub_cmd 5 "setenv netmask 255.255.255.0; setenv loadaddr 0x40200000" || ub_fail "setenv"
ub_cmd 30 "mw.q \${loadaddr} 0 $(printf '0x%x' $(( (SIZE + 7) / 8 )))" || ub_fail "mw.q"

t0=$(ub_now)
if ! ub_cmd 600 "tftpboot \${loadaddr} image.bin"; then
	printf '\003' >&"$UB_FD"
	ub_fail "tftpboot did not return to the prompt within 600 s"
fi
secs=$(ub_elapsed "$t0")
out=$(ub_since_mark)
got_bytes=$(printf '%s\n' "$out" | sed -n 's/^Bytes transferred = \([0-9]*\) .*/\1/p')
[ -n "$got_bytes" ] || ub_fail "no 'Bytes transferred' line: the transfer failed under $LOSS % loss"
[ "$got_bytes" -eq "$SIZE" ] || ub_fail "U-Boot received $got_bytes bytes, served $SIZE"
# U-Boot prints T for each of its own timeouts
u_timeouts=$(printf '%s\n' "$out" | tr -cd 'T' | wc -c)

ub_cmd 30 "crc32 \${loadaddr} \${filesize}" || ub_fail "crc32 command"
got_crc=$(ub_since_mark | sed -n 's/.*==> \([0-9a-f]\{8\}\).*/\1/p' | head -n 1)
[ "$got_crc" = "$want_crc" ] || ub_fail "CRC32 in U-Boot '$got_crc', served file $want_crc"

stats=$("$XTFTPCTL" -S "$UB_SRV_SOCK" stats) || ub_fail "xtftpctl stats"
st() { printf '%s\n' "$stats" | awk -v n="$1" '$1 == n { print $2 }'; }
drops=$(st inject_drop); kdrops=$(st kernel_inject_drop); retx=$(st retransmits)
# a drop is healed by the daemon's timer (retransmits) or, when U-Boot
# re-ACKs first, by the kernel's duplicate-ACK resend (kernel_dup_resends;
# userspace's are in retransmits already)
dupres=$(st kernel_dup_resends)
done_n=$(st transfers_done); tc=$(st blocks_tc); user=$(st blocks_user)
blocks=$(( SIZE / 1468 + 1 ))
echo "U-Boot tftpboot $SIZE bytes ($blocks blocks of 1468) under $LOSS % injected loss in $secs s:" \
	"crc32 $got_crc ok; inject_drop $drops (kernel $kdrops), retransmits $retx, dup_resends $dupres," \
	"blocks_tc $tc, blocks_user $user, U-Boot timeouts $u_timeouts"
[ "${done_n:-0}" -ge 1 ] || ub_fail "transfers_done $done_n: the daemon did not see the transfer end"
[ "${drops:-0}" -ge 1 ] || ub_fail "inject_drop is ${drops:-missing}: no loss was injected"
[ $(( ${retx:-0} + ${dupres:-0} )) -ge "$drops" ] ||
	ub_fail "retransmits $retx + dup_resends $dupres < inject_drop $drops: a lost frame was not resent"
"$XTFTPCTL" -S "$UB_SRV_SOCK" transfers --json | grep -q '"inject_drops":[1-9]' ||
	ub_fail "the transfer record does not carry its inject_drops"

ub_poweroff
ub_server_stop_checked
echo "ok: U-Boot survived $LOSS % injected loss: crc32 right, $drops drops, $retx retransmits, $secs s; xtftpd exited 0"
