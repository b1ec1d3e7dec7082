// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * SHA-256 against the FIPS 180-4 / NIST example vectors, once through the
 * portable C path (sha256_force_portable) and once through the path the
 * CPU picks (SHA-NI where it has the SHA extensions), and the two paths
 * against each other.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "util/sha256.h"

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

/* Both paths give the same digest for every length around block edges. */
static void test_paths_agree(void **state)
{
	static uint8_t msg[4099];
	uint8_t portable[SHA256_DIGEST_LEN], picked[SHA256_DIGEST_LEN];
	size_t len;

	(void)state;
	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)(i * 131 + (i >> 8));
	for (len = 0; len <= sizeof(msg); len += len < 300 ? 1 : 61) {
		sha256_force_portable = 1;
		sha256(msg, len, portable);
		sha256_force_portable = 0;
		sha256(msg, len, picked);
		assert_memory_equal(portable, picked, sizeof(portable));
	}
}

static int use_portable(void **state)
{
	(void)state;
	sha256_force_portable = 1;
	return 0;
}

static int use_picked(void **state)
{
	(void)state;
	sha256_force_portable = 0;
	if (!sha256_uses_shani())
		print_message("no SHA-NI on this CPU: the picked path is the portable one\n");
	return 0;
}

#define VECTOR_TESTS \
	cmocka_unit_test(test_empty), \
	cmocka_unit_test(test_abc), \
	cmocka_unit_test(test_two_blocks), \
	cmocka_unit_test(test_896_bits), \
	cmocka_unit_test(test_million_a), \
	cmocka_unit_test(test_split_equivalence)

int main(void)
{
	const struct CMUnitTest vectors[] = { VECTOR_TESTS };
	const struct CMUnitTest cross[] = { cmocka_unit_test(test_paths_agree) };
	int failed = 0;

	failed += cmocka_run_group_tests_name("sha256 portable", vectors, use_portable, NULL);
	failed += cmocka_run_group_tests_name("sha256 picked", vectors, use_picked, NULL);
	failed += cmocka_run_group_tests_name("sha256 paths", cross, NULL, NULL);
	return failed ? 1 : 0;
}
