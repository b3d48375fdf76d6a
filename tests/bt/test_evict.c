/*
 * Unit tests for bt/evict: LRU order, ties by index, protected file ends,
 * readers' windows, the short last piece, the output cap, pads skipped.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "bt/evict.h"
#include "bt/metainfo.h"

static void
bf(struct bitfield *b, uint32_t n, const char *bits)
{
	assert_int_equal(bitfield_init(b, n), 0);
	for (uint32_t i = 0; i < n && bits[i]; i++)
		if (bits[i] == '1')
			bitfield_set(b, i);
}

static void
test_evict_lru_order(void **state)
{
	/* 8 pieces of 100 bytes, all had; access times out of order. */
	uint32_t at[8] = {50, 10, 70, 10, 30, 90, 20, 60};
	uint32_t out[8], n;
	struct bitfield have;

	(void)state;
	bf(&have, 8, "11111111");
	/* 250 bytes over: three pieces, oldest first, ties by index. */
	assert_int_equal(evict_choose(at, &have, NULL, NULL, 0, 100, 800,
	    250, out, 8, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(out[0], 1);
	assert_int_equal(out[1], 3);
	assert_int_equal(out[2], 6);
	/* Nothing over: nothing. */
	assert_int_equal(evict_choose(at, &have, NULL, NULL, 0, 100, 800,
	    0, out, 8, &n), 0);
	assert_int_equal(n, 0);
	/* The output cap. */
	assert_int_equal(evict_choose(at, &have, NULL, NULL, 0, 100, 800,
	    800, out, 2, &n), 0);
	assert_int_equal(n, 2);
	bitfield_fini(&have);
}

static void
test_evict_protected(void **state)
{
	uint32_t at[8] = {1, 2, 3, 4, 5, 6, 7, 8};
	uint32_t out[8], n;
	struct bitfield have, keep;
	struct evict_range win = {2, 3};

	(void)state;
	bf(&have, 8, "11111101");
	bf(&keep, 8, "10000001");
	/* Everything over: only 1, 4, 5 are evictable (0, 7 kept, 2-3 in a
	 * window, 6 not had). */
	assert_int_equal(evict_choose(at, &have, &keep, &win, 1, 100, 800,
	    10000, out, 8, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(out[0], 1);
	assert_int_equal(out[1], 4);
	assert_int_equal(out[2], 5);
	bitfield_fini(&have);
	bitfield_fini(&keep);
}

static void
test_evict_short_last(void **state)
{
	/* The last piece holds 10 bytes: it is oldest, 10 bytes are not
	 * enough for 50 over, so one more piece goes. */
	uint32_t at[4] = {5, 6, 7, 1};
	uint32_t out[4], n;
	struct bitfield have;

	(void)state;
	bf(&have, 4, "1111");
	assert_int_equal(evict_choose(at, &have, NULL, NULL, 0, 100, 310,
	    50, out, 4, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(out[0], 3);
	assert_int_equal(out[1], 0);
	assert_int_equal(evict_choose(at, &have, NULL, NULL, 0, 100, 310,
	    10, out, 4, &n), 0);
	assert_int_equal(n, 1);
	bitfield_fini(&have);
}

static void
test_evict_file_ends(void **state)
{
	/* Piece 100 bytes; files: a [0,1000) -> pieces 0-9, pad [1000,1050),
	 * b [1050,1350) -> pieces 10-13, empty c, d [1350,1400) -> 13. */
	struct meta_file files[5] = {
		{ "a", 0, 1000, 0 },
		{ "pad", 1000, 50, META_ATTR_PAD },
		{ "b", 1050, 300, 0 },
		{ "c", 1350, 0, 0 },
		{ "d", 1350, 50, 0 },
	};
	struct metainfo m;
	struct bitfield keep;
	const char *want = "11000000111111";

	(void)state;
	memset(&m, 0, sizeof(m));
	m.piece_len = 100;
	m.npieces = 14;
	m.total = 1400;
	m.files = files;
	m.nfiles = 5;
	assert_int_equal(bitfield_init(&keep, 14), 0);
	evict_mark_file_ends(&m, EVICT_FILE_END_PIECES, &keep);
	for (uint32_t i = 0; i < 14; i++)
		assert_int_equal(bitfield_test(&keep, i), want[i] == '1');
	bitfield_fini(&keep);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_evict_lru_order),
		cmocka_unit_test(test_evict_protected),
		cmocka_unit_test(test_evict_short_last),
		cmocka_unit_test(test_evict_file_ends),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
