/*
 * hasher_bench: throughput of the storage layer on this machine.
 *   1. verify + write: pieces submitted to the hasher (SHA-1 on every
 *      worker, pwrite into the cache layout's sparse file), then
 *      storage_sync();
 *   2. recheck: every piece read back (page cache) and hashed;
 *   3. storage_read of 1 MiB ranges (one thread).
 * Pieces cycle through 64 generated templates so that generating data
 * costs nothing in the timed part.  Build and run with bench/hasher.sh.
 *
 * usage: hasher_bench DIR [MiB [piece KiB [threads]]]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "base/bitfield.h"
#include "base/clock.h"
#include "base/sha.h"
#include "bt/hasher.h"
#include "bt/metainfo.h"
#include "bt/resume.h"
#include "bt/storage.h"

#define NTPL 64

struct bench {
	struct metainfo	 m;
	struct meta_file file;
	uint8_t		*tpl[NTPL];
	struct hasher	*h;
	struct storage	*st;
	uint32_t	 next, done;
	int		 bad;
};

static void submit(struct bench *);

static void
on_verified(void *arg, uint32_t piece, int status, uint8_t *buf)
{
	struct bench *b = arg;

	(void)piece;
	if (status != 0)
		b->bad++;
	hasher_buf_put(b->h, buf);
	if (++b->done == b->m.npieces)
		hasher_close(b->h, NULL, NULL);
	else
		submit(b);
}

static void
submit(struct bench *b)
{
	uint8_t *buf;

	while (b->next < b->m.npieces && (buf = hasher_buf_get(b->h))) {
		uint32_t p = b->next++;

		memcpy(buf, b->tpl[p % NTPL], b->m.piece_len);
		if (hasher_submit(b->h, p, buf, on_verified, b) != 0)
			abort();
	}
}

static void
on_checked(void *arg, int status, const uint8_t *result)
{
	struct bench *b = arg;

	for (uint32_t p = 0; p < b->m.npieces; p++)
		if (status != 0 || result[p] != HASHER_GOOD)
			b->bad++;
	hasher_close(b->h, NULL, NULL);
}

static double
mbps(uint64_t bytes, uint64_t ns)
{
	return (double)bytes / 1e6 / ((double)ns / 1e9);
}

int
main(int argc, char **argv)
{
	uint64_t mib = argc > 2 ? strtoull(argv[2], NULL, 10) : 1024;
	uint32_t pkib = argc > 3 ? (uint32_t)strtoul(argv[3], NULL, 10) : 1024;
	unsigned nthreads = argc > 4 ? (unsigned)strtoul(argv[4], NULL, 10) : 0;
	struct bench b;
	uint64_t s = 88172645463325252ull, t0, t1, t2;
	struct bitfield todo;
	uint8_t *rbuf;
	uv_loop_t loop;

	if (argc < 2) {
		fprintf(stderr, "usage: hasher_bench DIR [MiB [piece KiB "
		    "[threads]]]\n");
		return 2;
	}
	memset(&b, 0, sizeof(b));
	b.m.piece_len = pkib << 10;
	b.m.total = mib << 20;
	b.m.npieces = (uint32_t)(b.m.total / b.m.piece_len);
	b.m.total = (uint64_t)b.m.npieces * b.m.piece_len;
	b.m.name = "bench";
	b.file.path = "bench";
	b.file.size = b.m.total;
	b.m.files = &b.file;
	b.m.nfiles = 1;
	memset(b.m.info_hash, 0x42, 20);
	b.m.pieces = malloc((size_t)b.m.npieces * 20);
	for (int i = 0; i < NTPL; i++) {
		b.tpl[i] = malloc(b.m.piece_len);
		for (uint32_t k = 0; k < b.m.piece_len; k++) {
			s ^= s << 13;
			s ^= s >> 7;
			s ^= s << 17;
			b.tpl[i][k] = (uint8_t)s;
		}
	}
	for (uint32_t p = 0; p < b.m.npieces; p++) {
		if (p < NTPL)
			sha1(b.tpl[p], b.m.piece_len, b.m.pieces + p * 20);
		else
			memcpy(b.m.pieces + (size_t)p * 20,
			    b.m.pieces + (size_t)(p % NTPL) * 20, 20);
	}
	if (storage_open(&b.m, STORAGE_CACHE, argv[1], 0, &b.st) != 0)
		return 1;
	uv_loop_init(&loop);

	t0 = clock_now_ns();
	if (hasher_new(&loop, &b.m, b.st, nthreads, 16, &b.h) != 0)
		return 1;
	submit(&b);
	uv_run(&loop, UV_RUN_DEFAULT);
	t1 = clock_now_ns();
	storage_sync(b.st);
	t2 = clock_now_ns();
	printf("verify+write: %llu MiB in %u KiB pieces: %.0f MB/s "
	    "(+ fsync %.2f s: %.0f MB/s overall), bad %d\n",
	    (unsigned long long)mib, pkib, mbps(b.m.total, t1 - t0),
	    (double)(t2 - t1) / 1e9, mbps(b.m.total, t2 - t0), b.bad);

	if (bitfield_init(&todo, b.m.npieces) != 0)
		return 1;
	bitfield_set_all(&todo);
	t0 = clock_now_ns();
	if (hasher_new(&loop, &b.m, b.st, nthreads, 16, &b.h) != 0 ||
	    hasher_recheck(b.h, &todo, on_checked, &b, NULL) != 0)
		return 1;
	uv_run(&loop, UV_RUN_DEFAULT);
	t1 = clock_now_ns();
	printf("recheck (page cache): %.0f MB/s, bad %d\n",
	    mbps(b.m.total, t1 - t0), b.bad);

	rbuf = malloc(1 << 20);
	t0 = clock_now_ns();
	for (uint64_t off = 0; off + (1 << 20) <= b.m.total; off += 1 << 20)
		if (storage_read(b.st, off, 1 << 20, rbuf) != 0)
			return 1;
	t1 = clock_now_ns();
	printf("storage_read 1 MiB (page cache, 1 thread): %.0f MB/s\n",
	    mbps(b.m.total, t1 - t0));

	uv_loop_close(&loop);
	storage_close_and_remove(b.st);
	free(rbuf);
	bitfield_fini(&todo);
	for (int i = 0; i < NTPL; i++)
		free(b.tpl[i]);
	free(b.m.pieces);
	return b.bad != 0;
}
