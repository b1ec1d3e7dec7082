// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The bare reflector: the benchmark's ceiling, not a TFTP server.
 *
 * A TC ingress program (direct action) that answers, with no session state
 * at all, every IPv4 TFTP packet sent to `port`:
 *   - an RRQ with a fixed OACK (options prepared by the loader, e.g.
 *     "blksize\0001468\0"), from the same port, so the client's TID is `port`;
 *   - an ACK for block b with DATA b+1 of `blksize` zero bytes (fewer for
 *     the last block, none after it), built in the ACK's own skb and sent
 *     back out of the interface it came in on with bpf_redirect.
 * The image it "serves" is therefore image_size zero bytes, and a client
 * can verify that by sha256 like any other download. Block numbers are
 * compared on the wire (16 bits): the image must have fewer than 65535
 * blocks (the loader checks).
 *
 * It costs what any kernel-tier TFTP server must at least spend per block
 * (parse, resize, write headers and payload, checksum, redirect), so a real
 * server's figure divided by this one says how close it gets.
 * Self-contained on purpose: it must not change when the project's BPF
 * programs do.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/in.h>
#include <linux/udp.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define REFL_MAX_BLKSIZE 2048
#define REFL_OACK_MAX 32
#define TFTP_OP_RRQ 1
#define TFTP_OP_DATA 3
#define TFTP_OP_ACK 4
#define TFTP_OP_OACK 6

/* Set by the loader before load. */
const volatile __u16 port = 69;                 /* host byte order */
const volatile __u32 blksize = 1468;            /* <= REFL_MAX_BLKSIZE */
const volatile __u16 final_block = 1;           /* wire number of the last block */
const volatile __u32 last_len = 0;              /* payload of the last block */
const volatile __u8 oack_opts[REFL_OACK_MAX];   /* OACK body after the opcode */
const volatile __u32 oack_len = 0;              /* bytes of oack_opts in use */
const volatile __u32 oack_sum = 0;              /* 16-bit-word sum of oack_opts[0..oack_len) */

/* Zero payload source: a map value, so one bounded helper call copies it. */
__u8 zero_block[REFL_MAX_BLKSIZE];

/* Counters the loader prints at exit: [0] DATA sent, [1] OACK sent,
 * [2] passed (not for us), [3] final ACKs, [4] helper failures. */
__u64 counters[5];

/* 2 bytes of padding first so that the IPv4 header lands 4-byte aligned on
 * the stack; the frame written is everything after `pad`. */
struct reply_hdr {
	__u16 pad;
	struct ethhdr eth;
	struct iphdr ip;
	struct udphdr udp;
	__be16 opcode;
	__be16 block;           /* for an OACK: its first two option bytes */
} __attribute__((aligned(4)));

#define REPLY_HDR_LEN (sizeof(struct reply_hdr) - 2)   /* 46 */

static __always_inline __u16 fold(__u32 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)sum;
}

static __always_inline __u32 sum_words(const void *p, const int n)
{
	const __u16 *w = p;
	__u32 sum = 0;
	int i;

#pragma unroll
	for (i = 0; i < n / 2; i++)
		sum += w[i];
	return sum;
}

SEC("tc")
int reflector(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct udphdr *udp = (void *)(ip + 1);
	__be16 *tftp = (void *)(udp + 1);
	struct reply_hdr r = {};
	__u32 payload, udp_len, sum;
	__u16 op, block, next;
	int action = TC_ACT_OK;

	/* ACKs are 46 bytes; an RRQ is longer but its first 4 bytes do. */
	if ((void *)(tftp + 2) > data_end)
		goto pass;
	if (eth->h_proto != bpf_htons(ETH_P_IP) || ip->ihl != 5 ||
	    ip->protocol != IPPROTO_UDP || (ip->frag_off & bpf_htons(0x3fff)) ||
	    udp->dest != bpf_htons(port))
		goto pass;
	op = bpf_ntohs(tftp[0]);
	block = bpf_ntohs(tftp[1]);

	__builtin_memcpy(r.eth.h_dest, eth->h_source, ETH_ALEN);
	__builtin_memcpy(r.eth.h_source, eth->h_dest, ETH_ALEN);
	r.eth.h_proto = bpf_htons(ETH_P_IP);
	r.ip.version = 4;
	r.ip.ihl = 5;
	r.ip.ttl = 64;
	r.ip.protocol = IPPROTO_UDP;
	r.ip.frag_off = bpf_htons(0x4000);      /* DF */
	r.ip.saddr = ip->daddr;
	r.ip.daddr = ip->saddr;
	r.udp.source = udp->dest;
	r.udp.dest = udp->source;

	if (op == TFTP_OP_ACK) {
		if (block == final_block) {
			__sync_fetch_and_add(&counters[3], 1);
			action = TC_ACT_SHOT;
			goto out;
		}
		next = block + 1;
		payload = next == final_block ? last_len : blksize;
		if (payload > REFL_MAX_BLKSIZE)
			goto pass;
		r.opcode = bpf_htons(TFTP_OP_DATA);
		r.block = bpf_htons(next);
		sum = 0;                /* the payload is zeros */
	} else if (op == TFTP_OP_RRQ) {
		if (oack_len < 2 || oack_len > REFL_OACK_MAX)
			goto pass;
		payload = oack_len - 2;
		r.opcode = bpf_htons(TFTP_OP_OACK);
		/* byte by byte through the volatile: a plain memcpy lets
		 * clang fold the (zero) initial value of the rodata in */
		((__u8 *)&r.block)[0] = oack_opts[0];
		((__u8 *)&r.block)[1] = oack_opts[1];
		/* oack_sum covers oack_opts whole; r.block is summed below */
		sum = oack_sum - (__u32)r.block;
	} else {
		goto pass;
	}

	udp_len = sizeof(struct udphdr) + 4 + payload;
	r.ip.tot_len = bpf_htons(sizeof(struct iphdr) + udp_len);
	r.ip.check = ~fold(sum_words(&r.ip, sizeof(struct iphdr)));
	r.udp.len = bpf_htons(udp_len);
	/* pseudo header + UDP header + TFTP header + payload sum */
	sum += sum_words(&r.ip.saddr, 8) + bpf_htons(IPPROTO_UDP) + r.udp.len;
	sum += sum_words(&r.udp, sizeof(struct udphdr) + 4);
	r.udp.check = ~fold(sum);
	if (!r.udp.check)
		r.udp.check = 0xffff;

	if (bpf_skb_change_tail(skb, REPLY_HDR_LEN + payload, 0))
		goto fail;
	/* Packet pointers are stale now; only store_bytes touches the frame. */
	if (bpf_skb_store_bytes(skb, 0, (__u8 *)&r + 2, REPLY_HDR_LEN, 0))
		goto fail;
	if (op == TFTP_OP_ACK) {
		if (payload && bpf_skb_store_bytes(skb, REPLY_HDR_LEN, zero_block,
						   payload, 0))
			goto fail;
		__sync_fetch_and_add(&counters[0], 1);
	} else {
		if (payload && bpf_skb_store_bytes(skb, REPLY_HDR_LEN, (const void *)(oack_opts + 2),
						   payload, 0))
			goto fail;
		__sync_fetch_and_add(&counters[1], 1);
	}
	action = bpf_redirect(skb->ifindex, 0);
	goto out;
fail:
	/* Half-rewritten: it must not go up the stack. */
	__sync_fetch_and_add(&counters[4], 1);
	action = TC_ACT_SHOT;
	goto out;
pass:
	__sync_fetch_and_add(&counters[2], 1);
out:
	return action;
}

/*
 * Optional (loader --xdp-pass): an XDP program that passes everything. An
 * XDP program on a veth switches its receive path to NAPI (the peer's
 * frames go through a ring and a poll instead of the per-CPU backlog);
 * xtftpd attaches one, so the ceiling must take the same path to compare.
 */
SEC("xdp")
int xdp_pass(struct xdp_md *ctx)
{
	(void)ctx;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
