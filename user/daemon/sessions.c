// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The session index (hash by client address and port, per-client counts),
 * a session's end (record, kernel collection, graveyard) and its packet and
 * timer callbacks, which route to rrq.c and wrq.c.
 */
#include "internal.h"

/* ---- session bookkeeping --------------------------------------------------- */

unsigned int addr_hash(const struct sockaddr_storage *ss)
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

struct session *session_lookup(struct engine *e, struct listener *l,
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

unsigned int client_count_get(struct engine *e, const struct sockaddr_storage *peer)
{
	struct client_count *c = *client_count_slot(e, peer);

	return c ? c->n : 0;
}

void client_count_add(struct engine *e, const struct sockaddr_storage *peer, int delta)
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

void session_arm_at(struct session *s, uint64_t deadline_ns)
{
	/* -ENOMEM leaves the timer unarmed; the session then ends by the
	 * client or at shutdown, which is the best left to do */
	theap_arm(&s->e->timers, &s->timer, deadline_ns);
}

void record_push(struct engine *e, const struct transfer *t)
{
	e->ring[e->ring_head] = *t;
	e->ring_head = (e->ring_head + 1) % XT_RECORD_RING;
	if (e->ring_len < XT_RECORD_RING)
		e->ring_len++;
}

/* xfer_final_window_out of s, with the kernel's progress if it serves s
 * (userspace's copy lags behind it); *acked (may be NULL): the last block
 * the client acknowledged. */
int session_final_window_out(struct session *s, int64_t *acked)
{
	struct session_value val;
	struct xfer x = s->x;

	if (x.kernel && fastpath_session_get(s->e->fp, &s->key, &val) == 0) {
		x.last_sent = val.last_sent;
		x.last_acked = (int32_t)val.last_acked;
		x.client_acked = x.client_acked || x.last_acked >= 1;
	}
	if (acked)
		*acked = x.last_acked;
	return xfer_final_window_out(&x);
}

/*
 * The session's timer ran out with nothing new from the client (RRQ or
 * WRQ), as xfer says: count the timeout, the first of a run being a stall.
 * 1 when xfer gave up (at block out->acked + 1): the caller ends the
 * session.
 */
int session_count_timeout(struct session *s, const struct xfer_out *out)
{
	if (!(out->events & XFER_EV_TIMEOUT))
		return 0;
	s->rec.timeouts++;
	s->e->tot.timeouts++;
	if (out->events & XFER_EV_STALL)
		obs_stall(s);
	/* a client gone (its port closed) settles a restart suspicion, unless
	 * it went with every block: it left after its final ACK, which was
	 * lost (the 2 % soak's load generator was taken for restarting) */
	if (s->rec.restart_suspect && s->rec.icmp_errors && !session_final_window_out(s, NULL))
		obs_restart_settle(s);
	if (!(out->events & XFER_EV_GIVE_UP))
		return 0;
	s->rec.stall_block = (uint64_t)(out->acked + 1);
	return 1;
}

/* A packet sent again: counted for the transfer and in total. */
void session_count_retransmit(struct session *s)
{
	s->rec.retransmits++;
	s->e->tot.retransmits++;
}

/* Read the kernel's counters into the record (before the entry goes). */
void session_kernel_collect(struct session *s)
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
	s->k_dup_resends = val.dup_resends;
	if (val.last_ack_ns > s->rec.last_ack_ns)
		s->rec.last_ack_ns = val.last_ack_ns;
	if ((int32_t)val.last_acked > s->x.last_acked && !s->is_write)
		s->x.last_acked = (int32_t)val.last_acked;
}

/* The served image's sha256 into the record: now if the pool has it, or
 * (finish: the record is about to be final) hashing the rest first. */
void session_note_sha256(struct session *s, int finish)
{
	if (!s->img || s->rec.sha256_known || (!finish && !s->img->sha256_ready))
		return;
	memcpy(s->rec.sha256, fastpath_image_sha256(s->e->fp, s->img), sizeof(s->rec.sha256));
	s->rec.sha256_known = 1;
}

static void session_kernel_release(struct session *s)
{
	if (s->in_map) {
		fastpath_session_end(s->e->fp, &s->key);
		s->in_map = 0;
	}
	if (s->img) {
		session_note_sha256(s, 1);
		fastpath_image_release(s->e->fp, s->img);
		s->img = NULL;
	}
	s->x.kernel = 0;
}

void session_record(struct session *s)
{
	struct engine *e = s->e;
	struct transfer *t = &s->rec;
	char line[1024];

	session_note_sha256(s, 1);
	if (s->x.kernel || s->in_map)
		session_kernel_collect(s);
	t->inject_drops += s->k_inject_drops;   /* rec holds userspace's own */
	t->inject_dups += s->k_inject_dups;
	t->dup_resends += s->k_dup_resends;
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
	else if (t->outcome == XFER_UNCONFIRMED)
		e->tot.transfers_unconfirmed++;
	else
		e->tot.transfers_failed++;
	diagnose_transfer(t, 0, t->diagnosis, sizeof(t->diagnosis));
	transfer_format(t, line, sizeof(line));
	if (t->outcome == XFER_DONE || t->outcome == XFER_PROBE || t->outcome == XFER_UNCONFIRMED)
		log_info("%s", line);
	else
		log_warn("%s", line);
	record_push(e, t);
	event_log_write(e, t);
}

void session_finish(struct session *s, enum xfer_outcome outcome, uint16_t code,
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
	obs_restart_settle(s);
	if (!s->x.dallying)
		session_record(s);
	session_free_now(s);
}

/* Release resources, unlink from every index; memory goes to the graveyard. */
void session_free_now(struct session *s)
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

void graveyard_empty(struct engine *e)
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

/* ---- packets for a live session ---------------------------------------------- */

void session_on_packet(struct session *s, const uint8_t *buf, size_t len)
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

void session_on_event(struct ev_source *src, uint32_t events)
{
	struct session *s = ev_owner(src, struct session, src);

	(void)events;
	if (!s->dead) /* finished earlier in this batch: in the graveyard */
		session_on_readable(s);
}

void session_on_timer(struct session *s)
{
	if (s->is_write)
		wrq_on_timeout(s);
	else
		rrq_on_timeout(s);
}

/* ---- kernel tier ---------------------------------------------------------------- */

struct session *session_by_key(struct engine *e, const struct session_key *key)
{
	for (struct session *s = e->sessions; s; s = s->next)
		if (s->in_map && !memcmp(&s->key, key, sizeof(*key)))
			return s;
	return NULL;
}
