/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Inside the daemon: the engine, its sessions and listeners, shared by the
 * files of user/daemon/ (engine.c life cycle and loop, listeners.c,
 * admission.c, sessions.c, rrq.c, wrq.c, io.c, observe.c). Nothing outside
 * user/daemon/ includes it: the rest of the tree sees engine.h.
 */
#ifndef XTFTP_DAEMON_INTERNAL_H
#define XTFTP_DAEMON_INTERNAL_H

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <ifaddrs.h>
#include <inttypes.h>
#include <limits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <linux/types.h>
#include <linux/capability.h>
#include "xtftp_wire.h"
#include "xtftp_block.h"
#include "xtftp_ack.h"
#include "xtftp_kern.h"
#include "catalog.h"
#include "ctl/commands.h"
#include "ctl/control.h"
#include "obs/diagnose.h"
#include "engine.h"
#include "obs/events.h"
#include "kern/fastpath.h"
#include "linkpath.h"
#include "util/evsrc.h"
#include "util/inject.h"
#include "util/log.h"
#include "files/names.h"
#include "proto/negotiate.h"
#include "proto/netascii.h"
#include "proto/packet.h"
#include "files/path.h"
#include "proto/xfer.h"
#include "obs/report.h"
#include "util/timerheap.h"

#define RX_BUF_SIZE (TFTP_MAX_PACKET + 64)
#define HASH_BUCKETS 4096u
#define SHUTDOWN_GRACE_NS (2ull * 1000000000ull)


/* Receive buffer of the request sockets: 8 MiB holds ~8,000 queued RRQs
 * (a small datagram costs ~1 KiB of buffer), far more than any bench. */
#define LISTENER_RCVBUF (8 << 20)

struct listener {
	struct ev_source src;           /* readable: listener_on_event */
	struct engine *e;
	int fd;
	uint32_t rxq_dropped;           /* the kernel's SO_RXQ_OVFL count, as last seen */
	int family;
	struct sockaddr_storage addr;
	socklen_t addr_len;
};

/* netascii: where block n starts in the file and the encoder state there,
 * so a block inside the window can be re-encoded identically for a resend */
struct na_slot {
	int64_t block;
	uint64_t src_off;
	struct netascii_enc enc;
};

struct session {
	struct ev_source src;           /* readable: session_on_event */
	int dead;                       /* finished; in the graveyard */
	struct engine *e;
	struct transfer rec;
	struct session *next, *prev;    /* all live sessions */
	struct session *hnext;          /* hash chain (client address and port) */
	struct session *gnext;          /* graveyard */
	struct timer_node timer;
	int fd;                         /* transfer socket, or the listener's */
	int own_fd;
	struct listener *lst;
	struct link_peer link;          /* --mac-sessions: replies go to this MAC as frames */
	socklen_t peer_len;
	int is_write;
	int netascii;
	unsigned int blksize;
	unsigned int windowsize;
	uint64_t timeout_ns;
	uint64_t req_digest;            /* FNV-1a of the request datagram: a copy of it
					 * is told from a new request (admission.c) */
	struct xfer x;                  /* the protocol's state: progress, retries,
					 * kernel hand-off, WRQ's dally */
	struct negotiated neg;
	uint8_t *pkt;                   /* blksize + 4 */
	uint8_t *oack;
	size_t oack_len;
	/* RRQ */
	int file_fd;
	uint64_t file_size;
	struct stat file_st;            /* the file as opened: read directly (no image),
					 * a change ends the transfer */
	size_t final_len;
	struct na_slot *na;
	unsigned int na_n;
	int64_t na_next_block;
	uint64_t na_next_src;
	struct netascii_enc na_enc;
	/* kernel tier (x.kernel: the kernel answers this session's ACKs) */
	int in_map;                     /* a session_key entry exists */
	struct session_key key;
	const struct loaded_image *img;
	uint32_t k_inject_drops;        /* the kernel's fault injection on it (session_value) */
	uint32_t k_inject_dups;
	uint32_t k_dup_resends;         /* the kernel's resends on duplicate ACKs, as last read */
	uint32_t k_dup_acks;            /* duplicate ACKs the kernel counted on it, as last read;
					 * rec.dup_acks holds userspace's own until session_record */
	/* turnaround sample (obs): when the newest block went out; 0 after a
	 * resend of it (Karn: a resent block's ACK is ambiguous) */
	int64_t turn_block;
	uint64_t turn_ns;
	/* WRQ */
	int dir_fd;
	char tmp_name[64];
	char *final_name;
	struct netascii_dec dec;
};

/* --allow/--deny refusals logged once a minute per source address */
#define XT_DENIED_SLOTS 64
struct denied_source {
	struct sockaddr_storage addr;
	uint64_t last_ns;
};

struct engine {
	const struct xtftpd_options *opt;
	struct denied_source denied[XT_DENIED_SLOTS];
	int epfd;
	int root_fd;
	char root_real[PATH_MAX];
	struct listener lst[XT_MAX_LISTEN];
	unsigned int n_lst;
	struct { struct ev_source src; int fd; } sig;   /* signalfd: on_signal */
	struct { struct ev_source src; int fd; } fpev;  /* kernel tiers' ring buffer */
	struct fastpath *fp;
	struct linkpath *lp;            /* --mac-sessions: packet sockets */
	struct control *ctl;
	struct timer_heap timers;
	struct session *sessions;
	struct session *graveyard;
	struct session *hash[HASH_BUCKETS];
	struct client_count *per_client[HASH_BUCKETS]; /* sessions per client address */
	unsigned int n_sessions;
	uint64_t next_id;
	struct engine_totals tot;
	struct transfer ring[XT_RECORD_RING];
	unsigned int ring_head;         /* next slot to write */
	unsigned int ring_len;
	uint8_t *rx;
	uint8_t *scratch;
	FILE *event_log;
	struct events *ev;              /* event bus (events.h) */
	struct hist user_a2d;           /* userspace engine: ACK seen -> DATA sent */
	struct hist user_turn;          /* userspace engine: DATA sent -> ACK seen */
	struct name_resolver *names;    /* -m, --alias, --serve-any, --ignore-case; NULL none */
	struct xt_inject inject;        /* fault injection (inject.h), userspace tier */
	engine_tick_fn tick_fn;         /* embedding (xtftpd recover) */
	void *tick_ctx;
	uint64_t tick_ns, next_tick_ns;
	int stopping;
	uint64_t stop_deadline;
	uint64_t start_ns;
	struct timespec start_real;
	uid_t uid;
	gid_t gid;
	int have_user;
	mode_t umask;                   /* for uploaded files */
	struct catalog *cat;            /* published images, preload, pool counters */
};

struct client_count {
	struct client_count *next;
	struct sockaddr_storage addr;   /* port zeroed */
	unsigned int n;
};

struct request_ctx {
	struct listener *lst;
	struct sockaddr_storage peer;
	socklen_t peer_len;
	struct sockaddr_storage local;  /* destination address of the request */
	unsigned int ifindex;
	struct link_peer link;          /* --mac-sessions: the requester on the link */
};

#define OBS_RESTART_WINDOW_NS (120ull * 1000000000ull)
#define OBS_RESTART_MIN_AGE_NS (1000000000ull)

static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- io.c ------------------------------------------------------------------ */
int link_send(struct engine *e, const struct link_peer *lk,
		     const struct sockaddr_storage *local, const struct sockaddr_storage *peer,
		     const void *buf, size_t len);
int session_send(struct session *s, const void *buf, size_t len);
void send_error_via(struct listener *l, int fd, const struct sockaddr_storage *local,
			   const struct sockaddr_storage *peer, socklen_t peer_len,
			   uint16_t code, const char *msg);
void session_send_error(struct session *s, uint16_t code, const char *msg);
unsigned int max_blksize_for(const struct engine *e, unsigned int ifindex, int family);
int transfer_socket(struct engine *e, struct sockaddr_storage *local, socklen_t *local_len);

/* ---- sessions.c ------------------------------------------------------------ */
unsigned int addr_hash(const struct sockaddr_storage *ss);
struct session *session_lookup(struct engine *e, struct listener *l,
				      const struct sockaddr_storage *peer,
				      const struct link_peer *lk);
unsigned int client_count_get(struct engine *e, const struct sockaddr_storage *peer);
void client_count_add(struct engine *e, const struct sockaddr_storage *peer, int delta);
void session_arm_at(struct session *s, uint64_t deadline_ns);
void record_push(struct engine *e, const struct transfer *t);
void session_note_sha256(struct session *s, int finish);
int session_count_timeout(struct session *s, const struct xfer_out *out);
int session_final_window_out(struct session *s, int64_t *acked);
void session_count_retransmit(struct session *s);
void session_kernel_collect(struct session *s);
void session_record(struct session *s);
void session_finish(struct session *s, enum xfer_outcome outcome, uint16_t code,
			   const char *fmt, ...);
void session_free_now(struct session *s);
void graveyard_empty(struct engine *e);
void session_on_packet(struct session *s, const uint8_t *buf, size_t len);
void session_on_event(struct ev_source *src, uint32_t events);
void session_on_timer(struct session *s);
struct session *session_by_key(struct engine *e, const struct session_key *key);

/* ---- observe.c ------------------------------------------------------------- */
void session_live_view(const struct session *s, struct transfer *t, uint64_t now);
int same_host(const struct sockaddr_storage *a, const struct sockaddr_storage *b);
void obs_session_start(struct session *s);
void obs_on_ack(struct session *s, int64_t acked, uint64_t t_ack);
void obs_data_sent(struct session *s, uint64_t t_ack);
void obs_kernel_progress(struct session *s);
void obs_stall(struct session *s);
void obs_restart_settle(struct session *s);
/* Control commands (ctl/commands.h): 1 answered, 0 arguments not understood. */
int obs_cmd_stats(struct engine *e, const char *args, FILE *out);
int obs_cmd_transfers(struct engine *e, const char *args, FILE *out);
int obs_cmd_events(struct engine *e, const char *args, FILE *out);
int obs_cmd_top(struct engine *e, const char *args, FILE *out);
int obs_cmd_status(struct engine *e, const char *args, FILE *out);
void event_log_write(struct engine *e, const struct transfer *t);

/* ---- rrq.c ----------------------------------------------------------------- */
void rrq_carry_out(struct session *s, const struct xfer_out *out,
			  const struct session_value *val, uint64_t t_ack);
void rrq_on_ack(struct session *s, uint16_t wire);
void rrq_on_timeout(struct session *s);
void rrq_try_kernel(struct session *s, uint32_t first_sent);
int rrq_open(struct session *s, const struct request_ctx *rc,
		    const struct tftp_request *req, const char *name);

/* ---- wrq.c ----------------------------------------------------------------- */
void wrq_carry_out(struct session *s, const struct xfer_out *out,
			  const uint8_t *payload, size_t plen);
void wrq_on_data(struct session *s, const uint8_t *buf, size_t len);
void wrq_on_timeout(struct session *s);
int wrq_open(struct session *s, const struct request_ctx *rc,
		    const struct tftp_request *req, const char *name);

/* ---- admission.c ----------------------------------------------------------- */
void refuse(struct engine *e, const struct request_ctx *rc, const char *name, int is_write,
		   uint16_t code, const char *wire_msg, const char *why);
void handle_request(struct engine *e, struct request_ctx *rc, const uint8_t *buf, size_t len);

/* ---- listeners.c ----------------------------------------------------------- */
int listener_open(struct engine *e, const struct sockaddr_storage *addr, socklen_t len,
			 int required);
int engine_open_linkpath(struct engine *e);

/* ---- engine.c -------------------------------------------------------------- */
void key_addr(const struct sockaddr_storage *ss, uint8_t out[16], uint16_t *port);
unsigned int default_ifnames(struct engine *e, char names[][IF_NAMESIZE],
				    unsigned int max);

#endif
