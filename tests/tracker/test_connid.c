/* Unit tests: BEP 15 connection ids (tracker/connid.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tracker/connid.h"

static void
setup_pair(struct connid *c, struct swarm_addr *a, struct swarm_addr *b)
{
	uint8_t secret[32], ip1[4] = { 127, 0, 3, 1 }, ip2[4] = { 127, 0, 3, 2 };

	memset(secret, 7, sizeof(secret));
	connid_init(c, secret, 60);
	swarm_addr_set(a, ip1, 4, 6881);
	swarm_addr_set(b, ip2, 4, 6881);
}

static void
test_connid_windows(void **state)
{
	struct connid c;
	struct swarm_addr a, b;
	uint64_t t0 = 6000, id;

	(void)state;
	setup_pair(&c, &a, &b);
	id = connid_make(&c, &a, t0);
	/* Same window, and the next one. */
	assert_true(connid_check(&c, &a, id, t0));
	assert_true(connid_check(&c, &a, id, t0 + 59));
	assert_true(connid_check(&c, &a, id, t0 + 60));
	assert_true(connid_check(&c, &a, id, t0 + 119));
	/* Two windows later: expired. */
	assert_false(connid_check(&c, &a, id, t0 + 120));
	/* Not valid before it was made either (a future window). */
	assert_false(connid_check(&c, &a, id, t0 - 1));
	/* Ids rotate between windows. */
	assert_int_not_equal(id, connid_make(&c, &a, t0 + 60));
}

static void
test_connid_bound_to_address(void **state)
{
	struct connid c, other;
	struct swarm_addr a, b;
	uint8_t secret[32];
	uint64_t id;

	(void)state;
	setup_pair(&c, &a, &b);
	id = connid_make(&c, &a, 100);
	assert_false(connid_check(&c, &b, id, 100));
	b = a;
	b.port = 6882;
	assert_false(connid_check(&c, &b, id, 100));
	/* Forged ids fail. */
	assert_false(connid_check(&c, &a, id ^ 1, 100));
	assert_false(connid_check(&c, &a, 0, 100));
	/* Another secret (a restart) invalidates old ids. */
	memset(secret, 8, sizeof(secret));
	connid_init(&other, secret, 60);
	assert_false(connid_check(&other, &a, id, 100));
	assert_int_equal(connid_init_random(&other), 0);
	assert_false(connid_check(&other, &a, id, 100));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_connid_windows),
		cmocka_unit_test(test_connid_bound_to_address),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
