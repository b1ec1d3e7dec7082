#!/usr/bin/env bash
# A lost first DATA of a client served before (README "Loss recovery" rule
# 1, proto/peer_rtt.h): the daemon times it by the client's turnaround from
# its last transfer, so it is resent within milliseconds, not after the
# configured timeout, in both flavours (the kernel tiers on the veth, and
# --no-bpf).
#
# The daemon runs with --retransmit-timeout 30 and the client (the load
# generator) waits 3 s for a block and never asks again (-r 0): a client
# the daemon has no turnaround for would fail at 3 s, since nothing times
# its DATA 1 but the 30 s timeout. Per flavour: download 1 (clean: its
# turnaround kept), then nftables on the client's interface drops the first
# copy of DATA 1 (a quota of one frame), download 2 must complete (sha256),
# the drop must have happened, and the stats must say the second download
# was seeded (turnaround_seeded 1) and resent DATA 1 (retransmits 1-3).
# A third download from another address (the client namespace's second
# address) with the same drop gets no seed: it fails.
. "$(dirname "$0")/lib.sh"
xt_require_root
xt_require_cmd nft
xt_require_daemon
[ "$XT_TARGET" = hpa ] && xt_skip "asserts xtftpd's turnaround memory (XT_TARGET=hpa)"
xt_rig_create
IMG="$XT_ROOT/image.bin"
xt_make_file "$IMG" 262144
LOADGEN="$XT_BUILD/tests/xtftp-loadgen"
[ -x "$LOADGEN" ] || xt_fail "no load generator at $LOADGEN (make tests)"
OTHER4="198.18.$XT_NET_IDX.3"    # a second client address, in the client namespace
xt_cli ip addr add "$OTHER4/24" dev "$XT_IF_CLI"

download() {    # download SOURCE_ADDRESS: 0 when the bytes are right
	xt_cli "$LOADGEN" -s "$XT_SRV4" -f image.bin --compare "$IMG" -T 3000 -r 0 -q \
		${1:+--src-addr "$1"} > /dev/null 2>&1
}

drop_first_data1() {
	xt_cli nft delete table netdev xtfirst 2>/dev/null || true
	xt_cli nft -f - <<-NFT || xt_fail "nft cannot load the drop rule"
	table netdev xtfirst {
		counter dropped { }
		chain in {
			type filter hook ingress device "$XT_IF_CLI" priority 0; policy accept;
			udp sport != 69 @th,64,32 0x00030001 quota until 600 bytes counter name dropped drop
		}
	}
	NFT
	xt_on_cleanup "ip netns exec $XT_NS_CLI nft delete table netdev xtfirst"
}

dropped() {
	xt_cli nft -j list counter netdev xtfirst dropped |
		python3 -c 'import json,sys; print([o["counter"]["packets"] for o in json.load(sys.stdin)["nftables"] if "counter" in o][0])'
}

for flavour in kernel userspace; do
	if [ "$flavour" = kernel ]; then
		xt_daemon_start -s -i "$XT_IF_SRV" --retransmit-timeout 30
	else
		xt_daemon_start -s --no-bpf --retransmit-timeout 30
	fi
	xt_cli nft delete table netdev xtfirst 2>/dev/null || true
	download || xt_fail "$flavour: the clean download failed"
	xt_wait_idle 10
	[ "$(xt_stat turnaround_seeded)" = 0 ] || xt_fail "$flavour: a first download was seeded"

	drop_first_data1
	download || xt_fail "$flavour: DATA 1 lost, the client's second download failed:" \
		"not resent before its 3 s timer (turnaround_seeded $(xt_stat turnaround_seeded))"
	xt_wait_idle 10
	[ "$(dropped)" = 1 ] || xt_fail "$flavour: nftables dropped $(dropped) DATA 1, want 1"
	[ "$(xt_stat turnaround_seeded)" = 1 ] ||
		xt_fail "$flavour: turnaround_seeded $(xt_stat turnaround_seeded), want 1"
	# retransmits counts the timer's resends in both flavours (the kernel
	# flavour's leave from the pool: kernel_timer_resends); a slow daemon
	# (ASan) may resend DATA 1 once more in the fast phase before the
	# client's answer to the first resend is read
	resent=$(xt_stat retransmits)
	[ "$resent" -ge 1 ] && [ "$resent" -le 3 ] ||
		xt_fail "$flavour: $resent DATA resent, want 1 to 3 (DATA 1 in the fast phase)"
	echo "$flavour: DATA 1 lost, resent on the client's last turnaround: download 2 intact"

	# another address: nothing known, the 30 s timeout times its DATA 1
	drop_first_data1
	if download "$OTHER4"; then
		xt_fail "$flavour: a client never served before got its lost DATA 1 within 3 s" \
			"(the drop rule or the seed keyed on more than the address?)"
	fi
	[ "$(dropped)" = 1 ] || xt_fail "$flavour: nftables dropped $(dropped) DATA 1 of $OTHER4, want 1"
	[ "$(xt_stat turnaround_seeded)" = 1 ] ||
		xt_fail "$flavour: $OTHER4 was seeded from another client's turnaround"
	echo "$flavour: a new client's lost DATA 1 waits for the configured timeout (its download failed at 3 s, as meant)"
	xt_daemon_stop
done
echo "first DATA lost: resent on the client's last turnaround in both flavours"
