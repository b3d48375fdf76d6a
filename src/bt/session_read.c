/*
 * session_read: the reader side of a session (session.h): parked reads,
 * readers' windows and the priorities they give pieces.  The public
 * functions at the end run on any thread and only queue commands; the
 * rest runs on the network thread (swarm.h).  done() callbacks run on
 * libuv's thread pool, never on the network thread.
 */
#include "bt/session.h"

#include <errno.h>
#include <stdlib.h>

#include "bt/metainfo.h"
#include "bt/picker.h"
#include "bt/swarm.h"

#define LOG_TAG "session"
#include "base/log.h"


enum picker_prio
session_base_prio(struct session *s, uint32_t piece)
{
	for (struct session_read *r = s->reads; r; r = r->next)
		if (piece >= r->first && piece <= r->last)
			return PICKER_CRITICAL;
	for (struct window *w = s->windows; w; w = w->next)
		if (piece >= w->first && piece <= w->last)
			return PICKER_HIGH;
	if (s->checking && bitfield_test(s->checking, piece))
		return PICKER_SKIP;
	return s->cfg.on_demand || s->cfg.seed_only || s->cache_full ?
	    PICKER_SKIP :
	    PICKER_NORMAL;
}

void
session_reprio(struct session *s, uint32_t first, uint32_t last)
{
	for (uint32_t i = first; i <= last && i < s->meta->npieces; i++)
		if (!bitfield_test(&s->have, i))
			picker_set_prio(s->pk, i, i, session_base_prio(s, i));
}

struct done_work {
	uv_work_t		 work;
	struct session_read	*rd;
	int			 status;
	struct session		*s;
};

static void
done_run(uv_work_t *w)
{
	struct done_work *d = w->data;

	d->rd->done(d->rd, d->status);
}

static void
done_after(uv_work_t *w, int status)
{
	struct done_work *d = w->data;

	(void)status;
	d->s->pending_works--;
	free(d);
}

/* Hand rd to a pool thread for done(status).  rd is not in s->reads. */
static void
read_finish(struct session *s, struct session_read *rd, int status)
{
	struct done_work *d = calloc(1, sizeof(*d));

	rd->state = 2;
	if (d) {
		d->rd = rd;
		d->status = status;
		d->s = s;
		d->work.data = d;
		if (uv_queue_work(&s->loop, &d->work, done_run,
		    done_after) == 0) {
			s->pending_works++;
			return;
		}
		free(d);
	}
	/* No memory for the hand-off: run it here rather than never. */
	log_error("running a read's callback on the network thread");
	rd->done(rd, status);
}

static void
read_unlink(struct session *s, struct session_read *rd)
{
	for (struct session_read **pp = &s->reads; *pp; pp = &(*pp)->next) {
		if (*pp == rd) {
			*pp = rd->next;
			rd->next = NULL;
			return;
		}
	}
}

static void
read_end(struct session *s, struct session_read *rd, int status)
{
	uint32_t first = rd->first, last = rd->last;

	read_unlink(s, rd);
	if (status != 0)
		session_reprio(s, first, last);
	read_finish(s, rd, status);
}

void
session_reads_on_piece(struct session *s, uint32_t piece)
{
	struct session_read *r, *next;

	for (r = s->reads; r; r = next) {
		next = r->next;
		if (piece < r->first || piece > r->last)
			continue;
		if (r->missing > 0 && --r->missing == 0)
			read_end(s, r, 0);
	}
}

void
session_read_park(struct session *s, struct session_read *rd)
{
	uint32_t missing = 0;

	if (s->stopping) {
		read_finish(s, rd, -ESHUTDOWN);
		return;
	}
	for (uint32_t i = rd->first; i <= rd->last; i++)
		if (!bitfield_test(&s->have, i))
			missing++;
	if (missing == 0) {
		read_finish(s, rd, 0);
		return;
	}
	rd->missing = missing;
	rd->state = 1;
	rd->next = s->reads;
	s->reads = rd;
	session_reprio(s, rd->first, rd->last);
	swarm_fill_all(s);
}

void
session_reads_deadlines(struct session *s, uint64_t now)
{
	struct session_read *r, *next;

	for (r = s->reads; r; r = next) {
		next = r->next;
		if (r->deadline_ms && now >= r->deadline_ms)
			read_end(s, r, -ETIMEDOUT);
	}
}

void
session_window_set(struct session *s, uint64_t reader, uint64_t off, uint64_t len,
    bool close)
{
	struct window **pp, *w = NULL;
	uint32_t of = 0, ol = 0;
	bool had = false;

	for (pp = &s->windows; *pp; pp = &(*pp)->next)
		if ((*pp)->reader == reader) {
			w = *pp;
			break;
		}
	if (w) {
		had = true;
		of = w->first;
		ol = w->last;
		if (close || len == 0 || off >= s->meta->total) {
			*pp = w->next;
			free(w);
			w = NULL;
		}
	} else if (!close && len > 0 && off < s->meta->total) {
		if ((w = calloc(1, sizeof(*w))) == NULL)
			return;
		w->reader = reader;
		w->next = s->windows;
		s->windows = w;
	}
	if (w) {
		if (len > s->meta->total - off)
			len = s->meta->total - off;
		w->first = (uint32_t)(off / s->meta->piece_len);
		w->last = (uint32_t)((off + len - 1) / s->meta->piece_len);
	}
	if (had)
		session_reprio(s, of, ol);
	if (w)
		session_reprio(s, w->first, w->last);
	swarm_fill_all(s);
}

void
session_read_cancelled(struct session *s, uint64_t id, int status)
{
	/*
	 * By id, never by pointer: the read may have ended before this
	 * cancel came, its memory freed and reused by a new parked read.
	 */
	for (struct session_read *r = s->reads; r; r = r->next) {
		if (r->id == id) {
			read_end(s, r, status);
			return;
		}
	}
}

void
session_reads_shutdown(struct session *s)
{
	struct session_read *r, *next;

	for (r = s->reads; r; r = next) {
		next = r->next;
		r->next = NULL;
		read_finish(s, r, -ESHUTDOWN);
	}
	s->reads = NULL;
}

/* ------------------------------------------------------------------ */
/* From any thread */

int
session_read_start(struct session *s, struct session_read *rd)
{
	struct cmd *c;

	if (!rd || !rd->done)
		return -EINVAL;
	if (rd->len == 0)
		return 1;
	if (rd->off >= s->meta->total || rd->len > s->meta->total - rd->off)
		return -ERANGE;
	if (session_range_verified(s, rd->off, rd->len))
		return 1;
	rd->first = (uint32_t)(rd->off / s->meta->piece_len);
	rd->last = (uint32_t)((rd->off + rd->len - 1) / s->meta->piece_len);
	rd->missing = 0;
	rd->state = 0;
	rd->next = NULL;
	/* Before the post: from then on rd may end (and be freed) any time. */
	rd->id = atomic_fetch_add_explicit(&s->next_read_id, 1,
	    memory_order_relaxed) + 1;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return -ENOMEM;
	c->type = CMD_READ;
	c->rd = rd;
	session_post(s, c);
	return 0;
}

void
session_read_cancel(struct session *s, uint64_t id, int status)
{
	struct cmd *c = calloc(1, sizeof(*c));

	if (!c)
		return;	/* the deadline still ends it */
	c->type = CMD_CANCEL;
	c->read_id = id;
	c->status = status;
	session_post(s, c);
}

void
session_reader_window(struct session *s, uint64_t reader, uint64_t off,
    uint64_t len)
{
	struct cmd *c = calloc(1, sizeof(*c));

	if (!c)
		return;	/* a window is a hint */
	/*
	 * Windows are never evicted: with a capped cache, a window as large
	 * as the cap would hold the cache over it.  Half the cap leaves room
	 * for the other readers and the files' ends.
	 */
	if (s->cfg.cache_size && len > s->cfg.cache_size / 2)
		len = s->cfg.cache_size / 2;
	c->type = CMD_WINDOW;
	c->reader = reader;
	c->off = off;
	c->len = len;
	session_post(s, c);
}

void
session_reader_close(struct session *s, uint64_t reader)
{
	struct cmd *c = calloc(1, sizeof(*c));

	if (!c)
		return;
	c->type = CMD_WINDOW_CLOSE;
	c->reader = reader;
	session_post(s, c);
}
