# shellcheck shell=bash
# The VM rig: a Debian kernel under QEMU (TCG: no KVM here) with a
# virtio-net NIC on a tap inside a namespace the test creates; real clients
# run in that namespace, the daemon in the guest. Source it after
# tests/integration/lib.sh is found (it sources it), then:
#
#   xtvm_require FLAVOUR          root, qemu, busybox-static, the kernel (6.1, 6.12)
#   xtvm_boot [NIC_OPTS]          namespace + tap, initramfs with $XTFTPD and
#                                 $XT_ROOT, boot, wait for the command channel
#   xtvm_run SECS CMD             run CMD in the guest (sh), print its output
#   xtvm_daemon_start ARGS...     xtftpd -L in the guest on eth0, wait ready
#   xtvm_daemon_stop              SIGTERM, bounded wait, exit status 0, no
#                                 sanitizer report in its log
#   xtvm_ctl ARGS...              xtftpctl in the guest
#   xtvm_stat NAME                one counter from the guest's xtftpctl stats
#
# Guest: 198.18.N.2, host end of the tap (in $XT_NS_CLI): 198.18.N.1.
# Everything (namespace, QEMU, temp files) goes in lib.sh's EXIT trap.

# shellcheck source=../integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../integration/lib.sh"

XTVM_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
XTVM_CACHE=${XT_VM_CACHE:-/var/cache/xtftpd-vm}
XTVM_SOCK="$XT_TMP/vm-ctl.sock"
XTVM_CONSOLE="$XT_TMP/vm-console.log"
XTVM_TAP=xtvm0
XTVM_HOST4="198.18.$XT_NET_IDX.1"
XTVM_GUEST4="198.18.$XT_NET_IDX.2"
XTVM_QEMU_PID=""
XTVM_KDIR=""
XTVM_GUEST_CTL=/run/xtftpd.sock

xtvm_require() {
	local flavour=$1
	xt_require_root
	xt_require_daemon
	xt_require_cmd qemu-system-x86_64 python3 gzip
	local bb
	bb=$(command -v busybox) || xt_skip "needs busybox-static; run 'make deps'"
	[[ $(ldd "$bb" 2>&1) == *"not a dynamic"* ]] ||
		xt_skip "needs a static busybox for the guest (busybox-static); run 'make deps'"
	XTVM_KDIR=$("$XTVM_DIR/kernel.sh" "$flavour" "$XTVM_CACHE" 2>"$XT_TMP/kernel.log") ||
		xt_fail "cannot fetch the $flavour kernel: $(tail -n 1 "$XT_TMP/kernel.log")"
	[ -s "$XTVM_KDIR/vmlinuz" ] || xt_fail "no vmlinuz in $XTVM_KDIR"
}

xtvm_cleanup() {
	if [ -n "$XTVM_QEMU_PID" ] && kill -0 "$XTVM_QEMU_PID" 2>/dev/null; then
		kill -KILL "$XTVM_QEMU_PID" 2>/dev/null
		wait "$XTVM_QEMU_PID" 2>/dev/null || true
	fi
	if [ -s "$XTVM_CONSOLE" ] && [ "${XTVM_SHOW_CONSOLE:-0}" = 1 ]; then
		echo "---- guest console (last 30 lines) ----"
		tail -n 30 "$XTVM_CONSOLE"
	fi
}

# xtvm_shutdown: power the guest off (bounded), keeping the namespace, so
# xtvm_boot can start it again with other NIC options.
xtvm_shutdown() {
	[ -n "$XTVM_QEMU_PID" ] || return 0
	"$XTVM_DIR/vmctl.py" "$XTVM_SOCK" 2 'poweroff -f' >/dev/null 2>&1 || true
	local deadline=$(( $(date +%s) + 10 ))
	while kill -0 "$XTVM_QEMU_PID" 2>/dev/null && [ "$(date +%s)" -le "$deadline" ]; do
		sleep 0.1
	done
	kill -KILL "$XTVM_QEMU_PID" 2>/dev/null || true
	wait "$XTVM_QEMU_PID" 2>/dev/null || true
	XTVM_QEMU_PID=""
	rm -f "$XTVM_SOCK"
}

# xtvm_boot [EXTRA virtio-net-pci OPTIONS, e.g. mrg_rxbuf=off]
xtvm_boot() {
	local nic_opts=${1:-}
	if [ "$XT_RIG_UP" != 1 ]; then
		ip netns add "$XT_NS_CLI" || xt_fail "cannot create netns $XT_NS_CLI"
		XT_RIG_UP=1
		xt_on_cleanup xtvm_cleanup
		ip -n "$XT_NS_CLI" link set lo up
		ip -n "$XT_NS_CLI" tuntap add dev "$XTVM_TAP" mode tap
		ip -n "$XT_NS_CLI" addr add "$XTVM_HOST4/24" dev "$XTVM_TAP"
		ip -n "$XT_NS_CLI" link set "$XTVM_TAP" up
	fi
	[ -s "$XT_TMP/initrd.gz" ] ||
		"$XTVM_DIR/initramfs.sh" "$XTVM_KDIR" "$(dirname "$XTFTPD")" "$XT_ROOT" \
			"$XT_TMP/initrd.gz" || xt_fail "cannot build the initramfs"
	XTVM_SHOW_CONSOLE=1
	ip netns exec "$XT_NS_CLI" qemu-system-x86_64 -machine q35 -cpu max -m 768 -smp 1 \
		-nographic -no-reboot -nodefaults \
		-kernel "$XTVM_KDIR/vmlinuz" -initrd "$XT_TMP/initrd.gz" \
		-append "console=ttyS0 panic=-1 quiet xtvm.addr=$XTVM_GUEST4/24" \
		-netdev "tap,id=n0,ifname=$XTVM_TAP,script=no,downscript=no,vhost=off" \
		-device "virtio-net-pci,netdev=n0,mac=52:54:00:12:34:56,romfile=${nic_opts:+,$nic_opts}" \
		-chardev "socket,id=ctl,path=$XTVM_SOCK,server=on,wait=off" \
		-serial "file:$XTVM_CONSOLE" -serial chardev:ctl \
		>"$XT_TMP/qemu.log" 2>&1 </dev/null &
	XTVM_QEMU_PID=$!
	local deadline=$(( $(date +%s) + 90 ))
	while :; do
		kill -0 "$XTVM_QEMU_PID" 2>/dev/null ||
			xt_fail "QEMU exited while booting: $(tail -n 3 "$XT_TMP/qemu.log" "$XTVM_CONSOLE" | tr '\n' ' ')"
		[ -S "$XTVM_SOCK" ] && "$XTVM_DIR/vmctl.py" "$XTVM_SOCK" 2 true >/dev/null 2>&1 && break
		[ "$(date +%s)" -gt "$deadline" ] &&
			xt_fail "the guest's command channel did not answer within 90s"
		sleep 0.2
	done
	echo "guest up: $(xtvm_run 10 'uname -r'), virtio-net ${nic_opts:-defaults}"
	xt_wait_until 20 "ping $XTVM_GUEST4 from the host side" \
		xt_cli ping -c 1 -W 1 "$XTVM_GUEST4"
}

xtvm_run() {
	local secs=$1
	shift
	"$XTVM_DIR/vmctl.py" "$XTVM_SOCK" "$secs" "$*"
}

xtvm_ctl() { xtvm_run 30 "xtftpctl -S $XTVM_GUEST_CTL $*"; }

xtvm_stat() {
	xtvm_ctl stats | awk -v n="$1" '$1 == n { print $2 }'
}

# xtvm_daemon_start ARGS...: the daemon in the guest, on eth0, serving
# /srv/tftp; its exit status lands in /tmp/xtftpd.rc. XTVM_DAEMON_ENV:
# VAR=VALUE words put in its environment.
xtvm_daemon_start() {
	xtvm_run 10 "rm -f /tmp/xtftpd.rc; ( ${XTVM_DAEMON_ENV:+env $XTVM_DAEMON_ENV} xtftpd -L -s -i eth0 --control $XTVM_GUEST_CTL --verifier-log /tmp/verifier.log $* /srv/tftp; echo \$? > /tmp/xtftpd.rc ) > /tmp/xtftpd.log 2>&1 &" ||
		xt_fail "cannot start the daemon in the guest"
	local deadline=$(( $(date +%s) + 60 ))
	until xtvm_ctl status >/dev/null 2>&1; do
		if xtvm_run 5 'test -e /tmp/xtftpd.rc' >/dev/null 2>&1; then
			xtvm_run 5 'cat /tmp/xtftpd.log'
			xt_fail "xtftpd exited in the guest before it was ready"
		fi
		[ "$(date +%s)" -gt "$deadline" ] && {
			xtvm_run 5 'cat /tmp/xtftpd.log'
			xt_fail "xtftpd in the guest not ready within 60s"
		}
		sleep 0.2
	done
}

xtvm_daemon_stop() {
	xtvm_run 10 'kill -TERM $(pidof xtftpd)' >/dev/null || true
	local deadline=$(( $(date +%s) + 30 ))
	until xtvm_run 5 'test -e /tmp/xtftpd.rc' >/dev/null 2>&1; do
		[ "$(date +%s)" -gt "$deadline" ] && xt_fail "xtftpd in the guest did not exit within 30s of SIGTERM"
		sleep 0.2
	done
	local rc log
	rc=$(xtvm_run 5 'cat /tmp/xtftpd.rc')
	log=$(xtvm_run 10 'cat /tmp/xtftpd.log')
	if grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' <<<"$log"; then
		echo "$log" | tail -n 40
		xt_fail "the sanitizers reported an error in the guest's daemon"
	fi
	[ "$rc" = 0 ] || { echo "$log" | tail -n 20; xt_fail "xtftpd in the guest exited with status $rc"; }
}
