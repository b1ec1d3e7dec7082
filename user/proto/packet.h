/* SPDX-License-Identifier: GPL-2.0-or-later */
/* TFTP packet parsing and building (RFC 1350, 2347). Pure functions. */
#ifndef XTFTP_PACKET_H
#define XTFTP_PACKET_H

#include <stddef.h>
#include <stdint.h>

#define TFTP_MAX_OPTIONS 16     /* more options than this: -E2BIG, first 16 kept */
#define TFTP_MAX_NAME 4096      /* longest file name accepted in a request */

struct tftp_option {
	const char *name;       /* points into the packet buffer (NUL-terminated there) */
	const char *value;
};

/* A parsed RRQ/WRQ. Strings point into the caller's buffer, which must stay
 * alive and must be NUL-terminated within its length (the parser checks). */
struct tftp_request {
	uint16_t opcode;        /* TFTP_RRQ or TFTP_WRQ */
	const char *filename;
	const char *mode;       /* as sent; compare case-insensitively */
	int netascii;           /* 1 if mode is "netascii", 0 if "octet" */
	unsigned int n_options;
	struct tftp_option options[TFTP_MAX_OPTIONS];
};

/* Returns 0, or -EINVAL (malformed: a string without NUL, empty name,
 * name longer than TFTP_MAX_NAME, unknown mode -> caller answers error 4),
 * -E2BIG (more than TFTP_MAX_OPTIONS options: req holds the first
 * TFTP_MAX_OPTIONS and is otherwise valid; caller ignores extras).
 * A trailing option name without value, and anything after an empty option
 * name (NUL padding), are ignored like tftpd-hpa does: not an error. */
int tftp_parse_request(const uint8_t *buf, size_t len, struct tftp_request *req);

/* Opcode of a packet, or -EINVAL if shorter than 2 bytes. */
int tftp_opcode(const uint8_t *buf, size_t len);
/* ACK: 0 and *block, or -EINVAL if len < 4 or not an ACK. Extra bytes ignored. */
int tftp_parse_ack(const uint8_t *buf, size_t len, uint16_t *block);
/* DATA: 0, *block, *payload, *payload_len; -EINVAL if malformed. */
int tftp_parse_data(const uint8_t *buf, size_t len, uint16_t *block,
		    const uint8_t **payload, size_t *payload_len);
/* ERROR: 0, *code, *msg (may be "" when the packet has no message or no NUL). */
int tftp_parse_error(const uint8_t *buf, size_t len, uint16_t *code, const char **msg);

/* Builders return the packet length written into buf, or -ENOSPC. */
int tftp_build_data_header(uint8_t *buf, size_t cap, uint16_t block); /* 4 bytes */
int tftp_build_ack(uint8_t *buf, size_t cap, uint16_t block);
int tftp_build_error(uint8_t *buf, size_t cap, uint16_t code, const char *msg);
/* OACK from parallel name/value arrays (values already formatted). */
int tftp_build_oack(uint8_t *buf, size_t cap, const struct tftp_option *opts,
		    unsigned int n);

#endif
