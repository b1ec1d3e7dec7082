// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests: block-number rollover (TFTP_BLOCK_WIRE in xtftp_wire.h and
 * xt_block_expand in xtftp_block.h, which the engine and the BPF programs
 * both use).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <linux/types.h>

#include "xtftp_wire.h"
#include "xtftp_block.h"

static void test_wire_wraps_to_zero(void **state)
{
	(void)state;
	assert_int_equal(TFTP_BLOCK_WIRE(1), 1);
	assert_int_equal(TFTP_BLOCK_WIRE(65535), 65535);
	assert_int_equal(TFTP_BLOCK_WIRE(65536), 0);       /* to 0, like tftpd-hpa */
	assert_int_equal(TFTP_BLOCK_WIRE(65537), 1);
	assert_int_equal(TFTP_BLOCK_WIRE(131072), 0);
	assert_int_equal(TFTP_BLOCK_WIRE(0xffffffffu), 65535);
	/* 16 GiB at 512-byte blocks: 33554432 blocks, 512 wraps */
	assert_int_equal(TFTP_BLOCK_WIRE(33554432u), 0);
	assert_int_equal(TFTP_BLOCK_WIRE(33554433u), 1);
}

static void test_expand_simple(void **state)
{
	(void)state;
	/* ACK of the block just sent */
	assert_int_equal(xt_block_expand(5, 5), 5);
	/* duplicate ACK of the previous block */
	assert_int_equal(xt_block_expand(5, 4), 4);
	/* ACK 0 of the OACK before anything was sent */
	assert_int_equal(xt_block_expand(0, 0), 0);
	assert_true(xt_block_valid(0, 0));
	/* across the first wrap: block 65536 is wire 0, 65535 is wire 65535 */
	assert_int_equal(xt_block_expand(65536, 0), 65536);
	assert_int_equal(xt_block_expand(65536, 65535), 65535);
	assert_int_equal(xt_block_expand(65537, 65535), 65535);
	assert_int_equal(xt_block_expand(65537, 1), 65537);
}

static void test_expand_invalid(void **state)
{
	(void)state;
	/* wire 65535 when only blocks 0..3 exist: a block before the start */
	assert_false(xt_block_valid(3, 65535));
	assert_true(xt_block_expand(3, 65535) > 3);
	assert_false(xt_block_valid(0, 1));
	assert_true(xt_block_valid(3, 0));
	assert_true(xt_block_valid(65535, 0));
	/* 65535 blocks behind is the furthest back the wire can name */
	assert_int_equal(xt_block_expand(70000, TFTP_BLOCK_WIRE(70000 - 65535)), 70000 - 65535);
	/* 65536 behind aliases to ref itself: the window can never be that big */
	assert_int_equal(xt_block_expand(70000, TFTP_BLOCK_WIRE(70000 - 65536)), 70000);
}

/* For every ref across many wraps, every block up to 65535 behind ref
 * expands back to itself from its wire number. */
static void test_expand_many_wraps(void **state)
{
	static const uint32_t behind[] = { 0, 1, 2, 7, 8, 15, 16, 255, 256, 4095, 65534, 65535 };
	uint32_t ref;
	size_t i;

	(void)state;
	for (ref = 0; ref < 10u * 65536u + 3; ref += 97) {
		for (i = 0; i < sizeof(behind) / sizeof(behind[0]); i++) {
			uint32_t n;

			if (behind[i] > ref)
				continue;
			n = ref - behind[i];
			assert_int_equal(xt_block_expand(ref, TFTP_BLOCK_WIRE(n)), n);
			assert_true(xt_block_valid(ref, TFTP_BLOCK_WIRE(n)));
		}
	}
	/* near the top of the u32 range too */
	for (ref = 0xffffffffu - 200000u; ref < 0xffffffffu - 100; ref += 1013)
		assert_int_equal(xt_block_expand(ref, TFTP_BLOCK_WIRE(ref - 17)), ref - 17);
}

/* A lock-step transfer of many wraps, as the engine runs it: send block
 * n (wire n & 0xffff), the client ACKs the wire number, the expansion
 * relative to last sent must give n back; WRQ side: expected = last + 1. */
static void test_simulated_transfer(void **state)
{
	uint32_t last_sent = 0, last_recv = 0, n;

	(void)state;
	for (n = 1; n <= 5u * 65536u + 10; n++) {
		uint16_t wire = TFTP_BLOCK_WIRE(n);

		last_sent = n;
		assert_int_equal(xt_block_expand(last_sent, wire), n);
		/* duplicate of the previous ACK: one behind, never "new" */
		assert_int_equal(xt_block_expand(last_sent, TFTP_BLOCK_WIRE(n - 1)), n - 1);
		/* WRQ: client sends DATA n, we expect last_recv + 1 */
		assert_int_equal(xt_block_expand(last_recv + 1, wire), n);
		last_recv = n;
	}
	assert_int_equal(TFTP_BLOCK_WIRE(last_sent), 10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wire_wraps_to_zero),
		cmocka_unit_test(test_expand_simple),
		cmocka_unit_test(test_expand_invalid),
		cmocka_unit_test(test_expand_many_wraps),
		cmocka_unit_test(test_simulated_transfer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
