/* Unit tests for base/bencode: a table of malformed inputs, then behaviour. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/bencode.h"

struct bad_case {
	const char		*in;
	size_t			 len;	/* 0: strlen(in) */
	int			 rc;
	enum benc_errcode	 code;
};

#define S(x) x, sizeof(x) - 1

static const struct bad_case bad_cases[] = {
	{S(""), -EBADMSG, BENC_E_TRUNCATED},
	{S("i"), -EBADMSG, BENC_E_TRUNCATED},
	{S("i12"), -EBADMSG, BENC_E_TRUNCATED},
	{S("i-"), -EBADMSG, BENC_E_TRUNCATED},
	{S("ie"), -EBADMSG, BENC_E_INT_SYNTAX},
	{S("i-0e"), -EBADMSG, BENC_E_INT_SYNTAX},
	{S("i03e"), -EBADMSG, BENC_E_INT_SYNTAX},
	{S("i-03e"), -EBADMSG, BENC_E_INT_SYNTAX},
	{S("i00e"), -EBADMSG, BENC_E_INT_SYNTAX},
	{S("i+3e"), -EBADMSG, BENC_E_INT_SYNTAX},
	{S("i-e"), -EBADMSG, BENC_E_INT_SYNTAX},
	{S("i1.5e"), -EBADMSG, BENC_E_INT_SYNTAX},
	{S("i 1e"), -EBADMSG, BENC_E_INT_SYNTAX},
	{S("i9223372036854775808e"), -ERANGE, BENC_E_INT_RANGE},
	{S("i-9223372036854775809e"), -ERANGE, BENC_E_INT_RANGE},
	{S("i99999999999999999999999e"), -ERANGE, BENC_E_INT_RANGE},
	{S("3"), -EBADMSG, BENC_E_TRUNCATED},
	{S("3:ab"), -EBADMSG, BENC_E_TRUNCATED},
	{S("03:abc"), -EBADMSG, BENC_E_STRLEN_SYNTAX},
	{S("00:"), -EBADMSG, BENC_E_STRLEN_SYNTAX},
	{S("3xabc"), -EBADMSG, BENC_E_STRLEN_SYNTAX},
	{S("99999999999999999999999:a"), -E2BIG, BENC_E_STR_TOO_LONG},
	{S("l"), -EBADMSG, BENC_E_TRUNCATED},
	{S("li1e"), -EBADMSG, BENC_E_TRUNCATED},
	{S("d"), -EBADMSG, BENC_E_TRUNCATED},
	{S("d3:foo"), -EBADMSG, BENC_E_TRUNCATED},
	{S("d3:fooi1e"), -EBADMSG, BENC_E_TRUNCATED},
	{S("d3:fooe"), -EBADMSG, BENC_E_BAD_TYPE},
	{S("di1ei2ee"), -EBADMSG, BENC_E_KEY_NOT_STRING},
	{S("dlei2ee"), -EBADMSG, BENC_E_KEY_NOT_STRING},
	{S("d1:ai1e1:ai2ee"), -EBADMSG, BENC_E_DUP_KEY},
	{S("d1:bi1e1:ai2e1:bi3ee"), -EBADMSG, BENC_E_DUP_KEY},
	{S("i1ei2e"), -EBADMSG, BENC_E_TRAILING},
	{S("lee"), -EBADMSG, BENC_E_TRAILING},
	{S("de\n"), -EBADMSG, BENC_E_TRAILING},
	{S("x"), -EBADMSG, BENC_E_BAD_TYPE},
	{S("e"), -EBADMSG, BENC_E_BAD_TYPE},
	{S("lxe"), -EBADMSG, BENC_E_BAD_TYPE},
	{S("l-1e"), -EBADMSG, BENC_E_BAD_TYPE},
	{"i1\0e", 4, -EBADMSG, BENC_E_INT_SYNTAX},
};

static void
test_bencode_rejects_malformed(void **state)
{
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *c = &bad_cases[i];
		struct benc_doc doc;
		struct benc_error err;
		int rc = benc_decode(c->in, c->len, NULL, &doc, &err);

		if (rc != c->rc || err.code != c->code)
			fail_msg("case %zu \"%.*s\": rc %d code %s, want %d %s",
			    i, (int)c->len, c->in, rc, benc_strerror(err.code),
			    c->rc, benc_strerror(c->code));
		assert_null(doc.nodes);
	}
}

/* Every proper prefix of a valid document is a truncation. */
static void
test_bencode_every_prefix_truncated(void **state)
{
	static const char doc_s[] =
	    "d8:announce3:url4:infod6:lengthi12345e4:name3:abc"
	    "6:piecesl2:ab2:cdeee";
	size_t n = sizeof(doc_s) - 1;
	struct benc_doc doc;
	struct benc_error err;

	assert_int_equal(benc_decode(doc_s, n, NULL, &doc, &err), 0);
	benc_doc_fini(&doc);
	for (size_t len = 0; len < n; len++) {
		assert_int_equal(benc_decode(doc_s, len, NULL, &doc, &err),
		    -EBADMSG);
		assert_int_equal(err.code, BENC_E_TRUNCATED);
	}
}

static void
test_bencode_integers(void **state)
{
	static const struct {
		const char *in;
		int64_t v;
	} ok[] = {
	    {"i0e", 0}, {"i-1e", -1}, {"i42e", 42},
	    {"i9223372036854775807e", INT64_MAX},
	    {"i-9223372036854775808e", INT64_MIN},
	};

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		struct benc_doc doc;

		assert_int_equal(benc_decode(ok[i].in, strlen(ok[i].in), NULL,
		    &doc, NULL), 0);
		assert_int_equal(benc_root(&doc)->type, BENC_INT);
		assert_true(benc_root(&doc)->i == ok[i].v);
		benc_doc_fini(&doc);
	}
}

static void
test_bencode_raw_spans_and_lookup(void **state)
{
	static const char in[] = "d3:agei7e4:infod4:name2:hie5:zlistl0:i1eee";
	struct benc_doc doc;
	const struct benc_node *root, *info, *name, *list, *it;

	assert_int_equal(benc_decode(in, sizeof(in) - 1, NULL, &doc, NULL), 0);
	root = benc_root(&doc);
	assert_int_equal(root->type, BENC_DICT);
	assert_int_equal(root->count, 3);
	assert_int_equal(root->size, doc.n);
	info = benc_dict_get_type(root, "info", BENC_DICT);
	assert_non_null(info);
	assert_int_equal(info->len, strlen("d4:name2:hie"));
	assert_memory_equal(benc_raw(&doc, info), "d4:name2:hie", info->len);
	name = benc_dict_get(info, "name");
	assert_true(benc_str_eq(name, "hi"));
	assert_null(benc_dict_get(root, "missing"));
	assert_null(benc_dict_get_type(root, "age", BENC_STR));
	assert_int_equal(benc_dict_get(root, "age")->i, 7);
	list = benc_dict_get_type(root, "zlist", BENC_LIST);
	assert_int_equal(list->count, 2);
	it = benc_first(list);
	assert_int_equal(it->type, BENC_STR);
	assert_int_equal(it->slen, 0);
	it = benc_next(list, it);
	assert_int_equal(it->i, 1);
	assert_null(benc_next(list, it));
	assert_int_equal(doc.unsorted, 0);
	benc_doc_fini(&doc);
}

static char *
nested(unsigned depth, size_t *len)
{
	char *s = malloc(2 * depth + 1);

	memset(s, 'l', depth);
	memset(s + depth, 'e', depth);
	s[2 * depth] = '\0';
	*len = 2 * depth;
	return s;
}

/* 100 levels load; 101 are refused; a million do not blow the stack. */
static void
test_bencode_depth_limit(void **state)
{
	struct benc_doc doc;
	struct benc_error err;
	size_t len;
	char *s;

	s = nested(BENC_MAX_DEPTH, &len);
	assert_int_equal(benc_decode(s, len, NULL, &doc, &err), 0);
	benc_doc_fini(&doc);
	free(s);
	s = nested(BENC_MAX_DEPTH + 1, &len);
	assert_int_equal(benc_decode(s, len, NULL, &doc, &err), -E2BIG);
	assert_int_equal(err.code, BENC_E_TOO_DEEP);
	free(s);
	s = nested(1000000, &len);
	assert_int_equal(benc_decode(s, len, NULL, &doc, &err), -E2BIG);
	assert_int_equal(err.code, BENC_E_TOO_DEEP);
	free(s);
}

static void
test_bencode_caps(void **state)
{
	struct benc_limits lim = {.max_nodes = 4, .max_str = 5};
	struct benc_doc doc;
	struct benc_error err;

	assert_int_equal(benc_decode(S("li1ei2ei3ee"), &lim, &doc, &err), 0);
	benc_doc_fini(&doc);
	assert_int_equal(benc_decode(S("li1ei2ei3ei4ee"), &lim, &doc, &err),
	    -E2BIG);
	assert_int_equal(err.code, BENC_E_TOO_MANY);
	assert_int_equal(benc_decode(S("5:abcde"), &lim, &doc, &err), 0);
	benc_doc_fini(&doc);
	assert_int_equal(benc_decode(S("6:abcdef"), &lim, &doc, &err), -E2BIG);
	assert_int_equal(err.code, BENC_E_STR_TOO_LONG);
	lim.max_depth = 2;
	assert_int_equal(benc_decode(S("llli1eeee"), &lim, &doc, &err), -E2BIG);
	assert_int_equal(err.code, BENC_E_TOO_DEEP);
}

static void
test_bencode_unsorted_keys(void **state)
{
	struct benc_limits strict = {.flags = BENC_STRICT_ORDER};
	struct benc_doc doc;
	struct benc_error err;

	/* Accepted by default, counted, and looked up correctly. */
	assert_int_equal(benc_decode(S("d1:bi2e1:ai1ee"), NULL, &doc, &err), 0);
	assert_int_equal(doc.unsorted, 1);
	assert_int_equal(benc_dict_get(benc_root(&doc), "a")->i, 1);
	benc_doc_fini(&doc);
	assert_int_equal(benc_decode(S("d1:bi2e1:ai1ee"), &strict, &doc, &err),
	    -EBADMSG);
	assert_int_equal(err.code, BENC_E_UNSORTED);
	/* A shorter key sorts before a longer one with the same prefix. */
	assert_int_equal(benc_decode(S("d1:ai1e2:aai2ee"), &strict, &doc, &err),
	    0);
	benc_doc_fini(&doc);
}

static void
test_bencode_encoder_roundtrip(void **state)
{
	struct buf b;
	struct benc_doc doc;
	static const uint8_t bin[] = {0, 1, 'e', 0xff};

	buf_init(&b, 1 << 20);
	benc_put_dict(&b);
	benc_put_cstr(&b, "a");
	benc_put_int(&b, INT64_MIN);
	benc_put_cstr(&b, "b");
	benc_put_str(&b, bin, sizeof(bin));
	benc_put_cstr(&b, "c");
	benc_put_list(&b);
	benc_put_int(&b, 0);
	benc_put_end(&b);
	benc_put_end(&b);
	assert_int_equal(buf_error(&b), 0);
	assert_string_equal((char *)b.data,
	    "d1:ai-9223372036854775808e1:b4:\0");
	assert_int_equal(benc_decode(b.data, b.len, NULL, &doc, NULL), 0);
	assert_int_equal(benc_dict_get(benc_root(&doc), "b")->slen, 4);
	assert_memory_equal(benc_dict_get(benc_root(&doc), "b")->s, bin, 4);
	benc_doc_fini(&doc);
	buf_fini(&b);
}

static void
test_bencode_encoder_cap_is_sticky(void **state)
{
	struct buf b;

	buf_init(&b, 8);
	benc_put_cstr(&b, "abcdefghij");
	assert_int_equal(buf_error(&b), -EMSGSIZE);
	assert_int_equal(benc_put_int(&b, 1), -EMSGSIZE);
	buf_fini(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_bencode_rejects_malformed),
	    cmocka_unit_test(test_bencode_every_prefix_truncated),
	    cmocka_unit_test(test_bencode_integers),
	    cmocka_unit_test(test_bencode_raw_spans_and_lookup),
	    cmocka_unit_test(test_bencode_depth_limit),
	    cmocka_unit_test(test_bencode_caps),
	    cmocka_unit_test(test_bencode_unsorted_keys),
	    cmocka_unit_test(test_bencode_encoder_roundtrip),
	    cmocka_unit_test(test_bencode_encoder_cap_is_sticky),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
