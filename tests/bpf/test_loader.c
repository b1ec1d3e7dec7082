// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The loader against the real kernel: load, attach to a veth in a private
 * network namespace, fill the pool, drive the session map, read stats,
 * detach. Needs root (exit 77 otherwise).
 *
 *   test_loader                 the self-test (own netns, removed on exit)
 *   test_loader --hold-legacy IFNAME  the same with legacy clsact filters (a
 *                               kernel without tcx; killed, it leaves them)
 *   test_loader --query IFNAME  print what is attached: "xdp=NAME/MODE tc=NAME,...
 *                               legacy=NAME egress=NAME,... legacy_egress=NAME"
 *   test_loader --hold IFNAME   fastpath_open on IFNAME with XDP on (also on
 *                               veth), print "ready", wait for SIGTERM (used
 *                               by the kill -9 test)
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <arpa/inet.h>
#include <linux/bpf.h>
#include <linux/if_link.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "kern/fastpath.h"
#include "kern/attach.h"
#include "util/log.h"
#include "util/sha256.h"

static int failures;

#define CHECK(cond, ...) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
		fprintf(stderr, __VA_ARGS__);				\
		fputc('\n', stderr);					\
		failures++;						\
	}								\
} while (0)

static int prog_name(__u32 id, char *name, size_t len)
{
	struct bpf_prog_info info;
	__u32 ilen = sizeof(info);
	int fd, err;

	fd = bpf_prog_get_fd_by_id(id);
	if (fd < 0)
		return -errno;
	memset(&info, 0, sizeof(info));
	err = bpf_obj_get_info_by_fd(fd, &info, &ilen);
	close(fd);
	if (err)
		return err;
	snprintf(name, len, "%s", info.name);
	return 0;
}

/* Program ids attached at tcx ingress or egress (kernel 6.6+), count or -errno. */
static int tcx_query(unsigned int ifindex, __u32 attach_type, __u32 *ids, __u32 max)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.query.target_fd = ifindex; /* target_ifindex in 6.6 uapi */
	attr.query.attach_type = attach_type;
	attr.query.prog_ids = (__u64)(unsigned long)ids;
	attr.query.prog_cnt = max;
	if (syscall(__NR_bpf, BPF_PROG_QUERY, &attr, sizeof(attr)) < 0)
		return -errno;
	return (int)attr.query.prog_cnt;
}

/* The names of the programs attached at one tcx attach point, comma
 * separated, into out ("-" for none). */
static void tcx_names(unsigned int ifindex, __u32 attach_type, char *out, size_t len)
{
	char name[32];
	__u32 ids[8];
	int n, i;

	snprintf(out, len, "-");
	n = tcx_query(ifindex, attach_type, ids, 8);
	for (i = 0; i < n; i++) {
		size_t used = i ? strlen(out) : 0;

		if (prog_name(ids[i], name, sizeof(name)))
			snprintf(name, sizeof(name), "id%u", ids[i]);
		snprintf(out + used, len - used, "%s%s", i ? "," : "", name);
	}
}

/* The name of our legacy clsact filter's program at one attach point. */
static void legacy_name(unsigned int ifindex, enum bpf_tc_attach_point where, char *out,
			size_t len)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = (int)ifindex, .attach_point = where);
	LIBBPF_OPTS(bpf_tc_opts, tq, .handle = XT_TC_HANDLE, .priority = XT_TC_PRIORITY);
	char name[32];

	snprintf(out, len, "-");
	if (!bpf_tc_query(&hook, &tq) && !prog_name(tq.prog_id, name, sizeof(name)))
		snprintf(out, len, "%s", name);
}

#define NOTHING_ATTACHED "xdp=- tc=- legacy=- egress=- legacy_egress=-"

/* "xdp=NAME/MODE tc=NAME,NAME legacy=NAME egress=NAME legacy_egress=NAME"
 * ("-" for none; tc and egress: tcx links, legacy*: our clsact filters). */
static void describe_attached(unsigned int ifindex, char *out, size_t len)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, xq);
	char xdp[64] = "-", tc[160], legacy[64], egress[160], legacy_out[64], name[32];

	if (!bpf_xdp_query((int)ifindex, 0, &xq) && xq.prog_id &&
	    !prog_name(xq.prog_id, name, sizeof(name)))
		snprintf(xdp, sizeof(xdp), "%s/%s", name,
			 xq.attach_mode == XDP_ATTACHED_DRV ? "native" :
			 xq.attach_mode == XDP_ATTACHED_SKB ? "generic" : "other");
	tcx_names(ifindex, XT_BPF_TCX_INGRESS, tc, sizeof(tc));
	tcx_names(ifindex, XT_BPF_TCX_EGRESS, egress, sizeof(egress));
	legacy_name(ifindex, BPF_TC_INGRESS, legacy, sizeof(legacy));
	legacy_name(ifindex, BPF_TC_EGRESS, legacy_out, sizeof(legacy_out));
	snprintf(out, len, "xdp=%s tc=%s legacy=%s egress=%s legacy_egress=%s", xdp, tc, legacy,
		 egress, legacy_out);
}

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int hold(const char *ifname)
{
	const char *ifs[] = { ifname };
	struct fastpath_config cfg = { .ifnames = ifs, .n_ifnames = 1, .pool_bytes = 1u << 20,
				       .xdp_request = ATTACH_XDP_ON };
	struct fastpath *fp;
	int err;

	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	err = fastpath_open(&cfg, &fp);
	if (err)
		return 1;
	printf("ready\n");
	fflush(stdout);
	while (!stop)
		pause();
	fastpath_close(fp);
	return 0;
}

static int sh(const char *cmd)
{
	int rc = system(cmd);

	return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static int make_file(char *path, size_t size, uint8_t digest[32])
{
	uint8_t *buf = malloc(size ? size : 1);
	int fd, err = 0;
	size_t i;

	if (!buf)
		return -ENOMEM;
	for (i = 0; i < size; i++)
		buf[i] = (uint8_t)(i * 2654435761u >> 13);
	sha256(buf, size, digest);
	fd = mkstemp(path);
	if (fd < 0 || write(fd, buf, size) != (ssize_t)size)
		err = -EIO;
	free(buf);
	if (fd >= 0)
		close(fd);
	return err;
}

static void test_pool_and_sessions(struct fastpath *fp, unsigned int ifindex)
{
	/* 2.5 chunks: the image straddles chunk borders (overlap copies). */
	const size_t size = XT_CHUNK_DATA * 2 + XT_CHUNK_DATA / 2 + 7;
	char path[] = "/tmp/xt-loader-img.XXXXXX";
	const struct loaded_image *img = NULL, *again = NULL;
	struct session_key key;
	struct session_value val, got;
	uint8_t want[32], *back;
	struct stat st;
	int fd, err;

	CHECK(!make_file(path, size, want), "cannot write %s", path);
	fd = open(path, O_RDONLY);
	CHECK(fd >= 0 && !fstat(fd, &st), "open %s", path);
	err = fastpath_image_acquire(fp, fd, &st, &img);
	CHECK(!err && img, "image_acquire: %s", strerror(-err));
	if (err || !img)
		goto cleanup;
	CHECK(img->size == size && img->n_chunks == 3, "size %llu chunks %u",
	      (unsigned long long)img->size, img->n_chunks);
	CHECK(!img->sha256_ready, "acquire hashed the image (the first answer waits for that)");
	while (fastpath_image_hash_step(fp, 4096))
		;
	CHECK(img->sha256_ready && !memcmp(img->sha256, want, 32),
	      "pool sha256 differs from the file's");
	err = fastpath_image_acquire(fp, fd, &st, &again);
	CHECK(!err && again == img && img->refs == 2, "second acquire is a cache hit");

	back = malloc(size);
	CHECK(back && !fastpath_image_read(fp, img, 0, back, size), "image_read");
	if (back) {
		uint8_t d[32];

		sha256(back, size, d);
		CHECK(!memcmp(d, want, 32), "bytes read back differ");
		CHECK(fastpath_image_read(fp, img, size - 1, back, 2) == -EINVAL,
		      "read past the end refused");
		free(back);
	}

	memset(&key, 0, sizeof(key));
	key.ifindex = ifindex;
	key.family = XT_FAMILY_INET;
	key.client_addr[0] = 198; key.client_addr[1] = 18; key.client_addr[3] = 2;
	key.server_addr[0] = 198; key.server_addr[1] = 18; key.server_addr[3] = 1;
	key.client_port = htons(40000);
	key.server_port = htons(50000);
	fastpath_session_init(&val, img, 1468, 1, 0);
	CHECK(val.final_block == size / 1468 + 1, "final_block %u", val.final_block);
	CHECK((__s32)val.last_acked == -1 && val.last_sent == 0, "OACK outstanding convention");
	CHECK(val.start_ns > 0 && val.state == XT_SESS_ACTIVE, "start_ns/state");
	CHECK(!fastpath_session_start(fp, &key, &val), "session_start");
	err = fastpath_session_get(fp, &key, &got);
	/* session_start adds the image's block checksum table for the
	 * blksize (issue 19); the rest is what was written */
	CHECK(!err && got.sums_ref > img->first_chunk + img->n_chunks, "sums_ref %u",
	      got.sums_ref);
	got.sums_ref = 0;
	CHECK(!err && !memcmp(&got, &val, sizeof(val)), "session_get returns what was written");
	CHECK(!fastpath_session_pause(fp, &key), "session_pause");
	CHECK(!fastpath_session_get(fp, &key, &got) && got.state == XT_SESS_PAUSED,
	      "paused state visible");
	CHECK(!fastpath_session_end(fp, &key), "session_end");
	CHECK(fastpath_session_get(fp, &key, &got) == -ENOENT, "ended session gone");
	CHECK(fastpath_session_pause(fp, &key) == -ENOENT, "pausing a gone session fails");

	fastpath_image_release(fp, again);
	fastpath_image_release(fp, img);
	CHECK(img->refs == 0, "refs back to 0 (image stays cached)");
cleanup:
	if (fd >= 0)
		close(fd);
	unlink(path);
}

static void count_event(void *ctx, const struct xt_event *ev)
{
	(void)ev;
	(*(int *)ctx)++;
}

static int self_test(void)
{
	const char *ifs[] = { "xtl0" };
	/* XDP on: attached on this veth too, to see it attach and detach */
	struct fastpath_config cfg = { .ifnames = ifs, .n_ifnames = 1, .pool_bytes = 8u << 20,
				       .xdp_request = ATTACH_XDP_ON };
	struct fastpath *fp = NULL;
	uint64_t stats[XT_STAT_MAX];
	struct xt_hist hist;
	unsigned int ifindex;
	char what[512];
	int err, events = 0;

	/* A private network namespace: it and the veth vanish with us. */
	if (unshare(CLONE_NEWNET)) {
		printf("cannot unshare a network namespace: %s\n", strerror(errno));
		return 77;
	}
	if (sh("ip link add xtl0 type veth peer name xtl1 && ip link set xtl0 up && "
	       "ip link set xtl1 up && ip addr add 198.18.0.1/24 dev xtl0"))
		return 1;
	ifindex = if_nametoindex("xtl0");

	err = fastpath_open(&cfg, &fp);
	CHECK(!err && fp, "fastpath_open: %s", strerror(-err));
	if (err)
		goto out;
	CHECK(fastpath_tier(fp, ifindex) != FP_TIER_NONE, "tier on xtl0");
	printf("tier: %s\n", fastpath_tier_name(fastpath_tier(fp, ifindex)));
	CHECK(fastpath_tier(fp, ifindex + 100) == FP_TIER_NONE, "no tier on other ifindex");
	CHECK(fastpath_can_serve(fp, ifindex, 1444, 1), "1444 at MTU 1500 (worst case)");
	CHECK(!fastpath_can_serve(fp, ifindex, 1468, 1), "1468 not for worst-case frames");
	CHECK(fastpath_can_serve_frame(fp, ifindex, XT_FAMILY_INET, 1468, 1), "1468 over IPv4");
	CHECK(!fastpath_can_serve_frame(fp, ifindex, XT_FAMILY_INET6, 1468, 1), "1468 over IPv6");
	CHECK(fastpath_can_serve(fp, ifindex, 512, XT_KERN_MAX_WINDOW), "window max");
	CHECK(!fastpath_can_serve(fp, ifindex, 512, XT_KERN_MAX_WINDOW + 1), "window too big");
	CHECK(!fastpath_can_serve(fp, ifindex + 100, 512, 1), "other interface");

	describe_attached(ifindex, what, sizeof(what));
	printf("attached: %s\n", what);
	CHECK(strstr(what, "xdp=xdp_tftp/") != NULL, "XDP attached: %s", what);
	CHECK(strstr(what, "tc_tftp") != NULL, "TC attached: %s", what);
	CHECK(strstr(what, "egress=tc_resend") != NULL, "tc_resend at tcx egress: %s", what);

	test_pool_and_sessions(fp, ifindex);

	CHECK(!fastpath_read_stats(fp, stats), "read_stats");
	CHECK(!fastpath_read_hist(fp, XT_HIST_ACK_TO_DATA, &hist), "read_hist");
	CHECK(fastpath_read_hist(fp, XT_HIST_MAX, &hist) == -EINVAL, "bad hist id");
	CHECK(fastpath_events_fd(fp) >= 0, "events fd");
	CHECK(fastpath_events_drain(fp, count_event, &events) >= 0 && events == 0,
	      "no events without traffic");
	CHECK(!strcmp(fastpath_stat_name(XT_STAT_PASS_GROW_FAILED), "pass_grow_failed"),
	      "stat names");
	for (int s = 0; s < XT_STAT_MAX; s++)
		CHECK(strcmp(fastpath_stat_name((enum xt_stat)s), "unknown"), "name for stat %d", s);

	fastpath_close(fp);
	fp = NULL;
	describe_attached(ifindex, what, sizeof(what));
	CHECK(!strcmp(what, NOTHING_ATTACHED), "all detached after close: %s", what);

	/* Legacy clsact filter (kernels before 6.6): attached with our
	 * handle, and the filter and the qdisc we created gone on close. */
	attach_force_legacy_tc = 1;
	err = fastpath_open(&cfg, &fp);
	CHECK(!err && fastpath_tier(fp, ifindex) != FP_TIER_NONE, "legacy TC open");
	describe_attached(ifindex, what, sizeof(what));
	CHECK(strstr(what, "tc=- legacy=tc_tftp egress=- legacy_egress=tc_resend") != NULL,
	      "legacy filters attached: %s", what);
	fastpath_close(fp);
	fp = NULL;
	attach_force_legacy_tc = 0;
	describe_attached(ifindex, what, sizeof(what));
	CHECK(!strcmp(what, NOTHING_ATTACHED), "legacy detached after close: %s", what);
	CHECK(sh("tc qdisc show dev xtl0 | grep -q clsact") != 0, "our clsact qdisc removed");

	/* --xdp auto (the default) leaves veth to TC alone: XDP could only
	 * pass frames there, at a cost to the peer's sending. */
	cfg.xdp_request = ATTACH_XDP_AUTO;
	err = fastpath_open(&cfg, &fp);
	CHECK(!err && fastpath_tier(fp, ifindex) == FP_TIER_TC, "auto gives TC only on veth");
	describe_attached(ifindex, what, sizeof(what));
	CHECK(strstr(what, "xdp=- tc=tc_tftp") != NULL, "auto: no XDP on veth: %s", what);
	fastpath_close(fp);
	fp = NULL;

	/* --xdp off: TC only. */
	cfg.xdp_request = ATTACH_XDP_OFF;
	err = fastpath_open(&cfg, &fp);
	CHECK(!err && fastpath_tier(fp, ifindex) == FP_TIER_TC, "xdp off gives TC only");
	fastpath_close(fp);
	fp = NULL;

	/* A missing interface alone: open fails, says so, leaves nothing. */
	ifs[0] = "xtl-missing";
	err = fastpath_open(&cfg, &fp);
	CHECK(err < 0 && !fp, "missing interface refused");
out:
	fastpath_close(fp);
	printf("%s\n", failures ? "loader: FAILED" : "loader: load, attach, pool, sessions, detach ok");
	return failures ? 1 : 0;
}

int main(int argc, char **argv)
{
	char what[512];

	if (argc == 3 && !strcmp(argv[1], "--query")) {
		unsigned int ifindex = if_nametoindex(argv[2]);
		libbpf_set_print(NULL); /* "no clsact qdisc" is an answer here */

		if (!ifindex) {
			fprintf(stderr, "%s: no such interface\n", argv[2]);
			return 1;
		}
		describe_attached(ifindex, what, sizeof(what));
		printf("%s\n", what);
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "--hold"))
		return hold(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "--hold-legacy")) {
		attach_force_legacy_tc = 1;     /* as on a kernel without tcx */
		return hold(argv[2]);
	}
	if (argc != 1) {
		fprintf(stderr, "usage: %s [--query IFNAME | --hold IFNAME | --hold-legacy IFNAME]\n",
			argv[0]);
		return 2;
	}
	if (geteuid() != 0) {
		printf("needs root (BPF, network namespaces)\n");
		return 77;
	}
	return self_test();
}
