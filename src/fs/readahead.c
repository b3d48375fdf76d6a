/* readahead: the per-open-file readahead window (see readahead.h). */
#include "fs/readahead.h"

#include <string.h>

void
fs_ra_init(struct fs_readahead *ra, uint64_t file_start, uint64_t file_end)
{
	memset(ra, 0, sizeof(*ra));
	ra->file_start = file_start;
	ra->file_end = file_end;
	ra->win = FS_RA_MIN;
}

static bool
sequential(const struct fs_readahead *ra, uint64_t off)
{
	if (!ra->started)
		return false;
	if (off >= ra->next)
		return off - ra->next <= FS_RA_SLACK;
	return ra->next - off <= FS_RA_SLACK;
}

bool
fs_ra_read(struct fs_readahead *ra, uint64_t off, uint64_t len,
    uint64_t now_ms, uint64_t *woff, uint64_t *wlen)
{
	uint64_t end = off + len, want, wo, wl;
	bool seq = sequential(ra, off);

	if (!seq) {
		/* A first read or a seek: a new run with the first window. */
		ra->win = FS_RA_MIN;
		ra->run_start_ms = now_ms;
		ra->run_bytes = 0;
		ra->rate = 0;
		ra->started = true;
		ra->next = end;
	} else {
		if (end > ra->next)
			ra->next = end;
		ra->run_bytes += len;
		if (now_ms > ra->run_start_ms + 500)
			ra->rate = ra->run_bytes * 1000 /
			    (now_ms - ra->run_start_ms);
		/* Grow once the reader has consumed half of the window. */
		if (ra->wlen && ra->next >= ra->woff + ra->wlen / 2 &&
		    ra->win < FS_RA_MAX)
			ra->win *= 2;
		want = ra->rate * FS_RA_AHEAD_S;
		if (want > ra->win)
			ra->win = want;
		if (ra->win > FS_RA_MAX)
			ra->win = FS_RA_MAX;
	}
	wo = seq ? ra->next : off;
	if (wo > ra->file_end)
		wo = ra->file_end;
	wl = ra->file_end - wo < ra->win ? ra->file_end - wo : ra->win;
	/* Keep the pushed window while it still covers enough ahead. */
	if (seq && ra->wlen && wo >= ra->woff &&
	    wo - ra->woff < ra->wlen / 4 && wo + wl <= ra->woff + ra->wlen +
	    ra->wlen / 4)
		return false;
	if (wl == 0)
		return false;	/* at the end of the file */
	ra->woff = wo;
	ra->wlen = wl;
	*woff = wo;
	*wlen = wl;
	return true;
}
