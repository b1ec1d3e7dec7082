#!/usr/bin/env bash
# The layering of the tree (ARCHITECTURE.md): a folder includes only the
# folders below it, so the tiers stay what their names say.
#
#   include/     contracts for BPF and gcc alike: only include/
#   bpf/         the programs: include/ and bpf/
#   user/proto/  pure protocol: include/ and user/proto/; no libbpf, no
#                sockets, no clock (the state machine takes time as an
#                argument), so unit tests and fuzzers build it alone
#   user/        the rest of the daemon: anything above, for now
#
# Usage: tests/check-layers.sh [TOP]; exit 1 with one line per violation.
set -o nounset -o pipefail
TOP=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$TOP" || exit 1
out=$(mktemp)
trap 'rm -f "$out"' EXIT

# Where a quoted include of FILE resolves, as the compiler searches: the
# file's own folder, then -Iinclude, -Ibpf (BPF) or -Iuser.
resolve() {
	local file=$1 inc=$2 dir
	for dir in "$(dirname "$file")" include bpf user; do
		if [ -f "$dir/$inc" ]; then
			dirname "$dir/$inc"
			return
		fi
	done
	echo "?"
}

# check FILE ALLOWED-FOLDER...: every quoted include resolves in one of them
check() {
	local file=$1; shift
	local inc where ok dir
	while read -r inc; do
		where=$(resolve "$file" "$inc")
		ok=0
		for dir in "$@"; do
			[ "$where" = "$dir" ] && ok=1
		done
		[ "$ok" = 1 ] || echo "layering: $file includes \"$inc\" ($where/), allowed: $*" >>"$out"
	done < <(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$file")
}

for f in include/*.h; do
	check "$f" include
done
for f in bpf/*.h bpf/*.c; do
	check "$f" include bpf
done
for f in user/proto/*.h user/proto/*.c; do
	check "$f" include user/proto
done
grep -Hn '^[[:space:]]*#[[:space:]]*include[[:space:]]*<\(bpf/\|sys/socket\.h\|sys/epoll\.h\|netinet/\|time\.h\)' \
	user/proto/*.[ch] | sed 's/^/layering: /; s/$/: user\/proto has no libbpf, no socket, no clock/' >>"$out"
grep -Hn '\<\(clock_gettime\|gettimeofday\|sendto\|recvfrom\|socket\|bpf_map_[a-z_]*\)[[:space:]]*(' \
	user/proto/*.[ch] | sed 's/^/layering: /; s/$/: user\/proto has no libbpf, no socket, no clock/' >>"$out"

if [ -s "$out" ]; then
	cat "$out"
	exit 1
fi
echo "layering: include/, bpf/ and user/proto/ include only the folders below them"
