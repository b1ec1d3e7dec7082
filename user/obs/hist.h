/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Latency histograms with log2 buckets of nanoseconds, the layout the BPF
 * programs use (struct xt_hist in xtftp_kern.h): bucket b counts values in
 * [2^b, 2^(b+1)) ns, bucket 0 also counts 0. One type for both tiers, so a
 * userspace-served transfer and a kernel-served one compare bucket by bucket.
 */
#ifndef XTFTP_HIST_H
#define XTFTP_HIST_H

#include <stdint.h>
#include <linux/types.h>
#include "xtftp_kern.h"

#define HIST_BUCKETS XT_HIST_BUCKETS

struct hist {
	uint64_t bucket[HIST_BUCKETS];
	uint64_t sum_ns;
	uint64_t count;
};

/* Bucket of a value: floor(log2(ns)), 0 for 0 and 1 (as the BPF side). */
static inline unsigned int hist_bucket_of(uint64_t ns)
{
	return ns ? 63u - (unsigned int)__builtin_clzll(ns) : 0u;
}

/* Lowest value of bucket b (0 for bucket 0) and the first value above it. */
static inline uint64_t hist_bucket_low(unsigned int b)
{
	return b ? 1ull << b : 0;
}

static inline uint64_t hist_bucket_high(unsigned int b)
{
	return b >= 63 ? UINT64_MAX : 1ull << (b + 1);
}

void hist_record(struct hist *h, uint64_t ns);
void hist_merge(struct hist *dst, const struct hist *src);
/* Add the kernel's histogram (already summed over CPUs by fastpath_read_hist). */
void hist_merge_kern(struct hist *dst, const struct xt_hist *src);
/* Sum of the buckets: equals count unless the kernel raced a reader. */
uint64_t hist_total(const struct hist *h);
/*
 * Estimate the q-quantile (0 <= q <= 1) in ns: find the bucket holding the
 * rank ceil(q * n), interpolate linearly inside it. The error is bounded by
 * the bucket width (a factor of 2). 0 for an empty histogram.
 */
uint64_t hist_quantile(const struct hist *h, double q);
/* Mean in ns (0 when empty). */
uint64_t hist_mean(const struct hist *h);

#endif
