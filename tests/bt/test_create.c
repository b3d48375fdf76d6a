/*
 * Unit tests for bt/create and bt/filehash: torrents built from small trees
 * in a temporary directory, decoded again with base/bencode and checked
 * field by field, every piece hash against SHA-1 of the right bytes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/bencode.h"
#include "base/progress.h"
#include "base/sha.h"
#include "bt/create.h"
#include "bt/filehash.h"

static char tmpdir[256];

/* Deterministic bytes: file content depends on name and offset. */
static void
fill(uint8_t *p, size_t n, unsigned seed)
{
	uint32_t x = seed * 2654435761u + 1;

	for (size_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = (uint8_t)x;
	}
}

static char *
pathf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *
pathf(const char *fmt, ...)
{
	static char bufs[4][1024];
	static int next;
	char *b = bufs[next++ % 4];
	char rel[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(rel, sizeof(rel), fmt, ap);
	va_end(ap);
	snprintf(b, 1024, "%s/%s", tmpdir, rel);
	return b;
}

static void
mkdirs(const char *rel)
{
	char p[1024];

	snprintf(p, sizeof(p), "%s/%s", tmpdir, rel);
	for (char *s = p + strlen(tmpdir) + 1; *s; s++) {
		if (*s == '/') {
			*s = '\0';
			mkdir(p, 0755);
			*s = '/';
		}
	}
	mkdir(p, 0755);
}

/* Write size bytes of fill(seed) to rel; returns the bytes (to free). */
static uint8_t *
put_file(const char *rel, size_t size, unsigned seed)
{
	uint8_t *d = malloc(size ? size : 1);
	FILE *f = fopen(pathf("%s", rel), "wb");

	assert_non_null(d);
	assert_non_null(f);
	fill(d, size, seed);
	assert_int_equal(fwrite(d, 1, size, f), size);
	fclose(f);
	return d;
}

static void
rm_tree(const char *p)
{
	struct stat st;
	DIR *d;
	struct dirent *e;

	if (lstat(p, &st) != 0)
		return;
	if (!S_ISDIR(st.st_mode)) {
		unlink(p);
		return;
	}
	d = opendir(p);
	while (d && (e = readdir(d))) {
		char sub[1024];

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", p, e->d_name);
		rm_tree(sub);
	}
	if (d)
		closedir(d);
	rmdir(p);
}

static int
setup(void **state)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/vtfs-test-create.XXXXXX");
	if (!mkdtemp(tmpdir))
		return -1;
	return 0;
}

static int
teardown(void **state)
{
	rm_tree(tmpdir);
	return 0;
}

/* A built torrent, decoded. */
struct built {
	struct buf		 buf;
	struct benc_doc		 doc;
	const struct benc_node	*root, *info;
	struct create_result	 res;
};

static int
build(const char *path, const struct create_opts *o, struct built *b,
    struct create_error *err)
{
	int rc;

	memset(b, 0, sizeof(*b));
	buf_init(&b->buf, CREATE_MAX_TORRENT);
	rc = create_build(path, o, &b->buf, &b->res, err);
	if (rc)
		return rc;
	assert_int_equal(benc_decode(b->buf.data, b->buf.len,
	    &(struct benc_limits){.flags = BENC_STRICT_ORDER}, &b->doc, NULL),
	    0);
	b->root = benc_root(&b->doc);
	b->info = benc_dict_get_type(b->root, "info", BENC_DICT);
	assert_non_null(b->info);
	return 0;
}

static void
built_fini(struct built *b)
{
	benc_doc_fini(&b->doc);
	buf_fini(&b->buf);
}

static const struct benc_node *
list_at(const struct benc_node *l, unsigned i)
{
	const struct benc_node *n = benc_first(l);

	while (n && i--)
		n = benc_next(l, n);
	assert_non_null(n);
	return n;
}

static void
assert_str(const struct benc_node *n, const char *s)
{
	assert_non_null(n);
	assert_int_equal(n->type, BENC_STR);
	assert_int_equal(n->slen, strlen(s));
	assert_memory_equal(n->s, s, n->slen);
}

/* Every piece of the info dict equals SHA-1 of data[]'s bytes. */
static void
check_pieces(const struct built *b, const uint8_t *data, uint64_t total)
{
	const struct benc_node *pl = benc_dict_get_type(b->info,
	    "piece length", BENC_INT);
	const struct benc_node *pc = benc_dict_get_type(b->info, "pieces",
	    BENC_STR);
	uint64_t len, np;
	uint8_t h[SHA1_LEN];

	assert_non_null(pl);
	assert_non_null(pc);
	len = (uint64_t)pl->i;
	np = (total + len - 1) / len;
	assert_int_equal(pc->slen, np * SHA1_LEN);
	assert_int_equal(b->res.npieces, np);
	for (uint64_t i = 0; i < np; i++) {
		uint64_t n = total - i * len < len ? total - i * len : len;

		sha1(data + i * len, n, h);
		assert_memory_equal(pc->s + i * SHA1_LEN, h, SHA1_LEN);
	}
	sha1(benc_raw(&b->doc, b->info), b->info->len, h);
	assert_memory_equal(b->res.info_hash, h, SHA1_LEN);
}

static void
test_create_auto_piece_len(void **state)
{
	static const struct {
		uint64_t total;
		uint32_t len;
	} cases[] = {
	    {0, 16 << 10},
	    {1, 16 << 10},
	    {(uint64_t)2000 * (16 << 10), 16 << 10},
	    {(uint64_t)2000 * (16 << 10) + 1, 32 << 10},
	    {(uint64_t)700 << 20, 512 << 10},
	    {(uint64_t)1 << 30, 1 << 20},
	    {(uint64_t)2000 << 20, 1 << 20},
	    {((uint64_t)2000 << 20) + 1, 2 << 20},
	    {(uint64_t)32000 << 20, 16 << 20},
	    {(uint64_t)1 << 40, 16 << 20},	/* clamped: 65536 pieces */
	    {UINT64_MAX / 2, 16 << 20},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint32_t got = create_auto_piece_len(cases[i].total);
		uint64_t np = (cases[i].total + got - 1) / got;

		assert_int_equal(got, cases[i].len);
		/* 1,000 to 2,000 pieces unless clamped at either end. */
		if (got > (16u << 10) && got < (16u << 20))
			assert_true(np > 1000 && np <= 2000);
	}
}

static void
test_create_piece_len_ok(void **state)
{
	assert_true(create_piece_len_ok(16 << 10));
	assert_true(create_piece_len_ok(1 << 20));
	assert_true(create_piece_len_ok(128u << 20));
	assert_false(create_piece_len_ok(0));
	assert_false(create_piece_len_ok(8 << 10));
	assert_false(create_piece_len_ok(256u << 20));
	assert_false(create_piece_len_ok(48 << 10));
	assert_false(create_piece_len_ok((1 << 20) + 1));
}

static void
test_create_check_url(void **state)
{
	static const struct {
		const char *url;
		bool web_seed;
		int rc;
	} cases[] = {
	    {"http://tracker.lan/announce", false, 0},
	    {"https://tracker.lan:8443/announce?k=1", false, 0},
	    {"udp://tracker.lan:6969", false, 0},
	    {"udp://127.0.0.1:6969/announce", false, 0},
	    {"http://[::1]:8080/announce", false, 0},
	    {"http://files.lan/pub/", true, 0},
	    {"https://files.lan/pub/x.iso", true, 0},
	    {"", false, -EINVAL},
	    {"tracker.lan/announce", false, -EINVAL},
	    {"ftp://tracker.lan/announce", false, -EINVAL},
	    {"ws://tracker.lan/announce", false, -EINVAL},
	    {"http://", false, -EINVAL},
	    {"http:///announce", false, -EINVAL},
	    {"http:/tracker.lan/announce", false, -EINVAL},
	    {"udp://tracker.lan", false, -EINVAL},
	    {"udp://tracker.lan/announce", false, -EINVAL},
	    {"http://tracker.lan/a b", false, -EINVAL},
	    {" http://tracker.lan/a", false, -EINVAL},
	    {"http://tracker.lan/a\n", false, -EINVAL},
	    {"http://tracker.lan:99999/a", false, -EINVAL},
	    {"javascript:alert(1)", false, -EINVAL},
	    {"udp://files.lan:80/", true, -EINVAL},
	    {"file:///etc/passwd", true, -EINVAL},
	};
	struct create_error err;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = create_check_url(cases[i].url, cases[i].web_seed,
		    &err);

		if (rc != cases[i].rc)
			fail_msg("case %zu \"%s\": rc %d, want %d", i,
			    cases[i].url, rc, cases[i].rc);
		if (rc)
			assert_true(strlen(err.msg) > 0);
	}
	assert_int_equal(create_check_url(NULL, false, &err), -EINVAL);
}

/*
 * A tree whose files are in a different order by full path than by
 * component, with hidden, empty and nested files, a symlink (skipped) and
 * an empty directory (left out); 16 KiB pieces span several files.
 */
static void
test_create_multi_sorted_and_hashed(void **state)
{
	static const struct {
		const char *rel;
		size_t size;
	} files[] = {	/* in the expected torrent order */
	    {".hidden", 1000},
	    {"a/z", 20000},
	    {"a.txt", 5000},
	    {"b", 0},
	    {"sub/deep/x", 40000},
	    {"sub/deep/y", 16384},
	    {"sub/e", 0},
	    {"zz", 3},
	};
	const size_t nf = sizeof(files) / sizeof(files[0]);
	struct create_opts o = {.piece_len = 16 << 10, .no_date = true};
	struct create_error err;
	const struct benc_node *fl;
	uint8_t *all = NULL;
	uint64_t total = 0;
	struct built b;

	mkdirs("t/a");
	mkdirs("t/sub/deep");
	mkdirs("t/empty/inner");
	for (size_t i = 0; i < nf; i++) {
		char rel[64];
		uint8_t *d;

		snprintf(rel, sizeof(rel), "t/%s", files[i].rel);
		d = put_file(rel, files[i].size, (unsigned)i + 1);
		all = realloc(all, total + files[i].size + 1);
		memcpy(all + total, d, files[i].size);
		total += files[i].size;
		free(d);
	}
	assert_int_equal(symlink("a.txt", pathf("t/link")), 0);

	assert_int_equal(build(pathf("t"), &o, &b, &err), 0);
	assert_true(b.res.multi);
	assert_int_equal(b.res.nfiles, nf);
	assert_int_equal(b.res.nskipped, 1);	/* the symlink */
	assert_int_equal(b.res.total, total);
	assert_str(benc_dict_get(b.info, "name"), "t");
	assert_null(benc_dict_get(b.info, "length"));
	assert_null(benc_dict_get(b.info, "private"));
	assert_null(benc_dict_get(b.root, "creation date"));
	assert_null(benc_dict_get(b.root, "announce"));
	assert_str(benc_dict_get(b.root, "created by"), "vtfs/" VTFS_VERSION);
	fl = benc_dict_get_type(b.info, "files", BENC_LIST);
	assert_non_null(fl);
	assert_int_equal(fl->count, nf);
	for (size_t i = 0; i < nf; i++) {
		const struct benc_node *f = list_at(fl, (unsigned)i);
		const struct benc_node *path = benc_dict_get_type(f, "path",
		    BENC_LIST);
		char joined[128] = "";

		assert_int_equal(benc_dict_get_type(f, "length",
		    BENC_INT)->i, (int64_t)files[i].size);
		for (const struct benc_node *c = benc_first(path); c;
		     c = benc_next(path, c)) {
			if (joined[0])
				strcat(joined, "/");
			strncat(joined, (const char *)c->s, c->slen);
		}
		assert_string_equal(joined, files[i].rel);
	}
	check_pieces(&b, all, total);
	built_fini(&b);
	free(all);
}

static void
test_create_single_file(void **state)
{
	struct create_opts o = {.no_date = true};
	struct create_error err;
	uint8_t *d = put_file("one.bin", 100000, 7);
	struct built b;

	assert_int_equal(build(pathf("one.bin"), &o, &b, &err), 0);
	assert_false(b.res.multi);
	assert_int_equal(b.res.nfiles, 1);
	assert_null(benc_dict_get(b.info, "files"));
	assert_int_equal(benc_dict_get_type(b.info, "length", BENC_INT)->i,
	    100000);
	assert_str(benc_dict_get(b.info, "name"), "one.bin");
	/* Automatic: 100000 bytes fit in 7 pieces of 16 KiB. */
	assert_int_equal(b.res.piece_len, 16 << 10);
	check_pieces(&b, d, 100000);
	built_fini(&b);

	/* The same data under another name and a trailing slash. */
	o.name = "renamed";
	assert_int_equal(build(pathf("one.bin"), &o, &b, &err), 0);
	assert_str(benc_dict_get(b.info, "name"), "renamed");
	check_pieces(&b, d, 100000);
	built_fini(&b);
	free(d);
}

static void
test_create_trackers_private_webseeds(void **state)
{
	static const char *const trackers[] = {
	    "http://t1.lan/announce", "udp://t2.lan:6969", "https://t3/a",
	};
	static const char *const seeds[] = {"http://w1/", "https://w2/x/"};
	struct create_opts o = {
		.trackers = trackers, .ntrackers = 3,
		.web_seeds = seeds, .nweb_seeds = 2,
		.is_private = true, .comment = "hello \xc3\xa9t\xc3\xa9",
		.date = 1700000000, .created_by = "test/1",
	};
	struct create_error err;
	const struct benc_node *al, *ul;
	uint8_t *d = put_file("p.bin", 50000, 3);
	struct built b;

	assert_int_equal(build(pathf("p.bin"), &o, &b, &err), 0);
	assert_str(benc_dict_get(b.root, "announce"), trackers[0]);
	al = benc_dict_get_type(b.root, "announce-list", BENC_LIST);
	assert_non_null(al);
	assert_int_equal(al->count, 3);
	for (unsigned i = 0; i < 3; i++) {
		const struct benc_node *tier = list_at(al, i);

		assert_int_equal(tier->type, BENC_LIST);
		assert_int_equal(tier->count, 1);
		assert_str(list_at(tier, 0), trackers[i]);
	}
	ul = benc_dict_get_type(b.root, "url-list", BENC_LIST);
	assert_non_null(ul);
	assert_int_equal(ul->count, 2);
	assert_str(list_at(ul, 0), seeds[0]);
	assert_str(list_at(ul, 1), seeds[1]);
	assert_int_equal(benc_dict_get_type(b.info, "private", BENC_INT)->i,
	    1);
	assert_str(benc_dict_get(b.root, "comment"), o.comment);
	assert_str(benc_dict_get(b.root, "created by"), "test/1");
	assert_int_equal(benc_dict_get_type(b.root, "creation date",
	    BENC_INT)->i, 1700000000);
	check_pieces(&b, d, 50000);
	built_fini(&b);

	/* One tracker: "announce" only, no announce-list. */
	o.ntrackers = 1;
	o.nweb_seeds = 0;
	o.is_private = false;
	assert_int_equal(build(pathf("p.bin"), &o, &b, &err), 0);
	assert_str(benc_dict_get(b.root, "announce"), trackers[0]);
	assert_null(benc_dict_get(b.root, "announce-list"));
	assert_null(benc_dict_get(b.root, "url-list"));
	assert_null(benc_dict_get(b.info, "private"));
	built_fini(&b);
	free(d);
}

/* The same tree gives the same bytes, whatever the thread count. */
static void
test_create_deterministic(void **state)
{
	struct create_opts o = {.no_date = true, .piece_len = 16 << 10};
	struct create_error err;
	struct built b1, b2;

	mkdirs("det/x");
	free(put_file("det/x/1", 70001, 1));
	free(put_file("det/2", 33333, 2));
	o.nthreads = 1;
	assert_int_equal(build(pathf("det"), &o, &b1, &err), 0);
	o.nthreads = 5;
	assert_int_equal(build(pathf("det"), &o, &b2, &err), 0);
	assert_int_equal(b1.buf.len, b2.buf.len);
	assert_memory_equal(b1.buf.data, b2.buf.data, b1.buf.len);
	built_fini(&b1);
	built_fini(&b2);
}

static void
expect_error(const char *path, const struct create_opts *o, int want)
{
	struct create_error err;
	struct built b;
	int rc = build(path, o, &b, &err);

	if (rc != want)
		fail_msg("%s: rc %d, want %d (%s)", path, rc, want, err.msg);
	assert_true(strlen(err.msg) > 0);
	assert_int_equal(b.buf.len, 0);
	buf_fini(&b.buf);
}

static void
test_create_errors(void **state)
{
	static const char *const bad_tracker[] = {"ftp://x/"};
	static const char *const dup_tracker[] = {"http://x/a", "http://x/a"};
	static const char *const bad_seed[] = {"udp://x:1"};
	struct create_opts o = {.no_date = true};

	free(put_file("ok.bin", 10, 1));
	mkdirs("emptydir");
	mkdirs("onlydirs/a/b");
	mkdirs("zeros");
	free(put_file("zeros/a", 0, 1));
	free(put_file("zeros/b", 0, 2));
	mkdirs("badname");
	free(put_file("badname/x\\y", 5, 1));
	mkdirs("badutf8");
	free(put_file("badutf8/\xff\xfe", 5, 1));
	mkdirs("links");
	assert_int_equal(symlink("/etc/passwd", pathf("links/l")), 0);

	expect_error(pathf("missing"), &o, -ENOENT);
	expect_error(pathf("emptydir"), &o, -ENOENT);
	expect_error(pathf("onlydirs"), &o, -ENOENT);
	expect_error(pathf("links"), &o, -ENOENT);	/* links skipped */
	expect_error(pathf("zeros"), &o, -EINVAL);
	expect_error(pathf("badname"), &o, -EINVAL);
	expect_error(pathf("badutf8"), &o, -EINVAL);
	expect_error("/dev/null", &o, -EINVAL);

	o.trackers = bad_tracker;
	o.ntrackers = 1;
	expect_error(pathf("ok.bin"), &o, -EINVAL);
	o.trackers = dup_tracker;
	o.ntrackers = 2;
	expect_error(pathf("ok.bin"), &o, -EINVAL);
	o.ntrackers = 0;
	o.web_seeds = bad_seed;
	o.nweb_seeds = 1;
	expect_error(pathf("ok.bin"), &o, -EINVAL);
	o.nweb_seeds = 0;
	o.piece_len = 12345;
	expect_error(pathf("ok.bin"), &o, -EINVAL);
	o.piece_len = 0;
	o.name = "a/b";
	expect_error(pathf("ok.bin"), &o, -EINVAL);
	o.name = "..";
	expect_error(pathf("ok.bin"), &o, -EINVAL);
	o.name = NULL;
	o.comment = "\xc0\xaf";
	expect_error(pathf("ok.bin"), &o, -EINVAL);
}

static void
test_create_cancel(void **state)
{
	atomic_int cancel = 1;
	struct create_opts o = {.cancel = &cancel};

	free(put_file("c.bin", 100000, 1));
	expect_error(pathf("c.bin"), &o, -EINTR);
}

struct grower {
	const char		*path;
	struct progress		*bar;
	atomic_int		 stop;
	atomic_int		 grown;
};

/* Append to the file once hashing is well under way. */
static void *
grow(void *arg)
{
	struct grower *g = arg;
	int fd = open(g->path, O_WRONLY | O_APPEND);

	assert_true(fd >= 0);
	for (int i = 0; i < 100000 && !atomic_load(&g->stop); i++) {
		if (progress_done(g->bar) >= (16u << 20)) {
			assert_int_equal(write(fd, "x", 1), 1);
			atomic_store(&g->grown, 1);
			break;
		}
		usleep(50);
	}
	close(fd);
	return NULL;
}

/*
 * A small file (read with pread, last in the order) appended to while the
 * big one before it is hashed: -ESTALE when it is opened or rechecked.
 */
static void
test_create_file_changing(void **state)
{
	struct create_opts o = {.piece_len = 1 << 20};
	struct grower g = {.path = pathf("growdir/b.small")};
	pthread_t t;
	int fd;

	mkdirs("growdir");
	fd = open(pathf("growdir/a.big"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 512 << 20), 0);	/* sparse */
	close(fd);
	free(put_file("growdir/b.small", 1000, 1));
	g.bar = progress_new("t", 0, 0);	/* silent: no TTY */
	o.progress = g.bar;
	atomic_init(&g.stop, 0);
	atomic_init(&g.grown, 0);
	assert_int_equal(pthread_create(&t, NULL, grow, &g), 0);
	expect_error(pathf("growdir"), &o, -ESTALE);
	atomic_store(&g.stop, 1);
	pthread_join(t, NULL);
	assert_true(atomic_load(&g.grown));
	progress_free(g.bar);
	unlink(pathf("growdir/a.big"));
}

/* The file hasher refuses files that differ from what was scanned. */
static void
test_filehash_stale_and_chunks(void **state)
{
	uint8_t *d = put_file("h.bin", 100000, 9), *pieces, h[SHA1_LEN];
	struct filehash_opts ho = {.chunk = 4096, .nthreads = 3};
	struct filehash_error err;
	struct filehash_file f = {.path = pathf("h.bin")};
	struct stat st;

	assert_int_equal(stat(f.path, &st), 0);
	f.size = (uint64_t)st.st_size;
	f.mtime = st.st_mtim;
	pieces = malloc(7 * SHA1_LEN);
	/* Small preads (4 KiB) inside 16 KiB pieces. */
	assert_int_equal(filehash_run(&f, 1, 16 << 10, &ho, pieces, &err), 0);
	for (unsigned i = 0; i < 7; i++) {
		size_t n = i < 6 ? 16 << 10 : 100000 - 6 * (16 << 10);

		sha1(d + i * (16 << 10), n, h);
		assert_memory_equal(pieces + i * SHA1_LEN, h, SHA1_LEN);
	}
	f.mtime.tv_nsec ^= 1;
	assert_int_equal(filehash_run(&f, 1, 16 << 10, &ho, pieces, &err),
	    -ESTALE);
	assert_non_null(strstr(err.msg, "changed"));
	f.mtime = st.st_mtim;
	f.size++;
	assert_int_equal(filehash_run(&f, 1, 16 << 10, &ho, pieces, &err),
	    -ESTALE);
	f.path = pathf("nope");
	assert_int_equal(filehash_run(&f, 1, 16 << 10, &ho, pieces, &err),
	    -ENOENT);
	assert_int_equal(filehash_threads(0, 1), 1);
	assert_true(filehash_threads(0, 1000) >= 1);
	assert_int_equal(filehash_threads(500, 1000), FILEHASH_MAX_THREADS);
	free(pieces);
	free(d);
}

/* Mapped (>= FILEHASH_MMAP_MIN) and read files give the same pieces. */
static void
test_filehash_mmap_matches_pread(void **state)
{
	static const size_t sizes[] = {
	    1000, (5u << 20) + 123, 7, 4u << 20, 0, 20000,
	};
	const size_t nf = sizeof(sizes) / sizeof(sizes[0]);
	static const uint32_t plens[] = {16u << 10, 1u << 20, 8u << 20};
	struct filehash_file f[sizeof(sizes) / sizeof(sizes[0])];
	struct filehash_error err;
	uint8_t *all = NULL, *p1, *p2, h[SHA1_LEN];
	uint64_t total = 0;

	for (size_t i = 0; i < nf; i++) {
		char rel[32];
		uint8_t *d;
		struct stat st;

		snprintf(rel, sizeof(rel), "mm%zu", i);
		d = put_file(rel, sizes[i], (unsigned)i + 100);
		all = realloc(all, total + sizes[i] + 1);
		memcpy(all + total, d, sizes[i]);
		total += sizes[i];
		free(d);
		f[i].path = strdup(pathf("%s", rel));
		assert_int_equal(stat(f[i].path, &st), 0);
		f[i].size = (uint64_t)st.st_size;
		f[i].mtime = st.st_mtim;
	}
	for (size_t k = 0; k < sizeof(plens) / sizeof(plens[0]); k++) {
		uint32_t pl = plens[k];
		uint64_t np = (total + pl - 1) / pl;
		struct filehash_opts om = {.nthreads = 2};
		struct filehash_opts op = {.nthreads = 2, .no_mmap = true};

		p1 = malloc(np * SHA1_LEN);
		p2 = malloc(np * SHA1_LEN);
		assert_int_equal(filehash_run(f, nf, pl, &om, p1, &err), 0);
		assert_int_equal(filehash_run(f, nf, pl, &op, p2, &err), 0);
		assert_memory_equal(p1, p2, np * SHA1_LEN);
		for (uint64_t i = 0; i < np; i++) {
			uint64_t n = total - i * pl < pl ? total - i * pl : pl;

			sha1(all + i * pl, n, h);
			assert_memory_equal(p1 + i * SHA1_LEN, h, SHA1_LEN);
		}
		free(p1);
		free(p2);
	}
	for (size_t i = 0; i < nf; i++)
		free((char *)f[i].path);
	free(all);
}

struct truncator {
	const char		*path;
	struct progress		*bar;
	atomic_int		 done;
};

/* Truncate the file once the file hasher is well into it. */
static void *
truncate_later(void *arg)
{
	struct truncator *t = arg;

	for (int i = 0; i < 20000 && !atomic_load(&t->done); i++) {
		if (progress_done(t->bar) >= (64u << 20)) {
			assert_int_equal(truncate(t->path, 1 << 20), 0);
			return NULL;
		}
		usleep(100);
	}
	return NULL;
}

/* A mapped file truncated while it is hashed: -ESTALE, not a SIGBUS death. */
static void
test_filehash_truncated_mapped_file(void **state)
{
	struct truncator t = {.path = pathf("trunc.bin")};
	struct filehash_error err;
	struct filehash_file f = {.path = t.path};
	struct filehash_opts o = {.nthreads = 2};
	uint8_t *pieces = malloc(512 * SHA1_LEN);
	struct stat st;
	pthread_t th;
	int fd = open(t.path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 512 << 20), 0);	/* sparse */
	close(fd);
	assert_int_equal(stat(t.path, &st), 0);
	f.size = (uint64_t)st.st_size;
	f.mtime = st.st_mtim;
	t.bar = progress_new("t", f.size, 0);	/* silent: no TTY */
	o.progress = t.bar;
	atomic_init(&t.done, 0);
	assert_int_equal(pthread_create(&th, NULL, truncate_later, &t), 0);
	assert_int_equal(filehash_run(&f, 1, 1 << 20, &o, pieces, &err),
	    -ESTALE);
	atomic_store(&t.done, 1);
	pthread_join(th, NULL);
	assert_non_null(strstr(err.msg, "SIGBUS"));
	progress_free(t.bar);
	free(pieces);
	unlink(t.path);
}

static int
count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		n += e->d_name[0] != '.' || (strcmp(e->d_name, ".") != 0 &&
		    strcmp(e->d_name, "..") != 0);
	closedir(d);
	return n;
}

static void
test_create_write_file(void **state)
{
	struct create_error err;
	atomic_int cancel = 0;
	char got[16] = "";
	FILE *f;

	mkdirs("out");
	assert_int_equal(create_check_output(pathf("out/a.torrent"), false,
	    &err), 0);
	assert_int_equal(create_write_file(pathf("out/a.torrent"), "one", 3,
	    false, &cancel, &err), 0);
	assert_int_equal(create_check_output(pathf("out/a.torrent"), false,
	    &err), -EEXIST);
	assert_int_equal(create_check_output(pathf("out/a.torrent"), true,
	    &err), 0);
	assert_int_equal(create_check_output(pathf("out"), true, &err),
	    -EISDIR);
	assert_int_equal(create_check_output(pathf("nodir/a.torrent"), false,
	    &err), -ENOENT);
	/* No overwrite without force: the old content stays. */
	assert_int_equal(create_write_file(pathf("out/a.torrent"), "two", 3,
	    false, &cancel, &err), -EEXIST);
	f = fopen(pathf("out/a.torrent"), "r");
	assert_non_null(fgets(got, sizeof(got), f));
	fclose(f);
	assert_string_equal(got, "one");
	assert_int_equal(create_write_file(pathf("out/a.torrent"), "three", 5,
	    true, &cancel, &err), 0);
	f = fopen(pathf("out/a.torrent"), "r");
	assert_non_null(fgets(got, sizeof(got), f));
	fclose(f);
	assert_string_equal(got, "three");
	/* Cancelled: nothing new, no temporary file left. */
	atomic_store(&cancel, 1);
	assert_int_equal(create_write_file(pathf("out/b.torrent"), "x", 1,
	    false, &cancel, &err), -EINTR);
	assert_int_equal(count_entries(pathf("out")), 1);
	assert_true(create_write_file(pathf("nodir/b.torrent"), "x", 1, false,
	    NULL, &err) < 0);
}

static void
test_create_default_name(void **state)
{
	struct create_error err;
	char *name = NULL;

	mkdirs("named");
	assert_int_equal(create_default_name(pathf("named/"), &name, &err), 0);
	assert_string_equal(name, "named");
	free(name);
	assert_int_equal(create_default_name(pathf("named//"), &name, &err),
	    0);
	assert_string_equal(name, "named");
	free(name);
	assert_int_equal(create_default_name(pathf("named/."), &name, &err),
	    0);
	assert_string_equal(name, "named");
	free(name);
	assert_int_equal(create_default_name("plain", &name, &err), 0);
	assert_string_equal(name, "plain");
	free(name);
	assert_int_equal(create_default_name("/", &name, &err), -EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_create_auto_piece_len),
	    cmocka_unit_test(test_create_piece_len_ok),
	    cmocka_unit_test(test_create_check_url),
	    cmocka_unit_test(test_create_multi_sorted_and_hashed),
	    cmocka_unit_test(test_create_single_file),
	    cmocka_unit_test(test_create_trackers_private_webseeds),
	    cmocka_unit_test(test_create_deterministic),
	    cmocka_unit_test(test_create_errors),
	    cmocka_unit_test(test_create_cancel),
	    cmocka_unit_test(test_create_file_changing),
	    cmocka_unit_test(test_filehash_stale_and_chunks),
	    cmocka_unit_test(test_filehash_mmap_matches_pread),
	    cmocka_unit_test(test_filehash_truncated_mapped_file),
	    cmocka_unit_test(test_create_write_file),
	    cmocka_unit_test(test_create_default_name),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
