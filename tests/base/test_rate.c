/* Unit tests for base/rate: a sliding-window meter fed scripted times. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/rate.h"

static void
test_rate_steady(void **state)
{
	struct rate r;
	uint64_t t;

	rate_init(&r, 0, 1000);
	/* 100 KiB every 100 ms = 1 MiB/s (1024000 B/s), for 10 s. */
	for (t = 1000; t < 11000; t += 100)
		rate_add(&r, t, 102400);
	assert_in_range(rate_get(&r, 11000), 1000000, 1050000);
	assert_int_equal(r.total, 100 * 102400);
	/* Silence for longer than the window: zero. */
	assert_int_equal(rate_get(&r, 20000), 0);
}

static void
test_rate_young_meter(void **state)
{
	struct rate r;

	/* A meter 1 s old is not averaged over the whole 5 s window. */
	rate_init(&r, 0, 0);
	rate_add(&r, 500, 50000);
	rate_add(&r, 999, 50000);
	assert_in_range(rate_get(&r, 1000), 95000, 105000);
	/* One burst at the start does not read as infinite. */
	rate_init(&r, 0, 0);
	rate_add(&r, 0, 1000);
	assert_int_equal(rate_get(&r, 0), 4000);
}

static void
test_rate_decays(void **state)
{
	struct rate r;

	rate_init(&r, 100, 0);	/* 2 s window */
	for (uint64_t t = 0; t < 2000; t += 100)
		rate_add(&r, t, 1000);
	assert_in_range(rate_get(&r, 2000), 9000, 11000);
	/* Half the window later, about half the rate. */
	assert_in_range(rate_get(&r, 3000), 4000, 6000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rate_steady),
		cmocka_unit_test(test_rate_young_meter),
		cmocka_unit_test(test_rate_decays),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
