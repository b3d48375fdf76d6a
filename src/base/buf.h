/*
 * buf: a growable byte buffer with a hard size cap set at creation, and a
 * sticky error: once an append fails (-ENOMEM, or -EMSGSIZE past the cap),
 * every later append is a no-op and buf_error() reports the first failure,
 * so a builder can append many pieces and check once.  The data is always
 * NUL-terminated (not counted in len).  Not thread-safe; any thread may own
 * one.
 */
#ifndef VTFS_BASE_BUF_H
#define VTFS_BASE_BUF_H

#include <stddef.h>
#include <stdint.h>

struct buf {
	uint8_t	*data;	/* owned; NULL until the first append */
	size_t	 len;
	size_t	 alloc;
	size_t	 max;	/* cap on len */
	int	 err;	/* first failure, 0 if none */
};

void	buf_init(struct buf *, size_t max);
void	buf_fini(struct buf *);
/* Empty the buffer (keeps its memory) and clear the error. */
void	buf_reset(struct buf *);
int	buf_append(struct buf *, const void *, size_t);
int	buf_putc(struct buf *, int c);
int	buf_puts(struct buf *, const char *);
int	buf_printf(struct buf *, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Make room for n more bytes; returns a pointer to them or NULL (error set). */
uint8_t	*buf_reserve(struct buf *, size_t n);
static inline int
buf_error(const struct buf *b)
{
	return b->err;
}
/*
 * Hand the data to the caller (to free()) and leave the buffer empty.
 * Returns NULL when empty or in error.
 */
uint8_t	*buf_steal(struct buf *, size_t *len);

#endif /* VTFS_BASE_BUF_H */
