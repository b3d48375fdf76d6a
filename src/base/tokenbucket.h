/*
 * tokenbucket: a byte-rate limiter.  Pure: the caller passes the time.
 * Tokens (bytes) accrue at rate per second up to burst; a transfer may
 * start while the balance is positive and is charged in full afterwards
 * (the balance may go negative: a 16 KiB block is never split), so the
 * long-run rate stays at rate.  rate 0: unlimited.  One thread (the
 * caller's: the network thread).
 */
#ifndef VTFS_BASE_TOKENBUCKET_H
#define VTFS_BASE_TOKENBUCKET_H

#include <stdbool.h>
#include <stdint.h>

struct tokenbucket {
	uint64_t	rate;		/* bytes/s, 0: unlimited */
	int64_t		burst;		/* cap of the balance */
	int64_t		tokens;		/* balance, may be negative */
	uint64_t	last_ms;
};

/* burst 0: rate / 4 (250 ms worth), at least 16 KiB.  Starts full. */
void	tb_init(struct tokenbucket *, uint64_t rate, uint64_t burst,
	    uint64_t now_ms);
/* Whether a transfer may start now (refills first). */
bool	tb_ok(struct tokenbucket *, uint64_t now_ms);
/* Charge n bytes. */
void	tb_spend(struct tokenbucket *, uint64_t n);
/* Milliseconds until tb_ok() (0: now). */
uint64_t tb_wait_ms(struct tokenbucket *, uint64_t now_ms);

#endif /* VTFS_BASE_TOKENBUCKET_H */
