/*
 * create: build a v1 .torrent (BEP 3) from a file or a directory, and write
 * it to disk without ever leaving a partial file.  Called from one thread
 * (the command's); create_build() runs its own hashing workers, one per
 * online core, and joins them before it returns.
 *
 * What goes into a torrent of a directory:
 *  - Regular files, hidden ones (".name") included: a torrent of a folder
 *    holds what a copy of that folder holds, and a .htaccess or a .config
 *    silently missing would be a worse surprise than one too many.
 *  - Files in a stable order: the entries of each directory sorted by the
 *    bytes of their names (strcmp), depth first, so "a/z" comes before
 *    "a.txt" ("a" < "a.txt").  The same tree always gives the same torrent.
 *  - Empty files are included (length 0).  Empty directories cannot be
 *    represented in BEP 3 and are left out; a directory that holds no file
 *    at all is an error (-ENOENT, "no files").
 *  - Symbolic links inside the tree are skipped with a warning, and so are
 *    FIFOs, sockets and devices: following a link could publish a file from
 *    outside the tree (a link to ~/.ssh) and directory links can loop.  The
 *    top-level PATH itself may be a link; it is followed, since the user
 *    named it.
 *  - A name that is not valid UTF-8 or that holds a '\\' is an error: other
 *    clients (and vtfs --info) would rename or refuse it.
 *
 * The torrent: "announce" is the first tracker and, when there are several,
 * BEP 12 "announce-list" holds each tracker as a tier of its own; BEP 27
 * "private"; BEP 19 "url-list" (always a list); "created by" vtfs/VERSION;
 * "creation date" unless no_date.  Keys are written in sorted order.
 *
 * Hashing is bt/hasher's: one worker per core claims pieces through an
 * atomic counter; big files are hashed in place through mmap(), small ones
 * read with large pread()s that span file boundaries.  A file that changes
 * while it is hashed (size or mtime differs from the scan, a short read, a
 * SIGBUS on a truncated mapping) fails the build with -ESTALE.
 */
#ifndef VTFS_BT_CREATE_H
#define VTFS_BT_CREATE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"

struct progress;

#define CREATE_MIN_PIECE	(16u << 10)
#define CREATE_MAX_PIECE	(128u << 20)	/* largest a user may ask */
#define CREATE_MAX_AUTO_PIECE	(16u << 20)	/* largest chosen for them */
#define CREATE_AUTO_PIECES	2000u		/* automatic: at most this */
#define CREATE_MAX_PIECES	(1u << 21)
#define CREATE_MAX_FILES	1000000u
#define CREATE_MAX_URLS		256u	/* trackers, and web seeds */
#define CREATE_MAX_TORRENT	((size_t)10 << 20)
#define CREATE_MAX_THREADS	64

struct create_opts {
	const char *const *trackers;	/* borrowed; each its own tier */
	size_t		 ntrackers;
	const char *const *web_seeds;	/* borrowed; BEP 19 */
	size_t		 nweb_seeds;
	bool		 is_private;	/* BEP 27 */
	uint32_t	 piece_len;	/* 0: create_auto_piece_len() */
	const char	*comment;	/* NULL: none */
	const char	*name;		/* NULL: the last component of PATH */
	bool		 no_date;	/* leave "creation date" out */
	const char	*created_by;	/* NULL: "vtfs/" VTFS_VERSION */
	int64_t		 date;		/* 0: now (unless no_date) */
	unsigned	 nthreads;	/* 0: one per online core */
	struct progress	*progress;	/* borrowed, may be NULL */
	/* borrowed, may be NULL: set (by a signal handler) to stop early */
	const atomic_int *cancel;
};

struct create_result {
	uint8_t		info_hash[20];
	uint32_t	piece_len;
	uint32_t	npieces;
	uint64_t	total;
	uint32_t	nfiles;
	uint32_t	nskipped;	/* symlinks and special files left out */
	bool		multi;		/* files live in a folder */
};

/* A human-readable reason for the last failure, for the command to print. */
struct create_error {
	char	msg[512];
};

/*
 * The automatic piece length for total bytes: the smallest power of two in
 * CREATE_MIN_PIECE..CREATE_MAX_AUTO_PIECE that gives at most
 * CREATE_AUTO_PIECES pieces (so usually 1,000 to 2,000).  Pure.
 */
uint32_t create_auto_piece_len(uint64_t total);

/*
 * The name of a torrent of path when no name is given: its last component
 * ("dir/" -> "dir"), or that of its real path for ".", ".." and the like.
 * Returns 0 and a new string in *out, or -EINVAL / -ENOMEM with err->msg.
 */
int	create_default_name(const char *path, char **out,
	    struct create_error *err);

/* Whether n is a piece length a user may ask for (power of two, in range). */
bool	create_piece_len_ok(uint64_t n);

/*
 * Check a tracker URL (http, https or udp, with a host; udp needs a port)
 * or, with web_seed, a web seed URL (http or https).  Returns 0 or -EINVAL
 * with err->msg saying why.  Pure.
 */
int	create_check_url(const char *url, bool web_seed,
	    struct create_error *err);

/*
 * Scan path, hash it and append the bencoded torrent to out (whose cap
 * should be CREATE_MAX_TORRENT).  Returns 0 and fills res, or -errno with
 * err->msg set: -ENOENT (missing path, or no files), -EACCES (unreadable),
 * -EINVAL (bad option or URL, unusable name), -ESTALE (a file changed
 * while it was hashed), -E2BIG (over a cap), -EINTR (cancelled), -EIO,
 * -ENOMEM.  Symlinks and special files skipped are reported with
 * log_warn().
 */
int	create_build(const char *path, const struct create_opts *,
	    struct buf *out, struct create_result *res,
	    struct create_error *err);

/*
 * Before the work: fail early when out_path exists (unless force; a
 * directory always fails) or its directory is not writable.  Returns 0,
 * -EEXIST, -EISDIR or -errno with err->msg set.
 */
int	create_check_output(const char *out_path, bool force,
	    struct create_error *err);

/*
 * Write data to out_path through a temporary file in the same directory,
 * flushed, then renamed into place; the temporary file is removed on any
 * failure.  Without force an existing out_path is never replaced (-EEXIST).
 * If *cancel becomes set before the rename, nothing is left and -EINTR is
 * returned.  Returns 0 or -errno with err->msg set.
 */
int	create_write_file(const char *out_path, const void *data, size_t len,
	    bool force, const atomic_int *cancel,
	    struct create_error *err);

#endif /* VTFS_BT_CREATE_H */
