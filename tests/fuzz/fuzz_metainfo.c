/*
 * libFuzzer target for bt/metainfo: meta_parse() on any bytes must return
 * 0 or a negative errno with a specific code, never crash or leak; what it
 * accepts must hold the invariants its consumers rely on (safe paths,
 * offsets in order, piece sizes summing to the total).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bt/metainfo.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_path(const char *p)
{
	const char *c = p;

	if (*p == '\0' || *p == '/')
		abort();
	for (;;) {
		const char *e = strchr(c, '/');
		size_t n = e ? (size_t)(e - c) : strlen(c);

		if (n == 0 || n > META_MAX_NAME ||
		    (n == 1 && c[0] == '.') ||
		    (n == 2 && c[0] == '.' && c[1] == '.'))
			abort();
		for (size_t i = 0; i < n; i++)
			if ((unsigned char)c[i] < 0x20 || c[i] == '\\' ||
			    c[i] == 0x7f)
				abort();
		if (!e)
			break;
		c = e + 1;
	}
}

static void
check(const struct metainfo *m)
{
	uint64_t off = 0, sum = 0;

	check_path(m->name);
	if (strchr(m->name, '/'))
		abort();
	if (m->nfiles == 0 || m->npieces == 0 || m->total == 0)
		abort();
	for (uint32_t i = 0; i < m->nfiles; i++) {
		const struct meta_file *f = &m->files[i];

		check_path(f->path);
		if (f->offset != off)
			abort();
		off += f->size;
		if (f->size > 0 && meta_file_at(m, f->offset) != i)
			abort();
		if (f->size > 0 &&
		    meta_file_at(m, f->offset + f->size - 1) != i)
			abort();
	}
	if (off != m->total || meta_file_at(m, m->total) != m->nfiles)
		abort();
	for (uint32_t i = 0; i < m->npieces; i++) {
		uint32_t s = meta_piece_size(m, i);

		if (s == 0 || s > m->piece_len)
			abort();
		sum += s;
	}
	if (sum != m->total)
		abort();
	for (uint32_t t = 0; t < m->ntiers; t++)
		if (m->tiers[t].nurls == 0)
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct metainfo *m = NULL;
	struct meta_error err;
	int rc = meta_parse(data, size, &m, &err);

	if (rc == 0) {
		if (!m || err.code != META_OK)
			abort();
		check(m);
		meta_free(m);
	} else if (rc > 0 || m || err.code == META_OK) {
		abort();
	}
	return 0;
}
