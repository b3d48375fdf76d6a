/*
 * storage: the disk store of one torrent's verified bytes, addressed by
 * torrent offset.  Two layouts behind one API:
 *
 * STORAGE_CACHE (the mount's piece cache): <dir>/<info-hash hex>/data, one
 * sparse file holding the torrent's bytes at their torrent offsets.  No name
 * from the torrent is ever used as a path, so a hostile torrent cannot
 * write outside the cache dir.  One fd serves every read: a FUSE read of a
 * file range is one pread() or one splice, and a piece is evicted by
 * punching a hole (storage_discard()).
 *
 * STORAGE_DOWNLOAD (`--download/--seed --path DIR`): the layout of
 * mainstream clients, DIR/NAME for a single-file torrent and DIR/NAME/...
 * for a multi-file one, with the sanitised names of struct metainfo.
 * Every path is opened component by component with openat(O_NOFOLLOW)
 * from a directory fd, so a symlink planted inside DIR/NAME (or DIR/NAME
 * itself being a symlink) is refused with -ELOOP, never followed.  Files
 * are kept open in a small LRU pool (capped well below RLIMIT_NOFILE).
 *
 * In both layouts BEP 47 pad files are never written and read as zeros;
 * files that exist with the wrong size are truncated or extended (sparse),
 * keeping their data; zero-length files are created.
 *
 * Threads: storage_open() and storage_close() from one thread with no
 * other user alive.  Everything else is safe from any thread at once
 * (FUSE workers, hash workers, the network thread): I/O is pread/pwrite on
 * shared fds, and the fd pool is behind one mutex that is never held
 * across a read or a write.  Callers only write verified pieces and only
 * read ranges they know to be verified; storage knows nothing of which
 * pieces are.
 */
#ifndef VTFS_BT_STORAGE_H
#define VTFS_BT_STORAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct metainfo;

enum storage_layout {
	STORAGE_CACHE,
	STORAGE_DOWNLOAD,
};

enum storage_flags {
	/*
	 * Open existing data read-only: nothing is created, truncated or
	 * written (writes fail with -EROFS).  Missing files are reported by
	 * storage_file_state(); reading them fails with -ENOENT.
	 */
	STORAGE_RDONLY = 1 << 0,
};

/* Most files kept open at once in the download layout. */
#define STORAGE_MAX_OPEN	1024u

struct storage;

/*
 * Open (creating what is missing unless STORAGE_RDONLY) the store of meta
 * under dir: the cache root for STORAGE_CACHE (created with its parents,
 * mode 0700), the download dir for STORAGE_DOWNLOAD (must exist).  meta is
 * borrowed and must outlive the storage.  Returns 0 and *out, or -errno
 * (-ELOOP: a symlink where a directory or file of ours should be;
 * -EEXIST: something not a regular file or directory in the way).
 */
int	storage_open(const struct metainfo *meta, enum storage_layout layout,
	    const char *dir, unsigned flags, struct storage **out);
/* Close every fd (no fsync: call storage_sync() first to be durable). */
void	storage_close(struct storage *);
/*
 * Cache layout only (`--no-keep`): close, delete the data file, and remove
 * <root>/<hex> when nothing else is left in it (delete the resume record
 * first).  The storage is freed whatever happens.  Returns 0, -ENOTSUP
 * (download layout: the user's files are never deleted) or -errno.
 */
int	storage_close_and_remove(struct storage *);

/*
 * Write piece (meta_piece_size() bytes from buf) at its place, pad ranges
 * skipped.  Any thread; concurrent writes of different pieces are fine.
 * Returns 0 or -errno (-EROFS with STORAGE_RDONLY, -ERANGE bad piece).
 */
int	storage_write_piece(struct storage *, uint32_t piece, const void *buf);
/*
 * Read len bytes at torrent offset off into buf; pad ranges read as zeros.
 * Exact: a short file gives -ENODATA, never a short read.  Any thread.
 * Returns 0 or -errno (-ERANGE beyond the torrent, -ENOENT missing file).
 */
int	storage_read(struct storage *, uint64_t off, size_t len, void *buf);

/* A piece of a byte range as (fd, offset in that fd) for splice/pread. */
struct storage_span {
	int		 fd;		/* borrowed until storage_unmap(); -1:
					 * zeros (a pad file) */
	uint64_t	 file_off;
	size_t		 len;
	uint32_t	 slot;		/* private to storage */
};

/*
 * Map [off, off + len) to at most max spans in order, covering a prefix
 * of the range (call again from where it stopped).  The fds stay open
 * until storage_unmap() of the same spans.  Returns how many spans were
 * written (>= 1), or -errno.  Any thread.
 */
int	storage_map(struct storage *, uint64_t off, size_t len,
	    struct storage_span *spans, unsigned max);
void	storage_unmap(struct storage *, const struct storage_span *,
	    unsigned n);

/* fsync every data file that is open.  Any thread; slow: not the loop. */
int	storage_sync(struct storage *);

/*
 * Cache layout only: give piece's blocks back to the filesystem (punch a
 * hole).  The caller first clears the piece from its bitfield.  Returns
 * 0, -ENOTSUP (download layout or a filesystem without hole punching).
 */
int	storage_discard(struct storage *, uint32_t piece);
/* Bytes the store occupies on disk (allocated blocks). */
int	storage_disk_usage(struct storage *, uint64_t *out);

/*
 * Backing files ("slots"): one per torrent file in the download layout
 * (pad files included, never present on disk), one in the cache layout.
 * The resume record fingerprints them; the seed check reports on them.
 */
struct storage_slot_info {
	uint64_t	 off;		/* torrent offset of its first byte */
	uint64_t	 size;		/* expected size */
	bool		 pad;		/* a pad file: nothing on disk */
	bool		 present;	/* exists on disk (as a regular file) */
	uint64_t	 disk_size;	/* st_size when present */
	uint64_t	 ino;		/* st_ino when present */
	struct timespec	 mtime;		/* st_mtim when present */
};

uint32_t storage_nslots(const struct storage *);
/* Stat slot i now (fstat of its fd, or a walk when it is closed). */
int	storage_slot_info(struct storage *, uint32_t slot,
	    struct storage_slot_info *out);
/*
 * Call fn for every range of torrent bytes that holds data on disk
 * (SEEK_DATA/SEEK_HOLE; a filesystem without them reports whole files).
 * Lets a recheck skip pieces that were never written.  Returns 0, the
 * first non-zero return of fn, or -errno.
 */
int	storage_data_ranges(struct storage *,
	    int (*fn)(void *arg, uint64_t off, uint64_t len), void *arg);

enum storage_layout storage_layout(const struct storage *);
/* Directory of the store: <cache root>/<hex> or DIR.  Borrowed. */
const char *storage_path(const struct storage *);

/*
 * Default cache root: $XDG_CACHE_HOME/vtfs, else $HOME/.cache/vtfs, and
 * /var/cache/vtfs for root.  Returns 0 or -ENAMETOOLONG / -ENOENT.
 */
int	storage_default_cache_root(char *out, size_t outsz);

/*
 * mkdir -p: create path and its missing parents with mode.  Returns 0 or
 * -errno.  Any thread.
 */
int	storage_mkdir_p(const char *path, unsigned mode);

#endif /* VTFS_BT_STORAGE_H */
