#!/usr/bin/env bash
# The per-transfer checker (xfer_check.py) on canned records: it must fail
# where the daemon served a transfer the kernel tiers could take wholly from
# userspace, where a lock-step transfer resent without a timeout, where too
# few records or duplicate ACKs are there, and pass on records that are
# right, so the checks built on it cannot turn into no-ops unseen.
# Needs no root and no daemon.
set -o errexit -o nounset -o pipefail
shopt -s lastpipe      # expect runs in this shell at the end of each pipe
CHECK="python3 $(dirname "$0")/xfer_check.py"
command -v python3 >/dev/null || { echo "SKIP: needs python3; run 'make deps'"; exit 77; }

# rec FILE OPTIONS FINAL USER TC RETR TIMEOUTS [MODE] [WINDOW] [OUTCOME] [DUP]
rec() {
	printf '{"id":1,"op":"rrq","file":"%s","client":"198.18.0.2","port":1,"mode":"%s",' "$1" "${8:-octet}"
	printf '"options":"%s","final_block":%s,"blocks_user":%s,"blocks_xdp":0,"blocks_tc":%s,' "$2" "$3" "$4" "$5"
	printf '"tier":"x","retransmits":%s,"timeouts":%s,"windowsize":%s,"outcome":"%s","dup_acks":%s}\n' \
		"$6" "$7" "${9:-1}" "${10:-done}" "${11:-0}"
}

n=0
expect() {       # expect pass|fail DESC ARGS... < records
	local want=$1 desc=$2 rc=0 out
	shift 2
	out=$($CHECK "$@") || rc=$?
	if { [ "$want" = pass ] && [ "$rc" -ne 0 ]; } || { [ "$want" = fail ] && [ "$rc" -ne 1 ]; }; then
		printf '%s\n' "$out"
		echo "FAIL: xfer_check.py $*: $desc: exit $rc, want $want"
		exit 1
	fi
	n=$((n + 1))
}

# --kernel
rec f1m "blksize=1468" 715 0 715 0 0 | expect pass "all from TC" --kernel
rec f1 "" 1 1 0 0 0 | expect pass "one block, no OACK: userspace by design" --kernel
rec f1 "tsize=1" 1 1 0 0 0 | expect fail "an OACK, yet no kernel block" --kernel
rec f513 "" 2 2 0 0 0 | expect fail "two blocks, no OACK, no kernel block" --kernel
rec t "blksize=1468" 5 5 0 0 0 netascii | expect pass "netascii: userspace by design" --kernel
rec f1m "blksize=1468" 715 715 0 0 0 octet 1 timeout | expect pass "a failed transfer is not judged" --kernel
{ rec a "" 2 1 1 0 0; rec b "" 2 2 0 0 0; } | expect fail "one bad among good ones" --kernel
# --lockstep
rec f "" 600 600 0 3 3 | expect pass "three resends, three timeouts" --lockstep
rec f "" 600 610 0 10 3 | expect fail "resends without timeouts" --lockstep
rec f "" 600 610 0 10 3 octet 8 | expect pass "a window may resend more than it timed out" --lockstep
rec f "" 600 610 0 10 3 octet 1 timeout | expect fail "a failed lock-step transfer is judged too" --lockstep
# --min, --dup-acks, --file-re
rec f "" 2 2 0 0 0 | expect fail "too few records" --min 2
rec f "" 2 2 0 0 0 octet 1 "done" 3 | expect fail "3 duplicate ACKs, want 4" --dup-acks 4
rec f "" 2 2 0 0 0 octet 1 "done" 4 | expect pass "4 duplicate ACKs" --dup-acks 4
rec f "" 2 2 0 0 0 octet 1 "done" 8 | expect fail "8 duplicate ACKs counted (twice), want 4" --dup-acks 4
rec other "" 2 2 0 0 0 | expect fail "filtered out: none left" --kernel --file-re '^f' --min 1
echo 'not json' | expect fail "garbage"
echo "xfer_check.py: $n canned cases, each passed or failed as it must"
