// SPDX-License-Identifier: GPL-2.0-or-later
/* Image pool bookkeeping: chunk allocator, image cache, chunk layout. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "pool.h"
#include "util/sha256.h"

/* ---- chunk allocator ---------------------------------------------------- */

int chunk_alloc_init(struct chunk_allocator *a, uint32_t total)
{
	memset(a, 0, sizeof(*a));
	if (!total)
		return -EINVAL;
	/* Free extents are never adjacent, so there are at most
	 * ceil(total / 2) of them: sized once, put() cannot fail for memory. */
	a->cap = total / 2 + 1;
	a->free = calloc(a->cap, sizeof(*a->free));
	if (!a->free)
		return -ENOMEM;
	a->total = total;
	a->free[0].first = 0;
	a->free[0].n = total;
	a->n_free = 1;
	return 0;
}

void chunk_alloc_fini(struct chunk_allocator *a)
{
	free(a->free);
	memset(a, 0, sizeof(*a));
}

int chunk_alloc_get(struct chunk_allocator *a, uint32_t n, uint32_t *first)
{
	unsigned int i;

	if (!n)
		return -EINVAL;
	for (i = 0; i < a->n_free; i++) {
		struct chunk_extent *e = &a->free[i];

		if (e->n < n)
			continue;
		*first = e->first;
		e->first += n;
		e->n -= n;
		if (!e->n) {
			memmove(e, e + 1, (a->n_free - i - 1) * sizeof(*e));
			a->n_free--;
		}
		return 0;
	}
	return -ENOSPC;
}

int chunk_alloc_put(struct chunk_allocator *a, uint32_t first, uint32_t n)
{
	uint64_t end = (uint64_t)first + n;
	struct chunk_extent *prev = NULL, *next = NULL;
	unsigned int i;

	if (!n || end > a->total)
		return -EINVAL;
	/* i = index of the first free extent after the range */
	for (i = 0; i < a->n_free && a->free[i].first < first; i++)
		;
	if (i > 0)
		prev = &a->free[i - 1];
	if (i < a->n_free)
		next = &a->free[i];
	/* A double free or a range overlapping free space is a caller bug. */
	if (prev && (uint64_t)prev->first + prev->n > first)
		return -EINVAL;
	if (next && next->first < end)
		return -EINVAL;

	if (prev && prev->first + prev->n == first) {
		prev->n += n;
		if (next && next->first == end) {
			prev->n += next->n;
			memmove(next, next + 1, (a->n_free - i - 1) * sizeof(*next));
			a->n_free--;
		}
		return 0;
	}
	if (next && next->first == end) {
		next->first = first;
		next->n += n;
		return 0;
	}
	if (a->n_free == a->cap)
		return -EINVAL; /* cannot happen with disjoint, merged extents */
	memmove(&a->free[i + 1], &a->free[i], (a->n_free - i) * sizeof(*a->free));
	a->free[i].first = first;
	a->free[i].n = n;
	a->n_free++;
	return 0;
}

uint32_t chunk_alloc_free_chunks(const struct chunk_allocator *a)
{
	uint32_t sum = 0;
	unsigned int i;

	for (i = 0; i < a->n_free; i++)
		sum += a->free[i].n;
	return sum;
}

uint32_t chunk_alloc_largest(const struct chunk_allocator *a)
{
	uint32_t best = 0;
	unsigned int i;

	for (i = 0; i < a->n_free; i++)
		if (a->free[i].n > best)
			best = a->free[i].n;
	return best;
}

/* ---- chunk layout ------------------------------------------------------- */

static int pread_full(int fd, void *buf, size_t len, uint64_t off)
{
	uint8_t *p = buf;

	while (len) {
		ssize_t got = pread(fd, p, len, (off_t)off);

		if (got < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (got == 0)
			return -ESTALE; /* file shrank since fstat */
		p += got;
		off += (uint64_t)got;
		len -= (size_t)got;
	}
	return 0;
}

/* Where image byte off lies in the pool (chunks from first), and how many
 * of the len bytes from there lie in that chunk's data. */
static uint8_t *chunk_span(uint8_t *base, uint32_t first, uint64_t off, uint64_t len, size_t *take)
{
	size_t in = off % XT_CHUNK_DATA;

	*take = XT_CHUNK_DATA - in < len ? XT_CHUNK_DATA - in : (size_t)len;
	return pool_chunk(base, first + (uint32_t)(off / XT_CHUNK_DATA)) + in;
}

/* Bytes read per pread in pool_fill: the bounce buffer's size. */
#define POOL_BOUNCE_BYTES (16u * XT_CHUNK_DATA)

/*
 * The file is read into a small buffer and copied into the pool by the
 * daemon itself, not pread into the pool: then the pool's pages are first
 * written from user mode, as they are read afterwards (block sums, hash).
 * Measured on this project's VM host (shadow paging), a page first written
 * by the kernel's copy to user memory and then first read by the daemon
 * paid the first-touch cost twice: 64 MiB took 150 ms to pread and 135 ms
 * more for the first pass over it; through the buffer, 150 ms in all. On
 * bare metal the extra copy is from a cache-warm buffer.
 */
int pool_fill(uint8_t *base, uint32_t first, uint32_t n, int fd, uint64_t size)
{
	uint8_t *bounce = NULL;
	uint64_t off = 0;
	uint32_t i;
	int err = 0;

	if ((uint64_t)n * XT_CHUNK_DATA < size || n == 0)
		return -EINVAL;
	if (size) {
		bounce = malloc(size < POOL_BOUNCE_BYTES ? (size_t)size : POOL_BOUNCE_BYTES);
		if (!bounce)
			return -ENOMEM;
	}
	while (off < size) {
		size_t len = size - off < POOL_BOUNCE_BYTES ? (size_t)(size - off) : POOL_BOUNCE_BYTES;
		size_t done = 0;

		err = pread_full(fd, bounce, len, off);
		if (err)
			goto cleanup;
		while (done < len) {    /* into the chunks it spans */
			size_t take;
			uint8_t *to = chunk_span(base, first, off + done, len - done, &take);

			memcpy(to, bounce + done, take);
			done += take;
		}
		off += len;
	}
	for (i = 0; i < n; i++) {
		uint64_t start = (uint64_t)i * XT_CHUNK_DATA;
		size_t len = start >= size ? 0 :
			     size - start < XT_CHUNK_DATA ? (size_t)(size - start) : XT_CHUNK_DATA;

		/* Zero past the image end, overlap included: the last block's
		 * checksum in the kernel may read up to blksize bytes. */
		memset(pool_chunk(base, first + i) + len, 0, XT_CHUNK_SIZE - len);
	}
	/* Second pass, now that chunk i + 1 holds its bytes: the overlap. */
	for (i = 0; i + 1 < n; i++)
		memcpy(pool_chunk(base, first + i) + XT_CHUNK_DATA,
		       pool_chunk(base, first + i + 1), XT_CHUNK_OVERLAP);
cleanup:
	free(bounce);
	return err;
}

/* The payload checksum of one block as the kernel adds it (xtftp_kern.h):
 * native 16-bit words from the block's start, folded. Summed 32 bits at a
 * time (2^16 = 1 modulo 0xffff: a 32-bit word adds what its two 16-bit
 * halves do), which keeps a table for a 16 MiB image at a few ms. */
static uint32_t block_sum(const uint8_t *p, size_t len)
{
	uint64_t sum = 0;
	uint32_t w32;
	uint16_t w;
	size_t i;

	for (i = 0; i + 4 <= len; i += 4) {
		memcpy(&w32, p + i, 4);
		sum += w32;
	}
	if (i + 2 <= len) {
		memcpy(&w, p + i, 2);
		sum += w;
	}
	if (len & 1) {
		uint8_t last[2] = { p[len - 1], 0 };

		memcpy(&w, last, 2);
		sum += w;
	}
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint32_t)sum;
}

void pool_sums_fill(uint8_t *base, uint32_t img_first, uint64_t size, unsigned int blksize,
		    uint32_t table_first)
{
	uint64_t blocks = size / blksize + 1, i;

	for (i = 0; i < blocks; i++) {
		uint64_t off = i * blksize;
		size_t len = size - off < blksize ? (size_t)(size - off) : blksize;
		/* a block straddling two chunks is whole in the first one's
		 * overlap (blksize <= XT_CHUNK_OVERLAP) */
		const uint8_t *src = pool_chunk(base, img_first + (uint32_t)(off / XT_CHUNK_DATA)) +
				     off % XT_CHUNK_DATA;
		uint32_t v = len ? block_sum(src, len) : 0;

		memcpy(pool_chunk(base, table_first + (uint32_t)(i / XT_SUMS_PER_CHUNK)) +
		       (i % XT_SUMS_PER_CHUNK) * 4, &v, 4);
	}
}

/* ---- image cache -------------------------------------------------------- */

/* A block checksum table of an image (image_pool_block_sums). */
struct pool_sums {
	unsigned int blksize;
	uint32_t first;
	uint32_t n;
};

struct pool_image {
	struct loaded_image pub;  /* what the engine sees; first member */
	dev_t dev;
	ino_t ino;
	int64_t mtime_ns;
	int64_t ctime_ns;           /* cp -p, rsync -t, tar x set mtime back:
				     * ctime is what they cannot set */
	uint64_t last_use;          /* LRU stamp, from image_pool.clock */
	struct sha256_ctx hash;     /* until pub.sha256_ready */
	uint64_t hashed;            /* bytes of the image in hash */
	int stale;                  /* a newer generation of the file exists */
	char *name;                 /* served path it was loaded for, NULL none */
	struct pool_sums sums[POOL_SUMS_MAX];
	unsigned int n_sums;
	struct pool_image *next;
};

static int64_t stat_mtime_ns(const struct stat *st)
{
	return (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
}

static int64_t stat_ctime_ns(const struct stat *st)
{
	return (int64_t)st->st_ctim.tv_sec * 1000000000 + st->st_ctim.tv_nsec;
}

static struct pool_image *to_pool_image(const struct loaded_image *img)
{
	/* pub is the first member, so this is the containing pool_image. */
	return (struct pool_image *)img;
}

int image_pool_init(struct image_pool *p, void *base, uint32_t n_chunks)
{
	memset(p, 0, sizeof(*p));
	p->base = base;
	p->n_chunks = n_chunks;
	p->next_id = 1;
	return chunk_alloc_init(&p->alloc, n_chunks);
}

void image_pool_fini(struct image_pool *p)
{
	struct pool_image *im = p->images;

	while (im) {
		struct pool_image *next = im->next;

		free(im->name);
		free(im);
		im = next;
	}
	chunk_alloc_fini(&p->alloc);
	memset(p, 0, sizeof(*p));
}

static void image_unlink_free(struct image_pool *p, struct pool_image *victim)
{
	struct pool_image **pp;
	unsigned int i;

	for (pp = &p->images; *pp; pp = &(*pp)->next) {
		if (*pp == victim) {
			*pp = victim->next;
			break;
		}
	}
	if (!victim->pub.sha256_ready)
		p->unhashed--;
	chunk_alloc_put(&p->alloc, victim->pub.first_chunk, victim->pub.n_chunks);
	for (i = 0; i < victim->n_sums; i++)
		chunk_alloc_put(&p->alloc, victim->sums[i].first, victim->sums[i].n);
	free(victim->name);
	free(victim);
}

/* Evict the least recently used image nobody references. 0, or -ENOSPC. */
static int image_evict_lru(struct image_pool *p)
{
	struct pool_image *im, *victim = NULL;

	for (im = p->images; im; im = im->next)
		if (!im->pub.refs && (!victim || im->last_use < victim->last_use))
			victim = im;
	if (!victim)
		return -ENOSPC;
	image_unlink_free(p, victim);
	p->evictions++;
	return 0;
}

static uint32_t evictable_chunks(const struct image_pool *p)
{
	const struct pool_image *im;
	uint32_t sum = 0;

	unsigned int i;

	for (im = p->images; im; im = im->next) {
		if (im->pub.refs)
			continue;
		sum += im->pub.n_chunks;
		for (i = 0; i < im->n_sums; i++)
			sum += im->sums[i].n;
	}
	return sum;
}

int image_pool_acquire(struct image_pool *p, int fd, const struct stat *st,
		       const struct loaded_image **img)
{
	return image_pool_acquire_named(p, fd, st, NULL, img);
}

/* Is im the same served file as (st, name)? The same inode, or (a file
 * replaced by rename has a new inode) the same served path. */
static int same_file(const struct pool_image *im, const struct stat *st, const char *name)
{
	if (im->dev == st->st_dev && im->ino == st->st_ino)
		return 1;
	return name && im->name && !strcmp(im->name, name);
}

int image_pool_acquire_named(struct image_pool *p, int fd, const struct stat *st,
			     const char *name, const struct loaded_image **img)
{
	struct pool_image *im, *found = NULL, *fresh = NULL;
	uint32_t n, first, id = 0, gen = 1;
	uint64_t size;
	int err;

	*img = NULL;
	if (st->st_size < 0)
		return -EINVAL;
	size = (uint64_t)st->st_size;
	for (im = p->images; im; im = im->next) {
		if (!same_file(im, st, name))
			continue;
		if (!im->stale && im->dev == st->st_dev && im->ino == st->st_ino &&
		    im->pub.size == size && im->mtime_ns == stat_mtime_ns(st) &&
		    im->ctime_ns == stat_ctime_ns(st)) {
			found = im;
			break;
		}
		/* Same file, other contents: the next load is a new generation
		 * of the same image id; sessions keep the one they hold. */
		id = im->pub.id;
		if (im->pub.gen >= gen)
			gen = im->pub.gen + 1;
	}
	if (found) {
		found->pub.refs++;
		found->last_use = ++p->clock;
		p->hits++;
		*img = &found->pub;
		return 0;
	}

	/* Older generations nobody uses any more are dead weight now. */
	for (im = p->images; im;) {
		struct pool_image *next = im->next;

		if (same_file(im, st, name)) {
			im->stale = 1;
			if (!im->pub.refs)
				image_unlink_free(p, im);
		}
		im = next;
	}

	n = pool_chunks_for(size);
	if (size > (uint64_t)UINT32_MAX * XT_CHUNK_DATA || n > p->n_chunks ||
	    n > chunk_alloc_free_chunks(&p->alloc) + evictable_chunks(p))
		return -ENOSPC; /* do not flush the cache for nothing */
	while ((err = chunk_alloc_get(&p->alloc, n, &first)) == -ENOSPC) {
		err = image_evict_lru(p);
		if (err)
			return err;
	}
	if (err)
		return err;

	fresh = calloc(1, sizeof(*fresh));
	if (!fresh || (name && !(fresh->name = strdup(name)))) {
		err = -ENOMEM;
		goto cleanup;
	}
	err = pool_fill(p->base, first, n, fd, size);
	if (err)
		goto cleanup;
	fresh->pub.id = id ? id : p->next_id++;
	fresh->pub.gen = gen;
	fresh->pub.first_chunk = first;
	fresh->pub.n_chunks = n;
	fresh->pub.size = size;
	fresh->pub.refs = 1;
	fresh->dev = st->st_dev;
	fresh->ino = st->st_ino;
	fresh->mtime_ns = stat_mtime_ns(st);
	fresh->ctime_ns = stat_ctime_ns(st);
	fresh->last_use = ++p->clock;
	sha256_init(&fresh->hash);
	p->unhashed++;
	fresh->next = p->images;
	p->images = fresh;
	p->loads++;
	*img = &fresh->pub;
	fresh = NULL;
	first = UINT32_MAX; /* owned by the image now */
cleanup:
	if (err && first != UINT32_MAX)
		chunk_alloc_put(&p->alloc, first, n);
	if (fresh)
		free(fresh->name);
	free(fresh);
	return err;
}

void image_pool_release(struct image_pool *p, const struct loaded_image *img)
{
	struct pool_image *im;

	if (!img)
		return;
	im = to_pool_image(img);
	if (im->pub.refs)
		im->pub.refs--;
	im->last_use = ++p->clock; /* a session used it until now */
	/* An unchanged image stays cached (freed only under pressure); an
	 * outdated generation goes as soon as its last session ends. */
	if (!im->pub.refs && im->stale)
		image_unlink_free(p, im);
}

int image_pool_read(const struct image_pool *p, const struct loaded_image *img,
		    uint64_t off, void *buf, size_t len)
{
	uint8_t *out = buf;

	if (!img || off > img->size || len > img->size - off)
		return -EINVAL;
	while (len) {
		size_t take;
		const uint8_t *from = chunk_span(p->base, img->first_chunk, off, len, &take);

		memcpy(out, from, take);
		out += take;
		off += take;
		len -= take;
	}
	return 0;
}

int image_pool_block_sums(struct image_pool *p, const struct loaded_image *img,
			  unsigned int blksize, uint32_t *sums_ref)
{
	struct pool_image *im = to_pool_image(img);
	struct pool_sums *t;
	uint32_t first, n;
	unsigned int i;
	int err;

	*sums_ref = 0;
	if (!img || blksize < 8 || blksize > XT_KERN_MAX_BLKSIZE)
		return -EINVAL;
	for (i = 0; i < im->n_sums; i++) {
		if (im->sums[i].blksize == blksize) {
			*sums_ref = im->sums[i].first + 1;
			return 0;
		}
	}
	if (im->n_sums == POOL_SUMS_MAX)
		return -ENOSPC;
	n = pool_sums_chunks(img->size, blksize);
	err = chunk_alloc_get(&p->alloc, n, &first);
	if (err)
		return err;
	pool_sums_fill(p->base, img->first_chunk, img->size, blksize, first);
	t = &im->sums[im->n_sums++];
	t->blksize = blksize;
	t->first = first;
	t->n = n;
	*sums_ref = first + 1;
	return 0;
}

const struct loaded_image *image_pool_find(const struct image_pool *p, uint32_t first_chunk,
					   uint32_t id, uint32_t gen)
{
	const struct pool_image *im;

	for (im = p->images; im; im = im->next)
		if (im->pub.first_chunk == first_chunk && im->pub.id == id && im->pub.gen == gen)
			return &im->pub;
	return NULL;
}

unsigned int image_pool_count(const struct image_pool *p)
{
	const struct pool_image *im;
	unsigned int n = 0;

	for (im = p->images; im; im = im->next)
		n++;
	return n;
}

const struct loaded_image *image_pool_next(const struct image_pool *p,
					     const struct loaded_image *prev)
{
	const struct pool_image *im = prev ? to_pool_image(prev)->next : p->images;

	return im ? &im->pub : NULL;
}

void image_pool_retire(struct image_pool *p, const struct loaded_image *img)
{
	struct pool_image *im;

	if (!img)
		return;
	im = to_pool_image(img);
	im->stale = 1;
	if (!im->pub.refs)
		image_unlink_free(p, im);
}

const char *image_pool_name(const struct loaded_image *img)
{
	return img ? to_pool_image(img)->name : NULL;
}

int image_pool_stale(const struct loaded_image *img)
{
	return img ? to_pool_image(img)->stale : 0;
}

/* Hash up to budget more bytes of im (from its chunks: the pool's copy is
 * what the kernel serves, so it is what the digest must vouch for). */
static void image_hash_more(struct image_pool *p, struct pool_image *im, uint64_t budget)
{
	while (!im->pub.sha256_ready && budget) {
		uint64_t left = im->pub.size - im->hashed;
		size_t take = 0;
		const uint8_t *from = chunk_span(p->base, im->pub.first_chunk, im->hashed,
						 left < budget ? left : budget, &take);

		sha256_update(&im->hash, from, take);
		im->hashed += take;
		budget -= take;
		if (im->hashed == im->pub.size) {
			sha256_final(&im->hash, im->pub.sha256);
			im->pub.sha256_ready = 1;
			p->unhashed--;
		}
	}
}

int image_pool_hash_step(struct image_pool *p, uint64_t budget)
{
	struct pool_image *im, *oldest = NULL;

	if (!p->unhashed)       /* every turn of the engine loop: no walk */
		return 0;
	/* newest first in the list: the last unhashed one is the oldest */
	for (im = p->images; im; im = im->next)
		if (!im->pub.sha256_ready)
			oldest = im;
	image_hash_more(p, oldest, budget);
	return p->unhashed != 0;
}

const uint8_t *image_pool_sha256(struct image_pool *p, const struct loaded_image *img)
{
	struct pool_image *im = to_pool_image(img);

	image_hash_more(p, im, UINT64_MAX);
	return img->sha256;
}
