/*
 * hasher: the hash/disk workers of DESIGN.md ("Threads").  A pool of
 * threads (one per core) that verify downloaded pieces (SHA-1 against
 * meta_piece_hash()) and pwrite the good ones to the store, and that
 * recheck data already on disk for the resume record and `--seed`.
 *
 * Completions go back to the network thread through a queue and one
 * uv_async_t: wake-ups coalesce and the handler drains the whole queue, so
 * every callback below runs on the loop's thread, never on a worker.  The
 * network thread never waits on a worker.
 *
 * Downloaded pieces go before recheck work: a recheck running at start-up
 * does not delay the verification of what arrives meanwhile.
 *
 * Piece buffers come from a small pool with a cap (hasher_buf_get/put) and
 * are reused rather than allocated per piece: memory touched for the first
 * time is slow, and the cap bounds the daemon's RSS.
 *
 * Threads: hasher_new(), hasher_submit(), hasher_recheck(),
 * hasher_recheck_cancel() and hasher_close() on the loop's thread only.
 * hasher_buf_get/put() and hasher_check_progress() from any thread.
 */
#ifndef VTFS_BT_HASHER_H
#define VTFS_BT_HASHER_H

#include <stdint.h>

#include <uv.h>

struct bitfield;
struct metainfo;
struct storage;

#define HASHER_MAX_THREADS	64u

/* Per-piece outcome of a recheck (one byte per piece). */
enum hasher_result {
	HASHER_UNCHECKED = 0,	/* not asked for, or cancelled first */
	HASHER_GOOD,		/* the hash matches: trust it */
	HASHER_BAD,		/* data present, hash mismatch */
	HASHER_MISSING,		/* could not be read (file missing, short) */
};

struct hasher;
struct hasher_check;

/*
 * Called on the loop thread for every submitted piece.  status: 0 the
 * piece was good and is written to the store; -EBADMSG its hash did not
 * match (nothing written); another -errno the write failed.  buf comes
 * back to the callback (owned: keep it, or hasher_buf_put() it).
 */
typedef void	hasher_verify_cb(void *arg, uint32_t piece, int status,
		    uint8_t *buf);
/*
 * Called on the loop thread once a recheck is over: status 0, or
 * -ECANCELED.  result[npieces] (enum hasher_result) is borrowed for the
 * call; the job is freed after it returns.
 */
typedef void	hasher_check_cb(void *arg, int status, const uint8_t *result);
typedef void	hasher_close_cb(void *arg);

/*
 * Start nthreads workers (0: one per online CPU, at most
 * HASHER_MAX_THREADS) and register a uv_async_t on loop.  At most max_bufs
 * piece buffers (meta->piece_len bytes each) exist at once.  meta and st
 * are borrowed and must outlive the hasher.  Returns 0 or -errno.
 */
int	hasher_new(uv_loop_t *loop, const struct metainfo *meta,
	    struct storage *st, unsigned nthreads, unsigned max_bufs,
	    struct hasher **out);
/*
 * Stop: nothing more is accepted; pieces already submitted are still
 * verified, written and called back; a recheck is cancelled (its callback
 * gets -ECANCELED).  Once the workers have exited and the handle is
 * closed, cb(arg) runs on the loop and the hasher is freed.  The loop
 * must keep running until then.
 */
void	hasher_close(struct hasher *, hasher_close_cb *cb, void *arg);

/*
 * A piece buffer, or NULL when max_bufs are out (or out of memory).  Any
 * thread, until the close callback has run (buffers still out then are
 * the caller's to free()).
 */
uint8_t	*hasher_buf_get(struct hasher *);
/* Up to HASHER_KEEP_FREE returned buffers are kept for reuse, the rest freed. */
#define HASHER_KEEP_FREE	8u
void	 hasher_buf_put(struct hasher *, uint8_t *buf);
/* Buffers handed out and not yet put back. */
unsigned hasher_bufs_out(struct hasher *);

/*
 * Verify piece whose meta_piece_size() bytes are in buf, then write it.
 * buf must come from hasher_buf_get(); it moves to the hasher and back to
 * cb.  Returns 0, -ERANGE (bad piece) or -ESHUTDOWN (closing), and then
 * buf stays the caller's.
 */
int	hasher_submit(struct hasher *, uint32_t piece, uint8_t *buf,
	    hasher_verify_cb *cb, void *arg);

/*
 * Hash the pieces set in todo (copied; nbits == npieces) from the store,
 * writing nothing.  One recheck at a time (-EBUSY).  *out (may be NULL)
 * stays valid until cb has returned.  Returns 0 or -errno.
 */
int	hasher_recheck(struct hasher *, const struct bitfield *todo,
	    hasher_check_cb *cb, void *arg, struct hasher_check **out);
/* Stop handing out pieces; cb follows with -ECANCELED. */
void	hasher_recheck_cancel(struct hasher_check *);
/* Progress counters for a progress bar (any thread while valid). */
void	hasher_check_progress(const struct hasher_check *, uint64_t *done,
	    uint64_t *total);

#endif /* VTFS_BT_HASHER_H */
