/*
 * udp_proto: BEP 15 packet codec.  See udp_proto.h.
 *
 * Announce layout (offsets): 0 connection_id u64, 8 action u32, 12
 * transaction_id u32, 16 info_hash, 36 peer_id, 56 downloaded u64, 64 left
 * u64, 72 uploaded u64, 80 event u32, 84 ip u32, 88 key u32, 92 num_want
 * i32, 96 port u16; BEP 41 options may follow and are ignored.
 */
#include "tracker/udp_proto.h"

#include <errno.h>
#include <string.h>

#include "base/bytes.h"
#include "tracker/reply.h"

static int
fail(enum udp_err *err, enum udp_err e)
{
	*err = e;
	return -EBADMSG;
}

static int
parse_announce(const uint8_t *p, size_t len, struct udp_req *r,
    enum udp_err *err)
{
	static const enum swarm_event events[] = {
		SWARM_EV_NONE, SWARM_EV_COMPLETED, SWARM_EV_STARTED,
		SWARM_EV_STOPPED,
	};
	uint32_t ev;
	int32_t nw;

	if (len < UDP_ANNOUNCE_LEN)
		return fail(err, UDP_E_SHORT);
	memcpy(r->info_hash, p + 16, 20);
	memcpy(r->peer_id, p + 36, 20);
	r->downloaded = be64_get(p + 56);
	r->left = be64_get(p + 64);
	r->uploaded = be64_get(p + 72);
	ev = be32_get(p + 80);
	if (ev > 3)
		return fail(err, UDP_E_EVENT);
	r->event = events[ev];
	r->ip = be32_get(p + 84);
	r->key = be32_get(p + 88);
	nw = (int32_t)be32_get(p + 92);
	if (nw < 0)
		r->numwant = SWARM_NUMWANT_DEFAULT;
	else if (nw > SWARM_NUMWANT_MAX)
		r->numwant = SWARM_NUMWANT_MAX;
	else
		r->numwant = (uint32_t)nw;
	r->port = be16_get(p + 96);
	if (r->port == 0)
		return fail(err, UDP_E_PORT);
	return 0;
}

int
udp_parse(const uint8_t *p, size_t len, struct udp_req *r, enum udp_err *err)
{
	uint32_t action;

	*err = UDP_OK;
	memset(r, 0, sizeof(*r));
	if (len < 16)
		return fail(err, UDP_E_SHORT);
	r->conn_id = be64_get(p);
	action = be32_get(p + 8);
	r->tid = be32_get(p + 12);
	r->action = action <= UDP_ACT_ERROR ? (enum udp_action)action :
	    UDP_ACT_ERROR;
	switch (action) {
	case UDP_ACT_CONNECT:
		if (r->conn_id != UDP_PROTOCOL_ID)
			return fail(err, UDP_E_PROTOCOL_ID);
		return 0;
	case UDP_ACT_ANNOUNCE:
		return parse_announce(p, len, r, err);
	case UDP_ACT_SCRAPE:
		if ((len - 16) % 20 != 0)
			return fail(err, UDP_E_SCRAPE_LEN);
		r->nhashes = (uint32_t)((len - 16) / 20);
		if (r->nhashes == 0 || r->nhashes > UDP_MAX_SCRAPE)
			return fail(err, UDP_E_SCRAPE_COUNT);
		r->hashes = p + 16;
		return 0;
	default:
		r->action = UDP_ACT_ERROR;
		return fail(err, UDP_E_ACTION);
	}
}

const char *
udp_strerror(enum udp_err e)
{
	switch (e) {
	case UDP_OK:
		return "ok";
	case UDP_E_SHORT:
		return "packet too short";
	case UDP_E_PROTOCOL_ID:
		return "bad protocol id";
	case UDP_E_ACTION:
		return "unknown action";
	case UDP_E_EVENT:
		return "invalid event";
	case UDP_E_PORT:
		return "invalid port";
	case UDP_E_SCRAPE_LEN:
		return "scrape length is not 16 + 20 * n";
	case UDP_E_SCRAPE_COUNT:
		return "too many or no info-hashes in scrape";
	}
	return "unknown error";
}

size_t
udp_put_connect(uint8_t *out, uint32_t tid, uint64_t conn_id)
{
	be32_put(out, UDP_ACT_CONNECT);
	be32_put(out + 4, tid);
	be64_put(out + 8, conn_id);
	return 16;
}

size_t
udp_put_announce(uint8_t *out, size_t cap, uint32_t tid, uint32_t interval,
    const struct swarm_counts *c, const struct swarm_peer_info *peers,
    size_t npeers, int v6)
{
	size_t n = 20, entry = v6 ? 18 : 6;

	be32_put(out, UDP_ACT_ANNOUNCE);
	be32_put(out + 4, tid);
	be32_put(out + 8, interval);
	be32_put(out + 12, c->incomplete);
	be32_put(out + 16, c->complete);
	for (size_t i = 0; i < npeers && n + entry <= cap; i++) {
		uint8_t one[18];

		if (reply_compact_peer(&peers[i].addr, one) != entry)
			continue;
		memcpy(out + n, one, entry);
		n += entry;
	}
	return n;
}

size_t
udp_put_scrape_head(uint8_t *out, uint32_t tid)
{
	be32_put(out, UDP_ACT_SCRAPE);
	be32_put(out + 4, tid);
	return 8;
}

size_t
udp_put_scrape_entry(uint8_t *out, const struct swarm_counts *c)
{
	be32_put(out, c->complete);
	be32_put(out + 4, c->downloaded);
	be32_put(out + 8, c->incomplete);
	return 12;
}

size_t
udp_put_error(uint8_t *out, size_t cap, uint32_t tid, const char *msg)
{
	size_t len = strlen(msg);

	if (len > cap - 8)
		len = cap - 8;
	be32_put(out, UDP_ACT_ERROR);
	be32_put(out + 4, tid);
	memcpy(out + 8, msg, len);
	return 8 + len;
}
