/*
 * bencode: see bencode.h.  The decoder walks the input once with an
 * explicit stack of open containers (at most max_depth), appending nodes in
 * pre-order; a container's size and span are filled in when its 'e' is met.
 */
#include "base/bencode.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/bytes.h"

struct frame {
	uint32_t	 node;		/* index of the open container */
	bool		 want_value;	/* dict: a key was read, its value is next */
	bool		 unsorted;	/* dict: a key came out of order */
	const uint8_t	*last_key;	/* dict: previous key, for the order check */
	size_t		 last_len;
};

struct parser {
	const uint8_t		*buf;
	size_t			 len;
	size_t			 pos;
	struct benc_limits	 lim;
	struct benc_node	*nodes;
	uint32_t		 n;
	uint32_t		 alloc;
	uint32_t		 unsorted;
	struct frame		*stack;
	uint32_t		 depth;
	enum benc_errcode	 code;
	size_t			 err_off;
};

static int
fail(struct parser *p, enum benc_errcode code, size_t off)
{
	p->code = code;
	p->err_off = off;
	switch (code) {
	case BENC_E_STR_TOO_LONG:
	case BENC_E_TOO_DEEP:
	case BENC_E_TOO_MANY:
		return -E2BIG;
	case BENC_E_INT_RANGE:
		return -ERANGE;
	case BENC_E_NOMEM:
		return -ENOMEM;
	default:
		return -EBADMSG;
	}
}

static struct benc_node *
node_add(struct parser *p, enum benc_type type)
{
	struct benc_node *nd;

	if (p->n >= p->lim.max_nodes) {
		fail(p, BENC_E_TOO_MANY, p->pos);
		return NULL;
	}
	if (p->n == p->alloc) {
		uint32_t na = p->alloc ? p->alloc * 2 : 64;
		struct benc_node *nn;

		if (na > p->lim.max_nodes)
			na = p->lim.max_nodes;
		nn = realloc(p->nodes, (size_t)na * sizeof(*nn));
		if (!nn) {
			fail(p, BENC_E_NOMEM, p->pos);
			return NULL;
		}
		p->nodes = nn;
		p->alloc = na;
	}
	nd = &p->nodes[p->n++];
	memset(nd, 0, sizeof(*nd));
	nd->type = type;
	nd->size = 1;
	nd->off = p->pos;
	return nd;
}

/* i<digits>e at p->pos; canonical and within int64. */
static int
parse_int(struct parser *p, struct benc_node *nd)
{
	size_t start = p->pos, i = p->pos + 1;
	bool neg = false;
	uint64_t mag = 0, limit;
	size_t ndigits = 0;

	if (i < p->len && p->buf[i] == '-') {
		neg = true;
		i++;
	}
	limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; i < p->len && p->buf[i] >= '0' && p->buf[i] <= '9'; i++) {
		unsigned d = (unsigned)(p->buf[i] - '0');

		if (ndigits == 1 && mag == 0)
			return fail(p, BENC_E_INT_SYNTAX, start); /* i03e */
		if (mag > (limit - d) / 10)
			return fail(p, BENC_E_INT_RANGE, start);
		mag = mag * 10 + d;
		ndigits++;
	}
	if (i >= p->len)
		return fail(p, BENC_E_TRUNCATED, p->len);
	if (p->buf[i] != 'e' || ndigits == 0 || (neg && mag == 0))
		return fail(p, BENC_E_INT_SYNTAX, start);
	if (!neg)
		nd->i = (int64_t)mag;
	else if (mag == (uint64_t)INT64_MAX + 1)
		nd->i = INT64_MIN;
	else
		nd->i = -(int64_t)mag;
	p->pos = i + 1;
	nd->len = p->pos - start;
	return 0;
}

/* <len>:<bytes> at p->pos. */
static int
parse_str(struct parser *p, struct benc_node *nd)
{
	size_t start = p->pos, i = p->pos, slen = 0, ndigits = 0;

	for (; i < p->len && p->buf[i] >= '0' && p->buf[i] <= '9'; i++) {
		unsigned d = (unsigned)(p->buf[i] - '0');

		if (ndigits == 1 && slen == 0)
			return fail(p, BENC_E_STRLEN_SYNTAX, start); /* 03: */
		if (slen > p->lim.max_str / 10 ||
		    slen * 10 + d > p->lim.max_str)
			return fail(p, BENC_E_STR_TOO_LONG, start);
		slen = slen * 10 + d;
		ndigits++;
	}
	if (i >= p->len)
		return fail(p, BENC_E_TRUNCATED, p->len);
	if (p->buf[i] != ':')
		return fail(p, BENC_E_STRLEN_SYNTAX, start);
	i++;
	if (slen > p->len - i)
		return fail(p, BENC_E_TRUNCATED, p->len);
	nd->s = p->buf + i;
	nd->slen = slen;
	p->pos = i + slen;
	nd->len = p->pos - start;
	return 0;
}

static int
key_index_cmp(const void *x, const void *y, void *arg)
{
	const struct benc_node *nodes = arg;
	const struct benc_node *a = &nodes[*(const uint32_t *)x];
	const struct benc_node *b = &nodes[*(const uint32_t *)y];

	return bytes_cmp(a->s, a->slen, b->s, b->slen);
}

/*
 * A dictionary whose keys came out of order may still hide a duplicate
 * anywhere in it: sort the key indexes and compare neighbours.
 */
static int
check_dups(struct parser *p, uint32_t dict)
{
	const struct benc_node *d = &p->nodes[dict];
	uint32_t *keys, k = 0;
	int rc = 0;

	if (d->count < 2)
		return 0;
	keys = malloc((size_t)d->count * sizeof(*keys));
	if (!keys)
		return fail(p, BENC_E_NOMEM, d->off);
	for (uint32_t i = dict + 1; i < dict + d->size;) {
		keys[k++] = i;
		i += p->nodes[i].size;		/* the key */
		i += p->nodes[i].size;		/* its value */
	}
	qsort_r(keys, k, sizeof(*keys), key_index_cmp, p->nodes);
	for (uint32_t i = 1; i < k; i++) {
		if (key_index_cmp(&keys[i - 1], &keys[i], p->nodes) == 0) {
			rc = fail(p, BENC_E_DUP_KEY, p->nodes[keys[i]].off);
			break;
		}
	}
	free(keys);
	return rc;
}

/* The 'e' of the innermost open container is at p->pos. */
static int
close_container(struct parser *p)
{
	struct frame *f = &p->stack[p->depth - 1];
	struct benc_node *nd = &p->nodes[f->node];

	if (nd->type == BENC_DICT && f->want_value)
		return fail(p, BENC_E_BAD_TYPE, p->pos); /* key with no value */
	p->pos++;
	nd->size = p->n - f->node;
	nd->len = p->pos - nd->off;
	if (nd->type == BENC_DICT && f->unsorted) {
		int rc = check_dups(p, f->node);

		if (rc)
			return rc;
		p->unsorted++;
	}
	p->depth--;
	return 0;
}

/* A key (string node) was just read into the dict of frame f. */
static int
check_key(struct parser *p, struct frame *f, const struct benc_node *key)
{
	if (f->last_key) {
		int c = bytes_cmp(f->last_key, f->last_len, key->s, key->slen);

		if (c == 0)
			return fail(p, BENC_E_DUP_KEY, key->off);
		if (c > 0) {
			if (p->lim.flags & BENC_STRICT_ORDER)
				return fail(p, BENC_E_UNSORTED, key->off);
			f->unsorted = true;
		}
	}
	f->last_key = key->s;
	f->last_len = key->slen;
	return 0;
}

static int
parse_all(struct parser *p)
{
	for (;;) {
		struct frame *top = p->depth ? &p->stack[p->depth - 1] : NULL;
		struct benc_node *nd;
		uint32_t idx;
		uint8_t c;
		int rc;

		if (p->pos >= p->len)
			return fail(p, BENC_E_TRUNCATED, p->len);
		c = p->buf[p->pos];
		if (top && c == 'e') {
			rc = close_container(p);
			if (rc)
				return rc;
			/*
			 * Done at the root; otherwise it was counted in its
			 * parent when it opened.
			 */
			if (p->depth == 0)
				return 0;
			continue;
		}
		if (top && p->nodes[top->node].type == BENC_DICT &&
		    !top->want_value && !(c >= '0' && c <= '9'))
			return fail(p, BENC_E_KEY_NOT_STRING, p->pos);

		switch (c) {
		case 'i':
			nd = node_add(p, BENC_INT);
			if (!nd)
				return -1;
			rc = parse_int(p, nd);
			if (rc)
				return rc;
			break;
		case 'l':
		case 'd':
			if (p->depth >= p->lim.max_depth)
				return fail(p, BENC_E_TOO_DEEP, p->pos);
			nd = node_add(p, c == 'l' ? BENC_LIST : BENC_DICT);
			if (!nd)
				return -1;
			idx = (uint32_t)(nd - p->nodes);
			if (top) {
				/* Count it in its parent before it opens. */
				struct benc_node *par = &p->nodes[top->node];

				par->count++;
				top->want_value = false;
			}
			p->pos++;
			p->stack[p->depth++] = (struct frame){.node = idx};
			continue;
		default:
			if (c >= '0' && c <= '9') {
				nd = node_add(p, BENC_STR);
				if (!nd)
					return -1;
				rc = parse_str(p, nd);
				if (rc)
					return rc;
				if (top &&
				    p->nodes[top->node].type == BENC_DICT &&
				    !top->want_value) {
					rc = check_key(p, top, nd);
					if (rc)
						return rc;
					top->want_value = true;
					continue;
				}
				break;
			}
			return fail(p, BENC_E_BAD_TYPE, p->pos);
		}
		/* A scalar value was read. */
		if (!top)
			return 0;
		if (p->nodes[top->node].type == BENC_DICT)
			top->want_value = false;
		p->nodes[top->node].count++;
	}
}

int
benc_decode(const void *buf, size_t len, const struct benc_limits *lim,
    struct benc_doc *doc, struct benc_error *err)
{
	struct parser p = {.buf = buf, .len = len};
	int rc;

	memset(doc, 0, sizeof(*doc));
	if (lim)
		p.lim = *lim;
	if (p.lim.max_depth == 0)
		p.lim.max_depth = BENC_MAX_DEPTH;
	if (p.lim.max_nodes == 0)
		p.lim.max_nodes = BENC_DEFAULT_MAX_NODES;
	if (p.lim.max_str == 0)
		p.lim.max_str = BENC_DEFAULT_MAX_STR;
	p.stack = calloc(p.lim.max_depth, sizeof(*p.stack));
	if (!p.stack) {
		rc = fail(&p, BENC_E_NOMEM, 0);
		goto out;
	}
	rc = parse_all(&p);
	if (rc == -1)	/* node_add() failed and already set the code */
		rc = fail(&p, p.code, p.err_off);
	if (rc == 0 && p.pos != len)
		rc = fail(&p, BENC_E_TRAILING, p.pos);
out:
	free(p.stack);
	if (err) {
		err->code = rc ? p.code : BENC_OK;
		err->off = rc ? p.err_off : 0;
	}
	if (rc) {
		free(p.nodes);
		return rc;
	}
	doc->buf = buf;
	doc->len = len;
	doc->nodes = p.nodes;
	doc->n = p.n;
	doc->unsorted = p.unsorted;
	return 0;
}

void
benc_doc_fini(struct benc_doc *doc)
{
	free(doc->nodes);
	memset(doc, 0, sizeof(*doc));
}

const char *
benc_strerror(enum benc_errcode code)
{
	switch (code) {
	case BENC_OK:
		return "no error";
	case BENC_E_TRUNCATED:
		return "truncated";
	case BENC_E_INT_SYNTAX:
		return "malformed integer";
	case BENC_E_INT_RANGE:
		return "integer out of range";
	case BENC_E_STRLEN_SYNTAX:
		return "malformed string length";
	case BENC_E_STR_TOO_LONG:
		return "string too long";
	case BENC_E_TOO_DEEP:
		return "nested too deeply";
	case BENC_E_TOO_MANY:
		return "too many values";
	case BENC_E_TRAILING:
		return "trailing data after the value";
	case BENC_E_BAD_TYPE:
		return "unexpected byte";
	case BENC_E_KEY_NOT_STRING:
		return "dictionary key is not a string";
	case BENC_E_DUP_KEY:
		return "duplicate dictionary key";
	case BENC_E_UNSORTED:
		return "dictionary keys not sorted";
	case BENC_E_NOMEM:
		return "out of memory";
	}
	return "unknown error";
}

const struct benc_node *
benc_first(const struct benc_node *parent)
{
	if ((parent->type != BENC_LIST && parent->type != BENC_DICT) ||
	    parent->size < 2)
		return NULL;
	return parent + 1;
}

const struct benc_node *
benc_next(const struct benc_node *parent, const struct benc_node *cur)
{
	const struct benc_node *nx = cur + cur->size;

	return nx < parent + parent->size ? nx : NULL;
}

const struct benc_node *
benc_dict_get(const struct benc_node *dict, const char *key)
{
	size_t klen = strlen(key);

	if (dict->type != BENC_DICT)
		return NULL;
	for (const struct benc_node *k = benc_first(dict); k;) {
		const struct benc_node *v = benc_next(dict, k);

		if (!v)
			break;
		if (k->slen == klen && memcmp(k->s, key, klen) == 0)
			return v;
		k = benc_next(dict, v);
	}
	return NULL;
}

const struct benc_node *
benc_dict_get_type(const struct benc_node *dict, const char *key,
    enum benc_type type)
{
	const struct benc_node *v = benc_dict_get(dict, key);

	return v && v->type == type ? v : NULL;
}

bool
benc_str_eq(const struct benc_node *n, const char *s)
{
	size_t len = strlen(s);

	return n->type == BENC_STR && n->slen == len &&
	    memcmp(n->s, s, len) == 0;
}

int
benc_put_int(struct buf *b, int64_t v)
{
	return buf_printf(b, "i%llde", (long long)v);
}

int
benc_put_str(struct buf *b, const void *p, size_t n)
{
	buf_printf(b, "%zu:", n);
	return buf_append(b, p, n);
}

int
benc_put_cstr(struct buf *b, const char *s)
{
	return benc_put_str(b, s, strlen(s));
}

int
benc_put_list(struct buf *b)
{
	return buf_putc(b, 'l');
}

int
benc_put_dict(struct buf *b)
{
	return buf_putc(b, 'd');
}

int
benc_put_end(struct buf *b)
{
	return buf_putc(b, 'e');
}
