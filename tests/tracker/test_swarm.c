/* Unit tests: the peer table (tracker/swarm.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tracker/swarm.h"

static void
make(struct swarm_announce *a, uint8_t hash, uint8_t host, uint64_t left,
    enum swarm_event ev)
{
	uint8_t ip[4] = { 127, 0, 3, host };

	memset(a, 0, sizeof(*a));
	memset(a->info_hash, hash, 20);
	swarm_addr_set(&a->addr, ip, 4, 6881);
	a->left = left;
	a->event = ev;
	a->numwant = SWARM_NUMWANT_DEFAULT;
}

static void
test_swarm_announce_and_counts(void **state)
{
	struct swarm *s = swarm_new(600, 0, 0);
	struct swarm_peer_info out[SWARM_NUMWANT_MAX];
	struct swarm_counts c;
	struct swarm_announce a;
	size_t n;

	(void)state;
	assert_non_null(s);
	make(&a, 1, 1, 100, SWARM_EV_STARTED);
	assert_int_equal(swarm_announce(s, &a, 10, out, &n, &c), 0);
	assert_int_equal(n, 0);
	assert_int_equal(c.incomplete, 1);
	make(&a, 1, 2, 0, SWARM_EV_STARTED);
	assert_int_equal(swarm_announce(s, &a, 10, out, &n, &c), 0);
	assert_int_equal(n, 1);		/* the leecher */
	assert_int_equal(out[0].addr.ip[15], 1);
	assert_int_equal(c.complete, 1);
	assert_int_equal(c.incomplete, 1);
	/* The leecher completes: counted once. */
	make(&a, 1, 1, 0, SWARM_EV_COMPLETED);
	assert_int_equal(swarm_announce(s, &a, 11, out, &n, &c), 0);
	assert_int_equal(swarm_announce(s, &a, 12, out, &n, &c), 0);
	assert_int_equal(c.complete, 2);
	assert_int_equal(c.incomplete, 0);
	assert_int_equal(c.downloaded, 1);
	/* Seeders are not given seeders. */
	assert_int_equal(n, 0);
	/* Stopped removes the peer. */
	make(&a, 1, 2, 0, SWARM_EV_STOPPED);
	assert_int_equal(swarm_announce(s, &a, 13, out, &n, &c), 0);
	assert_int_equal(n, 0);
	assert_int_equal(c.complete, 1);
	assert_true(swarm_scrape(s, a.info_hash, &c));
	assert_int_equal(c.complete, 1);
	/* A leecher that stops with left=0 (aria2) counts as a download. */
	make(&a, 1, 3, 10, SWARM_EV_STARTED);
	assert_int_equal(swarm_announce(s, &a, 14, out, &n, &c), 0);
	make(&a, 1, 3, 0, SWARM_EV_STOPPED);
	assert_int_equal(swarm_announce(s, &a, 15, out, &n, &c), 0);
	assert_int_equal(c.downloaded, 2);
	assert_int_equal(c.incomplete, 0);
	memset(a.info_hash, 9, 20);
	assert_false(swarm_scrape(s, a.info_hash, &c));
	assert_int_equal(c.complete, 0);
	swarm_free(s);
}

static void
test_swarm_numwant_and_self(void **state)
{
	struct swarm *s = swarm_new(600, 0, 0);
	struct swarm_peer_info out[SWARM_NUMWANT_MAX];
	struct swarm_counts c;
	struct swarm_announce a;
	size_t n, total;

	(void)state;
	for (int i = 1; i <= 250; i++) {
		make(&a, 2, (uint8_t)i, 5, SWARM_EV_NONE);
		assert_int_equal(swarm_announce(s, &a, 1, out, &n, &c), 0);
	}
	make(&a, 2, 1, 5, SWARM_EV_NONE);
	a.numwant = 1000;	/* clamped */
	assert_int_equal(swarm_announce(s, &a, 2, out, &n, &c), 0);
	assert_int_equal(n, SWARM_NUMWANT_MAX);
	for (size_t i = 0; i < n; i++)
		assert_int_not_equal(out[i].addr.ip[15], 1);
	a.numwant = 7;
	assert_int_equal(swarm_announce(s, &a, 2, out, &n, &c), 0);
	assert_int_equal(n, 7);
	swarm_stats(s, &total, &n);
	assert_int_equal(total, 1);
	assert_int_equal(n, 250);
	swarm_free(s);
}

static void
test_swarm_expiry(void **state)
{
	struct swarm *s = swarm_new(100, 0, 0);
	struct swarm_peer_info out[SWARM_NUMWANT_MAX];
	struct swarm_counts c;
	struct swarm_announce a;
	size_t n, t, p;

	(void)state;
	/* 300 torrents, 2 peers each; half the peers refresh at t=50. */
	for (int h = 0; h < 300; h++) {
		make(&a, 0, 1, 5, SWARM_EV_STARTED);
		a.info_hash[0] = (uint8_t)h;
		a.info_hash[1] = (uint8_t)(h >> 8);
		assert_int_equal(swarm_announce(s, &a, 0, out, &n, &c), 0);
		make(&a, 0, 2, 0, SWARM_EV_STARTED);
		a.info_hash[0] = (uint8_t)h;
		a.info_hash[1] = (uint8_t)(h >> 8);
		assert_int_equal(swarm_announce(s, &a, h < 150 ? 50 : 0, out,
		    &n, &c), 0);
	}
	swarm_stats(s, &t, &p);
	assert_int_equal(t, 300);
	assert_int_equal(p, 600);
	/* Not yet. */
	assert_int_equal(swarm_expire(s, 100), 0);
	/* Expired peers are not handed out even before the sweep. */
	make(&a, 0, 3, 5, SWARM_EV_NONE);
	a.info_hash[0] = 200;
	assert_int_equal(swarm_announce(s, &a, 101, out, &n, &c), 0);
	assert_int_equal(n, 0);
	/* t=101: the peers of t=0 go; torrents 150.. lose both. */
	assert_int_equal(swarm_expire(s, 101), 150 + 150 + 150);
	swarm_stats(s, &t, &p);
	assert_int_equal(t, 151);	/* 150 refreshed + torrent 200 */
	assert_int_equal(p, 151);
	for (int h = 0; h < 150; h++) {
		memset(a.info_hash, 0, 20);
		a.info_hash[0] = (uint8_t)h;
		assert_true(swarm_scrape(s, a.info_hash, &c));
		assert_int_equal(c.complete, 1);
		assert_int_equal(c.incomplete, 0);
	}
	assert_int_equal(swarm_expire(s, 1000), 151);
	swarm_stats(s, &t, &p);
	assert_int_equal(t, 0);
	assert_int_equal(p, 0);
	swarm_free(s);
}

static void
test_swarm_caps(void **state)
{
	struct swarm *s = swarm_new(600, 2, 3);
	struct swarm_peer_info out[SWARM_NUMWANT_MAX];
	struct swarm_counts c;
	struct swarm_announce a;
	size_t n, t, p;

	(void)state;
	for (int h = 1; h <= 2; h++) {
		make(&a, (uint8_t)h, 1, 5, SWARM_EV_NONE);
		assert_int_equal(swarm_announce(s, &a, 1, out, &n, &c), 0);
	}
	make(&a, 3, 1, 5, SWARM_EV_NONE);
	assert_int_equal(swarm_announce(s, &a, 1, out, &n, &c), -ENOSPC);
	for (int i = 2; i <= 5; i++) {
		make(&a, 1, (uint8_t)i, 5, SWARM_EV_NONE);
		assert_int_equal(swarm_announce(s, &a, 1, out, &n, &c), 0);
	}
	/* The 4th and 5th peers were answered but not recorded. */
	assert_int_equal(n, 3);
	assert_int_equal(c.incomplete, 3);
	swarm_stats(s, &t, &p);
	assert_int_equal(t, 2);
	assert_int_equal(p, 4);
	swarm_free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_swarm_announce_and_counts),
		cmocka_unit_test(test_swarm_numwant_and_self),
		cmocka_unit_test(test_swarm_expiry),
		cmocka_unit_test(test_swarm_caps),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
