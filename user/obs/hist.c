// SPDX-License-Identifier: GPL-2.0-or-later
/* Log2-ns latency histograms (see hist.h). */
#include <string.h>
#include "hist.h"

void hist_record(struct hist *h, uint64_t ns)
{
	h->bucket[hist_bucket_of(ns)]++;
	h->sum_ns += ns;
	h->count++;
}

void hist_merge(struct hist *dst, const struct hist *src)
{
	for (unsigned int b = 0; b < HIST_BUCKETS; b++)
		dst->bucket[b] += src->bucket[b];
	dst->sum_ns += src->sum_ns;
	dst->count += src->count;
}

void hist_merge_kern(struct hist *dst, const struct xt_hist *src)
{
	for (unsigned int b = 0; b < HIST_BUCKETS; b++)
		dst->bucket[b] += src->bucket[b];
	dst->sum_ns += src->sum_ns;
	dst->count += src->count;
}

uint64_t hist_total(const struct hist *h)
{
	uint64_t n = 0;

	for (unsigned int b = 0; b < HIST_BUCKETS; b++)
		n += h->bucket[b];
	return n;
}

uint64_t hist_quantile(const struct hist *h, double q)
{
	/* ranks from the buckets, not from count: the kernel's per-CPU
	 * counters are read without a lock, so the two can differ by a few */
	uint64_t n = hist_total(h), rank, seen = 0;

	if (!n)
		return 0;
	if (q < 0)
		q = 0;
	if (q > 1)
		q = 1;
	/* ceil(q * n) without libm; the tiny shrink keeps 0.9 * 100 (which
	 * is 90.00000000000001 in binary) at rank 90 */
	{
		double r = q * (double)n * (1.0 - 1e-12);

		rank = (uint64_t)r;
		if ((double)rank < r)
			rank++;
	}
	if (rank < 1)
		rank = 1;
	for (unsigned int b = 0; b < HIST_BUCKETS; b++) {
		double lo, hi, frac;

		if (!h->bucket[b] || seen + h->bucket[b] < rank) {
			seen += h->bucket[b];
			continue;
		}
		lo = (double)hist_bucket_low(b);
		hi = (double)hist_bucket_high(b);
		/* the rank-th value sits (rank - seen) / count of the way up */
		frac = (double)(rank - seen) / (double)h->bucket[b];
		return (uint64_t)(lo + (hi - lo) * frac);
	}
	return hist_bucket_high(HIST_BUCKETS - 1);
}

uint64_t hist_mean(const struct hist *h)
{
	return h->count ? h->sum_ns / h->count : 0;
}
