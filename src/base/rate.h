/*
 * rate: bytes per second over a sliding window, fed the time by its caller
 * (no clock of its own).  The window is RATE_SLOTS slots of slot_ms each;
 * the rate is the bytes in the slots still inside the window divided by the
 * time covered (at most the window, less while the meter is young so a new
 * connection is not reported at a tenth of its speed).  Pure; one owner.
 */
#ifndef VTFS_BASE_RATE_H
#define VTFS_BASE_RATE_H

#include <stdint.h>

#define RATE_SLOTS	20
#define RATE_SLOT_MS	250	/* default: a 5 s window */

struct rate {
	uint64_t	 slot[RATE_SLOTS];	/* bytes per slot */
	uint64_t	 cur;		/* absolute index of the newest slot */
	uint64_t	 start_ms;	/* when the meter started */
	uint32_t	 slot_ms;
	uint64_t	 total;		/* bytes ever */
};

/* slot_ms 0: RATE_SLOT_MS. */
void		rate_init(struct rate *, uint32_t slot_ms, uint64_t now_ms);
void		rate_add(struct rate *, uint64_t now_ms, uint64_t bytes);
/* Bytes per second at now_ms (now_ms must not go backwards). */
uint64_t	rate_get(struct rate *, uint64_t now_ms);

#endif /* VTFS_BASE_RATE_H */
