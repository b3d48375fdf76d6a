/*
 * reply: bencoded tracker responses.  See reply.h.  Dictionary keys are
 * written in sorted order, as bencode requires.
 */
#include "tracker/reply.h"

#include <arpa/inet.h>
#include <string.h>

#include "base/bencode.h"

size_t
reply_compact_peer(const struct swarm_addr *a, uint8_t out[18])
{
	if (swarm_addr_is_v4(a)) {
		memcpy(out, a->ip + 12, 4);
		out[4] = (uint8_t)(a->port >> 8);
		out[5] = (uint8_t)a->port;
		return 6;
	}
	memcpy(out, a->ip, 16);
	out[16] = (uint8_t)(a->port >> 8);
	out[17] = (uint8_t)a->port;
	return 18;
}

static void
put_compact(struct buf *b, const struct reply_announce *r)
{
	uint8_t v4[6 * SWARM_NUMWANT_MAX], v6[18 * SWARM_NUMWANT_MAX];
	size_t n4 = 0, n6 = 0;

	for (size_t i = 0; i < r->npeers && i < SWARM_NUMWANT_MAX; i++) {
		uint8_t one[18];
		size_t len = reply_compact_peer(&r->peers[i].addr, one);

		if (len == 6) {
			memcpy(v4 + n4, one, 6);
			n4 += 6;
		} else {
			memcpy(v6 + n6, one, 18);
			n6 += 18;
		}
	}
	benc_put_cstr(b, "peers");
	benc_put_str(b, v4, n4);
	if (n6 > 0) {
		benc_put_cstr(b, "peers6");
		benc_put_str(b, v6, n6);
	}
}

static void
put_dict_peers(struct buf *b, const struct reply_announce *r)
{
	benc_put_cstr(b, "peers");
	benc_put_list(b);
	for (size_t i = 0; i < r->npeers; i++) {
		const struct swarm_peer_info *p = &r->peers[i];
		char ip[INET6_ADDRSTRLEN];

		if (swarm_addr_is_v4(&p->addr))
			inet_ntop(AF_INET, p->addr.ip + 12, ip, sizeof(ip));
		else
			inet_ntop(AF_INET6, p->addr.ip, ip, sizeof(ip));
		benc_put_dict(b);
		benc_put_cstr(b, "ip");
		benc_put_cstr(b, ip);
		benc_put_cstr(b, "port");
		benc_put_int(b, p->addr.port);
		benc_put_end(b);
	}
	benc_put_end(b);
}

void
reply_announce(struct buf *b, const struct reply_announce *r)
{
	benc_put_dict(b);
	benc_put_cstr(b, "complete");
	benc_put_int(b, r->counts->complete);
	benc_put_cstr(b, "downloaded");
	benc_put_int(b, r->counts->downloaded);
	benc_put_cstr(b, "incomplete");
	benc_put_int(b, r->counts->incomplete);
	benc_put_cstr(b, "interval");
	benc_put_int(b, r->interval);
	benc_put_cstr(b, "min interval");
	benc_put_int(b, r->min_interval);
	if (r->compact)
		put_compact(b, r);
	else
		put_dict_peers(b, r);
	benc_put_end(b);
}

void
reply_failure(struct buf *b, const char *reason)
{
	benc_put_dict(b);
	benc_put_cstr(b, "failure reason");
	benc_put_cstr(b, reason);
	benc_put_end(b);
}

void
reply_scrape_begin(struct buf *b)
{
	benc_put_dict(b);
	benc_put_cstr(b, "files");
	benc_put_dict(b);
}

void
reply_scrape_entry(struct buf *b, const uint8_t info_hash[20],
    const struct swarm_counts *c)
{
	benc_put_str(b, info_hash, 20);
	benc_put_dict(b);
	benc_put_cstr(b, "complete");
	benc_put_int(b, c->complete);
	benc_put_cstr(b, "downloaded");
	benc_put_int(b, c->downloaded);
	benc_put_cstr(b, "incomplete");
	benc_put_int(b, c->incomplete);
	benc_put_end(b);
}

void
reply_scrape_end(struct buf *b)
{
	benc_put_end(b);
	benc_put_end(b);
}
