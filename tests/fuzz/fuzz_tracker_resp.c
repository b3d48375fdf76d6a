/*
 * Fuzz the tracker response parsers.  The first byte picks the parser:
 * 0 HTTP announce, 1 HTTP scrape, 2.. a BEP 15 reply (the byte also picks
 * the awaited action and the peer size); the rest is the reply.  Any input
 * either fails with an error code set, or parses into peers that respect
 * the caps (count, port != 0, interval clamped).
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include "base/bytes.h"
#include "bt/tracker_resp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(const struct tracker_resp *r)
{
	assert(r->npeers <= TRACKER_MAX_PEERS);
	assert(r->interval >= TRACKER_INTERVAL_MIN);
	assert(r->interval <= TRACKER_INTERVAL_MAX);
	assert(r->min_interval <= TRACKER_INTERVAL_MAX);
	for (uint32_t i = 0; i < r->npeers; i++) {
		assert(r->peers[i].port != 0);
		assert(r->peers[i].family == AF_INET ||
		    r->peers[i].family == AF_INET6);
	}
	if (r->tracker_id)
		assert(r->tracker_id_len <= TRACKER_MAX_TRACKERID);
	if (r->warning)
		assert(strlen(r->warning) <= TRACKER_MAX_WARNING);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t ih[20] = "01234567890123456789";
	struct tracker_error err = {0};
	uint8_t mode;
	int rc;

	if (size < 1)
		return 0;
	mode = data[0];
	data++;
	size--;
	if (mode == 0) {
		struct tracker_resp r;

		rc = tracker_resp_parse_http(data, size, &r, &err);
		if (rc == 0) {
			check(&r);
			tracker_resp_fini(&r);
		} else {
			assert(err.code != TRACKER_OK);
		}
	} else if (mode == 1) {
		struct tracker_scrape s;

		rc = tracker_resp_parse_scrape(data, size, ih, &s, &err);
		assert(rc == 0 || err.code != TRACKER_OK);
	} else {
		struct tracker_udp_reply r;
		enum tracker_udp_action want =
		    (enum tracker_udp_action)((mode - 2) % 3);
		size_t plen = mode & 0x80 ? 18 : 6;
		/* The transaction id of the reply itself, most of the time. */
		uint32_t tid = size >= 8 && !(mode & 0x40) ? be32_get(data + 4) :
		    0x12345678u;

		rc = tracker_resp_parse_udp(data, size, tid, want, plen, &r,
		    &err);
		if (rc == 0) {
			assert(r.action == want);
			if (want == TRACKER_UDP_ANNOUNCE)
				check(&r.resp);
			tracker_resp_udp_fini(&r);
		} else {
			assert(err.code != TRACKER_OK);
		}
	}
	return 0;
}
