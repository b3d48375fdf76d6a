/*
 * Unit tests for bt/proto: two state machines wired back to back through
 * their output buffers (bytes only, no sockets), plus scripted hostile
 * byte streams.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/bytes.h"
#include "bt/proto.h"

#define NP 20
static const struct wire_geom geom = {NP, 65536, (NP - 1) * 65536 + 5000};
static const uint8_t ih[20] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13,
    14, 15, 16, 17, 18, 19, 20};
static const uint8_t ip_a[4] = {127, 0, 5, 1}, ip_b[4] = {127, 0, 5, 2};

struct pair {
	struct proto	a, b;	/* a connects to b */
	struct bitfield	have_a, have_b;
	uint64_t	now;
};

#define MAXEV 64

struct evlog {
	struct proto_event ev[MAXEV];
	int		n;
	uint32_t	ndropped;
};

/* Move everything from's output into to; log to's events. */
static int
pump(struct proto *from, struct proto *to, uint64_t now, struct evlog *log)
{
	size_t len, used, pos = 0;
	const uint8_t *out = proto_out(from, &len);
	uint8_t *copy = malloc(len + 1);
	int rc = 0;

	memcpy(copy, out, len);
	proto_out_consumed(from, len);
	while (pos < len) {
		struct proto_event ev;

		rc = proto_feed(to, copy + pos, len - pos, &used, now, &ev);
		pos += used;
		if (rc < 0)
			break;
		if (rc == 1 && log != NULL && log->n < MAXEV) {
			if (ev.type == PROTO_EV_CHOKE)
				log->ndropped += ev.ndropped;
			ev.data = NULL;
			log->ev[log->n++] = ev;
		}
		rc = 0;
		/* An incoming connection waits for proto_accept(). */
		if (to->phase == PROTO_ATTACH)
			break;
	}
	free(copy);
	return rc;
}

static int
count_ev(const struct evlog *l, enum proto_ev t)
{
	int n = 0;

	for (int i = 0; i < l->n; i++)
		n += l->ev[i].type == t;
	return n;
}

static void
cfg_for(struct proto_config *c, uint8_t id, bool fast, bool ext)
{
	memset(c, 0, sizeof(*c));
	memset(c->peer_id, id, 20);
	memcpy(c->info_hash, ih, 20);
	c->fast = fast;
	c->ext = ext;
	c->client = "vtfs test";
	c->listen_port = 6881;
}

/* Handshake a pair: a outgoing, b incoming; b has have_b's pieces. */
static void
pair_up(struct pair *p, bool fast_a, bool fast_b, bool ext)
{
	struct proto_config ca, cb;
	struct evlog la = {0}, lb = {0};

	memset(p, 0, sizeof(*p));
	p->now = 1000;
	assert_int_equal(bitfield_init(&p->have_a, NP), 0);
	assert_int_equal(bitfield_init(&p->have_b, NP), 0);
	bitfield_set_all(&p->have_b);
	cfg_for(&ca, 'a', fast_a, ext);
	cfg_for(&cb, 'b', fast_b, ext);
	memset(cb.info_hash, 0, 20);	/* incoming: learnt from the peer */
	assert_int_equal(proto_init(&p->a, &ca, p->now), 0);
	assert_int_equal(proto_init(&p->b, &cb, p->now), 0);
	assert_int_equal(proto_connect(&p->a, &geom, &p->have_a, ip_b, p->now),
	    0);
	assert_int_equal(pump(&p->a, &p->b, p->now, &lb), 0);
	assert_int_equal(lb.n, 1);
	assert_int_equal(lb.ev[0].type, PROTO_EV_HANDSHAKE);
	assert_memory_equal(lb.ev[0].hs->info_hash, ih, 20);
	assert_int_equal(p->b.phase, PROTO_ATTACH);
	assert_int_equal(proto_accept(&p->b, ih, &geom, &p->have_b, ip_a,
	    p->now), 0);
	assert_int_equal(pump(&p->b, &p->a, p->now, &la), 0);
	assert_int_equal(la.ev[0].type, PROTO_EV_HANDSHAKE);
	assert_int_equal(count_ev(&la, PROTO_EV_BITFIELD), 1);
	assert_int_equal(count_ev(&la, PROTO_EV_EXT_HANDSHAKE), ext ? 1 : 0);
	assert_int_equal(pump(&p->a, &p->b, p->now, &lb), 0);
	assert_int_equal(p->a.phase, PROTO_RUNNING);
	assert_int_equal(p->b.phase, PROTO_RUNNING);
	assert_true(bitfield_all(&p->a.have));
}

static void
pair_down(struct pair *p)
{
	proto_fini(&p->a);
	proto_fini(&p->b);
	bitfield_fini(&p->have_a);
	bitfield_fini(&p->have_b);
}

/* BEP 3: both sides start choking and not interested. */
static void
test_proto_initial_states_and_handshake(void **state)
{
	struct pair p;

	pair_up(&p, true, true, true);
	assert_true(p.a.am_choking && p.a.peer_choking);
	assert_false(p.a.am_interested || p.a.peer_interested);
	assert_true(p.b.am_choking && p.b.peer_choking);
	assert_true(p.a.fast && p.b.fast && p.a.ext && p.b.ext);
	/* Extension handshakes carried client name, reqq and port. */
	assert_string_equal(p.a.ext_hs.v, "vtfs test");
	assert_int_equal(p.a.peer_reqq, PROTO_MAX_IN_REQS);
	assert_int_equal(p.a.ext_hs.p, 6881);
	/* yourip: b tells a the address it sees a at. */
	assert_int_equal(p.a.ext_hs.yourip_len, 4);
	assert_memory_equal(p.a.ext_hs.yourip, ip_a, 4);
	assert_memory_equal(p.b.ext_hs.yourip, ip_b, 4);
	/* b has everything: a got HAVE ALL, and b granted allowed fast. */
	assert_true(p.a.naf_in > 0);
	assert_true(proto_peer_has_needed(&p.a));
	assert_false(proto_peer_has_needed(&p.b));
	pair_down(&p);
}

static void
test_proto_interest_choke_request_block(void **state)
{
	struct pair p;
	struct evlog la = {0}, lb = {0};
	struct proto_req r;
	uint8_t data[WIRE_BLOCK];
	uint32_t piece = 3;

	pair_up(&p, false, false, false);
	assert_false(p.a.fast);
	/* Choked: requests for pieces not allowed fast are refused. */
	assert_int_equal(proto_request(&p.a, piece, 0, WIRE_BLOCK, p.now),
	    -EAGAIN);
	assert_int_equal(proto_set_interested(&p.a, true, p.now), 0);
	assert_int_equal(pump(&p.a, &p.b, p.now, &lb), 0);
	assert_true(p.b.peer_interested);
	assert_int_equal(proto_unchoke(&p.b, p.now), 0);
	assert_int_equal(pump(&p.b, &p.a, p.now, &la), 0);
	assert_int_equal(la.ev[0].type, PROTO_EV_UNCHOKE);
	assert_false(p.a.peer_choking);
	assert_int_equal(proto_request(&p.a, piece, 0, WIRE_BLOCK, p.now), 0);
	assert_int_equal(proto_request(&p.a, piece, 0, WIRE_BLOCK, p.now),
	    -EINVAL);	/* already out */
	assert_int_equal(proto_request(&p.a, piece, WIRE_BLOCK, WIRE_BLOCK,
	    p.now), 0);
	assert_int_equal(proto_nreqs(&p.a), 2);
	lb.n = 0;
	assert_int_equal(pump(&p.a, &p.b, p.now, &lb), 0);
	assert_int_equal(count_ev(&lb, PROTO_EV_REQUEST), 2);
	assert_int_equal(proto_nqueued(&p.b), 2);
	/* Serve one. */
	memset(data, 0x5a, sizeof(data));
	assert_true(proto_next_upload(&p.b, &r));
	assert_int_equal(r.index, piece);
	assert_int_equal(proto_send_block(&p.b, r.index, r.begin, data,
	    r.length, p.now), 0);
	la.n = 0;
	assert_int_equal(pump(&p.b, &p.a, p.now + 100, &la), 0);
	assert_int_equal(la.ev[0].type, PROTO_EV_BLOCK);
	assert_int_equal(la.ev[0].index, piece);
	assert_int_equal(la.ev[0].length, WIRE_BLOCK);
	assert_int_equal(proto_nreqs(&p.a), 1);
	assert_true(p.a.down.total == WIRE_BLOCK);
	assert_true(p.b.up.total == WIRE_BLOCK);
	/* Choke without BEP 6: the peer's queue is dropped on both ends. */
	assert_int_equal(proto_choke(&p.b, p.now), 0);
	assert_int_equal(proto_nqueued(&p.b), 0);
	la.n = 0;
	assert_int_equal(pump(&p.b, &p.a, p.now, &la), 0);
	assert_int_equal(la.ev[0].type, PROTO_EV_CHOKE);
	assert_int_equal(la.ndropped, 1);
	assert_int_equal(proto_nreqs(&p.a), 0);
	/* A request while choked is silently dropped (no BEP 6). */
	p.a.peer_choking = false;	/* a misbehaving a */
	assert_int_equal(proto_request(&p.a, 1, 0, 100, p.now), 0);
	lb.n = 0;
	assert_int_equal(pump(&p.a, &p.b, p.now, &lb), 0);
	assert_int_equal(count_ev(&lb, PROTO_EV_REQUEST), 0);
	assert_int_equal(p.b.n_refused, 1);
	{
		size_t len;

		proto_out(&p.b, &len);
		assert_int_equal(len, 0);	/* no reject without BEP 6 */
	}
	pair_down(&p);
}

/* The first piece outside the allowed-fast set b granted. */
static uint32_t
not_allowed_fast(const struct proto *b)
{
	for (uint32_t piece = 0; piece < NP; piece++) {
		uint32_t k = 0;

		while (k < b->naf_out && b->af_out[k] != piece)
			k++;
		if (k == b->naf_out)
			return piece;
	}
	fail_msg("every piece is allowed fast");
	return 0;
}

/* With BEP 6: choke keeps our requests until rejected; rejects flow. */
static void
test_proto_fast_choke_and_reject(void **state)
{
	struct pair p;
	struct evlog la = {0}, lb = {0};

	pair_up(&p, true, true, false);
	proto_set_interested(&p.a, true, p.now);
	pump(&p.a, &p.b, p.now, NULL);
	proto_unchoke(&p.b, p.now);
	pump(&p.b, &p.a, p.now, NULL);
	uint32_t piece = not_allowed_fast(&p.b);

	for (uint32_t i = 0; i < 3; i++)
		assert_int_equal(proto_request(&p.a, piece, i * WIRE_BLOCK,
		    WIRE_BLOCK, p.now), 0);
	pump(&p.a, &p.b, p.now, &lb);
	assert_int_equal(proto_nqueued(&p.b), 3);
	/* b chokes: BEP 6 makes it reject each queued request. */
	assert_int_equal(proto_choke(&p.b, p.now), 0);
	assert_int_equal(pump(&p.b, &p.a, p.now, &la), 0);
	assert_int_equal(count_ev(&la, PROTO_EV_CHOKE), 1);
	assert_int_equal(la.ndropped, 0);
	assert_int_equal(count_ev(&la, PROTO_EV_REJECT), 3);
	assert_int_equal(proto_nreqs(&p.a), 0);
	/* A reject for nothing we asked for closes. */
	wire_put_req(&p.b.out, WIRE_REJECT, 7, 0, WIRE_BLOCK);
	assert_int_equal(pump(&p.b, &p.a, p.now, NULL), -EPROTO);
	pair_down(&p);
}

/* Requests over the limits get BEP 6 rejects; cancel is honoured. */
static void
test_proto_request_queue_limits(void **state)
{
	struct pair p;
	struct evlog lb = {0}, la = {0};
	struct buf *o;
	int n = 0;

	pair_up(&p, true, true, false);
	proto_unchoke(&p.b, p.now);
	pump(&p.b, &p.a, p.now, NULL);
	o = &p.a.out;
	/* a floods b with 2100 requests (bypassing a's own caps). */
	for (uint32_t i = 0; i < 2100; i++)
		wire_put_req(o, WIRE_REQUEST, i % (NP - 1),
		    (i / (NP - 1)) * 100, 100);
	/* a block too big, a piece past the end is malformed (closes). */
	wire_put_req(o, WIRE_REQUEST, 1, 0, WIRE_BLOCK + 1);
	assert_int_equal(pump(&p.a, &p.b, p.now, &lb), 0);
	assert_int_equal(proto_nqueued(&p.b), PROTO_MAX_IN_REQS);
	assert_int_equal(p.b.n_refused, 101);
	assert_int_equal(pump(&p.b, &p.a, p.now, &la), -EPROTO);
	/* a never asked: its own state machine calls the rejects bogus. */
	proto_fini(&p.a);
	/* cancel of a queued request: removed, and rejected (BEP 6). */
	{
		struct wire_msg m = {.type = WIRE_CANCEL, .index = 0,
		    .begin = 0, .length = 100};
		struct proto_event ev;

		assert_int_equal(proto_on_msg(&p.b, &m, p.now, &ev), 0);
		assert_int_equal(ev.type, PROTO_EV_CANCEL);
		assert_int_equal(proto_nqueued(&p.b), PROTO_MAX_IN_REQS - 1);
	}
	while (proto_next_upload(&p.b, &(struct proto_req){0}))
		n++;
	assert_int_equal(n, PROTO_MAX_IN_REQS - 1);
	proto_fini(&p.b);
	bitfield_fini(&p.have_a);
	bitfield_fini(&p.have_b);
}

/* Messages of type id in b's pending output; the output is then dropped. */
static int
take_msgs(struct proto *b, enum wire_id id)
{
	size_t len, pos = 0;
	const uint8_t *o = proto_out(b, &len);
	int n = 0;

	while (pos + 4 <= len) {
		uint32_t ml = be32_get(o + pos);

		if (ml > 0 && pos + 4 < len && o[pos + 4] == id)
			n++;
		pos += 4 + (size_t)ml;
	}
	proto_out_consumed(b, len);
	return n;
}

/* Feed one request of a's into b (bypassing a's own checks). */
static int
raw_request(struct pair *p, uint32_t index, uint32_t begin, uint32_t length)
{
	wire_put_req(&p->a.out, WIRE_REQUEST, index, begin, length);
	return pump(&p->a, &p->b, p->now, NULL);
}

/*
 * What a hostile leecher's requests get, with and without BEP 6: a reject
 * (fast) or silence (plain) while choked outside the allowed-fast set and
 * for a piece we lack; over 16 KiB a reject (fast) or the connection
 * closed (plain, BEP 3); a range past the piece closes either way.
 */
static void
test_proto_refused_requests(void **state)
{
	for (int fast = 0; fast <= 1; fast++) {
		struct pair p;
		uint32_t out_af, lack;

		pair_up(&p, fast, fast, false);
		out_af = not_allowed_fast(&p.b);
		lack = out_af + 1;
		assert_true(bitfield_clear(&p.have_b, lack));
		take_msgs(&p.b, WIRE_REJECT);
		/* Choked, not allowed fast. */
		assert_int_equal(raw_request(&p, out_af, 0, WIRE_BLOCK), 0);
		assert_int_equal(proto_nqueued(&p.b), 0);
		assert_int_equal(take_msgs(&p.b, WIRE_REJECT), fast);
		if (fast) {
			/* Choked, allowed fast: served. */
			assert_int_equal(raw_request(&p, p.b.af_out[0], 0,
			    WIRE_BLOCK), 0);
			assert_int_equal(proto_nqueued(&p.b), 1);
			assert_true(proto_next_upload(&p.b,
			    &(struct proto_req){0}));
		}
		proto_unchoke(&p.b, p.now);
		take_msgs(&p.b, WIRE_UNCHOKE);
		/* A piece we lack. */
		assert_int_equal(raw_request(&p, lack, 0, WIRE_BLOCK), 0);
		assert_int_equal(proto_nqueued(&p.b), 0);
		assert_int_equal(take_msgs(&p.b, WIRE_REJECT), fast);
		assert_int_equal(p.b.n_refused, 2);
		/* 16 KiB + 1, inside the piece. */
		assert_int_equal(raw_request(&p, out_af, 0, WIRE_BLOCK + 1),
		    fast ? 0 : -EPROTO);
		assert_int_equal(proto_nqueued(&p.b), 0);
		if (fast) {
			assert_int_equal(take_msgs(&p.b, WIRE_REJECT), 1);
			/* Past the piece's end, past the last piece. */
			assert_int_equal(raw_request(&p, out_af,
			    65536 - WIRE_BLOCK / 2, WIRE_BLOCK), -EBADMSG);
		} else {
			assert_string_equal(p.b.why, "request over 16 KiB");
		}
		pair_down(&p);
	}
}

/*
 * Cancels scan the queue: a stream of them is paid from a budget that
 * serving refills; past it they are ignored (the block is served, a valid
 * answer under BEP 6), so they cannot keep the network thread busy.
 */
static void
test_proto_cancel_budget(void **state)
{
	struct pair p;
	struct buf *o;
	uint32_t i;

	pair_up(&p, true, true, false);
	proto_unchoke(&p.b, p.now);
	pump(&p.b, &p.a, p.now, NULL);
	o = &p.a.out;
	for (i = 0; i < PROTO_MAX_IN_REQS; i++)
		wire_put_req(o, WIRE_REQUEST, i % (NP - 1),
		    (i / (NP - 1)) * 100, 100);
	assert_int_equal(pump(&p.a, &p.b, p.now, NULL), 0);
	assert_int_equal(proto_nqueued(&p.b), PROTO_MAX_IN_REQS);
	take_msgs(&p.b, WIRE_REJECT);
	/* Cancels for nothing queued, each scanning the full queue. */
	for (i = 0; i < PROTO_MAX_IN_REQS + 10; i++)
		wire_put_req(o, WIRE_CANCEL, NP - 1, 0, 100);
	assert_int_equal(pump(&p.a, &p.b, p.now, NULL), 0);
	assert_int_equal(p.b.n_cancel_ignored, 10);
	/* Spent: a cancel of a queued request is ignored too... */
	wire_put_req(o, WIRE_CANCEL, 0, 0, 100);
	assert_int_equal(pump(&p.a, &p.b, p.now, NULL), 0);
	assert_int_equal(proto_nqueued(&p.b), PROTO_MAX_IN_REQS);
	assert_int_equal(take_msgs(&p.b, WIRE_REJECT), 0);
	/* ...until a block taken for serving pays for the next scan. */
	assert_true(proto_next_upload(&p.b, &(struct proto_req){0}));
	wire_put_req(o, WIRE_CANCEL, 1, 0, 100);
	assert_int_equal(pump(&p.a, &p.b, p.now, NULL), 0);
	assert_int_equal(proto_nqueued(&p.b), PROTO_MAX_IN_REQS - 2);
	assert_int_equal(take_msgs(&p.b, WIRE_REJECT), 1);
	assert_int_equal(p.b.n_cancel_ignored, 11);
	pair_down(&p);
}

/*
 * Bitfield, have all, have none: only the first one counts.  aria2 sends
 * its bitfield twice, so a repeat is ignored rather than fatal.
 */
static void
test_proto_bitfield_only_first(void **state)
{
	struct pair p;
	uint32_t before;

	pair_up(&p, false, false, false);
	/* b already sent its bitfield; a second one is ignored. */
	before = bitfield_count(&p.a.have);
	wire_put_bitfield(&p.b.out, &p.have_b);
	assert_int_equal(pump(&p.b, &p.a, p.now, NULL), 0);
	assert_int_equal(bitfield_count(&p.a.have), before);
	pair_down(&p);

	/* A have before any bitfield: a later have none changes nothing. */
	pair_up(&p, true, true, false);
	wire_put_index(&p.b.out, WIRE_HAVE, 1);
	wire_put_simple(&p.b.out, WIRE_HAVE_NONE);
	assert_int_equal(pump(&p.b, &p.a, p.now, NULL), 0);
	assert_true(bitfield_test(&p.a.have, 1));
	pair_down(&p);
}

/* Fast and extension messages need their bits in the handshake. */
static void
test_proto_unnegotiated_messages(void **state)
{
	struct pair p;

	pair_up(&p, true, false, false);
	assert_false(p.a.fast);
	wire_put_index(&p.b.out, WIRE_SUGGEST, 1);
	assert_int_equal(pump(&p.b, &p.a, p.now, NULL), -EPROTO);
	pair_down(&p);
	pair_up(&p, false, false, false);
	wire_put_extended(&p.b.out, 0, "de", 2);
	assert_int_equal(pump(&p.b, &p.a, p.now, NULL), -EPROTO);
	pair_down(&p);
	/* Unknown ids are ignored, not fatal. */
	pair_up(&p, false, false, false);
	{
		uint8_t unk[] = {0, 0, 0, 2, 77, 1};

		buf_append(&p.b.out, unk, sizeof(unk));
		wire_put_simple(&p.b.out, WIRE_UNCHOKE);
		assert_int_equal(pump(&p.b, &p.a, p.now, NULL), 0);
		assert_int_equal(p.a.n_unknown, 1);
		assert_false(p.a.peer_choking);
	}
	pair_down(&p);
}

/* Blocks nobody asked for close; blocks after our cancel are late. */
static void
test_proto_unrequested_blocks(void **state)
{
	struct pair p;
	struct evlog la = {0};
	uint8_t d[100] = {0};

	pair_up(&p, true, true, false);
	proto_unchoke(&p.b, p.now);
	pump(&p.b, &p.a, p.now, NULL);
	assert_int_equal(proto_request(&p.a, 2, 0, 100, p.now), 0);
	assert_int_equal(proto_cancel(&p.a, 2, 0, 100, p.now), 0);
	assert_int_equal(proto_cancel(&p.a, 2, 0, 100, p.now), -ENOENT);
	wire_put_piece(&p.b.out, 2, 0, d, 100);
	assert_int_equal(pump(&p.b, &p.a, p.now, &la), 0);
	assert_int_equal(count_ev(&la, PROTO_EV_BLOCK_LATE), 1);
	wire_put_piece(&p.b.out, 2, 100, d, 100);
	assert_int_equal(pump(&p.b, &p.a, p.now, NULL), -EPROTO);
	assert_string_equal(p.a.why, "block never requested");
	pair_down(&p);
}

/* Timers: handshake, idle, keep-alive, request timeout, snubbing. */
static void
test_proto_timers(void **state)
{
	struct pair p;
	struct proto q;
	struct proto_config c;
	struct proto_tick t;
	size_t len;

	cfg_for(&c, 'q', true, true);
	assert_int_equal(proto_init(&q, &c, 0), 0);
	assert_int_equal(proto_tick(&q, 9999, &t), 0);
	assert_int_equal(proto_tick(&q, 10001, &t), -ETIMEDOUT);
	proto_fini(&q);

	pair_up(&p, true, true, false);
	proto_unchoke(&p.b, p.now);
	pump(&p.b, &p.a, p.now, NULL);
	proto_out_consumed(&p.a, 1u << 20);
	assert_int_equal(proto_request(&p.a, 1, 0, WIRE_BLOCK, p.now), 0);
	proto_out_consumed(&p.a, 1u << 20);
	/* 59 s: nothing yet. */
	assert_int_equal(proto_tick(&p.a, p.now + 59000, &t), 0);
	assert_int_equal(t.nexpired, 0);
	assert_false(p.a.snubbed);
	/* 60 s without a block while a request is out: snubbed, and the
	 * request timed out (cancelled, reported). */
	assert_int_equal(proto_tick(&p.a, p.now + 60000, &t), 0);
	assert_true(p.a.snubbed);
	assert_true(t.snub_changed);
	assert_int_equal(t.nexpired, 1);
	assert_int_equal(t.expired[0].index, 1);
	assert_int_equal(proto_nreqs(&p.a), 0);
	proto_out(&p.a, &len);
	assert_int_equal(len, 17);	/* the cancel */
	proto_out_consumed(&p.a, len);
	/* Keep-alive after 90 s of our silence. */
	assert_int_equal(proto_tick(&p.a, p.now + 60000 + 90000, &t), -ETIMEDOUT);
	pair_down(&p);

	pair_up(&p, true, true, false);
	proto_out_consumed(&p.a, 1u << 20);
	assert_int_equal(proto_tick(&p.a, p.now + 90000, &t), 0);
	proto_out(&p.a, &len);
	assert_int_equal(len, 4);	/* keep-alive */
	/* Silent peer for 120 s: idle timeout. */
	assert_int_equal(proto_tick(&p.a, p.now + 120000, &t), 0);
	assert_int_equal(proto_tick(&p.a, p.now + 120001, &t), -ETIMEDOUT);
	assert_string_equal(p.a.why, "idle timeout");
	pair_down(&p);
}

/* Hostile framing through the state machine closes cleanly. */
static void
test_proto_hostile_framing(void **state)
{
	struct pair p;
	const uint8_t huge[] = {0xff, 0xff, 0xff, 0xff};
	const uint8_t badhave[] = {0, 0, 0, 5, 4, 0, 0, 0, NP};

	pair_up(&p, false, false, false);
	buf_append(&p.b.out, huge, 4);
	assert_int_equal(pump(&p.b, &p.a, p.now, NULL), -EMSGSIZE);
	pair_down(&p);
	pair_up(&p, false, false, false);
	buf_append(&p.b.out, badhave, sizeof(badhave));
	assert_int_equal(pump(&p.b, &p.a, p.now, NULL), -EBADMSG);
	pair_down(&p);
}

/* Self-connection and wrong torrent are refused. */
static void
test_proto_handshake_refusals(void **state)
{
	struct proto a, b;
	struct proto_config c;
	struct bitfield bf;
	uint8_t other[20];

	assert_int_equal(bitfield_init(&bf, NP), 0);
	cfg_for(&c, 'a', true, true);
	proto_init(&a, &c, 0);
	proto_init(&b, &c, 0);	/* the same peer id: ourselves */
	proto_connect(&a, &geom, &bf, NULL, 0);
	assert_int_equal(pump(&a, &b, 0, NULL), -EPROTO);
	assert_string_equal(b.why, "connected to ourselves");
	proto_fini(&a);
	proto_fini(&b);

	proto_init(&a, &c, 0);
	c.peer_id[0] = 'z';
	memset(other, 9, 20);
	memcpy(c.info_hash, other, 20);
	proto_init(&b, &c, 0);
	proto_connect(&a, &geom, &bf, NULL, 0);
	proto_connect(&b, &geom, &bf, NULL, 0);	/* b expects another hash */
	assert_int_equal(pump(&a, &b, 0, NULL), -EPROTO);
	assert_string_equal(b.why, "info-hash mismatch");
	proto_fini(&a);
	proto_fini(&b);
	bitfield_fini(&bf);
}

/* Allowed fast: BEP 6's published vectors; requests while choked. */
static void
test_proto_allowed_fast(void **state)
{
	const uint8_t ip[4] = {80, 4, 4, 200};
	uint8_t h[20];
	uint32_t out[9];
	const uint32_t want[9] = {1059, 431, 808, 1217, 287, 376, 1188, 353,
	    508};
	struct pair p;
	struct evlog lb = {0};

	memset(h, 0xaa, 20);
	assert_int_equal(proto_allowed_fast_set(ip, h, 1313, 7, out), 7);
	assert_memory_equal(out, want, 7 * sizeof(uint32_t));
	assert_int_equal(proto_allowed_fast_set(ip, h, 1313, 9, out), 9);
	assert_memory_equal(out, want, 9 * sizeof(uint32_t));
	/* k above npieces ends. */
	assert_int_equal(proto_allowed_fast_set(ip, h, 3, 9, out), 3);

	pair_up(&p, true, true, false);
	assert_true(p.b.naf_out > 0);
	assert_int_equal(p.a.naf_in, p.b.naf_out);
	/* a is choked but may ask for an allowed-fast piece. */
	assert_int_equal(proto_request(&p.a, p.a.af_in[0], 0, WIRE_BLOCK,
	    p.now), 0);
	pump(&p.a, &p.b, p.now, &lb);
	assert_int_equal(count_ev(&lb, PROTO_EV_REQUEST), 1);
	/* b choking again keeps the allowed-fast request queued. */
	proto_unchoke(&p.b, p.now);
	proto_choke(&p.b, p.now);
	assert_int_equal(proto_nqueued(&p.b), 1);
	pair_down(&p);
}

/* Each message reaches the caller as its event, with its fields. */
static void
test_proto_events(void **state)
{
	struct pair p;
	struct evlog la = {0};

	pair_up(&p, true, true, true);
	bitfield_clear(&p.have_b, 4);	/* b's view only: a already has all */
	wire_put_simple(&p.b.out, WIRE_INTERESTED);
	wire_put_simple(&p.b.out, WIRE_NOT_INTERESTED);
	wire_put_index(&p.b.out, WIRE_HAVE, 4);		/* a knew it: none */
	wire_put_index(&p.b.out, WIRE_SUGGEST, 6);
	wire_put_index(&p.b.out, WIRE_ALLOWED_FAST, 7);
	wire_put_port(&p.b.out, 6882);
	wire_put_extended(&p.b.out, 3, "xyz", 3);
	wire_put_keepalive(&p.b.out);
	assert_int_equal(pump(&p.b, &p.a, p.now, &la), 0);
	assert_int_equal(la.n, 8);
	assert_int_equal(la.ev[0].type, PROTO_EV_INTERESTED);
	assert_int_equal(la.ev[1].type, PROTO_EV_NOT_INTERESTED);
	assert_false(p.a.peer_interested);
	assert_int_equal(la.ev[2].type, PROTO_EV_NONE);
	assert_int_equal(la.ev[3].type, PROTO_EV_SUGGEST);
	assert_int_equal(la.ev[3].index, 6);
	assert_true(la.ev[4].type == PROTO_EV_ALLOWED_FAST ||
	    la.ev[4].type == PROTO_EV_NONE);	/* maybe granted already */
	assert_true(proto_can_request(&p.a, 7));
	assert_int_equal(la.ev[5].type, PROTO_EV_PORT);
	assert_int_equal(la.ev[5].port, 6882);
	assert_int_equal(la.ev[6].type, PROTO_EV_EXTENDED);
	assert_int_equal(la.ev[6].ext_id, 3);
	assert_int_equal(la.ev[6].len, 3);
	assert_int_equal(la.ev[7].type, PROTO_EV_NONE);
	pair_down(&p);

	/* A HAVE that is news, from a peer without everything. */
	pair_up(&p, false, false, false);
	bitfield_clear_all(&p.a.have);	/* as if b had sent nothing */
	wire_put_index(&p.b.out, WIRE_HAVE, 4);
	la.n = 0;
	assert_int_equal(pump(&p.b, &p.a, p.now, &la), 0);
	assert_int_equal(la.ev[0].type, PROTO_EV_HAVE);
	assert_int_equal(la.ev[0].index, 4);
	assert_true(bitfield_test(&p.a.have, 4));
	pair_down(&p);
}

/* Fed one byte at a time, the whole exchange works the same. */
static void
test_proto_byte_by_byte(void **state)
{
	struct pair p;
	uint8_t data[WIRE_BLOCK];
	size_t len, used;
	const uint8_t *o;
	uint8_t *copy;
	int blocks = 0;

	pair_up(&p, true, true, true);
	proto_set_interested(&p.a, true, p.now);
	pump(&p.a, &p.b, p.now, NULL);
	proto_unchoke(&p.b, p.now);
	pump(&p.b, &p.a, p.now, NULL);
	for (uint32_t i = 0; i < 4; i++)
		proto_request(&p.a, NP - 1, 0, 5000, p.now),
		proto_request(&p.a, i, 0, WIRE_BLOCK, p.now);
	pump(&p.a, &p.b, p.now, NULL);
	memset(data, 1, sizeof(data));
	for (struct proto_req r; proto_next_upload(&p.b, &r);)
		proto_send_block(&p.b, r.index, r.begin, data, r.length, p.now);
	o = proto_out(&p.b, &len);
	copy = malloc(len);
	memcpy(copy, o, len);
	proto_out_consumed(&p.b, len);
	for (size_t i = 0; i < len; i++) {
		struct proto_event ev;
		int rc = proto_feed(&p.a, copy + i, 1, &used, p.now, &ev);

		assert_true(rc >= 0);
		assert_int_equal(used, 1);
		if (rc == 1 && ev.type == PROTO_EV_BLOCK) {
			assert_memory_equal(ev.data, data, ev.length);
			blocks++;
		}
	}
	assert_int_equal(blocks, 5);
	assert_int_equal(proto_nreqs(&p.a), 0);
	free(copy);
	pair_down(&p);
}

/*
 * A real seeder's bytes (python3-libtorrent 2.0.8, captured on loopback;
 * tests/data/wire/README): handshake, extension handshake before HAVE ALL
 * (so extended messages must be allowed before the first message), two
 * unchokes, allowed-fast grants, and the two blocks we asked for.
 */
static void
test_proto_real_libtorrent_stream(void **state)
{
	static const struct wire_geom g = {4, 65536, 3 * 65536 + 1234};
	static const char *ih_hex = "f63fb214b7aa7884281b930e1df6f8f2cabc3a20";
	const enum proto_ev want[] = {PROTO_EV_HANDSHAKE,
	    PROTO_EV_EXT_HANDSHAKE, PROTO_EV_BITFIELD, PROTO_EV_UNCHOKE,
	    PROTO_EV_ALLOWED_FAST, PROTO_EV_ALLOWED_FAST,
	    PROTO_EV_ALLOWED_FAST, PROTO_EV_ALLOWED_FAST, PROTO_EV_UNCHOKE,
	    PROTO_EV_BLOCK, PROTO_EV_BLOCK};
	const char *dir = getenv("VTFS_TEST_DATA");
	char path[4096];
	static uint8_t buf[1 << 16];
	struct proto_config c;
	struct bitfield ours;
	struct proto p;
	size_t len, pos = 0, used;
	FILE *f;
	int n = 0;

	if (dir == NULL)
		fail_msg("VTFS_TEST_DATA is not set");
	snprintf(path, sizeof(path), "%s/wire/libtorrent-2.0.8-seeder.bin",
	    dir);
	if ((f = fopen(path, "rb")) == NULL)
		fail_msg("cannot open %s", path);
	len = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	assert_true(len > 1000);
	cfg_for(&c, 'v', true, true);
	for (int i = 0; i < 20; i++)
		sscanf(ih_hex + 2 * i, "%2hhx", &c.info_hash[i]);
	assert_int_equal(bitfield_init(&ours, g.npieces), 0);
	assert_int_equal(proto_init(&p, &c, 0), 0);
	assert_int_equal(proto_connect(&p, &g, &ours, ip_b, 0), 0);
	assert_int_equal(proto_set_interested(&p, true, 0), 0);
	while (pos < len) {
		struct proto_event ev;
		int rc = proto_feed(&p, buf + pos, len - pos, &used, 1, &ev);

		pos += used;
		if (rc < 0)
			fail_msg("rc %d (%s) at byte %zu", rc, p.why, pos);
		if (rc == 0)
			break;
		if (n >= (int)(sizeof(want) / sizeof(want[0])) ||
		    ev.type != want[n])
			fail_msg("event %d: %d", n, ev.type);
		if (ev.type == PROTO_EV_UNCHOKE && n == 3) {
			assert_int_equal(proto_request(&p, 0, 0, 16384, 1), 0);
			assert_int_equal(proto_request(&p, 3, 0, 1234, 1), 0);
		}
		if (ev.type == PROTO_EV_BLOCK)
			assert_int_equal(ev.len, ev.index == 3 ? 1234 : 16384);
		n++;
	}
	assert_int_equal(n, sizeof(want) / sizeof(want[0]));
	assert_int_equal(pos, len);
	assert_true(p.fast && p.ext);
	assert_true(bitfield_all(&p.have));
	assert_string_equal(p.ext_hs.v, "libtorrent/2.0.8.0");
	assert_int_equal(p.peer_reqq, 2000);
	assert_int_equal(wire_ext_hs_id(&p.ext_hs, "ut_metadata"), 2);
	assert_int_equal(p.naf_in, 4);
	assert_int_equal(proto_nreqs(&p), 0);
	proto_fini(&p);
	bitfield_fini(&ours);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_proto_initial_states_and_handshake),
		cmocka_unit_test(test_proto_interest_choke_request_block),
		cmocka_unit_test(test_proto_fast_choke_and_reject),
		cmocka_unit_test(test_proto_request_queue_limits),
		cmocka_unit_test(test_proto_refused_requests),
		cmocka_unit_test(test_proto_cancel_budget),
		cmocka_unit_test(test_proto_bitfield_only_first),
		cmocka_unit_test(test_proto_unnegotiated_messages),
		cmocka_unit_test(test_proto_unrequested_blocks),
		cmocka_unit_test(test_proto_timers),
		cmocka_unit_test(test_proto_hostile_framing),
		cmocka_unit_test(test_proto_handshake_refusals),
		cmocka_unit_test(test_proto_allowed_fast),
		cmocka_unit_test(test_proto_events),
		cmocka_unit_test(test_proto_byte_by_byte),
		cmocka_unit_test(test_proto_real_libtorrent_stream),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
