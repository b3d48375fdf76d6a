/*
 * Unit tests for bt/tracker_resp: tables of malformed HTTP and UDP replies
 * with their exact errors, then the good forms, caps and clamps, and the
 * request builders.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "base/buf.h"
#include "base/bytes.h"
#include "bt/tracker_resp.h"

#define S(x) x, sizeof(x) - 1

struct http_bad {
	const char		*in;
	size_t			 len;
	int			 rc;
	enum tracker_errcode	 code;
	const char		*msg;	/* substring of err.msg, or NULL */
};

static const struct http_bad http_bad[] = {
	{S(""), -EBADMSG, TRACKER_E_EMPTY, NULL},
	{S("<html><body>404 Not Found</body></html>"), -EBADMSG,
	    TRACKER_E_BENCODE, "<html>"},
	{S("d8:intervali1800e5:peers12:abcdef"), -EBADMSG, TRACKER_E_BENCODE,
	    "truncated"},
	{S("d8:intervali1800e"), -EBADMSG, TRACKER_E_BENCODE, NULL},
	{S("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03"), -EBADMSG,
	    TRACKER_E_BENCODE, "\\x1f\\x8b"},
	{S("li1ee"), -EBADMSG, TRACKER_E_NOT_DICT, NULL},
	{S("4:spam"), -EBADMSG, TRACKER_E_NOT_DICT, NULL},
	{S("d14:failure reason25:torrent not on whitelist.e"), -EPROTO,
	    TRACKER_E_FAILURE, "torrent not on whitelist."},
	{S("d14:failure reason5:a\x01\xff\"be"), -EPROTO, TRACKER_E_FAILURE,
	    "a\\x01\\xff\\x22b"},
	{S("d5:peers0:e"), -EBADMSG, TRACKER_E_INTERVAL, NULL},
	{S("d8:interval4:1800e"), -EBADMSG, TRACKER_E_INTERVAL, NULL},
	{S("d8:intervali60e5:peers7:abcdefge"), -EBADMSG, TRACKER_E_PEERS_LEN,
	    "7 bytes"},
	{S("d8:intervali60e5:peers5:abcdee"), -EBADMSG, TRACKER_E_PEERS_LEN,
	    NULL},
	{S("d8:intervali60e5:peers0:6:peers617:aaaaaaaaaaaaaaaaae"), -EBADMSG,
	    TRACKER_E_PEERS6_LEN, "17 bytes"},
	{S("d8:intervali60e5:peersi3ee"), -EBADMSG, TRACKER_E_PEERS, NULL},
	{S("d8:intervali60e5:peersdee"), -EBADMSG, TRACKER_E_PEERS, NULL},
	{S("d8:intervali1e8:intervali2ee"), -EBADMSG, TRACKER_E_BENCODE,
	    NULL},
	{S("d8:intervali60eeJUNK"), -EBADMSG, TRACKER_E_BENCODE, NULL},
};

static void
test_tracker_resp_http_bad_table(void **state)
{
	for (size_t i = 0; i < sizeof(http_bad) / sizeof(http_bad[0]); i++) {
		const struct http_bad *c = &http_bad[i];
		struct tracker_resp r;
		struct tracker_error err = {0};
		int rc;

		memset(&r, 0xa5, sizeof(r));
		rc = tracker_resp_parse_http(c->in, c->len, &r, &err);
		if (rc != c->rc || err.code != c->code)
			fail_msg("case %zu: rc %d code %d (%s), want %d %d", i,
			    rc, err.code, err.msg, c->rc, c->code);
		if (c->msg && !strstr(err.msg, c->msg))
			fail_msg("case %zu: message \"%s\" lacks \"%s\"", i,
			    err.msg, c->msg);
		/* out is written only on success */
		assert_int_equal(r.npeers, 0xa5a5a5a5u);
	}
}

static void
test_tracker_resp_http_too_big(void **state)
{
	size_t n = TRACKER_MAX_BODY + 1;
	char *body = malloc(n);
	struct tracker_resp r;
	struct tracker_error err = {0};

	assert_non_null(body);
	memset(body, 'x', n);
	assert_int_equal(tracker_resp_parse_http(body, n, &r, &err), -E2BIG);
	assert_int_equal(err.code, TRACKER_E_TOO_BIG);
	free(body);
}

static void
test_tracker_resp_http_compact(void **state)
{
	static const char in[] = "d8:completei3e10:incompletei2e"
	    "8:intervali1800e12:min intervali900e"
	    "5:peers18:\x7f\x00\x04\x01\x1a\xe1"	/* 127.0.4.1:6881 */
	    "\x0a\x00\x00\x02\x00\x00"			/* port 0 */
	    "\xc0\xa8\x01\x02\xff\xff"			/* 192.168.1.2:65535 */
	    "6:peers618:\x20\x01\x0d\xb8\x00\x00\x00\x00\x00\x00\x00\x00"
	    "\x00\x00\x00\x01\x1a\xe2"
	    "10:tracker id3:abc15:warning message4:slowe";
	struct tracker_resp r;
	struct tracker_error err = {0};
	uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};

	assert_int_equal(tracker_resp_parse_http(in, sizeof(in) - 1, &r,
	    &err), 0);
	assert_int_equal(r.interval, 1800);
	assert_int_equal(r.min_interval, 900);
	assert_int_equal(r.complete, 3);
	assert_int_equal(r.incomplete, 2);
	assert_int_equal(r.npeers, 3);
	assert_int_equal(r.dropped, 1);
	assert_true(r.flags & TRACKER_F_PEERS_DROPPED);
	assert_false(r.flags & TRACKER_F_INTERVAL_CLAMPED);
	assert_int_equal(r.peers[0].family, AF_INET);
	assert_memory_equal(r.peers[0].addr, "\x7f\x00\x04\x01", 4);
	assert_int_equal(r.peers[0].port, 6881);
	assert_int_equal(r.peers[1].port, 65535);
	assert_int_equal(r.peers[2].family, AF_INET6);
	assert_memory_equal(r.peers[2].addr, v6, 16);
	assert_int_equal(r.peers[2].port, 6882);
	assert_int_equal(r.tracker_id_len, 3);
	assert_memory_equal(r.tracker_id, "abc", 3);
	assert_string_equal(r.warning, "slow");
	tracker_resp_fini(&r);
}

static void
test_tracker_resp_http_dict_peers(void **state)
{
	static const char in[] = "d8:intervali120e5:peersl"
	    "d2:ip9:127.0.4.27:peer id20:aaaaaaaaaaaaaaaaaaaa4:porti7002ee"
	    "d2:ip3:::14:porti7003ee"
	    "d2:ip11:example.com4:porti1ee"	/* names: not resolved */
	    "d2:ip8:10.0.0.14:porti0ee"		/* port 0 */
	    "d2:ip8:10.0.0.14:porti70000ee"	/* port out of range */
	    "d4:porti1ee"			/* no ip */
	    "i5e"				/* not a dictionary */
	    "ee";
	struct tracker_resp r;
	struct tracker_error err = {0};

	assert_int_equal(tracker_resp_parse_http(in, sizeof(in) - 1, &r,
	    &err), 0);
	assert_int_equal(r.npeers, 2);
	assert_int_equal(r.dropped, 5);
	assert_int_equal(r.peers[0].family, AF_INET);
	assert_memory_equal(r.peers[0].addr, "\x7f\x00\x04\x02", 4);
	assert_int_equal(r.peers[0].port, 7002);
	assert_int_equal(r.peers[1].family, AF_INET6);
	assert_int_equal(r.peers[1].addr[15], 1);
	assert_int_equal(r.complete, -1);
	assert_int_equal(r.incomplete, -1);
	tracker_resp_fini(&r);
}

static void
check_interval(const char *in, uint32_t want, bool clamped)
{
	struct tracker_resp r;
	struct tracker_error err = {0};

	assert_int_equal(tracker_resp_parse_http(in, strlen(in), &r, &err), 0);
	assert_int_equal(r.interval, want);
	assert_int_equal(!!(r.flags & TRACKER_F_INTERVAL_CLAMPED), clamped);
	assert_int_equal(r.npeers, 0);
	tracker_resp_fini(&r);
}

static void
test_tracker_resp_http_interval_clamped(void **state)
{
	check_interval("d8:intervali0e5:peers0:e", TRACKER_INTERVAL_MIN, true);
	check_interval("d8:intervali-5e5:peers0:e", TRACKER_INTERVAL_MIN,
	    true);
	check_interval("d8:intervali2147483648e5:peers0:e",
	    TRACKER_INTERVAL_MAX, true);
	check_interval("d8:intervali9223372036854775807ee",
	    TRACKER_INTERVAL_MAX, true);
	check_interval("d8:intervali60ee", 60, false);
	check_interval("d8:intervali3600ee", 3600, false);
}

static void
test_tracker_resp_http_huge_list_capped(void **state)
{
	uint32_t n = 100000;	/* 600 kB: under the body cap */
	struct buf b;
	struct tracker_resp r;
	struct tracker_error err = {0};
	uint8_t *p;

	buf_init(&b, TRACKER_MAX_BODY);
	buf_printf(&b, "d8:intervali60e5:peers%u:", n * 6);
	p = buf_reserve(&b, (size_t)n * 6);
	assert_non_null(p);
	for (uint32_t i = 0; i < n; i++) {
		be32_put(p + 6 * i, 0x0a000000u + i);
		be16_put(p + 6 * i + 4, 1000);
	}
	b.len += (size_t)n * 6;
	buf_putc(&b, 'e');
	assert_int_equal(buf_error(&b), 0);
	assert_int_equal(tracker_resp_parse_http(b.data, b.len, &r, &err), 0);
	assert_int_equal(r.npeers, TRACKER_MAX_PEERS);
	assert_true(r.flags & TRACKER_F_PEERS_CAPPED);
	tracker_resp_fini(&r);
	buf_fini(&b);
}

static void
test_tracker_resp_http_long_tracker_id(void **state)
{
	struct buf b;
	struct tracker_resp r;
	struct tracker_error err = {0};

	buf_init(&b, 4096);
	buf_printf(&b, "d8:intervali60e10:tracker id%u:", 1000);
	for (int i = 0; i < 1000; i++)
		buf_putc(&b, 'x');
	buf_putc(&b, 'e');
	assert_int_equal(tracker_resp_parse_http(b.data, b.len, &r, &err), 0);
	assert_null(r.tracker_id);
	assert_true(r.flags & TRACKER_F_TRACKERID_LONG);
	tracker_resp_fini(&r);
	buf_fini(&b);
}

static const uint8_t ih[20] = "\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a"
    "\x0b\x0c\x0d\x0e\x0f\x10\x11\x12\x13\x14";

static void
test_tracker_resp_scrape(void **state)
{
	struct tracker_scrape s = {0};
	struct tracker_error err = {0};
	struct buf b;
	static const uint8_t other[20] = {0};

	buf_init(&b, 4096);
	buf_puts(&b, "d5:filesd20:");
	buf_append(&b, other, 20);
	buf_puts(&b, "d8:completei9ee20:");
	buf_append(&b, ih, 20);
	buf_puts(&b, "d8:completei5e10:downloadedi7e10:incompletei2eeee");
	assert_int_equal(tracker_resp_parse_scrape(b.data, b.len, ih, &s,
	    &err), 0);
	assert_int_equal(s.complete, 5);
	assert_int_equal(s.incomplete, 2);
	assert_int_equal(s.downloaded, 7);
	assert_int_equal(tracker_resp_parse_scrape(b.data, b.len, other, &s,
	    &err), 0);
	assert_int_equal(s.complete, 9);
	assert_int_equal(s.incomplete, -1);
	buf_fini(&b);
	assert_int_equal(tracker_resp_parse_scrape(S("d5:filesdee"), ih, &s,
	    &err), -ENOENT);
	assert_int_equal(err.code, TRACKER_E_NO_FILE);
	assert_int_equal(tracker_resp_parse_scrape(S("de"), ih, &s, &err),
	    -ENOENT);
	assert_int_equal(tracker_resp_parse_scrape(S("<html>"), ih, &s, &err),
	    -EBADMSG);
	assert_int_equal(err.code, TRACKER_E_BENCODE);
	assert_int_equal(tracker_resp_parse_scrape(
	    S("d14:failure reason3:no!e"), ih, &s, &err), -EPROTO);
	assert_int_equal(err.code, TRACKER_E_FAILURE);
}

/* ---- UDP ---- */

static size_t
udp_hdr(uint8_t *p, uint32_t action, uint32_t tid)
{
	be32_put(p, action);
	be32_put(p + 4, tid);
	return 8;
}

struct udp_bad {
	uint8_t			 pkt[64];
	size_t			 len;
	enum tracker_udp_action	 want;
	int			 rc;
	enum tracker_errcode	 code;
};

static void
test_tracker_resp_udp_bad_table(void **state)
{
	const uint32_t tid = 0x11223344;
	struct udp_bad c[12];
	size_t n = 0;

	memset(c, 0, sizeof(c));
	/* shorter than a header */
	udp_hdr(c[n].pkt, TRACKER_UDP_CONNECT, tid);
	c[n].len = 7;
	c[n].want = TRACKER_UDP_CONNECT;
	c[n].rc = -EBADMSG;
	c[n++].code = TRACKER_E_UDP_SHORT;
	c[n].len = 0;
	c[n].want = TRACKER_UDP_ANNOUNCE;
	c[n].rc = -EBADMSG;
	c[n++].code = TRACKER_E_UDP_SHORT;
	/* another transaction */
	c[n].len = udp_hdr(c[n].pkt, TRACKER_UDP_CONNECT, tid + 1) + 8;
	c[n].want = TRACKER_UDP_CONNECT;
	c[n].rc = -ESRCH;
	c[n++].code = TRACKER_E_UDP_TID;
	/* connect reply without its connection id */
	c[n].len = udp_hdr(c[n].pkt, TRACKER_UDP_CONNECT, tid) + 4;
	c[n].want = TRACKER_UDP_CONNECT;
	c[n].rc = -EBADMSG;
	c[n++].code = TRACKER_E_UDP_SHORT;
	/* announce reply without its counters */
	c[n].len = udp_hdr(c[n].pkt, TRACKER_UDP_ANNOUNCE, tid) + 11;
	c[n].want = TRACKER_UDP_ANNOUNCE;
	c[n].rc = -EBADMSG;
	c[n++].code = TRACKER_E_UDP_SHORT;
	/* peers not a multiple of 6 */
	c[n].len = udp_hdr(c[n].pkt, TRACKER_UDP_ANNOUNCE, tid) + 12 + 7;
	c[n].want = TRACKER_UDP_ANNOUNCE;
	c[n].rc = -EBADMSG;
	c[n++].code = TRACKER_E_PEERS_LEN;
	/* scrape reply short */
	c[n].len = udp_hdr(c[n].pkt, TRACKER_UDP_SCRAPE, tid) + 8;
	c[n].want = TRACKER_UDP_SCRAPE;
	c[n].rc = -EBADMSG;
	c[n++].code = TRACKER_E_UDP_SHORT;
	/* a scrape reply to an announce */
	c[n].len = udp_hdr(c[n].pkt, TRACKER_UDP_SCRAPE, tid) + 12;
	c[n].want = TRACKER_UDP_ANNOUNCE;
	c[n].rc = -EPROTO;
	c[n++].code = TRACKER_E_UDP_ACTION;
	/* an unknown action */
	c[n].len = udp_hdr(c[n].pkt, 77, tid) + 12;
	c[n].want = TRACKER_UDP_CONNECT;
	c[n].rc = -EPROTO;
	c[n++].code = TRACKER_E_UDP_ACTION;
	/* the tracker's error */
	c[n].len = udp_hdr(c[n].pkt, TRACKER_UDP_ERROR, tid);
	memcpy(c[n].pkt + 8, "denied", 6);
	c[n].len += 6;
	c[n].want = TRACKER_UDP_ANNOUNCE;
	c[n].rc = -EPROTO;
	c[n++].code = TRACKER_E_FAILURE;
	for (size_t i = 0; i < n; i++) {
		struct tracker_udp_reply r;
		struct tracker_error err = {0};
		int rc = tracker_resp_parse_udp(c[i].pkt, c[i].len, tid,
		    c[i].want, 6, &r, &err);

		if (rc != c[i].rc || err.code != c[i].code)
			fail_msg("udp case %zu: rc %d code %d (%s), want %d %d",
			    i, rc, err.code, err.msg, c[i].rc, c[i].code);
	}
}

static void
test_tracker_resp_udp_error_message(void **state)
{
	uint8_t p[32];
	struct tracker_udp_reply r;
	struct tracker_error err = {0};
	size_t n = udp_hdr(p, TRACKER_UDP_ERROR, 5);

	memcpy(p + n, "no\nway", 6);
	assert_int_equal(tracker_resp_parse_udp(p, n + 6, 5,
	    TRACKER_UDP_CONNECT, 6, &r, &err), -EPROTO);
	assert_string_equal(err.msg, "no\\x0away");
}

static void
test_tracker_resp_udp_good(void **state)
{
	uint8_t p[20 + 3 * 18];
	struct tracker_udp_reply r;
	struct tracker_error err = {0};
	size_t n;

	n = udp_hdr(p, TRACKER_UDP_CONNECT, 9);
	be64_put(p + n, 0x0102030405060708ull);
	assert_int_equal(tracker_resp_parse_udp(p, 16, 9, TRACKER_UDP_CONNECT,
	    6, &r, &err), 0);
	assert_int_equal(r.connection_id, 0x0102030405060708ull);

	n = udp_hdr(p, TRACKER_UDP_ANNOUNCE, 9);
	be32_put(p + 8, 0);	/* interval 0: clamped */
	be32_put(p + 12, 4);	/* leechers */
	be32_put(p + 16, 6);	/* seeders */
	memcpy(p + 20, "\x7f\x00\x04\x01\x1a\xe1\x7f\x00\x04\x02\x00\x00", 12);
	assert_int_equal(tracker_resp_parse_udp(p, 32, 9, TRACKER_UDP_ANNOUNCE,
	    6, &r, &err), 0);
	assert_int_equal(r.resp.interval, TRACKER_INTERVAL_MIN);
	assert_true(r.resp.flags & TRACKER_F_INTERVAL_CLAMPED);
	assert_int_equal(r.resp.incomplete, 4);
	assert_int_equal(r.resp.complete, 6);
	assert_int_equal(r.resp.npeers, 1);
	assert_int_equal(r.resp.dropped, 1);
	assert_int_equal(r.resp.peers[0].port, 6881);
	tracker_resp_udp_fini(&r);

	/* over IPv6 peers are 18 bytes; interval 2^31 clamped */
	be32_put(p + 8, 0x80000000u);
	memset(p + 20, 0, 36);
	p[20 + 15] = 1;
	be16_put(p + 20 + 16, 443);
	p[38 + 15] = 2;
	be16_put(p + 38 + 16, 444);
	assert_int_equal(tracker_resp_parse_udp(p, 56, 9, TRACKER_UDP_ANNOUNCE,
	    18, &r, &err), 0);
	assert_int_equal(r.resp.interval, TRACKER_INTERVAL_MAX);
	assert_int_equal(r.resp.npeers, 2);
	assert_int_equal(r.resp.peers[1].family, AF_INET6);
	assert_int_equal(r.resp.peers[1].port, 444);
	tracker_resp_udp_fini(&r);
	/* the same bytes on an IPv4 socket are not a multiple of 6 + 20 */
	assert_int_equal(tracker_resp_parse_udp(p, 20 + 3 * 18 - 1, 9,
	    TRACKER_UDP_ANNOUNCE, 6, &r, &err), -EBADMSG);

	n = udp_hdr(p, TRACKER_UDP_SCRAPE, 9);
	be32_put(p + 8, 1);
	be32_put(p + 12, 2);
	be32_put(p + 16, 3);
	assert_int_equal(tracker_resp_parse_udp(p, 20, 9, TRACKER_UDP_SCRAPE,
	    6, &r, &err), 0);
	assert_int_equal(r.scrape.complete, 1);
	assert_int_equal(r.scrape.downloaded, 2);
	assert_int_equal(r.scrape.incomplete, 3);
}

static void
test_tracker_resp_udp_requests(void **state)
{
	uint8_t p[TRACKER_UDP_ANNOUNCE_LEN];
	struct tracker_req req = {.port = 6881, .uploaded = 1, .downloaded = 2,
	    .left = 3, .event = TRACKER_EV_STARTED, .numwant = -1,
	    .key = 0xdeadbeef};

	assert_int_equal(tracker_resp_udp_connect(p, 0xabcdef01), 16);
	assert_true(be64_get(p) == TRACKER_UDP_PROTOCOL_ID);
	assert_int_equal(be32_get(p + 8), 0);
	assert_int_equal(be32_get(p + 12), 0xabcdef01);

	memcpy(req.info_hash, ih, 20);
	memset(req.peer_id, 'p', 20);
	assert_int_equal(tracker_resp_udp_announce(p, 77, 5, &req), 98);
	assert_true(be64_get(p) == 77);
	assert_int_equal(be32_get(p + 8), 1);
	assert_int_equal(be32_get(p + 12), 5);
	assert_memory_equal(p + 16, ih, 20);
	assert_true(be64_get(p + 56) == 2);	/* downloaded */
	assert_true(be64_get(p + 64) == 3);	/* left */
	assert_true(be64_get(p + 72) == 1);	/* uploaded */
	assert_int_equal(be32_get(p + 80), 2);	/* started */
	assert_int_equal(be32_get(p + 88), 0xdeadbeef);
	assert_int_equal(be32_get(p + 92), 0xffffffffu);
	assert_int_equal(be16_get(p + 96), 6881);

	assert_int_equal(tracker_resp_udp_scrape(p, 77, 6, ih), 36);
	assert_int_equal(be32_get(p + 8), 2);
	assert_memory_equal(p + 16, ih, 20);
}

/* ---- URLs ---- */

static void
test_tracker_resp_announce_url(void **state)
{
	struct tracker_req req = {.port = 6881, .left = 10,
	    .event = TRACKER_EV_STOPPED, .numwant = 50, .key = 1,
	    .tracker_id = (const uint8_t *)"t 1", .tracker_id_len = 3};
	struct buf b;

	memcpy(req.info_hash, ih, 20);
	memcpy(req.peer_id, "-VT0100-abcdefghijk~", 20);
	buf_init(&b, TRACKER_MAX_URL);
	assert_int_equal(tracker_resp_announce_url(&b, "http://t/ann?x=1",
	    &req), 0);
	assert_string_equal((char *)b.data, "http://t/ann?x=1&info_hash="
	    "%01%02%03%04%05%06%07%08%09%0A%0B%0C%0D%0E%0F%10%11%12%13%14"
	    "&peer_id=-VT0100-abcdefghijk~&port=6881&uploaded=0"
	    "&downloaded=0&left=10&compact=1&key=00000001&numwant=50"
	    "&event=stopped&trackerid=t%201");
	buf_fini(&b);
}

static void
test_tracker_resp_scrape_url(void **state)
{
	static const struct {
		const char	*in;
		const char	*out;	/* before "info_hash=", NULL: none */
	} c[] = {
		{"http://t.example/announce", "http://t.example/scrape?"},
		{"http://t/x/announce.php", "http://t/x/scrape.php?"},
		{"http://t/announce?passkey=1", "http://t/scrape?passkey=1&"},
		{"http://t/a/announce/x", NULL},
		{"http://t/a", NULL},
		{"http://t/announcer", "http://t/scraper?"},
		{"http://t", NULL},
		{"http://t/", NULL},
		{"http://t/x?y=/announce", NULL},
	};

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct buf b;
		int rc;

		buf_init(&b, TRACKER_MAX_URL);
		rc = tracker_resp_scrape_url(&b, c[i].in, ih);
		if (!c[i].out) {
			if (rc != -ENOTSUP)
				fail_msg("%s: rc %d, want -ENOTSUP", c[i].in,
				    rc);
		} else {
			assert_int_equal(rc, 0);
			if (strncmp((char *)b.data, c[i].out,
			    strlen(c[i].out)) != 0 ||
			    !strstr((char *)b.data, "info_hash=%01%02"))
				fail_msg("%s: got %s", c[i].in, b.data);
		}
		buf_fini(&b);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tracker_resp_http_bad_table),
		cmocka_unit_test(test_tracker_resp_http_too_big),
		cmocka_unit_test(test_tracker_resp_http_compact),
		cmocka_unit_test(test_tracker_resp_http_dict_peers),
		cmocka_unit_test(test_tracker_resp_http_interval_clamped),
		cmocka_unit_test(test_tracker_resp_http_huge_list_capped),
		cmocka_unit_test(test_tracker_resp_http_long_tracker_id),
		cmocka_unit_test(test_tracker_resp_scrape),
		cmocka_unit_test(test_tracker_resp_udp_bad_table),
		cmocka_unit_test(test_tracker_resp_udp_error_message),
		cmocka_unit_test(test_tracker_resp_udp_good),
		cmocka_unit_test(test_tracker_resp_udp_requests),
		cmocka_unit_test(test_tracker_resp_announce_url),
		cmocka_unit_test(test_tracker_resp_scrape_url),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
