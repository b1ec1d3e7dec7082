/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SHA-256 (FIPS 180-4). Used once per image version so a transfer can be
 * checked end to end against what the pool holds, and by the load
 * generator on every byte it downloads: on x86-64 CPUs with the SHA
 * extensions the blocks go through SHA-NI (about 6x faster), else portable C.
 */
#ifndef XTFTP_SHA256_H
#define XTFTP_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_DIGEST_LEN 32
#define SHA256_HEX_LEN (2 * SHA256_DIGEST_LEN + 1)

struct sha256_ctx {
	uint32_t state[8];
	uint64_t total_len;     /* bytes hashed so far */
	uint8_t buf[64];        /* partial block */
	size_t buf_len;
};

void sha256_init(struct sha256_ctx *ctx);
void sha256_update(struct sha256_ctx *ctx, const void *data, size_t len);
void sha256_final(struct sha256_ctx *ctx, uint8_t digest[SHA256_DIGEST_LEN]);
/* One-shot helper. */
void sha256(const void *data, size_t len, uint8_t digest[SHA256_DIGEST_LEN]);
/* Lower-case hex, NUL-terminated, as sha256sum(1) prints it. */
void sha256_hex(const uint8_t digest[SHA256_DIGEST_LEN], char out[SHA256_HEX_LEN]);

/* 1 if blocks are hashed with SHA-NI now (CPU has it, not forced off). */
int sha256_uses_shani(void);
/* Tests and benchmarks: set to 1 to hash with the portable C path only. */
extern int sha256_force_portable;

#endif
