/*
 * Unit tests for bt/hasher: a real uv loop, real worker threads and a real
 * store in a temp dir.  Good pieces are written, a corrupt one is refused,
 * every callback runs on the loop's thread; rechecks find good, bad and
 * missing data; close cancels a recheck; the buffer pool keeps its cap.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>

#include "base/bitfield.h"
#include "bt/hasher.h"
#include "bt/storage.h"
#include "testmeta.h"

#define PL 16384u

static const struct tm_file files[] = {
	{"a", 100000, 0},
	{".pad/30", 14688, META_ATTR_PAD},	/* a + pad = 7 pieces */
	{"b", 50000, 0},
	{"c", 20000, 0},
};
#define NFILES (sizeof(files) / sizeof(files[0]))

struct ctx {
	char		 dir[64];
	struct metainfo	*m;
	uint8_t		*data;
	struct storage	*st;
	uv_loop_t	 loop;
	uv_timer_t	 guard;
	struct hasher	*h;
	pthread_t	 loop_thread;

	uint32_t	 next;		/* next piece to submit */
	uint32_t	 ndone;
	uint32_t	 corrupt;	/* piece we corrupt, or UINT32_MAX */
	int		*status;	/* per piece */
	bool		 wrong_thread;
	bool		 closed;
	int		 check_status;
	uint8_t		*check_result;
	uint64_t	 prog_done, prog_total;
};

static void
on_guard(uv_timer_t *t)
{
	(void)t;
	fail_msg("the loop ran for too long");
}

static void
ctx_init(struct ctx *c, enum storage_layout layout, unsigned flags)
{
	memset(c, 0, sizeof(*c));
	tm_tmpdir(c->dir);
	c->m = tm_new("t", true, PL, files, NFILES, 5, &c->data);
	assert_int_equal(storage_open(c->m, layout, c->dir, flags, &c->st),
	    0);
	assert_int_equal(uv_loop_init(&c->loop), 0);
	assert_int_equal(uv_timer_init(&c->loop, &c->guard), 0);
	assert_int_equal(uv_timer_start(&c->guard, on_guard, 30000, 0), 0);
	c->loop_thread = pthread_self();
	c->corrupt = UINT32_MAX;
	c->status = calloc(c->m->npieces, sizeof(int));
}

static void
ctx_fini(struct ctx *c)
{
	uv_close((uv_handle_t *)&c->guard, NULL);
	assert_int_equal(uv_run(&c->loop, UV_RUN_DEFAULT), 0);
	assert_int_equal(uv_loop_close(&c->loop), 0);
	storage_close(c->st);
	tm_rmrf(c->dir);
	tm_free(c->m);
	free(c->data);
	free(c->status);
	free(c->check_result);
}

static void
on_closed(void *arg)
{
	struct ctx *c = arg;

	if (!pthread_equal(pthread_self(), c->loop_thread))
		c->wrong_thread = true;
	c->closed = true;
	uv_timer_stop(&c->guard);
}

static void submit_more(struct ctx *c);

static void
on_verified(void *arg, uint32_t piece, int status, uint8_t *buf)
{
	struct ctx *c = arg;

	if (!pthread_equal(pthread_self(), c->loop_thread))
		c->wrong_thread = true;
	c->status[piece] = status;
	hasher_buf_put(c->h, buf);
	if (++c->ndone == c->m->npieces)
		hasher_close(c->h, on_closed, c);
	else
		submit_more(c);
}

/* Submit while buffers last; completions submit the rest. */
static void
submit_more(struct ctx *c)
{
	uint8_t *buf;

	while (c->next < c->m->npieces && (buf = hasher_buf_get(c->h))) {
		uint32_t p = c->next++;

		memcpy(buf, c->data + (uint64_t)p * PL, tm_piece_size(c->m, p));
		if (p == c->corrupt)
			buf[100] ^= 1;
		assert_int_equal(hasher_submit(c->h, p, buf, on_verified, c),
		    0);
	}
}

static void
test_hasher_verify_and_write(void **state)
{
	struct ctx c;
	uint8_t *buf;

	(void)state;
	ctx_init(&c, STORAGE_CACHE, 0);
	c.corrupt = 4;
	assert_int_equal(hasher_new(&c.loop, c.m, c.st, 0, 3, &c.h), 0);
	submit_more(&c);
	assert_int_equal(hasher_bufs_out(c.h), 3);
	assert_int_equal(uv_run(&c.loop, UV_RUN_DEFAULT), 0);
	assert_true(c.closed);
	assert_false(c.wrong_thread);
	assert_int_equal(c.ndone, c.m->npieces);

	buf = malloc(PL);
	for (uint32_t p = 0; p < c.m->npieces; p++) {
		uint32_t n = tm_piece_size(c.m, p);

		assert_int_equal(storage_read(c.st, (uint64_t)p * PL, n, buf),
		    0);
		if (p == c.corrupt) {
			assert_int_equal(c.status[p], -EBADMSG);
			/* Nothing written: still a hole of zeros. */
			for (uint32_t i = 0; i < n; i++)
				assert_int_equal(buf[i], 0);
		} else {
			assert_int_equal(c.status[p], 0);
			assert_memory_equal(buf, c.data + (uint64_t)p * PL, n);
		}
	}
	free(buf);
	ctx_fini(&c);
}

static void
test_hasher_buffer_pool(void **state)
{
	uint8_t *b[3], *again;
	struct ctx c;

	(void)state;
	ctx_init(&c, STORAGE_CACHE, 0);
	assert_int_equal(hasher_new(&c.loop, c.m, c.st, 2, 3, &c.h), 0);
	for (int i = 0; i < 3; i++)
		assert_non_null(b[i] = hasher_buf_get(c.h));
	assert_null(hasher_buf_get(c.h));
	assert_int_equal(hasher_bufs_out(c.h), 3);
	hasher_buf_put(c.h, b[1]);
	again = hasher_buf_get(c.h);
	assert_ptr_equal(again, b[1]);		/* reused, not allocated */
	assert_int_equal(hasher_submit(c.h, c.m->npieces, b[0], on_verified,
	    &c), -ERANGE);
	for (int i = 0; i < 3; i++)
		hasher_buf_put(c.h, b[i]);
	assert_int_equal(hasher_bufs_out(c.h), 0);
	hasher_close(c.h, on_closed, &c);
	b[0] = malloc(PL);
	assert_int_equal(hasher_submit(c.h, 0, b[0], on_verified, &c),
	    -ESHUTDOWN);
	free(b[0]);
	assert_int_equal(uv_run(&c.loop, UV_RUN_DEFAULT), 0);
	assert_true(c.closed);
	ctx_fini(&c);
}

static void
on_checked(void *arg, int status, const uint8_t *result)
{
	struct ctx *c = arg;

	if (!pthread_equal(pthread_self(), c->loop_thread))
		c->wrong_thread = true;
	c->check_status = status;
	c->check_result = malloc(c->m->npieces);
	memcpy(c->check_result, result, c->m->npieces);
	hasher_close(c->h, on_closed, c);
}

/* A recheck callback that does not close the hasher. */
static void
on_checked_quiet(void *arg, int status, const uint8_t *result)
{
	struct ctx *c = arg;

	(void)result;
	c->check_status = status;
	c->ndone++;
}

/* A todo of m's pieces with the bits of the string ('1' set) or all. */
static void
todo_init(struct bitfield *b, const struct metainfo *m, const char *bits)
{
	assert_int_equal(bitfield_init(b, m->npieces), 0);
	if (bits == NULL)
		bitfield_set_all(b);
	else
		for (uint32_t i = 0; bits[i] != '\0'; i++)
			if (bits[i] == '1')
				bitfield_set(b, i);
}

static void
test_hasher_recheck(void **state)
{
	struct hasher_check *job;
	char path[PATH_MAX];
	struct bitfield todo;
	struct ctx c;
	int fd;

	(void)state;
	ctx_init(&c, STORAGE_DOWNLOAD, 0);
	/* Pieces 0-5 on disk; piece 2 corrupted behind our back. */
	for (uint32_t p = 0; p < 6; p++)
		assert_int_equal(storage_write_piece(c.st, p,
		    c.data + (uint64_t)p * PL), 0);
	snprintf(path, sizeof(path), "%s/t/a", c.dir);
	fd = open(path, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, "X", 1, 2 * PL + 7), 1);
	close(fd);
	/* Check all but piece 5. */
	todo_init(&todo, c.m, NULL);
	bitfield_clear(&todo, 5);
	assert_int_equal(hasher_new(&c.loop, c.m, c.st, 2, 2, &c.h), 0);
	assert_int_equal(hasher_recheck(c.h, &todo, on_checked, &c, &job), 0);
	assert_int_equal(hasher_recheck(c.h, &todo, on_checked_quiet, &c,
	    NULL), -EBUSY);
	bitfield_fini(&todo);
	/* A todo of the wrong size is refused. */
	assert_int_equal(bitfield_init(&todo, c.m->npieces + 1), 0);
	assert_int_equal(hasher_recheck(c.h, &todo, on_checked_quiet, &c,
	    NULL), -EINVAL);
	bitfield_fini(&todo);
	hasher_check_progress(job, &c.prog_done, &c.prog_total);
	assert_int_equal(c.prog_total, c.m->total - PL);
	assert_int_equal(uv_run(&c.loop, UV_RUN_DEFAULT), 0);
	assert_true(c.closed);
	assert_false(c.wrong_thread);
	assert_int_equal(c.check_status, 0);
	assert_int_equal(c.check_result[0], HASHER_GOOD);
	assert_int_equal(c.check_result[1], HASHER_GOOD);
	assert_int_equal(c.check_result[2], HASHER_BAD);
	assert_int_equal(c.check_result[3], HASHER_GOOD);
	assert_int_equal(c.check_result[4], HASHER_GOOD);
	assert_int_equal(c.check_result[5], HASHER_UNCHECKED);
	/* Never written: zeros (sparse), so the hash fails. */
	for (uint32_t p = 6; p < c.m->npieces; p++)
		assert_int_equal(c.check_result[p], HASHER_BAD);
	ctx_fini(&c);
}

/* A todo that ends early, and an empty one, still finish. */
static void
test_hasher_recheck_sparse_todo(void **state)
{
	struct bitfield todo;
	struct ctx c;

	(void)state;
	ctx_init(&c, STORAGE_CACHE, 0);
	todo_init(&todo, c.m, "1");
	assert_int_equal(storage_write_piece(c.st, 0, c.data), 0);
	assert_int_equal(hasher_new(&c.loop, c.m, c.st, 2, 2, &c.h), 0);
	assert_int_equal(hasher_recheck(c.h, &todo, on_checked_quiet, &c,
	    NULL), 0);
	while (c.ndone == 0)
		assert_true(uv_run(&c.loop, UV_RUN_ONCE) >= 0);
	assert_int_equal(c.check_status, 0);
	bitfield_clear(&todo, 0);
	assert_int_equal(hasher_recheck(c.h, &todo, on_checked, &c, NULL), 0);
	bitfield_fini(&todo);
	assert_int_equal(uv_run(&c.loop, UV_RUN_DEFAULT), 0);
	assert_true(c.closed);
	assert_int_equal(c.check_status, 0);
	for (uint32_t p = 0; p < c.m->npieces; p++)
		assert_int_equal(c.check_result[p], HASHER_UNCHECKED);
	ctx_fini(&c);
}

/* A file missing from a read-only store: its pieces are MISSING. */
static void
test_hasher_recheck_missing(void **state)
{
	char path[PATH_MAX];
	struct bitfield todo;
	struct ctx c;

	(void)state;
	ctx_init(&c, STORAGE_DOWNLOAD, 0);
	for (uint32_t p = 0; p < c.m->npieces; p++)
		assert_int_equal(storage_write_piece(c.st, p,
		    c.data + (uint64_t)p * PL), 0);
	storage_close(c.st);
	snprintf(path, sizeof(path), "%s/t/c", c.dir);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(storage_open(c.m, STORAGE_DOWNLOAD, c.dir,
	    STORAGE_RDONLY, &c.st), 0);
	assert_int_equal(hasher_new(&c.loop, c.m, c.st, 2, 2, &c.h), 0);
	todo_init(&todo, c.m, NULL);
	assert_int_equal(hasher_recheck(c.h, &todo, on_checked, &c, NULL), 0);
	bitfield_fini(&todo);
	assert_int_equal(uv_run(&c.loop, UV_RUN_DEFAULT), 0);
	assert_int_equal(c.check_status, 0);
	/* c is [164688, 184688): pieces 10-11 touch it. */
	for (uint32_t p = 0; p < c.m->npieces; p++)
		assert_int_equal(c.check_result[p],
		    p >= 10 ? HASHER_MISSING : HASHER_GOOD);
	ctx_fini(&c);
}

/*
 * A 64 MiB torrent of 16 KiB pieces, all on disk: rechecks that take long
 * enough to be cancelled.  todo gets every piece set.
 */
static void
ctx_init_big(struct ctx *c, struct bitfield *todo)
{
	static const struct tm_file big[] = {{"big", 64u << 20, 0}};

	memset(c, 0, sizeof(*c));
	tm_tmpdir(c->dir);
	c->m = tm_new("big", false, PL, big, 1, 9, &c->data);
	assert_int_equal(storage_open(c->m, STORAGE_CACHE, c->dir, 0, &c->st),
	    0);
	for (uint32_t p = 0; p < c->m->npieces; p++)
		assert_int_equal(storage_write_piece(c->st, p,
		    c->data + (uint64_t)p * PL), 0);
	assert_int_equal(uv_loop_init(&c->loop), 0);
	assert_int_equal(uv_timer_init(&c->loop, &c->guard), 0);
	assert_int_equal(uv_timer_start(&c->guard, on_guard, 30000, 0), 0);
	c->loop_thread = pthread_self();
	todo_init(todo, c->m, NULL);
	assert_int_equal(hasher_new(&c->loop, c->m, c->st, 2, 2, &c->h), 0);
}

/* Closing during a long recheck cancels it: -ECANCELED, then closed. */
static void
test_hasher_close_cancels_recheck(void **state)
{
	struct hasher_check *job;
	struct bitfield todo;
	struct ctx c;

	(void)state;
	ctx_init_big(&c, &todo);
	assert_int_equal(hasher_recheck(c.h, &todo, on_checked_quiet, &c,
	    &job), 0);
	bitfield_fini(&todo);
	/* Close at once: the recheck's callback is a no-op. */
	hasher_close(c.h, on_closed, &c);
	assert_int_equal(uv_run(&c.loop, UV_RUN_DEFAULT), 0);
	assert_true(c.closed);
	assert_int_equal(c.ndone, 1);
	assert_int_equal(c.check_status, -ECANCELED);
	ctx_fini(&c);
}

/* A recheck that is cancelled reports -ECANCELED and partial results. */
struct cancel_ctx {
	struct ctx	*c;
	struct hasher_check *job;
	uv_idle_t	 idle;
};

static void
on_idle_cancel(uv_idle_t *idle)
{
	struct cancel_ctx *cc = idle->data;
	uint64_t done, total;

	hasher_check_progress(cc->job, &done, &total);
	if (done == 0)
		return;
	hasher_recheck_cancel(cc->job);
	uv_idle_stop(idle);
	uv_close((uv_handle_t *)idle, NULL);
}

static void
test_hasher_recheck_cancel(void **state)
{
	struct cancel_ctx cc;
	uint32_t good = 0, unchecked = 0;
	struct bitfield todo;
	struct ctx c;

	(void)state;
	ctx_init_big(&c, &todo);
	assert_int_equal(hasher_recheck(c.h, &todo, on_checked, &c, &cc.job),
	    0);
	bitfield_fini(&todo);
	cc.c = &c;
	assert_int_equal(uv_idle_init(&c.loop, &cc.idle), 0);
	cc.idle.data = &cc;
	assert_int_equal(uv_idle_start(&cc.idle, on_idle_cancel), 0);
	assert_int_equal(uv_run(&c.loop, UV_RUN_DEFAULT), 0);
	assert_true(c.closed);
	assert_int_equal(c.check_status, -ECANCELED);
	for (uint32_t p = 0; p < c.m->npieces; p++) {
		assert_true(c.check_result[p] == HASHER_GOOD ||
		    c.check_result[p] == HASHER_UNCHECKED);
		good += c.check_result[p] == HASHER_GOOD;
		unchecked += c.check_result[p] == HASHER_UNCHECKED;
	}
	assert_true(good > 0);
	assert_true(unchecked > 0);
	ctx_fini(&c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hasher_verify_and_write),
		cmocka_unit_test(test_hasher_buffer_pool),
		cmocka_unit_test(test_hasher_recheck),
		cmocka_unit_test(test_hasher_recheck_sparse_todo),
		cmocka_unit_test(test_hasher_recheck_missing),
		cmocka_unit_test(test_hasher_close_cancels_recheck),
		cmocka_unit_test(test_hasher_recheck_cancel),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
