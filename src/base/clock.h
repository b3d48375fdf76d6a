/* clock: monotonic time in milliseconds and nanoseconds.  Any thread. */
#ifndef VTFS_BASE_CLOCK_H
#define VTFS_BASE_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t
clock_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline uint64_t
clock_now_ms(void)
{
	return clock_now_ns() / 1000000u;
}

#endif /* VTFS_BASE_CLOCK_H */
