/*
 * Unit tests for bt/wire: every message both ways, a table of malformed
 * framing with the exact error, every split of a stream, zero-copy blocks,
 * and the BEP 10 extension handshake.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bt/wire.h"

/* 10 pieces of 32 KiB, the last one 1000 bytes. */
static const struct wire_geom geom = {10, 32768, 9 * 32768 + 1000};

/* Feed everything; collect up to max messages (deep-copied type/fields). */
static int
decode_all(struct wire_dec *d, const uint8_t *in, size_t len,
    struct wire_msg *out, int max, size_t chunk)
{
	size_t off = 0;
	int n = 0;

	while (off < len) {
		size_t end = chunk && off + chunk < len ? off + chunk : len;
		size_t pos = off;

		while (pos < end) {
			size_t used;
			int rc = wire_dec_feed(d, in + pos, end - pos, &used,
			    &out[n < max ? n : max - 1]);

			pos += used;
			if (rc < 0)
				return rc;
			if (rc == 1) {
				/* Data only lives until the next feed. */
				struct wire_msg *m = &out[n < max ? n : max - 1];

				if (m->data != NULL) {
					void *copy = malloc(m->len + 1);

					memcpy(copy, m->data, m->len);
					m->data = copy;
				}
				n++;
			} else {
				assert_int_equal(pos, end);
			}
		}
		off = end;
	}
	return n;
}

static void
free_msgs(struct wire_msg *m, int n)
{
	for (int i = 0; i < n; i++)
		free((void *)m[i].data);
}

/* The message set, encoded in order. */
static uint8_t block[WIRE_BLOCK];
static uint8_t ext_payload[] = "d1:v3:abce";

static void
encode_all(struct buf *b)
{
	uint8_t rsv[8] = {0, 0, 0, 0, 0, 0x10, 0, 0x05}, ih[20], pid[20];
	struct bitfield bf;

	memset(ih, 0xaa, 20);
	memset(pid, 0x2d, 20);
	for (size_t i = 0; i < sizeof(block); i++)
		block[i] = (uint8_t)(i * 7);
	assert_int_equal(bitfield_init(&bf, geom.npieces), 0);
	bitfield_set(&bf, 0);
	bitfield_set(&bf, 9);
	assert_int_equal(wire_put_handshake(b, rsv, ih, pid), 0);
	wire_put_keepalive(b);
	wire_put_simple(b, WIRE_CHOKE);
	wire_put_simple(b, WIRE_UNCHOKE);
	wire_put_simple(b, WIRE_INTERESTED);
	wire_put_simple(b, WIRE_NOT_INTERESTED);
	wire_put_index(b, WIRE_HAVE, 9);
	wire_put_bitfield(b, &bf);
	wire_put_req(b, WIRE_REQUEST, 1, 16384, 16384);
	wire_put_piece(b, 1, 16384, block, WIRE_BLOCK);
	wire_put_req(b, WIRE_CANCEL, 9, 0, 1000);
	wire_put_port(b, 6881);
	wire_put_index(b, WIRE_SUGGEST, 3);
	wire_put_simple(b, WIRE_HAVE_ALL);
	wire_put_simple(b, WIRE_HAVE_NONE);
	wire_put_req(b, WIRE_REJECT, 2, 0, 16384);
	wire_put_index(b, WIRE_ALLOWED_FAST, 4);
	wire_put_extended(b, 3, ext_payload, sizeof(ext_payload) - 1);
	assert_int_equal(buf_error(b), 0);
	bitfield_fini(&bf);
}

#define NMSG 18

static void
check_all(const struct wire_msg *m)
{
	static const enum wire_id types[NMSG] = {WIRE_HANDSHAKE,
	    WIRE_KEEPALIVE, WIRE_CHOKE, WIRE_UNCHOKE, WIRE_INTERESTED,
	    WIRE_NOT_INTERESTED, WIRE_HAVE, WIRE_BITFIELD, WIRE_REQUEST,
	    WIRE_PIECE, WIRE_CANCEL, WIRE_PORT, WIRE_SUGGEST, WIRE_HAVE_ALL,
	    WIRE_HAVE_NONE, WIRE_REJECT, WIRE_ALLOWED_FAST, WIRE_EXTENDED};

	for (int i = 0; i < NMSG; i++)
		if (m[i].type != types[i])
			fail_msg("msg %d: %s, want %s", i,
			    wire_id_name(m[i].type), wire_id_name(types[i]));
	assert_int_equal(m[0].hs.reserved[5], 0x10);
	assert_int_equal(m[0].hs.reserved[7], 0x05);
	assert_int_equal(m[0].hs.info_hash[19], 0xaa);
	assert_int_equal(m[0].hs.peer_id[0], 0x2d);
	assert_int_equal(m[6].index, 9);
	assert_int_equal(m[7].len, 2);
	assert_int_equal(m[7].data[0], 0x80);
	assert_int_equal(m[7].data[1], 0x40);
	assert_int_equal(m[8].index, 1);
	assert_int_equal(m[8].begin, 16384);
	assert_int_equal(m[8].length, 16384);
	assert_int_equal(m[9].index, 1);
	assert_int_equal(m[9].begin, 16384);
	assert_int_equal(m[9].length, WIRE_BLOCK);
	assert_int_equal(m[9].len, WIRE_BLOCK);
	assert_memory_equal(m[9].data, block, WIRE_BLOCK);
	assert_int_equal(m[10].index, 9);
	assert_int_equal(m[10].length, 1000);
	assert_int_equal(m[11].port, 6881);
	assert_int_equal(m[12].index, 3);
	assert_int_equal(m[15].index, 2);
	assert_int_equal(m[15].length, 16384);
	assert_int_equal(m[16].index, 4);
	assert_int_equal(m[17].ext_id, 3);
	assert_int_equal(m[17].len, sizeof(ext_payload) - 1);
	assert_memory_equal(m[17].data, ext_payload, m[17].len);
}

static void
test_wire_roundtrip_every_message(void **state)
{
	struct buf b, b2;
	struct wire_dec d;
	struct wire_msg m[NMSG + 1];
	int n;

	buf_init(&b, 1 << 20);
	encode_all(&b);
	wire_dec_init(&d, &geom, true);
	n = decode_all(&d, b.data, b.len, m, NMSG + 1, 0);
	assert_int_equal(n, NMSG);
	check_all(m);
	/* Decoded messages encode back to the same bytes. */
	buf_init(&b2, 1 << 20);
	for (int i = 0; i < n; i++)
		assert_int_equal(wire_put_msg(&b2, &m[i]), 0);
	assert_int_equal(b2.len, b.len);
	assert_memory_equal(b2.data, b.data, b.len);
	free_msgs(m, n);
	wire_dec_fini(&d);
	buf_fini(&b);
	buf_fini(&b2);
}

/* The stream split in two at every byte boundary, and byte by byte. */
static void
test_wire_split_every_boundary(void **state)
{
	struct buf b;
	struct wire_msg m[NMSG + 1];

	buf_init(&b, 1 << 20);
	encode_all(&b);
	for (size_t cut = 1; cut < b.len; cut++) {
		struct wire_dec d;
		int n = 0, k;
		size_t used, pos = 0;

		wire_dec_init(&d, &geom, true);
		/* First part, then the rest, each fed to the end. */
		while (pos < cut) {
			k = wire_dec_feed(&d, b.data + pos, cut - pos, &used,
			    &m[n]);
			assert_true(k >= 0);
			pos += used;
			if (k == 1) {
				if (m[n].data) {
					void *c = malloc(m[n].len + 1);

					memcpy(c, m[n].data, m[n].len);
					m[n].data = c;
				}
				n++;
			}
		}
		n += decode_all(&d, b.data + cut, b.len - cut, m + n,
		    NMSG + 1 - n, 0);
		if (n != NMSG)
			fail_msg("cut %zu: %d messages", cut, n);
		check_all(m);
		free_msgs(m, n);
		wire_dec_fini(&d);
	}
	{
		struct wire_dec d;
		int n;

		wire_dec_init(&d, &geom, true);
		n = decode_all(&d, b.data, b.len, m, NMSG + 1, 1);
		assert_int_equal(n, NMSG);
		check_all(m);
		free_msgs(m, n);
		wire_dec_fini(&d);
	}
	buf_fini(&b);
}

/* A whole piece message in the input is returned without a copy. */
static void
test_wire_piece_zero_copy(void **state)
{
	struct buf b;
	struct wire_dec d;
	struct wire_msg m;
	size_t used;

	buf_init(&b, 1 << 20);
	wire_put_piece(&b, 0, 0, block, WIRE_BLOCK);
	wire_dec_init(&d, &geom, false);
	assert_int_equal(wire_dec_feed(&d, b.data, b.len, &used, &m), 1);
	assert_int_equal(used, b.len);
	assert_ptr_equal(m.data, b.data + 13);
	/* Split: the header buffered, the body still in place. */
	assert_int_equal(wire_dec_feed(&d, b.data, 5, &used, &m), 0);
	assert_int_equal(used, 5);
	assert_int_equal(wire_dec_feed(&d, b.data + 5, b.len - 5, &used, &m),
	    1);
	assert_ptr_equal(m.data, b.data + 13);
	assert_null(d.buf);	/* nothing was buffered */
	/* A body split in two is buffered once, and still whole. */
	assert_int_equal(wire_dec_feed(&d, b.data, 100, &used, &m), 0);
	assert_int_equal(wire_dec_feed(&d, b.data + 100, b.len - 100, &used,
	    &m), 1);
	assert_memory_equal(m.data, block, WIRE_BLOCK);
	wire_dec_fini(&d);
	buf_fini(&b);
}

struct bad_case {
	const char	*what;
	uint8_t		 in[24];
	size_t		 len;
	int		 rc;
};

static const struct bad_case bad_cases[] = {
	{"4 GiB length prefix", {0xff, 0xff, 0xff, 0xff}, 4, -EMSGSIZE},
	{"cap + 1", {0, 0x10, 0, 14}, 4, -EMSGSIZE},
	{"choke with a body", {0, 0, 0, 2, 0, 0}, 6, -EBADMSG},
	{"have of 4", {0, 0, 0, 4, 4}, 5, -EBADMSG},
	{"have of 6", {0, 0, 0, 6, 4}, 5, -EBADMSG},
	{"have index = npieces", {0, 0, 0, 5, 4, 0, 0, 0, 10}, 9, -EBADMSG},
	{"have index 2^32-1", {0, 0, 0, 5, 4, 0xff, 0xff, 0xff, 0xff}, 9,
	    -EBADMSG},
	{"request of 12", {0, 0, 0, 12, 6}, 5, -EBADMSG},
	{"request of 14", {0, 0, 0, 14, 6}, 5, -EBADMSG},
	{"cancel of 12", {0, 0, 0, 12, 8}, 5, -EBADMSG},
	{"reject of 17", {0, 0, 0, 17, 16}, 5, -EBADMSG},
	{"request index out of range",
	    {0, 0, 0, 13, 6, 0, 0, 0, 10, 0, 0, 0, 0, 0, 0, 0x40, 0}, 17,
	    -EBADMSG},
	{"request past piece end",
	    {0, 0, 0, 13, 6, 0, 0, 0, 0, 0, 0, 0x40, 0, 0, 0, 0x40, 1}, 17,
	    -EBADMSG},
	{"request past short last piece",
	    {0, 0, 0, 13, 6, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0x03, 0xe9}, 17,
	    -EBADMSG},
	{"request begin overflow",
	    {0, 0, 0, 13, 6, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 2},
	    17, -EBADMSG},
	{"request of length 0",
	    {0, 0, 0, 13, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 17,
	    -EBADMSG},
	{"bitfield 1 byte short", {0, 0, 0, 2, 5, 0xff}, 6, -EBADMSG},
	{"bitfield 1 byte long", {0, 0, 0, 4, 5}, 5, -EBADMSG},
	{"bitfield spare bit set", {0, 0, 0, 3, 5, 0xff, 0xe0}, 7, -EBADMSG},
	{"bitfield last spare bit", {0, 0, 0, 3, 5, 0, 0x01}, 7, -EBADMSG},
	{"piece block over 16 KiB", {0, 0, 0x40, 0x0a, 7}, 5, -EBADMSG},
	{"piece 4 GiB", {0xff, 0xff, 0xff, 0xff, 7}, 5, -EMSGSIZE},
	{"piece without block", {0, 0, 0, 9, 7}, 5, -EBADMSG},
	{"piece index out of range",
	    {0, 0, 0, 10, 7, 0, 0, 0, 10, 0, 0, 0, 0, 0x55}, 14, -EBADMSG},
	{"piece past short last piece",
	    {0, 0, 0, 10, 7, 0, 0, 0, 9, 0, 0, 0x03, 0xe8, 0x55}, 14,
	    -EBADMSG},
	{"port of 2", {0, 0, 0, 2, 9}, 5, -EBADMSG},
	{"extended without id", {0, 0, 0, 1, 20}, 5, -EBADMSG},
	{"have all with a body", {0, 0, 0, 2, 0x0e}, 5, -EBADMSG},
	{"allowed fast out of range", {0, 0, 0, 5, 0x11, 0, 0, 0, 10}, 9,
	    -EBADMSG},
	{"suggest of 3", {0, 0, 0, 3, 0x0d}, 5, -EBADMSG},
};

static void
test_wire_malformed_table(void **state)
{
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]);
	    i++) {
		const struct bad_case *c = &bad_cases[i];
		struct wire_dec d;
		struct wire_msg m;
		size_t used, pos = 0;
		int rc = 0;

		wire_dec_init(&d, &geom, false);
		/* Byte by byte: the error comes as soon as it can. */
		while (pos < c->len && rc == 0) {
			rc = wire_dec_feed(&d, c->in + pos, 1, &used, &m);
			pos += used;
		}
		if (rc != c->rc)
			fail_msg("%s: rc %d, want %d", c->what, rc, c->rc);
		/* Nothing was buffered for a rejected header. */
		assert_true(d.alloc <= 16);
		wire_dec_fini(&d);
		/* And in one go. */
		wire_dec_init(&d, &geom, false);
		rc = wire_dec_feed(&d, c->in, c->len, &used, &m);
		if (rc != c->rc)
			fail_msg("%s (whole): rc %d, want %d", c->what, rc,
			    c->rc);
		wire_dec_fini(&d);
	}
}

static void
test_wire_bad_handshake(void **state)
{
	uint8_t hs[WIRE_HANDSHAKE_LEN];
	struct wire_dec d;
	struct wire_msg m;
	size_t used;

	memset(hs, 0, sizeof(hs));
	hs[0] = 19;
	memcpy(hs + 1, "BitTorrent protocoL", 19);
	wire_dec_init(&d, &geom, true);
	assert_int_equal(wire_dec_feed(&d, hs, sizeof(hs), &used, &m),
	    -EBADMSG);
	wire_dec_fini(&d);
	/* A wrong first byte fails at once, before 68 bytes arrive. */
	hs[0] = 0xff;
	wire_dec_init(&d, &geom, true);
	assert_int_equal(wire_dec_feed(&d, hs, 1, &used, &m), -EBADMSG);
	wire_dec_fini(&d);
	/* HTTP at a BitTorrent port. */
	wire_dec_init(&d, &geom, true);
	assert_int_equal(wire_dec_feed(&d, (const uint8_t *)"GET / HTTP/1.1",
	    14, &used, &m), -EBADMSG);
	wire_dec_fini(&d);
}

/* Unknown ids are returned as WIRE_UNKNOWN and decoding goes on. */
static void
test_wire_unknown_id_ignored(void **state)
{
	const uint8_t in[] = {0, 0, 0, 3, 99, 1, 2, 0, 0, 0, 1, 1};
	struct wire_dec d;
	struct wire_msg m[3];

	wire_dec_init(&d, &geom, false);
	assert_int_equal(decode_all(&d, in, sizeof(in), m, 3, 0), 2);
	assert_int_equal(m[0].type, WIRE_UNKNOWN);
	assert_int_equal(m[0].raw_id, 99);
	assert_int_equal(m[0].len, 2);
	assert_int_equal(m[1].type, WIRE_UNCHOKE);
	free_msgs(m, 2);
	wire_dec_fini(&d);
}

/* Before the geometry is known, only the handshake may be decoded. */
static void
test_wire_no_geometry(void **state)
{
	struct buf b;
	struct wire_dec d;
	struct wire_msg m;
	uint8_t z[20] = {0}, rsv[8] = {0};
	size_t used;

	buf_init(&b, 1024);
	wire_put_handshake(&b, rsv, z, z);
	wire_put_index(&b, WIRE_HAVE, 1);
	wire_dec_init(&d, NULL, true);
	assert_int_equal(wire_dec_feed(&d, b.data, b.len, &used, &m), 1);
	assert_int_equal(used, WIRE_HANDSHAKE_LEN);
	assert_int_equal(wire_dec_feed(&d, b.data + used, b.len - used, &used,
	    &m), -EPROTO);
	wire_dec_fini(&d);
	wire_dec_init(&d, NULL, true);
	assert_int_equal(wire_dec_feed(&d, b.data, b.len, &used, &m), 1);
	wire_dec_set_geom(&d, &geom);
	assert_int_equal(wire_dec_feed(&d, b.data + used, b.len - used, &used,
	    &m), 1);
	assert_int_equal(m.type, WIRE_HAVE);
	wire_dec_fini(&d);
	buf_fini(&b);
}

/* The largest allowed message (a 2^21-piece bitfield fits) goes through. */
static void
test_wire_cap_boundary(void **state)
{
	struct wire_geom big = {1u << 21, 16384, (uint64_t)16384 << 21};
	struct bitfield bf;
	struct buf b;
	struct wire_dec d;
	struct wire_msg m;
	size_t used;

	assert_int_equal(bitfield_init(&bf, big.npieces), 0);
	bitfield_set_all(&bf);
	buf_init(&b, 2u << 20);
	wire_put_bitfield(&b, &bf);
	wire_dec_init(&d, &big, false);
	assert_int_equal(wire_dec_feed(&d, b.data, 1000, &used, &m), 0);
	assert_int_equal(wire_dec_feed(&d, b.data + 1000, b.len - 1000, &used,
	    &m), 1);
	assert_int_equal(m.len, (1u << 21) / 8);
	assert_int_equal(m.data[m.len - 1], 0xff);
	assert_true(d.alloc >= m.len);
	/* The big buffer is given back on the next call. */
	assert_int_equal(wire_dec_feed(&d, (const uint8_t *)"\0\0\0\0", 4,
	    &used, &m), 1);
	assert_int_equal(m.type, WIRE_KEEPALIVE);
	assert_int_equal(d.alloc, 0);
	wire_dec_fini(&d);
	bitfield_fini(&bf);
	buf_fini(&b);
	/* Exactly the cap passes the prefix check. */
	{
		uint8_t h[5] = {0, 0x10, 0, 13, 99};

		wire_dec_init(&d, &geom, false);
		assert_int_equal(wire_dec_feed(&d, h, 5, &used, &m), 0);
		wire_dec_fini(&d);
	}
}

static void
test_wire_ext_handshake(void **state)
{
	struct wire_ext_hs hs, got;
	struct buf b;
	struct wire_dec d;
	struct wire_msg m;
	size_t used;

	memset(&hs, 0, sizeof(hs));
	strcpy(hs.m[0].name, "ut_pex");
	hs.m[0].id = 2;
	strcpy(hs.m[1].name, "ut_metadata");
	hs.m[1].id = 1;
	hs.nm = 2;
	strcpy(hs.v, "vtfs 0.1.0");
	hs.has_reqq = true;
	hs.reqq = 2000;
	hs.has_p = true;
	hs.p = 51413;
	hs.yourip_len = 4;
	memcpy(hs.yourip, "\x7f\x00\x05\x01", 4);
	hs.metadata_size = -1;
	buf_init(&b, 4096);
	assert_int_equal(wire_put_ext_hs(&b, &hs), 0);
	wire_dec_init(&d, &geom, false);
	assert_int_equal(wire_dec_feed(&d, b.data, b.len, &used, &m), 1);
	assert_int_equal(m.type, WIRE_EXTENDED);
	assert_int_equal(m.ext_id, 0);
	assert_int_equal(wire_ext_hs_parse(m.data, m.len, &got), 0);
	assert_int_equal(got.nm, 2);
	assert_int_equal(wire_ext_hs_id(&got, "ut_metadata"), 1);
	assert_int_equal(wire_ext_hs_id(&got, "ut_pex"), 2);
	assert_int_equal(wire_ext_hs_id(&got, "lt_donthave"), 0);
	assert_string_equal(got.v, "vtfs 0.1.0");
	assert_true(got.has_reqq);
	assert_int_equal(got.reqq, 2000);
	assert_true(got.has_p);
	assert_int_equal(got.p, 51413);
	assert_int_equal(got.yourip_len, 4);
	assert_memory_equal(got.yourip, "\x7f\x00\x05\x01", 4);
	assert_int_equal(got.metadata_size, -1);
	wire_dec_fini(&d);
	buf_fini(&b);
}

struct ext_case {
	const char	*in;
	int		 rc;
};

static void
test_wire_ext_handshake_hostile(void **state)
{
	static const struct ext_case cases[] = {
		{"", -EBADMSG},
		{"le", -EBADMSG},
		{"i1e", -EBADMSG},
		{"d1:v3:abc", -EBADMSG},
		{"d1:v3:abce", 0},
		{"de", 0},
		/* wrong types are ignored, not fatal */
		{"d1:mi5e1:pi70000e4:reqqi-1e1:vi3e6:youripi1ee", 0},
		{"d1:md6:ut_pexi300e1:xi-1eee", 0},
	};
	struct wire_ext_hs hs;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = wire_ext_hs_parse((const uint8_t *)cases[i].in,
		    strlen(cases[i].in), &hs);

		if (rc != cases[i].rc)
			fail_msg("case %zu \"%s\": rc %d", i, cases[i].in, rc);
		if (rc == 0) {
			assert_false(hs.has_p);
			assert_false(hs.has_reqq);
			assert_int_equal(hs.nm, 0);
			assert_int_equal(hs.yourip_len, 0);
		}
	}
	/* A long client name is cut, an embedded NUL ends it. */
	assert_int_equal(wire_ext_hs_parse((const uint8_t *)"d1:v5:ab\0cde",
	    12, &hs), 0);
	assert_string_equal(hs.v, "ab");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wire_roundtrip_every_message),
		cmocka_unit_test(test_wire_split_every_boundary),
		cmocka_unit_test(test_wire_piece_zero_copy),
		cmocka_unit_test(test_wire_malformed_table),
		cmocka_unit_test(test_wire_bad_handshake),
		cmocka_unit_test(test_wire_unknown_id_ignored),
		cmocka_unit_test(test_wire_no_geometry),
		cmocka_unit_test(test_wire_cap_boundary),
		cmocka_unit_test(test_wire_ext_handshake),
		cmocka_unit_test(test_wire_ext_handshake_hostile),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
