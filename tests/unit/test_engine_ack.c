// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests for the engine's transfer summary line. The ACK bookkeeping
 * these tests also held moved with the code to include/xtftp_ack.h and
 * user/proto/xfer.c: tests/unit/test_xfer.c runs the same cases. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>
#include "daemon/engine.h"

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
		cmocka_unit_test(test_format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
