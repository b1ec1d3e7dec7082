// SPDX-License-Identifier: GPL-2.0-or-later
/* SHA-256 against the FIPS 180-4 / NIST example vectors. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "sha256.h"

static void assert_digest(const uint8_t digest[SHA256_DIGEST_LEN], const char *want)
{
	char hex[SHA256_HEX_LEN];

	sha256_hex(digest, hex);
	assert_string_equal(hex, want);
}

static void test_empty(void **state)
{
	uint8_t d[SHA256_DIGEST_LEN];

	(void)state;
	sha256("", 0, d);
	assert_digest(d, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void test_abc(void **state)
{
	uint8_t d[SHA256_DIGEST_LEN];

	(void)state;
	sha256("abc", 3, d);
	assert_digest(d, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

/* 448 bits: the padding needs a second block. */
static void test_two_blocks(void **state)
{
	static const char msg[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	uint8_t d[SHA256_DIGEST_LEN];

	(void)state;
	sha256(msg, strlen(msg), d);
	assert_digest(d, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

/* 896 bits, from the same NIST example set. */
static void test_896_bits(void **state)
{
	static const char msg[] = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
				  "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
	uint8_t d[SHA256_DIGEST_LEN];

	(void)state;
	sha256(msg, strlen(msg), d);
	assert_digest(d, "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}

/* One million 'a', fed in odd-sized pieces to exercise the partial buffer. */
static void test_million_a(void **state)
{
	struct sha256_ctx ctx;
	uint8_t d[SHA256_DIGEST_LEN];
	char piece[997];
	size_t left = 1000000;

	(void)state;
	memset(piece, 'a', sizeof(piece));
	sha256_init(&ctx);
	while (left) {
		size_t n = left < sizeof(piece) ? left : sizeof(piece);

		sha256_update(&ctx, piece, n);
		left -= n;
	}
	sha256_final(&ctx, d);
	assert_digest(d, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

/* Splitting the input anywhere gives the same digest as one call. */
static void test_split_equivalence(void **state)
{
	uint8_t msg[300], one[SHA256_DIGEST_LEN], two[SHA256_DIGEST_LEN];
	size_t cut;

	(void)state;
	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)(i * 7 + 3);
	sha256(msg, sizeof(msg), one);
	for (cut = 0; cut <= sizeof(msg); cut++) {
		struct sha256_ctx ctx;

		sha256_init(&ctx);
		sha256_update(&ctx, msg, cut);
		sha256_update(&ctx, msg + cut, sizeof(msg) - cut);
		sha256_final(&ctx, two);
		assert_memory_equal(one, two, sizeof(one));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_abc),
		cmocka_unit_test(test_two_blocks),
		cmocka_unit_test(test_896_bits),
		cmocka_unit_test(test_million_a),
		cmocka_unit_test(test_split_equivalence),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
