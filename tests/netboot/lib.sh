# shellcheck shell=bash
# The netboot rig: boot firmware under QEMU (TCG) as TFTP clients of a server
# in a namespace the test creates. A tap in $XT_NS_SRV carries 198.18.N.1;
# dnsmasq answers DHCP only (--port=0: no DNS, no TFTP); the server under
# test serves $XT_ROOT there: xtftpd with its kernel tiers on the tap, or
# tftpd-hpa / dnsmasq's TFTP for the side-by-side timings. Source it, then:
#
#   xtnb_require                 root, qemu, dnsmasq, the firmware packages
#   xtnb_rig BOOTFILE [IPXE_BOOTFILE]
#                                namespace, tap, dnsmasq (BOOTFILE for PXE
#                                clients, IPXE_BOOTFILE for iPXE's request)
#   xtnb_server xtftpd|hpa|dnsmasq  start the TFTP server under test
#   xtnb_boot uefi|bios          start QEMU, console in $XTNB_CONSOLE
#   xtnb_wait SECS REGEX DESC    wait until the console shows REGEX
#   xtnb_events                  the daemon's events ($XT_TMP/events.jsonl)
#
# Everything goes in lib.sh's EXIT trap (the namespace's processes with it).

# shellcheck source=../integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../integration/lib.sh"

XTNB_TAP=xtnb0
XT_IF_SRV=$XTNB_TAP           # lib.sh's checks of the server interface
XTNB_SRV4="198.18.$XT_NET_IDX.1"   # = lib.sh's XT_SRV4 (tftpd-hpa listens there)
XTNB_CONSOLE="$XT_TMP/console.log"
XTNB_EVENTS="$XT_TMP/events.jsonl"
XTNB_QEMU_PID=""
OVMF_CODE=/usr/share/OVMF/OVMF_CODE_4M.fd
OVMF_VARS=/usr/share/OVMF/OVMF_VARS_4M.fd

xtnb_require() {
	xt_require_root
	xt_require_daemon
	xt_require_cmd qemu-system-x86_64 dnsmasq python3 sha256sum "$@"
	[ -r "$OVMF_CODE" ] || xt_skip "needs Debian's ovmf (UEFI firmware); run 'make deps'"
}

xtnb_rig() {
	local bootfile=$1 ipxe_bootfile=${2:-$1}
	ip netns add "$XT_NS_SRV" || xt_fail "cannot create netns $XT_NS_SRV"
	XT_RIG_UP=1
	ip -n "$XT_NS_SRV" link set lo up
	ip -n "$XT_NS_SRV" tuntap add dev "$XTNB_TAP" mode tap
	ip -n "$XT_NS_SRV" addr add "$XTNB_SRV4/24" dev "$XTNB_TAP"
	ip -n "$XT_NS_SRV" link set "$XTNB_TAP" up
	# DHCP only; every file it could write is ours. iPXE says so in its
	# user class and gets its own boot file (a script).
	xt_srv dnsmasq --keep-in-foreground --conf-file=/dev/null --port=0 \
		--interface="$XTNB_TAP" --bind-interfaces --except-interface=lo \
		--dhcp-range="198.18.$XT_NET_IDX.100,198.18.$XT_NET_IDX.150,255.255.255.0,10m" \
		--dhcp-leasefile="$XT_TMP/leases" --pid-file="$XT_TMP/dnsmasq.pid" \
		--dhcp-userclass=set:ipxe,iPXE \
		--dhcp-boot="tag:!ipxe,$bootfile,,$XTNB_SRV4" \
		--dhcp-boot="tag:ipxe,$ipxe_bootfile,,$XTNB_SRV4" \
		--log-dhcp --log-facility="$XT_TMP/dnsmasq.log" &
	xt_wait_until 10 "dnsmasq's pid file" test -s "$XT_TMP/dnsmasq.pid"
}

xtnb_server() {
	case $1 in
	xtftpd)
		xt_daemon_start -s -i "$XTNB_TAP" --event-log "$XTNB_EVENTS" ;;
	hpa) xt_hpa_start "$XT_ROOT" 69 ;;
	dnsmasq)
		xt_srv dnsmasq --keep-in-foreground --conf-file=/dev/null --port=0 \
			--interface="$XTNB_TAP" --bind-interfaces --except-interface=lo \
			--enable-tftp --tftp-root="$XT_ROOT" --pid-file="$XT_TMP/dnsmasq-tftp.pid" \
			--log-facility="$XT_TMP/dnsmasq-tftp.log" &
		xt_wait_until 10 "dnsmasq TFTP's pid file" test -s "$XT_TMP/dnsmasq-tftp.pid" ;;
	*) xt_fail "xtnb_server: unknown server $1" ;;
	esac
}

xtnb_stop_qemu() {
	if [ -n "$XTNB_QEMU_PID" ] && kill -0 "$XTNB_QEMU_PID" 2>/dev/null; then
		kill -KILL "$XTNB_QEMU_PID" 2>/dev/null || true
		wait "$XTNB_QEMU_PID" 2>/dev/null || true   # 137: killed, as asked
	fi
	XTNB_QEMU_PID=""
}

# xtnb_boot uefi|bios: QEMU on the tap. UEFI: Debian's OVMF with the NIC's
# option ROM left out (romfile=), so EDK2's own virtio-net driver and PXE
# client run; BIOS: SeaBIOS with the NIC's PXE ROM (iPXE from ipxe-qemu).
xtnb_boot() {
	local fw=$1
	local -a args=(-machine q35 -cpu max -m 512 -smp 1 -display none -no-reboot
		-serial "file:$XTNB_CONSOLE" -monitor none
		-netdev "tap,id=n0,ifname=$XTNB_TAP,script=no,downscript=no,vhost=off")
	: > "$XTNB_CONSOLE"
	case $fw in
	uefi)
		cp "$OVMF_VARS" "$XT_TMP/vars.fd"
		args+=(-drive "if=pflash,format=raw,readonly=on,file=$OVMF_CODE"
			-drive "if=pflash,format=raw,file=$XT_TMP/vars.fd"
			-device "virtio-net-pci,netdev=n0,mac=52:54:00:12:34:57,romfile=") ;;
	bios)
		args+=(-device "virtio-net-pci,netdev=n0,mac=52:54:00:12:34:58"
			-boot n) ;;
	*) xt_fail "xtnb_boot: uefi or bios" ;;
	esac
	xt_on_cleanup xtnb_stop_qemu
	ip netns exec "$XT_NS_SRV" qemu-system-x86_64 "${args[@]}" >"$XT_TMP/qemu.log" 2>&1 </dev/null &
	XTNB_QEMU_PID=$!
}

# xtnb_wait SECS REGEX DESC: until the serial console matches REGEX (ERE).
xtnb_wait() {
	local secs=$1 re=$2 desc=$3
	local deadline=$(( $(date +%s) + secs ))
	until tr -d '\r' < "$XTNB_CONSOLE" | grep -qE "$re"; do
		if ! kill -0 "$XTNB_QEMU_PID" 2>/dev/null; then
			tail -c 2000 "$XTNB_CONSOLE" | tr -d '\r' | sed 's/^/  console: /'
			xt_fail "$desc: QEMU exited before the console showed /$re/"
		fi
		if [ "$(date +%s)" -gt "$deadline" ]; then
			tail -c 2000 "$XTNB_CONSOLE" | tr -d '\r' | sed 's/\x1b\[[0-9;?]*[a-zA-Z]//g' | sed 's/^/  console: /'
			xt_fail "$desc: the console did not show /$re/ within ${secs}s"
		fi
		sleep 0.2
	done
}

xtnb_server_stop() {
	case $1 in
	xtftpd) xt_daemon_stop ;;
	hpa) xt_hpa_stop ;;
	dnsmasq)
		kill -TERM "$(cat "$XT_TMP/dnsmasq-tftp.pid")" 2>/dev/null || true
		rm -f "$XT_TMP/dnsmasq-tftp.pid" ;;
	esac
}

# xtnb_mark_time REGEX: seconds since the epoch (ms) at which the console
# first showed REGEX, polled every 50 ms by xtnb_wait_mark.
xtnb_wait_mark() {
	local secs=$1 re=$2 desc=$3
	local deadline=$(( $(date +%s) + secs ))
	until tr -d '\r' < "$XTNB_CONSOLE" | grep -qaE "$re"; do
		kill -0 "$XTNB_QEMU_PID" 2>/dev/null || {
			tail -c 1500 "$XTNB_CONSOLE" | tr -d '\r' | sed 's/^/  console: /'
			xt_fail "$desc: QEMU exited before the console showed /$re/"; }
		[ "$(date +%s)" -le "$deadline" ] || {
			tail -c 1500 "$XTNB_CONSOLE" | tr -d '\r' | sed 's/\x1b\[[0-9;?]*[a-zA-Z]//g' | sed 's/^/  console: /'
			xt_fail "$desc: the console did not show /$re/ within ${secs}s"; }
		sleep 0.05
	done
	date +%s.%N
}

# xtnb_check_xtftpd FILE...: after a boot from xtftpd, each FILE (relative to
# the root) was served to the end ("done") with the sha256 of the file on
# disk, every transfer of more than one block >= 99 % from the kernel tiers,
# no transfer failed (size probes are probes), nothing retransmitted on this
# lossless link. Prints one line per file: options, blocks, tier, seconds.
xtnb_check_xtftpd() {
	local f sums=()
	xt_wait_idle 20
	for f in "$@"; do
		sums+=("$f=$(sha256sum "$XT_ROOT/$f" | cut -d' ' -f1)")
	done
	python3 - "$XTNB_EVENTS" "${sums[@]}" <<'PY' || xt_fail "the daemon's events do not show the boot files served intact by the kernel tiers"
import json, sys
evs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
want = dict(a.split("=", 1) for a in sys.argv[2:])
bad = []
for e in evs:
    if e["event"] not in ("done", "failed", "probe"):
        continue
    name = e["file"].lstrip("/")
    if e["event"] == "failed" and e["outcome"] != "refused":
        bad.append(f"{name}: {e['outcome']} {e.get('message', '')}")
    if e["event"] != "done":
        continue
    blocks = e["blocks_user"] + e["blocks_xdp"] + e["blocks_tc"]
    kern = e["blocks_xdp"] + e["blocks_tc"]
    if blocks >= 2 and kern * 100 < (blocks - 1) * 99:
        bad.append(f"{name}: kernel tiers sent {kern} of {blocks} blocks")
    if e["retransmits"]:
        bad.append(f"{name}: {e['retransmits']} retransmits on a lossless link")
    if name in want:
        if e["sha256"] != want[name]:
            bad.append(f"{name}: served sha256 {e['sha256']}, file has {want[name]}")
        print(f"  {name}: {e['options'] or 'no options'}; {e['blocks']} blocks, "
              f"xdp {e['blocks_xdp']} tc {e['blocks_tc']} user {e['blocks_user']}, "
              f"{e['duration_ns'] / 1e9:.2f} s" + (f", after probe {e['after_probe']}" if e.get("after_probe") else ""))
        want.pop(name)
probes = [e for e in evs if e["event"] == "probe"]
for p in probes:
    print(f"  size probe: {p['file']} ({p['options']}): recorded as a probe")
for name in want:
    bad.append(f"{name}: never served to the end")
for b in bad:
    print("FAIL: " + b)
sys.exit(1 if bad else 0)
PY
	[ "$(xt_stat transfers_failed)" = 0 ] || xt_fail "transfers_failed $(xt_stat transfers_failed) after a clean boot"
}
