// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests: netascii streaming encode/decode (user/proto/netascii.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "proto/netascii.h"

/* Encode all of in with output blocks of block bytes; returns total length. */
static size_t encode_all(const uint8_t *in, size_t len, uint8_t *out, size_t block)
{
	struct netascii_enc e;
	size_t pos = 0, o = 0, used, n;

	netascii_enc_init(&e);
	for (;;) {
		n = netascii_encode(&e, in + pos, len - pos, &used, out + o, block);
		assert_true(n <= block);
		assert_true(used <= len - pos);
		pos += used;
		o += n;
		/* a short block is the last one, as on the wire */
		if (n < block)
			break;
	}
	assert_int_equal(pos, len);
	return o;
}

/* Decode in, fed in chunks of chunk bytes, in place in a copy. */
static size_t decode_all(const uint8_t *in, size_t len, uint8_t *out, size_t chunk)
{
	struct netascii_dec d;
	uint8_t *tmp = malloc(chunk ? chunk : 1);
	size_t pos = 0, o = 0, n, k;

	assert_non_null(tmp);
	netascii_dec_init(&d);
	while (pos < len) {
		k = len - pos < chunk ? len - pos : chunk;
		memcpy(tmp, in + pos, k);
		n = netascii_decode(&d, tmp, k, tmp);   /* in place */
		assert_true(n <= k);
		memcpy(out + o, tmp, n);
		o += n;
		pos += k;
	}
	o += netascii_dec_finish(&d, out + o);
	free(tmp);
	return o;
}

static void test_encode_basic(void **state)
{
	static const uint8_t in[] = "a\nb\rc\r\nd";
	static const uint8_t want[] = "a\r\nb\r\0c\r\0\r\nd";
	uint8_t out[64];
	size_t n;

	(void)state;
	n = encode_all(in, sizeof(in) - 1, out, 512);
	assert_int_equal(n, sizeof(want) - 1);
	assert_memory_equal(out, want, n);
	assert_int_equal(netascii_encoded_size(in, sizeof(in) - 1), sizeof(want) - 1);
	assert_int_equal(netascii_encoded_size(in, 0), 0);
}

/* A CR LF pair split by the block boundary: CR ends one block, LF starts
 * the next; the state carries it. */
static void test_encode_boundary(void **state)
{
	static const uint8_t in[] = "abc\n";
	struct netascii_enc e;
	uint8_t out[8];
	size_t used, n;

	(void)state;
	netascii_enc_init(&e);
	n = netascii_encode(&e, in, 4, &used, out, 4);
	assert_int_equal(n, 4);
	assert_int_equal(used, 4);
	assert_memory_equal(out, "abc\r", 4);
	n = netascii_encode(&e, in + used, 0, &used, out, 4);   /* flush */
	assert_int_equal(n, 1);
	assert_int_equal(used, 0);
	assert_int_equal(out[0], '\n');
	/* nothing more */
	n = netascii_encode(&e, in, 0, &used, out, 4);
	assert_int_equal(n, 0);
}

static void test_encode_tiny_blocks(void **state)
{
	static const uint8_t in[] = "\r\r\n\n";
	static const uint8_t want[] = "\r\0\r\0\r\n\r\n";
	uint8_t out[32];
	size_t n;

	(void)state;
	/* 1-byte output blocks: every pair straddles a boundary */
	n = encode_all(in, 4, out, 1);
	/* encode_all stops at the first short block: the empty one */
	assert_int_equal(n, sizeof(want) - 1);
	assert_memory_equal(out, want, n);
}

static void test_decode_basic(void **state)
{
	static const uint8_t in[] = "a\r\nb\r\0c\r\0\r\nd";
	static const uint8_t want[] = "a\nb\rc\r\nd";
	uint8_t out[64];
	size_t n;

	(void)state;
	n = decode_all(in, sizeof(in) - 1, out, 512);
	assert_int_equal(n, sizeof(want) - 1);
	assert_memory_equal(out, want, n);
}

static void test_decode_boundary(void **state)
{
	struct netascii_dec d;
	uint8_t out[8];

	(void)state;
	netascii_dec_init(&d);
	/* CR at the end of one block is held, not written */
	assert_int_equal(netascii_decode(&d, (const uint8_t *)"ab\r", 3, out), 2);
	assert_memory_equal(out, "ab", 2);
	/* LF at the start of the next: one LF */
	assert_int_equal(netascii_decode(&d, (const uint8_t *)"\nc", 2, out), 2);
	assert_memory_equal(out, "\nc", 2);
	/* CR | NUL: one CR */
	assert_int_equal(netascii_decode(&d, (const uint8_t *)"\r", 1, out), 0);
	assert_int_equal(netascii_decode(&d, (const uint8_t *)"\0", 1, out), 1);
	assert_int_equal(out[0], '\r');
	/* a CR ending the stream is flushed by finish */
	assert_int_equal(netascii_decode(&d, (const uint8_t *)"\r", 1, out), 0);
	assert_int_equal(netascii_dec_finish(&d, out), 1);
	assert_int_equal(out[0], '\r');
	assert_int_equal(netascii_dec_finish(&d, out), 0);
}

/* Malformed: a bare CR followed by another byte is dropped, the same
 * whether or not a block boundary falls between them. */
static void test_decode_bare_cr(void **state)
{
	static const uint8_t in[] = "a\rb\r\rc";
	uint8_t out[16];
	size_t chunk, n;

	(void)state;
	for (chunk = 1; chunk <= sizeof(in); chunk++) {
		n = decode_all(in, sizeof(in) - 1, out, chunk);
		assert_int_equal(n, 3);
		assert_memory_equal(out, "abc", 3);
	}
}

/* Property: decode(encode(x)) == x for random data, any block sizes. */
static void test_round_trip_random(void **state)
{
	static const size_t blocks[] = { 1, 2, 3, 7, 8, 511, 512, 1468 };
	uint8_t *in, *enc, *dec;
	size_t len, n, m, b, i;
	unsigned int seed = 12345, iter;

	(void)state;
	in = malloc(8192);
	enc = malloc(2 * 8192 + 16);
	dec = malloc(8192 + 16);
	assert_non_null(in);
	assert_non_null(enc);
	assert_non_null(dec);
	for (iter = 0; iter < 300; iter++) {
		len = (size_t)rand_r(&seed) % 8192;
		for (i = 0; i < len; i++) {
			/* CR and LF dense enough to hit every boundary case */
			int r = rand_r(&seed) % 8;

			in[i] = r == 0 ? '\r' : r == 1 ? '\n' : r == 2 ? 0 : (uint8_t)rand_r(&seed);
		}
		b = blocks[iter % (sizeof(blocks) / sizeof(blocks[0]))];
		n = encode_all(in, len, enc, b);
		assert_int_equal(n, netascii_encoded_size(in, len));
		m = decode_all(enc, n, dec, blocks[(iter / 3) % (sizeof(blocks) / sizeof(blocks[0]))]);
		assert_int_equal(m, len);
		assert_memory_equal(dec, in, len);
	}
	free(in);
	free(enc);
	free(dec);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encode_basic),
		cmocka_unit_test(test_encode_boundary),
		cmocka_unit_test(test_encode_tiny_blocks),
		cmocka_unit_test(test_decode_basic),
		cmocka_unit_test(test_decode_boundary),
		cmocka_unit_test(test_decode_bare_cr),
		cmocka_unit_test(test_round_trip_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
