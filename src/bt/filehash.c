/*
 * filehash: see filehash.h.
 *
 * Speed: the work is bounded by SHA-1 (about 2 GB/s per core with SHA-NI)
 * and by getting the bytes out of the page cache.  Measured on the 2-core
 * VM, 1 GiB warm, SHA-1 alone 0.26 s:
 *
 *   pread() 1 MiB pieces, then SHA-1                 0.33 s
 *   pread() 256 KiB chunks (L2-sized), SHA-1 each     0.32 s
 *   mmap() per piece (MAP_POPULATE), munmap after     0.41 s
 *   mmap() of the file, SHA-1 straight from it        0.45 s
 *   the same with a software prefetch 4 KiB ahead     0.30 s
 *
 * The copy of pread() costs a fifth of the time; SHA-1 reading the page
 * cache directly is stalled on memory unless the next block is prefetched
 * while the current one is hashed.  So files of FILEHASH_MMAP_MIN bytes or
 * more are mapped once (shared by all workers, MADV_SEQUENTIAL) and hashed
 * in place with a prefetch; smaller files, and any file that cannot be
 * mapped, are read with pread() into a per-worker buffer (allocated once:
 * touching fresh memory costs more than the copy).  Pages far behind the
 * hashing front are unmapped in batches (MADV_DONTNEED every
 * FILEHASH_TRIM_BYTES) so that the resident size stays small; doing it per
 * piece would cost a TLB shootdown each time.
 *
 * A mapped file truncated under us raises SIGBUS.  While any run is active
 * a SIGBUS handler is installed; a worker arms a per-thread jump buffer
 * around the bytes it hashes in place and the handler jumps back to it, so
 * the run fails with -ESTALE instead of the process dying.  A SIGBUS from
 * anywhere else goes to the handler that was there before.
 *
 * Each worker keeps the file it read last open, so a run of small files
 * costs one open per file and worker, and never more than one descriptor
 * per worker.
 */
#include "bt/filehash.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/log.h"
#include "base/progress.h"
#include "base/sha.h"

#define PREFETCH_BLOCK	4096	/* hashed at once; the next one prefetched */

struct job {
	const struct filehash_file *files;	/* borrowed */
	size_t		 nfiles;
	uint64_t	*ends;		/* owned: end offset of each file */
	uint8_t		**maps;		/* owned: a file's mapping, or NULL */
	size_t		 nmaps;
	uint64_t	 trim_lag;	/* bytes behind the front left mapped */
	uint64_t	 total;
	uint32_t	 piece_len;
	uint64_t	 npieces;
	size_t		 chunk;
	uint8_t		*pieces;	/* borrowed: workers write their own */
	const struct filehash_opts *opts;
	_Atomic uint64_t next;		/* next piece to claim */
	atomic_int	 stop;		/* an error: everyone stops */
	pthread_mutex_t	 lock;
	/* protected by lock: the first error */
	int		 rc;
	struct filehash_error *err;
};

struct worker {
	struct job	*job;
	uint8_t		*buf;		/* owned, job->chunk bytes */
	struct sha	*sha;		/* owned */
	size_t		 cur;		/* file behind fd */
	int		 fd;		/* owned, -1 when none */
	pthread_t	 tid;
	bool		 started;
};

static pthread_mutex_t sigbus_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned sigbus_users;		/* protected by sigbus_lock */
static struct sigaction sigbus_old;	/* protected by sigbus_lock */
static _Thread_local sigjmp_buf *sigbus_jump;	/* armed while hashing */

static void
on_sigbus(int sig, siginfo_t *si, void *uc)
{
	sigjmp_buf *jb = sigbus_jump;

	if (jb) {
		sigbus_jump = NULL;
		siglongjmp(*jb, 1);
	}
	/* Not ours: to the handler before us, or the default action. */
	if (sigbus_old.sa_flags & SA_SIGINFO) {
		sigbus_old.sa_sigaction(sig, si, uc);
	} else if (sigbus_old.sa_handler != SIG_IGN &&
	    sigbus_old.sa_handler != SIG_DFL) {
		sigbus_old.sa_handler(sig);
	} else {
		signal(SIGBUS, SIG_DFL);  /* the fault repeats and kills */
	}
}

static void
sigbus_hold(void)
{
	struct sigaction sa;

	pthread_mutex_lock(&sigbus_lock);
	if (sigbus_users++ == 0) {
		memset(&sa, 0, sizeof(sa));
		sa.sa_sigaction = on_sigbus;
		sa.sa_flags = SA_SIGINFO | SA_NODEFER;
		sigemptyset(&sa.sa_mask);
		sigaction(SIGBUS, &sa, &sigbus_old);
	}
	pthread_mutex_unlock(&sigbus_lock);
}

static void
sigbus_release(void)
{
	pthread_mutex_lock(&sigbus_lock);
	if (--sigbus_users == 0)
		sigaction(SIGBUS, &sigbus_old, NULL);
	pthread_mutex_unlock(&sigbus_lock);
}

unsigned
filehash_threads(unsigned wanted, uint64_t npieces)
{
	long n = wanted;

	if (n == 0)
		n = sysconf(_SC_NPROCESSORS_ONLN);
	if (n < 1)
		n = 1;
	if (n > FILEHASH_MAX_THREADS)
		n = FILEHASH_MAX_THREADS;
	if ((uint64_t)n > npieces)
		n = (long)(npieces ? npieces : 1);
	return (unsigned)n;
}

static bool
same_stat(const struct stat *st, const struct filehash_file *f)
{
	return (uint64_t)st->st_size == f->size &&
	    st->st_mtim.tv_sec == f->mtime.tv_sec &&
	    st->st_mtim.tv_nsec == f->mtime.tv_nsec;
}

/* Record the first failure and stop every worker. */
static int
fail(struct job *j, int rc, const struct filehash_file *f, const char *what)
{
	char esc[300];

	pthread_mutex_lock(&j->lock);
	if (j->rc == 0) {
		j->rc = rc;
		if (f)
			snprintf(j->err->msg, sizeof(j->err->msg), "%s: %s",
			    log_escape(f->path, strlen(f->path), esc,
			    sizeof(esc)), what);
		else
			snprintf(j->err->msg, sizeof(j->err->msg), "%s", what);
	}
	pthread_mutex_unlock(&j->lock);
	atomic_store(&j->stop, 1);
	return rc;
}

static int
open_file(struct worker *w, size_t i)
{
	struct job *j = w->job;
	const struct filehash_file *f = &j->files[i];
	struct stat st;
	int fd;

	if (w->fd >= 0 && w->cur == i)
		return 0;
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
	fd = open(f->path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return fail(j, -errno, f, strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || !same_stat(&st, f)) {
		close(fd);
		return fail(j, -ESTALE, f,
		    "changed since it was scanned (size or mtime)");
	}
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	w->fd = fd;
	w->cur = i;
	return 0;
}

/* The file holding torrent byte pos (< total): the first whose end > pos. */
static size_t
file_at(const struct job *j, uint64_t pos)
{
	size_t lo = 0, hi = j->nfiles - 1;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (j->ends[mid] > pos)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

/*
 * Read up to len bytes at torrent offset pos into w->buf, spanning files
 * but stopping before a mapped file.  Returns the bytes read (> 0) or
 * -errno.
 */
static ssize_t
read_span(struct worker *w, size_t i, uint64_t pos, size_t len)
{
	struct job *j = w->job;
	size_t got = 0;

	while (got < len) {
		uint64_t start, in_file;
		size_t n;
		ssize_t r;
		int rc;

		while (i < j->nfiles && j->ends[i] <= pos)
			i++;
		if (i >= j->nfiles)
			return fail(j, -EIO, NULL, "internal: offset past end");
		if (j->maps[i] && got > 0)
			break;
		rc = open_file(w, i);
		if (rc)
			return rc;
		start = j->ends[i] - j->files[i].size;
		in_file = j->ends[i] - pos;
		n = len - got;
		if (n > in_file)
			n = (size_t)in_file;
		r = pread(w->fd, w->buf + got, n, (off_t)(pos - start));
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return fail(j, -errno, &j->files[i], strerror(errno));
		}
		if (r == 0)
			return fail(j, -ESTALE, &j->files[i],
			    "shrank while it was hashed (short read)");
		got += (size_t)r;
		pos += (uint64_t)r;
	}
	return (ssize_t)got;
}

/*
 * Hash n bytes of mapped file i from offset off, in place, prefetching a
 * block ahead.  A SIGBUS (the file was truncated) comes back here.
 */
static int
hash_mapped(struct worker *w, size_t i, uint64_t off, size_t n)
{
	struct job *j = w->job;
	const uint8_t *p = j->maps[i] + off;
	sigjmp_buf jb;

	if (sigsetjmp(jb, 0)) {
		sigbus_jump = NULL;
		return fail(j, -ESTALE, &j->files[i],
		    "shrank while it was hashed (SIGBUS)");
	}
	sigbus_jump = &jb;
	for (size_t k = 0; k < n; k += PREFETCH_BLOCK) {
		size_t b = n - k < PREFETCH_BLOCK ? n - k : PREFETCH_BLOCK;

		if (n - k > 2 * PREFETCH_BLOCK)
			for (size_t l = 0; l < PREFETCH_BLOCK; l += 64)
				__builtin_prefetch(p + k + PREFETCH_BLOCK + l);
		sha_update(w->sha, p + k, b);
	}
	sigbus_jump = NULL;
	return 0;
}

static int
hash_piece(struct worker *w, uint64_t piece)
{
	struct job *j = w->job;
	uint64_t pos = piece * j->piece_len;
	uint64_t end = pos + j->piece_len;
	size_t i;
	int rc;

	if (end > j->total)
		end = j->total;
	i = file_at(j, pos);
	while (pos < end) {
		size_t n = end - pos > j->chunk ? j->chunk
		    : (size_t)(end - pos);
		ssize_t r;

		while (j->ends[i] <= pos)
			i++;
		if (j->maps[i]) {
			uint64_t start = j->ends[i] - j->files[i].size;

			if (end - pos < j->ends[i] - pos)
				n = (size_t)(end - pos);
			else
				n = (size_t)(j->ends[i] - pos);
			rc = hash_mapped(w, i, pos - start, n);
			if (rc)
				return rc;
			pos += n;
			continue;
		}
		r = read_span(w, i, pos, n);
		if (r < 0)
			return (int)r;
		sha_update(w->sha, w->buf, (size_t)r);
		pos += (uint64_t)r;
	}
	sha_final(w->sha, j->pieces + piece * SHA1_LEN);
	progress_add(j->opts->progress,
	    end - piece * (uint64_t)j->piece_len);
	return 0;
}

/*
 * Unmap the pages of [from, to) (torrent offsets) of every mapped file:
 * they are hashed, and dropping them keeps the resident size small.  A
 * page still in use is simply faulted in again.
 */
static void
trim(struct job *j, uint64_t from, uint64_t to)
{
	long pg = sysconf(_SC_PAGESIZE);

	for (size_t i = file_at(j, from); i < j->nfiles; i++) {
		uint64_t start = j->ends[i] - j->files[i].size, a, b;

		if (start >= to)
			break;
		if (!j->maps[i])
			continue;
		a = from > start ? from - start : 0;
		b = (to < j->ends[i] ? to : j->ends[i]) - start;
		a = (a + (uint64_t)pg - 1) / (uint64_t)pg * (uint64_t)pg;
		b = b / (uint64_t)pg * (uint64_t)pg;
		if (b > a)
			madvise(j->maps[i] + a, (size_t)(b - a), MADV_DONTNEED);
	}
}

/* Called as piece is claimed: trim when the front crosses a boundary. */
static void
maybe_trim(struct job *j, uint64_t piece)
{
	uint64_t pos = piece * j->piece_len, b;

	if (j->nmaps == 0 || piece == 0)
		return;
	b = pos / FILEHASH_TRIM_BYTES * FILEHASH_TRIM_BYTES;
	if (b <= pos - j->piece_len || b < j->trim_lag + FILEHASH_TRIM_BYTES)
		return;
	trim(j, b - j->trim_lag - FILEHASH_TRIM_BYTES, b - j->trim_lag);
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct job *j = w->job;
	const atomic_int *cancel = j->opts->cancel;

	for (;;) {
		uint64_t piece;

		if (atomic_load_explicit(&j->stop, memory_order_relaxed))
			break;
		if (cancel && atomic_load(cancel)) {
			fail(j, -EINTR, NULL, "interrupted");
			break;
		}
		piece = atomic_fetch_add_explicit(&j->next, 1,
		    memory_order_relaxed);
		if (piece >= j->npieces)
			break;
		maybe_trim(j, piece);
		if (hash_piece(w, piece) != 0)
			break;
	}
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
	return NULL;
}

/*
 * Map the files worth mapping, checking each against the scan.  A file
 * that cannot be mapped is read with pread() instead.
 */
static int
map_files(struct job *j)
{
	for (size_t i = 0; i < j->nfiles && j->nmaps < FILEHASH_MAX_MAPS; i++) {
		const struct filehash_file *f = &j->files[i];
		struct stat st;
		void *m;
		int fd;

		if (f->size < FILEHASH_MMAP_MIN || f->size > SIZE_MAX)
			continue;
		fd = open(f->path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
		if (fd < 0)
			return fail(j, -errno, f, strerror(errno));
		if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
		    !same_stat(&st, f)) {
			close(fd);
			return fail(j, -ESTALE, f,
			    "changed since it was scanned (size or mtime)");
		}
		m = mmap(NULL, (size_t)f->size, PROT_READ, MAP_SHARED, fd, 0);
		close(fd);
		if (m == MAP_FAILED)
			continue;
		(void)madvise(m, (size_t)f->size, MADV_SEQUENTIAL);
		j->maps[i] = m;
		j->nmaps++;
	}
	return 0;
}

static void
unmap_files(struct job *j)
{
	for (size_t i = 0; j->maps && i < j->nfiles; i++)
		if (j->maps[i])
			munmap(j->maps[i], (size_t)j->files[i].size);
}

/* After the last piece: every file must still be what was scanned. */
static int
recheck(struct job *j)
{
	for (size_t i = 0; i < j->nfiles; i++) {
		struct stat st;

		if (stat(j->files[i].path, &st) != 0)
			return fail(j, -ESTALE, &j->files[i],
			    "disappeared while it was hashed");
		if (!same_stat(&st, &j->files[i]))
			return fail(j, -ESTALE, &j->files[i],
			    "changed while it was hashed (size or mtime)");
	}
	return 0;
}

static int
job_init(struct job *j, const struct filehash_file *files, size_t nfiles,
    uint32_t piece_len, const struct filehash_opts *opts, uint8_t *pieces,
    struct filehash_error *err)
{
	uint64_t total = 0;

	memset(j, 0, sizeof(*j));
	j->err = err;
	j->files = files;
	j->nfiles = nfiles;
	j->piece_len = piece_len;
	j->pieces = pieces;
	j->opts = opts;
	j->chunk = opts->chunk ? opts->chunk : FILEHASH_DEFAULT_CHUNK;
	if (j->chunk > piece_len)
		j->chunk = piece_len;
	if (nfiles == 0 || piece_len == 0) {
		snprintf(err->msg, sizeof(err->msg), "nothing to hash");
		return -EINVAL;
	}
	j->ends = calloc(nfiles, sizeof(*j->ends));
	j->maps = calloc(nfiles, sizeof(*j->maps));
	if (!j->ends || !j->maps) {
		free(j->ends);
		free(j->maps);
		snprintf(err->msg, sizeof(err->msg), "out of memory");
		return -ENOMEM;
	}
	for (size_t i = 0; i < nfiles; i++) {
		if (files[i].size > UINT64_MAX - total) {
			free(j->ends);
			free(j->maps);
			snprintf(err->msg, sizeof(err->msg), "total too large");
			return -ERANGE;
		}
		total += files[i].size;
		j->ends[i] = total;
	}
	if (total == 0) {
		free(j->ends);
		free(j->maps);
		snprintf(err->msg, sizeof(err->msg), "nothing to hash");
		return -EINVAL;
	}
	j->total = total;
	j->npieces = (total + piece_len - 1) / piece_len;
	atomic_init(&j->next, 0);
	atomic_init(&j->stop, 0);
	pthread_mutex_init(&j->lock, NULL);
	return 0;
}

int
filehash_run(const struct filehash_file *files, size_t nfiles,
    uint32_t piece_len, const struct filehash_opts *opts, uint8_t *pieces,
    struct filehash_error *err)
{
	static const struct filehash_opts defaults;
	struct worker *ws = NULL;
	struct job j;
	unsigned n;
	int rc;

	if (!opts)
		opts = &defaults;
	err->msg[0] = '\0';
	rc = job_init(&j, files, nfiles, piece_len, opts, pieces, err);
	if (rc)
		return rc;
	n = filehash_threads(opts->nthreads, j.npieces);
	/* Pieces this far behind the front are done: n workers, 2 each. */
	j.trim_lag = (uint64_t)piece_len * n * 2;
	sigbus_hold();
	rc = opts->no_mmap ? 0 : map_files(&j);
	if (rc)
		goto out;
	ws = calloc(n, sizeof(*ws));
	if (!ws) {
		rc = fail(&j, -ENOMEM, NULL, "out of memory");
		goto out;
	}
	for (unsigned i = 0; i < n; i++) {
		ws[i].job = &j;
		ws[i].fd = -1;
		ws[i].buf = malloc(j.chunk);
		ws[i].sha = sha_new(SHA_1);
		if (!ws[i].buf || !ws[i].sha) {
			fail(&j, -ENOMEM, NULL, "out of memory");
			break;
		}
		rc = pthread_create(&ws[i].tid, NULL, worker_main, &ws[i]);
		if (rc) {
			fail(&j, -rc, NULL, "cannot start a hashing thread");
			break;
		}
		ws[i].started = true;
	}
	for (unsigned i = 0; i < n; i++) {
		if (ws[i].started)
			pthread_join(ws[i].tid, NULL);
		free(ws[i].buf);
		sha_free(ws[i].sha);
	}
	rc = j.rc;	/* every worker is joined: no lock needed */
	if (rc == 0)
		rc = recheck(&j);
out:
	unmap_files(&j);
	sigbus_release();
	free(ws);
	free(j.ends);
	free(j.maps);
	pthread_mutex_destroy(&j.lock);
	return rc;
}
