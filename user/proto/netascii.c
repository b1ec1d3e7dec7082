// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * netascii (RFC 764 as used by RFC 1350): on the wire every LF is CR LF and
 * every bare CR is CR NUL. Both converters stream: a pair split across two
 * calls (a CR at the end of one block, its LF or NUL at the start of the
 * next) is carried in the state.
 *
 * Decoding malformed input: a CR followed by anything other than LF or NUL
 * is not netascii. The CR is dropped and the following byte decoded as
 * usual. Why drop rather than keep it: keeping it would make the output of
 * one call one byte longer than its input when the CR ended the previous
 * call, which breaks in-place decoding (out == in); dropping it in every
 * position keeps the rule the same wherever the block boundaries fall.
 */
#include "netascii.h"

void netascii_enc_init(struct netascii_enc *e)
{
	e->pending = -1;
}

size_t netascii_encode(struct netascii_enc *e, const uint8_t *in, size_t in_len,
		       size_t *consumed, uint8_t *out, size_t out_cap)
{
	size_t i = 0, o = 0;

	if (e->pending >= 0 && o < out_cap) {
		out[o++] = (uint8_t)e->pending;
		e->pending = -1;
	}
	/* Only take input once the previous pair is complete. */
	while (e->pending < 0 && i < in_len && o < out_cap) {
		uint8_t c = in[i++];

		if (c == '\n' || c == '\r') {
			out[o++] = '\r';
			e->pending = c == '\n' ? '\n' : '\0';
			if (o < out_cap) {
				out[o++] = (uint8_t)e->pending;
				e->pending = -1;
			}
		} else {
			out[o++] = c;
		}
	}
	*consumed = i;
	return o;
}

uint64_t netascii_encoded_size(const uint8_t *in, size_t len)
{
	uint64_t size = len;
	size_t i;

	for (i = 0; i < len; i++)
		if (in[i] == '\n' || in[i] == '\r')
			size++;
	return size;
}

void netascii_dec_init(struct netascii_dec *d)
{
	d->saw_cr = 0;
}

size_t netascii_decode(struct netascii_dec *d, const uint8_t *in, size_t in_len, uint8_t *out)
{
	size_t i, o = 0;

	/* o <= i at every write, so out == in is safe. */
	for (i = 0; i < in_len; i++) {
		uint8_t c = in[i];

		if (d->saw_cr) {
			d->saw_cr = 0;
			if (c == '\n') {
				out[o++] = '\n';
				continue;
			}
			if (c == '\0') {
				out[o++] = '\r';
				continue;
			}
			/* bare CR: dropped (see top of file) */
		}
		if (c == '\r')
			d->saw_cr = 1;
		else
			out[o++] = c;
	}
	return o;
}

size_t netascii_dec_finish(struct netascii_dec *d, uint8_t *out)
{
	if (!d->saw_cr)
		return 0;
	d->saw_cr = 0;
	out[0] = '\r';
	return 1;
}
