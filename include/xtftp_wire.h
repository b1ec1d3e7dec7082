/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * TFTP wire format: opcodes, error codes and protocol limits.
 * Shared by the BPF programs and userspace; data layout and constants only.
 */
#ifndef XTFTP_WIRE_H
#define XTFTP_WIRE_H

/* RFC 1350 opcodes (network byte order on the wire, 2 bytes). */
enum tftp_opcode {
	TFTP_RRQ = 1,
	TFTP_WRQ = 2,
	TFTP_DATA = 3,
	TFTP_ACK = 4,
	TFTP_ERROR = 5,
	TFTP_OACK = 6, /* RFC 2347 */
};

/* RFC 1350 / RFC 2347 error codes. */
enum tftp_error_code {
	TFTP_EUNDEF = 0,    /* not defined, see message */
	TFTP_ENOTFOUND = 1, /* file not found */
	TFTP_EACCESS = 2,   /* access violation */
	TFTP_ENOSPACE = 3,  /* disk full or allocation exceeded */
	TFTP_EBADOP = 4,    /* illegal TFTP operation */
	TFTP_EBADID = 5,    /* unknown transfer ID */
	TFTP_EEXISTS = 6,   /* file already exists */
	TFTP_ENOUSER = 7,   /* no such user */
	TFTP_EOPTNEG = 8,   /* option negotiation refused (RFC 2347) */
};

#define TFTP_PORT 69
#define TFTP_HDR_LEN 4            /* opcode + block number / error code */
#define TFTP_DEFAULT_BLKSIZE 512  /* RFC 1350 */
#define TFTP_BLKSIZE_MIN 8        /* RFC 2348 */
#define TFTP_BLKSIZE_MAX 65464    /* RFC 2348 */
#define TFTP_TIMEOUT_MIN 1        /* RFC 2349, seconds */
#define TFTP_TIMEOUT_MAX 255
#define TFTP_WINDOWSIZE_MIN 1     /* RFC 7440 */
#define TFTP_WINDOWSIZE_MAX 65535
#define TFTP_MAX_PACKET (TFTP_HDR_LEN + TFTP_BLKSIZE_MAX)

/* Block numbers are 16 bits on the wire and roll over from 65535 to 0
 * (what tftpd-hpa and U-Boot do), so the wire number of absolute block
 * index n (1-based, counting every block ever sent) is n & 0xffff. */
#define TFTP_BLOCK_WIRE(n) ((unsigned short)((n) & 0xffff))

#endif /* XTFTP_WIRE_H */
