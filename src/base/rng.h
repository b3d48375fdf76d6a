/*
 * rng: splitmix64, a small seeded pseudo-random generator for shuffles and
 * tie-breaking (not for anything secret: peer ids and keys come from
 * getrandom()).  Pure; the caller owns the state.
 */
#ifndef VTFS_BASE_RNG_H
#define VTFS_BASE_RNG_H

#include <stdint.h>

/* The next 64 bits; advances *state. */
uint64_t	rng_next(uint64_t *state);
/* A number in [0, n), n > 0 (modulo bias below 2^-32 for n < 2^32). */
uint32_t	rng_below(uint64_t *state, uint32_t n);

#endif /* VTFS_BASE_RNG_H */
