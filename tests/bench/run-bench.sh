#!/usr/bin/env bash
# Benchmark rig: the same TFTP download scenarios against several servers,
# side by side, in two throwaway network namespaces joined by a veth pair.
#
#   tests/bench/run-bench.sh BUILD_DIR        (what `make bench` runs)
#
# Servers (each started in turn on the same address, serving the same files):
#   xtftpd-kernel  $BUILD/xtftpd with its XDP/TC tiers on the server veth
#   xtftpd-user    $BUILD/xtftpd --no-bpf
#   tftpd-hpa      Debian's in.tftpd
#   atftpd         Debian's atftpd, extracted from its .deb into BUILD/atftpd-cache
#                  (the package conflicts with tftpd-hpa, so it is not installed)
#   dnsmasq        dnsmasq's built-in TFTP server (DNS off)
#   reflector      tests/bench/reflector.bpf.c: answers every ACK with the next block of a
#                  zero image, no session state: the ceiling of the rig
# Scenarios: see SCENARIOS below. Every download is verified by sha256 by
# $BUILD/tests/xtftp-loadgen; a wrong byte counts as a failed transfer.
#
# Writes tests/bench/results.md (table) and tests/bench/results.json, or into
# $BENCH_OUT when set. Environment knobs:
#   BENCH_SERVERS="tftpd-hpa reflector"   subset of servers
#   BENCH_QUICK=1                         small files (a smoke run, ~1 min)
# Exit: 0 done (rows may say a server failed), 1 rig error, 77 not root.
set -o errexit -o nounset -o pipefail

TOP=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$(cd "$TOP" && cd "${1:-build}" && pwd)
OUT=${BENCH_OUT:-$TOP/tests/bench}
SERVERS=${BENCH_SERVERS:-"xtftpd-kernel xtftpd-user tftpd-hpa atftpd dnsmasq reflector"}
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
# name:file:blksize:windowsize:concurrency  (file: big, mid or small)
SCENARIOS=(
	"lockstep-512:big:512:0:1"
	"lockstep-1468:big:1468:0:1"
	"windowsize-16:big:1468:16:1"
	"concurrent-64:mid:1468:0:64"
	"concurrent-512:small:1468:0:512"
)
if [ "$QUICK" = 1 ]; then
	SIZE_big=$((2 << 20)) SIZE_mid=$((256 << 10)) SIZE_small=$((64 << 10))
else
	SIZE_big=$((16 << 20)) SIZE_mid=$((2 << 20)) SIZE_small=$((1 << 20))
fi
# Per-block timeout and retries of the load generator: what a patient real
# client does (tftp-hpa, atftp); a server that loses a packet shows up as
# retransmits and in p99, not as a failure.
LG_TIMEOUT_MS=1000
LG_RETRIES=5
LG_RUN_LIMIT=240         # seconds, one scenario against one server
# Single-client scenarios are short and noisy: run them REPEAT times and
# report the run with the median goodput (all runs' goodputs are in the JSON).
REPEAT=${BENCH_REPEAT:-3}

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
	wait_until 5 cli ping -c 1 -W 1 "$SRV4" || die "no ping $SRV4 from the client namespace"
}

make_files() {
	local f size
	mkdir -p "$ROOT" "$ZERO"
	chmod 0755 "$ROOT" "$ZERO"
	for f in big mid small; do
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
# softirq ticks of the whole machine (both ends of the veth run here).
softirq_ticks() { awk '$1 == "cpu" { print $8 }' /proc/stat; }
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
	ip netns exec "$NS_SRV" "$XTFTPD" -L -s -a "$SRV4" --control "$CTL_SOCK" "$@" "$ROOT" > "$TMP/server.log" 2>&1 &
	SRV_PID=$!
	local deadline=$(( $(date +%s%N) + 20000000000 ))
	until "$XTFTPCTL" -S "$CTL_SOCK" status >/dev/null 2>&1; do
		srv_alive || { SRV_ERR="exited at start: $(tail -n 1 "$TMP/server.log")"; return 1; }
		[ "$(date +%s%N)" -gt "$deadline" ] && { SRV_ERR="control socket silent after 20s"; return 1; }
		sleep 0.02
	done
}
start_xtftpd-kernel() {
	start_xtftpd -i "$IF_SRV" || return 1
	[ "$(xt_stat bpf_active)" = 1 ] || SRV_NOTE="kernel tiers not attached"
}
start_xtftpd-user() { start_xtftpd --no-bpf; }

start_tftpd-hpa() {
	command -v in.tftpd >/dev/null || { SRV_ERR="in.tftpd not installed (make deps)"; return 1; }
	ip netns exec "$NS_SRV" in.tftpd -L -s "$ROOT" -a "$SRV4:69" > "$TMP/server.log" 2>&1 &
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
	ip netns exec "$NS_SRV" "$bin" --daemon --no-fork --bind-address "$SRV4" --port 69 --user root --group root \
		--maxthread 2000 --logfile "$TMP/atftpd.log" "$ROOT" > "$TMP/server.log" 2>&1 &
	SRV_PID=$!
	wait_port69
}

start_dnsmasq() {
	command -v dnsmasq >/dev/null || { SRV_ERR="dnsmasq not installed (make deps)"; return 1; }
	# --port=0: no DNS; --tftp-max: the default 50 would refuse most of 512.
	ip netns exec "$NS_SRV" dnsmasq --keep-in-foreground --conf-file=/dev/null --port=0 --enable-tftp \
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
	ip netns exec "$NS_SRV" "$REFLECTOR" -i "$IF_SRV" -s "$size" -b "$blksize" --xdp-pass \
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
is_kernel_tier() { [ "$1" = xtftpd-kernel ] || [ "$1" = reflector ]; }

# ---- one scenario against the running server ---------------------------------------
# na_row SERVER SCENARIO STATUS
na_row() {
	jq -cn --arg server "$1" --arg scenario "$2" --arg status "$3" \
		'{server: $server, scenario: $scenario, status: $status}' >> "$ROWS"
}

run_scenario() {
	local server=$1 spec=$2 rep n=1
	[ "${spec##*:}" = 1 ] && n=$REPEAT
	for (( rep = 1; rep <= n; rep++ )); do
		run_once "$server" "$spec" "$rep"
	done
}

run_once() {
	local server=$1 spec=$2 rep=$3
	local name file blksize win conc size compare json rc
	IFS=: read -r name file blksize win conc <<< "$spec"
	size=$(eval echo "\$SIZE_$file")
	compare=$ROOT/$file.img
	if [ "$server" = reflector ]; then
		compare=$ZERO/$file.img
		if ! start_reflector "$size" "$blksize"; then
			na_row "$server" "$name" "n/a: failed to start: $SRV_ERR"
			stop_server
			return 0
		fi
	fi
	local -a args=(-s "$SRV4" -f "$file.img" --compare "$compare" -b "$blksize"
		       -c "$conc" -n "$conc" -T "$LG_TIMEOUT_MS" -r "$LG_RETRIES" -j -q
		       -l "$server/$name")
	[ "$win" -gt 0 ] && args+=(-w "$win")

	local kb0=0 ub0=0 kb1=0 ub1=0
	if [[ $server == xtftpd-* ]]; then
		kb0=$(( $(xt_stat blocks_tc) + $(xt_stat blocks_xdp) ))
		ub0=$(xt_stat blocks_user)
	fi
	local p0 s0 p1 s1
	cg_enter "$SRV_PID"
	p0=$(server_cpu_s "$SRV_PID")
	s0=$(softirq_ticks)
	rc=0
	json=$(cli timeout --kill-after=5 "$LG_RUN_LIMIT" "$LOADGEN" "${args[@]}" 2>"$TMP/loadgen.err") || rc=$?
	wait_children_reaped "$SRV_PID"
	p1=$(server_cpu_s "$SRV_PID")
	s1=$(softirq_ticks)
	if [[ $server == xtftpd-* ]]; then
		kb1=$(( $(xt_stat blocks_tc) + $(xt_stat blocks_xdp) ))
		ub1=$(xt_stat blocks_user)
	fi
	[ "$server" = reflector ] && stop_server

	if ! jq -e . >/dev/null 2>&1 <<< "$json"; then
		na_row "$server" "$name" "n/a: load generator exit $rc: $(tail -n 1 "$TMP/loadgen.err")"
		return 0
	fi
	local status=ok
	[ "$rc" -ne 0 ] && status="FAILED"
	local kernel_tier=false
	is_kernel_tier "$server" && kernel_tier=true
	jq -c --arg server "$server" --arg scenario "$name" --arg status "$status" \
		--arg note "$SRV_NOTE" --argjson size "$size" --argjson rc "$rc" \
		--argjson proc_s "$(awk -v a="$p0" -v b="$p1" 'BEGIN { print b - a }')" \
		--argjson softirq_s "$(awk -v a="$s0" -v b="$s1" -v t="$CLK_TCK" 'BEGIN { print (b - a) / t }')" \
		--argjson kernel_tier "$kernel_tier" \
		--argjson kernel_blocks "$((kb1 - kb0))" --argjson user_blocks "$((ub1 - ub0))" \
		--argjson run "$rep" \
		'. + {server: $server, scenario: $scenario, run: $run, status: $status, note: $note,
		      file_size: $size, loadgen_exit: $rc, kernel_tier: $kernel_tier,
		      server_proc_s: $proc_s, softirq_s: $softirq_s,
		      xtftpd_kernel_blocks: $kernel_blocks, xtftpd_user_blocks: $user_blocks}' \
		<<< "$json" >> "$ROWS"
	say "$(printf '%-14s %-15s #%s %s %8.1f MB/s p50 %s us, %s/%s ok' "$server" "$name" "$rep" "$status" \
		"$(jq -r .goodput_MBps <<< "$json")" "$(jq -r .rtt_us.p50 <<< "$json")" \
		"$(jq -r .ok <<< "$json")" "$(jq -r .started <<< "$json")")"
}

run_server() {
	local server=$1 spec name
	SRV_ERR="" SRV_NOTE=""
	if [ "$server" != reflector ]; then
		if ! "start_$server"; then
			say "$server: failed to start: $SRV_ERR"
			stop_server
			for spec in "${SCENARIOS[@]}"; do
				na_row "$server" "${spec%%:*}" "n/a: failed to start: $SRV_ERR"
			done
			return 0
		fi
	fi
	for spec in "${SCENARIOS[@]}"; do
		run_scenario "$server" "$spec"
		if [ "$server" != reflector ] && ! srv_alive; then
			SRV_ERR="died during ${spec%%:*}: $(tail -n 1 "$TMP/server.log")"
			say "$server: $SRV_ERR"
			SRV_PID=""
			# rows for the scenarios not run yet
			local seen=0 s2
			for s2 in "${SCENARIOS[@]}"; do
				[ "$seen" = 1 ] && na_row "$server" "${s2%%:*}" "n/a: $SRV_ERR"
				[ "$s2" = "$spec" ] && seen=1
			done
			return 0
		fi
	done
	[ "$server" != reflector ] && stop_server
	return 0
}

# ---- report ------------------------------------------------------------------------------
machine_line() {
	local os cpu
	os=$(. /etc/os-release && echo "$PRETTY_NAME")
	cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
	printf '%s, kernel %s, %s CPUs (%s), veth between two network namespaces' \
		"$os" "$(uname -r)" "$(nproc)" "$cpu"
}

write_results() {
	local machine date cmd
	machine=$(machine_line)
	LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)
	date=$(date -u +%Y-%m-%dT%H:%M:%SZ)
	cmd="make bench   (tests/bench/run-bench.sh ${1:-build}${BENCH_QUICK:+, BENCH_QUICK=$QUICK})"
	mkdir -p "$OUT"
	# ratios against tftpd-hpa and the reflector in the same scenario
	jq -s --arg machine "$machine" --arg date "$date" --arg cmd "$cmd" \
		--arg l0 "$LOAD_START" --arg l1 "$LOAD_END" \
		--argjson big "$SIZE_big" --argjson mid "$SIZE_mid" --argjson small "$SIZE_small" '
		def gp(s; n): (map(select(.scenario == s and .server == n and .status == "ok")) | first | .goodput_MBps) // null;
		def key: .server + "/" + .scenario;
		# one row per server and scenario: the median run by goodput when
		# every run passed, else the first run that did not
		. as $all
		| (reduce $all[] as $r ([]; if any(.[]; . == ($r | key)) then . else . + [$r | key] end)) as $keys
		| [ $keys[] as $k | [ $all[] | select(key == $k) ] as $g
		    | ($g | map(select(.status == "ok"))) as $ok
		    | (if ($ok | length) == ($g | length)
		       then ($ok | sort_by(.goodput_MBps) | .[length / 2 | floor])
		       else ($g | map(select(.status != "ok")) | first) end)
		      + {runs: ($g | length), goodput_runs_MBps: [ $g[] | .goodput_MBps // null ]} ]
		| . as $rows
		| {machine: $machine, date: $date, command: $cmd,
		   file_sizes: {big: $big, mid: $mid, small: $small},
		   loadavg_start: $l0, loadavg_end: $l1, all_runs: $all,
		   rows: [ $rows[] | . as $r
			| ($r.goodput_MBps // null) as $g
			| ($rows | gp($r.scenario; "tftpd-hpa")) as $h
			| ($rows | gp($r.scenario; "reflector")) as $f
			| ($r.bytes // 0) as $b
			| $r + {
				vs_tftpd_hpa: (if $g and $h and $h > 0 and $r.status == "ok" then $g / $h else null end),
				vs_reflector: (if $g and $f and $f > 0 and $r.status == "ok" then $g / $f else null end),
				server_cpu_s_per_gib: (if $b > 0 then
					(($r.server_proc_s + (if $r.kernel_tier then $r.softirq_s else 0 end)) / ($b / 1073741824))
					else null end),
				softirq_s_per_gib: (if $b > 0 then $r.softirq_s / ($b / 1073741824) else null end)
			  } ] }' "$ROWS" > "$OUT/results.json"

	{
		echo "# xtftpd benchmark results"
		echo
		echo "Machine: $machine."
		echo "Date: $date. Command: \`$cmd\`."
		echo "Load average (1/5/15 min) at start: $LOAD_START, at end: $LOAD_END. With other"
		echo "jobs on the machine the figures are noisy: compare rows of one run, not runs."
		echo
		echo "Every download was verified by sha256 by \`xtftp-loadgen\` (one process, one UDP"
		echo "socket per transfer, epoll; it retransmits its ACK after ${LG_TIMEOUT_MS} ms, ${LG_RETRIES} times)."
		echo "Files: lock-step and windowsize runs fetch $((SIZE_big >> 10)) KiB; concurrent-64 fetches"
		echo "$((SIZE_mid >> 10)) KiB per client, concurrent-512 $((SIZE_small >> 10)) KiB per client (smaller files keep"
		echo "the whole run within minutes). The reflector serves zero bytes of the same size."
		echo "Single-client scenarios ran $REPEAT times; the row is the run with the median goodput"
		echo "(every run's goodput is in results.json, goodput_runs_MBps)."
		echo
		echo "- goodput: verified payload bytes / wall time of the whole scenario (1 MB = 10^6 bytes)."
		echo "- RTT: per block, ACK sent -> next DATA received, at the client (log2 histogram, ~6 %)."
		echo "- CPU s/GiB: server user+sys per GiB served, from a cgroup of its own ($CG_KIND;"
		echo "  forked children and threads included); for the"
		echo "  kernel tiers (xtftpd-kernel, reflector) plus the machine's softirq time, which also"
		echo "  holds the client side's receive work, so it overstates theirs. softirq s/GiB is"
		echo "  shown for every server for comparison (/proc/stat, 10 ms ticks)."
		echo "- Client and servers share the machine's CPUs: at high concurrency the load"
		echo "  generator itself is a limit (the reflector row shows where)."
		echo
		echo "| server | scenario | goodput MB/s | vs tftpd-hpa | vs reflector | RTT p50 us | RTT p99 us | CPU s/GiB | softirq s/GiB | ok/failed | retransmits | notes |"
		echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
		jq -r '
			def f(n): if n == null then "-" else (n * 100 | round / 100 | tostring) end;
			def r(n): if n == null then "-" else ((n * 100 | round / 100 | tostring) + "x") end;
			.rows[] |
			if (.status | startswith("n/a")) then
				"| \(.server) | \(.scenario) | - | - | - | - | - | - | - | - | - | \(.status) |"
			else
				([ (if .status != "ok" then "FAILED: \(.last_error)" else empty end),
				   (if .windowsize > 1 and .negotiated.windowsize_max < .windowsize
				    then "windowsize not negotiated: lock-step" else empty end),
				   (if (.server | startswith("xtftpd")) then
					"kernel blocks \(.xtftpd_kernel_blocks), user \(.xtftpd_user_blocks)" else empty end),
				   (if .note != "" then .note else empty end) ] | join("; ")) as $notes
				| "| \(.server) | \(.scenario) | \(f(.goodput_MBps)) | \(r(.vs_tftpd_hpa)) | \(r(.vs_reflector)) | \(f(.rtt_us.p50)) | \(f(.rtt_us.p99)) | \(f(.server_cpu_s_per_gib)) | \(f(.softirq_s_per_gib)) | \(.ok)/\(.failed + .bad_digest) | \(.retransmits) | \($notes) |"
			end' "$OUT/results.json"
	} > "$OUT/results.md"
}

# ---- main ------------------------------------------------------------------------------------
ulimit -n 65536 2>/dev/null || ulimit -n 4096 2>/dev/null || true
t0=$(date +%s)
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
say "rig: $NS_SRV ($SRV4) <-> $NS_CLI ($CLI4); servers: $SERVERS"
rig_create
cg_setup
make_files
: > "$ROWS"
for server in $SERVERS; do
	case $server in
	xtftpd-kernel|xtftpd-user|tftpd-hpa|atftpd|dnsmasq|reflector) run_server "$server" ;;
	*) die "unknown server '$server' in BENCH_SERVERS" ;;
	esac
done
write_results "${1:-build}"
say "done in $(( $(date +%s) - t0 )) s: $OUT/results.md, $OUT/results.json"
