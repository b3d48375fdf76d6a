/* buf: see buf.h. */
#include "base/buf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
buf_init(struct buf *b, size_t max)
{
	memset(b, 0, sizeof(*b));
	b->max = max;
}

void
buf_fini(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->alloc = 0;
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
	b->err = 0;
	if (b->data)
		b->data[0] = '\0';
}

uint8_t *
buf_reserve(struct buf *b, size_t n)
{
	size_t want;

	if (b->err)
		return NULL;
	if (n > b->max - b->len) {
		b->err = -EMSGSIZE;
		return NULL;
	}
	want = b->len + n + 1;
	if (want > b->alloc) {
		size_t na = b->alloc ? b->alloc : 64;
		uint8_t *p;

		while (na < want)
			na = na > SIZE_MAX / 2 ? want : na * 2;
		p = realloc(b->data, na);
		if (!p) {
			b->err = -ENOMEM;
			return NULL;
		}
		b->data = p;
		b->alloc = na;
	}
	return b->data + b->len;
}

int
buf_append(struct buf *b, const void *p, size_t n)
{
	uint8_t *dst = buf_reserve(b, n);

	if (!dst)
		return b->err;
	if (n)
		memcpy(dst, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int
buf_putc(struct buf *b, int c)
{
	unsigned char ch = (unsigned char)c;

	return buf_append(b, &ch, 1);
}

int
buf_puts(struct buf *b, const char *s)
{
	return buf_append(b, s, strlen(s));
}

int
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->err)
		return b->err;
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->err = -EINVAL;
		return b->err;
	}
	if (!buf_reserve(b, (size_t)n))
		return b->err;
	va_start(ap, fmt);
	vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

uint8_t *
buf_steal(struct buf *b, size_t *len)
{
	uint8_t *p = b->data;

	if (b->err || !p) {
		*len = 0;
		return NULL;
	}
	*len = b->len;
	b->data = NULL;
	b->len = b->alloc = 0;
	return p;
}
