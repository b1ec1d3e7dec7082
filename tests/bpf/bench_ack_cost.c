// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What one ACK costs the kernel tiers: the real xdp_tftp and tc_tftp (the
 * skeleton, as test_prog_run loads it) under BPF_PROG_TEST_RUN, answering
 * an IPv4 lock-step ACK with the next DATA block, blksize 512 and 1468.
 * Not a test (tests/run-all.sh runs test_* only): a measurement for
 * issue 19, repeatable on a quiet machine.
 *
 * What is timed: the common path, a new ACK for the block sent last
 * (ACK n-1 with last_sent n-1, last_acked n-2) answered with DATA n. The
 * program advances the session, and BPF_PROG_TEST_RUN neither restores the
 * frame nor the map between repeats (a second repeat would see a duplicate
 * ACK, or the DATA frame it wrote), so each run is one syscall with
 * repeat=1 and the session rewritten before it, outside the timing. The
 * ACK cycles through blocks 1..XT_BENCH_BLOCKS so payload offsets vary
 * (1468-byte blocks land at every offset mod 4 the image has; one
 * straddles a chunk boundary at blksize 1468 past block 44).
 *
 * Each case runs with the image's block checksum table for the blksize
 * (as the daemon sets sessions up, fastpath_session_start) and, for the
 * comparison, without it ("no table": the program sums the payload with
 * bpf_csum_diff, as every session did before issue 19).
 *
 * Two timings per case: topts.duration (the kernel's ktime around the
 * run loop, so it includes the timer reads) as median and mean, and the
 * program's own run_time_ns / run_cnt from BPF_ENABLE_STATS (the
 * bpf_prog_run accounting, closest to the program alone). Every run's
 * retval and length are checked, and the first run of each case compared
 * byte for byte with the DATA frame built independently (harness.h).
 *
 * Usage: bench_ack_cost [RUNS]  (default 20000 per case; root)
 */
#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/types.h>
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "xtftp_kern.h"
#include "xtftp_wire.h"
#include "xtftp.skel.h"

#include "harness.h"

#define XT_BENCH_BLOCKS 64      /* ACKs 0..63 cycle: DATA 1..64 */

struct bench_case {
	const char *name;
	int tc;
	uint16_t blksize;
	int sums;       /* with the block checksum table, as the daemon sets up */
};

static const struct bench_case cases[] = {
	{ "xdp 512",  0, 512, 1 },
	{ "xdp 1468", 0, 1468, 1 },
	{ "tc 512",   1, 512, 1 },
	{ "tc 1468",  1, 1468, 1 },
	{ "xdp 512 no table",  0, 512, 0 },
	{ "xdp 1468 no table", 0, 1468, 0 },
	{ "tc 512 no table",   1, 512, 0 },
	{ "tc 1468 no table",  1, 1468, 0 },
};

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* run_time_ns and run_cnt of prog (BPF_ENABLE_STATS must be on). */
static int prog_stats(struct bpf_program *prog, uint64_t *ns, uint64_t *cnt)
{
	struct bpf_prog_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len))
		return -errno;
	*ns = info.run_time_ns;
	*cnt = info.run_cnt;
	return 0;
}

/* One case: runs ACK->DATA runs; 0, or 1 when a run left the common path. */
static int bench_one(const struct bench_case *c, unsigned int runs, uint32_t *dur)
{
	static uint8_t ack[XT_BENCH_BLOCKS][FRAME_MAX], want[FRAME_MAX];
	static size_t alen[XT_BENCH_BLOCKS];
	struct bpf_program *prog = c->tc ? skel->progs.tc_tftp : skel->progs.xdp_tftp;
	__u32 expect_ret = c->tc ? TC_ACT_REDIRECT : XDP_TX;
	uint64_t ns0 = 0, cnt0 = 0, ns1 = 0, cnt1 = 0;
	unsigned long long sum = 0;
	uint32_t sums_ref = 0;
	struct flow fl;
	struct run r;
	size_t wlen;

	flow_init(&fl, 4, 0);
	if (c->sums && sums_put(&img_a, c->blksize, SUMS_FIRST_CHUNK, &sums_ref)) {
		fprintf(stderr, "%s: cannot write the checksum table\n", c->name);
		return 1;
	}
	for (unsigned int b = 0; b < XT_BENCH_BLOCKS; b++)
		alen[b] = build_ack(ack[b], &fl, b);
	prog_stats(prog, &ns0, &cnt0);
	for (unsigned int i = 0; i < runs; i++) {
		unsigned int b = i % XT_BENCH_BLOCKS;  /* ACK b: DATA b + 1 */

		if (session_put(&fl, lo_ifindex, &img_a, c->blksize, 1, b, b - 1, XT_SESS_ACTIVE) ||
		    (sums_ref && session_sums(&fl, lo_ifindex, sums_ref)))
			return 1;
		run_prog(prog, ack[b], alen[b], 0, &r);
		if (r.err || r.retval != expect_ret ||
		    r.size_out != 14 + 20 + 12 + (uint32_t)c->blksize) {
			fprintf(stderr, "%s: run %u (ACK %u) left the ACK->DATA path: err %d "
				"retval %u length %u\n", c->name, i, b, r.err, r.retval, r.size_out);
			return 1;
		}
		if (i < XT_BENCH_BLOCKS) {
			wlen = build_data(want, &fl, &img_a, c->blksize, b + 1);
			if (r.size_out != wlen || memcmp(r.out, want, wlen)) {
				fprintf(stderr, "%s: DATA %u differs from the expected frame\n",
					c->name, b + 1);
				dump_diff(r.out, r.size_out, want, wlen);
				return 1;
			}
		}
		dur[i] = r.duration;
		sum += r.duration;
	}
	prog_stats(prog, &ns1, &cnt1);
	session_del(&fl, lo_ifindex);
	qsort(dur, runs, sizeof(*dur), cmp_u32);
	printf("%-18s duration median %5u ns  mean %7.1f ns  p10 %5u  p90 %5u", c->name,
	       dur[runs / 2], (double)sum / runs, dur[runs / 10], dur[runs - runs / 10 - 1]);
	if (cnt1 > cnt0)
		printf("   run_time_ns/run_cnt %7.1f ns", (double)(ns1 - ns0) / (double)(cnt1 - cnt0));
	printf("\n");
	return 0;
}

/* For scale, the same way (repeat=1, same timing): what a run costs with
 * next to no program (xdp_grow_probe: one hash lookup, XDP_PASS), and the
 * ACK of no session (parse, session lookup miss, pass). */
static void bench_floor(struct bpf_program *prog, const char *name, unsigned int runs,
			uint32_t *dur)
{
	static uint8_t ack[FRAME_MAX];
	uint64_t ns0 = 0, cnt0 = 0, ns1 = 0, cnt1 = 0;
	struct flow fl;
	struct run r;
	size_t n;

	flow_init(&fl, 4, 0);
	n = build_ack(ack, &fl, 1);
	prog_stats(prog, &ns0, &cnt0);
	for (unsigned int i = 0; i < runs; i++) {
		run_prog(prog, ack, n, 0, &r);
		dur[i] = r.duration;
	}
	prog_stats(prog, &ns1, &cnt1);
	qsort(dur, runs, sizeof(*dur), cmp_u32);
	printf("%-18s duration median %5u ns", name, dur[runs / 2]);
	if (cnt1 > cnt0)
		printf("   run_time_ns/run_cnt %7.1f ns", (double)(ns1 - ns0) / (double)(cnt1 - cnt0));
	printf("\n");
}

int main(int argc, char **argv)
{
	unsigned int runs = argc > 1 ? (unsigned int)strtoul(argv[1], NULL, 0) : 20000;
	uint32_t *dur;
	int err, stats_fd, failed = 0;
	cpu_set_t cpus;

	if (runs < 10)
		runs = 10;
	err = harness_load();
	if (err)
		return err;
	/* One CPU: the per-CPU stats and the caches stay put. */
	CPU_ZERO(&cpus);
	CPU_SET(0, &cpus);
	sched_setaffinity(0, sizeof(cpus), &cpus);
	stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	if (stats_fd < 0)
		fprintf(stderr, "BPF_ENABLE_STATS: %s (run_time_ns not shown)\n", strerror(errno));
	dur = calloc(runs, sizeof(*dur));
	if (!dur) {
		harness_unload();
		return 1;
	}
	printf("ACK -> DATA, IPv4, lock-step, %u runs per case (repeat=1 each)\n", runs);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		failed |= bench_one(&cases[i], runs, dur);
	printf("for scale:\n");
	bench_floor(skel->progs.xdp_grow_probe, "xdp_grow_probe", runs, dur);
	bench_floor(skel->progs.xdp_tftp, "xdp no-session pass", runs, dur);
	bench_floor(skel->progs.tc_tftp, "tc no-session pass", runs, dur);
	free(dur);
	if (stats_fd >= 0)
		close(stats_fd);
	harness_unload();
	return failed;
}
