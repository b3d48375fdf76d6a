/* Unit tests for bt/announce_udp: the udp:// URL table (pure part). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "bt/announce_udp.h"

static void
test_announce_udp_parse_url(void **state)
{
	static const struct {
		const char	*url;
		const char	*host;	/* NULL: refused */
		const char	*port;
	} c[] = {
		{"udp://127.0.0.1:6969/announce", "127.0.0.1", "6969"},
		{"udp://tracker.example:80", "tracker.example", "80"},
		{"udp://[::1]:1337/announce", "::1", "1337"},
		{"udp://t:65535/", "t", "65535"},
		{"udp://t:65536", NULL, NULL},
		{"udp://t:0", NULL, NULL},
		{"udp://t", NULL, NULL},
		{"udp://t/announce", NULL, NULL},
		{"udp://:80", NULL, NULL},
		{"udp://t:80x", NULL, NULL},
		{"udp://t:123456", NULL, NULL},
		{"udp://[::1]/x", NULL, NULL},
		{"udp://[::1", NULL, NULL},
		{"http://t:80/announce", NULL, NULL},
		{"", NULL, NULL},
	};

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		char host[64], port[8];
		int rc = announce_udp_parse_url(c[i].url, host, sizeof(host),
		    port, sizeof(port));

		if (!c[i].host) {
			if (rc != -EINVAL)
				fail_msg("%s: accepted", c[i].url);
			continue;
		}
		if (rc != 0 || strcmp(host, c[i].host) != 0 ||
		    strcmp(port, c[i].port) != 0)
			fail_msg("%s: rc %d host %s port %s", c[i].url, rc,
			    rc ? "" : host, rc ? "" : port);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_announce_udp_parse_url),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
