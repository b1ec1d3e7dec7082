#!/usr/bin/env bash
# Fault injection with real clients (issue 8), both tiers:
#  userspace (--no-bpf): `xtftpctl inject drop --blocks 3,100,500` before a
#    tftp-hpa download (512-byte lock-step) and an atftp one (blksize 1468,
#    windowsize 8): files intact by sha256, inject_drop grows by exactly the
#    number of blocks chosen per transfer, retransmits at least as much;
#    `inject dup --prob 0.2`: intact, inject_dup > 0; a --client-ip filter
#    for another host faults nothing; --clear. No retransmit storm: each
#    lock-step transfer (tftp-hpa) resent no more than it timed out.
#  kernel (-i, --inject drop:blocks=... at start): the TC tier drops the
#    chosen blocks (kernel_inject_drop), userspace resends them on its
#    timeout, the file is intact; dup in TC sends the clone.
# Bad values are usage errors (exit 2) and change nothing.
. "$(dirname "$0")/lib.sh"
xt_require_root
xt_require_cmd tftp atftp sha256sum
xt_require_daemon
[ "$XT_TARGET" = hpa ] && xt_skip "needs xtftpd's fault injection (XT_TARGET=hpa)"
xt_rig_create
xt_make_file "$XT_ROOT/f1m" 1048576
BLOCKS="3,100,500"
NB=3

stat_or_fail() { xt_stat "$1" || xt_fail "xtftpctl stats has no $1"; }

get_ok() {
	local variant=$1 out=$2 rc=0
	xt_get "$variant" f1m "$out" || rc=$?
	[ "$rc" -eq 0 ] || xt_fail "$variant: client exit $rc: $(tail -n 3 "$XT_TMP/client.log")"
	[ "$variant" = hpa ] && xt_client_said_error &&
		xt_fail "$variant: client reported: $(tail -n 3 "$XT_TMP/client.log")"
	xt_check_file "$out" "$XT_ROOT/f1m" "$variant download with injected faults"
	rm -f "$out"
}

# ---- userspace tier --------------------------------------------------------------
xt_daemon_start -s --no-bpf --retransmit-timeout 0.2 --retries 10
# usage errors: exit 2, setting unchanged
for bad in "drop --prob 2" "drop --blocks 0" "drop --client-ip nohost" "drop --client-mac zz" \
	   "flood" "--clear --prob 0.5"; do
	rc=0
	# shellcheck disable=SC2086
	xt_ctl inject $bad >/dev/null 2>&1 || rc=$?
	[ "$rc" -eq 2 ] || xt_fail "xtftpctl inject $bad: exit $rc, want 2 (usage error)"
done
xt_ctl inject | grep -qx 'inject off' || xt_fail "injection not off at start: $(xt_ctl inject)"

out=$(xt_ctl inject drop --blocks "$BLOCKS") || xt_fail "xtftpctl inject drop failed"
echo "$out" | grep -qx "inject drop prob=1.0000 blocks=$BLOCKS" ||
	xt_fail "inject answered '$out'"
for v in hpa atftp; do
	d0=$(stat_or_fail inject_drop); r0=$(stat_or_fail retransmits)
	t0=$(xt_now)
	get_ok "$v" "$XT_OUT/$v.bin"
	xt_wait_idle
	d1=$(stat_or_fail inject_drop); r1=$(stat_or_fail retransmits)
	echo "userspace $v: blocks $BLOCKS dropped: inject_drop +$((d1 - d0)), retransmits +$((r1 - r0)), $(xt_elapsed "$t0")s"
	[ $((d1 - d0)) -eq "$NB" ] || xt_fail "$v: inject_drop grew by $((d1 - d0)), want $NB"
	[ $((r1 - r0)) -ge "$NB" ] || xt_fail "$v: retransmits grew by $((r1 - r0)), want >= $NB"
done
# the events carry the per-transfer count
xt_ctl transfers --json | grep -q '"inject_drops":3' ||
	xt_fail "no transfer record with inject_drops 3 in transfers --json"

# a filter for another client: nothing happens
xt_ctl inject drop --prob 1 --client-ip 198.18.250.250 >/dev/null || xt_fail "inject with a filter"
d0=$(stat_or_fail inject_drop)
get_ok hpa "$XT_OUT/filtered.bin"
[ "$(stat_or_fail inject_drop)" -eq "$d0" ] || xt_fail "a --client-ip filter for another host dropped frames"

# duplicates: harmless to a correct client, counted
xt_ctl inject dup --prob 0.2 >/dev/null || xt_fail "inject dup"
u0=$(stat_or_fail inject_dup)
get_ok atftp "$XT_OUT/dup.bin"
xt_wait_idle
u1=$(stat_or_fail inject_dup)
echo "userspace atftp: dup prob 0.2: inject_dup +$((u1 - u0))"
[ $((u1 - u0)) -gt 0 ] || xt_fail "inject dup --prob 0.2 duplicated nothing in 715 blocks"
# tftp-hpa (lock-step) ACKs each duplicated DATA again: those duplicate
# ACKs must go unanswered (checked per transfer below)
get_ok hpa "$XT_OUT/duph.bin"
xt_wait_idle
echo "userspace hpa: dup prob 0.2: inject_dup +$(( $(stat_or_fail inject_dup) - u1 )), dup_acks $(stat_or_fail dup_acks)"
xt_ctl inject --clear | grep -qx 'inject off' || xt_fail "--clear did not turn injection off"
# the lock-step ones (tftp-hpa): every resend came from a timeout, none
# from a duplicate ACK (atftp's windows are not lock-step: not counted)
xt_check_transfers --lockstep --min 5
xt_daemon_stop

# ---- kernel tiers --------------------------------------------------------------------
xt_daemon_start -s -i "$XT_IF_SRV" --retransmit-timeout 0.2 --retries 10 --inject "drop:blocks=$BLOCKS"
# (xt_daemon_start failed already unless bpf_active is 1)
{
	xt_ctl inject | grep -qx "inject drop prob=1.0000 blocks=$BLOCKS" ||
		xt_fail "--inject not shown by xtftpctl inject: $(xt_ctl inject)"
	k0=$(stat_or_fail kernel_inject_drop); r0=$(stat_or_fail retransmits)
	t0=$(xt_now)
	get_ok hpa "$XT_OUT/k.bin"
	xt_wait_idle
	k1=$(stat_or_fail kernel_inject_drop); r1=$(stat_or_fail retransmits)
	tc=$(stat_or_fail blocks_tc)
	echo "kernel hpa: blocks $BLOCKS dropped in TC: kernel_inject_drop +$((k1 - k0)), retransmits +$((r1 - r0)), blocks_tc $tc, $(xt_elapsed "$t0")s"
	[ $((k1 - k0)) -eq "$NB" ] || xt_fail "kernel: kernel_inject_drop grew by $((k1 - k0)), want $NB"
	[ $((r1 - r0)) -ge "$NB" ] || xt_fail "kernel: retransmits grew by $((r1 - r0)), want >= $NB (userspace resends what TC dropped)"
	[ "$(stat_or_fail inject_drop)" -ge "$NB" ] || xt_fail "inject_drop does not include the kernel's drops"
	xt_ctl transfers --json | grep -q '"inject_drops":3' ||
		xt_fail "the kernel transfer's record lacks inject_drops 3 (transfers --json)"

	xt_ctl inject dup --prob 0.2 >/dev/null || xt_fail "inject dup (kernel)"
	u0=$(stat_or_fail kernel_inject_dup)
	get_ok hpa "$XT_OUT/kdup.bin"
	xt_wait_idle
	u1=$(stat_or_fail kernel_inject_dup)
	echo "kernel hpa: dup prob 0.2: kernel_inject_dup +$((u1 - u0)), dup_acks $(stat_or_fail dup_acks)"
	[ $((u1 - u0)) -gt 0 ] || xt_fail "TC duplicated nothing at prob 0.2 over 2049 blocks"
	# tftp-hpa ACKs each duplicated DATA again: those duplicate ACKs
	# must not be answered (retransmits <= timeouts per transfer)
	xt_check_transfers --lockstep --kernel --min 2
}
xt_daemon_stop
echo "fault injection: drops at chosen blocks counted exactly and recovered, dups counted, files intact"
