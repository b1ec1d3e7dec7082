// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The daemon's side of observability: live views of sessions, restart and
 * stall detection, the control socket's stats/status/top/transfers answers
 * and the event log. Formatting lives in obs/; this file gathers the state.
 */
#include "internal.h"

/* ---- observability (issue 4: events.c, diagnose.c, report.c) -------------- */

/* The record as it stands now: a live session's progress and counters, from
 * the kernel's session entry when the kernel serves it. */
void session_live_view(const struct session *s, struct transfer *t, uint64_t now)
{
	int64_t acked = s->x.last_acked;

	*t = s->rec;
	if (s->img && s->img->sha256_ready && !t->sha256_known) {
		memcpy(t->sha256, s->img->sha256, sizeof(t->sha256));
		t->sha256_known = 1;
	}
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
			t->dup_resends += val.dup_resends;
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

int same_host(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
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


/* t restarts prev (the client started over): say so once, in the log and
 * as a restart event; prev's id and how far it got go into t. */
static void obs_restart_report(struct engine *e, struct transfer *t, const struct transfer *prev,
			       uint64_t now)
{
	int pm = report_permille(prev);

	t->restart_of = prev->id;
	t->restart_pct = pm < 0 ? 0 : (unsigned int)pm / 10;
	snprintf(t->diagnosis, sizeof(t->diagnosis),
		 "restart of transfer %" PRIu64 " at %u%% (block %" PRIu64 " of %" PRIu64
		 "): the client started over from block 1", prev->id, t->restart_pct, prev->blocks,
		 prev->final_block);
	log_info("transfer %" PRIu64 ": %s", t->id, t->diagnosis);
	events_emit(e->ev, EVT_RESTART, t, now);
	t->diagnosis[0] = '\0';
}

/*
 * A restart: the same client host asks again for a file whose previous
 * transfer is incomplete: failed in the last two minutes, or live (the
 * host's only live transfer, started at least 1 s ago, having got data).
 * Several transfers at once from one host, or two started within a second,
 * are concurrent clients (a test rig, a loadgen), not a restart. A live one
 * is only a suspect until it shows which: it goes on (a new ACK: a second
 * client that happened to be alone, not a restart; the 2 % soak's load
 * generator was taken for restarting) or it stalls or fails (the client
 * left it: obs_restart_settle reports the restart then).
 */
static void obs_detect_restart(struct session *s, uint64_t now)
{
	struct engine *e = s->e;
	struct transfer *t = &s->rec, prev;
	struct session *live = NULL;
	unsigned int n_live = 0, n_host = 0;
	int found = 0, done_since = 0;

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
		live->rec.restart_suspect = t->id;
		live->rec.restart_suspect_ns = now;
		live->rec.restart_suspect_block = prev.blocks;
		return;
	} else if (n_live == 0) {
		for (unsigned int i = 0; i < e->ring_len && !found; i++) {
			unsigned int idx = (e->ring_head + XT_RECORD_RING - 1 - i) % XT_RECORD_RING;
			const struct transfer *r = &e->ring[idx];

			if (now - r->end_ns > OBS_RESTART_WINDOW_NS)
				break;
			if (r->is_write || r->outcome == XFER_REFUSED || !same_device(r, t) ||
			    strcmp(r->requested, t->requested))
				continue;
			if (r->outcome == XFER_DONE || r->outcome == XFER_UNCONFIRMED) {
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
	obs_restart_report(e, t, &prev, now);
}

/*
 * Progress of a suspect (an ACK of block `blocks` the kernel or we saw at
 * ack_ns): it goes on, so the later request was a second client, if the
 * ACK came after that request and beyond the window in flight then (a
 * client that left may still have had one ACK on the way; the kernel's
 * progress is seen here late, so its time decides).
 */
static void obs_suspect_progress(struct session *s, uint64_t ack_ns, uint64_t blocks)
{
	struct transfer *t = &s->rec;

	if (t->restart_suspect && ack_ns > t->restart_suspect_ns &&
	    blocks > t->restart_suspect_block + s->windowsize)
		t->restart_suspect = 0;
}

/*
 * s is suspected of having been restarted (obs_detect_restart) and now
 * ends without having been delivered, or times out with its client's port
 * closed (ICMP port unreachable: the program that asked is gone): the
 * suspicion holds. A stall alone is not enough, not even two timeouts: on
 * a lossy link a client that re-ACKs on its own 1 s timer leaves them and
 * goes on (the soaks reported such restarts where no client restarted).
 * The later transfer, if still live, is reported as its restart.
 */
void obs_restart_settle(struct session *s)
{
	struct transfer prev;
	uint64_t now = now_ns(), by = s->rec.restart_suspect;

	if (!by)
		return;
	s->rec.restart_suspect = 0;
	if (s->rec.outcome == XFER_DONE || s->rec.outcome == XFER_UNCONFIRMED)
		return;
	for (struct session *o = s->e->sessions; o; o = o->next) {
		if (o->dead || o->rec.id != by)
			continue;
		session_live_view(s, &prev, now);
		s->rec.restarted_by = by;
		obs_restart_report(s->e, &o->rec, &prev, now);
		return;
	}
}

/*
 * The tiers of a live transfer for its events: those that sent DATA so
 * far, and "user" from the start for a session the userspace engine holds
 * (every WRQ; an RRQ the kernel tiers did not take), sent or not. A session
 * the kernel tiers hold says "none" until its first block.
 */
static void obs_live_tiers(struct session *s)
{
	struct transfer *t = &s->rec;

	if (s->is_write || !s->x.kernel || t->blocks_user)
		t->tiers |= XFER_TIER_USER;
	if (t->blocks_tc)
		t->tiers |= XFER_TIER_TC;
	if (t->blocks_xdp)
		t->tiers |= XFER_TIER_XDP;
}

/* A transfer went live: who the client is on the link, start event, restart. */
void obs_session_start(struct session *s)
{
	struct transfer *t = &s->rec;
	uint64_t now = now_ns();

	obs_live_tiers(s);

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
void obs_on_ack(struct session *s, int64_t acked, uint64_t t_ack)
{
	struct transfer *t = &s->rec;

	if (s->turn_ns && acked >= s->turn_block && t_ack >= s->turn_ns) {
		hist_record(&t->turnaround, t_ack - s->turn_ns);
		hist_record(&s->e->user_turn, t_ack - s->turn_ns);
	}
	s->turn_ns = 0;
	t->last_ack_ns = t_ack;
	t->stalled = 0;
	obs_suspect_progress(s, t_ack, (uint64_t)acked);
	t->blocks = (uint64_t)acked;
	t->bytes = (uint64_t)acked * s->blksize;
	if (s->file_size && t->bytes > s->file_size)
		t->bytes = s->file_size;
	t->final_block = s->x.final_block > 0 ? (uint64_t)s->x.final_block : 0;
	obs_live_tiers(s);
	events_progress(s->e->ev, t, t_ack);
}

/* DATA went out in answer to the ACK seen at t_ack. */
void obs_data_sent(struct session *s, uint64_t t_ack)
{
	uint64_t now = now_ns();

	hist_record(&s->rec.ack_to_data, now - t_ack);
	hist_record(&s->e->user_a2d, now - t_ack);
}

/* The kernel advanced a session (seen on its timer): progress events. */
void obs_kernel_progress(struct session *s)
{
	struct transfer view;
	uint64_t now = now_ns();

	session_live_view(s, &view, now);
	s->rec.stalled = 0;
	obs_suspect_progress(s, view.last_ack_ns, view.blocks);
	view.stalled = 0;
	s->rec.last_ack_ns = view.last_ack_ns;
	if (events_progress(s->e->ev, &view, now))
		s->rec.progress_pct = view.progress_pct;
}

/* First timeout without progress: a stall event with a diagnosis. */
void obs_stall(struct session *s)
{
	struct transfer view;
	uint64_t now = now_ns();

	if (s->rec.stalled)
		return;
	s->rec.stalled = 1;
	session_live_view(s, &view, now);
	events_emit(s->e->ev, EVT_STALL, &view, now);
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
int obs_cmd_stats(struct engine *e, const char *args, FILE *out)
{
	struct report_stats st;

	if (!*args) {
		engine_write_stats(e, out);
		return 1;
	}
	if (strcmp(args, "json") && strcmp(args, "prometheus"))
		return 0;
	obs_fill_stats(e, &st);
	if (args[0] == 'j')
		report_stats_json(out, &st);
	else
		report_stats_prometheus(out, &st);
	return 1;
}

int obs_cmd_transfers(struct engine *e, const char *args, FILE *out)
{
	uint64_t now = now_ns();
	struct transfer t;

	if (!*args) {
		engine_write_transfers(e, out);
		return 1;
	}
	if (strcmp(args, "json"))
		return 0;
	for (unsigned int i = 0; i < e->ring_len; i++)
		report_transfer_json(out, &e->ring[(e->ring_head + XT_RECORD_RING - e->ring_len + i) %
						   XT_RECORD_RING], now);
	for (struct session *s = e->sessions; s; s = s->next) {
		session_live_view(s, &t, now);
		report_transfer_json(out, &t, now);
	}
	return 1;
}

int obs_cmd_events(struct engine *e, const char *args, FILE *out)
{
	int fd;

	if (!*args) {
		events_write_recent(e->ev, out);
		return 1;
	}
	if (strcmp(args, "follow"))
		return 0;
	fd = control_current_fd(e->ctl);
	fd = fd >= 0 ? fcntl(fd, F_DUPFD_CLOEXEC, 0) : -1;
	if (fd < 0 || events_add_follower(e->ev, fd) != 0)
		fprintf(out, "error: cannot follow events (too many followers?)\n");
	return 1;
}

int obs_cmd_top(struct engine *e, const char *args, FILE *out)
{
	unsigned int w = 100, h = 30;
	char extra;

	if (*args && sscanf(args, "%u %u %c", &w, &h, &extra) != 2)
		return 0;
	obs_write_top(e, out, w > 1000 ? 1000 : w, h > 500 ? 500 : h);
	return 1;
}

int obs_cmd_status(struct engine *e, const char *args, FILE *out)
{
	if (*args)
		return 0;
	engine_write_status(e, out);
	return 1;
}

/* For status: the kernel tiers per interface and the images in the pool. */
static void obs_write_status(struct engine *e, FILE *f)
{
	char tiers[512];
	unsigned int n;

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
		/* asked now: worth finishing the hash for (the pool hashes
		 * after the first answer) */
		const uint8_t *digest = fastpath_image_sha256(e->fp, img);

		for (int i = 0; i < 32; i++)
			snprintf(sha + 2 * i, 3, "%02x", digest[i]);
		/* refs: the sessions serving it, plus the catalog's own
		 * reference while the image is published (xtftpctl load) */
		n = 0;
		for (struct session *s = e->sessions; s; s = s->next)
			if (s->img == img)
				n++;
		fprintf(f, "image %u gen %u \"%.100s\" %" PRIu64 " bytes sha256 %s, %u session(s)%s%s\n",
			img->id, img->gen, name, img->size, sha, n,
			img->refs > n ? ", held by the catalog (published: xtftpctl load)" : "",
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

void event_log_write(struct engine *e, const struct transfer *t)
{
	events_emit(e->ev, t->outcome == XFER_DONE ? EVT_DONE :
		    t->outcome == XFER_PROBE ? EVT_PROBE :
		    t->outcome == XFER_UNCONFIRMED ? EVT_UNCONFIRMED : EVT_FAILED, t, now_ns());
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

/* ---- control ----------------------------------------------------------------- */

/* A kernel counter's line in `xtftpctl stats` (include/xtftp_stats.h). */
static const char *kstat_name(enum xt_stat s)
{
	static const char *const names[XT_STAT_MAX] = {
#define XT_STAT_CTL_NAME(id, name, ctl_name, help) [XT_STAT_##id] = ctl_name,
		XT_STATS(XT_STAT_CTL_NAME)
#undef XT_STAT_CTL_NAME
	};

	return (unsigned int)s < XT_STAT_MAX ? names[s] : NULL;
}

void engine_write_stats(struct engine *e, FILE *f)
{
	uint64_t k[XT_STAT_MAX] = { 0 };
	uint64_t live_dup = 0;

	if (e->fp)
		fastpath_read_stats(e->fp, k);
	for (struct session *s = e->sessions; s; s = s->next)
		live_dup += s->rec.dup_acks;
#define ENGINE_TOTAL_LINE(name, help) fprintf(f, #name " %" PRIu64 "\n", e->tot.name);
	ENGINE_PLAIN_TOTALS(ENGINE_TOTAL_LINE)
#undef ENGINE_TOTAL_LINE
	fprintf(f, "sessions_active %u\n", e->n_sessions);
	fprintf(f, "sessions_peak %" PRIu64 "\n", e->tot.sessions_peak);
	fprintf(f, "sessions_peak_client %" PRIu64 "\n", e->tot.sessions_peak_client);
	fprintf(f, "rrq %" PRIu64 "\n", e->tot.rrq);
	fprintf(f, "wrq %" PRIu64 "\n", e->tot.wrq);
	fprintf(f, "blocks_user %" PRIu64 "\n", e->tot.blocks_user);
	fprintf(f, "bytes_user %" PRIu64 "\n", e->tot.bytes_user);
	fprintf(f, "blocks_xdp %" PRIu64 "\n", k[XT_STAT_DATA_XDP]);
	fprintf(f, "blocks_tc %" PRIu64 "\n", k[XT_STAT_DATA_TC]);
	fprintf(f, "dup_resends %" PRIu64 "\n", e->tot.dup_resends + k[XT_STAT_DUP_RESEND]);
	/* userspace's (finished and live) + the kernel's (all sessions) */
	fprintf(f, "dup_acks %" PRIu64 "\n",
		e->tot.dup_acks - e->tot.kernel_dup_acks + live_dup + k[XT_STAT_DUP_ACK]);
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
	/* as in.tftpd: without -c an upload may still replace an existing
	 * world-writable file (docs/tftpd-hpa.md) */
	fprintf(f, "root %s, uploads: %s%s%s%s\n", e->opt->root,
		e->opt->create ? "new files and " : "",
		e->opt->permissive ? "overwrites" : "overwrites of world-writable files",
		e->opt->create ? "" : " (-c for new files)",
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
