/* metainfo: see metainfo.h. */
#include "bt/metainfo.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/bencode.h"
#include "base/sha.h"
#include "base/text.h"

/* Parsing state: the decoded document and the metainfo being filled. */
struct mparse {
	struct benc_doc		 doc;
	const struct benc_node	*root;
	const struct benc_node	*info;
	struct metainfo		*m;	/* owned until handed out */
	struct meta_error	*err;	/* borrowed, may be NULL */
	char			*scratch;	/* owned: PATH_SCRATCH bytes */
};

/* The longest sanitised path: every component full, plus '/' or NUL. */
#define PATH_SCRATCH	((size_t)META_MAX_PATH_DEPTH * (META_MAX_NAME + 1))

static int
fail(struct mparse *p, int rc, enum meta_errcode code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int
fail(struct mparse *p, int rc, enum meta_errcode code, const char *fmt, ...)
{
	va_list ap;

	if (p->err) {
		p->err->code = code;
		va_start(ap, fmt);
		vsnprintf(p->err->msg, sizeof(p->err->msg), fmt, ap);
		va_end(ap);
	}
	return rc;
}

static int
nomem(struct mparse *p)
{
	return fail(p, -ENOMEM, META_E_NOMEM, "out of memory");
}

/*
 * One output unit of a sanitised name at in[*i]: a valid character copied,
 * or "_" for a control byte, '/', '\\' or a byte of an invalid sequence.
 * Advances *i; returns the unit's length in out[4].
 */
static size_t
name_unit(const uint8_t *in, size_t len, size_t *i, uint8_t out[4])
{
	uint8_t c = in[*i];
	size_t l = text_utf8_len(in + *i, len - *i);

	if (l == 0 || c < 0x20 || c == 0x7f || c == '/' || c == '\\') {
		out[0] = '_';
		*i += 1;
		return 1;
	}
	memcpy(out, in + *i, l);
	*i += l;
	return l;
}

int
meta_sanitise_component(const uint8_t *in, size_t len, char *out)
{
	size_t i, o, total = 0, dot_in = 0, dot_out = 0, budget, ext;
	bool has_dot = false;
	uint8_t u[4];

	if (len == 0 || (len == 1 && in[0] == '.') ||
	    (len == 2 && in[0] == '.' && in[1] == '.'))
		return -EINVAL;
	/* Pass 1: the sanitised length and where its last '.' is. */
	for (i = 0; i < len;) {
		size_t at = i, l = name_unit(in, len, &i, u);

		if (l == 1 && u[0] == '.' && total > 0) {
			has_dot = true;
			dot_in = at;
			dot_out = total;
		}
		total += l;
	}
	ext = has_dot ? total - dot_out : 0;
	if (total <= META_MAX_NAME || ext > META_MAX_EXT)
		ext = 0;
	budget = META_MAX_NAME - ext;
	/* Pass 2: the head, cut on a character boundary, then the extension. */
	for (i = 0, o = 0; i < len;) {
		size_t l = name_unit(in, len, &i, u);

		if (o + l > budget)
			break;
		memcpy(out + o, u, l);
		o += l;
	}
	if (ext > 0) {
		for (i = dot_in; i < len;) {
			size_t l = name_unit(in, len, &i, u);

			memcpy(out + o, u, l);
			o += l;
		}
	}
	out[o] = '\0';
	return 0;
}

/* A NUL-terminated copy with invalid UTF-8 and NUL bytes replaced by '_'. */
static char *
text_copy(const uint8_t *s, size_t n)
{
	char *out = malloc(n + 1);
	size_t i = 0;

	if (!out)
		return NULL;
	while (i < n) {
		size_t l = text_utf8_len(s + i, n - i);

		if (l == 0 || s[i] == '\0') {
			out[i++] = '_';
			continue;
		}
		memcpy(out + i, s + i, l);
		i += l;
	}
	out[n] = '\0';
	return out;
}

/* The "key.utf-8" string when valid UTF-8, else "key" (NULL if neither). */
static const struct benc_node *
utf8_variant(const struct benc_node *dict, const char *key,
    const char *key_utf8)
{
	const struct benc_node *v = benc_dict_get_type(dict, key_utf8,
	    BENC_STR);

	if (v && text_utf8_valid(v->s, v->slen))
		return v;
	return benc_dict_get(dict, key);
}

static int
parse_text(struct mparse *p, const char *key, const char *key_utf8,
    char **out)
{
	const struct benc_node *v = utf8_variant(p->root, key, key_utf8);

	if (!v || v->type != BENC_STR)
		return 0;	/* optional, ignored when of another type */
	*out = text_copy(v->s, v->slen);
	return *out ? 0 : nomem(p);
}

/* ---- trackers and web seeds ---- */

/* An URL worth keeping: capped, printable, no spaces, valid UTF-8. */
static bool
url_ok(const struct benc_node *v)
{
	if (v->slen == 0 || v->slen > META_MAX_URL)
		return false;
	for (size_t i = 0; i < v->slen; i++)
		if (v->s[i] <= 0x20 || v->s[i] == 0x7f)
			return false;
	return text_utf8_valid(v->s, v->slen);
}

static bool
url_seen(const struct metainfo *m, const struct benc_node *v)
{
	for (uint32_t t = 0; t < m->ntiers; t++)
		for (uint32_t u = 0; u < m->tiers[t].nurls; u++)
			if (strlen(m->tiers[t].urls[u]) == v->slen &&
			    memcmp(m->tiers[t].urls[u], v->s, v->slen) == 0)
				return true;
	return false;
}

/* Append the URLs of one tier (a list, or the "announce" string alone). */
static int
add_tier(struct mparse *p, const struct benc_node *tier)
{
	struct metainfo *m = p->m;
	struct meta_tier *t = &m->tiers[m->ntiers];
	const struct benc_node *v;
	uint32_t n = tier->type == BENC_LIST && tier->count ? tier->count : 1;

	t->urls = calloc(n, sizeof(*t->urls));
	if (!t->urls)
		return nomem(p);
	m->ntiers++;
	v = tier->type == BENC_LIST ? benc_first(tier) : tier;
	for (; v; v = tier->type == BENC_LIST ? benc_next(tier, v) : NULL) {
		if (v->type != BENC_STR)
			return fail(p, -EBADMSG, META_E_TRACKERS,
			    "a tracker URL is not a string");
		if (!url_ok(v) || url_seen(m, v))
			continue;
		t->urls[t->nurls] = strndup((const char *)v->s, v->slen);
		if (!t->urls[t->nurls])
			return nomem(p);
		t->nurls++;
	}
	if (t->nurls == 0) {
		free(t->urls);
		t->urls = NULL;
		m->ntiers--;
	}
	return 0;
}

/*
 * BEP 12: "announce-list" is a list of tiers, each a list of URLs; when it
 * is absent (or holds no usable URL), "announce" alone is the one tier.
 */
static int
parse_trackers(struct mparse *p)
{
	const struct benc_node *al = benc_dict_get(p->root, "announce-list");
	const struct benc_node *an = benc_dict_get(p->root, "announce");
	uint32_t urls = 0;
	int rc;

	if (al && al->type != BENC_LIST)
		return fail(p, -EBADMSG, META_E_TRACKERS,
		    "announce-list is not a list");
	if (an && an->type != BENC_STR)
		return fail(p, -EBADMSG, META_E_TRACKERS,
		    "announce is not a string");
	if (al) {
		if (al->count > META_MAX_TIERS)
			return fail(p, -E2BIG, META_E_TRACKERS,
			    "%u tiers (at most %u)", al->count,
			    META_MAX_TIERS);
		for (const struct benc_node *t = benc_first(al); t;
		    t = benc_next(al, t)) {
			if (t->type != BENC_LIST)
				return fail(p, -EBADMSG, META_E_TRACKERS,
				    "an announce-list tier is not a list");
			urls += t->count;
		}
		if (urls > META_MAX_URLS)
			return fail(p, -E2BIG, META_E_TRACKERS,
			    "%u tracker URLs (at most %u)", urls,
			    META_MAX_URLS);
	}
	p->m->tiers = calloc(al && al->count ? al->count : 1,
	    sizeof(*p->m->tiers));
	if (!p->m->tiers)
		return nomem(p);
	if (al) {
		for (const struct benc_node *t = benc_first(al); t;
		    t = benc_next(al, t)) {
			rc = add_tier(p, t);
			if (rc < 0)
				return rc;
		}
	}
	if (p->m->ntiers == 0 && an)
		return add_tier(p, an);
	return 0;
}

/* BEP 19: "url-list" is one URL or a list of them. */
static int
parse_web_seeds(struct mparse *p)
{
	const struct benc_node *ul = benc_dict_get(p->root, "url-list");
	struct metainfo *m = p->m;
	uint32_t n;

	if (!ul)
		return 0;
	if (ul->type != BENC_STR && ul->type != BENC_LIST)
		return fail(p, -EBADMSG, META_E_WEB_SEEDS,
		    "url-list is neither a string nor a list");
	n = ul->type == BENC_LIST ? ul->count : 1;
	if (n > META_MAX_URLS)
		return fail(p, -E2BIG, META_E_WEB_SEEDS,
		    "%u web seeds (at most %u)", n, META_MAX_URLS);
	if (n == 0)
		return 0;
	m->web_seeds = calloc(n, sizeof(*m->web_seeds));
	if (!m->web_seeds)
		return nomem(p);
	for (const struct benc_node *v = ul->type == BENC_LIST ?
	    benc_first(ul) : ul; v;
	    v = ul->type == BENC_LIST ? benc_next(ul, v) : NULL) {
		bool dup = false;

		if (v->type != BENC_STR)
			return fail(p, -EBADMSG, META_E_WEB_SEEDS,
			    "a web seed URL is not a string");
		if (!url_ok(v))
			continue;
		for (uint32_t i = 0; i < m->nweb_seeds && !dup; i++)
			dup = strlen(m->web_seeds[i]) == v->slen &&
			    memcmp(m->web_seeds[i], v->s, v->slen) == 0;
		if (dup)
			continue;
		m->web_seeds[m->nweb_seeds] = strndup((const char *)v->s,
		    v->slen);
		if (!m->web_seeds[m->nweb_seeds])
			return nomem(p);
		m->nweb_seeds++;
	}
	return 0;
}

/* ---- files ---- */

static unsigned
parse_attr(const struct benc_node *d)
{
	const struct benc_node *a = benc_dict_get_type(d, "attr", BENC_STR);
	unsigned attr = 0;

	for (size_t i = 0; a && i < a->slen; i++) {
		switch (a->s[i]) {
		case 'p':
			attr |= META_ATTR_PAD;
			break;
		case 'h':
			attr |= META_ATTR_HIDDEN;
			break;
		case 'x':
			attr |= META_ATTR_EXEC;
			break;
		case 'l':
			attr |= META_ATTR_SYMLINK;
			break;
		default:
			break;	/* BEP 47: unknown attributes are ignored */
		}
	}
	return attr;
}

static bool
path_list_ok(const struct benc_node *l, bool need_utf8)
{
	if (!l || l->type != BENC_LIST)
		return false;
	for (const struct benc_node *c = benc_first(l); c; c = benc_next(l, c))
		if (c->type != BENC_STR ||
		    (need_utf8 && !text_utf8_valid(c->s, c->slen)))
			return false;
	return true;
}

/*
 * The sanitised path of one entry of "files" into f->path.  "path.utf-8"
 * wins when it is a list of valid UTF-8 strings.
 */
static int
parse_path(struct mparse *p, const struct benc_node *d, uint32_t idx,
    struct meta_file *f)
{
	const struct benc_node *l = benc_dict_get(d, "path.utf-8");
	char comp[META_MAX_NAME + 1], *path = p->scratch;
	size_t len = 0;
	bool first = true;

	if (!path_list_ok(l, true))
		l = benc_dict_get(d, "path");
	if (!path_list_ok(l, false))
		return fail(p, -EBADMSG, META_E_PATH,
		    "file %u: path missing or not a list of strings", idx);
	if (l->count > META_MAX_PATH_DEPTH)
		return fail(p, -E2BIG, META_E_PATH_DEPTH,
		    "file %u: path of %u components (at most %u)", idx,
		    l->count, META_MAX_PATH_DEPTH);
	for (const struct benc_node *c = benc_first(l); c;
	    c = benc_next(l, c)) {
		size_t n;

		if (first && c->slen == 4 && memcmp(c->s, ".pad", 4) == 0 &&
		    l->count > 1)
			f->attr |= META_ATTR_PAD;	/* old libtorrent */
		first = false;
		if (meta_sanitise_component(c->s, c->slen, comp) < 0)
			continue;	/* "", ".", "..": dropped */
		n = strlen(comp);
		if (len > 0)
			path[len++] = '/';
		memcpy(path + len, comp, n);
		len += n;
	}
	path[len] = '\0';
	if (len == 0)
		return fail(p, -EBADMSG, META_E_PATH,
		    "file %u: no usable path component", idx);
	f->path = strdup(path);
	return f->path ? 0 : nomem(p);
}

/* Add a file length to the total, refusing negatives and overflow. */
static int
add_length(struct mparse *p, const struct benc_node *len, uint32_t idx,
    struct meta_file *f)
{
	if (!len || len->type != BENC_INT || len->i < 0)
		return fail(p, -EBADMSG, META_E_LENGTH,
		    "file %u: length missing or negative", idx);
	if ((uint64_t)len->i > (uint64_t)INT64_MAX - p->m->total)
		return fail(p, -ERANGE, META_E_LENGTH,
		    "file %u: total size overflows", idx);
	f->offset = p->m->total;
	f->size = (uint64_t)len->i;
	p->m->total += f->size;
	return 0;
}

static int
parse_multi(struct mparse *p, const struct benc_node *files)
{
	struct metainfo *m = p->m;
	uint32_t idx = 0;
	int rc;

	if (files->type != BENC_LIST || files->count == 0)
		return fail(p, -EBADMSG, META_E_FILES,
		    "files is not a non-empty list");
	if (files->count > META_MAX_FILES)
		return fail(p, -E2BIG, META_E_TOO_MANY_FILES,
		    "%u files (at most %u)", files->count, META_MAX_FILES);
	m->files = calloc(files->count, sizeof(*m->files));
	p->scratch = malloc(PATH_SCRATCH);
	if (!m->files || !p->scratch)
		return nomem(p);
	for (const struct benc_node *d = benc_first(files); d;
	    d = benc_next(files, d), idx++) {
		struct meta_file *f = &m->files[idx];

		if (d->type != BENC_DICT)
			return fail(p, -EBADMSG, META_E_FILES,
			    "file %u is not a dictionary", idx);
		m->nfiles = idx + 1;
		rc = add_length(p, benc_dict_get(d, "length"), idx, f);
		if (rc < 0)
			return rc;
		f->attr = parse_attr(d);
		rc = parse_path(p, d, idx, f);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int
parse_single(struct mparse *p, const struct benc_node *len)
{
	struct metainfo *m = p->m;
	int rc;

	m->files = calloc(1, sizeof(*m->files));
	if (!m->files)
		return nomem(p);
	m->nfiles = 1;
	rc = add_length(p, len, 0, &m->files[0]);
	if (rc < 0)
		return rc;
	/* BEP 47: a single file's attributes live in the info dictionary. */
	m->files[0].attr = parse_attr(p->info) & ~(unsigned)META_ATTR_PAD;
	m->files[0].path = strdup(m->name);
	return m->files[0].path ? 0 : nomem(p);
}

/*
 * Byte order for paths in which '/' sorts before every other byte, so that
 * the files inside folder "a/b" come right after a file "a/b".
 */
static int
path_cmp(const void *x, const void *y)
{
	const unsigned char *a = *(const unsigned char *const *)x;
	const unsigned char *b = *(const unsigned char *const *)y;

	for (;; a++, b++) {
		unsigned ca = *a == '/' ? 1 : *a, cb = *b == '/' ? 1 : *b;

		if (ca != cb || ca == 0)
			return (int)ca - (int)cb;
	}
}

static int
check_dups(struct mparse *p)
{
	struct metainfo *m = p->m;
	const char **v = malloc((size_t)m->nfiles * sizeof(*v));
	uint32_t n = 0;
	int rc = 0;

	if (!v)
		return nomem(p);
	for (uint32_t i = 0; i < m->nfiles; i++)
		if (!(m->files[i].attr & META_ATTR_PAD))
			v[n++] = m->files[i].path;
	qsort(v, n, sizeof(*v), path_cmp);
	for (uint32_t i = 1; i < n; i++) {
		size_t l = strlen(v[i - 1]);

		if (strcmp(v[i - 1], v[i]) == 0) {
			rc = fail(p, -EBADMSG, META_E_DUP_PATH,
			    "two files have the path '%.200s'", v[i]);
			break;
		}
		if (strncmp(v[i - 1], v[i], l) == 0 && v[i][l] == '/') {
			rc = fail(p, -EBADMSG, META_E_DUP_PATH,
			    "'%.200s' is both a file and a folder",
			    v[i - 1]);
			break;
		}
	}
	free(v);
	return rc;
}

/* ---- the info dictionary ---- */

static int
parse_name(struct mparse *p)
{
	const struct benc_node *v = utf8_variant(p->info, "name", "name.utf-8");
	char comp[META_MAX_NAME + 1];

	if (!v || v->type != BENC_STR)
		return fail(p, -EBADMSG, META_E_NAME,
		    "name missing or not a string");
	if (meta_sanitise_component(v->s, v->slen, comp) < 0)
		return fail(p, -EBADMSG, META_E_NAME,
		    "name is empty, \".\" or \"..\"");
	p->m->name = strdup(comp);
	return p->m->name ? 0 : nomem(p);
}

static int
parse_piece_len(struct mparse *p)
{
	const struct benc_node *v = benc_dict_get(p->info, "piece length");

	if (!v || v->type != BENC_INT)
		return fail(p, -EBADMSG, META_E_PIECE_LEN,
		    "piece length missing or not an integer");
	if (v->i > META_MAX_PIECE_LEN)
		return fail(p, -E2BIG, META_E_PIECE_LEN,
		    "piece length %lld above %u", (long long)v->i,
		    META_MAX_PIECE_LEN);
	/*
	 * BEP 3 asks for a power of two; multiples of 16 KiB that are not one
	 * exist in the wild and every mainstream client loads them, and
	 * nothing here needs the power of two, so they are accepted.
	 */
	if (v->i < META_MIN_PIECE_LEN || v->i % META_MIN_PIECE_LEN != 0)
		return fail(p, -EBADMSG, META_E_PIECE_LEN,
		    "piece length %lld is not a multiple of 16 KiB",
		    (long long)v->i);
	p->m->piece_len = (uint32_t)v->i;
	return 0;
}

static int
parse_pieces(struct mparse *p)
{
	const struct benc_node *v = benc_dict_get(p->info, "pieces");
	struct metainfo *m = p->m;
	uint64_t want;

	if (!v || v->type != BENC_STR || v->slen % 20 != 0)
		return fail(p, -EBADMSG, META_E_PIECES,
		    "pieces missing or its length not a multiple of 20");
	if (v->slen / 20 > META_MAX_PIECES)
		return fail(p, -E2BIG, META_E_PIECES,
		    "%zu pieces (at most %u)", v->slen / 20, META_MAX_PIECES);
	want = (m->total + m->piece_len - 1) / m->piece_len;
	if (want != v->slen / 20)
		return fail(p, -EBADMSG, META_E_PIECE_COUNT,
		    "%zu piece hashes for %llu bytes in pieces of %u "
		    "(want %llu)", v->slen / 20, (unsigned long long)m->total,
		    m->piece_len, (unsigned long long)want);
	m->npieces = (uint32_t)want;
	m->pieces = malloc(v->slen);
	if (!m->pieces)
		return nomem(p);
	memcpy(m->pieces, v->s, v->slen);
	return 0;
}

static int
parse_info(struct mparse *p)
{
	const struct benc_node *len = benc_dict_get(p->info, "length");
	const struct benc_node *files = benc_dict_get(p->info, "files");
	const struct benc_node *ver = benc_dict_get_type(p->info,
	    "meta version", BENC_INT);
	const struct benc_node *priv;
	struct metainfo *m = p->m;
	int rc;

	/* BEP 52: v2 alone has no "pieces"; a hybrid has both layouts. */
	if (ver && ver->i == 2 && !benc_dict_get(p->info, "pieces"))
		return fail(p, -ENOTSUP, META_E_V2_ONLY,
		    "BEP 52 \"meta version\" 2 without v1 \"pieces\"");
	m->info_len = p->info->len;
	m->info_raw = malloc(m->info_len);
	if (!m->info_raw)
		return nomem(p);
	memcpy(m->info_raw, benc_raw(&p->doc, p->info), m->info_len);
	sha1(m->info_raw, m->info_len, m->info_hash);
	if (ver && ver->i == 2) {
		m->has_v2 = true;
		sha256(m->info_raw, m->info_len, m->info_hash_v2);
	}
	rc = parse_name(p);
	if (rc == 0)
		rc = parse_piece_len(p);
	if (rc < 0)
		return rc;
	if (!len == !files)
		return fail(p, -EBADMSG, META_E_BOTH_LAYOUTS, "%s",
		    len ? "both length and files" : "neither length nor files");
	m->multi = files != NULL;
	rc = files ? parse_multi(p, files) : parse_single(p, len);
	if (rc == 0 && files)
		rc = check_dups(p);
	if (rc < 0)
		return rc;
	if (m->total == 0)
		return fail(p, -EBADMSG, META_E_LENGTH, "the torrent holds no data");
	rc = parse_pieces(p);
	if (rc < 0)
		return rc;
	priv = benc_dict_get_type(p->info, "private", BENC_INT);
	m->is_private = priv && priv->i != 0;
	return 0;
}

int
meta_parse(const void *buf, size_t len, struct metainfo **out,
    struct meta_error *err)
{
	struct mparse p = {.err = err};
	struct benc_error berr;
	const struct benc_node *v;
	int rc;

	if (err) {
		err->code = META_OK;
		err->msg[0] = '\0';
	}
	if (len > META_MAX_TORRENT_SIZE)
		return fail(&p, -E2BIG, META_E_TOO_BIG,
		    "%zu bytes (at most %zu)", len, META_MAX_TORRENT_SIZE);
	rc = benc_decode(buf, len, NULL, &p.doc, &berr);
	if (rc < 0)
		return fail(&p, rc, META_E_BENCODE, "%s at byte %zu",
		    benc_strerror(berr.code), berr.off);
	p.root = benc_root(&p.doc);
	if (p.root->type != BENC_DICT) {
		rc = fail(&p, -EBADMSG, META_E_NOT_DICT,
		    "the root is not a dictionary");
		goto out;
	}
	p.info = benc_dict_get_type(p.root, "info", BENC_DICT);
	if (!p.info) {
		rc = fail(&p, -EBADMSG, META_E_NO_INFO,
		    "info missing or not a dictionary");
		goto out;
	}
	p.m = calloc(1, sizeof(*p.m));
	if (!p.m) {
		rc = nomem(&p);
		goto out;
	}
	rc = parse_info(&p);
	if (rc == 0)
		rc = parse_trackers(&p);
	if (rc == 0)
		rc = parse_web_seeds(&p);
	if (rc == 0)
		rc = parse_text(&p, "comment", "comment.utf-8", &p.m->comment);
	if (rc == 0)
		rc = parse_text(&p, "created by", "created by.utf-8",
		    &p.m->created_by);
	if (rc < 0)
		goto out;
	v = benc_dict_get_type(p.root, "creation date", BENC_INT);
	p.m->creation_date = v ? v->i : 0;
	*out = p.m;
	p.m = NULL;
out:
	meta_free(p.m);
	free(p.scratch);
	benc_doc_fini(&p.doc);
	return rc;
}

/* An I/O failure, described with the thread-safe strerror_r. */
static int
fail_errno(struct mparse *p, int e)
{
	char b[128];

	return fail(p, -e, META_E_IO, "%s", strerror_r(e, b, sizeof(b)));
}

int
meta_load_file(const char *path, struct metainfo **out,
    struct meta_error *err)
{
	struct mparse p = {.err = err};
	struct stat st;
	uint8_t *data = NULL;
	size_t len = 0, cap;
	ssize_t n;
	int fd, rc;

	/* O_NONBLOCK: opening a FIFO must not hang before fstat refuses it. */
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return fail_errno(&p, errno);
	if (fstat(fd, &st) < 0) {
		rc = fail_errno(&p, errno);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = fail(&p, -EINVAL, META_E_NOT_REGULAR,
		    "not a regular file");
		goto out;
	}
	if ((uint64_t)st.st_size > META_MAX_TORRENT_SIZE) {
		rc = fail(&p, -E2BIG, META_E_TOO_BIG,
		    "%llu bytes (at most %zu)",
		    (unsigned long long)st.st_size, META_MAX_TORRENT_SIZE);
		goto out;
	}
	/* One byte more than the cap, in case the file grew since fstat. */
	cap = (size_t)st.st_size + 1;
	data = malloc(cap);
	if (!data) {
		rc = nomem(&p);
		goto out;
	}
	for (;;) {
		if (len == cap) {
			uint8_t *nd;

			if (cap > META_MAX_TORRENT_SIZE)
				break;
			cap = cap * 2 > META_MAX_TORRENT_SIZE + 1 ?
			    META_MAX_TORRENT_SIZE + 1 : cap * 2;
			nd = realloc(data, cap);
			if (!nd) {
				rc = nomem(&p);
				goto out;
			}
			data = nd;
		}
		n = read(fd, data + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = fail_errno(&p, errno);
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	rc = meta_parse(data, len, out, err);
out:
	free(data);
	close(fd);
	return rc;
}

void
meta_free(struct metainfo *m)
{
	if (!m)
		return;
	for (uint32_t i = 0; i < m->nfiles; i++)
		free(m->files[i].path);
	free(m->files);
	for (uint32_t t = 0; t < m->ntiers; t++) {
		for (uint32_t u = 0; u < m->tiers[t].nurls; u++)
			free(m->tiers[t].urls[u]);
		free(m->tiers[t].urls);
	}
	free(m->tiers);
	for (uint32_t i = 0; i < m->nweb_seeds; i++)
		free(m->web_seeds[i]);
	free(m->web_seeds);
	free(m->name);
	free(m->pieces);
	free(m->comment);
	free(m->created_by);
	free(m->info_raw);
	free(m);
}

const char *
meta_strerror(enum meta_errcode code)
{
	switch (code) {
	case META_OK:
		return "no error";
	case META_E_IO:
		return "cannot read the file";
	case META_E_NOT_REGULAR:
		return "not a regular file";
	case META_E_TOO_BIG:
		return "torrent file too big";
	case META_E_BENCODE:
		return "not valid bencode";
	case META_E_NOT_DICT:
		return "not a torrent (root is not a dictionary)";
	case META_E_NO_INFO:
		return "no info dictionary";
	case META_E_V2_ONLY:
		return "v2-only torrent: not supported yet";
	case META_E_NAME:
		return "bad torrent name";
	case META_E_PIECE_LEN:
		return "bad piece length";
	case META_E_PIECES:
		return "bad piece hashes";
	case META_E_PIECE_COUNT:
		return "piece count does not match the size";
	case META_E_LENGTH:
		return "bad file length";
	case META_E_BOTH_LAYOUTS:
		return "bad file layout";
	case META_E_FILES:
		return "bad file list";
	case META_E_TOO_MANY_FILES:
		return "too many files";
	case META_E_PATH:
		return "bad file path";
	case META_E_PATH_DEPTH:
		return "file path too deep";
	case META_E_DUP_PATH:
		return "duplicate file path";
	case META_E_TRACKERS:
		return "bad tracker list";
	case META_E_NOMEM:
		return "out of memory";
	case META_E_WEB_SEEDS:
		return "bad web seed list";
	}
	return "unknown error";
}

uint32_t
meta_piece_size(const struct metainfo *m, uint32_t piece)
{
	if (piece >= m->npieces)
		return 0;
	if (piece + 1 < m->npieces)
		return m->piece_len;
	return (uint32_t)(m->total - (uint64_t)piece * m->piece_len);
}

uint32_t
meta_file_at(const struct metainfo *m, uint64_t off)
{
	uint32_t lo = 0, hi = m->nfiles;

	if (off >= m->total)
		return m->nfiles;
	/* The last file starting at or before off: empty files are skipped
	 * because the file after them starts at the same offset. */
	while (hi - lo > 1) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (m->files[mid].offset <= off)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}
