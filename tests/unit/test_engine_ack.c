// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests for the engine's sender-side window bookkeeping: mapping 16-bit
 * ACK numbers to absolute blocks across rollover, duplicates, re-basing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>
#include "engine.h"

static void test_abs_simple(void **state)
{
	(void)state;
	assert_int_equal(engine_ack_abs(0, 0), 0);          /* ACK 0 of the OACK */
	assert_int_equal(engine_ack_abs(5, 5), 5);
	assert_int_equal(engine_ack_abs(5, 3), 3);
	assert_int_equal(engine_ack_abs(0, 65535), -1);     /* never sent: below 0 */
}

static void test_abs_rollover(void **state)
{
	(void)state;
	/* block 65536 goes on the wire as 0, 65537 as 1 */
	assert_int_equal(engine_ack_abs(65536, 0), 65536);
	assert_int_equal(engine_ack_abs(65537, 1), 65537);
	assert_int_equal(engine_ack_abs(65537, 65535), 65535);
	assert_int_equal(engine_ack_abs(65540, 65534), 65534);
	/* 40 MiB at 512: 81921 blocks */
	assert_int_equal(engine_ack_abs(81921, (uint16_t)81921), 81921);
	assert_int_equal(engine_ack_abs(3 * 65536 + 2, 65535), 3 * 65536 - 1);
}

static void test_classify(void **state)
{
	int64_t acked = -7;

	(void)state;
	/* OACK outstanding: ACK 0 advances */
	assert_int_equal(engine_classify_ack(0, -1, 10, 0, &acked), ACK_ADVANCE);
	assert_int_equal(acked, 0);
	/* lock-step: ACK of the last block sent advances */
	assert_int_equal(engine_classify_ack(4, 3, 10, 4, &acked), ACK_ADVANCE);
	assert_int_equal(acked, 4);
	/* duplicate ACK (Sorcerer's Apprentice): never a resend */
	assert_int_equal(engine_classify_ack(4, 3, 10, 3, &acked), ACK_DUPLICATE);
	assert_int_equal(engine_classify_ack(4, 3, 10, 2, &acked), ACK_DUPLICATE);
	/* an ACK for a block never sent maps below: duplicate, ignored */
	assert_int_equal(engine_classify_ack(4, 3, 10, 9, &acked), ACK_DUPLICATE);
	/* final block */
	assert_int_equal(engine_classify_ack(10, 9, 10, 10, &acked), ACK_FINAL);
	assert_int_equal(acked, 10);
	/* final not known yet (netascii) */
	assert_int_equal(engine_classify_ack(10, 9, 0, 10, &acked), ACK_ADVANCE);
}

static void test_window_rebase(void **state)
{
	int64_t acked = 0;

	(void)state;
	/* window 8: sent 9..16 after ACK 8; ACK 12 (13 lost) re-bases at 12 */
	assert_int_equal(engine_classify_ack(16, 8, 100, 12, &acked), ACK_ADVANCE);
	assert_int_equal(acked, 12);
	/* a late ACK 10 after that is a duplicate */
	assert_int_equal(engine_classify_ack(20, 12, 100, 10, &acked), ACK_DUPLICATE);
	/* window across the rollover: sent 65530..65541, acked 65529 */
	assert_int_equal(engine_classify_ack(65541, 65529, 0, 2, &acked), ACK_ADVANCE);
	assert_int_equal(acked, 65538);
	assert_int_equal(engine_classify_ack(65541, 65529, 0, 65533, &acked), ACK_ADVANCE);
	assert_int_equal(acked, 65533);
}

static void test_format(void **state)
{
	struct transfer t = { 0 };
	struct sockaddr_in *a = (struct sockaddr_in *)&t.client;
	char line[512];

	(void)state;
	a->sin_family = AF_INET;
	a->sin_port = htons(1234);
	a->sin_addr.s_addr = htonl(0xc6120002); /* 198.18.0.2 */
	snprintf(t.requested, sizeof(t.requested), "fw.bin");
	snprintf(t.mode, sizeof(t.mode), "octet");
	t.outcome = XFER_TIMEOUT;
	snprintf(t.message, sizeof(t.message), "timeout at block 5 of 9");
	t.tiers = XFER_TIER_TC | XFER_TIER_USER;
	t.start_ns = 1;
	t.end_ns = 1000000001;
	transfer_format(&t, line, sizeof(line));
	assert_non_null(strstr(line, "198.18.0.2:1234 RRQ \"fw.bin\" octet"));
	assert_non_null(strstr(line, "tier=tc+user"));
	assert_non_null(strstr(line, "duration=1.000s"));
	assert_non_null(strstr(line, "outcome=timeout: timeout at block 5 of 9"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_abs_simple),
		cmocka_unit_test(test_abs_rollover),
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_window_rebase),
		cmocka_unit_test(test_format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
