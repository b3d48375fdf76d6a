/*
 * Unit tests for bt/pieceseq: parity is the verified state, every change
 * moves the counter, and a copy is good only when its pieces were
 * verified before it and unchanged after it.  The race of the read path
 * (a piece evicted and verified again while a reader's pread saw its
 * hole) is played step by step inside the copy callback over a fake
 * store; a bounded two-thread run checks the same with real concurrency.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>

#include "bt/pieceseq.h"

#define NP	4u
#define PL	4096u

/* A fake store: NP pieces of PL bytes, a hole reads as zeros. */
struct store {
	struct pieceseq	 ps;
	_Atomic uint8_t	 bytes[NP * PL];
	uint8_t		 buf[NP * PL];
	uint32_t	 first, last;
	int		 calls;
	int		 rc;			/* copy's result */
	void		(*during)(struct store *);	/* mid-copy */
};

static uint8_t
pattern(uint32_t i)
{
	return (uint8_t)(i * 7u + 1u) | 1u;	/* never 0 */
}

static void
store_write(struct store *st, uint32_t piece)
{
	for (uint32_t i = piece * PL; i < (piece + 1) * PL; i++)
		atomic_store_explicit(&st->bytes[i], pattern(i),
		    memory_order_relaxed);
}

static void
store_punch(struct store *st, uint32_t piece)
{
	for (uint32_t i = piece * PL; i < (piece + 1) * PL; i++)
		atomic_store_explicit(&st->bytes[i], 0, memory_order_relaxed);
}

/* The owner's two steps, in the session's order. */
static void
verify(struct store *st, uint32_t piece)
{
	store_write(st, piece);
	pieceseq_set(&st->ps, piece);
}

static void
evict(struct store *st, uint32_t piece)
{
	pieceseq_clear(&st->ps, piece);
	store_punch(st, piece);
}

static void
store_init(struct store *st)
{
	memset(st, 0, sizeof(*st));
	assert_int_equal(pieceseq_init(&st->ps, NP), 0);
	for (uint32_t p = 0; p < NP; p++)
		verify(st, p);
	st->first = 0;
	st->last = NP - 1;
}

/* The "pread": the first half, then whatever happens, then the rest. */
static int
copy_range(void *arg)
{
	struct store *st = arg;
	uint32_t a = st->first * PL, b = (st->last + 1) * PL;
	uint32_t mid = a + (b - a) / 2;

	st->calls++;
	for (uint32_t i = a; i < b; i++) {
		if (i == mid && st->during)
			st->during(st);
		st->buf[i] = atomic_load_explicit(&st->bytes[i],
		    memory_order_relaxed);
	}
	return st->rc;
}

static bool
buf_good(const struct store *st)
{
	for (uint32_t i = st->first * PL; i < (st->last + 1) * PL; i++)
		if (st->buf[i] != pattern(i))
			return false;
	return true;
}

static void
test_pieceseq_states(void **state)
{
	struct pieceseq ps;

	(void)state;
	assert_int_equal(pieceseq_init(&ps, 3), 0);
	assert_false(pieceseq_test(&ps, 0));
	assert_int_equal(pieceseq_get(&ps, 0), 0);
	assert_true(pieceseq_set(&ps, 0));
	assert_false(pieceseq_set(&ps, 0));	/* no change: no count */
	assert_true(pieceseq_test(&ps, 0));
	assert_int_equal(pieceseq_get(&ps, 0), 1);
	assert_true(pieceseq_clear(&ps, 0));
	assert_false(pieceseq_clear(&ps, 0));
	assert_false(pieceseq_test(&ps, 0));
	assert_true(pieceseq_set(&ps, 0));
	/* Evicted and verified again: same state, another count. */
	assert_true(pieceseq_test(&ps, 0));
	assert_int_equal(pieceseq_get(&ps, 0), 3);
	/* Out of range. */
	assert_false(pieceseq_set(&ps, 3));
	assert_false(pieceseq_clear(&ps, 3));
	assert_false(pieceseq_test(&ps, 3));
	assert_int_equal(pieceseq_get(&ps, 3), 0);
	assert_false(pieceseq_test(&ps, 1));
	pieceseq_fini(&ps);
	pieceseq_fini(&ps);	/* twice: harmless */
	assert_int_equal(pieceseq_init(&ps, (1u << 21) + 1), -E2BIG);
}

static void
test_pieceseq_copy_plain(void **state)
{
	struct store st;

	(void)state;
	store_init(&st);
	/* Verified, nothing happens: the copy stands. */
	assert_int_equal(pieceseq_copy(&st.ps, 0, NP - 1, copy_range, &st),
	    0);
	assert_int_equal(st.calls, 1);
	assert_true(buf_good(&st));
	/* The copy's own error comes back. */
	st.rc = -EIO;
	assert_int_equal(pieceseq_copy(&st.ps, 0, NP - 1, copy_range, &st),
	    -EIO);
	st.rc = 0;
	/* A piece not verified: no copy at all. */
	evict(&st, 2);
	st.calls = 0;
	assert_int_equal(pieceseq_copy(&st.ps, 1, 3, copy_range, &st),
	    -EAGAIN);
	assert_int_equal(st.calls, 0);
	/* A range without it is fine. */
	st.first = st.last = 1;
	assert_int_equal(pieceseq_copy(&st.ps, 1, 1, copy_range, &st), 0);
	assert_true(buf_good(&st));
	/* Bad ranges. */
	assert_int_equal(pieceseq_copy(&st.ps, 2, 1, copy_range, &st),
	    -ERANGE);
	assert_int_equal(pieceseq_copy(&st.ps, 0, NP, copy_range, &st),
	    -ERANGE);
	pieceseq_fini(&st.ps);
}

/* Mid-copy: piece 1 is evicted and downloaded again. */
static void
evict_and_refetch_1(struct store *st)
{
	evict(st, 1);
	/* The rest of the copy must see the hole, as a pread would... */
	st->during = NULL;
}

static int
copy_then_refetch(void *arg)
{
	struct store *st = arg;
	int rc = copy_range(arg);

	/* ...and the piece is verified again before the re-check. */
	verify(st, 1);
	return rc;
}

static void
test_pieceseq_copy_evicted_and_refetched(void **state)
{
	struct store st;

	(void)state;
	store_init(&st);
	/* [0, 1]: the hook runs at the middle, piece 1's first byte. */
	st.first = 0;
	st.last = 1;
	st.during = evict_and_refetch_1;
	assert_int_equal(pieceseq_copy(&st.ps, 0, 1, copy_then_refetch, &st),
	    -EAGAIN);
	/* What the copy read: piece 1's hole. */
	assert_false(buf_good(&st));
	assert_int_equal(st.buf[PL], 0);
	/* A "verified before and after" check alone would have passed. */
	assert_true(pieceseq_test(&st.ps, 0) && pieceseq_test(&st.ps, 1));
	/* The retry copies the new bytes. */
	assert_int_equal(pieceseq_copy(&st.ps, 0, 1, copy_range, &st), 0);
	assert_true(buf_good(&st));
	pieceseq_fini(&st.ps);
}

/* Mid-copy eviction with no download after it. */
static void
evict_3(struct store *st)
{
	evict(st, 3);
	st->during = NULL;
}

static void
test_pieceseq_copy_evicted(void **state)
{
	struct store st;

	(void)state;
	store_init(&st);
	st.first = 2;
	st.last = 3;
	st.during = evict_3;
	assert_int_equal(pieceseq_copy(&st.ps, 2, 3, copy_range, &st),
	    -EAGAIN);
	/* An eviction outside the range does not spoil a copy. */
	verify(&st, 3);
	st.first = 0;
	st.last = 1;
	st.during = evict_3;
	assert_int_equal(pieceseq_copy(&st.ps, 0, 1, copy_range, &st), 0);
	assert_true(buf_good(&st));
	pieceseq_fini(&st.ps);
}

/*
 * Real threads: the owner evicts and re-verifies piece 1 over and over,
 * each time once the reader has started a new copy of [0, 2], so that
 * most evictions land inside a copy; every copy that pieceseq_copy()
 * accepts must hold the pattern, never a hole's zeros.  Bounded in
 * rounds and in spins.
 */
#define ROUNDS	2000

struct race {
	struct store	 st;		/* first: copy_race's arg */
	atomic_int	 started;	/* copies begun */
	atomic_bool	 stop;
};

static int
copy_race(void *arg)
{
	struct race *r = arg;

	atomic_fetch_add(&r->started, 1);
	return copy_range(&r->st);
}

static void *
owner_main(void *arg)
{
	struct race *r = arg;
	int seen = 0;

	for (int i = 0; i < ROUNDS && !atomic_load(&r->stop); i++) {
		for (long k = 0; k < 10000000L &&
		    atomic_load(&r->started) == seen &&
		    !atomic_load(&r->stop); k++)
			sched_yield();
		seen = atomic_load(&r->started);
		evict(&r->st, 1);
		verify(&r->st, 1);
	}
	atomic_store(&r->stop, true);
	return NULL;
}

static void
test_pieceseq_threads(void **state)
{
	static struct race r;
	pthread_t t;
	int good = 0, retried = 0;

	(void)state;
	memset(&r, 0, sizeof(r));
	store_init(&r.st);
	r.st.first = 0;
	r.st.last = 2;
	assert_int_equal(pthread_create(&t, NULL, owner_main, &r), 0);
	for (long i = 0; i < 10000000L && !atomic_load(&r.stop); i++) {
		int rc = pieceseq_copy(&r.st.ps, 0, 2, copy_race, &r);

		if (rc == 0) {
			if (!buf_good(&r.st)) {
				atomic_store(&r.stop, true);
				pthread_join(t, NULL);
				fail_msg("a copy with a hole was accepted");
			}
			good++;
		} else if (rc == -EAGAIN) {
			retried++;
		} else {
			fail_msg("pieceseq_copy: %d", rc);
		}
	}
	atomic_store(&r.stop, true);
	pthread_join(t, NULL);
	print_message("%d copies accepted, %d refused\n", good, retried);
	assert_true(good > 0);
	pieceseq_fini(&r.st.ps);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pieceseq_states),
		cmocka_unit_test(test_pieceseq_copy_plain),
		cmocka_unit_test(test_pieceseq_copy_evicted_and_refetched),
		cmocka_unit_test(test_pieceseq_copy_evicted),
		cmocka_unit_test(test_pieceseq_threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
