/*
 * pieceseq: which pieces readers may copy out of the store, and whether
 * they stayed so while a reader copied them.  One counter per piece counts
 * its state changes: odd is verified, even is not.  The owner (a session's
 * network thread) flips a piece to verified once its bytes are on disk,
 * and back before they go away (a capped cache punches its hole).
 *
 * A reader checking "verified" before a pread and again after it is not
 * enough: the piece may be evicted (its bytes become a hole's zeros) and
 * verified again (downloaded anew) between the two checks, and the pread
 * may have seen the hole.  Its counter then moved by two: same parity,
 * another count.  pieceseq_copy() is that check: a seqlock per piece, the
 * pread being the protected read.
 *
 * Threads: one writer at a time (the owner), any number of readers, no
 * lock.  Pure: no I/O of its own (the copy is the caller's callback).
 * A counter wraps after 2^32 changes of one piece; a copy would have to
 * overlap 2^31 evictions and downloads of a piece to be fooled.
 */
#ifndef VTFS_BT_PIECESEQ_H
#define VTFS_BT_PIECESEQ_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

struct pieceseq {
	_Atomic uint32_t	*seq;	/* owned: one per piece */
	uint32_t		 n;
};

/* Every piece unverified.  Returns 0, -E2BIG (n > 2^21), -ENOMEM. */
int	pieceseq_init(struct pieceseq *, uint32_t npieces);
void	pieceseq_fini(struct pieceseq *);

/*
 * Owner only.  set: the piece's bytes are verified and on disk (release:
 * a reader that sees it sees them).  clear: before its bytes change or go
 * away.  Each returns true when the state changed; out of range: false.
 */
bool	pieceseq_set(struct pieceseq *, uint32_t piece);
bool	pieceseq_clear(struct pieceseq *, uint32_t piece);

/* Any thread.  Out of range: false. */
bool	pieceseq_test(const struct pieceseq *, uint32_t piece);
/*
 * The piece's counter: equal values at two moments mean no change in
 * between.  For the owner (an upload read on the pool is good when the
 * counter did not move meanwhile).  Out of range: 0.
 */
uint32_t pieceseq_get(const struct pieceseq *, uint32_t piece);

/*
 * Copy verified bytes of pieces [first, last]: calls copy(arg) (a pread of
 * those bytes) only when every piece is verified, and returns its result
 * only when none of them changed state until it returned.  Returns 0,
 * -EAGAIN (a piece is not verified, or was evicted during the copy: what
 * copy() read must not be used), or copy()'s -errno.  Any thread.
 */
int	pieceseq_copy(const struct pieceseq *, uint32_t first, uint32_t last,
	    int (*copy)(void *arg), void *arg);

#endif /* VTFS_BT_PIECESEQ_H */
