/*
 * picker: see picker.h.
 *
 * Ordering: every piece has a key; order[] holds all pieces sorted by key,
 * and bucket_end[k] is where the pieces of key k end.  Keys: class * 256 +
 * min(avail, 255) for wanted pieces (class 0 CRITICAL, 1 HIGH, 2 NORMAL),
 * KEY_NONE for pieces we have, SKIP pieces and all-pad pieces.  Changing a
 * key by one moves the piece across one bucket boundary with a single swap;
 * availability beyond 255 is not worth ordering.  Seeds are counted apart
 * (they have every piece, so they change no order).
 *
 * Block state lives only for started ("active") pieces.
 */
#include "bt/picker.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/rng.h"

#define AVAIL_KEYS	256u
#define NCLASS		3u
#define KEY_NONE	(NCLASS * AVAIL_KEYS)
#define NKEYS		(KEY_NONE + 1)
#define SCAN_BUDGET	4096u	/* order entries before walking a bitfield */

enum {
	F_HAVE = 1 << 0,
	F_PAD = 1 << 1,		/* all bytes are padding */
};

enum blk_state {
	B_FREE,
	B_REQ,
	B_DONE,
};

struct pk_block {
	uint8_t		 state;
	uint8_t		 nreq;
	uint32_t	 peer[PICKER_MAX_DUP];	/* requesters, nreq of them */
	uint64_t	 when;			/* first request */
	uint32_t	 sender;		/* B_DONE: who delivered */
};

struct pk_active {
	uint32_t	 piece;
	uint32_t	 nblocks;
	uint32_t	 nfree;
	uint32_t	 ndone;
	uint32_t	 first_free;	/* no free block before it */
	struct pk_block	*blocks;	/* owned */
};

struct pk_peer {
	bool		 used;
	bool		 seed;
	uint64_t	 rate;
	uint32_t	 nreq;
};

struct pk_pad {
	uint64_t	 off, end;
};

struct picker {
	uint32_t	 npieces;
	uint32_t	 piece_len;
	uint64_t	 total;
	uint8_t		*prio;		/* owned, per piece */
	uint8_t		*flags;
	uint16_t	*avail;		/* non-seed peers having it */
	uint16_t	*key;
	uint32_t	*order;
	uint32_t	*pos;		/* of each piece in order[] */
	int32_t		*act;		/* index in actives[], or -1 */
	uint32_t	 bucket_end[NKEYS];
	struct pk_active *actives;	/* owned */
	uint32_t	 nact, act_alloc;
	struct pk_pad	*pads;		/* owned */
	uint32_t	 npads;
	struct pk_peer	*peers;		/* owned, indexed by id */
	uint32_t	 peers_alloc;
	uint32_t	 seeds;
	uint32_t	 spread;
	uint32_t	 nhave;
	uint32_t	 cursor;	/* rotating start for bitfield walks */
};

uint32_t
picker_pipeline_depth(uint64_t rate)
{
	uint64_t n = rate * PICKER_PIPE_SECONDS / PICKER_BLOCK;

	if (n < PICKER_PIPE_MIN)
		return PICKER_PIPE_MIN;
	return n > PICKER_PIPE_MAX ? PICKER_PIPE_MAX : (uint32_t)n;
}

uint32_t
picker_piece_size(const struct picker *pk, uint32_t i)
{
	uint64_t off = (uint64_t)i * pk->piece_len;

	if (i >= pk->npieces)
		return 0;
	return pk->total - off < pk->piece_len ? (uint32_t)(pk->total - off) :
	    pk->piece_len;
}

uint32_t
picker_nblocks(const struct picker *pk, uint32_t i)
{
	return (picker_piece_size(pk, i) + PICKER_BLOCK - 1) / PICKER_BLOCK;
}

static uint16_t
key_of(const struct picker *pk, uint32_t i)
{
	uint32_t a;

	if ((pk->flags[i] & (F_HAVE | F_PAD)) || pk->prio[i] == PICKER_SKIP)
		return KEY_NONE;
	a = pk->avail[i] < AVAIL_KEYS - 1 ? pk->avail[i] : AVAIL_KEYS - 1;
	return (uint16_t)((PICKER_CRITICAL - pk->prio[i]) * AVAIL_KEYS + a);
}

static uint32_t
bucket_start(const struct picker *pk, uint32_t k)
{
	return k == 0 ? 0 : pk->bucket_end[k - 1];
}

static void
swap_pos(struct picker *pk, uint32_t a, uint32_t b)
{
	uint32_t pa = pk->order[a], pb = pk->order[b];

	pk->order[a] = pb;
	pk->order[b] = pa;
	pk->pos[pb] = a;
	pk->pos[pa] = b;
}

/* Recompute piece i's key and move it to its bucket, one boundary at a
 * time (O(1) per step). */
static void
rekey(struct picker *pk, uint32_t i)
{
	uint32_t k = pk->key[i], nk = key_of(pk, i);

	while (k < nk) {
		swap_pos(pk, pk->pos[i], pk->bucket_end[k] - 1);
		pk->bucket_end[k]--;
		k++;
	}
	while (k > nk) {
		swap_pos(pk, pk->pos[i], pk->bucket_end[k - 1]);
		pk->bucket_end[k - 1]++;
		k--;
	}
	pk->key[i] = (uint16_t)nk;
}

struct picker *
picker_new(uint32_t npieces, uint32_t piece_len, uint64_t total)
{
	struct picker *pk;
	uint32_t i, k0;

	if (npieces == 0 || npieces > BITFIELD_MAX_BITS || piece_len == 0 ||
	    total == 0 || (total + piece_len - 1) / piece_len != npieces)
		return NULL;
	pk = calloc(1, sizeof(*pk));
	if (pk == NULL)
		return NULL;
	pk->npieces = npieces;
	pk->piece_len = piece_len;
	pk->total = total;
	pk->spread = 1;
	pk->prio = malloc(npieces);
	pk->flags = calloc(npieces, 1);
	pk->avail = calloc(npieces, sizeof(*pk->avail));
	pk->key = malloc(npieces * sizeof(*pk->key));
	pk->order = malloc(npieces * sizeof(*pk->order));
	pk->pos = malloc(npieces * sizeof(*pk->pos));
	pk->act = malloc(npieces * sizeof(*pk->act));
	if (!pk->prio || !pk->flags || !pk->avail || !pk->key || !pk->order ||
	    !pk->pos || !pk->act) {
		picker_free(pk);
		return NULL;
	}
	memset(pk->prio, PICKER_NORMAL, npieces);
	k0 = (PICKER_CRITICAL - PICKER_NORMAL) * AVAIL_KEYS;
	for (i = 0; i < npieces; i++) {
		pk->order[i] = pk->pos[i] = i;
		pk->key[i] = (uint16_t)k0;
		pk->act[i] = -1;
	}
	for (i = 0; i < NKEYS; i++)
		pk->bucket_end[i] = i < k0 ? 0 : npieces;
	return pk;
}

void
picker_shuffle(struct picker *pk, uint64_t seed)
{
	for (uint32_t k = 0; k < NKEYS; k++) {
		uint32_t lo = bucket_start(pk, k), hi = pk->bucket_end[k];

		/* Fisher-Yates inside [lo, hi): keys stay sorted. */
		for (uint32_t i = hi; i > lo + 1; i--)
			swap_pos(pk, i - 1, lo + rng_below(&seed, i - lo));
	}
}

void
picker_free(struct picker *pk)
{
	if (pk == NULL)
		return;
	for (uint32_t i = 0; i < pk->nact; i++)
		free(pk->actives[i].blocks);
	free(pk->actives);
	free(pk->prio);
	free(pk->flags);
	free(pk->avail);
	free(pk->key);
	free(pk->order);
	free(pk->pos);
	free(pk->act);
	free(pk->pads);
	free(pk->peers);
	free(pk);
}

/* Pads. */

int
picker_add_pad(struct picker *pk, uint64_t off, uint64_t len)
{
	struct pk_pad *p;
	uint64_t end = off + len;
	uint32_t first, last;

	if (len == 0)
		return 0;
	if (end < off || end > pk->total || pk->nact > 0 ||
	    (pk->npads > 0 && off < pk->pads[pk->npads - 1].end))
		return -EINVAL;
	p = realloc(pk->pads, (pk->npads + 1) * sizeof(*p));
	if (p == NULL)
		return -ENOMEM;
	pk->pads = p;
	p[pk->npads].off = off;
	p[pk->npads].end = end;
	pk->npads++;
	/* Pieces wholly inside the range are never requested. */
	first = (uint32_t)((off + pk->piece_len - 1) / pk->piece_len);
	last = (uint32_t)(end / pk->piece_len);	/* exclusive */
	if (end == pk->total)
		last = pk->npieces;
	for (uint32_t i = first; i < last; i++) {
		pk->flags[i] |= F_PAD;
		rekey(pk, i);
	}
	return 0;
}

bool
picker_piece_is_pad(const struct picker *pk, uint32_t piece)
{
	return piece < pk->npieces && (pk->flags[piece] & F_PAD);
}

/* Is [off, end) wholly inside one pad range? */
static bool
in_pad(const struct picker *pk, uint64_t off, uint64_t end)
{
	uint32_t lo = 0, hi = pk->npads;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (pk->pads[mid].end <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < pk->npads && pk->pads[lo].off <= off &&
	    end <= pk->pads[lo].end;
}

/* Priorities and have. */

static void
set_prio(struct picker *pk, uint32_t first, uint32_t last,
    enum picker_prio prio, bool raise_only)
{
	if (first >= pk->npieces)
		return;
	if (last >= pk->npieces)
		last = pk->npieces - 1;
	for (uint32_t i = first; i <= last; i++) {
		if (raise_only && pk->prio[i] >= prio)
			continue;
		pk->prio[i] = (uint8_t)prio;
		rekey(pk, i);
	}
}

void
picker_raise(struct picker *pk, uint32_t first, uint32_t last,
    enum picker_prio prio)
{
	set_prio(pk, first, last, prio, true);
}

void
picker_set_prio(struct picker *pk, uint32_t first, uint32_t last,
    enum picker_prio prio)
{
	set_prio(pk, first, last, prio, false);
}

enum picker_prio
picker_prio(const struct picker *pk, uint32_t piece)
{
	return piece < pk->npieces ? (enum picker_prio)pk->prio[piece] :
	    PICKER_SKIP;
}

static struct pk_peer *
peer_of(struct picker *pk, uint32_t id)
{
	return id < pk->peers_alloc && pk->peers[id].used ? &pk->peers[id] :
	    NULL;
}

/* Forget one requester of a block. */
static void
drop_requester(struct picker *pk, struct pk_active *a, uint32_t b,
    uint32_t peer)
{
	struct pk_block *blk = &a->blocks[b];
	struct pk_peer *pp;

	for (uint32_t j = 0; j < blk->nreq; j++) {
		if (blk->peer[j] != peer)
			continue;
		blk->peer[j] = blk->peer[--blk->nreq];
		if ((pp = peer_of(pk, peer)) != NULL && pp->nreq > 0)
			pp->nreq--;
		if (blk->nreq == 0 && blk->state == B_REQ) {
			blk->state = B_FREE;
			a->nfree++;
			if (b < a->first_free)
				a->first_free = b;
		}
		return;
	}
}

static void
deactivate(struct picker *pk, uint32_t piece)
{
	int32_t ai = pk->act[piece];
	struct pk_active *a;

	if (ai < 0)
		return;
	a = &pk->actives[ai];
	for (uint32_t b = 0; b < a->nblocks; b++)
		while (a->blocks[b].nreq > 0)
			drop_requester(pk, a, b, a->blocks[b].peer[0]);
	free(a->blocks);
	pk->act[piece] = -1;
	if ((uint32_t)ai != pk->nact - 1) {
		*a = pk->actives[pk->nact - 1];
		pk->act[a->piece] = ai;
	}
	pk->nact--;
}

void
picker_set_have(struct picker *pk, uint32_t piece)
{
	if (piece >= pk->npieces || (pk->flags[piece] & F_HAVE))
		return;
	deactivate(pk, piece);
	pk->flags[piece] |= F_HAVE;
	pk->nhave++;
	rekey(pk, piece);
}

void
picker_clear_have(struct picker *pk, uint32_t piece)
{
	if (piece >= pk->npieces || !(pk->flags[piece] & F_HAVE))
		return;
	pk->flags[piece] &= (uint8_t)~F_HAVE;
	pk->nhave--;
	rekey(pk, piece);
}

bool
picker_wants(const struct picker *pk, uint32_t piece)
{
	return piece < pk->npieces && pk->key[piece] != KEY_NONE;
}

bool
picker_peer_interesting(const struct picker *pk, const struct bitfield *have)
{
	uint32_t end = bucket_start(pk, KEY_NONE);

	if (have->nbits != pk->npieces)
		return false;
	if (bitfield_all(have))
		return end > 0;
	for (uint32_t i = 0; i < end; i++)
		if (bitfield_test(have, pk->order[i]))
			return true;
	return false;
}

bool
picker_have(const struct picker *pk, uint32_t piece)
{
	return piece < pk->npieces && (pk->flags[piece] & F_HAVE);
}

uint32_t
picker_have_count(const struct picker *pk)
{
	return pk->nhave;
}

/* Availability. */

int
picker_peer_add(struct picker *pk, uint32_t id, const struct bitfield *have)
{
	uint32_t i;

	if (id >= PICKER_MAX_PEERS || have->nbits != pk->npieces)
		return -EINVAL;
	if (id >= pk->peers_alloc) {
		uint32_t n = pk->peers_alloc ? pk->peers_alloc : 16;
		struct pk_peer *p;

		while (n <= id)
			n *= 2;
		p = realloc(pk->peers, n * sizeof(*p));
		if (p == NULL)
			return -ENOMEM;
		memset(p + pk->peers_alloc, 0,
		    (n - pk->peers_alloc) * sizeof(*p));
		pk->peers = p;
		pk->peers_alloc = n;
	}
	if (pk->peers[id].used)
		return -EINVAL;
	memset(&pk->peers[id], 0, sizeof(pk->peers[id]));
	pk->peers[id].used = true;
	if (bitfield_all(have)) {
		pk->peers[id].seed = true;
		pk->seeds++;
		return 0;
	}
	BITFIELD_FOREACH_SET(have, i) {
		if (pk->avail[i] < UINT16_MAX) {
			pk->avail[i]++;
			rekey(pk, i);
		}
	}
	return 0;
}

void
picker_peer_have(struct picker *pk, uint32_t id, uint32_t piece)
{
	struct pk_peer *pp = peer_of(pk, id);

	if (pp == NULL || pp->seed || piece >= pk->npieces ||
	    pk->avail[piece] == UINT16_MAX)
		return;
	pk->avail[piece]++;
	rekey(pk, piece);
}

void
picker_peer_remove(struct picker *pk, uint32_t id, const struct bitfield *have)
{
	struct pk_peer *pp = peer_of(pk, id);
	uint32_t i;

	if (pp == NULL)
		return;
	for (i = 0; i < pk->nact; i++) {
		struct pk_active *a = &pk->actives[i];

		for (uint32_t b = 0; b < a->nblocks; b++)
			if (a->blocks[b].nreq > 0)
				drop_requester(pk, a, b, id);
	}
	if (pp->seed) {
		pk->seeds--;
	} else if (have != NULL && have->nbits == pk->npieces) {
		BITFIELD_FOREACH_SET(have, i) {
			if (pk->avail[i] > 0) {
				pk->avail[i]--;
				rekey(pk, i);
			}
		}
	}
	memset(pp, 0, sizeof(*pp));
}

uint32_t
picker_availability(const struct picker *pk, uint32_t piece)
{
	return piece < pk->npieces ? pk->avail[piece] + pk->seeds : 0;
}

uint32_t
picker_peer_nreq(const struct picker *pk, uint32_t id)
{
	return id < pk->peers_alloc ? pk->peers[id].nreq : 0;
}

void
picker_set_spread(struct picker *pk, uint32_t n)
{
	pk->spread = n ? n : 1;
}

/* Picking. */

static struct pk_active *
activate(struct picker *pk, uint32_t piece)
{
	struct pk_active *a;
	uint64_t base = (uint64_t)piece * pk->piece_len;
	uint32_t size = picker_piece_size(pk, piece);

	if (pk->nact == pk->act_alloc) {
		uint32_t n = pk->act_alloc ? pk->act_alloc * 2 : 64;
		struct pk_active *p = realloc(pk->actives, n * sizeof(*p));

		if (p == NULL)
			return NULL;
		pk->actives = p;
		pk->act_alloc = n;
	}
	a = &pk->actives[pk->nact];
	memset(a, 0, sizeof(*a));
	a->piece = piece;
	a->nblocks = picker_nblocks(pk, piece);
	a->blocks = calloc(a->nblocks, sizeof(*a->blocks));
	if (a->blocks == NULL)
		return NULL;
	a->nfree = a->nblocks;
	for (uint32_t b = 0; b < a->nblocks; b++) {
		uint64_t s = base + (uint64_t)b * PICKER_BLOCK;
		uint64_t e = s + PICKER_BLOCK;

		if (e > base + size)
			e = base + size;
		if (pk->npads > 0 && in_pad(pk, s, e)) {
			a->blocks[b].state = B_DONE;
			a->blocks[b].sender = PICKER_NO_PEER;
			a->nfree--;
			a->ndone++;
		}
	}
	pk->act[piece] = (int32_t)pk->nact++;
	return a;
}

static void
emit(struct picker *pk, struct pk_active *a, uint32_t b,
    const struct picker_peer *peer, uint64_t now, struct picker_block *out)
{
	struct pk_block *blk = &a->blocks[b];
	uint32_t size = picker_piece_size(pk, a->piece);

	if (blk->state == B_FREE) {
		blk->state = B_REQ;
		blk->when = now;
		a->nfree--;
	}
	blk->peer[blk->nreq++] = peer->id;
	pk->peers[peer->id].nreq++;
	out->piece = a->piece;
	out->begin = b * PICKER_BLOCK;
	out->length = size - out->begin < PICKER_BLOCK ? size - out->begin :
	    PICKER_BLOCK;
}

static bool
asked(const struct pk_block *blk, uint32_t id)
{
	for (uint32_t j = 0; j < blk->nreq; j++)
		if (blk->peer[j] == id)
			return true;
	return false;
}

/* Free blocks of a for peer, within the critical spread cap. */
static uint32_t
take_free(struct picker *pk, struct pk_active *a,
    const struct picker_peer *peer, uint64_t now, struct picker_block *out,
    uint32_t max)
{
	uint32_t n = 0, cap = UINT32_MAX, mine = 0, b;

	if (a->nfree == 0 || max == 0)
		return 0;
	if (pk->prio[a->piece] == PICKER_CRITICAL && pk->spread > 1) {
		cap = (a->nblocks + pk->spread - 1) / pk->spread;
		for (b = 0; b < a->nblocks; b++)
			mine += a->blocks[b].state == B_REQ &&
			    asked(&a->blocks[b], peer->id);
		if (mine >= cap)
			return 0;
		cap -= mine;
	}
	for (b = a->first_free; b < a->nblocks && n < max && n < cap; b++) {
		if (a->blocks[b].state != B_FREE)
			continue;
		emit(pk, a, b, peer, now, &out[n++]);
	}
	/* Advance the hint past blocks now taken. */
	while (a->first_free < a->nblocks &&
	    a->blocks[a->first_free].state != B_FREE)
		a->first_free++;
	return n;
}

/* Critical blocks stalled on a slower peer: ask this one too. */
static uint32_t
take_stalled(struct picker *pk, struct pk_active *a,
    const struct picker_peer *peer, uint64_t now, uint32_t stall_ms,
    struct picker_block *out, uint32_t max)
{
	uint32_t n = 0;

	for (uint32_t b = 0; b < a->nblocks && n < max; b++) {
		struct pk_block *blk = &a->blocks[b];
		struct pk_peer *first;

		if (blk->state != B_REQ || blk->nreq >= PICKER_MAX_DUP ||
		    now - blk->when < stall_ms || asked(blk, peer->id))
			continue;
		first = peer_of(pk, blk->peer[0]);
		if (first != NULL && first->rate >= peer->rate)
			continue;
		emit(pk, a, b, peer, now, &out[n++]);
	}
	return n;
}

/* Does the peer have piece i? */
static bool
peer_has(const struct picker_peer *peer, uint32_t i)
{
	return bitfield_test(peer->have, i);
}

/* New pieces of one class, rarest first. */
static uint32_t
take_new(struct picker *pk, uint32_t cls, const struct picker_peer *peer,
    bool seed, uint64_t now, struct picker_block *out, uint32_t max)
{
	uint32_t n = 0, scanned = 0, i, end;
	uint32_t k0 = cls * AVAIL_KEYS + (seed ? 0 : 1);

	end = pk->bucket_end[(cls + 1) * AVAIL_KEYS - 1];
	for (i = bucket_start(pk, k0); i < end && n < max; i++) {
		uint32_t piece = pk->order[i];
		struct pk_active *a;

		if (pk->act[piece] >= 0 || !peer_has(peer, piece)) {
			if (++scanned > SCAN_BUDGET)
				goto walk;
			continue;
		}
		if ((a = activate(pk, piece)) == NULL)
			return n;
		n += take_free(pk, a, peer, now, out + n, max - n);
		end = pk->bucket_end[(cls + 1) * AVAIL_KEYS - 1];
	}
	return n;
walk:
	/*
	 * The peer's pieces are sparse among the candidates: walk its
	 * bitfield instead (not rarest first, but bounded by its size), from
	 * a rotating start so peers do not all start on the same pieces.
	 */
	for (uint32_t pass = 0; pass < 2 && n < max; pass++) {
		uint32_t start = pk->cursor % pk->npieces;
		uint32_t lo = pass ? 0 : start, hi = pass ? start : pk->npieces;
		uint32_t q;

		for (q = bitfield_next_set(peer->have, lo); q < hi && n < max;
		    q = bitfield_next_set(peer->have, q + 1)) {
			struct pk_active *a;

			if (pk->act[q] >= 0 || pk->key[q] == KEY_NONE ||
			    pk->key[q] / AVAIL_KEYS != cls)
				continue;
			if ((a = activate(pk, q)) == NULL)
				return n;
			n += take_free(pk, a, peer, now, out + n, max - n);
		}
	}
	pk->cursor += 7919;
	return n;
}

bool
picker_in_endgame(struct picker *pk)
{
	uint32_t wanted = bucket_start(pk, KEY_NONE), active_wanted = 0;

	for (uint32_t i = 0; i < pk->nact; i++) {
		struct pk_active *a = &pk->actives[i];

		if (pk->key[a->piece] == KEY_NONE)
			continue;
		if (a->nfree > 0)
			return false;
		active_wanted++;
	}
	return wanted > 0 && wanted == active_wanted;
}

/* Endgame: blocks out to others, least-asked first. */
static uint32_t
take_endgame(struct picker *pk, const struct picker_peer *peer, uint64_t now,
    struct picker_block *out, uint32_t max)
{
	uint32_t n = 0;

	for (uint32_t want = 1; want < PICKER_MAX_DUP && n < max; want++) {
		for (uint32_t i = 0; i < pk->nact && n < max; i++) {
			struct pk_active *a = &pk->actives[i];

			if (pk->key[a->piece] == KEY_NONE ||
			    !peer_has(peer, a->piece))
				continue;
			for (uint32_t b = 0; b < a->nblocks && n < max; b++) {
				struct pk_block *blk = &a->blocks[b];

				if (blk->state == B_REQ && blk->nreq == want &&
				    !asked(blk, peer->id))
					emit(pk, a, b, peer, now, &out[n++]);
			}
		}
	}
	return n;
}

uint32_t
picker_pick(struct picker *pk, const struct picker_peer *peer, uint64_t now,
    uint32_t stall_ms, struct picker_block *out, uint32_t max)
{
	struct pk_peer *pp = peer_of(pk, peer->id);
	uint32_t n = 0, cls, i;

	if (pp == NULL || peer->have == NULL ||
	    peer->have->nbits != pk->npieces)
		return 0;
	pp->rate = peer->rate;
	if (peer->snubbed) {
		if (pp->nreq >= PICKER_SNUBBED_MAX)
			return 0;
		if (max > PICKER_SNUBBED_MAX - pp->nreq)
			max = PICKER_SNUBBED_MAX - pp->nreq;
	}
	for (cls = 0; cls < NCLASS && n < max; cls++) {
		/* Started pieces of this class first. */
		for (i = 0; i < pk->nact && n < max; i++) {
			struct pk_active *a = &pk->actives[i];

			if (pk->key[a->piece] / AVAIL_KEYS != cls ||
			    pk->key[a->piece] == KEY_NONE ||
			    !peer_has(peer, a->piece))
				continue;
			n += take_free(pk, a, peer, now, out + n, max - n);
		}
		if (cls == 0) {
			for (i = 0; i < pk->nact && n < max; i++) {
				struct pk_active *a = &pk->actives[i];

				if (pk->key[a->piece] / AVAIL_KEYS != 0 ||
				    !peer_has(peer, a->piece))
					continue;
				n += take_stalled(pk, a, peer, now, stall_ms,
				    out + n, max - n);
			}
		}
		if (n < max)
			n += take_new(pk, cls, peer, pp->seed, now, out + n,
			    max - n);
	}
	if (n < max && picker_in_endgame(pk))
		n += take_endgame(pk, peer, now, out + n, max - n);
	return n;
}

/* Results. */

static struct pk_active *
active_block(struct picker *pk, uint32_t piece, uint32_t begin, uint32_t *b)
{
	struct pk_active *a;

	if (piece >= pk->npieces || pk->act[piece] < 0 ||
	    begin % PICKER_BLOCK != 0)
		return NULL;
	a = &pk->actives[pk->act[piece]];
	*b = begin / PICKER_BLOCK;
	return *b < a->nblocks ? a : NULL;
}

int
picker_on_block(struct picker *pk, uint32_t peer, uint32_t piece,
    uint32_t begin, struct picker_recv *r)
{
	struct pk_active *a;
	struct pk_block *blk;
	uint32_t b;

	memset(r, 0, sizeof(*r));
	if ((a = active_block(pk, piece, begin, &b)) == NULL)
		return -ENOENT;
	blk = &a->blocks[b];
	if (blk->state == B_DONE) {
		drop_requester(pk, a, b, peer);
		return 0;	/* a duplicate: r->fresh is false */
	}
	drop_requester(pk, a, b, peer);
	if (blk->state == B_FREE)
		a->nfree--;	/* a late block after a cancel: still good */
	/* Everyone else who was asked gets a cancel. */
	while (blk->nreq > 0) {
		r->cancel[r->ncancel++] = blk->peer[0];
		drop_requester(pk, a, b, blk->peer[0]);
		if (blk->state == B_FREE)
			a->nfree--;	/* drop_requester freed it */
	}
	blk->state = B_DONE;
	blk->sender = peer;
	a->ndone++;
	r->fresh = true;
	r->piece_done = a->ndone == a->nblocks;
	return 0;
}

void
picker_on_lost(struct picker *pk, uint32_t peer, uint32_t piece,
    uint32_t begin)
{
	struct pk_active *a;
	uint32_t b;

	if ((a = active_block(pk, piece, begin, &b)) != NULL)
		drop_requester(pk, a, b, peer);
}

uint32_t
picker_on_hash_fail(struct picker *pk, uint32_t piece, uint32_t *peers,
    uint32_t max)
{
	struct pk_active *a;
	uint32_t n = 0, b, j;

	if (piece >= pk->npieces || pk->act[piece] < 0)
		return 0;
	a = &pk->actives[pk->act[piece]];
	for (b = 0; b < a->nblocks; b++) {
		struct pk_block *blk = &a->blocks[b];

		while (blk->nreq > 0)
			drop_requester(pk, a, b, blk->peer[0]);
		if (blk->state != B_DONE || blk->sender == PICKER_NO_PEER)
			continue;
		for (j = 0; j < n && j < max && peers[j] != blk->sender; j++)
			;
		if (j == n) {
			if (n < max)
				peers[n] = blk->sender;
			n++;
		}
		blk->state = B_FREE;
		a->nfree++;
		a->ndone--;
	}
	a->first_free = 0;
	return n;
}

int
picker_check(const struct picker *pk, const char **why)
{
	uint32_t i, b, *nreq = NULL;
	int rc = -EFAULT;

	*why = NULL;
	for (i = 0; i < pk->npieces; i++) {
		uint32_t k = pk->key[i];

		if (pk->order[pk->pos[i]] != i) {
			*why = "order and pos disagree";
			return rc;
		}
		if (k != key_of(pk, i)) {
			*why = "stale key";
			return rc;
		}
		if (pk->pos[i] < bucket_start(pk, k) ||
		    pk->pos[i] >= pk->bucket_end[k]) {
			*why = "piece outside its bucket";
			return rc;
		}
		if (pk->act[i] >= 0 && (uint32_t)pk->act[i] >= pk->nact) {
			*why = "bad active index";
			return rc;
		}
	}
	if (pk->bucket_end[NKEYS - 1] != pk->npieces) {
		*why = "buckets do not cover every piece";
		return rc;
	}
	if (pk->peers_alloc > 0 &&
	    (nreq = calloc(pk->peers_alloc, sizeof(*nreq))) == NULL) {
		*why = "no memory";
		return -ENOMEM;
	}
	for (i = 0; i < pk->nact; i++) {
		const struct pk_active *a = &pk->actives[i];
		uint32_t nfree = 0, ndone = 0;

		if (pk->act[a->piece] != (int32_t)i) {
			*why = "active list and index disagree";
			goto out;
		}
		for (b = 0; b < a->nblocks; b++) {
			const struct pk_block *blk = &a->blocks[b];

			nfree += blk->state == B_FREE;
			ndone += blk->state == B_DONE;
			if (blk->state == B_FREE && b < a->first_free) {
				*why = "free block before first_free";
				goto out;
			}
			if ((blk->state == B_REQ) != (blk->nreq > 0)) {
				*why = "requested block without requester";
				goto out;
			}
			for (uint32_t j = 0; j < blk->nreq; j++)
				if (blk->peer[j] < pk->peers_alloc)
					nreq[blk->peer[j]]++;
		}
		if (nfree != a->nfree || ndone != a->ndone) {
			*why = "block counts are off";
			goto out;
		}
	}
	for (i = 0; i < pk->peers_alloc; i++)
		if (nreq[i] != pk->peers[i].nreq) {
			*why = "peer request count is off";
			goto out;
		}
	rc = 0;
out:
	free(nreq);
	return rc;
}
