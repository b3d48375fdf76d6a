/* resume: see resume.h for the format and the trust rules. */
#include "bt/resume.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/bitfield.h"
#include "base/bytes.h"
#include "base/sha.h"
#include "bt/hasher.h"
#include "bt/metainfo.h"
#include "bt/storage.h"

#define LOG_TAG "resume"
#include "base/log.h"

#define MAGIC		"VTFSRES1"
#define HDR_LEN		64u
#define SLOT_LEN	40u
#define SLOT_PRESENT	1u

static size_t
record_len(const struct metainfo *m, uint32_t nslots)
{
	return HDR_LEN + (size_t)nslots * SLOT_LEN +
	    bitfield_bytes(m->npieces) + SHA1_LEN;
}

/* Pieces [*first, *last] holding torrent bytes [off, off + len), len > 0. */
static void
piece_range(const struct metainfo *m, uint64_t off, uint64_t len,
    uint32_t *first, uint32_t *last)
{
	*first = (uint32_t)(off / m->piece_len);
	*last = (uint32_t)((off + len - 1) / m->piece_len);
}

/* --- encoding --- */

static uint32_t
layout_code(const struct storage *st)
{
	return storage_layout(st) == STORAGE_CACHE ? 0 : 1;
}

static void
encode_slot(uint8_t *p, const struct storage_slot_info *si)
{
	memset(p, 0, SLOT_LEN);
	if (!si->present)
		return;
	be32_put(p, SLOT_PRESENT);
	be64_put(p + 8, si->disk_size);
	be64_put(p + 16, si->ino);
	be64_put(p + 24, (uint64_t)si->mtime.tv_sec);
	be32_put(p + 32, (uint32_t)si->mtime.tv_nsec);
}

static int
encode(const struct metainfo *m, struct storage *st,
    const struct bitfield *have, uint8_t **out, size_t *outlen)
{
	uint32_t nslots = storage_nslots(st);
	size_t len = record_len(m, nslots);
	struct storage_slot_info si;
	uint8_t *r, *p;
	int rc;

	r = calloc(1, len);
	if (r == NULL)
		return -ENOMEM;
	memcpy(r, MAGIC, 8);
	be32_put(r + 8, RESUME_VERSION);
	be32_put(r + 12, layout_code(st));
	memcpy(r + 16, m->info_hash, 20);
	be32_put(r + 36, m->piece_len);
	be32_put(r + 40, m->npieces);
	be64_put(r + 44, m->total);
	be32_put(r + 52, nslots);
	be64_put(r + 56, (uint64_t)time(NULL));
	p = r + HDR_LEN;
	for (uint32_t i = 0; i < nslots; i++, p += SLOT_LEN) {
		rc = storage_slot_info(st, i, &si);
		if (rc < 0) {
			free(r);
			return rc;
		}
		encode_slot(p, &si);
	}
	bitfield_to_wire(have, p);
	sha1(r, len - SHA1_LEN, r + len - SHA1_LEN);
	*out = r;
	*outlen = len;
	return 0;
}

/* --- reading --- */

/*
 * Read the record at path into a new buffer of exactly the expected
 * length.  Returns 0, -ENOENT, -EBADMSG (wrong size, unreadable) or
 * -ENOMEM.
 */
static int
read_record(const char *path, size_t want, uint8_t **out)
{
	struct stat sb;
	uint8_t *buf;
	size_t got = 0;
	int fd, rc = 0;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ENOENT : -EBADMSG;
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode) ||
	    (uint64_t)sb.st_size != want) {
		close(fd);
		return -EBADMSG;
	}
	buf = malloc(want);
	if (buf == NULL) {
		close(fd);
		return -ENOMEM;
	}
	while (got < want) {
		ssize_t n = read(fd, buf + got, want - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = -EBADMSG;
			break;
		}
		got += (size_t)n;
	}
	close(fd);
	if (rc < 0) {
		free(buf);
		return rc;
	}
	*out = buf;
	return 0;
}

/* Check everything but the slots.  Returns 0, -EBADMSG or -ESTALE. */
static int
check_header(const uint8_t *r, size_t len, const struct metainfo *m,
    struct storage *st)
{
	uint8_t md[SHA1_LEN];

	sha1(r, len - SHA1_LEN, md);
	if (memcmp(r, MAGIC, 8) != 0 ||
	    memcmp(md, r + len - SHA1_LEN, SHA1_LEN) != 0)
		return -EBADMSG;
	if (be32_get(r + 8) != RESUME_VERSION ||
	    be32_get(r + 12) != layout_code(st) ||
	    memcmp(r + 16, m->info_hash, 20) != 0 ||
	    be32_get(r + 36) != m->piece_len ||
	    be32_get(r + 40) != m->npieces || be64_get(r + 44) != m->total ||
	    be32_get(r + 52) != storage_nslots(st))
		return -ESTALE;
	return 0;
}

/* Drop from have every piece touching a slot whose fingerprint changed. */
static int
drop_stale(const uint8_t *r, const struct metainfo *m, struct storage *st,
    struct resume_plan *plan)
{
	uint32_t nslots = storage_nslots(st), first, last;
	const uint8_t *p = r + HDR_LEN;
	struct storage_slot_info si;
	uint8_t now[SLOT_LEN];
	int rc;

	for (uint32_t i = 0; i < nslots; i++, p += SLOT_LEN) {
		rc = storage_slot_info(st, i, &si);
		if (rc < 0)
			return rc;
		if (si.pad || si.size == 0)
			continue;
		encode_slot(now, &si);
		if (si.present && si.disk_size == si.size &&
		    memcmp(now, p, SLOT_LEN) == 0)
			continue;
		plan->nstale++;
		piece_range(m, si.off, si.size, &first, &last);
		for (uint32_t k = first; k <= last; k++)
			bitfield_clear(&plan->have, k);
	}
	return 0;
}

/*
 * Which pieces are wholly on disk.  A piece we wrote has no hole, while a
 * piece we never wrote may still have data at its ends: the filesystem
 * block it shares with a written neighbour in the same file.  So count the
 * bytes of each piece that are data (pad bytes count: they are never
 * written) and want them all.
 */
struct data_ctx {
	const struct metainfo	*m;
	uint32_t		*data;	/* owned: data bytes per piece */
	uint32_t		*pad;	/* owned: pad bytes per piece */
};

/* Add the bytes of [off, off + len) to count[] of the pieces they are in. */
static void
cover(struct data_ctx *d, uint32_t *count, uint64_t off, uint64_t len)
{
	const struct metainfo *m = d->m;
	uint32_t first, last;

	if (len == 0)
		return;
	piece_range(m, off, len, &first, &last);
	for (uint32_t k = first; k <= last; k++) {
		uint64_t ps = (uint64_t)k * m->piece_len;
		uint64_t pe = ps + m->piece_len;
		uint64_t lo = ps > off ? ps : off;
		uint64_t hi = pe < off + len ? pe : off + len;

		count[k] += (uint32_t)(hi - lo);
	}
}

/*
 * A data range of the store: count only its bytes outside pad files (in
 * the cache layout an extent may reach into a pad's first block).
 */
static int
on_data_range(void *arg, uint64_t off, uint64_t len)
{
	struct data_ctx *d = arg;
	const struct metainfo *m = d->m;
	uint64_t end = off + len;
	uint32_t i = meta_file_at(m, off);

	for (; i < m->nfiles && off < end; i++) {
		const struct meta_file *f = &m->files[i];
		uint64_t fend = f->offset + f->size;
		uint64_t hi = fend < end ? fend : end;

		if (fend <= off)
			continue;
		if (!(f->attr & META_ATTR_PAD))
			cover(d, d->data, off, hi - off);
		off = hi;
	}
	return 0;
}

/*
 * Settle have and check from what is on disk.  A piece is "whole" when
 * every non-pad byte is data, "absent" when none is.
 *  - trusted but absent: evicted (punched) after the record's snapshot
 *    was taken: dropped, whatever the fingerprint says;
 *  - trusted, not whole, not absent: a filesystem that stores zero
 *    blocks as holes (ZFS or btrfs with compression): rechecked;
 *  - untrusted and whole (every piece with all): rechecked.  An untrusted
 *    piece with only some data is a never-written piece sharing a block
 *    with a written neighbour: missing.
 */
static int
plan_check(const struct metainfo *m, struct storage *st, bool all,
    struct resume_plan *plan)
{
	struct data_ctx dc = {m, NULL, NULL};
	int rc = -ENOMEM;

	dc.data = calloc(m->npieces, sizeof(*dc.data));
	dc.pad = calloc(m->npieces, sizeof(*dc.pad));
	if (dc.data == NULL || dc.pad == NULL)
		goto out;
	for (uint32_t i = 0; i < m->nfiles; i++)
		if (m->files[i].attr & META_ATTR_PAD)
			cover(&dc, dc.pad, m->files[i].offset,
			    m->files[i].size);
	rc = storage_data_ranges(st, on_data_range, &dc);
	if (rc < 0)
		goto out;
	for (uint32_t k = 0; k < m->npieces; k++) {
		uint32_t want = meta_piece_size(m, k) - dc.pad[k];
		bool whole = dc.data[k] == want;
		bool absent = dc.data[k] == 0 && want > 0;

		if (bitfield_test(&plan->have, k)) {
			if (absent) {
				bitfield_clear(&plan->have, k);
			} else if (!whole) {
				bitfield_clear(&plan->have, k);
				bitfield_set(&plan->check, k);
			}
		} else if (all || whole) {
			bitfield_set(&plan->check, k);
		}
	}
	rc = 0;
out:
	free(dc.data);
	free(dc.pad);
	return rc;
}

int
resume_load(const char *path, const struct metainfo *m, struct storage *st,
    unsigned flags, struct resume_plan *plan)
{
	size_t nb = bitfield_bytes(m->npieces), len;
	uint8_t *r = NULL;
	int rc;

	memset(plan, 0, sizeof(*plan));
	rc = bitfield_init(&plan->have, m->npieces);
	if (rc == 0)
		rc = bitfield_init(&plan->check, m->npieces);
	if (rc < 0)
		goto out;
	len = record_len(m, storage_nslots(st));
	if (flags & RESUME_FORCE_CHECK)
		plan->record = -ECANCELED;
	else if (path == NULL)
		plan->record = -ENOENT;
	else
		plan->record = read_record(path, len, &r);
	if (plan->record == -ENOMEM) {
		rc = -ENOMEM;
		goto out;
	}
	if (plan->record == 0)
		plan->record = check_header(r, len, m, st);
	if (plan->record == 0)
		plan->record = bitfield_from_wire(&plan->have,
		    r + len - SHA1_LEN - nb, nb);
	if (plan->record == 0) {
		rc = drop_stale(r, m, st, plan);
		if (rc < 0)
			goto out;
	}
	if (plan->record != 0 && plan->record != -ENOENT &&
	    plan->record != -ECANCELED)
		log_warn("%s: resume record %s: rechecking the data", path,
		    plan->record == -ESTALE ? "for another torrent" :
		    "corrupt");

	/* Untrusted pieces that are on disk get rechecked. */
	rc = plan_check(m, st, flags & RESUME_FORCE_CHECK, plan);
	if (rc < 0)
		goto out;
	rc = 0;
out:
	free(r);
	if (rc < 0)
		resume_plan_fini(plan);
	return rc;
}

void
resume_plan_fini(struct resume_plan *plan)
{
	bitfield_fini(&plan->have);
	bitfield_fini(&plan->check);
}

uint32_t
resume_apply_check(const struct metainfo *m, struct bitfield *have,
    const uint8_t *result)
{
	uint32_t good = 0;

	for (uint32_t k = 0; k < m->npieces; k++) {
		switch (result[k]) {
		case HASHER_GOOD:
			bitfield_set(have, k);
			good++;
			break;
		case HASHER_BAD:
		case HASHER_MISSING:
			bitfield_clear(have, k);
			break;
		default:
			break;
		}
	}
	return good;
}

/* --- writing --- */

static int
write_all(int fd, const uint8_t *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* The directory part of path into out ("." when there is none). */
static int
parent_dir(const char *path, char *out, size_t outsz)
{
	const char *slash = strrchr(path, '/');
	size_t n;

	if (slash == NULL) {
		snprintf(out, outsz, ".");
		return 0;
	}
	n = (size_t)(slash - path);
	if (n == 0)
		n = 1;
	if (n >= outsz)
		return -ENAMETOOLONG;
	memcpy(out, path, n);
	out[n] = '\0';
	return 0;
}

int
resume_save(const char *path, const struct metainfo *m, struct storage *st,
    const struct bitfield *have)
{
	char tmp[PATH_MAX], dir[PATH_MAX];
	uint8_t *r = NULL;
	size_t len;
	int fd = -1, dfd, rc;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	rc = parent_dir(path, dir, sizeof(dir));
	if (rc < 0)
		return rc;
	rc = storage_mkdir_p(dir, 0700);
	if (rc < 0)
		return rc;
	/* Data first: the record must not name bytes that are not durable. */
	rc = storage_sync(st);
	if (rc < 0)
		goto out;
	rc = encode(m, st, have, &r, &len);
	if (rc < 0)
		goto out;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (fd < 0) {
		rc = -errno;
		goto out;
	}
	rc = write_all(fd, r, len);
	if (rc == 0 && fsync(fd) < 0)
		rc = -errno;
	if (close(fd) < 0 && rc == 0)
		rc = -errno;
	fd = -1;
	if (rc == 0 && rename(tmp, path) < 0)
		rc = -errno;
	if (rc < 0) {
		unlink(tmp);
		goto out;
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
out:
	if (rc < 0)
		log_error("%s: cannot save the resume record: %s", path,
		    strerror(-rc));
	free(r);
	return rc;
}

struct save_req {
	uv_work_t		 work;
	char			*path;		/* owned */
	const struct metainfo	*meta;		/* borrowed */
	struct storage		*st;		/* borrowed */
	struct bitfield		 have;		/* owned copy */
	int			 status;
	resume_saved_cb		*cb;
	void			*arg;
};

static void
save_work(uv_work_t *w)
{
	struct save_req *q = w->data;

	q->status = resume_save(q->path, q->meta, q->st, &q->have);
}

static void
save_done(uv_work_t *w, int status)
{
	struct save_req *q = w->data;

	if (q->cb != NULL)
		q->cb(q->arg, status < 0 ? status : q->status);
	free(q->path);
	bitfield_fini(&q->have);
	free(q);
}

int
resume_save_async(uv_loop_t *loop, const char *path,
    const struct metainfo *m, struct storage *st,
    const struct bitfield *have, resume_saved_cb *cb, void *arg)
{
	struct save_req *q;
	int rc;

	q = calloc(1, sizeof(*q));
	if (q == NULL)
		return -ENOMEM;
	q->path = strdup(path);
	if (q->path == NULL || bitfield_copy(&q->have, have) < 0) {
		rc = -ENOMEM;
		goto fail;
	}
	q->meta = m;
	q->st = st;
	q->cb = cb;
	q->arg = arg;
	q->work.data = q;
	rc = uv_queue_work(loop, &q->work, save_work, save_done);
	if (rc < 0)
		goto fail;
	return 0;
fail:
	free(q->path);
	bitfield_fini(&q->have);
	free(q);
	return rc;
}

int
resume_default_path(const char *cache_root, const struct metainfo *m,
    const struct storage *st, char *out, size_t outsz)
{
	char hex[41], real[PATH_MAX], dhex[17];
	uint8_t md[SHA1_LEN];
	int n;

	hex_encode(m->info_hash, 20, hex);
	if (storage_layout(st) == STORAGE_CACHE) {
		n = snprintf(out, outsz, "%s/%s/resume", cache_root, hex);
	} else {
		if (realpath(storage_path(st), real) == NULL)
			return -errno;
		sha1(real, strlen(real), md);
		hex_encode(md, 8, dhex);
		n = snprintf(out, outsz, "%s/%s/resume-%s", cache_root, hex,
		    dhex);
	}
	if (n < 0 || (size_t)n >= outsz)
		return -ENAMETOOLONG;
	return 0;
}

int
resume_report(const struct metainfo *m, struct storage *st,
    const struct bitfield *have, const uint8_t *result,
    struct resume_file_report *out)
{
	uint32_t nslots = storage_nslots(st), first, last;
	struct storage_slot_info si;
	int rc;

	for (uint32_t i = 0; i < nslots; i++) {
		struct resume_file_report *f = &out[i];

		memset(f, 0, sizeof(*f));
		rc = storage_slot_info(st, i, &si);
		if (rc < 0)
			return rc;
		f->pad = si.pad;
		f->present = si.present;
		f->size_ok = si.present && si.disk_size == si.size;
		if (si.pad || si.size == 0)
			continue;
		piece_range(m, si.off, si.size, &first, &last);
		f->pieces = last - first + 1;
		for (uint32_t k = first; k <= last; k++) {
			uint64_t ps = (uint64_t)k * m->piece_len;
			uint64_t pe = ps + m->piece_len, lo, hi;

			if (!bitfield_test(have, k)) {
				if (result != NULL && result[k] == HASHER_BAD)
					f->pieces_bad++;
				continue;
			}
			lo = ps > si.off ? ps : si.off;
			hi = pe < si.off + si.size ? pe : si.off + si.size;
			f->pieces_good++;
			f->bytes_good += hi - lo;
		}
	}
	return 0;
}
