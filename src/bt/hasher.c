/*
 * hasher: see hasher.h.
 *
 * One mutex guards the work queue, the done queue, the recheck cursor and
 * the buffer pool; it is never held across hashing, I/O or a wake-up.
 * Workers sleep on a condition variable; the loop is woken with
 * uv_async_send(), which coalesces, so on_async() drains everything that
 * is there.
 *
 * A recheck is not queued as one item per piece (2^21 of them): the job
 * keeps a cursor into its todo bitfield and each idle worker claims the
 * next piece under the lock.  Each piece's result byte is written by the
 * one worker that claimed it, and read by the loop only after the job's
 * completion went through the mutex.
 */
#include "bt/hasher.h"

#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/bitfield.h"
#include "base/sha.h"
#include "bt/metainfo.h"
#include "bt/storage.h"

#define LOG_TAG "hasher"
#include "base/log.h"

struct job {
	uint32_t	 piece;
	int		 status;	/* set by the worker */
	uint8_t		*buf;		/* owned while queued */
	hasher_verify_cb *cb;
	void		*arg;
	struct job	*next;
};

struct hasher_check {
	struct hasher	*h;
	struct bitfield	 todo;		/* owned copy */
	uint8_t		*result;	/* owned: npieces bytes */
	uint32_t	 cursor;	/* protected by h->lock */
	uint32_t	 inflight;	/* protected by h->lock */
	bool		 cancel;	/* protected by h->lock */
	bool		 finished;	/* protected by h->lock */
	hasher_check_cb	*cb;
	void		*arg;
	_Atomic uint64_t done_bytes;
	uint64_t	 total_bytes;
};

struct hasher {
	uv_loop_t		*loop;		/* borrowed */
	const struct metainfo	*meta;		/* borrowed */
	struct storage		*st;		/* borrowed */
	uv_async_t		 async;
	pthread_t		*threads;	/* owned */
	unsigned		 nthreads;

	pthread_mutex_t		 lock;
	pthread_cond_t		 cond;
	struct job		*q_head, *q_tail;	/* protected by lock */
	struct job		*d_head, *d_tail;	/* protected by lock */
	struct hasher_check	*check;		/* protected by lock */
	bool			 closing;	/* protected by lock */
	unsigned		 nexited;	/* protected by lock */

	uint8_t			**free_bufs;	/* protected: max_bufs slots */
	unsigned		 nfree;		/* protected by lock */
	unsigned		 nout;		/* protected by lock */
	unsigned		 max_bufs;

	hasher_close_cb		*close_cb;	/* loop thread only */
	void			*close_arg;
	bool			 joined;	/* loop thread only */
};

static bool
hash_ok(const struct metainfo *m, uint32_t piece, const uint8_t *buf)
{
	uint8_t md[SHA1_LEN];

	sha1(buf, meta_piece_size(m, piece), md);
	return memcmp(md, meta_piece_hash(m, piece), SHA1_LEN) == 0;
}

/* --- workers --- */

static void
verify_job(struct hasher *h, struct job *j)
{
	if (!hash_ok(h->meta, j->piece, j->buf)) {
		j->status = -EBADMSG;
		return;
	}
	j->status = storage_write_piece(h->st, j->piece, j->buf);
	if (j->status < 0)
		log_error("piece %u: write failed: %s", j->piece,
		    strerror(-j->status));
}

static uint8_t
check_piece(struct hasher *h, uint32_t piece, uint8_t *scratch)
{
	uint32_t n = meta_piece_size(h->meta, piece);
	int rc;

	rc = storage_read(h->st, (uint64_t)piece * h->meta->piece_len, n,
	    scratch);
	if (rc < 0)
		return HASHER_MISSING;
	return hash_ok(h->meta, piece, scratch) ? HASHER_GOOD : HASHER_BAD;
}

/* Next piece of the recheck to claim, or false.  Caller holds the lock. */
static bool
check_claim_locked(struct hasher_check *c, uint32_t npieces, uint32_t *out)
{
	if (c->cancel)
		return false;
	c->cursor = bitfield_next_set(&c->todo, c->cursor);
	if (c->cursor >= npieces)
		return false;
	*out = c->cursor++;
	c->inflight++;
	return true;
}

/*
 * The job is over once nothing is left to claim and nothing in flight.
 * Returns true when it just finished: the caller wakes the loop once it
 * has dropped the lock.
 */
static bool
check_maybe_finish_locked(struct hasher *h, struct hasher_check *c)
{
	uint32_t n = h->meta->npieces;

	if (c->finished || c->inflight > 0)
		return false;
	/* Skip what is not to do, so a todo ending early finishes too. */
	c->cursor = bitfield_next_set(&c->todo, c->cursor);
	if (!c->cancel && c->cursor < n)
		return false;
	c->finished = true;
	return true;
}

static void *
worker_main(void *arg)
{
	struct hasher *h = arg;
	uint8_t *scratch = NULL;	/* owned: recheck reads */
	struct hasher_check *c;
	struct job *j;
	uint32_t piece;

	pthread_mutex_lock(&h->lock);
	for (;;) {
		if (h->q_head != NULL) {
			j = h->q_head;
			h->q_head = j->next;
			if (h->q_head == NULL)
				h->q_tail = NULL;
			pthread_mutex_unlock(&h->lock);
			verify_job(h, j);
			pthread_mutex_lock(&h->lock);
			j->next = NULL;
			if (h->d_tail != NULL)
				h->d_tail->next = j;
			else
				h->d_head = j;
			h->d_tail = j;
			pthread_mutex_unlock(&h->lock);
			uv_async_send(&h->async);
			pthread_mutex_lock(&h->lock);
			continue;
		}
		c = h->check;
		if (c != NULL && check_claim_locked(c, h->meta->npieces,
		    &piece)) {
			uint8_t r = HASHER_MISSING;

			pthread_mutex_unlock(&h->lock);
			if (scratch == NULL)
				scratch = malloc(h->meta->piece_len);
			if (scratch != NULL)
				r = check_piece(h, piece, scratch);
			c->result[piece] = r;
			atomic_fetch_add(&c->done_bytes,
			    meta_piece_size(h->meta, piece));
			pthread_mutex_lock(&h->lock);
			c->inflight--;
			if (check_maybe_finish_locked(h, c)) {
				pthread_mutex_unlock(&h->lock);
				uv_async_send(&h->async);
				pthread_mutex_lock(&h->lock);
			}
			continue;
		}
		if (h->closing)
			break;
		pthread_cond_wait(&h->cond, &h->lock);
	}
	h->nexited++;
	pthread_mutex_unlock(&h->lock);
	free(scratch);
	/*
	 * h stays alive: it is freed only after on_async() has joined this
	 * thread, which waits for this return.
	 */
	uv_async_send(&h->async);
	return NULL;
}

/* --- the loop side --- */

static void
on_closed(uv_handle_t *handle)
{
	struct hasher *h = handle->data;
	hasher_close_cb *cb = h->close_cb;
	void *arg = h->close_arg;

	for (unsigned i = 0; i < h->nfree; i++)
		free(h->free_bufs[i]);
	free(h->free_bufs);
	free(h->threads);
	pthread_cond_destroy(&h->cond);
	pthread_mutex_destroy(&h->lock);
	free(h);
	if (cb != NULL)
		cb(arg);
}

static void
check_free(struct hasher_check *c)
{
	bitfield_fini(&c->todo);
	free(c->result);
	free(c);
}

static void
on_async(uv_async_t *async)
{
	struct hasher *h = async->data;
	struct hasher_check *done_check = NULL;
	struct job *j, *next;
	bool all_exited;

	pthread_mutex_lock(&h->lock);
	j = h->d_head;
	h->d_head = h->d_tail = NULL;
	if (h->check != NULL && h->check->finished) {
		done_check = h->check;
		h->check = NULL;
	}
	all_exited = h->nexited == h->nthreads;
	pthread_mutex_unlock(&h->lock);

	for (; j != NULL; j = next) {
		next = j->next;
		j->cb(j->arg, j->piece, j->status, j->buf);
		free(j);
	}
	if (done_check != NULL) {
		done_check->cb(done_check->arg,
		    done_check->cancel ? -ECANCELED : 0, done_check->result);
		check_free(done_check);
	}
	if (all_exited && !h->joined) {
		/* Every worker has left its loop: joins wait a moment. */
		for (unsigned i = 0; i < h->nthreads; i++)
			pthread_join(h->threads[i], NULL);
		h->joined = true;
		uv_close((uv_handle_t *)&h->async, on_closed);
	}
}

int
hasher_new(uv_loop_t *loop, const struct metainfo *meta, struct storage *st,
    unsigned nthreads, unsigned max_bufs, struct hasher **out)
{
	struct hasher *h;
	long ncpu;
	int rc;

	if (nthreads == 0) {
		ncpu = sysconf(_SC_NPROCESSORS_ONLN);
		nthreads = ncpu > 0 ? (unsigned)ncpu : 1;
	}
	if (nthreads > HASHER_MAX_THREADS)
		nthreads = HASHER_MAX_THREADS;
	if (max_bufs == 0)
		return -EINVAL;
	h = calloc(1, sizeof(*h));
	if (h == NULL)
		return -ENOMEM;
	h->threads = calloc(nthreads, sizeof(*h->threads));
	h->free_bufs = calloc(max_bufs, sizeof(*h->free_bufs));
	if (h->threads == NULL || h->free_bufs == NULL) {
		free(h->threads);
		free(h->free_bufs);
		free(h);
		return -ENOMEM;
	}
	h->loop = loop;
	h->meta = meta;
	h->st = st;
	h->max_bufs = max_bufs;
	pthread_mutex_init(&h->lock, NULL);
	pthread_cond_init(&h->cond, NULL);
	rc = uv_async_init(loop, &h->async, on_async);
	if (rc < 0) {
		pthread_cond_destroy(&h->cond);
		pthread_mutex_destroy(&h->lock);
		free(h->threads);
		free(h->free_bufs);
		free(h);
		return rc;
	}
	h->async.data = h;
	for (unsigned i = 0; i < nthreads; i++) {
		rc = -pthread_create(&h->threads[i], NULL, worker_main, h);
		if (rc < 0)
			break;
		h->nthreads++;
	}
	if (h->nthreads == 0) {
		/* No worker: close through the loop like any other handle. */
		h->joined = true;
		uv_close((uv_handle_t *)&h->async, on_closed);
		return rc;
	}
	*out = h;
	return 0;
}

void
hasher_close(struct hasher *h, hasher_close_cb *cb, void *arg)
{
	pthread_mutex_lock(&h->lock);
	assert(!h->closing);
	h->closing = true;
	h->close_cb = cb;
	h->close_arg = arg;
	if (h->check != NULL) {
		h->check->cancel = true;
		check_maybe_finish_locked(h, h->check);
	}
	pthread_cond_broadcast(&h->cond);
	pthread_mutex_unlock(&h->lock);
	/* A finished check, or no worker left to wake us. */
	uv_async_send(&h->async);
}

uint8_t *
hasher_buf_get(struct hasher *h)
{
	uint8_t *buf = NULL;
	bool fresh = false;

	pthread_mutex_lock(&h->lock);
	if (h->nfree > 0) {
		buf = h->free_bufs[--h->nfree];
		h->nout++;
	} else if (h->nout < h->max_bufs) {
		h->nout++;
		fresh = true;
	}
	pthread_mutex_unlock(&h->lock);
	if (fresh) {
		buf = malloc(h->meta->piece_len);
		if (buf == NULL) {
			pthread_mutex_lock(&h->lock);
			h->nout--;
			pthread_mutex_unlock(&h->lock);
		}
	}
	return buf;
}

void
hasher_buf_put(struct hasher *h, uint8_t *buf)
{
	if (buf == NULL)
		return;
	pthread_mutex_lock(&h->lock);
	assert(h->nout > 0 && h->nfree < h->max_bufs);
	h->nout--;
	/* Keep a few for the next pieces; give the rest back at once. */
	if (h->nfree < HASHER_KEEP_FREE) {
		h->free_bufs[h->nfree++] = buf;
		buf = NULL;
	}
	pthread_mutex_unlock(&h->lock);
	free(buf);
}

unsigned
hasher_bufs_out(struct hasher *h)
{
	unsigned n;

	pthread_mutex_lock(&h->lock);
	n = h->nout;
	pthread_mutex_unlock(&h->lock);
	return n;
}

int
hasher_submit(struct hasher *h, uint32_t piece, uint8_t *buf,
    hasher_verify_cb *cb, void *arg)
{
	struct job *j;

	if (piece >= h->meta->npieces)
		return -ERANGE;
	j = calloc(1, sizeof(*j));
	if (j == NULL)
		return -ENOMEM;
	j->piece = piece;
	j->buf = buf;
	j->cb = cb;
	j->arg = arg;
	pthread_mutex_lock(&h->lock);
	if (h->closing) {
		pthread_mutex_unlock(&h->lock);
		free(j);
		return -ESHUTDOWN;
	}
	if (h->q_tail != NULL)
		h->q_tail->next = j;
	else
		h->q_head = j;
	h->q_tail = j;
	pthread_cond_signal(&h->cond);
	pthread_mutex_unlock(&h->lock);
	return 0;
}

int
hasher_recheck(struct hasher *h, const struct bitfield *todo,
    hasher_check_cb *cb, void *arg, struct hasher_check **out)
{
	uint32_t n = h->meta->npieces, i;
	struct hasher_check *c;
	bool done;

	if (todo->nbits != n)
		return -EINVAL;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return -ENOMEM;
	c->result = calloc(n, 1);
	if (c->result == NULL || bitfield_copy(&c->todo, todo) < 0) {
		check_free(c);
		return -ENOMEM;
	}
	BITFIELD_FOREACH_SET(todo, i)
		c->total_bytes += meta_piece_size(h->meta, i);
	c->h = h;
	c->cb = cb;
	c->arg = arg;
	atomic_init(&c->done_bytes, 0);

	pthread_mutex_lock(&h->lock);
	if (h->closing || h->check != NULL) {
		int rc = h->closing ? -ESHUTDOWN : -EBUSY;

		pthread_mutex_unlock(&h->lock);
		check_free(c);
		return rc;
	}
	h->check = c;
	/* Nothing to do: finish through the loop all the same. */
	done = check_maybe_finish_locked(h, c);
	pthread_cond_broadcast(&h->cond);
	pthread_mutex_unlock(&h->lock);
	if (done)
		uv_async_send(&h->async);
	if (out != NULL)
		*out = c;
	return 0;
}

void
hasher_recheck_cancel(struct hasher_check *c)
{
	struct hasher *h = c->h;
	bool done;

	pthread_mutex_lock(&h->lock);
	c->cancel = true;
	done = check_maybe_finish_locked(h, c);
	pthread_mutex_unlock(&h->lock);
	if (done)
		uv_async_send(&h->async);
}

void
hasher_check_progress(const struct hasher_check *c, uint64_t *done,
    uint64_t *total)
{
	*done = atomic_load(&((struct hasher_check *)c)->done_bytes);
	*total = c->total_bytes;
}
