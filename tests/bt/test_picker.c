/*
 * Unit tests for bt/picker: priorities, rarest first, partial pieces first,
 * endgame, pad skipping, critical spreading, stalled re-requests, hash
 * failure sender tracking, and a timed pick on a 100k-piece torrent.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "bt/picker.h"

#define KB16 PICKER_BLOCK

static struct bitfield *
bf_new(uint32_t n, const char *bits)
{
	struct bitfield *b = malloc(sizeof(*b));

	assert_int_equal(bitfield_init(b, n), 0);
	if (bits == NULL)
		bitfield_set_all(b);
	else
		for (uint32_t i = 0; i < n && bits[i]; i++)
			if (bits[i] == '1')
				bitfield_set(b, i);
	return b;
}

static void
bf_free(struct bitfield *b)
{
	bitfield_fini(b);
	free(b);
}

static struct picker_peer
peer(uint32_t id, const struct bitfield *have, uint64_t rate)
{
	struct picker_peer p = {id, have, rate, false};

	return p;
}

static void
test_picker_pipeline_depth(void **state)
{
	assert_int_equal(picker_pipeline_depth(0), 2);
	assert_int_equal(picker_pipeline_depth(10000), 2);
	assert_int_equal(picker_pipeline_depth(1000000), 183);
	assert_int_equal(picker_pipeline_depth(1000000000), 500);
}

static void
test_picker_geometry(void **state)
{
	struct picker *pk;

	assert_null(picker_new(0, KB16, 1));
	assert_null(picker_new(3, KB16, 3 * KB16 + 1));	/* 4 pieces */
	assert_null(picker_new((1u << 21) + 1, KB16,
	    ((uint64_t)(1u << 21) + 1) * KB16));
	pk = picker_new(3, 65536, 2 * 65536 + 100);
	assert_non_null(pk);
	assert_int_equal(picker_piece_size(pk, 2), 100);
	assert_int_equal(picker_nblocks(pk, 0), 4);
	assert_int_equal(picker_nblocks(pk, 2), 1);
	picker_free(pk);
	picker_free(NULL);
}

/* CRITICAL before HIGH before NORMAL; SKIP never. */
static void
test_picker_priorities(void **state)
{
	struct picker *pk = picker_new(100, KB16, 100 * KB16);
	struct bitfield *all = bf_new(100, NULL);
	struct picker_peer p = peer(0, all, 1000);
	struct picker_block out[8];

	assert_int_equal(picker_peer_add(pk, 0, all), 0);
	picker_raise(pk, 60, 61, PICKER_HIGH);
	picker_raise(pk, 50, 50, PICKER_CRITICAL);
	picker_raise(pk, 50, 50, PICKER_HIGH);	/* raise never lowers */
	assert_int_equal(picker_prio(pk, 50), PICKER_CRITICAL);
	assert_int_equal(picker_pick(pk, &p, 0, 1000, out, 4), 4);
	assert_int_equal(out[0].piece, 50);
	assert_true(out[1].piece == 60 || out[1].piece == 61);
	assert_true(out[2].piece == 60 || out[2].piece == 61);
	assert_int_not_equal(out[1].piece, out[2].piece);
	assert_true(out[3].piece != 50 && out[3].piece != 60 &&
	    out[3].piece != 61);
	assert_int_equal(out[0].length, KB16);
	picker_free(pk);

	/* --on-demand: everything SKIP but what a reader raised. */
	pk = picker_new(100, KB16, 100 * KB16);
	picker_peer_add(pk, 0, all);
	picker_set_prio(pk, 0, 99, PICKER_SKIP);
	picker_raise(pk, 10, 10, PICKER_NORMAL);
	assert_int_equal(picker_pick(pk, &p, 0, 1000, out, 8), 1);
	assert_int_equal(out[0].piece, 10);
	/* Endgame now, but a peer is never asked twice for a block. */
	assert_true(picker_in_endgame(pk));
	assert_int_equal(picker_pick(pk, &p, 0, 1000, out, 8), 0);
	picker_free(pk);
	bf_free(all);
}

/* Rarest first, and never a piece we have. */
static void
test_picker_rarest_first(void **state)
{
	struct picker *pk = picker_new(10, KB16, 10 * KB16);
	struct bitfield *a = bf_new(10, "1111111110");
	struct bitfield *b = bf_new(10, "1111100000");
	struct bitfield *c = bf_new(10, "1110000000");
	struct picker_peer pa = peer(1, a, 0);
	struct picker_block out[10];
	uint32_t n;

	picker_peer_add(pk, 1, a);
	picker_peer_add(pk, 2, b);
	picker_peer_add(pk, 3, c);
	assert_int_equal(picker_availability(pk, 0), 3);
	assert_int_equal(picker_availability(pk, 4), 2);
	assert_int_equal(picker_availability(pk, 9), 0);
	picker_set_have(pk, 5);
	n = picker_pick(pk, &pa, 0, 1000, out, 10);
	assert_int_equal(n, 8);
	/* avail 1 pieces (6, 7, 8) first, then 3-4, then 0-2. */
	for (uint32_t i = 0; i < 3; i++)
		assert_true(out[i].piece >= 6 && out[i].piece <= 8);
	for (uint32_t i = 3; i < 5; i++)
		assert_true(out[i].piece == 3 || out[i].piece == 4);
	for (uint32_t i = 5; i < 8; i++)
		assert_true(out[i].piece <= 2);
	for (uint32_t i = 0; i < n; i++)
		assert_int_not_equal(out[i].piece, 5);
	/* Interest: c has only pieces we want; after we get them, none. */
	assert_true(picker_peer_interesting(pk, c));
	assert_false(picker_wants(pk, 5));
	for (uint32_t i = 0; i < 3; i++)
		picker_set_have(pk, i);
	assert_false(picker_peer_interesting(pk, c));
	assert_true(picker_peer_interesting(pk, b));
	/* A HAVE changes the order: b gets 7, so 7 is no longer rarest. */
	picker_peer_remove(pk, 1, a);
	assert_int_equal(picker_peer_nreq(pk, 1), 0);
	picker_peer_have(pk, 2, 7);
	assert_int_equal(picker_availability(pk, 7), 1);
	assert_int_equal(picker_availability(pk, 6), 0);
	picker_free(pk);
	bf_free(a);
	bf_free(b);
	bf_free(c);
}

/*
 * Shuffled ties: two pickers seeded differently start on different
 * pieces of one seeder; the same seed gives the same order; rarest first
 * still decides between availabilities.
 */
static uint32_t
first_pieces(uint64_t seed, const struct bitfield *rare, uint32_t *out,
    uint32_t n)
{
	struct picker *pk = picker_new(64, KB16, 64 * KB16);
	struct bitfield *all = bf_new(64, NULL);
	struct picker_peer p = peer(1, all, 0);
	struct picker_block blk[64];
	const char *why;
	uint32_t got;

	picker_peer_add(pk, 1, all);
	if (rare != NULL)
		picker_peer_add(pk, 2, rare);
	picker_shuffle(pk, seed);
	got = picker_pick(pk, &p, 0, 1000, blk, n);
	for (uint32_t i = 0; i < got; i++)
		out[i] = blk[i].piece;
	assert_int_equal(picker_check(pk, &why), 0);
	picker_free(pk);
	bf_free(all);
	return got;
}

static void
test_picker_shuffle(void **state)
{
	uint32_t a[8], b[8], c[8], d[64];
	struct bitfield *rare;
	char bits[65];
	uint32_t differ = 0, n;

	assert_int_equal(first_pieces(1, NULL, a, 8), 8);
	assert_int_equal(first_pieces(2, NULL, b, 8), 8);
	assert_int_equal(first_pieces(1, NULL, c, 8), 8);
	assert_memory_equal(a, c, sizeof(a));
	for (uint32_t i = 0; i < 8; i++)
		differ += a[i] != b[i];
	assert_true(differ >= 4);
	/* Not simply 0, 1, 2, ... */
	differ = 0;
	for (uint32_t i = 0; i < 8; i++)
		differ += a[i] != i;
	assert_true(differ >= 4);
	/* Pieces 0-31 are also held by a second peer (avail 2): the 32
	 * pieces of avail 1 still come first, every piece exactly once. */
	memset(bits, '0', 64);
	memset(bits, '1', 32);
	bits[64] = '\0';
	rare = bf_new(64, bits);
	n = first_pieces(7, rare, d, 64);
	assert_int_equal(n, 64);
	for (uint32_t i = 0; i < 32; i++)
		assert_true(d[i] >= 32);
	for (uint32_t i = 32; i < 64; i++)
		assert_true(d[i] < 32);
	bf_free(rare);
}

/* A started piece is finished before a rarer one is started. */
static void
test_picker_partial_first(void **state)
{
	struct picker *pk = picker_new(4, 4 * KB16, 16 * KB16);
	struct bitfield *a = bf_new(4, "1111");
	struct bitfield *b = bf_new(4, "1110");
	struct bitfield *c = bf_new(4, "0001");
	struct picker_peer pa = peer(1, a, 0), pb = peer(2, b, 0);
	struct picker_block out[8];

	picker_peer_add(pk, 1, a);	/* a seed */
	picker_peer_add(pk, 2, b);
	picker_peer_add(pk, 3, c);
	/* a starts piece 0? No: 3 is rarest for it... */
	assert_int_equal(picker_pick(pk, &pb, 0, 1000, out, 1), 1);
	assert_true(out[0].piece <= 2);
	/* ...but b's partial piece is now finished first by a. */
	assert_int_equal(picker_pick(pk, &pa, 0, 1000, out, 3), 3);
	for (int i = 0; i < 3; i++)
		assert_int_equal(out[i].piece, out[0].piece);
	picker_free(pk);
	bf_free(a);
	bf_free(b);
	bf_free(c);
}

/* Endgame: the last blocks go to a second peer; the first copy cancels. */
static void
test_picker_endgame(void **state)
{
	struct picker *pk = picker_new(2, 2 * KB16, 4 * KB16);
	struct bitfield *all = bf_new(2, NULL);
	struct picker_peer pa = peer(1, all, 0), pb = peer(2, all, 0);
	struct picker_block out[8];
	struct picker_recv r;

	picker_peer_add(pk, 1, all);
	picker_peer_add(pk, 2, all);
	assert_false(picker_in_endgame(pk));
	assert_int_equal(picker_pick(pk, &pa, 0, 1000, out, 8), 4);
	assert_true(picker_in_endgame(pk));
	/* a asks nothing twice. */
	assert_int_equal(picker_pick(pk, &pa, 0, 1000, out, 8), 0);
	assert_int_equal(picker_pick(pk, &pb, 0, 1000, out, 8), 4);
	assert_int_equal(picker_peer_nreq(pk, 1), 4);
	assert_int_equal(picker_peer_nreq(pk, 2), 4);
	/* b delivers block 0 of piece 1: cancel it at a. */
	assert_int_equal(picker_on_block(pk, 2, 1, 0, &r), 0);
	assert_true(r.fresh);
	assert_false(r.piece_done);
	assert_int_equal(r.ncancel, 1);
	assert_int_equal(r.cancel[0], 1);
	assert_int_equal(picker_peer_nreq(pk, 1), 3);
	/* a's copy arrives anyway: a duplicate. */
	assert_int_equal(picker_on_block(pk, 1, 1, 0, &r), 0);
	assert_false(r.fresh);
	assert_int_equal(picker_on_block(pk, 1, 1, KB16, &r), 0);
	assert_true(r.piece_done);
	assert_int_equal(r.ncancel, 1);
	assert_int_equal(r.cancel[0], 2);
	picker_set_have(pk, 1);
	assert_int_equal(picker_on_block(pk, 2, 1, KB16, &r), -ENOENT);
	picker_free(pk);
	bf_free(all);
}

/* BEP 47: pad blocks never requested; an all-pad piece never either. */
static void
test_picker_pads(void **state)
{
	struct picker *pk = picker_new(4, 4 * KB16, 16 * KB16);
	struct bitfield *all = bf_new(4, NULL);
	struct picker_peer pa = peer(1, all, 0);
	struct picker_block out[16];
	struct picker_recv r;
	uint32_t n, got[4] = {0};

	/* Blocks 5 and 6 wholly inside; block 7 partly. */
	assert_int_equal(picker_add_pad(pk, 5 * KB16, 2 * KB16 + 1000), 0);
	assert_int_equal(picker_add_pad(pk, 8 * KB16, 4 * KB16), 0);
	assert_int_equal(picker_add_pad(pk, 0, 10), -EINVAL);	/* order */
	assert_true(picker_piece_is_pad(pk, 2));
	assert_false(picker_piece_is_pad(pk, 1));
	picker_peer_add(pk, 1, all);
	n = picker_pick(pk, &pa, 0, 1000, out, 16);
	assert_int_equal(n, 4 + 2 + 4);
	for (uint32_t i = 0; i < n; i++) {
		assert_int_not_equal(out[i].piece, 2);
		got[out[i].piece]++;
		if (out[i].piece == 1)
			assert_true(out[i].begin == 0 ||
			    out[i].begin == 3 * KB16);
	}
	assert_int_equal(got[1], 2);
	/* The two real blocks complete the piece. */
	picker_on_block(pk, 1, 1, 0, &r);
	picker_on_block(pk, 1, 1, 3 * KB16, &r);
	assert_true(r.piece_done);
	picker_free(pk);
	bf_free(all);
}

/* A critical piece spreads over peers; others fill the rest. */
static void
test_picker_critical_spread(void **state)
{
	struct picker *pk = picker_new(8, 64 * KB16, 8 * 64 * (uint64_t)KB16);
	struct bitfield *all = bf_new(8, NULL);
	struct picker_peer pa = peer(1, all, 1000), pb = peer(2, all, 1000);
	struct picker_block out[100];
	uint32_t n, crit = 0;

	picker_peer_add(pk, 1, all);
	picker_peer_add(pk, 2, all);
	picker_set_spread(pk, 4);
	picker_raise(pk, 3, 3, PICKER_CRITICAL);
	n = picker_pick(pk, &pa, 0, 1000, out, 100);
	assert_int_equal(n, 100);
	for (uint32_t i = 0; i < n; i++)
		crit += out[i].piece == 3;
	assert_int_equal(crit, 16);
	n = picker_pick(pk, &pb, 0, 1000, out, 20);
	crit = 0;
	for (uint32_t i = 0; i < n; i++)
		crit += out[i].piece == 3;
	assert_int_equal(crit, 16);
	assert_int_equal(out[0].piece, 3);
	assert_int_equal(out[0].begin, 16 * KB16);
	/* Spread 1: one peer takes the whole piece. */
	picker_set_spread(pk, 1);
	picker_raise(pk, 5, 5, PICKER_CRITICAL);
	n = picker_pick(pk, &pb, 0, 1000, out, 64);
	crit = 0;
	for (uint32_t i = 0; i < n; i++)
		crit += out[i].piece == 5;
	assert_true(crit >= 32);
	picker_free(pk);
	bf_free(all);
}

/* A critical block stalled on a slow peer is asked of a faster one. */
static void
test_picker_stalled_critical(void **state)
{
	struct picker *pk = picker_new(8, 2 * KB16, 16 * KB16);
	struct bitfield *all = bf_new(8, NULL);
	struct bitfield *some = bf_new(8, "01111111");
	struct picker_peer slow = peer(1, all, 100);
	struct picker_peer fast = peer(2, some, 1000000);
	struct picker_peer slower = peer(3, some, 10);
	struct picker_block out[8];
	struct picker_recv r;
	uint32_t n;

	picker_peer_add(pk, 1, all);
	picker_peer_add(pk, 2, some);
	picker_peer_add(pk, 3, some);
	picker_raise(pk, 1, 1, PICKER_CRITICAL);
	assert_int_equal(picker_pick(pk, &slow, 1000, 2000, out, 2), 2);
	assert_int_equal(out[0].piece, 1);
	assert_int_equal(out[1].piece, 1);
	/* Not stalled yet: fast gets other pieces. */
	n = picker_pick(pk, &fast, 2000, 2000, out, 2);
	assert_int_equal(n, 2);
	assert_int_not_equal(out[0].piece, 1);
	assert_int_not_equal(out[1].piece, 1);
	/* Stalled, but the asker is slower still: not piece 1. */
	n = picker_pick(pk, &slower, 4000, 2000, out, 2);
	assert_int_not_equal(out[0].piece, 1);
	/* Stalled on a slower peer: fast is asked too, before anything. */
	n = picker_pick(pk, &fast, 4000, 2000, out, 2);
	assert_int_equal(n, 2);
	assert_int_equal(out[0].piece, 1);
	assert_int_equal(out[1].piece, 1);
	/* The fast copy wins; the slow peer is told to cancel. */
	assert_int_equal(picker_on_block(pk, 2, 1, 0, &r), 0);
	assert_true(r.fresh);
	assert_int_equal(r.ncancel, 1);
	assert_int_equal(r.cancel[0], 1);
	picker_free(pk);
	bf_free(all);
	bf_free(some);
}

/* A failed hash frees the piece and names every sender. */
static void
test_picker_hash_fail_senders(void **state)
{
	struct picker *pk = picker_new(2, 4 * KB16, 8 * KB16);
	struct bitfield *all = bf_new(2, NULL);
	struct picker_peer pa = peer(1, all, 0), pb = peer(2, all, 0);
	struct picker_block out[8];
	struct picker_recv r;
	uint32_t peers[4], n;

	picker_peer_add(pk, 1, all);
	picker_peer_add(pk, 2, all);
	picker_set_prio(pk, 1, 1, PICKER_SKIP);
	assert_int_equal(picker_pick(pk, &pa, 0, 1000, out, 3), 3);
	assert_int_equal(picker_pick(pk, &pb, 0, 1000, out + 3, 1), 1);
	for (int i = 0; i < 4; i++)
		picker_on_block(pk, i < 3 ? 1 : 2, 0, out[i].begin, &r);
	assert_true(r.piece_done);
	n = picker_on_hash_fail(pk, 0, peers, 4);
	assert_int_equal(n, 2);
	assert_true((peers[0] == 1 && peers[1] == 2) ||
	    (peers[0] == 2 && peers[1] == 1));
	/* The piece is downloadable again. */
	assert_int_equal(picker_pick(pk, &pb, 0, 1000, out, 8), 4);
	/* A peer that leaves gives its blocks back. */
	picker_peer_remove(pk, 2, all);
	assert_int_equal(picker_pick(pk, &pa, 0, 1000, out, 8), 4);
	picker_free(pk);
	bf_free(all);
}

static void
test_picker_snubbed_and_lost(void **state)
{
	struct picker *pk = picker_new(10, KB16, 10 * KB16);
	struct bitfield *all = bf_new(10, NULL);
	struct picker_peer p = peer(1, all, 0);
	struct picker_block out[8];

	picker_peer_add(pk, 1, all);
	assert_int_equal(picker_peer_add(pk, 1, all), -EINVAL);
	p.snubbed = true;
	assert_int_equal(picker_pick(pk, &p, 0, 1000, out, 8), 2);
	assert_int_equal(picker_pick(pk, &p, 0, 1000, out + 2, 8), 0);
	picker_on_lost(pk, 1, out[0].piece, out[0].begin);
	assert_int_equal(picker_peer_nreq(pk, 1), 1);
	assert_int_equal(picker_pick(pk, &p, 0, 1000, out + 2, 8), 1);
	assert_int_equal(out[2].piece, out[0].piece);	/* partial first */
	picker_free(pk);
	bf_free(all);
}

/* A peer with few pieces deep in the order is served by a bitfield walk. */
static void
test_picker_sparse_peer(void **state)
{
	const uint32_t np = 20000;
	struct picker *pk = picker_new(np, KB16, (uint64_t)np * KB16);
	struct bitfield *most = bf_new(np, ""), *few = bf_new(np, "");
	struct picker_peer ps = peer(2, few, 0);
	struct picker_block out[8];
	uint32_t n;

	for (uint32_t i = 0; i < np - 1; i++)
		bitfield_set(most, i);
	bitfield_set(few, 5);
	bitfield_set(few, 12345);
	bitfield_set(few, np - 2);
	picker_peer_add(pk, 1, most);
	picker_peer_add(pk, 2, few);
	n = picker_pick(pk, &ps, 0, 1000, out, 8);
	assert_int_equal(n, 3);
	for (uint32_t i = 0; i < n; i++)
		assert_true(bitfield_test(few, out[i].piece));
	picker_free(pk);
	bf_free(most);
	bf_free(few);
}

/* Random operations keep every invariant (checked after each step). */
static void
test_picker_random_invariants(void **state)
{
	const uint32_t np = 300;
	struct picker *pk = picker_new(np, 3 * KB16, (uint64_t)np * 3 * KB16 -
	    5000);
	struct bitfield *have[6];
	bool on[6] = {false};
	struct picker_block out[16];
	struct picker_recv r;
	const char *why;
	uint32_t peers[8];

	srand(99);
	assert_int_equal(picker_add_pad(pk, 7 * KB16, 5 * KB16), 0);
	for (int p = 0; p < 6; p++) {
		have[p] = bf_new(np, p == 0 ? NULL : "");
		for (uint32_t i = 0; p > 0 && i < np; i++)
			if (rand() % (p + 1) == 0)
				bitfield_set(have[p], i);
	}
	for (int step = 0; step < 4000; step++) {
		uint32_t p = (uint32_t)rand() % 6, i = (uint32_t)rand() % np;
		struct picker_peer pp = peer(p, have[p], (uint64_t)rand());
		uint32_t n;

		switch (rand() % 9) {
		case 0:
			if (!on[p])
				on[p] = picker_peer_add(pk, p, have[p]) == 0;
			else
				picker_peer_remove(pk, p, have[p]), on[p] = false;
			break;
		case 1:
			if (on[p] && p > 0 && bitfield_set(have[p], i))
				picker_peer_have(pk, p, i);
			break;
		case 2:
			picker_set_prio(pk, i, i + (uint32_t)rand() % 20,
			    (enum picker_prio)(rand() % 4));
			break;
		case 3:
			picker_raise(pk, i, i + 5, PICKER_CRITICAL);
			break;
		case 4:
			picker_set_spread(pk, 1 + (uint32_t)rand() % 4);
			/* fall through */
		default:
			if (!on[p])
				break;
			pp.snubbed = rand() % 5 == 0;
			n = picker_pick(pk, &pp, (uint64_t)step * 100, 1000,
			    out, 1 + (uint32_t)rand() % 16);
			for (uint32_t k = 0; k < n; k++) {
				int fate = rand() % 3;

				if (fate == 0)
					picker_on_lost(pk, p, out[k].piece,
					    out[k].begin);
				if (fate != 1)
					continue;
				picker_on_block(pk, p, out[k].piece,
				    out[k].begin, &r);
				if (!r.piece_done)
					continue;
				if (rand() % 4 == 0)
					picker_on_hash_fail(pk, out[k].piece,
					    peers, 8);
				else
					picker_set_have(pk, out[k].piece);
			}
			break;
		}
		if (picker_check(pk, &why) != 0)
			fail_msg("step %d: %s", step, why);
	}
	assert_true(picker_have_count(pk) > 0);
	for (int p = 0; p < 6; p++)
		bf_free(have[p]);
	picker_free(pk);
}

/*
 * 100k pieces of 256 KiB, 40 partial peers (random halves) and one sparse
 * peer (1 %): time picks of a full pipeline and the block bookkeeping.
 */
static void
test_picker_bench_100k(void **state)
{
	const uint32_t np = 100000, npeers = 41;
	struct picker *pk = picker_new(np, 16 * KB16, (uint64_t)np * 16 * KB16);
	struct bitfield *have[41];
	struct picker_block *out = malloc(500 * sizeof(*out));
	uint64_t t0, t_pick = 0, t_recv = 0, picks = 0, blocks = 0;
	struct picker_recv r;

	srand(42);
	for (uint32_t p = 0; p < npeers; p++) {
		have[p] = bf_new(np, "");
		for (uint32_t i = 0; i < np; i++)
			if (p < 40 ? rand() % 2 : rand() % 100 == 0)
				bitfield_set(have[p], i);
		assert_int_equal(picker_peer_add(pk, p, have[p]), 0);
	}
	picker_raise(pk, 5000, 5010, PICKER_HIGH);
	for (int round = 0; round < 20; round++) {
		for (uint32_t p = 0; p < npeers; p++) {
			struct picker_peer pp = peer(p, have[p], 1 << 20);
			uint32_t n;

			t0 = clock_now_ns();
			n = picker_pick(pk, &pp, 0, 1000, out, 64);
			t_pick += clock_now_ns() - t0;
			picks++;
			assert_true(n > 0);
			t0 = clock_now_ns();
			for (uint32_t i = 0; i < n; i++) {
				picker_on_block(pk, p, out[i].piece,
				    out[i].begin, &r);
				if (r.piece_done)
					picker_set_have(pk, out[i].piece);
			}
			t_recv += clock_now_ns() - t0;
			blocks += n;
		}
	}
	printf("picker bench: 100k pieces, %u peers: %.1f us per pick of up "
	    "to 64 blocks, %.2f us per received block, %u pieces done\n",
	    npeers, t_pick / 1e3 / picks, t_recv / 1e3 / blocks,
	    picker_have_count(pk));
	/* Loose bound (sanitizer builds are slow): 5 ms per pick. */
	assert_true(t_pick / picks < 5000000);
	for (uint32_t p = 0; p < npeers; p++)
		bf_free(have[p]);
	free(out);
	picker_free(pk);
}

/*
 * The same torrent with deep pipelines: 40 peers keep 250 requests out
 * each (10k blocks in flight, ~600 started pieces), and each round every
 * peer delivers its oldest 64 blocks and is refilled.
 */
static void
test_picker_bench_inflight(void **state)
{
	const uint32_t np = 100000, npeers = 40, depth = 250;
	struct picker *pk = picker_new(np, 16 * KB16, (uint64_t)np * 16 * KB16);
	struct bitfield *have[40];
	struct picker_block *q[40];
	uint32_t nq[40] = {0};
	uint64_t t0, t_pick = 0, picks = 0, blocks = 0;
	struct picker_recv r;

	srand(43);
	for (uint32_t p = 0; p < npeers; p++) {
		have[p] = bf_new(np, "");
		for (uint32_t i = 0; i < np; i++)
			if (rand() % 4 != 0)
				bitfield_set(have[p], i);
		assert_int_equal(picker_peer_add(pk, p, have[p]), 0);
		q[p] = malloc(depth * sizeof(*q[p]));
	}
	for (int round = 0; round < 50; round++) {
		for (uint32_t p = 0; p < npeers; p++) {
			struct picker_peer pp = peer(p, have[p], 10 << 20);
			uint32_t n, done = nq[p] < 64 ? nq[p] : 64;

			for (uint32_t i = 0; i < done; i++) {
				picker_on_block(pk, p, q[p][i].piece,
				    q[p][i].begin, &r);
				if (r.piece_done)
					picker_set_have(pk, q[p][i].piece);
			}
			memmove(q[p], q[p] + done,
			    (nq[p] - done) * sizeof(*q[p]));
			nq[p] -= done;
			t0 = clock_now_ns();
			n = picker_pick(pk, &pp, 0, 1000, q[p] + nq[p],
			    depth - nq[p]);
			t_pick += clock_now_ns() - t0;
			nq[p] += n;
			picks++;
			blocks += n;
		}
	}
	printf("picker bench in flight: 100k pieces, %u peers x %u deep: "
	    "%.1f us per pick (%.2f us per block), %u pieces done\n",
	    npeers, depth, t_pick / 1e3 / picks, t_pick / 1e3 / blocks,
	    picker_have_count(pk));
	assert_true(picker_have_count(pk) > 0);
	assert_true(t_pick / picks < 5000000);
	for (uint32_t p = 0; p < npeers; p++) {
		bf_free(have[p]);
		free(q[p]);
	}
	picker_free(pk);
}

/* An evicted piece (capped cache) is wanted again, with its priority. */
static void
test_picker_clear_have(void **state)
{
	struct picker *pk = picker_new(4, KB16, 4 * KB16);
	const char *why = NULL;

	(void)state;
	assert_non_null(pk);
	picker_set_have(pk, 2);
	assert_true(picker_have(pk, 2));
	assert_false(picker_wants(pk, 2));
	assert_int_equal(picker_have_count(pk), 1);
	picker_clear_have(pk, 2);
	picker_clear_have(pk, 2);	/* twice: no-op */
	picker_clear_have(pk, 9);	/* out of range: no-op */
	assert_false(picker_have(pk, 2));
	assert_true(picker_wants(pk, 2));
	assert_int_equal(picker_have_count(pk), 0);
	picker_set_prio(pk, 2, 2, PICKER_SKIP);
	assert_false(picker_wants(pk, 2));
	assert_int_equal(picker_check(pk, &why), 0);
	picker_free(pk);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_picker_pipeline_depth),
		cmocka_unit_test(test_picker_clear_have),
		cmocka_unit_test(test_picker_geometry),
		cmocka_unit_test(test_picker_priorities),
		cmocka_unit_test(test_picker_rarest_first),
		cmocka_unit_test(test_picker_shuffle),
		cmocka_unit_test(test_picker_partial_first),
		cmocka_unit_test(test_picker_endgame),
		cmocka_unit_test(test_picker_pads),
		cmocka_unit_test(test_picker_critical_spread),
		cmocka_unit_test(test_picker_stalled_critical),
		cmocka_unit_test(test_picker_hash_fail_senders),
		cmocka_unit_test(test_picker_snubbed_and_lost),
		cmocka_unit_test(test_picker_sparse_peer),
		cmocka_unit_test(test_picker_random_invariants),
		cmocka_unit_test(test_picker_bench_100k),
		cmocka_unit_test(test_picker_bench_inflight),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
