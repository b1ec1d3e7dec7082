// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Write requests: ACKs, writing into a temporary file, the commit on the
 * last block, carrying out what proto/xfer decides on DATA and timers.
 */
#include "internal.h"

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

/*
 * The umask for new files, as in.tftpd: -U if given; else 0 without -p,
 * the process's with -p ("if (spec_umask || !unixperms) umask(my_umask)",
 * my_umask 0 by default).
 */
static mode_t wrq_umask(const struct engine *e)
{
	if (e->opt->umask_set)
		return e->opt->umask;
	return e->opt->permissive ? e->umask : 0;
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
void wrq_carry_out(struct session *s, const struct xfer_out *out,
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

void wrq_on_data(struct session *s, const uint8_t *buf, size_t len)
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

void wrq_on_timeout(struct session *s)
{
	struct xfer_out out;

	xfer_on_timer(&s->x, NULL, now_ns(), &out);
	wrq_carry_out(s, &out, NULL, 0);
}

/*
 * WRQ, with in.tftpd 5.2's rules (tftpd.c validate_access): an existing
 * file must be writable by the daemon's user (else error 0 with the
 * system's message) and, without -p, world-writable (else error 2); a new
 * name needs -c (else error 1) and, without -p, a umask that leaves it
 * world-writable (else error 2). The upload goes to a temporary file,
 * renamed over the name when complete (docs/tftpd-hpa.md). 0, or -1 when
 * refused.
 */
int wrq_open(struct session *s, const struct request_ctx *rc,
		    const struct tftp_request *req, const char *name)
{
	struct engine *e = s->e;
	char final[PATH_MAX];
	struct stat old = { 0 };
	long long old_size;
	int fd, existed = 0;

	fd = path_open_read(e->root_fd, name, &old_size);
	if (fd >= 0) {
		char self[40];
		struct stat st;
		int wfd, ok;

		ok = fstat(fd, &st) == 0;
		/* in.tftpd opens the file for writing first: the OS's verdict
		 * for the daemon's user comes before the -p check */
		snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
		wfd = ok ? open(self, O_WRONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC) : -1;
		if (wfd < 0) {
			int err = ok ? errno : EIO;

			close(fd);
			refuse(e, rc, req->filename, 1, TFTP_EUNDEF, strerror(err), strerror(err));
			return -1;
		}
		close(wfd);
		close(fd);
		if (!e->opt->permissive && !(st.st_mode & S_IWOTH)) {
			refuse(e, rc, req->filename, 1, TFTP_EACCESS,
			       "File must have global write permissions",
			       "existing file is not world-writable (see -p)");
			return -1;
		}
		/* the new file takes the old one's mode (and owner, when we
		 * may): in.tftpd rewrites the same inode */
		old = st;
		existed = 1;
	} else if (!e->opt->create) {
		int code = path_errno_to_tftp(fd);

		refuse(e, rc, req->filename, 1, (uint16_t)code,
		       code == TFTP_ENOTFOUND ? "File not found" : "access violation",
		       code == TFTP_ENOTFOUND ? "no such file, and new files need --create" :
		       strerror(-fd));
		return -1;
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
	/* in.tftpd creates the file, then finds it not world-writable when
	 * -U takes o+w away without -p: error 2 (and it leaves the empty
	 * file behind; xtftpd keeps nothing) */
	if (!existed && !e->opt->permissive && !(0666 & ~wrq_umask(e) & S_IWOTH)) {
		path_abort_temp(fd, s->dir_fd, s->tmp_name);
		s->dir_fd = -1;
		s->tmp_name[0] = '\0';
		refuse(e, rc, req->filename, 1, TFTP_EACCESS,
		       "File must have global write permissions",
		       "-U takes away world write permission and there is no -p");
		return -1;
	}
	/* the mode (and owner) the file will have; as in.tftpd, where a
	 * new file is 0666 less the umask and an overwritten one keeps its
	 * inode, mode and owner */
	if (existed) {
		if (fchown(fd, old.st_uid, old.st_gid) != 0) {
			/* not root: the new file stays the daemon user's */
		}
		fchmod(fd, old.st_mode & 07777);
	} else {
		fchmod(fd, 0666 & ~wrq_umask(e));
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
