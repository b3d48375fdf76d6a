/* Unit tests for base/num: sizes, durations and decimal ratios. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>

#include "base/num.h"

struct num_case {
	const char	*in;
	int		 rc;
	uint64_t	 want;
};

static void
run(int (*fn)(const char *, uint64_t, uint64_t *), uint64_t max,
    const struct num_case *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t v = 12345;
		int rc = fn(c[i].in, max, &v);

		if (rc != c[i].rc || (rc == 0 && v != c[i].want))
			fail_msg("\"%s\": rc %d value %llu, want rc %d value "
			    "%llu", c[i].in, rc, (unsigned long long)v,
			    c[i].rc, (unsigned long long)c[i].want);
		if (rc != 0 && v != 12345)
			fail_msg("\"%s\": output written on error", c[i].in);
	}
}

static void
test_num_size(void **state)
{
	static const struct num_case c[] = {
	    {"0", 0, 0}, {"2M", 0, 2 << 20}, {"3KiB", 0, 3072},
	    {"1G", 0, 1 << 30}, {"", -EINVAL, 0}, {"M", -EINVAL, 0},
	    {"2X", -EINVAL, 0}, {"-1", -EINVAL, 0}, {"2T", -ERANGE, 0},
	};

	(void)state;
	run(num_parse_size, (uint64_t)1 << 32, c, sizeof(c) / sizeof(c[0]));
}

static void
test_num_duration(void **state)
{
	static const struct num_case c[] = {
	    {"0", 0, 0},
	    {"90", 0, 90},
	    {"90s", 0, 90},
	    {"30m", 0, 1800},
	    {"2h", 0, 7200},
	    {"1d", 0, 86400},
	    {"1h30m", 0, 5400},
	    {"1d12h", 0, 129600},
	    {"1h0m5s", 0, 3605},
	    {"1000000000", 0, 1000000000},
	    {"", -EINVAL, 0},
	    {"h", -EINVAL, 0},
	    {"-5", -EINVAL, 0},
	    {"1.5h", -EINVAL, 0},
	    {"5x", -EINVAL, 0},
	    {"1h30", -EINVAL, 0},	/* unit missing */
	    {"30m1h", -EINVAL, 0},	/* order */
	    {"1m1m", -EINVAL, 0},	/* twice */
	    {"1H", -EINVAL, 0},
	    {" 5", -EINVAL, 0},
	    {"5 ", -EINVAL, 0},
	    {"1000000001", -ERANGE, 0},
	    {"11575d", -ERANGE, 0},
	    {"99999999999999999999", -ERANGE, 0},
	    {"213503982334601d", -ERANGE, 0},	/* overflows uint64 */
	};

	(void)state;
	run(num_parse_duration, 1000000000, c, sizeof(c) / sizeof(c[0]));
}

static void
test_num_milli(void **state)
{
	static const struct num_case c[] = {
	    {"0", 0, 0},
	    {"2", 0, 2000},
	    {"1.5", 0, 1500},
	    {"0.25", 0, 250},
	    {"0.125", 0, 125},
	    {"10.05", 0, 10050},
	    {"1000", 0, 1000000},
	    {"", -EINVAL, 0},
	    {".5", -EINVAL, 0},
	    {"1.", -EINVAL, 0},
	    {"1.2345", -EINVAL, 0},
	    {"-1", -EINVAL, 0},
	    {"1,5", -EINVAL, 0},
	    {"1e3", -EINVAL, 0},
	    {"1000.001", -ERANGE, 0},
	    {"99999999999999999", -ERANGE, 0},
	};

	(void)state;
	run(num_parse_milli, 1000000, c, sizeof(c) / sizeof(c[0]));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_num_size),
	    cmocka_unit_test(test_num_duration),
	    cmocka_unit_test(test_num_milli),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
