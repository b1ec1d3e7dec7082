/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The transfer state machine (RRQ sender, WRQ receiver), pure: events and the time come in as
 * arguments, what to do comes out in a struct xfer_out. It opens no socket,
 * reads no clock and knows nothing of libbpf; the daemon's session code
 * (engine.c) carries out its answer. Why: retransmission, windows, rollover
 * and the kernel hand-off are tested by scripted sequences
 * (tests/unit/test_xfer.c) instead of only through network namespaces.
 *
 * Blocks are absolute (int64_t here; the wire carries n & 0xffff, see
 * xtftp_block.h): block 0 is the OACK, DATA starts at 1. The ACK
 * arithmetic is xtftp_ack.h's, the one the BPF programs compile.
 */
#ifndef XTFTP_PROTO_XFER_H
#define XTFTP_PROTO_XFER_H

#include <stddef.h>
#include <stdint.h>

/* The RTO's floor until the session's first loss (a timeout or a
 * duplicate ACK) is XFER_CLEAN_SRTT_FACTOR turnarounds (srtt) within
 * [XFER_CLEAN_RTO_MIN_NS, XFER_CLEAN_RTO_FLOOR_NS]; the latter is also the
 * most a needless resend raises the floor to. Why scaled by the
 * turnaround: a client's pauses on a clean link grow with it. Firmware
 * under an emulator answers in 135-410 us and pauses up to 20-50 ms
 * (32,769 blocks under QEMU: GRUB, srtt 178 us, got 214 needless resends
 * with a 250 us floor, 64 with 5 ms, none with 20 ms; iPXE, srtt 135 us,
 * one with 20 ms, none with 50 ms): it gets the full 50 ms. A host on the
 * LAN answers in 6-30 us: its first loss costs a few milliseconds, not 50
 * (a whole 1 MiB download takes 30-40 ms there). */
#define XFER_CLEAN_SRTT_FACTOR 512
#define XFER_CLEAN_RTO_MIN_NS 2000000ull
#define XFER_CLEAN_RTO_FLOOR_NS 50000000ull

struct xfer {
	/* settings, fixed for the transfer */
	int wrq;                        /* receiving an upload, else sending */
	unsigned int blksize;           /* WRQ: a shorter DATA is the last */
	unsigned int windowsize;        /* RFC 7440, >= 1 */
	uint64_t timeout_ns;            /* RFC 2349, or the daemon's default */
	unsigned int max_retries;       /* timeouts in a row before giving up */
	/* progress */
	int64_t last_sent;              /* highest block sent; 0 = the OACK */
	int64_t last_acked;             /* highest block acknowledged; -1 = none */
	int64_t final_block;            /* 0 = not known yet (netascii) */
	unsigned int retries;           /* timeouts in a row at or above timeout_ns */
	unsigned int timeouts_in_row;   /* every timeout since the last progress */
	int done;                       /* the final ACK arrived, or gave up */
	int client_acked;               /* an ACK of ours came back at all */
	int dup_since_timer;            /* a duplicate ACK came since the last timeout */
	unsigned int silent_timeouts;   /* timeouts in a row with no duplicate ACK
					 * between them: the client said nothing */
	/* loss recovery (xtftp_rto.h) */
	int timeout_asked;              /* RFC 2349: the client chose timeout_ns:
					 * used as is, never adapted */
	uint64_t srtt_ns, rttvar_ns;    /* turnaround estimate, 0 = no sample */
	int64_t turn_block;             /* newest block sent once (Karn), -1 none */
	uint64_t turn_ns;               /* ... and when */
	uint64_t last_send_ns;          /* when DATA last went out */
	int64_t last_resent;            /* block resent last, not yet echoed; 0 none */
	int ignores_repeats;            /* the client re-ACKs on its own timer only */
	int loss_seen;                  /* a timeout or a duplicate ACK happened: the
					 * RTO may go below the clean-link floor */
	uint64_t rto_floor_ns;          /* 0, or raised (doubled, up to
					 * XFER_CLEAN_RTO_FLOOR_NS) each time a resend proved
					 * needless: the client echoed both copies */
	unsigned int needless_resends;  /* ... counted */
	int timer_resend_open;          /* the kernel serves; the timer resent and the
					 * next progress tells whether that was needed */
	uint32_t timer_resend_dups;     /* the kernel's dup_acks at that resend */
	uint64_t wait_ns;               /* the timer interval armed last */
	/* kernel hand-back: a session taken back from the kernel tiers goes
	 * back to them once the client is in step again */
	int kernel_capable;             /* the kernel tiers may serve it */
	int64_t resent_hi;              /* highest block resent (or sent by the
					 * kernel before a take-back) */
	unsigned int hand_backs;
	/* kernel hand-off: while kernel is set the kernel tiers answer the
	 * ACKs; xfer only watches their progress on its timer */
	int kernel;
	int64_t k_seen_acked;           /* the kernel's last_acked at the last look */
	uint64_t k_seen_ack_ns;         /* ... and when the kernel saw that ACK */
	uint32_t k_seen_dups;           /* the kernel's dup_acks at the last look */
	uint64_t k_pace_ns;             /* the client's pace between two looks: time
					 * per acknowledged block (0 unknown) */
	uint64_t k_resend_ns;           /* no progress: earliest next resend, 0 = now */
	uint64_t k_look_ns;             /* ... and the interval of the last look */
	/* WRQ */
	int64_t expected;               /* next block wanted */
	unsigned int since_ack;         /* blocks taken since our last ACK */
	int gap_acked;                  /* a gap in this window was ACKed (once) */
	int dallying;                   /* stored and ACKed: answering a repeat of
					 * the last DATA until the timer ends it */
};

/* What the kernel's session entry says, read by the caller (after pausing
 * the entry when the session is taken back on an ACK). */
struct xfer_kview {
	uint32_t last_sent;
	int32_t last_acked;             /* -1: only the OACK is out */
	int done;                       /* the kernel saw the final ACK */
	uint64_t last_data_ns;          /* when the kernel last sent DATA (same clock as now) */
	uint64_t srtt_ns, rttvar_ns;    /* the kernel's turnaround estimate (xtftp_rto.h) */
	uint64_t last_ack_ns;           /* when the kernel last saw a new ACK, 0 none */
	uint32_t dup_acks;              /* duplicate ACKs the kernel saw (it answers them) */
};

/* Bits of xfer_out.events: what happened, for counters, logs and events. */
enum xfer_event {
	XFER_EV_ACK_NEW    = 1u << 0,   /* a new ACK: acked is the new last_acked */
	XFER_EV_DUP_ACK    = 1u << 1,   /* a duplicate ACK: counted, never answered */
	XFER_EV_DONE       = 1u << 2,   /* the final block is acknowledged */
	XFER_EV_TIMEOUT    = 1u << 3,   /* a timeout without progress */
	XFER_EV_STALL      = 1u << 4,   /* ... the first of a run */
	XFER_EV_GIVE_UP    = 1u << 5,   /* retries spent: fail at block acked + 1 */
	XFER_EV_K_PROGRESS = 1u << 6,   /* the kernel advanced since the last look */
	XFER_EV_TAKE_BACK  = 1u << 7,   /* userspace serves from here (see k_gone) */
	/* WRQ */
	XFER_EV_DATA_NEW   = 1u << 8,   /* the DATA is the next block: store it */
	XFER_EV_LAST       = 1u << 9,   /* ... and the last: commit the file,
					 * then tell xfer_on_committed */
	XFER_EV_DUP_DATA   = 1u << 10,  /* a repeat (our ACK was lost): counted */
	XFER_EV_OVERSIZE   = 1u << 11,  /* DATA longer than blksize: abort */
	XFER_EV_DALLY_END  = 1u << 12,  /* the dally is over: free the session */
	XFER_EV_HAND_BACK  = 1u << 13,  /* the client is in step: give the session
					 * back to the kernel tiers (their entry
					 * first, then send the blocks) */
	XFER_EV_UNCONFIRMED = 1u << 15, /* the final block went out, everything
					 * before it is acked, its ACK never came
					 * within the dally: delivered, unconfirmed */
	XFER_EV_DUP_RESEND = 1u << 14,  /* a duplicate ACK resent the block after
					 * it (xtftp_rto.h rule 2) */
};

struct xfer_out {
	unsigned int events;            /* enum xfer_event bits */
	int64_t acked;                  /* last_acked after the event */
	/* send blocks send_from..send_to (inclusive; none when from > to).
	 * Block 0 is the OACK. Blocks below first_new are resends. The
	 * caller stops after a short block and reports it (xfer_set_final). */
	int64_t send_from, send_to;
	int64_t first_new;
	int k_gone;                     /* with XFER_EV_TAKE_BACK: the kernel's entry is gone */
	int64_t ack;                    /* WRQ: send ACK of this block (0 with
					 * options: the OACK); -1 none */
	uint64_t deadline;              /* arm the timer for this time; 0 = leave it */
};

/* Set up an RRQ. When has_oack, the OACK (block 0) goes first and waits
 * for ACK 0; else DATA 1. kernel: the kernel tiers hold the session (their
 * entry was written before anything is sent). final_block 0 = unknown. */
void xfer_rrq_start(struct xfer *x, unsigned int windowsize, uint64_t timeout_ns,
		    unsigned int max_retries, int64_t final_block, int has_oack, int kernel,
		    uint64_t now, struct xfer_out *out);

/* An ACK reached userspace. When x->kernel is set the kernel passed it on:
 * the caller pauses the kernel's entry first and passes what it read after
 * that (k NULL: the entry is gone); the session is taken back. */
void xfer_on_ack(struct xfer *x, uint16_t wire_block, const struct xfer_kview *k,
		 uint64_t now, struct xfer_out *out);

/* The timer fired (RRQ and WRQ). k: the kernel's entry when x->kernel
 * (NULL: gone). */
void xfer_on_timer(struct xfer *x, const struct xfer_kview *k, uint64_t now,
		   struct xfer_out *out);

/* The client chose the timeout (RFC 2349 timeout/utimeout): it is used as
 * is, never adapted to the measured turnaround. Call after xfer_rrq_start. */
void xfer_timeout_asked(struct xfer *x);

/* The retransmission timeout now: timeout_ns until a turnaround sample
 * exists or when the client chose it, else xt_rto() of the estimate. */
uint64_t xfer_rto(const struct xfer *x);
/* An RRQ whose final window (lock-step: final block) went out, everything
 * before it acknowledged: if the client now goes quiet or moves on, it
 * most likely has the file (delivered-unconfirmed). */
int xfer_final_window_out(const struct xfer *x);

/* The kernel reported the final ACK (ring buffer event). */
void xfer_on_kernel_done(struct xfer *x, struct xfer_out *out);

/* Block n turned out short while being sent: it is the last one (netascii,
 * or a file that shrank). Nothing after it is sent. */
void xfer_set_final(struct xfer *x, int64_t n);

/* Set up a WRQ: ACK 0 (or the OACK) goes out, DATA 1 is wanted. */
void xfer_wrq_start(struct xfer *x, unsigned int blksize, unsigned int windowsize,
		    uint64_t timeout_ns, unsigned int max_retries, uint64_t now,
		    struct xfer_out *out);

/* DATA with wire_block and len payload bytes arrived. */
void xfer_on_data(struct xfer *x, uint16_t wire_block, size_t len, uint64_t now,
		  struct xfer_out *out);

/* The upload is stored (after XFER_EV_LAST): ACK the last block and dally,
 * RFC 1350: that ACK may be lost and the client then sends the DATA again. */
void xfer_on_committed(struct xfer *x, uint64_t now, struct xfer_out *out);

/* Interval before the next resend after retries timeouts in a row:
 * timeout_ns doubled per retry, capped (see xfer.c). */
uint64_t xfer_retransmit_interval(uint64_t timeout_ns, unsigned int retries);

#endif /* XTFTP_PROTO_XFER_H */
