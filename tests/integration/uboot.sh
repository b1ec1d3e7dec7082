# shellcheck shell=bash
# U-Boot under QEMU as a TFTP client: helper library, sourced by test_uboot.sh.
#
# Debian's U-Boot for the QEMU arm64 "virt" board (u-boot-qemu) runs under
# qemu-system-aarch64 (qemu-system-arm) in software emulation. Its virtio-net
# NIC is backed by a tap device that lives in a network namespace the test
# creates; the TFTP server runs in that same namespace on the tap's address,
# so nothing touches the host's interfaces.
#
# The serial console is driven without expect: qemu reads its stdin from a
# FIFO we hold open for writing and writes its stdout to a log file. "Waiting
# for output" is a bounded poll of the log after a mark (the log size when the
# command was sent), so every wait has a deadline and the whole console
# transcript is there to show when something fails.
#
# State lives in UB_* globals; ub_cleanup removes everything ub_* created and
# is safe to call more than once and from a trap. ub_traps installs it: bash
# runs an EXIT trap on SIGTERM (the runner's timeout) only if TERM is trapped.

UB_QEMU=${UB_QEMU:-qemu-system-aarch64}
UB_BIOS=${UB_BIOS:-/usr/lib/u-boot/qemu_arm64/u-boot.bin}
UB_MEM=${UB_MEM:-256}
UB_TAP=${UB_TAP:-ubtap0}
UB_MAC=${UB_MAC:-}          # NIC MAC (several instances on one segment); qemu's default if empty
UB_NS=
UB_DIR=
UB_LOG=
UB_FIFO=
UB_FD=
UB_QEMU_PID=
UB_SRV_PID=
UB_SRV_KIND=
UB_SRV_SOCK=
UB_MARK=0
# Upper bound on the life of every process started here (qemu, server,
# tcpdump), so even a test shell killed with SIGKILL leaks nothing for long:
# the namespace lives as long as qemu holds the tap open.
UB_LIFETIME=${UB_LIFETIME:-900}

ub_log() { printf 'uboot: %s\n' "$*" >&2; }

# Skip (exit 77) with a one-line reason when this machine cannot run the rig.
ub_require() {
	if [ "$(id -u)" -ne 0 ]; then
		echo "skip: needs root (network namespaces, tap device)"; exit 77
	fi
	if ! command -v "$UB_QEMU" >/dev/null; then
		echo "skip: $UB_QEMU not found (Debian package qemu-system-arm; run 'make deps')"; exit 77
	fi
	if [ ! -r "$UB_BIOS" ]; then
		echo "skip: $UB_BIOS not found (Debian package u-boot-qemu; run 'make deps')"; exit 77
	fi
	if [ ! -c /dev/net/tun ]; then
		echo "skip: /dev/net/tun missing (no tun/tap support)"; exit 77
	fi
	local t
	for t in ip gzip od stat; do
		command -v "$t" >/dev/null || { echo "skip: $t not found"; exit 77; }
	done
}

# ub_setup NAME ADDR/PREFIX...: a namespace with a tap device carrying the
# server's addresses. The tap has no carrier until qemu opens it.
ub_setup() {
	local name=$1 a; shift
	UB_NS="xtub-$name-$$"
	UB_DIR=$(mktemp -d "/tmp/xtftp-uboot.XXXXXX")
	ip netns add "$UB_NS"
	ip -n "$UB_NS" link set lo up
	ip -n "$UB_NS" tuntap add dev "$UB_TAP" mode tap
	for a in "$@"; do
		ip -n "$UB_NS" addr add "$a" dev "$UB_TAP"
	done
	ip -n "$UB_NS" link set "$UB_TAP" up
}

ub_traps() {
	trap ub_cleanup EXIT
	trap 'exit 129' HUP
	trap 'exit 130' INT
	trap 'exit 141' PIPE
	trap 'exit 143' TERM
}

ub_cleanup() {
	ub_server_stop
	if [ -n "${UB_CAP_PID:-}" ]; then
		kill "$UB_CAP_PID" 2>/dev/null
		wait "$UB_CAP_PID" 2>/dev/null
		UB_CAP_PID=
	fi
	if [ -n "$UB_FD" ]; then
		exec {UB_FD}>&-
		UB_FD=
	fi
	if [ -n "$UB_QEMU_PID" ]; then
		kill "$UB_QEMU_PID" 2>/dev/null
		wait "$UB_QEMU_PID" 2>/dev/null
		UB_QEMU_PID=
	fi
	if [ -n "$UB_NS" ]; then
		ip -n "$UB_NS" link del "$UB_TAP" 2>/dev/null
		ip netns del "$UB_NS" 2>/dev/null
		UB_NS=
	fi
	if [ -n "$UB_DIR" ]; then
		rm -rf "$UB_DIR"
		UB_DIR=
	fi
	return 0
}

# Show the end of the console transcript (on failure).
ub_dump() {
	[ -n "$UB_LOG" ] && [ -f "$UB_LOG" ] || return 0
	echo "---- U-Boot console (last ${1:-40} lines) ----" >&2
	tr -d '\r' <"$UB_LOG" | tail -n "${1:-40}" | sed 's/#\{60,\}/#.../' >&2
	echo "---- end of console ----" >&2
}

ub_fail() {
	ub_log "FAIL: $*"
	ub_dump 40
	[ -n "$UB_SRV_KIND" ] && [ -f "$UB_DIR/server.log" ] && {
		echo "---- server log (last 20 lines) ----" >&2
		tail -n 20 "$UB_DIR/server.log" >&2
	}
	echo "FAIL: $*"
	exit 1
}

ub_now() { date +%s.%N; }
ub_elapsed() { awk -v a="$1" -v b="$(ub_now)" 'BEGIN { printf "%.2f", b - a }'; }

ub_log_size() { stat -c %s "$UB_LOG"; }

# Console output written since the mark, carriage returns removed.
ub_since_mark() { tail -c "+$((UB_MARK + 1))" "$UB_LOG" | tr -d '\r'; }

# ub_wait_for ERE SECONDS: wait until console output after the mark matches.
ub_wait_for() {
	local re=$1 deadline
	deadline=$(( $(date +%s) + $2 ))
	while :; do
		ub_since_mark | grep -Eq -- "$re" && return 0
		if [ -n "$UB_QEMU_PID" ] && ! kill -0 "$UB_QEMU_PID" 2>/dev/null; then
			ub_log "qemu exited while waiting for /$re/"
			return 1
		fi
		[ "$(date +%s)" -ge "$deadline" ] && return 1
		sleep 0.05
	done
}

# ub_wait_prompt SECONDS: wait until the console is idle at the U-Boot
# prompt: output was written after the mark and the log ends with a line
# holding only "=> " (no newline after it; the "==> " in crc32 output is
# not one). Reads only the last bytes of the log, so it stays cheap while a
# long transfer prints its progress marks.
ub_wait_prompt() {
	local deadline
	deadline=$(( $(date +%s) + $1 ))
	while :; do
		if [ "$(ub_log_size)" -gt "$UB_MARK" ] &&
		   [ "$(tail -c 5 "$UB_LOG")" = $'\r\n=> ' ]; then
			return 0
		fi
		if ! kill -0 "$UB_QEMU_PID" 2>/dev/null; then
			ub_log "qemu exited while waiting for the prompt"
			return 1
		fi
		[ "$(date +%s)" -ge "$deadline" ] && return 1
		sleep 0.05
	done
}

# ub_boot: start U-Boot, stop autoboot, wait for the first prompt.
ub_boot() {
	UB_LOG="$UB_DIR/console.log"
	UB_FIFO="$UB_DIR/console.in"
	: >"$UB_LOG"
	mkfifo "$UB_FIFO"
	# romfile= : no PXE option ROM (ipxe-qemu is not installed, U-Boot has
	# its own virtio driver). No -enable-kvm: the host is x86, this is TCG.
	ip netns exec "$UB_NS" timeout -k 5 "$UB_LIFETIME" "$UB_QEMU" -M virt -cpu cortex-a57 -m "$UB_MEM" \
		-bios "$UB_BIOS" -nographic -no-reboot \
		-netdev "tap,id=net0,ifname=$UB_TAP,script=no,downscript=no" \
		-device "virtio-net-pci,netdev=net0,romfile=${UB_MAC:+,mac=$UB_MAC}" \
		<"$UB_FIFO" >"$UB_LOG" 2>&1 &
	UB_QEMU_PID=$!
	# Opening the FIFO for writing unblocks qemu's open of its stdin.
	exec {UB_FD}>"$UB_FIFO"
	UB_MARK=0
	ub_wait_for 'Hit any key to stop autoboot' 30 ||
		ub_fail "U-Boot did not reach the autoboot countdown within 30 s"
	ub_since_mark | grep -q 'eth0: virtio-net' ||
		ub_fail "U-Boot found no virtio-net NIC (see console)"
	printf '\n' >&"$UB_FD"
	ub_wait_prompt 10 || ub_fail "no U-Boot prompt after stopping autoboot"
}

# ub_cmd SECONDS COMMAND: type a command, wait for the next prompt. The output
# of the command is then available through ub_since_mark.
ub_cmd() {
	local secs=$1; shift
	UB_MARK=$(ub_log_size)
	printf '%s\n' "$*" >&"$UB_FD"
	# The mark sits after the old prompt: what follows is the echo of the
	# command, its output, then the next prompt.
	ub_wait_prompt "$secs"
}

# ub_poweroff: ask U-Boot to power off (PSCI), wait for qemu to exit.
ub_poweroff() {
	local deadline
	[ -n "$UB_QEMU_PID" ] || return 0
	{ printf 'poweroff\n' >&"$UB_FD"; } 2>/dev/null
	deadline=$(( $(date +%s) + 5 ))
	while [ "$(date +%s)" -lt "$deadline" ]; do
		kill -0 "$UB_QEMU_PID" 2>/dev/null || break
		sleep 0.05
	done
	kill "$UB_QEMU_PID" 2>/dev/null
	wait "$UB_QEMU_PID" 2>/dev/null
	UB_QEMU_PID=
}

# CRC32 (IEEE, as U-Boot's crc32 command) of a file. crc32.c (with zlib),
# built by make tests into the build directory (XT_BUILD, else the
# daemon's), when it is there (ub_crc32_build); else gzip's trailer: the CRC
# little-endian, then the size modulo 2^32 (slow: deflates the whole file).
# Called after the test has set XTFTPD.
UB_CRC32_BIN=
ub_crc32_build() {
	local bin
	bin=${XT_BUILD:-$(dirname "$XTFTPD")}/tests/crc32
	if [ -x "$bin" ]; then
		UB_CRC32_BIN=$bin
	else
		ub_log "no crc32 at $bin (build it with make tests); using gzip"
	fi
	return 0
}

ub_crc32() {
	if [ -n "$UB_CRC32_BIN" ]; then
		"$UB_CRC32_BIN" "$1"
		return
	fi
	gzip -1 -c <"$1" | tail -c 8 | head -c 4 | od -An -tx1 |
		awk '{ printf "%s%s%s%s\n", $4, $3, $2, $1 }'
}

# ---- requests on the wire ------------------------------------------------------

# ub_rrq_capture_start: record the requests U-Boot sends to port 69 (tcpdump
# decodes the TFTP options), so a case can check it asked for what it meant
# to. Returns 1 when tcpdump is not installed.
UB_CAP_PID=
ub_rrq_capture_start() {
	local deadline
	command -v tcpdump >/dev/null || return 1
	: >"$UB_DIR/rrq.txt"
	ip netns exec "$UB_NS" timeout -k 5 "$UB_LIFETIME" tcpdump -U -l -n -i "$UB_TAP" -s 512 \
		'udp dst port 69' >"$UB_DIR/rrq.txt" 2>"$UB_DIR/rrq.err" &
	UB_CAP_PID=$!
	deadline=$(( $(date +%s) + 10 ))
	until grep -q 'listening on' "$UB_DIR/rrq.err"; do
		kill -0 "$UB_CAP_PID" 2>/dev/null || ub_fail "tcpdump exited: $(cat "$UB_DIR/rrq.err")"
		[ "$(date +%s)" -ge "$deadline" ] && ub_fail "tcpdump not capturing after 10 s"
		sleep 0.05
	done
}

# ub_rrq_capture_stop: stop the capture, print the first request's decode
# ('RRQ "name" octet timeout 5 blksize 1468 ...').
ub_rrq_capture_stop() {
	[ -n "$UB_CAP_PID" ] || return 0
	kill -INT "$UB_CAP_PID" 2>/dev/null
	wait "$UB_CAP_PID" 2>/dev/null
	UB_CAP_PID=
	sed -n 's/.*TFTP, length [0-9]*, //p' "$UB_DIR/rrq.txt" | head -n 1
}

# ---- servers ------------------------------------------------------------------

# ub_server_start KIND ROOT ADDR: run a TFTP server inside the namespace on
# ADDR port 69 and wait until it is ready. KIND is xtftpd or hpa.
ub_server_start() {
	local kind=$1 root=$2 addr=$3 deadline
	UB_SRV_KIND=$kind
	deadline=$(( $(date +%s) + 15 ))
	case $kind in
	hpa)
		ip netns exec "$UB_NS" timeout -k 5 "$UB_LIFETIME" in.tftpd -L -s "$root" -a "$addr:69" \
			>"$UB_DIR/server.log" 2>&1 &
		UB_SRV_PID=$!
		until ip netns exec "$UB_NS" ss -Huln "sport = :69" | grep -q .; do
			kill -0 "$UB_SRV_PID" 2>/dev/null || ub_fail "in.tftpd exited at start"
			[ "$(date +%s)" -ge "$deadline" ] && ub_fail "in.tftpd not listening after 15 s"
			sleep 0.05
		done
		;;
	xtftpd)
		UB_SRV_SOCK="$UB_DIR/xtftpd.sock"
		ip netns exec "$UB_NS" timeout -k 5 "$UB_LIFETIME" "$XTFTPD" -L -s -a "$addr:69" -i "$UB_TAP" \
			--control "$UB_SRV_SOCK" -v "$root" \
			>"$UB_DIR/server.log" 2>&1 &
		UB_SRV_PID=$!
		ub_xtftpd_ready "$UB_SRV_SOCK" "$UB_SRV_PID" 15
		;;
	*)
		ub_fail "unknown server kind '$kind'"
		;;
	esac
}

# ub_xtftpd_ready SOCK PID SECS: wait until the daemon answers on SOCK
# (fail if PID exits first or SECS pass); then its kernel tiers must be
# attached (bpf_active 1: TC serves on a tap). A daemon that fell back to
# userspace fails here, as in the other kernel-flavour tests (lib.sh);
# XT_EXPECT_BPF=0 accepts it.
ub_xtftpd_ready() {
	local sock=$1 pid=$2 deadline bpf
	deadline=$(( $(date +%s) + $3 ))
	until "$XTFTPCTL" -S "$sock" status >/dev/null 2>&1; do
		kill -0 "$pid" 2>/dev/null || ub_fail "xtftpd exited at start"
		[ "$(date +%s)" -ge "$deadline" ] && ub_fail "xtftpd not ready (xtftpctl status) after $3 s"
		sleep 0.05
	done
	[ "${XT_EXPECT_BPF:-1}" = 1 ] || return 0
	bpf=$("$XTFTPCTL" -S "$sock" stats | awk '$1 == "bpf_active" { print $2 }')
	[ "$bpf" = 1 ] ||
		ub_fail "xtftpd with -i: bpf_active ${bpf:-missing}: its kernel tiers did not attach (fell back to userspace)"
}

# ub_server_stop: stop the server, no questions asked (cleanup).
ub_server_stop() {
	[ -n "$UB_SRV_PID" ] || return 0
	kill "$UB_SRV_PID" 2>/dev/null
	wait "$UB_SRV_PID" 2>/dev/null
	UB_SRV_PID=
}

# ub_server_stop_checked [PID LOG]: SIGTERM, bounded wait; xtftpd (the
# default, UB_SRV_PID when it is one) must exit 0 with no sanitizer report
# in its log, as xt_daemon_stop checks in the other tests. The timeout(1)
# wrapper passes SIGTERM on and exits with the daemon's status.
ub_server_stop_checked() {
	local pid=${1:-$UB_SRV_PID} log=${2:-$UB_DIR/server.log} kind=xtftpd st=0 deadline
	[ -n "$pid" ] || return 0
	[ $# -eq 0 ] && kind=$UB_SRV_KIND
	kill -TERM "$pid" 2>/dev/null
	deadline=$(( $(date +%s) + 10 ))
	while kill -0 "$pid" 2>/dev/null; do
		[ "$(date +%s)" -ge "$deadline" ] && ub_fail "$kind did not exit within 10 s of SIGTERM"
		sleep 0.05
	done
	wait "$pid" || st=$?
	[ "$pid" = "$UB_SRV_PID" ] && UB_SRV_PID=
	[ "$kind" = xtftpd ] || return 0
	grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$log" &&
		ub_fail "sanitizer report in the daemon log ($log)"
	[ "$st" -eq 0 ] || ub_fail "xtftpd exited with status $st after SIGTERM"
	return 0
}

# ub_server_snapshot FILE: save the daemon's counters (xtftpd only).
ub_server_snapshot() {
	: >"$1"
	[ "$UB_SRV_KIND" = xtftpd ] || return 0
	"$XTFTPCTL" -S "$UB_SRV_SOCK" stats >"$1" 2>/dev/null
}

# ub_server_stats BEFORE: the per-tier block counters and nonzero pass
# reasons since the snapshot BEFORE (xtftpd only; empty otherwise).
ub_server_stats() {
	[ "$UB_SRV_KIND" = xtftpd ] || return 0
	"$XTFTPCTL" -S "$UB_SRV_SOCK" stats 2>/dev/null |
		awk -v before="$1" '
		BEGIN { while ((getline l < before) > 0) { split(l, f, " "); old[f[1]] = f[2] } }
		$1 == "bpf_active" { printf "%s%s=%s", sep, $1, $2; sep = " "; next }
		{ d = $2 - old[$1] }
		$1 ~ /^(blocks_(user|xdp|tc)|retransmits|dup_acks|transfers_(done|failed))$/ ||
		($1 ~ /^pass_/ && d != 0) { printf "%s%s=%s", sep, $1, d; sep = " " }
		END { print "" }'
}
