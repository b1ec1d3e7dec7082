// SPDX-License-Identifier: GPL-2.0-or-later
/* Image pool: chunk allocator, chunk layout with overlap, image cache. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cmocka.h>
#include "files/pool.h"
#include "util/sha256.h"

/* ---- allocator ----------------------------------------------------------- */

static void test_alloc_first_fit(void **state)
{
	struct chunk_allocator a;
	uint32_t x, y, z, w;

	(void)state;
	assert_int_equal(chunk_alloc_init(&a, 10), 0);
	assert_int_equal(chunk_alloc_get(&a, 3, &x), 0);
	assert_int_equal(chunk_alloc_get(&a, 2, &y), 0);
	assert_int_equal(chunk_alloc_get(&a, 4, &z), 0);
	assert_int_equal(x, 0);
	assert_int_equal(y, 3);
	assert_int_equal(z, 5);
	assert_int_equal(chunk_alloc_free_chunks(&a), 1);
	assert_int_equal(chunk_alloc_get(&a, 2, &w), -ENOSPC);
	/* Free the middle: a 2-hole at 3 and a 1-hole at 9. First fit
	 * takes the lowest hole that fits, not the tightest. */
	assert_int_equal(chunk_alloc_put(&a, y, 2), 0);
	assert_int_equal(chunk_alloc_get(&a, 1, &w), 0);
	assert_int_equal(w, 3);
	assert_int_equal(chunk_alloc_get(&a, 1, &w), 0);
	assert_int_equal(w, 4);
	assert_int_equal(chunk_alloc_get(&a, 1, &w), 0);
	assert_int_equal(w, 9);
	assert_int_equal(chunk_alloc_free_chunks(&a), 0);
	assert_int_equal(chunk_alloc_get(&a, 1, &w), -ENOSPC);
	chunk_alloc_fini(&a);
}

static void test_alloc_merge(void **state)
{
	struct chunk_allocator a;
	uint32_t c[5], w;
	int i;

	(void)state;
	assert_int_equal(chunk_alloc_init(&a, 10), 0);
	for (i = 0; i < 5; i++)
		assert_int_equal(chunk_alloc_get(&a, 2, &c[i]), 0);
	/* Free 0, 2, 4: three separate extents. */
	assert_int_equal(chunk_alloc_put(&a, c[0], 2), 0);
	assert_int_equal(chunk_alloc_put(&a, c[2], 2), 0);
	assert_int_equal(chunk_alloc_put(&a, c[4], 2), 0);
	assert_int_equal(a.n_free, 3);
	assert_int_equal(chunk_alloc_largest(&a), 2);
	assert_int_equal(chunk_alloc_get(&a, 3, &w), -ENOSPC);
	/* Free 1: merges with both neighbours (0..5 one extent). */
	assert_int_equal(chunk_alloc_put(&a, c[1], 2), 0);
	assert_int_equal(a.n_free, 2);
	assert_int_equal(chunk_alloc_largest(&a), 6);
	/* Free 3: everything merges back into one extent. */
	assert_int_equal(chunk_alloc_put(&a, c[3], 2), 0);
	assert_int_equal(a.n_free, 1);
	assert_int_equal(a.free[0].first, 0);
	assert_int_equal(a.free[0].n, 10);
	assert_int_equal(chunk_alloc_get(&a, 10, &w), 0);
	assert_int_equal(w, 0);
	chunk_alloc_fini(&a);
}

static void test_alloc_bad_put(void **state)
{
	struct chunk_allocator a;
	uint32_t x;

	(void)state;
	assert_int_equal(chunk_alloc_init(&a, 8), 0);
	assert_int_equal(chunk_alloc_get(&a, 4, &x), 0);
	assert_int_equal(chunk_alloc_put(&a, 4, 1), -EINVAL);  /* free already */
	assert_int_equal(chunk_alloc_put(&a, 3, 2), -EINVAL);  /* overlaps free */
	assert_int_equal(chunk_alloc_put(&a, 7, 2), -EINVAL);  /* out of bounds */
	assert_int_equal(chunk_alloc_put(&a, 0, 0), -EINVAL);
	assert_int_equal(chunk_alloc_get(&a, 0, &x), -EINVAL);
	assert_int_equal(chunk_alloc_put(&a, 0, 4), 0);
	assert_int_equal(chunk_alloc_put(&a, 0, 4), -EINVAL);  /* double free */
	assert_int_equal(chunk_alloc_free_chunks(&a), 8);
	chunk_alloc_fini(&a);
	assert_int_equal(chunk_alloc_init(&a, 0), -EINVAL);
}

/* Worst-case fragmentation: every other chunk free. put never runs out. */
static void test_alloc_checkerboard(void **state)
{
	struct chunk_allocator a;
	uint32_t i, x;

	(void)state;
	assert_int_equal(chunk_alloc_init(&a, 101), 0);
	for (i = 0; i < 101; i++)
		assert_int_equal(chunk_alloc_get(&a, 1, &x), 0);
	for (i = 0; i < 101; i += 2)
		assert_int_equal(chunk_alloc_put(&a, i, 1), 0);
	assert_int_equal(a.n_free, 51);
	assert_int_equal(chunk_alloc_largest(&a), 1);
	for (i = 1; i < 101; i += 2)
		assert_int_equal(chunk_alloc_put(&a, i, 1), 0);
	assert_int_equal(a.n_free, 1);
	assert_int_equal(chunk_alloc_largest(&a), 101);
	chunk_alloc_fini(&a);
}

/* ---- files and layout ---------------------------------------------------- */

static uint8_t pattern(uint64_t i)
{
	return (uint8_t)((i * 2654435761u) >> 11);
}

/* A temp file of size pattern bytes; returns an fd open for reading. */
static int temp_file(uint64_t size, uint8_t seed, struct stat *st)
{
	char path[] = "/tmp/xt-test-pool.XXXXXX";
	uint8_t buf[4096];
	uint64_t off = 0;
	int fd;

	fd = mkstemp(path);
	assert_true(fd >= 0);
	unlink(path);
	while (off < size) {
		size_t n = size - off < sizeof(buf) ? (size_t)(size - off) : sizeof(buf);

		for (size_t i = 0; i < n; i++)
			buf[i] = pattern(off + i) ^ seed;
		assert_int_equal(write(fd, buf, n), (ssize_t)n);
		off += n;
	}
	assert_int_equal(fstat(fd, st), 0);
	return fd;
}

static uint8_t *new_pool_mem(uint32_t n_chunks)
{
	uint8_t *mem = malloc((size_t)n_chunks * XT_CHUNK_SIZE);

	assert_non_null(mem);
	memset(mem, 0xa5, (size_t)n_chunks * XT_CHUNK_SIZE); /* garbage to overwrite */
	return mem;
}

/* Chunk i holds image bytes [i*DATA, i*DATA + DATA + OVERLAP), zero past the end. */
static void check_layout(uint8_t *base, uint32_t first, uint32_t n, uint64_t size, uint8_t seed)
{
	for (uint32_t c = 0; c < n; c++) {
		const uint8_t *chunk = pool_chunk(base, first + c);

		for (uint32_t j = 0; j < XT_CHUNK_SIZE; j++) {
			uint64_t off = (uint64_t)c * XT_CHUNK_DATA + j;
			uint8_t want = off < size ? (pattern(off) ^ seed) : 0;

			if (chunk[j] != want)
				fail_msg("chunk %u byte %u (image offset %llu): %#x, want %#x",
					 c, j, (unsigned long long)off, chunk[j], want);
		}
	}
}

static void fill_case(uint64_t size)
{
	uint32_t n = pool_chunks_for(size);
	uint8_t *mem = new_pool_mem(n + 2);
	struct stat st;
	int fd = temp_file(size, 0x3c, &st);

	/* at chunk 1 of the pool, to catch absolute/relative index mix-ups */
	assert_int_equal(pool_fill(mem, 1, n, fd, size), 0);
	check_layout(mem, 1, n, size, 0x3c);
	/* neighbours untouched */
	assert_int_equal(pool_chunk(mem, 0)[XT_CHUNK_SIZE - 1], 0xa5);
	assert_int_equal(pool_chunk(mem, n + 1)[0], 0xa5);
	close(fd);
	free(mem);
}

static void test_fill_layout(void **state)
{
	(void)state;
	fill_case(0);                                   /* empty: one zero chunk */
	fill_case(1);
	fill_case(XT_CHUNK_DATA - 1);
	fill_case(XT_CHUNK_DATA);                       /* exactly one chunk */
	fill_case(XT_CHUNK_DATA + 1);                   /* 1 byte into the overlap */
	fill_case(XT_CHUNK_DATA + XT_CHUNK_OVERLAP + 5);/* past the overlap */
	fill_case(3 * XT_CHUNK_DATA + 777);
}

static void test_fill_short_file(void **state)
{
	uint8_t *mem = new_pool_mem(2);
	struct stat st;
	int fd = temp_file(1000, 0, &st);

	(void)state;
	/* The file is shorter than the size fstat gave: it changed. */
	assert_int_equal(pool_fill(mem, 0, 1, fd, 2000), -ESTALE);
	assert_int_equal(pool_fill(mem, 0, 1, fd, XT_CHUNK_DATA + 1), -EINVAL);
	close(fd);
	free(mem);
}

/* ---- image cache ----------------------------------------------------------- */

/* The digest is not computed by acquire (the first answer does not wait
 * for it) but by slices, oldest image first, over the pool's copy; a
 * caller that needs it now finishes it. Either way it is the file's. */
static void test_image_hash_deferred(void **state)
{
	static const uint64_t sizes[] = { 0, 1, XT_CHUNK_DATA + XT_CHUNK_OVERLAP + 5,
					  3 * XT_CHUNK_DATA + 777 };
	const struct loaded_image *img[4];
	uint8_t want[4][32];
	struct image_pool p;
	uint32_t n = 0;
	int fd[4];

	(void)state;
	for (int i = 0; i < 4; i++)
		n += pool_chunks_for(sizes[i]);
	uint8_t *mem = new_pool_mem(n);

	assert_int_equal(image_pool_init(&p, mem, n), 0);
	assert_int_equal(image_pool_hash_step(&p, 1000), 0); /* nothing loaded */
	for (int i = 0; i < 4; i++) {
		struct stat st;
		uint8_t *copy = malloc(sizes[i] ? sizes[i] : 1);

		assert_non_null(copy);
		fd[i] = temp_file(sizes[i], (uint8_t)(0x11 * (i + 1)), &st);
		assert_int_equal(pread(fd[i], copy, sizes[i], 0), (ssize_t)sizes[i]);
		sha256(copy, sizes[i], want[i]);
		free(copy);
		assert_int_equal(image_pool_acquire(&p, fd[i], &st, &img[i]), 0);
		assert_false(img[i]->sha256_ready);
	}
	/* asked for now: the newest, while the older ones still wait */
	assert_memory_equal(image_pool_sha256(&p, img[3]), want[3], 32);
	assert_true(img[3]->sha256_ready);
	assert_false(img[2]->sha256_ready);
	/* the rest in slices of 1000 bytes: at least size / 1000 of them */
	unsigned int steps = 0;
	while (image_pool_hash_step(&p, 1000))
		assert_true(++steps < 1000);
	assert_true(steps >= (sizes[2] + 999) / 1000);
	for (int i = 0; i < 4; i++) {
		assert_true(img[i]->sha256_ready);
		assert_memory_equal(img[i]->sha256, want[i], 32);
		image_pool_release(&p, img[i]);
		close(fd[i]);
	}
	image_pool_fini(&p);
	free(mem);
}

static void test_image_cache_hit_and_read(void **state)
{
	struct image_pool p;
	const struct loaded_image *a, *b;
	uint8_t *mem = new_pool_mem(8), buf[3000];
	struct stat st;
	uint64_t size = XT_CHUNK_DATA + 1500;
	int fd = temp_file(size, 7, &st);

	(void)state;
	assert_int_equal(image_pool_init(&p, mem, 8), 0);
	assert_int_equal(image_pool_acquire(&p, fd, &st, &a), 0);
	assert_int_equal(a->n_chunks, 2);
	assert_int_equal(a->size, size);
	assert_int_equal(a->refs, 1);
	assert_int_equal(a->gen, 1);
	assert_int_equal(image_pool_acquire(&p, fd, &st, &b), 0);
	assert_ptr_equal(a, b);
	assert_int_equal(a->refs, 2);
	assert_int_equal(p.loads, 1);
	assert_int_equal(p.hits, 1);

	/* a read that crosses the chunk border */
	assert_int_equal(image_pool_read(&p, a, XT_CHUNK_DATA - 1000, buf, 2500), 0);
	for (int i = 0; i < 2500; i++)
		assert_int_equal(buf[i], pattern(XT_CHUNK_DATA - 1000 + i) ^ 7);
	assert_int_equal(image_pool_read(&p, a, size - 10, buf, 10), 0);
	assert_int_equal(image_pool_read(&p, a, size - 10, buf, 11), -EINVAL);
	assert_int_equal(image_pool_read(&p, a, size + 1, buf, 0), -EINVAL);

	image_pool_release(&p, a);
	image_pool_release(&p, b);
	assert_int_equal(a->refs, 0);
	assert_int_equal(image_pool_count(&p), 1); /* stays cached */
	assert_int_equal(image_pool_acquire(&p, fd, &st, &b), 0);
	assert_int_equal(p.loads, 1);
	image_pool_release(&p, b);
	image_pool_fini(&p);
	close(fd);
	free(mem);
}

static void test_image_new_generation(void **state)
{
	struct image_pool p;
	const struct loaded_image *v1, *v2, *again;
	uint8_t *mem = new_pool_mem(8);
	struct stat st1, st2;
	int fd = temp_file(5000, 1, &st1);

	(void)state;
	assert_int_equal(image_pool_init(&p, mem, 8), 0);
	assert_int_equal(image_pool_acquire(&p, fd, &st1, &v1), 0);
	/* The file changes (same inode, new size and mtime). */
	assert_int_equal(pwrite(fd, "more", 4, 5000), 4);
	assert_int_equal(fstat(fd, &st2), 0);
	st2.st_mtim.tv_nsec ^= 1; /* make sure mtime differs even on coarse clocks */
	assert_int_equal(image_pool_acquire(&p, fd, &st2, &v2), 0);
	assert_ptr_not_equal(v1, v2);
	assert_int_equal(v2->id, v1->id);
	assert_int_equal(v2->gen, v1->gen + 1);
	assert_int_equal(v2->size, 5004);
	assert_int_not_equal(v2->first_chunk, v1->first_chunk);
	/* The old generation is not served to new sessions ... */
	assert_int_equal(image_pool_acquire(&p, fd, &st2, &again), 0);
	assert_ptr_equal(again, v2);
	image_pool_release(&p, again);
	/* ... and goes as soon as its last session ends. */
	assert_int_equal(image_pool_count(&p), 2);
	image_pool_release(&p, v1);
	assert_int_equal(image_pool_count(&p), 1);
	assert_int_equal(chunk_alloc_free_chunks(&p.alloc), 7);
	image_pool_release(&p, v2);
	image_pool_fini(&p);
	close(fd);
	free(mem);
}

/* cp -p, rsync -t --inplace, tar x: the same inode rewritten with the same
 * size and its mtime set back. Only ctime tells; the next request must get
 * the bytes now on disk. */
static void test_image_rewrite_same_size_and_mtime(void **state)
{
	struct image_pool p;
	const struct loaded_image *v1, *v2;
	uint8_t *mem = new_pool_mem(8);
	struct stat st1, st2;
	struct timespec times[2];
	uint8_t byte = 0;
	int fd = temp_file(5000, 1, &st1);

	(void)state;
	assert_int_equal(image_pool_init(&p, mem, 8), 0);
	assert_int_equal(image_pool_acquire(&p, fd, &st1, &v1), 0);
	/* ctime has a clock tick's resolution: make sure it moves */
	do {
		assert_int_equal(pwrite(fd, "\xff", 1, 0), 1);
		times[0] = st1.st_atim;
		times[1] = st1.st_mtim;
		assert_int_equal(futimens(fd, times), 0);
		assert_int_equal(fstat(fd, &st2), 0);
	} while (st2.st_ctim.tv_sec == st1.st_ctim.tv_sec &&
		 st2.st_ctim.tv_nsec == st1.st_ctim.tv_nsec);
	assert_int_equal(st2.st_size, st1.st_size);
	assert_int_equal(st2.st_mtim.tv_sec, st1.st_mtim.tv_sec);
	assert_int_equal(st2.st_mtim.tv_nsec, st1.st_mtim.tv_nsec);
	assert_int_equal(image_pool_acquire(&p, fd, &st2, &v2), 0);
	assert_int_equal(v2->gen, v1->gen + 1);
	assert_memory_not_equal(image_pool_sha256(&p, v2), image_pool_sha256(&p, v1), 32);
	assert_int_equal(image_pool_read(&p, v2, 0, &byte, 1), 0);
	assert_int_equal(byte, 0xff);
	image_pool_release(&p, v1);
	image_pool_release(&p, v2);
	image_pool_fini(&p);
	close(fd);
	free(mem);
}

static void test_image_evict_lru(void **state)
{
	struct image_pool p;
	const struct loaded_image *a, *b, *c, *d;
	uint8_t *mem = new_pool_mem(4);
	struct stat sa, sb, sc, sd;
	int fa = temp_file(XT_CHUNK_DATA + 1, 1, &sa);      /* 2 chunks */
	int fb = temp_file(10, 2, &sb);                     /* 1 chunk */
	int fc = temp_file(10, 3, &sc);                     /* 1 chunk */
	int fd = temp_file(2 * XT_CHUNK_DATA, 4, &sd);      /* 2 chunks */

	(void)state;
	assert_int_equal(image_pool_init(&p, mem, 4), 0);
	assert_int_equal(image_pool_acquire(&p, fa, &sa, &a), 0);
	assert_int_equal(image_pool_acquire(&p, fb, &sb, &b), 0);
	assert_int_equal(image_pool_acquire(&p, fc, &sc, &c), 0);
	assert_int_equal(chunk_alloc_free_chunks(&p.alloc), 0);
	/* Everything referenced: full, nothing evicted. */
	assert_int_equal(image_pool_acquire(&p, fd, &sd, &d), -ENOSPC);
	assert_null(d);
	assert_int_equal(image_pool_count(&p), 3);
	/* b (chunk 2) and c (chunk 3) unreferenced; d needs both, so both
	 * go, while a (referenced) stays. */
	image_pool_release(&p, c);
	image_pool_release(&p, b);
	assert_int_equal(image_pool_acquire(&p, fc, &sc, &c), 0);
	image_pool_release(&p, c);
	assert_int_equal(image_pool_acquire(&p, fd, &sd, &d), 0);
	assert_int_equal(p.evictions, 2);
	assert_int_equal(d->first_chunk, 2);
	check_layout(mem, d->first_chunk, d->n_chunks, d->size, 4);
	/* a (still referenced) is intact */
	check_layout(mem, a->first_chunk, a->n_chunks, a->size, 1);
	/* Too big for the whole pool: fails without evicting anything. */
	image_pool_release(&p, d);
	{
		struct stat big = sd;
		const struct loaded_image *e;

		big.st_size = 5 * (off_t)XT_CHUNK_DATA;
		big.st_ino ^= 0x5555;
		assert_int_equal(image_pool_acquire(&p, fd, &big, &e), -ENOSPC);
		assert_int_equal(image_pool_count(&p), 2);
	}
	image_pool_release(&p, a);
	image_pool_fini(&p);
	close(fa);
	close(fb);
	close(fc);
	close(fd);
	free(mem);
}

static void test_image_lru_order(void **state)
{
	struct image_pool p;
	const struct loaded_image *a, *b, *c;
	uint8_t *mem = new_pool_mem(2);
	struct stat sa, sb, sc;
	int fa = temp_file(10, 1, &sa), fb = temp_file(10, 2, &sb), fc = temp_file(10, 3, &sc);
	uint32_t b_chunk;

	(void)state;
	assert_int_equal(image_pool_init(&p, mem, 2), 0);
	assert_int_equal(image_pool_acquire(&p, fa, &sa, &a), 0);
	assert_int_equal(image_pool_acquire(&p, fb, &sb, &b), 0);
	b_chunk = b->first_chunk;
	image_pool_release(&p, b);
	image_pool_release(&p, a); /* a used last: b is the LRU victim */
	assert_int_equal(image_pool_acquire(&p, fc, &sc, &c), 0);
	assert_int_equal(c->first_chunk, b_chunk);
	assert_int_equal(p.evictions, 1);
	/* a is still cached: a hit, no load */
	assert_int_equal(image_pool_acquire(&p, fa, &sa, &a), 0);
	assert_int_equal(p.loads, 3);
	image_pool_release(&p, a);
	image_pool_release(&p, c);
	image_pool_fini(&p);
	close(fa);
	close(fb);
	close(fc);
	free(mem);
}

static void test_chunks_for(void **state)
{
	(void)state;
	assert_int_equal(pool_chunks_for(0), 1);
	assert_int_equal(pool_chunks_for(1), 1);
	assert_int_equal(pool_chunks_for(XT_CHUNK_DATA), 1);
	assert_int_equal(pool_chunks_for(XT_CHUNK_DATA + 1), 2);
	assert_int_equal(pool_chunks_for(16ull << 20), 256);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alloc_first_fit),
		cmocka_unit_test(test_alloc_merge),
		cmocka_unit_test(test_alloc_bad_put),
		cmocka_unit_test(test_alloc_checkerboard),
		cmocka_unit_test(test_chunks_for),
		cmocka_unit_test(test_fill_layout),
		cmocka_unit_test(test_fill_short_file),
		cmocka_unit_test(test_image_hash_deferred),
		cmocka_unit_test(test_image_cache_hit_and_read),
		cmocka_unit_test(test_image_new_generation),
		cmocka_unit_test(test_image_rewrite_same_size_and_mtime),
		cmocka_unit_test(test_image_evict_lru),
		cmocka_unit_test(test_image_lru_order),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
