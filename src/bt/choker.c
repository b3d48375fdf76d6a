/* choker: see choker.h. */
#include "bt/choker.h"

#include <stdlib.h>
#include <string.h>

void
choker_init(struct choker *c, uint32_t slots, uint64_t seed)
{
	memset(c, 0, sizeof(*c));
	c->slots = slots ? slots : CHOKER_SLOTS;
	c->opt_id = CHOKER_NO_PEER;
	c->rng = seed ? seed : 0x9e3779b97f4a7c15ull;
}

bool
choker_due(const struct choker *c, uint64_t now)
{
	return !c->ran || now - c->last_run_ms >= CHOKER_INTERVAL_MS;
}

static uint64_t
next_rand(struct choker *c)
{
	/* xorshift64: no quality needed, only no bias toward low ids. */
	c->rng ^= c->rng << 13;
	c->rng ^= c->rng >> 7;
	c->rng ^= c->rng << 17;
	return c->rng;
}

static uint64_t
rate_of(const struct choker_peer *p, bool seeding)
{
	return seeding ? p->up_rate : p->down_rate;
}

/* Index of the best candidate not yet unchoked, or n. */
static uint32_t
best(const struct choker_peer *peers, uint32_t n, bool seeding)
{
	uint32_t b = n;

	for (uint32_t i = 0; i < n; i++) {
		const struct choker_peer *p = &peers[i];

		if (p->unchoke || !p->interested || (!seeding && p->snubbed))
			continue;
		if (b == n || rate_of(p, seeding) > rate_of(&peers[b], seeding))
			b = i;
	}
	return b;
}

/* Weighted draw among interested, still choked peers. */
static uint32_t
draw_optimistic(struct choker *c, const struct choker_peer *peers, uint32_t n,
    uint64_t now)
{
	uint64_t total = 0, r;
	uint32_t i;

	for (i = 0; i < n; i++)
		if (peers[i].interested && !peers[i].unchoke)
			total += now - peers[i].connected_ms < CHOKER_NEW_PEER_MS ?
			    CHOKER_NEW_WEIGHT : 1;
	if (total == 0)
		return n;
	r = next_rand(c) % total;
	for (i = 0; i < n; i++) {
		uint64_t w;

		if (!peers[i].interested || peers[i].unchoke)
			continue;
		w = now - peers[i].connected_ms < CHOKER_NEW_PEER_MS ?
		    CHOKER_NEW_WEIGHT : 1;
		if (r < w)
			return i;
		r -= w;
	}
	return n;
}

uint32_t
choker_run(struct choker *c, struct choker_peer *peers, uint32_t n,
    bool seeding, uint64_t now)
{
	uint32_t i, k, unchoked = 0, opt = n;

	for (i = 0; i < n; i++) {
		peers[i].unchoke = false;
		peers[i].optimistic = false;
	}
	/* Regular slots: the best rates among interested peers. */
	for (k = 0; k < c->slots; k++) {
		uint32_t b = best(peers, n, seeding);

		if (b == n)
			break;
		peers[b].unchoke = true;
		unchoked++;
	}
	/* Keep the optimistic peer until its time is up. */
	if (c->opt_id != CHOKER_NO_PEER &&
	    now - c->last_opt_ms < CHOKER_OPTIMISTIC_MS) {
		for (i = 0; i < n; i++)
			if (peers[i].id == c->opt_id && peers[i].interested &&
			    !peers[i].unchoke)
				opt = i;
	}
	if (opt == n) {
		opt = draw_optimistic(c, peers, n, now);
		c->opt_id = opt < n ? peers[opt].id : CHOKER_NO_PEER;
		c->last_opt_ms = now;
	}
	if (opt < n) {
		peers[opt].unchoke = true;
		peers[opt].optimistic = true;
		unchoked++;
	}
	c->ran = true;
	c->last_run_ms = now;
	return unchoked;
}
