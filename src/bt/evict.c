/*
 * evict: the piece cache's LRU choice (see evict.h).
 */
#include "bt/evict.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "bt/metainfo.h"

struct cand {
	uint32_t	at;
	uint32_t	piece;
};

void
evict_mark_file_ends(const struct metainfo *meta, uint32_t nend,
    struct bitfield *keep)
{
	uint64_t plen = meta->piece_len;

	if (plen == 0 || nend == 0)
		return;
	for (uint32_t f = 0; f < meta->nfiles; f++) {
		const struct meta_file *mf = &meta->files[f];
		uint64_t first, last;

		if ((mf->attr & META_ATTR_PAD) != 0 || mf->size == 0)
			continue;
		first = mf->offset / plen;
		last = (mf->offset + mf->size - 1) / plen;
		for (uint64_t i = 0; i < nend && first + i <= last; i++) {
			if (first + i < meta->npieces)
				bitfield_set(keep, (uint32_t)(first + i));
			if (last - i < meta->npieces)
				bitfield_set(keep, (uint32_t)(last - i));
		}
	}
}

static int
cand_cmp(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;

	if (x->at != y->at)
		return x->at < y->at ? -1 : 1;
	return x->piece < y->piece ? -1 : x->piece > y->piece;
}

static bool
in_window(const struct evict_range *win, size_t nwin, uint32_t piece)
{
	for (size_t w = 0; w < nwin; w++)
		if (piece >= win[w].first && piece <= win[w].last)
			return true;
	return false;
}

int
evict_choose(const uint32_t *last_access, const struct bitfield *have,
    const struct bitfield *keep, const struct evict_range *win, size_t nwin,
    uint32_t piece_len, uint64_t total, uint64_t over, uint32_t *out,
    uint32_t max, uint32_t *nout)
{
	uint32_t n = have->nbits, nc = 0;
	struct cand *c;
	uint64_t freed = 0;

	*nout = 0;
	if (over == 0 || max == 0 || n == 0 || bitfield_count(have) == 0)
		return 0;
	if ((c = calloc(bitfield_count(have), sizeof(*c))) == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++) {
		if (!bitfield_test(have, i) ||
		    (keep != NULL && bitfield_test(keep, i)) ||
		    in_window(win, nwin, i))
			continue;
		c[nc].at = last_access[i];
		c[nc].piece = i;
		nc++;
	}
	qsort(c, nc, sizeof(*c), cand_cmp);
	for (uint32_t k = 0; k < nc && *nout < max && freed < over; k++) {
		uint32_t p = c[k].piece;

		out[(*nout)++] = p;
		freed += p + 1 == n ? total - (uint64_t)p * piece_len :
		    piece_len;
	}
	free(c);
	return 0;
}
