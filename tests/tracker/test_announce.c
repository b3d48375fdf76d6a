/* Unit tests: HTTP announce/scrape query parsing (tracker/announce.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "tracker/announce.h"

#define IH "%01%02%03%04%05%06%07%08%09%0a%0b%0c%0d%0e%0f%10%11%12%13%00"
#define PID "-VT0001-abcdefghijkl"
#define BASE "info_hash=" IH "&peer_id=" PID "&port=6881"

static int
parse(const char *q, struct ann_query *a, enum ann_err *err)
{
	return ann_parse_announce(q, strlen(q), a, err);
}

static void
test_announce_good(void **state)
{
	struct ann_query a;
	enum ann_err err;

	(void)state;
	assert_int_equal(parse(BASE "&uploaded=1&downloaded=2&left=3"
	    "&event=started&numwant=10&compact=1&key=zz&unknown", &a, &err),
	    0);
	assert_int_equal(a.info_hash[0], 1);
	assert_int_equal(a.info_hash[19], 0);
	assert_memory_equal(a.peer_id, PID, 20);
	assert_int_equal(a.port, 6881);
	assert_int_equal(a.uploaded, 1);
	assert_int_equal(a.downloaded, 2);
	assert_int_equal(a.left, 3);
	assert_true(a.has_left);
	assert_int_equal(a.event, SWARM_EV_STARTED);
	assert_int_equal(a.numwant, 10);
	assert_true(a.compact);
	assert_false(a.has_ip);
}

static void
test_announce_defaults_and_clamps(void **state)
{
	static const struct {
		const char	*extra;
		uint32_t	 numwant;
		bool		 compact;
		enum swarm_event ev;
	} rows[] = {
		{ "", SWARM_NUMWANT_DEFAULT, true, SWARM_EV_NONE },
		{ "&numwant=-1", SWARM_NUMWANT_DEFAULT, true, SWARM_EV_NONE },
		{ "&numwant=1000000000", SWARM_NUMWANT_MAX, true,
		    SWARM_EV_NONE },
		{ "&numwant=0", 0, true, SWARM_EV_NONE },
		{ "&compact=0", SWARM_NUMWANT_DEFAULT, false, SWARM_EV_NONE },
		{ "&event=", SWARM_NUMWANT_DEFAULT, true, SWARM_EV_NONE },
		{ "&event=stopped", SWARM_NUMWANT_DEFAULT, true,
		    SWARM_EV_STOPPED },
		{ "&event=completed", SWARM_NUMWANT_DEFAULT, true,
		    SWARM_EV_COMPLETED },
		{ "&&&", SWARM_NUMWANT_DEFAULT, true, SWARM_EV_NONE },
	};
	char q[512];

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct ann_query a;
		enum ann_err err;

		snprintf(q, sizeof(q), "%s%s", BASE, rows[i].extra);
		assert_int_equal(parse(q, &a, &err), 0);
		assert_int_equal(a.numwant, rows[i].numwant);
		assert_int_equal(a.compact, rows[i].compact);
		assert_int_equal(a.event, rows[i].ev);
		assert_false(a.has_left);
	}
}

static void
test_announce_malformed(void **state)
{
	static const struct {
		const char	*q;
		int		 rc;
		enum ann_err	 err;
	} rows[] = {
		{ "", -EBADMSG, ANN_E_INFO_HASH },
		{ "peer_id=" PID "&port=1", -EBADMSG, ANN_E_INFO_HASH },
		{ "info_hash=" IH "&port=1", -EBADMSG, ANN_E_PEER_ID },
		{ "info_hash=" IH "&peer_id=" PID, -EBADMSG, ANN_E_PORT },
		{ BASE "&x=%", -EBADMSG, ANN_E_ESCAPE },
		{ BASE "&x=%4", -EBADMSG, ANN_E_ESCAPE },
		{ BASE "&x=%zz", -EBADMSG, ANN_E_ESCAPE },
		{ "info_hash=%0g" IH, -EBADMSG, ANN_E_ESCAPE },
		{ "info_hash=abc&peer_id=" PID "&port=1", -EBADMSG,
		    ANN_E_INFO_HASH },
		{ "info_hash=" IH "%00&peer_id=" PID "&port=1", -EBADMSG,
		    ANN_E_INFO_HASH },
		{ "info_hash=&peer_id=" PID "&port=1", -EBADMSG,
		    ANN_E_INFO_HASH },
		{ "info_hash&peer_id=" PID "&port=1", -EBADMSG,
		    ANN_E_INFO_HASH },
		{ "info_hash=" IH "&peer_id=short&port=1", -EBADMSG,
		    ANN_E_PEER_ID },
		{ "info_hash=" IH "&peer_id=" PID "&port=0", -EBADMSG,
		    ANN_E_PORT },
		{ "info_hash=" IH "&peer_id=" PID "&port=65536", -EBADMSG,
		    ANN_E_PORT },
		{ "info_hash=" IH "&peer_id=" PID "&port=-1", -EBADMSG,
		    ANN_E_PORT },
		{ "info_hash=" IH "&peer_id=" PID "&port=", -EBADMSG,
		    ANN_E_PORT },
		{ "info_hash=" IH "&peer_id=" PID "&port=80x", -EBADMSG,
		    ANN_E_PORT },
		{ BASE "&numwant=-2", -EBADMSG, ANN_E_NUMWANT },
		{ BASE "&numwant=1000000001", -EBADMSG, ANN_E_NUMWANT },
		{ BASE "&numwant=99999999999999999999999", -EBADMSG,
		    ANN_E_NUMWANT },
		{ BASE "&numwant=", -EBADMSG, ANN_E_NUMWANT },
		{ BASE "&numwant=ten", -EBADMSG, ANN_E_NUMWANT },
		{ BASE "&left=-5", -EBADMSG, ANN_E_NUMBER },
		{ BASE "&uploaded=18446744073709551616", -EBADMSG,
		    ANN_E_NUMBER },
		{ BASE "&downloaded=", -EBADMSG, ANN_E_NUMBER },
		{ BASE "&event=exploded", -EBADMSG, ANN_E_EVENT },
		{ BASE "&ip=not-an-ip", -EBADMSG, ANN_E_IP },
		{ BASE "&info_hash=" IH, -EBADMSG, ANN_E_DUP_KEY },
		{ BASE "&port=6882", -EBADMSG, ANN_E_DUP_KEY },
		{ BASE "&peer_id=" PID, -EBADMSG, ANN_E_DUP_KEY },
		{ BASE "&left=1&left=2", -EBADMSG, ANN_E_DUP_KEY },
		{ BASE "&numwant=1&numwant=2", -EBADMSG, ANN_E_DUP_KEY },
		{ "info%5fhash=" IH "&peer_id=" PID "&port=1&info_hash=" IH,
		    -EBADMSG, ANN_E_DUP_KEY },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct ann_query a;
		enum ann_err err;
		int rc = parse(rows[i].q, &a, &err);

		if (rc != rows[i].rc || err != rows[i].err)
			fail_msg("row %zu (%s): rc %d err %d (%s)", i,
			    rows[i].q, rc, err, ann_strerror(err));
	}
}

static void
test_announce_too_long(void **state)
{
	static char q[ANN_MAX_QUERY + 2];
	struct ann_query a;
	enum ann_err err;

	(void)state;
	memset(q, 'a', sizeof(q) - 1);
	assert_int_equal(ann_parse_announce(q, sizeof(q) - 1, &a, &err),
	    -EMSGSIZE);
	assert_int_equal(err, ANN_E_TOO_LONG);
}

static void
test_announce_ip_param(void **state)
{
	struct ann_query a;
	enum ann_err err;

	(void)state;
	assert_int_equal(parse(BASE "&ip=10.1.2.3", &a, &err), 0);
	assert_true(a.has_ip);
	assert_int_equal(a.ip[10], 0xff);
	assert_int_equal(a.ip[12], 10);
	assert_int_equal(a.ip[15], 3);
	assert_int_equal(parse(BASE "&ip=%3A%3A1", &a, &err), 0);
	assert_true(a.has_ip);
	assert_int_equal(a.ip[15], 1);
	assert_int_equal(a.ip[10], 0);
}

static void
test_announce_scrape(void **state)
{
	struct ann_scrape s;
	enum ann_err err;
	char q[ANN_MAX_QUERY];
	size_t len = 0;

	(void)state;
	assert_int_equal(ann_parse_scrape("", 0, &s, &err), 0);
	assert_int_equal(s.n, 0);
	assert_int_equal(ann_parse_scrape("info_hash=" IH "&info_hash="
	    "aaaaaaaaaaaaaaaaaaaa", strlen("info_hash=" IH "&info_hash="
	    "aaaaaaaaaaaaaaaaaaaa"), &s, &err), 0);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.hashes[0][0], 1);
	assert_int_equal(s.hashes[1][0], 'a');
	assert_int_equal(ann_parse_scrape("info_hash=abc", 13, &s, &err),
	    -EBADMSG);
	assert_int_equal(err, ANN_E_INFO_HASH);
	assert_int_equal(ann_parse_scrape("info_hash=%g", 12, &s, &err),
	    -EBADMSG);
	assert_int_equal(err, ANN_E_ESCAPE);
	for (int i = 0; i <= ANN_MAX_SCRAPE; i++)
		len += (size_t)snprintf(q + len, sizeof(q) - len,
		    "info_hash=aaaaaaaaaaaaaaaaaaa%c&", 'A' + i % 26);
	assert_int_equal(ann_parse_scrape(q, len, &s, &err), -EMSGSIZE);
	assert_int_equal(err, ANN_E_TOO_MANY);
}

static void
test_announce_unescape(void **state)
{
	uint8_t out[8];

	(void)state;
	assert_int_equal(ann_unescape("a%41+b", 6, out, sizeof(out)), 4);
	assert_memory_equal(out, "aA b", 4);
	assert_int_equal(ann_unescape("%", 1, out, sizeof(out)), -EBADMSG);
	assert_int_equal(ann_unescape("%4", 2, out, sizeof(out)), -EBADMSG);
	assert_int_equal(ann_unescape("123456789", 9, out, sizeof(out)),
	    -EMSGSIZE);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_announce_good),
		cmocka_unit_test(test_announce_defaults_and_clamps),
		cmocka_unit_test(test_announce_malformed),
		cmocka_unit_test(test_announce_too_long),
		cmocka_unit_test(test_announce_ip_param),
		cmocka_unit_test(test_announce_scrape),
		cmocka_unit_test(test_announce_unescape),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
