/*
 * connid: stateless BEP 15 connection ids.  An id is the first 8 bytes of
 * HMAC-SHA256(secret, window || client address || port), where window is
 * now / CONNID_WINDOW: ids rotate every window and an id is accepted in the
 * window it was made and the next one (so it lives 60 to 120 s, and BEP 15
 * asks clients to use one for at most 60 s).  Nothing is stored per client,
 * so a flood of connect requests costs no memory, and an id cannot be
 * forged or replayed from another address.  Pure apart from
 * connid_init_random(); any thread (the struct is read-only after init;
 * each thread keeps its own keyed HMAC context).
 */
#ifndef VTFS_TRACKER_CONNID_H
#define VTFS_TRACKER_CONNID_H

#include <stdbool.h>
#include <stdint.h>

#include "tracker/swarm.h"

#define CONNID_WINDOW	60	/* seconds */

struct connid {
	uint8_t		secret[32];
	uint32_t	window;	/* seconds */
	uint64_t	gen;	/* unique per connid_init() (MAC cache) */
};

void	connid_init(struct connid *, const uint8_t secret[32],
	    uint32_t window);
/* A random secret from getrandom(2).  Returns 0 or -errno. */
int	connid_init_random(struct connid *);
uint64_t connid_make(const struct connid *, const struct swarm_addr *,
	    uint64_t now);
bool	connid_check(const struct connid *, const struct swarm_addr *,
	    uint64_t id, uint64_t now);

#endif /* VTFS_TRACKER_CONNID_H */
