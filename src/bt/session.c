/*
 * session: see session.h.  The network thread and its life cycle, the
 * cross-thread queue, the hasher's completions, recheck at start-up, the
 * resume record, published state and statistics.  Parked reads and
 * readers' windows live in session_read.c, the connections in peer.c
 * (both share swarm.h).
 *
 * Threads.  session_start() builds everything on the caller's thread, then
 * starts the network thread, which alone touches the loop and the state
 * marked "network thread" in swarm.h from then on.  Other threads reach it
 * by appending a struct cmd to a mutex-protected list and waking the loop
 * with uv_async_send() (wake-ups coalesce: the handler drains the whole
 * list).  Readers see the verified pieces in vseq (pieceseq.h: a counter
 * per piece, made odd with release order after the piece is on disk, even
 * again before a capped cache punches its hole) and the statistics in a
 * copy guarded by slock; neither lock is ever held across a syscall.
 * Parked reads complete through uv_queue_work(): done() runs on libuv's
 * pool.
 */
#include "bt/session.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/bytes.h"
#include "base/clock.h"
#include "bt/announce.h"
#include "bt/hasher.h"
#include "bt/metainfo.h"
#include "bt/netio.h"
#include "bt/peer_id.h"
#include "bt/picker.h"
#include "bt/resume.h"
#include "bt/storage.h"
#include "bt/swarm.h"

#define LOG_TAG "session"
#include "base/log.h"

#define RESUME_EVERY_MS	30000u

/* ------------------------------------------------------------------ */
/* Pieces */

/*
 * Call fn for each pad range inside piece: [a, b) as offsets in the piece.
 */
static void
pad_ranges(const struct metainfo *m, uint32_t piece,
    void (*fn)(void *, uint64_t, uint64_t), void *arg)
{
	uint64_t start = (uint64_t)piece * m->piece_len;
	uint64_t end = start + meta_piece_size(m, piece);

	for (uint32_t f = meta_file_at(m, start); f < m->nfiles; f++) {
		const struct meta_file *mf = &m->files[f];
		uint64_t a, b;

		if (mf->offset >= end)
			break;
		if (!(mf->attr & META_ATTR_PAD))
			continue;
		a = mf->offset > start ? mf->offset : start;
		b = mf->offset + mf->size < end ? mf->offset + mf->size : end;
		if (b > a)
			fn(arg, a - start, b - start);
	}
}

static void
count_pad(void *arg, uint64_t a, uint64_t b)
{
	*(uint64_t *)arg += b - a;
}

static void
zero_pad(void *arg, uint64_t a, uint64_t b)
{
	memset((uint8_t *)arg + a, 0, b - a);
}

/* Bytes of piece that are not padding. */
uint64_t
session_piece_payload(const struct metainfo *m, uint32_t piece)
{
	uint64_t pad = 0;

	pad_ranges(m, piece, count_pad, &pad);
	return meta_piece_size(m, piece) - pad;
}

bool
session_have(const struct session *s, uint32_t piece)
{
	return bitfield_test(&s->have, piece);
}

uint8_t *
session_asm_get(struct session *s, uint32_t piece)
{
	uint8_t *buf;

	if (piece >= s->meta->npieces || bitfield_test(&s->have, piece))
		return NULL;
	if (s->asm_[piece])
		return s->asm_[piece];
	if ((buf = hasher_buf_get(s->hasher)) == NULL)
		return NULL;
	pad_ranges(s->meta, piece, zero_pad, buf);
	s->asm_[piece] = buf;
	s->nasm++;
	return buf;
}

static uint32_t publish_stats(struct session *);

/*
 * The trackers get the session's totals (BEP 3): payload sent, payload of
 * the pieces downloaded and verified, bytes still missing.
 */
static void
announce_stats(struct session *s)
{
	if (s->ann)
		announce_set_stats(s->ann, s->uploaded, s->downloaded_ok,
		    s->total_bytes - s->have_bytes);
}

static void
mark_have(struct session *s, uint32_t piece)
{
	if (!bitfield_set(&s->have, piece))
		return;
	picker_set_have(s->pk, piece);
	session_touch_piece(s, piece);
	s->have_bytes += session_piece_payload(s->meta, piece);
	atomic_store_explicit(&s->have_bytes_pub, s->have_bytes,
	    memory_order_relaxed);
	pieceseq_set(&s->vseq, piece);
	atomic_fetch_add_explicit(&s->nverified, 1, memory_order_release);
	s->resume_dirty = true;
	session_cache_check_full(s);
	swarm_piece_verified(s, piece);
	session_reads_on_piece(s, piece);
	if (bitfield_all(&s->have) && !s->completed_sent) {
		s->completed_sent = true;
		log_info("download complete");
		if (s->ann && s->downloaded > 0) {
			announce_stats(s);
			announce_completed(s->ann);
		}
		publish_stats(s);
	}
}

static void
on_verified(void *arg, uint32_t piece, int status, uint8_t *buf)
{
	struct session *s = arg;

	hasher_buf_put(s->hasher, buf);
	if (status == 0) {
		if (!bitfield_test(&s->have, piece))
			s->downloaded_ok += session_piece_payload(s->meta,
			    piece);
		mark_have(s, piece);
		return;
	}
	if (status == -EBADMSG) {
		s->hash_fails++;
		log_info("piece %u failed its hash check", piece);
		swarm_piece_failed(s, piece);
	} else {
		log_error("piece %u: writing: %s", piece, strerror(-status));
		picker_on_hash_fail(s->pk, piece, NULL, 0);
	}
	if (!s->stopping)
		swarm_fill_all(s);
}

void
session_piece_complete(struct session *s, uint32_t piece)
{
	uint8_t *buf = s->asm_[piece];

	if (!buf)
		return;
	s->asm_[piece] = NULL;
	s->nasm--;
	if (hasher_submit(s->hasher, piece, buf, on_verified, s) < 0) {
		hasher_buf_put(s->hasher, buf);
		picker_on_hash_fail(s->pk, piece, NULL, 0);
	}
}

/* ------------------------------------------------------------------ */
/* Statistics */

/* Returns the peers with a running connection. */
static uint32_t
publish_stats(struct session *s)
{
	struct session_stats st;
	uint64_t now = clock_now_ms();
	uint32_t seeds = 0, peers = 0;

	for (uint32_t i = 0; i < s->nlive; i++) {
		struct peer *pr = s->live[i];

		if (!pr->running)
			continue;
		peers++;
		if (bitfield_all(&pr->p.have))
			seeds++;
	}
	memset(&st, 0, sizeof(st));
	st.npieces = s->meta->npieces;
	st.have = bitfield_count(&s->have);
	st.have_bytes = s->have_bytes;
	st.total_bytes = s->total_bytes;
	st.downloaded = s->downloaded;
	st.downloaded_ok = s->downloaded_ok;
	st.uploaded = s->uploaded;
	st.rate_down = rate_get(&s->down, now);
	st.rate_up = rate_get(&s->up, now);
	st.peers = peers;
	st.seeds = seeds;
	st.hash_fails = s->hash_fails;
	st.banned = s->banned;
	st.complete = bitfield_all(&s->have);
	st.checking = s->checking != NULL;
	if (s->recheck_running && s->recheck_job)
		hasher_check_progress(s->recheck_job, &st.check_done,
		    &st.check_total);
	pthread_mutex_lock(&s->slock);
	s->stats = st;
	pthread_mutex_unlock(&s->slock);
	return peers;
}

void
session_get_stats(struct session *s, struct session_stats *out)
{
	uint32_t have;

	pthread_mutex_lock(&s->slock);
	*out = s->stats;
	pthread_mutex_unlock(&s->slock);
	/* Fresher than the snapshot of the last tick. */
	have = atomic_load_explicit(&s->nverified, memory_order_acquire);
	if (have > out->have) {
		out->have = have;
		out->have_bytes = atomic_load_explicit(&s->have_bytes_pub,
		    memory_order_relaxed);
		out->complete = have == out->npieces;
	}
}

bool
session_piece_verified(struct session *s, uint32_t piece)
{
	return pieceseq_test(&s->vseq, piece);
}

bool
session_range_verified(struct session *s, uint64_t off, uint64_t len)
{
	uint32_t first, last;

	if (len == 0)
		return true;
	if (off >= s->meta->total || len > s->meta->total - off)
		return false;
	first = (uint32_t)(off / s->meta->piece_len);
	last = (uint32_t)((off + len - 1) / s->meta->piece_len);
	for (uint32_t i = first; i <= last; i++)
		if (!session_piece_verified(s, i))
			return false;
	return true;
}

struct store_copy {
	struct storage	*st;
	uint64_t	 off;
	size_t		 len;
	void		*buf;
};

static int
store_copy(void *arg)
{
	struct store_copy *c = arg;

	return storage_read(c->st, c->off, c->len, c->buf);
}

int
session_read_verified(struct session *s, uint64_t off, size_t len,
    void *buf)
{
	struct store_copy c = { s->st, off, len, buf };

	if (len == 0)
		return 0;
	if (off >= s->meta->total || len > s->meta->total - off)
		return -ERANGE;
	return pieceseq_copy(&s->vseq, (uint32_t)(off / s->meta->piece_len),
	    (uint32_t)((off + len - 1) / s->meta->piece_len), store_copy, &c);
}

struct storage *
session_storage(struct session *s)
{
	return s->st;
}

/* ------------------------------------------------------------------ */
/* Resume record and recheck */

static void final_save(struct session *);
static void stop_finish(struct session *);

static void
on_resume_saved(void *arg, int status)
{
	struct session *s = arg;

	s->resume_busy = false;
	if (status < 0)
		log_warn("saving the resume record: %s", strerror(-status));
	if (s->final_started) {
		s->final_done = true;
		stop_finish(s);
	} else if (s->hasher_closed) {
		final_save(s);
	}
}

/*
 * The last record, once the hasher has written everything: on the pool,
 * while the "stopped" announce is under way.
 */
static void
final_save(struct session *s)
{
	if (s->final_started || s->resume_busy)
		return;	/* on_resume_saved() comes back here */
	s->final_started = true;
	if (s->resume_path[0] && resume_save_async(&s->loop, s->resume_path,
	    s->meta, s->st, &s->have, on_resume_saved, s) == 0) {
		s->resume_busy = true;
		return;
	}
	if (s->resume_path[0])
		log_warn("cannot save the resume record");
	s->final_done = true;
	stop_finish(s);
}

static void
resume_kick(struct session *s, uint64_t now)
{
	if (!s->resume_dirty || s->resume_busy || !s->resume_path[0] ||
	    now - s->last_resume_ms < RESUME_EVERY_MS)
		return;
	if (resume_save_async(&s->loop, s->resume_path, s->meta, s->st,
	    &s->have, on_resume_saved, s) == 0) {
		s->resume_busy = true;
		s->resume_dirty = false;
		s->last_resume_ms = now;
	}
}

static void announce_begin(struct session *);

static void
on_recheck(void *arg, int status, const uint8_t *result)
{
	struct session *s = arg;
	uint32_t good = 0, n = s->meta->npieces;
	struct bitfield *todo = s->checking;

	s->recheck_running = false;
	s->recheck_job = NULL;	/* freed after this returns */
	s->checking = NULL;
	for (uint32_t i = 0; i < n; i++) {
		if (!bitfield_test(todo, i))
			continue;
		if (status == 0 && result[i] == HASHER_GOOD) {
			mark_have(s, i);
			good++;
		} else if (!bitfield_test(&s->have, i)) {
			picker_set_prio(s->pk, i, i, session_base_prio(s, i));
		}
	}
	bitfield_fini(todo);
	free(todo);
	if (status == 0)
		log_info("recheck: %u pieces good", good);
	if (s->cfg.seed_only && !s->ann && !s->stopping)
		announce_begin(s);
	if (!s->stopping)
		swarm_fill_all(s);
}

/* ------------------------------------------------------------------ */
/* The loop */

static void stop_begin(struct session *);

static void
on_wake(uv_async_t *a)
{
	struct session *s = a->data;
	struct cmd *c, *next;

	pthread_mutex_lock(&s->qlock);
	c = s->qhead;
	s->qhead = s->qtail = NULL;
	pthread_mutex_unlock(&s->qlock);
	for (; c; c = next) {
		next = c->next;
		switch (c->type) {
		case CMD_READ:
			session_read_park(s, c->rd);
			break;
		case CMD_CANCEL:
			/* By id: a read already done may be gone. */
			session_read_cancelled(s, c->read_id, c->status);
			break;
		case CMD_WINDOW:
		case CMD_WINDOW_CLOSE:
			if (!s->stopping)
				session_window_set(s, c->reader, c->off, c->len,
				    c->type == CMD_WINDOW_CLOSE);
			break;
		case CMD_STOP:
			s->stop_bound_ms = (uint32_t)c->len;
			stop_begin(s);
			break;
		}
		if (c != &s->stop_cmd)
			free(c);
	}
}

static void
on_tick(uv_timer_t *t)
{
	struct session *s = t->data;
	uint64_t now = clock_now_ms();
	uint32_t peers;

	s->nticks++;
	session_reads_deadlines(s, now);
	if (s->stopping)
		return;
	swarm_tick(s, now);
	session_cache_tick(s);
	peers = publish_stats(s);
	announce_stats(s);
	/* No peer at all (a mount made before its seeder started, the
	 * tracker's list all dead ports): ask the trackers again sooner. */
	if (s->ann && peers == 0)
		announce_want_peers(s->ann);
	resume_kick(s, now);
}

static void
on_announce_peers(void *arg, const struct tracker_peer *p, uint32_t n)
{
	struct session *s = arg;

	if (!s->stopping)
		swarm_add_tracker_peers(s, p, n);
}

static void
on_handle_closed(uv_handle_t *h)
{
	(void)h;
}

/* Everything stopped and the record written: close the last handles. */
static void
stop_finish(struct session *s)
{
	if (!s->announce_done || !s->final_done || s->finished)
		return;
	s->finished = true;
	publish_stats(s);
	if (s->ann) {
		announce_free(s->ann);
		s->ann = NULL;
	}
	uv_close((uv_handle_t *)&s->tick, on_handle_closed);
	uv_close((uv_handle_t *)&s->wake, on_handle_closed);
}

static void
on_announce_stopped(void *arg)
{
	struct session *s = arg;

	s->announce_done = true;
	stop_finish(s);
}

static void
on_hasher_closed(void *arg)
{
	struct session *s = arg;

	s->hasher = NULL;
	s->hasher_closed = true;
	final_save(s);
}

static void
stop_begin(struct session *s)
{
	if (s->stopping)
		return;
	s->stopping = true;
	session_reads_shutdown(s);
	swarm_shutdown(s);
	if (s->recheck_running && s->recheck_job)
		hasher_recheck_cancel(s->recheck_job);
	/* Assembly buffers die with the pieces they held. */
	for (uint32_t i = 0; i < s->meta->npieces && s->nasm > 0; i++) {
		if (s->asm_[i]) {
			hasher_buf_put(s->hasher, s->asm_[i]);
			s->asm_[i] = NULL;
			s->nasm--;
		}
	}
	hasher_close(s->hasher, on_hasher_closed, s);
	announce_stats(s);	/* "stopped" carries the final totals */
	if (s->ann)
		announce_stop(s->ann, s->stop_bound_ms, on_announce_stopped,
		    s);
	else
		on_announce_stopped(s);
}

/* On the network thread: announce checks that it is called there only. */
static void
announce_begin(struct session *s)
{
	const struct metainfo *m = s->meta;
	int rc;

	if (!s->cfg.no_trackers && m->ntiers > 0) {
		struct announce_config ac;
		struct announce_callbacks cb = {
			.on_peers = on_announce_peers,
			.arg = s,
		};

		memset(&ac, 0, sizeof(ac));
		ac.port = s->port;
		ac.bind_addr = s->bind_host[0] ? s->bind_host : NULL;
		ac.peer_id = s->peer_id;
		ac.udp_retry_base_ms = s->cfg.udp_retry_base_ms;
		ac.left = s->total_bytes - s->have_bytes;
		rc = announce_new(&s->loop, &ac, m, &cb, &s->ann);
		if (rc < 0) {
			log_warn("trackers: %s", strerror(-rc));
			s->ann = NULL;
		}
		announce_stats(s);
	}
	if (s->ann)
		announce_start(s->ann);
}

static void *
thread_main(void *arg)
{
	struct session *s = arg;

	/* --seed announces once its check is over: as a seeder (left=0). */
	if (!s->cfg.seed_only || !s->checking)
		announce_begin(s);
	if (s->checking) {
		s->recheck_running = true;
		if (hasher_recheck(s->hasher, s->checking, on_recheck, s,
		    &s->recheck_job) < 0) {
			s->recheck_running = false;
			bitfield_fini(s->checking);
			free(s->checking);
			s->checking = NULL;
			session_reprio(s, 0, s->meta->npieces - 1);
			if (s->cfg.seed_only)
				announce_begin(s);
		}
	}
	/* Pieces made only of padding are checked locally. */
	for (uint32_t i = 0; i < s->meta->npieces; i++) {
		if (bitfield_test(&s->have, i) ||
		    !picker_piece_is_pad(s->pk, i))
			continue;
		if (session_asm_get(s, i))
			session_piece_complete(s, i);
	}
	uv_timer_start(&s->tick, on_tick, SWARM_TICK_MS, SWARM_TICK_MS);
	swarm_connect_more(s, clock_now_ms());
	publish_stats(s);
	uv_run(&s->loop, UV_RUN_DEFAULT);
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Start, stop */

void
session_post(struct session *s, struct cmd *c)
{
	pthread_mutex_lock(&s->qlock);
	c->next = NULL;
	if (s->qtail)
		s->qtail->next = c;
	else
		s->qhead = c;
	s->qtail = c;
	pthread_mutex_unlock(&s->qlock);
	uv_async_send(&s->wake);
}

static int
load_resume(struct session *s)
{
	struct resume_plan plan;
	uint32_t n = s->meta->npieces;
	int rc;

	/* The mount's record lives in its own cache dir, next to the data. */
	if (s->cfg.layout == STORAGE_CACHE)
		snprintf(s->cache_root, sizeof(s->cache_root), "%s",
		    s->cfg.dir);
	if ((s->cfg.layout != STORAGE_CACHE &&
	    storage_default_cache_root(s->cache_root,
	    sizeof(s->cache_root)) < 0) ||
	    resume_default_path(s->cache_root, s->meta, s->st,
	    s->resume_path, sizeof(s->resume_path)) < 0) {
		log_warn("no place for a resume record: every start rechecks");
		s->resume_path[0] = '\0';
	}
	memset(&plan, 0, sizeof(plan));
	rc = resume_load(s->resume_path[0] ? s->resume_path : NULL,
	    s->meta, s->st, s->cfg.seed_only ? RESUME_FORCE_CHECK : 0, &plan);
	if (rc < 0)
		return rc;
	for (uint32_t i = 0; i < n; i++)
		if (bitfield_test(&plan.have, i))
			mark_have(s, i);
	if (bitfield_count(&plan.check) > 0) {
		if ((s->checking = calloc(1, sizeof(*s->checking))) == NULL) {
			resume_plan_fini(&plan);
			return -ENOMEM;
		}
		log_info("resume: %u pieces trusted, %u to recheck",
		    bitfield_count(&plan.have), bitfield_count(&plan.check));
		*s->checking = plan.check;
		memset(&plan.check, 0, sizeof(plan.check));
	} else if (bitfield_count(&plan.have) > 0) {
		log_info("resume: %u pieces trusted", bitfield_count(&plan.have));
	}
	resume_plan_fini(&plan);
	return 0;
}

static int
setup(struct session *s)
{
	const struct metainfo *m = s->meta;
	uint32_t n = m->npieces;
	uint64_t bufs;
	int rc;

	rate_init(&s->down, 0, clock_now_ms());
	rate_init(&s->up, 0, clock_now_ms());
	if ((rc = storage_open(m, s->cfg.layout, s->cfg.dir,
	    s->cfg.seed_only ? STORAGE_RDONLY : 0, &s->st)) < 0)
		return rc;
	if ((rc = bitfield_init(&s->have, n)) < 0)
		return rc;
	if ((rc = pieceseq_init(&s->vseq, n)) < 0)
		return rc;
	s->asm_ = calloc(n, sizeof(*s->asm_));
	s->pk = picker_new(n, m->piece_len, m->total);
	if (!s->asm_ || !s->pk)
		return -ENOMEM;
	/* Leechers of one seeder must not all start on the same pieces:
	 * the peer id's random tail seeds the tie-breaking. */
	picker_shuffle(s->pk, be32_get(s->peer_id + 12) |
	    (uint64_t)be32_get(s->peer_id + 16) << 32);
	if ((rc = session_cache_setup(s)) < 0)
		return rc;
	for (uint32_t f = 0; f < m->nfiles; f++) {
		if (m->files[f].attr & META_ATTR_PAD) {
			if (m->files[f].size > 0 && picker_add_pad(s->pk,
			    m->files[f].offset, m->files[f].size) < 0)
				return -EINVAL;
		} else {
			s->total_bytes += m->files[f].size;
		}
	}
	if ((rc = uv_loop_init(&s->loop)) < 0)
		return rc;
	s->loop_ok = true;
	bufs = SWARM_BUF_BYTES / m->piece_len;
	if (bufs < 16)
		bufs = 16;
	if (bufs > 1024)
		bufs = 1024;
	if ((rc = hasher_new(&s->loop, m, s->st, 0, (unsigned)bufs,
	    &s->hasher)) < 0)
		return rc;
	if ((rc = load_resume(s)) < 0)
		return rc;
	if (s->cfg.on_demand || s->cfg.seed_only)
		session_reprio(s, 0, n - 1);
	if (s->checking)
		for (uint32_t i = 0; i < n; i++)
			if (bitfield_test(s->checking, i))
				picker_set_prio(s->pk, i, i, PICKER_SKIP);
	if ((rc = swarm_net_start(s)) < 0)
		return rc;
	if ((rc = uv_async_init(&s->loop, &s->wake, on_wake)) < 0)
		return rc;
	s->wake.data = s;
	uv_timer_init(&s->loop, &s->tick);
	s->tick.data = s;
	for (size_t i = 0; i < s->cfg.npeers; i++)
		swarm_add_peer(s, &s->init_peers[i], true);
	return 0;
}

int
session_start(const struct session_config *cfg, struct session **out)
{
	struct session *s;
	int rc;

	*out = NULL;
	if (!cfg->meta || !cfg->dir || cfg->meta->npieces == 0)
		return -EINVAL;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return -ENOMEM;
	s->cfg = *cfg;
	s->meta = cfg->meta;
	s->max_peers = cfg->max_peers ? cfg->max_peers : SWARM_DEFAULT_PEERS;
	pthread_mutex_init(&s->qlock, NULL);
	pthread_mutex_init(&s->slock, NULL);
	if (cfg->npeers > 0) {
		s->init_peers = calloc(cfg->npeers, sizeof(*s->init_peers));
		if (!s->init_peers) {
			session_free(s);
			return -ENOMEM;
		}
		memcpy(s->init_peers, cfg->peers,
		    cfg->npeers * sizeof(*s->init_peers));
	}
	s->cfg.peers = s->init_peers;
	if (cfg->listen && (s->listen = strdup(cfg->listen)) == NULL) {
		session_free(s);
		return -ENOMEM;
	}
	s->cfg.listen = s->listen;
	if ((rc = peer_id_make(s->peer_id)) < 0 || (rc = setup(s)) < 0) {
		session_free(s);
		return rc;
	}
	publish_stats(s);
	if ((rc = -pthread_create(&s->thread, NULL, thread_main, s)) < 0) {
		session_free(s);
		return rc;
	}
	s->thread_started = true;
	*out = s;
	return 0;
}

void
session_stop(struct session *s, unsigned announce_bound_ms)
{
	struct cmd *c;

	if (!s || !s->thread_started || s->joined)
		return;
	c = &s->stop_cmd;
	c->type = CMD_STOP;
	c->len = announce_bound_ms;
	session_post(s, c);
	pthread_join(s->thread, NULL);
	s->joined = true;
}

void
session_free(struct session *s)
{
	if (!s)
		return;
	if (s->thread_started && !s->joined)
		session_stop(s, 0);
	if (!s->thread_started && s->loop_ok) {
		/* Start failed half-way: close what was made. */
		if (s->ann)
			announce_free(s->ann);
		if (s->hasher)
			hasher_close(s->hasher, on_hasher_closed, s);
		if (s->net)
			swarm_shutdown(s);
		if (s->wake.data == s)
			uv_close((uv_handle_t *)&s->wake, on_handle_closed);
		if (s->tick.data == s)
			uv_close((uv_handle_t *)&s->tick, on_handle_closed);
		uv_run(&s->loop, UV_RUN_DEFAULT);
	}
	if (s->loop_ok)
		uv_loop_close(&s->loop);
	swarm_free(s);
	for (struct cmd *c = s->qhead, *n; c; c = n) {
		n = c->next;
		if (c != &s->stop_cmd)
			free(c);
	}
	for (uint32_t i = 0; s->asm_ && i < s->meta->npieces; i++)
		free(s->asm_[i]);
	free(s->asm_);
	if (s->checking)
		bitfield_fini(s->checking);
	free(s->checking);
	while (s->windows) {
		struct window *w = s->windows;

		s->windows = w->next;
		free(w);
	}
	picker_free(s->pk);
	session_cache_free(s);
	bitfield_fini(&s->have);
	pieceseq_fini(&s->vseq);
	if (s->st)
		storage_close(s->st);
	free(s->init_peers);
	free(s->listen);
	pthread_mutex_destroy(&s->qlock);
	pthread_mutex_destroy(&s->slock);
	free(s);
}

