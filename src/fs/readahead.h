/*
 * readahead: one open file's readahead window (DESIGN.md, "The read
 * path").  Pure: the FUSE read handler feeds it every read (torrent
 * offsets, a monotonic clock) and it says when the window given to
 * session_reader_window() should move.  While the reader is sequential the
 * window grows, doubling from FS_RA_MIN up to FS_RA_MAX, and is at least
 * FS_RA_AHEAD_S seconds of the measured consumption rate; a seek starts a
 * new FS_RA_MIN window at the new place.  The window is clipped to the end
 * of the file.  Not thread-safe: the caller holds a lock per open file.
 */
#ifndef VTFS_FS_READAHEAD_H
#define VTFS_FS_READAHEAD_H

#include <stdbool.h>
#include <stdint.h>

#define FS_RA_MIN	(4u << 20)		/* first window: 4 MiB */
#define FS_RA_MAX	(128ull << 20)		/* largest: 128 MiB */
#define FS_RA_AHEAD_S	20u			/* seconds of rate ahead */
/* Reads this close to the expected offset still count as sequential (the
 * kernel sends a file's readahead from several FUSE workers at once). */
#define FS_RA_SLACK	(8u << 20)

struct fs_readahead {
	uint64_t	 file_start;	/* torrent offset of the file */
	uint64_t	 file_end;	/* exclusive */
	uint64_t	 next;		/* where a sequential read goes next */
	uint64_t	 win;		/* current window length */
	uint64_t	 woff, wlen;	/* last pushed window (0: none) */
	uint64_t	 run_start_ms;	/* this sequential run began */
	uint64_t	 run_bytes;	/* bytes read in this run */
	uint64_t	 rate;		/* bytes/s of the run, 0 unknown */
	bool		 started;
};

void	fs_ra_init(struct fs_readahead *, uint64_t file_start,
	    uint64_t file_end);
/*
 * A read of [off, off + len) (torrent offsets, inside the file) at now_ms.
 * Returns true with the new window in *woff, *wlen when it should be
 * pushed to the session (it moved by a quarter of its length, grew, or
 * the reader seeked); false when the last pushed one still serves.
 */
bool	fs_ra_read(struct fs_readahead *, uint64_t off, uint64_t len,
	    uint64_t now_ms, uint64_t *woff, uint64_t *wlen);

#endif /* VTFS_FS_READAHEAD_H */
