// SPDX-License-Identifier: GPL-2.0-or-later
/* Command line parsing for xtftpd (see options.h and xtftpd.8). */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <linux/types.h>
#include "ctl/http.h"
#include "util/inject.h"
#include "options.h"
#include "kern/attach.h"
#include "xtftp_kern.h"
#include "xtftp_wire.h"

enum {
	OPT_SINGLE_PORT = 256,
	OPT_PRELOAD,
	OPT_CHECK_CONFIG,
	OPT_NO_BPF,
	OPT_NO_XDP,
	OPT_XDP,
	OPT_MAC_SESSIONS,
	OPT_POOL_SIZE,
	OPT_TIMEOUT,
	OPT_RETRIES,
	OPT_CONTROL,
	OPT_EVENT_LOG,
	OPT_MAX_SESSIONS,
	OPT_MAX_PER_CLIENT,
	OPT_ALLOW,
	OPT_DENY,
	OPT_DENY_SILENTLY,
	OPT_MAX_WINDOW,
	OPT_VERIFIER_LOG,
	OPT_ALIAS,
	OPT_SERVE_ANY,
	OPT_IGNORE_CASE,
	OPT_INJECT,
	OPT_VERBOSITY,
	OPT_HTTP,
};

static const struct option long_opts[] = {
	{ "secure",       no_argument,       NULL, 's' },
	{ "listen",       no_argument,       NULL, 'l' },
	{ "foreground",   no_argument,       NULL, 'L' },
	{ "address",      required_argument, NULL, 'a' },
	{ "create",       no_argument,       NULL, 'c' },
	{ "blocksize",    required_argument, NULL, 'B' },
	{ "port-range",   required_argument, NULL, 'R' },
	{ "user",         required_argument, NULL, 'u' },
	{ "umask",        required_argument, NULL, 'U' },
	{ "permissive",   no_argument,       NULL, 'p' },
	{ "refuse",       required_argument, NULL, 'r' },
	{ "verbose",      no_argument,       NULL, 'v' },
	{ "version",      no_argument,       NULL, 'V' },
	{ "help",         no_argument,       NULL, 'h' },
	{ "interface",    required_argument, NULL, 'i' },
	{ "single-port",  no_argument,       NULL, OPT_SINGLE_PORT },
	{ "no-bpf",       no_argument,       NULL, OPT_NO_BPF },
	{ "no-xdp",       no_argument,       NULL, OPT_NO_XDP },
	{ "xdp",          required_argument, NULL, OPT_XDP },
	{ "mac-sessions", no_argument,       NULL, OPT_MAC_SESSIONS },
	{ "pool-size",    required_argument, NULL, OPT_POOL_SIZE },
	{ "preload",      required_argument, NULL, OPT_PRELOAD },
	{ "check-config", no_argument,       NULL, OPT_CHECK_CONFIG },
	{ "timeout",      required_argument, NULL, 't' },  /* tftpd-hpa: -t's long form */
	{ "retransmit-timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "retries",      required_argument, NULL, OPT_RETRIES },
	{ "control",      required_argument, NULL, OPT_CONTROL },
	{ "http",         required_argument, NULL, OPT_HTTP },
	{ "event-log",    required_argument, NULL, OPT_EVENT_LOG },
	{ "max-sessions", required_argument, NULL, OPT_MAX_SESSIONS },
	{ "max-per-client", required_argument, NULL, OPT_MAX_PER_CLIENT },
	{ "allow",        required_argument, NULL, OPT_ALLOW },
	{ "deny",         required_argument, NULL, OPT_DENY },
	{ "deny-silently", no_argument,      NULL, OPT_DENY_SILENTLY },
	{ "max-window",   required_argument, NULL, OPT_MAX_WINDOW },
	{ "verifier-log", required_argument, NULL, OPT_VERIFIER_LOG },
	{ "map-file",     required_argument, NULL, 'm' },
	{ "alias",        required_argument, NULL, OPT_ALIAS },
	{ "serve-any",    required_argument, NULL, OPT_SERVE_ANY },
	{ "ignore-case",  no_argument,       NULL, OPT_IGNORE_CASE },
	{ "inject",       required_argument, NULL, OPT_INJECT },
	/* tftpd-hpa's, for configurations written for it */
	{ "ipv4",         no_argument,       NULL, '4' },
	{ "ipv6",         no_argument,       NULL, '6' },
	{ "pidfile",      required_argument, NULL, 'P' },
	{ "retransmit",   required_argument, NULL, 'T' },
	{ "verbosity",    required_argument, NULL, OPT_VERBOSITY },
	{ NULL, 0, NULL, 0 },
};

/* --help in its sections, one string each rather than a single 100-line
 * call, so a section is found and edited on its own. Every long flag here
 * must be in xtftpd.8 and README.md (tests/integration/test_docs.sh). */
/* what xtftpd is and what ROOT means */
static const char usage_intro[] =
"Usage: xtftpd [OPTION]... [ROOT]\n"
"TFTP server (RFC 1350, 2347, 2348, 2349, 7440) whose data path runs in the\n"
"kernel (XDP and TC eBPF programs answer ACKs with DATA from an image pool),\n"
"with a complete userspace engine for everything the kernel passes on.\n"
"ROOT is the served directory (default " XT_DEFAULT_ROOT "); requested names never\n"
"resolve outside it.\n"
"\n";

/* tftpd-hpa's flags, so configurations written for it keep working */
static const char usage_hpa[] =
"tftpd-hpa compatible options:\n"
"  -s, --secure             names are relative to ROOT (a leading / is dropped);\n"
"                           without -s a name starting with ROOT/ is also accepted\n"
"  -l, --listen             standalone mode (accepted; always standalone)\n"
"  -L, --foreground         do not daemonize; log to stderr instead of syslog\n"
"  -a, --address ADDR[:PORT]\n"
"                           listen here (repeatable); IPv6 as [::1]:69; :PORT for\n"
"                           all addresses; default 0.0.0.0:69 and [::]:69\n"
"  -c, --create             allow uploads (WRQ) of new files; without -c an\n"
"                           upload may only overwrite an existing file; files\n"
"                           appear only when complete\n"
"  -B, --blocksize N        largest blksize offered (8..65464); default: MTU of\n"
"                           the request's ingress interface minus IP/UDP/TFTP\n"
"                           headers (1468 on a 1500-byte IPv4 link)\n"
"  -R, --port-range LO:HI   transfer ports (TIDs) from this range; default: any\n"
"                           ephemeral port the kernel picks\n"
"  -u, --user USER          drop privileges to USER after binding and attaching\n"
"                           BPF; default: keep running as the starting user\n"
"  -U, --umask MASK         umask (octal) for new uploaded files (default 0\n"
"                           without -p, the process's with -p, as tftpd-hpa)\n"
"  -p, --permissive         no extra checks; without -p a file must be world\n"
"                           readable to be served (and world writable to be\n"
"                           overwritten by an upload), as in tftpd-hpa\n"
"  -r, --refuse OPTION      ignore this TFTP option in requests (repeatable)\n"
"  -4, --ipv4 / -6, --ipv6  listen on that family only\n"
"  -P, --pidfile FILE       write the daemon's pid to FILE (removed at exit)\n"
"  -T, --retransmit USEC    retransmit timeout in microseconds (as\n"
"                           --retransmit-timeout)\n"
"  -t, --timeout SEC        accepted and ignored: tftpd-hpa's wait for another\n"
"                           request under inetd; xtftpd is always standalone\n"
"      --verbosity N        set the verbosity level (as N times -v)\n"
"  -v, --verbose            one log line per request; twice: per packet events\n"
"  -V, --version            print the version and exit\n"
"  -h, --help               print this help and exit\n"
"\n";

/* our own flags: kernel tiers, pool, limits, access, observability */
static const char usage_xtftpd[] =
"xtftpd options:\n"
"  -i, --interface IFNAME   attach the kernel tiers here (repeatable); default:\n"
"                           the interface owning --address, or every UP\n"
"                           non-loopback interface for a wildcard address\n"
"      --no-bpf             serve everything from the userspace engine\n"
"      --xdp MODE           where the XDP tier attaches beside TC: auto (the\n"
"                           default: wherever XDP can send DATA, natively or\n"
"                           generic, but not on veth, where it could only pass\n"
"                           frames and slows the peer's sending), on (also on\n"
"                           veth), off (TC only)\n"
"      --no-xdp             the same as --xdp off\n"
"      --mac-sessions       take IPv4 requests through a packet socket on each\n"
"                           -i interface and send every reply to the MAC (and\n"
"                           802.1Q tag) that asked: many devices with one\n"
"                           address on a segment, VLAN trunks\n"
"      --pool-size BYTES    image pool size, suffix K, M or G (default 256M)\n"
"      --preload GLOB       map the files matching GLOB (relative to ROOT, e.g.\n"
"                           '*.bin', 'firmware/*') into the image pool at start\n"
"                           (repeatable), so the first client gets the kernel path\n"
"      --check-config       check ROOT, names, interfaces, user and exit: 0 when\n"
"                           usable, 1 with one line per problem\n"
"      --single-port        answer every transfer from the listening port;\n"
"                           sessions are told apart by client address and port\n"
"      --retransmit-timeout SEC\n"
"                           retransmit timeout when the client sends none\n"
"                           (default 1, fractions allowed: 0.2); doubles on\n"
"                           each retry up to 8 s\n"
"      --retries N          retransmissions before a transfer is given up\n"
"                           (default 5)\n"
"      --max-sessions N     concurrent transfers; more are refused with error 3\n"
"                           \"server busy\" (default 4096)\n"
"      --max-per-client N   concurrent transfers from one client address;\n"
"                           more are refused with error 3 (default 0: no\n"
"                           limit, as tftpd-hpa)\n"
"      --allow CIDR         take requests only from these sources (repeatable,\n"
"                           IPv4 or IPv6, e.g. 192.168.0.0/24); default: all\n"
"      --deny CIDR          refuse requests from these sources (repeatable;\n"
"                           wins over --allow) with error 2, counted\n"
"                           (requests_denied) and logged once a minute per source\n"
"      --deny-silently      send refused sources nothing instead of error 2\n"
"      --max-window N       largest RFC 7440 windowsize granted (default 64)\n"
"      --control PATH       unix control socket for xtftpctl\n"
"                           (default " XT_DEFAULT_CONTROL "; \"\" disables)\n"
"      --http ADDR:PORT     read-only HTTP: a live bench page at /, /metrics\n"
"                           (Prometheus), /api/status, /api/transfers,\n"
"                           /api/events (SSE); a PORT alone is 127.0.0.1:PORT\n"
"      --event-log FILE     append every transfer event (start, progress, done,\n"
"                           failed, restart, stall) as a JSON line\n"
"      --verifier-log FILE  write the BPF verifier log here if loading fails\n"
"\n";

/* how a requested name becomes a file */
static const char usage_names[] =
"Names (applied in this order, then confined to ROOT):\n"
"  -m, --map-file FILE      tftpd-hpa remap rules for requested names\n"
"      --alias NAME=FILE    serve FILE when NAME is asked for (repeatable)\n"
"      --serve-any FILE     serve FILE whatever name is asked for (recovery)\n"
"      --ignore-case        match names case-insensitively beneath ROOT\n"
"\n";

/* fault injection */
static const char usage_inject[] =
"Fault injection (for bootloader tests; also `xtftpctl inject`):\n"
"      --inject SPEC        drop or duplicate DATA frames, in every tier:\n"
"                           drop:prob=0.05 | drop:blocks=3,7 |\n"
"                           dup:prob=0.1,client-ip=ADDR,client-mac=MAC\n"
"\n";

/* the recover subcommand, exit status, manuals */
static const char usage_tail[] =
"Recovery of one device (see docs/recovery.md):\n"
"  xtftpd recover --interface IFACE [--ip 192.168.0.66/24] [--keep] FIRMWARE\n"
"\n"
"Exit status: 0 ok, 1 runtime error, 2 usage error.\n"
"See xtftpd(8) and xtftpctl(8).\n";

void options_usage(FILE *f)
{
	static const char *const sections[] = {
		usage_intro, usage_hpa, usage_xtftpd, usage_names, usage_inject, usage_tail,
	};

	for (size_t i = 0; i < sizeof(sections) / sizeof(sections[0]); i++)
		fputs(sections[i], f);
}

static int parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	if (!s || !*s || *s == '-')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

int options_parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	unsigned int shift = 0;

	if (!s || !*s || *s == '-')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -EINVAL;
	switch (*end) {
	case '\0': break;
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	default: return -EINVAL;
	}
	if (*end || v > (ULLONG_MAX >> shift))
		return -EINVAL;
	*out = (uint64_t)v << shift;
	return 0;
}

int options_parse_address(const char *s, unsigned int default_port,
			  struct sockaddr_storage *ss, socklen_t *len)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *port_str = NULL;
	unsigned long port = default_port;
	int v6 = 0;

	memset(ss, 0, sizeof(*ss));
	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (!close || (size_t)(close - s - 1) >= sizeof(host))
			return -EINVAL;
		memcpy(host, s + 1, (size_t)(close - s - 1));
		host[close - s - 1] = '\0';
		if (close[1] == ':')
			port_str = close + 2;
		else if (close[1])
			return -EINVAL;
		v6 = 1;
	} else {
		const char *colon = strchr(s, ':');

		if (colon && strchr(colon + 1, ':')) {
			/* bare IPv6 address, no port */
			if (strlen(s) >= sizeof(host))
				return -EINVAL;
			strcpy(host, s);
			v6 = 1;
		} else {
			size_t n = colon ? (size_t)(colon - s) : strlen(s);

			if (n >= sizeof(host))
				return -EINVAL;
			memcpy(host, s, n);
			host[n] = '\0';
			if (colon)
				port_str = colon + 1;
		}
	}
	if (port_str && parse_uint(port_str, 1, 65535, &port))
		return -EINVAL;
	if (v6) {
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;

		if (inet_pton(AF_INET6, host, &a6->sin6_addr) != 1)
			return -EINVAL;
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*a6);
	} else {
		struct sockaddr_in *a4 = (struct sockaddr_in *)ss;

		if (host[0] == '\0')
			a4->sin_addr.s_addr = htonl(INADDR_ANY);
		else if (inet_pton(AF_INET, host, &a4->sin_addr) != 1)
			return -EINVAL;
		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)port);
		*len = sizeof(*a4);
	}
	return 0;
}

static int usage_error(const char *flag, const char *value, const char *why)
{
	fprintf(stderr, "xtftpd: %s%s%s: %s (see xtftpd --help)\n", flag,
		value ? " " : "", value ? value : "", why);
	return 2;
}

static int add_listen(struct xtftpd_options *o, const char *arg)
{
	struct sockaddr_storage ss;
	socklen_t len;

	/* ":PORT" means every address of both families */
	if (arg[0] == ':' && arg[1] != ':') {
		char v6[16];

		if (o->n_listen + 2 > XT_MAX_LISTEN)
			return -E2BIG;
		if (options_parse_address(arg, TFTP_PORT, &o->listen[o->n_listen],
					  &o->listen_len[o->n_listen]))
			return -EINVAL;
		o->n_listen++;
		snprintf(v6, sizeof(v6), "[::]%s", arg);
		if (options_parse_address(v6, TFTP_PORT, &o->listen[o->n_listen],
					  &o->listen_len[o->n_listen]))
			return -EINVAL;
		o->n_listen++;
		return 0;
	}
	if (o->n_listen >= XT_MAX_LISTEN)
		return -E2BIG;
	if (options_parse_address(arg, TFTP_PORT, &ss, &len))
		return -EINVAL;
	o->listen[o->n_listen] = ss;
	o->listen_len[o->n_listen] = len;
	o->n_listen++;
	return 0;
}

static int parse_timeout(const char *s, unsigned int *us)
{
	char *end;
	double v;

	if (!s || !*s)
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (errno || *end || !(v >= 0.01 && v <= 255.0))
		return -EINVAL;
	*us = (unsigned int)(v * 1e6 + 0.5);
	return 0;
}

/* Returned by the option group parsers for an option that is not theirs. */
#define OPT_NOT_MINE (-1)

/* The options that take one decimal number in a range: a table, so each
 * range and its message are stated once. off is the unsigned int field of
 * struct xtftpd_options that takes the value; NO_FIELD for -t, which is
 * checked and ignored. */
#define NO_FIELD ((size_t)-1)
static const struct uint_opt {
	int c;
	const char *flag;
	unsigned long min, max;
	size_t off;
	const char *why;
} uint_opts[] = {
	{ 'B', "--blocksize", TFTP_BLKSIZE_MIN, TFTP_BLKSIZE_MAX,
	  offsetof(struct xtftpd_options, max_blksize), "expected 8..65464" },
	/* tftpd-hpa's retransmit timeout, in microseconds */
	{ 'T', "--retransmit", 10000, 255000000,
	  offsetof(struct xtftpd_options, timeout_us), "expected 10000..255000000 (us)" },
	/* tftpd-hpa's inetd wait: xtftpd is always standalone */
	{ 't', "-t/--timeout", 0, 1000000, NO_FIELD, "expected seconds" },
	{ OPT_RETRIES, "--retries", 0, 1000,
	  offsetof(struct xtftpd_options, retries), "expected 0..1000" },
	{ OPT_MAX_SESSIONS, "--max-sessions", 1, 1000000,
	  offsetof(struct xtftpd_options, max_sessions), "expected 1..1000000" },
	{ OPT_MAX_PER_CLIENT, "--max-per-client", 0, 1000000,
	  offsetof(struct xtftpd_options, max_per_client), "expected 0..1000000" },
	{ OPT_MAX_WINDOW, "--max-window", 1, TFTP_WINDOWSIZE_MAX,
	  offsetof(struct xtftpd_options, max_windowsize), "expected 1..65535" },
};

/* One option of uint_opts: 0, 2 after a usage error, or OPT_NOT_MINE. */
static int parse_uint_opt(struct xtftpd_options *o, int c, const char *arg)
{
	unsigned long v;

	for (size_t i = 0; i < sizeof(uint_opts) / sizeof(uint_opts[0]); i++) {
		const struct uint_opt *u = &uint_opts[i];

		if (u->c != c)
			continue;
		if (parse_uint(arg, u->min, u->max, &v))
			return usage_error(u->flag, arg, u->why);
		if (u->off != NO_FIELD)
			*(unsigned int *)((char *)o + u->off) = (unsigned int)v;
		return 0;
	}
	return OPT_NOT_MINE;
}

/* -R LO:HI; the colon is put back so an error shows the argument whole. */
static int parse_port_range(struct xtftpd_options *o, char *arg)
{
	char *colon = strchr(arg, ':');
	unsigned long lo, hi;

	if (!colon)
		return usage_error("--port-range", arg, "expected LO:HI");
	*colon = '\0';
	if (parse_uint(arg, 1, 65535, &lo) || parse_uint(colon + 1, 1, 65535, &hi) || lo > hi) {
		*colon = ':';
		return usage_error("--port-range", arg, "expected LO:HI with 1 <= LO <= HI <= 65535");
	}
	*colon = ':';
	o->port_lo = (unsigned int)lo;
	o->port_hi = (unsigned int)hi;
	return 0;
}

/* tftpd-hpa's options (the first block of --help), apart from the numeric
 * ones of uint_opts: 0, 1 after --help/--version, 2 after a usage error,
 * or OPT_NOT_MINE. */
static int parse_hpa_opt(struct xtftpd_options *o, int c, char *arg)
{
	unsigned long v;

	switch (c) {
	case 's': o->secure = 1; break;
	case 'l': break;
	case 'L': o->foreground = 1; break;
	case 'a':
		if (add_listen(o, arg))
			return usage_error("--address", arg,
					   "expected ADDR, ADDR:PORT, [V6ADDR]:PORT or :PORT (at most 8)");
		break;
	case 'c': o->create = 1; break;
	case 'R': return parse_port_range(o, arg);
	case 'u': o->user = arg; break;
	case 'U': {
		char *end;
		unsigned long m;

		errno = 0;
		m = strtoul(arg, &end, 8);
		if (errno || !*arg || *end || m > 0777)
			return usage_error("--umask", arg, "expected an octal mask like 022");
		o->umask = (mode_t)m;
		o->umask_set = 1;
		break;
	}
	case 'p': o->permissive = 1; break;
	case 'r':
		if (o->n_refuse >= XT_MAX_REFUSE)
			return usage_error("--refuse", arg, "too many (at most 16)");
		o->refuse[o->n_refuse++] = arg;
		break;
	case 'v': o->verbose++; break;
	case OPT_VERBOSITY:
		/* an int field (a count of -v), so not in uint_opts */
		if (parse_uint(arg, 0, 10, &v))
			return usage_error("--verbosity", arg, "expected 0..10");
		o->verbose = (int)v;
		break;
	case '4': o->family_only = AF_INET; break;
	case '6': o->family_only = AF_INET6; break;
	case 'P': o->pidfile = arg; break;
	case 'V':
		printf("xtftpd " XTFTPD_VERSION "\n");
		return 1;
	case 'h':
		options_usage(stdout);
		return 1;
	default:
		return OPT_NOT_MINE;
	}
	return 0;
}

/* xtftpd's own options that take no number: data path, limits, names,
 * observability, fault injection. 0, 2 after a usage error, or OPT_NOT_MINE. */
static int parse_xtftpd_opt(struct xtftpd_options *o, int c, char *arg)
{
	switch (c) {
	case 'i':
		if (o->n_ifnames >= XT_MAX_IFNAMES)
			return usage_error("--interface", arg, "too many (at most 32)");
		if (!*arg || strlen(arg) >= 16)
			return usage_error("--interface", arg, "not an interface name");
		o->ifnames[o->n_ifnames++] = arg;
		break;
	case OPT_SINGLE_PORT: o->single_port = 1; break;
	case OPT_NO_BPF: o->no_bpf = 1; break;
	case OPT_NO_XDP: o->xdp_request = ATTACH_XDP_OFF; break;
	case OPT_XDP:
		if (!strcmp(arg, "auto"))
			o->xdp_request = ATTACH_XDP_AUTO;
		else if (!strcmp(arg, "on"))
			o->xdp_request = ATTACH_XDP_ON;
		else if (!strcmp(arg, "off"))
			o->xdp_request = ATTACH_XDP_OFF;
		else
			return usage_error("--xdp", arg, "expected auto, on or off");
		break;
	case OPT_PRELOAD:
		if (o->n_preload >= XT_MAX_PRELOAD)
			return usage_error("--preload", arg, "too many (at most 32)");
		o->preload[o->n_preload++] = arg;
		break;
	case OPT_CHECK_CONFIG: o->check_config = 1; break;
	case OPT_MAC_SESSIONS: o->mac_sessions = 1; break;
	case OPT_POOL_SIZE:
		if (options_parse_size(arg, &o->pool_bytes) || o->pool_bytes < XT_CHUNK_SIZE)
			return usage_error("--pool-size", arg,
					   "expected BYTES with optional K, M or G, at least 66K");
		break;
	case OPT_TIMEOUT:
		if (parse_timeout(arg, &o->timeout_us))
			return usage_error("--retransmit-timeout", arg, "expected seconds, 0.01..255");
		break;
	case OPT_CONTROL: o->control_path = arg; break;
	case OPT_HTTP: {
		struct sockaddr_storage hss;
		unsigned int hlen;

		if (http_parse_addr(arg, &hss, &hlen))
			return usage_error("--http", arg,
					   "expected ADDR:PORT, [ADDR6]:PORT or PORT (numeric)");
		o->http = arg;
		break;
	}
	case OPT_EVENT_LOG: o->event_log = arg; break;
	case OPT_VERIFIER_LOG: o->verifier_log = arg; break;
	case OPT_ALLOW:
	case OPT_DENY: {
		struct acl_rule rule;
		const char *flag = c == OPT_ALLOW ? "--allow" : "--deny";

		if (acl_parse(arg, c == OPT_ALLOW, &rule))
			return usage_error(flag, arg, "expected ADDR or ADDR/PREFIX with the host bits clear, e.g. 192.168.0.0/24 or 2001:db8::/32");
		if (acl_add(&o->acl, &rule))
			return usage_error(flag, arg, "more than 64 --allow/--deny rules");
		break;
	}
	case OPT_DENY_SILENTLY: o->deny_silently = 1; break;
	case 'm': o->map_file = arg; break;
	case OPT_ALIAS:
		if (o->n_aliases >= XT_MAX_ALIASES)
			return usage_error("--alias", arg, "too many (at most 64)");
		o->aliases[o->n_aliases++] = arg;
		break;
	case OPT_SERVE_ANY: o->serve_any = arg; break;
	case OPT_IGNORE_CASE: o->ignore_case = 1; break;
	case OPT_INJECT: {
		char why[128];

		if (inject_parse(arg, &o->inject, why, sizeof(why)))
			return usage_error("--inject", arg, why);
		break;
	}
	default:
		return OPT_NOT_MINE;
	}
	return 0;
}

/* getopt's ':' (missing value) and '?' (unknown): name the flag as typed,
 * -X for a short one, the argv word for a long one. Returns 2. */
static int bad_option(int c, char **argv)
{
	char flag[3] = { '-', (char)optopt, '\0' };

	return usage_error(optopt > 0 && optopt < 256 ? flag : argv[optind - 1], NULL,
			   c == ':' ? "missing value" : "unknown option");
}

/* After the flags: the checks between options, ROOT, and -4/-6 applied to
 * the listen addresses (which may come before or after them). 0 or 2. */
static int options_finish(int argc, char **argv, struct xtftpd_options *o)
{
	if (o->mac_sessions && o->single_port)
		return usage_error("--mac-sessions", NULL,
				   "needs a port per transfer; leave out --single-port");
	if (optind < argc)
		o->root = argv[optind++];
	if (optind < argc)
		return usage_error(argv[optind], NULL, "unexpected argument (one ROOT only)");
	if (o->family_only) {
		/* -4 / -6: the default addresses of that family only, or the
		 * --address ones of that family */
		unsigned int i, n = 0;

		if (!o->n_listen && add_listen(o, o->family_only == AF_INET ? "0.0.0.0" : "[::]"))
			return usage_error(o->family_only == AF_INET ? "-4" : "-6", NULL, "internal error");
		for (i = 0; i < o->n_listen; i++)
			if (o->listen[i].ss_family == o->family_only) {
				o->listen[n] = o->listen[i];
				o->listen_len[n++] = o->listen_len[i];
			}
		o->n_listen = n;
		if (!n)
			return usage_error(o->family_only == AF_INET ? "-4" : "-6", NULL,
					   "no --address of that family");
	}
	return 0;
}

int options_parse(int argc, char **argv, struct xtftpd_options *o)
{
	int c, rc;

	memset(o, 0, sizeof(*o));
	o->root = XT_DEFAULT_ROOT;
	o->max_windowsize = 64;
	o->pool_bytes = XT_POOL_DEFAULT_BYTES;
	o->timeout_us = 1000000;
	o->retries = 5;
	o->max_sessions = 4096;
	o->max_per_client = 0;
	o->control_path = XT_DEFAULT_CONTROL;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":slLa:cB:R:u:U:pr:vVhi:m:46P:T:t:", long_opts, NULL)) != -1) {
		if (c == ':' || c == '?')
			return bad_option(c, argv);
		rc = parse_uint_opt(o, c, optarg);
		if (rc == OPT_NOT_MINE)
			rc = parse_hpa_opt(o, c, optarg);
		if (rc == OPT_NOT_MINE)
			rc = parse_xtftpd_opt(o, c, optarg);
		if (rc == OPT_NOT_MINE)
			return bad_option('?', argv);   /* in long_opts, handled nowhere */
		if (rc)
			return rc;
	}
	return options_finish(argc, argv, o);
}
