#!/usr/bin/env bash
# Loss benchmark (issue 13): how long a lock-step 512-byte download takes
# when the link drops packets, side by side for several servers, and how
# many DATA copies each server sends to get there.
#
#   tests/bench/loss-bench.sh [BUILD_DIR]         (what `make bench-loss` runs)
#   tests/bench/loss-bench.sh --table RAW         the tables again from raw rows
#
# Servers, each in its own pair of namespaces (tests/integration/lib.sh),
# serving the same random image:
#   xtftpd-kernel  $BUILD/xtftpd -i VETH (XDP/TC tiers)   defaults otherwise
#   xtftpd-user    $BUILD/xtftpd --no-bpf
#   tftpd-hpa      Debian's in.tftpd
#   atftpd         Debian's atftpd, extracted from its .deb into
#                  $BUILD/atftpd-cache (it conflicts with tftpd-hpa: not installed)
#   dnsmasq        dnsmasq's TFTP server (DNS off)
# Every server runs with its own defaults (no retransmission option).
#
# Loss: nftables on the client's veth (netdev ingress and egress, as
# tests/integration/test_loss.sh and tests/soak.sh) drops LOSS % of UDP
# each way with `numgen random`. Named counters there count the DATA that
# reached the client's interface before the drop (= the copies the server
# sent) and the packets dropped each way.
#
# Clients ($BUILD/tests/xtftp-loadgen, no options: RRQ lock-step, 512-byte
# blocks, the TP-Link recovery case; every download checked by sha256):
#   patient     ACK resent on a 5 s timer (tftp-hpa's client and today's
#               U-Boot: 5 s) and on a repeated DATA, 12 tries per block
#   bootloader  an old U-Boot (1.1.x, as in TP-Link's recovery loaders):
#               1 s timer, 5 tries per block, a repeated DATA is ignored
#               ("Same block again; ignore it"), only its timer re-ACKs;
#               when its tries run out it starts over from the RRQ
#               ("Retry count exceeded; starting again").
# Any client that fails starts over, until LOSS_TIMEOUT seconds from its
# first request (then the cell says ">LOSS_TIMEOUT s").
#
# Phases: the no-loss baselines one server at a time (LOSS_BASE_REPS each),
# then the lossy cells: the peers' columns at the same time (each waits on
# timers, not on the CPU) and, meanwhile, xtftpd's one after the other
# (their patient cells keep a CPU busy); LOSS_PARALLEL=0 runs all in turn.
#
# Output: a markdown table on stdout and in $LOSS_OUT (default
# tests/bench/loss-results.md); the raw rows (one per download) in
# $LOSS_RAW (default BUILD/loss-results.tsv).
# Knobs (environment):
#   LOSS_SERVERS="xtftpd-kernel tftpd-hpa"   subset of servers
#   LOSS_RATES="0 0.5 2 5"                   percent each way (steps of 0.1)
#   LOSS_CLIENTS="patient bootloader"
#   LOSS_SIZE=1048576                        image bytes (2049 blocks)
#   LOSS_REPS=1 LOSS_BASE_REPS=3             runs per lossy / no-loss cell
#   LOSS_OWN_REPS=11                         runs per cell of xtftpd with the patient
#                                            client (0.1 s each: a median, not one draw)
#   LOSS_TIMEOUT=120                         seconds per download, restarts included
# Exit: 0 done (a row may say a server failed), 1 rig error, 77 not root.
set -o errexit -o nounset -o pipefail

TOP=$(cd "$(dirname "$0")/../.." && pwd)
case ${1:-} in
--column) BUILD=$6 ;;
--table) BUILD=$TOP/build ;;
*) BUILD=$(cd "$TOP" && cd "${1:-build}" && pwd) ;;
esac
SELF="$TOP/tests/bench/loss-bench.sh"
SERVERS=${LOSS_SERVERS:-"xtftpd-kernel xtftpd-user tftpd-hpa atftpd dnsmasq"}
RATES=${LOSS_RATES:-"0 0.5 2 5"}
CLIENTS=${LOSS_CLIENTS:-"patient bootloader"}
SIZE=${LOSS_SIZE:-1048576}
REPS=${LOSS_REPS:-1}
BASE_REPS=${LOSS_BASE_REPS:-3}
OWN_REPS=${LOSS_OWN_REPS:-11}
LTIMEOUT=${LOSS_TIMEOUT:-120}
PARALLEL=${LOSS_PARALLEL:-1}
BOOT_TIMER_MS=1000   # the bootloader client's re-ACK timer (old U-Boot's 1 s)
OUT=${LOSS_OUT:-$TOP/tests/bench/loss-results.md}
RAW=${LOSS_RAW:-$BUILD/loss-results.tsv}
LOADGEN=$BUILD/tests/xtftp-loadgen
ATFTPD_CACHE=$BUILD/atftpd-cache

say() { printf 'loss-bench: %s\n' "$*" >&2; }

# ---- one server's column (run as a child: its own rig) ---------------------------
# loss-bench.sh --column SERVER "RATES" REPS RAWFILE BUILD
if [ "${1:-}" = --column ]; then
	SERVER=$2 CRATES=$3 CREPS=$4 CRAW=$5
	export XTFTPD="$BUILD/xtftpd" XTFTPCTL="$BUILD/xtftpctl" XT_TOP="$TOP"
	. "$TOP/tests/integration/lib.sh"
	xt_require_root
	xt_require_cmd nft jq timeout
	xt_rig_create
	IMG="$XT_ROOT/image.bin"
	xt_make_file "$IMG" "$SIZE"
	BLOCKS=$(( SIZE / 512 + 1 ))
	SRV_PID=""

	atftpd_bin() {
		local bin
		bin=$(ls "$ATFTPD_CACHE"/x/usr/sbin/atftpd 2>/dev/null) && { echo "$bin"; return 0; }
		mkdir -p "$ATFTPD_CACHE"
		( cd "$ATFTPD_CACHE" && apt-get download atftpd >/dev/null 2>&1 &&
		  dpkg-deb -x atftpd_*.deb x ) || return 1
		ls "$ATFTPD_CACHE"/x/usr/sbin/atftpd
	}
	port69_bound() { xt_srv ss -Hlun 'sport = :69' | grep -q .; }
	srv_start() {
		case $SERVER in
		xtftpd-kernel) xt_daemon_start -s -i "$XT_IF_SRV"; SRV_PID=$XT_DAEMON_PID; return ;;
		xtftpd-user) xt_daemon_start -s --no-bpf; SRV_PID=$XT_DAEMON_PID; return ;;
		tftpd-hpa)
			xt_srv in.tftpd -L -s "$XT_ROOT" -a "$XT_SRV4:69" >>"$XT_TMP/server.log" 2>&1 & ;;
		atftpd)
			local bin
			bin=$(atftpd_bin) || xt_fail "could not apt-get download atftpd"
			xt_srv "$bin" --daemon --no-fork --bind-address "$XT_SRV4" --port 69 \
				--user root --group root --logfile "$XT_TMP/atftpd.log" "$XT_ROOT" \
				>>"$XT_TMP/server.log" 2>&1 & ;;
		dnsmasq)
			xt_srv dnsmasq --keep-in-foreground --conf-file=/dev/null --port=0 --enable-tftp \
				--tftp-root="$XT_ROOT" --listen-address="$XT_SRV4" --bind-interfaces \
				--user=root --group=root --pid-file= --log-facility="$XT_TMP/dnsmasq.log" \
				>>"$XT_TMP/server.log" 2>&1 & ;;
		*) xt_fail "unknown server $SERVER" ;;
		esac
		SRV_PID=$!
		xt_on_cleanup "kill -KILL $SRV_PID"
		xt_wait_until 10 "$SERVER on port 69" port69_bound
	}
	# Stop the server and whatever it forked (tftpd-hpa and atftpd serve
	# from children): every process left in the server namespace.
	srv_stop() {
		if [[ $SERVER == xtftpd-* ]]; then
			xt_daemon_stop
		else
			kill -TERM "$SRV_PID" 2>/dev/null || true
			wait "$SRV_PID" 2>/dev/null || true
		fi
		local p
		for p in $(ip netns pids "$XT_NS_SRV" 2>/dev/null); do kill -KILL "$p" 2>/dev/null || true; done
		xt_wait_until 10 "port 69 free" eval '! port69_bound'
		SRV_PID=""
	}
	# The loss rules with counters, loaded afresh (counters at 0) per run.
	nft_load() {
		local pm=$1 drop_in="" drop_out=""
		if [ "$pm" -gt 0 ]; then
			drop_in="meta l4proto udp numgen random mod 1000 < $pm counter name drop_in drop"
			drop_out="meta l4proto udp numgen random mod 1000 < $pm counter name drop_out drop"
		fi
		xt_cli nft delete table netdev xtlossb 2>/dev/null || true
		xt_cli nft -f - <<-NFT || xt_fail "nft cannot load the loss rules"
		table netdev xtlossb {
			counter data_in { }
			counter drop_in { }
			counter drop_out { }
			chain in {
				type filter hook ingress device "$XT_IF_CLI" priority 0; policy accept;
				meta l4proto udp @th,64,16 3 counter name data_in
				$drop_in
			}
			chain out {
				type filter hook egress device "$XT_IF_CLI" priority 0; policy accept;
				$drop_out
			}
		}
		NFT
	}
	nft_count() {
		xt_cli nft -j list counter netdev xtlossb "$1" | jq '[.nftables[] | .counter? | select(.) | .packets] | add // 0'
	}
	stats_json() { xt_ctl stats --json 2>/dev/null || echo '{}'; }

	# One download of the image by client kind $1, restarted on failure
	# until LTIMEOUT. Prints: status secs restarts
	download() {
		local kind=$1 t0 left rc status=timeout restarts=-1 json
		local -a args=(-s "$XT_SRV4" -f image.bin --compare "$IMG" -j -q)
		case $kind in
		patient) args+=(-T 5000 -r 12) ;;
		bootloader) args+=(-T "$BOOT_TIMER_MS" -r 5 --ignore-dup) ;;
		*) xt_fail "unknown client kind $kind" ;;
		esac
		t0=$(date +%s%N)
		while :; do
			left=$(( LTIMEOUT - ($(date +%s%N) - t0) / 1000000000 ))
			[ "$left" -gt 0 ] || break
			restarts=$((restarts + 1))
			rc=0
			json=$(timeout -k 2 "$left" ip netns exec "$XT_NS_CLI" "$LOADGEN" "${args[@]}" \
				2>>"$XT_TMP/client.log") || rc=$?
			if [ "$rc" -eq 0 ]; then status=ok; break; fi
			if [ "$(jq -r '.bad_digest // 0' <<<"$json" 2>/dev/null)" != 0 ] && [ -n "$json" ]; then
				status=bad_digest; break
			fi
			[ "$rc" -eq 124 ] || [ "$rc" -eq 137 ] && break   # LTIMEOUT ran out mid-download
		done
		printf '%s %s %s\n' "$status" \
			"$(awk -v a="$t0" -v b="$(date +%s%N)" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')" \
			"$(( restarts < 0 ? 0 : restarts ))"
	}

	for kind in $CLIENTS; do
		# xtftpd with the patient client takes ~0.1 s a download even
		# at 5 % loss: a median of OWN_REPS, since one draw swings by
		# half (the losses fall early or late, one is a lost RRQ)
		reps=$CREPS
		if [[ $SERVER == xtftpd-* && $kind == patient && $OWN_REPS -gt $reps ]]; then reps=$OWN_REPS; fi
		for rate in $CRATES; do
			pm=$(awk -v r="$rate" 'BEGIN { printf "%d", r * 10 + 0.5 }')
			for (( rep = 1; rep <= reps; rep++ )); do
				srv_start
				nft_load "$pm"
				read -r status secs restarts < <(download "$kind")
				data_in=$(nft_count data_in) drop_in=$(nft_count drop_in) drop_out=$(nft_count drop_out)
				kern=- user=- retr=-
				if [[ $SERVER == xtftpd-* ]]; then
					s=$(stats_json)
					read -r kern user retr < <(jq -r '[(.blocks_xdp // 0) + (.blocks_tc // 0), (.blocks_user // 0), (.retransmits // 0)] | @tsv' <<<"$s" 2>/dev/null || echo "- - -")
				fi
				srv_stop
				printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' \
					"$SERVER" "$kind" "$rate" "$rep" "$status" "$secs" "$restarts" \
					"$BLOCKS" "$data_in" "$drop_in" "$drop_out" "$kern" "$user" "$retr" >>"$CRAW"
				say "$SERVER $kind ${rate}% #$rep: $status ${secs}s restarts $restarts, DATA $data_in for $BLOCKS blocks, lost $drop_in in + $drop_out out"
			done
		done
	done
	exit 0
fi

# ---- the table ---------------------------------------------------------------------
# render_table RAW OUT: the markdown tables from the raw rows (and the run's
# #meta line) to OUT and stdout.
render_table() {
	python3 - "$1" "$2" <<'PY'
import statistics, sys

raw, out = sys.argv[1:]
meta, rows = {}, {}
for line in open(raw):
    f = line.rstrip("\n").split("\t")
    if f[0] == "#meta":
        meta = dict(x.split("=", 1) for x in f[1:] if "=" in x)
        continue
    if len(f) < 14:
        continue
    rows.setdefault((f[0], f[1], f[2]), []).append(f)
servers = meta.get("servers", "").split()
rates = meta.get("rates", "").split()
clients = meta.get("clients", "").split()
cap = float(meta.get("cap", "120"))
size = int(meta.get("size", "0"))
blocks = size // 512 + 1
BOOT_TIMER_S = float(meta.get("boot_timer_ms", "1000")) / 1000
for (s, c, r), rs in list(rows.items()):
    if c == "-":  # a column that failed: an error row for each of its cells
        for c2 in clients:
            for r2 in rates:
                rows.setdefault((s, c2, r2), []).extend(rs)


def ints(rs, i):
    return [int(x[i]) for x in rs if x[i].lstrip("-").isdigit()]


def cell(s, c, r):
    """(median seconds or None, text when None, runs)"""
    rs = rows.get((s, c, r), [])
    if not rs:
        return None, "-", rs
    if any(x[4] == "error" for x in rs):
        return None, "error", rs
    if any(x[4] == "bad_digest" for x in rs):
        return None, "WRONG BYTES", rs
    oks = [float(x[5]) for x in rs if x[4] == "ok"]
    if len(oks) == len(rs):
        return statistics.median(oks), None, rs
    # unfinished: how far it got, from the DATA that reached the client
    # (an upper bound: a duplicate counts too)
    late = [x for x in rs if x[4] != "ok"]
    got = [min(100, 100 * (int(x[8]) - int(x[9])) // blocks) for x in late
           if x[8].isdigit() and x[9].isdigit() and blocks]
    at = (" at ~%d %%" % statistics.median(got)) if got else ""
    if oks:
        return None, ">%d s (%d of %d runs%s)" % (cap, len(late), len(rs), at), rs
    return None, ">%d s%s" % (cap, at), rs


def fmt_s(t):
    return "%.2f s" % t if t < 10 else "%.1f s" % t if t < 100 else "%.0f s" % t


def ratio(a, b):
    if a is None or b is None or b <= 0:
        return "-"
    q = a / b
    return "%.2fx" % q if q < 10 else "%.0fx" % q


base = {(s, c): cell(s, c, "0")[0] for s in servers for c in clients}
L = []
L.append("# Loss benchmark")
L.append("")
L.append("`make bench-loss` (tests/bench/loss-bench.sh). Run %s, xtftpd %s; %s CPUs, kernel %s; "
         "client and server in two namespaces joined by a veth pair, each server in its own pair. "
         "Image %d bytes = %d blocks of 512, lock-step, no options (the TP-Link recovery case). "
         "Loss: nftables `numgen random` on the client's veth, the same rate each way. "
         "Every download checked by sha256; cap %d s per download (restarts included). "
         "%s run(s) per lossy cell, median of %s per no-loss cell (xtftpd with the patient client: median of %s per cell); the run took %s s."
         % (meta.get("date", "?"), meta.get("commit", "?"), meta.get("cpus", "?"), meta.get("kernel", "?"),
            size, blocks, cap, meta.get("reps", "?"), meta.get("base_reps", "?"), meta.get("own_reps", "?"), meta.get("elapsed", "?")))
L.append("")
L.append("Time to complete (x that server's own no-loss time):")
L.append("")
L.append("| client | loss each way | " + " | ".join(servers) + " |")
L.append("|---|---:|" + "---:|" * len(servers))
for c in clients:
    for r in rates:
        cells = []
        for s in servers:
            t, txt, _ = cell(s, c, r)
            if t is None:
                cells.append(txt)
            elif r == "0":
                cells.append(fmt_s(t))
            else:
                cells.append("%s (%s)" % (fmt_s(t), ratio(t, base[(s, c)])))
        L.append("| %s | %s %% | %s |" % (c, r, " | ".join(cells)))
L.append("")
L.append("Per cell (the time a median of its runs, the rest means per run): the time; its ratio to the server's own no-loss time and to "
         "tftpd-hpa's (same client, same loss); the client's restarts; the DATA copies the server sent "
         "(counted on the client's interface before the drop) against blocks + packets lost each way "
         "(each loss needs at most one resend: above 100 % are needless copies; below, the client's own "
         "re-ACK replaced a resend; only for finished downloads); for xtftpd, the share of DATA the "
         "kernel tiers sent; " +
         ("for the bootloader, its own floor: the packets it sent that were lost (its ACKs, or an RRQ) "
          "times its timer (%g s), since it ignores a repeated DATA and only that timer recovers a lost "
          "ACK, whatever the server does (a lost last ACK costs it nothing, so the floor may be up to "
          "%g s high)." % (BOOT_TIMER_S, BOOT_TIMER_S)))
L.append("")
L.append("| client | loss | server | time | x own no-loss | x tftpd-hpa | restarts | DATA sent | blocks + lost | sent / needed | kernel share | client's floor |")
L.append("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for c in clients:
    for r in rates:
        hpa_t = cell("tftpd-hpa", c, r)[0]
        for s in servers:
            t, txt, rs = cell(s, c, r)
            rs = [x for x in rs if x[4] != "error"]
            n = len(rs) or 1
            restarts = sum(ints(rs, 6))
            sent = sum(ints(rs, 8))
            need = sum(int(x[7]) + int(x[9]) + int(x[10]) for x in rs
                       if x[7].isdigit() and x[9].isdigit() and x[10].isdigit())
            k, u = sum(ints(rs, 11)), sum(ints(rs, 12))
            share = "%.1f %%" % (100.0 * k / (k + u)) if s.startswith("xtftpd") and k + u else "-"
            # the bootloader's own timer: BOOT_TIMER_S per packet it lost
            lost_out = ints(rs, 10)
            floor = fmt_s(BOOT_TIMER_S * sum(lost_out) / n) if (
                c == "bootloader" and rs and t is not None and len(lost_out) == len(rs)) else "-"
            L.append("| %s | %s %% | %s | %s | %s | %s | %d | %s | %s | %s | %s | %s |" % (
                c, r, s, txt if t is None else fmt_s(t),
                "-" if r == "0" else ratio(t, base.get((s, c))),
                "-" if s == "tftpd-hpa" else ratio(t, hpa_t),
                restarts, "%d" % (sent / n) if rs else "-", "%d" % (need / n) if rs and t is not None else "-",
                "%.1f %%" % (100.0 * sent / need) if need and t is not None else "-", share, floor))
L.append("")
L.append("Clients (tests/bench/xtftp-loadgen): *patient* re-ACKs on a 5 s timer and on a repeated DATA, "
         "12 tries (tftp-hpa's client; today's U-Boot also waits 5 s); *bootloader* is an old U-Boot "
         "(1.1.x, as in TP-Link's recovery loaders): 1 s timer, 5 tries, a repeated DATA ignored, and it "
         "starts over from the RRQ when its tries run out. Servers run with their defaults. "
         "Rerun: `make bench-loss`; knobs in the "
         "script's header (LOSS_SIZE, LOSS_RATES, LOSS_SERVERS, LOSS_REPS, LOSS_TIMEOUT).")
text = "\n".join(L) + "\n"
open(out, "w").write(text)
sys.stdout.write(text)
PY
}
if [ "${1:-}" = --table ]; then   # loss-bench.sh --table RAW: render again
	render_table "$2" "$OUT"
	exit 0
fi

# ---- the whole run -----------------------------------------------------------------
[ "$(id -u)" -eq 0 ] || { echo "loss-bench: needs root (network namespaces); run as root"; exit 77; }
for c in ip nft jq python3 timeout; do
	command -v "$c" >/dev/null || { say "needs $c; run 'make deps'"; exit 1; }
done
[ -x "$LOADGEN" ] || { say "no load generator at $LOADGEN; run 'make BUILD=${1:-build} tests'"; exit 1; }
"$LOADGEN" --help | grep -q -- --ignore-dup || { say "$LOADGEN has no --ignore-dup: rebuild it (make tests)"; exit 1; }

WORK=$(mktemp -d /tmp/xtftp-lossbench.XXXXXX)
CHILDREN=()
cleanup() {
	local rc=$? p
	for p in "${CHILDREN[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	for p in "${CHILDREN[@]}"; do wait "$p" 2>/dev/null || true; done
	rm -rf "$WORK"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

base_rates="" lossy_rates=""
for r in $RATES; do
	if [ "$r" = 0 ]; then base_rates=0; else lossy_rates+="$r "; fi
done
t_start=$(date +%s)
say "$(date -u +%FT%TZ): servers: $SERVERS; loss: $RATES % each way; clients: $CLIENTS; image $SIZE bytes; cap ${LTIMEOUT}s"
# start_column SERVER RATES REPS TAG: one child (its own rig) in the
# background, its rows into WORK/SERVER.tsv; sets CHILD.
start_column() {
	LOSS_CLIENTS="$CLIENTS" LOSS_SIZE="$SIZE" LOSS_TIMEOUT="$LTIMEOUT" LOSS_OWN_REPS="$OWN_REPS" \
		"$SELF" --column "$1" "$2" "$3" "$WORK/$1.tsv" "$BUILD" >"$WORK/$1.$4.log" 2>&1 &
	CHILD=$!
	CHILDREN+=("$CHILD")
}
# end_column SERVER TAG PID: wait for it; a failed column becomes an error row.
end_column() {
	local rc=0
	wait "$3" || rc=$?
	grep '^loss-bench:' "$WORK/$1.$2.log" >&2 || true
	if [ "$rc" -ne 0 ]; then
		say "$1: column failed (exit $rc): $(grep -E 'FAIL|SKIP' "$WORK/$1.$2.log" | tail -n 1)"
		printf '%s\t-\t-\t-\terror\t-\t-\t-\t-\t-\t-\t-\t-\t-\n' "$1" >>"$WORK/$1.tsv"
	fi
}
if [ -n "$base_rates" ]; then
	for s in $SERVERS; do
		start_column "$s" 0 "$BASE_REPS" base
		end_column "$s" base "$CHILD"
		CHILDREN=()
	done
fi
if [ -n "$lossy_rates" ]; then
	declare -A PIDS=()
	own=() peers=()
	for s in $SERVERS; do
		if [[ $s == xtftpd-* ]]; then own+=("$s"); else peers+=("$s"); fi
	done
	if [ "$PARALLEL" = 1 ]; then
		# The peers' columns side by side (they wait on their timers);
		# xtftpd's, which keep a CPU busy through their patient cells,
		# one after the other meanwhile: side by side on two CPUs the
		# kernel tiers' 2 % cell took 0.14 s in one run, 0.28 s in the
		# next, against 0.11-0.12 s (median of 20) alone.
		for s in "${peers[@]}"; do
			start_column "$s" "$lossy_rates" "$REPS" lossy
			PIDS[$s]=$CHILD
		done
		for s in "${own[@]}"; do
			start_column "$s" "$lossy_rates" "$REPS" lossy
			end_column "$s" lossy "$CHILD"
		done
		for s in "${peers[@]}"; do end_column "$s" lossy "${PIDS[$s]}"; done
	else
		for s in $SERVERS; do
			start_column "$s" "$lossy_rates" "$REPS" lossy
			end_column "$s" lossy "$CHILD"
		done
	fi
	CHILDREN=()
fi
{
	printf '#meta\tdate=%s\tcommit=%s\telapsed=%s\tsize=%s\tcap=%s\treps=%s\tbase_reps=%s\tservers=%s\trates=%s\tclients=%s\tcpus=%s\tkernel=%s\tboot_timer_ms=%s\town_reps=%s\n' \
		"$(date -u '+%Y-%m-%d %H:%M UTC')" "$(git -C "$TOP" describe --always --dirty 2>/dev/null || echo unknown)" \
		"$(( $(date +%s) - t_start ))" "$SIZE" "$LTIMEOUT" "$REPS" "$BASE_REPS" "$SERVERS" "$RATES" "$CLIENTS" \
		"$(nproc) x $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)" "$(uname -r)" "$BOOT_TIMER_MS" "$OWN_REPS"
	cat "$WORK"/*.tsv 2>/dev/null || true
} >"$RAW"
render_table "$RAW" "$OUT"
say "raw rows in $RAW; table in $OUT (re-render: $0 --table $RAW)"
