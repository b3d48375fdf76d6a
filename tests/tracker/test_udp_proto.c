/* Unit tests: BEP 15 packet codec (tracker/udp_proto.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "base/bytes.h"
#include "tracker/udp_proto.h"

static size_t
make_announce(uint8_t *p, uint32_t event, int32_t numwant, uint16_t port)
{
	memset(p, 0, UDP_ANNOUNCE_LEN);
	be64_put(p, 0x1122334455667788ULL);
	be32_put(p + 8, UDP_ACT_ANNOUNCE);
	be32_put(p + 12, 0xdeadbeef);
	memset(p + 16, 'H', 20);
	memset(p + 36, 'P', 20);
	be64_put(p + 56, 5);
	be64_put(p + 64, 7);
	be64_put(p + 72, 9);
	be32_put(p + 80, event);
	be32_put(p + 92, (uint32_t)numwant);
	be16_put(p + 96, port);
	return UDP_ANNOUNCE_LEN;
}

static void
test_udp_proto_connect(void **state)
{
	uint8_t p[16];
	struct udp_req r;
	enum udp_err err;

	(void)state;
	be64_put(p, UDP_PROTOCOL_ID);
	be32_put(p + 8, 0);
	be32_put(p + 12, 42);
	assert_int_equal(udp_parse(p, 16, &r, &err), 0);
	assert_int_equal(r.action, UDP_ACT_CONNECT);
	assert_int_equal(r.tid, 42);
	be64_put(p, UDP_PROTOCOL_ID + 1);
	assert_int_equal(udp_parse(p, 16, &r, &err), -EBADMSG);
	assert_int_equal(err, UDP_E_PROTOCOL_ID);
	assert_int_equal(r.tid, 42);
}

static void
test_udp_proto_announce(void **state)
{
	uint8_t p[200];
	struct udp_req r;
	enum udp_err err;
	size_t len = make_announce(p, 2, 30, 6881);

	(void)state;
	assert_int_equal(udp_parse(p, len, &r, &err), 0);
	assert_int_equal(r.action, UDP_ACT_ANNOUNCE);
	assert_int_equal(r.conn_id, 0x1122334455667788ULL);
	assert_int_equal(r.tid, 0xdeadbeef);
	assert_int_equal(r.info_hash[0], 'H');
	assert_int_equal(r.peer_id[19], 'P');
	assert_int_equal(r.downloaded, 5);
	assert_int_equal(r.left, 7);
	assert_int_equal(r.uploaded, 9);
	assert_int_equal(r.event, SWARM_EV_STARTED);
	assert_int_equal(r.numwant, 30);
	assert_int_equal(r.port, 6881);
	/* BEP 41 options after the fixed part are ignored. */
	p[98] = 2;
	p[99] = 3;
	assert_int_equal(udp_parse(p, 110, &r, &err), 0);
	make_announce(p, 0, -1, 1);
	assert_int_equal(udp_parse(p, len, &r, &err), 0);
	assert_int_equal(r.numwant, SWARM_NUMWANT_DEFAULT);
	make_announce(p, 0, 1000000000, 1);
	assert_int_equal(udp_parse(p, len, &r, &err), 0);
	assert_int_equal(r.numwant, SWARM_NUMWANT_MAX);
}

static void
test_udp_proto_malformed(void **state)
{
	static const struct {
		const char	*what;
		int		 kind;	/* how to build it */
		size_t		 len;
		enum udp_err	 err;
	} rows[] = {
		{ "empty", 0, 0, UDP_E_SHORT },
		{ "15 bytes", 0, 15, UDP_E_SHORT },
		{ "announce 97 bytes", 1, 97, UDP_E_SHORT },
		{ "announce 16 bytes", 1, 16, UDP_E_SHORT },
		{ "announce event 4", 2, UDP_ANNOUNCE_LEN, UDP_E_EVENT },
		{ "announce port 0", 3, UDP_ANNOUNCE_LEN, UDP_E_PORT },
		{ "scrape no hash", 4, 16, UDP_E_SCRAPE_COUNT },
		{ "scrape 19 bytes", 4, 16 + 19, UDP_E_SCRAPE_LEN },
		{ "scrape 75 hashes", 4, 16 + 20 * 75, UDP_E_SCRAPE_COUNT },
		{ "action 3", 5, 16, UDP_E_ACTION },
		{ "action 0xffffffff", 6, 16, UDP_E_ACTION },
	};
	uint8_t p[2048];

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct udp_req r;
		enum udp_err err;

		memset(p, 0, sizeof(p));
		switch (rows[i].kind) {
		case 1:
			make_announce(p, 0, -1, 1);
			break;
		case 2:
			make_announce(p, 4, -1, 1);
			break;
		case 3:
			make_announce(p, 0, -1, 0);
			break;
		case 4:
			be32_put(p + 8, UDP_ACT_SCRAPE);
			break;
		case 5:
			be32_put(p + 8, UDP_ACT_ERROR);
			break;
		case 6:
			be32_put(p + 8, 0xffffffff);
			break;
		}
		if (udp_parse(p, rows[i].len, &r, &err) != -EBADMSG ||
		    err != rows[i].err)
			fail_msg("row %zu (%s): err %d", i, rows[i].what, err);
	}
}

static void
test_udp_proto_scrape(void **state)
{
	uint8_t p[16 + 40];
	struct udp_req r;
	enum udp_err err;

	(void)state;
	memset(p, 'z', sizeof(p));
	be32_put(p + 8, UDP_ACT_SCRAPE);
	assert_int_equal(udp_parse(p, sizeof(p), &r, &err), 0);
	assert_int_equal(r.nhashes, 2);
	assert_ptr_equal(r.hashes, p + 16);
}

static void
test_udp_proto_responses(void **state)
{
	uint8_t out[UDP_MAX_PACKET];
	struct swarm_peer_info peers[3];
	struct swarm_counts c = { 4, 5, 6 };
	uint8_t v4[4] = { 127, 0, 3, 1 }, v6[16] = { 0xfe, 0x80 };
	size_t n;

	(void)state;
	assert_int_equal(udp_put_connect(out, 7, 99), 16);
	assert_int_equal(be32_get(out), 0);
	assert_int_equal(be64_get(out + 8), 99);
	swarm_addr_set(&peers[0].addr, v4, 4, 6881);
	swarm_addr_set(&peers[1].addr, v6, 16, 6882);
	swarm_addr_set(&peers[2].addr, v4, 4, 6883);
	n = udp_put_announce(out, sizeof(out), 7, 300, &c, peers, 3, 0);
	assert_int_equal(n, 20 + 12);
	assert_int_equal(be32_get(out + 8), 300);
	assert_int_equal(be32_get(out + 12), 5);	/* leechers */
	assert_int_equal(be32_get(out + 16), 4);	/* seeders */
	assert_memory_equal(out + 20, "\x7f\x00\x03\x01\x1a\xe1", 6);
	n = udp_put_announce(out, sizeof(out), 7, 300, &c, peers, 3, 1);
	assert_int_equal(n, 20 + 18);
	/* A cap that fits only the header. */
	n = udp_put_announce(out, 25, 7, 300, &c, peers, 3, 0);
	assert_int_equal(n, 20);
	n = udp_put_error(out, 12, 7, "a long message");
	assert_int_equal(n, 12);
	assert_int_equal(be32_get(out), 3);
	assert_memory_equal(out + 8, "a lo", 4);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_udp_proto_connect),
		cmocka_unit_test(test_udp_proto_announce),
		cmocka_unit_test(test_udp_proto_malformed),
		cmocka_unit_test(test_udp_proto_scrape),
		cmocka_unit_test(test_udp_proto_responses),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
