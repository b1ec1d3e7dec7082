// SPDX-License-Identifier: GPL-2.0-or-later
/* The catalog: published images, preload, pool counters (catalog.h). */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <inttypes.h>
#include <limits.h>
#include <net/if.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "catalog.h"
#include "util/log.h"
#include "files/names.h"
#include "files/path.h"
#include "util/sha256.h"

#define COPY_BUF_SIZE (256u * 1024u)

/* One name published with `xtftpctl load`. */
struct published {
	char *name;                         /* as clients ask for it, no leading '/' */
	char *source;                       /* the FILE it was loaded from (for status) */
	int fd;                             /* sealed memfd holding the contents */
	uint64_t size;
	uint8_t sha256[SHA256_DIGEST_LEN];
	const struct loaded_image *img;   /* our pool reference; NULL: not in the pool */
	struct published *next;
};

struct catalog {
	const struct xtftpd_options *opt;
	int root_fd;
	char root_real[PATH_MAX];
	struct published *pub;
	uint64_t pool_full_fallbacks;       /* RRQs the pool had no room for */
	uint64_t preloaded;                 /* images mapped by --preload */
	uint64_t published_loads;           /* successful `load` commands */
};

int catalog_create(const struct xtftpd_options *opt, int root_fd, const char *root_real,
		   struct catalog **out)
{
	struct catalog *c;

	*out = NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->opt = opt;
	c->root_fd = root_fd;
	snprintf(c->root_real, sizeof(c->root_real), "%s", root_real);
	*out = c;
	return 0;
}

static void published_free(struct published *p, struct fastpath *fp)
{
	if (p->img) {
		/* the next request of this name must not reuse our copy */
		fastpath_image_retire(fp, p->img);
		fastpath_image_release(fp, p->img);
	}
	if (p->fd >= 0)
		close(p->fd);
	free(p->name);
	free(p->source);
	free(p);
}

void catalog_destroy(struct catalog *c, struct fastpath *fp)
{
	if (!c)
		return;
	while (c->pub) {
		struct published *p = c->pub;

		c->pub = p->next;
		published_free(p, fp);
	}
	free(c);
}

/* ---- published images ----------------------------------------------------- */

static const char *skip_slashes(const char *s)
{
	while (*s == '/')
		s++;
	return s;
}

static struct published *published_find(const struct catalog *c, const char *name)
{
	name = skip_slashes(name);
	for (struct published *p = c->pub; p; p = p->next) {
		if (!strcmp(p->name, name))
			return p;
	}
	return NULL;
}

int catalog_open_published(const struct catalog *c, const char *requested, const char *resolved,
			   long long *size)
{
	const struct published *p;
	int fd;

	if (!c || !c->pub)
		return -ENOENT;
	p = published_find(c, requested);
	if (!p && resolved)
		p = published_find(c, resolved);
	if (!p)
		return -ENOENT;
	fd = fcntl(p->fd, F_DUPFD_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	*size = (long long)p->size;
	log_verbose("\"%s\": published image \"%s\" (xtftpctl load, from %s)", requested,
		    p->name, p->source);
	return fd;
}

/* Copy src into a new sealed memfd, hashing it on the way. */
static int copy_to_memfd(int src, const char *name, int *out_fd, uint64_t *size,
			 uint8_t sha[SHA256_DIGEST_LEN])
{
	struct sha256_ctx h;
	uint8_t *buf = NULL;
	uint64_t total = 0;
	int mfd, err = 0;

	*out_fd = -1;
	mfd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (mfd < 0)
		return -errno;
	buf = malloc(COPY_BUF_SIZE);
	if (!buf) {
		err = -ENOMEM;
		goto cleanup;
	}
	sha256_init(&h);
	for (;;) {
		ssize_t n = read(src, buf, COPY_BUF_SIZE), w = 0;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			goto cleanup;
		}
		if (n == 0)
			break;
		sha256_update(&h, buf, (size_t)n);
		while (w < n) {
			ssize_t k = write(mfd, buf + w, (size_t)(n - w));

			if (k < 0 && errno == EINTR)
				continue;
			if (k < 0) {
				err = -errno;
				goto cleanup;
			}
			w += k;
		}
		total += (uint64_t)n;
	}
	sha256_final(&h, sha);
	/* immutable from now on: what was published is what every session of
	 * it serves, whatever happens to FILE */
	if (fcntl(mfd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL) != 0) {
		err = -errno;
		goto cleanup;
	}
	fchmod(mfd, 0444);
	*out_fd = mfd;
	*size = total;
	mfd = -1;
cleanup:
	if (mfd >= 0)
		close(mfd);
	free(buf);
	return err;
}

static void hex(const uint8_t sha[SHA256_DIGEST_LEN], char out[SHA256_HEX_LEN])
{
	sha256_hex(sha, out);
}

/* load NAME FILE */
static void control_load(struct catalog *c, struct fastpath *fp, const char *name,
			 const char *file, FILE *out)
{
	char clean[TFTP_MAX_NAME + 1], shahex[SHA256_HEX_LEN];
	struct published *p = NULL, **pp;
	struct stat st;
	int src = -1, err;

	if (path_clean(name, clean, sizeof(clean)) != 0 || !clean[0]) {
		fprintf(out, "error: load: bad name \"%.200s\" (a relative name without ..)\n", name);
		return;
	}
	src = file[0] == '/' ? open(file, O_RDONLY | O_CLOEXEC) :
			       openat(c->root_fd, file, O_RDONLY | O_CLOEXEC);
	if (src < 0) {
		fprintf(out, "error: load: cannot open %.300s%s: %s\n", file,
			file[0] == '/' ? "" : " (relative to the root)", strerror(errno));
		return;
	}
	if (fstat(src, &st) != 0 || !S_ISREG(st.st_mode)) {
		fprintf(out, "error: load: %.300s is not a regular file\n", file);
		goto cleanup;
	}
	p = calloc(1, sizeof(*p));
	if (!p || !(p->name = strdup(clean)) || !(p->source = strdup(file))) {
		fprintf(out, "error: load: out of memory\n");
		goto cleanup;
	}
	p->fd = -1;
	/* the memfd name is only a label in /proc: NAME may be longer than it allows */
	err = copy_to_memfd(src, "xtftpd-published", &p->fd, &p->size, p->sha256);
	if (err) {
		fprintf(out, "error: load: copying %.300s: %s\n", file, strerror(-err));
		goto cleanup;
	}
	if (fp && fstat(p->fd, &st) == 0) {
		/* in the pool now, pinned by our reference: the first client
		 * gets the kernel tiers */
		err = fastpath_image_acquire_named(fp, p->fd, &st, p->name, &p->img);
		if (err) {
			p->img = NULL;
			log_warn("load %s: not in the image pool (%s): served by the userspace engine",
				 p->name, strerror(-err));
		}
	}
	/* swap: the old one goes; its sessions keep their fd and pool reference */
	for (pp = &c->pub; *pp; pp = &(*pp)->next) {
		if (!strcmp((*pp)->name, p->name)) {
			struct published *old = *pp;

			*pp = old->next;
			published_free(old, fp);
			break;
		}
	}
	p->next = c->pub;
	c->pub = p;
	c->published_loads++;
	hex(p->sha256, shahex);
	if (p->img)
		fprintf(out, "loaded %s from %s: %" PRIu64 " bytes sha256 %s, image %u gen %u\n",
			p->name, file, p->size, shahex, p->img->id, p->img->gen);
	else
		fprintf(out, "loaded %s from %s: %" PRIu64 " bytes sha256 %s, not in the pool "
			"(userspace engine serves it)\n", p->name, file, p->size, shahex);
	log_info("published %s from %s: %" PRIu64 " bytes sha256 %s", p->name, file, p->size,
		 shahex);
	p = NULL;
cleanup:
	if (p)
		published_free(p, fp);
	if (src >= 0)
		close(src);
}

static void control_unload(struct catalog *c, struct fastpath *fp, const char *name, FILE *out)
{
	const char *want = skip_slashes(name);

	for (struct published **pp = &c->pub; *pp; pp = &(*pp)->next) {
		if (!strcmp((*pp)->name, want)) {
			struct published *old = *pp;

			*pp = old->next;
			fprintf(out, "unloaded %s\n", old->name);
			log_info("withdrew published %s", old->name);
			published_free(old, fp);
			return;
		}
	}
	fprintf(out, "error: unload: %.300s is not published\n", name);
}

int catalog_control(struct catalog *c, struct fastpath *fp, enum ctl_cmd id, const char *args,
		    FILE *out)
{
	char *copy, *a, *b, *save = NULL;
	int handled = 1;

	if (id == CTL_IMAGES) {
		if (*args)
			return 0;
		catalog_write_status(c, fp, out);
		return 1;
	}
	if (!*args)
		return 0; /* "load" / "unload" alone: not a command */
	copy = strdup(args);
	if (!copy) {
		fprintf(out, "error: out of memory\n");
		return 1;
	}
	a = strtok_r(copy, " ", &save);
	b = strtok_r(NULL, "", &save);  /* FILE: the rest, spaces allowed */
	if (id == CTL_LOAD) {
		if (!a || !b)
			fprintf(out, "error: usage: load NAME FILE\n");
		else
			control_load(c, fp, a, b, out);
	} else {
		if (!a || b)
			fprintf(out, "error: usage: unload NAME\n");
		else
			control_unload(c, fp, a, out);
	}
	free(copy);
	return handled;
}

/* ---- pool ------------------------------------------------------------------ */

void catalog_note_pool_full(struct catalog *c)
{
	if (c)
		c->pool_full_fallbacks++;
}

void catalog_preload(struct catalog *c, struct fastpath *fp)
{
	const struct xtftpd_options *o = c->opt;
	uint64_t bytes = 0;
	unsigned int n = 0, missed = 0;

	if (!fp || !o->n_preload)
		return;
	for (unsigned int g = 0; g < o->n_preload; g++) {
		char pattern[PATH_MAX];
		size_t prefix = strlen(c->root_real);
		glob_t gl;
		int rc;

		/* globbing happens under the root's real path; each match is
		 * then opened beneath root_fd like any request */
		if ((size_t)snprintf(pattern, sizeof(pattern), "%s/%s", c->root_real,
				     skip_slashes(o->preload[g])) >= sizeof(pattern))
			continue;
		rc = glob(pattern, GLOB_NOSORT, NULL, &gl);
		if (rc == GLOB_NOMATCH) {
			log_warn("--preload %s: no file matches under %s", o->preload[g], c->root_real);
			continue;
		}
		if (rc) {
			log_warn("--preload %s: glob failed", o->preload[g]);
			continue;
		}
		for (size_t i = 0; i < gl.gl_pathc; i++) {
			const char *rel = gl.gl_pathv[i] + prefix;
			const struct loaded_image *img;
			long long size;
			struct stat st;
			int fd, err;

			if (strncmp(gl.gl_pathv[i], c->root_real, prefix))
				continue;
			rel = skip_slashes(rel);
			fd = path_open_read(c->root_fd, rel, &size);
			if (fd < 0)
				continue;  /* a directory, FIFO, or outside the root */
			err = fstat(fd, &st) ? -errno :
			      fastpath_image_acquire_named(fp, fd, &st, rel, &img);
			close(fd);
			if (err) {
				log_warn("--preload: %s (%lld bytes): %s; served by the userspace engine",
					 rel, size, err == -ENOSPC ? "does not fit the image pool (raise --pool-size)" :
					 strerror(-err));
				missed++;
				continue;
			}
			/* cached, not pinned: evictable like any unused image */
			fastpath_image_release(fp, img);
			n++;
			bytes += (uint64_t)size;
		}
		globfree(&gl);
	}
	c->preloaded += n;
	log_info("preloaded %u image(s), %" PRIu64 " bytes, into the pool%s", n, bytes,
		 missed ? " (some did not fit)" : "");
}

void catalog_write_stats(const struct catalog *c, const struct fastpath *fp, FILE *f)
{
	struct fastpath_pool_stats ps;
	unsigned int n_pub = 0;

	fastpath_pool_stats(fp, &ps);   /* zeroes without a pool */
	for (const struct published *p = c ? c->pub : NULL; p; p = p->next)
		n_pub++;
	fprintf(f, "pool_bytes_total %" PRIu64 "\n", ps.bytes_total);
	fprintf(f, "pool_bytes_free %" PRIu64 "\n", ps.bytes_free);
	fprintf(f, "pool_images %u\n", ps.images);
	fprintf(f, "pool_hits %" PRIu64 "\n", ps.hits);
	fprintf(f, "pool_loads %" PRIu64 "\n", ps.loads);
	fprintf(f, "pool_evictions %" PRIu64 "\n", ps.evictions);
	fprintf(f, "pool_full_fallbacks %" PRIu64 "\n", c ? c->pool_full_fallbacks : 0);
	fprintf(f, "pool_preloaded %" PRIu64 "\n", c ? c->preloaded : 0);
	fprintf(f, "published_names %u\n", n_pub);
}

void catalog_write_status(const struct catalog *c, const struct fastpath *fp, FILE *f)
{
	struct fastpath_pool_stats ps;
	char shahex[SHA256_HEX_LEN];

	if (fp && fastpath_pool_stats(fp, &ps) == 0)
		fprintf(f, "image pool: %u image(s), %" PRIu64 " of %" PRIu64 " MiB free; "
			"%" PRIu64 " loads, %" PRIu64 " hits, %" PRIu64 " evictions, %" PRIu64
			" too big for it\n", ps.images, ps.bytes_free >> 20, ps.bytes_total >> 20,
			ps.loads, ps.hits, ps.evictions, c ? c->pool_full_fallbacks : 0);
	for (const struct published *p = c ? c->pub : NULL; p; p = p->next) {
		hex(p->sha256, shahex);
		if (p->img)
			fprintf(f, "  published \"%.200s\" from %.300s %" PRIu64
				" bytes sha256 %s (image %u gen %u, held by the catalog)\n",
				p->name, p->source, p->size, shahex, p->img->id, p->img->gen);
		else
			fprintf(f, "  published \"%.200s\" from %.300s %" PRIu64
				" bytes sha256 %s (not in the pool)\n",
				p->name, p->source, p->size, shahex);
	}
}

/* ---- --check-config ------------------------------------------------------- */

int catalog_check_config(const struct xtftpd_options *opt, const struct names_config *names,
			 FILE *out)
{
	struct names_config cfg = { 0 };
	char root_real[PATH_MAX];
	struct stat st;
	int root_fd = -1, bad = 0;

	if (stat(opt->root, &st) != 0) {
		fprintf(out, "root %s: %s (create it or pass another ROOT)\n", opt->root,
			strerror(errno));
		bad = 1;
	} else if (!S_ISDIR(st.st_mode)) {
		fprintf(out, "root %s: not a directory\n", opt->root);
		bad = 1;
	} else if ((root_fd = open(opt->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		fprintf(out, "root %s: cannot read it: %s\n", opt->root, strerror(errno));
		bad = 1;
	} else if (!(st.st_mode & S_IXOTH) && opt->user) {
		fprintf(out, "root %s: mode %03o: user %s may not be able to enter it\n", opt->root,
			(unsigned int)(st.st_mode & 0777), opt->user);
	}
	if (!realpath(opt->root, root_real))
		snprintf(root_real, sizeof(root_real), "%s", opt->root);

	if (names) {
		cfg = *names;
	} else {
		cfg.map_file = opt->map_file;
		cfg.aliases = opt->aliases;
		cfg.n_aliases = opt->n_aliases;
		cfg.serve_any = opt->serve_any;
		cfg.ignore_case = opt->ignore_case;
	}
	cfg.root_prefix = opt->secure ? NULL : root_real;
	cfg.root_fd = root_fd;
	if (names_check(&cfg, out) != 0)
		bad = 1;

	for (unsigned int i = 0; i < opt->n_ifnames; i++) {
		if (!if_nametoindex(opt->ifnames[i])) {
			fprintf(out, "interface %s: %s (see ip link)\n", opt->ifnames[i],
				strerror(errno));
			bad = 1;
		}
	}
	if (opt->user && !getpwnam(opt->user)) {
		fprintf(out, "user %s: no such user (-u)\n", opt->user);
		bad = 1;
	}
	for (unsigned int g = 0; g < opt->n_preload && root_fd >= 0; g++) {
		char pattern[PATH_MAX];
		glob_t gl;

		if ((size_t)snprintf(pattern, sizeof(pattern), "%s/%s", root_real,
				     skip_slashes(opt->preload[g])) >= sizeof(pattern) ||
		    glob(pattern, 0, NULL, &gl) != 0)
			fprintf(out, "warning: --preload %s: no file matches under %s\n", opt->preload[g],
				root_real);
		else
			globfree(&gl);
	}
	if (opt->event_log) {
		char dir[PATH_MAX], *slash;

		snprintf(dir, sizeof(dir), "%s", opt->event_log);
		slash = strrchr(dir, '/');
		if (slash == dir)
			dir[1] = '\0';
		else if (slash)
			*slash = '\0';
		else
			snprintf(dir, sizeof(dir), ".");
		if (access(opt->event_log, W_OK) != 0 && access(dir, W_OK) != 0) {
			fprintf(out, "--event-log %s: cannot write there\n", opt->event_log);
			bad = 1;
		}
	}
	if (root_fd >= 0)
		close(root_fd);
	fprintf(out, bad ? "configuration has errors\n" : "configuration OK\n");
	return bad;
}
