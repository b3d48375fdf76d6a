/* Unit tests for fs/readahead: growth while sequential, seeks, clipping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fs/readahead.h"

#define MiB (1ull << 20)
#define FILE_START (10 * MiB)
#define FILE_END (FILE_START + 4096 * MiB)

static void
test_first_read(void **state)
{
	struct fs_readahead ra;
	uint64_t wo = 0, wl = 0;

	(void)state;
	fs_ra_init(&ra, FILE_START, FILE_END);
	assert_true(fs_ra_read(&ra, FILE_START, 128 * 1024, 0, &wo, &wl));
	assert_int_equal(wo, FILE_START);
	assert_int_equal(wl, FS_RA_MIN);
}

static void
test_grows_while_sequential(void **state)
{
	struct fs_readahead ra;
	uint64_t wo, wl, off = FILE_START, last = 0, pushes = 0;

	(void)state;
	fs_ra_init(&ra, FILE_START, FILE_END);
	/* 1 GiB in 1 MiB reads, 10 ms apart (100 MiB/s). */
	for (unsigned i = 0; i < 1024; i++, off += MiB) {
		if (fs_ra_read(&ra, off, MiB, i * 10, &wo, &wl)) {
			pushes++;
			assert_true(wo >= off && wo <= off + MiB);
			assert_true(wl >= last || wl == FS_RA_MAX);
			last = wl;
		}
	}
	assert_int_equal(last, FS_RA_MAX);
	/* Not one push per read: a quarter of the window at least. */
	assert_true(pushes < 200);
	assert_true(pushes > 5);
}

static void
test_slow_reader_grows_by_halves(void **state)
{
	struct fs_readahead ra;
	uint64_t wo, wl, off = FILE_START, maxwl = 0;

	(void)state;
	fs_ra_init(&ra, FILE_START, FILE_END);
	/* 64 MiB at 1 MiB/s. */
	for (unsigned i = 0; i < 64; i++, off += MiB)
		if (fs_ra_read(&ra, off, MiB, (uint64_t)i * 1000, &wo, &wl) &&
		    wl > maxwl)
			maxwl = wl;
	assert_true(maxwl >= 16 * MiB);
	assert_true(maxwl <= FS_RA_MAX);
}

static void
test_seek_resets(void **state)
{
	struct fs_readahead ra;
	uint64_t wo, wl, off = FILE_START;

	(void)state;
	fs_ra_init(&ra, FILE_START, FILE_END);
	for (unsigned i = 0; i < 200; i++, off += MiB)
		(void)fs_ra_read(&ra, off, MiB, i, &wo, &wl);
	assert_true(ra.win > FS_RA_MIN);
	assert_true(fs_ra_read(&ra, FILE_START + 3000 * MiB, 4096, 300, &wo,
	    &wl));
	assert_int_equal(wo, FILE_START + 3000 * MiB);
	assert_int_equal(wl, FS_RA_MIN);
	/* Backwards is a seek too. */
	assert_true(fs_ra_read(&ra, FILE_START + 100 * MiB, 4096, 301, &wo,
	    &wl));
	assert_int_equal(wo, FILE_START + 100 * MiB);
}

static void
test_small_jitter_is_sequential(void **state)
{
	struct fs_readahead ra;
	uint64_t wo, wl;

	(void)state;
	fs_ra_init(&ra, FILE_START, FILE_END);
	assert_true(fs_ra_read(&ra, FILE_START, MiB, 0, &wo, &wl));
	/* Kernel readahead from two workers out of order. */
	(void)fs_ra_read(&ra, FILE_START + 2 * MiB, MiB, 1, &wo, &wl);
	(void)fs_ra_read(&ra, FILE_START + MiB, MiB, 2, &wo, &wl);
	assert_int_equal(ra.next, FILE_START + 3 * MiB);
	assert_int_equal(ra.run_bytes, 2 * MiB);
}

static void
test_clipped_at_eof(void **state)
{
	struct fs_readahead ra;
	uint64_t wo, wl;

	(void)state;
	fs_ra_init(&ra, 0, 3 * MiB);
	assert_true(fs_ra_read(&ra, 2 * MiB, 4096, 0, &wo, &wl));
	assert_int_equal(wo, 2 * MiB);
	assert_int_equal(wl, MiB);
	/* At the end: nothing left, nothing new to push. */
	assert_false(fs_ra_read(&ra, 3 * MiB - 4096, 4096, 1, &wo, &wl));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_read),
		cmocka_unit_test(test_grows_while_sequential),
		cmocka_unit_test(test_slow_reader_grows_by_halves),
		cmocka_unit_test(test_seek_resets),
		cmocka_unit_test(test_small_jitter_is_sequential),
		cmocka_unit_test(test_clipped_at_eof),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
