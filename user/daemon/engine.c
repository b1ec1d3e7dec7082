// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The engine's life cycle: create (listeners, kernel tiers, control
 * socket), drop privileges, the event loop, signals, stop and destroy; the
 * kernel tiers' events; the control command dispatch.
 *
 * The userspace engine: one epoll loop, non-blocking sockets, a min-heap of
 * retransmission deadlines. It owns port 69, negotiates every request, and
 * then either hands an RRQ to the kernel tiers (session map) or serves it
 * itself; it also serves WRQ, netascii, and takes over any kernel session
 * whose ACKs the kernel passes on.
 *
 * Every object registered with epoll is an event source with its own
 * callback (util/evsrc.h): listeners, sessions, the signalfd, the kernel
 * tiers' ring buffer, packet sockets and the control socket. Sessions finished while a batch of events is being
 * handled go to a graveyard freed after the batch, so a later event of the
 * same batch never touches freed memory.
 */
#include "internal.h"

void key_addr(const struct sockaddr_storage *ss, uint8_t out[16], uint16_t *port)
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

static void on_kernel_events(struct ev_source *src, uint32_t events)
{
	struct engine *e = ev_owner(src, struct engine, fpev.src);

	(void)events;
	fastpath_events_drain(e->fp, on_kernel_event, e);
}

/* Default interfaces for the kernel tiers: the ones owning the listening
 * addresses; every UP non-loopback interface for a wildcard address. */
unsigned int default_ifnames(struct engine *e, char names[][IF_NAMESIZE],
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
	int err;
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
	cfg.xdp_request = o->xdp_request;
	if (fastpath_open(&cfg, &e->fp) != 0) {
		e->fp = NULL; /* fastpath_open said why */
		return;
	}
	if (o->inject.mode != XT_INJECT_OFF && fastpath_set_inject(e->fp, &o->inject) != 0)
		log_warn("--inject: cannot configure the kernel tiers; only userspace faults");
	e->fpev.fd = fastpath_events_fd(e->fp);
	if (e->fpev.fd >= 0 &&
	    (err = ev_source_add(e->epfd, e->fpev.fd, EPOLLIN, &e->fpev.src, on_kernel_events)))
		log_warn("kernel events: epoll: %s; kernel transfers end on their timers",
			 strerror(-err));
}

/* "inject" shows the fault injection, "inject SPEC" sets it (inject.h). */
static void control_inject(struct engine *e, const char *spec, FILE *out)
{
	uint64_t k[XT_STAT_MAX] = { 0 };
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
	/* the names and counts of stats: every tier; then the kernel's part */
	if (e->fp)
		fastpath_read_stats(e->fp, k);
	fprintf(out, "inject_drop %" PRIu64 "\ninject_dup %" PRIu64 "\n",
		e->tot.inject_drop + k[XT_STAT_INJECT_DROP], e->tot.inject_dup + k[XT_STAT_INJECT_DUP]);
	fprintf(out, "kernel_inject_drop %" PRIu64 "\nkernel_inject_dup %" PRIu64 "\n",
		k[XT_STAT_INJECT_DROP], k[XT_STAT_INJECT_DUP]);
}

static int cmd_inject(struct engine *e, const char *line, const char *args, FILE *out)
{
	(void)line;
	control_inject(e, *args ? args : NULL, out);
	return 1;
}

static int cmd_load(struct engine *e, const char *line, const char *args, FILE *out)
{
	(void)line;
	return catalog_control(e->cat, e->fp, CTL_LOAD, args, out);
}

static int cmd_unload(struct engine *e, const char *line, const char *args, FILE *out)
{
	(void)line;
	return catalog_control(e->cat, e->fp, CTL_UNLOAD, args, out);
}

static int cmd_images(struct engine *e, const char *line, const char *args, FILE *out)
{
	(void)line;
	return catalog_control(e->cat, e->fp, CTL_IMAGES, args, out);
}

#define OBS_CMD(fn) \
	static int cmd_##fn(struct engine *e, const char *line, const char *args, FILE *out) \
	{ (void)line; return obs_cmd_##fn(e, args, out); }
OBS_CMD(status)
OBS_CMD(stats)
OBS_CMD(transfers)
OBS_CMD(events)
OBS_CMD(top)

/* The daemon's half of ctl/commands.h's table; detach is xtftpctl's alone.
 * A handler returns 0 when it does not understand the arguments. */
static int (*const control_handlers[CTL_CMD_MAX])(struct engine *, const char *, const char *,
						  FILE *) = {
	[CTL_LOAD] = cmd_load,
	[CTL_UNLOAD] = cmd_unload,
	[CTL_IMAGES] = cmd_images,
	[CTL_STATUS] = cmd_status,
	[CTL_STATS] = cmd_stats,
	[CTL_TRANSFERS] = cmd_transfers,
	[CTL_EVENTS] = cmd_events,
	[CTL_TOP] = cmd_top,
	[CTL_INJECT] = cmd_inject,
};

static void control_handle(void *ctx, const char *line, FILE *out)
{
	const char *args = "";
	const struct ctl_command *c = ctl_command_lookup(line, &args);

	if (!c || !control_handlers[c->id] || !control_handlers[c->id](ctx, line, args, out))
		fprintf(out, "error: unknown command '%.64s' (%s)\n", line, ctl_command_names(1));
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

/* -u USER looked up before anything binds, so an unknown user fails the
 * start instead of leaving a daemon that cannot drop privileges. */
static int engine_resolve_user(struct engine *e, const struct xtftpd_options *opt)
{
	struct passwd *pw;

	if (!opt->user)
		return 0;
	pw = getpwnam(opt->user);
	if (!pw) {
		log_err("user %s does not exist: create it or pass another -u USER", opt->user);
		return -ENOENT;
	}
	e->uid = pw->pw_uid;
	e->gid = pw->pw_gid;
	e->have_user = 1;
	return 0;
}

/* What is served: ROOT as an O_PATH fd (every name resolves beneath it),
 * the umask for uploads, the catalog and the name rules. */
static int engine_open_root(struct engine *e, const struct xtftpd_options *opt)
{
	int err;

	e->root_fd = open(opt->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (e->root_fd < 0) {
		err = -errno;
		log_err("cannot open root directory %s: %s; create it or pass another ROOT",
			opt->root, strerror(errno));
		return err;
	}
	if (!realpath(opt->root, e->root_real))
		snprintf(e->root_real, sizeof(e->root_real), "%s", opt->root);
	if (opt->umask_set)
		umask(opt->umask);
	e->umask = umask(0);
	umask(e->umask);
	err = catalog_create(opt, e->root_fd, e->root_real, &e->cat);
	if (err)
		return err;
	if (opt->map_file || opt->n_aliases || opt->serve_any || opt->ignore_case) {
		struct names_config nc = engine_names_config(e);
		char why[512];

		err = names_init(&e->names, &nc, why, sizeof(why));
		if (err) {
			log_err("names: %s; fix the map file or the --alias/--serve-any arguments", why);
			return err;
		}
	}
	return 0;
}

/* The transfer events (--event-log) and the epoll set of the loop. */
static int engine_open_events(struct engine *e, const struct xtftpd_options *opt)
{
	int err;

	if (opt->event_log) {
		e->event_log = fopen(opt->event_log, "ae");
		if (!e->event_log) {
			err = -errno;
			log_err("cannot open --event-log %s: %s", opt->event_log, strerror(errno));
			return err;
		}
	}
	err = events_create(e->event_log, 0, &e->ev);
	if (err)
		return err;
	e->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (e->epfd < 0) {
		err = -errno;
		log_err("epoll: %s", strerror(errno));
		return err;
	}
	return 0;
}

/* The -a addresses, or 0.0.0.0:69 and [::]:69 when none is given. */
static int engine_open_listeners(struct engine *e, const struct xtftpd_options *opt)
{
	struct sockaddr_storage a4 = { 0 }, a6 = { 0 };
	int err, err6;

	if (opt->n_listen) {
		for (unsigned int i = 0; i < opt->n_listen; i++) {
			err = listener_open(e, &opt->listen[i], opt->listen_len[i], 1);
			if (err)
				return err;
		}
		return 0;
	}
	((struct sockaddr_in *)&a4)->sin_family = AF_INET;
	((struct sockaddr_in *)&a4)->sin_port = htons(TFTP_PORT);
	((struct sockaddr_in6 *)&a6)->sin6_family = AF_INET6;
	((struct sockaddr_in6 *)&a6)->sin6_port = htons(TFTP_PORT);
	err = listener_open(e, &a4, sizeof(struct sockaddr_in), 1);
	if (err)
		return err;
	/* IPv6 may be disabled on the host: IPv4 alone is fine */
	err6 = listener_open(e, &a6, sizeof(struct sockaddr_in6), 0);
	(void)err6;
	return 0;
}

/* The kernel tiers when allowed and possible, else the image pool alone;
 * then --preload into whichever pool there is, and --mac-sessions. */
static int engine_open_data_path(struct engine *e, const struct xtftpd_options *opt)
{
	if (!opt->no_bpf)
		engine_open_fastpath(e);
	else
		fastpath_set_off_reason("off by --no-bpf");
	/* No kernel tiers: the pool alone, so transfers still serve an
	 * immutable image of the file (sessions keep their generation). */
	if (!e->fp && fastpath_open_pool_only(opt->pool_bytes, &e->fp) != 0)
		e->fp = NULL; /* it said why; transfers then read the file */
	catalog_preload(e->cat, e->fp);
	if (opt->mac_sessions)
		return engine_open_linkpath(e);
	return 0;
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

	err = engine_resolve_user(e, opt);
	if (err)
		goto fail;
	e->rx = malloc(RX_BUF_SIZE);
	e->scratch = malloc(RX_BUF_SIZE);
	if (!e->rx || !e->scratch) {
		err = -ENOMEM;
		goto fail;
	}
	err = engine_open_root(e, opt);
	if (err)
		goto fail;
	e->inject = opt->inject;
	err = engine_open_events(e, opt);
	if (err)
		goto fail;

	/* signals through the loop: no work in async handlers */
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* the signalfd itself is made in engine_run: one made before
	 * daemon()'s fork would never wake the child's epoll */

	err = engine_open_listeners(e, opt);
	if (err)
		goto fail;
	err = engine_open_data_path(e, opt);
	if (err)
		goto fail;
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

static void on_signal_event(struct ev_source *src, uint32_t events)
{
	(void)events;
	on_signal(ev_owner(src, struct engine, sig.src));
}

static int engine_open_signals(struct engine *e)
{
	int err;
	sigset_t mask;

	if (e->sig.fd >= 0)
		return 0;
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	e->sig.fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	err = e->sig.fd < 0 ? -errno : ev_source_add(e->epfd, e->sig.fd, EPOLLIN, &e->sig.src, on_signal_event);
	if (err) {
		log_err("signalfd: %s", strerror(-err));
		return err;
	}
	return 0;
}

/*
 * Bytes of pool image hashed per turn of the loop while images wait for
 * their sha256 (image_pool_hash_step): a fraction of a millisecond with
 * SHA-NI, so a request or an ACK for userspace waits no longer than that.
 */
#define HASH_SLICE_BYTES (256u << 10)

/*
 * epoll_pwait2 (5.11+: nanoseconds, so retransmission timeouts can go down
 * to XT_RTO_MIN_NS); where the kernel or a sandbox lacks it (valgrind
 * answers ENOSYS) epoll_wait, its timeout rounded up to milliseconds.
 */
static int engine_wait(int epfd, struct epoll_event *evs, int max, const struct timespec *wait)
{
	static int no_pwait2;
	int ms;

	if (!no_pwait2) {
		int n = epoll_pwait2(epfd, evs, max, wait, NULL);

		if (n >= 0 || errno != ENOSYS)
			return n;
		no_pwait2 = 1;
		log_info("epoll_pwait2 not available: timers in milliseconds");
	}
	if (!wait)
		ms = -1;
	else if (wait->tv_sec > 1000000)
		ms = 1000000000;
	else
		ms = (int)(wait->tv_sec * 1000 + (wait->tv_nsec + 999999) / 1000000);
	return epoll_wait(epfd, evs, max, ms);
}

int engine_run(struct engine *e)
{
	struct epoll_event evs[64];
	int hashing = 1;        /* images may wait for their hash (a catalog load) */
	int err;

	/* signals that came since engine_create are pending: not lost */
	err = engine_open_signals(e);
	if (err)
		return err;

	/* A thread's timers may fire up to its timer slack late (50 us by
	 * default): with RTOs of 250 us (the floor then) that was a fifth
	 * more on every loss (the 2 % loss bench: ~50 us a resend). 1 ns:
	 * as set. */
	if (prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL) != 0)
		log_debug("cannot set the timer slack: %s", strerror(errno));
	log_info("xtftpd %s serving %s%s", XTFTPD_VERSION, e->opt->root,
		 fastpath_kernel_active(e->fp) ? " (kernel tiers attached)" : " (userspace engine)");
	for (;;) {
		struct timer_node *t;
		uint64_t now = now_ns();
		struct timespec wait_ts = { 0, 0 }, *wait = NULL;   /* NULL: no timer */
		int n;

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
			if (deadline > now) {
				wait_ts.tv_sec = (time_t)((deadline - now) / 1000000000u);
				wait_ts.tv_nsec = (long)((deadline - now) % 1000000000u);
			}
			wait = &wait_ts;
		}
		if (hashing) {
			wait_ts.tv_sec = 0;
			wait_ts.tv_nsec = 0;
			wait = &wait_ts;
		}
		n = engine_wait(e->epfd, evs, 64, wait);
		if (n < 0 && errno != EINTR) {
			log_err("epoll_wait: %s", strerror(errno));
			return -errno;
		}
		for (int i = 0; i < n; i++)
			ev_source_dispatch(&evs[i]);
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
		/* between turns, after this one's events: a slice of hashing
		 * (and a request that loaded an image sets it going) */
		hashing = fastpath_image_hash_step(e->fp, HASH_SLICE_BYTES);
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
