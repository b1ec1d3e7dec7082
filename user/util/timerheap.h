/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Binary min-heap of deadlines (CLOCK_MONOTONIC ns) for the engine's
 * retransmission timers. Nodes are embedded in their owner and remember
 * their slot, so re-arming and removal are O(log n) with no allocation per
 * arm. The event loop sleeps until theap_peek()'s deadline.
 */
#ifndef XTFTP_TIMERHEAP_H
#define XTFTP_TIMERHEAP_H

#include <stdint.h>

#define THEAP_NONE UINT32_MAX   /* idx of a node not in the heap */

struct timer_node {
	uint64_t deadline_ns;
	uint32_t idx;           /* slot in the heap, THEAP_NONE when unarmed */
};

struct timer_heap {
	struct timer_node **slots;
	uint32_t len;
	uint32_t cap;
};

void theap_init(struct timer_heap *h);
void theap_free(struct timer_heap *h);
static inline void timer_node_init(struct timer_node *n)
{
	n->deadline_ns = 0;
	n->idx = THEAP_NONE;
}
static inline int timer_armed(const struct timer_node *n)
{
	return n->idx != THEAP_NONE;
}
/* Arm (or re-arm) n at deadline. Returns 0 or -ENOMEM. */
int theap_arm(struct timer_heap *h, struct timer_node *n, uint64_t deadline_ns);
/* Disarm n; harmless when it is not armed. */
void theap_cancel(struct timer_heap *h, struct timer_node *n);
/* Earliest node, or NULL when empty. */
struct timer_node *theap_peek(const struct timer_heap *h);

#endif
