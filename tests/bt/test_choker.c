/* Unit tests for bt/choker: decisions over scripted rate tables. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "bt/choker.h"

#define MIN 60000

static void
table(struct choker_peer *p, uint32_t n, const uint64_t *down,
    const uint64_t *up, const char *interested)
{
	memset(p, 0, n * sizeof(*p));
	for (uint32_t i = 0; i < n; i++) {
		p[i].id = 100 + i;
		p[i].down_rate = down ? down[i] : 0;
		p[i].up_rate = up ? up[i] : 0;
		p[i].interested = interested[i] == '1';
		p[i].connected_ms = 0;	/* old peers at now >= MIN */
	}
}

static uint32_t
regular_mask(const struct choker_peer *p, uint32_t n)
{
	uint32_t m = 0;

	for (uint32_t i = 0; i < n; i++)
		if (p[i].unchoke && !p[i].optimistic)
			m |= 1u << i;
	return m;
}

static int
optimistic_of(const struct choker_peer *p, uint32_t n)
{
	int o = -1;

	for (uint32_t i = 0; i < n; i++)
		if (p[i].optimistic) {
			assert_int_equal(o, -1);	/* only one */
			assert_true(p[i].unchoke);
			o = (int)i;
		}
	return o;
}

/* Leeching: best download rates win the 4 slots, + 1 optimistic. */
static void
test_choker_leeching_by_download_rate(void **state)
{
	const uint64_t down[6] = {10, 50, 30, 70, 20, 60};
	const uint64_t up[6] = {900, 0, 0, 0, 800, 0};
	struct choker c;
	struct choker_peer p[6];
	int o;

	choker_init(&c, 0, 1);
	table(p, 6, down, up, "111111");
	assert_int_equal(choker_run(&c, p, 6, false, MIN), 5);
	assert_int_equal(regular_mask(p, 6), 0x2e);	/* 1, 2, 3, 5 */
	o = optimistic_of(p, 6);
	assert_true(o == 0 || o == 4);
}

/* Seeding: upload rates decide instead. */
static void
test_choker_seeding_by_upload_rate(void **state)
{
	const uint64_t down[6] = {10, 50, 30, 70, 20, 60};
	const uint64_t up[6] = {90, 10, 80, 20, 70, 60};
	struct choker c;
	struct choker_peer p[6];

	choker_init(&c, 0, 1);
	table(p, 6, down, up, "111111");
	choker_run(&c, p, 6, true, MIN);
	assert_int_equal(regular_mask(p, 6), 0x35);	/* 0, 2, 4, 5 */
}

/* Peers that are not interested take no slot. */
static void
test_choker_not_interested_take_no_slot(void **state)
{
	const uint64_t down[6] = {1000, 50, 30, 70, 20, 60};
	struct choker c;
	struct choker_peer p[6];

	choker_init(&c, 0, 1);
	table(p, 6, down, NULL, "011001");
	assert_int_equal(choker_run(&c, p, 6, false, MIN), 3);
	assert_false(p[0].unchoke);
	assert_false(p[3].unchoke);
	assert_false(p[4].unchoke);
	assert_int_equal(optimistic_of(p, 6), -1);	/* nobody left */
}

/* Anti-snubbing: a snubbing peer loses its regular slot while leeching. */
static void
test_choker_anti_snubbing(void **state)
{
	const uint64_t down[5] = {500, 50, 30, 70, 20};
	struct choker c;
	struct choker_peer p[5];

	choker_init(&c, 0, 1);
	table(p, 5, down, down, "11111");
	p[0].snubbed = true;
	choker_run(&c, p, 5, false, MIN);
	assert_int_equal(regular_mask(p, 5), 0x1e);
	/* It can still be the optimistic unchoke. */
	assert_int_equal(optimistic_of(p, 5), 0);
	/* Seeding: snubbing is irrelevant. */
	choker_run(&c, p, 5, true, MIN + 30000);
	assert_true(p[0].unchoke && !p[0].optimistic);
}

/* The optimistic slot holds for 30 s, then rotates. */
static void
test_choker_optimistic_rotation(void **state)
{
	uint64_t down[12] = {0};
	struct choker c;
	struct choker_peer p[12];
	int first, o, changes = 0;
	uint64_t t = MIN;

	for (int i = 0; i < 4; i++)
		down[i] = 1000 - i;
	choker_init(&c, 0, 7);
	table(p, 12, down, NULL, "111111111111");
	assert_true(choker_due(&c, t));
	choker_run(&c, p, 12, false, t);
	assert_false(choker_due(&c, t + 9999));
	assert_true(choker_due(&c, t + 10000));
	first = optimistic_of(p, 12);
	assert_true(first >= 4);
	/* Re-evaluations at 10 s and 20 s keep it. */
	choker_run(&c, p, 12, false, t + 10000);
	assert_int_equal(optimistic_of(p, 12), first);
	choker_run(&c, p, 12, false, t + 20000);
	assert_int_equal(optimistic_of(p, 12), first);
	/* Every 30 s a new draw: over 10 rotations it moves. */
	for (int r = 1; r <= 10; r++) {
		int prev = optimistic_of(p, 12);

		choker_run(&c, p, 12, false, t + 30000 * (uint64_t)r);
		o = optimistic_of(p, 12);
		assert_true(o >= 4);
		changes += o != prev;
	}
	assert_true(changes >= 5);
	/* The optimistic peer leaving (not interested): redrawn at once. */
	o = optimistic_of(p, 12);
	p[o].interested = false;
	choker_run(&c, p, 12, false, t + 300001);
	assert_int_not_equal(optimistic_of(p, 12), o);
	assert_true(optimistic_of(p, 12) >= 4);
}

/* Newcomers (< 60 s) are three times as likely to be drawn. */
static void
test_choker_favours_new_peers(void **state)
{
	const uint64_t down[8] = {900, 800, 700, 600, 0, 0, 0, 0};
	struct choker c;
	struct choker_peer p[8];
	int newc = 0, rounds = 3000;
	uint64_t now = 10 * MIN;

	choker_init(&c, 0, 12345);
	table(p, 8, down, NULL, "11111111");
	for (int r = 0; r < rounds; r++) {
		now += 30000;
		p[7].connected_ms = now - 1000;	/* always new */
		choker_run(&c, p, 8, false, now);
		newc += optimistic_of(p, 8) == 7;
	}
	/* weights 1,1,1,3: expect half. */
	assert_in_range(newc, rounds * 40 / 100, rounds * 60 / 100);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_choker_leeching_by_download_rate),
		cmocka_unit_test(test_choker_seeding_by_upload_rate),
		cmocka_unit_test(test_choker_not_interested_take_no_slot),
		cmocka_unit_test(test_choker_anti_snubbing),
		cmocka_unit_test(test_choker_optimistic_rotation),
		cmocka_unit_test(test_choker_favours_new_peers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
