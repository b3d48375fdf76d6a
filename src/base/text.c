/* text: see text.h. */
#include "base/text.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

char *
text_human(char *out, size_t outsz, double bytes)
{
	static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB",
	    "PiB", "EiB"};
	size_t u = 0;

	while (bytes >= 1024.0 && u + 1 < sizeof(units) / sizeof(units[0])) {
		bytes /= 1024.0;
		u++;
	}
	if (u == 0)
		snprintf(out, outsz, "%.0f B", bytes);
	else
		snprintf(out, outsz, "%.1f %s", bytes, units[u]);
	return out;
}

void
text_url_escape(struct buf *b, const void *p, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	const uint8_t *s = p;

	for (size_t i = 0; i < n; i++) {
		uint8_t c = s[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_' || c == '~') {
			buf_putc(b, c);
		} else {
			buf_putc(b, '%');
			buf_putc(b, hex[c >> 4]);
			buf_putc(b, hex[c & 15]);
		}
	}
}

bool
text_is_safe_name(const char *s, size_t max)
{
	size_t len = strlen(s);

	if (len == 0 || len > max)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		    c == '-'))
			return false;
	}
	return true;
}
