/*
 * hasher: see hasher.h.
 *
 * Speed: the work is bounded by SHA-1 (about 2 GB/s per core with SHA-NI)
 * and by the copy out of the page cache.  A chunk of HASHER_DEFAULT_CHUNK
 * is read and hashed at once; the buffer is allocated once per worker (the
 * first touch of fresh memory costs more than the copy).  Each worker keeps
 * the file it read last open, so a run of small files costs one open per
 * file and worker, and never more than one descriptor per worker.
 */
#include "bt/hasher.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/log.h"
#include "base/progress.h"
#include "base/sha.h"

struct job {
	const struct hasher_file *files;	/* borrowed */
	size_t		 nfiles;
	uint64_t	*ends;		/* owned: end offset of each file */
	uint64_t	 total;
	uint32_t	 piece_len;
	uint64_t	 npieces;
	size_t		 chunk;
	uint8_t		*pieces;	/* borrowed: each worker writes its own */
	const struct hasher_opts *opts;
	_Atomic uint64_t next;		/* next piece to claim */
	atomic_int	 stop;		/* an error: everyone stops */
	pthread_mutex_t	 lock;
	/* protected by lock: the first error */
	int		 rc;
	struct hasher_error *err;
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

unsigned
hasher_threads(unsigned wanted, uint64_t npieces)
{
	long n = wanted;

	if (n == 0)
		n = sysconf(_SC_NPROCESSORS_ONLN);
	if (n < 1)
		n = 1;
	if (n > HASHER_MAX_THREADS)
		n = HASHER_MAX_THREADS;
	if ((uint64_t)n > npieces)
		n = (long)(npieces ? npieces : 1);
	return (unsigned)n;
}

static bool
same_stat(const struct stat *st, const struct hasher_file *f)
{
	return (uint64_t)st->st_size == f->size &&
	    st->st_mtim.tv_sec == f->mtime.tv_sec &&
	    st->st_mtim.tv_nsec == f->mtime.tv_nsec;
}

/* Record the first failure and stop every worker. */
static int
fail(struct job *j, int rc, const struct hasher_file *f, const char *what)
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
	const struct hasher_file *f = &j->files[i];
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

/* Read len bytes at torrent offset pos (spanning files) into w->buf. */
static int
read_span(struct worker *w, uint64_t pos, size_t len)
{
	struct job *j = w->job;
	size_t i = file_at(j, pos), got = 0;

	while (got < len) {
		uint64_t start, in_file;
		size_t n;
		ssize_t r;
		int rc;

		while (i < j->nfiles && j->ends[i] <= pos)
			i++;
		if (i >= j->nfiles)
			return fail(j, -EIO, NULL, "internal: offset past end");
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
	return 0;
}

static int
hash_piece(struct worker *w, uint64_t piece)
{
	struct job *j = w->job;
	uint64_t pos = piece * j->piece_len;
	uint64_t end = pos + j->piece_len;
	int rc;

	if (end > j->total)
		end = j->total;
	while (pos < end) {
		size_t n = end - pos > j->chunk ? j->chunk : (size_t)(end - pos);

		rc = read_span(w, pos, n);
		if (rc)
			return rc;
		sha_update(w->sha, w->buf, n);
		pos += n;
	}
	sha_final(w->sha, j->pieces + piece * SHA1_LEN);
	progress_add(j->opts->progress,
	    end - piece * (uint64_t)j->piece_len);
	return 0;
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
		if (hash_piece(w, piece) != 0)
			break;
	}
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
	return NULL;
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
job_init(struct job *j, const struct hasher_file *files, size_t nfiles,
    uint32_t piece_len, const struct hasher_opts *opts, uint8_t *pieces,
    struct hasher_error *err)
{
	uint64_t total = 0;

	memset(j, 0, sizeof(*j));
	j->err = err;
	j->files = files;
	j->nfiles = nfiles;
	j->piece_len = piece_len;
	j->pieces = pieces;
	j->opts = opts;
	j->chunk = opts->chunk ? opts->chunk : HASHER_DEFAULT_CHUNK;
	if (j->chunk > piece_len)
		j->chunk = piece_len;
	if (nfiles == 0 || piece_len == 0) {
		snprintf(err->msg, sizeof(err->msg), "nothing to hash");
		return -EINVAL;
	}
	j->ends = calloc(nfiles, sizeof(*j->ends));
	if (!j->ends) {
		snprintf(err->msg, sizeof(err->msg), "out of memory");
		return -ENOMEM;
	}
	for (size_t i = 0; i < nfiles; i++) {
		if (files[i].size > UINT64_MAX - total) {
			free(j->ends);
			snprintf(err->msg, sizeof(err->msg), "total too large");
			return -ERANGE;
		}
		total += files[i].size;
		j->ends[i] = total;
	}
	if (total == 0) {
		free(j->ends);
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
hasher_run(const struct hasher_file *files, size_t nfiles,
    uint32_t piece_len, const struct hasher_opts *opts, uint8_t *pieces,
    struct hasher_error *err)
{
	static const struct hasher_opts defaults;
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
	n = hasher_threads(opts->nthreads, j.npieces);
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
	free(ws);
	free(j.ends);
	pthread_mutex_destroy(&j.lock);
	return rc;
}
