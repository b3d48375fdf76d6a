/*
 * test_session: the reader contract of session.h without peers: a store
 * with part of the data on disk is rechecked at start, verified ranges
 * read at once, other reads park and end exactly once with -EINTR
 * (cancel), -ETIMEDOUT (deadline) or -ESHUTDOWN (stop), never on the
 * calling thread; a late cancel (by id) never touches a read that reuses
 * the memory of the one it named; session_read_verified() refuses a copy
 * during which a piece was evicted and verified again; a restart trusts
 * the resume record at once.  Listens on
 * 127.0.8.250 (this suite's loopback range), dials nobody.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "base/bytes.h"
#include "base/clock.h"
#include "bt/session.h"
#include "bt/storage.h"
#include "bt/swarm.h"
#include "testmeta.h"

#define PLEN	16384u

struct rd {
	struct session_read	 r;
	pthread_mutex_t		 lock;
	int			 calls;
	int			 status;
	pthread_t		 thread;
};

static void
rd_done(struct session_read *r, int status)
{
	struct rd *x = r->user;

	pthread_mutex_lock(&x->lock);
	x->calls++;
	x->status = status;
	x->thread = pthread_self();
	pthread_mutex_unlock(&x->lock);
}

static void
rd_init(struct rd *x, uint64_t off, uint64_t len, uint64_t deadline)
{
	memset(x, 0, sizeof(*x));
	pthread_mutex_init(&x->lock, NULL);
	x->r.off = off;
	x->r.len = len;
	x->r.deadline_ms = deadline;
	x->r.done = rd_done;
	x->r.user = x;
}

/* Wait up to 5 s for done(); returns its call count. */
static int
rd_wait(struct rd *x)
{
	for (int i = 0; i < 500; i++) {
		int n;

		pthread_mutex_lock(&x->lock);
		n = x->calls;
		pthread_mutex_unlock(&x->lock);
		if (n > 0) {
			usleep(50000);	/* a second call would show now */
			pthread_mutex_lock(&x->lock);
			n = x->calls;
			pthread_mutex_unlock(&x->lock);
			return n;
		}
		usleep(10000);
	}
	return 0;
}

/*
 * storage_read() is wrapped (-Wl,--wrap in tests/CMakeLists.txt).  Armed
 * with a piece, it plays a capped cache's eviction of that piece and its
 * new download around the pread of session_read_verified(), as the
 * network thread would (its loop has nothing to do here: no peers, no
 * cap, the recheck over): the counter made even, the piece's bytes read
 * as a hole's zeros, the counter odd again.  It reaches into swarm.h for
 * that, the one thing a test of this window cannot get from session.h.
 */
int	__real_storage_read(struct storage *, uint64_t, size_t, void *);
int	__wrap_storage_read(struct storage *, uint64_t, size_t, void *);

static struct session *evict_s;
static int64_t evict_piece = -1;

int
__wrap_storage_read(struct storage *st, uint64_t off, size_t len, void *buf)
{
	struct session *s = evict_s;
	uint64_t a, b;
	uint32_t p;
	int rc;

	if (s == NULL || evict_piece < 0)
		return __real_storage_read(st, off, len, buf);
	p = (uint32_t)evict_piece;
	evict_piece = -1;
	assert_true(pieceseq_clear(&s->vseq, p));
	rc = __real_storage_read(st, off, len, buf);
	a = (uint64_t)p * PLEN;
	b = a + PLEN;
	if (a < off)
		a = off;
	if (b > off + len)
		b = off + len;
	if (b > a)
		memset((uint8_t *)buf + (a - off), 0, b - a);
	assert_true(pieceseq_set(&s->vseq, p));
	return rc;
}

static void
test_read_verified(struct session *s, const uint8_t *data)
{
	uint8_t buf[3 * PLEN];

	evict_s = s;
	/* Verified, nothing happens: the bytes. */
	memset(buf, 0, sizeof(buf));
	assert_int_equal(session_read_verified(s, 3 * PLEN - 100, 200, buf),
	    0);
	assert_memory_equal(buf, data + 3 * PLEN - 100, 200);
	/* Piece 3 evicted and fetched again during the pread: refused... */
	evict_piece = 3;
	assert_int_equal(session_read_verified(s, 2 * PLEN + 5, 2 * PLEN, buf),
	    -EAGAIN);
	assert_int_equal(evict_piece, -1);	/* the pread ran */
	assert_true(session_range_verified(s, 2 * PLEN + 5, 2 * PLEN));
	/* ...and the retry gets the bytes. */
	assert_int_equal(session_read_verified(s, 2 * PLEN + 5, 2 * PLEN, buf),
	    0);
	assert_memory_equal(buf, data + 2 * PLEN + 5, 2 * PLEN);
	/* A piece outside the range does not matter. */
	evict_piece = 0;
	assert_int_equal(session_read_verified(s, PLEN, PLEN, buf), 0);
	assert_memory_equal(buf, data + PLEN, PLEN);
	/* Not verified: no pread.  Beyond the torrent: -ERANGE. */
	evict_piece = 1;
	assert_int_equal(session_read_verified(s, 5 * PLEN - 10, 20, buf),
	    -EAGAIN);
	assert_int_equal(evict_piece, 1);
	evict_piece = -1;
	assert_int_equal(session_read_verified(s, 8 * PLEN - 10, 11, buf),
	    -ERANGE);
	assert_int_equal(session_read_verified(s, 0, 0, buf), 0);
	evict_s = NULL;
}

struct fixture {
	char		 dir[128];
	struct metainfo	*m;
	uint8_t		*data;
};

static void
write_file(const char *path, const uint8_t *p, size_t n)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(p, 1, n, f), n);
	fclose(f);
}

static int
setup(void **state)
{
	static const struct tm_file files[] = {
		{"a.bin", 5 * PLEN + 1000, 0},
		{"b.bin", 3 * PLEN - 1000, 0},
	};
	struct fixture *fx = calloc(1, sizeof(*fx));
	char path[256];

	tm_tmpdir(fx->dir);
	fx->m = tm_new("t", true, PLEN, files, 2, 0x5e55104, &fx->data);
	snprintf(path, sizeof(path), "%s/t", fx->dir);
	mkdir(path, 0755);
	/* a.bin only: pieces 0..4 can be verified, 5..7 cannot. */
	snprintf(path, sizeof(path), "%s/t/a.bin", fx->dir);
	write_file(path, fx->data, files[0].size);
	*state = fx;
	return 0;
}

static void
forget_resume(const struct metainfo *m)
{
	char root[4096], hex[41], path[4200];

	if (storage_default_cache_root(root, sizeof(root)) < 0)
		return;
	hex_encode(m->info_hash, 20, hex);
	snprintf(path, sizeof(path), "%s/%s", root, hex);
	tm_rmrf(path);
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;

	forget_resume(fx->m);
	tm_rmrf(fx->dir);
	tm_free(fx->m);
	free(fx->data);
	free(fx);
	return 0;
}

static struct session *
start(struct fixture *fx)
{
	struct session_config cfg;
	struct session *s = NULL;

	memset(&cfg, 0, sizeof(cfg));
	cfg.meta = fx->m;
	cfg.layout = STORAGE_DOWNLOAD;
	cfg.dir = fx->dir;
	cfg.listen = "127.0.8.250:0";
	cfg.no_trackers = true;
	assert_int_equal(session_start(&cfg, &s), 0);
	assert_non_null(s);
	return s;
}

static void
test_reads(void **state)
{
	struct fixture *fx = *state;
	struct session *s;
	struct session_stats st;
	struct rd a, b, c, d, e;
	uint64_t id;
	uint8_t buf[100];
	int i;

	forget_resume(fx->m);
	s = start(fx);
	for (i = 0; i < 500 && !session_piece_verified(s, 4); i++)
		usleep(10000);
	assert_true(session_range_verified(s, 0, 5 * PLEN));
	assert_false(session_piece_verified(s, 5));
	assert_false(session_range_verified(s, 5 * PLEN - 10, 20));
	session_get_stats(s, &st);
	assert_int_equal(st.npieces, 8);
	assert_int_equal(st.have, 5);
	assert_int_equal(st.total_bytes, 8 * PLEN);
	assert_false(st.complete);

	/* Verified: answered at once, data readable from the store. */
	rd_init(&a, 100, 100, 0);
	assert_int_equal(session_read_start(s, &a.r), 1);
	assert_int_equal(storage_read(session_storage(s), 100, 100, buf), 0);
	assert_memory_equal(buf, fx->data + 100, 100);
	rd_init(&a, 0, 0, 0);
	assert_int_equal(session_read_start(s, &a.r), 1);
	rd_init(&a, 8 * PLEN - 10, 11, 0);
	assert_int_equal(session_read_start(s, &a.r), -ERANGE);
	test_read_verified(s, fx->data);

	/* Parked, then cancelled: -EINTR once, not on this thread. */
	rd_init(&b, 6 * PLEN, 10, 0);
	assert_int_equal(session_read_start(s, &b.r), 0);
	id = b.r.id;
	session_reader_window(s, 1, 5 * PLEN, 3 * PLEN);
	session_read_cancel(s, id, -EINTR);
	assert_int_equal(rd_wait(&b), 1);
	assert_int_equal(b.status, -EINTR);
	assert_false(pthread_equal(b.thread, pthread_self()));
	session_read_cancel(s, id, -EINTR);	/* done: a no-op */

	/*
	 * A late cancel: its read ended and its memory now holds another
	 * parked read (a FUSE interrupt racing the read's completion, the
	 * pending freed and allocated again).  It must not touch the new
	 * read.  Commands run in order: once e's cancel has ended e, the
	 * late one has been handled.
	 */
	rd_init(&b, 6 * PLEN, 10, 0);
	assert_int_equal(session_read_start(s, &b.r), 0);
	assert_true(b.r.id != id);
	session_read_cancel(s, id, -EINTR);
	rd_init(&e, 7 * PLEN, 10, 0);
	assert_int_equal(session_read_start(s, &e.r), 0);
	session_read_cancel(s, e.r.id, -ECANCELED);
	assert_int_equal(rd_wait(&e), 1);
	assert_int_equal(e.status, -ECANCELED);
	pthread_mutex_lock(&b.lock);
	assert_int_equal(b.calls, 0);
	pthread_mutex_unlock(&b.lock);
	session_read_cancel(s, b.r.id, -EINTR);
	assert_int_equal(rd_wait(&b), 1);
	assert_int_equal(b.status, -EINTR);
	session_reader_close(s, 1);

	/* A deadline. */
	rd_init(&c, 5 * PLEN, 2 * PLEN, clock_now_ms() + 200);
	assert_int_equal(session_read_start(s, &c.r), 0);
	assert_int_equal(rd_wait(&c), 1);
	assert_int_equal(c.status, -ETIMEDOUT);

	/* Parked across the stop. */
	rd_init(&d, 7 * PLEN, 5, 0);
	assert_int_equal(session_read_start(s, &d.r), 0);
	session_stop(s, 100);
	assert_int_equal(rd_wait(&d), 1);
	assert_int_equal(d.status, -ESHUTDOWN);
	session_free(s);
	assert_int_equal(b.calls, 1);
	assert_int_equal(c.calls, 1);

	/* The resume record: trusted before any recheck could run. */
	s = start(fx);
	assert_true(session_range_verified(s, 0, 5 * PLEN));
	assert_false(session_piece_verified(s, 5));
	session_stop(s, 100);
	session_free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_reads, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
