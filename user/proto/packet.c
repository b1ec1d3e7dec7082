// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * TFTP packet parsing and building (RFC 1350, RFC 2347). Pure functions:
 * no I/O, no allocation, no global state.
 *
 * Request parsing rules (what a hostile or sloppy client can send):
 * - every string (file name, mode, option name, option value) must be
 *   NUL-terminated inside the packet, else -EINVAL (tftpd-hpa answers
 *   "Request not null-terminated" with error 4 too);
 * - the file name must be non-empty and at most TFTP_MAX_NAME bytes;
 * - the mode must be "octet" or "netascii" (any case); "mail" (obsolete,
 *   RFC 1350) and anything else -> -EINVAL;
 * - an empty option name ends the option list: some boot ROMs pad the
 *   request with NULs, so whatever follows is ignored, like tftpd-hpa;
 * - a trailing option name without a value is ignored (tftpd-hpa does the
 *   same), so it is not an error;
 * - an empty option value is kept; negotiation ignores it as non-numeric;
 * - more than TFTP_MAX_OPTIONS options: the first TFTP_MAX_OPTIONS are
 *   stored, the rest are still checked for termination, and the result is
 *   -E2BIG so the caller can ignore the extras (req is fully valid).
 */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "xtftp_wire.h"
#include "packet.h"

static uint16_t get_be16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/*
 * Take the NUL-terminated string starting at *pos. Returns its length and
 * advances *pos past the NUL, or -EINVAL when no NUL is found before len.
 */
static long take_string(const uint8_t *buf, size_t len, size_t *pos, const char **str)
{
	const uint8_t *start = buf + *pos;
	const uint8_t *nul;

	if (*pos >= len)
		return -EINVAL;
	nul = memchr(start, '\0', len - *pos);
	if (!nul)
		return -EINVAL;
	*str = (const char *)start;
	*pos += (size_t)(nul - start) + 1;
	return nul - start;
}

int tftp_opcode(const uint8_t *buf, size_t len)
{
	if (!buf || len < 2)
		return -EINVAL;
	return get_be16(buf);
}

int tftp_parse_request(const uint8_t *buf, size_t len, struct tftp_request *req)
{
	const char *name, *value;
	size_t pos = 2;
	long slen;
	int opcode, err = 0;

	memset(req, 0, sizeof(*req));
	opcode = tftp_opcode(buf, len);
	if (opcode != TFTP_RRQ && opcode != TFTP_WRQ)
		return -EINVAL;
	req->opcode = (uint16_t)opcode;

	slen = take_string(buf, len, &pos, &req->filename);
	if (slen <= 0 || slen > TFTP_MAX_NAME)
		return -EINVAL;

	if (take_string(buf, len, &pos, &req->mode) < 0)
		return -EINVAL;
	if (strcasecmp(req->mode, "netascii") == 0)
		req->netascii = 1;
	else if (strcasecmp(req->mode, "octet") != 0)
		return -EINVAL;

	while (pos < len) {
		slen = take_string(buf, len, &pos, &name);
		if (slen < 0)
			return -EINVAL;
		if (slen == 0)
			break;          /* NUL padding: end of the option list */
		if (pos >= len)
			break;          /* a name without a value: ignored */
		if (take_string(buf, len, &pos, &value) < 0)
			return -EINVAL;
		if (req->n_options >= TFTP_MAX_OPTIONS) {
			err = -E2BIG;
			continue;
		}
		req->options[req->n_options].name = name;
		req->options[req->n_options].value = value;
		req->n_options++;
	}
	return err;
}

int tftp_parse_ack(const uint8_t *buf, size_t len, uint16_t *block)
{
	if (len < TFTP_HDR_LEN || tftp_opcode(buf, len) != TFTP_ACK)
		return -EINVAL;
	*block = get_be16(buf + 2);
	return 0;
}

int tftp_parse_data(const uint8_t *buf, size_t len, uint16_t *block,
		    const uint8_t **payload, size_t *payload_len)
{
	if (len < TFTP_HDR_LEN || len > TFTP_MAX_PACKET ||
	    tftp_opcode(buf, len) != TFTP_DATA)
		return -EINVAL;
	*block = get_be16(buf + 2);
	*payload = buf + TFTP_HDR_LEN;
	*payload_len = len - TFTP_HDR_LEN;
	return 0;
}

int tftp_parse_error(const uint8_t *buf, size_t len, uint16_t *code, const char **msg)
{
	if (len < TFTP_HDR_LEN || tftp_opcode(buf, len) != TFTP_ERROR)
		return -EINVAL;
	*code = get_be16(buf + 2);
	/* The message is only trusted when terminated inside the packet. */
	if (len > TFTP_HDR_LEN && memchr(buf + TFTP_HDR_LEN, '\0', len - TFTP_HDR_LEN))
		*msg = (const char *)buf + TFTP_HDR_LEN;
	else
		*msg = "";
	return 0;
}

int tftp_build_data_header(uint8_t *buf, size_t cap, uint16_t block)
{
	if (cap < TFTP_HDR_LEN)
		return -ENOSPC;
	put_be16(buf, TFTP_DATA);
	put_be16(buf + 2, block);
	return TFTP_HDR_LEN;
}

int tftp_build_ack(uint8_t *buf, size_t cap, uint16_t block)
{
	if (cap < TFTP_HDR_LEN)
		return -ENOSPC;
	put_be16(buf, TFTP_ACK);
	put_be16(buf + 2, block);
	return TFTP_HDR_LEN;
}

/* The message is truncated to fit cap and always NUL-terminated. */
int tftp_build_error(uint8_t *buf, size_t cap, uint16_t code, const char *msg)
{
	size_t msg_len;

	if (cap > TFTP_MAX_PACKET)
		cap = TFTP_MAX_PACKET;  /* keeps the length an int */
	if (cap < TFTP_HDR_LEN + 1)
		return -ENOSPC;
	if (!msg)
		msg = "";
	msg_len = strnlen(msg, cap - TFTP_HDR_LEN - 1);
	put_be16(buf, TFTP_ERROR);
	put_be16(buf + 2, code);
	memcpy(buf + TFTP_HDR_LEN, msg, msg_len);
	buf[TFTP_HDR_LEN + msg_len] = '\0';
	return (int)(TFTP_HDR_LEN + msg_len + 1);
}

/* All or nothing: a truncated OACK would acknowledge the wrong options. */
int tftp_build_oack(uint8_t *buf, size_t cap, const struct tftp_option *opts,
		    unsigned int n)
{
	size_t pos = 2, nl, vl;
	unsigned int i;

	if (cap > TFTP_MAX_PACKET)
		cap = TFTP_MAX_PACKET;  /* keeps the length an int */
	if (cap < 2)
		return -ENOSPC;
	put_be16(buf, TFTP_OACK);
	for (i = 0; i < n; i++) {
		nl = strlen(opts[i].name);
		vl = strlen(opts[i].value);
		if (nl + vl + 2 > cap - pos)
			return -ENOSPC;
		memcpy(buf + pos, opts[i].name, nl + 1);
		pos += nl + 1;
		memcpy(buf + pos, opts[i].value, vl + 1);
		pos += vl + 1;
	}
	return (int)pos;
}
