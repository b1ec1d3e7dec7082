// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * xtftpd kernel tiers: XDP and TC programs answering TFTP ACKs with DATA.
 *
 * Both take a TFTP ACK for a session userspace handed to the kernel, and
 * turn the ACK frame itself into the next DATA frame (or, on a duplicate
 * ACK after the gap, xtftp_rto.h rule 2, into the outstanding block once
 * more): resize it, write the headers and the block from the image pool,
 * and send it back out of the interface it came in on. A new ACK and a
 * resend take the same path: settle_ack says which blocks, claim_send and
 * commit_send account for them. The protocol logic lives once in tftp_logic.h
 * (parse.h, csum.h), the maps in maps.h, the reply writer once in reply.h
 * over ctx.h's store shim; this file holds the two entry points, which
 * differ only in how they resize and transmit.
 *
 * Anything a program cannot do it passes on untouched (XDP_PASS, TC_ACT_UNSPEC)
 * and counts why: XDP passes to TC, TC to the userspace engine.
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <linux/errno.h>
#include <bpf/bpf_helpers.h>
#include "xtftp_wire.h"
#include "xtftp_kern.h"
#include "xtftp_inject.h"

#include "maps.h"
#include "tftp_logic.h"
#include "reply.h"

/* TC "pass": TC_ACT_UNSPEC lets the next tcx/clsact program of other software
 * see the packet (TC_ACT_OK would end the chain); with none, it goes up. */
#define XT_TC_PASS TC_ACT_UNSPEC

/* XDP writes the whole reply, Ethernet header included, into the frame. */
DEFINE_WRITE_REPLY(xdp_write_reply, struct xdp_md, xdp_store_bytes, __always_inline)

SEC("xdp")
int xdp_tftp(struct xdp_md *ctx)
{
	__u64 t0 = bpf_ktime_get_ns();
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 frame_len = data_end - data;
	struct ack_decision d = {};
	struct session_value *sess;
	struct tftp_ack ack = {};
	struct block_src b;
	int action = XDP_PASS;
	int handed_on = 0;      /* passed to the TC tier, which counts the ACK */
	const struct xt_inject *inj;
	struct xdp_tx_iface *tx;
	__u32 inject, reply_len, grow_fail;
	int reason, cls;

	reason = parse_tftp_ack(data, data_end, frame_len, 0, &ack);
	if (reason)
		goto pass;
	ack.key.ifindex = ctx->ingress_ifindex;
	sess = bpf_map_lookup_elem(&XT_MAP_SESSIONS, &ack.key);
	if (!sess) {
		reason = XT_STAT_PASS_NO_SESSION;
		goto pass;
	}

	cls = settle_ack(sess, &ack, &d, t0);
	if (cls == ACK_PASS) {
		reason = d.reason;
		goto pass_ack;
	}
	if (cls != ACK_NEW && cls != ACK_RESEND) {
		/* duplicate, never sent or final: done with */
		action = XDP_DROP;
		goto ack_out;
	}

	/* ACK_NEW or ACK_RESEND: send d.first..d.last. XDP_TX sends one
	 * frame per ACK: windows of more than one block are TC's (a window
	 * cut to one block by the end of the image, and a resend, one block
	 * in any session, are served here). */
	if (d.last != d.first) {
		reason = XT_STAT_PASS_WINDOW;
		handed_on = 1;
		goto pass_ack;
	}
	/* XDP transmits only where the loader said it can (see xtftp_kern.h). */
	tx = bpf_map_lookup_elem(&XT_MAP_XDP_TX, &ack.key.ifindex);
	if (!tx) {
		reason = XT_STAT_PASS_XDP_TX_OFF;
		handed_on = 1;
		goto pass_ack;
	}
	/* Fault injection: XDP_TX sends one frame per ACK, so a frame to be
	 * duplicated is TC's (which decides afresh); a drop is done here. A
	 * resend is a retransmission (xtftp_inject.h: faulted only when no
	 * block list is set), as userspace's are. */
	inj = inject_for(&ack);
	inject = inj ? xt_inject_block_fault(inj, d.first, !d.resend, bpf_get_prandom_u32()) :
		       XT_INJECT_OFF;
	if (inject == XT_INJECT_DUP) {
		reason = XT_STAT_PASS_INJECT;
		handed_on = 1;
		goto pass_ack;
	}
	if (inject == XT_INJECT_DROP) {
		/* not sent, but the session advances as if it had been: the
		 * client's timeout and userspace's resend recover it */
		if (claim_send(sess, &d, t0)) {
			commit_send(sess, &d, d.first, 1, block_len(sess, d.first), t0, 0);
			stat_add(XT_STAT_INJECT_DROP, 1);
			sess->inject_drops++;
		}
		action = XDP_DROP;
		goto ack_out;
	}
	/* Everything that can fail without touching the frame comes first. */
	reason = block_locate(sess, d.first, &b);
	if (reason)
		goto pass_ack;
	/* Growth is learnt on this interface's own frames: a length that
	 * failed once goes to TC untried (xtftp_kern.h, struct xdp_tx_iface). */
	reply_len = ack.l3_off + reply_l3_len(&ack, &b);
	grow_fail = READ_ONCE(tx->grow_fail_len);
	if (grow_fail && reply_len >= grow_fail) {
		reason = XT_STAT_PASS_GROW_FAILED;
		handed_on = 1;
		goto pass_ack;
	}
	if (bpf_xdp_adjust_tail(ctx, (int)reply_len - (int)frame_len)) {
		/* The frame is unchanged when the grow fails (the driver's
		 * buffer has no room: tap, skb-backed frames): TC will serve
		 * it. Racing CPUs may both write; either length is right. */
		if (!grow_fail || reply_len < grow_fail)
			WRITE_ONCE(tx->grow_fail_len, reply_len);
		reason = XT_STAT_PASS_GROW_FAILED;
		handed_on = 1;
		goto pass_ack;
	}
	/* (a reply no longer than the ACK, an empty final block, proves
	 * nothing about growth) */
	if (reply_len > frame_len && reply_len > READ_ONCE(tx->grow_ok_len))
		WRITE_ONCE(tx->grow_ok_len, reply_len);
	/* data/data_end are stale now, and nothing below uses them: the
	 * frame is written only through bpf_xdp_store_bytes, which checks
	 * its bounds against the resized frame itself.
	 * From here the frame is modified: a failure drops it and leaves the
	 * resend to userspace's timeout (or the client's retried ACK, the
	 * claim being given back). */
	if (!claim_send(sess, &d, t0)) {
		action = XDP_DROP;
		goto ack_out;
	}
	if (xdp_write_reply(ctx, &ack, d.first, &b, 1)) {
		unclaim_send(sess, &d, t0);
		stat_add(XT_STAT_PASS_HELPER_FAILED, 1);
		action = XDP_DROP;
		goto ack_out;
	}
	commit_send(sess, &d, d.first, 1, b.len, t0, 0);
	hist_add(XT_HIST_ACK_TO_DATA, bpf_ktime_get_ns() - t0);
	action = XDP_TX;
	goto ack_out;

pass_ack:
	stat_add(reason, 1);
	action = XDP_PASS;
ack_out:
	if (!handed_on)
		stat_add(XT_STAT_ACK_SEEN, 1);
	goto out;
pass:
	stat_add(reason, 1);
	action = XDP_PASS;
out:
	return action;
}

/*
 * --check-config's growth probe, attached for a moment to an interface whose
 * xdp_tx_ifaces entry has a probe_len: the first frame that arrives is grown
 * to probe_len, the outcome recorded, and the frame shrunk back to its own
 * length and passed on unchanged (the grown bytes were never part of it).
 */
SEC("xdp")
int xdp_grow_probe(struct xdp_md *ctx)
{
	__u32 ifindex = ctx->ingress_ifindex;
	struct xdp_tx_iface *tx = bpf_map_lookup_elem(&XT_MAP_XDP_TX, &ifindex);
	int len = (int)((long)ctx->data_end - (long)ctx->data);
	int target;

	if (!tx || !tx->probe_len || tx->grow_ok_len || tx->grow_fail_len)
		return XDP_PASS;
	target = (int)(tx->probe_len & 0xffff);
	if (len >= target)
		return XDP_PASS;
	if (bpf_xdp_adjust_tail(ctx, target - len)) {
		tx->grow_fail_len = (__u32)target;
		return XDP_PASS;
	}
	tx->grow_ok_len = (__u32)target;
	bpf_xdp_adjust_tail(ctx, len - target);
	return XDP_PASS;
}

/* At TC ingress a VLAN tag sits in skb->vlan_tci, not in the frame; it
 * stays set, so egress puts the tag back. Not inlined: inside the window
 * loop clang would otherwise spill enough around the helper calls to bring
 * tc_tftp near the 512-byte stack limit; as a BPF-to-BPF call its frame
 * exists only while it runs. */
DEFINE_WRITE_REPLY(tc_write_reply, struct __sk_buff, skb_store_bytes, __noinline)

/* Largest frame an ACK can be (tagged IPv6, plus Ethernet padding slack):
 * a non-linear skb that small is pulled so the parser sees it all. */
#define XT_ACK_FRAME_MAX 128

SEC("tc")
int tc_tftp(struct __sk_buff *skb)
{
	__u64 t0 = bpf_ktime_get_ns();
	struct ack_decision d = {};
	struct session_value *sess;
	struct tftp_ack ack = {};
	struct block_src b;
	void *data, *data_end;
	__u32 frame_len = skb->len;
	__u32 blk = 0, sent = 0, last_blk = 0, i;
	__u64 bytes = 0;
	int action = XT_TC_PASS;
	int claimed = 0, touched = 0;
	int tag_outside = 0;
	int l2_done = 0;        /* the reply's layer 2 is in the skb */
	const struct xt_inject *inj;
	__u32 inject = XT_INJECT_OFF;
	int reason, cls;

	if (frame_len <= XT_ACK_FRAME_MAX && skb->data_end - skb->data < frame_len)
		bpf_skb_pull_data(skb, frame_len);
	/* Read the packet pointers only now: pulling invalidates them. */
	data = (void *)(long)skb->data;
	data_end = (void *)(long)skb->data_end;

	if (skb->vlan_present)
		tag_outside = 1;
	reason = parse_tftp_ack(data, data_end, frame_len, tag_outside, &ack);
	if (reason)
		goto pass;
	if (tag_outside)
		ack.key.vlan_id = skb->vlan_tci & XT_VLAN_VID_MASK;
	ack.key.ifindex = skb->ifindex;
	sess = bpf_map_lookup_elem(&XT_MAP_SESSIONS, &ack.key);
	if (!sess) {
		reason = XT_STAT_PASS_NO_SESSION;
		goto pass;
	}
	stat_add(XT_STAT_ACK_SEEN, 1);

	cls = settle_ack(sess, &ack, &d, t0);
	if (cls == ACK_PASS) {
		reason = d.reason;
		goto pass;
	}
	if (cls != ACK_NEW && cls != ACK_RESEND) {
		/* duplicate, never sent or final: done with */
		action = TC_ACT_SHOT;
		goto out;
	}

	inj = inject_for(&ack);
	/*
	 * ACK_NEW or ACK_RESEND (one block): send blocks first..last. Each block is built in this skb;
	 * all but the last leave as clones (bpf_clone_redirect copies the skb
	 * and unshares ours, so rewriting it next does not touch the clone
	 * already queued), the last leaves as the skb itself (bpf_redirect).
	 */
	for (i = 0; i < XT_KERN_MAX_WINDOW; i++) {
		blk = d.first + i;
		if (blk > d.last)
			break;
		inject = inj ? xt_inject_block_fault(inj, blk, !d.resend, bpf_get_prandom_u32()) :
			       XT_INJECT_OFF;
		if (inject == XT_INJECT_DROP) {
			/* not sent, accounted as sent (xtftp_inject.h) */
			if (!claimed) {
				if (!claim_send(sess, &d, t0)) {
					action = TC_ACT_SHOT;
					goto out;
				}
				claimed = 1;
			}
			stat_add(XT_STAT_INJECT_DROP, 1);
			sess->inject_drops++;
			last_blk = blk;
			bytes += block_len(sess, blk);
			sent++;
			if (blk == d.last)
				break;
			continue;
		}
		reason = block_locate(sess, blk, &b);
		if (reason)
			goto fail;
		if (ack.l3_off + reply_l3_len(&ack, &b) != skb->len) {
			if (bpf_skb_change_tail(skb, ack.l3_off + reply_l3_len(&ack, &b), 0)) {
				reason = XT_STAT_PASS_HELPER_FAILED;
				goto fail;
			}
			/* No packet pointer is used after this: the frame is
			 * only written through bpf_skb_store_bytes, which
			 * checks its own bounds on the resized skb. */
		}
		touched = 1;
		if (!claimed) {
			if (!claim_send(sess, &d, t0)) {
				action = TC_ACT_SHOT;
				goto out;
			}
			claimed = 1;
		}
		if (tc_write_reply(skb, &ack, blk, &b, !l2_done)) {
			reason = XT_STAT_PASS_HELPER_FAILED;
			goto fail;
		}
		l2_done = 1;
		/* dup: one more copy leaves as a clone first */
		if (inject == XT_INJECT_DUP && !bpf_clone_redirect(skb, skb->ifindex, 0)) {
			stat_add(XT_STAT_INJECT_DUP, 1);
			sess->inject_dups++;
		}
		if (blk == d.last) {
			last_blk = blk;
			bytes += b.len;
			sent++;
			break;
		}
		if (bpf_clone_redirect(skb, skb->ifindex, 0)) {
			reason = XT_STAT_PASS_HELPER_FAILED;
			goto fail;
		}
		last_blk = blk;
		bytes += b.len;
		sent++;
	}
	if (last_blk != d.last) {       /* the loop bound cut the window */
		reason = XT_STAT_PASS_BAD_SESSION;
		goto fail;
	}
	commit_send(sess, &d, last_blk, sent, bytes, t0, 1);
	hist_add(XT_HIST_ACK_TO_DATA, bpf_ktime_get_ns() - t0);
	if (inject == XT_INJECT_DROP) {
		/* the last block was dropped: the skb holds nothing to send
		 * (or an earlier block, already sent as a clone) */
		action = TC_ACT_SHOT;
		goto out;
	}
	action = bpf_redirect(skb->ifindex, 0);
	goto out;

fail:
	stat_add(reason, 1);
	if (!touched && !claimed) {
		action = XT_TC_PASS;    /* untouched: userspace serves it */
		goto out;
	}
	/* (claimed but untouched: only blocks dropped by fault injection
	 * went "out"; they are committed below like sent ones) */
	/* The skb is (partly) rewritten: it must not go up the stack. Keep
	 * what did leave as clones; give back a claim nothing came of. */
	if (sent)
		commit_send(sess, &d, last_blk, sent, bytes, t0, 1);
	else if (claimed)
		unclaim_send(sess, &d, t0);
	action = TC_ACT_SHOT;
	goto out;
pass:
	stat_add(reason, 1);
	action = XT_TC_PASS;
out:
	return action;
}

/* Largest frame a resend request can be (IPv6; struct xt_resend_req). */
#define XT_RESEND_FRAME_MAX 128

/*
 * TC egress: a resend request from the daemon's timer (struct
 * xt_resend_req, xtftp_kern.h) becomes DATA `block` of its session, built
 * from the pool by the same writer as the ingress reply, and leaves in its
 * place. The session's progress is left as it is: the daemon's timer counts
 * the resend (it decided it); the session counts the block as TC's and in
 * timer_resends, which tells the daemon the kernel sent it, and remembers
 * it as the block resent last, as a resend on a duplicate ACK does (and
 * as userspace's xfer does for its timer's): the ACK that acknowledges it
 * may answer either copy, so it is no turnaround sample (Karn), and the
 * client's answer to both copies is an echo. Without it, a lost first
 * DATA of the kernel's, resent by the timer after the clean-link floor
 * (up to 50 ms), made the estimate's first sample that long, and every
 * RTO after it for hundreds of blocks. Every other frame goes on
 * untouched; a request that cannot be served is dropped.
 */
SEC("tc")
int tc_resend(struct __sk_buff *skb)
{
	struct tftp_ack ack = {};
	struct session_value *sess;
	struct block_src b;
	void *data, *data_end;
	__u32 blk = 0, last_acked, last_sent;
	int reason;

	if (skb->len > XT_RESEND_FRAME_MAX)
		return TC_ACT_OK;
	if (skb->data_end - skb->data < skb->len)
		bpf_skb_pull_data(skb, skb->len);
	data = (void *)(long)skb->data;
	data_end = (void *)(long)skb->data_end;
	reason = parse_resend_req(data, data_end, &ack, &blk);
	if (reason == XT_RESEND_NOT_MINE)
		return TC_ACT_OK;
	if (reason)
		goto refuse;
	if (ack.key.ifindex != skb->ifindex || skb->vlan_present)
		goto refuse;
	sess = bpf_map_lookup_elem(&XT_MAP_SESSIONS, &ack.key);
	if (!sess)
		goto refuse;
	if (READ_ONCE(sess->state) != XT_SESS_ACTIVE)
		goto refuse;
	/* only a block sent and not yet acknowledged: a late timer (the
	 * client's ACK came meanwhile) sends nothing */
	last_acked = READ_ONCE(sess->last_acked);
	last_sent = READ_ONCE(sess->last_sent);
	if (blk == 0 || (__s32)(blk - last_acked) <= 0 || (__s32)(last_sent - blk) < 0)
		goto refuse;
	if (block_locate(sess, blk, &b))
		goto refuse;
	if (bpf_skb_change_tail(skb, ack.l3_off + reply_l3_len(&ack, &b), 0))
		goto refuse;
	if (tc_write_reply(skb, &ack, blk, &b, 1))
		goto refuse;
	count_data(sess, 1, b.len, 1);
	WRITE_ONCE(sess->last_resent, blk);
	__sync_fetch_and_add(&sess->timer_resends, 1);
	stat_add(XT_STAT_TIMER_RESEND, 1);
	return TC_ACT_OK;
refuse:
	stat_add(XT_STAT_RESEND_REFUSED, 1);
	return TC_ACT_SHOT;
}

char LICENSE[] SEC("license") = "GPL";
