/*
 * filehash: SHA-1 every piece of a list of files laid end to end (the v1
 * piece layout of BEP 3), on all cores.  Used by create (make the pieces
 * field) and meant for checking local data before seeding.
 *
 * Called from one thread; filehash_run() starts its workers (one per online
 * core unless told otherwise) and joins them before it returns.  Workers
 * claim pieces through an atomic counter.  Files of FILEHASH_MMAP_MIN bytes
 * or more are mapped and hashed in place; smaller ones are read with large
 * pread()s (FILEHASH_DEFAULT_CHUNK) into a buffer of each worker's own that
 * is reused for every piece (a read may span several files).  While a run
 * is active, a SIGBUS handler is installed (a mapped file truncated under
 * us fails the run instead of killing the process); the previous handler
 * is restored afterwards and gets any SIGBUS that is not ours.  Pieces
 * are claimed in order, so the reads of all workers together move through
 * the data sequentially.
 *
 * Files must not change while they are hashed: each file's size and mtime
 * are compared with what the caller scanned when it is opened and once
 * more after every piece is done, and a short read counts as a change; any
 * difference fails the run with -ESTALE.
 */
#ifndef VTFS_BT_FILEHASH_H
#define VTFS_BT_FILEHASH_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct progress;

#define FILEHASH_MAX_THREADS	64
#define FILEHASH_DEFAULT_CHUNK	((size_t)256 << 10)	/* bytes per pread */
#define FILEHASH_MMAP_MIN		((uint64_t)4 << 20)	/* map files this big */
#define FILEHASH_MAX_MAPS		1024	/* mapped files at once (map count) */
#define FILEHASH_TRIM_BYTES	((uint64_t)64 << 20)	/* unmap done pages */

struct filehash_file {
	const char	*path;	/* borrowed: where to open it */
	uint64_t	 size;	/* as scanned */
	struct timespec	 mtime;	/* as scanned */
};

struct filehash_opts {
	unsigned	 nthreads;	/* 0: one per online core */
	size_t		 chunk;		/* bytes per pread; 0: default */
	bool		 no_mmap;	/* read every file with pread() */
	struct progress	*progress;	/* borrowed, may be NULL */
	const atomic_int *cancel;	/* borrowed, may be NULL */
};

struct filehash_error {
	char	msg[512];
};

/* How many workers filehash_run() would start for npieces (>= 1). */
unsigned filehash_threads(unsigned wanted, uint64_t npieces);

/*
 * Hash files[0..nfiles) (total bytes: the sum of their sizes, > 0) in
 * pieces of piece_len bytes into pieces[20 * npieces].  Returns 0, or
 * -ESTALE (a file changed), -EINTR (*cancel was set), -ENOMEM, or the
 * -errno of open/pread; err->msg says which file and why.
 */
int	filehash_run(const struct filehash_file *files, size_t nfiles,
	    uint32_t piece_len, const struct filehash_opts *opts,
	    uint8_t *pieces, struct filehash_error *err);

#endif /* VTFS_BT_FILEHASH_H */
