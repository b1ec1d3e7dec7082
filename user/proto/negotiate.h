/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Option negotiation (RFC 2347 OACK, 2348 blksize, 2349 timeout/tsize,
 * 7440 windowsize, tftpd-hpa's utimeout). One module for every engine.
 */
#ifndef XTFTP_NEGOTIATE_H
#define XTFTP_NEGOTIATE_H

#include <stdint.h>
#include "packet.h"

struct negotiate_limits {
	unsigned int max_blksize;     /* server cap (--blocksize); <= 65464 */
	unsigned int max_windowsize;  /* server cap; >= 1 */
	unsigned int default_timeout_us; /* used when the client sends none */
	int refuse_tsize_unknown;     /* reserved, 0 */
};

/* Result of negotiation: what the transfer uses and what the OACK says. */
struct negotiated {
	unsigned int blksize;         /* 512 unless negotiated */
	unsigned int windowsize;      /* 1 unless negotiated */
	unsigned int timeout_us;      /* retransmit timeout */
	int timeout_asked;            /* the client chose it (timeout/utimeout
				       * accepted): used as is, not adapted */
	int has_tsize;                /* client asked tsize: OACK carries it */
	uint64_t tsize;               /* RRQ: filled by caller (file size); WRQ: client's */
	/* Options accepted, in the client's order, for the OACK. The value
	 * strings live in value_buf. n_oack == 0 means: no OACK, plain RFC 1350. */
	unsigned int n_oack;
	struct tftp_option oack[TFTP_MAX_OPTIONS];
	char value_buf[TFTP_MAX_OPTIONS][24];
	char oack_names[TFTP_MAX_OPTIONS][16];
};	/* oack[] points into this struct: do not copy it by value */

/*
 * Negotiate req's options against limits. Names compare case-insensitively;
 * a duplicated option: first one wins; unknown options are ignored (RFC 2347).
 * blksize < 8 or non-numeric -> ignored; > cap -> capped (never more than
 * asked: U-Boot rejects a larger one). timeout outside 1..255 or not an
 * integer -> ignored; an accepted timeout is echoed exactly as sent.
 * windowsize 0 or non-numeric -> ignored; capped to limits. utimeout
 * (microseconds, tftpd-hpa) 10000..255000000. tsize on RRQ: echoed with the
 * file size, which the caller sets with negotiate_set_tsize() before building
 * the OACK. Returns 0, or -EINVAL when the request must be refused with
 * error 8 (currently: tsize on WRQ with a non-numeric value).
 */
int negotiate_options(const struct tftp_request *req, const struct negotiate_limits *lim,
		      struct negotiated *out);
/* Fill in the tsize value for the OACK (RRQ). */
void negotiate_set_tsize(struct negotiated *n, uint64_t size);

#endif
