// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests: log2-ns histograms (user/hist.c): bucketing as the BPF side
 * does it, merging (also from the kernel's struct xt_hist), quantiles. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "obs/hist.h"

/* The BPF programs' bucket function (bpf/tftp_logic.h log2_u64), copied here
 * to prove both sides put a value in the same bucket. */
static unsigned int bpf_log2(uint64_t v)
{
	unsigned int r = 0;

	if (v >> 32) { v >>= 32; r += 32; }
	if (v >> 16) { v >>= 16; r += 16; }
	if (v >> 8)  { v >>= 8;  r += 8; }
	if (v >> 4)  { v >>= 4;  r += 4; }
	if (v >> 2)  { v >>= 2;  r += 2; }
	if (v >> 1)  { r += 1; }
	return r;
}

static void test_bucket_bounds(void **state)
{
	(void)state;
	assert_int_equal(hist_bucket_of(0), 0);
	assert_int_equal(hist_bucket_of(1), 0);
	assert_int_equal(hist_bucket_of(2), 1);
	assert_int_equal(hist_bucket_of(3), 1);
	assert_int_equal(hist_bucket_of(4), 2);
	assert_int_equal(hist_bucket_of(1023), 9);
	assert_int_equal(hist_bucket_of(1024), 10);
	assert_int_equal(hist_bucket_of(UINT64_MAX), 63);
	for (unsigned int b = 1; b < 63; b++) {
		assert_int_equal(hist_bucket_of(hist_bucket_low(b)), b);
		assert_int_equal(hist_bucket_of(hist_bucket_high(b) - 1), b);
		assert_int_equal(hist_bucket_of(hist_bucket_high(b)), b + 1);
	}
}

static void test_bucket_matches_bpf(void **state)
{
	uint64_t x = 88172645463325252ull;

	(void)state;
	for (int i = 0; i < 100000; i++) {
		/* xorshift, shifted so every magnitude shows up */
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		uint64_t v = x >> (i % 64);

		assert_int_equal(hist_bucket_of(v), bpf_log2(v));
	}
}

static void test_record(void **state)
{
	struct hist h;

	(void)state;
	memset(&h, 0, sizeof(h));
	hist_record(&h, 0);
	hist_record(&h, 1500);          /* bucket 10: [1024, 2048) */
	hist_record(&h, 2047);
	hist_record(&h, 2048);          /* bucket 11 */
	assert_int_equal(h.count, 4);
	assert_int_equal(h.sum_ns, 0 + 1500 + 2047 + 2048);
	assert_int_equal(h.bucket[0], 1);
	assert_int_equal(h.bucket[10], 2);
	assert_int_equal(h.bucket[11], 1);
	assert_int_equal(hist_total(&h), 4);
	assert_int_equal(hist_mean(&h), (1500 + 2047 + 2048) / 4);
}

static void test_merge(void **state)
{
	struct hist a, b;
	struct xt_hist k;

	(void)state;
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	memset(&k, 0, sizeof(k));
	for (int i = 0; i < 10; i++)
		hist_record(&a, 100);
	for (int i = 0; i < 5; i++)
		hist_record(&b, 100000);
	hist_merge(&a, &b);
	assert_int_equal(a.count, 15);
	assert_int_equal(a.sum_ns, 10 * 100 + 5 * 100000);
	assert_int_equal(a.bucket[6], 10);
	assert_int_equal(a.bucket[16], 5);
	/* the kernel's per-CPU sums, as fastpath_read_hist returns them */
	k.bucket[20] = 7;
	k.bucket[6] = 1;
	k.count = 8;
	k.sum_ns = 7 * 1500000 + 100;
	hist_merge_kern(&a, &k);
	assert_int_equal(a.count, 23);
	assert_int_equal(a.bucket[20], 7);
	assert_int_equal(a.bucket[6], 11);
	assert_int_equal(a.sum_ns, 10 * 100 + 5 * 100000 + 7 * 1500000 + 100);
	/* merging an empty one changes nothing */
	memset(&b, 0, sizeof(b));
	hist_merge(&a, &b);
	assert_int_equal(a.count, 23);
}

static void test_quantile(void **state)
{
	struct hist h;
	uint64_t p50, p99;

	(void)state;
	memset(&h, 0, sizeof(h));
	assert_int_equal(hist_quantile(&h, 0.5), 0);
	/* 90 values around 10 us, 10 around 1 ms */
	for (int i = 0; i < 90; i++)
		hist_record(&h, 10000);         /* bucket 13: [8192, 16384) */
	for (int i = 0; i < 10; i++)
		hist_record(&h, 1000000);       /* bucket 19: [524288, 1048576) */
	p50 = hist_quantile(&h, 0.5);
	assert_true(p50 >= 8192 && p50 < 16384);
	/* rank 50 of 90 in the bucket: 8192 + 8192 * 50/90 */
	assert_int_equal(p50, 8192 + 8192 * 50 / 90);
	assert_true(hist_quantile(&h, 0.9) <= 16384);       /* rank 90: still the first group */
	p99 = hist_quantile(&h, 0.99);
	assert_true(p99 >= 524288 && p99 <= 1048576);
	assert_int_equal(hist_quantile(&h, 1.0), 1048576);  /* top of the last bucket */
	assert_true(hist_quantile(&h, 0.0) >= 8192);        /* rank 1 */
	/* out-of-range q is clamped */
	assert_int_equal(hist_quantile(&h, 7), hist_quantile(&h, 1));
	assert_int_equal(hist_quantile(&h, -1), hist_quantile(&h, 0));
	/* monotonic in q */
	for (double q = 0.01; q < 1.0; q += 0.01)
		assert_true(hist_quantile(&h, q) <= hist_quantile(&h, q + 0.01));
}

static void test_quantile_single_value(void **state)
{
	struct hist h;
	uint64_t v = 123456;
	unsigned int b = hist_bucket_of(v);

	(void)state;
	memset(&h, 0, sizeof(h));
	hist_record(&h, v);
	/* the estimate is within the value's bucket: error at most 2x */
	assert_true(hist_quantile(&h, 0.5) >= hist_bucket_low(b));
	assert_true(hist_quantile(&h, 0.5) <= hist_bucket_high(b));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bucket_bounds),
		cmocka_unit_test(test_bucket_matches_bpf),
		cmocka_unit_test(test_record),
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_quantile),
		cmocka_unit_test(test_quantile_single_value),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
