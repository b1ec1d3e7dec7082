/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The record of one transfer and the daemon's totals: what every view
 * (report, events, diagnose, the control socket, xtftpd recover) reads.
 * The daemon writes them; obs/ only reads them, so obs/ is below daemon/
 * and nothing here knows sessions, sockets or the kernel tiers.
 */
#ifndef XTFTP_TRANSFER_H
#define XTFTP_TRANSFER_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>
#include "hist.h"

enum xfer_outcome {
	XFER_RUNNING = 0,
	XFER_DONE,              /* final block acknowledged / upload committed */
	XFER_CLIENT_ERROR,      /* the client sent ERROR (code, message) */
	XFER_TIMEOUT,           /* retries exhausted at block N of M */
	XFER_REFUSED,           /* request answered with an ERROR by us */
	XFER_ABORTED,           /* server shutdown, I/O error */
	XFER_PROBE,             /* the client stopped after the OACK, before any
				 * DATA: a size probe (UEFI PXE, PXE ROMs ask for
				 * tsize first), neither done nor failed */
	XFER_UNCONFIRMED,       /* every block sent, all but the last acknowledged,
				 * the final ACK never came within a bounded
				 * dally: delivered, unconfirmed (the client
				 * left without it, or it was lost); neither
				 * done nor failed */
};

/* Tiers a transfer was served by (bit mask). */
#define XFER_TIER_USER 1u
#define XFER_TIER_TC   2u
#define XFER_TIER_XDP  4u

/* Everything the daemon reports about one transfer (issue 4's report). */
struct transfer {
	uint64_t id;                    /* 1, 2, ... in start order */
	int is_write;                   /* WRQ */
	struct sockaddr_storage client;
	struct sockaddr_storage local;  /* address the client asked */
	unsigned int ifindex;           /* ingress interface of the request */
	uint16_t server_port;           /* TID, host order */
	char requested[256];            /* name as sent (truncated) */
	char served[256];               /* path relative to ROOT */
	char mode[10];                  /* "octet" / "netascii" */
	char options[160];              /* OACK as sent, "blksize=1468 tsize=..." */
	unsigned int blksize;
	unsigned int windowsize;
	unsigned int timeout_us;
	uint64_t tsize;                 /* file size (RRQ) */
	unsigned int tiers;             /* XFER_TIER_* */
	uint64_t bytes;                 /* payload bytes delivered (acked) / received */
	uint64_t blocks;                /* DATA blocks acked (RRQ) or received (WRQ) */
	uint64_t blocks_user;           /* DATA sent by the userspace engine, incl. resends */
	uint64_t blocks_xdp;
	uint64_t blocks_tc;
	uint64_t final_block;           /* absolute number of the last block (0 unknown) */
	uint64_t stall_block;           /* block the transfer timed out on */
	uint32_t retransmits;           /* userspace resends (timer and duplicate ACK) */
	uint32_t dup_resends;           /* resends on a duplicate ACK, any tier
					 * (xtftp_rto.h rule 2) */
	uint32_t dup_acks;
	uint32_t timeouts;
	uint64_t start_ns;              /* CLOCK_MONOTONIC */
	uint64_t end_ns;
	struct timespec start_real;     /* CLOCK_REALTIME */
	enum xfer_outcome outcome;
	uint16_t error_code;            /* TFTP code sent or received */
	char message[128];              /* outcome detail */
	/* -- observability (issue 4: report.h, events.h, diagnose.h) -- */
	char ifname[16];                /* ingress interface name (IF_NAMESIZE) */
	char mac[18];                   /* client's link address from the neighbour table, "" unknown */
	uint16_t vlan_id;               /* 802.1Q VID of the request, 0 untagged */
	uint8_t mac_session;            /* --mac-sessions: mac is the requester's, replies went to it */
	uint32_t image_id;              /* kernel pool image served, 0 = none */
	uint32_t image_gen;             /* its generation */
	uint8_t sha256[32];             /* its sha256 (valid when sha256_known) */
	uint8_t sha256_known;           /* 0 while the pool is still hashing the
					 * image (start events, early listings) */
	uint64_t last_ack_ns;           /* CLOCK_MONOTONIC of the last new ACK / DATA, 0 none */
	uint32_t icmp_errors;           /* ICMP errors about the client (IP_RECVERR) */
	uint8_t icmp_type, icmp_code;   /* the last one */
	uint64_t restart_of;            /* id of the incomplete transfer this one restarts */
	unsigned int restart_pct;       /* how far that one had got, percent */
	uint64_t restarted_by;          /* id of the transfer that restarted this one */
	uint64_t restart_suspect;       /* id of a later request for the same file from
					 * this host, a restart unless this one goes on */
	uint64_t restart_suspect_ns;    /* ... when it came */
	uint64_t restart_suspect_block; /* ... and the blocks acked here then */
	uint64_t after_probe;           /* id of the size probe this transfer follows */
	unsigned int progress_pct;      /* last progress event sent */
	int stalled;                    /* a stall event was sent since the last progress */
	struct hist ack_to_data;        /* userspace-sent DATA only: ACK seen -> DATA sendto */
	struct hist turnaround;         /* userspace-sent DATA only: DATA sent -> ACK seen */
	char diagnosis[200];            /* why it failed or stalls, "" none */
	uint32_t inject_drops;          /* DATA frames dropped by fault injection (userspace) */
	uint32_t inject_dups;           /* DATA frames sent twice by fault injection (userspace) */
};

/*
 * The plain totals: counted by the engine alone, each one line in
 * `xtftpctl stats`, one key in its JSON and one Prometheus counter
 * (xtftpd_NAME_total, with this help). One list, so a new counter cannot
 * reach one output and miss another. X(name, help)
 */
#define ENGINE_PLAIN_TOTALS(X)                                                                   \
	X(transfers_started, "Transfers accepted (RRQ and WRQ).")                               \
	X(transfers_done, "Transfers completed.")                                               \
	X(transfers_failed, "Transfers that failed: client error, timeout, aborted.")           \
	X(transfers_probes,                                                                     \
	  "Size probes: the client stopped after the OACK, before any DATA (UEFI PXE).")       \
	X(transfers_unconfirmed,                                                                \
	  "Transfers delivered whose final ACK never came (bounded dally).")                    \
	X(requests_refused, "Requests answered with a TFTP ERROR.")                             \
	X(requests_denied, "Requests refused by --allow/--deny.")                               \
	X(requests_dropped, "Requests the kernel dropped: the request socket's buffer was full.") \
	X(requests_repeated, "Copies of a live transfer's request from its own port, ignored.")  \
	X(blocks_received, "DATA blocks received (uploads).")                                   \
	X(retransmits, "Packets the userspace engine resent (timer and duplicate ACK).")        \
	X(timeouts, "Retransmission timeouts.")                                                 \
	X(wrong_tid, "Packets from an unknown transfer ID (error 5).")                          \
	X(junk_ignored, "Runts and unknown opcodes from a client's port, ignored.")             \
	X(busy, "Requests refused because --max-sessions was reached.")                         \
	X(busy_per_client, "Requests refused because --max-per-client was reached.")            \
	X(kernel_sessions, "Transfers handed to the kernel tiers.")                             \
	X(kernel_takeovers, "Kernel sessions continued by the userspace engine.")               \
	X(kernel_handbacks, "Sessions the userspace engine gave back to the kernel tiers.")

/* Totals since start, for "xtftpctl stats". */
struct engine_totals {
#define ENGINE_TOTAL_FIELD(name, help) uint64_t name;
	ENGINE_PLAIN_TOTALS(ENGINE_TOTAL_FIELD)
#undef ENGINE_TOTAL_FIELD
	/* the rest are shown combined with the kernel's counters or by label */
	uint64_t sessions_peak;         /* most sessions at once since start */
	uint64_t sessions_peak_client;  /* most sessions of one client address at once */
	uint64_t rrq;
	uint64_t wrq;
	uint64_t blocks_user;
	uint64_t bytes_user;
	uint64_t dup_resends;           /* userspace's; the kernel's in its counter */
	uint64_t dup_acks;
	uint64_t kernel_dup_acks;       /* the part of dup_acks the kernel tiers counted */
	uint64_t inject_drop;           /* userspace DATA frames dropped by --inject */
	uint64_t inject_dup;            /* userspace DATA frames duplicated by --inject */
};

/* Format the one-line summary of a finished transfer into buf. */
void transfer_format(const struct transfer *t, char *buf, size_t len);
/* Outcome as a short word: "done", "client-error", "timeout", ... */
const char *transfer_outcome_name(enum xfer_outcome o);
/* Tiers as "xdp+tc+user", "none" when no block was sent yet. */
void transfer_tiers_string(unsigned int tiers, char *buf, size_t len);
/* "198.18.0.2:1234" / "[2001:db8::1]:1234" */
void format_sockaddr(const struct sockaddr_storage *ss, char *buf, size_t len);

#endif
