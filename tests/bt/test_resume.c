/*
 * Unit tests for bt/resume: the record's round trip, every way a record
 * can be unusable (missing, corrupt, truncated, for another torrent, spare
 * bits), a data file changed behind our back, a "kill" between periodic
 * saves (record + recheck on the real hasher give the exact bitfield), the
 * per-file report, the async save on a real loop.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <sys/wait.h>

#include "base/bitfield.h"
#include "base/bytes.h"
#include "bt/hasher.h"
#include "bt/resume.h"
#include "bt/storage.h"
#include "testmeta.h"

#define PL 16384u

static const struct tm_file files[] = {
	{"a", 40000, 0},
	{".pad/9152", 9152, META_ATTR_PAD},	/* a + pad = 3 pieces */
	{"b", 30000, 0},			/* pieces 3-4 */
	{"empty", 0, 0},
	{"c", 70000, 0},			/* pieces 4-9 */
};
#define NFILES (sizeof(files) / sizeof(files[0]))

struct fx {
	char		 dir[64];
	char		 rec[PATH_MAX];
	struct metainfo	*m;
	uint8_t		*data;
	struct storage	*st;
	enum storage_layout layout;
	struct bitfield	 have;		/* what the test wrote and trusts */
};

static int
setup(void **state, enum storage_layout layout)
{
	struct fx *f = calloc(1, sizeof(*f));

	tm_tmpdir(f->dir);
	f->m = tm_new("t", true, PL, files, NFILES, 21, &f->data);
	f->layout = layout;
	snprintf(f->rec, sizeof(f->rec), "%s/state/resume", f->dir);
	assert_int_equal(storage_open(f->m, layout, f->dir, 0, &f->st), 0);
	assert_int_equal(bitfield_init(&f->have, f->m->npieces), 0);
	*state = f;
	return 0;
}

static int
setup_cache(void **state)
{
	return setup(state, STORAGE_CACHE);
}

static int
setup_dl(void **state)
{
	return setup(state, STORAGE_DOWNLOAD);
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	storage_close(f->st);
	bitfield_fini(&f->have);
	tm_rmrf(f->dir);
	tm_free(f->m);
	free(f->data);
	free(f);
	return 0;
}

static void
reopen(struct fx *f)
{
	storage_close(f->st);
	assert_int_equal(storage_open(f->m, f->layout, f->dir, 0, &f->st), 0);
}

static void
put(struct fx *f, uint32_t p, struct bitfield *have)
{
	assert_int_equal(storage_write_piece(f->st, p,
	    f->data + (uint64_t)p * PL), 0);
	if (have != NULL)
		bitfield_set(have, p);
}

static bool
bit(const struct bitfield *b, uint32_t i)
{
	return bitfield_test(b, i);
}

/* Expect plan bits: have/check given as strings of '1'/'0' per piece. */
static void
expect_plan(const struct resume_plan *p, const char *have, const char *check)
{
	for (uint32_t i = 0; have[i] != '\0'; i++) {
		if (bit(&p->have, i) != (have[i] == '1'))
			fail_msg("have bit %u: want %c", i, have[i]);
		if (bit(&p->check, i) != (check[i] == '1'))
			fail_msg("check bit %u: want %c", i, check[i]);
	}
}

static void
test_resume_round_trip(void **state)
{
	struct fx *f = *state;
	struct resume_plan p;

	assert_int_equal(f->m->npieces, 10);
	put(f, 0, &f->have);
	put(f, 3, &f->have);
	put(f, 9, &f->have);
	assert_int_equal(resume_save(f->rec, f->m, f->st, &f->have), 0);
	reopen(f);
	assert_int_equal(resume_load(f->rec, f->m, f->st, 0, &p), 0);
	assert_int_equal(p.record, 0);
	assert_int_equal(bitfield_count(&p.have), 3);
	assert_int_equal(bitfield_count(&p.check), 0);
	assert_int_equal(p.nstale, 0);
	assert_memory_equal(p.have.bits, f->have.bits, 2);
	resume_plan_fini(&p);
	/* No temp file left behind. */
	char tmp[PATH_MAX + 8];
	struct stat sb;

	snprintf(tmp, sizeof(tmp), "%s.tmp", f->rec);
	assert_int_equal(stat(tmp, &sb), -1);
}

/* No record: trust nothing, recheck exactly the pieces with data. */
static void
test_resume_no_record(void **state)
{
	struct fx *f = *state;
	struct resume_plan p;

	put(f, 1, NULL);
	put(f, 7, NULL);
	assert_int_equal(resume_load(f->rec, f->m, f->st, 0, &p), 0);
	assert_int_equal(p.record, -ENOENT);
	assert_int_equal(bitfield_count(&p.have), 0);
	expect_plan(&p, "0000000000", "0100000100");
	resume_plan_fini(&p);
}

static void
rewrite_record(const char *path, long off, const void *bytes, size_t n,
    bool resign, long truncate_to)
{
	size_t len = 0;
	uint8_t *r = tm_slurp(path, &len);
	FILE *fp;

	assert_non_null(r);
	if (bytes != NULL)
		memcpy(r + off, bytes, n);
	if (resign)
		sha1(r, len - 20, r + len - 20);
	if (truncate_to >= 0)
		len = (size_t)truncate_to;
	fp = fopen(path, "wb");
	assert_int_equal(fwrite(r, 1, len, fp), len);
	fclose(fp);
	free(r);
}

/* Corrupt, truncated, foreign or malformed records: recheck, never trust. */
static void
test_resume_bad_records(void **state)
{
	struct fx *f = *state;
	uint8_t save[4096], other_hash[20];
	struct resume_plan p;
	size_t len = 0;
	uint8_t *orig;
	FILE *fp;
	struct {
		long		 off;
		const char	*bytes;
		size_t		 n;
		bool		 resign;
		long		 truncate_to;
		int		 want;
	} cases[] = {
		{70, "\x55", 1, false, -1, -EBADMSG},	/* a flipped byte */
		{0, NULL, 0, false, 100, -EBADMSG},	/* truncated */
		{0, NULL, 0, false, 0, -EBADMSG},	/* empty */
		{0, "VTFSRES2", 8, true, -1, -EBADMSG},	/* magic */
		{8, "\0\0\0\2", 4, true, -1, -ESTALE},	/* version */
		{12, "\0\0\0\7", 4, true, -1, -ESTALE},	/* layout */
		{16, (const char *)other_hash, 20, true, -1, -ESTALE},
		{36, "\0\0\x80\0", 4, true, -1, -ESTALE},	/* piece len */
		{40, "\0\0\0\x0b", 4, true, -1, -ESTALE},	/* pieces */
		{52, "\0\0\0\2", 4, true, -1, -ESTALE},	/* slot count */
	};

	memset(other_hash, 0xab, sizeof(other_hash));
	put(f, 0, &f->have);
	put(f, 4, &f->have);
	assert_int_equal(resume_save(f->rec, f->m, f->st, &f->have), 0);
	orig = tm_slurp(f->rec, &len);
	assert_true(len < sizeof(save));
	memcpy(save, orig, len);
	free(orig);

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fp = fopen(f->rec, "wb");
		fwrite(save, 1, len, fp);
		fclose(fp);
		rewrite_record(f->rec, cases[i].off, cases[i].bytes,
		    cases[i].n, cases[i].resign, cases[i].truncate_to);
		assert_int_equal(resume_load(f->rec, f->m, f->st, 0, &p), 0);
		if (p.record != cases[i].want)
			fail_msg("case %zu: record %d, want %d", i, p.record,
			    cases[i].want);
		assert_int_equal(bitfield_count(&p.have), 0);
		expect_plan(&p, "0000000000", "1000100000");
		resume_plan_fini(&p);
	}

	/* Spare bits set (10 pieces: the low 6 bits of byte 1). */
	fp = fopen(f->rec, "wb");
	fwrite(save, 1, len, fp);
	fclose(fp);
	uint8_t last = save[len - 20 - 1] | 0x01;

	rewrite_record(f->rec, (long)len - 21, &last, 1, true, -1);
	assert_int_equal(resume_load(f->rec, f->m, f->st, 0, &p), 0);
	assert_int_equal(p.record, -EBADMSG);
	resume_plan_fini(&p);

	/* A symlink in place of the record is not followed. */
	fp = fopen(f->rec, "wb");
	fwrite(save, 1, len, fp);
	fclose(fp);
	char moved[PATH_MAX + 8];

	snprintf(moved, sizeof(moved), "%s.real", f->rec);
	assert_int_equal(rename(f->rec, moved), 0);
	assert_int_equal(symlink(moved, f->rec), 0);
	assert_int_equal(resume_load(f->rec, f->m, f->st, 0, &p), 0);
	assert_int_equal(p.record, -EBADMSG);
	resume_plan_fini(&p);
}

/* Force check (`--seed`): the record is ignored. */
static void
test_resume_force_check(void **state)
{
	struct fx *f = *state;
	struct resume_plan p;

	put(f, 2, &f->have);
	put(f, 5, &f->have);
	assert_int_equal(resume_save(f->rec, f->m, f->st, &f->have), 0);
	assert_int_equal(resume_load(f->rec, f->m, f->st, RESUME_FORCE_CHECK,
	    &p), 0);
	assert_int_equal(p.record, -ECANCELED);
	expect_plan(&p, "0000000000", "1111111111");
	resume_plan_fini(&p);
}

/* --- running the real hasher for a recheck --- */

struct run {
	uint8_t		*result;
	struct hasher	*h;
};

static void
on_checked(void *arg, int status, const uint8_t *result)
{
	struct run *r = arg;

	assert_int_equal(status, 0);
	memcpy(r->result, result, 10);
	hasher_close(r->h, NULL, NULL);
}

static void
recheck(struct fx *f, struct resume_plan *p)
{
	uint8_t result[10];
	struct run r = {result, NULL};
	uv_loop_t loop;

	assert_int_equal(uv_loop_init(&loop), 0);
	assert_int_equal(hasher_new(&loop, f->m, f->st, 2, 2, &r.h), 0);
	assert_int_equal(hasher_recheck(r.h, &p->check, on_checked, &r, NULL),
	    0);
	assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
	assert_int_equal(uv_loop_close(&loop), 0);
	resume_apply_check(f->m, &p->have, result);
}

static void
set_mtime(const char *path, time_t sec)
{
	struct timespec ts[2] = {{sec, 0}, {sec, 0}};

	assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
}

/* b's mtime changes: pieces 3-4 lose trust and are rechecked. */
static void
test_resume_mtime_changed(void **state)
{
	struct fx *f = *state;
	char path[PATH_MAX];
	struct resume_plan p;
	int fd;

	for (uint32_t i = 0; i < 10; i++)
		put(f, i, &f->have);
	assert_int_equal(resume_save(f->rec, f->m, f->st, &f->have), 0);
	reopen(f);
	snprintf(path, sizeof(path), "%s/t/b", f->dir);
	set_mtime(path, 1000000000);
	assert_int_equal(resume_load(f->rec, f->m, f->st, 0, &p), 0);
	assert_int_equal(p.record, 0);
	assert_int_equal(p.nstale, 1);
	expect_plan(&p, "1110011111", "0001100000");
	/* Content unchanged: the recheck trusts them again. */
	recheck(f, &p);
	expect_plan(&p, "1111111111", "0001100000");
	resume_plan_fini(&p);

	/* Now really change b (piece 3): only that piece is lost. */
	assert_int_equal(resume_save(f->rec, f->m, f->st, &f->have), 0);
	reopen(f);
	fd = open(path, O_WRONLY);
	assert_int_equal(pwrite(fd, "zz", 2, 100), 2);
	close(fd);
	set_mtime(path, 1100000000);
	assert_int_equal(resume_load(f->rec, f->m, f->st, 0, &p), 0);
	expect_plan(&p, "1110011111", "0001100000");
	recheck(f, &p);
	expect_plan(&p, "1110111111", "0001100000");
	resume_plan_fini(&p);
}

/*
 * Cache pieces punched after the record's snapshot, with the mtime the
 * record holds (the save stat'ed the file after the eviction, or within
 * the same clock tick): a piece that is all hole is dropped, one with a
 * hole inside is rechecked (and here fails: its bytes were not zeros).
 */
static void
test_resume_evicted_during_save(void **state)
{
	struct fx *f = *state;
	struct storage_slot_info si;
	struct timespec ts[2];
	char path[PATH_MAX], hex[41];
	struct resume_plan p;
	int fd;

	for (uint32_t i = 0; i < 10; i++)
		put(f, i, &f->have);
	assert_int_equal(resume_save(f->rec, f->m, f->st, &f->have), 0);
	assert_int_equal(storage_slot_info(f->st, 0, &si), 0);
	assert_int_equal(storage_discard(f->st, 3), 0);
	hex_encode(f->m->info_hash, 20, hex);
	snprintf(path, sizeof(path), "%s/%s/data", f->dir, hex);
	fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(fallocate(fd, FALLOC_FL_PUNCH_HOLE |
	    FALLOC_FL_KEEP_SIZE, 5 * PL + 4096, 4096), 0);
	close(fd);
	ts[0] = si.mtime;
	ts[1] = si.mtime;
	assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
	reopen(f);
	assert_int_equal(resume_load(f->rec, f->m, f->st, 0, &p), 0);
	assert_int_equal(p.record, 0);
	assert_int_equal(p.nstale, 0);
	expect_plan(&p, "1110101111", "0000010000");
	recheck(f, &p);
	expect_plan(&p, "1110101111", "0000010000");
	resume_plan_fini(&p);
}

/* A file deleted behind our back: its pieces are not trusted. */
static void
test_resume_file_deleted(void **state)
{
	struct fx *f = *state;
	char path[PATH_MAX];
	struct resume_plan p;

	for (uint32_t i = 0; i < 10; i++)
		put(f, i, &f->have);
	assert_int_equal(resume_save(f->rec, f->m, f->st, &f->have), 0);
	storage_close(f->st);
	snprintf(path, sizeof(path), "%s/t/a", f->dir);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(storage_open(f->m, f->layout, f->dir, 0, &f->st), 0);
	assert_int_equal(resume_load(f->rec, f->m, f->st, 0, &p), 0);
	assert_int_equal(p.nstale, 1);
	/* a was recreated empty (sparse): pieces 0-2 have no data at all. */
	expect_plan(&p, "0001111111", "0000000000");
	resume_plan_fini(&p);
}

/*
 * "Kill": a periodic save, more pieces written, no clean shutdown.  The
 * record and a recheck give exactly the pieces on disk, bad data excluded.
 */
static void
kill_and_resume(struct fx *f)
{
	struct resume_plan p;

	put(f, 0, &f->have);
	put(f, 5, &f->have);
	put(f, 8, &f->have);
	assert_int_equal(resume_save(f->rec, f->m, f->st, &f->have), 0);
	/* After the save: 2 and 6 good; 9 written corrupt. */
	put(f, 2, &f->have);
	put(f, 6, &f->have);
	{
		uint8_t bad[PL];

		memcpy(bad, f->data + 9 * PL, tm_piece_size(f->m, 9));
		bad[5] ^= 0xff;
		assert_int_equal(storage_write_piece(f->st, 9, bad), 0);
	}
	/* Killed: no save, no sync; the kernel still has the data. */
	storage_close(f->st);
	assert_int_equal(storage_open(f->m, f->layout, f->dir, 0, &f->st), 0);
	assert_int_equal(resume_load(f->rec, f->m, f->st, 0, &p), 0);
	assert_int_equal(p.record, 0);
	/* Pieces with data that are not trusted get rechecked. */
	for (uint32_t i = 0; i < 10; i++)
		if (bit(&p.check, i))
			assert_false(bit(&p.have, i));
	assert_true(bit(&p.check, 2) && bit(&p.check, 6) && bit(&p.check, 9));
	recheck(f, &p);
	for (uint32_t i = 0; i < 10; i++)
		assert_int_equal(bit(&p.have, i), i == 0 || i == 2 || i == 5 ||
		    i == 6 || i == 8);
	resume_plan_fini(&p);
}

static void
test_resume_kill_download(void **state)
{
	kill_and_resume(*state);
}

static void
test_resume_kill_cache(void **state)
{
	kill_and_resume(*state);
}

/*
 * A real kill -9: a child process writes pieces in order, saving the
 * record every 3 pieces and telling us each piece it has written; we
 * SIGKILL it mid-way.  Record + recheck must trust every piece it wrote
 * and nothing it did not.
 */
static void
test_resume_sigkill(void **state)
{
	struct fx *f = *state;
	struct resume_plan p;
	uint8_t got[10] = {0};
	int fds[2], status, n = 0;
	uint8_t piece;
	pid_t pid;

	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		for (uint32_t i = 0; i < 10; i++) {
			put(f, i, &f->have);
			piece = (uint8_t)i;
			if (write(fds[1], &piece, 1) != 1)
				_exit(1);
			if (i % 3 == 2 && resume_save(f->rec, f->m, f->st,
			    &f->have) != 0)
				_exit(1);
			if (i == 6)
				pause();	/* killed here */
		}
		_exit(0);
	}
	close(fds[1]);
	while (n < 7 && read(fds[0], &piece, 1) == 1) {
		got[piece] = 1;
		n++;
	}
	assert_int_equal(n, 7);
	assert_int_equal(kill(pid, SIGKILL), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	close(fds[0]);

	reopen(f);
	assert_int_equal(resume_load(f->rec, f->m, f->st, 0, &p), 0);
	assert_int_equal(p.record, 0);
	recheck(f, &p);
	for (uint32_t i = 0; i < 10; i++)
		assert_int_equal(bit(&p.have, i), got[i]);
	resume_plan_fini(&p);
}

static void
test_resume_report(void **state)
{
	struct fx *f = *state;
	struct resume_file_report rep[NFILES];
	uint8_t result[10] = {0};
	char path[PATH_MAX];

	put(f, 0, &f->have);
	put(f, 1, &f->have);
	put(f, 4, &f->have);	/* end of b, start of c */
	storage_close(f->st);
	snprintf(path, sizeof(path), "%s/t/c", f->dir);
	assert_int_equal(truncate(path, 5), 0);
	assert_int_equal(storage_open(f->m, f->layout, f->dir,
	    STORAGE_RDONLY, &f->st), 0);
	result[1] = HASHER_GOOD;
	result[2] = HASHER_BAD;
	result[5] = HASHER_MISSING;
	result[6] = HASHER_BAD;
	assert_int_equal(resume_report(f->m, f->st, &f->have, result, rep), 0);
	/* a: 3 pieces, 0-1 good = 32768 of its 40000 bytes. */
	assert_true(rep[0].present && rep[0].size_ok);
	assert_int_equal(rep[0].pieces, 3);
	assert_int_equal(rep[0].pieces_good, 2);
	assert_int_equal(rep[0].bytes_good, 32768);
	assert_int_equal(rep[0].pieces_bad, 1);
	assert_true(rep[1].pad);
	/* b at [49152, 79152): piece 4 is [65536, 81920). */
	assert_int_equal(rep[2].pieces, 2);
	assert_int_equal(rep[2].pieces_good, 1);
	assert_int_equal(rep[2].bytes_good, 79152 - 65536);
	assert_true(rep[3].present && rep[3].size_ok);
	assert_int_equal(rep[3].pieces, 0);
	assert_true(rep[4].present);
	assert_false(rep[4].size_ok);
	assert_int_equal(rep[4].bytes_good, 81920 - 79152);
	assert_int_equal(rep[4].pieces_bad, 1);		/* 6; 5 is missing */
	assert_int_equal(rep[2].pieces_bad, 0);
}

static void
on_saved(void *arg, int status)
{
	int *st = arg;

	*st = status;
}

static void
test_resume_save_async(void **state)
{
	struct fx *f = *state;
	struct resume_plan p;
	uv_loop_t loop;
	int status = 1;

	put(f, 6, &f->have);
	assert_int_equal(uv_loop_init(&loop), 0);
	assert_int_equal(resume_save_async(&loop, f->rec, f->m, f->st,
	    &f->have, on_saved, &status), 0);
	bitfield_set_all(&f->have);	/* the snapshot was taken at the call */
	assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
	assert_int_equal(uv_loop_close(&loop), 0);
	assert_int_equal(status, 0);
	assert_int_equal(resume_load(f->rec, f->m, f->st, 0, &p), 0);
	expect_plan(&p, "0000001000", "0000000000");
	resume_plan_fini(&p);
}

static void
test_resume_default_path(void **state)
{
	struct fx *f = *state;
	char out[PATH_MAX], want[PATH_MAX], hex[41];

	hex_encode(f->m->info_hash, 20, hex);
	assert_int_equal(resume_default_path("/c", f->m, f->st, out,
	    sizeof(out)), 0);
	if (f->layout == STORAGE_CACHE) {
		snprintf(want, sizeof(want), "/c/%s/resume", hex);
		assert_string_equal(out, want);
	} else {
		snprintf(want, sizeof(want), "/c/%s/resume-", hex);
		assert_int_equal(strncmp(out, want, strlen(want)), 0);
		assert_int_equal(strlen(out), strlen(want) + 16);
	}
	assert_int_equal(resume_default_path("/c", f->m, f->st, out, 10),
	    -ENAMETOOLONG);
}

#define BOTH(fn)                                                              \
	cmocka_unit_test_setup_teardown(fn, setup_cache, teardown),            \
	cmocka_unit_test_setup_teardown(fn, setup_dl, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		BOTH(test_resume_round_trip),
		BOTH(test_resume_no_record),
		BOTH(test_resume_bad_records),
		BOTH(test_resume_force_check),
		cmocka_unit_test_setup_teardown(test_resume_mtime_changed,
		    setup_dl, teardown),
		cmocka_unit_test_setup_teardown(test_resume_file_deleted,
		    setup_dl, teardown),
		cmocka_unit_test_setup_teardown(
		    test_resume_evicted_during_save, setup_cache, teardown),
		cmocka_unit_test_setup_teardown(test_resume_kill_download,
		    setup_dl, teardown),
		cmocka_unit_test_setup_teardown(test_resume_kill_cache,
		    setup_cache, teardown),
		BOTH(test_resume_sigkill),
		cmocka_unit_test_setup_teardown(test_resume_report, setup_dl,
		    teardown),
		BOTH(test_resume_save_async),
		BOTH(test_resume_default_path),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
