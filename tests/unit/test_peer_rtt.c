// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests: a client's turnaround kept across its transfers
 * (user/proto/peer_rtt.c): found for the same address within the hour, not
 * for another address, an older entry, an empty estimate or an address that
 * took the slot since. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "proto/peer_rtt.h"

#define S_NS 1000000000ull

static void v4(uint8_t a[16], uint8_t last)
{
	memset(a, 0, 16);
	a[10] = a[11] = 0xff;
	a[12] = 198;
	a[13] = 18;
	a[14] = 0;
	a[15] = last;
}

static void test_put_get(void **state)
{
	struct peer_rtt *t = calloc(1, sizeof(*t));
	uint8_t a[16], b[16];
	uint64_t srtt = 0, rttvar = 0;

	(void)state;
	assert_non_null(t);
	v4(a, 2);
	v4(b, 3);
	assert_int_equal(peer_rtt_get(t, a, 10 * S_NS, &srtt, &rttvar), -ENOENT);
	peer_rtt_put(t, a, 7000, 2000, 10 * S_NS);
	assert_int_equal(peer_rtt_get(t, a, 11 * S_NS, &srtt, &rttvar), 0);
	assert_int_equal(srtt, 7000);
	assert_int_equal(rttvar, 2000);
	/* another address: nothing */
	assert_int_equal(peer_rtt_get(t, b, 11 * S_NS, &srtt, &rttvar), -ENOENT);
	/* an hour old: still; older: gone */
	assert_int_equal(peer_rtt_get(t, a, 10 * S_NS + PEER_RTT_MAX_AGE_NS, &srtt, &rttvar), 0);
	assert_int_equal(peer_rtt_get(t, a, 10 * S_NS + PEER_RTT_MAX_AGE_NS + 1, &srtt, &rttvar),
			 -ENOENT);
	/* a clock before the entry (never with CLOCK_MONOTONIC): not trusted */
	assert_int_equal(peer_rtt_get(t, a, 9 * S_NS, &srtt, &rttvar), -ENOENT);
	/* the newer transfer's estimate replaces the older */
	peer_rtt_put(t, a, 9000, 1000, 20 * S_NS);
	assert_int_equal(peer_rtt_get(t, a, 21 * S_NS, &srtt, &rttvar), 0);
	assert_int_equal(srtt, 9000);
	/* a transfer without a sample leaves what was known */
	peer_rtt_put(t, a, 0, 0, 30 * S_NS);
	assert_int_equal(peer_rtt_get(t, a, 31 * S_NS, &srtt, &rttvar), 0);
	assert_int_equal(srtt, 9000);
	free(t);
}

/* More clients than slots: each address finds its own estimate or
 * nothing, never another client's. */
static void v6(uint8_t a[16], unsigned int i)
{
	memset(a, 0, 16);
	a[0] = 0x20;
	a[1] = 0x01;
	a[14] = (uint8_t)(i >> 8);
	a[15] = (uint8_t)i;
}

static void test_collisions(void **state)
{
	struct peer_rtt *t = calloc(1, sizeof(*t));
	uint8_t a[16];
	uint64_t srtt, rttvar;
	unsigned int found = 0;

	(void)state;
	assert_non_null(t);
	for (unsigned int i = 0; i < 4 * PEER_RTT_SLOTS; i++) {
		v6(a, i);
		peer_rtt_put(t, a, 1000 + i, i, S_NS);
	}
	for (unsigned int i = 0; i < 4 * PEER_RTT_SLOTS; i++) {
		v6(a, i);
		if (peer_rtt_get(t, a, 2 * S_NS, &srtt, &rttvar) == 0) {
			assert_int_equal(srtt, 1000 + i);
			assert_int_equal(rttvar, i);
			found++;
		}
	}
	assert_true(found > 0 && found <= PEER_RTT_SLOTS);
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_put_get),
		cmocka_unit_test(test_collisions),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
