#!/usr/bin/env bash
# A real bootloader as client: Debian's U-Boot (arm64, under qemu TCG) fetches
# images with tftpboot from the server in a namespace, then checks the byte
# count and CRC32 U-Boot reports against the served file.
#
# Cases:
#   default   4 MiB, U-Boot's own options (timeout 5, blksize 1468)
#   blk512    40 MiB at tftpblocksize 512: 81920 blocks, block number rolls
#             over past 65535, and the size is a block multiple (ends with
#             an empty DATA block)
#   window8   4 MiB with tftpwindowsize 8 (RFC 7440)
#   tplink    the TP-Link Archer C7 v2 recovery pair: U-Boot 192.168.0.86
#             asks 192.168.0.66 for ArcherC7v2_tp_recovery.bin, 512-byte
#             lock-step like the real bootloader (addresses only inside the
#             test's namespace)
#
# Server: $XTFTPD (default build/san/xtftpd) with -i on the tap, so the
# kernel tiers attach (bpf_active 1 required); it must exit 0 on SIGTERM with
# no sanitizer report. XT_UBOOT_SERVER=hpa runs the baseline the harness was
# proven against (tftpd-hpa) instead; there is no silent fallback to it.
# XT_UBOOT_CASES="default tplink" runs a subset.
set -o nounset -o pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/integration/uboot.sh
. "$HERE/uboot.sh"

ub_require

SERVER=${XT_UBOOT_SERVER:-xtftpd}
XTFTPD=${XTFTPD:-$HERE/../../build/san/xtftpd}
XTFTPCTL=${XTFTPCTL:-$HERE/../../build/san/xtftpctl}
case $SERVER in
hpa)
	command -v in.tftpd >/dev/null ||
		{ echo "FAIL: XT_UBOOT_SERVER=hpa but in.tftpd not found (Debian package tftpd-hpa)"; exit 1; } ;;
xtftpd)
	if [ ! -x "$XTFTPD" ] || [ ! -x "$XTFTPCTL" ]; then
		echo "FAIL: no xtftpd/xtftpctl at $XTFTPD, $XTFTPCTL (build them; XT_UBOOT_SERVER=hpa for the baseline)"; exit 1
	fi ;;
*)
	echo "FAIL: XT_UBOOT_SERVER must be hpa or xtftpd, not '$SERVER'"; exit 1 ;;
esac
CASES=${XT_UBOOT_CASES:-default blk512 window8 tplink}

ub_traps
ub_setup uboot 198.18.8.1/24 192.168.0.66/24
mkdir -p "$UB_DIR/root"
ub_crc32_build

boot_start=$(ub_now)
ub_boot
ub_log "U-Boot at the prompt after $(ub_elapsed "$boot_start") s (server: $SERVER)"

# A failed transfer must end the command instead of restarting forever.
ub_cmd 5 "setenv netretry no" || ub_fail "setenv netretry"
ub_cmd 5 "setenv netmask 255.255.255.0" || ub_fail "setenv netmask"
ub_cmd 5 "setenv loadaddr 0x40200000" || ub_fail "setenv loadaddr"

summary=()
server_addr=

# run_case NAME SIZE FILE CLIENT_IP SERVER_IP BLKSIZE WINDOW TIMEOUT
run_case() {
	local name=$1 size=$2 file=$3 cip=$4 sip=$5 blk=$6 win=$7 limit=$8
	local img="$UB_DIR/root/$file" want_crc got_crc got_bytes t0 secs out rate
	local capturing rrq want_rrq t_case t_srv granted

	t_case=$(ub_now)
	head -c "$size" /dev/urandom >"$img" || ub_fail "$name: cannot write image"
	want_crc=$(ub_crc32 "$img")

	# One server per address: cases that share it share the daemon (its
	# start costs seconds with ASan); the counters are shown per case.
	t_srv=0
	if [ "$sip" != "$server_addr" ]; then
		ub_server_stop_checked
		t_srv=$(ub_now)
		ub_server_start "$SERVER" "$UB_DIR/root" "$sip"
		t_srv=$(ub_elapsed "$t_srv")
		server_addr=$sip
	fi
	ub_server_snapshot "$UB_DIR/stats.before"

	ub_cmd 5 "setenv ipaddr $cip; setenv serverip $sip" || ub_fail "$name: setenv"
	# U-Boot keeps the last tftpblocksize/tftpwindowsize it saw when the
	# variable is deleted, so each case sets both: 1468 and 1 are its
	# defaults (windowsize 1 sends no windowsize option at all).
	ub_cmd 5 "setenv tftpblocksize $blk; setenv tftpwindowsize $win" ||
		ub_fail "$name: setenv"
	# Poison the load area so stale bytes from an earlier case cannot pass
	# (8-byte stores: mw.b over 40 MiB takes seconds under TCG).
	ub_cmd 30 "mw.q \${loadaddr} 0 $(printf '0x%x' $(( (size + 7) / 8 )))" ||
		ub_fail "$name: mw.q"

	capturing=0
	ub_rrq_capture_start && capturing=1
	t0=$(ub_now)
	if ! ub_cmd "$limit" "tftpboot \${loadaddr} $file"; then
		printf '\003' >&"$UB_FD"
		ub_fail "$name: tftpboot did not return to the prompt within $limit s"
	fi
	secs=$(ub_elapsed "$t0")
	if [ $capturing = 1 ]; then
		# The case must test what it says: the options U-Boot asked for.
		rrq=$(ub_rrq_capture_stop)
		want_rrq="RRQ \"$file\" octet timeout 5 blksize $blk"
		[ "$win" -gt 1 ] && want_rrq+=" windowsize $win"
		[ "$rrq" = "$want_rrq" ] ||
			ub_fail "$name: U-Boot sent '$rrq', expected '$want_rrq'"
	fi
	out=$(ub_since_mark)
	got_bytes=$(printf '%s\n' "$out" | sed -n 's/^Bytes transferred = \([0-9]*\) .*/\1/p')
	rate=$(printf '%s\n' "$out" | sed -n 's/^[[:space:]]*\([0-9.]* [KMG]*i*B\/s\)$/\1/p' | tail -n 1)
	[ -n "$got_bytes" ] || ub_fail "$name: no 'Bytes transferred' line (transfer failed)"
	[ "$got_bytes" -eq "$size" ] ||
		ub_fail "$name: U-Boot received $got_bytes bytes, served $size"

	ub_cmd 30 "crc32 \${loadaddr} \${filesize}" || ub_fail "$name: crc32 command"
	got_crc=$(ub_since_mark | sed -n 's/.*==> \([0-9a-f]\{8\}\).*/\1/p' | head -n 1)
	[ "$got_crc" = "$want_crc" ] ||
		ub_fail "$name: CRC32 in U-Boot '$got_crc', served file $want_crc"

	# ...and that the server granted them: the daemon's record of this
	# transfer (the newest for FILE) holds the negotiated values.
	if [ "$SERVER" = xtftpd ]; then
		granted=$("$XTFTPCTL" -S "$UB_SRV_SOCK" transfers --json | python3 -c '
import json, sys
recs = [json.loads(l) for l in sys.stdin if l.strip()]
recs = [r for r in recs if r["file"] == sys.argv[1] and r["outcome"] == "done"]
r = recs[-1] if recs else None
print("none" if r is None else "blksize %d windowsize %d options %s kernel_blocks %d" %
      (r["blksize"], r["windowsize"], r["options"], r["blocks_xdp"] + r["blocks_tc"]))' "$file") ||
			ub_fail "$name: cannot read the transfer record"
		[[ $granted == "blksize $blk windowsize $win "* ]] ||
			ub_fail "$name: asked blksize $blk windowsize $win, the daemon granted: $granted"
		if [ "$win" -gt 1 ]; then
			[[ $granted == *"windowsize=$win"* ]] || ub_fail "$name: no windowsize=$win in the OACK: $granted"
		fi
		# and the kernel tiers served it (TC on the tap), this transfer itself
		[[ $granted == *" kernel_blocks 0" ]] &&
			ub_fail "$name: no DATA block of this transfer came from the kernel tiers: $granted"
	fi
	echo "case $name: $size bytes (blksize $blk window $win) in $secs s," \
		"U-Boot ${rate:-? }, crc32 $got_crc ok $(ub_server_stats "$UB_DIR/stats.before")"
	[ $capturing = 1 ] && echo "    request: $rrq"
	[ -n "$granted" ] && echo "    granted: $granted"
	summary+=("$name ${secs}s")
	echo "    case total $(ub_elapsed "$t_case") s (server start $t_srv s)"
}

for c in $CASES; do
	case $c in
	default) run_case default $((4 << 20)) image.bin 198.18.8.2 198.18.8.1 1468 1 90 ;;
	blk512)  run_case blk512 $((40 << 20)) image40.bin 198.18.8.2 198.18.8.1 512 1 240 ;;
	window8) run_case window8 $((4 << 20)) image.bin 198.18.8.2 198.18.8.1 1468 8 90 ;;
	tplink)  run_case tplink $((15 * 1024 * 1024 + 777)) ArcherC7v2_tp_recovery.bin \
			192.168.0.86 192.168.0.66 512 1 180 ;;
	*) ub_fail "unknown case '$c'" ;;
	esac
done

ub_poweroff
ub_server_stop_checked
checked=""
[ "$SERVER" = xtftpd ] && checked="; xtftpd exited 0, no sanitizer report"
echo "ok: U-Boot tftpboot against $SERVER: ${summary[*]}$checked"
