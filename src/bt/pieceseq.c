/*
 * pieceseq: per-piece state counters (see pieceseq.h).
 */
#include "bt/pieceseq.h"

#include <errno.h>
#include <stdlib.h>

#include "base/bitfield.h"

int
pieceseq_init(struct pieceseq *ps, uint32_t npieces)
{
	ps->seq = NULL;
	ps->n = 0;
	if (npieces > BITFIELD_MAX_BITS)
		return -E2BIG;
	/* calloc's zeros are valid atomics: every piece even, unverified. */
	if ((ps->seq = calloc(npieces ? npieces : 1, sizeof(*ps->seq))) == NULL)
		return -ENOMEM;
	ps->n = npieces;
	return 0;
}

void
pieceseq_fini(struct pieceseq *ps)
{
	free(ps->seq);
	ps->seq = NULL;
	ps->n = 0;
}

/* One writer: load, test, add need no compare-and-swap. */
static bool
flip(struct pieceseq *ps, uint32_t piece, uint32_t want)
{
	uint32_t v;

	if (piece >= ps->n)
		return false;
	v = atomic_load_explicit(&ps->seq[piece], memory_order_relaxed);
	if ((v & 1) == want)
		return false;
	/*
	 * To verified: release, so that a reader that sees the odd count
	 * sees the bytes written before.  To unverified: the seqlock
	 * writer's fence after the change, so that a reader that sees what
	 * the owner does to the bytes next sees the change too (the
	 * session's hole punch is also queued to another thread through a
	 * lock, which orders it as well).
	 */
	atomic_fetch_add_explicit(&ps->seq[piece], 1, memory_order_release);
	if (!want)
		atomic_thread_fence(memory_order_release);
	return true;
}

bool
pieceseq_set(struct pieceseq *ps, uint32_t piece)
{
	return flip(ps, piece, 1);
}

bool
pieceseq_clear(struct pieceseq *ps, uint32_t piece)
{
	return flip(ps, piece, 0);
}

bool
pieceseq_test(const struct pieceseq *ps, uint32_t piece)
{
	if (piece >= ps->n)
		return false;
	return atomic_load_explicit(&ps->seq[piece], memory_order_acquire) & 1;
}

uint32_t
pieceseq_get(const struct pieceseq *ps, uint32_t piece)
{
	if (piece >= ps->n)
		return 0;
	return atomic_load_explicit(&ps->seq[piece], memory_order_acquire);
}

/*
 * The sum of the counters of [first, last] (at most 2^21 of 2^32: no
 * overflow in 64 bits).  Counters only grow, so two equal sums mean that
 * no counter moved.  *all_odd: every piece verified.
 */
static uint64_t
stamp(const struct pieceseq *ps, uint32_t first, uint32_t last,
    bool *all_odd)
{
	uint64_t sum = 0;

	*all_odd = true;
	for (uint32_t i = first; i <= last; i++) {
		uint32_t v = atomic_load_explicit(&ps->seq[i],
		    memory_order_acquire);

		if (!(v & 1))
			*all_odd = false;
		sum += v;
	}
	return sum;
}

int
pieceseq_copy(const struct pieceseq *ps, uint32_t first, uint32_t last,
    int (*copy)(void *arg), void *arg)
{
	uint64_t before, after;
	bool ok;
	int rc;

	if (first > last || last >= ps->n)
		return -ERANGE;
	before = stamp(ps, first, last, &ok);
	if (!ok)
		return -EAGAIN;
	if ((rc = copy(arg)) < 0)
		return rc;
	/*
	 * The seqlock reader's fence: what copy() read is ordered before
	 * the counters read below.  A hole punch that copy() saw was queued
	 * after its piece's counter moved, so the move is seen here.
	 */
	atomic_thread_fence(memory_order_acquire);
	after = stamp(ps, first, last, &ok);
	return ok && after == before ? 0 : -EAGAIN;
}
