/* Unit tests for base/tokenbucket: scripted times and transfers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/tokenbucket.h"

static void
test_tb_unlimited(void **state)
{
	struct tokenbucket tb;

	(void)state;
	tb_init(&tb, 0, 0, 0);
	for (int i = 0; i < 1000; i++) {
		assert_true(tb_ok(&tb, 0));
		tb_spend(&tb, 1 << 20);
	}
	assert_int_equal(tb_wait_ms(&tb, 0), 0);
}

static void
test_tb_burst_then_debt(void **state)
{
	struct tokenbucket tb;

	(void)state;
	/* 100 KB/s: burst 25000 (a quarter second). */
	tb_init(&tb, 100000, 0, 1000);
	assert_int_equal(tb.burst, 25000);
	assert_true(tb_ok(&tb, 1000));
	tb_spend(&tb, 16384);
	assert_true(tb_ok(&tb, 1000));
	tb_spend(&tb, 16384);		/* balance -7768 */
	assert_false(tb_ok(&tb, 1000));
	assert_int_equal(tb_wait_ms(&tb, 1000), 78);
	assert_false(tb_ok(&tb, 1077));
	assert_true(tb_ok(&tb, 1078));
}

static void
test_tb_small_burst_floor(void **state)
{
	struct tokenbucket tb;

	(void)state;
	tb_init(&tb, 1000, 0, 0);
	assert_int_equal(tb.burst, 16384);
	tb_init(&tb, 1000, 5000, 0);
	assert_int_equal(tb.burst, 16384);
	tb_init(&tb, 1000000, 500000, 0);
	assert_int_equal(tb.burst, 500000);
}

static void
test_tb_long_run_rate(void **state)
{
	struct tokenbucket tb;
	uint64_t sent = 0, t;

	(void)state;
	/* A sender polling every 10 ms for 20 s at 64 KiB/s. */
	tb_init(&tb, 65536, 0, 0);
	for (t = 0; t <= 20000; t += 10)
		while (tb_ok(&tb, t)) {
			tb_spend(&tb, 16384);
			sent += 16384;
		}
	/* burst + rate * 20 s, within one block. */
	assert_in_range(sent, 65536 * 20, 65536 * 20 + 16384 + 16384);
}

static void
test_tb_refill_capped(void **state)
{
	struct tokenbucket tb;

	(void)state;
	tb_init(&tb, 100000, 0, 0);
	tb_spend(&tb, 25000);
	assert_false(tb_ok(&tb, 0));
	/* An hour idle: back to the burst, no more. */
	assert_true(tb_ok(&tb, 3600000));
	assert_int_equal(tb.tokens, 25000);
	/* Time going backwards changes nothing. */
	assert_true(tb_ok(&tb, 10));
	assert_int_equal(tb.tokens, 25000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tb_unlimited),
		cmocka_unit_test(test_tb_burst_then_debt),
		cmocka_unit_test(test_tb_small_burst_floor),
		cmocka_unit_test(test_tb_long_run_rate),
		cmocka_unit_test(test_tb_refill_capped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
