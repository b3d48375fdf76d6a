/*
 * proto: see proto.h.  BEP references: BEP 3 (states, messages), BEP 6
 * (fast extension: have all/none, reject, allowed fast, suggest; a choke no
 * longer discards requests, they are rejected explicitly), BEP 10
 * (extension handshake).
 */
#include "bt/proto.h"

#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "base/bytes.h"
#include "base/sha.h"

static int
fail(struct proto *p, int rc, const char *why)
{
	p->why = why;
	return rc;
}

/* Check the output buffer after appending: full means close. */
static int
sent(struct proto *p, uint64_t now)
{
	int rc = buf_error(&p->out);

	if (rc < 0)
		return fail(p, rc == -EMSGSIZE ? -ENOBUFS : rc,
		    "output buffer full");
	p->last_send_ms = now;
	return 0;
}

int
proto_init(struct proto *p, const struct proto_config *cfg, uint64_t now)
{
	memset(p, 0, sizeof(*p));
	p->cfg = *cfg;
	p->cfg.client = NULL;	/* copied into p->client below */
	if (p->cfg.req_timeout_ms == 0)
		p->cfg.req_timeout_ms = PROTO_REQUEST_TIMEOUT_MS;
	p->am_choking = true;
	p->peer_choking = true;
	p->peer_reqq = PROTO_DEFAULT_REQQ;
	p->cancel_budget = PROTO_CANCEL_BUDGET;
	p->connected_ms = now;
	p->last_recv_ms = now;
	p->last_send_ms = now;
	p->last_block_ms = now;
	rate_init(&p->down, 0, now);
	rate_init(&p->up, 0, now);
	buf_init(&p->out, PROTO_OUT_MAX);
	wire_dec_init(&p->dec, NULL, true);
	p->reqs = calloc(PROTO_MAX_OUT_REQS, sizeof(*p->reqs));
	p->inq = calloc(PROTO_MAX_IN_REQS, sizeof(*p->inq));
	p->scratch = calloc(PROTO_MAX_OUT_REQS, sizeof(*p->scratch));
	if (p->reqs == NULL || p->inq == NULL || p->scratch == NULL) {
		proto_fini(p);
		return -ENOMEM;
	}
	/* The client name is copied: no borrowed pointer is kept. */
	if (cfg->client != NULL) {
		size_t n = strlen(cfg->client);

		if (n > WIRE_MAX_CLIENT)
			n = WIRE_MAX_CLIENT;
		memcpy(p->client, cfg->client, n);
	}
	return 0;
}

void
proto_fini(struct proto *p)
{
	free(p->reqs);
	free(p->inq);
	free(p->scratch);
	bitfield_fini(&p->have);
	wire_dec_fini(&p->dec);
	buf_fini(&p->out);
	memset(p, 0, sizeof(*p));
}

static void
reserved_bits(const struct proto *p, uint8_t rsv[8])
{
	memset(rsv, 0, 8);
	if (p->cfg.ext)
		rsv[WIRE_RSV_EXT_BYTE] |= WIRE_RSV_EXT_MASK;
	if (p->cfg.fast)
		rsv[WIRE_RSV_FAST_BYTE] |= WIRE_RSV_FAST_MASK;
}

static int
attach(struct proto *p, const struct wire_geom *g, const struct bitfield *ours)
{
	int rc;

	if (ours->nbits != g->npieces || g->npieces == 0)
		return fail(p, -EINVAL, "geometry and bitfield disagree");
	if (p->have.bits != NULL)
		return fail(p, -EINVAL, "already attached");
	p->geom = *g;
	p->ours = ours;
	wire_dec_set_geom(&p->dec, g);
	if ((rc = bitfield_init(&p->have, g->npieces)) < 0)
		return fail(p, rc, "no memory");
	return 0;
}

static int
send_handshake(struct proto *p, uint64_t now)
{
	uint8_t rsv[8];

	reserved_bits(p, rsv);
	wire_put_handshake(&p->out, rsv, p->cfg.info_hash, p->cfg.peer_id);
	return sent(p, now);
}

/*
 * After both handshakes: our pieces first (BEP 6: have all / have none /
 * bitfield must be the first message), then the extension handshake, then
 * the allowed-fast pieces we grant.
 */
static int
send_intro(struct proto *p, uint64_t now)
{
	p->fast = p->cfg.fast &&
	    (p->remote.reserved[WIRE_RSV_FAST_BYTE] & WIRE_RSV_FAST_MASK);
	p->ext = p->cfg.ext &&
	    (p->remote.reserved[WIRE_RSV_EXT_BYTE] & WIRE_RSV_EXT_MASK);
	if (p->fast && bitfield_all(p->ours))
		wire_put_simple(&p->out, WIRE_HAVE_ALL);
	else if (p->fast && bitfield_none(p->ours))
		wire_put_simple(&p->out, WIRE_HAVE_NONE);
	else if (!bitfield_none(p->ours))
		wire_put_bitfield(&p->out, p->ours);
	if (p->ext) {
		struct wire_ext_hs hs;

		memset(&hs, 0, sizeof(hs));
		memcpy(hs.v, p->client, sizeof(hs.v));
		hs.has_reqq = true;
		hs.reqq = PROTO_MAX_IN_REQS;
		hs.has_p = p->cfg.listen_port != 0;
		hs.p = p->cfg.listen_port;
		hs.metadata_size = -1;
		if (p->has_ip4) {	/* BEP 10: how we see the peer */
			memcpy(hs.yourip, p->ip4, 4);
			hs.yourip_len = 4;
		}
		wire_put_ext_hs(&p->out, &hs);
	}
	if (p->fast && p->has_ip4) {
		uint32_t set[PROTO_ALLOWED_FAST_K], n;

		n = proto_allowed_fast_set(p->ip4, p->cfg.info_hash,
		    p->geom.npieces, PROTO_ALLOWED_FAST_K, set);
		/* Grant only pieces we can serve now. */
		for (uint32_t i = 0; i < n; i++) {
			if (!bitfield_test(p->ours, set[i]))
				continue;
			p->af_out[p->naf_out++] = set[i];
			wire_put_index(&p->out, WIRE_ALLOWED_FAST, set[i]);
		}
	}
	p->phase = PROTO_RUNNING;
	return sent(p, now);
}

int
proto_connect(struct proto *p, const struct wire_geom *g,
    const struct bitfield *ours, const uint8_t *ip4, uint64_t now)
{
	int rc;

	p->outgoing = true;
	if ((rc = attach(p, g, ours)) < 0)
		return rc;
	if (ip4 != NULL) {
		memcpy(p->ip4, ip4, 4);
		p->has_ip4 = true;
	}
	return send_handshake(p, now);
}

int
proto_accept(struct proto *p, const uint8_t info_hash[20],
    const struct wire_geom *g, const struct bitfield *ours, const uint8_t *ip4,
    uint64_t now)
{
	int rc;

	if (p->phase != PROTO_ATTACH)
		return fail(p, -EPROTO, "accept before the handshake");
	memcpy(p->cfg.info_hash, info_hash, 20);
	if ((rc = attach(p, g, ours)) < 0)
		return rc;
	if (ip4 != NULL) {
		memcpy(p->ip4, ip4, 4);
		p->has_ip4 = true;
	}
	if ((rc = send_handshake(p, now)) < 0)
		return rc;
	return send_intro(p, now);
}

/* Request bookkeeping. */

static int
find_req(const struct proto_req *r, uint32_t n, uint32_t index,
    uint32_t begin, uint32_t length)
{
	/* Peers answer mostly in order: the match is usually near 0. */
	for (uint32_t i = 0; i < n; i++)
		if (r[i].index == index && r[i].begin == begin &&
		    r[i].length == length)
			return (int)i;
	return -1;
}

/* Remove entry i of an array of *n requests, keeping the order. */
static void
remove_at(struct proto_req *r, uint32_t *n, uint32_t i)
{
	memmove(&r[i], &r[i + 1], (*n - i - 1) * sizeof(r[0]));
	(*n)--;
}

static void
remove_req(struct proto *p, uint32_t i)
{
	remove_at(p->reqs, &p->nreqs, i);
}

/* Find the peer's queued request like m, as an index into p->inq. */
static int
find_in(const struct proto *p, const struct wire_msg *m)
{
	int i = find_req(p->inq + p->in_head, p->in_end - p->in_head,
	    m->index, m->begin, m->length);

	return i < 0 ? i : i + (int)p->in_head;
}

static void
remember_cancel(struct proto *p, uint32_t index, uint32_t begin)
{
	uint32_t k = p->ncancelled++ % PROTO_CANCEL_RING;

	p->cancelled[k].index = index;
	p->cancelled[k].begin = begin;
}

static bool
was_cancelled(const struct proto *p, uint32_t index, uint32_t begin)
{
	uint32_t n = p->ncancelled < PROTO_CANCEL_RING ? p->ncancelled :
	    PROTO_CANCEL_RING;

	for (uint32_t i = 0; i < n; i++)
		if (p->cancelled[i].index == index &&
		    p->cancelled[i].begin == begin)
			return true;
	return false;
}

static bool
in_set(const uint32_t *set, uint32_t n, uint32_t index)
{
	for (uint32_t i = 0; i < n; i++)
		if (set[i] == index)
			return true;
	return false;
}

/* A request we will not serve: BEP 6 reject, or silence without it. */
static int
refuse(struct proto *p, const struct wire_msg *m, uint64_t now)
{
	p->n_refused++;
	if (!p->fast)
		return 0;
	wire_put_req(&p->out, WIRE_REJECT, m->index, m->begin, m->length);
	return sent(p, now);
}

static int
on_request(struct proto *p, const struct wire_msg *m, uint64_t now,
    struct proto_event *ev)
{
	/*
	 * BEP 3: "current implementations ... close connections which
	 * request an amount greater than" 16 KiB; BEP 6 gives a reject
	 * instead, so a fast peer keeps its connection.
	 */
	if (m->length > WIRE_BLOCK && !p->fast)
		return fail(p, -EPROTO, "request over 16 KiB");
	/* BEP 3/6: blocks over 16 KiB, pieces we lack, requests while
	 * choked (outside the allowed-fast set) and overflow are refused. */
	if (m->length > WIRE_BLOCK || !bitfield_test(p->ours, m->index) ||
	    (p->am_choking && !in_set(p->af_out, p->naf_out, m->index)))
		return refuse(p, m, now);
	/*
	 * No duplicate check: it would cost a scan of the queue per request
	 * (a flood's CPU price); a duplicate is served twice, within the cap.
	 */
	if (p->in_end - p->in_head >= PROTO_MAX_IN_REQS)
		return refuse(p, m, now);
	if (p->in_end == PROTO_MAX_IN_REQS) {
		memmove(p->inq, p->inq + p->in_head,
		    (p->in_end - p->in_head) * sizeof(p->inq[0]));
		p->in_end -= p->in_head;
		p->in_head = 0;
	}
	p->inq[p->in_end].index = m->index;
	p->inq[p->in_end].begin = m->begin;
	p->inq[p->in_end].length = m->length;
	p->inq[p->in_end].sent_ms = now;
	p->in_end++;
	ev->type = PROTO_EV_REQUEST;
	return 0;
}

/*
 * A cancel costs a scan of the queue (and a move when found): up to 2000
 * entries for 17 bytes, so a stream of cancels would keep the network
 * thread busy (measured: an honest leecher's 64 MiB took 61 s instead of
 * 2.5 s).  The scans are paid from a budget that serving refills; once it
 * is spent, cancels are ignored and the block is served anyway, which BEP 6
 * allows as the answer to a cancel.
 */
static int
on_cancel(struct proto *p, const struct wire_msg *m, uint64_t now,
    struct proto_event *ev)
{
	uint32_t n = p->in_end - p->in_head;
	int i;

	if (p->cancel_budget < n) {
		p->n_cancel_ignored++;
		return 0;
	}
	p->cancel_budget -= n;
	i = find_in(p, m);
	if (i < 0)
		return 0;	/* already served or never queued: fine */
	remove_at(p->inq, &p->in_end, (uint32_t)i);
	ev->type = PROTO_EV_CANCEL;
	/* BEP 6: a cancelled request is answered with a reject. */
	if (!p->fast)
		return 0;
	wire_put_req(&p->out, WIRE_REJECT, m->index, m->begin, m->length);
	return sent(p, now);
}

static int
on_piece(struct proto *p, const struct wire_msg *m, uint64_t now,
    struct proto_event *ev)
{
	int i = find_req(p->reqs, p->nreqs, m->index, m->begin, m->length);

	if (i < 0) {
		if (!was_cancelled(p, m->index, m->begin))
			return fail(p, -EPROTO, "block never requested");
		p->n_late++;
		ev->type = PROTO_EV_BLOCK_LATE;
		return 0;
	}
	remove_req(p, (uint32_t)i);
	rate_add(&p->down, now, m->length);
	p->last_block_ms = now;
	p->snubbed = false;
	ev->type = PROTO_EV_BLOCK;
	ev->data = m->data;
	ev->len = m->len;
	return 0;
}

static int
on_reject(struct proto *p, const struct wire_msg *m, struct proto_event *ev)
{
	int i = find_req(p->reqs, p->nreqs, m->index, m->begin, m->length);

	if (i < 0) {
		/* BEP 6: a reject for a request never sent closes. */
		if (!was_cancelled(p, m->index, m->begin))
			return fail(p, -EPROTO, "reject for no request");
		return 0;
	}
	remove_req(p, (uint32_t)i);
	ev->type = PROTO_EV_REJECT;
	return 0;
}

static int
on_choke(struct proto *p, struct proto_event *ev)
{
	p->peer_choking = true;
	ev->type = PROTO_EV_CHOKE;
	if (p->fast)
		return 0;	/* BEP 6: requests stay until rejected */
	/* BEP 3: a choke discards every request. */
	memcpy(p->scratch, p->reqs, p->nreqs * sizeof(p->reqs[0]));
	ev->dropped = p->scratch;
	ev->ndropped = p->nreqs;
	p->nreqs = 0;
	return 0;
}

static int
on_first(struct proto *p, const struct wire_msg *m, struct proto_event *ev)
{
	int rc = 0;

	/* aria2 sends its bitfield again later in the connection: the
	 * repeat is ignored (its new pieces come as HAVEs). */
	if (p->first_done) {
		ev->type = PROTO_EV_NONE;
		return 0;
	}
	p->first_done = true;
	if (m->type == WIRE_HAVE_ALL)
		bitfield_set_all(&p->have);
	else if (m->type == WIRE_HAVE_NONE)
		bitfield_clear_all(&p->have);
	else
		rc = bitfield_from_wire(&p->have, m->data, m->len);
	if (rc < 0)
		return fail(p, rc, "bad bitfield");
	ev->type = PROTO_EV_BITFIELD;
	return 0;
}

static int
on_extended(struct proto *p, const struct wire_msg *m, struct proto_event *ev)
{
	int rc;

	if (!p->ext)
		return fail(p, -EPROTO, "extended message without BEP 10");
	if (m->ext_id != 0) {
		ev->type = PROTO_EV_EXTENDED;
		ev->ext_id = m->ext_id;
		ev->data = m->data;
		ev->len = m->len;
		return 0;
	}
	if ((rc = wire_ext_hs_parse(m->data, m->len, &p->ext_hs)) < 0)
		return fail(p, rc, "bad extension handshake");
	p->has_ext_hs = true;
	if (p->ext_hs.has_reqq)
		p->peer_reqq = p->ext_hs.reqq;
	ev->type = PROTO_EV_EXT_HANDSHAKE;
	return 0;
}

static int
on_handshake(struct proto *p, const struct wire_msg *m, uint64_t now,
    struct proto_event *ev)
{
	p->remote = m->hs;
	ev->type = PROTO_EV_HANDSHAKE;
	ev->hs = &p->remote;
	if (memcmp(m->hs.peer_id, p->cfg.peer_id, 20) == 0)
		return fail(p, -EPROTO, "connected to ourselves");
	if (!p->outgoing) {
		p->phase = PROTO_ATTACH;
		return 0;
	}
	if (memcmp(m->hs.info_hash, p->cfg.info_hash, 20) != 0)
		return fail(p, -EPROTO, "info-hash mismatch");
	return send_intro(p, now);
}

/* Fast-extension messages need BEP 6 negotiated. */
static bool
is_fast_msg(enum wire_id t)
{
	return t == WIRE_SUGGEST || t == WIRE_HAVE_ALL ||
	    t == WIRE_HAVE_NONE || t == WIRE_REJECT ||
	    t == WIRE_ALLOWED_FAST;
}

int
proto_on_msg(struct proto *p, const struct wire_msg *m, uint64_t now,
    struct proto_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	p->last_recv_ms = now;
	if (m->type == WIRE_HANDSHAKE) {
		if (p->phase != PROTO_HANDSHAKE)
			return fail(p, -EPROTO, "second handshake");
		return on_handshake(p, m, now, ev);
	}
	if (p->phase != PROTO_RUNNING)
		return fail(p, -EPROTO, "message before the handshake");
	if (is_fast_msg(m->type) && !p->fast)
		return fail(p, -EPROTO, "fast message without BEP 6");
	switch (m->type) {
	case WIRE_KEEPALIVE:
		return 0;
	case WIRE_BITFIELD:
	case WIRE_HAVE_ALL:
	case WIRE_HAVE_NONE:
		return on_first(p, m, ev);
	case WIRE_EXTENDED:
		/* Extension handshakes may precede the bitfield. */
		return on_extended(p, m, ev);
	default:
		break;
	}
	/* Some clients (aria2) send interested or allowed fast before
	 * their bitfield: only a HAVE closes the bitfield's window. */
	if (m->type == WIRE_HAVE)
		p->first_done = true;
	switch (m->type) {
	case WIRE_CHOKE:
		return on_choke(p, ev);
	case WIRE_UNCHOKE:
		p->peer_choking = false;
		ev->type = PROTO_EV_UNCHOKE;
		return 0;
	case WIRE_INTERESTED:
		p->peer_interested = true;
		ev->type = PROTO_EV_INTERESTED;
		return 0;
	case WIRE_NOT_INTERESTED:
		p->peer_interested = false;
		ev->type = PROTO_EV_NOT_INTERESTED;
		return 0;
	case WIRE_HAVE:
		if (bitfield_set(&p->have, m->index))
			ev->type = PROTO_EV_HAVE;
		ev->index = m->index;
		return 0;
	case WIRE_REQUEST:
		ev->index = m->index;
		ev->begin = m->begin;
		ev->length = m->length;
		return on_request(p, m, now, ev);
	case WIRE_PIECE:
		ev->index = m->index;
		ev->begin = m->begin;
		ev->length = m->length;
		return on_piece(p, m, now, ev);
	case WIRE_CANCEL:
		ev->index = m->index;
		ev->begin = m->begin;
		ev->length = m->length;
		return on_cancel(p, m, now, ev);
	case WIRE_REJECT:
		ev->index = m->index;
		ev->begin = m->begin;
		ev->length = m->length;
		return on_reject(p, m, ev);
	case WIRE_PORT:
		ev->type = PROTO_EV_PORT;
		ev->port = m->port;
		return 0;
	case WIRE_SUGGEST:
		ev->type = PROTO_EV_SUGGEST;
		ev->index = m->index;
		return 0;
	case WIRE_ALLOWED_FAST:
		ev->index = m->index;
		if (in_set(p->af_in, p->naf_in, m->index))
			return 0;
		if (p->naf_in < PROTO_MAX_ALLOWED_FAST_IN)
			p->af_in[p->naf_in++] = m->index;
		ev->type = PROTO_EV_ALLOWED_FAST;
		return 0;
	default:
		p->n_unknown++;	/* BEP 3 practice: ignore unknown ids */
		return 0;
	}
}

int
proto_feed(struct proto *p, const uint8_t *in, size_t len, size_t *used,
    uint64_t now, struct proto_event *ev)
{
	struct wire_msg m;
	int rc;

	if (p->phase == PROTO_ATTACH) {
		*used = 0;
		return fail(p, -EPROTO, "fed before proto_accept()");
	}
	rc = wire_dec_feed(&p->dec, in, len, used, &m);
	if (*used > 0)
		p->last_recv_ms = now;
	if (rc < 0)
		return fail(p, rc, rc == -EMSGSIZE ? "message over the cap" :
		    rc == -EBADMSG ? "malformed message" :
		    "message before the torrent is known");
	if (rc == 0)
		return 0;
	rc = proto_on_msg(p, &m, now, ev);
	return rc < 0 ? rc : 1;
}

/* Actions. */

bool
proto_peer_has_needed(const struct proto *p)
{
	return p->ours != NULL && bitfield_has_missing(&p->have, p->ours);
}

int
proto_set_interested(struct proto *p, bool on, uint64_t now)
{
	if (p->phase != PROTO_RUNNING || p->am_interested == on)
		return 0;
	p->am_interested = on;
	wire_put_simple(&p->out, on ? WIRE_INTERESTED : WIRE_NOT_INTERESTED);
	return sent(p, now);
}

bool
proto_can_request(const struct proto *p, uint32_t index)
{
	return p->phase == PROTO_RUNNING && bitfield_test(&p->have, index) &&
	    (!p->peer_choking || in_set(p->af_in, p->naf_in, index));
}

int
proto_request(struct proto *p, uint32_t index, uint32_t begin,
    uint32_t length, uint64_t now)
{
	struct proto_req *r;

	if (p->phase != PROTO_RUNNING || length == 0 || length > WIRE_BLOCK ||
	    index >= p->geom.npieces ||
	    (uint64_t)begin + length > wire_piece_size(&p->geom, index))
		return -EINVAL;
	if (!proto_can_request(p, index))
		return -EAGAIN;
	if (p->nreqs >= PROTO_MAX_OUT_REQS || p->nreqs >= p->peer_reqq)
		return -EBUSY;
	if (find_req(p->reqs, p->nreqs, index, begin, length) >= 0)
		return -EINVAL;
	r = &p->reqs[p->nreqs++];
	r->index = index;
	r->begin = begin;
	r->length = length;
	r->sent_ms = now;
	wire_put_req(&p->out, WIRE_REQUEST, index, begin, length);
	return sent(p, now);
}

int
proto_cancel(struct proto *p, uint32_t index, uint32_t begin, uint32_t length,
    uint64_t now)
{
	int i = find_req(p->reqs, p->nreqs, index, begin, length);

	if (i < 0)
		return -ENOENT;
	remove_req(p, (uint32_t)i);
	remember_cancel(p, index, begin);
	wire_put_req(&p->out, WIRE_CANCEL, index, begin, length);
	return sent(p, now);
}

int
proto_choke(struct proto *p, uint64_t now)
{
	uint32_t i, keep;

	if (p->am_choking)
		return 0;
	p->am_choking = true;
	wire_put_simple(&p->out, WIRE_CHOKE);
	/*
	 * BEP 3: choking discards the peer's requests.  BEP 6: they are
	 * rejected one by one, except allowed-fast ones, which stay.
	 */
	for (i = keep = p->in_head; i < p->in_end; i++) {
		struct proto_req *r = &p->inq[i];

		if (p->fast && in_set(p->af_out, p->naf_out, r->index)) {
			p->inq[keep++] = *r;
			continue;
		}
		if (p->fast)
			wire_put_req(&p->out, WIRE_REJECT, r->index, r->begin,
			    r->length);
	}
	p->in_end = keep;
	return sent(p, now);
}

int
proto_unchoke(struct proto *p, uint64_t now)
{
	if (!p->am_choking)
		return 0;
	p->am_choking = false;
	wire_put_simple(&p->out, WIRE_UNCHOKE);
	return sent(p, now);
}

int
proto_have(struct proto *p, uint32_t index, uint64_t now)
{
	if (p->phase != PROTO_RUNNING)
		return 0;	/* our intro will carry it */
	wire_put_index(&p->out, WIRE_HAVE, index);
	return sent(p, now);
}

int
proto_send_extended(struct proto *p, uint8_t ext_id, const void *payload,
    size_t len, uint64_t now)
{
	if (!p->ext)
		return -EPROTO;
	wire_put_extended(&p->out, ext_id, payload, len);
	return sent(p, now);
}

bool
proto_next_upload(struct proto *p, struct proto_req *out)
{
	if (p->in_head == p->in_end)
		return false;
	*out = p->inq[p->in_head++];
	p->cancel_budget += PROTO_MAX_IN_REQS;
	if (p->cancel_budget > PROTO_CANCEL_BUDGET)
		p->cancel_budget = PROTO_CANCEL_BUDGET;
	if (p->in_head == p->in_end)
		p->in_head = p->in_end = 0;
	return true;
}

int
proto_send_block(struct proto *p, uint32_t index, uint32_t begin,
    const void *data, uint32_t len, uint64_t now)
{
	wire_put_piece(&p->out, index, begin, data, len);
	rate_add(&p->up, now, len);
	return sent(p, now);
}

int
proto_tick(struct proto *p, uint64_t now, struct proto_tick *t)
{
	uint32_t i, keep;
	bool snub;

	memset(t, 0, sizeof(*t));
	if (p->phase != PROTO_RUNNING) {
		if (now - p->connected_ms > PROTO_HANDSHAKE_TIMEOUT_MS)
			return fail(p, -ETIMEDOUT, "handshake timeout");
		return 0;
	}
	if (now - p->last_recv_ms > PROTO_IDLE_TIMEOUT_MS)
		return fail(p, -ETIMEDOUT, "idle timeout");
	if (now - p->last_send_ms >= PROTO_KEEPALIVE_MS) {
		wire_put_keepalive(&p->out);
		if (sent(p, now) < 0)
			return -ENOBUFS;
	}
	/* Snubbed: no block for 60 s while requests are out.  Only a block
	 * clears it (on_piece()). */
	snub = p->nreqs > 0 && now - p->last_block_ms >= PROTO_SNUB_MS &&
	    now - p->reqs[0].sent_ms >= PROTO_SNUB_MS;
	if (p->nreqs == 0)
		snub = p->snubbed;
	t->snub_changed = snub != p->snubbed;
	p->snubbed = snub;
	/* Requests out too long: cancel them and tell the picker. */
	for (i = keep = 0; i < p->nreqs; i++) {
		struct proto_req *r = &p->reqs[i];

		if (now - r->sent_ms < p->cfg.req_timeout_ms) {
			p->reqs[keep++] = *r;
			continue;
		}
		p->scratch[t->nexpired++] = *r;
		remember_cancel(p, r->index, r->begin);
		wire_put_req(&p->out, WIRE_CANCEL, r->index, r->begin,
		    r->length);
	}
	p->nreqs = keep;
	t->expired = p->scratch;
	if (t->nexpired > 0 && sent(p, now) < 0)
		return -ENOBUFS;
	return 0;
}

void
proto_out_consumed(struct proto *p, size_t n)
{
	p->out_off += n;
	if (p->out_off >= p->out.len) {
		/* Drained: give a burst's memory back (idle peers stay small). */
		if (p->out.alloc > PROTO_OUT_KEEP) {
			buf_fini(&p->out);
			buf_init(&p->out, PROTO_OUT_MAX);
		} else {
			buf_reset(&p->out);
		}
		p->out_off = 0;
	} else if (p->out_off >= (1u << 20)) {
		/* Compact now and then rather than on every write. */
		memmove(p->out.data, p->out.data + p->out_off,
		    p->out.len - p->out_off);
		p->out.len -= p->out_off;
		p->out_off = 0;
	}
}

uint32_t
proto_allowed_fast_set(const uint8_t ip4[4], const uint8_t info_hash[20],
    uint32_t npieces, uint32_t k, uint32_t *out)
{
	uint8_t x[24];
	size_t xlen = 24;
	uint32_t n = 0;

	/* BEP 6: x = (ip & 0xffffff00) . infohash; x = SHA1(x) ... */
	if (k > npieces)
		k = npieces;
	memcpy(x, ip4, 3);
	x[3] = 0;
	memcpy(x + 4, info_hash, 20);
	while (n < k) {
		uint8_t h[SHA1_LEN];

		sha1(x, xlen, h);
		memcpy(x, h, SHA1_LEN);
		xlen = SHA1_LEN;
		for (uint32_t i = 0; i < 5 && n < k; i++) {
			uint32_t index = be32_get(x + 4 * i) % npieces;

			if (!in_set(out, n, index))
				out[n++] = index;
		}
	}
	return n;
}
