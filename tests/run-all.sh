#!/usr/bin/env bash
# Run every test: unit (cmocka), BPF_PROG_TEST_RUN, netns integration.
# Usage: tests/run-all.sh BUILD_DIR [FILTER]
# Each test is an executable or script: exit 0 = pass, 77 = skipped, else fail.
# Output of a test is shown when it fails; its last line is shown always.
# Ends with one summary line: "N passed, N failed, N skipped".
set -o nounset -o pipefail
BUILD=${1:-build/san}
FILTER=${2:-}
TOP=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "$TOP" && cd "$BUILD" && pwd)
export XTFTPD="$BUILD/xtftpd" XTFTPCTL="$BUILD/xtftpctl" XT_BUILD="$BUILD" XT_TOP="$TOP"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
TEST_TIMEOUT=${TEST_TIMEOUT:-900}

pass=0 fail=0 skip=0 failed=()
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
	77) skip=$((skip + 1)); printf 'SKIPPED  %-40s %6ss  %s\n' "$name" "$secs" "$last" ;;
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

echo
[ ${#failed[@]} -gt 0 ] && echo "failed: ${failed[*]}"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
