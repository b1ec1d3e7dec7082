#!/usr/bin/env bash
# Build the VM tests' initramfs: busybox (static), the daemon and xtftpctl
# with the shared libraries they link, the kernel's modules (kernel.sh) and
# /init (tests/vm/init). Extra files to serve come from SERVE_DIR (-> /srv/tftp).
#
# Usage: tests/vm/initramfs.sh KERNEL_DIR BUILD_DIR SERVE_DIR OUT.cpio.gz
set -o errexit -o nounset -o pipefail
kdir=$1 build=$2 serve=$3 out=$4
here=$(cd "$(dirname "$0")" && pwd)
busybox=$(command -v busybox)
[[ $(ldd "$busybox" 2>&1) == *"not a dynamic"* ]] ||
	{ echo "initramfs.sh: $busybox is not static (install busybox-static)" >&2; exit 1; }

root=$(mktemp -d /tmp/xtvm-root.XXXXXX)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,sbin,lib,lib64,proc,sys,dev,tmp,run,etc,srv/tftp,usr/bin,usr/sbin}
cp "$busybox" "$root/bin/busybox"
cp "$here/init" "$root/init"
chmod 0755 "$root/init"
cp "$build/xtftpd" "$build/xtftpctl" "$root/bin/"
# The binaries' libraries, at the paths the dynamic loader looks for them.
for lib in $(ldd "$build/xtftpd" "$build/xtftpctl" | awk '/=>/ { print $3 } /^\t\/lib/ { print $1 }' | sort -u); do
	mkdir -p "$root$(dirname "$lib")"
	cp -L "$lib" "$root$lib"
done
mkdir -p "$root/lib/modules"
cp "$kdir"/modules/*.ko "$root/lib/modules/"
cp "$kdir/modules.load" "$root/lib/modules.load"
cp -a "$serve"/. "$root/srv/tftp/"
chmod -R a+rX "$root/srv/tftp"
printf 'root:x:0:0:root:/:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' > "$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' > "$root/etc/group"
( cd "$root" && find . | "$busybox" cpio -o -H newc 2>/dev/null ) | gzip -1 > "$out"
