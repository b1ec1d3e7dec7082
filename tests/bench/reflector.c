// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * reflector: loads tests/bench/reflector.bpf.c (the benchmark's ceiling) on the
 * TC ingress hook of one interface and keeps it there until SIGINT/SIGTERM.
 * The "image" it serves is SIZE zero bytes under any name; a client must
 * ask for the same blksize the reflector was given (it always OACKs it).
 *
 *   reflector -i IFNAME -s SIZE [-b BLKSIZE] [-p PORT] [--ready-file PATH] [--xdp-pass] [-v]
 *
 * --xdp-pass also attaches an XDP program that passes everything, so that
 * a veth takes the same (NAPI) receive path as under xtftpd's XDP tier.
 * --ready-file is created once the program is attached, so a script can
 * wait on it. Exit: 0 ok, 1 runtime error, 2 usage error.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <net/if.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/types.h>
#include <bpf/libbpf.h>

#include "reflector.skel.h"

#define REFL_MAX_BLKSIZE 2048   /* as in tests/bench/reflector.bpf.c */
#define REFL_OACK_MAX 32

static volatile sig_atomic_t exiting;
static bool verbose;

static void on_signal(int sig)
{
	(void)sig;
	exiting = 1;
}

static int print_libbpf(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG && !verbose)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static int parse_ulong(const char *s, unsigned long lo, unsigned long hi, unsigned long *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		return -EINVAL;
	*out = v;
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: reflector -i IFNAME -s SIZE [-b BLKSIZE] [-p PORT] [--ready-file PATH] [--xdp-pass] [-v]\n");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "interface", required_argument, NULL, 'i' },
		{ "size", required_argument, NULL, 's' },
		{ "blksize", required_argument, NULL, 'b' },
		{ "port", required_argument, NULL, 'p' },
		{ "ready-file", required_argument, NULL, 'r' },
		{ "xdp-pass", no_argument, NULL, 'x' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .attach_point = BPF_TC_INGRESS);
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, tc_opts, .handle = 1, .priority = 1);
	unsigned long size = ULONG_MAX, blksize = 1468, port = 69, blocks;
	const char *ifname = NULL, *ready_file = NULL;
	struct reflector_bpf *skel = NULL;
	bool hook_created = false, attached = false, xdp_pass = false;
	struct bpf_link *xdp_link = NULL;
	char oack[REFL_OACK_MAX + 2] = { 0 };
	__u32 sum = 0;
	int c, err, ret = 1, len, i;
	unsigned int ifindex;

	while ((c = getopt_long(argc, argv, "i:s:b:p:vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'i': ifname = optarg; break;
		case 's':
			if (parse_ulong(optarg, 0, ULONG_MAX - 1, &size))
				goto bad;
			break;
		case 'b':
			if (parse_ulong(optarg, 8, REFL_MAX_BLKSIZE, &blksize))
				goto bad;
			break;
		case 'p':
			if (parse_ulong(optarg, 1, 65535, &port))
				goto bad;
			break;
		case 'r': ready_file = optarg; break;
		case 'x': xdp_pass = true; break;
		case 'v': verbose = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!ifname || size == ULONG_MAX || optind != argc) {
		usage(stderr);
		return 2;
	}
	ifindex = if_nametoindex(ifname);
	if (!ifindex) {
		fprintf(stderr, "reflector: -i %s: no such interface\n", ifname);
		return 2;
	}
	/* Block numbers are compared on the wire (16 bits), no rollover. */
	blocks = size / blksize + 1;
	if (blocks >= 65535) {
		fprintf(stderr, "reflector: -s %lu: %lu blocks of %lu, must be < 65535; use a larger -b or a smaller -s\n",
			size, blocks, blksize);
		return 2;
	}

	libbpf_set_print(print_libbpf);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	skel = reflector_bpf__open();
	if (!skel) {
		fprintf(stderr, "reflector: cannot open the BPF object: %s\n", strerror(errno));
		goto cleanup;
	}
	skel->rodata->port = (__u16)port;
	skel->rodata->blksize = (__u32)blksize;
	skel->rodata->final_block = (__u16)blocks;
	skel->rodata->last_len = (__u32)(size % blksize);
	/* The OACK body and its 16-bit word sum for the UDP checksum (an odd
	 * last byte is summed as if padded with a zero, as RFC 1071 says). */
	len = snprintf(oack, sizeof(oack), "blksize%c%lu", 0, blksize) + 1;
	for (i = 0; i < len; i += 2) {  /* oack[len] is 0: the odd byte pads */
		__u16 w;

		memcpy(&w, oack + i, 2);
		sum += w;
	}
	memcpy((void *)skel->rodata->oack_opts, oack, (size_t)len);
	skel->rodata->oack_len = (__u32)len;
	skel->rodata->oack_sum = sum;

	err = reflector_bpf__load(skel);
	if (err) {
		fprintf(stderr, "reflector: BPF load failed (%s); run with -v for the verifier log\n",
			strerror(-err));
		goto cleanup;
	}

	hook.ifindex = (int)ifindex;
	err = bpf_tc_hook_create(&hook);
	if (err && err != -EEXIST) {
		fprintf(stderr, "reflector: clsact on %s: %s\n", ifname, strerror(-err));
		goto cleanup;
	}
	hook_created = !err;
	tc_opts.prog_fd = bpf_program__fd(skel->progs.reflector);
	err = bpf_tc_attach(&hook, &tc_opts);
	if (err) {
		fprintf(stderr, "reflector: attach to %s ingress: %s\n", ifname, strerror(-err));
		goto cleanup;
	}
	attached = true;
	if (xdp_pass) {
		xdp_link = bpf_program__attach_xdp(skel->progs.xdp_pass, (int)ifindex);
		err = libbpf_get_error(xdp_link);
		if (err) {
			xdp_link = NULL;
			fprintf(stderr, "reflector: --xdp-pass on %s: %s\n", ifname, strerror(-err));
			goto cleanup;
		}
	}
	if (ready_file) {
		FILE *f = fopen(ready_file, "w");

		if (!f) {
			fprintf(stderr, "reflector: --ready-file %s: %s\n", ready_file, strerror(errno));
			goto cleanup;
		}
		fprintf(f, "%d\n", (int)getpid());
		fclose(f);
	}
	if (verbose)
		fprintf(stderr, "reflector: on %s ingress, %lu zero bytes in %lu blocks of %lu\n",
			ifname, size, blocks, blksize);
	while (!exiting)
		pause();
	ret = 0;
cleanup:
	bpf_link__destroy(xdp_link);
	if (attached) {
		tc_opts.flags = tc_opts.prog_fd = tc_opts.prog_id = 0;
		bpf_tc_detach(&hook, &tc_opts);
	}
	if (hook_created)
		bpf_tc_hook_destroy(&hook);
	if (skel && skel->bss)
		fprintf(stderr, "reflector: data %llu oack %llu passed %llu done %llu failed %llu\n",
			(unsigned long long)skel->bss->counters[0],
			(unsigned long long)skel->bss->counters[1],
			(unsigned long long)skel->bss->counters[2],
			(unsigned long long)skel->bss->counters[3],
			(unsigned long long)skel->bss->counters[4]);
	reflector_bpf__destroy(skel);
	return ret;
bad:
	fprintf(stderr, "reflector: bad value '%s' for -%c\n", optarg, c);
	return 2;
}
