// SPDX-License-Identifier: GPL-2.0-or-later
/* xtftpd kernel tiers: XDP and TC programs answering TFTP ACKs with DATA.
 * (Placeholder programs: the protocol logic lands with the fast-path issue.) */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include "xtftp_wire.h"
#include "xtftp_kern.h"

struct pool_chunk {
	__u8 data[XT_CHUNK_SIZE];
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct session_key);
	__type(value, struct session_value);
} XT_MAP_SESSIONS SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1); /* sized by the loader from --pool-size */
	__type(key, __u32);
	__type(value, struct pool_chunk);
} XT_MAP_IMAGE_POOL SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XT_STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} XT_MAP_STATS SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XT_HIST_MAX);
	__type(key, __u32);
	__type(value, struct xt_hist);
} XT_MAP_HIST SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} XT_MAP_EVENTS SEC(".maps");

SEC("xdp")
int xdp_tftp(struct xdp_md *ctx)
{
	return XDP_PASS;
}

SEC("tc")
int tc_tftp(struct __sk_buff *skb)
{
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
