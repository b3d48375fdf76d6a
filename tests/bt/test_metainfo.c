/*
 * Unit tests for bt/metainfo: a table of malformed and malicious torrents
 * with the exact error each must get, then loading, layouts, trackers,
 * pad files, hybrids and name sanitising.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/bencode.h"
#include "base/buf.h"
#include "base/sha.h"
#include "bt/metainfo.h"

#define S(x)	x, sizeof(x) - 1
#define H20	"AAAAAAAAAAAAAAAAAAAA"
#define PL	"12:piece lengthi16384e"
#define P1	"6:pieces20:" H20
/* A torrent with the root keys before/after "info" and an info body. */
#define TOR(pre, info, post)	"d" pre "4:infod" info "e" post "e"
/* A valid single-file info body of 100 bytes, and a multi-file one. */
#define SINGLE(extra)	"6:lengthi100e4:name1:a" PL P1 extra
#define MULTI(files)	"5:filesl" files "e4:name1:d" PL P1
#define F(len, path)	"d6:lengthi" #len "e4:pathl" path "ee"

struct bad_case {
	const char		*what;
	const char		*in;
	size_t			 len;
	int			 rc;
	enum meta_errcode	 code;
};

static const struct bad_case bad_cases[] = {
	{"empty input", S(""), -EBADMSG, META_E_BENCODE},
	{"trailing garbage", S(TOR("", SINGLE(""), "") "x"), -EBADMSG,
	    META_E_BENCODE},
	{"truncated", S("d4:infod6:lengthi100e"), -EBADMSG, META_E_BENCODE},
	{"int overflow", S(TOR("", SINGLE(""), "7:zzzzzzzi9223372036854775808e")),
	    -ERANGE, META_E_BENCODE},
	{"two info keys", S("d4:infod" SINGLE("") "e4:infod" SINGLE("") "ee"),
	    -EBADMSG, META_E_BENCODE},
	{"two length keys", S(TOR("", "6:lengthi100e" SINGLE(""), "")),
	    -EBADMSG, META_E_BENCODE},
	{"root is an integer", S("i1e"), -EBADMSG, META_E_NOT_DICT},
	{"root is a list", S("l4:infoe"), -EBADMSG, META_E_NOT_DICT},
	{"no info", S("d8:announce3:urle"), -EBADMSG, META_E_NO_INFO},
	{"info is a string", S("d4:info3:abce"), -EBADMSG, META_E_NO_INFO},
	{"info is a list", S("d4:infolee"), -EBADMSG, META_E_NO_INFO},
	{"v2 only", S(TOR("", "9:file treede12:meta versioni2e4:name1:a" PL,
	    "")), -ENOTSUP, META_E_V2_ONLY},
	{"no name", S(TOR("", "6:lengthi100e" PL P1, "")), -EBADMSG,
	    META_E_NAME},
	{"name is an int", S(TOR("", "6:lengthi100e4:namei1e" PL P1, "")),
	    -EBADMSG, META_E_NAME},
	{"empty name", S(TOR("", "6:lengthi100e4:name0:" PL P1, "")),
	    -EBADMSG, META_E_NAME},
	{"name .", S(TOR("", "6:lengthi100e4:name1:." PL P1, "")), -EBADMSG,
	    META_E_NAME},
	{"name ..", S(TOR("", "6:lengthi100e4:name2:.." PL P1, "")),
	    -EBADMSG, META_E_NAME},
	{"no piece length", S(TOR("", "6:lengthi100e4:name1:a" P1, "")),
	    -EBADMSG, META_E_PIECE_LEN},
	{"piece length string", S(TOR("",
	    "6:lengthi100e4:name1:a12:piece length2:16" P1, "")), -EBADMSG,
	    META_E_PIECE_LEN},
	{"piece length 0", S(TOR("",
	    "6:lengthi100e4:name1:a12:piece lengthi0e" P1, "")), -EBADMSG,
	    META_E_PIECE_LEN},
	{"piece length negative", S(TOR("",
	    "6:lengthi100e4:name1:a12:piece lengthi-16384e" P1, "")),
	    -EBADMSG, META_E_PIECE_LEN},
	{"piece length 8 KiB", S(TOR("",
	    "6:lengthi100e4:name1:a12:piece lengthi8192e" P1, "")), -EBADMSG,
	    META_E_PIECE_LEN},
	{"piece length not 16 KiB multiple", S(TOR("",
	    "6:lengthi100e4:name1:a12:piece lengthi16385e" P1, "")),
	    -EBADMSG, META_E_PIECE_LEN},
	{"piece length 256 MiB", S(TOR("",
	    "6:lengthi100e4:name1:a12:piece lengthi268435456e" P1, "")),
	    -E2BIG, META_E_PIECE_LEN},
	{"no pieces", S(TOR("", "6:lengthi100e4:name1:a" PL, "")), -EBADMSG,
	    META_E_PIECES},
	{"pieces 19 bytes", S(TOR("", "6:lengthi100e4:name1:a" PL
	    "6:pieces19:AAAAAAAAAAAAAAAAAAA", "")), -EBADMSG, META_E_PIECES},
	{"pieces an int", S(TOR("", "6:lengthi100e4:name1:a" PL "6:piecesi1e",
	    "")), -EBADMSG, META_E_PIECES},
	{"two hashes for one piece", S(TOR("", "6:lengthi100e4:name1:a" PL
	    "6:pieces40:" H20 H20, "")), -EBADMSG, META_E_PIECE_COUNT},
	{"no hash for one piece", S(TOR("", "6:lengthi100e4:name1:a" PL
	    "6:pieces0:", "")), -EBADMSG, META_E_PIECE_COUNT},
	{"one hash for two pieces", S(TOR("", "6:lengthi16385e4:name1:a" PL
	    P1, "")), -EBADMSG, META_E_PIECE_COUNT},
	{"negative length", S(TOR("", "6:lengthi-1e4:name1:a" PL P1, "")),
	    -EBADMSG, META_E_LENGTH},
	{"length a string", S(TOR("", "6:length3:1004:name1:a" PL P1, "")),
	    -EBADMSG, META_E_LENGTH},
	{"no data at all", S(TOR("", "6:lengthi0e4:name1:a" PL "6:pieces0:",
	    "")), -EBADMSG, META_E_LENGTH},
	{"huge length, few pieces", S(TOR("",
	    "6:lengthi9223372036854775807e4:name1:a" PL P1, "")), -EBADMSG,
	    META_E_PIECE_COUNT},
	{"length and files", S(TOR("", "5:filesl" F(1, "1:a") "e" SINGLE(""),
	    "")), -EBADMSG, META_E_BOTH_LAYOUTS},
	{"neither length nor files", S(TOR("", "4:name1:a" PL P1, "")),
	    -EBADMSG, META_E_BOTH_LAYOUTS},
	{"files an int", S(TOR("", "5:filesi1e4:name1:d" PL P1, "")),
	    -EBADMSG, META_E_FILES},
	{"files empty", S(TOR("", MULTI(""), "")), -EBADMSG, META_E_FILES},
	{"file not a dict", S(TOR("", MULTI("i1e"), "")), -EBADMSG,
	    META_E_FILES},
	{"file without length", S(TOR("", MULTI("d4:pathl1:aee"), "")),
	    -EBADMSG, META_E_LENGTH},
	{"file negative length", S(TOR("", MULTI(F(-5, "1:a")), "")),
	    -EBADMSG, META_E_LENGTH},
	{"file sizes overflow", S(TOR("", MULTI(F(9223372036854775807, "1:a")
	    F(1, "1:b")), "")), -ERANGE, META_E_LENGTH},
	{"file without path", S(TOR("", MULTI("d6:lengthi1ee"), "")),
	    -EBADMSG, META_E_PATH},
	{"path a string", S(TOR("", MULTI("d6:lengthi1e4:path1:ae"), "")),
	    -EBADMSG, META_E_PATH},
	{"path with an int", S(TOR("", MULTI(F(1, "1:ai1e")), "")), -EBADMSG,
	    META_E_PATH},
	{"path empty", S(TOR("", MULTI(F(1, "")), "")), -EBADMSG,
	    META_E_PATH},
	{"path only dots", S(TOR("", MULTI(F(1, "2:..1:.0:")), "")),
	    -EBADMSG, META_E_PATH},
	{"same path twice", S(TOR("", MULTI(F(1, "1:a") F(1, "1:a")), "")),
	    -EBADMSG, META_E_DUP_PATH},
	{"same after sanitising /", S(TOR("", MULTI(F(1, "3:a/b")
	    F(1, "3:a_b")), "")), -EBADMSG, META_E_DUP_PATH},
	{"same after dropping ..", S(TOR("", MULTI(F(1, "2:..1:a")
	    F(1, "1:a")), "")), -EBADMSG, META_E_DUP_PATH},
	{"same after invalid UTF-8", S(TOR("", MULTI(F(1, "1:\xff")
	    F(1, "1:_")), "")), -EBADMSG, META_E_DUP_PATH},
	{"file is also a folder", S(TOR("", MULTI(F(1, "1:a")
	    F(1, "1:a1:b")), "")), -EBADMSG, META_E_DUP_PATH},
	{"folder before file, other between", S(TOR("", MULTI(
	    F(1, "1:a1:b1:c") F(1, "3:a-b") F(1, "1:a1:b")), "")), -EBADMSG,
	    META_E_DUP_PATH},
	{"announce-list a string", S(TOR("13:announce-list3:url",
	    SINGLE(""), "")), -EBADMSG, META_E_TRACKERS},
	{"tier a string", S(TOR("13:announce-listl3:urle", SINGLE(""), "")),
	    -EBADMSG, META_E_TRACKERS},
	{"tracker URL an int", S(TOR("13:announce-listlli1eee", SINGLE(""),
	    "")), -EBADMSG, META_E_TRACKERS},
	{"announce an int", S(TOR("8:announcei1e", SINGLE(""), "")),
	    -EBADMSG, META_E_TRACKERS},
	{"url-list an int", S(TOR("", SINGLE(""), "8:url-listi1e")),
	    -EBADMSG, META_E_WEB_SEEDS},
	{"url-list with a dict", S(TOR("", SINGLE(""), "8:url-listldee")),
	    -EBADMSG, META_E_WEB_SEEDS},
};

static void
test_metainfo_rejects_malformed(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *c = &bad_cases[i];
		struct metainfo *m = NULL;
		struct meta_error err;
		int rc = meta_parse(c->in, c->len, &m, &err);

		if (rc != c->rc || err.code != c->code)
			fail_msg("case %zu (%s): rc %d %s (%s), want %d %s", i,
			    c->what, rc, meta_strerror(err.code), err.msg,
			    c->rc, meta_strerror(c->code));
		assert_null(m);
		assert_true(err.msg[0] != '\0');
	}
	assert_true(sizeof(bad_cases) / sizeof(bad_cases[0]) >= 30);
}

/* Parse a torrent built in b, expecting rc and code. */
static void
expect_buf(struct buf *b, int want_rc, enum meta_errcode want)
{
	struct metainfo *m = NULL;
	struct meta_error err;
	int rc;

	assert_int_equal(buf_error(b), 0);
	rc = meta_parse(b->data, b->len, &m, &err);
	if (rc != want_rc || err.code != want)
		fail_msg("rc %d %s (%s), want %d %s", rc,
		    meta_strerror(err.code), err.msg, want_rc,
		    meta_strerror(want));
	meta_free(m);
}

/* Root with an announce-list of ntiers tiers of nurls each. */
static void
build_tiers(struct buf *b, unsigned ntiers, unsigned nurls)
{
	buf_reset(b);
	benc_put_dict(b);
	benc_put_cstr(b, "announce-list");
	benc_put_list(b);
	for (unsigned t = 0; t < ntiers; t++) {
		benc_put_list(b);
		for (unsigned u = 0; u < nurls; u++) {
			char url[64];

			snprintf(url, sizeof(url), "http://127.0.1.1:%u/a",
			    t * 1000 + u);
			benc_put_cstr(b, url);
		}
		benc_put_end(b);
	}
	benc_put_end(b);
	buf_puts(b, "4:infod" SINGLE("") "e");
}

static void
test_metainfo_rejects_over_caps(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 64 << 20);
	build_tiers(&b, META_MAX_TIERS, 1);
	benc_put_end(&b);
	expect_buf(&b, 0, META_OK);
	build_tiers(&b, META_MAX_TIERS + 1, 1);
	benc_put_end(&b);
	expect_buf(&b, -E2BIG, META_E_TRACKERS);
	build_tiers(&b, 1, META_MAX_URLS + 1);
	benc_put_end(&b);
	expect_buf(&b, -E2BIG, META_E_TRACKERS);

	/* url-list above the cap. */
	buf_reset(&b);
	buf_puts(&b, "d4:infod" SINGLE("") "e8:url-listl");
	for (unsigned i = 0; i <= META_MAX_URLS; i++)
		benc_put_cstr(&b, "http://127.0.1.1/ws");
	buf_puts(&b, "ee");
	expect_buf(&b, -E2BIG, META_E_WEB_SEEDS);

	/* A path one component deeper than the cap, then at the cap. */
	for (unsigned depth = META_MAX_PATH_DEPTH + 1;
	    depth >= META_MAX_PATH_DEPTH; depth--) {
		buf_reset(&b);
		buf_puts(&b, "d4:infod5:filesld6:lengthi1e4:pathl");
		for (unsigned i = 0; i < depth; i++)
			benc_put_cstr(&b, "d");
		buf_puts(&b, "eee4:name1:d" PL P1 "ee");
		if (depth > META_MAX_PATH_DEPTH)
			expect_buf(&b, -E2BIG, META_E_PATH_DEPTH);
		else
			expect_buf(&b, 0, META_OK);
	}

	/* A buffer above the .torrent cap is refused before decoding. */
	buf_reset(&b);
	assert_non_null(buf_reserve(&b, META_MAX_TORRENT_SIZE + 1));
	memset(b.data, 'd', META_MAX_TORRENT_SIZE + 1);
	b.len = META_MAX_TORRENT_SIZE + 1;
	expect_buf(&b, -E2BIG, META_E_TOO_BIG);
	buf_fini(&b);
}

static struct metainfo *
parse_ok(const char *in, size_t len)
{
	struct metainfo *m = NULL;
	struct meta_error err;
	int rc = meta_parse(in, len, &m, &err);

	if (rc != 0)
		fail_msg("rc %d %s (%s)", rc, meta_strerror(err.code),
		    err.msg);
	assert_non_null(m);
	return m;
}

static void
test_metainfo_single_file(void **state)
{
	static const char t[] = TOR("7:comment2:hi10:created by4:test"
	    "13:creation datei1700000000e", "6:lengthi20000e4:name5:a.bin"
	    PL "6:pieces40:" H20 "BBBBBBBBBBBBBBBBBBBB", "");
	const char *info = strstr(t, "4:infod") + 6;
	uint8_t h[20];
	struct metainfo *m = parse_ok(S(t));

	(void)state;
	sha1(info, sizeof(t) - 1 - (size_t)(info - t) - 1, h);
	assert_memory_equal(m->info_hash, h, 20);
	assert_false(m->has_v2);
	assert_string_equal(m->name, "a.bin");
	assert_false(m->multi);
	assert_int_equal(m->piece_len, 16384);
	assert_int_equal(m->npieces, 2);
	assert_int_equal(m->total, 20000);
	assert_int_equal(m->nfiles, 1);
	assert_string_equal(m->files[0].path, "a.bin");
	assert_int_equal(m->files[0].size, 20000);
	assert_memory_equal(meta_piece_hash(m, 1), "BBBBBBBBBBBBBBBBBBBB", 20);
	assert_int_equal(meta_piece_size(m, 0), 16384);
	assert_int_equal(meta_piece_size(m, 1), 20000 - 16384);
	assert_int_equal(meta_piece_size(m, 2), 0);
	assert_int_equal(meta_file_at(m, 0), 0);
	assert_int_equal(meta_file_at(m, 19999), 0);
	assert_int_equal(meta_file_at(m, 20000), 1);
	assert_string_equal(m->comment, "hi");
	assert_string_equal(m->created_by, "test");
	assert_int_equal(m->creation_date, 1700000000);
	assert_int_equal(m->ntiers, 0);
	assert_int_equal(m->nweb_seeds, 0);
	assert_false(m->is_private);
	assert_int_equal(m->info_len, sizeof(t) - 1 - (size_t)(info - t) - 1);
	assert_memory_equal(m->info_raw, info, m->info_len);
	meta_free(m);
	/* err may be NULL, on success and on failure; out is left alone. */
	m = NULL;
	assert_int_equal(meta_parse(t, sizeof(t) - 1, &m, NULL), 0);
	meta_free(m);
	m = NULL;
	assert_int_equal(meta_parse(t, sizeof(t) - 2, &m, NULL), -EBADMSG);
	assert_null(m);
}

static void
test_metainfo_multi_file(void **state)
{
	/* 0: a (10), 1: empty, 2: sub/b (16374), 3: sub/c (1), 4: z empty */
	static const char t[] = TOR("", "5:filesl" F(10, "1:a") F(0, "5:empty")
	    F(16374, "3:sub1:b") F(1, "3:sub1:c") F(0, "1:z") "e4:name4:top/"
	    PL "6:pieces40:" H20 H20, "");
	struct metainfo *m = parse_ok(S(t));

	(void)state;
	assert_true(m->multi);
	assert_string_equal(m->name, "top_");
	assert_int_equal(m->nfiles, 5);
	assert_int_equal(m->total, 16385);
	assert_int_equal(m->npieces, 2);
	assert_int_equal(meta_piece_size(m, 1), 1);
	assert_string_equal(m->files[2].path, "sub/b");
	assert_int_equal(m->files[2].offset, 10);
	assert_int_equal(m->files[3].offset, 16384);
	assert_int_equal(m->files[4].offset, 16385);
	assert_int_equal(meta_file_at(m, 0), 0);
	assert_int_equal(meta_file_at(m, 9), 0);
	assert_int_equal(meta_file_at(m, 10), 2);	/* not the empty one */
	assert_int_equal(meta_file_at(m, 16383), 2);
	assert_int_equal(meta_file_at(m, 16384), 3);
	assert_int_equal(meta_file_at(m, 16385), 5);	/* past the end */
	meta_free(m);
}

static void
test_metainfo_file_at_many(void **state)
{
	struct buf b;
	struct metainfo *m;
	uint64_t off = 0;

	(void)state;
	buf_init(&b, 1 << 20);
	buf_puts(&b, "d4:infod5:filesl");
	for (unsigned i = 0; i < 1000; i++) {
		char name[16];

		snprintf(name, sizeof(name), "f%04u", i);
		buf_puts(&b, "d6:length");
		benc_put_int(&b, i % 3 == 0 ? 0 : (int64_t)i);
		buf_puts(&b, "4:pathl");
		benc_put_cstr(&b, name);
		buf_puts(&b, "ee");
		off += i % 3 == 0 ? 0 : i;
	}
	/* off = 332,667 bytes: 21 pieces of 16 KiB. */
	buf_puts(&b, "e4:name1:d" PL "6:pieces420:");
	for (unsigned i = 0; i < 21; i++)
		buf_puts(&b, H20);
	buf_puts(&b, "ee");
	assert_int_equal(buf_error(&b), 0);
	m = parse_ok((const char *)b.data, b.len);
	assert_int_equal(m->total, off);
	for (uint64_t o = 0; o < m->total; o += 97) {
		uint32_t i = meta_file_at(m, o);

		assert_true(i < m->nfiles);
		assert_true(m->files[i].offset <= o);
		assert_true(o < m->files[i].offset + m->files[i].size);
	}
	assert_int_equal(meta_file_at(m, m->total - 1), 998);
	meta_free(m);
	buf_fini(&b);
}

static void
test_metainfo_trackers(void **state)
{
	/* Duplicates across tiers dropped, empty tiers and bad URLs skipped,
	 * announce ignored when announce-list has URLs. */
	static const char t[] = TOR("8:announce5:http:"
	    "13:announce-listll8:http://ael8:http://b8:http://a0:e"
	    "l11:http://a b\x00" "el8:http://cee", SINGLE(""), "");
	static const char only_announce[] = TOR("8:announce8:http://x"
	    "13:announce-listllel0:ee", SINGLE(""), "");
	static const char dup_in_tier[] = TOR("8:announce8:http://x",
	    SINGLE(""), "");
	struct metainfo *m = parse_ok(S(t));

	(void)state;
	assert_int_equal(m->ntiers, 3);
	assert_int_equal(m->tiers[0].nurls, 1);
	assert_string_equal(m->tiers[0].urls[0], "http://a");
	assert_int_equal(m->tiers[1].nurls, 1);
	assert_string_equal(m->tiers[1].urls[0], "http://b");
	assert_int_equal(m->tiers[2].nurls, 1);
	assert_string_equal(m->tiers[2].urls[0], "http://c");
	meta_free(m);
	m = parse_ok(S(only_announce));
	assert_int_equal(m->ntiers, 1);
	assert_int_equal(m->tiers[0].nurls, 1);
	assert_string_equal(m->tiers[0].urls[0], "http://x");
	meta_free(m);
	m = parse_ok(S(dup_in_tier));
	assert_int_equal(m->ntiers, 1);
	assert_string_equal(m->tiers[0].urls[0], "http://x");
	meta_free(m);
}

static void
test_metainfo_private_and_web_seeds(void **state)
{
	static const char priv[] = TOR("", SINGLE("7:privatei1e"),
	    "8:url-list9:http://ws");
	static const char pub[] = TOR("", SINGLE("7:privatei0e"),
	    "8:url-listl9:http://ws9:http://ws0:10:http://ws2e");
	struct metainfo *m = parse_ok(S(priv));

	(void)state;
	assert_true(m->is_private);
	assert_int_equal(m->nweb_seeds, 1);
	assert_string_equal(m->web_seeds[0], "http://ws");
	meta_free(m);
	m = parse_ok(S(pub));
	assert_false(m->is_private);
	assert_int_equal(m->nweb_seeds, 2);
	assert_string_equal(m->web_seeds[0], "http://ws");
	assert_string_equal(m->web_seeds[1], "http://ws2");
	meta_free(m);
}

static void
test_metainfo_pad_files(void **state)
{
	/* BEP 47 pads (attr p), an old-style ".pad/N" pad, and the same pad
	 * path twice: pads stay in files[] and are not checked for dups. */
	static const char t[] = TOR("", "5:filesl"
	    "d4:attr1:x6:lengthi100e4:pathl1:aee"
	    "d4:attr1:p6:lengthi16284e4:pathl4:.pad5:16284ee"
	    "d4:attr2:hx6:lengthi100e4:pathl1:bee"
	    "d6:lengthi16284e4:pathl4:.pad5:16284ee"
	    "d4:attr1:z6:lengthi1e4:pathl4:.padee"
	    "e4:name1:d" PL "6:pieces60:" H20 H20 H20, "");
	struct metainfo *m = parse_ok(S(t));

	(void)state;
	assert_int_equal(m->nfiles, 5);
	assert_int_equal(m->total, 32769);
	assert_int_equal(m->files[0].attr, META_ATTR_EXEC);
	assert_int_equal(m->files[1].attr, META_ATTR_PAD);
	assert_string_equal(m->files[1].path, ".pad/16284");
	assert_int_equal(m->files[2].attr, META_ATTR_HIDDEN | META_ATTR_EXEC);
	assert_int_equal(m->files[2].offset, 16384);
	assert_int_equal(m->files[3].attr, META_ATTR_PAD);
	/* A plain file named ".pad" is not a pad. */
	assert_int_equal(m->files[4].attr, 0);
	assert_int_equal(m->files[4].offset, 32768);
	meta_free(m);
}

static void
test_metainfo_hybrid_and_v2(void **state)
{
	static const char t[] = TOR("", "9:file treed1:ad0:d6:lengthi100e"
	    "11:pieces root32:" H20 "BBBBBBBBBBBBeee6:lengthi100e"
	    "12:meta versioni2e4:name1:a" PL P1, "");
	const char *info = strstr(t, "4:infod") + 6;
	size_t ilen = sizeof(t) - 1 - (size_t)(info - t) - 1;
	uint8_t h1[20], h2[32];
	struct metainfo *m = parse_ok(S(t));

	(void)state;
	sha1(info, ilen, h1);
	sha256(info, ilen, h2);
	assert_true(m->has_v2);
	assert_memory_equal(m->info_hash, h1, 20);
	assert_memory_equal(m->info_hash_v2, h2, 32);
	meta_free(m);
}

static void
test_metainfo_accepts_wild_forms(void **state)
{
	/* 48 KiB pieces: a multiple of 16 KiB, not a power of two. */
	static const char np2[] = TOR("", "6:lengthi49153e4:name1:a"
	    "12:piece lengthi49152e6:pieces40:" H20 H20, "");
	/* Keys out of order (bencode accepts them); hash over raw bytes. */
	static const char unsorted[] = TOR("", "4:name1:a6:lengthi100e" PL P1,
	    "");
	/* 128 MiB pieces: the upper bound. */
	static const char big[] = TOR("", "6:lengthi100e4:name1:a"
	    "12:piece lengthi134217728e" P1, "");
	const char *info = strstr(unsorted, "4:infod") + 6;
	uint8_t h[20];
	struct metainfo *m = parse_ok(S(np2));

	(void)state;
	assert_int_equal(m->piece_len, 49152);
	assert_int_equal(meta_piece_size(m, 1), 1);
	meta_free(m);
	m = parse_ok(S(unsorted));
	sha1(info, sizeof(unsorted) - 1 - (size_t)(info - unsorted) - 1, h);
	assert_memory_equal(m->info_hash, h, 20);
	meta_free(m);
	m = parse_ok(S(big));
	assert_int_equal(m->piece_len, 134217728);
	meta_free(m);
}

static void
test_metainfo_utf8_variants(void **state)
{
	/* name.utf-8 and path.utf-8 win when valid; an invalid path.utf-8
	 * falls back to path. */
	static const char t[] = TOR("7:comment3:a\x00\xff", "5:filesl"
	    "d6:lengthi1e4:pathl3:\xe9t\xe9" "e10:path.utf-8l5:\xc3\xa9t"
	    "\xc3\xa9" "ee"
	    "d6:lengthi1e4:pathl1:be10:path.utf-8l1:\xff" "ee"
	    "e4:name1:\xe9" "10:name.utf-8l2:\xc3\xa9" "e" PL P1, "");
	static const char t2[] = TOR("", "6:lengthi100e4:name1:\xe9"
	    "10:name.utf-82:\xc3\xa9" PL P1, "");
	struct metainfo *m = parse_ok(S(t));

	(void)state;
	/* name.utf-8 is a list here: ignored, "name" is sanitised. */
	assert_string_equal(m->name, "_");
	assert_string_equal(m->files[0].path, "\xc3\xa9t\xc3\xa9");
	assert_string_equal(m->files[1].path, "b");
	assert_memory_equal(m->comment, "a__", 4);
	meta_free(m);
	m = parse_ok(S(t2));
	assert_string_equal(m->name, "\xc3\xa9");
	assert_string_equal(m->files[0].path, "\xc3\xa9");
	meta_free(m);
}

static void
test_metainfo_hostile_paths(void **state)
{
	static const char t[] = TOR("", "5:filesl"
	    F(1, "2:..2:..3:etc6:passwd")
	    F(1, "11:/etc/shadow")
	    F(1, "0:1:.3:sub3:a\\b")
	    F(1, "3:nul3:a\x00" "b")
	    F(1, "5:\x1b[31m")
	    F(1, "3:..." )
	    "e4:name12:../../escape" PL P1, "");
	struct metainfo *m = parse_ok(S(t));

	(void)state;
	assert_string_equal(m->name, ".._.._escape");
	assert_string_equal(m->files[0].path, "etc/passwd");
	assert_string_equal(m->files[1].path, "_etc_shadow");
	assert_string_equal(m->files[2].path, "sub/a_b");
	assert_string_equal(m->files[3].path, "nul/a_b");
	assert_string_equal(m->files[4].path, "_[31m");
	assert_string_equal(m->files[5].path, "...");
	meta_free(m);
}

struct san_case {
	const char	*in;
	size_t		 len;
	const char	*out;	/* NULL: -EINVAL */
};

static void
test_metainfo_sanitise_component(void **state)
{
	static const struct san_case cases[] = {
		{S(""), NULL},
		{S("."), NULL},
		{S(".."), NULL},
		{S("..."), "..."},
		{S(".hidden"), ".hidden"},
		{S("a/b"), "a_b"},
		{S("/"), "_"},
		{S("a\\b"), "a_b"},
		{"a\0b", 3, "a_b"},
		{S("\t\n\x7f"), "___"},
		{S("\xff"), "_"},
		{S("\xc3\xa9t\xc3\xa9"), "\xc3\xa9t\xc3\xa9"},
		{S("\xc3"), "_"},			/* truncated */
		{S("\xc0\xaf"), "__"},			/* overlong '/' */
		{S("\xe0\x80\xaf"), "___"},		/* overlong */
		{S("\xed\xa0\x80"), "___"},		/* surrogate */
		{S("\xf4\x90\x80\x80"), "____"},	/* > U+10FFFF */
		{S("\xf0\x9f\x98\x80"), "\xf0\x9f\x98\x80"},
		{S("\x80" "a"), "_a"},
	};
	char out[META_MAX_NAME + 1];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = meta_sanitise_component((const uint8_t *)cases[i].in,
		    cases[i].len, out);

		if (!cases[i].out) {
			if (rc != -EINVAL)
				fail_msg("case %zu: rc %d", i, rc);
			continue;
		}
		if (rc != 0 || strcmp(out, cases[i].out) != 0)
			fail_msg("case %zu: rc %d \"%s\", want \"%s\"", i, rc,
			    out, cases[i].out);
	}
}

static void
test_metainfo_sanitise_long_names(void **state)
{
	uint8_t in[700];
	char out[META_MAX_NAME + 1], want[META_MAX_NAME + 1];

	(void)state;
	/* 300 ASCII bytes: cut to 255. */
	memset(in, 'a', 300);
	assert_int_equal(meta_sanitise_component(in, 300, out), 0);
	assert_int_equal(strlen(out), META_MAX_NAME);
	/* Exactly 255: unchanged. */
	assert_int_equal(meta_sanitise_component(in, 255, out), 0);
	assert_int_equal(strlen(out), 255);
	/* 296 + ".mkv": the extension is kept. */
	memcpy(in + 296, ".mkv", 4);
	assert_int_equal(meta_sanitise_component(in, 300, out), 0);
	memset(want, 'a', 251);
	memcpy(want + 251, ".mkv", 5);
	assert_string_equal(out, want);
	/* An "extension" longer than META_MAX_EXT is not kept. */
	memset(in, 'a', 300);
	in[200] = '.';
	assert_int_equal(meta_sanitise_component(in, 300, out), 0);
	assert_int_equal(strlen(out), 255);
	assert_memory_equal(out, in, 255);
	/* 200 x U+00E9 (400 bytes): cut on a character boundary. */
	for (int i = 0; i < 200; i++)
		memcpy(in + 2 * i, "\xc3\xa9", 2);
	assert_int_equal(meta_sanitise_component(in, 400, out), 0);
	assert_int_equal(strlen(out), 254);
	/* Same with an extension: 4-byte characters before ".txt". */
	for (int i = 0; i < 100; i++)
		memcpy(in + 4 * i, "\xf0\x9f\x98\x80", 4);
	memcpy(in + 400, ".txt", 4);
	assert_int_equal(meta_sanitise_component(in, 404, out), 0);
	assert_int_equal(strlen(out), 248 + 4);
	assert_string_equal(out + 248, ".txt");
}

static void
test_metainfo_long_names_in_torrent(void **state)
{
	struct buf b;
	struct metainfo *m;
	char name[301];

	(void)state;
	memset(name, 'n', 300);
	name[300] = '\0';
	buf_init(&b, 1 << 20);
	buf_puts(&b, "d4:infod5:filesld6:lengthi1e4:pathl");
	benc_put_cstr(&b, name);
	buf_puts(&b, "eed6:lengthi1e4:pathl");
	/* Same first 255 bytes: a duplicate once cut. */
	name[299] = 'x';
	benc_put_cstr(&b, name);
	buf_puts(&b, "eee4:name");
	benc_put_cstr(&b, name);
	buf_puts(&b, PL P1 "ee");
	expect_buf(&b, -EBADMSG, META_E_DUP_PATH);
	buf_reset(&b);
	buf_puts(&b, "d4:infod6:lengthi1e4:name");
	benc_put_cstr(&b, name);
	buf_puts(&b, PL P1 "ee");
	m = parse_ok((const char *)b.data, b.len);
	assert_int_equal(strlen(m->name), 255);
	assert_string_equal(m->files[0].path, m->name);
	meta_free(m);
	buf_fini(&b);
}

static void
test_metainfo_load_file(void **state)
{
	static const char t[] = TOR("", SINGLE(""), "");
	char dir[] = "/tmp/test_metainfo.XXXXXX", path[64], fifo[64];
	struct metainfo *m = NULL;
	struct meta_error err;
	int fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/t.torrent", dir);
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);

	assert_int_equal(meta_load_file(path, &m, &err), -ENOENT);
	assert_int_equal(err.code, META_E_IO);
	assert_int_equal(meta_load_file(dir, &m, &err), -EINVAL);
	assert_int_equal(err.code, META_E_NOT_REGULAR);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	/* Must not block on open. */
	assert_int_equal(meta_load_file(fifo, &m, &err), -EINVAL);
	assert_int_equal(err.code, META_E_NOT_REGULAR);
	assert_int_equal(meta_load_file("/dev/null", &m, &err), -EINVAL);
	assert_int_equal(err.code, META_E_NOT_REGULAR);

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, t, sizeof(t) - 1), (ssize_t)sizeof(t) - 1);
	assert_int_equal(meta_load_file(path, &m, &err), 0);
	assert_string_equal(m->name, "a");
	meta_free(m);
	m = NULL;
	/* Sparse, just above the cap: refused without reading it. */
	assert_int_equal(ftruncate(fd, META_MAX_TORRENT_SIZE + 1), 0);
	assert_int_equal(meta_load_file(path, &m, &err), -E2BIG);
	assert_int_equal(err.code, META_E_TOO_BIG);
	assert_null(m);
	close(fd);
	unlink(path);
	unlink(fifo);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_metainfo_rejects_malformed),
		cmocka_unit_test(test_metainfo_rejects_over_caps),
		cmocka_unit_test(test_metainfo_single_file),
		cmocka_unit_test(test_metainfo_multi_file),
		cmocka_unit_test(test_metainfo_file_at_many),
		cmocka_unit_test(test_metainfo_trackers),
		cmocka_unit_test(test_metainfo_private_and_web_seeds),
		cmocka_unit_test(test_metainfo_pad_files),
		cmocka_unit_test(test_metainfo_hybrid_and_v2),
		cmocka_unit_test(test_metainfo_accepts_wild_forms),
		cmocka_unit_test(test_metainfo_utf8_variants),
		cmocka_unit_test(test_metainfo_hostile_paths),
		cmocka_unit_test(test_metainfo_sanitise_component),
		cmocka_unit_test(test_metainfo_sanitise_long_names),
		cmocka_unit_test(test_metainfo_long_names_in_torrent),
		cmocka_unit_test(test_metainfo_load_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
