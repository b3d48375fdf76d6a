/*
 * session_cache: the capped piece cache of a mount (session_config
 * cache_size, CACHE layout).  Readers note when they used a piece
 * (session_touch, any thread: a coarse time in an atomic per piece, no
 * lock).  Once a tick, on the network thread, when the verified payload
 * exceeds the cap, the least recently used pieces outside every reader's
 * window, parked read and file head/tail (evict.h) are evicted:
 *   1. cleared from the readers' view (vseq, nverified), so FUSE stops
 *      serving them (a read copying them at that moment sees their
 *      counter move, even if the piece is verified again by the time
 *      it looks, and parks again: session_read_verified());
 *   2. their hole is punched on libuv's pool (storage_discard());
 *   3. then, back on the network thread, they become missing: cleared
 *      from the have bitfield and the picker, with their base priority.
 * Until step 3 the piece stays "had" for the picker, so it cannot be
 * fetched again and rewritten under the hole punch.  While the cache is
 * full, background pieces are SKIP (session_base_prio): only reads and
 * readers' windows fetch.  An evicted piece is never trusted on resume:
 * the resume plan drops pieces that are all hole.
 */
#include "bt/session.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "bt/evict.h"
#include "bt/metainfo.h"
#include "bt/picker.h"
#include "bt/swarm.h"

#define LOG_TAG "cache"
#include "base/log.h"

/* At most this many evictions started per tick. */
#define CACHE_EVICT_PER_TICK	64u
/* Evict at once (not at the next tick) this many pieces over the cap. */
#define CACHE_EVICT_EARLY	16u

struct discard_work {
	uv_work_t	 work;
	struct session	*s;
	uint32_t	 piece;
	int		 rc;
};

static bool
capped(const struct session *s)
{
	return s->cfg.cache_size > 0 && s->cfg.layout == STORAGE_CACHE &&
	    !s->cfg.seed_only;
}

static uint32_t
now_s(void)
{
	return (uint32_t)(clock_now_ms() / 1000u) + 1u;
}

int
session_cache_setup(struct session *s)
{
	uint32_t n = s->meta->npieces;
	int rc;

	if (!capped(s))
		return 0;
	if ((s->access = calloc(n, sizeof(*s->access))) == NULL)
		return -ENOMEM;
	if ((rc = bitfield_init(&s->keep, n)) < 0)
		return rc;
	if ((rc = bitfield_init(&s->evicting, n)) < 0)
		return rc;
	evict_mark_file_ends(s->meta, EVICT_FILE_END_PIECES, &s->keep);
	return 0;
}

void
session_cache_free(struct session *s)
{
	if (s->access == NULL)
		return;
	free(s->access);
	s->access = NULL;
	bitfield_fini(&s->keep);
	bitfield_fini(&s->evicting);
}

void
session_touch_piece(struct session *s, uint32_t piece)
{
	if (s->access && piece < s->meta->npieces)
		atomic_store_explicit(&s->access[piece], now_s(),
		    memory_order_relaxed);
}

void
session_touch(struct session *s, uint64_t off, uint64_t len)
{
	uint32_t t;

	if (s->access == NULL || len == 0 || off >= s->meta->total)
		return;
	if (len > s->meta->total - off)
		len = s->meta->total - off;
	t = now_s();
	for (uint64_t i = off / s->meta->piece_len;
	    i <= (off + len - 1) / s->meta->piece_len; i++)
		atomic_store_explicit(&s->access[i], t, memory_order_relaxed);
}

static void
discard_run(uv_work_t *w)
{
	struct discard_work *d = w->data;

	d->rc = storage_discard(d->s->st, d->piece);
}

static void
discard_after(uv_work_t *w, int status)
{
	struct discard_work *d = w->data;
	struct session *s = d->s;
	uint32_t p = d->piece;

	(void)status;
	s->pending_works--;
	bitfield_clear(&s->evicting, p);
	if (d->rc < 0)
		log_warn("evicting piece %u: %s", p, strerror(-d->rc));
	if (bitfield_clear(&s->have, p)) {
		s->have_bytes -= session_piece_payload(s->meta, p);
		atomic_store_explicit(&s->have_bytes_pub, s->have_bytes,
		    memory_order_relaxed);
		s->resume_dirty = true;
	}
	if (!s->stopping) {
		picker_clear_have(s->pk, p);
		picker_set_prio(s->pk, p, p, session_base_prio(s, p));
		s->want_pass = true;
		/* A read parked on it meanwhile (the fs re-parks). */
		swarm_fill_all(s);
	}
	free(d);
}

static void
evict_one(struct session *s, uint32_t p)
{
	struct discard_work *d;

	if ((d = calloc(1, sizeof(*d))) == NULL)
		return;
	d->s = s;
	d->piece = p;
	d->work.data = d;
	/* Readers first: nobody serves it from now on. */
	pieceseq_clear(&s->vseq, p);
	atomic_fetch_sub_explicit(&s->nverified, 1, memory_order_release);
	if (uv_queue_work(&s->loop, &d->work, discard_run,
	    discard_after) < 0) {
		/* Not evicted after all: readers may use it again. */
		pieceseq_set(&s->vseq, p);
		atomic_fetch_add_explicit(&s->nverified, 1,
		    memory_order_release);
		free(d);
		return;
	}
	bitfield_set(&s->evicting, p);
	s->pending_works++;
}

void
session_cache_check_full(struct session *s)
{
	bool full;

	if (s->access == NULL)
		return;
	full = s->have_bytes >= s->cfg.cache_size;
	/* Downloads outrun the tick on a fast swarm: evict now. */
	if (full && s->have_bytes - s->cfg.cache_size >=
	    (uint64_t)CACHE_EVICT_EARLY * s->meta->piece_len &&
	    !s->cache_evicting_now) {
		s->cache_evicting_now = true;
		session_cache_tick(s);
		s->cache_evicting_now = false;
	}
	if (full == s->cache_full)
		return;
	s->cache_full = full;
	log_debug("cache %s (%llu of %llu bytes)", full ? "full" : "has room",
	    (unsigned long long)s->have_bytes,
	    (unsigned long long)s->cfg.cache_size);
	/* Background pieces become SKIP (or NORMAL again). */
	session_reprio(s, 0, s->meta->npieces - 1);
}

/* Windows, parked reads and pieces being evicted: protected ranges. */
static struct evict_range *
protected_ranges(struct session *s, size_t *n)
{
	struct evict_range *r;
	size_t k = 0, cap = 0;

	for (struct window *w = s->windows; w; w = w->next)
		cap++;
	for (struct session_read *rd = s->reads; rd; rd = rd->next)
		cap++;
	if ((r = calloc(cap ? cap : 1, sizeof(*r))) == NULL)
		return NULL;
	for (struct window *w = s->windows; w; w = w->next)
		r[k++] = (struct evict_range){ w->first, w->last };
	for (struct session_read *rd = s->reads; rd; rd = rd->next)
		r[k++] = (struct evict_range){ rd->first, rd->last };
	*n = k;
	return r;
}

void
session_cache_tick(struct session *s)
{
	uint64_t cap = s->cfg.cache_size, over;
	uint32_t out[CACHE_EVICT_PER_TICK], n = 0, *at;
	struct evict_range *win;
	struct bitfield cand = { 0 };
	size_t nwin = 0;

	if (s->access == NULL)
		return;
	session_cache_check_full(s);
	if (s->have_bytes <= cap || s->checking)
		return;
	over = s->have_bytes - cap;
	/* Pieces being evicted count as gone already. */
	for (uint32_t i = 0; i < s->meta->npieces &&
	    bitfield_count(&s->evicting) > 0; i++)
		if (bitfield_test(&s->evicting, i)) {
			uint64_t b = session_piece_payload(s->meta, i);

			if (b >= over)
				return;
			over -= b;
		}
	win = protected_ranges(s, &nwin);
	at = malloc((size_t)s->meta->npieces * sizeof(*at));
	if (win == NULL || at == NULL || bitfield_copy(&cand, &s->have) < 0) {
		free(win);
		free(at);
		return;
	}
	for (uint32_t i = 0; i < s->meta->npieces; i++) {
		if (bitfield_test(&s->evicting, i))
			bitfield_clear(&cand, i);
		at[i] = atomic_load_explicit(&s->access[i],
		    memory_order_relaxed);
	}
	if (evict_choose(at, &cand, &s->keep, win,
	    nwin, s->meta->piece_len, s->meta->total, over, out,
	    CACHE_EVICT_PER_TICK, &n) == 0)
		for (uint32_t k = 0; k < n; k++)
			evict_one(s, out[k]);
	bitfield_fini(&cand);
	free(win);
	free(at);
}
