/*
 * storage: see storage.h.
 *
 * Why one sparse file for the cache layout rather than a file per piece:
 * a FUSE read of a file range is then one pread() or one splice from one
 * fd whatever the piece size, the kernel's readahead works across pieces,
 * a 2^21-piece torrent does not need 2^21 inodes or fds, and eviction is
 * fallocate(PUNCH_HOLE) on the piece's range.  Pad ranges are never written
 * there either, so they stay holes.
 *
 * The download layout keeps an fd per torrent file, opened on demand and
 * closed least-recently-used first once STORAGE_MAX_OPEN (or a quarter of
 * RLIMIT_NOFILE) are open.  An fd in use by a reader or writer is pinned
 * (users > 0) and never closed under it.  Opening walks the path with
 * openat(O_NOFOLLOW) again each time, so a directory swapped for a symlink
 * after storage_open() is refused as well.
 */
#include "bt/storage.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/bytes.h"
#include "bt/metainfo.h"

#define LOG_TAG "storage"
#include "base/log.h"

#define NO_SLOT		UINT32_MAX
#define CACHE_DATA	"data"

struct slot {
	uint64_t	 off;		/* torrent offset */
	uint64_t	 size;
	const char	*path;		/* borrowed from meta; NULL: cache */
	bool		 pad;
	bool		 present;	/* set by storage_open(), then fixed */
	int		 fd;		/* protected by st->lock; -1 closed */
	uint32_t	 users;		/* protected by st->lock */
	uint32_t	 prev, next;	/* idle LRU list; protected by lock */
	bool		 idle;		/* on the LRU list; protected */
	bool		 dirty;		/* written since storage_sync();
					 * protected by st->lock */
};

struct storage {
	const struct metainfo	*meta;		/* borrowed */
	enum storage_layout	 layout;
	unsigned		 flags;
	char			*path;		/* owned */
	int			 root_fd;	/* DIR, DIR/NAME, root/hex */
	struct slot		*slots;		/* owned */
	uint32_t		 nslots;
	uint32_t		 max_open;

	pthread_mutex_t		 lock;
	uint32_t		 nopen;		/* protected by lock */
	uint32_t		 lru_head;	/* protected: least recent */
	uint32_t		 lru_tail;	/* protected: most recent */
};

/* --- the LRU of idle open fds (all _locked: caller holds st->lock) --- */

static void
lru_unlink_locked(struct storage *st, uint32_t i)
{
	struct slot *s = &st->slots[i];

	if (!s->idle)
		return;
	if (s->prev != NO_SLOT)
		st->slots[s->prev].next = s->next;
	else
		st->lru_head = s->next;
	if (s->next != NO_SLOT)
		st->slots[s->next].prev = s->prev;
	else
		st->lru_tail = s->prev;
	s->prev = s->next = NO_SLOT;
	s->idle = false;
}

static void
lru_push_locked(struct storage *st, uint32_t i)
{
	struct slot *s = &st->slots[i];

	s->prev = st->lru_tail;
	s->next = NO_SLOT;
	if (st->lru_tail != NO_SLOT)
		st->slots[st->lru_tail].next = i;
	else
		st->lru_head = i;
	st->lru_tail = i;
	s->idle = true;
}

/*
 * Take the least recently used idle fd out of the pool when over the cap;
 * the caller closes it after unlocking.  Returns -1 when nothing to close.
 */
static int
lru_evict_locked(struct storage *st)
{
	uint32_t i;
	int fd;

	if (st->nopen <= st->max_open || st->lru_head == NO_SLOT)
		return -1;
	i = st->lru_head;
	lru_unlink_locked(st, i);
	fd = st->slots[i].fd;
	st->slots[i].fd = -1;
	st->nopen--;
	return fd;
}

/* --- opening paths safely --- */

/*
 * Name the refusal of something in our way: -ELOOP for a symlink (which
 * O_NOFOLLOW reports as ENOTDIR with O_DIRECTORY), -EEXIST for anything
 * else that is not what we want, otherwise err.
 */
static int
not_ours(int dfd, const char *name, int err)
{
	struct stat sb;

	if (err != -ENOTDIR && err != -EISDIR && err != -ELOOP)
		return err;
	if (fstatat(dfd, name, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISLNK(sb.st_mode))
		return -ELOOP;
	return -EEXIST;
}

/*
 * Open directory name under dfd without following a symlink, creating it
 * first when create.  Returns an fd or -errno.
 */
static int
open_dir_at(int dfd, const char *name, bool create)
{
	int fd;

	if (create && mkdirat(dfd, name, 0755) < 0 && errno != EEXIST)
		return -errno;
	fd = openat(dfd, name,
	    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return not_ours(dfd, name, -errno);
	return fd;
}

/*
 * Open the regular file at relative path (components joined by '/') under
 * dfd, walking every component with O_NOFOLLOW.  Returns an fd or -errno.
 * O_NONBLOCK keeps a planted FIFO from blocking us before the S_ISREG
 * check; it means nothing for a regular file.
 */
static int
open_file_walk(int dfd, const char *path, bool create, bool rdonly)
{
	char comp[NAME_MAX + 1];
	const char *p = path, *slash;
	struct stat sb;
	int cur = dfd, fd, flags;

	while ((slash = strchr(p, '/')) != NULL) {
		size_t n = (size_t)(slash - p);

		if (n == 0 || n > NAME_MAX) {
			fd = -EINVAL;
			goto out;
		}
		memcpy(comp, p, n);
		comp[n] = '\0';
		fd = open_dir_at(cur, comp, create);
		if (cur != dfd)
			close(cur);
		cur = -1;
		if (fd < 0)
			goto out;
		cur = fd;
		p = slash + 1;
	}
	flags = (rdonly ? O_RDONLY : O_RDWR) | O_NOFOLLOW | O_CLOEXEC |
	    O_NONBLOCK;
	if (create)
		flags |= O_CREAT;
	fd = openat(cur, p, flags, 0644);
	if (fd < 0) {
		fd = not_ours(cur, p, -errno);
		goto out;
	}
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		fd = -EEXIST;
	}
out:
	if (cur != dfd && cur >= 0)
		close(cur);
	return fd;
}

static int
slot_open_fd(struct storage *st, const struct slot *s)
{
	bool rdonly = st->flags & STORAGE_RDONLY;

	if (s->path == NULL)
		return open_file_walk(st->root_fd, CACHE_DATA, !rdonly,
		    rdonly);
	return open_file_walk(st->root_fd, s->path, !rdonly, rdonly);
}

/*
 * Pin slot i's fd, opening it when closed.  The open runs without the lock;
 * a racing opener of the same slot loses and closes its fd.
 */
static int
slot_acquire(struct storage *st, uint32_t i, int *fdp)
{
	struct slot *s = &st->slots[i];
	int fd, victim;

	pthread_mutex_lock(&st->lock);
	if (s->fd >= 0) {
		lru_unlink_locked(st, i);
		s->users++;
		*fdp = s->fd;
		pthread_mutex_unlock(&st->lock);
		return 0;
	}
	pthread_mutex_unlock(&st->lock);

	if (!s->present)
		return -ENOENT;
	fd = slot_open_fd(st, s);
	if (fd < 0)
		return fd;

	pthread_mutex_lock(&st->lock);
	if (s->fd >= 0) {
		lru_unlink_locked(st, i);
		victim = fd;
	} else {
		s->fd = fd;
		st->nopen++;
		victim = lru_evict_locked(st);
	}
	s->users++;
	*fdp = s->fd;
	pthread_mutex_unlock(&st->lock);
	if (victim >= 0)
		close(victim);
	return 0;
}

static void
slot_release(struct storage *st, uint32_t i, bool wrote)
{
	struct slot *s = &st->slots[i];
	int victim = -1;

	pthread_mutex_lock(&st->lock);
	if (wrote)
		s->dirty = true;
	if (--s->users == 0 && s->fd >= 0) {
		lru_push_locked(st, i);
		victim = lru_evict_locked(st);
	}
	pthread_mutex_unlock(&st->lock);
	if (victim >= 0)
		close(victim);
}

/* --- open/close --- */

int
storage_mkdir_p(const char *path, unsigned mode)
{
	char buf[PATH_MAX];
	size_t len = strlen(path);

	if (len == 0 || len >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, path, len + 1);
	for (char *p = buf + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, mode) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static int
open_root(struct storage *st, const char *dir)
{
	const struct metainfo *m = st->meta;
	bool rdonly = st->flags & STORAGE_RDONLY;
	char hex[2 * 20 + 1];
	int dfd, fd, rc;

	if (st->layout == STORAGE_CACHE && !rdonly) {
		rc = storage_mkdir_p(dir, 0700);
		if (rc < 0)
			return rc;
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	if (st->layout == STORAGE_CACHE) {
		hex_encode(m->info_hash, sizeof(m->info_hash), hex);
		if (!rdonly && mkdirat(dfd, hex, 0700) < 0 && errno != EEXIST) {
			rc = -errno;
			close(dfd);
			return rc;
		}
		fd = open_dir_at(dfd, hex, false);
		rc = asprintf(&st->path, "%s/%s", dir, hex);
	} else if (m->multi) {
		fd = open_dir_at(dfd, m->name, !rdonly);
		rc = asprintf(&st->path, "%s/%s", dir, m->name);
	} else {
		fd = dup(dfd);
		if (fd < 0)
			fd = -errno;
		rc = asprintf(&st->path, "%s", dir);
	}
	close(dfd);
	if (rc < 0) {
		st->path = NULL;
		if (fd >= 0)
			close(fd);
		return -ENOMEM;
	}
	if (fd < 0)
		return fd;
	st->root_fd = fd;
	return 0;
}

static int
init_slots(struct storage *st)
{
	const struct metainfo *m = st->meta;
	uint32_t n = st->layout == STORAGE_CACHE ? 1 : m->nfiles;

	st->slots = calloc(n, sizeof(*st->slots));
	if (st->slots == NULL)
		return -ENOMEM;
	st->nslots = n;
	for (uint32_t i = 0; i < n; i++) {
		struct slot *s = &st->slots[i];

		s->fd = -1;
		s->prev = s->next = NO_SLOT;
		if (st->layout == STORAGE_CACHE) {
			s->size = m->total;
			s->present = true;
			continue;
		}
		s->off = m->files[i].offset;
		s->size = m->files[i].size;
		s->path = m->files[i].path;
		s->pad = m->files[i].attr & META_ATTR_PAD;
		s->present = !s->pad;
	}
	return 0;
}

/*
 * Create or open every data file once: zero-length files come into being,
 * wrong sizes are fixed (ftruncate keeps the data below the new size), and
 * in read-only mode missing files are noted.  Errors other than a missing
 * file in read-only mode are fatal (a planted symlink among them).
 */
static int
prepare_slots(struct storage *st)
{
	bool rdonly = st->flags & STORAGE_RDONLY;
	struct stat sb;
	int fd, rc;

	for (uint32_t i = 0; i < st->nslots; i++) {
		struct slot *s = &st->slots[i];

		if (s->pad)
			continue;
		rc = slot_acquire(st, i, &fd);
		if (rc == -ENOENT && rdonly) {
			s->present = false;
			continue;
		}
		if (rc < 0) {
			const char *name = s->path != NULL ? s->path :
			    CACHE_DATA;
			char esc[256];

			log_error("%s: cannot open %s: %s", st->path,
			    log_escape(name, strlen(name), esc, sizeof(esc)),
			    strerror(-rc));
			return rc;
		}
		rc = 0;
		if (fstat(fd, &sb) < 0)
			rc = -errno;
		else if (!rdonly && (uint64_t)sb.st_size != s->size &&
		    ftruncate(fd, (off_t)s->size) < 0)
			rc = -errno;
		slot_release(st, i, false);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static uint32_t
open_cap(void)
{
	struct rlimit rl;
	uint64_t cap = STORAGE_MAX_OPEN;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
	    rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur / 4 < cap)
		cap = rl.rlim_cur / 4;
	return cap < 8 ? 8 : (uint32_t)cap;
}

int
storage_open(const struct metainfo *meta, enum storage_layout layout,
    const char *dir, unsigned flags, struct storage **out)
{
	struct storage *st;
	int rc;

	if (meta->nfiles == 0 || meta->npieces == 0 || meta->piece_len == 0)
		return -EINVAL;
	st = calloc(1, sizeof(*st));
	if (st == NULL)
		return -ENOMEM;
	st->meta = meta;
	st->layout = layout;
	st->flags = flags;
	st->root_fd = -1;
	st->lru_head = st->lru_tail = NO_SLOT;
	st->max_open = open_cap();
	pthread_mutex_init(&st->lock, NULL);

	rc = open_root(st, dir);
	if (rc < 0) {
		log_error("%s: cannot open the store's directory: %s", dir,
		    strerror(-rc));
		goto out;
	}
	rc = init_slots(st);
	if (rc < 0)
		goto out;
	rc = prepare_slots(st);
out:
	if (rc < 0) {
		storage_close(st);
		return rc;
	}
	*out = st;
	return 0;
}

void
storage_close(struct storage *st)
{
	if (st == NULL)
		return;
	for (uint32_t i = 0; i < st->nslots; i++) {
		assert(st->slots[i].users == 0);
		if (st->slots[i].fd >= 0)
			close(st->slots[i].fd);
	}
	if (st->root_fd >= 0)
		close(st->root_fd);
	pthread_mutex_destroy(&st->lock);
	free(st->slots);
	free(st->path);
	free(st);
}

int
storage_close_and_remove(struct storage *st)
{
	int rc = 0;

	if (st->layout != STORAGE_CACHE || (st->flags & STORAGE_RDONLY)) {
		storage_close(st);
		return -ENOTSUP;
	}
	if (unlinkat(st->root_fd, CACHE_DATA, 0) < 0 && errno != ENOENT)
		rc = -errno;
	if (rc == 0 && rmdir(st->path) < 0 && errno != ENOTEMPTY &&
	    errno != EEXIST)
		rc = -errno;
	storage_close(st);
	return rc;
}

/* --- I/O --- */

/*
 * A run of torrent bytes with one fate: in one slot at file_off, or pad
 * bytes.  In the cache layout consecutive files of the same kind merge, so
 * a piece over many small files is still one pread/pwrite.
 */
struct seg {
	uint32_t	 slot;
	bool		 pad;
	uint64_t	 file_off;
	uint64_t	 len;
};

struct seg_iter {
	const struct storage	*st;
	uint64_t		 off, end;
	uint32_t		 file;	/* meta file index */
};

static void
seg_iter_init(struct seg_iter *it, const struct storage *st, uint64_t off,
    uint64_t len)
{
	it->st = st;
	it->off = off;
	it->end = off + len;
	it->file = meta_file_at(st->meta, off);
}

static bool
seg_next(struct seg_iter *it, struct seg *sg)
{
	const struct metainfo *m = it->st->meta;
	bool cache = it->st->layout == STORAGE_CACHE;
	bool first = true;

	while (it->off < it->end && it->file < m->nfiles) {
		const struct meta_file *f = &m->files[it->file];
		uint64_t fend = f->offset + f->size, n;
		bool pad = f->attr & META_ATTR_PAD;

		if (fend <= it->off) {
			it->file++;
			continue;
		}
		if (!first && (!cache || pad != sg->pad))
			break;
		n = (fend < it->end ? fend : it->end) - it->off;
		if (first) {
			sg->slot = cache ? 0 : it->file;
			sg->pad = pad;
			sg->file_off = cache ? it->off : it->off - f->offset;
			sg->len = 0;
			first = false;
		}
		sg->len += n;
		it->off += n;
	}
	return !first;
}

static int
pread_full(int fd, void *buf, size_t len, uint64_t off)
{
	uint8_t *p = buf;

	while (len > 0) {
		ssize_t n = pread(fd, p, len, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -ENODATA;
		p += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

static int
pwrite_full(int fd, const void *buf, size_t len, uint64_t off)
{
	const uint8_t *p = buf;

	while (len > 0) {
		ssize_t n = pwrite(fd, p, len, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		p += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

int
storage_write_piece(struct storage *st, uint32_t piece, const void *buf)
{
	const uint8_t *p = buf;
	struct seg_iter it;
	struct seg sg;
	int fd, rc;

	if (st->flags & STORAGE_RDONLY)
		return -EROFS;
	if (piece >= st->meta->npieces)
		return -ERANGE;
	seg_iter_init(&it, st, (uint64_t)piece * st->meta->piece_len,
	    meta_piece_size(st->meta, piece));
	while (seg_next(&it, &sg)) {
		if (!sg.pad) {
			rc = slot_acquire(st, sg.slot, &fd);
			if (rc < 0)
				return rc;
			rc = pwrite_full(fd, p, (size_t)sg.len, sg.file_off);
			/* Start the writeback now (it does not wait): the
			 * fsync of the final resume save then finds little
			 * left to write. */
			if (rc == 0)
				(void)sync_file_range(fd, (off_t)sg.file_off,
				    (off_t)sg.len, SYNC_FILE_RANGE_WRITE);
			slot_release(st, sg.slot, true);
			if (rc < 0)
				return rc;
		}
		p += sg.len;
	}
	return 0;
}

int
storage_read(struct storage *st, uint64_t off, size_t len, void *buf)
{
	uint8_t *p = buf;
	struct seg_iter it;
	struct seg sg;
	int fd, rc;

	if (off > st->meta->total || len > st->meta->total - off)
		return -ERANGE;
	seg_iter_init(&it, st, off, len);
	while (seg_next(&it, &sg)) {
		if (sg.pad) {
			memset(p, 0, (size_t)sg.len);
		} else {
			rc = slot_acquire(st, sg.slot, &fd);
			if (rc < 0)
				return rc;
			rc = pread_full(fd, p, (size_t)sg.len, sg.file_off);
			slot_release(st, sg.slot, false);
			if (rc < 0)
				return rc;
		}
		p += sg.len;
	}
	return 0;
}

int
storage_map(struct storage *st, uint64_t off, size_t len,
    struct storage_span *spans, unsigned max)
{
	struct seg_iter it;
	struct seg sg;
	unsigned n = 0;
	int fd, rc;

	if (off > st->meta->total || len > st->meta->total - off)
		return -ERANGE;
	if (len == 0 || max == 0)
		return -EINVAL;
	seg_iter_init(&it, st, off, len);
	while (n < max && seg_next(&it, &sg)) {
		fd = -1;
		if (!sg.pad) {
			rc = slot_acquire(st, sg.slot, &fd);
			if (rc < 0) {
				storage_unmap(st, spans, n);
				return rc;
			}
		}
		spans[n].fd = fd;
		spans[n].file_off = sg.file_off;
		spans[n].len = (size_t)sg.len;
		spans[n].slot = sg.slot;
		n++;
	}
	return (int)n;
}

void
storage_unmap(struct storage *st, const struct storage_span *spans,
    unsigned n)
{
	for (unsigned k = 0; k < n; k++)
		if (spans[k].fd >= 0)
			slot_release(st, spans[k].slot, false);
}

int
storage_sync(struct storage *st)
{
	int fd, rc, err = 0;

	if (st->flags & STORAGE_RDONLY)
		return 0;
	for (uint32_t i = 0; i < st->nslots; i++) {
		bool dirty;

		pthread_mutex_lock(&st->lock);
		dirty = st->slots[i].dirty;
		st->slots[i].dirty = false;
		pthread_mutex_unlock(&st->lock);
		if (!dirty)
			continue;
		/* Writes that land after the flag was cleared set it again. */
		rc = slot_acquire(st, i, &fd);
		if (rc == 0) {
			if (fdatasync(fd) < 0)
				rc = -errno;
			slot_release(st, i, false);
		}
		if (rc < 0) {
			pthread_mutex_lock(&st->lock);
			st->slots[i].dirty = true;
			pthread_mutex_unlock(&st->lock);
			if (err == 0)
				err = rc;
		}
	}
	return err;
}

int
storage_discard(struct storage *st, uint32_t piece)
{
	uint64_t off, len;
	int fd, rc;

	if (st->layout != STORAGE_CACHE || (st->flags & STORAGE_RDONLY))
		return -ENOTSUP;
	if (piece >= st->meta->npieces)
		return -ERANGE;
	off = (uint64_t)piece * st->meta->piece_len;
	len = meta_piece_size(st->meta, piece);
	rc = slot_acquire(st, 0, &fd);
	if (rc < 0)
		return rc;
	if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
	    (off_t)off, (off_t)len) < 0)
		rc = errno == EOPNOTSUPP ? -ENOTSUP : -errno;
	slot_release(st, 0, true);
	return rc;
}

/* fstat slot i through a pinned fd.  Returns 0, -ENOENT (absent), -errno. */
static int
slot_fstat(struct storage *st, uint32_t i, struct stat *sb)
{
	int fd, rc;

	rc = slot_acquire(st, i, &fd);
	if (rc < 0)
		return rc;
	if (fstat(fd, sb) < 0)
		rc = -errno;
	slot_release(st, i, false);
	return rc;
}

int
storage_slot_info(struct storage *st, uint32_t i,
    struct storage_slot_info *out)
{
	struct slot *s;
	struct stat sb;
	int rc;

	if (i >= st->nslots)
		return -ERANGE;
	s = &st->slots[i];
	memset(out, 0, sizeof(*out));
	out->off = s->off;
	out->size = s->size;
	out->pad = s->pad;
	if (s->pad)
		return 0;
	rc = slot_fstat(st, i, &sb);
	if (rc == -ENOENT)
		return 0;
	if (rc < 0)
		return rc;
	out->present = true;
	out->disk_size = (uint64_t)sb.st_size;
	out->ino = (uint64_t)sb.st_ino;
	out->mtime = sb.st_mtim;
	return 0;
}

int
storage_disk_usage(struct storage *st, uint64_t *out)
{
	uint64_t total = 0;
	struct stat sb;
	int rc;

	for (uint32_t i = 0; i < st->nslots; i++) {
		if (st->slots[i].pad)
			continue;
		rc = slot_fstat(st, i, &sb);
		if (rc == -ENOENT)
			continue;
		if (rc < 0)
			return rc;
		total += (uint64_t)sb.st_blocks * 512;
	}
	*out = total;
	return 0;
}

/* Report slot i's data extents in torrent offsets; bounded by its size. */
static int
slot_data_ranges(struct storage *st, uint32_t i,
    int (*fn)(void *, uint64_t, uint64_t), void *arg)
{
	const struct slot *s = &st->slots[i];
	uint64_t pos = 0;
	int fd, rc;

	rc = slot_acquire(st, i, &fd);
	if (rc == -ENOENT)
		return 0;
	if (rc < 0)
		return rc;
	while (pos < s->size) {
		off_t d = lseek(fd, (off_t)pos, SEEK_DATA), h;

		if (d < 0 && errno == ENXIO)
			break;
		if (d < 0) {
			/* No SEEK_DATA here: say the whole rest is data. */
			rc = fn(arg, s->off + pos, s->size - pos);
			break;
		}
		if ((uint64_t)d >= s->size)
			break;
		h = lseek(fd, d, SEEK_HOLE);
		if (h < 0 || (uint64_t)h > s->size)
			h = (off_t)s->size;
		if (h <= d)
			break;
		rc = fn(arg, s->off + (uint64_t)d, (uint64_t)(h - d));
		if (rc != 0)
			break;
		pos = (uint64_t)h;
	}
	slot_release(st, i, false);
	return rc;
}

int
storage_data_ranges(struct storage *st,
    int (*fn)(void *arg, uint64_t off, uint64_t len), void *arg)
{
	int rc;

	for (uint32_t i = 0; i < st->nslots; i++) {
		if (st->slots[i].pad || st->slots[i].size == 0)
			continue;
		rc = slot_data_ranges(st, i, fn, arg);
		if (rc != 0)
			return rc;
	}
	return 0;
}

uint32_t
storage_nslots(const struct storage *st)
{
	return st->nslots;
}

enum storage_layout
storage_layout(const struct storage *st)
{
	return st->layout;
}

const char *
storage_path(const struct storage *st)
{
	return st->path;
}

int
storage_default_cache_root(char *out, size_t outsz)
{
	const char *xdg = getenv("XDG_CACHE_HOME");
	const char *home = getenv("HOME");
	int n;

	if (geteuid() == 0)
		n = snprintf(out, outsz, "/var/cache/vtfs");
	else if (xdg != NULL && xdg[0] == '/')
		n = snprintf(out, outsz, "%s/vtfs", xdg);
	else if (home != NULL && home[0] == '/')
		n = snprintf(out, outsz, "%s/.cache/vtfs", home);
	else
		return -ENOENT;
	if (n < 0 || (size_t)n >= outsz)
		return -ENAMETOOLONG;
	return 0;
}
