/*
 * Fuzz target: the HTTP announce and scrape query parsers
 * (tracker/announce.c) and the bencoded reply built from a parsed announce.
 * Checks invariants, not just absence of crashes: an accepted announce has
 * a port in 1..65535 and numwant <= SWARM_NUMWANT_MAX; a scrape holds at
 * most ANN_MAX_SCRAPE hashes; a rejected parse sets an error code.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/bencode.h"
#include "base/buf.h"
#include "tracker/announce.h"
#include "tracker/reply.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *q = (const char *)data;
	struct ann_scrape *s = malloc(sizeof(*s));
	struct ann_query a;
	enum ann_err err;

	if (s == NULL)
		return 0;
	if (ann_parse_announce(q, size, &a, &err) == 0) {
		struct swarm_counts c = { 1, 2, 3 };
		struct swarm_peer_info p;
		struct reply_announce r = {
			.counts = &c, .interval = 300, .min_interval = 150,
			.peers = &p, .npeers = 1, .compact = a.compact,
		};
		struct benc_doc doc;
		struct buf b;

		if (a.port == 0 || a.numwant > SWARM_NUMWANT_MAX ||
		    err != ANN_OK)
			abort();
		memset(&p, 0, sizeof(p));
		memcpy(p.addr.ip, a.has_ip ? a.ip : a.info_hash, 16);
		p.addr.port = a.port;
		buf_init(&b, 1 << 16);
		reply_announce(&b, &r);
		/* Our own reply must decode strictly. */
		if (buf_error(&b) != 0 ||
		    benc_decode(b.data, b.len, NULL, &doc, NULL) != 0)
			abort();
		benc_doc_fini(&doc);
		buf_fini(&b);
	} else if (err == ANN_OK) {
		abort();
	}
	if (ann_parse_scrape(q, size, s, &err) == 0) {
		if (s->n > ANN_MAX_SCRAPE)
			abort();
	} else if (err == ANN_OK) {
		abort();
	}
	free(s);
	return 0;
}
