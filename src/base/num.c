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

int
num_parse_duration(const char *s, uint64_t max, uint64_t *out)
{
	static const struct {
		char		 unit;
		uint64_t	 secs;
	} units[] = {{'d', 86400}, {'h', 3600}, {'m', 60}, {'s', 1}};
	uint64_t total = 0, v;
	size_t next = 0;	/* units[next..] still allowed */
	int rc;

	if ((rc = parse_digits(&s, &v)) != 0)
		return rc;
	if (*s == '\0') {
		if (v > max)
			return -ERANGE;
		*out = v;
		return 0;
	}
	for (;;) {
		size_t i;

		for (i = next; i < sizeof(units) / sizeof(units[0]); i++)
			if (*s == units[i].unit)
				break;
		if (i == sizeof(units) / sizeof(units[0]))
			return -EINVAL;
		s++;
		next = i + 1;
		if (v > (UINT64_MAX - total) / units[i].secs)
			return -ERANGE;
		total += v * units[i].secs;
		if (total > max)
			return -ERANGE;
		if (*s == '\0')
			break;
		if ((rc = parse_digits(&s, &v)) != 0)
			return rc;
		if (*s == '\0')
			return -EINVAL;	/* "1h30": unit missing */
	}
	*out = total;
	return 0;
}

int
num_parse_milli(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t whole, frac = 0, scale = 100;
	int rc;

	if ((rc = parse_digits(&s, &whole)) != 0)
		return rc;
	if (*s == '.') {
		s++;
		if (*s < '0' || *s > '9')
			return -EINVAL;
		for (; *s >= '0' && *s <= '9'; s++) {
			if (scale == 0)
				return -EINVAL;	/* more than 3 decimals */
			frac += (uint64_t)(*s - '0') * scale;
			scale /= 10;
		}
	}
	if (*s)
		return -EINVAL;
	if (whole > (UINT64_MAX - frac) / 1000 ||
	    whole * 1000 + frac > max)
		return -ERANGE;
	*out = whole * 1000 + frac;
	return 0;
}
