#!/usr/bin/env bash
# The layering of the tree (ARCHITECTURE.md): a folder includes only itself
# and the folders listed before it, so the tiers stay what their names say.
#
#   include/      contracts for BPF and gcc alike: only include/
#   bpf/          the programs: include/ and bpf/
#   user/proto    pure protocol (packet, negotiate, netascii, xfer): no libbpf,
#                 no socket, no clock (time is an argument), so unit tests and
#                 fuzzers build it alone
#   user/util     log, sha256, timer heap, ACL and inject specs
#   user/files    what is served: path, remap, names, the image pool
#   user/kern     the only place with libbpf and the skeleton: loader, attach
#   user/obs      transfer record, report, events, diagnose, histograms
#   user/ctl      control socket, its command table, the HTTP endpoint
#   user/daemon   event loop, listeners, admission, sessions, kernel hand-off
#   user/cmd      main() of xtftpd, xtftpctl, xtftpd recover
#
# And the size (issue 12): no .c under user/ over MAX_FILE_LINES lines, no
# function there over MAX_FUNC_LINES, so no file grows back into engine.c.
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
		case $inc in *.skel.h) continue ;; esac # generated; the kern rule below
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
TIERS=(proto util files kern obs ctl daemon cmd)
allowed=(include)
for t in "${TIERS[@]}"; do
	allowed+=("user/$t")
	for f in user/"$t"/*.[ch]; do
		[ -e "$f" ] && check "$f" "${allowed[@]}"
	done
done
# every folder of user/ is a tier of the list (a new folder needs a place)
for d in user/*/; do
	d=${d%/}
	case " ${TIERS[*]} " in
	*" ${d#user/} "*) ;;
	*) echo "layering: $d/ is not in the tier list of tests/check-layers.sh" >>"$out" ;;
	esac
done
for f in user/*.[ch]; do
	[ -e "$f" ] && echo "layering: $f is outside the tier folders" >>"$out"
done
grep -Hn '^[[:space:]]*#[[:space:]]*include[[:space:]]*<\(bpf/\|sys/socket\.h\|sys/epoll\.h\|netinet/\|time\.h\)' \
	user/proto/*.[ch] | sed 's/^/layering: /; s/$/: user\/proto has no libbpf, no socket, no clock/' >>"$out"
grep -Hn '\<\(clock_gettime\|gettimeofday\|sendto\|recvfrom\|socket\|bpf_map_[a-z_]*\)[[:space:]]*(' \
	user/proto/*.[ch] | sed 's/^/layering: /; s/$/: user\/proto has no libbpf, no socket, no clock/' >>"$out"
# libbpf and the skeleton only in user/kern (the rest builds without them)
grep -Hn '^[[:space:]]*#[[:space:]]*include[[:space:]]*\(<bpf/\|"xtftp\.skel\.h"\|"reflector\.skel\.h"\)' \
	user/*/*.[ch] | grep -v '^user/kern/' | sed 's/^/layering: /; s/$/: libbpf and skeletons only in user\/kern/' >>"$out"

# Sizes. A function, in the kernel style of the tree: a line at column 0
# naming "TYPE name(" that is not a prototype (no ";" before its "{"), to
# the next line that is "}" alone. Static data (tables, help text) is not
# a function and not counted.
MAX_FILE_LINES=900
MAX_FUNC_LINES=120
awk -v maxfunc="$MAX_FUNC_LINES" '
FNR == 1 { state = 0 }
state == 0 && /^__attribute__/ { next }   # on its own line above the function
state == 0 && /^(static[ \t]+)?(inline[ \t]+)?(const[ \t]+)?(struct[ \t]+[A-Za-z0-9_]+|enum[ \t]+[A-Za-z0-9_]+|unsigned[ \t]+int|[A-Za-z0-9_]+)[ \t]*[*]*[ \t]*[A-Za-z_][A-Za-z0-9_]*[(]/ {
	match($0, /[A-Za-z_][A-Za-z0-9_]*[(]/)
	name = substr($0, RSTART, RLENGTH - 1)
	start = FNR
	state = 1
}
state == 1 {
	if ($0 ~ /[{][ \t]*$/)
		state = 2
	else if ($0 ~ /;[ \t]*$/)
		state = 0
	next
}
state == 2 && /^}[ \t]*$/ {
	if (FNR - start + 1 > maxfunc)
		printf "size: %s: %s() is %d lines (at most %d)\n", FILENAME, name, FNR - start + 1, maxfunc
	state = 0
}
' user/*/*.c >>"$out"
for f in user/*/*.c; do
	n=$(wc -l <"$f")
	[ "$n" -le "$MAX_FILE_LINES" ] || echo "size: $f is $n lines (at most $MAX_FILE_LINES)" >>"$out"
done

if [ -s "$out" ]; then
	cat "$out"
	exit 1
fi
echo "layering: include/, bpf/ and user/{${TIERS[*]}} (in that order) include only the folders below them"
echo "size: every user/*/*.c at most $MAX_FILE_LINES lines, every function in it at most $MAX_FUNC_LINES"
