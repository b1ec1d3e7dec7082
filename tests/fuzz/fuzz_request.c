// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target: a request packet from the network, through everything
 * port 69 does with it before touching the file system: tftp_parse_request,
 * negotiate_options, the OACK and ERROR builders, and the small-packet
 * parsers. Invariants checked (abort = finding):
 * - accepted strings lie inside the packet and are NUL-terminated there;
 * - negotiated values are within the RFC bounds and the server limits;
 * - the OACK built from the negotiation parses back to the same options.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "xtftp_wire.h"
#include "proto/packet.h"
#include "proto/negotiate.h"

static int inside(const uint8_t *buf, size_t len, const char *s)
{
	const uint8_t *p = (const uint8_t *)s;

	return p >= buf && p < buf + len && memchr(p, '\0', (size_t)(buf + len - p));
}

static void check_oack(const struct negotiated *n)
{
	uint8_t pkt[TFTP_MAX_PACKET];
	struct tftp_request back;
	unsigned int i;
	int len;

	len = tftp_build_oack(pkt, sizeof(pkt), n->oack, n->n_oack);
	if (len < 2)
		abort();
	/* Reuse the request parser: an OACK is name/value pairs after the
	 * opcode; prefix a fake file name and mode to parse it back. */
	{
		uint8_t req[TFTP_MAX_PACKET + 16];
		size_t rl = 0;

		req[rl++] = 0;
		req[rl++] = TFTP_RRQ;
		memcpy(req + rl, "f\0octet\0", 8);
		rl += 8;
		memcpy(req + rl, pkt + 2, (size_t)len - 2);
		rl += (size_t)len - 2;
		if (tftp_parse_request(req, rl, &back) != 0)
			abort();
		if (back.n_options != n->n_oack)
			abort();
		for (i = 0; i < n->n_oack; i++)
			if (strcmp(back.options[i].name, n->oack[i].name) ||
			    strcmp(back.options[i].value, n->oack[i].value))
				abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct negotiate_limits lims[] = {
		{ .max_blksize = 1468, .max_windowsize = 16, .default_timeout_us = 1000000 },
		{ .max_blksize = 0, .max_windowsize = 0, .default_timeout_us = 0 },
		{ .max_blksize = 65464, .max_windowsize = 65535, .default_timeout_us = 200000 },
	};
	struct tftp_request req;
	struct negotiated n;
	const uint8_t *payload;
	const char *msg;
	uint16_t u16, code;
	size_t plen, i;
	int err;

	err = tftp_parse_request(data, size, &req);
	if (err == 0 || err == -E2BIG) {
		if (!inside(data, size, req.filename) || !req.filename[0] ||
		    strlen(req.filename) > TFTP_MAX_NAME || !inside(data, size, req.mode))
			abort();
		if (req.n_options > TFTP_MAX_OPTIONS)
			abort();
		for (i = 0; i < req.n_options; i++)
			if (!inside(data, size, req.options[i].name) ||
			    !inside(data, size, req.options[i].value) || !req.options[i].name[0])
				abort();
		for (i = 0; i < sizeof(lims) / sizeof(lims[0]); i++) {
			unsigned int cap_b = lims[i].max_blksize ? lims[i].max_blksize : TFTP_BLKSIZE_MAX;
			unsigned int cap_w = lims[i].max_windowsize ? lims[i].max_windowsize : 1;

			if (negotiate_options(&req, &lims[i], &n) != 0) {
				if (req.opcode != TFTP_WRQ)
					abort();        /* only WRQ tsize garbage refuses */
				continue;
			}
			if (n.blksize < TFTP_BLKSIZE_MIN || n.blksize > cap_b ||
			    n.windowsize < 1 || n.windowsize > cap_w ||
			    n.timeout_us < 10000 || n.timeout_us > 255000000u ||
			    n.n_oack > 5)
				abort();
			if (n.n_oack == 0 && (n.blksize != 512 || n.windowsize != 1))
				abort();
			negotiate_set_tsize(&n, (uint64_t)size * 1000003u);
			check_oack(&n);
		}
	} else if (err != -EINVAL) {
		abort();
	}

	/* The same bytes seen as any other packet: must not crash. */
	(void)tftp_opcode(data, size);
	if (tftp_parse_ack(data, size, &u16) == 0 && size < 4)
		abort();
	if (tftp_parse_data(data, size, &u16, &payload, &plen) == 0 &&
	    (payload != data + 4 || plen != size - 4))
		abort();
	if (tftp_parse_error(data, size, &code, &msg) == 0 &&
	    msg[0] && !inside(data, size, msg))
		abort();

	/* ... and as an error message to send: always terminated, capped. */
	{
		uint8_t out[64];
		char *m = malloc(size + 1);
		int len;

		if (!m)
			return 0;
		memcpy(m, data, size);
		m[size] = '\0';
		len = tftp_build_error(out, sizeof(out), 0, m);
		if (len < 5 || len > (int)sizeof(out) || out[len - 1] != '\0')
			abort();
		free(m);
	}
	return 0;
}
