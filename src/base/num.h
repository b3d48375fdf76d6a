/*
 * num: strict number parsing for command lines, query strings and config
 * (strtonum-like: the whole string must be a number in range).  Pure, any
 * thread.
 */
#ifndef VTFS_BASE_NUM_H
#define VTFS_BASE_NUM_H

#include <stdint.h>

/*
 * Parse a decimal integer in [min, max].  Returns 0, -EINVAL (empty, sign
 * where not allowed, junk) or -ERANGE.
 */
int	num_parse_i64(const char *, int64_t min, int64_t max, int64_t *out);
int	num_parse_u64(const char *, uint64_t max, uint64_t *out);
/*
 * A byte size: a decimal number with an optional K, M, G or T suffix
 * (binary: 1K = 1024; "KiB"/"KB" accepted too).  Returns 0, -EINVAL or
 * -ERANGE (above max).
 */
int	num_parse_size(const char *, uint64_t max, uint64_t *out);
/*
 * A duration in seconds: a bare decimal number ("90"), or one or more
 * number-unit pairs with units s, m, h, d in decreasing order, each at
 * most once ("30m", "2h", "1h30m", "1d12h").  Returns 0, -EINVAL or
 * -ERANGE (above max seconds).
 */
int	num_parse_duration(const char *, uint64_t max, uint64_t *out);
/*
 * A non-negative decimal with at most three decimals ("2", "1.5", "0.25")
 * in thousandths: "1.5" gives 1500.  Returns 0, -EINVAL or -ERANGE (above
 * max thousandths).
 */
int	num_parse_milli(const char *, uint64_t max, uint64_t *out);

#endif /* VTFS_BASE_NUM_H */
