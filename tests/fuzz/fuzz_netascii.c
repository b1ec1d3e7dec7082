// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target: netascii streaming. Input: byte 0 picks the encoder's
 * output block size, byte 1 the decoder's chunk size, the rest is the file.
 * Invariants (abort = finding):
 * - encode with any block size, then decode with any chunking (in place),
 *   gives back the input exactly;
 * - the encoded length equals netascii_encoded_size();
 * - decoding arbitrary bytes in place never writes more than it reads.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/netascii.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct netascii_enc e;
	struct netascii_dec d;
	uint8_t *enc = NULL, *dec = NULL, *chunk = NULL;
	size_t block, step, len, pos = 0, o = 0, used, n, k, m = 0;

	if (size < 2)
		return 0;
	block = (size_t)data[0] % 64 + 1;
	step = (size_t)data[1] % 64 + 1;
	data += 2;
	len = size - 2;

	enc = malloc(2 * len + block + 1);
	dec = malloc(len + step + 2);
	chunk = malloc(step);
	if (!enc || !dec || !chunk)
		goto out;

	netascii_enc_init(&e);
	for (;;) {
		n = netascii_encode(&e, data + pos, len - pos, &used, enc + o, block);
		if (n > block || used > len - pos)
			abort();
		pos += used;
		o += n;
		if (n < block)
			break;
		if (o > 2 * len + 1)
			abort();        /* the encoder stopped making progress */
	}
	if (pos != len || o != netascii_encoded_size(data, len))
		abort();

	netascii_dec_init(&d);
	for (pos = 0; pos < o; pos += k) {
		k = o - pos < step ? o - pos : step;
		memcpy(chunk, enc + pos, k);
		n = netascii_decode(&d, chunk, k, chunk);
		if (n > k)
			abort();
		memcpy(dec + m, chunk, n);
		m += n;
	}
	m += netascii_dec_finish(&d, dec + m);
	if (m != len || memcmp(dec, data, len) != 0)
		abort();

	/* Arbitrary (often malformed) netascii, decoded in place. */
	memcpy(enc, data, len);
	netascii_dec_init(&d);
	if (netascii_decode(&d, enc, len, enc) > len)
		abort();
out:
	free(enc);
	free(dec);
	free(chunk);
	return 0;
}
