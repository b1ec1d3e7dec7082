// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Image pool generations by served name (issue 7): a file replaced by rename
 * (a new inode) under the same name is a new generation of the same image
 * id; sessions keep theirs; the old one goes with its last session; retire
 * (xtftpctl unload / load over a name) frees an image once unused.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cmocka.h>
#include "files/pool.h"

/* An unlinked temp file of size bytes (each file a new inode). */
static int temp_file(uint64_t size, uint8_t fill, struct stat *st)
{
	char path[] = "/tmp/xt-test-pool-names.XXXXXX";
	uint8_t buf[4096];
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	unlink(path);
	memset(buf, fill, sizeof(buf));
	for (uint64_t off = 0; off < size; off += sizeof(buf)) {
		size_t n = size - off < sizeof(buf) ? (size_t)(size - off) : sizeof(buf);

		assert_int_equal(write(fd, buf, n), (ssize_t)n);
	}
	assert_int_equal(fstat(fd, st), 0);
	return fd;
}

struct fixture {
	struct image_pool p;
	uint8_t *mem;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->mem = calloc(16, XT_CHUNK_SIZE);
	assert_non_null(f->mem);
	assert_int_equal(image_pool_init(&f->p, f->mem, 16), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	image_pool_fini(&f->p);
	free(f->mem);
	free(f);
	return 0;
}

static void test_rename_is_new_generation(void **state)
{
	struct fixture *f = *state;
	const struct loaded_image *v1, *v2, *again;
	struct stat st1, st2;
	int fd1 = temp_file(3000, 1, &st1), fd2 = temp_file(4000, 2, &st2);

	assert_int_equal(image_pool_acquire_named(&f->p, fd1, &st1, "fw.bin", &v1), 0);
	assert_string_equal(image_pool_name(v1), "fw.bin");
	/* the same name now resolves to another inode: replaced by rename */
	assert_int_equal(image_pool_acquire_named(&f->p, fd2, &st2, "fw.bin", &v2), 0);
	assert_ptr_not_equal(v1, v2);
	assert_int_equal(v2->id, v1->id);
	assert_int_equal(v2->gen, v1->gen + 1);
	assert_int_equal(v2->size, 4000);
	assert_true(image_pool_stale(v1));
	assert_false(image_pool_stale(v2));
	/* the running session keeps v1 until it ends; new ones get v2 */
	assert_int_equal(image_pool_acquire_named(&f->p, fd2, &st2, "fw.bin", &again), 0);
	assert_ptr_equal(again, v2);
	image_pool_release(&f->p, again);
	assert_int_equal(image_pool_count(&f->p), 2);
	image_pool_release(&f->p, v1);
	assert_int_equal(image_pool_count(&f->p), 1);
	image_pool_release(&f->p, v2);
	/* an unchanged image stays cached after its last session */
	assert_int_equal(image_pool_count(&f->p), 1);
	close(fd1);
	close(fd2);
}

static void test_other_names_independent(void **state)
{
	struct fixture *f = *state;
	const struct loaded_image *a, *b, *anon;
	struct stat sa, sb;
	int fa = temp_file(1000, 3, &sa), fb = temp_file(1000, 4, &sb);

	assert_int_equal(image_pool_acquire_named(&f->p, fa, &sa, "a.bin", &a), 0);
	assert_int_equal(image_pool_acquire_named(&f->p, fb, &sb, "b.bin", &b), 0);
	assert_int_not_equal(a->id, b->id);
	assert_false(image_pool_stale(a));
	/* the same inode under another name (an alias) is the same image */
	assert_int_equal(image_pool_acquire_named(&f->p, fa, &sa, "alias.bin", &anon), 0);
	assert_ptr_equal(anon, a);
	image_pool_release(&f->p, anon);
	/* unnamed acquire (NULL) only matches by inode */
	assert_int_equal(image_pool_acquire(&f->p, fb, &sb, &anon), 0);
	assert_ptr_equal(anon, b);
	assert_null(image_pool_name(NULL));
	image_pool_release(&f->p, anon);
	image_pool_release(&f->p, a);
	image_pool_release(&f->p, b);
	close(fa);
	close(fb);
}

static void test_retire(void **state)
{
	struct fixture *f = *state;
	const struct loaded_image *pinned, *idle, *next;
	struct stat s1, s2;
	int f1 = temp_file(2000, 5, &s1), f2 = temp_file(2000, 6, &s2);
	uint32_t free_before = chunk_alloc_free_chunks(&f->p.alloc);

	assert_int_equal(image_pool_acquire_named(&f->p, f1, &s1, "pub.bin", &pinned), 0);
	assert_int_equal(image_pool_acquire_named(&f->p, f2, &s2, "idle.bin", &idle), 0);
	image_pool_release(&f->p, idle);
	/* unused: freed at once */
	image_pool_retire(&f->p, idle);
	assert_int_equal(image_pool_count(&f->p), 1);
	/* in use: stale, not served again, freed with its last reference */
	image_pool_retire(&f->p, pinned);
	assert_true(image_pool_stale(pinned));
	assert_int_equal(image_pool_acquire_named(&f->p, f1, &s1, "pub.bin", &next), 0);
	assert_ptr_not_equal(next, pinned);
	assert_int_equal(next->gen, pinned->gen + 1);
	image_pool_release(&f->p, pinned);
	assert_int_equal(image_pool_count(&f->p), 1);
	image_pool_release(&f->p, next);
	image_pool_retire(&f->p, next);
	assert_int_equal(image_pool_count(&f->p), 0);
	assert_int_equal(chunk_alloc_free_chunks(&f->p.alloc), free_before);
	close(f1);
	close(f2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_rename_is_new_generation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_other_names_independent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retire, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
