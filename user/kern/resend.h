/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Resends on the daemon's timer sent by the kernel (xtftp_kern.h, struct
 * xt_resend_req): the request datagram out of the session's interface,
 * and whether tc_resend turned it into the block.
 */
#ifndef XTFTP_RESEND_H
#define XTFTP_RESEND_H

#include <stdint.h>
#include <linux/types.h>
#include "xtftp_kern.h"

struct resend_sockets {
	int fd4, fd6;           /* -1: none */
};

void resend_init(struct resend_sockets *rs);
/* The request sockets, opened once with the programs (so the daemon's fd
 * count does not move later): 0, or a negative errno when neither family
 * has one. */
int resend_open(struct resend_sockets *rs);
void resend_close(struct resend_sockets *rs);
/*
 * Ask tc_resend to send block of the session key names (sessions_fd: the
 * session map). 0 when the kernel sent it (the session's timer_resends
 * moved); refused: -EALREADY when the client has acknowledged the block
 * meanwhile (nothing to send), -EAGAIN otherwise (the caller sends it);
 * another negative errno when the request could not be sent.
 */
int resend_via_kernel(struct resend_sockets *rs, int sessions_fd, const struct session_key *key,
		      uint32_t block);

#endif
