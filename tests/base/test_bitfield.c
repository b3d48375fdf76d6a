/* Unit tests for base/bitfield: bit order, counts, wire checks, scans. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/bitfield.h"

static void
test_bitfield_set_clear_count(void **state)
{
	struct bitfield b;

	assert_int_equal(bitfield_init(&b, 13), 0);
	assert_true(bitfield_none(&b));
	assert_true(bitfield_set(&b, 0));
	assert_false(bitfield_set(&b, 0));
	assert_true(bitfield_set(&b, 12));
	assert_false(bitfield_set(&b, 13));	/* out of range */
	assert_false(bitfield_test(&b, 13));
	assert_int_equal(bitfield_count(&b), 2);
	/* BEP 3: piece 0 is the high bit of the first byte. */
	assert_int_equal(b.bits[0], 0x80);
	assert_int_equal(b.bits[1], 0x08);
	assert_true(bitfield_clear(&b, 0));
	assert_false(bitfield_clear(&b, 0));
	assert_int_equal(bitfield_count(&b), 1);
	bitfield_set_all(&b);
	assert_true(bitfield_all(&b));
	assert_int_equal(b.bits[1], 0xf8);	/* spare bits stay zero */
	bitfield_clear_all(&b);
	assert_true(bitfield_none(&b));
	bitfield_fini(&b);
	bitfield_fini(&b);	/* twice is harmless */
}

static void
test_bitfield_caps(void **state)
{
	struct bitfield b;

	assert_int_equal(bitfield_init(&b, BITFIELD_MAX_BITS + 1), -E2BIG);
	assert_null(b.bits);
	assert_int_equal(bitfield_init(&b, 0), 0);
	assert_true(bitfield_all(&b) && bitfield_none(&b));
	assert_int_equal(bitfield_next_set(&b, 0), 0);
	assert_int_equal(bitfield_check_wire(0, NULL, 0), 0);
	bitfield_fini(&b);
}

struct wire_case {
	uint32_t	nbits;
	uint8_t		bytes[4];
	size_t		len;
	int		rc;
	uint32_t	count;
};

static const struct wire_case wire_cases[] = {
	{8, {0xff}, 1, 0, 8},
	{9, {0xff, 0x80}, 2, 0, 9},
	{9, {0xff, 0x40}, 2, -EBADMSG, 0},	/* spare bit set */
	{9, {0xff, 0x01}, 2, -EBADMSG, 0},
	{9, {0xff}, 1, -EBADMSG, 0},		/* too short */
	{9, {0xff, 0x80, 0x00}, 3, -EBADMSG, 0},	/* too long */
	{1, {0x80}, 1, 0, 1},
	{1, {0x81}, 1, -EBADMSG, 0},
	{16, {0xa5, 0x5a}, 2, 0, 8},
	{3, {0}, 0, -EBADMSG, 0},
};

static void
test_bitfield_wire_table(void **state)
{
	for (size_t i = 0; i < sizeof(wire_cases) / sizeof(wire_cases[0]);
	    i++) {
		const struct wire_case *c = &wire_cases[i];
		struct bitfield b;
		uint8_t out[4];

		assert_int_equal(bitfield_init(&b, c->nbits), 0);
		bitfield_set(&b, 0);
		if (bitfield_from_wire(&b, c->bytes, c->len) != c->rc)
			fail_msg("case %zu: want %d", i, c->rc);
		if (c->rc == 0) {
			assert_int_equal(bitfield_count(&b), c->count);
			bitfield_to_wire(&b, out);
			assert_memory_equal(out, c->bytes, c->len);
		} else {
			/* unchanged on failure */
			assert_int_equal(bitfield_count(&b), 1);
			assert_true(bitfield_test(&b, 0));
		}
		bitfield_fini(&b);
	}
}

static void
test_bitfield_scans(void **state)
{
	struct bitfield b, c;
	uint32_t i, n = 0;
	const uint32_t bits[] = {3, 64, 65, 700, 999};

	assert_int_equal(bitfield_init(&b, 1000), 0);
	for (i = 0; i < 5; i++)
		bitfield_set(&b, bits[i]);
	BITFIELD_FOREACH_SET(&b, i) {
		assert_int_equal(i, bits[n]);
		n++;
	}
	assert_int_equal(n, 5);
	assert_int_equal(bitfield_next_set(&b, 1000), 1000);
	assert_int_equal(bitfield_next_set(&b, 66), 700);
	assert_int_equal(bitfield_next_clear(&b, 3), 4);
	assert_int_equal(bitfield_next_clear(&b, 64), 66);
	bitfield_set_all(&b);
	assert_int_equal(bitfield_next_clear(&b, 0), 1000);
	bitfield_clear(&b, 998);
	assert_int_equal(bitfield_next_clear(&b, 0), 998);
	assert_int_equal(bitfield_next_clear(&b, 999), 1000);

	memset(&c, 0, sizeof(c));
	assert_int_equal(bitfield_copy(&c, &b), 0);
	assert_int_equal(bitfield_count(&c), 999);
	assert_false(bitfield_has_missing(&b, &c));
	bitfield_clear(&c, 5);
	assert_true(bitfield_has_missing(&b, &c));
	assert_false(bitfield_has_missing(&c, &b));
	bitfield_fini(&b);
	bitfield_fini(&c);
}

/* Scans agree with test() on random contents, every start position. */
static void
test_bitfield_scan_random(void **state)
{
	struct bitfield b;

	srand(7);
	assert_int_equal(bitfield_init(&b, 301), 0);
	for (int round = 0; round < 20; round++) {
		bitfield_clear_all(&b);
		for (int k = 0; k < round * 3; k++)
			bitfield_set(&b, (uint32_t)rand() % 301);
		for (uint32_t from = 0; from <= 301; from++) {
			uint32_t s = from, c = from;

			while (s < 301 && !bitfield_test(&b, s))
				s++;
			while (c < 301 && bitfield_test(&b, c))
				c++;
			assert_int_equal(bitfield_next_set(&b, from), s);
			assert_int_equal(bitfield_next_clear(&b, from), c);
		}
	}
	bitfield_fini(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bitfield_set_clear_count),
		cmocka_unit_test(test_bitfield_caps),
		cmocka_unit_test(test_bitfield_wire_table),
		cmocka_unit_test(test_bitfield_scans),
		cmocka_unit_test(test_bitfield_scan_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
