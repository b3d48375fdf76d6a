/*
 * create: see create.h.  Three steps: scan the tree into a sorted list of
 * regular files, hash it (bt/filehash), encode the torrent.  The scan keeps
 * one directory open at a time: it reads a directory's names, closes it,
 * sorts them and only then looks at each entry.
 */
#include "bt/create.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#define LOG_TAG "create"
#include "base/bencode.h"
#include "base/log.h"
#include "base/progress.h"
#include "base/sha.h"
#include "base/text.h"
#include "bt/filehash.h"

#define MAX_DEPTH	64	/* path components below the top folder */
#define MAX_NAME	255

struct entry {
	char		*full;	/* owned: path to open */
	char		*rel;	/* owned: components joined by '/' */
	uint64_t	 size;
	struct timespec	 mtime;
};

struct scan {
	struct entry	*v;	/* owned */
	size_t		 n, alloc;
	size_t		 skipped;
	struct create_error *err;
	const atomic_int *cancel;	/* borrowed, may be NULL */
};

static int
seterr(struct create_error *err, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
seterr(struct create_error *err, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return rc;
}

/* For messages: a user's path, escaped (names may hold anything). */
static const char *
esc(const char *s, char *out, size_t outsz)
{
	return log_escape(s, strlen(s), out, outsz);
}

uint32_t
create_auto_piece_len(uint64_t total)
{
	uint32_t len = CREATE_MIN_PIECE;

	while (len < CREATE_MAX_AUTO_PIECE &&
	    (total + len - 1) / len > CREATE_AUTO_PIECES)
		len <<= 1;
	return len;
}

bool
create_piece_len_ok(uint64_t n)
{
	return n >= CREATE_MIN_PIECE && n <= CREATE_MAX_PIECE &&
	    (n & (n - 1)) == 0;
}

/* A name other clients store as it is: NULL when fine, else why not. */
static const char *
name_problem(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return "is empty, \".\" or \"..\"";
	if (n > MAX_NAME)
		return "is longer than 255 bytes";
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c == '/' || c == '\\')
			return "contains '/' or '\\'";
		if (c < 0x20 || c == 0x7f)
			return "contains a control character";
	}
	if (!text_utf8_valid(name, n))
		return "is not valid UTF-8";
	return NULL;
}

/* "scheme://x": curl alone would also take "http:/h" and "http:///h". */
static bool
authority_follows(const char *url, const char *scheme)
{
	size_t n = strlen(scheme);

	return strncasecmp(url, scheme, n) == 0 &&
	    strncmp(url + n, "://", 3) == 0 && url[n + 3] != '/';
}

int
create_check_url(const char *url, bool web_seed, struct create_error *err)
{
	static const char *const schemes[] = {"http", "https", "udp"};
	const size_t nschemes = web_seed ? 2 : 3;
	const char *what = web_seed ? "web seed" : "tracker";
	char e[300], *scheme = NULL, *host = NULL, *port = NULL;
	CURLU *u = NULL;
	bool known = false;
	int rc = -EINVAL;

	if (!url || !*url)
		return seterr(err, -EINVAL, "empty %s URL", what);
	esc(url, e, sizeof(e));
	for (const char *p = url; *p; p++) {
		if ((unsigned char)*p <= 0x20 || *p == 0x7f)
			return seterr(err, -EINVAL,
			    "%s URL \"%s\" contains a space or control "
			    "character", what, e);
	}
	if (strlen(url) > 4096)
		return seterr(err, -EINVAL, "%s URL is too long", what);
	u = curl_url();
	if (!u)
		return seterr(err, -ENOMEM, "out of memory");
	if (curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) !=
	    CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    !authority_follows(url, scheme)) {
		seterr(err, rc, "%s URL \"%s\" is not a valid URL", what, e);
		goto out;
	}
	for (size_t i = 0; i < nschemes; i++)
		known |= strcmp(scheme, schemes[i]) == 0;
	if (!known) {
		seterr(err, rc, "%s URL \"%s\": scheme must be %s", what, e,
		    web_seed ? "http or https" : "http, https or udp");
		goto out;
	}
	if (curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    !host[0]) {
		seterr(err, rc, "%s URL \"%s\" has no host", what, e);
		goto out;
	}
	if (strcmp(scheme, "udp") == 0 &&
	    curl_url_get(u, CURLUPART_PORT, &port, 0) != CURLUE_OK) {
		seterr(err, rc, "%s URL \"%s\": udp needs a port", what, e);
		goto out;
	}
	rc = 0;
out:
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return rc;
}

static void
scan_fini(struct scan *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->v[i].full);
		free(s->v[i].rel);
	}
	free(s->v);
	memset(s, 0, sizeof(*s));
}

static char *
join(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	char *p = malloc(la + lb + 2);

	if (!p)
		return NULL;
	while (la > 1 && a[la - 1] == '/')
		la--;			/* "dir/" + b -> "dir/b" */
	memcpy(p, a, la);
	p[la] = '/';
	memcpy(p + la + 1, b, lb + 1);
	if (la == 0)
		memmove(p, p + 1, lb + 1);	/* "" + b -> "b" */
	else if (la == 1 && a[0] == '/')
		memmove(p + 1, p + 2, lb + 1);	/* "/" + b -> "/b" */
	return p;
}

static int
scan_add(struct scan *s, const char *full, const char *rel,
    const struct stat *st)
{
	char e[300];
	struct entry *x;

	if (faccessat(AT_FDCWD, full, R_OK, AT_EACCESS) != 0)
		return seterr(s->err, -errno, "%s: %s",
		    esc(full, e, sizeof(e)), strerror(errno));
	if (s->n >= CREATE_MAX_FILES)
		return seterr(s->err, -E2BIG, "more than %u files",
		    CREATE_MAX_FILES);
	if (s->n == s->alloc) {
		size_t na = s->alloc ? s->alloc * 2 : 64;
		struct entry *nv = realloc(s->v, na * sizeof(*nv));

		if (!nv)
			return seterr(s->err, -ENOMEM, "out of memory");
		s->v = nv;
		s->alloc = na;
	}
	x = &s->v[s->n];
	x->full = strdup(full);
	x->rel = strdup(rel);
	if (!x->full || !x->rel) {
		free(x->full);
		free(x->rel);
		return seterr(s->err, -ENOMEM, "out of memory");
	}
	x->size = (uint64_t)st->st_size;
	x->mtime = st->st_mtim;
	s->n++;
	return 0;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in dir (without "." and ".."), sorted by bytes. */
static int
read_names(struct scan *s, const char *dir, char ***out, size_t *nout)
{
	char e[300], **v = NULL;
	size_t n = 0, alloc = 0;
	struct dirent *d;
	DIR *dp = opendir(dir);
	int rc = 0;

	if (!dp)
		return seterr(s->err, -errno, "%s: %s", esc(dir, e, sizeof(e)),
		    strerror(errno));
	for (;;) {
		errno = 0;
		d = readdir(dp);
		if (!d) {
			if (errno)
				rc = seterr(s->err, -errno, "%s: %s",
				    esc(dir, e, sizeof(e)), strerror(errno));
			break;
		}
		if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
			continue;
		if (n == alloc) {
			size_t na = alloc ? alloc * 2 : 32;
			char **nv = realloc(v, na * sizeof(*nv));

			if (!nv) {
				rc = seterr(s->err, -ENOMEM, "out of memory");
				break;
			}
			v = nv;
			alloc = na;
		}
		v[n] = strdup(d->d_name);
		if (!v[n]) {
			rc = seterr(s->err, -ENOMEM, "out of memory");
			break;
		}
		n++;
	}
	closedir(dp);
	if (rc) {
		while (n > 0)
			free(v[--n]);
		free(v);
		return rc;
	}
	if (n)
		qsort(v, n, sizeof(*v), cmp_names);
	*out = v;
	*nout = n;
	return 0;
}

static int
scan_dir(struct scan *s, const char *dir, const char *rel, unsigned depth)
{
	char e[300], **names = NULL;
	size_t n = 0, i;
	int rc;

	if (depth > MAX_DEPTH)
		return seterr(s->err, -E2BIG, "%s: deeper than %u folders",
		    esc(dir, e, sizeof(e)), MAX_DEPTH);
	if (s->cancel && atomic_load(s->cancel))
		return seterr(s->err, -EINTR, "interrupted");
	rc = read_names(s, dir, &names, &n);
	if (rc)
		return rc;
	for (i = 0; i < n && rc == 0; i++) {
		char *full = join(dir, names[i]), *r = join(rel, names[i]);
		const char *why = name_problem(names[i]);
		struct stat st;

		if (!full || !r)
			rc = seterr(s->err, -ENOMEM, "out of memory");
		else if (why)
			rc = seterr(s->err, -EINVAL, "%s: the name %s; rename "
			    "it (other clients would alter or refuse it)",
			    esc(full, e, sizeof(e)), why);
		else if (lstat(full, &st) != 0)
			rc = seterr(s->err, -errno, "%s: %s",
			    esc(full, e, sizeof(e)), strerror(errno));
		else if (S_ISDIR(st.st_mode))
			rc = scan_dir(s, full, r, depth + 1);
		else if (S_ISREG(st.st_mode))
			rc = scan_add(s, full, r, &st);
		else {
			log_warn("skipping %s: %s", esc(full, e, sizeof(e)),
			    S_ISLNK(st.st_mode) ? "a symbolic link"
			    : "not a regular file");
			s->skipped++;
		}
		free(full);
		free(r);
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

int
create_default_name(const char *path, char **out, struct create_error *err)
{
	char *copy = strdup(path), *end, *base, *real = NULL, e[300];

	if (!copy)
		return seterr(err, -ENOMEM, "out of memory");
	end = copy + strlen(copy);
	while (end > copy + 1 && end[-1] == '/')
		*--end = '\0';
	base = strrchr(copy, '/');
	base = base ? base + 1 : copy;
	if (!*base || strcmp(base, ".") == 0 || strcmp(base, "..") == 0) {
		real = realpath(path, NULL);
		base = real ? strrchr(real, '/') : NULL;
		base = base ? base + 1 : NULL;
		if (!base || !*base) {
			free(real);
			free(copy);
			return seterr(err, -EINVAL, "cannot name a torrent of "
			    "\"%s\": give --name", esc(path, e, sizeof(e)));
		}
	}
	*out = strdup(base);
	free(real);
	free(copy);
	return *out ? 0 : seterr(err, -ENOMEM, "out of memory");
}

static int
scan_path(const char *path, const char *name, struct scan *s, bool *multi)
{
	char e[300];
	struct stat st;

	if (stat(path, &st) != 0)
		return seterr(s->err, -errno, "%s: %s", esc(path, e, sizeof(e)),
		    strerror(errno));
	if (S_ISREG(st.st_mode)) {
		*multi = false;
		return scan_add(s, path, name, &st);
	}
	if (!S_ISDIR(st.st_mode))
		return seterr(s->err, -EINVAL, "%s: not a regular file or a "
		    "directory", esc(path, e, sizeof(e)));
	*multi = true;
	return scan_dir(s, path, "", 1);
}

static int
check_urls(const char *const *urls, size_t n, bool web_seed,
    struct create_error *err)
{
	char e[300];
	int rc;

	if (n > CREATE_MAX_URLS)
		return seterr(err, -E2BIG, "more than %u %s", CREATE_MAX_URLS,
		    web_seed ? "web seeds" : "trackers");
	for (size_t i = 0; i < n; i++) {
		rc = create_check_url(urls[i], web_seed, err);
		if (rc)
			return rc;
		for (size_t k = 0; k < i; k++) {
			if (strcmp(urls[k], urls[i]) == 0)
				return seterr(err, -EINVAL, "%s \"%s\" given "
				    "twice", web_seed ? "web seed" : "tracker",
				    esc(urls[i], e, sizeof(e)));
		}
	}
	return 0;
}

static int
check_opts(const struct create_opts *o, struct create_error *err)
{
	const char *why;
	int rc;

	rc = check_urls(o->trackers, o->ntrackers, false, err);
	if (rc == 0)
		rc = check_urls(o->web_seeds, o->nweb_seeds, true, err);
	if (rc)
		return rc;
	if (o->piece_len && !create_piece_len_ok(o->piece_len))
		return seterr(err, -EINVAL, "piece size %u: must be a power "
		    "of two from 16 KiB to 128 MiB", o->piece_len);
	if (o->name) {
		why = name_problem(o->name);
		if (why)
			return seterr(err, -EINVAL, "the name %s", why);
	}
	if (o->comment && !text_utf8_valid(o->comment,
	    strlen(o->comment)))
		return seterr(err, -EINVAL, "the comment is not valid UTF-8");
	return 0;
}

/* Append "l" + one path component per '/'-separated part of rel + "e". */
static void
put_path(struct buf *b, const char *rel)
{
	benc_put_list(b);
	for (;;) {
		const char *slash = strchr(rel, '/');
		size_t n = slash ? (size_t)(slash - rel) : strlen(rel);

		benc_put_str(b, rel, n);
		if (!slash)
			break;
		rel = slash + 1;
	}
	benc_put_end(b);
}

/* The info dictionary; keys in sorted order. */
static void
put_info(struct buf *b, const struct scan *s, bool multi, const char *name,
    uint32_t piece_len, const uint8_t *pieces, uint32_t npieces,
    bool is_private)
{
	benc_put_dict(b);
	if (multi) {
		benc_put_cstr(b, "files");
		benc_put_list(b);
		for (size_t i = 0; i < s->n; i++) {
			benc_put_dict(b);
			benc_put_cstr(b, "length");
			benc_put_int(b, (int64_t)s->v[i].size);
			benc_put_cstr(b, "path");
			put_path(b, s->v[i].rel);
			benc_put_end(b);
		}
		benc_put_end(b);
	} else {
		benc_put_cstr(b, "length");
		benc_put_int(b, (int64_t)s->v[0].size);
	}
	benc_put_cstr(b, "name");
	benc_put_cstr(b, name);
	benc_put_cstr(b, "piece length");
	benc_put_int(b, piece_len);
	benc_put_cstr(b, "pieces");
	benc_put_str(b, pieces, (size_t)npieces * SHA1_LEN);
	if (is_private) {
		benc_put_cstr(b, "private");
		benc_put_int(b, 1);
	}
	benc_put_end(b);
}

/* The whole torrent; keys in sorted order.  Sets the info-hash in res. */
static int
encode(struct buf *b, const struct create_opts *o, const struct scan *s,
    bool multi, const char *name, const uint8_t *pieces,
    struct create_result *res, struct create_error *err)
{
	size_t info_off, info_end;

	benc_put_dict(b);
	if (o->ntrackers) {
		benc_put_cstr(b, "announce");
		benc_put_cstr(b, o->trackers[0]);
	}
	if (o->ntrackers > 1) {
		benc_put_cstr(b, "announce-list");
		benc_put_list(b);
		for (size_t i = 0; i < o->ntrackers; i++) {
			benc_put_list(b);
			benc_put_cstr(b, o->trackers[i]);
			benc_put_end(b);
		}
		benc_put_end(b);
	}
	if (o->comment && *o->comment) {
		benc_put_cstr(b, "comment");
		benc_put_cstr(b, o->comment);
	}
	benc_put_cstr(b, "created by");
	benc_put_cstr(b, o->created_by ? o->created_by : "vtfs/" VTFS_VERSION);
	if (!o->no_date) {
		benc_put_cstr(b, "creation date");
		benc_put_int(b, o->date ? o->date : (int64_t)time(NULL));
	}
	benc_put_cstr(b, "info");
	info_off = b->len;
	put_info(b, s, multi, name, res->piece_len, pieces, res->npieces,
	    o->is_private);
	info_end = b->len;
	if (o->nweb_seeds) {
		benc_put_cstr(b, "url-list");
		benc_put_list(b);
		for (size_t i = 0; i < o->nweb_seeds; i++)
			benc_put_cstr(b, o->web_seeds[i]);
		benc_put_end(b);
	}
	benc_put_end(b);
	if (buf_error(b) == -EMSGSIZE || buf_error(b) == -E2BIG)
		return seterr(err, -E2BIG, "the torrent would be larger than "
		    "%zu MiB: use a larger piece size", b->max >> 20);
	if (buf_error(b))
		return seterr(err, buf_error(b), "out of memory");
	sha1(b->data + info_off, info_end - info_off, res->info_hash);
	return 0;
}

static int
hash_files(const struct scan *s, const struct create_opts *o,
    uint32_t piece_len, uint8_t *pieces, struct create_error *err)
{
	struct filehash_opts ho = {
		.nthreads = o->nthreads,
		.progress = o->progress,
		.cancel = o->cancel,
	};
	struct filehash_error he;
	struct filehash_file *hf = calloc(s->n, sizeof(*hf));
	int rc;

	if (!hf)
		return seterr(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < s->n; i++) {
		hf[i].path = s->v[i].full;
		hf[i].size = s->v[i].size;
		hf[i].mtime = s->v[i].mtime;
	}
	rc = filehash_run(hf, s->n, piece_len, &ho, pieces, &he);
	if (rc)
		seterr(err, rc, "%s", he.msg);
	free(hf);
	return rc;
}

int
create_build(const char *path, const struct create_opts *o, struct buf *out,
    struct create_result *res, struct create_error *err)
{
	struct scan s = {.err = err, .cancel = o->cancel};
	struct create_result r = {0};
	uint8_t *pieces = NULL;
	char *name = NULL, e[300];
	uint64_t total = 0, np;
	int rc;

	err->msg[0] = '\0';
	rc = check_opts(o, err);
	if (rc)
		return rc;
	if (o->name)
		name = strdup(o->name);
	else
		rc = create_default_name(path, &name, err);
	if (rc)
		return rc;
	if (!name)
		return seterr(err, -ENOMEM, "out of memory");
	if (!o->name && name_problem(name)) {
		rc = seterr(err, -EINVAL, "the name \"%s\" %s: give --name",
		    esc(name, e, sizeof(e)), name_problem(name));
		goto out;
	}
	rc = scan_path(path, name, &s, &r.multi);
	if (rc)
		goto out;
	if (s.n == 0) {
		rc = seterr(err, -ENOENT, "%s: no files to put in a torrent "
		    "(empty directories cannot be represented)",
		    esc(path, e, sizeof(e)));
		goto out;
	}
	for (size_t i = 0; i < s.n; i++) {
		if (s.v[i].size > UINT64_MAX / 2 - total) {
			rc = seterr(err, -E2BIG, "%s: too many bytes for one "
			    "torrent", esc(path, e, sizeof(e)));
			goto out;
		}
		total += s.v[i].size;
	}
	if (total == 0) {
		rc = seterr(err, -EINVAL, "%s: every file is empty; a torrent "
		    "needs at least one byte", esc(path, e, sizeof(e)));
		goto out;
	}
	progress_set_total(o->progress, total);
	r.piece_len = o->piece_len ? o->piece_len
	    : create_auto_piece_len(total);
	np = (total + r.piece_len - 1) / r.piece_len;
	if (np > CREATE_MAX_PIECES) {
		rc = seterr(err, -E2BIG, "%llu pieces (more than %u): use a "
		    "larger piece size", (unsigned long long)np,
		    CREATE_MAX_PIECES);
		goto out;
	}
	r.npieces = (uint32_t)np;
	r.total = total;
	r.nfiles = (uint32_t)s.n;
	r.nskipped = (uint32_t)s.skipped;
	pieces = malloc((size_t)r.npieces * SHA1_LEN);
	if (!pieces) {
		rc = seterr(err, -ENOMEM, "out of memory");
		goto out;
	}
	rc = hash_files(&s, o, r.piece_len, pieces, err);
	if (rc == 0)
		rc = encode(out, o, &s, r.multi, name, pieces, &r, err);
	if (rc == 0)
		*res = r;
out:
	free(pieces);
	free(name);
	scan_fini(&s);
	return rc;
}

/* The directory part of path ("." when there is none), newly allocated. */
static char *
dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return strdup(".");
	if (slash == path)
		return strdup("/");
	return strndup(path, (size_t)(slash - path));
}

int
create_check_output(const char *out_path, bool force,
    struct create_error *err)
{
	char e[300], *dir;
	struct stat st;
	int rc = 0;

	esc(out_path, e, sizeof(e));
	if (lstat(out_path, &st) == 0) {
		if (S_ISDIR(st.st_mode))
			return seterr(err, -EISDIR, "%s is a directory", e);
		if (!force)
			return seterr(err, -EEXIST, "%s exists (use --force "
			    "to replace it)", e);
	}
	dir = dir_of(out_path);
	if (!dir)
		return seterr(err, -ENOMEM, "out of memory");
	if (access(dir, W_OK | X_OK) != 0)
		rc = seterr(err, -errno, "cannot write in %s: %s",
		    esc(dir, e, sizeof(e)), strerror(errno));
	free(dir);
	return rc;
}

static int
write_all(int fd, const uint8_t *p, size_t len)
{
	while (len > 0) {
		ssize_t w = write(fd, p, len);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

/* Move tmp to out without replacing anything there; -EEXIST if taken. */
static int
place_noreplace(const char *tmp, const char *out)
{
	struct stat st;

	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, out, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS && errno != ENOTSUP)
		return -errno;
	/* A filesystem without RENAME_NOREPLACE: a hard link is atomic. */
	if (link(tmp, out) == 0) {
		unlink(tmp);
		return 0;
	}
	if (errno == EEXIST || (errno != EPERM && errno != ENOTSUP))
		return -errno;
	/* Neither (vfat): check, then rename; a small window remains. */
	if (lstat(out, &st) == 0)
		return -EEXIST;
	return rename(tmp, out) == 0 ? 0 : -errno;
}

int
create_write_file(const char *out_path, const void *data, size_t len,
    bool force, const atomic_int *cancel, struct create_error *err)
{
	char e[300], *dir = dir_of(out_path), *tmp = NULL;
	const char *base = strrchr(out_path, '/');
	int fd = -1, rc = 0, dfd;

	err->msg[0] = '\0';
	base = base ? base + 1 : out_path;
	esc(out_path, e, sizeof(e));
	if (!dir)
		return seterr(err, -ENOMEM, "out of memory");
	/* A hidden name next to the target, created exclusively. */
	for (unsigned i = 0; i < 100 && fd < 0; i++) {
		free(tmp);
		tmp = NULL;
		if (asprintf(&tmp, "%s/.%s.%ld.%u.tmp", dir, base,
		    (long)getpid(), i) < 0) {
			tmp = NULL;
			rc = seterr(err, -ENOMEM, "out of memory");
			goto out;
		}
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
		if (fd < 0 && errno != EEXIST) {
			rc = seterr(err, -errno, "cannot create a file next to "
			    "%s: %s", e, strerror(errno));
			goto out;
		}
	}
	if (fd < 0) {
		rc = seterr(err, -EEXIST, "cannot create a temporary file "
		    "next to %s", e);
		goto out;
	}
	rc = write_all(fd, data, len);
	if (rc == 0 && fsync(fd) != 0)
		rc = -errno;
	if (close(fd) != 0 && rc == 0)
		rc = -errno;
	fd = -1;
	if (rc) {
		seterr(err, rc, "writing %s: %s", e, strerror(-rc));
		goto out;
	}
	if (cancel && atomic_load(cancel)) {
		rc = seterr(err, -EINTR, "interrupted");
		goto out;
	}
	if (force)
		rc = rename(tmp, out_path) == 0 ? 0 : -errno;
	else
		rc = place_noreplace(tmp, out_path);
	if (rc) {
		if (rc == -EEXIST)
			seterr(err, rc, "%s exists (use --force to replace "
			    "it)", e);
		else
			seterr(err, rc, "cannot create %s: %s", e,
			    strerror(-rc));
		goto out;
	}
	free(tmp);
	tmp = NULL;	/* it is the output now */
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		(void)fsync(dfd);	/* the rename itself is durable */
		close(dfd);
	}
out:
	if (tmp) {
		unlink(tmp);
		free(tmp);
	}
	free(dir);
	return rc;
}
