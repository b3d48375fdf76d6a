/*
 * Fuzz target: BEP 15 packets (tracker/udp_proto.c) through the whole UDP
 * request handler (tracker/udp.c) against a real peer table, from two
 * source addresses.  The first input byte picks the source; when the
 * packet carries a connection id, it is replaced by a valid one half of
 * the time so that announces and scrapes reach the swarm.  Invariant: a
 * reply never exceeds UDP_MAX_PACKET and always starts with a known action.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/bytes.h"
#include "tracker/tracker.h"
#include "tracker/udp.h"
#include "tracker/udp_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct tracker t;

static void
setup(void)
{
	static const uint8_t secret[32] = { 1, 2, 3 };

	if (t.swarm != NULL)
		return;
	t.interval = 300;
	t.swarm = swarm_new(600, 100000, 1000);
	connid_init(&t.connid, secret, CONNID_WINDOW);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t pkt[2048], out[UDP_MAX_PACKET + 64];
	uint8_t ip1[4] = { 127, 0, 3, 1 }, ip6[16] = { 0xfe, 0x80, 9 };
	struct swarm_addr src;
	size_t n;
	int v6;

	setup();
	if (size < 1 || size - 1 > sizeof(pkt))
		return 0;
	v6 = data[0] & 1;
	if (v6)
		swarm_addr_set(&src, ip6, 16, 6881);
	else
		swarm_addr_set(&src, ip1, 4, 6881);
	memcpy(pkt, data + 1, size - 1);
	size--;
	if (size >= 16 && (data[0] & 2))
		be64_put(pkt, connid_make(&t.connid, &src, tracker_now()));
	n = udp_handle(&t, pkt, size, &src, v6, out);
	if (n > UDP_MAX_PACKET)
		abort();
	if (n > 0 && (n < 8 || be32_get(out) > UDP_ACT_ERROR))
		abort();
	return 0;
}
