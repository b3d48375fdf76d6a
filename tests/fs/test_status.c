/* Unit tests for fs/status: the JSON document and its printing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs/status.h"

static void
test_percent(void **state)
{
	(void)state;
	assert_true(fs_status_percent(0, 0) == 100.0);
	assert_true(fs_status_percent(0, 10) == 0.0);
	assert_true(fs_status_percent(5, 10) == 50.0);
	assert_true(fs_status_percent(11, 10) == 100.0);
}

static void
fill(struct metainfo *m, struct session_stats *st, struct fs_status_info *in)
{
	memset(m, 0, sizeof(*m));
	memset(st, 0, sizeof(*st));
	memset(in, 0, sizeof(*in));
	for (int i = 0; i < 20; i++)
		m->info_hash[i] = (uint8_t)(0xa0 + i);
	m->name = "Big \"Buck\" Bunny";
	m->piece_len = 262144;
	st->npieces = 40;
	st->have = 10;
	st->have_bytes = 2621440;
	st->total_bytes = 10485760;
	st->downloaded = 3000000;
	st->uploaded = 12345;
	st->rate_down = 1048576;
	st->peers = 3;
	st->seeds = 2;
	st->cache_used = 2621440;
	in->meta = m;
	in->stats = st;
	in->mountpoint = "/mnt/x";
	in->cache_dir = NULL;
	in->pid = 42;
	in->open_files = 2;
	in->parked_reads = 1;
}

static void
test_json(void **state)
{
	struct metainfo m;
	struct session_stats st;
	struct fs_status_info in;
	json_t *o;
	char *s;

	(void)state;
	fill(&m, &st, &in);
	s = fs_status_json(&in);
	assert_non_null(s);
	o = json_loads(s, 0, NULL);
	assert_non_null(o);
	assert_int_equal(json_integer_value(json_object_get(o, "version")),
	    FS_STATUS_VERSION);
	assert_string_equal(json_string_value(json_object_get(o, "name")),
	    "Big \"Buck\" Bunny");
	assert_string_equal(json_string_value(json_object_get(o,
	    "infohash")), "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3");
	assert_true(json_is_null(json_object_get(o, "cache_dir")));
	assert_true(json_number_value(json_object_get(o, "progress")) == 25.0);
	assert_int_equal(json_integer_value(json_object_get(o, "peers")), 3);
	assert_int_equal(json_integer_value(json_object_get(o,
	    "parked_reads")), 1);
	assert_true(json_is_false(json_object_get(o, "complete")));
	json_decref(o);

	/* It prints. */
	{
		char *out = NULL;
		size_t outlen = 0;
		FILE *f = open_memstream(&out, &outlen);

		assert_int_equal(fs_status_print(f, s, strlen(s)), 0);
		fclose(f);
		assert_non_null(strstr(out, "progress:   25.0% (2.5 MiB of "
		    "10.0 MiB, 10/40 pieces)"));
		assert_non_null(strstr(out, "peers:      3 (2 seeds)"));
		free(out);
	}
	free(s);
}

static void
test_print_malformed(void **state)
{
	static const char *const bad[] = {
		"", "[]", "{}", "{\"name\":\"x\"}", "not json",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		FILE *f = fopen("/dev/null", "w");

		assert_int_equal(fs_status_print(f, bad[i], strlen(bad[i])),
		    -EBADMSG);
		fclose(f);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_percent),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_print_malformed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
