/* Unit tests: HTML/JSON renderings of the catalog (tracker/catalog_view.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "tracker/catalog_view.h"

static void
test_catalog_view_html_escape(void **state)
{
	static const struct {
		const char	*in;
		const char	*out;
	} rows[] = {
		{ "plain", "plain" },
		{ "<script>", "&lt;script&gt;" },
		{ "a&b", "a&amp;b" },
		{ "\"q\" 'a'", "&quot;q&quot; &#39;a&#39;" },
		{ "&amp;", "&amp;amp;" },
		{ "caf\xc3\xa9", "caf\xc3\xa9" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct buf b;

		buf_init(&b, 1024);
		view_html_escape(&b, rows[i].in);
		assert_string_equal((char *)b.data, rows[i].out);
		buf_fini(&b);
	}
}

static void
test_catalog_view_url_and_magnet(void **state)
{
	struct catalog_entry e;
	struct buf b;

	(void)state;
	memset(&e, 0, sizeof(e));
	memset(e.info_hash, 0xab, 20);
	e.title = "x&y";
	e.tracker = "http://h:1/announce?a=1&b=2";
	buf_init(&b, 1024);
	view_magnet(&b, &e);
	assert_string_equal((char *)b.data, "magnet:?xt=urn:btih:"
	    "abababababababababababababababababababab&dn=x%26y"
	    "&tr=http%3A%2F%2Fh%3A1%2Fannounce%3Fa%3D1%26b%3D2");
	buf_fini(&b);
}

static void
test_catalog_view_index_hostile(void **state)
{
	struct catalog_entry e;
	struct swarm_counts c = { 3, 4, 5 };
	struct buf b;
	json_t *j;
	char *s;

	(void)state;
	memset(&e, 0, sizeof(e));
	strcpy(e.name, "safe_name");
	e.title = "<img src=x onerror=alert(1)>\"";
	e.size = 1536;
	e.nfiles = 2;
	buf_init(&b, 1 << 20);
	view_html_index(&b, &e, &c, 1);
	assert_int_equal(buf_error(&b), 0);
	assert_null(strstr((char *)b.data, "<img"));
	assert_non_null(strstr((char *)b.data,
	    "&lt;img src=x onerror=alert(1)&gt;&quot;"));
	assert_non_null(strstr((char *)b.data, "href=\"/t/safe_name.torrent\""));
	assert_non_null(strstr((char *)b.data, "1.5 KiB"));
	buf_fini(&b);
	s = view_json_list(&e, &c, 1);
	assert_non_null(s);
	j = json_loads(s, 0, NULL);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(
	    json_array_get(j, 0), "title")), e.title);
	assert_int_equal(json_integer_value(json_object_get(
	    json_array_get(j, 0), "seeders")), 3);
	assert_int_equal(json_integer_value(json_object_get(
	    json_array_get(j, 0), "leechers")), 4);
	json_decref(j);
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_catalog_view_html_escape),
		cmocka_unit_test(test_catalog_view_url_and_magnet),
		cmocka_unit_test(test_catalog_view_index_hostile),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
