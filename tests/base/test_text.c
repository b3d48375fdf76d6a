/* Unit tests for base/text: human sizes and URL escaping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "base/text.h"

static void
test_text_human(void **state)
{
	static const struct {
		double	bytes;
		const char *want;
	} cases[] = {
	    {0, "0 B"},
	    {1023, "1023 B"},
	    {1024, "1.0 KiB"},
	    {1536, "1.5 KiB"},
	    {1048576, "1.0 MiB"},
	    {1073741824.0 * 3.25, "3.2 GiB"},
	    {1099511627776.0, "1.0 TiB"},
	};
	char out[32];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_string_equal(text_human(out, sizeof(out),
		    cases[i].bytes), cases[i].want);
}

static void
test_text_url_escape(void **state)
{
	static const uint8_t bin[] = {0x00, 0x12, 0xab, 0xff, 'A', '~', ' ',
	    '%', '/', '&', '='};
	struct buf b;

	buf_init(&b, 1024);
	text_url_escape(&b, bin, sizeof(bin));
	assert_int_equal(buf_error(&b), 0);
	assert_string_equal((char *)b.data, "%00%12%AB%FFA~%20%25%2F%26%3D");
	buf_reset(&b);
	text_url_escape(&b, "a-b.c_d", 7);
	assert_string_equal((char *)b.data, "a-b.c_d");
	buf_reset(&b);
	text_url_escape(&b, "a b&c=d/\xc3\xa9~", 11);
	assert_string_equal((char *)b.data, "a%20b%26c%3Dd%2F%C3%A9~");
	buf_fini(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_text_human),
	    cmocka_unit_test(test_text_url_escape),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
