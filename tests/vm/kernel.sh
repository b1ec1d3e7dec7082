#!/usr/bin/env bash
# Fetch a Debian kernel package for the VM tests, without installing it on
# the host: apt-get download + dpkg-deb -x into a cache directory, keeping the
# kernel image and the modules the guest needs (decompressed: busybox's
# insmod does not read .ko.xz).
#
# Usage: tests/vm/kernel.sh FLAVOUR [CACHE_DIR]
#   FLAVOUR  6.1   Debian 12's kernel (meta package linux-image-amd64)
#            6.12  Debian 12's 6.12 (meta package linux-image-6.12-amd64)
# Prints the directory holding vmlinuz, release and modules/ (in load order).
# Idempotent: a kernel already in the cache is not fetched again.
set -o errexit -o nounset -o pipefail
flavour=$1
CACHE=${2:-${XT_VM_CACHE:-/var/cache/xtftpd-vm}}

case $flavour in
6.1) meta=linux-image-amd64 ;;
6.12) meta=linux-image-6.12-amd64 ;;
*) echo "kernel.sh: unknown flavour '$flavour' (6.1 or 6.12)" >&2; exit 2 ;;
esac

# What the guest loads, in dependency order (the modules each one needs,
# read with modinfo, come first); built-in ones are skipped.
WANT=(virtio_net sch_ingress cls_bpf virtio_pci)

# The package the meta package points at today (e.g. linux-image-6.1.0-57-amd64).
pkg=$(apt-cache depends "$meta" 2>/dev/null | awk '/Depends: linux-image-/ { print $2; exit }')
if [ -z "$pkg" ]; then
	echo "kernel.sh: apt knows no $meta (run apt-get update)" >&2
	exit 1
fi
dir="$CACHE/$pkg"
if [ -s "$dir/vmlinuz" ] && [ -s "$dir/modules.load" ]; then
	echo "$dir"
	exit 0
fi
mkdir -p "$CACHE"
tmp=$(mktemp -d "$CACHE/.fetch.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
( cd "$tmp" && apt-get download -qq "$pkg" >/dev/null 2>&1 ) || {
	# apt's _apt user may not write here; download as root then
	( cd "$tmp" && apt-get -o APT::Sandbox::User=root download -qq "$pkg" >/dev/null )
}
dpkg-deb -x "$tmp"/"$pkg"_*.deb "$tmp/x"
rel=$(ls "$tmp/x/lib/modules")
moddir="$tmp/x/lib/modules/$rel"
mkdir -p "$tmp/out/modules"
cp "$tmp/x/boot/vmlinuz-$rel" "$tmp/out/vmlinuz"
echo "$rel" > "$tmp/out/release"

declare -A done_mod=()
order=()
find_mod() { find "$moddir/kernel" -name "$1.ko" -o -name "$1.ko.xz" | head -n 1; }
add_mod() {
	local name=$1 f dep
	[ -n "${done_mod[$name]:-}" ] && return 0
	done_mod[$name]=1
	f=$(find_mod "$name")
	if [ -z "$f" ]; then
		grep -q "/$name.ko" "$moddir/modules.builtin" ||
			{ echo "kernel.sh: $rel has no module $name" >&2; exit 1; }
		return 0
	fi
	case $f in
	*.xz) xz -dc "$f" > "$tmp/out/modules/$name.ko" ;;
	*) cp "$f" "$tmp/out/modules/$name.ko" ;;
	esac
	# depends= in the .modinfo section (no kmod needed on the host)
	for dep in $(tr '\0' '\n' < "$tmp/out/modules/$name.ko" |
		     sed -n 's/^depends=//p' | head -n 1 | tr ',' ' '); do
		add_mod "$dep"
	done
	order+=("$name.ko")
}
for m in "${WANT[@]}"; do
	add_mod "$m"
done
printf '%s\n' "${order[@]}" > "$tmp/out/modules.load"
rm -rf "$dir"
mv "$tmp/out" "$dir"
echo "$dir"
