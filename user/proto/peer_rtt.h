/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The turnaround of a client's last transfer, kept for its next one (RFC
 * 9040's temporal sharing of the RTT; Linux keeps the same per destination
 * in tcp_metrics). Why: a transfer has no turnaround sample before its
 * first DATA is acknowledged, so a lost DATA 1 (or its lost ACK) waited
 * for the configured timeout, 1 s, in transfers that otherwise recover a
 * loss in milliseconds. The clients that matter ask again and again from
 * the same address: a router re-requesting its recovery image after a
 * reboot, a CI rig flashing a board on every commit, PXE firmware fetching
 * its loader, config, kernel and initrd one after the other.
 *
 * Pure (no clock, no socket): the caller passes the time and a 16-byte
 * address (IPv4 mapped into IPv6). A fixed table, one slot per address
 * hash: a newer client takes an older one's slot.
 */
#ifndef XTFTP_PROTO_PEER_RTT_H
#define XTFTP_PROTO_PEER_RTT_H

#include <stdint.h>

#define PEER_RTT_SLOTS 256
/* As long as tcp_metrics keeps an entry (TCP_METRICS_TIMEOUT, one hour):
 * long enough for a flash, a reboot and the next request. */
#define PEER_RTT_MAX_AGE_NS (3600ull * 1000000000ull)

struct peer_rtt_slot {
	uint8_t addr[16];
	uint64_t srtt_ns, rttvar_ns;    /* xtftp_rto.h's estimate; srtt 0: empty */
	uint64_t stamp_ns;              /* when it was put */
};

struct peer_rtt {
	struct peer_rtt_slot slot[PEER_RTT_SLOTS];
};

/* Remember addr's estimate at now (nothing when srtt_ns is 0). */
void peer_rtt_put(struct peer_rtt *t, const uint8_t addr[16], uint64_t srtt_ns,
		  uint64_t rttvar_ns, uint64_t now);
/* addr's estimate, if put within PEER_RTT_MAX_AGE_NS before now: 0, else
 * -ENOENT. */
int peer_rtt_get(const struct peer_rtt *t, const uint8_t addr[16], uint64_t now,
		 uint64_t *srtt_ns, uint64_t *rttvar_ns);

#endif
