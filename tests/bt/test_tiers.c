/* Unit tests for bt/tiers: the BEP 12 / BEP 27 schedule, bytes-free. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "bt/tiers.h"

static char *t0[] = {"http://a/announce", "http://b/announce",
    "udp://c:1"};
static char *t1[] = {"http://d/announce"};
static char *t2[] = {"http://e/announce", "http://f/announce"};

static const struct meta_tier three[] = {
	{t0, 3},
	{t1, 1},
	{t2, 2},
};

static struct tiers *
make(bool one, uint64_t seed)
{
	struct tiers_config cfg = {.one_at_a_time = one,
	    .backoff_base_ms = 1000, .backoff_max_ms = 5000, .seed = seed};
	struct tiers *t = tiers_new(three, 3, &cfg);

	assert_non_null(t);
	return t;
}

static void
test_tiers_shuffle_is_a_permutation(void **state)
{
	bool moved = false;

	for (uint64_t seed = 1; seed < 50; seed++) {
		struct tiers *t = make(false, seed);
		unsigned seen = 0;
		struct tiers_job j;

		assert_int_equal(tiers_count(t), 6);
		for (uint32_t i = 0; tiers_get(t, i, &j); i++) {
			seen |= 1u << j.id;
			/* tiers keep their order; only inside one is shuffled */
			assert_int_equal(j.tier, i < 3 ? 0 : i < 4 ? 1 : 2);
			if (i < 3 && j.id != i)
				moved = true;
		}
		assert_int_equal(seen, 0x3f);
		tiers_free(t);
	}
	assert_true(moved);
}

static void
test_tiers_parallel_failover_and_promotion(void **state)
{
	struct tiers *t = make(false, 7);
	struct tiers_job j[3], k, first;
	uint64_t now = 1000;

	/* one announce per tier at once, all "started" */
	for (int i = 0; i < 3; i++) {
		assert_true(tiers_next(t, now, &j[i]));
		assert_int_equal(j[i].tier, (uint32_t)i);
		assert_int_equal(j[i].event, TRACKER_EV_STARTED);
	}
	assert_false(tiers_next(t, now, &k));
	assert_int_equal(tiers_next_due(t), UINT64_MAX);
	first = j[0];
	/* tier 0: its first tracker fails: the next one is due at once */
	tiers_on_failure(t, &j[0], now);
	assert_int_equal(tiers_next_due(t), now);
	assert_true(tiers_next(t, now, &k));
	assert_int_equal(k.tier, 0);
	assert_true(k.id != first.id);
	assert_int_equal(tiers_pos(t, k.id), 1);
	/* it answers: promoted to the front, next announce after interval */
	tiers_on_success(t, &k, 1800, 0, now + 5);
	assert_int_equal(tiers_pos(t, k.id), 0);
	assert_int_equal(tiers_pos(t, first.id), 1);
	assert_int_equal(tiers_next_due(t), now + 5 + 1800 * 1000);
	/* min interval wins when larger */
	tiers_on_success(t, &j[1], 60, 900, now);
	assert_int_equal(tiers_next_due(t), now + 900 * 1000);
	/* the re-announce goes to the promoted tracker, without event */
	assert_true(tiers_next(t, now + 5 + 1800 * 1000, &k));
	assert_int_equal(k.tier, 0);
	assert_int_equal(tiers_pos(t, k.id), 0);
	assert_int_equal(k.event, TRACKER_EV_NONE);
	tiers_free(t);
}

static void
test_tiers_backoff_after_a_failed_round(void **state)
{
	struct tiers *t = make(false, 3);
	struct tiers_job j;
	uint64_t now = 0;
	uint64_t waits[5];

	for (int round = 0; round < 5; round++) {
		/* every tracker of tier 2 (two of them) fails in turn */
		for (int i = 0; i < 2; i++) {
			do {
				assert_true(tiers_next(t, now, &j));
				if (j.tier != 2) {
					/* keep the other tiers busy */
					continue;
				}
				break;
			} while (1);
			tiers_on_failure(t, &j, now);
		}
		waits[round] = tiers_next_due(t) - now;
		now = tiers_next_due(t);
	}
	assert_int_equal(waits[0], 1000);
	assert_int_equal(waits[1], 2000);
	assert_int_equal(waits[2], 4000);
	assert_int_equal(waits[3], 5000);	/* capped */
	assert_int_equal(waits[4], 5000);
	tiers_free(t);
}

static void
test_tiers_private_one_at_a_time(void **state)
{
	struct tiers *t = make(true, 11);
	struct tiers_job j, k;
	uint64_t now = 10;
	uint32_t tried = 0;

	/* a single tracker in use; failures walk tier 0, then tier 1 */
	for (;;) {
		assert_true(tiers_next(t, now, &j));
		assert_false(tiers_next(t, now, &k));
		if (j.tier == 1)
			break;
		assert_int_equal(j.tier, 0);
		tiers_on_failure(t, &j, now);
		tried++;
	}
	assert_int_equal(tried, 3);
	tiers_on_success(t, &j, 60, 0, now);
	/* it stays the one used: sticky until it fails */
	assert_true(tiers_next(t, now + 60000, &k));
	assert_int_equal(k.id, j.id);
	assert_int_equal(k.event, TRACKER_EV_NONE);
	tiers_on_failure(t, &k, now + 60000);
	assert_true(tiers_next(t, now + 60000, &k));
	assert_int_equal(k.tier, 2);
	/* only tier 1's tracker accepted "started": only it gets "stopped" */
	{
		struct tiers_job stops[8];

		assert_int_equal(tiers_stop_jobs(t, stops, 8), 1);
		assert_int_equal(stops[0].id, j.id);
		assert_int_equal(stops[0].event, TRACKER_EV_STOPPED);
	}
	tiers_free(t);
}

static void
test_tiers_completed(void **state)
{
	struct tiers *t = make(false, 5);
	struct tiers_job j[3], k;

	for (int i = 0; i < 3; i++) {
		assert_true(tiers_next(t, 0, &j[i]));
		tiers_on_success(t, &j[i], 1800, 0, 0);
	}
	tiers_set_completed(t, 100);
	assert_int_equal(tiers_next_due(t), 100);
	for (int i = 0; i < 3; i++) {
		assert_true(tiers_next(t, 100, &k));
		assert_int_equal(k.event, TRACKER_EV_COMPLETED);
		tiers_on_success(t, &k, 1800, 0, 100);
	}
	assert_false(tiers_next(t, 200, &k));
	assert_true(tiers_next(t, 100 + 1800 * 1000, &k));
	assert_int_equal(k.event, TRACKER_EV_NONE);
	tiers_free(t);
}

static void
test_tiers_completed_while_busy(void **state)
{
	struct tiers *t = make(true, 5);
	struct tiers_job j, k;

	assert_true(tiers_next(t, 0, &j));
	tiers_on_success(t, &j, 1800, 0, 0);
	assert_true(tiers_next(t, 1800 * 1000, &j));
	assert_int_equal(j.event, TRACKER_EV_NONE);
	/* the download completes while that announce is out */
	tiers_set_completed(t, 1800 * 1000 + 5);
	assert_false(tiers_next(t, 1800 * 1000 + 5, &k));
	tiers_on_success(t, &j, 1800, 0, 1800 * 1000 + 10);
	assert_int_equal(tiers_next_due(t), 1800 * 1000 + 10);
	assert_true(tiers_next(t, 1800 * 1000 + 10, &k));
	assert_int_equal(k.event, TRACKER_EV_COMPLETED);
	tiers_free(t);
}

/* Starving: announce after max(min interval, floor), never sooner, and
 * leave a failing group to its backoff. */
static void
test_tiers_want_peers(void **state)
{
	struct tiers *t = make(false, 5);
	struct tiers_job j[3], k;

	/* tier 0 answers with a 120 s min interval, tier 1 with none,
	 * tier 2 fails once (it moves on to its next tracker) */
	for (int i = 0; i < 3; i++)
		assert_true(tiers_next(t, 0, &j[i]));
	tiers_on_success(t, &j[0], 1800, 120, 0);
	tiers_on_success(t, &j[1], 1800, 0, 0);
	tiers_on_failure(t, &j[2], 0);
	assert_true(tiers_next(t, 0, &j[2]));
	tiers_on_success(t, &j[2], 1800, 0, 10 * 1000);
	/* nothing due before the floor of 60 s */
	assert_true(tiers_want_peers(t, 60, 1000));
	assert_false(tiers_want_peers(t, 60, 1000));	/* already sooner */
	assert_false(tiers_next(t, 59 * 1000, &k));
	assert_int_equal(tiers_next_due(t), 60 * 1000);
	assert_true(tiers_next(t, 60 * 1000, &k));
	assert_int_equal(k.tier, 1);
	assert_int_equal(k.event, TRACKER_EV_NONE);
	tiers_on_success(t, &k, 1800, 0, 60 * 1000);
	/* tier 2 answered at 10 s: due at 70 s; tier 0 at its 120 s */
	assert_false(tiers_next(t, 69 * 1000, &k));
	assert_true(tiers_next(t, 70 * 1000, &k));
	assert_int_equal(k.tier, 2);
	tiers_on_success(t, &k, 1800, 0, 70 * 1000);
	assert_false(tiers_next(t, 119 * 1000, &k));
	assert_true(tiers_next(t, 120 * 1000, &k));
	assert_int_equal(k.tier, 0);
	/* a whole failed round: tier 0 backs off (1 s), and asking for
	 * peers brings tiers 1 and 2 forward, not tier 0 */
	for (int i = 0; i < 3; i++) {
		tiers_on_failure(t, &k, 120 * 1000);
		if (i < 2)
			assert_true(tiers_next(t, 120 * 1000, &k));
	}
	assert_true(tiers_want_peers(t, 60, 120 * 1000));
	assert_true(tiers_next(t, 120 * 1000, &k));
	assert_int_equal(k.tier, 1);
	assert_false(tiers_next(t, 120 * 1000, &k));
	assert_true(tiers_next(t, 121 * 1000, &k));
	assert_int_equal(k.tier, 0);
	tiers_free(t);
}

static void
test_tiers_empty(void **state)
{
	struct tiers_config cfg = {0};
	static const struct meta_tier none[] = {{NULL, 0}};

	assert_null(tiers_new(none, 1, &cfg));
	assert_null(tiers_new(NULL, 0, &cfg));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tiers_shuffle_is_a_permutation),
		cmocka_unit_test(test_tiers_parallel_failover_and_promotion),
		cmocka_unit_test(test_tiers_backoff_after_a_failed_round),
		cmocka_unit_test(test_tiers_private_one_at_a_time),
		cmocka_unit_test(test_tiers_completed),
		cmocka_unit_test(test_tiers_completed_while_busy),
		cmocka_unit_test(test_tiers_want_peers),
		cmocka_unit_test(test_tiers_empty),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
