/*
 * wire: see wire.h.  The decoder keeps a 5-byte header (length prefix and
 * id) apart from the body, so the length and the per-type size are checked
 * before a single body byte is buffered, and a body that arrives whole in
 * the caller's input is parsed in place (no copy: a piece block goes from
 * the socket buffer straight to the piece assembly buffer).
 */
#include "bt/wire.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/bencode.h"
#include "base/bytes.h"

/* A partial-message buffer larger than this is released after use. */
#define WIRE_KEEP_BUF	(64u << 10)

uint32_t
wire_piece_size(const struct wire_geom *g, uint32_t i)
{
	uint64_t off = (uint64_t)i * g->piece_len;

	if (i >= g->npieces || off >= g->total)
		return 0;
	return g->total - off < g->piece_len ? (uint32_t)(g->total - off) :
	    g->piece_len;
}

void
wire_dec_init(struct wire_dec *d, const struct wire_geom *geom,
    bool expect_handshake)
{
	memset(d, 0, sizeof(*d));
	if (geom != NULL)
		wire_dec_set_geom(d, geom);
	d->want_hs = expect_handshake;
}

void
wire_dec_set_geom(struct wire_dec *d, const struct wire_geom *geom)
{
	d->geom = *geom;
	d->have_geom = true;
}

void
wire_dec_fini(struct wire_dec *d)
{
	free(d->buf);
	memset(d, 0, sizeof(*d));
}

/* The body size a message id must have, checked on the header alone. */
static int
check_size(const struct wire_dec *d, uint8_t id, uint32_t len)
{
	switch (id) {
	case WIRE_CHOKE:
	case WIRE_UNCHOKE:
	case WIRE_INTERESTED:
	case WIRE_NOT_INTERESTED:
	case WIRE_HAVE_ALL:
	case WIRE_HAVE_NONE:
		return len == 1 ? 0 : -EBADMSG;
	case WIRE_HAVE:
	case WIRE_SUGGEST:
	case WIRE_ALLOWED_FAST:
		return len == 5 ? 0 : -EBADMSG;
	case WIRE_REQUEST:
	case WIRE_CANCEL:
	case WIRE_REJECT:
		return len == 13 ? 0 : -EBADMSG;
	case WIRE_BITFIELD:
		return len == bitfield_bytes(d->geom.npieces) + 1 ? 0 :
		    -EBADMSG;
	case WIRE_PIECE:
		/* A block: 1 to 16 KiB (we never request more). */
		return len > 9 && len - 9 <= WIRE_BLOCK ? 0 : -EBADMSG;
	case WIRE_PORT:
		return len == 3 ? 0 : -EBADMSG;
	case WIRE_EXTENDED:
		return len >= 2 ? 0 : -EBADMSG;
	default:
		return 0;	/* unknown: capped by WIRE_MAX_MSG only */
	}
}

static int
check_index(const struct wire_dec *d, uint32_t index)
{
	return index < d->geom.npieces ? 0 : -EBADMSG;
}

static int
check_range(const struct wire_dec *d, uint32_t index, uint32_t begin,
    uint32_t length)
{
	if (index >= d->geom.npieces || length == 0)
		return -EBADMSG;
	if ((uint64_t)begin + length > wire_piece_size(&d->geom, index))
		return -EBADMSG;
	return 0;
}

/* Parse a body (the id byte excluded) whose size check_size() accepted. */
static int
parse_body(const struct wire_dec *d, uint8_t id, const uint8_t *p,
    size_t n, struct wire_msg *m)
{
	memset(m, 0, sizeof(*m));
	m->type = (enum wire_id)id;
	switch (id) {
	case WIRE_CHOKE:
	case WIRE_UNCHOKE:
	case WIRE_INTERESTED:
	case WIRE_NOT_INTERESTED:
	case WIRE_HAVE_ALL:
	case WIRE_HAVE_NONE:
		return 0;
	case WIRE_HAVE:
	case WIRE_SUGGEST:
	case WIRE_ALLOWED_FAST:
		m->index = be32_get(p);
		return check_index(d, m->index);
	case WIRE_REQUEST:
	case WIRE_CANCEL:
	case WIRE_REJECT:
		m->index = be32_get(p);
		m->begin = be32_get(p + 4);
		m->length = be32_get(p + 8);
		return check_range(d, m->index, m->begin, m->length);
	case WIRE_BITFIELD:
		m->data = p;
		m->len = n;
		return bitfield_check_wire(d->geom.npieces, p, n);
	case WIRE_PIECE:
		m->index = be32_get(p);
		m->begin = be32_get(p + 4);
		m->length = (uint32_t)(n - 8);
		m->data = p + 8;
		m->len = n - 8;
		return check_range(d, m->index, m->begin, m->length);
	case WIRE_PORT:
		m->port = be16_get(p);
		return 0;
	case WIRE_EXTENDED:
		m->ext_id = p[0];
		m->data = p + 1;
		m->len = n - 1;
		return 0;
	default:
		m->type = WIRE_UNKNOWN;
		m->raw_id = id;
		m->data = p;
		m->len = n;
		return 0;
	}
}

static int
parse_handshake(const uint8_t *p, struct wire_msg *m)
{
	if (p[0] != 19 || memcmp(p + 1, WIRE_PSTR, 19) != 0)
		return -EBADMSG;
	memset(m, 0, sizeof(*m));
	m->type = WIRE_HANDSHAKE;
	memcpy(m->hs.reserved, p + 20, 8);
	memcpy(m->hs.info_hash, p + 28, 20);
	memcpy(m->hs.peer_id, p + 48, 20);
	return 0;
}

/* Make room for need bytes in the partial buffer (need is capped). */
static int
reserve(struct wire_dec *d, size_t need)
{
	uint8_t *p;

	if (need <= d->alloc)
		return 0;
	p = realloc(d->buf, need);
	if (p == NULL)
		return -ENOMEM;
	d->buf = p;
	d->alloc = need;
	return 0;
}

/* Done with a message: the next one starts from an empty header. */
static void
release(struct wire_dec *d)
{
	d->fill = 0;
	d->hdr_fill = 0;
}

/*
 * Gather need bytes: from in directly when they are all there and nothing
 * is held yet, else through the partial buffer.  Returns a pointer to the
 * complete bytes, or NULL when more input is needed (or on -ENOMEM in *rc).
 */
static const uint8_t *
gather(struct wire_dec *d, const uint8_t *in, size_t len, size_t *pos,
    size_t need, int *rc)
{
	size_t take;

	*rc = 0;
	if (d->fill == 0 && len - *pos >= need) {
		const uint8_t *p = in + *pos;

		*pos += need;
		return p;
	}
	if (*pos == len)
		return NULL;	/* nothing to hold yet: no allocation */
	if ((*rc = reserve(d, need)) < 0)
		return NULL;
	take = need - d->fill;
	if (take > len - *pos)
		take = len - *pos;
	memcpy(d->buf + d->fill, in + *pos, take);
	d->fill += take;
	*pos += take;
	return d->fill == need ? d->buf : NULL;
}

int
wire_dec_feed(struct wire_dec *d, const uint8_t *in, size_t len, size_t *used,
    struct wire_msg *msg)
{
	size_t pos = 0;
	const uint8_t *p;
	uint32_t mlen;
	int rc;

	*used = 0;
	/*
	 * The previous message's data may have pointed into d->buf; it is
	 * dead now, so a big buffer from a large message goes back.
	 */
	if (d->fill == 0 && d->alloc > WIRE_KEEP_BUF) {
		free(d->buf);
		d->buf = NULL;
		d->alloc = 0;
	}
	if (d->want_hs) {
		/* Fail on the first byte already: it must be 19. */
		if (d->fill == 0 && len > 0 && in[0] != 19)
			return -EBADMSG;
		p = gather(d, in, len, &pos, WIRE_HANDSHAKE_LEN, &rc);
		*used = pos;
		if (p == NULL)
			return rc;
		rc = parse_handshake(p, msg);
		d->want_hs = false;
		release(d);
		return rc < 0 ? rc : 1;
	}
	/* Header: 4-byte length, then the id byte unless a keep-alive. */
	while (d->hdr_fill < 4 && pos < len)
		d->hdr[d->hdr_fill++] = in[pos++];
	if (d->hdr_fill < 4)
		goto more;
	mlen = be32_get(d->hdr);
	if (mlen == 0) {
		memset(msg, 0, sizeof(*msg));
		msg->type = WIRE_KEEPALIVE;
		d->hdr_fill = 0;
		*used = pos;
		return 1;
	}
	if (mlen > WIRE_MAX_MSG) {
		*used = pos;
		return -EMSGSIZE;
	}
	if (!d->have_geom) {
		*used = pos;
		return -EPROTO;
	}
	if (d->hdr_fill < 5) {
		if (pos == len)
			goto more;
		d->hdr[d->hdr_fill++] = in[pos++];
		if ((rc = check_size(d, d->hdr[4], mlen)) < 0) {
			*used = pos;
			return rc;
		}
	}
	p = gather(d, in, len, &pos, mlen - 1, &rc);
	*used = pos;
	if (p == NULL)
		return rc;
	rc = parse_body(d, d->hdr[4], p, mlen - 1, msg);
	release(d);	/* msg->data may point into d->buf until next call */
	return rc < 0 ? rc : 1;
more:
	*used = pos;
	return 0;
}

/* Encoders. */

static int
put_hdr(struct buf *out, uint32_t len, uint8_t id)
{
	uint8_t h[5];

	be32_put(h, len);
	h[4] = id;
	buf_append(out, h, 5);
	return buf_error(out);
}

int
wire_put_handshake(struct buf *out, const uint8_t reserved[8],
    const uint8_t info_hash[20], const uint8_t peer_id[20])
{
	buf_putc(out, 19);
	buf_append(out, WIRE_PSTR, 19);
	buf_append(out, reserved, 8);
	buf_append(out, info_hash, 20);
	buf_append(out, peer_id, 20);
	return buf_error(out);
}

int
wire_put_keepalive(struct buf *out)
{
	static const uint8_t zero[4];

	buf_append(out, zero, 4);
	return buf_error(out);
}

int
wire_put_simple(struct buf *out, enum wire_id id)
{
	return put_hdr(out, 1, (uint8_t)id);
}

int
wire_put_index(struct buf *out, enum wire_id id, uint32_t index)
{
	uint8_t b[4];

	put_hdr(out, 5, (uint8_t)id);
	be32_put(b, index);
	buf_append(out, b, 4);
	return buf_error(out);
}

int
wire_put_req(struct buf *out, enum wire_id id, uint32_t index, uint32_t begin,
    uint32_t length)
{
	uint8_t b[12];

	put_hdr(out, 13, (uint8_t)id);
	be32_put(b, index);
	be32_put(b + 4, begin);
	be32_put(b + 8, length);
	buf_append(out, b, 12);
	return buf_error(out);
}

int
wire_put_bitfield(struct buf *out, const struct bitfield *bf)
{
	size_t n = bitfield_bytes(bf->nbits);
	uint8_t *p;

	put_hdr(out, (uint32_t)n + 1, WIRE_BITFIELD);
	p = buf_reserve(out, n);
	if (p == NULL)
		return buf_error(out);
	bitfield_to_wire(bf, p);
	out->len += n;
	out->data[out->len] = '\0';	/* buf keeps its data terminated */
	return buf_error(out);
}

int
wire_put_piece_hdr(struct buf *out, uint32_t index, uint32_t begin,
    uint32_t len)
{
	uint8_t b[8];

	put_hdr(out, len + 9, WIRE_PIECE);
	be32_put(b, index);
	be32_put(b + 4, begin);
	buf_append(out, b, 8);
	return buf_error(out);
}

int
wire_put_piece(struct buf *out, uint32_t index, uint32_t begin,
    const void *data, uint32_t len)
{
	wire_put_piece_hdr(out, index, begin, len);
	buf_append(out, data, len);
	return buf_error(out);
}

int
wire_put_port(struct buf *out, uint16_t port)
{
	uint8_t b[2];

	put_hdr(out, 3, WIRE_PORT);
	be16_put(b, port);
	buf_append(out, b, 2);
	return buf_error(out);
}

int
wire_put_extended(struct buf *out, uint8_t ext_id, const void *payload,
    size_t len)
{
	if (len > WIRE_MAX_MSG - 2) {
		if (out->err == 0)
			out->err = -EMSGSIZE;
		return out->err;
	}
	put_hdr(out, (uint32_t)len + 2, WIRE_EXTENDED);
	buf_putc(out, ext_id);
	buf_append(out, payload, len);
	return buf_error(out);
}

int
wire_put_msg(struct buf *out, const struct wire_msg *m)
{
	switch (m->type) {
	case WIRE_KEEPALIVE:
		return wire_put_keepalive(out);
	case WIRE_HANDSHAKE:
		return wire_put_handshake(out, m->hs.reserved, m->hs.info_hash,
		    m->hs.peer_id);
	case WIRE_CHOKE:
	case WIRE_UNCHOKE:
	case WIRE_INTERESTED:
	case WIRE_NOT_INTERESTED:
	case WIRE_HAVE_ALL:
	case WIRE_HAVE_NONE:
		return wire_put_simple(out, m->type);
	case WIRE_HAVE:
	case WIRE_SUGGEST:
	case WIRE_ALLOWED_FAST:
		return wire_put_index(out, m->type, m->index);
	case WIRE_REQUEST:
	case WIRE_CANCEL:
	case WIRE_REJECT:
		return wire_put_req(out, m->type, m->index, m->begin,
		    m->length);
	case WIRE_BITFIELD:
		put_hdr(out, (uint32_t)m->len + 1, WIRE_BITFIELD);
		buf_append(out, m->data, m->len);
		return buf_error(out);
	case WIRE_PIECE:
		return wire_put_piece(out, m->index, m->begin, m->data,
		    (uint32_t)m->len);
	case WIRE_PORT:
		return wire_put_port(out, m->port);
	case WIRE_EXTENDED:
		return wire_put_extended(out, m->ext_id, m->data, m->len);
	case WIRE_UNKNOWN:
		put_hdr(out, (uint32_t)m->len + 1, m->raw_id);
		buf_append(out, m->data, m->len);
		return buf_error(out);
	}
	if (out->err == 0)
		out->err = -EINVAL;
	return out->err;
}

/* BEP 10 extension handshake. */

static void
copy_str(char *dst, size_t cap, const struct benc_node *n)
{
	size_t len = n->slen < cap - 1 ? n->slen : cap - 1;

	memcpy(dst, n->s, len);
	dst[len] = '\0';	/* an embedded NUL simply ends the name early */
}

int
wire_ext_hs_parse(const uint8_t *p, size_t len, struct wire_ext_hs *hs)
{
	struct benc_limits lim = {.max_depth = 8, .max_nodes = 4096,
	    .max_str = 1u << 16};
	struct benc_doc doc;
	const struct benc_node *root, *m, *k, *n;
	int rc;

	memset(hs, 0, sizeof(*hs));
	hs->metadata_size = -1;
	rc = benc_decode(p, len, &lim, &doc, NULL);
	if (rc < 0)
		return rc == -ENOMEM ? rc : -EBADMSG;
	root = benc_root(&doc);
	if (root->type != BENC_DICT) {
		rc = -EBADMSG;
		goto out;
	}
	m = benc_dict_get_type(root, "m", BENC_DICT);
	for (k = m ? benc_first(m) : NULL; k != NULL; k = benc_next(m, n)) {
		struct wire_ext_name *e;

		n = benc_next(m, k);
		if (n->type != BENC_INT || n->i < 0 || n->i > 255 ||
		    k->slen == 0 || k->slen > WIRE_MAX_EXT_NAME ||
		    memchr(k->s, 0, k->slen) != NULL ||
		    hs->nm == WIRE_MAX_EXT_NAMES)
			continue;
		e = &hs->m[hs->nm++];
		copy_str(e->name, sizeof(e->name), k);
		e->id = (uint8_t)n->i;
	}
	if ((n = benc_dict_get_type(root, "v", BENC_STR)) != NULL)
		copy_str(hs->v, sizeof(hs->v), n);
	n = benc_dict_get_type(root, "reqq", BENC_INT);
	if (n != NULL && n->i > 0 && n->i <= UINT32_MAX) {
		hs->has_reqq = true;
		hs->reqq = (uint32_t)n->i;
	}
	n = benc_dict_get_type(root, "p", BENC_INT);
	if (n != NULL && n->i > 0 && n->i <= 65535) {
		hs->has_p = true;
		hs->p = (uint16_t)n->i;
	}
	n = benc_dict_get_type(root, "yourip", BENC_STR);
	if (n != NULL && (n->slen == 4 || n->slen == 16)) {
		memcpy(hs->yourip, n->s, n->slen);
		hs->yourip_len = (uint8_t)n->slen;
	}
	n = benc_dict_get_type(root, "metadata_size", BENC_INT);
	if (n != NULL && n->i > 0)
		hs->metadata_size = n->i;
	rc = 0;
out:
	benc_doc_fini(&doc);
	return rc;
}

uint8_t
wire_ext_hs_id(const struct wire_ext_hs *hs, const char *name)
{
	for (uint32_t i = 0; i < hs->nm; i++)
		if (strcmp(hs->m[i].name, name) == 0)
			return hs->m[i].id;
	return 0;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(((const struct wire_ext_name *)a)->name,
	    ((const struct wire_ext_name *)b)->name);
}

int
wire_put_ext_hs(struct buf *out, const struct wire_ext_hs *hs)
{
	struct wire_ext_name names[WIRE_MAX_EXT_NAMES];
	struct buf b;
	uint32_t nm = hs->nm < WIRE_MAX_EXT_NAMES ? hs->nm :
	    WIRE_MAX_EXT_NAMES;
	int rc;

	/* Bencoded keys go in sorted order: m's names too. */
	memcpy(names, hs->m, nm * sizeof(names[0]));
	qsort(names, nm, sizeof(names[0]), cmp_names);
	buf_init(&b, 1u << 16);
	benc_put_dict(&b);
	benc_put_cstr(&b, "m");
	benc_put_dict(&b);
	for (uint32_t i = 0; i < nm; i++) {
		benc_put_cstr(&b, names[i].name);
		benc_put_int(&b, names[i].id);
	}
	benc_put_end(&b);
	if (hs->metadata_size >= 0) {
		benc_put_cstr(&b, "metadata_size");
		benc_put_int(&b, hs->metadata_size);
	}
	if (hs->has_p) {
		benc_put_cstr(&b, "p");
		benc_put_int(&b, hs->p);
	}
	if (hs->has_reqq) {
		benc_put_cstr(&b, "reqq");
		benc_put_int(&b, hs->reqq);
	}
	if (hs->v[0] != '\0') {
		benc_put_cstr(&b, "v");
		benc_put_cstr(&b, hs->v);
	}
	if (hs->yourip_len == 4 || hs->yourip_len == 16) {
		benc_put_cstr(&b, "yourip");
		benc_put_str(&b, hs->yourip, hs->yourip_len);
	}
	benc_put_end(&b);
	rc = buf_error(&b);
	if (rc == 0)
		rc = wire_put_extended(out, 0, b.data, b.len);
	buf_fini(&b);
	return rc;
}

const char *
wire_id_name(enum wire_id id)
{
	switch (id) {
	case WIRE_CHOKE: return "choke";
	case WIRE_UNCHOKE: return "unchoke";
	case WIRE_INTERESTED: return "interested";
	case WIRE_NOT_INTERESTED: return "not interested";
	case WIRE_HAVE: return "have";
	case WIRE_BITFIELD: return "bitfield";
	case WIRE_REQUEST: return "request";
	case WIRE_PIECE: return "piece";
	case WIRE_CANCEL: return "cancel";
	case WIRE_PORT: return "port";
	case WIRE_SUGGEST: return "suggest";
	case WIRE_HAVE_ALL: return "have all";
	case WIRE_HAVE_NONE: return "have none";
	case WIRE_REJECT: return "reject";
	case WIRE_ALLOWED_FAST: return "allowed fast";
	case WIRE_EXTENDED: return "extended";
	case WIRE_KEEPALIVE: return "keep-alive";
	case WIRE_HANDSHAKE: return "handshake";
	case WIRE_UNKNOWN: return "unknown";
	}
	return "?";
}
