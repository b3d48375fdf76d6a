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

size_t
text_utf8_len(const void *p, size_t n)
{
	const uint8_t *s = p;
	uint8_t c, lo = 0x80, hi = 0xbf;
	size_t len;

	if (n == 0)
		return 0;
	c = s[0];
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4;
	else
		return 0;
	/* The second byte's range rules out overlongs, surrogates, > U+10FFFF. */
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

bool
text_utf8_valid(const void *p, size_t n)
{
	const uint8_t *s = p;

	for (size_t i = 0; i < n;) {
		size_t l = text_utf8_len(s + i, n - i);

		if (l == 0)
			return false;
		i += l;
	}
	return true;
}

char *
text_display(const void *p, size_t len, char *out, size_t outsz)
{
	static const char hex[] = "0123456789abcdef";
	const uint8_t *s = p;
	size_t o = 0;

	if (outsz == 0)
		return out;
	for (size_t i = 0; i < len;) {
		size_t l = text_utf8_len(s + i, len - i);
		uint8_t c = s[i];
		/* C0, DEL, backslash and C1 (U+0080..U+009F = C2 80..C2 9F). */
		bool esc = l == 0 || c < 0x20 || c == 0x7f || c == '\\' ||
		    (l == 2 && c == 0xc2 && s[i + 1] < 0xa0);
		size_t need = esc ? 4 : l;

		if (o + need + 4 > outsz) {
			if (o + 4 <= outsz) {
				memcpy(out + o, "...", 3);
				o += 3;
			}
			break;
		}
		if (!esc) {
			memcpy(out + o, s + i, l);
			o += l;
			i += l;
			continue;
		}
		out[o++] = '\\';
		out[o++] = 'x';
		out[o++] = hex[c >> 4];
		out[o++] = hex[c & 15];
		i++;
	}
	out[o < outsz ? o : outsz - 1] = '\0';
	return out;
}
