// SPDX-License-Identifier: GPL-2.0-or-later
/* Binary min-heap of timer deadlines; see timerheap.h. */
#include <errno.h>
#include <stdlib.h>
#include "timerheap.h"

void theap_init(struct timer_heap *h)
{
	h->slots = NULL;
	h->len = 0;
	h->cap = 0;
}

void theap_free(struct timer_heap *h)
{
	for (uint32_t i = 0; i < h->len; i++)
		h->slots[i]->idx = THEAP_NONE;
	free(h->slots);
	theap_init(h);
}

static void heap_place(struct timer_heap *h, uint32_t i, struct timer_node *n)
{
	h->slots[i] = n;
	n->idx = i;
}

static void sift_up(struct timer_heap *h, uint32_t i)
{
	struct timer_node *n = h->slots[i];

	while (i > 0) {
		uint32_t parent = (i - 1) / 2;

		if (h->slots[parent]->deadline_ns <= n->deadline_ns)
			break;
		heap_place(h, i, h->slots[parent]);
		i = parent;
	}
	heap_place(h, i, n);
}

static void sift_down(struct timer_heap *h, uint32_t i)
{
	struct timer_node *n = h->slots[i];

	for (;;) {
		uint32_t child = 2 * i + 1;

		if (child >= h->len)
			break;
		if (child + 1 < h->len &&
		    h->slots[child + 1]->deadline_ns < h->slots[child]->deadline_ns)
			child++;
		if (n->deadline_ns <= h->slots[child]->deadline_ns)
			break;
		heap_place(h, i, h->slots[child]);
		i = child;
	}
	heap_place(h, i, n);
}

int theap_arm(struct timer_heap *h, struct timer_node *n, uint64_t deadline_ns)
{
	if (timer_armed(n)) {
		uint64_t old = n->deadline_ns;

		n->deadline_ns = deadline_ns;
		if (deadline_ns < old)
			sift_up(h, n->idx);
		else
			sift_down(h, n->idx);
		return 0;
	}
	if (h->len == h->cap) {
		uint32_t cap = h->cap ? h->cap * 2 : 64;
		struct timer_node **s = realloc(h->slots, cap * sizeof(*s));

		if (!s)
			return -ENOMEM;
		h->slots = s;
		h->cap = cap;
	}
	n->deadline_ns = deadline_ns;
	heap_place(h, h->len++, n);
	sift_up(h, n->idx);
	return 0;
}

void theap_cancel(struct timer_heap *h, struct timer_node *n)
{
	uint32_t i = n->idx;
	struct timer_node *last;

	if (!timer_armed(n))
		return;
	n->idx = THEAP_NONE;
	last = h->slots[--h->len];
	if (i == h->len)
		return;
	/* the last node fills the hole; it may need to move either way */
	heap_place(h, i, last);
	if (i > 0 && h->slots[(i - 1) / 2]->deadline_ns > last->deadline_ns)
		sift_up(h, i);
	else
		sift_down(h, i);
}

struct timer_node *theap_peek(const struct timer_heap *h)
{
	return h->len ? h->slots[0] : NULL;
}
