/*
 * testmeta: hand-built struct metainfo values for the storage, resume and
 * hasher tests (no .torrent parsing involved), with generated content and
 * the real SHA-1 piece hashes of that content.  Also temp dirs.
 */
#ifndef VTFS_TESTS_BT_TESTMETA_H
#define VTFS_TESTS_BT_TESTMETA_H

#include <ftw.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/sha.h"
#include "bt/metainfo.h"

struct tm_file {
	const char	*path;
	uint64_t	 size;
	unsigned	 attr;
};

static inline uint64_t
tm_rand(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/*
 * A metainfo for files[] (in order) with piece_len; *data gets the whole
 * torrent's bytes (pads zero), generated from seed.  Free with tm_free().
 */
static inline struct metainfo *
tm_new(const char *name, bool multi, uint32_t piece_len,
    const struct tm_file *files, uint32_t nfiles, uint64_t seed,
    uint8_t **data)
{
	struct metainfo *m = calloc(1, sizeof(*m));
	uint64_t off = 0, s = seed | 1;
	uint8_t *d;

	m->name = strdup(name);
	m->multi = multi;
	m->piece_len = piece_len;
	m->files = calloc(nfiles, sizeof(*m->files));
	m->nfiles = nfiles;
	for (uint32_t i = 0; i < nfiles; i++) {
		m->files[i].path = strdup(files[i].path);
		m->files[i].offset = off;
		m->files[i].size = files[i].size;
		m->files[i].attr = files[i].attr;
		off += files[i].size;
	}
	m->total = off;
	m->npieces = (uint32_t)((off + piece_len - 1) / piece_len);
	d = calloc(1, off + 1);
	for (uint32_t i = 0; i < nfiles; i++) {
		if (files[i].attr & META_ATTR_PAD)
			continue;
		for (uint64_t k = 0; k < files[i].size; k++)
			d[m->files[i].offset + k] = (uint8_t)tm_rand(&s);
	}
	m->pieces = malloc((size_t)m->npieces * 20 + 1);
	for (uint32_t p = 0; p < m->npieces; p++) {
		uint64_t po = (uint64_t)p * piece_len;
		uint64_t n = off - po < piece_len ? off - po : piece_len;

		sha1(d + po, (size_t)n, m->pieces + (size_t)p * 20);
	}
	sha1(&seed, sizeof(seed), m->info_hash);
	*data = d;
	return m;
}

static inline void
tm_free(struct metainfo *m)
{
	for (uint32_t i = 0; i < m->nfiles; i++)
		free(m->files[i].path);
	free(m->files);
	free(m->pieces);
	free(m->name);
	free(m);
}

static inline uint32_t
tm_piece_size(const struct metainfo *m, uint32_t p)
{
	uint64_t po = (uint64_t)p * m->piece_len;

	return (uint32_t)(m->total - po < m->piece_len ? m->total - po :
	    m->piece_len);
}

static inline int
tm_rm_one(const char *path, const struct stat *sb, int flag, struct FTW *f)
{
	(void)sb;
	(void)flag;
	(void)f;
	remove(path);
	return 0;
}

static inline void
tm_rmrf(const char *path)
{
	nftw(path, tm_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* A fresh temp dir in out (size >= 64). */
static inline void
tm_tmpdir(char *out)
{
	strcpy(out, "/tmp/vtfs-test-XXXXXX");
	if (mkdtemp(out) == NULL)
		abort();
}

/* Read a whole file into a new buffer; *len its size.  NULL if absent. */
static inline uint8_t *
tm_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *b;
	long n;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	b = malloc((size_t)n + 1);
	if (fread(b, 1, (size_t)n, f) != (size_t)n)
		abort();
	fclose(f);
	*len = (size_t)n;
	return b;
}

#endif /* VTFS_TESTS_BT_TESTMETA_H */
