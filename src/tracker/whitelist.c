/*
 * whitelist: info-hashes from a file, as a sorted array searched in
 * O(log n).  See whitelist.h.
 */
#include "tracker/whitelist.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/bytes.h"

struct whitelist {
	pthread_rwlock_t	 lock;
	uint8_t			*hashes;	/* owned, 20 * n, sorted */
	size_t			 n;		/* protected by lock */
};

struct whitelist *
whitelist_new(void)
{
	struct whitelist *w = calloc(1, sizeof(*w));

	if (w != NULL)
		pthread_rwlock_init(&w->lock, NULL);
	return w;
}

void
whitelist_free(struct whitelist *w)
{
	if (w == NULL)
		return;
	pthread_rwlock_destroy(&w->lock);
	free(w->hashes);
	free(w);
}

static int
cmp20(const void *a, const void *b)
{
	return memcmp(a, b, 20);
}

/* Parse one line into h; returns 1 for an entry, 0 to skip, -EBADMSG. */
static int
parse_line(char *line, uint8_t h[20])
{
	size_t len;
	char *s = line;

	while (*s == ' ' || *s == '\t')
		s++;
	len = strcspn(s, " \t\r\n");
	if (len == 0 || *s == '#')
		return 0;
	if (len != 40 || hex_decode(s, 40, h, 20) != 0)
		return -EBADMSG;
	return 1;
}

int
whitelist_load(struct whitelist *w, const char *path, int *bad_line)
{
	uint8_t *hashes = NULL, *old;
	size_t n = 0, cap = 0, k = 0;
	char line[256];
	int rc = 0, lineno = 0;
	FILE *f;

	f = fopen(path, "re");
	if (f == NULL)
		return -errno;
	while (fgets(line, sizeof(line), f) != NULL) {
		uint8_t h[20];

		lineno++;
		rc = parse_line(line, h);
		if (rc < 0) {
			*bad_line = lineno;
			goto out;
		}
		if (rc == 0)
			continue;
		if (n == WHITELIST_MAX) {
			rc = -E2BIG;
			goto out;
		}
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			uint8_t *nh = realloc(hashes, ncap * 20);

			if (nh == NULL) {
				rc = -ENOMEM;
				goto out;
			}
			hashes = nh;
			cap = ncap;
		}
		memcpy(hashes + n * 20, h, 20);
		n++;
	}
	rc = ferror(f) ? -EIO : 0;
	if (rc < 0)
		goto out;
	qsort(hashes, n, 20, cmp20);
	/* Drop duplicates. */
	for (size_t i = 0; i < n; i++)
		if (k == 0 || memcmp(hashes + (k - 1) * 20, hashes + i * 20,
		    20) != 0)
			memmove(hashes + k++ * 20, hashes + i * 20, 20);
	pthread_rwlock_wrlock(&w->lock);
	old = w->hashes;
	w->hashes = hashes;
	w->n = k;
	pthread_rwlock_unlock(&w->lock);
	hashes = old;
	rc = (int)k;
out:
	fclose(f);
	free(hashes);
	return rc;
}

bool
whitelist_contains(struct whitelist *w, const uint8_t info_hash[20])
{
	bool found;

	pthread_rwlock_rdlock(&w->lock);
	found = w->n > 0 &&
	    bsearch(info_hash, w->hashes, w->n, 20, cmp20) != NULL;
	pthread_rwlock_unlock(&w->lock);
	return found;
}
