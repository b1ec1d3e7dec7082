// SPDX-License-Identifier: GPL-2.0-or-later
/* A client's turnaround across its transfers: see peer_rtt.h. */
#include <errno.h>
#include <string.h>

#include "proto/peer_rtt.h"

static unsigned int slot_of(const uint8_t addr[16])
{
	uint32_t h = 2166136261u;       /* FNV-1a */

	for (int i = 0; i < 16; i++)
		h = (h ^ addr[i]) * 16777619u;
	return h % PEER_RTT_SLOTS;
}

void peer_rtt_put(struct peer_rtt *t, const uint8_t addr[16], uint64_t srtt_ns,
		  uint64_t rttvar_ns, uint64_t now)
{
	struct peer_rtt_slot *s = &t->slot[slot_of(addr)];

	if (!srtt_ns)
		return;
	memcpy(s->addr, addr, sizeof(s->addr));
	s->srtt_ns = srtt_ns;
	s->rttvar_ns = rttvar_ns;
	s->stamp_ns = now;
}

int peer_rtt_get(const struct peer_rtt *t, const uint8_t addr[16], uint64_t now,
		 uint64_t *srtt_ns, uint64_t *rttvar_ns)
{
	const struct peer_rtt_slot *s = &t->slot[slot_of(addr)];

	if (!s->srtt_ns || memcmp(s->addr, addr, sizeof(s->addr)) ||
	    now < s->stamp_ns || now - s->stamp_ns > PEER_RTT_MAX_AGE_NS)
		return -ENOENT;
	*srtt_ns = s->srtt_ns;
	*rttvar_ns = s->rttvar_ns;
	return 0;
}
