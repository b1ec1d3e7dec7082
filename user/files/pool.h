/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The image pool seen from userspace: which chunks of the pool map are free
 * (a first-fit allocator over free extents), which images are loaded, and
 * how an image's bytes are laid out in its chunks (see xtftp_kern.h: each
 * chunk carries a copy of the first XT_CHUNK_OVERLAP bytes of the next one).
 *
 * Works on any memory of n_chunks * XT_CHUNK_SIZE bytes: the loader passes
 * the mmapped BPF array, the unit tests pass malloc'd memory.
 */
#ifndef XTFTP_POOL_H
#define XTFTP_POOL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include "xtftp_kern.h"

/* An image in the pool. Immutable once loaded; refcounted by sessions. */
struct loaded_image {
	uint32_t id;
	uint32_t gen;
	uint32_t first_chunk;
	uint32_t n_chunks;
	uint64_t size;
	uint8_t sha256[32];     /* valid once sha256_ready (image_pool_sha256) */
	int sha256_ready;
	unsigned int refs;
};

/* ---- chunk allocator ---------------------------------------------------- */
struct chunk_extent {
	uint32_t first;
	uint32_t n;
};

/* Free chunks as extents sorted by first, never adjacent (merged on put). */
struct chunk_allocator {
	uint32_t total;
	struct chunk_extent *free;
	unsigned int n_free;
	unsigned int cap;       /* enough for the worst case: put never allocates */
};

int chunk_alloc_init(struct chunk_allocator *a, uint32_t total);
void chunk_alloc_fini(struct chunk_allocator *a);
/* First fit: the lowest free extent with room for n. -ENOSPC if none. */
int chunk_alloc_get(struct chunk_allocator *a, uint32_t n, uint32_t *first);
/* Give back [first, first + n); merges with free neighbours.
 * -EINVAL if the range is out of bounds or (partly) free already. */
int chunk_alloc_put(struct chunk_allocator *a, uint32_t first, uint32_t n);
uint32_t chunk_alloc_free_chunks(const struct chunk_allocator *a);
uint32_t chunk_alloc_largest(const struct chunk_allocator *a);

/* ---- chunk layout ------------------------------------------------------- */
static inline uint8_t *pool_chunk(uint8_t *base, uint32_t i)
{
	return base + (size_t)i * XT_CHUNK_SIZE;
}

/* Chunks an image of size bytes needs: at least 1, even when empty. */
static inline uint32_t pool_chunks_for(uint64_t size)
{
	uint64_t n = (size + XT_CHUNK_DATA - 1) / XT_CHUNK_DATA;

	return n ? (uint32_t)n : 1;
}

/*
 * Read size bytes of fd (from offset 0, with pread) into chunks
 * [first, first + n) with the overlap layout, zero past the end.
 * -ESTALE if the file is shorter than size (it changed under us), -errno of
 * a failed read. No hash: that is image_pool_hash_step's, off the path of
 * the first answer.
 */
int pool_fill(uint8_t *base, uint32_t first, uint32_t n, int fd, uint64_t size);

/*
 * The block checksum table of an image of size bytes in chunks from
 * img_first, for blksize (xtftp_kern.h, XT_SUMS_PER_CHUNK), written into
 * the pool_sums_chunks(size, blksize) chunks from table_first.
 */
void pool_sums_fill(uint8_t *base, uint32_t img_first, uint64_t size, unsigned int blksize,
		    uint32_t table_first);
/* Chunks that table needs (entries for blocks 1..size / blksize + 1). */
static inline uint32_t pool_sums_chunks(uint64_t size, unsigned int blksize)
{
	uint64_t blocks = size / blksize + 1;

	return (uint32_t)((blocks + XT_SUMS_PER_CHUNK - 1) / XT_SUMS_PER_CHUNK);
}

/* ---- image cache -------------------------------------------------------- */
struct pool_image;

struct image_pool {
	struct chunk_allocator alloc;
	uint8_t *base;
	uint32_t n_chunks;
	struct pool_image *images;  /* every image loaded, newest first */
	uint32_t next_id;
	uint64_t clock;             /* LRU stamp source */
	/* counters, for stats and tests */
	uint64_t hits, loads, evictions;
	unsigned int unhashed;      /* images still without their sha256 */
};

int image_pool_init(struct image_pool *p, void *base, uint32_t n_chunks);
/* Frees the bookkeeping (not base). Images still referenced are dropped. */
void image_pool_fini(struct image_pool *p);
/* See fastpath_image_acquire(). */
int image_pool_acquire(struct image_pool *p, int fd, const struct stat *st,
		       const struct loaded_image **img);
/* The same, remembering name (the served path, NULL: none) with the image:
 * a file replaced by rename (a new inode) under the same name then becomes
 * a new generation of the same image id, and the old one is freed when its
 * last session ends, as for a file rewritten in place. */
int image_pool_acquire_named(struct image_pool *p, int fd, const struct stat *st,
			     const char *name, const struct loaded_image **img);
void image_pool_release(struct image_pool *p, const struct loaded_image *img);
/* Mark img outdated: freed when its last reference goes (now if none). */
void image_pool_retire(struct image_pool *p, const struct loaded_image *img);
/* The name given at acquire (NULL: none), and whether a newer generation
 * replaced the image (it goes when its last session ends). */
const char *image_pool_name(const struct loaded_image *img);
int image_pool_stale(const struct loaded_image *img);
int image_pool_read(const struct image_pool *p, const struct loaded_image *img,
		    uint64_t off, void *buf, size_t len);
/*
 * The block checksum table of img for blksize (8..XT_KERN_MAX_BLKSIZE):
 * built in free chunks on first use, kept with the image (at most
 * POOL_SUMS_MAX blksizes) and freed with it. *sums_ref = 1 + its first
 * chunk (session_value.sums_ref). -ENOSPC when no free chunks hold it (no
 * image is evicted for it: the kernel then sums the payload itself).
 */
#define POOL_SUMS_MAX 4
int image_pool_block_sums(struct image_pool *p, const struct loaded_image *img,
			  unsigned int blksize, uint32_t *sums_ref);
/*
 * The sha256 of an image is not computed by acquire: at SHA-NI speed it
 * took two to three times the copy into the pool, and the client waited
 * for both before its first answer (16 MiB: 71 ms here, of a 0.41 s
 * transfer). The event loop hashes loaded images a slice at a time when it
 * has nothing else to do, after the kernel has started serving.
 *
 * image_pool_hash_step: hash up to budget bytes of the oldest image not yet
 * hashed; 1 while an image is left unhashed, 0 when all are done.
 * image_pool_sha256: img's digest, finishing its hash now if needed.
 */
int image_pool_hash_step(struct image_pool *p, uint64_t budget);
const uint8_t *image_pool_sha256(struct image_pool *p, const struct loaded_image *img);

/* The image loaded at first_chunk with this id and generation, or NULL. */
const struct loaded_image *image_pool_find(const struct image_pool *p, uint32_t first_chunk,
					   uint32_t id, uint32_t gen);
/* Number of images loaded (referenced or cached). */
unsigned int image_pool_count(const struct image_pool *p);
/* Iterate over the images loaded, newest first: prev NULL gives the first,
 * NULL at the end. */
const struct loaded_image *image_pool_next(const struct image_pool *p,
					     const struct loaded_image *prev);

#endif
