/*
 * bt/storage + hasher + resume against real torrents: .torrent files made
 * by mktorrent (v1) and python3-libtorrent (hybrid v1+v2, with BEP 47 pad
 * files), parsed by metainfo.  Every piece read from the original files
 * (storage read-only over them) verifies against the creator's hashes, is
 * written through the hasher into a fresh download dir and a cache dir,
 * and the result is byte-identical to the originals with no pad file on
 * disk.  The tools are required: a missing one fails the test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <limits.h>

#include "bt/hasher.h"
#include "bt/resume.h"
#include "bt/storage.h"
#include "testmeta.h"

struct src_file {
	const char	*path;		/* under <tmp>/src/ */
	size_t		 size;
};

static const struct src_file src_files[] = {
	{"top/a.bin", 100000},
	{"top/sub/b.bin", 3000},
	{"top/sub/c.bin", 70001},
	{"top/z.bin", 33333},
};
#define NSRC (sizeof(src_files) / sizeof(src_files[0]))

static char tmp[64];

static void
run(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	rc = system(cmd);
	if (rc != 0)
		fail_msg("command failed (%d): %s", rc, cmd);
}

static int
setup(void **state)
{
	char path[PATH_MAX], dir[PATH_MAX];
	uint64_t s = 12345;

	(void)state;
	tm_tmpdir(tmp);
	for (size_t i = 0; i < NSRC; i++) {
		FILE *fp;

		snprintf(path, sizeof(path), "%s/src/%s", tmp,
		    src_files[i].path);
		snprintf(dir, sizeof(dir), "%s", path);
		*strrchr(dir, '/') = '\0';
		run("mkdir -p '%s'", dir);
		fp = fopen(path, "wb");
		for (size_t k = 0; k < src_files[i].size; k++)
			fputc((int)(tm_rand(&s) & 0xff), fp);
		fclose(fp);
	}
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	tm_rmrf(tmp);
	return 0;
}

struct run_ctx {
	struct hasher		*h;
	const struct metainfo	*m;
	struct storage		*src;
	uint32_t		 next, ndone, nbad;
	uint8_t			 result[1024];
	bool			 checked;
};

static void on_verified(void *, uint32_t, int, uint8_t *);

static void
feed(struct run_ctx *c)
{
	uint8_t *buf;

	while (c->next < c->m->npieces && (buf = hasher_buf_get(c->h))) {
		uint32_t p = c->next++;

		assert_int_equal(storage_read(c->src,
		    (uint64_t)p * c->m->piece_len, tm_piece_size(c->m, p), buf),
		    0);
		assert_int_equal(hasher_submit(c->h, p, buf, on_verified, c),
		    0);
	}
}

static void
on_verified(void *arg, uint32_t piece, int status, uint8_t *buf)
{
	struct run_ctx *c = arg;

	(void)piece;
	if (status != 0)
		c->nbad++;
	hasher_buf_put(c->h, buf);
	if (++c->ndone == c->m->npieces)
		hasher_close(c->h, NULL, NULL);
	else
		feed(c);
}

static void
on_checked(void *arg, int status, const uint8_t *result)
{
	struct run_ctx *c = arg;

	assert_int_equal(status, 0);
	memcpy(c->result, result, c->m->npieces);
	c->checked = true;
	hasher_close(c->h, NULL, NULL);
}

/* Regular files under dir, relative, sorted, joined by '\n'. */
static void
list_files(const char *dir, char *out, size_t outsz)
{
	char cmd[PATH_MAX + 64];
	FILE *p;
	size_t n;

	snprintf(cmd, sizeof(cmd), "cd '%s' && find . -type f | sort", dir);
	p = popen(cmd, "r");
	assert_non_null(p);
	n = fread(out, 1, outsz - 1, p);
	out[n] = '\0';
	pclose(p);
}

static void
check_torrent(const char *torrent, bool want_pads)
{
	char path[PATH_MAX], a[4096], b[4096], rec[PATH_MAX];
	struct resume_plan plan;
	struct run_ctx c;
	struct metainfo *m;
	struct meta_error err;
	struct storage *dst, *cache;
	uv_loop_t loop;
	bool pads = false;

	assert_int_equal(meta_load_file(torrent, &m, &err), 0);
	assert_true(m->npieces <= sizeof(c.result));
	for (uint32_t i = 0; i < m->nfiles; i++)
		pads |= (m->files[i].attr & META_ATTR_PAD) != 0;
	assert_int_equal(pads, want_pads);

	/* Download from the originals into dl/ through the hasher. */
	memset(&c, 0, sizeof(c));
	c.m = m;
	snprintf(path, sizeof(path), "%s/src", tmp);
	assert_int_equal(storage_open(m, STORAGE_DOWNLOAD, path,
	    STORAGE_RDONLY, &c.src), 0);
	snprintf(path, sizeof(path), "%s/dl", tmp);
	run("rm -rf '%s' && mkdir '%s'", path, path);
	assert_int_equal(storage_open(m, STORAGE_DOWNLOAD, path, 0, &dst), 0);
	assert_int_equal(uv_loop_init(&loop), 0);
	assert_int_equal(hasher_new(&loop, m, dst, 0, 4, &c.h), 0);
	feed(&c);
	assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
	assert_int_equal(c.ndone, m->npieces);
	assert_int_equal(c.nbad, 0);
	snprintf(rec, sizeof(rec), "%s/state/resume", tmp);
	{
		struct bitfield all;

		assert_int_equal(bitfield_init(&all, m->npieces), 0);
		bitfield_set_all(&all);
		assert_int_equal(resume_save(rec, m, dst, &all), 0);
		bitfield_fini(&all);
	}
	storage_close(dst);

	/* Same files, same bytes, no pad file: diff -r and the file lists. */
	run("diff -r '%s/src/top' '%s/dl/top'", tmp, tmp);
	snprintf(path, sizeof(path), "%s/src", tmp);
	list_files(path, a, sizeof(a));
	snprintf(path, sizeof(path), "%s/dl", tmp);
	list_files(path, b, sizeof(b));
	assert_string_equal(a, b);

	/* Reopened: the record is trusted whole, nothing to recheck. */
	assert_int_equal(storage_open(m, STORAGE_DOWNLOAD, path, 0, &dst), 0);
	assert_int_equal(resume_load(rec, m, dst, 0, &plan), 0);
	assert_int_equal(plan.record, 0);
	assert_int_equal(bitfield_count(&plan.have), m->npieces);
	assert_int_equal(bitfield_count(&plan.check), 0);
	resume_plan_fini(&plan);
	storage_close(dst);

	/* The seed check of the originals: every piece good. */
	memset(&c.result, 0, sizeof(c.result));
	assert_int_equal(resume_load(NULL, m, c.src, RESUME_FORCE_CHECK,
	    &plan), 0);
	assert_int_equal(bitfield_count(&plan.check), m->npieces);
	assert_int_equal(hasher_new(&loop, m, c.src, 0, 2, &c.h), 0);
	assert_int_equal(hasher_recheck(c.h, &plan.check, on_checked, &c,
	    NULL), 0);
	assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
	assert_true(c.checked);
	for (uint32_t p = 0; p < m->npieces; p++)
		assert_int_equal(c.result[p], HASHER_GOOD);
	resume_plan_fini(&plan);

	/* The cache layout holds the same torrent bytes. */
	snprintf(path, sizeof(path), "%s/cache", tmp);
	assert_int_equal(storage_open(m, STORAGE_CACHE, path, 0, &cache), 0);
	{
		uint8_t *x = malloc(m->total), *y = malloc(m->total);

		assert_int_equal(storage_read(c.src, 0, m->total, x), 0);
		for (uint32_t p = 0; p < m->npieces; p++)
			assert_int_equal(storage_write_piece(cache, p,
			    x + (uint64_t)p * m->piece_len), 0);
		assert_int_equal(storage_read(cache, 0, m->total, y), 0);
		assert_memory_equal(x, y, m->total);
		free(x);
		free(y);
	}
	storage_close(cache);
	run("rm -rf '%s/cache'", tmp);

	assert_int_equal(uv_loop_close(&loop), 0);
	storage_close(c.src);
	meta_free(m);
}

static void
test_storage_interop_mktorrent(void **state)
{
	char torrent[PATH_MAX];

	(void)state;
	snprintf(torrent, sizeof(torrent), "%s/m.torrent", tmp);
	run("mktorrent -l 15 -a http://127.0.0.1:1/announce -o '%s' "
	    "'%s/src/top' >/dev/null", torrent, tmp);
	check_torrent(torrent, false);
}

static void
test_storage_interop_libtorrent_pads(void **state)
{
	char script[PATH_MAX], torrent[PATH_MAX];
	FILE *fp;

	(void)state;
	snprintf(script, sizeof(script), "%s/mk.py", tmp);
	snprintf(torrent, sizeof(torrent), "%s/lt.torrent", tmp);
	fp = fopen(script, "w");
	fputs("import sys, libtorrent as lt\n"
	    "fs = lt.file_storage()\n"
	    "lt.add_files(fs, sys.argv[1] + '/src/top')\n"
	    "t = lt.create_torrent(fs, 32768)\n"
	    "lt.set_piece_hashes(t, sys.argv[1] + '/src')\n"
	    "open(sys.argv[2], 'wb').write(lt.bencode(t.generate()))\n", fp);
	fclose(fp);
	run("/usr/bin/python3 '%s' '%s' '%s'", script, tmp, torrent);
	check_torrent(torrent, true);
}

/* Single file: DIR/NAME. */
static void
test_storage_interop_single(void **state)
{
	char torrent[PATH_MAX], path[PATH_MAX];
	struct storage *src;
	struct metainfo *m;
	struct meta_error err;

	(void)state;
	snprintf(torrent, sizeof(torrent), "%s/s.torrent", tmp);
	run("mktorrent -l 15 -a http://127.0.0.1:1/a -o '%s' "
	    "'%s/src/top/sub/c.bin' >/dev/null", torrent, tmp);
	assert_int_equal(meta_load_file(torrent, &m, &err), 0);
	assert_false(m->multi);
	snprintf(path, sizeof(path), "%s/src/top/sub", tmp);
	assert_int_equal(storage_open(m, STORAGE_DOWNLOAD, path,
	    STORAGE_RDONLY, &src), 0);
	for (uint32_t p = 0; p < m->npieces; p++) {
		uint8_t buf[32768], md[20];
		uint32_t n = tm_piece_size(m, p);

		assert_int_equal(storage_read(src, (uint64_t)p * m->piece_len,
		    n, buf), 0);
		sha1(buf, n, md);
		assert_memory_equal(md, meta_piece_hash(m, p), 20);
	}
	storage_close(src);
	meta_free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_storage_interop_mktorrent,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_storage_interop_libtorrent_pads, setup, teardown),
		cmocka_unit_test_setup_teardown(test_storage_interop_single,
		    setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
