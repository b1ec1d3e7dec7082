#!/usr/bin/env bash
# Sorcerer's Apprentice probe (issue 16), in both flavours (the kernel tiers
# on the veth, where TC serves; and --no-bpf). hostile_client's "dupack"
# case downloads in lock-step, and on DATA N does not acknowledge it: it
# sends ACK N-1 twice. The first DATA to come must be the timer's resend of
# N, a server timeout after N; on it, ACK N-1 twice again, and then nothing
# for 1.5 timeouts (the backoff doubled the interval). The download then
# completes (sha256), the transfer's record counts exactly the 4 duplicate
# ACKs and no more retransmits than timeouts, and the daemon's dup_acks
# total counts each once. Cases: the first block the kernel
# sends without options (2), one mid-file, the final block, and N = 3 after
# an OACK with blksize 1468. The XDP tier gets the same probe under
# BPF_PROG_TEST_RUN (tests/bpf/test_prog_run.c, dup_ack): XDP cannot grow
# frames on a veth, so it serves nothing here.
. "$(dirname "$0")/lib.sh"
xt_require_root
xt_require_cmd "${CC:-gcc}" python3
xt_require_daemon
[ "$XT_TARGET" = hpa ] && xt_skip "asserts xtftpd's per-transfer records (XT_TARGET=hpa)"
xt_rig_create
HC="$XT_TMP/hostile_client"
"${CC:-gcc}" -std=gnu11 -O2 -Wall -Wextra -Werror -o "$HC" \
	"$(dirname "$0")/hostile_client.c" || xt_fail "cannot build hostile_client.c"
T_MS=500                                    # the server's --retransmit-timeout
xt_make_file "$XT_ROOT/f5k" $((512 * 10 + 100))     # 11 blocks of 512, 4 of 1468
xt_make_file "$XT_ROOT/f64k" 65536                  # 129 blocks of 512

# probe FILE N [-o ...]: one dupack run; asserts its line and the file
probe() {
	local file=$1 n=$2 out line first after silence next
	shift 2
	out="$XT_OUT/$file-$n"
	line=$(xt_cli timeout --kill-after=5 60 "$HC" -t 2000 "$@" "$XT_SRV4" dupack "$file" "$out" "$n" "$T_MS") ||
		xt_fail "$flavour $file N=$n: hostile_client exit $?: $line"
	echo "$flavour $file N=$n $*: $(echo "$line" | tr '\n' ' ')"
	line=$(echo "$line" | grep '^dupack ') || xt_fail "$flavour $file N=$n: no dupack line"
	first=$(echo "$line" | sed -n 's/.* first_block=\(-\?[0-9]*\).*/\1/p')
	after=$(echo "$line" | sed -n 's/.* first_after_ms=\(-\?[0-9]*\).*/\1/p')
	silence=$(echo "$line" | sed -n 's/.* silence_ms=\([0-9]*\).*/\1/p')
	next=$(echo "$line" | sed -n 's/.* next_block=\(-\?[0-9]*\).*/\1/p')
	[ "$first" = "$n" ] ||
		xt_fail "$flavour $file N=$n: after ACK $((n - 1)) twice the first DATA was block $first, want the resend of $n"
	# the timer runs from when DATA N left; it arrived here a little later
	[ "$after" -ge $(( T_MS * 8 / 10 )) ] ||
		xt_fail "$flavour $file N=$n: DATA $n came again ${after} ms after the duplicate ACKs, before the ${T_MS} ms timeout: a duplicate ACK was answered"
	[ "$next" = -1 ] && [ "$silence" -ge $(( T_MS * 3 / 2 )) ] ||
		xt_fail "$flavour $file N=$n: DATA $next ${silence} ms after ACK $((n - 1)) twice, want silence for $(( T_MS * 3 / 2 )) ms"
	xt_check_file "$out" "$XT_ROOT/$file" "$flavour $file N=$n"
	rm -f "$out"
}

for flavour in userspace kernel; do
	if [ "$flavour" = kernel ]; then
		xt_daemon_start -s -i "$XT_IF_SRV" --retransmit-timeout 0.5 --retries 5
	else
		xt_daemon_start -s --no-bpf --retransmit-timeout 0.5 --retries 5
	fi
	probe f5k 2                 # no options: DATA 1 from userspace, 2 the first the kernel sends
	probe f64k 70
	probe f5k 11                # the final block
	probe f5k 3 -o blksize=1468 # after an OACK: the kernel sent every DATA
	xt_wait_idle
	# each probe transfer: 4 duplicate ACKs counted; lock-step, so no
	# resend that the timer did not cause; the kernel served its part
	args=(--lockstep --min 4 --dup-acks 4)
	[ "$flavour" = kernel ] && args+=(--kernel)
	xt_check_transfers "${args[@]}"
	# and the totals: 4 probes x 4 duplicate ACKs, counted once each
	# (whichever tier saw them), in the text and the JSON stats
	dup=$(xt_stat dup_acks)
	[ "$dup" -eq 16 ] || xt_fail "$flavour: stats dup_acks $dup after 4 x 4 duplicate ACKs, want 16"
	dup=$(xt_ctl stats --json | python3 -c 'import json, sys; print(json.load(sys.stdin)["dup_acks"])')
	[ "$dup" -eq 16 ] || xt_fail "$flavour: stats --json dup_acks $dup after 4 x 4 duplicate ACKs, want 16"
	xt_daemon_stop
done
echo "duplicate ACKs: no DATA answered them in either flavour; resends only on the timer, 1.5 timeouts of silence after the backoff"
