/*
 * resume: the resume record of a store: which pieces are verified, plus
 * what lets a later run trust that without hashing again (the info-hash,
 * the piece geometry, and a fingerprint of every data file: present, size,
 * inode, mtime).  A restart downloads nothing twice and never trusts data
 * that changed behind our back.
 *
 * On-disk format (version 1, integers big-endian, exact size known from
 * the torrent so nothing outsider-chosen is allocated):
 *
 *	 0  8	magic "VTFSRES1"
 *	 8  4	version (1)
 *	12  4	layout (0 cache, 1 download)
 *	16 20	info-hash
 *	36  4	piece length
 *	40  4	piece count
 *	44  8	total bytes
 *	52  4	slot count (storage_nslots())
 *	56  8	saved at (Unix seconds; informational)
 *	64	slot count x 40 bytes: flags (1: present), 0, size, inode,
 *		mtime seconds, mtime nanoseconds, 0   (4+4+8+8+8+4+4)
 *	..	verified-pieces bitfield, BEP 3 bit order, spare bits zero
 *	..	SHA-1 of every byte above (20)
 *
 * It is written to PATH.tmp, fsync'ed, renamed over PATH and the directory
 * fsync'ed, after storage_sync(): a record never names a piece whose bytes
 * are not durable.  A save races harmlessly with writers: pieces written
 * after the caller's bitfield snapshot are not in it and, having data on
 * disk, get rechecked next time.
 *
 * Trust rules of resume_load(): a piece is trusted when the record is
 * intact, matches the torrent, has its bit set, every file the piece
 * touches still has the recorded fingerprint, and the piece has no hole.
 * A trusted piece that is all hole was evicted while a save was running
 * (the file's mtime then recorded after the eviction): dropped.  A trusted
 * piece with some hole is rechecked (filesystems that store zero blocks as
 * holes).  An untrusted piece whose bytes are all on disk (SEEK_DATA/
 * SEEK_HOLE) is rechecked (hasher_recheck()); the rest are missing (we
 * write whole pieces: a piece with a hole was never written by us, it
 * merely shares a block with a neighbour).  RESUME_FORCE_CHECK ignores the
 * record and rechecks every piece (a sparse file seeded by `--seed` may
 * hold all-zero pieces as holes).
 *
 * Threads: resume_load(), resume_save() and resume_report() do blocking
 * I/O (fsync): worker threads or start-up, never the network thread.
 * resume_save_async() runs resume_save() on libuv's thread pool and is
 * called on the loop thread.  resume_apply_check() is pure.
 */
#ifndef VTFS_BT_RESUME_H
#define VTFS_BT_RESUME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "base/bitfield.h"

struct metainfo;
struct storage;

#define RESUME_VERSION	1u

enum resume_flags {
	/* Ignore any record: recheck every piece (`--seed`). */
	RESUME_FORCE_CHECK = 1 << 0,
};

/* What resume_load() decided. */
struct resume_plan {
	struct bitfield	 have;		/* owned: trusted pieces */
	struct bitfield	 check;		/* owned: pieces to recheck */
	/*
	 * The record: 0 used, -ENOENT none, -EBADMSG corrupt or truncated,
	 * -ESTALE for another torrent or geometry, -ECANCELED ignored
	 * (RESUME_FORCE_CHECK).
	 */
	int		 record;
	uint32_t	 nstale;	/* files whose fingerprint changed */
};

/*
 * Decide which pieces to trust and which to recheck.  path may be NULL
 * (no record).  Only a failure to
 * allocate or to look at the store is an error (-errno); a bad record is
 * reported in plan->record and costs a recheck, nothing else.
 */
int	resume_load(const char *path, const struct metainfo *meta,
	    struct storage *st, unsigned flags, struct resume_plan *plan);
void	resume_plan_fini(struct resume_plan *);

/*
 * Fold a recheck's result (enum hasher_result per piece) into have: GOOD
 * sets the bit, BAD and MISSING clear it.  Returns how many were GOOD.
 */
uint32_t resume_apply_check(const struct metainfo *meta,
	    struct bitfield *have, const uint8_t *result);

/*
 * Make the data durable (storage_sync()), then write the record for have
 * atomically, creating PATH's directory if needed.  Blocking.  One save
 * per path at a time.  Returns 0 or -errno.
 */
int	resume_save(const char *path, const struct metainfo *meta,
	    struct storage *st, const struct bitfield *have);

typedef void	resume_saved_cb(void *arg, int status);
/*
 * Copy have and run resume_save() on libuv's thread pool; cb(arg, status)
 * follows on the loop thread.  The caller waits for cb before the next
 * save of the same path and before closing st.  Loop thread only.
 */
int	resume_save_async(uv_loop_t *loop, const char *path,
	    const struct metainfo *meta, struct storage *st,
	    const struct bitfield *have, resume_saved_cb *cb, void *arg);

/*
 * The record's usual place: <cache root>/<info-hash hex>/resume for the
 * cache layout; for the download layout
 * <cache root>/<info-hash hex>/resume-<16 hex digits of SHA-1 of the real
 * path of the download>, so that records of one torrent downloaded to two
 * places do not mix, and nothing is written among the user's files.
 * Returns 0 or -ENAMETOOLONG / -errno of realpath().
 */
int	resume_default_path(const char *cache_root,
	    const struct metainfo *meta, const struct storage *st, char *out,
	    size_t outsz);

/* Per-file state for `--seed` and status: from have and the store. */
struct resume_file_report {
	bool		 pad;		/* a pad file: nothing to report */
	bool		 present;	/* exists on disk */
	bool		 size_ok;	/* with its expected size */
	uint32_t	 pieces;	/* pieces touching it */
	uint32_t	 pieces_good;	/* of those, verified */
	uint32_t	 pieces_bad;	/* of those, present with wrong data */
	uint64_t	 bytes_good;	/* its bytes inside verified pieces */
};

/*
 * Fill out[storage_nslots(st)].  result (a recheck's, may be NULL) lets
 * pieces_bad tell wrong data from missing data.  Returns 0 or -errno.
 */
int	resume_report(const struct metainfo *meta, struct storage *st,
	    const struct bitfield *have, const uint8_t *result,
	    struct resume_file_report *out);

#endif /* VTFS_BT_RESUME_H */
