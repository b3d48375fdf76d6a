/*
 * ops: FUSE low-level operations (see ops.h).
 *
 * A read of verified bytes is answered at once from the store: one
 * fuse_reply_data() of the store's fd spans (spliced to /dev/fuse when the
 * kernel allows it), or a pread into a buffer when a cache cap means a
 * piece could be evicted under us (session_read_verified(): the pieces'
 * state counters are compared before and after the copy).  A read of
 * missing bytes is parked on the session (session_read_start) and
 * answered by its done() callback on a session callback thread; a FUSE
 * interrupt cancels it with -EINTR.
 *
 * Interrupt locking: libfuse calls the interrupt callback holding the
 * request's lock.  pending_done() first clears the callback with
 * fuse_req_interrupt_func(req, NULL, NULL), which takes that lock, so a
 * running callback has returned and none will run again before the
 * request is answered and the pending read freed.  The pending's own lock
 * orders "parked" against "interrupted" and is never held while taking
 * the request's lock.
 */
#include "fs/ops.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "base/bytes.h"
#include "base/clock.h"
#define LOG_TAG "fs"
#include "base/log.h"
#include "bt/storage.h"
#include "fs/erofs.h"
#include "fs/readahead.h"
#include "fs/status.h"

#define FS_MAX_SPANS	8
#define FS_MAX_BACKGROUND 512	/* kernel caps it (65535) */
#define XA_INFOHASH	"user.vtfs.infohash"
#define XA_PROGRESS	"user.vtfs.progress"
#define XA_STATUS	"user.vtfs.status"

/*
 * One open file: a slot of the handle table.  fi->fh is (generation << 32
 * | slot): the kernel may process a RELEASE while a READ of the same file
 * is still running on another worker (an interrupted reader), so a read
 * finds its slot under the table lock and ignores a stale one.
 */
struct fs_fh {
	struct fs_readahead	 ra;
	uint64_t		 reader;	/* session_reader_window id */
	uint32_t		 gen;		/* odd: in use */
	uint32_t		 next_free;	/* free list, UINT32_MAX: end */
};

struct fs_ctx {
	struct fs_ops_config	 cfg;
	char			 hex[41];
	uint64_t		 start_ms;
	atomic_uint		 open_files;
	atomic_uint		 parked;
	atomic_uint_fast64_t	 next_reader;
	pthread_mutex_t		 fh_lock;	/* the table below */
	struct fs_fh		*fh;
	uint32_t		 nfh, capfh;
	uint32_t		 free_fh;
};

#define FH_NONE		UINT32_MAX
#define FH_MAX		(1u << 20)	/* open files at once */

/* A parked read; rd first so the done() pointer is the pending's. */
struct fs_pending {
	struct session_read	 rd;
	struct fs_ctx		*c;
	fuse_req_t		 req;
	pthread_mutex_t		 lock;
	bool			 started;	/* session_read_start said 0 */
	bool			 finished;	/* done() has run */
	bool			 intr;		/* interrupted before start */
};

int
fs_ctx_new(const struct fs_ops_config *cfg, struct fs_ctx **out)
{
	struct fs_ctx *c = calloc(1, sizeof(*c));

	*out = NULL;
	if (!c)
		return -ENOMEM;
	c->cfg = *cfg;
	if (c->cfg.read_timeout_s == 0)
		c->cfg.read_timeout_s = FS_DEFAULT_READ_TIMEOUT_S;
	hex_encode(cfg->meta->info_hash, 20, c->hex);
	c->start_ms = clock_now_ms();
	atomic_init(&c->open_files, 0);
	atomic_init(&c->parked, 0);
	atomic_init(&c->next_reader, 1);
	pthread_mutex_init(&c->fh_lock, NULL);
	c->free_fh = FH_NONE;
	*out = c;
	return 0;
}

void
fs_ctx_free(struct fs_ctx *c)
{
	if (!c)
		return;
	pthread_mutex_destroy(&c->fh_lock);
	free(c->fh);
	free(c);
}

/* A new slot for file [start, end): its fi->fh, or 0 (no memory/room). */
static uint64_t
fh_new(struct fs_ctx *c, uint64_t start, uint64_t end)
{
	struct fs_fh *h;
	uint32_t i;
	uint64_t id = 0;

	pthread_mutex_lock(&c->fh_lock);
	if (c->free_fh != FH_NONE) {
		i = c->free_fh;
		c->free_fh = c->fh[i].next_free;
	} else {
		if (c->nfh == c->capfh) {
			uint32_t cap = c->capfh ? c->capfh * 2 : 64;
			struct fs_fh *n;

			if (cap > FH_MAX || (n = realloc(c->fh,
			    (size_t)cap * sizeof(*n))) == NULL)
				goto out;
			c->fh = n;
			c->capfh = cap;
		}
		i = c->nfh++;
		c->fh[i].gen = 0;
	}
	h = &c->fh[i];
	h->gen++;		/* odd: in use */
	h->next_free = FH_NONE;
	fs_ra_init(&h->ra, start, end);
	h->reader = atomic_fetch_add(&c->next_reader, 1);
	id = (uint64_t)h->gen << 32 | i;
out:
	pthread_mutex_unlock(&c->fh_lock);
	return id;
}

/* The slot of id, the table locked; NULL (unlocked) when stale. */
static struct fs_fh *
fh_lock(struct fs_ctx *c, uint64_t id)
{
	uint32_t i = (uint32_t)id, gen = (uint32_t)(id >> 32);

	pthread_mutex_lock(&c->fh_lock);
	if (i < c->nfh && c->fh[i].gen == gen && (gen & 1))
		return &c->fh[i];
	pthread_mutex_unlock(&c->fh_lock);
	return NULL;
}

static void
fh_unlock(struct fs_ctx *c)
{
	pthread_mutex_unlock(&c->fh_lock);
}

uint32_t
fs_ctx_open_files(const struct fs_ctx *c)
{
	return atomic_load(&c->open_files);
}

uint32_t
fs_ctx_parked_reads(const struct fs_ctx *c)
{
	return atomic_load(&c->parked);
}

uint64_t
fs_file_have(struct session *s, const struct metainfo *m, uint32_t file)
{
	const struct meta_file *f = &m->files[file];
	uint64_t have = 0, end = f->offset + f->size;
	uint32_t first, last;

	if (f->size == 0)
		return 0;
	first = (uint32_t)(f->offset / m->piece_len);
	last = (uint32_t)((end - 1) / m->piece_len);
	for (uint32_t i = first; i <= last; i++) {
		uint64_t ps = (uint64_t)i * m->piece_len;
		uint64_t pe = ps + meta_piece_size(m, i);

		if (!session_piece_verified(s, i))
			continue;
		if (ps < f->offset)
			ps = f->offset;
		if (pe > end)
			pe = end;
		have += pe - ps;
	}
	return have;
}

/* ------------------------------------------------------------------ */
/* Attributes */

static struct fs_ctx *
ctx(fuse_req_t req)
{
	return fuse_req_userdata(req);
}

static const struct fs_node *
node_get(struct fs_ctx *c, fuse_ino_t ino)
{
	return fs_tree_get(c->cfg.tree, ino);
}

static void
fill_attr(struct fs_ctx *c, fuse_ino_t ino, const struct fs_node *n,
    struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = ino;
	st->st_uid = c->cfg.uid;
	st->st_gid = c->cfg.gid;
	st->st_blksize = 1 << 20;
	st->st_atime = st->st_mtime = st->st_ctime = c->cfg.mtime;
	if (n->dir) {
		st->st_mode = S_IFDIR | 0555;
		st->st_nlink = 2 + n->nsubdirs;
		st->st_size = 4096;
	} else {
		st->st_mode = S_IFREG | 0444;
		st->st_nlink = 1;
		st->st_size = (off_t)c->cfg.meta->files[n->file].size;
	}
	st->st_blocks = (st->st_size + 511) / 512;
}

static void
op_init(void *ud, struct fuse_conn_info *conn)
{
	(void)ud;
	if (conn->capable & FUSE_CAP_SPLICE_WRITE)
		conn->want |= FUSE_CAP_SPLICE_WRITE;
	if (conn->capable & FUSE_CAP_SPLICE_MOVE)
		conn->want |= FUSE_CAP_SPLICE_MOVE;
	if (conn->capable & FUSE_CAP_ASYNC_READ)
		conn->want |= FUSE_CAP_ASYNC_READ;
	/* An async O_DIRECT read waits uninterruptibly in the kernel: sync
	 * ones get FUSE interrupts (EINTR on Ctrl-C). */
	conn->want &= ~FUSE_CAP_ASYNC_DIO;
	/* The kernel caps this at the bdi's read_ahead_kb (raised after
	 * mounting by cmd_mount). */
	conn->max_readahead = FS_MAX_READ;
	conn->max_read = FS_MAX_READ;	/* as the max_read= mount option */
	conn->time_gran = 1000000000;
	/*
	 * Readahead is sent as background requests, 12 at most by default:
	 * parked reads would hold them all and stall other readers.
	 */
	conn->max_background = FS_MAX_BACKGROUND;
	conn->congestion_threshold = FS_MAX_BACKGROUND * 3 / 4;
	log_debug("init: proto %u.%u, capable %#x, want %#x, max_write %u",
	    conn->proto_major, conn->proto_minor, conn->capable, conn->want,
	    conn->max_write);
}

static void
op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fs_ctx *c = ctx(req);
	const struct fs_node *p = node_get(c, parent), *n;
	struct fuse_entry_param e;
	uint64_t ino;

	if (!p)
		return (void)fuse_reply_err(req, ENOENT);
	if (!p->dir)
		return (void)fuse_reply_err(req, ENOTDIR);
	n = fs_tree_lookup(c->cfg.tree, parent, name, &ino);
	if (!n)
		return (void)fuse_reply_err(req, ENOENT);
	memset(&e, 0, sizeof(e));
	e.ino = ino;
	e.generation = 1;
	e.attr_timeout = FS_TIMEOUT_S;
	e.entry_timeout = FS_TIMEOUT_S;
	fill_attr(c, ino, n, &e.attr);
	fuse_reply_entry(req, &e);
}

static void
op_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	(void)ino;
	(void)nlookup;
	fuse_reply_none(req);
}

static void
op_forget_multi(fuse_req_t req, size_t count, struct fuse_forget_data *f)
{
	(void)count;
	(void)f;
	fuse_reply_none(req);
}

static void
op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct fs_ctx *c = ctx(req);
	const struct fs_node *n = node_get(c, ino);
	struct stat st;

	(void)fi;
	if (!n)
		return (void)fuse_reply_err(req, ENOENT);
	fill_attr(c, ino, n, &st);
	fuse_reply_attr(req, &st, FS_TIMEOUT_S);
}

static void
op_access(fuse_req_t req, fuse_ino_t ino, int mask)
{
	struct fs_ctx *c = ctx(req);
	const struct fs_node *n = node_get(c, ino);

	if (!n)
		return (void)fuse_reply_err(req, ENOENT);
	if (mask & W_OK)
		return (void)fuse_reply_err(req, EROFS);
	if ((mask & X_OK) && !n->dir)
		return (void)fuse_reply_err(req, EACCES);
	fuse_reply_err(req, 0);
}

static void
op_statfs(fuse_req_t req, fuse_ino_t ino)
{
	struct fs_ctx *c = ctx(req);
	struct statvfs sv;

	(void)ino;
	memset(&sv, 0, sizeof(sv));
	sv.f_bsize = 4096;
	sv.f_frsize = 4096;
	sv.f_blocks = (c->cfg.meta->total + 4095) / 4096;
	sv.f_files = fs_tree_count(c->cfg.tree);
	sv.f_namemax = 255;
	sv.f_flag = ST_RDONLY | ST_NOSUID | ST_NODEV;
	fuse_reply_statfs(req, &sv);
}

/* ------------------------------------------------------------------ */
/* Directories */

static void
op_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct fs_ctx *c = ctx(req);
	const struct fs_node *n = node_get(c, ino);

	if (!n)
		return (void)fuse_reply_err(req, ENOENT);
	if (!n->dir)
		return (void)fuse_reply_err(req, ENOTDIR);
	if ((fi->flags & O_ACCMODE) != O_RDONLY)
		return (void)fuse_reply_err(req, EROFS);
	fi->keep_cache = 1;
	fi->cache_readdir = 1;
	fuse_reply_open(req, fi);
}

static void
op_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)ino;
	(void)fi;
	fuse_reply_err(req, 0);
}

/* Offsets: 1 after ".", 2 after "..", 2 + i + 1 after child i. */
static void
do_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
    bool plus)
{
	struct fs_ctx *c = ctx(req);
	const struct fs_node *d = node_get(c, ino);
	char *buf, name[256 + 1];
	size_t used = 0;

	if (!d)
		return (void)fuse_reply_err(req, ENOENT);
	if (!d->dir)
		return (void)fuse_reply_err(req, ENOTDIR);
	if (size > FS_MAX_READ)
		size = FS_MAX_READ;
	if ((buf = malloc(size)) == NULL)
		return (void)fuse_reply_err(req, ENOMEM);
	for (uint64_t i = (uint64_t)(off < 0 ? 0 : off);
	    i < 2 + (uint64_t)d->nchild; i++) {
		const struct fs_node *n;
		struct fuse_entry_param e;
		uint64_t cino;
		const char *nm;
		size_t need;

		if (i < 2) {
			cino = i == 0 ? ino : d->parent;
			n = node_get(c, cino);
			nm = i == 0 ? "." : "..";
		} else {
			uint32_t len;

			cino = d->first + (i - 2);
			n = node_get(c, cino);
			len = n->namelen < 256 ? n->namelen : 256;
			memcpy(name, n->name, len);
			name[len] = '\0';
			nm = name;
		}
		memset(&e, 0, sizeof(e));
		e.ino = cino;
		e.generation = 1;
		fill_attr(c, cino, n, &e.attr);
		if (plus) {
			/* "." and ".." carry no lookup count. */
			if (i >= 2) {
				e.attr_timeout = FS_TIMEOUT_S;
				e.entry_timeout = FS_TIMEOUT_S;
			}
			need = fuse_add_direntry_plus(req, buf + used,
			    size - used, nm, &e, (off_t)(i + 1));
		} else {
			need = fuse_add_direntry(req, buf + used, size - used,
			    nm, &e.attr, (off_t)(i + 1));
		}
		if (need > size - used)
			break;
		used += need;
	}
	fuse_reply_buf(req, buf, used);
	free(buf);
}

static void
op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
    struct fuse_file_info *fi)
{
	(void)fi;
	do_readdir(req, ino, size, off, false);
}

static void
op_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
    struct fuse_file_info *fi)
{
	(void)fi;
	do_readdir(req, ino, size, off, true);
}

/* ------------------------------------------------------------------ */
/* Files */

static void
fh_release(struct fs_ctx *c, uint64_t id)
{
	struct fs_fh *h = fh_lock(c, id);

	if (!h)
		return;
	session_reader_close(c->cfg.session, h->reader);
	h->gen++;		/* even: free; stale ids no longer match */
	h->next_free = c->free_fh;
	c->free_fh = (uint32_t)id;
	fh_unlock(c);
	atomic_fetch_sub(&c->open_files, 1);
}

static void
op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct fs_ctx *c = ctx(req);
	const struct fs_node *n = node_get(c, ino);
	const struct meta_file *f;
	uint64_t id;

	if (!n)
		return (void)fuse_reply_err(req, ENOENT);
	if (n->dir)
		return (void)fuse_reply_err(req, EISDIR);
	if ((fi->flags & O_ACCMODE) != O_RDONLY ||
	    (fi->flags & (O_TRUNC | O_APPEND | O_CREAT)))
		return (void)fuse_reply_err(req, EROFS);
	f = &c->cfg.meta->files[n->file];
	if ((id = fh_new(c, f->offset, f->offset + f->size)) == 0)
		return (void)fuse_reply_err(req, ENFILE);
	fi->fh = id;
	fi->keep_cache = 1;
	fi->noflush = 1;
	atomic_fetch_add(&c->open_files, 1);
	if (fuse_reply_open(req, fi) != 0)
		/* The opener is gone: no release will come. */
		fh_release(c, id);
}

static void
op_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)ino;
	fh_release(ctx(req), fi->fh);
	fuse_reply_err(req, 0);
}

static void
op_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)ino;
	(void)fi;
	fuse_reply_err(req, 0);
}

/*
 * Copy [toff, toff + len) into a buffer and reply; -EAGAIN when a piece
 * is not verified or was evicted during the copy (the bytes may be a
 * hole's zeros, even if the piece is verified again by now), -errno.
 */
static int
reply_copy(struct fs_ctx *c, fuse_req_t req, uint64_t toff, size_t len)
{
	char *buf = malloc(len ? len : 1);
	int rc;

	if (!buf)
		return -ENOMEM;
	rc = session_read_verified(c->cfg.session, toff, len, buf);
	if (rc == 0) {
		/* Recently used: the capped cache evicts it last. */
		session_touch(c->cfg.session, toff, len);
		fuse_reply_buf(req, buf, len);
	}
	free(buf);
	return rc;
}

/*
 * Answer a verified range; 0 when answered, -EAGAIN when the bytes went
 * away (evicted: park again), another -errno when it failed.
 */
static int
reply_store(struct fs_ctx *c, fuse_req_t req, uint64_t toff, size_t len)
{
	struct storage *st = session_storage(c->cfg.session);
	struct storage_span spans[FS_MAX_SPANS];
	struct fuse_bufvec *bv;
	size_t done = 0;
	unsigned n = 0;
	bool zeros = false;
	int r;

	if (len == 0) {
		fuse_reply_buf(req, NULL, 0);
		return 0;
	}
	/* A capped cache may punch holes: copy, then check. */
	if (c->cfg.cache_size > 0)
		return reply_copy(c, req, toff, len);
	while (done < len && n < FS_MAX_SPANS) {
		r = storage_map(st, toff + done, len - done, spans + n,
		    FS_MAX_SPANS - n);
		if (r <= 0)
			break;
		for (int i = 0; i < r; i++) {
			if (spans[n + (unsigned)i].fd < 0)
				zeros = true;
			done += spans[n + (unsigned)i].len;
		}
		n += (unsigned)r;
	}
	if (done < len || zeros || (bv = calloc(1, sizeof(*bv) +
	    n * sizeof(bv->buf[0]))) == NULL) {
		storage_unmap(st, spans, n);
		return reply_copy(c, req, toff, len);
	}
	bv->count = n;
	for (unsigned i = 0; i < n; i++) {
		bv->buf[i].size = spans[i].len;
		bv->buf[i].flags = FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK;
		bv->buf[i].fd = spans[i].fd;
		bv->buf[i].pos = (off_t)spans[i].file_off;
	}
	fuse_reply_data(req, bv, FUSE_BUF_SPLICE_MOVE);
	storage_unmap(st, spans, n);
	free(bv);
	return 0;
}

static void park(struct fs_ctx *, fuse_req_t, uint64_t, size_t);

static void
pending_free(struct fs_pending *p)
{
	atomic_fetch_sub(&p->c->parked, 1);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

/* Session callback thread: the range is verified (0) or the read ended. */
static void
pending_done(struct session_read *rd, int status)
{
	struct fs_pending *p = (struct fs_pending *)rd;
	struct fs_ctx *c = p->c;
	fuse_req_t req = p->req;
	uint64_t off = rd->off;
	size_t len = (size_t)rd->len;
	int rc;

	/* Wait out a running interrupt callback and forbid new ones. */
	fuse_req_interrupt_func(req, NULL, NULL);
	pthread_mutex_lock(&p->lock);
	p->finished = true;
	pthread_mutex_unlock(&p->lock);
	pending_free(p);
	switch (status) {
	case 0:
		rc = reply_store(c, req, off, len);
		if (rc == -EAGAIN)
			park(c, req, off, len);
		else if (rc < 0)
			fuse_reply_err(req, EIO);
		break;
	case -EINTR:
		fuse_reply_err(req, EINTR);
		break;
	case -ETIMEDOUT:
		log_warn("read of %zu bytes at %" PRIu64 " timed out", len,
		    off);
		fuse_reply_err(req, EIO);
		break;
	default:
		fuse_reply_err(req, EIO);
		break;
	}
}

/*
 * FUSE worker, holding the request's lock.  The cancel names the read by
 * its id: it may reach the session after the read ended and p was freed
 * and allocated again for another read, which it must not touch.
 */
static void
pending_interrupt(fuse_req_t req, void *arg)
{
	struct fs_pending *p = arg;

	(void)req;
	pthread_mutex_lock(&p->lock);
	if (p->started && !p->finished)
		session_read_cancel(p->c->cfg.session, p->rd.id, -EINTR);
	else if (!p->started)
		p->intr = true;
	pthread_mutex_unlock(&p->lock);
}

static void
park(struct fs_ctx *c, fuse_req_t req, uint64_t off, size_t len)
{
	struct fs_pending *p = calloc(1, sizeof(*p));
	bool intr;
	int rc;

	if (!p)
		return (void)fuse_reply_err(req, ENOMEM);
	p->c = c;
	p->req = req;
	p->rd.off = off;
	p->rd.len = len;
	p->rd.deadline_ms = clock_now_ms() +
	    (uint64_t)c->cfg.read_timeout_s * 1000u;
	p->rd.done = pending_done;
	pthread_mutex_init(&p->lock, NULL);
	atomic_fetch_add(&c->parked, 1);
	/* May call pending_interrupt() at once (already interrupted). */
	fuse_req_interrupt_func(req, pending_interrupt, p);
	pthread_mutex_lock(&p->lock);
	intr = p->intr;
	rc = intr ? -EINTR : session_read_start(c->cfg.session, &p->rd);
	if (rc == 0) {
		p->started = true;
		pthread_mutex_unlock(&p->lock);
		/* From here pending_done() owns p. */
		return;
	}
	pthread_mutex_unlock(&p->lock);
	fuse_req_interrupt_func(req, NULL, NULL);
	pending_free(p);
	if (rc == 1) {
		rc = reply_store(c, req, off, len);
		if (rc == -EAGAIN)
			return park(c, req, off, len);
		if (rc < 0)
			fuse_reply_err(req, EIO);
		return;
	}
	fuse_reply_err(req, rc == -EINTR ? EINTR : EIO);
}

static void
op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
    struct fuse_file_info *fi)
{
	struct fs_ctx *c = ctx(req);
	const struct fs_node *n = node_get(c, ino);
	const struct meta_file *f;
	struct fs_fh *fh;
	uint64_t toff, len, woff = 0, wlen = 0;
	int rc;

	if (!n || n->dir || off < 0)
		return (void)fuse_reply_err(req, EINVAL);
	f = &c->cfg.meta->files[n->file];
	if ((uint64_t)off >= f->size)
		return (void)fuse_reply_buf(req, NULL, 0);
	len = f->size - (uint64_t)off;
	if (len > size)
		len = size;
	toff = f->offset + (uint64_t)off;
	/* Window pushes and the release's close stay in order: both are
	 * posted (never block) under the table lock. */
	if ((fh = fh_lock(c, fi->fh)) != NULL) {
		if (fs_ra_read(&fh->ra, toff, len, clock_now_ms(), &woff,
		    &wlen))
			session_reader_window(c->cfg.session, fh->reader, woff,
			    wlen);
		fh_unlock(c);
	}
	if (session_range_verified(c->cfg.session, toff, len)) {
		rc = reply_store(c, req, toff, (size_t)len);
		if (rc == 0)
			return;
		if (rc != -EAGAIN)
			return (void)fuse_reply_err(req, EIO);
	}
	park(c, req, toff, (size_t)len);
}

/* ------------------------------------------------------------------ */
/* Extended attributes */

static uint64_t
dir_have(struct fs_ctx *c, const struct fs_node *d, uint64_t *total,
    unsigned depth)
{
	uint64_t have = 0;

	if (depth > 4096)
		return 0;
	for (uint32_t i = 0; i < d->nchild; i++) {
		const struct fs_node *n = node_get(c, d->first + i);

		if (n->dir) {
			have += dir_have(c, n, total, depth + 1);
		} else {
			*total += c->cfg.meta->files[n->file].size;
			have += fs_file_have(c->cfg.session, c->cfg.meta,
			    n->file);
		}
	}
	return have;
}

/* The value of xattr name on ino: a new string (free()), NULL + *err. */
static char *
xattr_value(struct fs_ctx *c, fuse_ino_t ino, const struct fs_node *n,
    const char *name, int *err)
{
	char *v = NULL;

	*err = 0;
	if (strcmp(name, XA_INFOHASH) == 0) {
		v = strdup(c->hex);
	} else if (strcmp(name, XA_PROGRESS) == 0) {
		uint64_t have, total = 0;

		if (!n->dir) {
			total = c->cfg.meta->files[n->file].size;
			have = fs_file_have(c->cfg.session, c->cfg.meta,
			    n->file);
		} else if (ino == FS_TREE_ROOT) {
			struct session_stats st;

			session_get_stats(c->cfg.session, &st);
			have = st.have_bytes;
			total = st.total_bytes;
		} else {
			have = dir_have(c, n, &total, 0);
		}
		if (asprintf(&v, "%.1f", fs_status_percent(have, total)) < 0)
			v = NULL;
	} else if (strcmp(name, XA_STATUS) == 0 && ino == FS_TREE_ROOT) {
		struct session_stats st;
		struct fs_status_info in;

		session_get_stats(c->cfg.session, &st);
		/* The session may not count it: ask the store (one fstat). */
		if (st.cache_used == 0 && storage_disk_usage(
		    session_storage(c->cfg.session), &st.cache_used) < 0)
			st.cache_used = 0;
		memset(&in, 0, sizeof(in));
		in.meta = c->cfg.meta;
		in.stats = &st;
		in.mountpoint = c->cfg.mountpoint;
		in.source = c->cfg.source;
		in.cache_dir = c->cfg.cache_dir;
		in.cache_size = c->cfg.cache_size;
		in.on_demand = c->cfg.on_demand;
		in.pid = (long)getpid();
		in.uptime_s = (clock_now_ms() - c->start_ms) / 1000;
		in.open_files = fs_ctx_open_files(c);
		in.parked_reads = fs_ctx_parked_reads(c);
		v = fs_status_json(&in);
	} else {
		*err = ENODATA;
		return NULL;
	}
	if (!v)
		*err = ENOMEM;
	return v;
}

static void
op_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name, size_t size)
{
	struct fs_ctx *c = ctx(req);
	const struct fs_node *n = node_get(c, ino);
	size_t len;
	char *v;
	int err;

	if (!n)
		return (void)fuse_reply_err(req, ENOENT);
	if ((v = xattr_value(c, ino, n, name, &err)) == NULL)
		return (void)fuse_reply_err(req, err);
	len = strlen(v);
	if (size == 0)
		fuse_reply_xattr(req, len);
	else if (size < len)
		fuse_reply_err(req, ERANGE);
	else
		fuse_reply_buf(req, v, len);
	free(v);
}

static void
op_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size)
{
	static const char names[] = XA_INFOHASH "\0" XA_PROGRESS "\0"
	    XA_STATUS "\0";
	struct fs_ctx *c = ctx(req);
	size_t len = sizeof(XA_INFOHASH) + sizeof(XA_PROGRESS);

	if (!node_get(c, ino))
		return (void)fuse_reply_err(req, ENOENT);
	if (ino == FS_TREE_ROOT)
		len += sizeof(XA_STATUS);
	if (size == 0)
		fuse_reply_xattr(req, len);
	else if (size < len)
		fuse_reply_err(req, ERANGE);
	else
		fuse_reply_buf(req, names, len);
}

static const struct fuse_lowlevel_ops ops = {
	.init = op_init,
	.lookup = op_lookup,
	.forget = op_forget,
	.forget_multi = op_forget_multi,
	.getattr = op_getattr,
	.setattr = fs_erofs_setattr,
	.access = op_access,
	.mknod = fs_erofs_mknod,
	.mkdir = fs_erofs_mkdir,
	.unlink = fs_erofs_unlink,
	.rmdir = fs_erofs_unlink,
	.symlink = fs_erofs_symlink,
	.rename = fs_erofs_rename,
	.link = fs_erofs_link,
	.open = op_open,
	.read = op_read,
	.write = fs_erofs_write,
	.flush = op_flush,
	.release = op_release,
	.opendir = op_opendir,
	.readdir = op_readdir,
	.readdirplus = op_readdirplus,
	.releasedir = op_releasedir,
	.statfs = op_statfs,
	.setxattr = fs_erofs_setxattr,
	.getxattr = op_getxattr,
	.listxattr = op_listxattr,
	.removexattr = fs_erofs_removexattr,
	.create = fs_erofs_create,
	.fallocate = fs_erofs_fallocate,
};

const struct fuse_lowlevel_ops *
fs_ops(void)
{
	return &ops;
}
