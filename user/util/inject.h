/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fault injection settings (include/xtftp_inject.h) as text: the daemon's
 * --inject SPEC, the control command "inject SPEC", and what
 * `xtftpctl inject` prints back.
 *
 *   SPEC  = MODE [":" KEY "=" VALUE ("," KEY "=" VALUE)*] | "off"
 *   MODE  = drop | dup
 *   KEY   = prob (0..1, default 1), blocks (N,M,... absolute block numbers,
 *           at most 16; only their first transmission is faulted),
 *           client-ip (IPv4 or IPv6 address), client-mac (aa:bb:cc:dd:ee:ff)
 *
 * e.g. "drop:prob=0.05", "drop:blocks=3,7,200", "dup:prob=0.1,client-ip=198.18.0.2".
 * A comma-separated token without "=" continues the previous value (block lists).
 */
#ifndef XTFTP_USER_INJECT_H
#define XTFTP_USER_INJECT_H

#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>
#include "xtftp_inject.h"

/* Parse spec into *out (zeroed first; "off"/"clear" gives mode OFF).
 * Returns 0, or -EINVAL with a one-line reason in err. */
int inject_parse(const char *spec, struct xt_inject *out, char *err, size_t errlen);
/* "drop prob=0.050 blocks=3,7 client-ip=198.18.0.2" or "off". A buffer of
 * INJECT_FORMAT_MAX bytes holds every setting (16 ten-digit blocks, the
 * longest IPv6 text and a MAC: 285 bytes); a smaller one may cut it. */
#define INJECT_FORMAT_MAX 320
void inject_format(const struct xt_inject *c, char *buf, size_t len);
/* "aa:bb:cc:dd:ee:ff" -> 6 bytes. 0 or -EINVAL. */
int inject_parse_mac(const char *s, uint8_t mac[6]);
/* xtftpctl inject: the request line "inject SPEC" (or "inject" to show)
 * from the command's words: mode "drop"/"dup"/NULL, the flag values (NULL
 * when absent), clear (--clear). Validates by parsing it. Returns 0, or
 * -EINVAL with a one-line reason in err. */
int inject_request(const char *mode, const char *prob, const char *blocks, const char *client_ip,
		   const char *client_mac, int clear, char *out, size_t len, char *err, size_t errlen);
/* A random number for xt_inject_decide (userspace side). */
uint32_t inject_random(void);

#endif
