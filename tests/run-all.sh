#!/usr/bin/env bash
# Run every test: unit (cmocka), BPF_PROG_TEST_RUN, netns integration.
# Usage: tests/run-all.sh BUILD_DIR [FILTER]
# Each test is an executable or script: exit 0 = pass, 77 = skipped, else fail.
# Output of a test is shown when it fails; its last line is shown always.
# Ends with the skipped tests and their reasons, each marked allowed or not
# by tests/skip-allowlist, then one summary line: "N passed, N failed,
# N skipped". XT_SKIPS=strict (what .ci/run sets): a skip not on the
# allow-list fails the run like a failed test; a skip hides a missing path.
set -o nounset -o pipefail
BUILD=${1:-build/san}
FILTER=${2:-}
TOP=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "$TOP" && cd "$BUILD" && pwd)
export XTFTPD="$BUILD/xtftpd" XTFTPCTL="$BUILD/xtftpctl" XT_BUILD="$BUILD" XT_TOP="$TOP"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
TEST_TIMEOUT=${TEST_TIMEOUT:-900}

XT_SKIPS=${XT_SKIPS:-report}
ALLOWLIST=${XT_SKIP_ALLOWLIST:-$TOP/tests/skip-allowlist}

pass=0 fail=0 skip=0 failed=() skipped=()
logdir=$(mktemp -d /tmp/xtftp-tests.XXXXXX)
trap 'rm -rf "$logdir"' EXIT

run_one() {
	local name=$1; shift
	[ -n "$FILTER" ] && [[ "$name" != *$FILTER* ]] && return 0
	local log="$logdir/$(echo "$name" | tr '/' '_').log" start end rc
	start=$(date +%s.%N)
	timeout --kill-after=10 "$TEST_TIMEOUT" "$@" >"$log" 2>&1 </dev/null
	rc=$?
	end=$(date +%s.%N)
	local secs; secs=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')
	# the summary: the log's last line, but for bash's own job notices
	# ("script: line N: PID Killed ...") printed when a test's cleanup reaps
	local last; last=$(grep -vE ': line [0-9]+: +[0-9]+ (Killed|Terminated)' "$log" | tail -n 1)
	case $rc in
	0) pass=$((pass + 1)); printf 'PASS     %-40s %6ss  %s\n' "$name" "$secs" "$last" ;;
	77) skip=$((skip + 1)); skipped+=("$name"$'\t'"$last")
	    printf 'SKIPPED  %-40s %6ss  %s\n' "$name" "$secs" "$last" ;;
	*) fail=$((fail + 1)); failed+=("$name")
	   printf 'FAIL     %-40s %6ss  (exit %d)\n' "$name" "$secs" "$rc"
	   sed 's/^/    | /' "$log" | tail -n 80 ;;
	esac
}

for t in "$BUILD"/tests/test_*; do
	[ -x "$t" ] || continue
	b=$(basename "$t")
	if [ -f "$TOP/tests/unit/$b.c" ]; then run_one "unit/$b" "$t"; fi
done
for t in "$BUILD"/tests/test_*; do
	[ -x "$t" ] || continue
	b=$(basename "$t")
	if [ -f "$TOP/tests/bpf/$b.c" ]; then run_one "bpf/$b" "$t"; fi
done
for t in "$TOP"/tests/integration/test_*.sh; do
	[ -f "$t" ] || continue
	run_one "integration/$(basename "$t" .sh)" bash "$t"
done
# The kernel matrix: Debian's kernels under QEMU (tests/vm/).
for t in "$TOP"/tests/vm/test_*.sh; do
	[ -f "$t" ] || continue
	run_one "vm/$(basename "$t" .sh)" bash "$t"
done
# Boot firmware as clients under QEMU (tests/netboot/).
for t in "$TOP"/tests/netboot/test_*.sh; do
	[ -f "$t" ] || continue
	run_one "netboot/$(basename "$t" .sh)" bash "$t"
done

# allowed_skip NAME LINE: prints the allow-list's reason when a line of
# tests/skip-allowlist ("NAME-GLOB  ERE", the comment block above it says
# why) matches the test's name and its skip line.
allowed_skip() {
	local name=$1 line=$2 glob re why=""
	[ -f "$ALLOWLIST" ] || return 1
	while IFS= read -r l; do
		case $l in
		'') why="" ;;
		'#'*) l=${l#\#}; why="${why:+$why }${l# }" ;;
		*)
			glob=${l%%[[:space:]]*}
			re=${l#"$glob"}
			re=${re#"${re%%[![:space:]]*}"}
			# shellcheck disable=SC2053
			if [[ $name == $glob ]] && [[ $line =~ $re ]]; then
				echo "$why"
				return 0
			fi ;;
		esac
	done < "$ALLOWLIST"
	return 1
}

echo
unexplained=0
if [ ${#skipped[@]} -gt 0 ]; then
	echo "skipped (${#skipped[@]}):"
	for e in "${skipped[@]}"; do
		n=${e%%$'\t'*} l=${e#*$'\t'}
		if why=$(allowed_skip "$n" "$l"); then
			printf '  %-40s %s\n  %-40s   allowed: %s\n' "$n" "$l" "" "$why"
		else
			unexplained=$((unexplained + 1))
			printf '  %-40s %s\n  %-40s   NOT on %s\n' "$n" "$l" "" "${ALLOWLIST#"$TOP"/}"
		fi
	done
fi
[ ${#failed[@]} -gt 0 ] && echo "failed: ${failed[*]}"
suffix=""
[ "$unexplained" -gt 0 ] && suffix=" ($unexplained not on the allow-list)"
echo "$pass passed, $fail failed, $skip skipped$suffix"
[ "$fail" -eq 0 ] || exit 1
if [ "$unexplained" -gt 0 ] && [ "$XT_SKIPS" = strict ]; then
	echo "XT_SKIPS=strict: $unexplained skips not on the allow-list count as failures"
	exit 1
fi
exit 0
