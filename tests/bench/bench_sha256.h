/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SHA-256 (FIPS 180-4) for the load generator, header-only so that every
 * tests/bench/%.c stays one translation unit (the Makefile builds each into
 * its own binary). Kept local on purpose: the benchmark must be able to
 * verify downloads even while the library's sha256 module changes; swap to
 * user/sha256.h once its API is settled.
 */
#ifndef XTFTP_BENCH_SHA256_H
#define XTFTP_BENCH_SHA256_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define BENCH_SHA256_LEN 32

struct bench_sha256 {
	uint32_t h[8];
	uint64_t total;         /* bytes hashed so far */
	uint8_t buf[64];        /* partial block */
	size_t buf_len;
};

static const uint32_t bench_sha256_k[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static inline uint32_t bench_ror32(uint32_t x, unsigned int n)
{
	return (x >> n) | (x << (32 - n));
}

static inline void bench_sha256_init(struct bench_sha256 *c)
{
	static const uint32_t iv[8] = {
		0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
		0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
	};
	memcpy(c->h, iv, sizeof(iv));
	c->total = 0;
	c->buf_len = 0;
}

static inline void bench_sha256_block(struct bench_sha256 *c, const uint8_t *p)
{
	uint32_t w[64], a, b, cc, d, e, f, g, h, t1, t2;
	int i;

	for (i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		       (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (i = 16; i < 64; i++) {
		uint32_t s0 = bench_ror32(w[i - 15], 7) ^ bench_ror32(w[i - 15], 18) ^ (w[i - 15] >> 3);
		uint32_t s1 = bench_ror32(w[i - 2], 17) ^ bench_ror32(w[i - 2], 19) ^ (w[i - 2] >> 10);
		w[i] = w[i - 16] + s0 + w[i - 7] + s1;
	}
	a = c->h[0]; b = c->h[1]; cc = c->h[2]; d = c->h[3];
	e = c->h[4]; f = c->h[5]; g = c->h[6]; h = c->h[7];
	for (i = 0; i < 64; i++) {
		t1 = h + (bench_ror32(e, 6) ^ bench_ror32(e, 11) ^ bench_ror32(e, 25)) +
		     ((e & f) ^ (~e & g)) + bench_sha256_k[i] + w[i];
		t2 = (bench_ror32(a, 2) ^ bench_ror32(a, 13) ^ bench_ror32(a, 22)) +
		     ((a & b) ^ (a & cc) ^ (b & cc));
		h = g; g = f; f = e; e = d + t1;
		d = cc; cc = b; b = a; a = t1 + t2;
	}
	c->h[0] += a; c->h[1] += b; c->h[2] += cc; c->h[3] += d;
	c->h[4] += e; c->h[5] += f; c->h[6] += g; c->h[7] += h;
}

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>

/*
 * The load generator hashes every byte it downloads, on the same 2 cores
 * as the server it measures: with the SHA extensions it costs ~10x less.
 * Message schedule in four registers m[0..3] rotating through the 16
 * groups of 4 rounds (the usual Intel SHA-NI sequence, written as a loop).
 */
__attribute__((target("sha,sse4.1,ssse3")))
static void bench_sha256_ni(uint32_t h[8], const uint8_t *p, size_t nblocks)
{
	const __m128i mask = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
	__m128i s0, s1, tmp, msg, m[4], abef, cdgh;
	int g;

	tmp = _mm_loadu_si128((const __m128i *)&h[0]);
	s1 = _mm_loadu_si128((const __m128i *)&h[4]);
	tmp = _mm_shuffle_epi32(tmp, 0xB1);             /* CDAB */
	s1 = _mm_shuffle_epi32(s1, 0x1B);               /* EFGH */
	s0 = _mm_alignr_epi8(tmp, s1, 8);               /* ABEF */
	s1 = _mm_blend_epi16(s1, tmp, 0xF0);            /* CDGH */

	for (; nblocks; nblocks--, p += 64) {
		abef = s0;
		cdgh = s1;
		for (g = 0; g < 16; g++) {
			if (g < 4)
				m[g] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 16 * g)), mask);
			msg = _mm_add_epi32(m[g & 3], _mm_loadu_si128((const __m128i *)&bench_sha256_k[4 * g]));
			s1 = _mm_sha256rnds2_epu32(s1, s0, msg);
			if (g >= 3 && g <= 14) {
				tmp = _mm_alignr_epi8(m[g & 3], m[(g - 1) & 3], 4);
				m[(g + 1) & 3] = _mm_add_epi32(m[(g + 1) & 3], tmp);
				m[(g + 1) & 3] = _mm_sha256msg2_epu32(m[(g + 1) & 3], m[g & 3]);
			}
			msg = _mm_shuffle_epi32(msg, 0x0E);
			s0 = _mm_sha256rnds2_epu32(s0, s1, msg);
			if (g >= 1 && g <= 12)
				m[(g - 1) & 3] = _mm_sha256msg1_epu32(m[(g - 1) & 3], m[g & 3]);
		}
		s0 = _mm_add_epi32(s0, abef);
		s1 = _mm_add_epi32(s1, cdgh);
	}

	tmp = _mm_shuffle_epi32(s0, 0x1B);              /* FEBA */
	s1 = _mm_shuffle_epi32(s1, 0xB1);               /* DCHG */
	s0 = _mm_blend_epi16(tmp, s1, 0xF0);            /* DCBA */
	s1 = _mm_alignr_epi8(s1, tmp, 8);               /* ABEF */
	_mm_storeu_si128((__m128i *)&h[0], s0);
	_mm_storeu_si128((__m128i *)&h[4], s1);
}

/* 1 if the CPU has the SHA extensions (CPUID.7.0:EBX bit 29), cached. */
static inline int bench_sha256_have_ni(void)
{
	static int have = -1;
	unsigned int a, b, c, d;

	if (have < 0) {
		have = 0;
		if (!getenv("BENCH_SHA256_GENERIC") && __get_cpuid_count(7, 0, &a, &b, &c, &d))
			have = (b >> 29) & 1;
	}
	return have;
}
#else
static inline int bench_sha256_have_ni(void) { return 0; }
static inline void bench_sha256_ni(uint32_t h[8], const uint8_t *p, size_t n)
{
	(void)h; (void)p; (void)n;
}
#endif

static inline void bench_sha256_blocks(struct bench_sha256 *c, const uint8_t *p, size_t n)
{
	if (bench_sha256_have_ni()) {
		bench_sha256_ni(c->h, p, n);
		return;
	}
	for (; n; n--, p += 64)
		bench_sha256_block(c, p);
}

static inline void bench_sha256_update(struct bench_sha256 *c, const void *data, size_t len)
{
	const uint8_t *p = data;

	c->total += len;
	if (c->buf_len) {
		size_t take = 64 - c->buf_len;

		if (take > len)
			take = len;
		memcpy(c->buf + c->buf_len, p, take);
		c->buf_len += take;
		p += take;
		len -= take;
		if (c->buf_len < 64)
			return;
		bench_sha256_blocks(c, c->buf, 1);
		c->buf_len = 0;
	}
	if (len >= 64) {
		bench_sha256_blocks(c, p, len / 64);
		p += len & ~(size_t)63;
		len &= 63;
	}
	memcpy(c->buf, p, len);
	c->buf_len = len;
}

static inline void bench_sha256_final(struct bench_sha256 *c, uint8_t out[BENCH_SHA256_LEN])
{
	uint64_t bits = c->total * 8;
	uint8_t pad[72] = { 0x80 };
	size_t pad_len = (c->buf_len < 56 ? 56 : 120) - c->buf_len;
	int i;

	for (i = 0; i < 8; i++)
		pad[pad_len + i] = (uint8_t)(bits >> (56 - 8 * i));
	/* update() would count the padding into total; bits is already taken */
	bench_sha256_update(c, pad, pad_len + 8);
	for (i = 0; i < 8; i++) {
		out[4 * i] = (uint8_t)(c->h[i] >> 24);
		out[4 * i + 1] = (uint8_t)(c->h[i] >> 16);
		out[4 * i + 2] = (uint8_t)(c->h[i] >> 8);
		out[4 * i + 3] = (uint8_t)c->h[i];
	}
}

#endif /* XTFTP_BENCH_SHA256_H */
