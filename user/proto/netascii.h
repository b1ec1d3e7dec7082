/* SPDX-License-Identifier: GPL-2.0-or-later */
/* netascii (RFC 764 as used by RFC 1350): LF -> CR LF, CR -> CR NUL on the
 * wire. Streaming converters: state carries a pending byte across calls. */
#ifndef XTFTP_NETASCII_H
#define XTFTP_NETASCII_H

#include <stddef.h>
#include <stdint.h>

struct netascii_enc {
	int pending;            /* -1 none, else the byte still to emit (\n or \0) */
};
struct netascii_dec {
	int saw_cr;             /* last input byte was CR */
};

void netascii_enc_init(struct netascii_enc *e);
/* Encode from in (up to in_len) into out (exactly out_cap unless input ends).
 * Returns bytes written; *consumed = input bytes used. Call with in_len 0 to
 * flush a pending byte. */
size_t netascii_encode(struct netascii_enc *e, const uint8_t *in, size_t in_len,
		       size_t *consumed, uint8_t *out, size_t out_cap);
/* Size of the netascii form of a whole buffer (for tsize). */
uint64_t netascii_encoded_size(const uint8_t *in, size_t len);

void netascii_dec_init(struct netascii_dec *d);
/* Decode in place-safe (out may equal in): CR LF -> LF, CR NUL -> CR.
 * Returns bytes written to out (<= in_len). A trailing CR is held in state.
 * A CR followed by anything but LF or NUL (not netascii) is dropped. */
size_t netascii_decode(struct netascii_dec *d, const uint8_t *in, size_t in_len, uint8_t *out);
/* Flush at end of stream: writes a held CR (returns 1) or nothing (0). */
size_t netascii_dec_finish(struct netascii_dec *d, uint8_t *out);

#endif
