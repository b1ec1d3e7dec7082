// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Option negotiation: RFC 2347 (OACK), 2348 (blksize), 2349 (timeout,
 * tsize), 7440 (windowsize) and tftpd-hpa's utimeout.
 *
 * Decisions, each because of a client seen in the wild:
 * - Values must be plain unsigned decimal ("512", "05"): no sign, no
 *   spaces, no trailing junk, no overflow. Anything else is ignored (the
 *   option is left out of the OACK), never refused: a refused request is a
 *   failed flash, an ignored option only a slower one.
 * - The OACK echoes the client's spelling of the option name (names are
 *   case-insensitive, RFC 2347) and, for timeout, the client's value string
 *   verbatim ("05" stays "05"): U-Boot rejects an OACK whose timeout is not
 *   the one it sent. Other values are formatted canonically.
 * - blksize above the server cap (or above 65464) is lowered to the cap,
 *   never raised: U-Boot rejects an OACK blksize larger than it asked.
 * - timeout outside 1..255 is ignored: npm tftp sends "timeout 3000"
 *   (milliseconds); ignoring it keeps the default, answering 255 would be
 *   a value the client did not send.
 * - The first occurrence of an option decides, even when its value is
 *   ignored; later duplicates are dropped.
 * - When both timeout and utimeout are accepted, utimeout (finer) sets
 *   the retransmit timeout; both are echoed.
 * - tsize on an RRQ must be numeric (clients send 0); the OACK carries the
 *   file size set later with negotiate_set_tsize(). On a WRQ the client's
 *   size is echoed; a non-numeric one refuses the request (error 8).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "xtftp_wire.h"
#include "negotiate.h"

#define DEFAULT_TIMEOUT_US 1000000u     /* tftpd-hpa's default, 1 s */
#define UTIMEOUT_MIN 10000u
#define UTIMEOUT_MAX 255000000u

enum opt_id {
	OPT_BLKSIZE,
	OPT_TIMEOUT,
	OPT_TSIZE,
	OPT_WINDOWSIZE,
	OPT_UTIMEOUT,
	OPT_COUNT,
};

static const char *const opt_names[OPT_COUNT] = {
	[OPT_BLKSIZE] = "blksize",
	[OPT_TIMEOUT] = "timeout",
	[OPT_TSIZE] = "tsize",
	[OPT_WINDOWSIZE] = "windowsize",
	[OPT_UTIMEOUT] = "utimeout",
};

/* Strict unsigned decimal: 0 and *val, or -EINVAL (empty, junk, overflow). */
static int parse_u64(const char *s, uint64_t *val)
{
	uint64_t v = 0;

	if (!s || !*s)
		return -EINVAL;
	for (; *s; s++) {
		unsigned int d;

		if (*s < '0' || *s > '9')
			return -EINVAL;
		d = (unsigned int)(*s - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -EINVAL;
		v = v * 10 + d;
	}
	*val = v;
	return 0;
}

static int lookup_option(const char *name)
{
	int i;

	for (i = 0; i < OPT_COUNT; i++)
		if (strcasecmp(name, opt_names[i]) == 0)
			return i;
	return -1;
}

/* Append name (client's spelling, which is short: it matched a known name)
 * and a value to the OACK list. */
static void oack_add(struct negotiated *out, const char *name, const char *value)
{
	unsigned int i = out->n_oack;

	snprintf(out->oack_names[i], sizeof(out->oack_names[i]), "%s", name);
	/* A verbatim value too long for value_buf cannot happen for the
	 * canonical ones; for timeout the caller checked it fits. */
	snprintf(out->value_buf[i], sizeof(out->value_buf[i]), "%s", value);
	out->oack[i].name = out->oack_names[i];
	out->oack[i].value = out->value_buf[i];
	out->n_oack++;
}

static void oack_add_u64(struct negotiated *out, const char *name, uint64_t v)
{
	char num[24];

	snprintf(num, sizeof(num), "%" PRIu64, v);
	oack_add(out, name, num);
}

int negotiate_options(const struct tftp_request *req, const struct negotiate_limits *lim,
		      struct negotiated *out)
{
	unsigned int max_blksize, max_windowsize, i;
	uint64_t timeout_us = 0, utimeout_us = 0;
	int seen[OPT_COUNT] = { 0 };
	int err = 0;

	max_blksize = lim->max_blksize;
	if (max_blksize == 0 || max_blksize > TFTP_BLKSIZE_MAX)
		max_blksize = TFTP_BLKSIZE_MAX;
	if (max_blksize < TFTP_BLKSIZE_MIN)
		max_blksize = TFTP_BLKSIZE_MIN;
	max_windowsize = lim->max_windowsize;
	if (max_windowsize == 0)
		max_windowsize = 1;
	if (max_windowsize > TFTP_WINDOWSIZE_MAX)
		max_windowsize = TFTP_WINDOWSIZE_MAX;

	memset(out, 0, sizeof(*out));
	out->blksize = TFTP_DEFAULT_BLKSIZE;
	out->windowsize = 1;
	out->timeout_us = lim->default_timeout_us ? lim->default_timeout_us : DEFAULT_TIMEOUT_US;

	for (i = 0; i < req->n_options && i < TFTP_MAX_OPTIONS; i++) {
		const char *name = req->options[i].name;
		const char *value = req->options[i].value;
		uint64_t v = 0;
		int id, numeric;

		if (!name || !value)
			continue;
		id = lookup_option(name);
		if (id < 0 || seen[id])
			continue;       /* unknown (RFC 2347: ignore) or duplicate */
		seen[id] = 1;
		numeric = parse_u64(value, &v) == 0;

		switch (id) {
		case OPT_BLKSIZE:
			if (!numeric || v < TFTP_BLKSIZE_MIN)
				break;
			if (v > max_blksize)
				v = max_blksize;
			out->blksize = (unsigned int)v;
			oack_add_u64(out, name, v);
			break;
		case OPT_TIMEOUT:
			if (!numeric || v < TFTP_TIMEOUT_MIN || v > TFTP_TIMEOUT_MAX)
				break;
			timeout_us = v * 1000000u;
			/* Verbatim when it fits ("05"); absurdly zero-padded
			 * values get the canonical form, same number. */
			if (strlen(value) < sizeof(out->value_buf[0]))
				oack_add(out, name, value);
			else
				oack_add_u64(out, name, v);
			break;
		case OPT_UTIMEOUT:
			if (!numeric || v < UTIMEOUT_MIN || v > UTIMEOUT_MAX)
				break;
			utimeout_us = v;
			oack_add_u64(out, name, v);
			break;
		case OPT_WINDOWSIZE:
			if (!numeric || v < TFTP_WINDOWSIZE_MIN)
				break;
			if (v > max_windowsize)
				v = max_windowsize;
			out->windowsize = (unsigned int)v;
			oack_add_u64(out, name, v);
			break;
		case OPT_TSIZE:
			if (!numeric) {
				if (req->opcode == TFTP_WRQ)
					err = -EINVAL;
				break;
			}
			out->has_tsize = 1;
			out->tsize = req->opcode == TFTP_WRQ ? v : 0;
			oack_add_u64(out, name, out->tsize);
			break;
		}
		if (err)
			break;
	}

	if (utimeout_us)
		out->timeout_us = (unsigned int)utimeout_us;
	else if (timeout_us)
		out->timeout_us = (unsigned int)timeout_us;
	out->timeout_asked = utimeout_us || timeout_us;
	return err;
}

void negotiate_set_tsize(struct negotiated *n, uint64_t size)
{
	unsigned int i;

	n->tsize = size;
	for (i = 0; i < n->n_oack; i++) {
		if (strcasecmp(n->oack_names[i], "tsize") == 0) {
			snprintf(n->value_buf[i], sizeof(n->value_buf[i]), "%" PRIu64, size);
			return;
		}
	}
}
