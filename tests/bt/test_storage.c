/*
 * Unit tests for bt/storage: both layouts on a real filesystem (temp dirs),
 * pieces across file boundaries, pad and empty files, hostile symlinks,
 * wrong sizes, the fd pool under a low RLIMIT_NOFILE, threads.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sys/resource.h>

#include "base/bytes.h"
#include "bt/storage.h"
#include "testmeta.h"

#define PL 16384u

/* Multi-file: pieces cross files, a pad, an empty file, a nested dir. */
static const struct tm_file multi_files[] = {
	{"a.bin", 20000, 0},
	{".pad/12768", 12768, META_ATTR_PAD},
	{"sub/b.bin", 5000, 0},
	{"sub/empty", 0, 0},
	{"sub/deep/c.bin", 40000, 0},
	{"d.bin", 1, 0},
};
#define NMULTI (sizeof(multi_files) / sizeof(multi_files[0]))

struct fixture {
	char		 dir[64];
	struct metainfo	*m;
	uint8_t		*data;
};

static int
setup_multi(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	tm_tmpdir(f->dir);
	f->m = tm_new("top", true, PL, multi_files, NMULTI, 7, &f->data);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	tm_rmrf(f->dir);
	tm_free(f->m);
	free(f->data);
	free(f);
	return 0;
}

static void
write_all(struct storage *st, const struct metainfo *m, const uint8_t *data)
{
	for (uint32_t p = 0; p < m->npieces; p++)
		assert_int_equal(storage_write_piece(st, p,
		    data + (uint64_t)p * m->piece_len), 0);
}

static void
check_all(struct storage *st, const struct metainfo *m, const uint8_t *data)
{
	uint8_t *buf = malloc(m->total);
	uint64_t s = 99;

	assert_int_equal(storage_read(st, 0, m->total, buf), 0);
	assert_memory_equal(buf, data, m->total);
	/* Random ranges, many of them across file and piece boundaries. */
	for (int i = 0; i < 300; i++) {
		uint64_t off = tm_rand(&s) % m->total;
		size_t len = (size_t)(tm_rand(&s) % (m->total - off + 1));

		assert_int_equal(storage_read(st, off, len, buf), 0);
		assert_memory_equal(buf, data + off, len);
	}
	free(buf);
}

static void
test_storage_cache_layout(void **state)
{
	struct fixture *f = *state;
	char root[256], path[PATH_MAX], hex[41];
	struct storage *st;
	struct stat sb;
	size_t len;
	uint8_t *disk;
	int fd;
	off_t d;

	snprintf(root, sizeof(root), "%s/cache/nested", f->dir);
	assert_int_equal(storage_open(f->m, STORAGE_CACHE, root, 0, &st), 0);
	hex_encode(f->m->info_hash, 20, hex);
	snprintf(path, sizeof(path), "%s/%s", root, hex);
	assert_string_equal(storage_path(st), path);
	assert_int_equal(storage_nslots(st), 1);
	write_all(st, f->m, f->data);
	check_all(st, f->m, f->data);
	assert_int_equal(storage_sync(st), 0);
	storage_close(st);

	/* One file of the torrent's bytes at their offsets; nothing else. */
	snprintf(path, sizeof(path), "%s/%s/data", root, hex);
	disk = tm_slurp(path, &len);
	assert_non_null(disk);
	assert_int_equal(len, f->m->total);
	assert_memory_equal(disk, f->data, len);
	free(disk);
	snprintf(path, sizeof(path), "%s/%s/sub", root, hex);
	assert_int_equal(stat(path, &sb), -1);
	snprintf(path, sizeof(path), "%s/a.bin", root);
	assert_int_equal(stat(path, &sb), -1);

	/* The pad range was never written: a hole from its first block. */
	snprintf(path, sizeof(path), "%s/%s/data", root, hex);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	d = lseek(fd, 20480, SEEK_DATA);
	assert_int_equal(d, 32768);
	close(fd);

	/* Reopen: data kept, still readable. */
	assert_int_equal(storage_open(f->m, STORAGE_CACHE, root, 0, &st), 0);
	check_all(st, f->m, f->data);
	storage_close(st);
}

static void
test_storage_download_multi(void **state)
{
	struct fixture *f = *state;
	char path[PATH_MAX];
	struct storage *st;
	struct stat sb;
	uint8_t *disk;
	size_t len;

	assert_int_equal(storage_open(f->m, STORAGE_DOWNLOAD, f->dir, 0, &st),
	    0);
	snprintf(path, sizeof(path), "%s/top", f->dir);
	assert_string_equal(storage_path(st), path);
	assert_int_equal(storage_nslots(st), NMULTI);
	write_all(st, f->m, f->data);
	check_all(st, f->m, f->data);
	storage_close(st);

	for (uint32_t i = 0; i < NMULTI; i++) {
		snprintf(path, sizeof(path), "%s/top/%s", f->dir,
		    multi_files[i].path);
		if (multi_files[i].attr & META_ATTR_PAD) {
			assert_int_equal(stat(path, &sb), -1);
			continue;
		}
		disk = tm_slurp(path, &len);
		assert_non_null(disk);
		assert_int_equal(len, multi_files[i].size);
		assert_memory_equal(disk, f->data + f->m->files[i].offset,
		    len);
		free(disk);
	}
	snprintf(path, sizeof(path), "%s/top/.pad", f->dir);
	assert_int_equal(stat(path, &sb), -1);
	snprintf(path, sizeof(path), "%s/top/sub/empty", f->dir);
	assert_int_equal(stat(path, &sb), 0);
	assert_true(S_ISREG(sb.st_mode));
	assert_int_equal(sb.st_size, 0);
}

static void
test_storage_download_single(void **state)
{
	static const struct tm_file one[] = {{"movie.mkv", 70001, 0}};
	char dir[64], path[PATH_MAX];
	struct metainfo *m;
	struct storage *st;
	uint8_t *data, *disk;
	size_t len;

	(void)state;
	tm_tmpdir(dir);
	m = tm_new("movie.mkv", false, PL, one, 1, 3, &data);
	assert_int_equal(storage_open(m, STORAGE_DOWNLOAD, dir, 0, &st), 0);
	assert_string_equal(storage_path(st), dir);
	write_all(st, m, data);
	check_all(st, m, data);
	storage_close(st);
	snprintf(path, sizeof(path), "%s/movie.mkv", dir);
	disk = tm_slurp(path, &len);
	assert_non_null(disk);
	assert_int_equal(len, 70001);
	assert_memory_equal(disk, data, len);
	free(disk);
	tm_rmrf(dir);
	tm_free(m);
	free(data);
}

/* A file outside the store that a planted symlink points to. */
static void
make_victim(const char *dir, char *out, size_t outsz)
{
	FILE *fp;

	snprintf(out, outsz, "%s/victim", dir);
	fp = fopen(out, "w");
	assert_non_null(fp);
	fputs("precious", fp);
	fclose(fp);
}

static void
assert_victim_intact(const char *victim)
{
	struct stat sb;

	assert_int_equal(stat(victim, &sb), 0);
	assert_int_equal(sb.st_size, 8);
}

/* A symlink planted inside DIR/NAME is refused, not followed. */
static void
test_storage_symlink_dir_refused(void **state)
{
	struct fixture *f = *state;
	char out[PATH_MAX], top[PATH_MAX], link[PATH_MAX], path[PATH_MAX];
	struct storage *st;
	DIR *d;
	struct dirent *e;
	int n = 0;

	snprintf(out, sizeof(out), "%s/outside", f->dir);
	assert_int_equal(mkdir(out, 0755), 0);
	snprintf(top, sizeof(top), "%s/dl", f->dir);
	assert_int_equal(mkdir(top, 0755), 0);
	snprintf(path, sizeof(path), "%s/dl/top", f->dir);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(link, sizeof(link), "%s/dl/top/sub", f->dir);
	assert_int_equal(symlink(out, link), 0);

	assert_int_equal(storage_open(f->m, STORAGE_DOWNLOAD, top, 0, &st),
	    -ELOOP);
	assert_int_equal(storage_open(f->m, STORAGE_DOWNLOAD, top,
	    STORAGE_RDONLY, &st), -ELOOP);
	d = opendir(out);
	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	assert_int_equal(n, 0);
}

static void
test_storage_symlink_file_refused(void **state)
{
	struct fixture *f = *state;
	char victim[PATH_MAX], top[PATH_MAX], link[PATH_MAX];
	struct storage *st;

	make_victim(f->dir, victim, sizeof(victim));
	snprintf(top, sizeof(top), "%s/dl", f->dir);
	assert_int_equal(mkdir(top, 0755), 0);
	snprintf(link, sizeof(link), "%s/dl/top", f->dir);
	assert_int_equal(mkdir(link, 0755), 0);
	snprintf(link, sizeof(link), "%s/dl/top/d.bin", f->dir);
	assert_int_equal(symlink(victim, link), 0);

	assert_int_equal(storage_open(f->m, STORAGE_DOWNLOAD, top, 0, &st),
	    -ELOOP);
	assert_victim_intact(victim);

	/* DIR/NAME itself a symlink to elsewhere: refused too. */
	assert_int_equal(unlink(link), 0);
	snprintf(link, sizeof(link), "%s/dl/top", f->dir);
	tm_rmrf(link);
	assert_int_equal(symlink(f->dir, link), 0);
	assert_int_equal(storage_open(f->m, STORAGE_DOWNLOAD, top, 0, &st),
	    -ELOOP);
}

/* The cache layout: <root>/<hex> or its data file planted as symlinks. */
static void
test_storage_cache_symlinks_refused(void **state)
{
	struct fixture *f = *state;
	char root[256], path[PATH_MAX], victim[PATH_MAX], hex[41];
	struct storage *st;

	snprintf(root, sizeof(root), "%s/cache", f->dir);
	make_victim(f->dir, victim, sizeof(victim));
	hex_encode(f->m->info_hash, 20, hex);
	snprintf(path, sizeof(path), "%s/%s", root, hex);
	assert_int_equal(storage_mkdir_p(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/%s/data", root, hex);
	assert_int_equal(symlink(victim, path), 0);
	assert_int_equal(storage_open(f->m, STORAGE_CACHE, root, 0, &st),
	    -ELOOP);
	assert_victim_intact(victim);

	snprintf(path, sizeof(path), "%s/%s", root, hex);
	tm_rmrf(path);
	assert_int_equal(symlink(f->dir, path), 0);
	assert_int_equal(storage_open(f->m, STORAGE_CACHE, root, 0, &st),
	    -ELOOP);
}

/* --no-keep: the cache's data and its directory go; never a download. */
static void
test_storage_close_and_remove(void **state)
{
	struct fixture *f = *state;
	char root[256];
	struct storage *st;
	struct stat sb;

	snprintf(root, sizeof(root), "%s/cache", f->dir);
	assert_int_equal(storage_open(f->m, STORAGE_CACHE, root, 0, &st), 0);
	write_all(st, f->m, f->data);
	assert_int_equal(stat(storage_path(st), &sb), 0);
	assert_int_equal(storage_close_and_remove(st), 0);
	assert_int_equal(rmdir(root), 0);	/* empty: <hex> is gone */

	assert_int_equal(storage_open(f->m, STORAGE_DOWNLOAD, f->dir, 0, &st),
	    0);
	assert_int_equal(storage_close_and_remove(st), -ENOTSUP);
	snprintf(root, sizeof(root), "%s/top/a.bin", f->dir);
	assert_int_equal(stat(root, &sb), 0);
}

/* A directory where a file goes, or a FIFO: refused without blocking. */
static void
test_storage_not_regular_refused(void **state)
{
	struct fixture *f = *state;
	char path[PATH_MAX];
	struct storage *st;

	snprintf(path, sizeof(path), "%s/top", f->dir);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/top/d.bin", f->dir);
	assert_int_equal(mkfifo(path, 0644), 0);
	assert_int_equal(storage_open(f->m, STORAGE_DOWNLOAD, f->dir, 0, &st),
	    -EEXIST);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(mkdir(path, 0755), 0);
	assert_int_equal(storage_open(f->m, STORAGE_DOWNLOAD, f->dir, 0, &st),
	    -EEXIST);
}

/* Files that exist with the wrong size are fixed, keeping their data. */
static void
test_storage_wrong_sizes_fixed(void **state)
{
	struct fixture *f = *state;
	char path[PATH_MAX];
	struct storage *st;
	struct stat sb;
	uint8_t buf[64];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/top", f->dir);
	assert_int_equal(mkdir(path, 0755), 0);
	/* a.bin too long (extra junk), d.bin too short (nothing). */
	snprintf(path, sizeof(path), "%s/top/a.bin", f->dir);
	fp = fopen(path, "w");
	fwrite(f->data, 1, 64, fp);
	for (int i = 0; i < 30000; i++)
		fputc('x', fp);
	fclose(fp);
	snprintf(path, sizeof(path), "%s/top/d.bin", f->dir);
	fp = fopen(path, "w");
	fclose(fp);

	assert_int_equal(storage_open(f->m, STORAGE_DOWNLOAD, f->dir, 0, &st),
	    0);
	assert_int_equal(storage_read(st, 0, 64, buf), 0);
	assert_memory_equal(buf, f->data, 64);
	storage_close(st);
	snprintf(path, sizeof(path), "%s/top/a.bin", f->dir);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_size, 20000);
	snprintf(path, sizeof(path), "%s/top/d.bin", f->dir);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_size, 1);
}

/* Read-only (the seed check): nothing created, missing files reported. */
static void
test_storage_rdonly_missing(void **state)
{
	struct fixture *f = *state;
	struct storage_slot_info si;
	char path[PATH_MAX];
	struct storage *st;
	struct stat sb;
	uint8_t buf[16];

	/* No DIR/NAME at all. */
	assert_int_equal(storage_open(f->m, STORAGE_DOWNLOAD, f->dir,
	    STORAGE_RDONLY, &st), -ENOENT);

	assert_int_equal(storage_open(f->m, STORAGE_DOWNLOAD, f->dir, 0, &st),
	    0);
	write_all(st, f->m, f->data);
	storage_close(st);
	snprintf(path, sizeof(path), "%s/top/sub/b.bin", f->dir);
	assert_int_equal(unlink(path), 0);

	assert_int_equal(storage_open(f->m, STORAGE_DOWNLOAD, f->dir,
	    STORAGE_RDONLY, &st), 0);
	assert_int_equal(storage_slot_info(st, 2, &si), 0);
	assert_false(si.present);
	assert_int_equal(storage_slot_info(st, 0, &si), 0);
	assert_true(si.present);
	assert_int_equal(si.disk_size, 20000);
	assert_int_equal(storage_slot_info(st, 1, &si), 0);
	assert_true(si.pad);
	assert_false(si.present);
	assert_int_equal(storage_read(st, 32768, 16, buf), -ENOENT);
	assert_int_equal(storage_read(st, 0, 16, buf), 0);
	assert_memory_equal(buf, f->data, 16);
	assert_int_equal(storage_write_piece(st, 0, f->data), -EROFS);
	storage_close(st);
	assert_int_equal(stat(path, &sb), -1);
}

static void
test_storage_bounds(void **state)
{
	struct fixture *f = *state;
	struct storage *st;
	uint8_t buf[4];

	assert_int_equal(storage_open(f->m, STORAGE_CACHE, f->dir, 0, &st), 0);
	assert_int_equal(storage_read(st, f->m->total - 2, 4, buf), -ERANGE);
	assert_int_equal(storage_read(st, f->m->total + 1, 0, buf), -ERANGE);
	assert_int_equal(storage_read(st, f->m->total, 0, buf), 0);
	assert_int_equal(storage_write_piece(st, f->m->npieces, f->data),
	    -ERANGE);
	assert_int_equal(storage_discard(st, f->m->npieces), -ERANGE);
	storage_close(st);
}

static void
test_storage_map_spans(void **state)
{
	struct fixture *f = *state;
	struct storage_span sp[8];
	struct storage *st;
	uint8_t buf[70000];
	int n;

	/* Download layout: a range over a.bin, the pad and sub/b.bin. */
	assert_int_equal(storage_open(f->m, STORAGE_DOWNLOAD, f->dir, 0, &st),
	    0);
	write_all(st, f->m, f->data);
	n = storage_map(st, 19000, 15000, sp, 8);
	assert_int_equal(n, 3);
	assert_true(sp[0].fd >= 0);
	assert_int_equal(sp[0].file_off, 19000);
	assert_int_equal(sp[0].len, 1000);
	assert_int_equal(sp[1].fd, -1);
	assert_int_equal(sp[1].len, 12768);
	assert_true(sp[2].fd >= 0);
	assert_int_equal(sp[2].file_off, 0);
	assert_int_equal(sp[2].len, 15000 - 1000 - 12768);
	assert_int_equal(pread(sp[2].fd, buf, sp[2].len, 0),
	    (ssize_t)sp[2].len);
	assert_memory_equal(buf, f->data + 32768, sp[2].len);
	storage_unmap(st, sp, (unsigned)n);
	/* max limits the spans: a prefix of the range. */
	n = storage_map(st, 19000, 15000, sp, 1);
	assert_int_equal(n, 1);
	assert_int_equal(sp[0].len, 1000);
	storage_unmap(st, sp, 1);
	storage_close(st);

	/* Cache layout: a read inside one file is one span of one fd. */
	assert_int_equal(storage_open(f->m, STORAGE_CACHE, f->dir, 0, &st), 0);
	write_all(st, f->m, f->data);
	n = storage_map(st, 37768, 40000, sp, 8);
	assert_int_equal(n, 1);
	assert_int_equal(sp[0].file_off, 37768);
	assert_int_equal(sp[0].len, 40000);
	assert_int_equal(pread(sp[0].fd, buf, 40000, 37768), 40000);
	assert_memory_equal(buf, f->data + 37768, 40000);
	storage_unmap(st, sp, 1);
	storage_close(st);
}

static int
count_data(void *arg, uint64_t off, uint64_t len)
{
	uint64_t *sum = arg;

	(void)off;
	*sum += len;
	return 0;
}

static void
test_storage_discard_and_data_ranges(void **state)
{
	struct fixture *f = *state;
	uint64_t before, after, data = 0;
	struct storage *st;
	uint8_t buf[PL];

	assert_int_equal(storage_open(f->m, STORAGE_CACHE, f->dir, 0, &st), 0);
	assert_int_equal(storage_data_ranges(st, count_data, &data), 0);
	assert_int_equal(data, 0);
	assert_int_equal(storage_write_piece(st, 3, f->data + 3 * PL), 0);
	assert_int_equal(storage_data_ranges(st, count_data, &data), 0);
	assert_int_equal(data, PL);
	write_all(st, f->m, f->data);
	assert_int_equal(storage_sync(st), 0);
	assert_int_equal(storage_disk_usage(st, &before), 0);
	assert_int_equal(storage_discard(st, 3), 0);
	assert_int_equal(storage_disk_usage(st, &after), 0);
	assert_int_equal(before - after, PL);
	assert_int_equal(storage_read(st, 3 * PL, PL, buf), 0);
	for (uint32_t i = 0; i < PL; i++)
		assert_int_equal(buf[i], 0);
	storage_close(st);

	assert_int_equal(storage_open(f->m, STORAGE_DOWNLOAD, f->dir, 0, &st),
	    0);
	assert_int_equal(storage_discard(st, 0), -ENOTSUP);
	storage_close(st);
}

/* --- many files, few fds, several writer threads --- */

#define MANY 200

struct writer {
	struct storage		*st;
	const struct metainfo	*m;
	const uint8_t		*data;
	uint32_t		 first, step;
};

static void *
writer_main(void *arg)
{
	struct writer *w = arg;
	uint8_t *buf = malloc(w->m->piece_len);

	for (uint32_t p = w->first; p < w->m->npieces; p += w->step) {
		uint64_t off = (uint64_t)p * w->m->piece_len;
		uint32_t n = tm_piece_size(w->m, p);

		if (storage_write_piece(w->st, p, w->data + off) != 0)
			abort();
		/* Read back another writer's area too: pool churn. */
		if (storage_read(w->st, off, n, buf) != 0 ||
		    memcmp(buf, w->data + off, n) != 0)
			abort();
	}
	free(buf);
	return NULL;
}

static int
count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	while ((e = readdir(d)) != NULL)
		n++;
	closedir(d);
	return n;
}

static void
test_storage_fd_pool_threads(void **state)
{
	struct tm_file files[MANY];
	char names[MANY][32], dir[64];
	struct writer w[4];
	pthread_t th[4];
	struct rlimit old, rl;
	struct metainfo *m;
	struct storage *st;
	uint8_t *data;
	int base;

	(void)state;
	for (int i = 0; i < MANY; i++) {
		snprintf(names[i], sizeof(names[i]), "d%d/f%03d", i % 7, i);
		files[i].path = names[i];
		files[i].size = 1000 + (uint64_t)i * 37;
		files[i].attr = 0;
	}
	tm_tmpdir(dir);
	m = tm_new("many", true, PL, files, MANY, 11, &data);
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
	rl = old;
	rl.rlim_cur = 128;		/* a pool of 32 fds */
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &rl), 0);
	base = count_fds();
	assert_int_equal(storage_open(m, STORAGE_DOWNLOAD, dir, 0, &st), 0);
	assert_true(count_fds() <= base + 33);
	for (int i = 0; i < 4; i++) {
		w[i] = (struct writer){st, m, data, (uint32_t)i, 4};
		assert_int_equal(pthread_create(&th[i], NULL, writer_main,
		    &w[i]), 0);
	}
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	assert_true(count_fds() <= base + 33);
	check_all(st, m, data);
	assert_int_equal(storage_sync(st), 0);
	storage_close(st);
	assert_int_equal(count_fds(), base);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
	tm_rmrf(dir);
	tm_free(m);
	free(data);
}

static void
test_storage_default_cache_root(void **state)
{
	char buf[PATH_MAX];

	(void)state;
	assert_int_equal(storage_default_cache_root(buf, sizeof(buf)), 0);
	if (geteuid() == 0)
		assert_string_equal(buf, "/var/cache/vtfs");
	assert_int_equal(storage_default_cache_root(buf, 4), -ENAMETOOLONG);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_storage_cache_layout,
		    setup_multi, teardown),
		cmocka_unit_test_setup_teardown(test_storage_download_multi,
		    setup_multi, teardown),
		cmocka_unit_test(test_storage_download_single),
		cmocka_unit_test_setup_teardown(
		    test_storage_symlink_dir_refused, setup_multi, teardown),
		cmocka_unit_test_setup_teardown(
		    test_storage_symlink_file_refused, setup_multi, teardown),
		cmocka_unit_test_setup_teardown(
		    test_storage_cache_symlinks_refused, setup_multi, teardown),
		cmocka_unit_test_setup_teardown(test_storage_close_and_remove,
		    setup_multi, teardown),
		cmocka_unit_test_setup_teardown(
		    test_storage_not_regular_refused, setup_multi, teardown),
		cmocka_unit_test_setup_teardown(test_storage_wrong_sizes_fixed,
		    setup_multi, teardown),
		cmocka_unit_test_setup_teardown(test_storage_rdonly_missing,
		    setup_multi, teardown),
		cmocka_unit_test_setup_teardown(test_storage_bounds,
		    setup_multi, teardown),
		cmocka_unit_test_setup_teardown(test_storage_map_spans,
		    setup_multi, teardown),
		cmocka_unit_test_setup_teardown(
		    test_storage_discard_and_data_ranges, setup_multi,
		    teardown),
		cmocka_unit_test(test_storage_fd_pool_threads),
		cmocka_unit_test(test_storage_default_cache_root),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
