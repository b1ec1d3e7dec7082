// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * xtftpd recover (see recover.h): one person, one router, one image.
 *
 * The engine does the TFTP; this file prepares the host (the server address
 * on the interface, added for the run and removed at exit, SIGINT and
 * SIGTERM included), configures the engine to answer every name with the
 * image (names.h --serve-any), and watches it from the loop's tick: the
 * requested name, a progress line, and the outcome with a hint.
 *
 * Signals: SIGINT/SIGTERM/SIGHUP are blocked before the address is added;
 * the engine reads them from a signalfd and returns from engine_run, so the
 * address is always removed (only SIGKILL leaves it behind).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <ifaddrs.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "daemon/engine.h"
#include "util/log.h"
#include "daemon/options.h"
#include "recover.h"
#include "util/sha256.h"
#include "xtftp_kern.h"

#define RECOVER_DEFAULT_IP "192.168.0.66/24"
#define RECOVER_TICK_NS (200ull * 1000000ull)
#define RECOVER_LINE_EVERY_NS (5ull * 1000000000ull) /* progress lines off a tty */
#define RECOVER_MAX_LIVE 16

struct recover {
	struct engine *e;
	const char *ifname;
	const char *fw_name;            /* basename of FIRMWARE */
	uint64_t fw_size;
	char dev_hint[64];              /* "192.168.0.86" style hint for the device */
	int keep;
	int tty;
	uint64_t start_ns;
	uint64_t hint_after_ns;         /* "no request seen" after this long */
	int hint_shown;
	uint64_t announced;             /* highest transfer id announced */
	uint64_t finished;              /* highest finished transfer id reported */
	unsigned int done, failed;
	int line_open;                  /* a \r progress line is on the terminal */
	uint64_t last_line_ns;
	int last_decile;
	uint64_t stalled_id;            /* transfer whose stall was reported */
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void usage(FILE *f)
{
	fprintf(f,
"Usage: xtftpd recover --interface IFACE [OPTION]... FIRMWARE\n"
"Serve FIRMWARE to one device in TFTP recovery mode, whatever file name it\n"
"asks for (TP-Link: ArcherC7v2_tp_recovery.bin from 192.168.0.66), then exit.\n"
"The server address is added to IFACE if missing and removed at exit.\n"
"\n"
"  -i, --interface IFACE  the interface the device is cabled to (required)\n"
"      --ip ADDR/PREFIX   server address (default " RECOVER_DEFAULT_IP ")\n"
"      --keep             keep serving after a successful transfer (Ctrl-C ends)\n"
"      --hint-after SEC   say what to check when no request came (default 60)\n"
"      --timeout SEC      retransmit timeout when the device sends none (default 1)\n"
"      --no-bpf           serve from the userspace engine only\n"
"      --pool-size BYTES  kernel image pool (default: fitted to FIRMWARE)\n"
"      --control PATH     control socket for xtftpctl (default: none)\n"
"      --inject SPEC      fault injection, as xtftpd --inject (tests only)\n"
"  -v, --verbose          the daemon's log lines too (repeatable)\n"
"  -h, --help             this help\n"
"\n"
"Exit status: 0 the device got the image, 1 error or interrupted before a\n"
"successful transfer, 2 usage error. See docs/recovery.md.\n");
}

static int usage_error(const char *flag, const char *value, const char *why)
{
	fprintf(stderr, "xtftpd recover: %s%s%s: %s (see xtftpd recover --help)\n", flag,
		value ? " " : "", value ? value : "", why);
	return 2;
}

/* ---- the server address -------------------------------------------------- */

static int parse_cidr(const char *s, struct in_addr *a, unsigned int *prefix)
{
	char buf[INET_ADDRSTRLEN + 4], *slash, *end;
	unsigned long p = 24;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	snprintf(buf, sizeof(buf), "%s", s);
	slash = strchr(buf, '/');
	if (slash) {
		*slash = '\0';
		errno = 0;
		p = strtoul(slash + 1, &end, 10);
		if (errno || end == slash + 1 || *end || p < 1 || p > 32)
			return -EINVAL;
	}
	if (inet_pton(AF_INET, buf, a) != 1)
		return -EINVAL;
	*prefix = (unsigned int)p;
	return 0;
}

/* 1 when ifname has a, 0 not; *elsewhere names another interface that has it. */
static int address_present(const char *ifname, struct in_addr a, char *elsewhere, size_t len)
{
	struct ifaddrs *list = NULL;
	int found = 0;

	elsewhere[0] = '\0';
	if (getifaddrs(&list) != 0)
		return -errno;
	for (struct ifaddrs *i = list; i; i = i->ifa_next) {
		if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET ||
		    ((struct sockaddr_in *)i->ifa_addr)->sin_addr.s_addr != a.s_addr)
			continue;
		if (!strcmp(i->ifa_name, ifname))
			found = 1;
		else
			snprintf(elsewhere, len, "%s", i->ifa_name);
	}
	freeifaddrs(list);
	return found;
}

/* RTM_NEWADDR / RTM_DELADDR over rtnetlink. 0 or -errno from the kernel. */
static int netlink_address(int cmd, unsigned int ifindex, struct in_addr a, unsigned int prefix)
{
	struct {
		struct nlmsghdr nh;
		struct ifaddrmsg ifa;
		char attrs[2 * RTA_SPACE(sizeof(struct in_addr))];
	} req;
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	char reply[1024];
	struct rtattr *rta;
	ssize_t n;
	int fd, err;

	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifaddrmsg));
	req.nh.nlmsg_type = (unsigned short)cmd;
	req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	if (cmd == RTM_NEWADDR)
		req.nh.nlmsg_flags |= NLM_F_CREATE | NLM_F_EXCL;
	req.nh.nlmsg_seq = 1;
	req.ifa.ifa_family = AF_INET;
	req.ifa.ifa_prefixlen = (unsigned char)prefix;
	req.ifa.ifa_scope = RT_SCOPE_UNIVERSE;
	req.ifa.ifa_index = ifindex;
	for (int i = 0; i < 2; i++) {
		rta = (struct rtattr *)((char *)&req + NLMSG_ALIGN(req.nh.nlmsg_len));
		rta->rta_type = i ? IFA_ADDRESS : IFA_LOCAL;
		rta->rta_len = RTA_LENGTH(sizeof(a));
		memcpy(RTA_DATA(rta), &a, sizeof(a));
		req.nh.nlmsg_len = NLMSG_ALIGN(req.nh.nlmsg_len) + RTA_SPACE(sizeof(a));
	}
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	if (sendto(fd, &req, req.nh.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0) {
		err = -errno;
		goto cleanup;
	}
	n = recv(fd, reply, sizeof(reply), 0);
	if (n < 0) {
		err = -errno;
		goto cleanup;
	}
	err = -EPROTO;
	if ((size_t)n >= NLMSG_LENGTH(sizeof(struct nlmsgerr))) {
		struct nlmsghdr *nh = (struct nlmsghdr *)reply;

		if (nh->nlmsg_type == NLMSG_ERROR)
			err = ((struct nlmsgerr *)NLMSG_DATA(nh))->error;
	}
cleanup:
	close(fd);
	return err;
}

/* ---- watching the engine --------------------------------------------------- */

static void fmt_bytes(uint64_t b, char *buf, size_t len)
{
	if (b >= (1ull << 20))
		snprintf(buf, len, "%.1f MiB", (double)b / (1 << 20));
	else if (b >= 1024)
		snprintf(buf, len, "%.1f KiB", (double)b / 1024);
	else
		snprintf(buf, len, "%" PRIu64 " B", b);
}

static void end_line(struct recover *r)
{
	if (r->line_open) {
		fputs("\n", stdout);
		r->line_open = 0;
	}
}

static void announce(struct recover *r, const struct transfer *t)
{
	char peer[INET6_ADDRSTRLEN + 10];

	if (t->id <= r->announced)
		return;
	r->announced = t->id;
	end_line(r);
	format_sockaddr(&t->client, peer, sizeof(peer));
	if (t->outcome == XFER_REFUSED) {
		printf("request from %s for \"%s\" refused: %s\n", peer, t->requested, t->message);
	} else {
		printf("request from %s%s%s%s for \"%s\"%s%s%s: sending %s\n", peer,
		       t->mac[0] ? " (" : "", t->mac, t->mac[0] ? ")" : "", t->requested,
		       t->options[0] ? " with " : "", t->options, t->is_write ? " (an upload?)" : "",
		       r->fw_name);
	}
	r->last_decile = -1;
	r->last_line_ns = 0;
	fflush(stdout);
}

static void progress(struct recover *r, const struct transfer *t, uint64_t now)
{
	uint64_t total = t->tsize ? t->tsize : r->fw_size;
	double secs = (double)(now - t->start_ns) / 1e9;
	double pct = total ? 100.0 * (double)t->bytes / (double)total : 0.0;
	char got[32], all[32];
	int decile = (int)(pct / 10.0);

	fmt_bytes(t->bytes, got, sizeof(got));
	fmt_bytes(total, all, sizeof(all));
	if (r->tty) {
		printf("\r\033[K  %5.1f%%  %s of %s  %.2f MiB/s  retransmits %u%s", pct, got, all,
		       secs > 0 ? (double)t->bytes / secs / (1 << 20) : 0.0, t->retransmits,
		       t->stalled ? "  (stalled)" : "");
		r->line_open = 1;
	} else if (decile != r->last_decile || now - r->last_line_ns >= RECOVER_LINE_EVERY_NS) {
		printf("  %5.1f%%  %s of %s  %.2f MiB/s  retransmits %u\n", pct, got, all,
		       secs > 0 ? (double)t->bytes / secs / (1 << 20) : 0.0, t->retransmits);
		r->last_decile = decile;
		r->last_line_ns = now;
	}
	fflush(stdout);
}

/* What a recovering user should do about t's outcome. */
static const char *hint_for(const struct transfer *t)
{
	if (t->outcome == XFER_DONE)
		return "the device has the whole image; it now checks it, writes it to flash "
		       "and reboots by itself (1-3 minutes): do not power it off";
	if (t->outcome == XFER_REFUSED)
		return "the request was refused: run with -v for the reason";
	if (t->icmp_errors)
		return "ICMP port unreachable: the device's TFTP client had already given up "
		       "(its timeout is short); power-cycle it into recovery mode again";
	if (!t->is_write && t->final_block && t->stall_block == t->final_block)
		return "the device stopped ACKing after the last block: it is probably writing "
		       "flash; wait, do not power it off";
	if (t->outcome == XFER_TIMEOUT && t->blocks == 0)
		return "the device never acknowledged: a firewall on this host, or a wrong "
		       "netmask on the device's side; check `nft list ruleset`";
	if (t->outcome == XFER_TIMEOUT)
		return "the device stopped answering mid-way: a bad cable or link trouble (try "
		       "another cable, or force 10 Mbit/half duplex on a switch in between)";
	if (t->outcome == XFER_CLIENT_ERROR)
		return "the device refused the image: a wrong file for this hardware "
		       "revision (hardware id mismatch) or a corrupt download";
	if (t->restarted_by || t->outcome == XFER_ABORTED)
		return "the device started over: it rejected or lost the transfer; it retries "
		       "by itself, keep xtftpd running (--keep)";
	return "";
}

static void report_finished(struct recover *r, const struct transfer *t)
{
	double secs = t->end_ns > t->start_ns ? (double)(t->end_ns - t->start_ns) / 1e9 : 0.0;
	const char *hint = hint_for(t);
	char bytes[32];

	announce(r, t);
	if (t->outcome == XFER_REFUSED)
		return;
	end_line(r);
	fmt_bytes(t->bytes, bytes, sizeof(bytes));
	if (t->outcome == XFER_DONE) {
		r->done++;
		char tiers[32];

		snprintf(tiers, sizeof(tiers), "%s%s%s%s%s",
			 t->tiers & XFER_TIER_XDP ? "XDP" : "",
			 t->tiers & XFER_TIER_XDP && t->tiers & ~XFER_TIER_XDP ? "+" : "",
			 t->tiers & XFER_TIER_TC ? "TC" : "",
			 t->tiers & XFER_TIER_TC && t->tiers & XFER_TIER_USER ? "+" : "",
			 t->tiers & XFER_TIER_USER ? "userspace" : "");
		printf("done: \"%s\": %s in %.1f s (%.2f MiB/s), %u retransmits, %u timeouts, "
		       "served by %s\n", t->requested, bytes, secs,
		       secs > 0 ? (double)t->bytes / secs / (1 << 20) : 0.0, t->retransmits,
		       t->timeouts, tiers);
	} else {
		r->failed++;
		printf("failed: \"%s\" after %s (%.1f s): %s\n", t->requested, bytes, secs,
		       t->message[0] ? t->message : transfer_outcome_name(t->outcome));
		if (t->diagnosis[0])
			printf("diagnosis: %s\n", t->diagnosis);
	}
	if (hint[0])
		printf("hint: %s\n", hint);
	fflush(stdout);
}

static void recover_tick(struct engine *e, void *ctx, uint64_t now)
{
	struct recover *r = ctx;
	struct transfer live[RECOVER_MAX_LIVE];
	const struct transfer *t;
	unsigned int n;

	/* finished first: a short transfer may start and end between ticks */
	while ((t = engine_finished_after(e, r->finished))) {
		r->finished = t->id;
		report_finished(r, t);
		if (t->outcome == XFER_DONE && !r->keep) {
			printf("recovery image delivered; exiting (pass --keep to serve on)\n");
			fflush(stdout);
			engine_stop(e);
		}
	}
	n = engine_live_transfers(e, live, RECOVER_MAX_LIVE);
	/* newest first: announce oldest first */
	for (unsigned int i = n; i-- > 0;)
		announce(r, &live[i]);
	if (n && !live[0].is_write) {
		if (live[0].stalled && live[0].diagnosis[0] && r->stalled_id != live[0].id) {
			r->stalled_id = live[0].id;
			end_line(r);
			printf("stalled: %s\n", live[0].diagnosis);
		}
		progress(r, &live[0], now);
	}
	if (!r->announced && !r->hint_shown && now - r->start_ns >= r->hint_after_ns) {
		r->hint_shown = 1;
		end_line(r);
		printf("no request seen in %" PRIu64 " s: check the cable, the device's IP (%s) "
		       "and that it is in recovery mode (TP-Link: hold reset while powering on "
		       "until the WPS/lock LED lights); still waiting\n",
		       (uint64_t)(r->hint_after_ns / 1000000000ull), r->dev_hint);
		fflush(stdout);
	}
}

/* ---- main ------------------------------------------------------------------ */

enum {
	ROPT_IP = 256,
	ROPT_KEEP,
	ROPT_HINT_AFTER,
	ROPT_TIMEOUT,
	ROPT_NO_BPF,
	ROPT_POOL_SIZE,
	ROPT_CONTROL,
	ROPT_INJECT,
};

int recover_main(int argc, char **argv)
{
	static const struct option long_opts[] = {
		{ "interface",  required_argument, NULL, 'i' },
		{ "ip",         required_argument, NULL, ROPT_IP },
		{ "keep",       no_argument,       NULL, ROPT_KEEP },
		{ "hint-after", required_argument, NULL, ROPT_HINT_AFTER },
		{ "timeout",    required_argument, NULL, ROPT_TIMEOUT },
		{ "no-bpf",     no_argument,       NULL, ROPT_NO_BPF },
		{ "pool-size",  required_argument, NULL, ROPT_POOL_SIZE },
		{ "control",    required_argument, NULL, ROPT_CONTROL },
		{ "inject",     required_argument, NULL, ROPT_INJECT },
		{ "verbose",    no_argument,       NULL, 'v' },
		{ "help",       no_argument,       NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *ifname = NULL, *cidr = RECOVER_DEFAULT_IP, *timeout = NULL, *pool = NULL;
	const char *control = "", *inject = NULL;
	char fw_real[PATH_MAX], fw_dir[PATH_MAX], fw_base[PATH_MAX], listen[64], pool_buf[32];
	char elsewhere[IF_NAMESIZE], sha_hex[SHA256_HEX_LEN], size_str[32];
	const char *dargv[40];
	int dargc = 0, no_bpf = 0, verbose = 0, c, rc = 1, added = 0, fd = -1;
	unsigned int ifindex, prefix;
	unsigned long hint_after = 60;
	struct xtftpd_options opt;
	struct recover r = { 0 };
	struct in_addr addr;
	struct stat st;
	sigset_t mask;
	char *end;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":i:vh", long_opts, NULL)) != -1) {
		switch (c) {
		case 'i': ifname = optarg; break;
		case ROPT_IP: cidr = optarg; break;
		case ROPT_KEEP: r.keep = 1; break;
		case ROPT_HINT_AFTER:
			errno = 0;
			hint_after = strtoul(optarg, &end, 10);
			if (errno || end == optarg || *end || hint_after < 1 || hint_after > 86400)
				return usage_error("--hint-after", optarg, "expected seconds 1..86400");
			break;
		case ROPT_TIMEOUT: timeout = optarg; break;
		case ROPT_NO_BPF: no_bpf = 1; break;
		case ROPT_POOL_SIZE: pool = optarg; break;
		case ROPT_CONTROL: control = optarg; break;
		case ROPT_INJECT: inject = optarg; break;
		case 'v': verbose++; break;
		case 'h': usage(stdout); return 0;
		case ':': return usage_error(argv[optind - 1], NULL, "missing value");
		default: return usage_error(argv[optind - 1], NULL, "unknown option");
		}
	}
	if (!ifname)
		return usage_error("--interface", NULL, "required: the interface the device is cabled to");
	if (optind + 1 != argc)
		return usage_error(optind < argc ? argv[optind + 1] : "FIRMWARE", NULL,
				   optind < argc ? "one FIRMWARE only" : "missing: the image to serve");
	if (parse_cidr(cidr, &addr, &prefix))
		return usage_error("--ip", cidr, "expected an IPv4 ADDR/PREFIX like 192.168.0.66/24");
	ifindex = if_nametoindex(ifname);
	if (!ifindex) {
		fprintf(stderr, "xtftpd recover: no interface %s (see `ip link`)\n", ifname);
		return 1;
	}
	errno = 0;
	if (!realpath(argv[optind], fw_real) || stat(fw_real, &st) != 0 || !S_ISREG(st.st_mode)) {
		fprintf(stderr, "xtftpd recover: %s: %s\n", argv[optind],
			errno ? strerror(errno) : "not a regular file");
		return 1;
	}
	snprintf(fw_dir, sizeof(fw_dir), "%s", fw_real);
	snprintf(fw_base, sizeof(fw_base), "%s", fw_real);
	r.fw_name = basename(fw_base);
	r.fw_size = (uint64_t)st.st_size;
	r.ifname = ifname;
	{
		/* the TP-Link pair: device .86 in the server's /24 */
		struct in_addr dev = addr;
		uint32_t host = ntohl(addr.s_addr);

		if ((host & 0xff) == 66) {
			dev.s_addr = htonl((host & ~0xffu) | 86);
			inet_ntop(AF_INET, &dev, r.dev_hint, sizeof(r.dev_hint));
		} else {
			snprintf(r.dev_hint, sizeof(r.dev_hint), "an address in %s", cidr);
		}
	}

	/* the image's digest, so the user can match it against the vendor's */
	fd = open(fw_real, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "xtftpd recover: %s: %s\n", fw_real, strerror(errno));
		return 1;
	}
	{
		struct sha256_ctx h;
		uint8_t buf[65536], dig[SHA256_DIGEST_LEN];
		ssize_t n;

		sha256_init(&h);
		while ((n = read(fd, buf, sizeof(buf))) > 0)
			sha256_update(&h, buf, (size_t)n);
		sha256_final(&h, dig);
		sha256_hex(dig, sha_hex);
		close(fd);
		fd = -1;
		if (n < 0) {
			fprintf(stderr, "xtftpd recover: reading %s: %s\n", fw_real, strerror(errno));
			return 1;
		}
	}

	/* the daemon's command line: tftpd-hpa style, confined to the
	 * image's directory, every name answered with the image */
	inet_ntop(AF_INET, &addr, listen, sizeof(listen));
	snprintf(listen + strlen(listen), sizeof(listen) - strlen(listen), ":69");
	if (!pool) {
		/* chunks of XT_CHUNK_SIZE per XT_CHUNK_DATA of image, one spare */
		uint64_t chunks = (r.fw_size + XT_CHUNK_DATA - 1) / XT_CHUNK_DATA + 2;

		snprintf(pool_buf, sizeof(pool_buf), "%" PRIu64, chunks * XT_CHUNK_SIZE);
		pool = pool_buf;
	}
	dargv[dargc++] = "xtftpd";
	dargv[dargc++] = "-L";
	dargv[dargc++] = "-s";
	dargv[dargc++] = "-p";          /* the user's own file: no world-readable rule */
	dargv[dargc++] = "-a";
	dargv[dargc++] = listen;
	dargv[dargc++] = "--control";
	dargv[dargc++] = control;
	dargv[dargc++] = "--serve-any";
	dargv[dargc++] = r.fw_name;
	dargv[dargc++] = "--pool-size";
	dargv[dargc++] = pool;
	if (no_bpf) {
		dargv[dargc++] = "--no-bpf";
	} else {
		dargv[dargc++] = "-i";
		dargv[dargc++] = ifname;
		/* replies go to the MAC that asked, whatever the ARP cache holds
		 * for the device's address (a second router on the bench) */
		dargv[dargc++] = "--mac-sessions";
	}
	if (timeout) {
		dargv[dargc++] = "--timeout";
		dargv[dargc++] = timeout;
	}
	if (inject) {
		dargv[dargc++] = "--inject";
		dargv[dargc++] = inject;
	}
	dargv[dargc++] = dirname(fw_dir);
	dargv[dargc] = NULL;
	rc = options_parse(dargc, (char **)dargv, &opt);
	if (rc)
		return 2;       /* options_parse printed which value is wrong */
	rc = 1;
	log_init("xtftpd recover", 0, verbose - 1);     /* warnings and errors unless -v */

	/* from here to the end the address may be ours: signals go through
	 * the engine's signalfd (engine_create blocks them too) */
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);

	switch (address_present(ifname, addr, elsewhere, sizeof(elsewhere))) {
	case 1:
		break;
	case 0: {
		int err = netlink_address(RTM_NEWADDR, ifindex, addr, prefix);

		if (err && err != -EEXIST) {
			fprintf(stderr, "xtftpd recover: cannot add %s to %s: %s%s\n", cidr, ifname,
				strerror(-err), err == -EPERM ? " (run as root)" : "");
			goto cleanup;
		}
		added = err == 0;
		break;
	}
	default:
		fprintf(stderr, "xtftpd recover: cannot list addresses: %s\n", strerror(errno));
		goto cleanup;
	}
	{
		struct ifreq ifr = { 0 };
		int sk = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
		if (sk >= 0 && ioctl(sk, SIOCGIFFLAGS, &ifr) == 0 && !(ifr.ifr_flags & IFF_UP))
			fprintf(stderr, "xtftpd recover: warning: %s is down: `ip link set %s up`\n",
				ifname, ifname);
		if (sk >= 0)
			close(sk);
	}
	if (elsewhere[0])
		fprintf(stderr, "xtftpd recover: warning: %s is also on %s; replies may leave "
			"by the wrong interface: remove it there\n", listen, elsewhere);

	if (engine_create(&opt, &r.e) != 0) {
		fprintf(stderr, "xtftpd recover: cannot serve on %s (see the line above; another "
			"TFTP server on port 69? stop it)\n", listen);
		goto cleanup;
	}
	if (engine_open_control(r.e) != 0)
		goto cleanup;
	fmt_bytes(r.fw_size, size_str, sizeof(size_str));
	printf("serving %s (%s, sha256 %s) under any requested name\n", fw_real, size_str, sha_hex);
	printf("on %s at %s (address %s)\n", ifname, listen,
	       added ? "added, removed at exit" : "already there, kept");
	r.tty = isatty(STDOUT_FILENO);
	r.start_ns = mono_ns();
	r.hint_after_ns = (uint64_t)hint_after * 1000000000ull;
	printf("ready: waiting for the device (%s) to ask; Ctrl-C stops\n", r.dev_hint);
	fflush(stdout);
	engine_set_tick(r.e, recover_tick, &r, RECOVER_TICK_NS);
	if (engine_run(r.e) != 0)
		goto cleanup;
	/* transfers that ended during the shutdown */
	recover_tick(r.e, &r, mono_ns());
	end_line(&r);
	rc = r.done ? 0 : 1;
	if (!r.done)
		printf("stopped before the device got the image\n");
cleanup:
	engine_destroy(r.e);
	if (added) {
		int err = netlink_address(RTM_DELADDR, ifindex, addr, prefix);

		if (err && err != -EADDRNOTAVAIL && err != -ENODEV)
			fprintf(stderr, "xtftpd recover: cannot remove %s from %s: %s; remove it with "
				"`ip addr del %s dev %s`\n", cidr, ifname, strerror(-err), cidr, ifname);
		else
			printf("removed %s from %s\n", cidr, ifname);
	}
	fflush(stdout);
	log_close();
	return rc;
}
