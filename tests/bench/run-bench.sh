#!/usr/bin/env bash
# Benchmark rig: the same TFTP download scenarios against several servers,
# side by side, in two throwaway network namespaces joined by a veth pair.
#
#   tests/bench/run-bench.sh BUILD_DIR        (what `make bench` runs)
#
# Servers (each started in turn on the same address, serving the same files):
#   xtftpd-kernel  $BUILD/xtftpd with its kernel tiers on the server veth (the
#                  default --xdp auto: TC alone on veth)
#   xtftpd-user    $BUILD/xtftpd --no-bpf
#   xtftpd-xdp     $BUILD/xtftpd --xdp on: XDP attached beside TC on the veth too
#                  (not in the default list; on veth XDP never serves, so it shows
#                  what attaching it there costs)
#   tftpd-hpa      Debian's in.tftpd
#   atftpd         Debian's atftpd, extracted from its .deb into BUILD/atftpd-cache
#                  (the package conflicts with tftpd-hpa, so it is not installed)
#   dnsmasq        dnsmasq's built-in TFTP server (DNS off)
#   reflector      tests/bench/reflector.bpf.c: answers every ACK with the next block of a
#                  zero image, no session state: the ceiling of the rig
# Scenarios: see SCENARIOS below. Every download is verified by sha256 by
# $BUILD/tests/xtftp-loadgen; a wrong byte counts as a failed transfer.
#
# Repeats: each scenario runs BENCH_REPEAT times, and within one repeat every
# server in turn (xtftpd-kernel, reflector, xtftpd-user, ...): a slow phase
# of the machine then hits every server alike. The server is started afresh
# for every run and, unless BENCH_WARM=0, serves the file once untimed before
# the timed run (the same for all; the cold first answer is kept). results.md gives per
# server and scenario the median and the range over the runs; results.json
# keeps every run (runs[]) beside the aggregated rows (rows[]).
#
# CPU: with 2 or more CPUs the server runs on CPU 0 (taskset -c 0), the load
# generator and this script on CPU 1 (taskset -c 1), and the receive
# processing of each veth end is steered to its own side's CPU by RPS
# (server veth rx-*/rps_cpus = 1, i.e. CPU 0; client veth = 2, CPU 1; the
# xps_cpus likewise where the file exists). Then, per run:
#   server_proc_s   the server's user+sys CPU time, from a cgroup of its own
#                   (cpuacct v1 or cpu.stat v2; children and threads
#                   included; /proc/PID/stat without children as a fallback)
#   softirq_srv_s   softirq time of CPU 0 only (/proc/stat "cpu0" line,
#                   10 ms ticks): the server side's receive and transmit work
#                   in the kernel, which is where the kernel tiers serve
#   softirq_all_s   softirq time of all CPUs (/proc/stat "cpu" line): both
#                   ends of the veth, the machine-wide figure
#   CPU s/GiB       (server_proc_s + softirq_srv_s) / GiB verified
# Not separable, so counted in CPU s/GiB: the client veth's NAPI poll (GRO)
# for frames the server sends runs on the sender's CPU, CPU 0 (RPS only moves
# what follows it to CPU 1); and without CONFIG_IRQ_TIME_ACCOUNTING a softirq
# that interrupts the server's own thread is in both its sys time and the
# softirq ticks. Not counted: an XDP program on the server veth runs in the
# veth NAPI poll of the sender, CPU 1 (on veth the kernel tiers' DATA comes
# from TC ingress, after RPS, on CPU 0). On a 1-CPU machine nothing is pinned
# and softirq_srv_s is the machine's.
#
# Writes tests/bench/results.md (tables) and tests/bench/results.json, or into
# $BENCH_OUT when set. Environment knobs:
#   BENCH_SERVERS="tftpd-hpa reflector"   subset of servers, run in this order
#   BENCH_QUICK=1                         small files (a smoke run)
#   BENCH_REPEAT=5                        runs of each scenario per server
#   BENCH_FLASH_REPEAT=N                  runs of the flash scenario (BENCH_REPEAT)
#   BENCH_SCENARIOS="flash-128"           subset of scenarios (names below)
#   BENCH_PIN=0                           no pinning and no RPS (as on 1 CPU): a
#                                         lock-step round trip then stays on one
#                                         CPU instead of crossing to the other twice
# Duration: a minute or two per repeat for the throughput scenarios; the
# flash scenario moves 1 GiB per server run, lock-step 512 with the server on
# one CPU: ~10-30 s for the kernel tiers, minutes for a forking server
# (tftpd-hpa: 128 processes on CPU 0). With the defaults (5 repeats, six
# servers) allow an hour; BENCH_FLASH_REPEAT=1 or BENCH_SCENARIOS shorten it.
# BENCH_QUICK=1 BENCH_REPEAT=2 with three servers is a smoke of ~5 minutes.
# Exit: 0 done (rows may say a server failed), 1 rig error, 77 not root.
set -o errexit -o nounset -o pipefail

TOP=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$(cd "$TOP" && cd "${1:-build}" && pwd)
OUT=${BENCH_OUT:-$TOP/tests/bench}
SERVERS=${BENCH_SERVERS:-"xtftpd-kernel reflector xtftpd-user tftpd-hpa atftpd dnsmasq"}
QUICK=${BENCH_QUICK:-0}
LOADGEN=$BUILD/tests/xtftp-loadgen
REFLECTOR=$BUILD/tests/reflector
XTFTPD=$BUILD/xtftpd
XTFTPCTL=$BUILD/xtftpctl
ATFTPD_CACHE=$BUILD/atftpd-cache

say() { printf 'bench: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

[ "$(id -u)" -eq 0 ] || { echo "bench: needs root (network namespaces); run as root"; exit 77; }
for c in ip jq sha256sum taskset; do
	command -v "$c" >/dev/null || die "needs $c; run 'make deps'"
done
[ -x "$LOADGEN" ] || die "no load generator at $LOADGEN; run 'make BUILD=${1:-build} tests'"

# ---- scenarios -----------------------------------------------------------------
# name:file:blksize:windowsize:concurrency:client:spread_ms
# (file: big, mid, small or flash; client: patient or bootloader)
SCENARIOS=(
	"lockstep-512:big:512:0:1:patient:0"
	"lockstep-1468:big:1468:0:1:patient:0"
	"windowsize-16:big:1468:16:1:patient:0"
	"concurrent-64:mid:1468:0:64:patient:0"
	"concurrent-512:small:1468:0:512:patient:0"
	"flash-128:flash:512:0:128:bootloader:1000"
)
if [ "$QUICK" = 1 ]; then
	SIZE_big=$((2 << 20)) SIZE_mid=$((256 << 10)) SIZE_small=$((64 << 10)) SIZE_flash=$((512 << 10))
else
	SIZE_big=$((16 << 20)) SIZE_mid=$((2 << 20)) SIZE_small=$((1 << 20)) SIZE_flash=$((8 << 20))
fi
# Per-block timeout and retries of the load generator: what a patient real
# client does (tftp-hpa, atftp); a server that loses a packet shows up as
# retransmits and in p99, not as a failure.
LG_TIMEOUT_MS=1000
LG_RETRIES=5
LG_RUN_LIMIT=240         # seconds, one scenario against one server
# The flash scenario's devices: U-Boot-like, as the loss bench's bootloader
# client: blksize 512, lock-step, ACK resent on a 1 s timer (5 times), a
# repeated DATA ignored (no re-ACK for it); all 128 started within 1 s.
FLASH_TIMEOUT_MS=1000
FLASH_RETRIES=5
FLASH_RUN_LIMIT=1800     # seconds: 1 GiB lock-step 512 per run
if [ -n "${BENCH_SCENARIOS:-}" ]; then
	picked=()
	for want in $BENCH_SCENARIOS; do
		found=0
		for spec in "${SCENARIOS[@]}"; do
			[ "${spec%%:*}" = "$want" ] && { picked+=("$spec"); found=1; }
		done
		[ "$found" = 1 ] || { echo "bench: unknown scenario '$want' in BENCH_SCENARIOS" >&2; exit 1; }
	done
	SCENARIOS=("${picked[@]}")
fi
REPEAT=${BENCH_REPEAT:-5}
# Warm-up: before the timed run, one untimed download of the scenario's file
# from the same server instance (BENCH_WARM=0: none). The timed run then
# measures serving, not xtftpd's one-time load of a new image into its pool
# (16 MiB: ~50 ms and 0.07 s of CPU on this VM host, which was most of the
# daemon's CPU per GiB in a single-transfer run); that load is reported on
# its own as the warm-up's first answer ("cold" in the tables).
WARM=${BENCH_WARM:-1}
FLASH_REPEAT=${BENCH_FLASH_REPEAT:-$REPEAT}
[[ $REPEAT =~ ^[1-9][0-9]*$ ]] || { echo "bench: BENCH_REPEAT must be a positive integer" >&2; exit 1; }
[[ $FLASH_REPEAT =~ ^[1-9][0-9]*$ ]] || { echo "bench: BENCH_FLASH_REPEAT must be a positive integer" >&2; exit 1; }

# ---- the rig ---------------------------------------------------------------------
NS_SRV="xtb-srv-$$"
NS_CLI="xtb-cli-$$"
IF_SRV=xbs0
IF_CLI=xbc0
NET_IDX=$(( $$ % 250 + 1 ))
SRV4="198.18.$NET_IDX.1"
CLI4="198.18.$NET_IDX.2"
TMP=$(mktemp -d /tmp/xtftp-bench.XXXXXX)
chmod 0755 "$TMP"        # tftpd-hpa serves as user tftp
ROOT=$TMP/root           # served files (random data)
ZERO=$TMP/zero           # local zero images: what the reflector serves
ROWS=$TMP/rows.jsonl
RIG_UP=0
SRV_PID=""

cleanup() {
	local rc=$? ns pids
	set +o errexit
	[ -n "$SRV_PID" ] && kill -KILL "$SRV_PID" 2>/dev/null
	if [ "$RIG_UP" = 1 ]; then
		for ns in "$NS_SRV" "$NS_CLI"; do
			pids=$(ip netns pids "$ns" 2>/dev/null)
			[ -n "$pids" ] && kill -KILL $pids 2>/dev/null
			ip netns del "$ns" 2>/dev/null
		done
	fi
	cg_remove
	rm -rf "$TMP"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Foreground helpers. A server is started with a plain `ip netns exec ... &`
# (not through srv), so that $! is the server itself (ip execs it): its
# /proc stat, its signals and its reaped children are then the server's.
srv() { ip netns exec "$NS_SRV" "$@"; }
cli() { ip netns exec "$NS_CLI" "$@"; }

# wait_until SECS CMD...: poll CMD every 20 ms; status 1 after SECS.
wait_until() {
	local deadline=$(( $(date +%s%N) + $1 * 1000000000 ))
	shift
	until "$@" >/dev/null 2>&1; do
		[ "$(date +%s%N)" -gt "$deadline" ] && return 1
		sleep 0.02
	done
}

rig_create() {
	ip netns add "$NS_SRV"
	RIG_UP=1
	ip netns add "$NS_CLI"
	ip -n "$NS_SRV" link add "$IF_SRV" type veth peer name "$IF_CLI" netns "$NS_CLI"
	ip -n "$NS_SRV" link set lo up
	ip -n "$NS_CLI" link set lo up
	ip -n "$NS_SRV" addr add "$SRV4/24" dev "$IF_SRV"
	ip -n "$NS_CLI" addr add "$CLI4/24" dev "$IF_CLI"
	ip -n "$NS_SRV" link set "$IF_SRV" up
	ip -n "$NS_CLI" link set "$IF_CLI" up
	# XDP_TX on veth delivers only if the peer runs NAPI: GRO gives it one.
	cli ethtool -K "$IF_CLI" gro on >/dev/null 2>&1 || say "note: GRO not enabled on $IF_CLI"
	if [ "$PIN" = 1 ]; then
		steer_queues srv "$IF_SRV" "$SRV_CPU"
		steer_queues cli "$IF_CLI" "$CLI_CPU"
	fi
	wait_until 5 cli ping -c 1 -W 1 "$SRV4" || die "no ping $SRV4 from the client namespace"
}

# steer_queues srv|cli IF CPU: RPS (and XPS where the file exists) of every
# queue of IF to CPU. ip netns exec mounts the namespace's own /sys.
steer_queues() {
	local side=$1 ifname=$2 mask
	mask=$(printf '%x' $(( 1 << $3 )))
	# shellcheck disable=SC2016 # expanded by the inner sh, from its arguments
	"$side" sh -c '
		ok=0
		for f in /sys/class/net/"$1"/queues/rx-*/rps_cpus; do
			[ -w "$f" ] && { echo "$2" > "$f"; } 2>/dev/null && ok=1
		done
		for f in /sys/class/net/"$1"/queues/tx-*/xps_cpus; do
			[ -w "$f" ] && { echo "$2" > "$f"; } 2>/dev/null
		done
		[ "$ok" = 1 ]' sh "$ifname" "$mask" || say "note: could not set RPS of $ifname to CPU $3"
}

make_files() {
	local f size
	mkdir -p "$ROOT" "$ZERO"
	chmod 0755 "$ROOT" "$ZERO"
	for f in big mid small flash; do
		size=$(eval echo "\$SIZE_$f")
		head -c "$size" /dev/urandom > "$ROOT/$f.img"
		head -c "$size" /dev/zero > "$ZERO/$f.img"
		chmod 0644 "$ROOT/$f.img" "$ZERO/$f.img"
	done
}

# ---- CPU accounting ----------------------------------------------------------------
# The server runs in a cgroup of its own, so its CPU time includes children
# and threads that came and went (tftpd-hpa forks one child per transfer and
# ignores SIGCHLD, so /proc/PID/stat's cutime never sees them). cgroup v1
# cpuacct.usage or v2 cpu.stat usage_usec; /proc/PID/stat if neither.
CLK_TCK=$(getconf CLK_TCK)
CG=""
CG_KIND=proc
cg_setup() {
	local base
	if [ -w /sys/fs/cgroup/cpuacct ] && [ -e /sys/fs/cgroup/cpuacct/cpuacct.usage ]; then
		CG=/sys/fs/cgroup/cpuacct/xtftp-bench-$$ CG_KIND=v1
	else
		for base in /sys/fs/cgroup /sys/fs/cgroup/unified; do
			if [ -e "$base/cgroup.controllers" ] && [ -w "$base" ]; then
				CG=$base/xtftp-bench-$$ CG_KIND=v2
				break
			fi
		done
	fi
	if [ -n "$CG" ] && ! mkdir "$CG" 2>/dev/null; then
		CG="" CG_KIND=proc
	fi
	say "server CPU from: ${CG:-/proc/PID/stat (children not counted)}"
}
cg_remove() {
	[ -n "$CG" ] || return 0
	local i
	for i in 1 2 3 4 5 6 7 8 9 10; do
		rmdir "$CG" 2>/dev/null && return 0
		sleep 0.1
	done
}
cg_enter() { [ -z "$CG" ] || echo "$1" > "$CG/cgroup.procs" 2>/dev/null || true; }
# CPU seconds (user + sys) of the server (and its children), as a decimal.
server_cpu_s() {
	case $CG_KIND in
	v1) awk '{ printf "%.6f\n", $1 / 1e9 }' "$CG/cpuacct.usage" ;;
	v2) awk '$1 == "usage_usec" { printf "%.6f\n", $2 / 1e6 }' "$CG/cpu.stat" ;;
	*)
		[ -r "/proc/$1/stat" ] || { echo 0; return; }
		# the command name (field 2) may hold spaces: cut after the last ')'
		sed 's/.*) //' "/proc/$1/stat" |
			awk -v t="$CLK_TCK" '{ printf "%.6f\n", ($12 + $13 + $14 + $15) / t }' ;;
	esac
}
# softirq_ticks LINE: softirq ticks of /proc/stat's line LINE ("cpu" is the
# whole machine, both ends of the veth; "cpu0" the server's CPU when pinned).
softirq_ticks() { awk -v l="$1" '$1 == l { print $8 }' /proc/stat; }
# busy ticks (user, nice, system, irq, softirq: not idle, iowait or steal)
# of one /proc/stat line: with the server's CPU, what else ran on it.
busy_ticks() { awk -v l="$1" '$1 == l { print $2 + $3 + $4 + $7 + $8 }' /proc/stat; }

# Pinning: server on SRV_CPU, load generator and this script on CLI_CPU.
SRV_CPU=0
CLI_CPU=1
PIN=0
SRV_PIN=()
CLI_PIN=()
SRV_CPU_LINE=cpu
pin_setup() {
	local n
	n=$(nproc)          # CPUs this script may use
	if [ "${BENCH_PIN:-1}" = 0 ]; then
		say "pinning off (BENCH_PIN=0): server softirq = the machine's"
	elif [ "$n" -ge 2 ] && taskset -pc "$SRV_CPU,$CLI_CPU" $$ >/dev/null 2>&1; then
		PIN=1
		SRV_PIN=(taskset -c "$SRV_CPU")
		CLI_PIN=(taskset -c "$CLI_CPU")
		SRV_CPU_LINE=cpu$SRV_CPU
		taskset -pc "$CLI_CPU" $$ >/dev/null
		say "pinning: server on CPU $SRV_CPU, load generator and harness on CPU $CLI_CPU"
	else
		say "pinning skipped: $n CPU(s) usable (needs CPUs $SRV_CPU and $CLI_CPU); server softirq = the machine's"
	fi
}
# Wait (bounded) until the server has reaped its per-transfer children,
# so their CPU time is in cutime/cstime.
wait_children_reaped() {
	local deadline=$(( $(date +%s%N) + 5000000000 ))
	while [ -n "$(ps -o pid= --ppid "$1" 2>/dev/null)" ]; do
		[ "$(date +%s%N)" -gt "$deadline" ] && return 0
		sleep 0.02
	done
}

# ---- servers ---------------------------------------------------------------------------
# start_<server> sets SRV_PID (and may set SRV_NOTE); returns non-zero with
# SRV_ERR set when the server cannot run here.
SRV_ERR=""
SRV_NOTE=""
CTL_SOCK=$TMP/ctl.sock

port69_bound() { srv ss -Hlun "sport = :69" | grep -q .; }
srv_alive() { kill -0 "$SRV_PID" 2>/dev/null; }

wait_port69() {
	local deadline=$(( $(date +%s%N) + 10000000000 ))
	until port69_bound; do
		srv_alive || { SRV_ERR="exited at start: $(tail -n 1 "$TMP/server.log" 2>/dev/null)"; return 1; }
		[ "$(date +%s%N)" -gt "$deadline" ] && { SRV_ERR="not listening on :69 after 10s"; return 1; }
		sleep 0.02
	done
}

start_xtftpd() {
	[ -x "$XTFTPD" ] && [ -x "$XTFTPCTL" ] || { SRV_ERR="not built"; return 1; }
	rm -f "$CTL_SOCK"
	ip netns exec "$NS_SRV" "${SRV_PIN[@]}" "$XTFTPD" -L -s -a "$SRV4" --control "$CTL_SOCK" "$@" "$ROOT" > "$TMP/server.log" 2>&1 &
	SRV_PID=$!
	local deadline=$(( $(date +%s%N) + 20000000000 ))
	until "$XTFTPCTL" -S "$CTL_SOCK" status >/dev/null 2>&1; do
		srv_alive || { SRV_ERR="exited at start: $(tail -n 1 "$TMP/server.log")"; return 1; }
		[ "$(date +%s%N)" -gt "$deadline" ] && { SRV_ERR="control socket silent after 20s"; return 1; }
		sleep 0.02
	done
}
start_xtftpd-kernel() {
	start_xtftpd -i "$IF_SRV" "$@" || return 1
	[ "$(xt_stat bpf_active)" = 1 ] || SRV_NOTE="kernel tiers not attached"
}
start_xtftpd-user() { start_xtftpd --no-bpf; }
# XDP attached on the veth as well: it never serves there (no XDP_TX on
# veth), so this is what the XDP program on the ACK's path costs.
start_xtftpd-xdp() { start_xtftpd-kernel --xdp on; }

start_tftpd-hpa() {
	command -v in.tftpd >/dev/null || { SRV_ERR="in.tftpd not installed (make deps)"; return 1; }
	ip netns exec "$NS_SRV" "${SRV_PIN[@]}" in.tftpd -L -s "$ROOT" -a "$SRV4:69" > "$TMP/server.log" 2>&1 &
	SRV_PID=$!
	wait_port69
}

atftpd_bin() {
	local bin
	bin=$(ls "$ATFTPD_CACHE"/x/usr/sbin/atftpd 2>/dev/null) && { echo "$bin"; return 0; }
	mkdir -p "$ATFTPD_CACHE"
	( cd "$ATFTPD_CACHE" && apt-get download atftpd >/dev/null 2>&1 &&
	  dpkg-deb -x atftpd_*.deb x ) || return 1
	ls "$ATFTPD_CACHE"/x/usr/sbin/atftpd
}
start_atftpd() {
	local bin
	bin=$(atftpd_bin) || { SRV_ERR="could not apt-get download atftpd"; return 1; }
	# --maxthread: the default 100 would refuse part of 512 clients.
	ip netns exec "$NS_SRV" "${SRV_PIN[@]}" "$bin" --daemon --no-fork --bind-address "$SRV4" --port 69 --user root --group root \
		--maxthread 2000 --logfile "$TMP/atftpd.log" "$ROOT" > "$TMP/server.log" 2>&1 &
	SRV_PID=$!
	wait_port69
}

start_dnsmasq() {
	command -v dnsmasq >/dev/null || { SRV_ERR="dnsmasq not installed (make deps)"; return 1; }
	# --port=0: no DNS; --tftp-max: the default 50 would refuse most of 512.
	ip netns exec "$NS_SRV" "${SRV_PIN[@]}" dnsmasq --keep-in-foreground --conf-file=/dev/null --port=0 --enable-tftp \
		--tftp-root="$ROOT" --tftp-max=2000 --listen-address="$SRV4" --bind-interfaces \
		--user=root --group=root --pid-file= --log-facility="$TMP/dnsmasq.log" \
		> "$TMP/server.log" 2>&1 &
	SRV_PID=$!
	wait_port69
}

# The reflector serves a zero image of one size: started per scenario.
start_reflector() {
	local size=$1 blksize=$2
	[ -x "$REFLECTOR" ] || { SRV_ERR="not built"; return 1; }
	rm -f "$TMP/reflector.ready"
	# --xdp-pass: an XDP program on the veth, as xtftpd has, so the frames
	# take the same receive path (NAPI) under both.
	ip netns exec "$NS_SRV" "${SRV_PIN[@]}" "$REFLECTOR" -i "$IF_SRV" -s "$size" -b "$blksize" --xdp-pass \
		--ready-file "$TMP/reflector.ready" \
		> "$TMP/server.log" 2>&1 &
	SRV_PID=$!
	local deadline=$(( $(date +%s%N) + 10000000000 ))
	until [ -s "$TMP/reflector.ready" ]; do
		srv_alive || { SRV_ERR="exited at start: $(grep -v '^libbpf' "$TMP/server.log" | tail -n 1)"; return 1; }
		[ "$(date +%s%N)" -gt "$deadline" ] && { SRV_ERR="not attached after 10s"; return 1; }
		sleep 0.02
	done
}

stop_server() {
	[ -n "$SRV_PID" ] || return 0
	kill -TERM "$SRV_PID" 2>/dev/null || true
	local deadline=$(( $(date +%s%N) + 10000000000 ))
	while kill -0 "$SRV_PID" 2>/dev/null; do
		if [ "$(date +%s%N)" -gt "$deadline" ]; then
			kill -KILL "$SRV_PID" 2>/dev/null || true
			break
		fi
		sleep 0.02
	done
	wait "$SRV_PID" 2>/dev/null || true
	SRV_PID=""
	# a forking server's children must not outlive it into the next run
	local pids
	pids=$(ip netns pids "$NS_SRV" 2>/dev/null || true)
	[ -n "$pids" ] && kill -KILL $pids 2>/dev/null || true
	wait_until 5 sh -c "! ip netns exec $NS_SRV ss -Hlun 'sport = :69' | grep -q ." || true
}

xt_stat() {
	"$XTFTPCTL" -S "$CTL_SOCK" stats 2>/dev/null | awk -v n="$1" '$1 == n { print $2; f = 1 } END { if (!f) print 0 }'
}
is_kernel_tier() { [ "$1" = xtftpd-kernel ] || [ "$1" = xtftpd-xdp ] || [ "$1" = reflector ]; }

# ---- one run: one scenario against one server ---------------------------------------
# na_row SERVER SCENARIO RUN STATUS
na_row() {
	jq -cn --arg server "$1" --arg scenario "$2" --argjson run "$3" --arg status "$4" \
		--argjson kernel_tier "$(is_kernel_tier "$1" && echo true || echo false)" \
		'{server: $server, scenario: $scenario, run: $run, status: $status, kernel_tier: $kernel_tier}' >> "$ROWS"
}

# A server that failed to start is not tried again: its reason, by name.
declare -A BROKEN=()

# run_once SERVER SPEC RUN: start SERVER, run the load generator once, stop it.
run_once() {
	local server=$1 spec=$2 rep=$3
	local name file blksize win conc client spread size compare json rc limit
	IFS=: read -r name file blksize win conc client spread <<< "$spec"
	size=$(eval echo "\$SIZE_$file")
	compare=$ROOT/$file.img
	[ "$server" = reflector ] && compare=$ZERO/$file.img
	if [ -n "${BROKEN[$server]:-}" ]; then
		na_row "$server" "$name" "$rep" "n/a: failed to start: ${BROKEN[$server]}"
		return 0
	fi
	SRV_ERR="" SRV_NOTE=""
	if [ "$server" = reflector ]; then
		start_reflector "$size" "$blksize" || SRV_ERR=${SRV_ERR:-failed}
	else
		"start_$server" || SRV_ERR=${SRV_ERR:-failed}
	fi
	if [ -n "$SRV_ERR" ]; then
		say "$server: failed to start: $SRV_ERR"
		stop_server
		BROKEN[$server]=$SRV_ERR
		na_row "$server" "$name" "$rep" "n/a: failed to start: $SRV_ERR"
		return 0
	fi
	local -a fetch=(-s "$SRV4" -f "$file.img" --compare "$compare" -b "$blksize" -j -q)
	[ "$win" -gt 0 ] && fetch+=(-w "$win")
	local -a args=("${fetch[@]}" -c "$conc" -n "$conc" -l "$server/$name/$rep")
	limit=$LG_RUN_LIMIT
	case $client in
	bootloader)
		args+=(-T "$FLASH_TIMEOUT_MS" -r "$FLASH_RETRIES" --ignore-dup)
		limit=$FLASH_RUN_LIMIT ;;
	*)	args+=(-T "$LG_TIMEOUT_MS" -r "$LG_RETRIES") ;;
	esac
	[ "$spread" -gt 0 ] && args+=(--spread-ms "$spread")

	local cold_us=null warm_json
	if [ "$WARM" = 1 ]; then
		local -a wargs=("${fetch[@]}" -c 1 -n 1 -T "$LG_TIMEOUT_MS" -r "$LG_RETRIES")
		warm_json=$(cli timeout --kill-after=5 "$LG_RUN_LIMIT" "${CLI_PIN[@]}" "$LOADGEN" "${wargs[@]}" 2>/dev/null) || true
		cold_us=$(jq -r 'if .ok == 1 then .first_answer_us.p50 else "null" end' <<< "$warm_json" 2>/dev/null) || cold_us=null
		[ -n "$cold_us" ] || cold_us=null
		wait_children_reaped "$SRV_PID"
	fi

	local kb0=0 ub0=0 kb1=0 ub1=0
	if [[ $server == xtftpd-* ]]; then
		kb0=$(( $(xt_stat blocks_tc) + $(xt_stat blocks_xdp) ))
		ub0=$(xt_stat blocks_user)
	fi
	local p0 s0 a0 b0 p1 s1 a1 b1 died=false
	cg_enter "$SRV_PID"
	p0=$(server_cpu_s "$SRV_PID")
	s0=$(softirq_ticks "$SRV_CPU_LINE")
	a0=$(softirq_ticks cpu)
	b0=$(busy_ticks "$SRV_CPU_LINE")
	rc=0
	json=$(cli timeout --kill-after=5 "$limit" "${CLI_PIN[@]}" "$LOADGEN" "${args[@]}" 2>"$TMP/loadgen.err") || rc=$?
	wait_children_reaped "$SRV_PID"
	p1=$(server_cpu_s "$SRV_PID")
	s1=$(softirq_ticks "$SRV_CPU_LINE")
	a1=$(softirq_ticks cpu)
	b1=$(busy_ticks "$SRV_CPU_LINE")
	if ! srv_alive; then
		died=true
		SRV_NOTE="${SRV_NOTE:+$SRV_NOTE; }server died: $(tail -n 1 "$TMP/server.log" 2>/dev/null)"
		say "$server: $SRV_NOTE"
	elif [[ $server == xtftpd-* ]]; then
		kb1=$(( $(xt_stat blocks_tc) + $(xt_stat blocks_xdp) ))
		ub1=$(xt_stat blocks_user)
	fi
	stop_server

	if ! jq -e . >/dev/null 2>&1 <<< "$json"; then
		na_row "$server" "$name" "$rep" "n/a: load generator exit $rc: $(tail -n 1 "$TMP/loadgen.err")"
		return 0
	fi
	local status=ok
	{ [ "$rc" -ne 0 ] || [ "$died" = true ]; } && status="FAILED"
	local kernel_tier=false
	is_kernel_tier "$server" && kernel_tier=true
	jq -c --arg server "$server" --arg scenario "$name" --arg status "$status" \
		--arg note "$SRV_NOTE" --argjson size "$size" --argjson rc "$rc" \
		--arg client "$client" --argjson pinned "$PIN" \
		--argjson proc_s "$(awk -v a="$p0" -v b="$p1" 'BEGIN { print b - a }')" \
		--argjson sirq_srv "$(awk -v a="$s0" -v b="$s1" -v t="$CLK_TCK" 'BEGIN { print (b - a) / t }')" \
		--argjson sirq_all "$(awk -v a="$a0" -v b="$a1" -v t="$CLK_TCK" 'BEGIN { print (b - a) / t }')" \
		--argjson busy "$(awk -v a="$b0" -v b="$b1" -v t="$CLK_TCK" 'BEGIN { print (b - a) / t }')" \
		--argjson kernel_tier "$kernel_tier" --argjson died "$died" \
		--argjson kernel_blocks "$((kb1 - kb0))" --argjson user_blocks "$((ub1 - ub0))" \
		--argjson run "$rep" --argjson cold_us "$cold_us" \
		'. + {server: $server, scenario: $scenario, run: $run, status: $status, note: $note,
		      client: $client, file_size: $size, loadgen_exit: $rc, server_died: $died,
		      kernel_tier: $kernel_tier, pinned: ($pinned == 1),
		      server_proc_s: $proc_s, softirq_srv_s: $sirq_srv, softirq_all_s: $sirq_all,
		      srv_cpu_busy_s: $busy, cold_first_answer_us: $cold_us,
		      xtftpd_kernel_blocks: $kernel_blocks, xtftpd_user_blocks: $user_blocks}' \
		<<< "$json" >> "$ROWS"
	if [ "$client" = bootloader ]; then
		say "$(printf '%-14s %-15s #%s %s makespan %.2f s, slowest %.2f s, median %.2f s, %s/%s ok, %s retransmits' \
			"$server" "$name" "$rep" "$status" "$(jq -r .makespan_s <<< "$json")" \
			"$(jq -r .transfer_s.max <<< "$json")" "$(jq -r .transfer_s.p50 <<< "$json")" \
			"$(jq -r .ok <<< "$json")" "$(jq -r .started <<< "$json")" "$(jq -r .retransmits <<< "$json")")"
	else
		say "$(printf '%-14s %-15s #%s %s %8.1f MB/s p50 %s us, %s/%s ok' "$server" "$name" "$rep" "$status" \
			"$(jq -r .goodput_MBps <<< "$json")" "$(jq -r .rtt_us.p50 <<< "$json")" \
			"$(jq -r .ok <<< "$json")" "$(jq -r .started <<< "$json")")"
	fi
}

# ---- report ------------------------------------------------------------------------------
machine_line() {
	local os cpu
	os=$(. /etc/os-release && echo "$PRETTY_NAME")
	cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
	printf '%s, kernel %s, %s CPUs (%s), veth between two network namespaces' \
		"$os" "$(uname -r)" "$(getconf _NPROCESSORS_ONLN)" "$cpu"
}

# results.json: every run (runs[]) and one aggregated row per server and
# scenario (rows[]); medians and ranges over the runs that passed.
write_json() {
	jq -s --arg machine "$1" --arg date "$2" --arg cmd "$3" \
		--arg l0 "$LOAD_START" --arg l1 "$LOAD_END" --arg servers "$SERVERS" \
		--argjson repeat "$REPEAT" --argjson flash_repeat "$FLASH_REPEAT" --argjson pinned "$PIN" \
		--argjson big "$SIZE_big" --argjson mid "$SIZE_mid" --argjson small "$SIZE_small" \
		--argjson flash "$SIZE_flash" '
		def median: sort | if length == 0 then null
			elif length % 2 == 1 then .[(length - 1) / 2]
			else (.[length / 2 - 1] + .[length / 2]) / 2 end;
		def stats: if length == 0 then null else {min: min, median: median, max: max} end;
		def ratio(a; b): if a == null or b == null or b == 0 then null else a / b end;
		def gib: 1073741824;
		[ .[] | . + (if (.bytes // 0) > 0 then {
			cpu_s_per_gib: ((.server_proc_s + .softirq_srv_s) / (.bytes / gib)),
			softirq_all_s_per_gib: (.softirq_all_s / (.bytes / gib)) } else {} end)
		      # 10 ms ticks: only over 2 s or more does the share mean something
		      + (if $pinned == 1 and (.seconds // 0) >= 2 then {
			srv_cpu_others_share: ([0, ([1, (.srv_cpu_busy_s - .server_proc_s - .softirq_srv_s) / .seconds] | min)] | max) }
			else {} end) ] as $runs
		| ($servers | split(" ") | map(select(. != ""))) as $order
		| (reduce $runs[].scenario as $s ([]; if any(.[]; . == $s) then . else . + [$s] end)) as $scen
		| [ $scen[] as $sc | $order[] as $sv
		    | [ $runs[] | select(.scenario == $sc and .server == $sv) ] as $g
		    | select(($g | length) > 0)
		    | ($g | map(select(.status == "ok"))) as $ok
		    | ($g | map(select(.goodput_MBps != null))) as $ran
		    | {server: $sv, scenario: $sc, flash: ($sc | startswith("flash")),
		       kernel_tier: $g[0].kernel_tier,
		       runs: ($g | length), runs_ok: ($ok | length),
		       runs_failed: (($ran | length) - ($ok | length)),
		       runs_na: (($g | length) - ($ran | length)),
		       status: (if ($ok | length) == ($g | length) then "ok"
				elif ($ran | length) == 0 then $g[0].status else "FAILED" end),
		       goodput_MBps: ($ok | map(.goodput_MBps) | stats),
		       rtt_p50_us: ($ok | map(.rtt_us.p50) | median),
		       rtt_p99_us: ($ok | map(.rtt_us.p99) | median),
		       first_answer_ms: ($ok | map((.first_answer_us.p50 // empty) / 1000) | median),
		       cold_first_answer_ms: ($ok | map((.cold_first_answer_us // empty) / 1000) | median),
		       loadgen_busy_pct: ($ok | map((.cpu.busy_share // empty) * 100) | median),
		       loadgen_events_per_wakeup: ($ok | map(.cpu.events_per_wakeup // empty) | median),
		       cpu_s_per_gib: ($ok | map(.cpu_s_per_gib // empty) | median),
		       softirq_all_s_per_gib: ($ok | map(.softirq_all_s_per_gib // empty) | median),
		       srv_cpu_others_share: ($ran | map(.srv_cpu_others_share // empty) | median),
		       transfers_ok: ($ran | map(.ok) | add // 0),
		       transfers_failed: ($ran | map(.failed + .bad_digest) | add // 0),
		       transfers_failed_worst_run: ($ran | map(.failed + .bad_digest) | max // 0),
		       retransmits: ($ran | map(.retransmits) | add // 0),
		       retransmits_worst_run: ($ran | map(.retransmits) | max // 0),
		       makespan_s: ($ok | map(.makespan_s // empty) | stats),
		       slowest_device_s: ($ok | map(.transfer_s.max // empty) | stats),
		       median_device_s: ($ok | map(.transfer_s.p50 // empty) | stats),
		       windowsize_not_negotiated: ($ran | any(.windowsize > 1 and .negotiated.windowsize_max < .windowsize)),
		       xtftpd_kernel_blocks: ($ran | map(.xtftpd_kernel_blocks // 0) | add // 0),
		       xtftpd_user_blocks: ($ran | map(.xtftpd_user_blocks // 0) | add // 0),
		       notes: ($g | map(.note // "" | select(. != "")) | unique),
		       errors: ($g | map(select(.status != "ok") | if .status == "FAILED" then .last_error else .status end
				| select(. != null and . != "")) | unique),
		       goodput_runs_MBps: ($g | map(.goodput_MBps))} ] as $rows0
		| ($rows0 | map({key: (.server + "/" + .scenario), value: .}) | from_entries) as $by
		| {machine: $machine, date: $date, command: $cmd,
		   repeat: $repeat, flash_repeat: $flash_repeat, pinned: ($pinned == 1),
		   file_sizes: {big: $big, mid: $mid, small: $small, flash: $flash},
		   loadavg_start: $l0, loadavg_end: $l1,
		   rows: [ $rows0[]
			| ($by["reflector/" + .scenario]) as $f
			| ($by["tftpd-hpa/" + .scenario]) as $h
			| . + {
			    vs_reflector: ratio(.goodput_MBps.median; $f.goodput_MBps.median),
			    worst_vs_reflector: (if .kernel_tier then ratio(.goodput_MBps.min; $f.goodput_MBps.median) else null end),
			    vs_tftpd_hpa: ratio(.goodput_MBps.median; $h.goodput_MBps.median)}
			  + (if .flash then {
			    makespan_vs_reflector: ratio(.makespan_s.median; $f.makespan_s.median),
			    worst_makespan_vs_reflector: (if .kernel_tier then ratio(.makespan_s.max; $f.makespan_s.median) else null end)}
			    else {} end) ],
		   runs: $runs }' "$ROWS"
}

write_results() {
	local machine date cmd
	machine=$(machine_line)
	LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)
	date=$(date -u +%Y-%m-%dT%H:%M:%SZ)
	cmd="make bench   (tests/bench/run-bench.sh ${1:-build}${BENCH_QUICK:+, BENCH_QUICK=$QUICK}${BENCH_REPEAT:+, BENCH_REPEAT=$REPEAT}${BENCH_FLASH_REPEAT:+, BENCH_FLASH_REPEAT=$FLASH_REPEAT}${BENCH_SERVERS:+, BENCH_SERVERS=\"$SERVERS\"}${BENCH_SCENARIOS:+, BENCH_SCENARIOS=\"$BENCH_SCENARIOS\"}${BENCH_PIN:+, BENCH_PIN=$BENCH_PIN})"
	mkdir -p "$OUT"
	write_json "$machine" "$date" "$cmd" > "$OUT/results.json"

	local pinning cpu_def
	if [ "$PIN" = 1 ]; then
		pinning="each server on CPU $SRV_CPU (\`taskset -c $SRV_CPU\`), the load generator and the harness on CPU $CLI_CPU; RPS (and XPS) of the server veth to CPU $SRV_CPU, of the client veth to CPU $CLI_CPU"
		cpu_def="the server's user+sys (its own cgroup, $CG_KIND: forked children and threads included) plus the softirq time of CPU $SRV_CPU only (\`/proc/stat\` line cpu$SRV_CPU, 10 ms ticks), per GiB verified"
	else
		pinning="none ($([ "${BENCH_PIN:-1}" = 0 ] && echo "BENCH_PIN=0" || echo "$(nproc) CPU(s) usable")): client, server and their softirq share the CPUs"
		cpu_def="the server's user+sys (its own cgroup, $CG_KIND: forked children and threads included) plus the whole machine's softirq time (nothing is pinned here), per GiB verified"
	fi
	local has_tp=0 has_flash=0 spec
	for spec in "${SCENARIOS[@]}"; do
		if [[ $spec == flash* ]]; then has_flash=1; else has_tp=1; fi
	done
	{
		echo "# xtftpd benchmark results"
		echo
		echo "Machine: $machine."
		echo "Date: $date. Command: \`$cmd\`."
		echo "Load average (1/5/15 min) at start: $LOAD_START, at end: $LOAD_END. With other"
		echo "jobs on the machine the figures are noisy: compare rows of one run, not runs."
		echo
		echo "Every download was verified by sha256 by \`xtftp-loadgen\` (one process, one UDP"
		echo "socket per transfer, epoll). The reflector serves zero bytes of the same size."
		echo "Each scenario ran $REPEAT times (flash-128: $FLASH_REPEAT), every server once per repeat in the"
		echo "order $SERVERS, each server started afresh for each run; results.json"
		echo "has every run (\`runs\`) beside the rows of the tables (\`rows\`)."
		echo "CPU pinning: $pinning."
		echo
		echo "Columns of both tables:"
		echo
		echo "- CPU s/GiB: $cpu_def;"
		echo "  the median over the runs. It includes the client veth's GRO poll for frames the server"
		echo "  sends (it runs on the sending CPU) and, on kernels without CONFIG_IRQ_TIME_ACCOUNTING,"
		echo "  may count a softirq that interrupted the server's own thread twice; an XDP program on the"
		echo "  server veth runs on the client's CPU (veth) and is not in it."
		echo "- softirq all s/GiB: softirq time of all CPUs (\`/proc/stat\` line cpu), both ends of the"
		echo "  veth: the machine-wide figure, per GiB verified, median over the runs."
		echo "- retransmits: the client's ACK/RRQ retransmissions on its timer, total over all runs,"
		echo "  in brackets the worst run."
		if [ "$PIN" = 1 ]; then
			echo "- notes, \"CPU $SRV_CPU shared\": the busy time of CPU $SRV_CPU that was neither the server's nor"
			echo "  softirq (other tasks of the machine), as a share of the run's wall time (median over"
			echo "  the runs of 2 s or more), shown from 10 %: such figures are not the server's alone."
		fi
		echo "- notes, FAILED: runs in which a transfer failed (or the server died) are left out of the"
		echo "  medians and ranges; transfers and retransmits count them."
		if [ "$has_tp" = 1 ]; then
			echo
			echo "## Throughput"
			echo
			echo "Lock-step and windowsize runs fetch $((SIZE_big >> 10)) KiB; concurrent-64 fetches $((SIZE_mid >> 10)) KiB"
			echo "per client, concurrent-512 $((SIZE_small >> 10)) KiB per client. Clients re-ACK after ${LG_TIMEOUT_MS} ms"
			echo "(${LG_RETRIES} times) and on a repeated DATA."
			echo
			echo "- goodput: verified payload bytes / wall time of the whole run (1 MB = 10^6 bytes);"
			echo "  the median of the runs, in brackets the slowest and the fastest run."
			echo "- x reflector: the median goodput / the reflector's median goodput in the same scenario"
			echo "  (the reflector answers every ACK in TC with no session logic: the rig's ceiling)."
			echo "- worst x reflector (kernel tiers only): the slowest run's goodput / the reflector's median."
			echo "- x tftpd-hpa: the median goodput / tftpd-hpa's median goodput."
			echo "- RTT p50 / p99: per block, ACK sent -> next DATA received, at the client (log2"
			echo "  histogram, ~6 %); the median over the runs of each run's percentile, in microseconds."
			echo "- first answer: request -> its first answer (OACK or DATA 1) at the client, median of"
			echo "  the runs' p50 (log2 histogram), in ms: in the timed run / in the warm-up download"
			echo "  before it (cold: the server just started; xtftpd loads the image into its pool then)."
			echo "  Warm-up: $([ "$WARM" = 1 ] && echo "one untimed download of the same file from the same server instance before every timed run (BENCH_WARM=0: none)" || echo "none (BENCH_WARM=0): the timed run includes xtftpd's image load")."
			echo "- loadgen CPU: the load generator's own user+sys over the wall time (one thread:"
			echo "  100 % is its whole CPU, the rig's ceiling), and in brackets the events each of its"
			echo "  epoll wakeups returned; medians over the runs."
			echo "- transfers ok/failed: summed over all runs (a wrong byte counts as failed)."
			echo
			echo "| scenario | server | goodput MB/s median (min–max) | x reflector | worst x reflector | x tftpd-hpa | RTT p50 / p99 us | first answer ms (cold) | CPU s/GiB | softirq all s/GiB | loadgen CPU % (events/wakeup) | transfers ok/failed | retransmits total (worst run) | notes |"
			echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
			jq -r --arg srv_cpu "$SRV_CPU" "$JQ_FMT"'
				.rows[] | select(.flash | not) |
				"| \(.scenario) | \(.server) | \(.goodput_MBps | rng(1)) | \(.vs_reflector | x) | \(.worst_vs_reflector | x) | \(.vs_tftpd_hpa | x) | \(.rtt_p50_us | fmt(1)) / \(.rtt_p99_us | fmt(1)) | \(.first_answer_ms | fmt(1)) (\(.cold_first_answer_ms | fmt(1))) | \(.cpu_s_per_gib | fmt(2)) | \(.softirq_all_s_per_gib | fmt(2)) | \(.loadgen_busy_pct | fmt(0)) (\(.loadgen_events_per_wakeup | fmt(1))) | \(.transfers_ok)/\(.transfers_failed) | \(.retransmits) (\(.retransmits_worst_run)) | \(notes) |"' "$OUT/results.json"
		fi
		if [ "$has_flash" = 1 ]; then
			echo
			echo "## Flash: $(flash_devices) devices at once"
			echo
			echo "$(flash_devices) bootloader-like devices each fetch a $((SIZE_flash >> 10)) KiB image (RRQ with blksize 512,"
			echo "lock-step, no windowsize), started evenly within $(flash_spread) ms. Like U-Boot they re-ACK only"
			echo "on their own ${FLASH_TIMEOUT_MS} ms timer (${FLASH_RETRIES} times, then the device fails) and ignore a repeated DATA."
			echo
			echo "- makespan: first RRQ -> the last device has its image verified: what a bench"
			echo "  operator waits for; the median of the runs, in brackets the fastest and the slowest run."
			echo "- x reflector: the median makespan / the reflector's median makespan (a time: 1.50x is"
			echo "  50 % longer); worst x reflector (kernel tiers): the slowest run's makespan / that median."
			echo "- slowest device, median device: per run the slowest and the median device's transfer"
			echo "  time (its RRQ -> its image verified); median over the runs (min–max)."
			echo "- failed devices: total over all runs, in brackets the worst run."
			echo
			echo "| server | makespan s median (min–max) | x reflector | worst x reflector | slowest device s | median device s | failed devices total (worst run) | retransmits total (worst run) | CPU s/GiB | softirq all s/GiB | loadgen CPU % (events/wakeup) | notes |"
			echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
			jq -r --arg srv_cpu "$SRV_CPU" "$JQ_FMT"'
				.rows[] | select(.flash) |
				"| \(.server) | \(.makespan_s | rng(2)) | \(.makespan_vs_reflector | x) | \(.worst_makespan_vs_reflector | x) | \(.slowest_device_s | rng(2)) | \(.median_device_s | rng(2)) | \(.transfers_failed) (\(.transfers_failed_worst_run)) | \(.retransmits) (\(.retransmits_worst_run)) | \(.cpu_s_per_gib | fmt(2)) | \(.softirq_all_s_per_gib | fmt(2)) | \(.loadgen_busy_pct | fmt(0)) (\(.loadgen_events_per_wakeup | fmt(1))) | \(notes) |"' "$OUT/results.json"
		fi
	} > "$OUT/results.md"
}

# jq helpers of the tables: fixed decimals, "median (min–max)", ratios, notes.
# shellcheck disable=SC2016 # jq's $variables
JQ_FMT='
	def fmt(k): if . == null then "-" else
		(pow(10; k) | round) as $p | (. * $p | round) as $i
		| (($i / $p | floor | tostring)
		   + (if k > 0 then "." + (($i % $p) | tostring | ("000000"[0:(k - length)] + .)) else "" end)) end;
	def rng(k): if . == null then "-" else "\(.median | fmt(k)) (\(.min | fmt(k))–\(.max | fmt(k)))" end;
	def x: if . == null then "-" else fmt(2) + "x" end;
	def notes: [ (if .status | startswith("n/a") then .status else empty end),
		     (if .runs_failed > 0 then "FAILED in \(.runs_failed) of \(.runs) runs: \(.errors | join(" / "))" else empty end),
		     (if .runs_na > 0 and (.status | startswith("n/a") | not) then "\(.runs_na) runs n/a: \(.errors | join(" / "))" else empty end),
		     (if .windowsize_not_negotiated then "windowsize not negotiated: lock-step" else empty end),
		     (if (.server | startswith("xtftpd")) and .runs_ok + .runs_failed > 0 then
			"kernel blocks \(.xtftpd_kernel_blocks), user \(.xtftpd_user_blocks)" else empty end),
		     (if (.srv_cpu_others_share // 0) >= 0.1 then
			"CPU \($srv_cpu) shared: other tasks \(.srv_cpu_others_share * 100 | round) % of the run" else empty end),
		     .notes[] ] | join("; ");'
flash_devices() { local s; for s in "${SCENARIOS[@]}"; do [[ $s == flash* ]] && { IFS=: read -r _ _ _ _ c _ _ <<< "$s"; echo "$c"; return; }; done; }
flash_spread() { local s; for s in "${SCENARIOS[@]}"; do [[ $s == flash* ]] && { echo "${s##*:}"; return; }; done; }

# ---- main ------------------------------------------------------------------------------------
ulimit -n 65536 2>/dev/null || ulimit -n 4096 2>/dev/null || true
t0=$(date +%s)
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
for server in $SERVERS; do
	case $server in
	xtftpd-kernel|xtftpd-xdp|xtftpd-user|tftpd-hpa|atftpd|dnsmasq|reflector) ;;
	*) die "unknown server '$server' in BENCH_SERVERS" ;;
	esac
done
say "rig: $NS_SRV ($SRV4) <-> $NS_CLI ($CLI4); servers: $SERVERS; $REPEAT runs each (flash $FLASH_REPEAT)"
pin_setup
rig_create
cg_setup
make_files
: > "$ROWS"
for spec in "${SCENARIOS[@]}"; do
	n=$REPEAT
	[[ $spec == flash* ]] && n=$FLASH_REPEAT
	for (( rep = 1; rep <= n; rep++ )); do
		for server in $SERVERS; do
			run_once "$server" "$spec" "$rep"
		done
	done
done
write_results "${1:-build}"
say "done in $(( $(date +%s) - t0 )) s: $OUT/results.md, $OUT/results.json"
