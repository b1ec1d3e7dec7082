// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Read requests: the bytes (file, image pool, netascii), DATA and OACK,
 * carrying out what proto/xfer decides on ACKs and timers, and the hand-off
 * to the kernel tiers (image acquisition, session map entry).
 */
#include "internal.h"

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
	/* a dropped frame is accounted as sent: the loss is the wire's */
	inject = rrq_inject(s, n, first_send);
	/* A timer resend of a block the kernel serves: the kernel sends it
	 * from the pool (tc_resend), so the data path stays in the kernel;
	 * where it cannot, it falls to us below (as do injected faults). */
	if (!first_send && inject == XT_INJECT_OFF && s->x.kernel && s->in_map) {
		int rc = fastpath_kernel_resend(s->e->fp, &s->key, (uint32_t)n);

		if (rc == -EALREADY)
			return 0;       /* its ACK came meanwhile: the kernel goes on */
		if (rc == 0) {
			session_count_retransmit(s);
			if (n == s->turn_block)
				s->turn_ns = 0;
			return 0;
		}
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
	kv->srtt_ns = val->srtt_ns;
	kv->rttvar_ns = val->rttvar_ns;
	kv->last_ack_ns = val->last_ack_ns;
	kv->dup_acks = val->dup_acks;
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
		s->k_dup_resends = val->dup_resends;
	} else {
		s->in_map = 0;
	}
	s->e->tot.kernel_takeovers++;
	log_verbose("transfer %" PRIu64 ": userspace takes over at block %" PRId64,
		    s->rec.id, s->x.last_acked);
}

/* xfer says the client is in step again: the kernel's entry is written
 * (what will have been sent, the turnaround estimate) before the blocks go
 * out, so the client's next ACK finds it. If it cannot be, userspace keeps
 * the session. */
static void rrq_hand_back(struct session *s, const struct xfer_out *out)
{
	uint32_t last_sent = (uint32_t)(out->send_to >= out->send_from ? out->send_to : s->x.last_acked);

	if (!s->in_map ||
	    fastpath_session_resume(s->e->fp, &s->key, last_sent, (int32_t)out->acked, s->x.srtt_ns,
				    s->x.rttvar_ns) != 0) {
		s->x.kernel = 0;
		s->x.kernel_capable = 0;
		return;
	}
	s->e->tot.kernel_handbacks++;
	log_verbose("transfer %" PRIu64 ": back to the kernel tiers at block %" PRId64,
		    s->rec.id, out->acked);
}

#define KERNEL_LOOK_NS_PER_SESSION 20000ull

/*
 * Carry out what xfer decided for an RRQ: counters, events, the blocks to
 * send, the timer. val: the kernel's entry xfer was given (NULL: none or
 * gone); t_ack: when the ACK was seen (0 on the timer).
 */
void rrq_carry_out(struct session *s, const struct xfer_out *out,
			  const struct session_value *val, uint64_t t_ack)
{
	if (out->events & XFER_EV_TAKE_BACK)
		rrq_took_back(s, out->k_gone ? NULL : val);
	if (out->events & XFER_EV_DUP_ACK)
		s->rec.dup_acks++;
	if (out->events & XFER_EV_DUP_RESEND) {
		s->rec.dup_resends++;
		s->e->tot.dup_resends++;
	}
	if (out->events & XFER_EV_ACK_NEW)
		obs_on_ack(s, out->acked, t_ack);
	if (out->events & XFER_EV_K_PROGRESS)
		obs_kernel_progress(s);
	if (out->events & XFER_EV_DONE) {
		session_finish(s, XFER_DONE, 0, NULL);
		return;
	}
	if (out->events & XFER_EV_HAND_BACK)
		rrq_hand_back(s, out);
	if (out->events & XFER_EV_UNCONFIRMED) {
		if (s->x.last_acked + 1 < s->x.final_block)
			session_finish(s, XFER_UNCONFIRMED, 0,
				       "final window (blocks %" PRId64 "-%" PRId64 ") sent, "
				       "its ACK never came", s->x.last_acked + 1, s->x.final_block);
		else
			session_finish(s, XFER_UNCONFIRMED, 0,
				       "final block %" PRId64 " sent, its ACK never came",
				       s->x.final_block);
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
	if (out->deadline) {
		uint64_t deadline = out->deadline;

		/* A kernel session that progresses is looked at about one RTO
		 * after its last DATA, so a loss is resent within milliseconds;
		 * with many sessions that is many map reads a second. Spread
		 * them: at most one look per KERNEL_LOOK_NS_PER_SESSION per
		 * session alive (512 sessions: every 10 ms each, ~50,000 looks
		 * a second in all). */
		if ((out->events & XFER_EV_K_PROGRESS) && s->e->n_sessions > 1) {
			uint64_t spread = now_ns() + (uint64_t)s->e->n_sessions * KERNEL_LOOK_NS_PER_SESSION;

			if (deadline < spread)
				deadline = spread;
		}
		session_arm_at(s, deadline);
	}
}

void rrq_on_ack(struct session *s, uint16_t wire)
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

void rrq_on_timeout(struct session *s)
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
		session_note_sha256(s, 0);
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
void rrq_try_kernel(struct session *s, uint32_t first_sent)
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

/* RRQ: open what is served (published name or file), its image, its size,
 * the netascii encoder. 0, or -1 when refused. */
int rrq_open(struct session *s, const struct request_ctx *rc,
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
