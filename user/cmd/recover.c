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

/* The command line, checked whole before anything on the host changes. */
struct recover_args {
	const char *ifname, *cidr, *timeout, *pool, *control, *inject;
	const char *firmware;           /* FIRMWARE as given */
	int keep, no_bpf, verbose;
	unsigned long hint_after;       /* --hint-after, seconds */
	unsigned int ifindex, prefix;
	struct in_addr addr;            /* --ip without the prefix */
};

/* The image and the daemon's command line built for it. options_parse keeps
 * pointers into these strings (ROOT, --serve-any, --control), so they live
 * in recover_main's frame for the whole run. */
struct recover_image {
	char real[PATH_MAX], dir[PATH_MAX], base[PATH_MAX];
	char sha_hex[SHA256_HEX_LEN];
	char listen[64];                /* ADDR:69 */
	char pool[32];                  /* --pool-size sized to the image */
	const char *dargv[40];
};

/* Parse argv into *a. Returns -1 to go on, else the exit status: 0 after
 * --help, 2 after a usage error (one line printed, as for xtftpd). */
static int recover_parse_args(int argc, char **argv, struct recover_args *a)
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
	char *end;
	int c;

	a->cidr = RECOVER_DEFAULT_IP;
	a->control = "";
	a->hint_after = 60;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":i:vh", long_opts, NULL)) != -1) {
		switch (c) {
		case 'i': a->ifname = optarg; break;
		case ROPT_IP: a->cidr = optarg; break;
		case ROPT_KEEP: a->keep = 1; break;
		case ROPT_HINT_AFTER:
			errno = 0;
			a->hint_after = strtoul(optarg, &end, 10);
			if (errno || end == optarg || *end || a->hint_after < 1 || a->hint_after > 86400)
				return usage_error("--hint-after", optarg, "expected seconds 1..86400");
			break;
		case ROPT_TIMEOUT: a->timeout = optarg; break;
		case ROPT_NO_BPF: a->no_bpf = 1; break;
		case ROPT_POOL_SIZE: a->pool = optarg; break;
		case ROPT_CONTROL: a->control = optarg; break;
		case ROPT_INJECT: a->inject = optarg; break;
		case 'v': a->verbose++; break;
		case 'h': usage(stdout); return 0;
		case ':': return usage_error(argv[optind - 1], NULL, "missing value");
		default: return usage_error(argv[optind - 1], NULL, "unknown option");
		}
	}
	if (!a->ifname)
		return usage_error("--interface", NULL, "required: the interface the device is cabled to");
	if (optind + 1 != argc)
		return usage_error(optind < argc ? argv[optind + 1] : "FIRMWARE", NULL,
				   optind < argc ? "one FIRMWARE only" : "missing: the image to serve");
	if (parse_cidr(a->cidr, &a->addr, &a->prefix))
		return usage_error("--ip", a->cidr, "expected an IPv4 ADDR/PREFIX like 192.168.0.66/24");
	a->firmware = argv[optind];
	return -1;
}

/* The image's digest, so the user can match it against the vendor's.
 * 0, or 1 after printing why. */
static int image_sha256(const char *path, char hex[SHA256_HEX_LEN])
{
	struct sha256_ctx h;
	uint8_t buf[65536], dig[SHA256_DIGEST_LEN];
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "xtftpd recover: %s: %s\n", path, strerror(errno));
		return 1;
	}
	sha256_init(&h);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		sha256_update(&h, buf, (size_t)n);
	sha256_final(&h, dig);
	sha256_hex(dig, hex);
	close(fd);
	if (n < 0) {
		fprintf(stderr, "xtftpd recover: reading %s: %s\n", path, strerror(errno));
		return 1;
	}
	return 0;
}

/* FIRMWARE: a regular file, its real path (the daemon's ROOT is its
 * directory), name, size and digest. 0, or 1 after printing why. */
static int image_load(const struct recover_args *a, struct recover_image *img, struct recover *r)
{
	struct stat st;

	errno = 0;
	if (!realpath(a->firmware, img->real) || stat(img->real, &st) != 0 || !S_ISREG(st.st_mode)) {
		fprintf(stderr, "xtftpd recover: %s: %s\n", a->firmware,
			errno ? strerror(errno) : "not a regular file");
		return 1;
	}
	snprintf(img->dir, sizeof(img->dir), "%s", img->real);
	snprintf(img->base, sizeof(img->base), "%s", img->real);
	r->fw_name = basename(img->base);
	r->fw_size = (uint64_t)st.st_size;
	r->ifname = a->ifname;
	{
		/* the TP-Link pair: device .86 in the server's /24 */
		struct in_addr dev = a->addr;
		uint32_t host = ntohl(a->addr.s_addr);

		if ((host & 0xff) == 66) {
			dev.s_addr = htonl((host & ~0xffu) | 86);
			inet_ntop(AF_INET, &dev, r->dev_hint, sizeof(r->dev_hint));
		} else {
			snprintf(r->dev_hint, sizeof(r->dev_hint), "an address in %s", a->cidr);
		}
	}
	return image_sha256(img->real, img->sha_hex);
}

/* The daemon's options, made by options_parse from a command line like a
 * user would type (tftpd-hpa style, confined to the image's directory, every
 * name answered with the image), so recover and xtftpd cannot disagree on
 * what a flag means. 0, or 2 after options_parse printed which value is wrong. */
static int recover_options(const struct recover_args *a, const struct recover *r,
			   struct recover_image *img, struct xtftpd_options *opt)
{
	const char *pool = a->pool;
	const char **dargv = img->dargv;
	int dargc = 0;

	inet_ntop(AF_INET, &a->addr, img->listen, sizeof(img->listen));
	snprintf(img->listen + strlen(img->listen), sizeof(img->listen) - strlen(img->listen), ":69");
	if (!pool) {
		/* chunks of XT_CHUNK_SIZE per XT_CHUNK_DATA of image, one spare */
		uint64_t chunks = (r->fw_size + XT_CHUNK_DATA - 1) / XT_CHUNK_DATA + 2;

		snprintf(img->pool, sizeof(img->pool), "%" PRIu64, chunks * XT_CHUNK_SIZE);
		pool = img->pool;
	}
	dargv[dargc++] = "xtftpd";
	dargv[dargc++] = "-L";
	dargv[dargc++] = "-s";
	dargv[dargc++] = "-p";          /* the user's own file: no world-readable rule */
	dargv[dargc++] = "-a";
	dargv[dargc++] = img->listen;
	dargv[dargc++] = "--control";
	dargv[dargc++] = a->control;
	dargv[dargc++] = "--serve-any";
	dargv[dargc++] = r->fw_name;
	dargv[dargc++] = "--pool-size";
	dargv[dargc++] = pool;
	if (a->no_bpf) {
		dargv[dargc++] = "--no-bpf";
	} else {
		dargv[dargc++] = "-i";
		dargv[dargc++] = a->ifname;
		/* replies go to the MAC that asked, whatever the ARP cache holds
		 * for the device's address (a second router on the bench) */
		dargv[dargc++] = "--mac-sessions";
	}
	if (a->timeout) {
		dargv[dargc++] = "--timeout";
		dargv[dargc++] = a->timeout;
	}
	if (a->inject) {
		dargv[dargc++] = "--inject";
		dargv[dargc++] = a->inject;
	}
	dargv[dargc++] = dirname(img->dir);
	dargv[dargc] = NULL;
	return options_parse(dargc, (char **)dargv, opt) ? 2 : 0;
}

/* The server address on the interface: *added when this run put it there
 * (and so removes it at exit). 0, or -1 after printing why. */
static int address_claim(const struct recover_args *a, int *added, char *elsewhere, size_t len)
{
	switch (address_present(a->ifname, a->addr, elsewhere, len)) {
	case 1:
		return 0;
	case 0: {
		int err = netlink_address(RTM_NEWADDR, a->ifindex, a->addr, a->prefix);

		if (err && err != -EEXIST) {
			fprintf(stderr, "xtftpd recover: cannot add %s to %s: %s%s\n", a->cidr, a->ifname,
				strerror(-err), err == -EPERM ? " (run as root)" : "");
			return -1;
		}
		*added = err == 0;
		return 0;
	}
	default:
		fprintf(stderr, "xtftpd recover: cannot list addresses: %s\n", strerror(errno));
		return -1;
	}
}

/* What commonly keeps a device from getting the image, said up front: the
 * interface down, or the address also on another interface. */
static void warn_link(const struct recover_args *a, const char *listen, const char *elsewhere)
{
	struct ifreq ifr = { 0 };
	int sk = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", a->ifname);
	if (sk >= 0 && ioctl(sk, SIOCGIFFLAGS, &ifr) == 0 && !(ifr.ifr_flags & IFF_UP))
		fprintf(stderr, "xtftpd recover: warning: %s is down: `ip link set %s up`\n",
			a->ifname, a->ifname);
	if (sk >= 0)
		close(sk);
	if (elsewhere[0])
		fprintf(stderr, "xtftpd recover: warning: %s is also on %s; replies may leave "
			"by the wrong interface: remove it there\n", listen, elsewhere);
}

/* The run itself: the engine until the device has the image or a signal
 * stops it. Returns the exit status, 0 only when a transfer completed. The
 * caller destroys r->e (made here, possibly half-way). */
static int recover_serve(struct recover *r, const struct xtftpd_options *opt,
			 const struct recover_args *a, const struct recover_image *img, int added)
{
	char size_str[32];

	if (engine_create(opt, &r->e) != 0) {
		fprintf(stderr, "xtftpd recover: cannot serve on %s (see the line above; another "
			"TFTP server on port 69? stop it)\n", img->listen);
		return 1;
	}
	if (engine_open_control(r->e) != 0)
		return 1;
	fmt_bytes(r->fw_size, size_str, sizeof(size_str));
	printf("serving %s (%s, sha256 %s) under any requested name\n", img->real, size_str,
	       img->sha_hex);
	printf("on %s at %s (address %s)\n", a->ifname, img->listen,
	       added ? "added, removed at exit" : "already there, kept");
	r->tty = isatty(STDOUT_FILENO);
	r->start_ns = mono_ns();
	r->hint_after_ns = (uint64_t)a->hint_after * 1000000000ull;
	printf("ready: waiting for the device (%s) to ask; Ctrl-C stops\n", r->dev_hint);
	fflush(stdout);
	engine_set_tick(r->e, recover_tick, r, RECOVER_TICK_NS);
	if (engine_run(r->e) != 0)
		return 1;
	/* transfers that ended during the shutdown */
	recover_tick(r->e, r, mono_ns());
	end_line(r);
	if (!r->done)
		printf("stopped before the device got the image\n");
	return r->done ? 0 : 1;
}

/* Remove the address this run added; say how if the kernel refuses. */
static void address_release(const struct recover_args *a)
{
	int err = netlink_address(RTM_DELADDR, a->ifindex, a->addr, a->prefix);

	if (err && err != -EADDRNOTAVAIL && err != -ENODEV)
		fprintf(stderr, "xtftpd recover: cannot remove %s from %s: %s; remove it with "
			"`ip addr del %s dev %s`\n", a->cidr, a->ifname, strerror(-err), a->cidr,
			a->ifname);
	else
		printf("removed %s from %s\n", a->cidr, a->ifname);
}

int recover_main(int argc, char **argv)
{
	struct recover_args a = { 0 };
	struct recover_image img;
	struct xtftpd_options opt;
	struct recover r = { 0 };
	char elsewhere[IF_NAMESIZE];
	int rc, added = 0;
	sigset_t mask;

	rc = recover_parse_args(argc, argv, &a);
	if (rc >= 0)
		return rc;
	a.ifindex = if_nametoindex(a.ifname);
	if (!a.ifindex) {
		fprintf(stderr, "xtftpd recover: no interface %s (see `ip link`)\n", a.ifname);
		return 1;
	}
	r.keep = a.keep;
	if (image_load(&a, &img, &r))
		return 1;
	if (recover_options(&a, &r, &img, &opt))
		return 2;       /* options_parse printed which value is wrong */
	log_init("xtftpd recover", 0, a.verbose - 1);   /* warnings and errors unless -v */

	/* from here to the end the address may be ours: signals go through
	 * the engine's signalfd (engine_create blocks them too) */
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);

	rc = 1;
	if (address_claim(&a, &added, elsewhere, sizeof(elsewhere)) == 0) {
		warn_link(&a, img.listen, elsewhere);
		rc = recover_serve(&r, &opt, &a, &img, added);
	}
	engine_destroy(r.e);
	if (added)
		address_release(&a);
	fflush(stdout);
	log_close();
	return rc;
}
