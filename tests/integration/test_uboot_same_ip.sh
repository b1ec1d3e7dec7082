#!/usr/bin/env bash
# Same-address bootloaders at once (issue 8): N (default 4) U-Boot instances
# under QEMU, every one 192.168.0.86 with its own MAC, on tap devices that are
# ports of one bridge carrying the server's 192.168.0.66 (the TP-Link pair).
# xtftpd runs with --mac-sessions and its kernel tiers on every tap (several
# -i at once); all instances tftpboot the same 4 MiB image at the same moment
# and must report the right byte count and CRC32, and the server must have
# recorded one transfer per MAC, served by the TC tier.
# Uses tests/integration/uboot.sh (one console per instance, in subshells).
# XT_UBOOT_PAIR=N sets the number of instances (4: about 15 s on 2 cores).
set -o nounset -o pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/integration/uboot.sh
source "$HERE/uboot.sh"

XT_TOP=${XT_TOP:-$(cd "$HERE/../.." && pwd)}
XTFTPD=${XTFTPD:-$XT_TOP/build/san/xtftpd}
XTFTPCTL=${XTFTPCTL:-$XT_TOP/build/san/xtftpctl}
N=${XT_UBOOT_PAIR:-4}
SIZE=$(( 4 << 20 ))
SRV_IP=192.168.0.66
CLI_IP=192.168.0.86

ub_require
[ -x "$XTFTPD" ] && [ -x "$XTFTPCTL" ] || { echo "FAIL: no xtftpd at $XTFTPD; build it with make"; exit 1; }

pair_cleanup() {
	local pids
	if [ -n "$UB_NS" ]; then
		pids=$(ip netns pids "$UB_NS" 2>/dev/null)
		# shellcheck disable=SC2086
		[ -n "$pids" ] && kill -KILL $pids 2>/dev/null
	fi
	ub_cleanup
}
trap pair_cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 141' PIPE
trap 'exit 143' TERM

# ---- one namespace: a bridge with the server address, one tap per device ----
UB_NS="xtub-pair-$$"
UB_DIR=$(mktemp -d /tmp/xtftp-uboot-pair.XXXXXX)
ip netns add "$UB_NS"
ip -n "$UB_NS" link set lo up
ip -n "$UB_NS" link add br0 type bridge
ip -n "$UB_NS" addr add "$SRV_IP/24" dev br0
ip -n "$UB_NS" link set br0 up
ifargs=()
for i in $(seq 1 "$N"); do
	ip -n "$UB_NS" tuntap add dev "ubtap$i" mode tap
	ip -n "$UB_NS" link set "ubtap$i" master br0 up
	ifargs+=(-i "ubtap$i")
done
mkdir -p "$UB_DIR/root"
ub_crc32_build
head -c "$SIZE" /dev/urandom >"$UB_DIR/root/image.bin"
chmod 0644 "$UB_DIR/root/image.bin"
want_crc=$(ub_crc32 "$UB_DIR/root/image.bin")

SOCK="$UB_DIR/xtftpd.sock"
ip netns exec "$UB_NS" timeout -k 5 "$UB_LIFETIME" "$XTFTPD" -L -s -a "$SRV_IP:69" "${ifargs[@]}" \
	--mac-sessions --pool-size 32M --control "$SOCK" -v "$UB_DIR/root" >"$UB_DIR/server.log" 2>&1 &
SRV_PID=$!
ub_xtftpd_ready "$SOCK" "$SRV_PID" 30

# one_device I: boot U-Boot on ubtapI, wait for the common start signal,
# tftpboot, check bytes and CRC32; prints one result line. Runs in a subshell
# with its own UB_* console state.
one_device() {
	local i=$1 out got_bytes got_crc t0 secs
	UB_TAP="ubtap$i"
	UB_MAC=$(printf '52:54:00:00:86:%02x' "$i")
	UB_DIR="$UB_DIR/u$i"
	mkdir -p "$UB_DIR"
	ub_boot
	# This U-Boot build takes its MAC from its default environment
	# (52:52:52:52:52:52 whatever qemu's NIC says): set it per device.
	ub_cmd 5 "setenv -f ethaddr $UB_MAC" || ub_fail "u$i: setenv ethaddr"
	ub_cmd 5 "setenv netretry no" || ub_fail "u$i: setenv"
	ub_cmd 5 "setenv ipaddr $CLI_IP; setenv serverip $SRV_IP; setenv netmask 255.255.255.0" ||
		ub_fail "u$i: setenv"
	ub_cmd 5 "setenv loadaddr 0x40200000" || ub_fail "u$i: setenv loadaddr"
	ub_cmd 30 "mw.q \${loadaddr} 0 $(printf '0x%x' $(( SIZE / 8 )))" || ub_fail "u$i: mw.q"
	: >"$UB_DIR/../ready$i"
	local deadline=$(( $(date +%s) + 120 ))
	until [ -e "$UB_DIR/../go" ]; do
		[ "$(date +%s)" -ge "$deadline" ] && ub_fail "u$i: no start signal"
		sleep 0.02
	done
	t0=$(ub_now)
	ub_cmd 120 "tftpboot \${loadaddr} image.bin" || ub_fail "u$i: tftpboot did not return"
	secs=$(ub_elapsed "$t0")
	out=$(ub_since_mark)
	got_bytes=$(printf '%s\n' "$out" | sed -n 's/^Bytes transferred = \([0-9]*\) .*/\1/p')
	[ "${got_bytes:-0}" -eq "$SIZE" ] || ub_fail "u$i: received '${got_bytes}' bytes, served $SIZE"
	ub_cmd 30 "crc32 \${loadaddr} \${filesize}" || ub_fail "u$i: crc32"
	got_crc=$(ub_since_mark | sed -n 's/.*==> \([0-9a-f]\{8\}\).*/\1/p' | head -n 1)
	[ "$got_crc" = "$want_crc" ] || ub_fail "u$i: CRC32 '$got_crc', served $want_crc"
	echo "u$i mac $UB_MAC: $got_bytes bytes in $secs s (tftpboot), crc32 $got_crc ok"
	ub_poweroff
	UB_NS=
	UB_DIR=
}

t_boot=$(ub_now)
pids=()
for i in $(seq 1 "$N"); do
	( UB_QEMU_PID=; trap - EXIT; one_device "$i" ) >"$UB_DIR/result$i" 2>"$UB_DIR/err$i" &
	pids+=($!)
done
# all at the prompt, then all at once
deadline=$(( $(date +%s) + 180 ))
for i in $(seq 1 "$N"); do
	until [ -e "$UB_DIR/ready$i" ]; do
		kill -0 "${pids[$((i - 1))]}" 2>/dev/null || break
		[ "$(date +%s)" -ge "$deadline" ] && { echo "FAIL: U-Boot $i not at the prompt after 180 s"; exit 1; }
		sleep 0.05
	done
done
echo "uboot-same-ip: $N U-Boot instances at the prompt after $(ub_elapsed "$t_boot") s"
t0=$(ub_now)
: >"$UB_DIR/go"
fail=0
for i in $(seq 1 "$N"); do
	wait "${pids[$((i - 1))]}" || fail=1
	cat "$UB_DIR/result$i"
done
wall=$(ub_elapsed "$t0")
if [ "$fail" -ne 0 ]; then
	for i in $(seq 1 "$N"); do cat "$UB_DIR/err$i"; done
	echo "---- server log ----"; tail -n 20 "$UB_DIR/server.log"
	echo "FAIL: not every same-address U-Boot got the image"
	exit 1
fi
stats=$("$XTFTPCTL" -S "$SOCK" stats)
transfers=$("$XTFTPCTL" -S "$SOCK" transfers)
done_n=$(awk '$1 == "transfers_done" { print $2 }' <<<"$stats")
blocks_tc=$(awk '$1 == "blocks_tc" { print $2 }' <<<"$stats")
[ "${done_n:-0}" -eq "$N" ] || { echo "$transfers"; echo "FAIL: transfers_done $done_n, want $N"; exit 1; }
[ "${blocks_tc:-0}" -ge $(( N * (SIZE / 1468) )) ] ||
	{ echo "FAIL: TC tier sent $blocks_tc blocks, want >= $(( N * (SIZE / 1468) ))"; exit 1; }
for i in $(seq 1 "$N"); do
	grep -q "$CLI_IP:[0-9]* mac=$(printf '52:54:00:00:86:%02x' "$i") RRQ .*outcome=done" <<<"$transfers" ||
		{ echo "$transfers"; echo "FAIL: no finished transfer recorded for U-Boot $i's MAC"; exit 1; }
done
ub_server_stop_checked "$SRV_PID" "$UB_DIR/server.log"
echo "uboot-same-ip: $N x 4 MiB from $CLI_IP at once in ${wall}s wall (tftpboot + crc32), blocks_tc $blocks_tc; xtftpd exited 0"
