/* Unit tests for base/text: human sizes, URL escaping, UTF-8, display. */
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

static void
test_text_utf8(void **state)
{
	static const struct {
		const char *s;
		size_t	len;	/* text_utf8_len of the first sequence */
	} cases[] = {
	    {"a", 1},
	    {"\xc3\xa9", 2},		/* e acute */
	    {"\xe2\x82\xac", 3},	/* euro sign */
	    {"\xf0\x9f\x98\x80", 4},	/* U+1F600 */
	    {"\xc0\xaf", 0},		/* overlong '/' */
	    {"\xc1\xbf", 0},		/* overlong */
	    {"\xe0\x80\xaf", 0},	/* overlong, 3 bytes */
	    {"\xf0\x80\x80\xaf", 0},	/* overlong, 4 bytes */
	    {"\xed\xa0\x80", 0},	/* surrogate U+D800 */
	    {"\xf4\x90\x80\x80", 0},	/* U+110000 */
	    {"\xf5\x80\x80\x80", 0},	/* lead byte past U+10FFFF */
	    {"\x80", 0},		/* lone continuation */
	    {"\xc3", 0},		/* truncated */
	    {"\xe2\x82", 0},		/* truncated */
	    {"\xe2\x28\xa1", 0},	/* bad continuation */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n = strlen(cases[i].s);

		assert_int_equal(text_utf8_len(cases[i].s, n), cases[i].len);
		assert_int_equal(text_utf8_valid(cases[i].s, n),
		    cases[i].len == n);
	}
	assert_int_equal(text_utf8_len("", 0), 0);
	assert_true(text_utf8_valid("", 0));
	assert_true(text_utf8_valid("caf\xc3\xa9 \xe6\x97\xa5", 9));
	assert_false(text_utf8_valid("caf\xc3\xa9\xff", 6));
}

static void
test_text_display(void **state)
{
	static const struct {
		const char *in;
		const char *want;
	} cases[] = {
	    {"plain.txt", "plain.txt"},
	    {"caf\xc3\xa9/\xe6\x97\xa5\xe6\x9c\xac.mkv",
		"caf\xc3\xa9/\xe6\x97\xa5\xe6\x9c\xac.mkv"},
	    {"\x1b[31mred", "\\x1b[31mred"},		/* ESC */
	    {"a\x7f" "b", "a\\x7fb"},			/* DEL */
	    {"\xc2\x9b" "31m", "\\xc2\\x9b31m"},	/* C1 CSI */
	    {"\xc2\xa0nbsp", "\xc2\xa0nbsp"},		/* U+00A0 is text */
	    {"bad\xff\xc3", "bad\\xff\\xc3"},		/* invalid bytes */
	    {"back\\slash", "back\\x5cslash"},
	    {"tab\there", "tab\\x09here"},
	};
	char out[64], small[12];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_string_equal(text_display(cases[i].in,
		    strlen(cases[i].in), out, sizeof(out)), cases[i].want);
	/* Too small: cut on a unit boundary, marked, always terminated. */
	assert_string_equal(text_display("abcdefghijklmnop", 16, small,
	    sizeof(small)), "abcdefgh...");
	assert_string_equal(text_display("\xe6\x97\xa5\xe6\x97\xa5\xe6\x97\xa5",
	    9, small, sizeof(small)), "\xe6\x97\xa5\xe6\x97\xa5...");
	assert_string_equal(text_display("x", 1, small, 1), "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_text_human),
	    cmocka_unit_test(test_text_url_escape),
	    cmocka_unit_test(test_text_utf8),
	    cmocka_unit_test(test_text_display),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
