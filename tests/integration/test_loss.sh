#!/usr/bin/env bash
# Loss: nftables in the client namespace drops 3 % of the UDP packets in each
# direction (DATA from any tier, and ACKs). tftp-hpa (512, no options),
# busybox (blksize 1468) and, over IPv6, the load generator (512, sha256)
# must still get every file intact in both flavours;
# the daemon must have retransmitted (so the loss was real), timed out no
# transfer before its last block, and sent no more DATA copies than blocks
# + twice the packets the link dropped + 1 % (no Sorcerer's Apprentice
# storm; see the bound below); and, per transfer (both clients are
# lock-step), no resend that neither its timer nor a duplicate ACK of the
# block before (README "Loss recovery", rule 2) caused. Kernel flavour:
# the timer's resends leave from the pool through TC egress (tc_resend),
# so >= 99 % of the DATA copies, resends included, are the kernel tiers'
# (before, every timer resend was userspace's: ~94 % at 3 %).
. "$(dirname "$0")/lib.sh"
xt_require_root
xt_require_cmd nft tftp busybox
xt_require_helper xtftp-loadgen
xt_require_daemon
[ "$XT_TARGET" = hpa ] && xt_skip "needs xtftpd's counters (XT_TARGET=hpa)"
xt_rig_create
LOSS=${XT_LOSS_PERCENT:-3}
# On the client's veth, at the device (netdev ingress/egress), so neither
# sender sees an error (an inet output drop makes sendto fail with EPERM)
# and nothing of the server's XDP/TC path is bypassed.
xt_cli nft -f - <<NFT || xt_fail "nft cannot load the loss rules"
table netdev xtftp_loss {
	chain in { type filter hook ingress device "$XT_IF_CLI" priority 0; meta l4proto udp numgen random mod 100 < $LOSS counter drop; }
	chain out { type filter hook egress device "$XT_IF_CLI" priority 0; meta l4proto udp numgen random mod 100 < $LOSS counter drop; }
}
NFT
xt_make_file "$XT_ROOT/f300k" 307200
xt_make_file "$XT_ROOT/f1m" 1048576
# Blocks per download: size / blksize + 1.
blocks_hpa=$(( 307200 / 512 + 1 ))
blocks_at=$(( 1048576 / 1468 + 1 ))
ROUNDS=2

for flavour in userspace kernel; do
	# A short server timeout (neither client sends the timeout option);
	# the interval doubles per retry up to 8 s, so --retries 9 gives ~37 s
	# of patience: busybox (like atftp) ignores a repeated DATA and resends
	# its ACK only on its own timer, which backs off to seconds, and the
	# backoff lets it be heard. A transfer whose final ACK was lost holds
	# its session that long, hence the idle wait of 60 s below.
	if [ "$flavour" = kernel ]; then
		xt_daemon_start -s -i "$XT_IF_SRV" --retransmit-timeout 0.1 --retries 9
	else
		xt_daemon_start -s --no-bpf --retransmit-timeout 0.1 --retries 9
	fi
	xt_srv nstat -n >/dev/null 2>&1 || true   # reset, for the diagnosis below
	xt_cli nft reset counters table netdev xtftp_loss >/dev/null || xt_fail "cannot reset the loss counters"
	t0=$(xt_now)
	for (( r = 0; r < ROUNDS; r++ )); do
		rc=0; xt_get hpa f300k "$XT_OUT/h" || rc=$?
		[ "$rc" -eq 0 ] && ! xt_client_said_error ||
			xt_fail "$flavour: tftp-hpa under ${LOSS}% loss: exit $rc: $(tail -n 3 "$XT_TMP/client.log")"
		xt_check_file "$XT_OUT/h" "$XT_ROOT/f300k" "$flavour tftp-hpa under loss"
		rc=0; xt_get busybox f1m "$XT_OUT/b" || rc=$?
		[ "$rc" -eq 0 ] ||
			xt_fail "$flavour: busybox under ${LOSS}% loss: exit $rc: $(tail -c 200 "$XT_TMP/client.log" | tr '\r' '\n' | tail -n 2)" \
				"(server: $(xt_srv nstat -a 2>/dev/null | awk '$1 == "UdpNoPorts" { print $2 }') UdpNoPorts;" \
				"pass_no_session $(xt_stat pass_no_session), pass_paused $(xt_stat pass_paused), kernel_takeovers $(xt_stat kernel_takeovers))"
		xt_check_file "$XT_OUT/b" "$XT_ROOT/f1m" "$flavour busybox under loss"
		rm -f "$XT_OUT/h" "$XT_OUT/b"
	done
	# and one over IPv6 (the load generator, sha256 against the file):
	# the kernel flavour's resends then leave through IPV6_PKTINFO
	ip netns exec "$XT_NS_CLI" "$XT_HELPERS/xtftp-loadgen" -s "$XT_SRV6" -f f1m \
		--compare "$XT_ROOT/f1m" -q -T 5000 -r 12 >"$XT_TMP/lg6.log" 2>&1 ||
		xt_fail "$flavour: IPv6 download under ${LOSS}% loss: $(tail -n 3 "$XT_TMP/lg6.log")"
	secs=$(xt_elapsed "$t0")
	xt_wait_idle 60
	failed=$(xt_stat transfers_failed)   # printed; lost final ACKs count here
	retr=$(xt_stat retransmits)
	dup=$(xt_stat dup_acks)
	dupres=$(xt_stat dup_resends)
	sent=$(( $(xt_stat blocks_user) + $(xt_stat blocks_xdp) + $(xt_stat blocks_tc) ))
	unique=$(( ROUNDS * (blocks_hpa + blocks_at) + 1048576 / 512 + 1 ))
	# every packet the rules dropped, both ways (DATA, ACKs, requests)
	lost=$(xt_cli nft list table netdev xtftp_loss | awk '/counter packets/ { for (i = 1; i < NF; i++) if ($i == "packets") n += $(i + 1) } END { print n + 0 }')
	echo "$flavour: $((2 * ROUNDS + 1)) downloads under ${LOSS}% loss in ${secs}s:" \
		"$sent DATA sent for $unique blocks ($(( sent - unique )) extra copies for $lost packets lost)," \
		"$retr retransmits, $dupres resent on duplicate ACKs, $dup duplicate ACKs, $failed final ACKs lost"
	# Every client got its file, so the only failure the server may count
	# is a lost final ACK: the client is gone happy, the server resends the
	# last block until its retries run out ("timeout at block N of N").
	bad_failures=$( { grep -o 'outcome=[a-z]*: timeout at block [0-9]* of [0-9]*' "$XT_DAEMON_LOG" || true; } |
		awk '$(NF - 2) != $NF' | wc -l)
	[ "$bad_failures" -eq 0 ] ||
		xt_fail "$flavour: $bad_failures transfers timed out before their last block although every client succeeded"
	[ "$retr" -gt 0 ] || xt_fail "$flavour: no retransmits: was there any loss?"
	[ "$lost" -gt 0 ] || xt_fail "$flavour: the loss rules dropped nothing"
	# A lost DATA costs one copy (the resend at the adaptive RTO). A lost
	# ACK to busybox, which ignores a repeated DATA and re-ACKs on its own
	# timer only, costs one copy per server timeout until that timer
	# fires (0.1 s here: short so the test is quick): at most two on
	# average. A storm (a duplicate answered by a duplicate) would add a
	# copy per block.
	[ "$sent" -le $(( unique + 2 * lost + unique / 100 + 1 )) ] ||
		xt_fail "$flavour: $sent DATA copies sent > $unique blocks + 2 x $lost packets lost + 1 % (a duplicate storm?)"
	# Per transfer (both clients are lock-step): every resend was the
	# timer's or rule 2's (xfer_check.py --lockstep).
	[ "$dup" -gt 0 ] || xt_note "$flavour: no duplicate ACK seen this run"
	if [ "$flavour" = kernel ]; then
		kern=$(( $(xt_stat blocks_xdp) + $(xt_stat blocks_tc) ))
		timer_k=$(xt_stat kernel_timer_resends)
		echo "kernel: $kern of $sent DATA copies from the kernel tiers" \
			"($(( kern * 1000 / sent / 10 )).$(( kern * 1000 / sent % 10 )) %)," \
			"$timer_k timer resends sent by TC egress ($(xt_stat kernel_resend_refused) refused at egress)," \
			"blocks_user $(xt_stat blocks_user)"
		[ "$(( kern * 100 ))" -ge "$(( sent * 99 ))" ] ||
			xt_fail "kernel: $kern of $sent DATA copies from the kernel tiers, under 99 %"
		[ "$timer_k" -gt 0 ] || xt_fail "kernel: no timer resend went out through TC egress"
	fi
	# (kernel: each transfer had DATA from the kernel tiers, not only the sum)
	xt_check_transfers --lockstep --min $(( 2 * ROUNDS + 1 )) $( [ "$flavour" = kernel ] && echo --kernel)
	xt_daemon_stop
done
echo "loss ${LOSS}%: all downloads intact in both flavours, no duplicate storm"
