// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * xtftpctl: ask a running xtftpd over its control socket.
 *   xtftpctl [-S PATH] status|stats|transfers
 *   xtftpctl [-S PATH] stats --json|--prometheus, transfers --json
 *   xtftpctl [-S PATH] events [--follow], top [--once] [--interval SEC]
 *   xtftpctl [-S PATH] inject [drop|dup] [--prob P] [--blocks N,M] ... | --clear
 * Exit status: 0 the daemon answered, 1 it did not (or refused the command),
 * 2 usage error.
 */
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include "kern/attach.h"
#include "ctl/commands.h"
#include "util/inject.h"
#include "daemon/options.h"

#define CTL_TIMEOUT_MS 5000

static void usage(FILE *f)
{
	fprintf(f,
"Usage: xtftpctl [-S PATH] COMMAND\n"
"Ask a running xtftpd.\n"
"\n"
"  -S, --socket PATH   control socket (default " XT_DEFAULT_CONTROL ")\n"
"  -h, --help          print this help and exit\n"
"  -V, --version       print the version and exit\n"
"\n"
"Commands:\n");
	ctl_commands_help(f);
	fprintf(f,
"\n"
"Exit status: 0 the daemon answered, 1 it did not, 2 usage error.\n");
}

static long remaining_ms(const struct timespec *deadline)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (deadline->tv_sec - now.tv_sec) * 1000 + (deadline->tv_nsec - now.tv_nsec) / 1000000;
}

static volatile sig_atomic_t ctl_stop;

static void on_stop_signal(int sig)
{
	(void)sig;
	ctl_stop = 1;
}

/*
 * Send req to the daemon at path, copy the answer to out (an "error:" answer
 * to stderr). follow: no deadline, copy until the daemon closes or a signal.
 * empty_ok: an empty answer is a valid one (a list of JSON lines with
 * nothing in it: transfers --json, events), not a daemon that closed on us.
 * Returns the exit status: 0 answered, 1 not.
 */
static int ask(const char *path, const char *req, int follow, int empty_ok, FILE *out)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct timespec deadline;
	char buf[4096];
	size_t total = 0;
	int fd, rc = 1, first = 1, is_error = 0;

	strcpy(sun.sun_path, path);
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += CTL_TIMEOUT_MS / 1000;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		fprintf(stderr, "xtftpctl: cannot reach xtftpd at %s: %s (is it running? pass -S PATH)\n",
			path, strerror(errno));
		goto cleanup;
	}
	if (send(fd, req, strlen(req), MSG_NOSIGNAL) != (ssize_t)strlen(req)) {
		fprintf(stderr, "xtftpctl: cannot send to %s: %s\n", path, strerror(errno));
		goto cleanup;
	}
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		long ms = follow ? -1 : remaining_ms(&deadline);
		ssize_t n;
		int pr;

		if (ctl_stop) {
			rc = 0;
			goto cleanup;
		}
		if (!follow && ms <= 0)
			goto timeout;
		pr = poll(&pfd, 1, (int)ms);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr <= 0)
			goto timeout;
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "xtftpctl: reading from %s: %s\n", path, strerror(errno));
			goto cleanup;
		}
		if (n == 0)
			break;
		if (first && n >= 6 && !memcmp(buf, "error:", 6))
			is_error = 1;
		first = 0;
		fwrite(buf, 1, (size_t)n, is_error ? stderr : out);
		if (follow)
			fflush(out);
		total += (size_t)n;
	}
	if (total == 0 && !follow && !empty_ok) {
		fprintf(stderr, "xtftpctl: %s closed without an answer\n", path);
		goto cleanup;
	}
	rc = is_error ? 1 : 0;
	goto cleanup;
timeout:
	fprintf(stderr, "xtftpctl: no answer from %s within %d s\n", path, CTL_TIMEOUT_MS / 1000);
cleanup:
	if (fd >= 0)
		close(fd);
	return rc;
}

/* xtftpctl top: ask for a frame sized to the terminal, draw it in place. */
static int top_loop(const char *path, int once, double interval)
{
	int tty = isatty(STDOUT_FILENO) && !once;
	int rc = 0;

	if (tty)
		fputs("\033[?25l\033[H\033[2J", stdout);       /* hide the cursor, clear */
	while (!ctl_stop) {
		struct winsize ws = { 0 };
		unsigned int cols = 120, lines = 40;
		char req[64], *frame = NULL;
		size_t len = 0;
		FILE *f;

		if (tty && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col && ws.ws_row) {
			cols = ws.ws_col;
			lines = ws.ws_row;
		}
		snprintf(req, sizeof(req), "top %u %u\n", cols, lines);
		f = open_memstream(&frame, &len);
		if (!f)
			return 1;
		rc = ask(path, req, 0, 0, f);
		fclose(f);
		if (rc) {
			free(frame);
			break;
		}
		if (tty) {
			/* home, each line then clear to its end, clear below */
			fputs("\033[H", stdout);
			for (char *line = frame, *nl; line && *line; line = nl ? nl + 1 : NULL) {
				nl = strchr(line, '\n');
				fwrite(line, 1, nl ? (size_t)(nl - line) : strlen(line), stdout);
				fputs(nl && nl[1] ? "\033[K\n" : "\033[K", stdout);
				if (!nl)
					break;
			}
			fputs("\033[J", stdout);
		} else {
			fputs(frame, stdout);
			if (!once)
				fputs("\n", stdout);
		}
		fflush(stdout);
		free(frame);
		if (once)
			break;
		{
			struct timespec ts = { .tv_sec = (time_t)interval,
					       .tv_nsec = (long)((interval - (double)(time_t)interval) * 1e9) };

			nanosleep(&ts, NULL); /* a refresh period, interrupted by SIGINT */
		}
	}
	if (tty)
		fputs("\033[?25h\n", stdout);
	fflush(stdout);
	return rc;
}

/* load NAME FILE / unload NAME: one line to the daemon; the words may not
 * hold spaces or newlines (the line protocol splits on them). */
static int publish_command(const char *path, int n, char **words)
{
	char req[256];                 /* the daemon reads lines up to 255 bytes */
	int want = !strcmp(words[0], "load") ? 3 : 2;

	if (n != want) {
		fprintf(stderr, "xtftpctl: usage: %s\n",
			want == 3 ? "load NAME FILE" : "unload NAME");
		return 2;
	}
	for (int i = 1; i < n; i++) {
		if (!words[i][0] || strpbrk(words[i], " \t\r\n")) {
			fprintf(stderr, "xtftpctl: %s: \"%s\": empty or with spaces\n", words[0], words[i]);
			return 2;
		}
	}
	if ((size_t)snprintf(req, sizeof(req), "%s %s%s%s\n", words[0], words[1], n == 3 ? " " : "",
			     n == 3 ? words[2] : "") >= sizeof(req)) {
		fprintf(stderr, "xtftpctl: %s: arguments too long\n", words[0]);
		return 2;
	}
	return ask(path, req, 0, 0, stdout);
}

/* detach: remove our legacy clsact filter from the named interfaces, or from
 * every interface. 0 when nothing failed (removed or none there), 1 else. */
static int detach_command(int n, char **names)
{
	struct if_nameindex *all = NULL, *it;
	int rc = 0, removed = 0;

	attach_quiet();
	if (n == 0) {
		all = if_nameindex();
		if (!all) {
			fprintf(stderr, "xtftpctl: detach: cannot list interfaces: %s\n", strerror(errno));
			return 1;
		}
	}
	for (int i = 0; all ? all[i].if_index != 0 : i < n; i++) {
		const char *name = all ? all[i].if_name : names[i];
		unsigned int ifindex = all ? all[i].if_index : if_nametoindex(name);
		int err;

		if (!ifindex) {
			fprintf(stderr, "xtftpctl: detach: %s: no such interface\n", name);
			rc = 1;
			continue;
		}
		err = tc_legacy_remove_stale(ifindex);
		if (err > 0) {
			printf("%s: removed xtftpd's TC filter\n", name);
			removed++;
		} else if (err < 0) {
			fprintf(stderr, "xtftpctl: detach: %s: %s%s\n", name, strerror(-err),
				err == -EPERM ? " (needs root or CAP_NET_ADMIN)" : "");
			rc = 1;
		}
	}
	if (!removed && !rc)
		printf("nothing of xtftpd's attached\n");
	it = all;
	if (it)
		if_freenameindex(it);
	return rc;
}

/* The flags of xtftpctl, before the command word. */
struct ctl_args {
	const char *path;               /* -S, the control socket */
	int json, prometheus, follow, once;
	double interval;                /* top's refresh, seconds */
	/* inject's own flags */
	const char *inj_prob, *inj_blocks, *inj_ip, *inj_mac;
	int inj_clear;
};

/* Parse the flags into *a. Returns -1 to go on with argv[optind], else the
 * exit status (0 after --help/--version, 2 after a usage error). */
static int parse_args(int argc, char **argv, struct ctl_args *a)
{
	static const struct option long_opts[] = {
		{ "socket", required_argument, NULL, 'S' },
		{ "json", no_argument, NULL, 'j' },
		{ "prometheus", no_argument, NULL, 'P' },
		{ "follow", no_argument, NULL, 'f' },
		{ "once", no_argument, NULL, '1' },
		{ "interval", required_argument, NULL, 'n' },
		{ "prob", required_argument, NULL, 'p' },
		{ "blocks", required_argument, NULL, 'b' },
		{ "client-ip", required_argument, NULL, 'I' },
		{ "client-mac", required_argument, NULL, 'M' },
		{ "clear", no_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	int c;

	a->path = XT_DEFAULT_CONTROL;
	a->interval = 0.5;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":S:hV", long_opts, NULL)) != -1) {
		switch (c) {
		case 'S': a->path = optarg; break;
		case 'j': a->json = 1; break;
		case 'P': a->prometheus = 1; break;
		case 'f': a->follow = 1; break;
		case '1': a->once = 1; break;
		case 'n':
			a->interval = strtod(optarg, &end);
			if (*end || end == optarg || a->interval < 0.05 || a->interval > 3600) {
				fprintf(stderr, "xtftpctl: --interval %s: want seconds, 0.05 to 3600\n", optarg);
				return 2;
			}
			break;
		case 'p': a->inj_prob = optarg; break;
		case 'b': a->inj_blocks = optarg; break;
		case 'I': a->inj_ip = optarg; break;
		case 'M': a->inj_mac = optarg; break;
		case 'C': a->inj_clear = 1; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("xtftpctl " XTFTPD_VERSION "\n"); return 0;
		case ':':
			fprintf(stderr, "xtftpctl: %s: missing value (see xtftpctl --help)\n", argv[optind - 1]);
			return 2;
		default:
			fprintf(stderr, "xtftpctl: %s: unknown option (see xtftpctl --help)\n", argv[optind - 1]);
			return 2;
		}
	}
	return -1;
}

/* xtftpctl inject [drop|dup] with --prob/--blocks/--client-*: checked and
 * turned into one control request here, so the daemon gets a full spec. */
static int inject_command(const struct ctl_args *a, int n, char **words)
{
	char ireq[512], why[160];

	if (n > 1 || (n == 1 && strcmp(words[0], "drop") && strcmp(words[0], "dup"))) {
		fprintf(stderr, "xtftpctl: inject: expected drop or dup (see xtftpctl --help)\n");
		return 2;
	}
	if (inject_request(n == 1 ? words[0] : NULL, a->inj_prob, a->inj_blocks, a->inj_ip,
			   a->inj_mac, a->inj_clear, ireq, sizeof(ireq), why, sizeof(why))) {
		fprintf(stderr, "xtftpctl: inject: %s\n", why);
		return 2;
	}
	return ask(a->path, ireq, 0, 0, stdout);
}

/* --json, --prometheus, --follow and --once only with a command that has
 * them (its flags in the command table). 0 or 2 after saying which. */
static int check_output_flags(const struct ctl_args *a, const struct ctl_command *command)
{
	if (a->json + a->prometheus > 1 || (a->prometheus && !(command->flags & CTL_F_PROMETHEUS)) ||
	    (a->json && !(command->flags & CTL_F_JSON))) {
		fprintf(stderr, "xtftpctl: --json is for stats and transfers, --prometheus for stats\n");
		return 2;
	}
	if (a->follow && !(command->flags & CTL_F_FOLLOW)) {
		fprintf(stderr, "xtftpctl: --follow is for events\n");
		return 2;
	}
	if (a->once && !(command->flags & CTL_F_ONCE)) {
		fprintf(stderr, "xtftpctl: --once is for top\n");
		return 2;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const struct ctl_command *command;
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct ctl_args a = { 0 };
	char req[128];
	int rc;

	rc = parse_args(argc, argv, &a);
	if (rc >= 0)
		return rc;
	command = optind < argc ? ctl_command_lookup(argv[optind], NULL) : NULL;
	if (optind < argc && (!command || strcmp(argv[optind], command->name))) {
		fprintf(stderr, "xtftpctl: %s: unknown command (%s; see xtftpctl --help)\n",
			argv[optind], ctl_command_names(0));
		return 2;
	}
	if (command && command->id == CTL_DETACH)
		return detach_command(argc - optind - 1, argv + optind + 1);
	if (command && command->id == CTL_INJECT)
		return inject_command(&a, argc - optind - 1, argv + optind + 1);
	if (a.inj_prob || a.inj_blocks || a.inj_ip || a.inj_mac || a.inj_clear) {
		fprintf(stderr, "xtftpctl: --prob, --blocks, --client-ip, --client-mac, --clear are for inject\n");
		return 2;
	}
	if (command && (command->id == CTL_LOAD || command->id == CTL_UNLOAD))
		return publish_command(a.path, argc - optind, argv + optind);
	if (!command || optind != argc - 1) {
		fprintf(stderr, "xtftpctl: expected one command: %s (see xtftpctl --help)\n",
			ctl_command_names(0));
		return 2;
	}
	if (check_output_flags(&a, command))
		return 2;
	if (strlen(a.path) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "xtftpctl: -S %s: path too long\n", a.path);
		return 2;
	}
	signal(SIGINT, on_stop_signal);
	signal(SIGTERM, on_stop_signal);
	if (command->id == CTL_TOP)
		return top_loop(a.path, a.once, a.interval);
	snprintf(req, sizeof(req), "%s%s\n", command->name,
		 a.json ? " json" : a.prometheus ? " prometheus" : a.follow ? " follow" : "");
	return ask(a.path, req, a.follow,
		   (command->id == CTL_TRANSFERS && a.json) || command->id == CTL_EVENTS, stdout);
}
