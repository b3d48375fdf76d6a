/*
 * peer: the connections of a session (see swarm.h).  Glues netio (bytes),
 * proto (the per-connection state machine) and the picker (what to ask
 * for); keeps the candidate addresses and dials them within the caps; keeps
 * per-IP scores and bans; serves requested blocks from verified pieces
 * (read on libuv's pool, never on the loop).  Network thread only.
 */
#include "bt/swarm.h"

#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "bt/hasher.h"
#include "bt/metainfo.h"
#include "bt/netio.h"
#include "bt/picker.h"
#include "bt/storage.h"
#include "bt/tracker_resp.h"

#define LOG_TAG "peer"
#include "base/log.h"

#define NIDS		PICKER_MAX_PEERS
#define PICK_MAX	PICKER_PIPE_MAX
#define UPLOAD_OUT_MAX	((size_t)1 << 20)	/* proto_out() before pausing
						 * the serving of requests */

static struct wire_geom
geom_of(const struct session *s)
{
	struct wire_geom g;

	g.npieces = s->meta->npieces;
	g.piece_len = s->meta->piece_len;
	g.total = s->meta->total;
	return g;
}

static uint16_t
port_of(const struct sockaddr_storage *a)
{
	if (a->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)a)->sin_port);
	if (a->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)a)->sin6_port);
	return 0;
}

static bool
same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	return netio_same_ip(a, b) && port_of(a) == port_of(b);
}

static const uint8_t *
ip4_of(const struct sockaddr_storage *a)
{
	if (a->ss_family != AF_INET)
		return NULL;
	return (const uint8_t *)&((const struct sockaddr_in *)a)->sin_addr;
}

/* The per-IP record of addr, made when missing (NULL when the table is
 * full and make is set, or when absent). */
static struct ipinfo *
ip_find(struct session *s, const struct sockaddr_storage *addr, bool make)
{
	for (uint32_t i = 0; i < s->nips; i++)
		if (netio_same_ip(&s->ips[i].addr, addr))
			return &s->ips[i];
	if (!make || s->nips >= SWARM_MAX_IPS)
		return NULL;
	memset(&s->ips[s->nips], 0, sizeof(s->ips[0]));
	s->ips[s->nips].addr = *addr;
	return &s->ips[s->nips++];
}

static bool
ip_banned(struct session *s, const struct sockaddr_storage *addr)
{
	struct ipinfo *ip = ip_find(s, addr, false);

	return ip && ip->banned;
}

/* ------------------------------------------------------------------ */
/* Sending */

static void
peer_close(struct peer *pr, int reason)
{
	if (pr->conn)
		netio_close(pr->conn, reason);
}

/*
 * Move what proto has to send into netio's queue, as far as it fits.  When
 * it does not all fit, the whole is offered first: its -ENOBUFS makes netio
 * call on_drain once the queue has room again, which flushes the rest and
 * resumes serving (a peer that sends nothing while it waits for its
 * requested blocks would otherwise stall for good).
 */
static void
peer_flush(struct peer *pr)
{
	const uint8_t *p;
	size_t len, room;

	if (!pr->conn || !pr->proto_ok)
		return;
	p = proto_out(&pr->p, &len);
	if (len == 0)
		return;
	room = netio_send_room(pr->conn);
	if (len > room) {
		if (netio_send(pr->conn, p, len) != -ENOBUFS)
			return;	/* closing */
		len = room;
	}
	if (len == 0)
		return;
	if (netio_send(pr->conn, p, len) == 0)
		proto_out_consumed(&pr->p, len);
}

/* ------------------------------------------------------------------ */
/* Requests */

/* --seed, or every piece here: nothing to download. */
static bool
needs_nothing(const struct session *s)
{
	return s->cfg.seed_only || bitfield_all(&s->have);
}

static void
peer_update_interest(struct peer *pr, uint64_t now)
{
	struct session *s = pr->s;
	bool want;

	if (!pr->running)
		return;
	want = !s->cfg.seed_only && !s->stopping &&
	    bitfield_has_missing(&pr->p.have, &s->have);
	if (want != pr->p.am_interested)
		if (proto_set_interested(&pr->p, want, now) < 0)
			peer_close(pr, -EPROTO);
}

/* Ask pr for as many blocks as its rate deserves. */
static void
peer_fill(struct peer *pr, uint64_t now)
{
	struct session *s = pr->s;
	struct picker_block blk[PICK_MAX];
	struct picker_peer pp;
	uint32_t depth, n, i;
	uint64_t rate;

	if (!pr->running || !pr->in_picker || !pr->conn || s->stopping ||
	    !pr->p.am_interested || pr->p.peer_choking)
		return;
	rate = rate_get(&pr->p.down, now);
	depth = picker_pipeline_depth(rate);
	/* Slow start: the rate meter needs a few seconds, and a pipeline
	 * sized from its first readings would keep the rate low. */
	if (now - pr->unchoked_ms < SWARM_SLOW_START_MS &&
	    depth < SWARM_SLOW_START_DEPTH && !pr->p.snubbed)
		depth = SWARM_SLOW_START_DEPTH;
	if (depth > pr->p.peer_reqq)
		depth = pr->p.peer_reqq;
	if (depth > PROTO_MAX_OUT_REQS)
		depth = PROTO_MAX_OUT_REQS;
	if (pr->p.nreqs >= depth)
		return;
	pp.id = pr->id;
	pp.have = &pr->p.have;
	pp.rate = rate;
	pp.snubbed = pr->p.snubbed;
	n = picker_pick(s->pk, &pp, now, SWARM_STALL_MS, blk,
	    depth - pr->p.nreqs);
	for (i = 0; i < n; i++) {
		if (!session_asm_get(s, blk[i].piece) ||
		    proto_request(&pr->p, blk[i].piece, blk[i].begin,
		    blk[i].length, now) < 0)
			break;
	}
	for (; i < n; i++)
		picker_on_lost(s->pk, pr->id, blk[i].piece, blk[i].begin);
	peer_flush(pr);
}

static int
cmp_rate(const void *a, const void *b)
{
	const struct peer *x = *(struct peer *const *)a;
	const struct peer *y = *(struct peer *const *)b;
	uint64_t rx = x->p.down.total, ry = y->p.down.total;

	return rx < ry ? 1 : rx > ry ? -1 : 0;
}

void
swarm_fill_all(struct session *s)
{
	struct peer **list = s->fill_list;
	uint32_t n = 0, serving = 0;
	uint64_t now = clock_now_ms();

	for (uint32_t i = 0; i < s->nlive; i++) {
		struct peer *pr = s->live[i];

		if (!pr->running || !pr->in_picker)
			continue;
		list[n++] = pr;
		if (!pr->p.peer_choking && !pr->p.snubbed)
			serving++;
	}
	/* Fastest first: critical blocks go to them (picker.h). */
	qsort(list, n, sizeof(list[0]), cmp_rate);
	picker_set_spread(s->pk, serving < 1 ? 1 : serving > 4 ? 4 : serving);
	for (uint32_t i = 0; i < n; i++)
		peer_fill(list[i], now);
}

/* ------------------------------------------------------------------ */
/* Uploads: verified blocks read on libuv's pool */

struct upload {
	uv_work_t	 work;
	struct session	*s;
	uint32_t	 id, gen;
	uint32_t	 seq;		/* the piece's pieceseq count */
	struct proto_req req;
	int		 rc;
	uint8_t		 data[WIRE_BLOCK];
};

static void
upload_work(uv_work_t *w)
{
	struct upload *u = w->data;
	uint64_t off = (uint64_t)u->req.index * u->s->meta->piece_len +
	    u->req.begin;

	u->rc = storage_read(u->s->st, off, u->req.length, u->data);
}

static void peer_serve(struct peer *, uint64_t now);

/*
 * A piece we may upload: verified and not being evicted from a capped
 * cache (an evicted piece is a hole: its "data" would be zeros), which is
 * what an odd pieceseq count says.  Checked when a request is taken; the
 * block read is sent only if the count has not moved since (a piece
 * evicted and fetched again while the pool thread read it may have given
 * the hole's zeros).
 */
static bool
piece_servable(const struct session *s, uint32_t piece)
{
	return pieceseq_test(&s->vseq, piece);
}

static void
upload_done(uv_work_t *w, int status)
{
	struct upload *u = w->data;
	struct session *s = u->s;
	struct peer *pr = s->peers[u->id];
	uint64_t now = clock_now_ms();

	s->pending_works--;
	if (pr && pr->gen == u->gen) {
		pr->uploads--;
		if (status == 0 && u->rc == 0 && pr->conn && !s->stopping &&
		    pieceseq_get(&s->vseq, u->req.index) == u->seq &&
		    proto_send_block(&pr->p, u->req.index, u->req.begin,
		    u->data, u->req.length, now) == 0) {
			s->uploaded += u->req.length;
			rate_add(&s->up, now, u->req.length);
			peer_flush(pr);
			peer_serve(pr, now);
		} else if (u->rc < 0) {
			log_warn("%s: reading block %u+%u: %s", pr->name,
			    u->req.index, u->req.begin, strerror(-u->rc));
		}
	}
	free(u);
}

static void
peer_serve(struct peer *pr, uint64_t now)
{
	struct session *s = pr->s;
	struct proto_req req;
	size_t outlen;

	while (pr->conn && !s->stopping &&
	    pr->uploads < SWARM_UPLOAD_INFLIGHT) {
		proto_out(&pr->p, &outlen);
		if (outlen > UPLOAD_OUT_MAX)
			break;
		if (!tb_ok(&s->up_tb, now)) {
			s->up_starved = true;
			break;
		}
		if (!proto_next_upload(&pr->p, &req))
			break;
		/*
		 * proto queued it against our bitfield; a piece evicted since
		 * is dropped (the peer times the request out).
		 */
		if (!piece_servable(s, req.index))
			continue;
		struct upload *u = malloc(sizeof(*u));

		if (!u)
			break;
		u->s = s;
		u->id = pr->id;
		u->gen = pr->gen;
		u->req = req;
		u->seq = pieceseq_get(&s->vseq, req.index);
		u->work.data = u;
		if (uv_queue_work(&s->loop, &u->work, upload_work,
		    upload_done) != 0) {
			free(u);
			break;
		}
		tb_spend(&s->up_tb, req.length);
		pr->uploads++;
		s->pending_works++;
	}
}

/*
 * Run the choker over the running connections and apply its verdicts.  We
 * seed when we have every piece (or never download): then up rates count.
 */
static void
swarm_choke(struct session *s, uint64_t now)
{
	bool seeding = needs_nothing(s);
	uint32_t n = 0;

	s->want_choke = false;
	if (s->stopping)
		return;
	for (uint32_t i = 0; i < s->nlive; i++) {
		struct peer *pr = s->live[i];
		struct choker_peer *cp;

		if (!pr->conn || !pr->running)
			continue;
		cp = &s->chk[n++];
		memset(cp, 0, sizeof(*cp));
		cp->id = pr->id;
		cp->interested = pr->p.peer_interested;
		cp->snubbed = pr->p.snubbed;
		cp->down_rate = rate_get(&pr->p.down, now);
		cp->up_rate = rate_get(&pr->p.up, now);
		cp->connected_ms = pr->p.connected_ms;
	}
	choker_run(&s->choker, s->chk, n, seeding, now);
	for (uint32_t k = 0; k < n; k++) {
		struct peer *pr = s->peers[s->chk[k].id];

		if (!pr || !pr->conn)
			continue;
		if (s->chk[k].unchoke && pr->p.am_choking)
			proto_unchoke(&pr->p, now);
		else if (!s->chk[k].unchoke && !pr->p.am_choking)
			proto_choke(&pr->p, now);
		peer_flush(pr);
	}
}

/* Rate limits: resume paused readers and starved uploads once the
 * buckets have tokens again (from a rotating start, to be fair). */
static void
swarm_limits(struct session *s, uint64_t now)
{
	uint32_t n = s->nlive, start;

	if (n == 0)
		return;
	start = (uint32_t)(s->nticks % n);
	if (s->down_paused && tb_ok(&s->down_tb, now)) {
		s->down_paused = false;
		for (uint32_t k = 0; k < n; k++) {
			struct peer *pr = s->live[k];

			if (pr->paused && pr->conn) {
				pr->paused = false;
				netio_resume(pr->conn);
			}
		}
	}
	if (s->up_starved && tb_ok(&s->up_tb, now)) {
		s->up_starved = false;
		for (uint32_t k = 0; k < n && k < s->nlive; k++) {
			struct peer *pr = s->live[(start + k) % s->nlive];

			if (pr->running && pr->conn)
				peer_serve(pr, now);
		}
	}
}

/* Interest changed: a peer that lost interest is choked now; the choker
 * runs early on the next tick (not per message: a flood of interested /
 * not interested costs one run per tick). */
static void
peer_choke_policy(struct peer *pr, uint64_t now)
{
	if (!pr->p.peer_interested && !pr->p.am_choking)
		proto_choke(&pr->p, now);
	pr->s->want_choke = true;
}

/* ------------------------------------------------------------------ */
/* Events */

static void
peer_avail(struct peer *pr)
{
	if (pr->in_picker)
		return;
	if (picker_peer_add(pr->s->pk, pr->id, &pr->p.have) == 0)
		pr->in_picker = true;
}

static int
peer_block(struct peer *pr, const struct proto_event *ev, uint64_t now)
{
	struct session *s = pr->s;
	struct picker_recv r;
	uint8_t *buf;

	s->downloaded += ev->length;
	rate_add(&s->down, now, ev->length);
	if (picker_on_block(s->pk, pr->id, ev->index, ev->begin, &r) < 0 ||
	    !r.fresh)
		return 0;
	for (uint32_t i = 0; i < r.ncancel; i++) {
		struct peer *o = r.cancel[i] < s->npeer_slots ?
		    s->peers[r.cancel[i]] : NULL;

		if (o && o->running && o->conn) {
			proto_cancel(&o->p, ev->index, ev->begin, ev->length,
			    now);
			peer_flush(o);
		}
	}
	buf = session_asm_get(s, ev->index);
	if (!buf) {
		/* Cannot happen: the buffer was made when picked.  Let the
		 * hash fail rather than trust a hole. */
		log_error("piece %u: block without an assembly buffer",
		    ev->index);
		return 0;
	}
	memcpy(buf + ev->begin, ev->data, ev->length);
	if (r.piece_done)
		session_piece_complete(s, ev->index);
	return 0;
}

/* We need nothing (--seed, or every piece here) and neither does the
 * peer: the link is useless.  Its address is not dialled again while we
 * need nothing. */
static bool
both_seeds(struct peer *pr)
{
	struct session *s = pr->s;

	if (!needs_nothing(s) || !bitfield_all(&pr->p.have))
		return false;
	if (pr->cand >= 0)
		s->cands[pr->cand].seed = true;
	log_debug("%s: a seed, as we are: closing", pr->name);
	return true;
}

static int
peer_event(struct peer *pr, const struct proto_event *ev, uint64_t now)
{
	struct session *s = pr->s;
	struct wire_geom g;

	switch (ev->type) {
	case PROTO_EV_HANDSHAKE:
		if (pr->p.outgoing) {
			pr->running = true;
			break;
		}
		if (memcmp(ev->hs->info_hash, s->meta->info_hash, 20) != 0)
			return -EPROTO;
		if (s->stopping)
			return -ESHUTDOWN;
		g = geom_of(s);
		if (proto_accept(&pr->p, s->meta->info_hash, &g, &s->have,
		    ip4_of(netio_peer_addr(pr->conn)), now) < 0)
			return -EPROTO;
		pr->running = true;
		break;
	case PROTO_EV_BITFIELD:
		if (both_seeds(pr))
			return -ECONNABORTED;
		peer_avail(pr);
		peer_update_interest(pr, now);
		break;
	case PROTO_EV_HAVE:
		if (both_seeds(pr))
			return -ECONNABORTED;
		if (pr->in_picker)
			picker_peer_have(s->pk, pr->id, ev->index);
		else
			peer_avail(pr);
		if (!pr->p.am_interested)
			peer_update_interest(pr, now);
		break;
	case PROTO_EV_CHOKE:
		for (uint32_t i = 0; i < ev->ndropped; i++)
			picker_on_lost(s->pk, pr->id, ev->dropped[i].index,
			    ev->dropped[i].begin);
		break;
	case PROTO_EV_UNCHOKE:
		pr->unchoked_ms = now;
		peer_avail(pr);
		peer_fill(pr, now);
		break;
	case PROTO_EV_BLOCK:
		return peer_block(pr, ev, now);
	case PROTO_EV_BLOCK_LATE:
		s->downloaded += ev->length;
		break;
	case PROTO_EV_REJECT:
		picker_on_lost(s->pk, pr->id, ev->index, ev->begin);
		break;
	case PROTO_EV_INTERESTED:
	case PROTO_EV_NOT_INTERESTED:
		peer_choke_policy(pr, now);
		break;
	case PROTO_EV_REQUEST:
		peer_serve(pr, now);
		break;
	case PROTO_EV_EXT_HANDSHAKE: {
		char v[4 * WIRE_MAX_CLIENT + 8];

		log_debug("%s: client \"%s\" reqq %u", pr->name,
		    log_escape(pr->p.ext_hs.v, strlen(pr->p.ext_hs.v), v,
		    sizeof(v)), pr->p.peer_reqq);
		break;
	}
	default:
		break;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* netio callbacks */

static struct peer *
peer_new(struct session *s, struct netio_conn *c, int32_t cand)
{
	struct proto_config pc;
	struct peer *pr;
	uint32_t id = UINT32_MAX;

	for (uint32_t k = 0; k < s->npeer_slots; k++) {
		/* Round robin: an id is not reused soon, so a hash failure
		 * blames the connection that sent the blocks. */
		uint32_t i = (s->next_slot + k) % s->npeer_slots;

		if (!s->peers[i]) {
			id = i;
			break;
		}
	}
	if (id == UINT32_MAX)
		return NULL;
	if ((pr = calloc(1, sizeof(*pr))) == NULL)
		return NULL;
	memset(&pc, 0, sizeof(pc));
	memcpy(pc.peer_id, s->peer_id, 20);
	memcpy(pc.info_hash, s->meta->info_hash, 20);
	pc.fast = true;
	pc.ext = true;
	pc.client = SWARM_CLIENT;
	pc.listen_port = s->port;
	pc.req_timeout_ms = 20000;
	if (proto_init(&pr->p, &pc, clock_now_ms()) < 0) {
		free(pr);
		return NULL;
	}
	pr->proto_ok = true;
	pr->s = s;
	pr->id = id;
	pr->gen = ++s->slot_gen[id];
	pr->conn = c;
	pr->cand = cand;
	netio_addr_str(netio_peer_addr(c), pr->name, sizeof(pr->name));
	s->peers[id] = pr;
	pr->live_idx = s->nlive;
	s->live[s->nlive++] = pr;
	s->next_slot = (id + 1) % s->npeer_slots;
	s->id_ip[id] = UINT32_MAX;
	{
		struct ipinfo *ip = ip_find(s, netio_peer_addr(c), true);

		if (ip)
			s->id_ip[id] = (uint32_t)(ip - s->ips);
	}
	s->npeers++;
	netio_set_data(c, pr);
	return pr;
}

static int
on_accept(void *ud, struct netio_conn *c)
{
	struct session *s = ud;

	if (s->stopping || ip_banned(s, netio_peer_addr(c)) ||
	    s->npeers >= s->max_peers + SWARM_PER_IP)
		return -ECONNREFUSED;
	if (!peer_new(s, c, -1))
		return -ENOMEM;
	return 0;
}

static void
on_connect(void *ud, struct netio_conn *c, int status)
{
	struct session *s = ud;
	struct peer *pr = netio_get_data(c);
	struct wire_geom g = geom_of(s);

	if (!pr)
		return;
	if (pr->cand >= 0 && s->cands[pr->cand].state == CAND_CONNECTING) {
		s->nconnecting--;
		s->cands[pr->cand].state = CAND_CONNECTED;
	}
	if (status < 0)
		return;	/* netio closes it: on_close follows */
	log_debug("%s: connected", pr->name);
	if (proto_connect(&pr->p, &g, &s->have,
	    ip4_of(netio_peer_addr(c)), clock_now_ms()) < 0) {
		netio_close(c, -EPROTO);
		return;
	}
	peer_flush(pr);
}

static int
on_data(void *ud, struct netio_conn *c, const uint8_t *in, size_t len)
{
	struct peer *pr = netio_get_data(c);
	struct proto_event ev;
	uint64_t now = clock_now_ms();
	size_t used;
	int rc;

	(void)ud;
	if (!pr)
		return -EINVAL;
	/* --max-download-rate: charged in full (overhead too), reading
	 * pauses while the bucket is empty; swarm_tick() resumes. */
	tb_spend(&pr->s->down_tb, len);
	if (!tb_ok(&pr->s->down_tb, now) && !pr->paused) {
		netio_pause(c);
		pr->paused = true;
		pr->s->down_paused = true;
	}
	while (len > 0) {
		rc = proto_feed(&pr->p, in, len, &used, now, &ev);
		if (rc < 0) {
			log_debug("%s: dropped: %s", pr->name,
			    pr->p.why ? pr->p.why : strerror(-rc));
			return rc;
		}
		in += used;
		len -= used;
		if (rc == 0)
			break;
		if ((rc = peer_event(pr, &ev, now)) < 0)
			return rc;
		if (!pr->conn)
			return 0;
	}
	peer_fill(pr, now);
	peer_flush(pr);
	return 0;
}

static void
on_drain(void *ud, struct netio_conn *c)
{
	struct peer *pr = netio_get_data(c);

	(void)ud;
	if (pr) {
		peer_flush(pr);
		peer_serve(pr, clock_now_ms());
	}
}

static void
on_close(void *ud, struct netio_conn *c, int reason)
{
	struct session *s = ud;
	struct peer *pr = netio_get_data(c);
	uint64_t now = clock_now_ms();

	if (!pr)
		return;
	log_debug("%s: closed (%s)", pr->name,
	    reason ? strerror(-reason) : "eof");
	if (pr->in_picker)
		picker_peer_remove(s->pk, pr->id, &pr->p.have);
	else
		for (uint32_t i = 0; i < pr->p.nreqs; i++)
			picker_on_lost(s->pk, pr->id, pr->p.reqs[i].index,
			    pr->p.reqs[i].begin);
	if (pr->cand >= 0) {
		struct cand *cd = &s->cands[pr->cand];

		if (cd->state == CAND_CONNECTING)
			s->nconnecting--;
		if (pr->running && (pr->p.down.total > 0 ||
		    pr->p.up.total > 0)) {
			cd->fails = 0;
			cd->next_try_ms = now + SWARM_RETRY_MIN_MS;
		} else {
			uint64_t b = (uint64_t)SWARM_RETRY_MIN_MS <<
			    (cd->fails < 8 ? cd->fails : 8);

			cd->fails++;
			cd->next_try_ms = now + (b > SWARM_RETRY_MAX_MS ?
			    SWARM_RETRY_MAX_MS : b);
		}
		cd->state = CAND_IDLE;
	}
	s->peers[pr->id] = NULL;
	s->live[pr->live_idx] = s->live[--s->nlive];
	s->live[pr->live_idx]->live_idx = pr->live_idx;
	s->npeers--;
	pr->conn = NULL;
	proto_fini(&pr->p);
	free(pr);
	s->want_choke = true;
	/* Its blocks are free again: give them to the others. */
	if (!s->stopping)
		swarm_fill_all(s);
}

static const struct netio_ops net_ops = {
	.on_accept = on_accept,
	.on_connect = on_connect,
	.on_data = on_data,
	.on_drain = on_drain,
	.on_close = on_close,
};

/* ------------------------------------------------------------------ */
/* Candidates and the connection policy */

void
swarm_add_peer(struct session *s, const struct sockaddr_storage *addr,
    bool pinned)
{
	struct sockaddr_storage self;
	uint32_t i;

	if (addr->ss_family != AF_INET && addr->ss_family != AF_INET6)
		return;
	if (port_of(addr) == 0)
		return;
	if (s->listen && netio_parse_addr(s->listen, &self) == 0 &&
	    netio_same_ip(&self, addr) && port_of(addr) == s->port)
		return;	/* ourselves */
	for (i = 0; i < s->ncands; i++) {
		if (same_addr(&s->cands[i].addr, addr)) {
			s->cands[i].pinned |= pinned;
			return;
		}
	}
	if (s->ncands >= SWARM_MAX_CANDS) {
		/* Forget the idle unpinned one that failed most. */
		uint32_t worst = UINT32_MAX;

		for (i = 0; i < s->ncands; i++)
			if (s->cands[i].state == CAND_IDLE &&
			    !s->cands[i].pinned && (worst == UINT32_MAX ||
			    s->cands[i].fails > s->cands[worst].fails))
				worst = i;
		if (worst == UINT32_MAX)
			return;
		i = worst;
	} else {
		i = s->ncands++;
	}
	memset(&s->cands[i], 0, sizeof(s->cands[i]));
	s->cands[i].addr = *addr;
	s->cands[i].pinned = pinned;
}

void
swarm_add_tracker_peers(struct session *s, const struct tracker_peer *tp,
    uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		struct sockaddr_storage ss;

		memset(&ss, 0, sizeof(ss));
		if (tp[i].family == AF_INET) {
			struct sockaddr_in *in = (struct sockaddr_in *)&ss;

			in->sin_family = AF_INET;
			memcpy(&in->sin_addr, tp[i].addr, 4);
			in->sin_port = htons(tp[i].port);
		} else if (tp[i].family == AF_INET6) {
			struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;

			in6->sin6_family = AF_INET6;
			memcpy(&in6->sin6_addr, tp[i].addr, 16);
			in6->sin6_port = htons(tp[i].port);
		} else {
			continue;
		}
		swarm_add_peer(s, &ss, false);
	}
	swarm_connect_more(s, clock_now_ms());
}

/* A live connection with addr's host (any port)? */
static bool
ip_connected(struct session *s, const struct sockaddr_storage *addr)
{
	for (uint32_t i = 0; i < s->nlive; i++) {
		struct peer *pr = s->live[i];

		if (pr->conn && netio_same_ip(netio_peer_addr(pr->conn), addr))
			return true;
	}
	return false;
}

/*
 * Dial candidates up to max_peers.  A seeder dials too (BEP 3 peers do):
 * a leecher that cannot accept connections, or will not dial us (as
 * Transmission will not dial loopback or martian addresses), is reached
 * only this way.  While we need nothing, known seeds are skipped, and so is
 * a host already connected: it most likely dialled us from the same list.
 */
void
swarm_connect_more(struct session *s, uint64_t now)
{
	uint32_t tried = 0;
	bool done = needs_nothing(s);

	if (s->stopping || s->ncands == 0)
		return;
	while (s->npeers < s->max_peers &&
	    s->nconnecting < SWARM_MAX_CONNECTING && tried < s->ncands) {
		uint32_t i = s->cand_cursor++ % s->ncands;
		struct cand *cd = &s->cands[i];
		struct netio_conn *c;
		struct peer *pr;

		tried++;
		if (cd->state != CAND_IDLE || cd->next_try_ms > now ||
		    ip_banned(s, &cd->addr))
			continue;
		if (done && (cd->seed || ip_connected(s, &cd->addr)))
			continue;
		if (netio_connect(s->net, (const struct sockaddr *)&cd->addr,
		    &c) < 0) {
			cd->fails++;
			cd->next_try_ms = now + SWARM_RETRY_MAX_MS;
			continue;
		}
		cd->state = CAND_CONNECTING;
		s->nconnecting++;
		if ((pr = peer_new(s, c, (int32_t)i)) == NULL) {
			netio_close(c, -ENOMEM);
			continue;
		}
	}
}

/* ------------------------------------------------------------------ */
/* Pieces */

void
swarm_piece_verified(struct session *s, uint32_t piece)
{
	uint64_t now = clock_now_ms();

	for (uint32_t i = 0; i < s->nlive; i++) {
		struct peer *pr = s->live[i];

		if (!pr->running || !pr->conn)
			continue;
		if (proto_have(&pr->p, piece, now) < 0) {
			peer_close(pr, -EPROTO);
			continue;
		}
		peer_flush(pr);
	}
	s->want_pass = true;
}

static void
ban_ip(struct session *s, struct ipinfo *ip)
{
	char name[64];

	ip->banned = true;
	s->banned++;
	log_warn("banned %s: sent data that failed the hash check",
	    netio_addr_str(&ip->addr, name, sizeof(name)));
	for (uint32_t i = 0; i < s->nlive; i++) {
		struct peer *pr = s->live[i];

		if (pr->conn && netio_same_ip(netio_peer_addr(pr->conn),
		    &ip->addr))
			peer_close(pr, -EACCES);
	}
}

void
swarm_piece_failed(struct session *s, uint32_t piece)
{
	uint32_t ids[64], n;

	n = picker_on_hash_fail(s->pk, piece, ids, 64);
	for (uint32_t i = 0; i < n; i++) {
		struct ipinfo *ip;

		if (ids[i] >= s->npeer_slots || s->id_ip[ids[i]] >= s->nips)
			continue;
		ip = &s->ips[s->id_ip[ids[i]]];
		ip->score += n == 1 ? 2 : 1;
		if (!ip->banned && ip->score >= SWARM_BAN_SCORE)
			ban_ip(s, ip);
	}
}

/* ------------------------------------------------------------------ */
/* Timers and life cycle */

void
swarm_tick(struct session *s, uint64_t now)
{
	struct proto_tick t;
	bool interest = s->want_pass;

	s->want_pass = false;
	for (uint32_t i = 0; i < s->nlive; i++) {
		struct peer *pr = s->live[i];

		if (!pr->conn)
			continue;
		if (proto_tick(&pr->p, now, &t) < 0) {
			log_debug("%s: %s", pr->name,
			    pr->p.why ? pr->p.why : "timed out");
			peer_close(pr, -ETIMEDOUT);
			continue;
		}
		for (uint32_t k = 0; k < t.nexpired; k++)
			picker_on_lost(s->pk, pr->id, t.expired[k].index,
			    t.expired[k].begin);
		if (interest)
			peer_update_interest(pr, now);
		if (s->nticks % 16 == 0 && pr->running)
			log_debug("%s: %s%s%s down %" PRIu64 " B/s, %u requests "
			    "out, %u queued from it", pr->name,
			    pr->p.peer_choking ? "choking us" : "unchoked",
			    pr->p.am_interested ? ", interested" : "",
			    pr->p.snubbed ? ", snubbed" : "",
			    rate_get(&pr->p.down, now), pr->p.nreqs,
			    proto_nqueued(&pr->p));
		peer_flush(pr);
	}
	if (s->want_choke || choker_due(&s->choker, now))
		swarm_choke(s, now);
	swarm_limits(s, now);
	swarm_connect_more(s, now);
	swarm_fill_all(s);
}

int
swarm_net_start(struct session *s)
{
	struct netio_config nc;
	char host[256];
	const char *colon;
	int rc;

	s->npeer_slots = NIDS;
	s->peers = calloc(NIDS, sizeof(*s->peers));
	s->slot_gen = calloc(NIDS, sizeof(*s->slot_gen));
	s->id_ip = calloc(NIDS, sizeof(*s->id_ip));
	s->cands = calloc(SWARM_MAX_CANDS, sizeof(*s->cands));
	s->ips = calloc(SWARM_MAX_IPS, sizeof(*s->ips));
	s->live = calloc(NIDS, sizeof(*s->live));
	s->fill_list = calloc(NIDS, sizeof(*s->fill_list));
	s->chk = calloc(NIDS, sizeof(*s->chk));
	choker_init(&s->choker, s->cfg.unchoke_slots,
	    clock_now_ns() ^ (uintptr_t)s);
	tb_init(&s->up_tb, s->cfg.max_up_rate, 0, clock_now_ms());
	tb_init(&s->down_tb, s->cfg.max_down_rate, 0, clock_now_ms());
	if (!s->chk || !s->live || !s->fill_list || !s->peers || !s->slot_gen || !s->id_ip || !s->cands || !s->ips)
		return -ENOMEM;
	memset(&nc, 0, sizeof(nc));
	nc.max_conns = s->max_peers + 8;
	nc.max_per_ip = SWARM_PER_IP;
	if (s->listen) {
		/* "ADDR" or "ADDR:PORT" ("[V6]:PORT"). */
		struct sockaddr_storage ss;

		if (netio_parse_addr(s->listen, &ss) == 0) {
			colon = strrchr(s->listen, ':');
			size_t hl = (size_t)(colon - s->listen);

			if (s->listen[0] == '[' && hl >= 2) {
				memcpy(host, s->listen + 1, hl - 2);
				host[hl - 2] = '\0';
			} else {
				memcpy(host, s->listen, hl);
				host[hl] = '\0';
			}
			nc.listen_port = port_of(&ss);
		} else {
			if (strlen(s->listen) >= sizeof(host))
				return -EINVAL;
			strcpy(host, s->listen);
		}
		nc.listen_addr = host;
		snprintf(s->bind_host, sizeof(s->bind_host), "%s", host);
	}
	rc = netio_new(&s->loop, &nc, &net_ops, s, &s->net);
	if (rc < 0)
		return rc;
	s->port = netio_port(s->net);
	return 0;
}

void
swarm_shutdown(struct session *s)
{
	if (s->net)
		netio_shutdown(s->net);
}

void
swarm_free(struct session *s)
{
	netio_free(s->net);
	s->net = NULL;
	free(s->peers);
	free(s->slot_gen);
	free(s->id_ip);
	free(s->cands);
	free(s->ips);
	free(s->live);
	free(s->fill_list);
	free(s->chk);
}
