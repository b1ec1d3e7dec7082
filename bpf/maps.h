/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The kernel tiers' maps, apart from the logic that uses them (cilium's
 * conntrack_map.h beside conntrack.h). Names, keys and values are the
 * contract in include/xtftp_kern.h; userspace finds the maps by these names
 * through the skeleton and sizes the image pool before load.
 */
#ifndef XTFTP_BPF_MAPS_H
#define XTFTP_BPF_MAPS_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "xtftp_kern.h"
#include "xtftp_inject.h"

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

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XT_XDP_TX_MAX_IFACES);
	__type(key, __u32);
	__type(value, struct xdp_tx_iface);
} XT_MAP_XDP_TX SEC(".maps");

/* Fault injection (xtftp_inject.h): one entry, all zero = off. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xt_inject);
} XT_MAP_INJECT SEC(".maps");

#endif
