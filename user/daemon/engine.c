// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The userspace engine: one epoll loop, non-blocking sockets, a min-heap of
 * retransmission deadlines. It owns port 69, negotiates every request, and
 * then either hands an RRQ to the kernel tiers (session map) or serves it
 * itself; it also serves WRQ, netascii, and takes over any kernel session
 * whose ACKs the kernel passes on.
 *
 * Objects registered with epoll all start with an int "kind" so one
 * data.ptr dispatch serves listeners, sessions, signals, kernel events and
 * the control socket. Sessions finished while a batch of events is being
 * handled go to a graveyard freed after the batch, so a later event of the
 * same batch never touches freed memory.
 */
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
#include "ctl/control.h"
#include "obs/diagnose.h"
#include "engine.h"
#include "obs/events.h"
#include "kern/fastpath.h"
#include "linkpath.h"
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

enum ev_kind {
	EV_LISTENER = 1,
	EV_SESSION,
	EV_SIGNAL,
	EV_FASTPATH,
	EV_LINK,                        /* a packet socket of --mac-sessions */
};

/* Receive buffer of the request sockets: 8 MiB holds ~8,000 queued RRQs
 * (a small datagram costs ~1 KiB of buffer), far more than any bench. */
#define LISTENER_RCVBUF (8 << 20)

struct listener {
	int kind;                       /* EV_LISTENER: first */
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
	int kind;                       /* EV_SESSION: first */
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
	struct { int kind; int fd; } sig;
	struct { int kind; int fd; } fpev;
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

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- small pure helpers ---------------------------------------------------- */

/* ---- sockets ----------------------------------------------------------------- */

/* Send from a listener with the source address the client asked (pktinfo),
 * so replies in --single-port mode and refusals come from the right address. */
static int listener_sendto(struct listener *l, const struct sockaddr_storage *local,
			   const struct sockaddr_storage *peer, socklen_t peer_len,
			   const void *buf, size_t len)
{
	union {
		char v4[CMSG_SPACE(sizeof(struct in_pktinfo))];
		char v6[CMSG_SPACE(sizeof(struct in6_pktinfo))];
	} cbuf;
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr mh = {
		.msg_name = (void *)peer, .msg_namelen = peer_len,
		.msg_iov = &iov, .msg_iovlen = 1,
	};
	struct cmsghdr *cm;

	memset(&cbuf, 0, sizeof(cbuf));
	if (local && local->ss_family == AF_INET && l->family == AF_INET) {
		struct in_pktinfo pi = { 0 };

		pi.ipi_spec_dst = ((const struct sockaddr_in *)local)->sin_addr;
		mh.msg_control = cbuf.v4;
		mh.msg_controllen = sizeof(cbuf.v4);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = IPPROTO_IP;
		cm->cmsg_type = IP_PKTINFO;
		cm->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
	} else if (local && local->ss_family == AF_INET6 && l->family == AF_INET6) {
		struct in6_pktinfo pi = { 0 };
		const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)local;

		pi.ipi6_addr = a6->sin6_addr;
		pi.ipi6_ifindex = a6->sin6_scope_id;
		mh.msg_control = cbuf.v6;
		mh.msg_controllen = sizeof(cbuf.v6);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = IPPROTO_IPV6;
		cm->cmsg_type = IPV6_PKTINFO;
		cm->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
	}
	if (sendmsg(l->fd, &mh, MSG_DONTWAIT) < 0)
		return -errno;
	return 0;
}

/* --mac-sessions: the datagram leaves as a frame to the requester's MAC and
 * VLAN, not through the IP stack (whose ARP entry may name another device
 * with the same address). */
static int link_send(struct engine *e, const struct link_peer *lk,
		     const struct sockaddr_storage *local, const struct sockaddr_storage *peer,
		     const void *buf, size_t len)
{
	int err = linkpath_send_udp(e->lp, lk, (const struct sockaddr_in *)local,
				    (const struct sockaddr_in *)peer, buf, len);

	if (err)
		log_debug("send frame to client: %s", strerror(-err));
	return err;
}

static int session_send(struct session *s, const void *buf, size_t len)
{
	ssize_t n;

	if (s->link.valid)
		return link_send(s->e, &s->link, &s->rec.local, &s->rec.client, buf, len);
	if (!s->own_fd)
		return listener_sendto(s->lst, &s->rec.local, &s->rec.client, s->peer_len, buf, len);
	n = sendto(s->fd, buf, len, MSG_DONTWAIT, (const struct sockaddr *)&s->rec.client,
		   s->peer_len);
	if (n < 0) {
		/* a full socket buffer or an ICMP error: the retransmit timer recovers */
		log_debug("send to client: %s", strerror(errno));
		return -errno;
	}
	return 0;
}

static void send_error_via(struct listener *l, int fd, const struct sockaddr_storage *local,
			   const struct sockaddr_storage *peer, socklen_t peer_len,
			   uint16_t code, const char *msg)
{
	uint8_t buf[512];
	int len = tftp_build_error(buf, sizeof(buf), code, msg);

	if (len < 0)
		return;
	if (fd >= 0)
		sendto(fd, buf, (size_t)len, MSG_DONTWAIT, (const struct sockaddr *)peer, peer_len);
	else
		listener_sendto(l, local, peer, peer_len, buf, (size_t)len);
}

/* An ERROR to a live session's client, by the session's own path. */
static void session_send_error(struct session *s, uint16_t code, const char *msg)
{
	uint8_t buf[512];
	int len;

	if (!s->link.valid) {
		send_error_via(s->lst, s->own_fd ? s->fd : -1, &s->rec.local, &s->rec.client,
			       s->peer_len, code, msg);
		return;
	}
	len = tftp_build_error(buf, sizeof(buf), code, msg);
	if (len > 0)
		session_send(s, buf, (size_t)len);
}

/* MTU of an interface, 0 if unknown. */
static unsigned int interface_mtu(unsigned int ifindex)
{
	struct ifreq ifr = { 0 };
	unsigned int mtu = 0;
	int fd;

	if (!ifindex || !if_indextoname(ifindex, ifr.ifr_name))
		return 0;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	if (ioctl(fd, SIOCGIFMTU, &ifr) == 0 && ifr.ifr_mtu > 0)
		mtu = (unsigned int)ifr.ifr_mtu;
	close(fd);
	return mtu;
}

/* --blocksize, or the ingress MTU minus IP + UDP + TFTP headers. */
static unsigned int max_blksize_for(const struct engine *e, unsigned int ifindex, int family)
{
	unsigned int hdrs = (family == AF_INET6 ? 40 : 20) + 8 + TFTP_HDR_LEN;
	unsigned int mtu;

	if (e->opt->max_blksize)
		return e->opt->max_blksize;
	mtu = interface_mtu(ifindex);
	if (mtu <= hdrs + TFTP_DEFAULT_BLKSIZE)
		return mtu ? TFTP_DEFAULT_BLKSIZE : 1468;
	if (mtu - hdrs > TFTP_BLKSIZE_MAX)
		return TFTP_BLKSIZE_MAX;
	return mtu - hdrs;
}

/* A socket for one transfer, bound to the address the client asked, on a
 * port from --port-range or one the kernel picks. */
static int transfer_socket(struct engine *e, struct sockaddr_storage *local, socklen_t *local_len)
{
	int fd, err, one = 1;
	unsigned int tries, span, port;

	fd = socket(local->ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (local->ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	*local_len = local->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
						  : sizeof(struct sockaddr_in);
	if (!e->opt->port_lo) {
		((struct sockaddr_in *)local)->sin_port = 0; /* same offset in sockaddr_in6 */
		if (bind(fd, (struct sockaddr *)local, *local_len) != 0)
			goto fail;
	} else {
		span = e->opt->port_hi - e->opt->port_lo + 1;
		port = e->opt->port_lo + (unsigned int)random() % span;
		for (tries = 0; tries < span; tries++) {
			((struct sockaddr_in *)local)->sin_port = htons((uint16_t)port);
			if (bind(fd, (struct sockaddr *)local, *local_len) == 0)
				break;
			if (errno != EADDRINUSE)
				goto fail;
			port = port == e->opt->port_hi ? e->opt->port_lo : port + 1;
		}
		if (tries == span) {
			errno = EADDRINUSE;
			goto fail;
		}
	}
	if (getsockname(fd, (struct sockaddr *)local, local_len) != 0)
		goto fail;
	/* ICMP errors about the client (port unreachable) for the diagnosis */
	diagnose_enable_recverr(fd, local->ss_family);
	return fd;
fail:
	err = -errno;
	close(fd);
	return err;
}

/* ---- session bookkeeping --------------------------------------------------- */

static unsigned int addr_hash(const struct sockaddr_storage *ss)
{
	const uint8_t *p;
	size_t n;
	uint16_t port;
	uint32_t h = 2166136261u;

	if (ss->ss_family == AF_INET6) {
		p = (const uint8_t *)&((const struct sockaddr_in6 *)ss)->sin6_addr;
		n = 16;
		port = ((const struct sockaddr_in6 *)ss)->sin6_port;
	} else {
		p = (const uint8_t *)&((const struct sockaddr_in *)ss)->sin_addr;
		n = 4;
		port = ((const struct sockaddr_in *)ss)->sin_port;
	}
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	h = (h ^ (port & 0xff)) * 16777619u;
	h = (h ^ (port >> 8)) * 16777619u;
	return h % HASH_BUCKETS;
}

static int same_peer(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return 0;
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;

		return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	if (a->ss_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;

		return x->sin6_port == y->sin6_port &&
		       !memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr));
	}
	return 0;
}

/* Same requester on the link: both through the IP stack, or both by frames
 * from the same MAC, VLAN and interface (same-address devices differ here). */
static int same_link(const struct link_peer *a, const struct link_peer *b)
{
	if (a->valid != b->valid)
		return 0;
	return !a->valid || (!memcmp(a->mac, b->mac, 6) && a->ifindex == b->ifindex &&
			     (a->vlan_tci & LINK_VID_MASK) == (b->vlan_tci & LINK_VID_MASK));
}

static struct session *session_lookup(struct engine *e, struct listener *l,
				      const struct sockaddr_storage *peer,
				      const struct link_peer *lk)
{
	for (struct session *s = e->hash[addr_hash(peer)]; s; s = s->hnext)
		if (s->lst == l && same_peer(&s->rec.client, peer) && same_link(&s->link, lk))
			return s;
	return NULL;
}

/*
 * Live sessions per client address (port ignored), for --max-per-client:
 * one flooding host cannot take every session. Chained by address hash;
 * an entry lives while its count is non-zero.
 */
struct client_count {
	struct client_count *next;
	struct sockaddr_storage addr;   /* port zeroed */
	unsigned int n;
};

static void client_addr_only(const struct sockaddr_storage *peer, struct sockaddr_storage *out)
{
	*out = *peer;
	if (out->ss_family == AF_INET6)
		((struct sockaddr_in6 *)out)->sin6_port = 0;
	else
		((struct sockaddr_in *)out)->sin_port = 0;
}

static struct client_count **client_count_slot(struct engine *e, const struct sockaddr_storage *peer)
{
	struct sockaddr_storage a;
	struct client_count **pp;

	client_addr_only(peer, &a);
	for (pp = &e->per_client[addr_hash(&a)]; *pp; pp = &(*pp)->next)
		if (same_peer(&(*pp)->addr, &a))
			break;
	return pp;
}

static unsigned int client_count_get(struct engine *e, const struct sockaddr_storage *peer)
{
	struct client_count *c = *client_count_slot(e, peer);

	return c ? c->n : 0;
}

static void client_count_add(struct engine *e, const struct sockaddr_storage *peer, int delta)
{
	struct client_count **pp = client_count_slot(e, peer), *c = *pp;

	if (!c) {
		if (delta <= 0)
			return;
		c = calloc(1, sizeof(*c));
		if (!c)
			return;         /* the limit then undercounts this address */
		client_addr_only(peer, &c->addr);
		*pp = c;
	}
	if (delta < 0 && c->n < (unsigned int)-delta)
		c->n = 0;
	else
		c->n += delta;
	if (c->n > e->tot.sessions_peak_client)
		e->tot.sessions_peak_client = c->n;
	if (!c->n) {
		*pp = c->next;
		free(c);
	}
}

static void hash_remove(struct engine *e, struct session *s)
{
	struct session **pp = &e->hash[addr_hash(&s->rec.client)];

	for (; *pp; pp = &(*pp)->hnext) {
		if (*pp == s) {
			*pp = s->hnext;
			break;
		}
	}
	s->hnext = NULL;
}

static void session_arm_at(struct session *s, uint64_t deadline_ns)
{
	/* -ENOMEM leaves the timer unarmed; the session then ends by the
	 * client or at shutdown, which is the best left to do */
	theap_arm(&s->e->timers, &s->timer, deadline_ns);
}

static void record_push(struct engine *e, const struct transfer *t)
{
	e->ring[e->ring_head] = *t;
	e->ring_head = (e->ring_head + 1) % XT_RECORD_RING;
	if (e->ring_len < XT_RECORD_RING)
		e->ring_len++;
}

/* ---- observability (issue 4: events.c, diagnose.c, report.c) -------------- */

/* The record as it stands now: a live session's progress and counters, from
 * the kernel's session entry when the kernel serves it. */
static void session_live_view(const struct session *s, struct transfer *t, uint64_t now)
{
	int64_t acked = s->x.last_acked;

	*t = s->rec;
	t->dup_acks += s->k_dup_acks;
	if (!s->is_write && s->in_map) {
		struct session_value val;

		if (fastpath_session_get(s->e->fp, &s->key, &val) == 0) {
			if ((int32_t)val.last_acked > acked)
				acked = (int32_t)val.last_acked;
			t->blocks_xdp = val.blocks_xdp;
			t->blocks_tc = val.blocks_tc;
			t->dup_acks += val.dup_acks - s->k_dup_acks;
			t->inject_drops += val.inject_drops;
			t->inject_dups += val.inject_dups;
			if (val.last_ack_ns > t->last_ack_ns)
				t->last_ack_ns = val.last_ack_ns;
		}
	}
	if (!s->is_write) {
		if (acked > 0) {
			t->blocks = (uint64_t)acked;
			t->bytes = (uint64_t)acked * s->blksize;
			if (s->file_size && t->bytes > s->file_size)
				t->bytes = s->file_size;
		}
		t->final_block = s->x.final_block > 0 ? (uint64_t)s->x.final_block : 0;
	}
	if (s->x.kernel && !(t->blocks_xdp || t->blocks_tc))
		t->tiers |= XFER_TIER_TC;
	if (t->blocks_user)
		t->tiers |= XFER_TIER_USER;
	if (t->blocks_tc)
		t->tiers |= XFER_TIER_TC;
	if (t->blocks_xdp)
		t->tiers |= XFER_TIER_XDP;
	if (t->stalled && t->outcome == XFER_RUNNING) {
		uint64_t since = t->last_ack_ns ? t->last_ack_ns : t->start_ns;

		diagnose_transfer(t, now > since ? now - since : 1, t->diagnosis, sizeof(t->diagnosis));
	}
}

static int same_host(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return 0;
	if (a->ss_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	return !memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
		       &((const struct sockaddr_in6 *)b)->sin6_addr, 16);
}

/* Same device: same host address and, for --mac-sessions, the same MAC and
 * VLAN (devices sharing one address are different devices). */
static int same_device(const struct transfer *a, const struct transfer *b)
{
	if (!same_host(&a->client, &b->client))
		return 0;
	return !a->mac_session || !b->mac_session ||
	       (!strcmp(a->mac, b->mac) && a->vlan_id == b->vlan_id);
}

#define OBS_RESTART_WINDOW_NS (120ull * 1000000000ull)
#define OBS_RESTART_MIN_AGE_NS (1000000000ull)

/*
 * A restart: the same client host asks again for a file whose previous
 * transfer is incomplete: live (the host's only live transfer, started at
 * least 1 s ago, having got data), or failed in the last two minutes.
 * Several transfers at once from one host, or two started within a second,
 * are concurrent clients (a test rig, a loadgen), not a restart.
 */
static void obs_detect_restart(struct session *s, uint64_t now)
{
	struct engine *e = s->e;
	struct transfer *t = &s->rec, prev;
	struct session *live = NULL;
	unsigned int n_live = 0, n_host = 0;
	int found = 0, done_since = 0;
	int pm;

	for (struct session *o = e->sessions; o; o = o->next) {
		if (o == s || o->dead || !same_device(&o->rec, t))
			continue;
		n_host++;
		if (o->is_write || strcmp(o->rec.requested, t->requested))
			continue;
		n_live++;
		live = o;
	}
	if (n_live == 1) {
		if (n_host > 1 || now - live->rec.start_ns < OBS_RESTART_MIN_AGE_NS)
			return;
		session_live_view(live, &prev, now);
		if (prev.blocks == 0)
			return;
		live->rec.restarted_by = t->id;
		found = 1;
	} else if (n_live == 0) {
		for (unsigned int i = 0; i < e->ring_len && !found; i++) {
			unsigned int idx = (e->ring_head + XT_RECORD_RING - 1 - i) % XT_RECORD_RING;
			const struct transfer *r = &e->ring[idx];

			if (now - r->end_ns > OBS_RESTART_WINDOW_NS)
				break;
			if (r->is_write || r->outcome == XFER_REFUSED || !same_device(r, t) ||
			    strcmp(r->requested, t->requested))
				continue;
			if (r->outcome == XFER_DONE) {
				done_since = 1; /* a probe before it was that one's */
				continue;
			}
			prev = *r;
			found = 1;
		}
	}
	if (!found)
		return;
	if (prev.outcome == XFER_PROBE) {
		/* not a restart: the real transfer after a size probe */
		if (!done_since)
			t->after_probe = prev.id;
		return;
	}
	pm = report_permille(&prev);
	t->restart_of = prev.id;
	t->restart_pct = pm < 0 ? 0 : (unsigned int)pm / 10;
	snprintf(t->diagnosis, sizeof(t->diagnosis),
		 "restart of transfer %" PRIu64 " at %u%% (block %" PRIu64 " of %" PRIu64
		 "): the client started over from block 1", prev.id, t->restart_pct, prev.blocks,
		 prev.final_block);
	log_info("transfer %" PRIu64 ": %s", t->id, t->diagnosis);
	events_emit(e->ev, EVT_RESTART, t, now);
	t->diagnosis[0] = '\0';
}

/* A transfer went live: who the client is on the link, start event, restart. */
static void obs_session_start(struct session *s)
{
	struct transfer *t = &s->rec;
	uint64_t now = now_ns();

	if (t->ifindex && !if_indextoname(t->ifindex, t->ifname))
		t->ifname[0] = '\0';
	if (!t->mac_session)    /* else mac is the requester's, not the neighbour table's */
		diagnose_neighbour(&t->client, t->ifindex, t->mac, sizeof(t->mac));
	t->final_block = s->x.final_block > 0 ? (uint64_t)s->x.final_block : 0;
	events_emit(s->e->ev, EVT_START, t, now);
	if (!s->is_write)
		obs_detect_restart(s, now);
}

/* A new ACK (RRQ) arrived at t_ack: turnaround sample, progress. */
static void obs_on_ack(struct session *s, int64_t acked, uint64_t t_ack)
{
	struct transfer *t = &s->rec;

	if (s->turn_ns && acked >= s->turn_block && t_ack >= s->turn_ns) {
		hist_record(&t->turnaround, t_ack - s->turn_ns);
		hist_record(&s->e->user_turn, t_ack - s->turn_ns);
	}
	s->turn_ns = 0;
	t->last_ack_ns = t_ack;
	t->stalled = 0;
	t->blocks = (uint64_t)acked;
	t->bytes = (uint64_t)acked * s->blksize;
	if (s->file_size && t->bytes > s->file_size)
		t->bytes = s->file_size;
	t->final_block = s->x.final_block > 0 ? (uint64_t)s->x.final_block : 0;
	events_progress(s->e->ev, t, t_ack);
}

/* DATA went out in answer to the ACK seen at t_ack. */
static void obs_data_sent(struct session *s, uint64_t t_ack)
{
	uint64_t now = now_ns();

	hist_record(&s->rec.ack_to_data, now - t_ack);
	hist_record(&s->e->user_a2d, now - t_ack);
}

/* The kernel advanced a session (seen on its timer): progress events. */
static void obs_kernel_progress(struct session *s)
{
	struct transfer view;
	uint64_t now = now_ns();

	session_live_view(s, &view, now);
	s->rec.stalled = 0;
	view.stalled = 0;
	s->rec.last_ack_ns = view.last_ack_ns;
	if (events_progress(s->e->ev, &view, now))
		s->rec.progress_pct = view.progress_pct;
}

/* First timeout without progress: a stall event with a diagnosis. */
static void obs_stall(struct session *s)
{
	struct transfer view;
	uint64_t now = now_ns();

	if (s->rec.stalled)
		return;
	s->rec.stalled = 1;
	session_live_view(s, &view, now);
	events_emit(s->e->ev, EVT_STALL, &view, now);
}

/*
 * The session's timer ran out with nothing new from the client (RRQ or
 * WRQ), as xfer says: count the timeout, the first of a run being a stall.
 * 1 when xfer gave up (at block out->acked + 1): the caller ends the
 * session.
 */
static int session_count_timeout(struct session *s, const struct xfer_out *out)
{
	if (!(out->events & XFER_EV_TIMEOUT))
		return 0;
	s->rec.timeouts++;
	s->e->tot.timeouts++;
	if (out->events & XFER_EV_STALL)
		obs_stall(s);
	if (!(out->events & XFER_EV_GIVE_UP))
		return 0;
	s->rec.stall_block = (uint64_t)(out->acked + 1);
	return 1;
}

/* A packet sent again: counted for the transfer and in total. */
static void session_count_retransmit(struct session *s)
{
	s->rec.retransmits++;
	s->e->tot.retransmits++;
}

static void obs_fill_stats(struct engine *e, struct report_stats *st)
{
	struct xt_hist kh;

	memset(st, 0, sizeof(*st));
	st->tot = e->tot;
	st->uptime_ns = now_ns() - e->start_ns;
	st->sessions_active = e->n_sessions;
	st->bpf_active = fastpath_kernel_active(e->fp);
	/* userspace's own: the kernel's part of finished sessions is in
	 * tot.kernel_dup_acks, of live ones not yet in rec (k_dup_acks) */
	st->dup_acks_user = e->tot.dup_acks - e->tot.kernel_dup_acks;
	for (struct session *s = e->sessions; s; s = s->next)
		st->dup_acks_user += s->rec.dup_acks;
	st->ack_to_data[REPORT_TIER_USER] = e->user_a2d;
	st->turnaround[REPORT_TIER_USER] = e->user_turn;
	if (!e->fp)
		return;
	for (const struct loaded_image *img = fastpath_image_next(e->fp, NULL); img;
	     img = fastpath_image_next(e->fp, img)) {
		st->pool_images++;
		st->pool_image_bytes += img->size;
	}
	fastpath_read_stats(e->fp, st->kern);
	if (fastpath_read_hist(e->fp, XT_HIST_ACK_TO_DATA, &kh) == 0)
		hist_merge_kern(&st->ack_to_data[REPORT_TIER_KERNEL], &kh);
	if (fastpath_read_hist(e->fp, XT_HIST_TURNAROUND, &kh) == 0)
		hist_merge_kern(&st->turnaround[REPORT_TIER_KERNEL], &kh);
}

/* "xts0: TC, eth1: XDP native + TC" */
static void obs_tiers_line(struct engine *e, char *buf, size_t len)
{
	struct if_nameindex *ifs;
	size_t off = 0;

	snprintf(buf, len, "userspace engine only");
	if (!e->fp || !(ifs = if_nameindex()))
		return;
	for (struct if_nameindex *i = ifs; i->if_index; i++) {
		enum fastpath_tier tier = fastpath_tier(e->fp, i->if_index);
		int n;

		if (tier == FP_TIER_NONE)
			continue;
		struct xdp_tx_iface g;
		char growth[96] = "";

		/* what the XDP program learnt of frame growth here */
		switch (fastpath_xdp_growth(e->fp, i->if_index, &g)) {
		case 1:
			snprintf(growth, sizeof(growth), " (XDP grew frames to %u bytes)",
				 g.grow_ok_len);
			break;
		case -1:
			snprintf(growth, sizeof(growth),
				 " (XDP could not grow a frame to %u bytes: TC serves)",
				 g.grow_fail_len);
			break;
		default:
			if (tier == FP_TIER_XDP_NATIVE_TC)
				snprintf(growth, sizeof(growth), " (XDP growth untried: the first "
					 "ACK decides)");
		}
		n = snprintf(buf + off, len - off, "%s%s: %s%s", off ? ", " : "", i->if_name,
			     fastpath_tier_name(tier), growth);
		if (n < 0 || (size_t)n >= len - off)
			break;
		off += (size_t)n;
	}
	if_freenameindex(ifs);
	if (!off)
		snprintf(buf, len, "kernel tiers on no interface; userspace engine");
}

static void obs_write_top(struct engine *e, FILE *out, unsigned int width, unsigned int height)
{
	struct report_top_header hdr = { 0 };
	struct transfer *rows;
	unsigned int n = 0, cap = height > 2 ? height : 3;
	uint64_t now = now_ns();
	char tiers[512];

	rows = calloc(cap, sizeof(*rows));
	if (!rows) {
		fprintf(out, "error: out of memory\n");
		return;
	}
	/* active ones, oldest first: e->sessions is newest first */
	for (struct session *s = e->sessions; s; s = s->next)
		if (!s->x.dallying)
			n++;
	{
		unsigned int skip = n > cap ? n - cap : 0, i = 0;

		n = 0;
		for (struct session *s = e->sessions; s; s = s->next) {
			if (s->x.dallying)
				continue;
			if (i++ < skip)
				continue;
			session_live_view(s, &rows[n], now);
			hdr.bytes_per_s += report_goodput(&rows[n], now);
			n++;
		}
		for (unsigned int a = 0, b = n ? n - 1 : 0; n && a < b; a++, b--) {
			struct transfer tmp = rows[a];

			rows[a] = rows[b];
			rows[b] = tmp;
		}
	}
	/* then the most recent finished ones, newest first */
	for (unsigned int i = 0; i < e->ring_len && n < cap; i++)
		rows[n++] = e->ring[(e->ring_head + XT_RECORD_RING - 1 - i) % XT_RECORD_RING];
	obs_tiers_line(e, tiers, sizeof(tiers));
	hdr.uptime_ns = now - e->start_ns;
	hdr.sessions_active = e->n_sessions;
	hdr.transfers_done = e->tot.transfers_done;
	hdr.transfers_failed = e->tot.transfers_failed;
	hdr.tiers = tiers;
	report_top(out, &hdr, rows, n, width, height, now);
	free(rows);
}

/* Control commands of issue 4; 1 if cmd was one of them. */
static int obs_control(struct engine *e, const char *cmd, FILE *out)
{
	struct report_stats st;
	unsigned int w, h;
	uint64_t now = now_ns();

	if (!strcmp(cmd, "stats json") || !strcmp(cmd, "stats prometheus")) {
		obs_fill_stats(e, &st);
		if (cmd[6] == 'j')
			report_stats_json(out, &st);
		else
			report_stats_prometheus(out, &st);
		return 1;
	}
	if (!strcmp(cmd, "transfers json")) {
		struct transfer t;

		for (unsigned int i = 0; i < e->ring_len; i++)
			report_transfer_json(out, &e->ring[(e->ring_head + XT_RECORD_RING - e->ring_len + i) %
							   XT_RECORD_RING], now);
		for (struct session *s = e->sessions; s; s = s->next) {
			session_live_view(s, &t, now);
			report_transfer_json(out, &t, now);
		}
		return 1;
	}
	if (!strcmp(cmd, "events")) {
		events_write_recent(e->ev, out);
		return 1;
	}
	if (!strcmp(cmd, "events follow")) {
		int fd = control_current_fd(e->ctl);

		fd = fd >= 0 ? fcntl(fd, F_DUPFD_CLOEXEC, 0) : -1;
		if (fd < 0 || events_add_follower(e->ev, fd) != 0)
			fprintf(out, "error: cannot follow events (too many followers?)\n");
		return 1;
	}
	if (sscanf(cmd, "top %u %u", &w, &h) == 2 || (!strcmp(cmd, "top") && (w = 100, h = 30))) {
		obs_write_top(e, out, w > 1000 ? 1000 : w, h > 500 ? 500 : h);
		return 1;
	}
	return 0;
}

/* For status: the kernel tiers per interface and the images in the pool. */
static void obs_write_status(struct engine *e, FILE *f)
{
	char tiers[512];

	if (!e->fp)
		return;
	obs_tiers_line(e, tiers, sizeof(tiers));
	fprintf(f, "interfaces: %s\n", tiers);
	for (const struct loaded_image *img = fastpath_image_next(e->fp, NULL); img;
	     img = fastpath_image_next(e->fp, img)) {
		const char *name = fastpath_image_name(img) ? fastpath_image_name(img) : "?";
		char sha[65];

		/* named at load (the served path); else the name the newest
		 * transfer of this image asked for */
		for (struct session *s = e->sessions; s && name[0] == '?'; s = s->next)
			if (s->img == img)
				name = s->rec.served;
		for (unsigned int i = 0; i < e->ring_len && name[0] == '?'; i++) {
			const struct transfer *t = &e->ring[(e->ring_head + XT_RECORD_RING - 1 - i) %
							    XT_RECORD_RING];

			if (t->image_id == img->id && t->image_gen == img->gen)
				name = t->served;
		}
		for (int i = 0; i < 32; i++)
			snprintf(sha + 2 * i, 3, "%02x", img->sha256[i]);
		fprintf(f, "image %u gen %u \"%.100s\" %" PRIu64 " bytes sha256 %s, %u session(s)%s\n",
			img->id, img->gen, name, img->size, sha, img->refs,
			fastpath_image_stale(img) ? ", old generation" : "");
	}
}

static void json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void event_log_write(struct engine *e, const struct transfer *t)
{
	events_emit(e->ev, t->outcome == XFER_DONE ? EVT_DONE :
		    t->outcome == XFER_PROBE ? EVT_PROBE : EVT_FAILED, t, now_ns());
	if (e->ev)
		return; /* events.c writes --event-log: one format for every event */
	char peer[INET6_ADDRSTRLEN + 10], tiers[24], when[32];
	struct tm tm;

	if (!e->event_log)
		return;
	format_sockaddr(&t->client, peer, sizeof(peer));
	transfer_tiers_string(t->tiers, tiers, sizeof(tiers));
	gmtime_r(&t->start_real.tv_sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	fprintf(e->event_log, "{\"id\":%" PRIu64 ",\"start\":\"%s\",\"client\":", t->id, when);
	json_string(e->event_log, peer);
	fprintf(e->event_log, ",\"ifindex\":%u,\"op\":\"%s\",\"file\":", t->ifindex,
		t->is_write ? "wrq" : "rrq");
	json_string(e->event_log, t->requested);
	fprintf(e->event_log, ",\"mode\":\"%s\",\"options\":", t->mode);
	json_string(e->event_log, t->options);
	fprintf(e->event_log,
		",\"blksize\":%u,\"windowsize\":%u,\"bytes\":%" PRIu64 ",\"blocks\":%" PRIu64
		",\"blocks_user\":%" PRIu64 ",\"blocks_xdp\":%" PRIu64 ",\"blocks_tc\":%" PRIu64
		",\"retransmits\":%u,\"dup_acks\":%u,\"timeouts\":%u,\"tier\":\"%s\""
		",\"duration_ns\":%" PRIu64 ",\"outcome\":\"%s\",\"message\":",
		t->blksize, t->windowsize, t->bytes, t->blocks, t->blocks_user, t->blocks_xdp,
		t->blocks_tc, t->retransmits, t->dup_acks, t->timeouts, tiers,
		t->end_ns - t->start_ns, transfer_outcome_name(t->outcome));
	json_string(e->event_log, t->message);
	fprintf(e->event_log, "}\n");
	fflush(e->event_log);
}

/* Read the kernel's counters into the record (before the entry goes). */
static void session_kernel_collect(struct session *s)
{
	struct session_value val;

	if (!s->in_map || fastpath_session_get(s->e->fp, &s->key, &val) != 0)
		return;
	s->rec.blocks_xdp = val.blocks_xdp;
	s->rec.blocks_tc = val.blocks_tc;
	/* the kernel's count so far, not added: this runs more than once
	 * (a kernel DONE event, then session_record) */
	s->k_dup_acks = val.dup_acks;
	s->k_inject_drops = val.inject_drops;
	s->k_inject_dups = val.inject_dups;
	if (val.last_ack_ns > s->rec.last_ack_ns)
		s->rec.last_ack_ns = val.last_ack_ns;
	if ((int32_t)val.last_acked > s->x.last_acked && !s->is_write)
		s->x.last_acked = (int32_t)val.last_acked;
}

static void session_kernel_release(struct session *s)
{
	if (s->in_map) {
		fastpath_session_end(s->e->fp, &s->key);
		s->in_map = 0;
	}
	if (s->img) {
		fastpath_image_release(s->e->fp, s->img);
		s->img = NULL;
	}
	s->x.kernel = 0;
}

/*
 * End a session: record, log once, count, release everything but the memory
 * (freed after the current batch of events). For a finished upload that is
 * dallying (RFC 1350: the final ACK may be lost), the record is written here
 * and the session lingers until its timer fires.
 */
static void session_finish(struct session *s, enum xfer_outcome outcome, uint16_t code,
			   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void session_free_now(struct session *s);

static void session_record(struct session *s)
{
	struct engine *e = s->e;
	struct transfer *t = &s->rec;
	char line[1024];

	if (s->x.kernel || s->in_map)
		session_kernel_collect(s);
	t->inject_drops += s->k_inject_drops;   /* rec holds userspace's own */
	t->inject_dups += s->k_inject_dups;
	t->dup_acks += s->k_dup_acks;
	e->tot.kernel_dup_acks += s->k_dup_acks;
	t->end_ns = now_ns();
	if (!t->is_write && s->x.last_acked > 0) {
		t->blocks = (uint64_t)s->x.last_acked;
		if (t->outcome == XFER_DONE && s->x.final_block > 0)
			t->bytes = (uint64_t)(s->x.final_block - 1) * s->blksize + s->final_len;
		else
			t->bytes = (uint64_t)s->x.last_acked * s->blksize;
	}
	if (t->blocks_user || t->is_write)
		t->tiers |= XFER_TIER_USER;
	if (t->blocks_tc)
		t->tiers |= XFER_TIER_TC;
	if (t->blocks_xdp)
		t->tiers |= XFER_TIER_XDP;
	t->final_block = s->x.final_block > 0 ? (uint64_t)s->x.final_block : 0;
	e->tot.dup_acks += t->dup_acks;
	if (t->outcome == XFER_DONE)
		e->tot.transfers_done++;
	else if (t->outcome == XFER_PROBE)
		e->tot.transfers_probes++;
	else
		e->tot.transfers_failed++;
	diagnose_transfer(t, 0, t->diagnosis, sizeof(t->diagnosis));
	transfer_format(t, line, sizeof(line));
	if (t->outcome == XFER_DONE || t->outcome == XFER_PROBE)
		log_info("%s", line);
	else
		log_warn("%s", line);
	record_push(e, t);
	event_log_write(e, t);
}

static void session_finish(struct session *s, enum xfer_outcome outcome, uint16_t code,
			   const char *fmt, ...)
{
	va_list ap;

	if (s->dead)
		return;
	s->rec.outcome = outcome;
	s->rec.error_code = code;
	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(s->rec.message, sizeof(s->rec.message), fmt, ap);
		va_end(ap);
	}
	if (!s->x.dallying)
		session_record(s);
	session_free_now(s);
}

/* Release resources, unlink from every index; memory goes to the graveyard. */
static void session_free_now(struct session *s)
{
	struct engine *e = s->e;

	if (s->dead)
		return;
	s->dead = 1;
	theap_cancel(&e->timers, &s->timer);
	hash_remove(e, s);
	if (s->prev)
		s->prev->next = s->next;
	else
		e->sessions = s->next;
	if (s->next)
		s->next->prev = s->prev;
	e->n_sessions--;
	client_count_add(e, &s->rec.client, -1);
	session_kernel_release(s);
	if (s->own_fd && s->fd >= 0) {
		epoll_ctl(e->epfd, EPOLL_CTL_DEL, s->fd, NULL);
		close(s->fd);
	}
	s->fd = -1;
	if (s->file_fd >= 0) {
		if (s->is_write)
			path_abort_temp(s->file_fd, s->dir_fd, s->tmp_name);
		else
			close(s->file_fd);
		s->file_fd = -1;
		s->dir_fd = -1;
	}
	s->gnext = e->graveyard;
	e->graveyard = s;
}

static void graveyard_empty(struct engine *e)
{
	while (e->graveyard) {
		struct session *s = e->graveyard;

		e->graveyard = s->gnext;
		free(s->pkt);
		free(s->oack);
		free(s->na);
		free(s->final_name);
		free(s);
	}
}

/* ---- RRQ: reading blocks --------------------------------------------------- */

static ssize_t read_full(int fd, void *buf, size_t len, uint64_t off)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = pread(fd, (uint8_t *)buf + got, len - got, (off_t)(off + got));

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

/*
 * Did the file change since it was opened (s->file_st)? Only asked when a
 * transfer reads the file itself (the pool could not hold its image). Size
 * and mtime say the data changed; ctime too (an mtime set back by a tool),
 * unless the link count changed with it: a file replaced by rename or
 * deleted keeps its bytes for us, only its name went.
 */
static int rrq_file_changed(const struct session *s)
{
	const struct stat *a = &s->file_st;
	struct stat b;

	if (fstat(s->file_fd, &b) != 0)
		return 1;
	return a->st_size != b.st_size ||
	       a->st_mtim.tv_sec != b.st_mtim.tv_sec || a->st_mtim.tv_nsec != b.st_mtim.tv_nsec ||
	       (a->st_nlink == b.st_nlink && (a->st_ctim.tv_sec != b.st_ctim.tv_sec ||
					      a->st_ctim.tv_nsec != b.st_ctim.tv_nsec));
}

/*
 * Up to len bytes of what this RRQ serves, from off, into buf: from its image
 * in the pool (immutable: the bytes the transfer started with), or from the
 * file while it is unchanged. Short only at the end; -ESTALE if the file
 * changed, so no block mixing two versions is ever sent.
 */
static ssize_t rrq_read(struct session *s, void *buf, size_t len, uint64_t off)
{
	ssize_t n;
	int err;

	if (s->img) {
		if (off >= s->img->size)
			return 0;
		if (len > s->img->size - off)
			len = (size_t)(s->img->size - off);
		err = fastpath_image_read(s->e->fp, s->img, off, buf, len);
		return err < 0 ? err : (ssize_t)len;
	}
	n = read_full(s->file_fd, buf, len, off);
	/* Checked after the read: a writer updates the file times before its
	 * bytes land, so a write that overlapped this read shows here. */
	if (n >= 0 && rrq_file_changed(s))
		return -ESTALE;
	return n;
}

/* Encode one netascii block from the state in slot into out. */
static ssize_t netascii_block(struct session *s, uint64_t *src_off, struct netascii_enc *enc,
			      uint8_t *out)
{
	uint8_t *in = s->e->scratch;
	size_t out_len = 0;

	while (out_len < s->blksize) {
		size_t want = s->blksize - out_len, consumed = 0, w;
		ssize_t n = rrq_read(s, in, want, *src_off);

		if (n < 0)
			return n;
		if (n == 0) {
			/* end of file: flush a pending LF/NUL of a final CR/LF */
			out_len += netascii_encode(enc, NULL, 0, &consumed, out + out_len,
						   s->blksize - out_len);
			break;
		}
		w = netascii_encode(enc, in, (size_t)n, &consumed, out + out_len,
				    s->blksize - out_len);
		out_len += w;
		*src_off += consumed;
		if (w == 0 && consumed == 0)
			break;
	}
	return (ssize_t)out_len;
}

/* Payload of absolute block n (>= 1) into out; returns its length. */
static ssize_t rrq_block(struct session *s, int64_t n, uint8_t *out)
{
	if (!s->netascii) {
		uint64_t off = (uint64_t)(n - 1) * s->blksize;
		size_t len;

		if (off >= s->file_size)
			return 0;
		len = s->file_size - off < s->blksize ? (size_t)(s->file_size - off) : s->blksize;
		return rrq_read(s, out, len, off);
	}
	/* netascii: blocks are produced in order; a resend restores the
	 * encoder state saved when the block was first produced */
	{
		struct na_slot *slot = &s->na[(uint64_t)n % s->na_n];
		uint64_t src;
		struct netascii_enc enc;
		ssize_t len;

		if (n == s->na_next_block) {
			slot->block = n;
			slot->src_off = s->na_next_src;
			slot->enc = s->na_enc;
			len = netascii_block(s, &s->na_next_src, &s->na_enc, out);
			if (len >= 0)
				s->na_next_block++;
			return len;
		}
		if (slot->block != n)
			return -ERANGE; /* outside the window: cannot happen */
		src = slot->src_off;
		enc = slot->enc;
		len = netascii_block(s, &src, &enc, out);
		return len;
	}
}

static int rrq_send_oack(struct session *s)
{
	return session_send(s, s->oack, s->oack_len);
}

static void key_addr(const struct sockaddr_storage *ss, uint8_t out[16], uint16_t *port);

/* Fault injection (inject.h) for DATA n of s: XT_INJECT_OFF, DROP or DUP,
 * counted. The same decision the kernel tiers make for their frames. */
static uint32_t rrq_inject(struct session *s, int64_t n, int first_send)
{
	struct engine *e = s->e;
	uint8_t addr[16], mac[6];
	uint16_t port;
	int have_mac;
	uint32_t what;

	if (e->inject.mode == XT_INJECT_OFF)
		return XT_INJECT_OFF;
	key_addr(&s->rec.client, addr, &port);
	have_mac = s->rec.mac[0] && inject_parse_mac(s->rec.mac, mac) == 0;
	what = xt_inject_decide(&e->inject,
				s->rec.client.ss_family == AF_INET6 ? XT_FAMILY_INET6 : XT_FAMILY_INET,
				addr, have_mac ? mac : NULL, (uint32_t)n, first_send, inject_random());
	if (what == XT_INJECT_DROP) {
		s->rec.inject_drops++;
		e->tot.inject_drop++;
		log_debug("transfer %" PRIu64 ": inject: DATA %" PRId64 " dropped", s->rec.id, n);
	} else if (what == XT_INJECT_DUP) {
		s->rec.inject_dups++;
		e->tot.inject_dup++;
		log_debug("transfer %" PRIu64 ": inject: DATA %" PRId64 " sent twice", s->rec.id, n);
	}
	return what;
}

/* Send block n (0: the OACK); first_send: never sent before, else a resend
 * (counted). Returns 0, or a negative errno for a read failure. */
static int rrq_send_block(struct session *s, int64_t n, int first_send)
{
	uint32_t inject;
	ssize_t len;
	int hdr;

	if (n == 0) {
		if (!first_send)
			session_count_retransmit(s);
		rrq_send_oack(s);       /* a lost OACK is the timer's to resend */
		return 0;
	}
	len = rrq_block(s, n, s->pkt + TFTP_HDR_LEN);
	if (len < 0)
		return (int)len;
	hdr = tftp_build_data_header(s->pkt, TFTP_HDR_LEN, TFTP_BLOCK_WIRE(n));
	if (hdr < 0)
		return hdr;
	if ((size_t)len < s->blksize)
		xfer_set_final(&s->x, n);
	if (n == s->x.final_block)
		s->final_len = (size_t)len;
	/* a dropped frame is accounted as sent: the loss is the wire's */
	inject = rrq_inject(s, n, first_send);
	if (inject != XT_INJECT_DROP)
		session_send(s, s->pkt, (size_t)len + TFTP_HDR_LEN);
	if (inject == XT_INJECT_DUP)
		session_send(s, s->pkt, (size_t)len + TFTP_HDR_LEN);
	s->rec.blocks_user++;
	s->e->tot.blocks_user++;
	s->e->tot.bytes_user += (uint64_t)len;
	if (!first_send) {
		session_count_retransmit(s);
		if (n == s->turn_block)
			s->turn_ns = 0;
	} else {
		s->turn_block = n;
		s->turn_ns = now_ns();
	}
	return 0;
}

static void rrq_read_failed(struct session *s, int err)
{
	if (err == -ESTALE) {
		session_send_error(s, TFTP_EUNDEF, "file changed during transfer; request it again");
		session_finish(s, XFER_ABORTED, TFTP_EUNDEF,
			       "file changed on disk during the transfer; too large for the image "
			       "pool to serve a snapshot (raise --pool-size)");
		return;
	}
	session_send_error(s, TFTP_EUNDEF, "read error");
	session_finish(s, XFER_ABORTED, TFTP_EUNDEF, "read error: %s", strerror(-err));
}

/* The kernel's entry for xfer, read into val; NULL when it is gone. */
static const struct xfer_kview *rrq_kview(struct session *s, struct session_value *val,
					  struct xfer_kview *kv)
{
	if (fastpath_session_get(s->e->fp, &s->key, val) != 0)
		return NULL;
	kv->last_sent = val->last_sent;
	kv->last_acked = (int32_t)val->last_acked;
	kv->done = val->state == XT_SESS_DONE;
	kv->last_data_ns = val->last_data_ns;
	return kv;
}

/* xfer took a kernel session back (val: the entry as read, NULL: gone):
 * the kernel's counters join the record. */
static void rrq_took_back(struct session *s, const struct session_value *val)
{
	if (val) {
		s->rec.blocks_xdp = val->blocks_xdp;
		s->rec.blocks_tc = val->blocks_tc;
		s->k_dup_acks = val->dup_acks;
		s->k_inject_drops = val->inject_drops;
		s->k_inject_dups = val->inject_dups;
	} else {
		s->in_map = 0;
	}
	s->e->tot.kernel_takeovers++;
	log_verbose("transfer %" PRIu64 ": userspace takes over at block %" PRId64,
		    s->rec.id, s->x.last_acked);
}

/*
 * Carry out what xfer decided for an RRQ: counters, events, the blocks to
 * send, the timer. val: the kernel's entry xfer was given (NULL: none or
 * gone); t_ack: when the ACK was seen (0 on the timer).
 */
static void rrq_carry_out(struct session *s, const struct xfer_out *out,
			  const struct session_value *val, uint64_t t_ack)
{
	if (out->events & XFER_EV_TAKE_BACK)
		rrq_took_back(s, out->k_gone ? NULL : val);
	if (out->events & XFER_EV_DUP_ACK)
		s->rec.dup_acks++;
	if (out->events & XFER_EV_ACK_NEW)
		obs_on_ack(s, out->acked, t_ack);
	if (out->events & XFER_EV_K_PROGRESS)
		obs_kernel_progress(s);
	if (out->events & XFER_EV_DONE) {
		session_finish(s, XFER_DONE, 0, NULL);
		return;
	}
	if (session_count_timeout(s, out)) {
		if (s->x.final_block > 0)
			session_finish(s, XFER_TIMEOUT, 0, "timeout at block %" PRId64 " of %" PRId64,
				       out->acked + 1, s->x.final_block);
		else
			session_finish(s, XFER_TIMEOUT, 0, "timeout at block %" PRId64,
				       out->acked + 1);
		return;
	}
	for (int64_t n = out->send_from; n <= out->send_to; n++) {
		int err;

		/* a short block (netascii) ended the window early */
		if (s->x.final_block > 0 && n > s->x.final_block)
			break;
		err = rrq_send_block(s, n, n >= out->first_new);
		if (err) {
			rrq_read_failed(s, err);
			return;
		}
	}
	if ((out->events & XFER_EV_ACK_NEW) && out->send_from <= out->send_to)
		obs_data_sent(s, t_ack);
	if (out->deadline)
		session_arm_at(s, out->deadline);
}

static void rrq_on_ack(struct session *s, uint16_t wire)
{
	uint64_t t_ack = now_ns();
	struct session_value val;
	struct xfer_kview kv;
	const struct xfer_kview *k = NULL;
	struct xfer_out out;

	if (s->x.kernel) {
		/* the kernel passed this ACK on: stop it before reading where
		 * it got to, so it cannot advance behind our back */
		fastpath_session_pause(s->e->fp, &s->key);
		k = rrq_kview(s, &val, &kv);
	}
	xfer_on_ack(&s->x, wire, k, t_ack, &out);
	rrq_carry_out(s, &out, k ? &val : NULL, t_ack);
}

static void rrq_on_timeout(struct session *s)
{
	struct session_value val;
	struct xfer_kview kv;
	const struct xfer_kview *k = NULL;
	struct xfer_out out;

	if (s->x.kernel)
		k = rrq_kview(s, &val, &kv);
	xfer_on_timer(&s->x, k, now_ns(), &out);
	rrq_carry_out(s, &out, k ? &val : NULL, 0);
}

/* ---- WRQ ------------------------------------------------------------------- */

static void wrq_send_ack(struct session *s, int64_t n)
{
	uint8_t buf[TFTP_HDR_LEN];

	if (n == 0 && s->oack) {
		session_send(s, s->oack, s->oack_len);
		return;
	}
	if (tftp_build_ack(buf, sizeof(buf), TFTP_BLOCK_WIRE(n)) > 0)
		session_send(s, buf, sizeof(buf));
}

static int wrq_write(struct session *s, const uint8_t *data, size_t len)
{
	uint8_t *out = s->e->scratch;
	size_t n = len;

	if (s->netascii) {
		n = netascii_decode(&s->dec, data, len, out);
		data = out;
	}
	while (n) {
		ssize_t w = write(s->file_fd, data, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		data += w;
		n -= (size_t)w;
	}
	return 0;
}

/* The last block is written: store the file, ACK it, dally. */
static void wrq_complete(struct session *s)
{
	struct xfer_out out;
	int err = 0;

	if (s->netascii) {
		uint8_t tail[1];
		size_t n = netascii_dec_finish(&s->dec, tail);

		if (n && write(s->file_fd, tail, n) != (ssize_t)n)
			err = -EIO;
	}
	/* as tftpd-hpa: 0666 less the umask (-U, or the process's) */
	if (!err)
		fchmod(s->file_fd, 0666 & ~s->e->umask);
	if (err) {
		path_abort_temp(s->file_fd, s->dir_fd, s->tmp_name);
	} else {
		err = path_commit_temp(s->file_fd, s->dir_fd, s->tmp_name, s->final_name);
	}
	s->file_fd = -1;
	s->dir_fd = -1;
	if (err) {
		session_send_error(s, TFTP_ENOSPACE, "cannot store file");
		session_finish(s, XFER_ABORTED, TFTP_ENOSPACE, "commit failed: %s", strerror(-err));
		return;
	}
	xfer_on_committed(&s->x, now_ns(), &out);
	wrq_send_ack(s, out.ack);
	s->rec.outcome = XFER_DONE;
	/* recorded now; the session lingers (x.dallying) to answer a repeated
	 * final DATA until the timer ends it */
	session_record(s);
	session_arm_at(s, out.deadline);
}

/* Carry out what xfer decided for a WRQ; payload: the DATA's, if any. */
static void wrq_carry_out(struct session *s, const struct xfer_out *out,
			  const uint8_t *payload, size_t plen)
{
	int err;

	if (out->events & XFER_EV_DALLY_END) {
		session_free_now(s);
		return;
	}
	if (out->events & XFER_EV_OVERSIZE) {
		session_send_error(s, TFTP_EBADOP, "block larger than blksize");
		session_finish(s, XFER_ABORTED, TFTP_EBADOP, "client sent %zu bytes, blksize %u",
			       plen, s->blksize);
		return;
	}
	if (out->events & XFER_EV_DUP_DATA)
		s->rec.dup_acks++;
	if (out->events & XFER_EV_DATA_NEW) {
		err = wrq_write(s, payload, plen);
		if (err) {
			session_send_error(s, TFTP_ENOSPACE, "disk full or write error");
			session_finish(s, XFER_ABORTED, TFTP_ENOSPACE, "write: %s", strerror(-err));
			return;
		}
		s->rec.bytes += plen;
		s->rec.blocks++;
		s->rec.last_ack_ns = now_ns();
		s->rec.stalled = 0;
		events_progress(s->e->ev, &s->rec, s->rec.last_ack_ns);
		s->e->tot.blocks_received++;
		if (out->events & XFER_EV_LAST) {
			wrq_complete(s);
			return;
		}
	}
	if (session_count_timeout(s, out)) {
		session_finish(s, XFER_TIMEOUT, 0, "timeout waiting for block %" PRId64,
			       out->acked + 1);
		return;
	}
	if (out->ack >= 0) {
		if (out->events & XFER_EV_TIMEOUT)
			session_count_retransmit(s);
		wrq_send_ack(s, out->ack);
	}
	if (out->deadline)
		session_arm_at(s, out->deadline);
}

static void wrq_on_data(struct session *s, const uint8_t *buf, size_t len)
{
	const uint8_t *payload;
	struct xfer_out out;
	size_t plen;
	uint16_t wire;

	if (tftp_parse_data(buf, len, &wire, &payload, &plen) != 0)
		return;
	xfer_on_data(&s->x, wire, plen, now_ns(), &out);
	wrq_carry_out(s, &out, payload, plen);
}

static void wrq_on_timeout(struct session *s)
{
	struct xfer_out out;

	xfer_on_timer(&s->x, NULL, now_ns(), &out);
	wrq_carry_out(s, &out, NULL, 0);
}

/* ---- packets for a live session ---------------------------------------------- */

static void session_on_packet(struct session *s, const uint8_t *buf, size_t len)
{
	int op = tftp_opcode(buf, len);
	uint16_t code, block;
	const char *msg;

	switch (op) {
	case TFTP_ACK:
		if (s->is_write || tftp_parse_ack(buf, len, &block) != 0)
			goto illegal;
		rrq_on_ack(s, block);
		return;
	case TFTP_DATA:
		if (!s->is_write)
			goto illegal;
		wrq_on_data(s, buf, len);
		return;
	case TFTP_ERROR:
		if (s->x.dallying) {
			session_free_now(s);
			return;
		}
		if (tftp_parse_error(buf, len, &code, &msg) != 0) {
			code = 0;
			msg = "";
		}
		if (s->x.kernel)
			session_kernel_collect(s);
		/* An ERROR right after our OACK, before any DATA went out in
		 * any tier: the client only wanted the options (tsize). */
		if (!s->is_write && s->rec.options[0] && !s->rec.blocks_user &&
		    !s->rec.blocks_xdp && !s->rec.blocks_tc) {
			session_finish(s, XFER_PROBE, code, "size probe: the client stopped after "
				       "the OACK (error %u: %.80s)", code, msg);
			return;
		}
		session_finish(s, XFER_CLIENT_ERROR, code, "client error %u: %.100s", code, msg);
		return;
	default:
		break;
	}
illegal:
	/* Junk from the client's own port (a runt, an unknown opcode, a DATA
	 * to a download): ignored and counted, as tftpd-hpa does. Only an
	 * ERROR ends a transfer; answering junk with ERROR 4 ended transfers
	 * a stray datagram happened to hit. */
	s->e->tot.junk_ignored++;
	log_debug("transfer %" PRIu64 ": %zu-byte datagram (opcode %d) from the client ignored",
		  s->rec.id, len, op);
}

static void session_on_readable(struct session *s)
{
	struct engine *e = s->e;

	for (int i = 0; i < 64 && !s->dead; i++) {
		struct sockaddr_storage from;
		socklen_t from_len = sizeof(from);
		ssize_t n = recvfrom(s->fd, e->rx, RX_BUF_SIZE, 0, (struct sockaddr *)&from,
				     &from_len);

		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				/* a send may have taken the error: drain the
				 * queue, or epoll keeps reporting EPOLLERR */
				diagnose_read_errqueue(s->fd, &s->rec);
				return;
			}
			/* ICMP port unreachable and friends: the client is gone
			 * or restarting; the timer decides */
			log_debug("transfer %" PRIu64 ": %s", s->rec.id, strerror(errno));
			diagnose_read_errqueue(s->fd, &s->rec);
			continue;
		}
		if (!same_peer(&from, &s->rec.client)) {
			/* RFC 1350: a packet from a wrong TID gets error 5, the
			 * transfer goes on unharmed */
			e->tot.wrong_tid++;
			send_error_via(s->lst, s->fd, NULL, &from, from_len, TFTP_EBADID,
				       "unknown transfer ID");
			continue;
		}
		session_on_packet(s, e->rx, (size_t)n);
	}
}

static void session_on_timer(struct session *s)
{
	if (s->is_write)
		wrq_on_timeout(s);
	else
		rrq_on_timeout(s);
}

/* ---- requests ---------------------------------------------------------------- */

struct request_ctx {
	struct listener *lst;
	struct sockaddr_storage peer;
	socklen_t peer_len;
	struct sockaddr_storage local;  /* destination address of the request */
	unsigned int ifindex;
	struct link_peer link;          /* --mac-sessions: the requester on the link */
};

static void refuse(struct engine *e, const struct request_ctx *rc, const char *name, int is_write,
		   uint16_t code, const char *wire_msg, const char *why)
{
	char peer[INET6_ADDRSTRLEN + 10];

	if (rc->link.valid) {
		uint8_t buf[512];
		int len = tftp_build_error(buf, sizeof(buf), code, wire_msg);

		if (len > 0)
			link_send(e, &rc->link, &rc->local, &rc->peer, buf, (size_t)len);
	} else {
		send_error_via(rc->lst, -1, &rc->local, &rc->peer, rc->peer_len, code, wire_msg);
	}
	e->tot.requests_refused++;
	format_sockaddr(&rc->peer, peer, sizeof(peer));
	log_info("%s %s \"%s\" refused: error %u %s (%s)", peer, is_write ? "WRQ" : "RRQ",
		 name ? name : "?", code, wire_msg, why);
	if (name) {
		struct transfer t = { 0 };

		t.id = ++e->next_id;
		t.is_write = is_write;
		t.client = rc->peer;
		t.local = rc->local;
		t.ifindex = rc->ifindex;
		snprintf(t.requested, sizeof(t.requested), "%s", name);
		t.start_ns = t.end_ns = now_ns();
		clock_gettime(CLOCK_REALTIME, &t.start_real);
		t.outcome = XFER_REFUSED;
		t.error_code = code;
		snprintf(t.message, sizeof(t.message), "%s", why);
		record_push(e, &t);
		event_log_write(e, &t);
	}
}

static int option_refused(const struct engine *e, const char *name)
{
	for (unsigned int i = 0; i < e->opt->n_refuse; i++)
		if (!strcasecmp(e->opt->refuse[i], name))
			return 1;
	return 0;
}

/* Without -s, a client may name a file by its absolute path under ROOT. */
static const char *strip_root(const struct engine *e, const char *name)
{
	size_t n = strlen(e->root_real);

	if (!e->opt->secure && n > 1 && !strncmp(name, e->root_real, n) && name[n] == '/')
		return name + n + 1;
	return name;
}

static void format_options(struct session *s)
{
	size_t off = 0;

	s->rec.options[0] = '\0';
	for (unsigned int i = 0; i < s->neg.n_oack; i++) {
		int n = snprintf(s->rec.options + off, sizeof(s->rec.options) - off, "%s%s=%s",
				 i ? " " : "", s->neg.oack[i].name, s->neg.oack[i].value);

		if (n < 0 || (size_t)n >= sizeof(s->rec.options) - off)
			break;
		off += (size_t)n;
	}
}

static void key_addr(const struct sockaddr_storage *ss, uint8_t out[16], uint16_t *port)
{
	memset(out, 0, 16);
	if (ss->ss_family == AF_INET) {
		memcpy(out, &((const struct sockaddr_in *)ss)->sin_addr, 4);
		*port = ((const struct sockaddr_in *)ss)->sin_port;
	} else {
		memcpy(out, &((const struct sockaddr_in6 *)ss)->sin6_addr, 16);
		*port = ((const struct sockaddr_in6 *)ss)->sin6_port;
	}
}

/*
 * Pin the bytes this RRQ serves before anything is sent: its image in the
 * pool (a later rewrite of the file makes a new generation; this session
 * keeps the one it holds), or, when the pool cannot hold it, the file's
 * identity (s->file_st) so that a change ends the transfer instead of
 * mixing two versions. Sets s->file_size to what will be served.
 */
static void rrq_acquire_image(struct session *s)
{
	struct engine *e = s->e;
	const char *name = s->rec.served + strspn(s->rec.served, "/");
	struct stat after;
	int err = -EOPNOTSUPP, tries;

	if (fstat(s->file_fd, &s->file_st) != 0)
		return; /* rrq_file_changed fails the same way: the first read ends it */
	s->file_size = (uint64_t)s->file_st.st_size;
	for (tries = 0; e->fp && tries < 3; tries++) {
		err = fastpath_image_acquire_named(e->fp, s->file_fd, &s->file_st, name, &s->img);
		if (!err) {
			/* rewritten while it was read into the pool: the image
			 * may mix both versions, load the new one */
			if (fstat(s->file_fd, &after) == 0 &&
			    after.st_size == s->file_st.st_size &&
			    after.st_mtim.tv_sec == s->file_st.st_mtim.tv_sec &&
			    after.st_mtim.tv_nsec == s->file_st.st_mtim.tv_nsec)
				break;
			fastpath_image_release(e->fp, s->img);
			s->img = NULL;
			err = -ESTALE;
		}
		if (err != -ESTALE || fstat(s->file_fd, &s->file_st) != 0)
			break;
		s->file_size = (uint64_t)s->file_st.st_size;
	}
	if (!err) {
		s->file_size = s->img->size;
		s->rec.image_id = s->img->id;
		s->rec.image_gen = s->img->gen;
		memcpy(s->rec.sha256, s->img->sha256, sizeof(s->rec.sha256));
		return;
	}
	s->img = NULL;
	if (err == -ENOSPC) {
		/* larger than the pool can free: read from the file */
		catalog_note_pool_full(e->cat);
		snprintf(s->rec.message, sizeof(s->rec.message),
			 "image pool full: served from userspace");
		log_verbose("\"%s\": %" PRIu64 " bytes do not fit the free image pool "
			    "(raise --pool-size): served by the userspace engine from the file",
			    s->rec.served, s->file_size);
	} else if (err != -EOPNOTSUPP) {
		log_verbose("\"%s\": cannot load it into the image pool (%s): served from the file",
			    s->rec.served, strerror(-err));
	}
}

/* Hand an octet RRQ to the kernel tiers when they can serve it: its image
 * is in the pool (rrq_acquire_image) and the frame fits the interface. */
static void rrq_try_kernel(struct session *s, uint32_t first_sent)
{
	struct engine *e = s->e;
	struct session_value val;

	if (!s->img || !fastpath_kernel_active(e->fp) || s->netascii || !s->rec.ifindex ||
	    !fastpath_can_serve_frame(e->fp, s->rec.ifindex,
				      s->rec.client.ss_family == AF_INET6 ? XT_FAMILY_INET6 : XT_FAMILY_INET,
				      s->blksize, s->windowsize))
		return;
	memset(&s->key, 0, sizeof(s->key));
	s->key.ifindex = s->rec.ifindex;
	s->key.vlan_id = s->rec.vlan_id;
	s->key.family = s->rec.client.ss_family == AF_INET6 ? XT_FAMILY_INET6 : XT_FAMILY_INET;
	key_addr(&s->rec.client, s->key.client_addr, &s->key.client_port);
	key_addr(&s->rec.local, s->key.server_addr, &s->key.server_port);
	fastpath_session_init(&val, s->img, s->blksize, s->windowsize, first_sent);
	/* written before the first packet goes out, so no ACK can race it;
	 * if it cannot be, userspace serves the same image */
	if (fastpath_session_start(e->fp, &s->key, &val) != 0)
		return;
	s->in_map = 1;
	s->x.kernel = 1;        /* xfer_rrq_start keeps it */
	e->tot.kernel_sessions++;
}

/*
 * A tagged request reaches no UDP socket here (no VLAN devices), so neither
 * do the client's ACKs: only the kernel tiers can serve it. One they cannot
 * take (netascii, a window or blksize they do not serve) is refused with an
 * ERROR rather than left to time out. Returns 1 if the session was ended.
 */
static int link_refuse_unserved(struct session *s)
{
	if (!s->link.valid || !s->rec.vlan_id || s->x.kernel)
		return 0;
	session_send_error(s, TFTP_EUNDEF, "transfer not possible over a VLAN tag");
	session_finish(s, XFER_REFUSED, TFTP_EUNDEF,
		       "tagged (VLAN %u) transfer the kernel tiers cannot serve (netascii, "
		       "window or blksize)", s->rec.vlan_id);
	return 1;
}

static uint64_t netascii_size(struct session *s, uint8_t *buf, size_t cap)
{
	uint64_t off = 0, total = 0;

	for (;;) {
		ssize_t n = rrq_read(s, buf, cap, off);

		if (n <= 0)
			break;
		total += netascii_encoded_size(buf, (size_t)n);
		off += (uint64_t)n;
	}
	return total;
}

/*
 * The same client port again. The same request while the transfer still
 * moves is a copy sent before our answer got there (busybox resends its RRQ
 * after 100 ms), maybe queued behind a busy loop or an image load: ignore
 * it (1), the session's timer resends what is due. Only a transfer that
 * already timed out without progress (retries > 0) and made none for a
 * whole timeout is taken for a client restarting from the same port (ended
 * here, 0); a real restart is then seen at the client's next resend of its
 * request.
 */
static int request_repeated(struct engine *e, const struct request_ctx *rc,
			    const struct tftp_request *req, int is_write)
{
	struct session *old = session_lookup(e, rc->lst, &rc->peer, &rc->link);
	struct session_value val;
	uint64_t last;

	if (!old)
		return 0;
	last = old->rec.last_ack_ns ? old->rec.last_ack_ns : old->rec.start_ns;
	if (old->x.kernel && fastpath_session_get(e->fp, &old->key, &val) == 0 &&
	    val.last_ack_ns > last)
		last = val.last_ack_ns;
	if (!old->x.dallying && old->is_write == is_write &&
	    !strcmp(old->rec.requested, req->filename) &&
	    (old->x.retries == 0 || now_ns() - last < old->timeout_ns)) {
		log_debug("transfer %" PRIu64 ": repeated request ignored", old->rec.id);
		return 1;
	}
	session_finish(old, XFER_ABORTED, 0, "client restarted with a new request");
	return 0;
}

/*
 * Admission: shutdown, --create, VLAN tags, --max-sessions, --max-per-client
 * and the name rules (-m, --alias, ...). 0 with *name the path to serve
 * (in res when the rules rewrote it); -1 when refused (answered, logged).
 */
/*
 * --allow / --deny: 1 if the source may ask. A refused one gets error 2 (or
 * nothing, --deny-silently), is counted, and is logged at most once a
 * minute per source (a scanner or a misconfigured bench must not flood the
 * log); it leaves no transfer record, so no session either.
 */
static int request_source_allowed(struct engine *e, const struct request_ctx *rc,
				  const struct tftp_request *req, int is_write)
{
	uint64_t now, h = 1469598103934665603ull;
	const uint8_t *p = (const uint8_t *)&rc->peer;
	struct denied_source *slot;
	char peer[INET6_ADDRSTRLEN + 10];
	size_t alen;

	if (acl_admits(&e->opt->acl, (const struct sockaddr *)&rc->peer))
		return 1;
	e->tot.requests_denied++;
	if (!e->opt->deny_silently) {
		if (rc->link.valid) {
			uint8_t buf[64];
			int len = tftp_build_error(buf, sizeof(buf), TFTP_EACCESS, "access denied");

			if (len > 0)
				link_send(e, &rc->link, &rc->local, &rc->peer, buf, (size_t)len);
		} else {
			send_error_via(rc->lst, -1, &rc->local, &rc->peer, rc->peer_len,
				       TFTP_EACCESS, "access denied");
		}
	}
	/* the address only (not the port): one slot per source */
	alen = rc->peer.ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) :
						sizeof(struct sockaddr_in);
	for (size_t i = 0; i < alen; i++)
		if (i != offsetof(struct sockaddr_in, sin_port) &&
		    i != offsetof(struct sockaddr_in, sin_port) + 1)
			h = (h ^ p[i]) * 1099511628211ull;
	slot = &e->denied[h % XT_DENIED_SLOTS];
	now = now_ns();
	if (slot->last_ns && now - slot->last_ns < 60ull * 1000000000ull &&
	    same_host(&slot->addr, &rc->peer))
		return 0;
	slot->addr = rc->peer;
	slot->last_ns = now;
	format_sockaddr(&rc->peer, peer, sizeof(peer));
	log_info("%s %s \"%s\" denied by --allow/--deny%s (%" PRIu64 " denied since start; "
		 "logged once a minute per source)", peer, is_write ? "WRQ" : "RRQ", req->filename,
		 e->opt->deny_silently ? ", no answer" : ": error 2", e->tot.requests_denied);
	return 0;
}

static int request_admit(struct engine *e, const struct request_ctx *rc,
			 const struct tftp_request *req, int is_write,
			 struct names_result *res, const char **name)
{
	int err;

	if (!request_source_allowed(e, rc, req, is_write))
		return -1;
	if (e->stopping) {
		refuse(e, rc, req->filename, is_write, TFTP_EUNDEF, "server shutting down", "shutdown");
		return -1;
	}
	if (is_write && !e->opt->create) {
		refuse(e, rc, req->filename, 1, TFTP_EACCESS, "writes disabled",
		       "uploads need --create");
		return -1;
	}
	if (rc->link.valid && (rc->link.vlan_tci & LINK_VID_MASK) &&
	    (is_write || !fastpath_kernel_active(e->fp))) {
		refuse(e, rc, req->filename, is_write, TFTP_EACCESS, "not served over a VLAN tag",
		       "tagged requests are served by the kernel tiers only (downloads, with BPF)");
		return -1;
	}
	if (e->n_sessions >= e->opt->max_sessions) {
		e->tot.busy++;
		refuse(e, rc, req->filename, is_write, TFTP_ENOSPACE, "server busy, try again later",
		       "--max-sessions reached");
		return -1;
	}
	if (e->opt->max_per_client && client_count_get(e, &rc->peer) >= e->opt->max_per_client) {
		e->tot.busy_per_client++;
		refuse(e, rc, req->filename, is_write, TFTP_ENOSPACE,
		       "too many transfers from your address, try again later",
		       "--max-per-client reached");
		return -1;
	}
	*name = strip_root(e, req->filename);
	if (!e->names)
		return 0;
	err = names_resolve(e->names, req->filename, is_write, (const struct sockaddr *)&rc->peer, res);
	if (err) {
		refuse(e, rc, req->filename, is_write, TFTP_EACCESS,
		       res->client_msg[0] ? res->client_msg : "access violation",
		       err == -EACCES ? res->why : strerror(-err));
		return -1;
	}
	if (res->source != NAMES_AS_REQUESTED || res->case_folded)
		log_verbose("\"%s\": %s", req->filename, res->why);
	*name = res->path;
	return 0;
}

/* A session for the request, not live yet: who asked what, and when. */
static struct session *session_new(struct engine *e, const struct request_ctx *rc,
				   const struct tftp_request *req, const char *name, int is_write)
{
	struct session *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->kind = EV_SESSION;
	s->e = e;
	s->fd = -1;
	s->file_fd = -1;
	s->dir_fd = -1;
	s->lst = rc->lst;
	s->is_write = is_write;
	s->netascii = req->netascii;
	s->x.last_acked = -1;
	timer_node_init(&s->timer);
	s->rec.is_write = is_write;
	s->rec.client = rc->peer;
	s->peer_len = rc->peer_len;
	s->rec.local = rc->local;
	s->rec.ifindex = rc->ifindex;
	if (rc->link.valid) {
		s->link = rc->link;
		s->rec.mac_session = 1;
		s->rec.vlan_id = rc->link.vlan_tci & LINK_VID_MASK;
		linkpath_format_mac(rc->link.mac, s->rec.mac, sizeof(s->rec.mac));
	}
	snprintf(s->rec.requested, sizeof(s->rec.requested), "%s", req->filename);
	snprintf(s->rec.served, sizeof(s->rec.served), "%.*s", (int)sizeof(s->rec.served) - 1, name);
	snprintf(s->rec.mode, sizeof(s->rec.mode), "%s", req->netascii ? "netascii" : "octet");
	s->rec.start_ns = now_ns();
	clock_gettime(CLOCK_REALTIME, &s->rec.start_real);
	return s;
}

/* Options (RFC 2347): those --refuse names are treated as never sent.
 * 0, or -1 when refused. */
static int session_negotiate(struct session *s, const struct request_ctx *rc,
			     const struct tftp_request *req)
{
	struct engine *e = s->e;
	struct tftp_request filtered = *req;
	struct negotiate_limits lim;

	filtered.n_options = 0;
	for (unsigned int i = 0; i < req->n_options; i++)
		if (!option_refused(e, req->options[i].name))
			filtered.options[filtered.n_options++] = req->options[i];
	lim.max_blksize = max_blksize_for(e, rc->ifindex, rc->peer.ss_family);
	lim.max_windowsize = e->opt->max_windowsize;
	lim.default_timeout_us = e->opt->timeout_us;
	lim.refuse_tsize_unknown = 0;
	if (negotiate_options(&filtered, &lim, &s->neg) != 0) {
		refuse(e, rc, req->filename, s->is_write, TFTP_EOPTNEG, "option negotiation refused",
		       "bad option value");
		return -1;
	}
	s->blksize = s->neg.blksize;
	s->windowsize = s->neg.windowsize;
	s->timeout_ns = (uint64_t)s->neg.timeout_us * 1000ull;
	s->rec.blksize = s->blksize;
	s->rec.windowsize = s->windowsize;
	s->rec.timeout_us = s->neg.timeout_us;
	return 0;
}

/* RRQ: open what is served (published name or file), its image, its size,
 * the netascii encoder. 0, or -1 when refused. */
static int rrq_open(struct session *s, const struct request_ctx *rc,
		    const struct tftp_request *req, const char *name)
{
	struct engine *e = s->e;
	long long size = 0;
	struct stat st;
	int fd;

	/* a name published with xtftpctl load wins over the file system */
	fd = catalog_open_published(e->cat, req->filename, name, &size);
	if (fd == -ENOENT)
		fd = path_open_read(e->root_fd, name, &size);
	if (fd < 0) {
		int code = path_errno_to_tftp(fd);

		refuse(e, rc, req->filename, 0, (uint16_t)code,
		       code == TFTP_ENOTFOUND ? "file not found" : "access violation",
		       strerror(-fd));
		return -1;
	}
	if (!e->opt->permissive && fstat(fd, &st) == 0 && !(st.st_mode & S_IROTH)) {
		refuse(e, rc, req->filename, 0, TFTP_EACCESS, "access violation",
		       "file is not world-readable (see -p)");
		close(fd);
		return -1;
	}
	s->file_fd = fd;
	s->file_size = (uint64_t)size;
	rrq_acquire_image(s);
	s->rec.tsize = s->file_size;
	if (!s->netascii) {
		s->x.final_block = xt_final_block(s->file_size, s->blksize);
		s->final_len = (size_t)(s->file_size % s->blksize);
		if (s->neg.has_tsize)
			negotiate_set_tsize(&s->neg, s->file_size);
		return 0;
	}
	s->na_n = s->windowsize + 2;
	s->na = calloc(s->na_n, sizeof(*s->na));
	if (!s->na) {
		refuse(e, rc, req->filename, 0, TFTP_EUNDEF, "out of memory", "out of memory");
		return -1;
	}
	for (unsigned int i = 0; i < s->na_n; i++)
		s->na[i].block = -1;
	netascii_enc_init(&s->na_enc);
	s->na_next_block = 1;
	if (s->neg.has_tsize)
		negotiate_set_tsize(&s->neg, netascii_size(s, e->scratch, RX_BUF_SIZE));
	return 0;
}

/* WRQ: the temporary file the upload goes to, renamed over the name when
 * complete. 0, or -1 when refused. */
static int wrq_open(struct session *s, const struct request_ctx *rc,
		    const struct tftp_request *req, const char *name)
{
	struct engine *e = s->e;
	char final[PATH_MAX];
	long long old_size;
	int fd;

	/* tftpd-hpa: without -p an existing file must be world-writable */
	fd = path_open_read(e->root_fd, name, &old_size);
	if (fd >= 0) {
		struct stat st;
		int ok = e->opt->permissive || (fstat(fd, &st) == 0 && (st.st_mode & S_IWOTH));

		close(fd);
		if (!ok) {
			refuse(e, rc, req->filename, 1, TFTP_EACCESS, "access violation",
			       "existing file is not world-writable (see -p)");
			return -1;
		}
	}
	fd = path_create_temp(e->root_fd, name, &s->dir_fd, s->tmp_name, sizeof(s->tmp_name),
			      final, sizeof(final));
	if (fd < 0) {
		int code = path_errno_to_tftp(fd);

		refuse(e, rc, req->filename, 1, (uint16_t)code,
		       code == TFTP_ENOTFOUND ? "file not found" :
		       code == TFTP_ENOSPACE ? "disk full" : "access violation",
		       strerror(-fd));
		return -1;
	}
	s->file_fd = fd;
	s->final_name = strdup(final);
	if (!s->final_name) {
		refuse(e, rc, req->filename, 1, TFTP_EUNDEF, "out of memory", "out of memory");
		return -1;
	}
	netascii_dec_init(&s->dec);
	if (s->neg.has_tsize)
		s->rec.tsize = s->neg.tsize;
	return 0;
}

/* The packet buffer and the OACK as it will be sent. 0, or -1 when refused. */
static int session_packets(struct session *s, const struct request_ctx *rc,
			   const struct tftp_request *req)
{
	uint8_t tmp[1024];
	int n;

	s->pkt = malloc(s->blksize + TFTP_HDR_LEN);
	if (!s->pkt) {
		refuse(s->e, rc, req->filename, s->is_write, TFTP_EUNDEF, "out of memory",
		       "out of memory");
		return -1;
	}
	if (!s->neg.n_oack)
		return 0;
	n = tftp_build_oack(tmp, sizeof(tmp), s->neg.oack, s->neg.n_oack);
	if (n < 0 || !(s->oack = malloc((size_t)n))) {
		refuse(s->e, rc, req->filename, s->is_write, TFTP_EUNDEF, "internal error",
		       "cannot build OACK");
		return -1;
	}
	memcpy(s->oack, tmp, (size_t)n);
	s->oack_len = (size_t)n;
	format_options(s);
	return 0;
}

/* The transfer's own TID (a new socket in the loop), unless --single-port.
 * 0, or -1 when refused. */
static int session_socket(struct session *s, const struct request_ctx *rc,
			  const struct tftp_request *req)
{
	struct engine *e = s->e;
	struct epoll_event ev = { .events = EPOLLIN };
	socklen_t llen;

	if (e->opt->single_port) {
		s->fd = rc->lst->fd;
		s->own_fd = 0;
		s->rec.server_port = ntohs(((struct sockaddr_in *)&rc->lst->addr)->sin_port);
		if (rc->local.ss_family == AF_INET)
			((struct sockaddr_in *)&s->rec.local)->sin_port = htons(s->rec.server_port);
		else
			((struct sockaddr_in6 *)&s->rec.local)->sin6_port = htons(s->rec.server_port);
		return 0;
	}
	s->fd = transfer_socket(e, &s->rec.local, &llen);
	if (s->fd < 0) {
		refuse(e, rc, req->filename, s->is_write, TFTP_EUNDEF,
		       e->opt->port_lo ? "no free port in range" : "cannot open socket",
		       strerror(-s->fd));
		s->fd = -1;
		return -1;
	}
	s->own_fd = 1;
	s->rec.server_port = ntohs(((struct sockaddr_in *)&s->rec.local)->sin_port);
	ev.data.ptr = s;
	if (epoll_ctl(e->epfd, EPOLL_CTL_ADD, s->fd, &ev) != 0) {
		refuse(e, rc, req->filename, s->is_write, TFTP_EUNDEF, "internal error",
		       strerror(errno));
		return -1;
	}
	return 0;
}

/* Live from here: counted, indexed, finished through session_finish. */
static void session_go_live(struct session *s)
{
	struct engine *e = s->e;

	s->rec.id = ++e->next_id;
	s->next = e->sessions;
	if (e->sessions)
		e->sessions->prev = s;
	e->sessions = s;
	e->n_sessions++;
	if (e->n_sessions > e->tot.sessions_peak)
		e->tot.sessions_peak = e->n_sessions;
	client_count_add(e, &s->rec.client, 1);
	s->hnext = e->hash[addr_hash(&s->rec.client)];
	e->hash[addr_hash(&s->rec.client)] = s;
	e->tot.transfers_started++;
	if (s->is_write)
		e->tot.wrq++;
	else
		e->tot.rrq++;
}

/* The first packet: xfer starts the transfer (the kernel holding an RRQ it
 * can serve), then the start event. */
static void session_begin(struct session *s)
{
	struct engine *e = s->e;
	struct xfer_out out;

	if (s->is_write) {
		xfer_wrq_start(&s->x, s->blksize, s->windowsize, s->timeout_ns, e->opt->retries,
			       now_ns(), &out);
		wrq_carry_out(s, &out, NULL, 0);
	} else {
		int has_oack = s->neg.n_oack > 0;

		rrq_try_kernel(s, has_oack ? 0 : 1);
		if (link_refuse_unserved(s))
			return;
		xfer_rrq_start(&s->x, s->windowsize, s->timeout_ns, e->opt->retries,
			       s->x.final_block, has_oack, s->x.kernel, now_ns(), &out);
		rrq_carry_out(s, &out, NULL, 0);
	}
	if (!s->dead)
		obs_session_start(s);
}

/* A session refused before it went live: everything it holds goes. */
static void session_discard(struct session *s)
{
	if (s->img)
		fastpath_image_release(s->e->fp, s->img);
	if (s->file_fd >= 0) {
		if (s->is_write)
			path_abort_temp(s->file_fd, s->dir_fd, s->tmp_name);
		else
			close(s->file_fd);
	}
	if (s->own_fd && s->fd >= 0)
		close(s->fd);
	free(s->pkt);
	free(s->oack);
	free(s->na);
	free(s->final_name);
	free(s);
}

static void handle_request(struct engine *e, struct request_ctx *rc, const uint8_t *buf, size_t len)
{
	struct tftp_request req;
	struct names_result names_res;
	struct session *s;
	char peer[INET6_ADDRSTRLEN + 10];
	const char *name;
	int is_write;

	if (tftp_parse_request(buf, len, &req) == -EINVAL) {
		refuse(e, rc, NULL, 0, TFTP_EBADOP, "malformed request", "malformed request");
		return;
	}
	is_write = req.opcode == TFTP_WRQ;
	if (request_repeated(e, rc, &req, is_write))
		return;
	format_sockaddr(&rc->peer, peer, sizeof(peer));
	log_verbose("%s %s \"%s\" %s%s", peer, is_write ? "WRQ" : "RRQ", req.filename, req.mode,
		    req.n_options ? " (with options)" : "");
	if (request_admit(e, rc, &req, is_write, &names_res, &name))
		return;
	s = session_new(e, rc, &req, name, is_write);
	if (!s) {
		refuse(e, rc, req.filename, is_write, TFTP_EUNDEF, "out of memory", "out of memory");
		return;
	}
	if (session_negotiate(s, rc, &req) ||
	    (is_write ? wrq_open(s, rc, &req, name) : rrq_open(s, rc, &req, name)) ||
	    session_packets(s, rc, &req) ||
	    session_socket(s, rc, &req)) {
		session_discard(s);
		return;
	}
	session_go_live(s);
	session_begin(s);
}

/* ---- listeners ----------------------------------------------------------------- */

/* Requests the kernel dropped because the listening socket's buffer was
 * full (SO_RXQ_OVFL: a running count per socket): counted, and said once
 * per burst, never silent. */
static void listener_count_drops(struct engine *e, struct listener *l, uint32_t dropped)
{
	uint32_t n = dropped - l->rxq_dropped;

	if (!n)
		return;
	l->rxq_dropped = dropped;
	e->tot.requests_dropped += n;
	log_warn("%u request(s) dropped by the kernel: the request socket's buffer was full "
		 "(%" PRIu64 " since start; raise net.core.rmem_max for bigger bursts)", n,
		 e->tot.requests_dropped);
}

static void listener_on_readable(struct engine *e, struct listener *l)
{
	for (int i = 0; i < 64; i++) {
		union {
			char v4[CMSG_SPACE(sizeof(struct in_pktinfo)) + CMSG_SPACE(sizeof(uint32_t))];
			char v6[CMSG_SPACE(sizeof(struct in6_pktinfo)) + CMSG_SPACE(sizeof(uint32_t))];
		} cbuf;
		struct request_ctx rc = { .lst = l };
		struct iovec iov = { .iov_base = e->rx, .iov_len = RX_BUF_SIZE };
		struct msghdr mh = {
			.msg_name = &rc.peer, .msg_namelen = sizeof(rc.peer),
			.msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = &cbuf, .msg_controllen = sizeof(cbuf),
		};
		struct session *s;
		ssize_t n = recvmsg(l->fd, &mh, MSG_DONTWAIT);
		int op;

		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			continue;
		}
		rc.peer_len = mh.msg_namelen;
		/* default: the listener's own address (a specific -a) */
		rc.local = l->addr;
		for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
			if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SO_RXQ_OVFL) {
				uint32_t dropped;

				memcpy(&dropped, CMSG_DATA(cm), sizeof(dropped));
				listener_count_drops(e, l, dropped);
			} else if (cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_PKTINFO) {
				struct in_pktinfo pi;
				struct sockaddr_in *a = (struct sockaddr_in *)&rc.local;

				memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
				rc.ifindex = (unsigned int)pi.ipi_ifindex;
				/* the local address replies come from (= the
				 * destination for unicast; our address for a
				 * broadcast request) */
				a->sin_family = AF_INET;
				a->sin_addr = pi.ipi_spec_dst;
			} else if (cm->cmsg_level == IPPROTO_IPV6 && cm->cmsg_type == IPV6_PKTINFO) {
				struct in6_pktinfo pi;
				struct sockaddr_in6 *a = (struct sockaddr_in6 *)&rc.local;

				memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
				rc.ifindex = pi.ipi6_ifindex;
				a->sin6_family = AF_INET6;
				a->sin6_addr = pi.ipi6_addr;
				a->sin6_scope_id = IN6_IS_ADDR_LINKLOCAL(&pi.ipi6_addr) ? pi.ipi6_ifindex : 0;
			}
		}
		s = session_lookup(e, l, &rc.peer, &rc.link);
		op = tftp_opcode(e->rx, (size_t)n);
		if ((op == TFTP_RRQ || op == TFTP_WRQ) && l->family == AF_INET && e->lp &&
		    linkpath_covers(e->lp, rc.ifindex))
			continue; /* --mac-sessions: its packet socket took this one */
		if (op == TFTP_RRQ || op == TFTP_WRQ) {
			handle_request(e, &rc, e->rx, (size_t)n);
			continue;
		}
		if (s && !s->own_fd) {
			session_on_packet(s, e->rx, (size_t)n);
			continue;
		}
		if (op == TFTP_ERROR)
			continue; /* never answer an error with an error */
		if (op == TFTP_ACK || op == TFTP_DATA) {
			e->tot.wrong_tid++;
			send_error_via(l, -1, &rc.local, &rc.peer, rc.peer_len, TFTP_EBADID,
				       "unknown transfer ID");
		} else {
			/* junk (unknown opcode, OACK, < 2 bytes): error 4, the
			 * code RFC 1350 has for it; not counted as a wrong TID */
			send_error_via(l, -1, &rc.local, &rc.peer, rc.peer_len, TFTP_EBADOP,
				       "illegal TFTP operation");
		}
	}
}

/* ---- --mac-sessions: requests from the packet sockets (linkpath.h) ------------ */

/*
 * The address replies come from: the request's destination when it is one
 * of ours; for a broadcast, our first address on the ingress interface (as
 * IP_PKTINFO's spec_dst). 0, or -ENOENT for a frame meant for another host.
 */
static int link_local_addr(unsigned int ifindex, struct sockaddr_in *dst)
{
	struct ifaddrs *ifa_list = NULL;
	char ifname[IF_NAMESIZE] = "";
	int found = -ENOENT, bcast = dst->sin_addr.s_addr == htonl(INADDR_BROADCAST);
	struct in_addr first = { 0 };

	if (getifaddrs(&ifa_list) != 0)
		return -errno;
	if_indextoname(ifindex, ifname);
	for (struct ifaddrs *ifa = ifa_list; ifa && found; ifa = ifa->ifa_next) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)ifa->ifa_addr;
		const struct sockaddr_in *b = (const struct sockaddr_in *)ifa->ifa_broadaddr;

		if (!a || a->sin_family != AF_INET)
			continue;
		if (a->sin_addr.s_addr == dst->sin_addr.s_addr)
			found = 0;
		if (strcmp(ifa->ifa_name, ifname))
			continue;
		if (!first.s_addr)
			first = a->sin_addr;
		if ((ifa->ifa_flags & IFF_BROADCAST) && b && b->sin_family == AF_INET &&
		    b->sin_addr.s_addr == dst->sin_addr.s_addr)
			bcast = 1;
	}
	freeifaddrs(ifa_list);
	if (found && bcast && first.s_addr) {
		dst->sin_addr = first;
		found = 0;
	}
	return found;
}

/* The listener a request to local (address, port) belongs to, NULL if none. */
static struct listener *link_listener(struct engine *e, const struct sockaddr_in *local)
{
	for (unsigned int i = 0; i < e->n_lst; i++) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)&e->lst[i].addr;

		if (e->lst[i].family != AF_INET || a->sin_port != local->sin_port)
			continue;
		if (a->sin_addr.s_addr == htonl(INADDR_ANY) || a->sin_addr.s_addr == local->sin_addr.s_addr)
			return &e->lst[i];
	}
	return NULL;
}

static void link_on_readable(struct engine *e, struct linkpath_sock *ls)
{
	for (int i = 0; i < 64; i++) {
		struct request_ctx rc = { 0 };
		struct linkpath_rx rx;
		int err = linkpath_recv(ls, e->rx, RX_BUF_SIZE, &rx), op;

		if (err == -EAGAIN || err == -EWOULDBLOCK)
			return;
		if (err == -EINVAL)
			continue;       /* not a request for us */
		if (err) {
			log_debug("packet socket on %s: %s", ls->ifname, strerror(-err));
			return;
		}
		op = tftp_opcode(rx.payload, rx.len);
		/* the rest sent to the listening port (ACK to port 69, junk) also
		 * reaches the UDP listener, which answers it */
		if (op != TFTP_RRQ && op != TFTP_WRQ)
			continue;
		rc.lst = link_listener(e, &rx.local);
		if (!rc.lst)
			continue;
		if (link_local_addr(ls->ifindex, &rx.local) != 0) {
			/* an address that moved away? answering from another
			 * one would not reach the client's socket */
			if (rc.lst && rx.local.sin_addr.s_addr != htonl(INADDR_BROADCAST))
				log_debug("request to a foreign address on %s ignored", ls->ifname);
			continue;
		}
		memcpy(&rc.peer, &rx.peer, sizeof(rx.peer));
		rc.peer_len = sizeof(struct sockaddr_in);
		memcpy(&rc.local, &rx.local, sizeof(rx.local));
		rc.ifindex = ls->ifindex;
		rc.link = rx.link;
		handle_request(e, &rc, rx.payload, rx.len);
	}
}

static int listener_open(struct engine *e, const struct sockaddr_storage *addr, socklen_t len,
			 int required)
{
	struct listener *l = &e->lst[e->n_lst];
	struct epoll_event ev = { .events = EPOLLIN };
	char name[INET6_ADDRSTRLEN + 10];
	int one = 1, rcvbuf = LISTENER_RCVBUF, fd, err;

	format_sockaddr(addr, name, sizeof(name));
	fd = socket(addr->ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		err = -errno;
		goto fail;
	}
	if (addr->ss_family == AF_INET6) {
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
		if (setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one)) != 0) {
			err = -errno;
			goto fail;
		}
	} else if (setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one)) != 0) {
		err = -errno;
		goto fail;
	}
	/* A bench of routers powered on together sends hundreds of requests
	 * within milliseconds: the default buffer (~200 queued datagrams)
	 * lost 122 of 320. Root may go past net.core.rmem_max. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) != 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)addr, len) != 0) {
		err = -errno;
		goto fail;
	}
	l->kind = EV_LISTENER;
	l->fd = fd;
	l->family = addr->ss_family;
	l->addr_len = sizeof(l->addr);
	getsockname(fd, (struct sockaddr *)&l->addr, &l->addr_len);
	ev.data.ptr = l;
	if (epoll_ctl(e->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
		err = -errno;
		goto fail;
	}
	e->n_lst++;
	log_verbose("listening on %s", name);
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	if (required)
		log_err("cannot listen on %s: %s%s", name, strerror(-err),
			err == -EACCES ? " (port < 1024 needs root or CAP_NET_BIND_SERVICE)" :
			err == -EADDRINUSE ? " (another TFTP server runs? stop it or pass -a ADDR:PORT)" :
			err == -EADDRNOTAVAIL ? " (no such local address: check -a)" : "");
	else
		log_verbose("not listening on %s: %s", name, strerror(-err));
	return err;
}

/* ---- kernel tier ---------------------------------------------------------------- */

static struct session *session_by_key(struct engine *e, const struct session_key *key)
{
	for (struct session *s = e->sessions; s; s = s->next)
		if (s->in_map && !memcmp(&s->key, key, sizeof(*key)))
			return s;
	return NULL;
}

static void on_kernel_event(void *ctx, const struct xt_event *ev)
{
	struct engine *e = ctx;
	struct xfer_out out;
	struct session *s;

	if (ev->type != XT_EV_DONE)
		return;
	s = session_by_key(e, &ev->key);
	if (!s || s->dead || !s->x.kernel)
		return;
	session_kernel_collect(s);
	xfer_on_kernel_done(&s->x, &out);
	session_finish(s, XFER_DONE, 0, NULL);
}

/* Default interfaces for the kernel tiers: the ones owning the listening
 * addresses; every UP non-loopback interface for a wildcard address. */
static unsigned int default_ifnames(struct engine *e, char names[][IF_NAMESIZE],
				    unsigned int max)
{
	struct ifaddrs *ifa_list = NULL;
	unsigned int n = 0;
	int wildcard = 0;

	if (getifaddrs(&ifa_list) != 0)
		return 0;
	for (unsigned int i = 0; i < e->n_lst; i++) {
		const struct sockaddr_storage *a = &e->lst[i].addr;

		if ((a->ss_family == AF_INET &&
		     ((const struct sockaddr_in *)a)->sin_addr.s_addr == htonl(INADDR_ANY)) ||
		    (a->ss_family == AF_INET6 &&
		     IN6_IS_ADDR_UNSPECIFIED(&((const struct sockaddr_in6 *)a)->sin6_addr)))
			wildcard = 1;
	}
	for (struct ifaddrs *ifa = ifa_list; ifa; ifa = ifa->ifa_next) {
		int want = 0;
		unsigned int j;

		if (!ifa->ifa_addr || !(ifa->ifa_flags & IFF_UP))
			continue;
		if (wildcard) {
			want = !(ifa->ifa_flags & IFF_LOOPBACK);
		} else {
			for (unsigned int i = 0; i < e->n_lst && !want; i++) {
				const struct sockaddr_storage *a = &e->lst[i].addr;

				if (a->ss_family != ifa->ifa_addr->sa_family)
					continue;
				if (a->ss_family == AF_INET)
					want = ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
					       ((const struct sockaddr_in *)ifa->ifa_addr)->sin_addr.s_addr;
				else
					want = !memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
						       &((const struct sockaddr_in6 *)ifa->ifa_addr)->sin6_addr,
						       16);
			}
		}
		if (!want)
			continue;
		for (j = 0; j < n; j++)
			if (!strcmp(names[j], ifa->ifa_name))
				break;
		if (j == n && n < max) {
			snprintf(names[n], IF_NAMESIZE, "%s", ifa->ifa_name);
			n++;
		}
	}
	freeifaddrs(ifa_list);
	return n;
}

static void engine_open_fastpath(struct engine *e)
{
	const struct xtftpd_options *o = e->opt;
	char names[XT_MAX_IFNAMES][IF_NAMESIZE];
	const char *ptrs[XT_MAX_IFNAMES];
	struct fastpath_config cfg = { 0 };
	struct epoll_event ev = { .events = EPOLLIN };
	unsigned int n;

	if (o->n_ifnames) {
		for (n = 0; n < o->n_ifnames; n++)
			ptrs[n] = o->ifnames[n];
	} else {
		n = default_ifnames(e, names, XT_MAX_IFNAMES);
		for (unsigned int i = 0; i < n; i++)
			ptrs[i] = names[i];
	}
	if (!n) {
		fastpath_set_off_reason("no interface to attach to (-i IFNAME)");
		log_info("kernel tiers: no interface to attach to (pass -i IFNAME); serving from userspace");
		return;
	}
	cfg.ifnames = ptrs;
	cfg.n_ifnames = n;
	cfg.pool_bytes = o->pool_bytes;
	cfg.verbose = o->verbose >= 2;
	cfg.verifier_log = o->verifier_log;
	cfg.no_xdp = o->no_xdp;
	if (fastpath_open(&cfg, &e->fp) != 0) {
		e->fp = NULL; /* fastpath_open said why */
		return;
	}
	if (o->inject.mode != XT_INJECT_OFF && fastpath_set_inject(e->fp, &o->inject) != 0)
		log_warn("--inject: cannot configure the kernel tiers; only userspace faults");
	e->fpev.kind = EV_FASTPATH;
	e->fpev.fd = fastpath_events_fd(e->fp);
	ev.data.ptr = &e->fpev;
	if (e->fpev.fd >= 0 && epoll_ctl(e->epfd, EPOLL_CTL_ADD, e->fpev.fd, &ev) != 0)
		log_warn("kernel events: epoll: %s; kernel transfers end on their timers",
			 strerror(errno));
}

/* --mac-sessions: a packet socket on each kernel-tier interface (the -i list,
 * or the defaults), filtering for the IPv4 listening ports. */
static int engine_open_linkpath(struct engine *e)
{
	const struct xtftpd_options *o = e->opt;
	char names[XT_MAX_IFNAMES][IF_NAMESIZE];
	unsigned int ifindexes[LINK_MAX_IFACES], n_if = 0, n_ports = 0;
	uint16_t ports[LINK_MAX_PORTS];
	struct epoll_event ev = { .events = EPOLLIN };
	int err;

	for (unsigned int i = 0; i < e->n_lst; i++) {
		uint16_t p = ((const struct sockaddr_in *)&e->lst[i].addr)->sin_port;
		unsigned int j;

		if (e->lst[i].family != AF_INET)
			continue;
		for (j = 0; j < n_ports && ports[j] != p; j++)
			;
		if (j == n_ports && n_ports < LINK_MAX_PORTS)
			ports[n_ports++] = p;
	}
	if (o->n_ifnames) {
		for (unsigned int i = 0; i < o->n_ifnames && n_if < LINK_MAX_IFACES; i++) {
			unsigned int idx = if_nametoindex(o->ifnames[i]);

			if (!idx) {
				log_err("--mac-sessions: no interface %s; check -i", o->ifnames[i]);
				return -ENODEV;
			}
			ifindexes[n_if++] = idx;
		}
	} else {
		unsigned int n = default_ifnames(e, names, XT_MAX_IFNAMES);

		for (unsigned int i = 0; i < n && n_if < LINK_MAX_IFACES; i++)
			if ((ifindexes[n_if] = if_nametoindex(names[i])))
				n_if++;
	}
	if (!n_if || !n_ports) {
		log_err("--mac-sessions: %s; pass -i IFNAME and an IPv4 -a",
			!n_ports ? "no IPv4 listening address" : "no interface to listen on");
		return -EINVAL;
	}
	err = linkpath_open(ifindexes, n_if, ports, n_ports, EV_LINK, &e->lp);
	if (err)
		return err;
	for (unsigned int i = 0; i < linkpath_count(e->lp); i++) {
		struct linkpath_sock *ls = linkpath_sock_at(e->lp, i);

		ev.data.ptr = ls;
		if (epoll_ctl(e->epfd, EPOLL_CTL_ADD, ls->fd, &ev) != 0) {
			err = -errno;
			log_err("--mac-sessions: epoll: %s", strerror(errno));
			return err;
		}
		log_verbose("mac sessions: requests on %s through a packet socket", ls->ifname);
	}
	return 0;
}

/* ---- control ----------------------------------------------------------------- */

/*
 * A kernel counter's name in `xtftpctl stats`: fastpath_stat_name()'s (the
 * one --json and --prometheus use) but for the counters below, which kept
 * their first control-socket names because scripts read them. NULL: not
 * listed here (pass_xdp_tx_off never was; --json and --prometheus have it).
 */
static const char *kstat_name(enum xt_stat s)
{
	switch (s) {
	case XT_STAT_ACK_SEEN:
		return "kernel_ack_seen";
	case XT_STAT_DATA_XDP:
		return "kernel_data_xdp";
	case XT_STAT_DATA_TC:
		return "kernel_data_tc";
	case XT_STAT_DUP_ACK:
		return "kernel_dup_acks";
	case XT_STAT_SESSION_DONE:
		return "kernel_sessions_done";
	case XT_STAT_RACE_LOST:
		return "kernel_race_lost";
	case XT_STAT_INJECT_DROP:
		return "kernel_inject_drop";
	case XT_STAT_INJECT_DUP:
		return "kernel_inject_dup";
	default:
		return fastpath_stat_name(s);
	}
}

void engine_write_stats(struct engine *e, FILE *f)
{
	uint64_t k[XT_STAT_MAX] = { 0 };
	uint64_t live_dup = 0;

	if (e->fp)
		fastpath_read_stats(e->fp, k);
	for (struct session *s = e->sessions; s; s = s->next)
		live_dup += s->rec.dup_acks;
	fprintf(f, "transfers_started %" PRIu64 "\n", e->tot.transfers_started);
	fprintf(f, "transfers_done %" PRIu64 "\n", e->tot.transfers_done);
	fprintf(f, "transfers_failed %" PRIu64 "\n", e->tot.transfers_failed);
	fprintf(f, "transfers_probes %" PRIu64 "\n", e->tot.transfers_probes);
	fprintf(f, "requests_refused %" PRIu64 "\n", e->tot.requests_refused);
	fprintf(f, "requests_denied %" PRIu64 "\n", e->tot.requests_denied);
	fprintf(f, "requests_dropped %" PRIu64 "\n", e->tot.requests_dropped);
	fprintf(f, "sessions_active %u\n", e->n_sessions);
	fprintf(f, "sessions_peak %" PRIu64 "\n", e->tot.sessions_peak);
	fprintf(f, "sessions_peak_client %" PRIu64 "\n", e->tot.sessions_peak_client);
	fprintf(f, "rrq %" PRIu64 "\n", e->tot.rrq);
	fprintf(f, "wrq %" PRIu64 "\n", e->tot.wrq);
	fprintf(f, "blocks_user %" PRIu64 "\n", e->tot.blocks_user);
	fprintf(f, "bytes_user %" PRIu64 "\n", e->tot.bytes_user);
	fprintf(f, "blocks_xdp %" PRIu64 "\n", k[XT_STAT_DATA_XDP]);
	fprintf(f, "blocks_tc %" PRIu64 "\n", k[XT_STAT_DATA_TC]);
	fprintf(f, "blocks_received %" PRIu64 "\n", e->tot.blocks_received);
	fprintf(f, "retransmits %" PRIu64 "\n", e->tot.retransmits);
	/* user side: finished + live sessions; kernel side from its counter */
	/* userspace's (finished and live) + the kernel's (all sessions) */
	fprintf(f, "dup_acks %" PRIu64 "\n",
		e->tot.dup_acks - e->tot.kernel_dup_acks + live_dup + k[XT_STAT_DUP_ACK]);
	fprintf(f, "timeouts %" PRIu64 "\n", e->tot.timeouts);
	fprintf(f, "wrong_tid %" PRIu64 "\n", e->tot.wrong_tid);
	fprintf(f, "junk_ignored %" PRIu64 "\n", e->tot.junk_ignored);
	fprintf(f, "busy %" PRIu64 "\n", e->tot.busy);
	fprintf(f, "busy_per_client %" PRIu64 "\n", e->tot.busy_per_client);
	fprintf(f, "kernel_sessions %" PRIu64 "\n", e->tot.kernel_sessions);
	fprintf(f, "kernel_takeovers %" PRIu64 "\n", e->tot.kernel_takeovers);
	fprintf(f, "bpf_active %d\n", fastpath_kernel_active(e->fp));
	fprintf(f, "inject_drop %" PRIu64 "\n", e->tot.inject_drop + k[XT_STAT_INJECT_DROP]);
	fprintf(f, "inject_dup %" PRIu64 "\n", e->tot.inject_dup + k[XT_STAT_INJECT_DUP]);
	for (int i = 0; i < XT_STAT_MAX; i++) {
		const char *name = kstat_name((enum xt_stat)i);

		if (name)
			fprintf(f, "%s %" PRIu64 "\n", name, k[i]);
	}
	catalog_write_stats(e->cat, e->fp, f);
}

static void write_transfer_line(FILE *f, const struct transfer *t)
{
	char line[1024];

	transfer_format(t, line, sizeof(line));
	fprintf(f, "  #%" PRIu64 " %s\n", t->id, line);
}

void engine_write_status(struct engine *e, FILE *f)
{
	uint64_t up = (now_ns() - e->start_ns) / 1000000000ull;
	char addr[INET6_ADDRSTRLEN + 10];

	fprintf(f, "xtftpd %s running, pid %d, up %" PRIu64 "s%s\n", XTFTPD_VERSION, (int)getpid(),
		up, e->stopping ? ", shutting down" : "");
	fprintf(f, "root %s%s%s\n", e->opt->root, e->opt->create ? ", uploads allowed" : "",
		e->opt->single_port ? ", single port" : "");
	fprintf(f, "listening");
	for (unsigned int i = 0; i < e->n_lst; i++) {
		format_sockaddr(&e->lst[i].addr, addr, sizeof(addr));
		fprintf(f, " %s", addr);
	}
	fprintf(f, "\n");
	if (fastpath_kernel_active(e->fp))
		fprintf(f, "kernel tiers: attached\n");
	else
		fprintf(f, "kernel tiers: not loaded (%s); the userspace engine serves everything\n",
			fastpath_off_reason());
	obs_write_status(e, f);
	catalog_write_status(e->cat, e->fp, f);
	if (e->lp)
		fprintf(f, "mac sessions: requests and replies by MAC on %u interface(s)\n",
			linkpath_count(e->lp));
	fprintf(f, "sessions %u active (max %u); transfers %" PRIu64 " started, %" PRIu64
		" done, %" PRIu64 " failed, %" PRIu64 " refused\n",
		e->n_sessions, e->opt->max_sessions, e->tot.transfers_started,
		e->tot.transfers_done, e->tot.transfers_failed, e->tot.requests_refused);
	if (e->sessions) {
		fprintf(f, "active:\n");
		for (struct session *s = e->sessions; s; s = s->next) {
			struct transfer t = s->rec;

			if (!s->is_write && s->x.last_acked > 0) {
				t.blocks = (uint64_t)s->x.last_acked;
				t.bytes = (uint64_t)s->x.last_acked * s->blksize;
			}
			if (s->x.kernel)
				t.tiers |= XFER_TIER_TC;
			if (t.blocks_user)
				t.tiers |= XFER_TIER_USER;
			write_transfer_line(f, &t);
		}
	}
}

void engine_write_transfers(struct engine *e, FILE *f)
{
	/* oldest first */
	for (unsigned int i = 0; i < e->ring_len; i++) {
		unsigned int idx = (e->ring_head + XT_RECORD_RING - e->ring_len + i) % XT_RECORD_RING;

		write_transfer_line(f, &e->ring[idx]);
	}
}

/* "inject" shows the fault injection, "inject SPEC" sets it (inject.h). */
static void control_inject(struct engine *e, const char *spec, FILE *out)
{
	struct xt_inject c;
	char buf[INJECT_FORMAT_MAX];

	if (spec) {
		if (inject_parse(spec, &c, buf, sizeof(buf)) != 0) {
			fprintf(out, "error: inject: %s\n", buf);
			return;
		}
		if (fastpath_kernel_active(e->fp) && fastpath_set_inject(e->fp, &c) != 0) {
			fprintf(out, "error: inject: cannot configure the kernel tiers\n");
			return;
		}
		e->inject = c;
		inject_format(&c, buf, sizeof(buf));
		log_info("fault injection: %s", buf);
	}
	inject_format(&e->inject, buf, sizeof(buf));
	fprintf(out, "inject %s\n", buf);
	fprintf(out, "inject_drop %" PRIu64 "\ninject_dup %" PRIu64 "\n", e->tot.inject_drop,
		e->tot.inject_dup);
}

static void control_handle(void *ctx, const char *cmd, FILE *out)
{
	struct engine *e = ctx;

	if (!strcmp(cmd, "status"))
		engine_write_status(e, out);
	else if (!strcmp(cmd, "stats"))
		engine_write_stats(e, out);
	else if (!strcmp(cmd, "transfers"))
		engine_write_transfers(e, out);
	else if (!strncmp(cmd, "inject", 6) && (!cmd[6] || cmd[6] == ' '))
		control_inject(e, cmd[6] ? cmd + 7 : NULL, out);
	else if (obs_control(e, cmd, out))
		;
	else if (catalog_control(e->cat, e->fp, cmd, out))
		;
	else
		fprintf(out, "error: unknown command '%.64s' (status, stats, transfers)\n", cmd);
}

/* ---- lifecycle ------------------------------------------------------------------ */

/* The name resolver's settings from the options: one place for the start
 * and for SIGHUP's reload. */
static struct names_config engine_names_config(const struct engine *e)
{
	const struct xtftpd_options *opt = e->opt;
	struct names_config nc = {
		.map_file = opt->map_file,
		.aliases = opt->aliases,
		.n_aliases = opt->n_aliases,
		.serve_any = opt->serve_any,
		.ignore_case = opt->ignore_case,
		.root_prefix = opt->secure ? NULL : e->root_real,
		.root_fd = e->root_fd,
	};

	return nc;
}

int engine_create(const struct xtftpd_options *opt, struct engine **out)
{
	struct engine *e;
	sigset_t mask;
	int err = 0;

	*out = NULL;
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->opt = opt;
	e->epfd = -1;
	e->root_fd = -1;
	e->sig.fd = -1;
	e->fpev.fd = -1;
	theap_init(&e->timers);
	e->start_ns = now_ns();
	clock_gettime(CLOCK_REALTIME, &e->start_real);
	srandom((unsigned int)(e->start_ns ^ (uint64_t)getpid()));

	if (opt->user) {
		struct passwd *pw = getpwnam(opt->user);

		if (!pw) {
			log_err("user %s does not exist: create it or pass another -u USER", opt->user);
			err = -ENOENT;
			goto fail;
		}
		e->uid = pw->pw_uid;
		e->gid = pw->pw_gid;
		e->have_user = 1;
	}
	e->rx = malloc(RX_BUF_SIZE);
	e->scratch = malloc(RX_BUF_SIZE);
	if (!e->rx || !e->scratch) {
		err = -ENOMEM;
		goto fail;
	}
	e->root_fd = open(opt->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (e->root_fd < 0) {
		err = -errno;
		log_err("cannot open root directory %s: %s; create it or pass another ROOT",
			opt->root, strerror(errno));
		goto fail;
	}
	if (!realpath(opt->root, e->root_real))
		snprintf(e->root_real, sizeof(e->root_real), "%s", opt->root);
	if (opt->umask_set)
		umask(opt->umask);
	e->umask = umask(0);
	umask(e->umask);
	err = catalog_create(opt, e->root_fd, e->root_real, &e->cat);
	if (err)
		goto fail;
	if (opt->map_file || opt->n_aliases || opt->serve_any || opt->ignore_case) {
		struct names_config nc = engine_names_config(e);
		char why[512];

		err = names_init(&e->names, &nc, why, sizeof(why));
		if (err) {
			log_err("names: %s; fix the map file or the --alias/--serve-any arguments", why);
			goto fail;
		}
	}
	e->inject = opt->inject;
	if (opt->event_log) {
		e->event_log = fopen(opt->event_log, "ae");
		if (!e->event_log) {
			err = -errno;
			log_err("cannot open --event-log %s: %s", opt->event_log, strerror(errno));
			goto fail;
		}
	}
	err = events_create(e->event_log, 0, &e->ev);
	if (err)
		goto fail;
	e->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (e->epfd < 0) {
		err = -errno;
		log_err("epoll: %s", strerror(errno));
		goto fail;
	}

	/* signals through the loop: no work in async handlers */
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* the signalfd itself is made in engine_run: one made before
	 * daemon()'s fork would never wake the child's epoll */

	if (opt->n_listen) {
		for (unsigned int i = 0; i < opt->n_listen; i++) {
			err = listener_open(e, &opt->listen[i], opt->listen_len[i], 1);
			if (err)
				goto fail;
		}
	} else {
		struct sockaddr_storage a4 = { 0 }, a6 = { 0 };
		int err6;

		((struct sockaddr_in *)&a4)->sin_family = AF_INET;
		((struct sockaddr_in *)&a4)->sin_port = htons(TFTP_PORT);
		((struct sockaddr_in6 *)&a6)->sin6_family = AF_INET6;
		((struct sockaddr_in6 *)&a6)->sin6_port = htons(TFTP_PORT);
		err = listener_open(e, &a4, sizeof(struct sockaddr_in), 1);
		if (err)
			goto fail;
		/* IPv6 may be disabled on the host: IPv4 alone is fine */
		err6 = listener_open(e, &a6, sizeof(struct sockaddr_in6), 0);
		(void)err6;
	}
	if (!opt->no_bpf)
		engine_open_fastpath(e);
	else
		fastpath_set_off_reason("off by --no-bpf");
	/* No kernel tiers: the pool alone, so transfers still serve an
	 * immutable image of the file (sessions keep their generation). */
	if (!e->fp && fastpath_open_pool_only(opt->pool_bytes, &e->fp) != 0)
		e->fp = NULL; /* it said why; transfers then read the file */
	catalog_preload(e->cat, e->fp);
	if (opt->mac_sessions) {
		err = engine_open_linkpath(e);
		if (err)
			goto fail;
	}
	*out = e;
	return 0;
fail:
	engine_destroy(e);
	return err;
}

int engine_open_control(struct engine *e)
{
	if (!e->opt->control_path || !e->opt->control_path[0])
		return 0;
	return control_open(e->opt->control_path, e->epfd, control_handle, e, &e->ctl);
}

int engine_drop_privileges(struct engine *e)
{
	int keep_net_admin;

	if (!e->have_user)
		return 0;
	if (control_chown(e->ctl, e->uid, e->gid) != 0)
		log_warn("cannot hand the control socket to %s; it stays behind at exit",
			 e->opt->user);
	if (setgroups(0, NULL) != 0 && errno != EPERM)
		goto fail;
	if (initgroups(e->opt->user, e->gid) != 0 && errno != EPERM)
		goto fail;
	/* A legacy clsact filter (no tcx links before 6.6) outlives the
	 * process: keep CAP_NET_ADMIN, and only it, to remove it at stop. */
	keep_net_admin = fastpath_uses_legacy_tc(e->fp);
	if (keep_net_admin && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0)
		keep_net_admin = 0;
	if (setgid(e->gid) != 0 || setuid(e->uid) != 0)
		goto fail;
	if (keep_net_admin) {
		struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
		struct __user_cap_data_struct data[2] = { { 0 } };

		data[0].permitted = data[0].effective = 1u << CAP_NET_ADMIN;
		if (syscall(SYS_capset, &hdr, data) != 0)
			log_warn("cannot keep CAP_NET_ADMIN as %s: %s; the TC filter stays at exit "
				 "(xtftpctl detach removes it)", e->opt->user, strerror(errno));
		prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
	}
	log_verbose("running as %s (uid %u)%s", e->opt->user, (unsigned int)e->uid,
		    keep_net_admin ? " with CAP_NET_ADMIN to remove its TC filter at exit" : "");
	return 0;
fail:
	log_err("cannot drop privileges to %s: %s; start as root or leave out -u", e->opt->user,
		strerror(errno));
	return -errno;
}

static void engine_begin_stop(struct engine *e)
{
	if (e->stopping)
		return;
	e->stopping = 1;
	e->stop_deadline = now_ns() + SHUTDOWN_GRACE_NS;
	/* stop accepting: requests get no answer; clients retry elsewhere */
	for (unsigned int i = 0; i < e->n_lst; i++) {
		if (e->opt->single_port)
			continue; /* sessions still use the listening port */
		epoll_ctl(e->epfd, EPOLL_CTL_DEL, e->lst[i].fd, NULL);
	}
	log_info("shutting down: %u transfer(s) get up to %llu s to finish", e->n_sessions,
		 SHUTDOWN_GRACE_NS / 1000000000ull);
}

static void engine_abort_all(struct engine *e)
{
	while (e->sessions) {
		struct session *s = e->sessions;

		if (!s->x.dallying)
			session_send_error(s, TFTP_EUNDEF, "server shutting down");
		if (s->x.kernel)
			session_kernel_collect(s);
		session_finish(s, XFER_ABORTED, 0, "server shutting down");
	}
	graveyard_empty(e);
}

/* SIGHUP: reread the map file, as tftpd-hpa does; the old rules stay when
 * the new ones do not load (a half-edited map file must not stop service). */
static void engine_reload_names(struct engine *e)
{
	const struct xtftpd_options *opt = e->opt;
	struct names_config nc = engine_names_config(e);
	struct name_resolver *nr = NULL;
	char why[512];

	if (!e->names)
		return; /* no names configured at start: nothing to reread */
	if (names_init(&nr, &nc, why, sizeof(why)) != 0) {
		log_warn("SIGHUP: names not reloaded, the old rules stay: %s", why);
		return;
	}
	names_free(e->names);
	e->names = nr;
	log_info("SIGHUP: names reloaded%s%s", opt->map_file ? " from " : "",
		 opt->map_file ? opt->map_file : "");
}

static void on_signal(struct engine *e)
{
	struct signalfd_siginfo si;

	while (read(e->sig.fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			engine_reload_names(e);
			continue;
		}
		if (e->stopping) {
			/* second signal: do not wait for transfers */
			e->stop_deadline = 0;
		}
		engine_begin_stop(e);
	}
}

static int engine_open_signals(struct engine *e)
{
	struct epoll_event ev = { .events = EPOLLIN };
	sigset_t mask;

	if (e->sig.fd >= 0)
		return 0;
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	e->sig.kind = EV_SIGNAL;
	e->sig.fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	ev.data.ptr = &e->sig;
	if (e->sig.fd < 0 || epoll_ctl(e->epfd, EPOLL_CTL_ADD, e->sig.fd, &ev) != 0) {
		log_err("signalfd: %s", strerror(errno));
		return -errno;
	}
	return 0;
}

int engine_run(struct engine *e)
{
	struct epoll_event evs[64];
	int err;

	/* signals that came since engine_create are pending: not lost */
	err = engine_open_signals(e);
	if (err)
		return err;

	log_info("xtftpd %s serving %s%s", XTFTPD_VERSION, e->opt->root,
		 fastpath_kernel_active(e->fp) ? " (kernel tiers attached)" : " (userspace engine)");
	for (;;) {
		struct timer_node *t;
		uint64_t now = now_ns();
		int timeout_ms = -1, n;

		if (e->stopping) {
			unsigned int live = 0;

			for (struct session *s = e->sessions; s; s = s->next)
				live += !s->x.dallying;
			if (!live || now >= e->stop_deadline)
				break;
		}
		t = theap_peek(&e->timers);
		if (t || e->stopping || e->tick_fn) {
			uint64_t deadline = t ? t->deadline_ns : UINT64_MAX;

			if (e->stopping && e->stop_deadline < deadline)
				deadline = e->stop_deadline;
			if (e->tick_fn && e->next_tick_ns < deadline)
				deadline = e->next_tick_ns;
			timeout_ms = deadline <= now ? 0 : (int)((deadline - now + 999999) / 1000000);
		}
		n = epoll_wait(e->epfd, evs, 64, timeout_ms);
		if (n < 0 && errno != EINTR) {
			log_err("epoll_wait: %s", strerror(errno));
			return -errno;
		}
		for (int i = 0; i < n; i++) {
			int kind = *(int *)evs[i].data.ptr;

			switch (kind) {
			case EV_LISTENER:
				listener_on_readable(e, evs[i].data.ptr);
				break;
			case EV_SESSION: {
				struct session *s = evs[i].data.ptr;

				if (!s->dead)
					session_on_readable(s);
				break;
			}
			case EV_SIGNAL:
				on_signal(e);
				break;
			case EV_LINK:
				link_on_readable(e, evs[i].data.ptr);
				break;
			case EV_FASTPATH:
				fastpath_events_drain(e->fp, on_kernel_event, e);
				break;
			case CONTROL_EV_KIND_LISTEN:
			case CONTROL_EV_KIND_CONN:
				control_event(e->ctl, evs[i].data.ptr, evs[i].events);
				break;
			}
		}
		now = now_ns();
		while ((t = theap_peek(&e->timers)) && t->deadline_ns <= now) {
			struct session *s = (struct session *)((char *)t - offsetof(struct session, timer));

			theap_cancel(&e->timers, t);
			session_on_timer(s);
		}
		if (e->tick_fn && now >= e->next_tick_ns) {
			e->next_tick_ns = now + e->tick_ns;
			e->tick_fn(e, e->tick_ctx, now);
		}
		graveyard_empty(e);
	}
	engine_abort_all(e);
	log_info("stopped: %" PRIu64 " transfers, %" PRIu64 " done, %" PRIu64 " failed",
		 e->tot.transfers_started, e->tot.transfers_done, e->tot.transfers_failed);
	return 0;
}

/* ---- embedding (xtftpd recover) ------------------------------------------- */

void engine_set_tick(struct engine *e, engine_tick_fn fn, void *ctx, uint64_t period_ns)
{
	e->tick_fn = fn;
	e->tick_ctx = ctx;
	e->tick_ns = period_ns ? period_ns : 1000000000ull;
	e->next_tick_ns = now_ns();
}

unsigned int engine_live_transfers(struct engine *e, struct transfer *out, unsigned int max)
{
	uint64_t now = now_ns();
	unsigned int n = 0;

	for (struct session *s = e->sessions; s && n < max; s = s->next)
		if (!s->dead && !s->x.dallying)
			session_live_view(s, &out[n++], now);
	return n;
}

const struct transfer *engine_finished_after(struct engine *e, uint64_t after_id)
{
	const struct transfer *best = NULL;

	for (unsigned int i = 0; i < e->ring_len; i++) {
		const struct transfer *t = &e->ring[i];

		if (t->id > after_id && (!best || t->id < best->id))
			best = t;
	}
	return best;
}

void engine_stop(struct engine *e)
{
	engine_begin_stop(e);
}

void engine_destroy(struct engine *e)
{
	if (!e)
		return;
	engine_abort_all(e);
	control_close(e->ctl);
	catalog_destroy(e->cat, e->fp);
	if (e->fp) {
		if (e->fpev.fd >= 0)
			epoll_ctl(e->epfd, EPOLL_CTL_DEL, e->fpev.fd, NULL);
		fastpath_close(e->fp);
	}
	linkpath_close(e->lp);
	for (unsigned int i = 0; i < e->n_lst; i++)
		close(e->lst[i].fd);
	if (e->sig.fd >= 0)
		close(e->sig.fd);
	if (e->epfd >= 0)
		close(e->epfd);
	if (e->root_fd >= 0)
		close(e->root_fd);
	events_destroy(e->ev);
	names_free(e->names);
	if (e->event_log)
		fclose(e->event_log);
	for (unsigned int i = 0; i < HASH_BUCKETS; i++)
		while (e->per_client[i]) {
			struct client_count *c = e->per_client[i];

			e->per_client[i] = c->next;
			free(c);
		}
	theap_free(&e->timers);
	free(e->rx);
	free(e->scratch);
	free(e);
}
