#!/usr/bin/env bash
# Install every Debian package the build, the tests and the demo need.
# Idempotent: does nothing when all are present.
set -o errexit -o nounset -o pipefail
PKGS=(
	# build
	make gcc clang llvm libbpf-dev libelf-dev zlib1g-dev bpftool pkg-config linux-libc-dev
	# --http (user/ctl/http.c)
	libmicrohttpd-dev
	# unit tests
	libcmocka-dev
	# fuzzing (make fuzz-smoke): libFuzzer runtime, only "recommended" by clang-14
	libclang-rt-14-dev
	# integration tests: namespaces, firewall for loss, real clients, a baseline server
	# (busybox-static: its tftp applet is the busybox client, and the VM tests'
	# guest needs a static busybox; it replaces Debian's dynamic busybox)
	iproute2 iputils-ping ethtool nftables tftp-hpa atftp curl busybox-static tftpd-hpa procps psmisc
	# U-Boot under qemu as a bootloader client (tests/integration/test_uboot.sh)
	qemu-system-arm u-boot-qemu tcpdump
	# the kernel matrix (tests/vm/): Debian's kernels under QEMU with virtio-net
	qemu-system-x86 xz-utils gzip
	# boot firmware as clients (tests/netboot/): UEFI (OVMF) -> GRUB / iPXE,
	# BIOS (SeaBIOS + the NIC's iPXE ROM) -> PXELINUX
	ovmf grub-efi-amd64-bin grub-common ipxe ipxe-qemu seabios pxelinux syslinux-common
	# packaging (test_install.sh): systemd-analyze verify, capsh, setpriv, groff for man pages
	systemd libcap2-bin util-linux groff-base
	# benchmark rig (make bench): dnsmasq's TFTP server as a baseline, jq for results
	dnsmasq-base jq
	# observability test (test_observe.sh): promtool checks the exposition, top runs under tmux
	prometheus tmux python3
	# the bench page in a real browser (test_http.sh): headless Chromium
	chromium
	# make deb (packaging/debian) and its test (test_deb.sh)
	debhelper dpkg-dev fakeroot lintian
	# memory checks (test_valgrind.sh)
	valgrind
)
missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
# Debian's kernels for the VM tests (tests/vm/kernel.sh), fetched with
# apt-get download into a cache, never installed on the host. Idempotent.
fetch_vm_kernels() {
	local k
	[ "$(id -u)" -eq 0 ] || return 0
	for k in 6.1 6.12; do
		"$(dirname "$0")/vm/kernel.sh" "$k" >/dev/null ||
			echo "deps: cannot fetch Debian's $k kernel for tests/vm (apt-get download)" >&2
	done
}
# tftpd-hpa and prometheus are installed as a bench baseline and for
# promtool: they must not start at boot (tftpd-hpa would own port 69 after a
# reboot and xtftpd would fail with "Address already in use"). Idempotent.
disable_baselines() {
	local svc
	[ "$(id -u)" -eq 0 ] || return 0
	for svc in tftpd-hpa prometheus; do
		[ -e "/etc/init.d/$svc" ] && update-rc.d "$svc" disable >/dev/null 2>&1
		systemctl disable "$svc" >/dev/null 2>&1
	done
	return 0
}
if [ ${#missing[@]} -eq 0 ]; then
	fetch_vm_kernels
	disable_baselines
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing packages: ${missing[*]}; run 'make deps' as root" >&2
	exit 1
fi
echo "deps: installing ${missing[*]}"
# Keep packaged daemons (tftpd-hpa) from starting on the host.
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
	chmod +x /usr/sbin/policy-rc.d
	trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fetch_vm_kernels
disable_baselines
