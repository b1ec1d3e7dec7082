// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * xtftpd: parse the command line, bind, attach the kernel tiers (or decide
 * not to), daemonize unless -L, create the control socket (readiness), drop
 * privileges, run the event loop until SIGTERM/SIGINT.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>
#include "ctl/http.h"
#include "daemon/catalog.h"
#include "daemon/engine.h"
#include "kern/fastpath.h"
#include "util/log.h"
#include "daemon/options.h"
#include "recover.h"

/*
 * --check-config's kernel half: which tier will serve on each -i interface,
 * found by loading and attaching for a moment. Without -i it only names the
 * interfaces the daemon would pick (every UP one but loopback): attaching to
 * all of a host's interfaces is not what a check should do unasked.
 */
static void check_kernel_tiers(const struct xtftpd_options *opt, FILE *out)
{
	struct fastpath_config cfg = { 0 };
	struct if_nameindex *ifs;
	char names[512] = "";
	size_t off = 0;

	if (opt->no_bpf) {
		fprintf(out, "kernel tiers: off by --no-bpf (userspace serves everything)\n");
		return;
	}
	if (opt->n_ifnames) {
		cfg.ifnames = opt->ifnames;
		cfg.n_ifnames = opt->n_ifnames;
		cfg.xdp_request = opt->xdp_request;
		cfg.verbose = opt->verbose >= 2;
		fastpath_probe(&cfg, out);
		return;
	}
	if ((ifs = if_nameindex())) {
		for (struct if_nameindex *i = ifs; i->if_index; i++) {
			struct ifreq ifr = { 0 };
			int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
			int up = 0, n;

			snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", i->if_name);
			if (sock >= 0 && !ioctl(sock, SIOCGIFFLAGS, &ifr))
				up = (ifr.ifr_flags & IFF_UP) && !(ifr.ifr_flags & IFF_LOOPBACK);
			if (sock >= 0)
				close(sock);
			if (!up)
				continue;
			n = snprintf(names + off, sizeof(names) - off, " -i %s", i->if_name);
			if (n < 0 || (size_t)n >= sizeof(names) - off)
				break;
			off += (size_t)n;
		}
		if_freenameindex(ifs);
	}
	if (off)
		fprintf(out, "kernel tiers: not probed: add%s to see which tier will serve there\n",
			names);
	else
		fprintf(out, "kernel tiers: no interface is up to attach to: userspace serves "
			"everything\n");
}

/* One socket per transfer: make room for --max-sessions of them (the usual
 * soft limit of 1024 would refuse transfers long before 4096). */
static void raise_fd_limit(unsigned int sessions)
{
	rlim_t need = (rlim_t)sessions + 256;
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= need)
		return;
	rl.rlim_cur = need;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need)
		rl.rlim_max = need; /* root may raise the hard limit too */
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
		getrlimit(RLIMIT_NOFILE, &rl);
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
		log_warn("open files limited to %llu: fewer than --max-sessions %u transfers may run at once (raise ulimit -n)",
			 (unsigned long long)rl.rlim_cur, sessions);
	}
}

int main(int argc, char **argv)
{
	struct xtftpd_options opt;
	struct engine *e = NULL;
	struct http *http = NULL;
	int rc, exit_code = 1;

	if (argc > 1 && !strcmp(argv[1], "recover"))
		return recover_main(argc - 1, argv + 1);
	rc = options_parse(argc, argv, &opt);
	if (rc == 1)
		return 0;
	if (rc)
		return 2;
	log_init("xtftpd", 0, opt.verbose);
	if (opt.check_config) {
		check_kernel_tiers(&opt, stderr);
		return catalog_check_config(&opt, NULL, stderr) ? 1 : 0;
	}
	raise_fd_limit(opt.max_sessions);

	if (engine_create(&opt, &e) != 0)
		goto cleanup;
	if (!opt.foreground) {
		/* after binding, so a bad address or a busy port shows on the
		 * terminal; the kernel tiers' links survive the fork */
		if (daemon(0, 0) != 0) {
			log_err("cannot daemonize: %s; run with -L", strerror(errno));
			goto cleanup;
		}
		log_close();
		log_init("xtftpd", 1, opt.verbose);
	}
	if (opt.pidfile) {
		/* after daemon(): the pid that runs; before dropping privileges,
		 * so it can be written where root writes pid files */
		FILE *pf = fopen(opt.pidfile, "w");

		if (!pf || fprintf(pf, "%ld\n", (long)getpid()) < 0 || fclose(pf) != 0) {
			log_err("cannot write the pid file %s: %s", opt.pidfile, strerror(errno));
			goto cleanup;
		}
	}
	if (engine_open_control(e) != 0)
		goto cleanup;
	/* after the control socket it answers from, in the process that runs
	 * (threads do not survive daemon()), and before dropping privileges
	 * so a port below 1024 can be bound */
	if (opt.http && http_start(opt.http, opt.control_path, &http) != 0)
		goto cleanup;
	if (engine_drop_privileges(e) != 0)
		goto cleanup;
	if (engine_run(e) != 0)
		goto cleanup;
	exit_code = 0;
cleanup:
	http_stop(http); /* before the engine: its streams follow the engine's events */
	engine_destroy(e);
	if (opt.pidfile && e)
		unlink(opt.pidfile);
	log_close();
	return exit_code;
}
