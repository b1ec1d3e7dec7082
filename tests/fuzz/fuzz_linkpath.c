// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target: the --mac-sessions frame parser and builder
 * (user/linkpath.c), which read raw frames from the wire. Input: one flag
 * byte (bit 0: a tag reported as aux data, bit 1: check the UDP checksum,
 * bits 2..7: the build buffer's slack), two bytes of aux TCI, the frame.
 * Invariants (abort = finding):
 * - linkpath_parse_frame either refuses, or returns a payload wholly inside
 *   the frame, a VID within 12 bits' TCI as given, AF_INET addresses;
 * - a frame it accepted, answered the way the daemon answers (src and dst
 *   swapped, to the requester's MAC, the same tag), is built within the
 *   buffer or refused with -ENOSPC exactly when it does not fit; the built
 *   frame has the length the headers say, an IPv4 header and UDP checksum
 *   that verify with an RFC 1071 sum computed here, and parses back (UDP
 *   checksum checked) to the same addresses, ports, tag and payload.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/linkpath.h"

static uint8_t built[LINK_FRAME_MAX + 128];

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* RFC 1071 one's complement sum over len bytes, folded, not inverted. */
static uint32_t sum16(uint32_t s, const uint8_t *p, size_t len)
{
	while (len > 1) {
		s += (uint32_t)(p[0] << 8 | p[1]);
		p += 2;
		len -= 2;
	}
	if (len)
		s += (uint32_t)(p[0] << 8);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return s;
}

static void check_built(const uint8_t *f, size_t n, const struct link_peer *lk, size_t plen)
{
	size_t l2 = 14 + (lk->tagged ? 4 : 0);
	const uint8_t *ip = f + l2, *udp = ip + 20;
	uint32_t s;

	if (n != l2 + 20 + 8 + plen)
		abort();
	if (memcmp(f, lk->mac, 6) || memcmp(f + 6, lk->local_mac, 6))
		abort();
	if (lk->tagged && (be16(f + 12) != 0x8100 || be16(f + 14) != lk->vlan_tci))
		abort();
	if (be16(f + l2 - 2) != 0x0800 || ip[0] != 0x45 || ip[9] != IPPROTO_UDP)
		abort();
	if (be16(ip + 2) != 20 + 8 + plen || be16(udp + 4) != 8 + plen)
		abort();
	if (sum16(0, ip, 20) != 0xffff)
		abort();        /* IPv4 header checksum */
	s = sum16(0, ip + 12, 8);
	s += IPPROTO_UDP + (uint32_t)(8 + plen);
	if (sum16(s, udp, 8 + plen) != 0xffff || be16(udp + 6) == 0)
		abort();        /* UDP checksum, never sent as 0 */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct linkpath_rx rx, back;
	struct link_peer lk;
	const uint8_t *frame;
	size_t len, need, cap;
	int aux_tagged, check, n;
	uint16_t aux_tci;

	if (size < 3)
		return 0;
	aux_tagged = data[0] & 1;
	check = data[0] >> 1 & 1;
	aux_tci = (uint16_t)(data[1] << 8 | data[2]);
	frame = data + 3;
	len = size - 3;

	if (linkpath_parse_frame(frame, len, aux_tagged, aux_tci, check, &rx) != 0)
		return 0;
	if (rx.payload < frame || rx.len > len || rx.payload + rx.len > frame + len)
		abort();
	if (rx.peer.sin_family != AF_INET || rx.local.sin_family != AF_INET || !rx.link.valid)
		abort();
	if (memcmp(rx.link.mac, frame + 6, 6))
		abort();        /* the requester is the frame's source */
	if (aux_tagged && (!rx.link.tagged || rx.link.vlan_tci != aux_tci))
		abort();
	if (!rx.link.tagged && rx.link.vlan_tci)
		abort();

	/* the answer, as engine.c sends it: to the requester, from us */
	lk = rx.link;
	memcpy(lk.local_mac, "\x02\x00\x00\x00\x00\x01", 6);
	need = 14 + (lk.tagged ? 4 : 0) + 20 + 8 + rx.len;
	cap = need - 16 + (size_t)(data[0] >> 2);       /* sometimes too small */
	if (cap > sizeof(built))
		cap = sizeof(built);
	n = linkpath_build_frame(built, cap, &lk, &rx.local, &rx.peer, 7, rx.payload, rx.len);
	if (n < 0) {
		if (need <= cap && n == -ENOSPC)
			abort();        /* refused although it fits */
		if (need > cap && n != -ENOSPC && n != -EMSGSIZE)
			abort();
		return 0;
	}
	if ((size_t)n > cap || need > cap)
		abort();
	check_built(built, (size_t)n, &lk, rx.len);

	if (linkpath_parse_frame(built, (size_t)n, 0, 0, 1, &back) != 0)
		abort();        /* our own frame must parse, checksum included */
	if (back.peer.sin_addr.s_addr != rx.local.sin_addr.s_addr ||
	    back.peer.sin_port != rx.local.sin_port ||
	    back.local.sin_addr.s_addr != rx.peer.sin_addr.s_addr ||
	    back.local.sin_port != rx.peer.sin_port)
		abort();
	if (back.len != rx.len || memcmp(back.payload, rx.payload, rx.len))
		abort();
	if (back.link.tagged != lk.tagged || back.link.vlan_tci != lk.vlan_tci ||
	    memcmp(back.link.mac, lk.local_mac, 6))
		abort();
	return 0;
}
