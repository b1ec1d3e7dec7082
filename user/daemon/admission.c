// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * From a request to a live session: refusals, --allow/--deny, repeated
 * requests, limits, negotiation, opening the file (rrq.c, wrq.c), the
 * transfer socket, and the first answer.
 */
#include "internal.h"

/* ---- requests ---------------------------------------------------------------- */


void refuse(struct engine *e, const struct request_ctx *rc, const char *name, int is_write,
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

/* FNV-1a of a request datagram: two copies of one request are equal. */
static uint64_t request_digest(const uint8_t *buf, size_t len)
{
	uint64_t h = 1469598103934665603ull;

	for (size_t i = 0; i < len; i++)
		h = (h ^ buf[i]) * 1099511628211ull;
	return h;
}

/*
 * The same client port again. A byte-identical copy of the request to a
 * transfer that has had no ACK yet is the client's retry because our OACK
 * or first DATA was lost (the load generator and U-Boot resend their RRQ
 * after 1 s; under 2 % loss that is about one transfer in 50): ignore it,
 * the session's timer resends the answer. Ending the transfer there
 * counted a failure for a transfer the client then completed. The same
 * request while the transfer still moves is a copy sent before our answer
 * got there (busybox resends its RRQ after 100 ms), maybe queued behind a
 * busy loop or an image load: ignored too. Only a transfer that already
 * timed out without progress (retries > 0) and made none for a whole
 * timeout is taken for a client restarting from the same port (ended
 * here, 0); a real restart is then seen at the client's next resend of its
 * request.
 */
static int request_repeated(struct engine *e, const struct request_ctx *rc,
			    const struct tftp_request *req, int is_write, uint64_t digest)
{
	struct session *old = session_lookup(e, rc->lst, &rc->peer, &rc->link);
	struct session_value val;
	uint64_t last;
	int64_t acked_block = 0;
	int acked, final_out, final_unacked;

	if (!old)
		return 0;
	final_out = !old->is_write && session_final_window_out(old, &acked_block);
	final_unacked = final_out && acked_block >= 1 && acked_block < old->x.final_block;
	acked = old->rec.last_ack_ns != 0;
	last = acked ? old->rec.last_ack_ns : old->rec.start_ns;
	if (old->x.kernel && fastpath_session_get(e->fp, &old->key, &val) == 0 &&
	    val.last_ack_ns > last) {
		last = val.last_ack_ns;
		acked = 1;
	}
	/* A copy is sent before our answer arrives; once the client has
	 * acknowledged DATA, the final window is out and its final ACK has
	 * not come, the same request is a new client program given the same
	 * port (the soak: taken for a copy, the old transfer went on
	 * resending its final block to that port, the new client took that
	 * DATA as its server's answer, locked onto the old port and failed
	 * on its ICMP when the old transfer ended). Not once the kernel has
	 * seen the final ACK (userspace not told yet): a copy queued behind
	 * a busy loop (busybox resends its RRQ after 100 ms) then meets a
	 * transfer the kernel finished in milliseconds, and is ignored as
	 * before, not served to a client that has gone */
	if (!final_unacked && !old->x.dallying && old->is_write == is_write &&
	    !strcmp(old->rec.requested, req->filename) &&
	    ((!acked && old->req_digest == digest) || old->x.retries == 0 ||
	     now_ns() - last < old->timeout_ns)) {
		e->tot.requests_repeated++;
		log_debug("transfer %" PRIu64 ": repeated request ignored", old->rec.id);
		return 1;
	}
	/* A new request from the port of a transfer whose final window is
	 * out: the client had it, its final ACK was lost, and its port went
	 * to a new client program (ephemeral ports are reused within seconds
	 * when hundreds of transfers a minute start on one host: the 5 %
	 * soak counted such a delivered transfer failed) */
	if (final_out)
		session_finish(old, XFER_UNCONFIRMED, 0,
			       "final block %" PRId64 " sent; the client's port then sent a new "
			       "request", old->x.final_block);
	else
		session_finish(old, XFER_ABORTED, 0, "client restarted with a new request");
	return 0;
}

/*
 * Admission: shutdown, VLAN tags, --max-sessions, --max-per-client
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
	int err;
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
	err = ev_source_add(e->epfd, s->fd, EPOLLIN, &s->src, session_on_event);
	if (err) {
		refuse(e, rc, req->filename, s->is_write, TFTP_EUNDEF, "internal error",
		       strerror(-err));
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
		if (s->neg.timeout_asked)
			xfer_timeout_asked(&s->x);
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

void handle_request(struct engine *e, struct request_ctx *rc, const uint8_t *buf, size_t len)
{
	struct tftp_request req;
	struct names_result names_res;
	struct session *s;
	char peer[INET6_ADDRSTRLEN + 10];
	const char *name;
	uint64_t digest;
	int is_write;

	if (tftp_parse_request(buf, len, &req) == -EINVAL) {
		refuse(e, rc, NULL, 0, TFTP_EBADOP, "malformed request", "malformed request");
		return;
	}
	is_write = req.opcode == TFTP_WRQ;
	digest = request_digest(buf, len);
	if (request_repeated(e, rc, &req, is_write, digest))
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
	s->req_digest = digest;
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
