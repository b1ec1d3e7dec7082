// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests for the engine's timer heap (user/timerheap.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>
#include "util/timerheap.h"

#define N 1000

/* Pop everything: deadlines must come out in non-decreasing order. */
static uint64_t drain_checked(struct timer_heap *h, unsigned int *count)
{
	uint64_t last = 0, sum = 0;
	struct timer_node *t;

	*count = 0;
	while ((t = theap_peek(h))) {
		assert_true(t->deadline_ns >= last);
		last = t->deadline_ns;
		sum += t->deadline_ns;
		theap_cancel(h, t);
		assert_false(timer_armed(t));
		(*count)++;
	}
	return sum;
}

static void test_order(void **state)
{
	struct timer_heap h;
	struct timer_node *nodes = calloc(N, sizeof(*nodes));
	uint64_t sum = 0;
	unsigned int count;

	(void)state;
	theap_init(&h);
	srand(1);
	for (int i = 0; i < N; i++) {
		uint64_t d = (uint64_t)(rand() % 5000);

		timer_node_init(&nodes[i]);
		assert_int_equal(theap_arm(&h, &nodes[i], d), 0);
		sum += d;
	}
	assert_int_equal(h.len, N);
	assert_int_equal(drain_checked(&h, &count), sum);
	assert_int_equal(count, N);
	theap_free(&h);
	free(nodes);
}

static void test_rearm_and_cancel(void **state)
{
	struct timer_heap h;
	struct timer_node *nodes = calloc(N, sizeof(*nodes));
	uint64_t sum = 0;
	unsigned int count, live = 0;

	(void)state;
	theap_init(&h);
	srand(2);
	for (int i = 0; i < N; i++) {
		timer_node_init(&nodes[i]);
		theap_arm(&h, &nodes[i], (uint64_t)(rand() % 5000));
	}
	/* re-arm half (earlier and later), cancel a third, cancel twice */
	for (int i = 0; i < N; i += 2)
		theap_arm(&h, &nodes[i], (uint64_t)(rand() % 10000));
	for (int i = 0; i < N; i += 3) {
		theap_cancel(&h, &nodes[i]);
		theap_cancel(&h, &nodes[i]);
	}
	for (int i = 0; i < N; i++) {
		if (timer_armed(&nodes[i])) {
			assert_ptr_equal(h.slots[nodes[i].idx], &nodes[i]);
			sum += nodes[i].deadline_ns;
			live++;
		}
	}
	assert_int_equal(h.len, live);
	assert_int_equal(drain_checked(&h, &count), sum);
	assert_int_equal(count, live);
	theap_free(&h);
	free(nodes);
}

static void test_empty(void **state)
{
	struct timer_heap h;
	struct timer_node n;

	(void)state;
	theap_init(&h);
	timer_node_init(&n);
	assert_null(theap_peek(&h));
	theap_cancel(&h, &n); /* harmless when not armed */
	assert_int_equal(theap_arm(&h, &n, 7), 0);
	assert_ptr_equal(theap_peek(&h), &n);
	theap_arm(&h, &n, 3);
	assert_int_equal(theap_peek(&h)->deadline_ns, 3);
	theap_free(&h);
	assert_false(timer_armed(&n));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order),
		cmocka_unit_test(test_rearm_and_cancel),
		cmocka_unit_test(test_empty),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
