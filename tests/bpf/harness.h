/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Harness shared by the BPF_PROG_TEST_RUN tests: the loaded skeleton, test
 * images in the pool, frames built plainly (byte writes and an RFC 1071
 * checksum written out, independent of bpf/), sessions, counters, runs.
 * Included by exactly one test file per program.
 */
#ifndef XT_TESTS_BPF_HARNESS_H
#define XT_TESTS_BPF_HARNESS_H

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <sys/socket.h>
#include <linux/types.h>
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "xtftp_kern.h"
#include "xtftp_wire.h"
#include "xtftp.skel.h"
#include "files/pool.h"

/* Not every test uses every helper. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wunused-variable"

#define POOL_CHUNKS 64
#define POOL_MARKER 0xa5        /* every pool byte outside an image */
#define FRAME_MAX 4096

static struct xtftp_bpf *skel;
static int subtest_failed;
static int n_pass, n_fail;
static unsigned int lo_ifindex;

#define CHECK(cond, ...) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "  %s:%d: check failed: %s: ",		\
			__FILE__, __LINE__, #cond);			\
		fprintf(stderr, __VA_ARGS__);				\
		fputc('\n', stderr);					\
		subtest_failed = 1;					\
	}								\
} while (0)

/* ---- images in the pool ---------------------------------------------------- */

struct image {
	const char *name;
	uint64_t size;
	uint32_t first_chunk;
	uint8_t *bytes;
};

static struct image img_a = { "A", 200000, 0, NULL };  /* 4 chunks, short final blocks */
static struct image img_b = { "B", 5120, 4, NULL };    /* 10 x 512: zero-length final */
static struct image img_c = { "C", 600000, 5, NULL };  /* blksize 8 reaches block 65536 */

static uint32_t image_chunks(const struct image *img)
{
	return (img->size + XT_CHUNK_DATA - 1) / XT_CHUNK_DATA;
}

static void image_generate(struct image *img, uint32_t seed)
{
	uint32_t x = seed;

	img->bytes = malloc(img->size);
	if (!img->bytes) {
		perror("malloc");
		exit(1);
	}
	for (uint64_t i = 0; i < img->size; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		/* never the marker, so a marker byte sent is a pool byte
		 * from outside every image */
		img->bytes[i] = (x >> 24) == POOL_MARKER ? 0x5a : x >> 24;
	}
}

/* Chunk layout of include/xtftp_kern.h: own XT_CHUNK_DATA bytes, then the
 * first XT_CHUNK_OVERLAP bytes of the next chunk, zero past the image. */
static int pool_put_images(void)
{
	struct image *imgs[] = { &img_a, &img_b, &img_c };
	uint8_t *val = malloc(XT_CHUNK_SIZE);
	int fd = bpf_map__fd(skel->maps.image_pool);
	int err = 0;

	if (!val)
		return -ENOMEM;
	memset(val, POOL_MARKER, XT_CHUNK_SIZE);
	for (uint32_t i = 0; i < POOL_CHUNKS && !err; i++)
		if (bpf_map_update_elem(fd, &i, val, BPF_ANY))
			err = -errno;
	for (unsigned int k = 0; k < 3 && !err; k++) {
		struct image *img = imgs[k];

		for (uint32_t c = 0; c < image_chunks(img) && !err; c++) {
			uint64_t start = (uint64_t)c * XT_CHUNK_DATA;
			uint32_t key = img->first_chunk + c;

			memset(val, 0, XT_CHUNK_SIZE);
			for (uint64_t j = 0; j < XT_CHUNK_SIZE && start + j < img->size; j++)
				val[j] = img->bytes[start + j];
			if (bpf_map_update_elem(fd, &key, val, BPF_ANY))
				err = -errno;
		}
	}
	free(val);
	return err;
}

/*
 * The block checksum table of img for blksize (xtftp_kern.h), built by the
 * daemon's own pool_sums_fill over a copy of the image's chunks and written
 * to the pool from chunk map_first (past every image). *ref = what a
 * session's sums_ref names it by. 0 or a negative errno.
 */
#define SUMS_FIRST_CHUNK 32

static int sums_put(const struct image *img, unsigned int blksize, uint32_t map_first,
		    uint32_t *ref)
{
	uint32_t n = image_chunks(img), t = pool_sums_chunks(img->size, blksize);
	uint8_t *mem = calloc((size_t)n + t, XT_CHUNK_SIZE);
	int fd = bpf_map__fd(skel->maps.image_pool);
	int err = 0;

	if (!mem)
		return -ENOMEM;
	for (uint32_t c = 0; c < n; c++) {
		uint64_t start = (uint64_t)c * XT_CHUNK_DATA;

		for (uint64_t j = 0; j < XT_CHUNK_SIZE && start + j < img->size; j++)
			pool_chunk(mem, c)[j] = img->bytes[start + j];
	}
	pool_sums_fill(mem, 0, img->size, blksize, n);
	for (uint32_t k = 0; k < t && !err; k++) {
		uint32_t key = map_first + k;

		if (key >= POOL_CHUNKS ||
		    bpf_map_update_elem(fd, &key, pool_chunk(mem, n + k), BPF_ANY))
			err = key >= POOL_CHUNKS ? -ENOSPC : -errno;
	}
	free(mem);
	*ref = map_first + 1;
	return err;
}

/* ---- frames, built plainly ------------------------------------------------- */

struct flow {
	int family;             /* 4 or 6 */
	int vlan;               /* 1: one 802.1Q tag in the frame */
	uint16_t vid;
	uint8_t client_mac[6], server_mac[6];
	uint8_t client_addr[16], server_addr[16];
	uint16_t client_port, server_port;  /* host order */
};

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* RFC 1071 over a byte string, big-endian 16-bit words, odd byte padded. */
static uint32_t sum_bytes(uint32_t sum, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	return sum;
}

static uint16_t fold_not(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* UDP checksum of the segment udp[0..len) for the flow's family. */
static uint16_t udp_checksum(int family, const uint8_t *src, const uint8_t *dst,
			     const uint8_t *udp, size_t len)
{
	uint8_t ph[40];
	size_t phlen;
	uint16_t c;

	memset(ph, 0, sizeof(ph));
	if (family == 4) {
		memcpy(ph, src, 4);
		memcpy(ph + 4, dst, 4);
		ph[9] = 17;
		put16(ph + 10, len);
		phlen = 12;
	} else {
		memcpy(ph, src, 16);
		memcpy(ph + 16, dst, 16);
		ph[34] = len >> 8;
		ph[35] = len & 0xff;
		ph[39] = 17;
		phlen = 40;
	}
	c = fold_not(sum_bytes(sum_bytes(0, ph, phlen), udp, len));
	return c ? c : 0xffff;
}

/*
 * A UDP datagram of the flow, direction client->server (to_server) or back,
 * with the given IPv4 id/flags/ttl or IPv6 hop limit, payload pl[0..plen).
 * Returns the frame length.
 */
static size_t build_udp_frame(uint8_t *f, const struct flow *fl, int to_server,
			      uint16_t ip_id, uint16_t ip_frag, uint8_t ttl,
			      const uint8_t *pl, size_t plen)
{
	const uint8_t *smac = to_server ? fl->client_mac : fl->server_mac;
	const uint8_t *dmac = to_server ? fl->server_mac : fl->client_mac;
	const uint8_t *saddr = to_server ? fl->client_addr : fl->server_addr;
	const uint8_t *daddr = to_server ? fl->server_addr : fl->client_addr;
	uint16_t sport = to_server ? fl->client_port : fl->server_port;
	uint16_t dport = to_server ? fl->server_port : fl->client_port;
	size_t off = 12, l3, l4;
	uint16_t c;

	memcpy(f, dmac, 6);
	memcpy(f + 6, smac, 6);
	if (fl->vlan) {
		put16(f + off, 0x8100);
		put16(f + off + 2, 0x2000 | fl->vid);   /* PCP 1 */
		off += 4;
	}
	put16(f + off, fl->family == 4 ? 0x0800 : 0x86dd);
	l3 = off + 2;
	if (fl->family == 4) {
		uint8_t *ip = f + l3;

		memset(ip, 0, 20);
		ip[0] = 0x45;
		put16(ip + 2, 20 + 8 + plen);
		put16(ip + 4, ip_id);
		put16(ip + 6, ip_frag);
		ip[8] = ttl;
		ip[9] = 17;
		memcpy(ip + 12, saddr, 4);
		memcpy(ip + 16, daddr, 4);
		put16(ip + 10, fold_not(sum_bytes(0, ip, 20)));
		l4 = l3 + 20;
	} else {
		uint8_t *ip = f + l3;

		memset(ip, 0, 40);
		ip[0] = 0x60;
		put16(ip + 4, 8 + plen);
		ip[6] = 17;
		ip[7] = ttl;
		memcpy(ip + 8, saddr, 16);
		memcpy(ip + 24, daddr, 16);
		l4 = l3 + 40;
	}
	put16(f + l4, sport);
	put16(f + l4 + 2, dport);
	put16(f + l4 + 4, 8 + plen);
	put16(f + l4 + 6, 0);
	memcpy(f + l4 + 8, pl, plen);
	c = udp_checksum(fl->family, saddr, daddr, f + l4, 8 + plen);
	put16(f + l4 + 6, c);
	return l4 + 8 + plen;
}

/* An ACK from the client, padded to the Ethernet minimum like on the wire. */
static size_t build_ack(uint8_t *f, const struct flow *fl, uint16_t block)
{
	uint8_t pl[4];
	size_t n;

	put16(pl, TFTP_ACK);
	put16(pl + 2, block);
	n = build_udp_frame(f, fl, 1, 0x1234, 0, 64, pl, sizeof(pl));
	while (n < 60)
		f[n++] = 0;
	return n;
}

/* The DATA frame the server must send for absolute block blk. */
static size_t build_data(uint8_t *f, const struct flow *fl, const struct image *img,
			 uint32_t blksize, uint32_t blk)
{
	static uint8_t pl[4 + XT_KERN_MAX_BLKSIZE];
	uint64_t off = (uint64_t)(blk - 1) * blksize;
	size_t len = off >= img->size ? 0 :
		     (img->size - off < blksize ? img->size - off : blksize);

	put16(pl, TFTP_DATA);
	put16(pl + 2, blk & 0xffff);
	memcpy(pl + 4, img->bytes + off, len);
	return build_udp_frame(f, fl, 0, blk & 0xffff, 0x4000, 64, pl, 4 + len);
}

static void flow_init(struct flow *fl, int family, int vlan)
{
	static const uint8_t cmac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0xc1 };
	static const uint8_t smac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x51 };

	memset(fl, 0, sizeof(*fl));
	fl->family = family;
	fl->vlan = vlan;
	fl->vid = vlan ? 100 : 0;
	memcpy(fl->client_mac, cmac, 6);
	memcpy(fl->server_mac, smac, 6);
	if (family == 4) {
		inet_pton(AF_INET, "198.18.0.2", fl->client_addr);
		inet_pton(AF_INET, "198.18.0.1", fl->server_addr);
	} else {
		inet_pton(AF_INET6, "2001:db8::2", fl->client_addr);
		inet_pton(AF_INET6, "2001:db8::1", fl->server_addr);
	}
	fl->client_port = 40001;
	fl->server_port = 50001;
}

/* ---- sessions and counters ---------------------------------------------- */

static void flow_key(const struct flow *fl, unsigned int ifindex, struct session_key *k)
{
	memset(k, 0, sizeof(*k));
	k->ifindex = ifindex;
	k->vlan_id = fl->vid;
	k->family = fl->family == 4 ? XT_FAMILY_INET : XT_FAMILY_INET6;
	memcpy(k->client_addr, fl->client_addr, fl->family == 4 ? 4 : 16);
	memcpy(k->server_addr, fl->server_addr, fl->family == 4 ? 4 : 16);
	k->client_port = htons(fl->client_port);
	k->server_port = htons(fl->server_port);
}

/* Let XDP transmit on ifindex, as the loader does on NICs that can grow
 * frames (without it XDP leaves new ACKs to TC: PASS_XDP_TX_OFF). */
static int xdp_tx_allow(unsigned int ifindex)
{
	struct xdp_tx_iface none = { 0 };
	__u32 key = ifindex;

	return bpf_map_update_elem(bpf_map__fd(skel->maps.xdp_tx_ifaces), &key, &none, BPF_ANY);
}

static int session_put(const struct flow *fl, unsigned int ifindex, const struct image *img,
		       uint16_t blksize, uint16_t window, uint32_t last_sent,
		       uint32_t last_acked, uint32_t state)
{
	struct session_value v;
	struct session_key k;

	memset(&v, 0, sizeof(v));
	v.image_size = img->size;
	v.first_chunk = img->first_chunk;
	v.image_id = 1;
	v.image_gen = 1;
	v.final_block = img->size / blksize + 1;
	v.blksize = blksize;
	v.windowsize = window;
	v.state = state;
	v.last_sent = last_sent;
	v.last_acked = last_acked;
	flow_key(fl, ifindex, &k);
	if (bpf_map_update_elem(bpf_map__fd(skel->maps.sessions), &k, &v, BPF_ANY)) {
		fprintf(stderr, "  session update: %s\n", strerror(errno));
		return -errno;
	}
	return 0;
}

static int session_get(const struct flow *fl, unsigned int ifindex, struct session_value *v)
{
	struct session_key k;

	flow_key(fl, ifindex, &k);
	if (bpf_map_lookup_elem(bpf_map__fd(skel->maps.sessions), &k, v))
		return -errno;
	return 0;
}

/* The clock of bpf_ktime_get_ns() (CLOCK_MONOTONIC), in ns. */
static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Set the session's loss-recovery fields (xtftp_rto.h): when its last DATA
 * went out, the turnaround estimate, the block resent last. */
static int session_timing(const struct flow *fl, unsigned int ifindex, uint64_t last_data_ns,
			  uint64_t srtt_ns, uint64_t rttvar_ns, uint32_t last_resent)
{
	struct session_value v;
	struct session_key k;

	flow_key(fl, ifindex, &k);
	if (bpf_map_lookup_elem(bpf_map__fd(skel->maps.sessions), &k, &v))
		return -errno;
	v.last_data_ns = last_data_ns;
	v.srtt_ns = srtt_ns;
	v.rttvar_ns = rttvar_ns;
	v.last_resent = last_resent;
	if (bpf_map_update_elem(bpf_map__fd(skel->maps.sessions), &k, &v, BPF_EXIST)) {
		fprintf(stderr, "  session update: %s\n", strerror(errno));
		return -errno;
	}
	return 0;
}

/* Name a block checksum table in the session (sums_put; 0: none). */
static int session_sums(const struct flow *fl, unsigned int ifindex, uint32_t sums_ref)
{
	struct session_value v;
	struct session_key k;

	flow_key(fl, ifindex, &k);
	if (bpf_map_lookup_elem(bpf_map__fd(skel->maps.sessions), &k, &v))
		return -errno;
	v.sums_ref = sums_ref;
	if (bpf_map_update_elem(bpf_map__fd(skel->maps.sessions), &k, &v, BPF_EXIST))
		return -errno;
	return 0;
}

static void session_del(const struct flow *fl, unsigned int ifindex)
{
	struct session_key k;

	flow_key(fl, ifindex, &k);
	bpf_map_delete_elem(bpf_map__fd(skel->maps.sessions), &k);
}

static uint64_t stat_read(enum xt_stat s)
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t vals[ncpu > 0 ? ncpu : 1], sum = 0;
	__u32 key = s;

	if (ncpu <= 0 || bpf_map_lookup_elem(bpf_map__fd(skel->maps.stats), &key, vals))
		return UINT64_MAX;
	for (int i = 0; i < ncpu; i++)
		sum += vals[i];
	return sum;
}

static uint64_t hist_count(enum xt_hist_id id)
{
	int ncpu = libbpf_num_possible_cpus();
	struct xt_hist *vals = calloc(ncpu > 0 ? ncpu : 1, sizeof(*vals));
	uint64_t n = 0;
	__u32 key = id;

	if (vals && ncpu > 0 && !bpf_map_lookup_elem(bpf_map__fd(skel->maps.hist), &key, vals))
		for (int i = 0; i < ncpu; i++)
			n += vals[i].count;
	free(vals);
	return n;
}

/* ---- running the programs ---------------------------------------------- */

struct run {
	int err;
	__u32 retval;
	__u32 size_out;
	__u32 duration;
	uint8_t out[FRAME_MAX];
};

static void run_prog(struct bpf_program *prog, const uint8_t *in, size_t len,
		     unsigned int ctx_ifindex, struct run *r)
{
	struct __sk_buff skb_ctx;
	LIBBPF_OPTS(bpf_test_run_opts, topts,
		.data_in = in, .data_size_in = len,
		.data_out = r->out, .data_size_out = sizeof(r->out),
		.repeat = 1);

	memset(r->out, 0, sizeof(r->out));
	if (ctx_ifindex) {
		memset(&skb_ctx, 0, sizeof(skb_ctx));
		skb_ctx.ifindex = ctx_ifindex;
		topts.ctx_in = &skb_ctx;
		topts.ctx_size_in = sizeof(skb_ctx);
	}
	r->err = bpf_prog_test_run_opts(bpf_program__fd(prog), &topts) ? -errno : 0;
	r->retval = topts.retval;
	r->size_out = topts.data_size_out;
	r->duration = topts.duration;
}

static void dump_diff(const uint8_t *got, size_t glen, const uint8_t *want, size_t wlen)
{
	size_t n = glen < wlen ? glen : wlen, shown = 0;

	fprintf(stderr, "  frame length got %zu want %zu\n", glen, wlen);
	for (size_t i = 0; i < n && shown < 8; i++)
		if (got[i] != want[i]) {
			fprintf(stderr, "  byte %zu: got %02x want %02x\n", i, got[i], want[i]);
			shown++;
		}
}

static void check_frame(const struct run *r, const uint8_t *want, size_t wlen)
{
	int same = r->size_out == wlen && !memcmp(r->out, want, wlen);

	CHECK(same, "output frame differs from the expected DATA frame");
	if (!same)
		dump_diff(r->out, r->size_out, want, wlen);
}

/* ---- setting up and reporting --------------------------------------------- */

/* Run fn on every case of a table of structs with a .name, one PASS/FAIL
 * line each. */
#define RUN_CASES(table, fn)							\
	do {									\
		for (size_t i_ = 0; i_ < sizeof(table) / sizeof((table)[0]); i_++) {	\
			fn(&(table)[i_]);					\
			report((table)[i_].name);				\
		}								\
	} while (0)

/* One PASS/FAIL line for the subtest just run; resets the failure flag. */
static void report(const char *name)
{
	printf("%s %s\n", subtest_failed ? "FAIL" : "PASS", name);
	fflush(stdout);
	if (subtest_failed)
		n_fail++;
	else
		n_pass++;
	subtest_failed = 0;
}

static int libbpf_quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

/* Undo harness_load (safe on a partly done one). */
static void harness_unload(void)
{
	xtftp_bpf__destroy(skel);
	skel = NULL;
	free(img_a.bytes);
	free(img_b.bytes);
	free(img_c.bytes);
	img_a.bytes = img_b.bytes = img_c.bytes = NULL;
}

/*
 * Open and load the skeleton with a POOL_CHUNKS pool (the running kernel's
 * verifier passes both programs here), let XDP transmit on lo, and fill the
 * pool with images A, B and C. 0 when ready; 77 with a "skipped:" line when
 * not root or BPF is unavailable; 1 with the cause on stderr on failure.
 */
static int harness_load(void)
{
	int err, ret = 1;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (geteuid() != 0) {
		printf("skipped: BPF_PROG_TEST_RUN needs root\n");
		return 77;
	}
	libbpf_set_print(libbpf_quiet);
	lo_ifindex = if_nametoindex("lo");
	skel = xtftp_bpf__open();
	if (!skel) {
		printf("skipped: cannot open the BPF object: %s\n", strerror(errno));
		return 77;
	}
	bpf_map__set_max_entries(skel->maps.image_pool, POOL_CHUNKS);
	err = xtftp_bpf__load(skel);
	if (err) {
		if (err == -EPERM || err == -ENOSYS) {
			printf("skipped: BPF unavailable here (%s)\n", strerror(-err));
			ret = 77;
			goto cleanup;
		}
		fprintf(stderr, "loading the programs failed (verifier?): %s\n", strerror(-err));
		goto cleanup;
	}
	if (xdp_tx_allow(lo_ifindex)) {
		fprintf(stderr, "cannot fill xdp_tx_ifaces: %s\n", strerror(errno));
		goto cleanup;
	}
	image_generate(&img_a, 0x12345678);
	image_generate(&img_b, 0x9abcdef1);
	image_generate(&img_c, 0x0badf00d);
	err = pool_put_images();
	if (err) {
		fprintf(stderr, "filling the pool: %s\n", strerror(-err));
		goto cleanup;
	}
	return 0;
cleanup:
	harness_unload();
	return ret;
}

/* harness_load, and the first subtest: every program passed this
 * kernel's verifier. 0, or harness_load's 77 / 1. */
static int harness_start(void)
{
	int err = harness_load();

	if (err)
		return err;
	printf("PASS load_and_verify\n");
	n_pass++;
	return 0;
}

/* harness_unload, the summary line; the exit status. */
static int harness_finish(void)
{
	harness_unload();
	printf("%d subtests passed, %d failed\n", n_pass, n_fail);
	return n_fail ? 1 : 0;
}

#pragma GCC diagnostic pop

#endif /* XT_TESTS_BPF_HARNESS_H */
