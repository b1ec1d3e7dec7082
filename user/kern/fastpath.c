// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The loader: the daemon side of the kernel tiers. Loads the skeleton,
 * sizes and maps the image pool, attaches to interfaces (attach.c), and owns
 * the session map, the event ring buffer and the per-CPU stats.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "xtftp_block.h"
#include "xtftp_ack.h"
#include "fastpath.h"
#include "attach.h"
#include "resend.h"
#include "util/log.h"
#include "files/pool.h"
#include "xtftp.skel.h"

/* Enough for the tail of any verifier log that matters (the kernel keeps
 * the end of the log when it does not fit). */
#define VERIFIER_LOG_SIZE (4u << 20)

struct fastpath {
	struct xtftp_bpf *skel;
	uint8_t *pool_mem;          /* mmapped image_pool map */
	size_t pool_len;
	struct image_pool pool;
	struct ring_buffer *rb;
	fastpath_event_cb drain_cb; /* valid during fastpath_events_drain */
	void *drain_ctx;
	struct if_attach *ifs;
	unsigned int n_ifs;
	int ncpus;
	struct resend_sockets resend;
};

/* Why the kernel tiers are not loaded (status, --check-config); "" when
 * they are, or before the first fastpath_open. */
static char off_reason[400];
/* What libbpf said last about a failure we report in our own words. */
static char failed_prog[64];        /* "prog 'NAME': BPF program load failed" */
static int libbpf_verbose;

/* Every libbpf message passes here: the failing program's name is kept for
 * our one-line report, and the text goes to stderr only at -vv. */
static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char line[512];
	va_list copy;

	(void)level;
	va_copy(copy, ap);
	vsnprintf(line, sizeof(line), fmt, copy);
	va_end(copy);
	if (!strncmp(line, "libbpf: prog '", 14) && strstr(line, "load failed")) {
		const char *end = strchr(line + 14, '\'');

		if (end)
			snprintf(failed_prog, sizeof(failed_prog), "%.*s", (int)(end - line - 14),
				 line + 14);
	}
	return libbpf_verbose ? vfprintf(stderr, fmt, ap) : 0;
}

void fastpath_set_off_reason(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(off_reason, sizeof(off_reason), fmt, ap);
	va_end(ap);
}

const char *fastpath_off_reason(void)
{
	return off_reason[0] ? off_reason : "not loaded";
}

/* The verifier's verdict: the last line of its log that is not the
 * closing statistics ("processed N insns ..."). */
static void verifier_last_error(const char *vlog, char *out, size_t len)
{
	const char *end = vlog + strlen(vlog), *line_end, *start;

	out[0] = '\0';
	while (end > vlog) {
		while (end > vlog && (end[-1] == '\n' || end[-1] == ' '))
			end--;
		line_end = end;
		start = end;
		while (start > vlog && start[-1] != '\n')
			start--;
		end = start;
		if (line_end == start || !strncmp(start, "processed ", 10) ||
		    !strncmp(start, "verification time", 17) || !strncmp(start, "stack depth", 11))
			continue;
		snprintf(out, len, "%.*s", (int)(line_end - start), start);
		return;
	}
}

static int write_verifier_log(const char *path, const char *log)
{
	FILE *f;
	int err = 0;

	f = fopen(path, "w");
	if (!f)
		return -errno;
	if (fputs(log, f) == EOF)
		err = -EIO;
	if (fclose(f) && !err)
		err = -errno;
	return err;
}

/* One line saying why loading failed and what the user can do (and the
 * same, shorter, for status: fastpath_off_reason). */
static void report_load_failure(const struct fastpath_config *cfg, int err,
				const char *vlog, uint64_t pool_bytes)
{
	int have_log = vlog && vlog[0];
	int werr = -ENOENT;
	char verdict[200], release[65] = "?";
	const char *prog = failed_prog[0] ? failed_prog : "a program";
	struct utsname un;

	if (uname(&un) == 0)
		snprintf(release, sizeof(release), "%s", un.release);
	if (err == -EPERM && !have_log) {
		fastpath_set_off_reason("not permitted to load BPF (needs root or CAP_BPF, "
					"CAP_NET_ADMIN, CAP_PERFMON)");
		log_warn("cannot load BPF: not permitted (needs root or CAP_BPF+CAP_NET_ADMIN); "
			 "serving from userspace");
		return;
	}
	if (have_log && (strstr(vlog, "unknown func") || strstr(vlog, "invalid func"))) {
		verifier_last_error(vlog, verdict, sizeof(verdict));
		fastpath_set_off_reason("kernel %s lacks a helper %s needs (%s); 6.1 is the "
					"oldest supported", release, prog, verdict);
		log_warn("cannot load BPF: kernel %s lacks a helper %s needs (%s): xtftpd's kernel "
			 "tiers need Linux 6.1 or later (Debian 12's); serving from userspace",
			 release, prog, verdict);
		return;
	}
	if (!have_log && err == -ENOMEM) {
		fastpath_set_off_reason("out of memory for the %llu MiB image pool",
					(unsigned long long)(pool_bytes >> 20));
		log_warn("cannot load BPF: out of memory creating the %llu MiB image pool "
			 "(lower --pool-size); serving from userspace",
			 (unsigned long long)(pool_bytes >> 20));
		return;
	}
	if (!have_log) {
		fastpath_set_off_reason("cannot load BPF: %s", strerror(-err));
		log_warn("cannot load BPF: %s (run with -vv for libbpf's detail); "
			 "serving from userspace", strerror(-err));
		return;
	}
	verifier_last_error(vlog, verdict, sizeof(verdict));
	if (cfg->verifier_log)
		werr = write_verifier_log(cfg->verifier_log, vlog);
	fastpath_set_off_reason("the verifier of kernel %s rejected %s: %s", release, prog,
				verdict);
	log_warn("cannot load BPF: the verifier of kernel %s rejected %s (%s): \"%s\"; %s%s%s; "
		 "serving from userspace", release, prog, strerror(-err), verdict,
		 werr ? "give --verifier-log FILE for the whole log" : "whole log in ",
		 werr ? "" : cfg->verifier_log,
		 " and report it: xtftpd must load on every kernel from 6.1 on");
}

static int map_pool(struct fastpath *fp)
{
	const struct bpf_map *map = fp->skel->maps.image_pool;
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	uint32_t n = bpf_map__max_entries(map);
	void *mem;
	int err;

	if (bpf_map__value_size(map) != XT_CHUNK_SIZE) {
		log_err("BPF object and daemon disagree on the pool chunk size (%u != %u): "
			"rebuild both from one tree", bpf_map__value_size(map), XT_CHUNK_SIZE);
		return -EPROTO;
	}
	fp->pool_len = ((size_t)n * XT_CHUNK_SIZE + page - 1) / page * page;
	mem = mmap(NULL, fp->pool_len, PROT_READ | PROT_WRITE, MAP_SHARED,
		   bpf_map__fd(map), 0);
	if (mem == MAP_FAILED) {
		err = -errno;
		log_warn("cannot map the BPF image pool: %s; serving from userspace",
			 strerror(-err));
		return err;
	}
	fp->pool_mem = mem;
	err = image_pool_init(&fp->pool, mem, n);
	if (err)
		log_err("image pool bookkeeping: %s", strerror(-err));
	return err;
}

int fastpath_open_pool_only(uint64_t pool_bytes, struct fastpath **out)
{
	uint64_t n_chunks = (pool_bytes ? pool_bytes : XT_POOL_DEFAULT_BYTES) / XT_CHUNK_DATA;
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	struct fastpath *fp = NULL;
	void *mem;
	int err;

	*out = NULL;
	if (!n_chunks)
		n_chunks = 1;
	if (n_chunks > UINT32_MAX / 2 || n_chunks > SIZE_MAX / XT_CHUNK_SIZE - 1) {
		log_warn("--pool-size too large: no image pool; running transfers read the "
			 "file and end if it changes (lower --pool-size)");
		return -E2BIG;
	}
	fp = calloc(1, sizeof(*fp));
	if (!fp) {
		err = -ENOMEM;
		goto fail;
	}
	resend_init(&fp->resend);
	fp->pool_len = ((size_t)n_chunks * XT_CHUNK_SIZE + page - 1) / page * page;
	/* Anonymous and lazy: only the chunks of images actually loaded cost
	 * memory, so the pool's size is a ceiling, not an allocation. */
	mem = mmap(NULL, fp->pool_len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (mem == MAP_FAILED) {
		err = -errno;
		goto fail;
	}
	fp->pool_mem = mem;
	err = image_pool_init(&fp->pool, mem, (uint32_t)n_chunks);
	if (err)
		goto fail;
	*out = fp;
	return 0;
fail:
	log_warn("cannot create the %llu MiB image pool: %s; running transfers read the file "
		 "and end if it changes (lower --pool-size)",
		 (unsigned long long)((n_chunks * XT_CHUNK_DATA) >> 20), strerror(-err));
	fastpath_close(fp);
	return err;
}

int fastpath_uses_legacy_tc(const struct fastpath *fp)
{
	unsigned int i;

	for (i = 0; fp && i < fp->n_ifs; i++)
		if (fp->ifs[i].tc_mode == ATTACH_TC_LEGACY)
			return 1;
	return 0;
}

int fastpath_kernel_active(const struct fastpath *fp)
{
	return fp && fp->skel;
}

static int on_ringbuf_event(void *ctx, void *data, size_t size)
{
	struct fastpath *fp = ctx;
	struct xt_event ev;

	if (size < sizeof(ev) || !fp->drain_cb)
		return 0; /* short record from a mismatched program: skip it */
	memcpy(&ev, data, sizeof(ev)); /* ring records are only 8-byte aligned */
	fp->drain_cb(fp->drain_ctx, &ev);
	return 0;
}

static int attach_all(struct fastpath *fp, const struct fastpath_config *cfg)
{
	int xdp_fd = bpf_program__fd(fp->skel->progs.xdp_tftp);
	int tc_fd = bpf_program__fd(fp->skel->progs.tc_tftp);
	unsigned int i, attached = 0;
	int err, first_err = -ENODEV;

	fp->ifs = calloc(cfg->n_ifnames, sizeof(*fp->ifs));
	if (!fp->ifs)
		return -ENOMEM;
	for (i = 0; i < cfg->n_ifnames; i++) {
		struct if_attach *ia = &fp->ifs[i];
		char what[512];

		err = attach_interface(ia, cfg->ifnames[i], xdp_fd, tc_fd,
				       (enum attach_xdp_request)cfg->xdp_request);
		fp->n_ifs = i + 1;
		if (err) {
			if (err == -ENODEV || !ia->ifindex)
				log_warn("%s: no such interface; the kernel tiers skip it",
					 cfg->ifnames[i]);
			else
				log_warn("%s: cannot attach TC: %s (is another program holding "
					 "the clsact qdisc?); served from userspace",
					 cfg->ifnames[i], strerror(-err));
			if (first_err == -ENODEV)
				first_err = err;
			continue;
		}
		attached++;
		if (attach_resend(ia, bpf_program__fd(fp->skel->progs.tc_resend)))
			log_warn("%s: cannot attach the resend program at TC egress (%s); the "
				 "daemon's timer resends from userspace here", ia->name,
				 strerror(-ia->resend_err));
		else if (fp->resend.fd4 < 0 && fp->resend.fd6 < 0 &&
			 (err = resend_open(&fp->resend)) != 0)
			log_warn("cannot open the resend request sockets (%s); the daemon's timer "
				 "resends from userspace", strerror(-err));
		if (ia->xdp_link_fd >= 0 && ia->xdp_may_tx) {
			struct xdp_tx_iface none = { 0 };
			__u32 key = ia->ifindex;

			/* Let XDP transmit here; elsewhere it leaves DATA to TC. */
			if (bpf_map_update_elem(bpf_map__fd(fp->skel->maps.XT_MAP_XDP_TX),
						&key, &none, BPF_ANY))
				ia->xdp_may_tx = 0;
		}
		attach_describe_refusal(ia, what, sizeof(what));
		if (what[0])
			log_warn("%s: %s; using %s", ia->name, what,
				 ia->xdp_mode == ATTACH_XDP_GENERIC ? "generic XDP" : "TC");
		attach_describe(ia, what, sizeof(what));
		log_info("%s: %s%s", ia->name, what,
			 ia->stale_removed ? " (removed a TC filter left by an earlier run)" : "");
	}
	return attached ? 0 : first_err;
}

int fastpath_load_skel(int verbose, uint32_t n_chunks, char *vlog, size_t vlog_size,
		       struct xtftp_bpf **out)
{
	LIBBPF_OPTS(bpf_object_open_opts, open_opts);
	struct xtftp_bpf *skel;
	int err;

	libbpf_verbose = verbose;
	libbpf_set_print(libbpf_print);
	failed_prog[0] = '\0';
	off_reason[0] = '\0';
	vlog[0] = '\0';
	/* Level 0 with a buffer: libbpf loads without a log and reloads a
	 * failing program with log level 1 into vlog. */
	open_opts.kernel_log_buf = vlog;
	open_opts.kernel_log_size = vlog_size;
	open_opts.kernel_log_level = 0;
	*out = NULL;
	skel = xtftp_bpf__open_opts(&open_opts);
	if (!skel)
		return -errno;
	err = bpf_map__set_max_entries(skel->maps.image_pool, n_chunks ? n_chunks : 1);
	if (err) {
		xtftp_bpf__destroy(skel);
		return err;
	}
	*out = skel;
	return xtftp_bpf__load(skel);
}

void fastpath_load_verdict(const char *vlog, char *out, size_t len)
{
	verifier_last_error(vlog, out, len);
}

const char *fastpath_failed_prog(void)
{
	return failed_prog[0] ? failed_prog : "a program";
}

int fastpath_open(const struct fastpath_config *cfg, struct fastpath **out)
{
	uint64_t pool_bytes = cfg->pool_bytes ? cfg->pool_bytes : XT_POOL_DEFAULT_BYTES;
	uint64_t n_chunks = pool_bytes / XT_CHUNK_DATA;
	struct fastpath *fp = NULL;
	char *vlog = NULL;
	int err;

	*out = NULL;
	off_reason[0] = '\0';
	if (!cfg->n_ifnames) {
		fastpath_set_off_reason("no interface to attach to (-i IFNAME)");
		log_info("kernel tiers off: no interface given (-i); serving from userspace");
		return -ENODEV;
	}
	if (!n_chunks)
		n_chunks = 1;
	if (n_chunks > UINT32_MAX / 2) {
		log_warn("--pool-size too large; serving from userspace");
		return -E2BIG;
	}

	fp = calloc(1, sizeof(*fp));
	vlog = calloc(1, VERIFIER_LOG_SIZE);
	if (fp)
		resend_init(&fp->resend);
	if (!fp || !vlog) {
		err = -ENOMEM;
		log_err("cannot load BPF: out of memory");
		goto cleanup;
	}
	err = fastpath_load_skel(cfg->verbose, (uint32_t)n_chunks, vlog, VERIFIER_LOG_SIZE,
				 &fp->skel);
	if (err) {
		if (fp->skel)
			report_load_failure(cfg, err, vlog, n_chunks * XT_CHUNK_DATA);
		else
			log_warn("cannot open the BPF object: %s; serving from userspace",
				 strerror(-err));
		goto cleanup;
	}
	free(vlog);
	vlog = NULL;

	fp->ncpus = libbpf_num_possible_cpus();
	if (fp->ncpus <= 0) {
		err = fp->ncpus ? fp->ncpus : -EINVAL;
		log_err("cannot count possible CPUs: %s", strerror(-err));
		goto cleanup;
	}
	err = map_pool(fp);
	if (err)
		goto cleanup;
	fp->rb = ring_buffer__new(bpf_map__fd(fp->skel->maps.events), on_ringbuf_event, fp, NULL);
	if (!fp->rb) {
		err = -errno;
		log_warn("cannot open the BPF event ring: %s; serving from userspace",
			 strerror(-err));
		goto cleanup;
	}
	err = attach_all(fp, cfg);
	if (err) {
		fastpath_set_off_reason("attached to no interface (the log says why, per "
					"interface)");
		log_warn("kernel tiers off: no interface attached; serving from userspace");
		goto cleanup;
	}
	*out = fp;
	fp = NULL;
cleanup:
	if (err && !off_reason[0])
		fastpath_set_off_reason("cannot set up the kernel tiers: %s", strerror(-err));
	free(vlog);
	fastpath_close(fp);
	return err;
}

void fastpath_close(struct fastpath *fp)
{
	unsigned int i;

	if (!fp)
		return;
	for (i = 0; i < fp->n_ifs; i++)
		detach_interface(&fp->ifs[i]);
	free(fp->ifs);
	resend_close(&fp->resend);
	ring_buffer__free(fp->rb);
	if (fp->pool_mem) {
		image_pool_fini(&fp->pool);
		munmap(fp->pool_mem, fp->pool_len);
	}
	xtftp_bpf__destroy(fp->skel);
	free(fp);
}

static const struct if_attach *find_if(const struct fastpath *fp, unsigned int ifindex)
{
	unsigned int i;

	if (!fp)
		return NULL;
	for (i = 0; i < fp->n_ifs; i++)
		if (fp->ifs[i].ifindex == ifindex && fp->ifs[i].tc_mode != ATTACH_TC_NONE)
			return &fp->ifs[i];
	return NULL;
}

int fastpath_xdp_growth(const struct fastpath *fp, unsigned int ifindex,
			struct xdp_tx_iface *out)
{
	struct xdp_tx_iface v = { 0 };
	__u32 key = ifindex;

	if (out)
		*out = v;
	if (!fastpath_kernel_active(fp) ||
	    bpf_map_lookup_elem(bpf_map__fd(fp->skel->maps.XT_MAP_XDP_TX), &key, &v))
		return 0;
	if (out)
		*out = v;
	/* A failure wins: full DATA frames are the longer ones. */
	if (v.grow_fail_len)
		return -1;
	return v.grow_ok_len ? 1 : 0;
}

enum fastpath_tier fastpath_tier(const struct fastpath *fp, unsigned int ifindex)
{
	const struct if_attach *ia = find_if(fp, ifindex);

	if (!ia)
		return FP_TIER_NONE;
	/* XDP that may not transmit here, or has found that frames cannot
	 * grow, only counts and passes: TC is what serves there (fastpath.h) */
	if (!ia->xdp_may_tx || fastpath_xdp_growth(fp, ifindex, NULL) < 0)
		return ia->tc_mode != ATTACH_TC_NONE ? FP_TIER_TC : FP_TIER_NONE;
	switch (ia->xdp_mode) {
	case ATTACH_XDP_NATIVE:
		return FP_TIER_XDP_NATIVE_TC;
	case ATTACH_XDP_GENERIC:
		return FP_TIER_XDP_GENERIC_TC;
	default:
		return FP_TIER_TC;
	}
}

/* Header bytes in front of a DATA payload: IP + UDP + TFTP (MTU counts
 * from the IP header; a VLAN tag is not counted against it). */
static unsigned int data_overhead(int family)
{
	return (family == XT_FAMILY_INET ? 20u : 40u) + 8u + 4u;
}

int fastpath_can_serve_frame(const struct fastpath *fp, unsigned int ifindex, int family,
			     unsigned int blksize, unsigned int windowsize)
{
	const struct if_attach *ia = find_if(fp, ifindex);

	if (!ia || blksize < 8 || blksize > XT_KERN_MAX_BLKSIZE)
		return 0;
	if (windowsize < 1 || windowsize > XT_KERN_MAX_WINDOW)
		return 0;
	if (data_overhead(family) + blksize > ia->mtu)
		return 0;
	/* TC serves everything; XDP alone would need growable frames. */
	return ia->tc_mode != ATTACH_TC_NONE || (ia->xdp_may_tx && windowsize == 1);
}

int fastpath_can_serve(const struct fastpath *fp, unsigned int ifindex,
		       unsigned int blksize, unsigned int windowsize)
{
	const struct if_attach *ia = find_if(fp, ifindex);

	/* Worst case frame: Ethernet + VLAN + IPv6 + UDP + TFTP + blksize
	 * must fit MTU + Ethernet header. */
	if (!ia || 14u + 4u + 40u + 8u + 4u + blksize > ia->mtu + 14u)
		return 0;
	return fastpath_can_serve_frame(fp, ifindex, XT_FAMILY_INET6, blksize, windowsize);
}

int fastpath_image_acquire(struct fastpath *fp, int fd, const struct stat *st,
			   const struct loaded_image **img)
{
	*img = NULL;
	if (!fp)
		return -EOPNOTSUPP;
	return image_pool_acquire(&fp->pool, fd, st, img);
}

void fastpath_image_release(struct fastpath *fp, const struct loaded_image *img)
{
	if (fp && img)
		image_pool_release(&fp->pool, img);
}

const struct loaded_image *fastpath_image_next(const struct fastpath *fp,
						 const struct loaded_image *prev)
{
	return fp ? image_pool_next(&fp->pool, prev) : NULL;
}

int fastpath_image_acquire_named(struct fastpath *fp, int fd, const struct stat *st,
				 const char *name, const struct loaded_image **img)
{
	*img = NULL;
	if (!fp)
		return -EOPNOTSUPP;
	return image_pool_acquire_named(&fp->pool, fd, st, name, img);
}

void fastpath_image_retire(struct fastpath *fp, const struct loaded_image *img)
{
	if (fp)
		image_pool_retire(&fp->pool, img);
}

int fastpath_image_hash_step(struct fastpath *fp, uint64_t budget)
{
	return fp ? image_pool_hash_step(&fp->pool, budget) : 0;
}

const uint8_t *fastpath_image_sha256(struct fastpath *fp, const struct loaded_image *img)
{
	return image_pool_sha256(&fp->pool, img);
}

const char *fastpath_image_name(const struct loaded_image *img)
{
	return image_pool_name(img);
}

int fastpath_image_stale(const struct loaded_image *img)
{
	return image_pool_stale(img);
}

int fastpath_pool_stats(const struct fastpath *fp, struct fastpath_pool_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (!fp)
		return -EOPNOTSUPP;
	out->bytes_total = (uint64_t)fp->pool.n_chunks * XT_CHUNK_DATA;
	out->bytes_free = (uint64_t)chunk_alloc_free_chunks(&fp->pool.alloc) * XT_CHUNK_DATA;
	out->hits = fp->pool.hits;
	out->loads = fp->pool.loads;
	out->evictions = fp->pool.evictions;
	out->images = image_pool_count(&fp->pool);
	return 0;
}

int fastpath_image_read(const struct fastpath *fp, const struct loaded_image *img,
			uint64_t off, void *buf, size_t len)
{
	if (!fp)
		return -EOPNOTSUPP;
	return image_pool_read(&fp->pool, img, off, buf, len);
}

void fastpath_session_init(struct session_value *val, const struct loaded_image *img,
			   unsigned int blksize, unsigned int windowsize, uint32_t first_sent)
{
	struct timespec now;

	memset(val, 0, sizeof(*val));
	val->image_size = img->size;
	val->first_chunk = img->first_chunk;
	val->image_id = img->id;
	val->image_gen = img->gen;
	val->blksize = (__u16)blksize;
	val->windowsize = (__u16)(windowsize ? windowsize : 1);
	val->final_block = blksize ? xt_final_block(img->size, blksize) : 0;
	val->state = XT_SESS_ACTIVE;
	val->last_sent = first_sent;
	val->last_acked = first_sent - 1; /* (__u32)-1: OACK outstanding */
	/* Same clock as bpf_ktime_get_ns(). */
	clock_gettime(CLOCK_MONOTONIC, &now);
	val->start_ns = (__u64)now.tv_sec * 1000000000ull + (__u64)now.tv_nsec;
	val->last_data_ns = val->start_ns;
}

/* Every session, inject and stats call below needs the BPF object: a
 * pool-only fastpath (fastpath_open_pool_only) answers -EOPNOTSUPP. */
static int sessions_fd(const struct fastpath *fp)
{
	return bpf_map__fd(fp->skel->maps.sessions);
}

int fastpath_session_start(struct fastpath *fp, const struct session_key *key,
			   const struct session_value *val)
{
	struct session_value v = *val;
	const struct loaded_image *img;

	if (!fastpath_kernel_active(fp))
		return -EOPNOTSUPP;
	/* The image's block checksums for this blksize, so the kernel adds
	 * headers to a stored sum per ACK instead of summing the payload
	 * (issue 19); without room for the table it sums (sums_ref 0). */
	img = image_pool_find(&fp->pool, v.first_chunk, v.image_id, v.image_gen);
	if (!img || image_pool_block_sums(&fp->pool, img, v.blksize, &v.sums_ref))
		v.sums_ref = 0;
	/* BPF_ANY: a client reusing its port replaces its earlier session. */
	return bpf_map_update_elem(sessions_fd(fp), key, &v, BPF_ANY);
}

int fastpath_session_get(const struct fastpath *fp, const struct session_key *key,
			 struct session_value *val)
{
	if (!fastpath_kernel_active(fp))
		return -EOPNOTSUPP;
	return bpf_map_lookup_elem(sessions_fd(fp), key, val);
}

int fastpath_kernel_resend(struct fastpath *fp, const struct session_key *key, uint32_t block)
{
	const struct if_attach *ia = fastpath_kernel_active(fp) ? find_if(fp, key->ifindex) : NULL;

	if (!ia || ia->resend_mode == ATTACH_TC_NONE)
		return -EOPNOTSUPP;
	return resend_via_kernel(&fp->resend, sessions_fd(fp), key, block);
}

int fastpath_session_pause(struct fastpath *fp, const struct session_key *key)
{
	struct session_value val;
	int err;

	if (!fastpath_kernel_active(fp))
		return -EOPNOTSUPP;
	err = bpf_map_lookup_elem(sessions_fd(fp), key, &val);
	if (err)
		return err;
	val.state = XT_SESS_PAUSED;
	/* Read-modify-write: an ACK the kernel answers in between is lost from
	 * last_sent; userspace pauses a session only when it stalled, so none
	 * is in flight. BPF_EXIST: never resurrect an ended session. */
	return bpf_map_update_elem(sessions_fd(fp), key, &val, BPF_EXIST);
}

int fastpath_session_resume(struct fastpath *fp, const struct session_key *key,
			    uint32_t last_sent, int32_t last_acked, uint64_t srtt_ns,
			    uint64_t rttvar_ns)
{
	struct session_value val;
	struct timespec now;
	int err;

	if (!fastpath_kernel_active(fp))
		return -EOPNOTSUPP;
	err = bpf_map_lookup_elem(sessions_fd(fp), key, &val);
	if (err)
		return err;
	if (val.state != XT_SESS_PAUSED)
		return -EINVAL;
	clock_gettime(CLOCK_MONOTONIC, &now);
	val.last_sent = last_sent;
	val.last_acked = (__u32)last_acked;
	val.srtt_ns = srtt_ns;
	val.rttvar_ns = rttvar_ns;
	val.last_resent = 0;
	val.last_data_ns = (__u64)now.tv_sec * 1000000000ull + (__u64)now.tv_nsec;
	val.last_ack_ns = val.last_data_ns;
	val.state = XT_SESS_ACTIVE;
	/* paused: the kernel writes nothing meanwhile, so this read-modify-
	 * write loses nothing. BPF_EXIST: never resurrect an ended session. */
	return bpf_map_update_elem(sessions_fd(fp), key, &val, BPF_EXIST);
}

int fastpath_session_end(struct fastpath *fp, const struct session_key *key)
{
	if (!fastpath_kernel_active(fp))
		return -EOPNOTSUPP;
	return bpf_map_delete_elem(sessions_fd(fp), key);
}

int fastpath_events_fd(const struct fastpath *fp)
{
	if (!fp || !fp->rb)
		return -1;
	return ring_buffer__epoll_fd(fp->rb);
}

int fastpath_events_drain(struct fastpath *fp, fastpath_event_cb cb, void *ctx)
{
	int n;

	if (!fp || !fp->rb)
		return 0;
	fp->drain_cb = cb;
	fp->drain_ctx = ctx;
	n = ring_buffer__consume(fp->rb);
	fp->drain_cb = NULL;
	fp->drain_ctx = NULL;
	return n;
}

int fastpath_set_inject(struct fastpath *fp, const struct xt_inject *cfg)
{
	__u32 key = 0;

	if (!fastpath_kernel_active(fp))
		return -EOPNOTSUPP;
	if (bpf_map_update_elem(bpf_map__fd(fp->skel->maps.XT_MAP_INJECT), &key, cfg, BPF_ANY))
		return -errno;
	return 0;
}

int fastpath_read_stats(const struct fastpath *fp, uint64_t out[XT_STAT_MAX])
{
	uint64_t *percpu;
	__u32 key;
	int err = 0, cpu;

	memset(out, 0, XT_STAT_MAX * sizeof(out[0]));
	if (!fastpath_kernel_active(fp))
		return -EOPNOTSUPP;
	percpu = calloc((size_t)fp->ncpus, sizeof(*percpu));
	if (!percpu)
		return -ENOMEM;
	for (key = 0; key < XT_STAT_MAX; key++) {
		err = bpf_map_lookup_elem(bpf_map__fd(fp->skel->maps.stats), &key, percpu);
		if (err)
			goto cleanup;
		for (cpu = 0; cpu < fp->ncpus; cpu++)
			out[key] += percpu[cpu];
	}
cleanup:
	free(percpu);
	return err;
}

int fastpath_read_hist(const struct fastpath *fp, enum xt_hist_id id, struct xt_hist *out)
{
	struct xt_hist *percpu;
	__u32 key = (__u32)id;
	int err, cpu, b;

	memset(out, 0, sizeof(*out));
	if (!fastpath_kernel_active(fp))
		return -EOPNOTSUPP;
	if ((unsigned int)id >= XT_HIST_MAX)
		return -EINVAL;
	/* Per-CPU values are laid out every round_up(value_size, 8) bytes;
	 * struct xt_hist is a multiple of 8 already. */
	percpu = calloc((size_t)fp->ncpus, sizeof(*percpu));
	if (!percpu)
		return -ENOMEM;
	err = bpf_map_lookup_elem(bpf_map__fd(fp->skel->maps.hist), &key, percpu);
	if (err)
		goto cleanup;
	for (cpu = 0; cpu < fp->ncpus; cpu++) {
		for (b = 0; b < XT_HIST_BUCKETS; b++)
			out->bucket[b] += percpu[cpu].bucket[b];
		out->sum_ns += percpu[cpu].sum_ns;
		out->count += percpu[cpu].count;
	}
cleanup:
	free(percpu);
	return err;
}

const char *fastpath_stat_name(enum xt_stat s)
{
	static const char *const names[XT_STAT_MAX] = {
#define XT_STAT_NAME(id, name, ctl_name, help) [XT_STAT_##id] = name,
		XT_STATS(XT_STAT_NAME)
#undef XT_STAT_NAME
	};

	if ((unsigned int)s >= XT_STAT_MAX || !names[s])
		return "unknown";
	return names[s];
}

const char *fastpath_tier_name(enum fastpath_tier t)
{
	switch (t) {
	case FP_TIER_TC:
		return "TC";
	case FP_TIER_XDP_GENERIC_TC:
		return "XDP generic + TC";
	case FP_TIER_XDP_NATIVE_TC:
		return "XDP native + TC";
	default:
		return "none";
	}
}
