/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Why did a transfer fail or stall? Facts gathered about the client (its
 * link address from the neighbour table, ICMP errors about it through
 * IP_RECVERR) and a one-sentence diagnosis from a transfer's record, for
 * `failed` and `stall` events and the `top` screen. The hints are listed
 * in docs/observability.md.
 */
#ifndef XTFTP_DIAGNOSE_H
#define XTFTP_DIAGNOSE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include "transfer.h"

/* Ask the kernel to queue ICMP errors about what fd sends (IP_RECVERR /
 * IPV6_RECVERR), so a closed client port is seen on an unconnected socket.
 * Returns 0 or -errno (harmless: diagnosis just has less to go on). */
int diagnose_enable_recverr(int fd, int family);
/*
 * Drain fd's error queue into t (icmp_errors, icmp_type, icmp_code). Must be
 * called when the socket reports an error, or epoll keeps signalling
 * EPOLLERR. Returns the number of ICMP errors read.
 */
int diagnose_read_errqueue(int fd, struct transfer *t);

/* "aa:bb:cc:dd:ee:ff" of the client from the neighbour table of ifindex
 * (netlink RTM_GETNEIGH), "" when there is no entry. Returns 0 or -errno. */
int diagnose_neighbour(const struct sockaddr_storage *client, unsigned int ifindex,
		       char *mac, size_t len);

/*
 * Diagnosis of t into buf ("" when there is nothing to say, e.g. a clean
 * done). For a running transfer, stalled_ns is how long it has gone without
 * progress (0: not stalled). timeout_ns is the retransmit timeout in use.
 */
void diagnose_transfer(const struct transfer *t, uint64_t stalled_ns, char *buf, size_t len);

#endif
