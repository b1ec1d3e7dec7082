// SPDX-License-Identifier: GPL-2.0-or-later
/* The transfer record as text (see transfer.h). */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include "transfer.h"

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void format_sockaddr(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN];

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)ss;

		inet_ntop(AF_INET, &a->sin_addr, host, sizeof(host));
		snprintf(buf, len, "%s:%u", host, ntohs(a->sin_port));
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;

		inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof(host));
		snprintf(buf, len, "[%s]:%u", host, ntohs(a->sin6_port));
	} else {
		snprintf(buf, len, "?");
	}
}

const char *transfer_outcome_name(enum xfer_outcome o)
{
	switch (o) {
	case XFER_RUNNING: return "running";
	case XFER_DONE: return "done";
	case XFER_CLIENT_ERROR: return "client-error";
	case XFER_TIMEOUT: return "timeout";
	case XFER_REFUSED: return "refused";
	case XFER_ABORTED: return "aborted";
	case XFER_PROBE: return "probe";
	case XFER_UNCONFIRMED: return "delivered-unconfirmed";
	}
	return "?";
}

void transfer_tiers_string(unsigned int tiers, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s%s%s",
		 tiers & XFER_TIER_XDP ? "xdp" : "",
		 (tiers & XFER_TIER_XDP) && (tiers & (XFER_TIER_TC | XFER_TIER_USER)) ? "+" : "",
		 tiers & XFER_TIER_TC ? "tc" : "",
		 (tiers & XFER_TIER_TC) && (tiers & XFER_TIER_USER) ? "+" : "",
		 tiers & XFER_TIER_USER ? "user" : "");
	if (!buf[0])
		snprintf(buf, len, "none");
}

void transfer_format(const struct transfer *t, char *buf, size_t len)
{
	char peer[INET6_ADDRSTRLEN + 48], tiers[24];
	uint64_t end = t->end_ns ? t->end_ns : now_ns();
	double secs = (double)(end - t->start_ns) / 1e9;

	format_sockaddr(&t->client, peer, sizeof(peer));
	if (t->mac_session) {
		/* --mac-sessions: devices may share the address; the MAC tells them apart */
		size_t o = strlen(peer);

		if (t->vlan_id)
			snprintf(peer + o, sizeof(peer) - o, " mac=%s vlan=%u", t->mac, t->vlan_id);
		else
			snprintf(peer + o, sizeof(peer) - o, " mac=%s", t->mac);
	}
	transfer_tiers_string(t->tiers, tiers, sizeof(tiers));
	snprintf(buf, len,
		 "%s %s \"%s\" %s%s%s bytes=%" PRIu64 " blocks=%" PRIu64
		 " retransmits=%u dup_acks=%u timeouts=%u tier=%s duration=%.3fs outcome=%s%s%s",
		 peer, t->is_write ? "WRQ" : "RRQ", t->requested, t->mode,
		 t->options[0] ? " " : "", t->options, t->bytes, t->blocks,
		 t->retransmits, t->dup_acks, t->timeouts, tiers, secs,
		 transfer_outcome_name(t->outcome), t->message[0] ? ": " : "", t->message);
}
