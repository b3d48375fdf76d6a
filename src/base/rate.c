/* rate: see rate.h. */
#include "base/rate.h"

#include <string.h>

void
rate_init(struct rate *r, uint32_t slot_ms, uint64_t now_ms)
{
	memset(r, 0, sizeof(*r));
	r->slot_ms = slot_ms ? slot_ms : RATE_SLOT_MS;
	r->start_ms = now_ms;
	r->cur = now_ms / r->slot_ms;
}

/* Move the newest slot to now, zeroing the slots that were skipped. */
static void
advance(struct rate *r, uint64_t now_ms)
{
	uint64_t idx = now_ms / r->slot_ms;

	if (idx <= r->cur)
		return;
	if (idx - r->cur >= RATE_SLOTS) {
		memset(r->slot, 0, sizeof(r->slot));
	} else {
		for (uint64_t i = r->cur + 1; i <= idx; i++)
			r->slot[i % RATE_SLOTS] = 0;
	}
	r->cur = idx;
}

void
rate_add(struct rate *r, uint64_t now_ms, uint64_t bytes)
{
	advance(r, now_ms);
	r->slot[r->cur % RATE_SLOTS] += bytes;
	r->total += bytes;
}

uint64_t
rate_get(struct rate *r, uint64_t now_ms)
{
	uint64_t sum = 0, span, window;

	advance(r, now_ms);
	for (unsigned i = 0; i < RATE_SLOTS; i++)
		sum += r->slot[i];
	/*
	 * The window ends at now and covers the full slots before the
	 * current one plus the part of the current one that has elapsed.
	 */
	window = (uint64_t)(RATE_SLOTS - 1) * r->slot_ms + now_ms % r->slot_ms;
	span = now_ms > r->start_ms ? now_ms - r->start_ms : 0;
	if (span > window)
		span = window;
	if (span < r->slot_ms)
		span = r->slot_ms;	/* no huge rate from one early burst */
	return sum * 1000 / span;
}
