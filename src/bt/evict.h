/*
 * evict: the piece cache's LRU choice, pure functions (no I/O, no locks).
 * Which verified pieces to drop when a capped cache (--cache-size) holds
 * more bytes than the cap: the least recently accessed ones that are
 * neither in a file's head or tail (players read container indexes there)
 * nor inside a reader's window.  Any thread may call these; the session
 * calls them on its network thread.
 */
#ifndef VTFS_BT_EVICT_H
#define VTFS_BT_EVICT_H

#include <stddef.h>
#include <stdint.h>

#include "base/bitfield.h"

struct metainfo;

/* Pieces kept at each end of every non-pad, non-empty file. */
#define EVICT_FILE_END_PIECES	2u

/* An inclusive piece range kept out of eviction (a reader's window). */
struct evict_range {
	uint32_t	first;
	uint32_t	last;
};

/*
 * Set in keep (initialised to meta->npieces bits) the first and last
 * `nend` pieces of every non-pad, non-empty file.
 */
void	evict_mark_file_ends(const struct metainfo *meta, uint32_t nend,
	    struct bitfield *keep);

/*
 * Choose pieces to evict: among the pieces set in have, not set in keep
 * and in none of the nwin windows, the least recently accessed first
 * (last_access[i], smaller is older; ties by lower index), until their
 * bytes reach over.  The last piece's size is total - (npieces - 1) *
 * piece_len.  Writes at most max piece indexes to out, oldest first, and
 * the count to *nout.  Returns 0, or -ENOMEM (its scratch array).
 */
int	evict_choose(const uint32_t *last_access, const struct bitfield *have,
	    const struct bitfield *keep, const struct evict_range *win,
	    size_t nwin, uint32_t piece_len, uint64_t total, uint64_t over,
	    uint32_t *out, uint32_t max, uint32_t *nout);

#endif /* VTFS_BT_EVICT_H */
