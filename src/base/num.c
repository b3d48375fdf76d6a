/* num: see num.h. */
#include "base/num.h"

#include <errno.h>
#include <string.h>

static int
parse_digits(const char **sp, uint64_t *out)
{
	const char *s = *sp;
	uint64_t v = 0;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	for (; *s >= '0' && *s <= '9'; s++) {
		unsigned d = (unsigned)(*s - '0');

		if (v > (UINT64_MAX - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	*sp = s;
	*out = v;
	return 0;
}

int
num_parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v;
	int rc = parse_digits(&s, &v);

	if (rc)
		return rc;
	if (*s)
		return -EINVAL;
	if (v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int
num_parse_i64(const char *s, int64_t min, int64_t max, int64_t *out)
{
	int neg = 0;
	uint64_t v;
	int64_t r;
	int rc;

	if (*s == '-') {
		neg = 1;
		s++;
	}
	rc = parse_digits(&s, &v);
	if (rc)
		return rc;
	if (*s)
		return -EINVAL;
	if (neg) {
		if (v > (uint64_t)INT64_MAX + 1)
			return -ERANGE;
		r = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
	} else {
		if (v > (uint64_t)INT64_MAX)
			return -ERANGE;
		r = (int64_t)v;
	}
	if (r < min || r > max)
		return -ERANGE;
	*out = r;
	return 0;
}

int
num_parse_size(const char *s, uint64_t max, uint64_t *out)
{
	static const struct {
		const char *sfx;
		unsigned shift;
	} sfx[] = {
	    {"", 0}, {"K", 10}, {"KB", 10}, {"KiB", 10}, {"k", 10},
	    {"M", 20}, {"MB", 20}, {"MiB", 20}, {"m", 20},
	    {"G", 30}, {"GB", 30}, {"GiB", 30}, {"g", 30},
	    {"T", 40}, {"TB", 40}, {"TiB", 40}, {"t", 40},
	};
	uint64_t v;
	int rc = parse_digits(&s, &v);

	if (rc)
		return rc;
	for (size_t i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
		if (strcmp(s, sfx[i].sfx) != 0)
			continue;
		if (v > (UINT64_MAX >> sfx[i].shift))
			return -ERANGE;
		v <<= sfx[i].shift;
		if (v > max)
			return -ERANGE;
		*out = v;
		return 0;
	}
	return -EINVAL;
}
