/*
 * bytes: big-endian wire integers and hex.  Pure, any thread.  Wire integers
 * are always read through these helpers, never by casting pointers.
 */
#ifndef VTFS_BASE_BYTES_H
#define VTFS_BASE_BYTES_H

#include <stddef.h>
#include <stdint.h>

static inline uint16_t
be16_get(const uint8_t *p)
{
	return (uint16_t)((uint16_t)p[0] << 8 | p[1]);
}

static inline uint32_t
be32_get(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static inline uint64_t
be64_get(const uint8_t *p)
{
	return (uint64_t)be32_get(p) << 32 | be32_get(p + 4);
}

static inline void
be16_put(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void
be32_put(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline void
be64_put(uint8_t *p, uint64_t v)
{
	be32_put(p, (uint32_t)(v >> 32));
	be32_put(p + 4, (uint32_t)v);
}

/*
 * Order two byte strings like memcmp, a proper prefix first (bencode key
 * order, sorted names).
 */
int	bytes_cmp(const void *a, size_t alen, const void *b, size_t blen);

/* Write 2*n lowercase hex digits and a NUL to out (size >= 2*n+1). */
void	hex_encode(const uint8_t *in, size_t n, char *out);
/*
 * Decode exactly 2*n hex digits (either case) from in into out[n].
 * Returns 0, or -EINVAL for a wrong length or a non-hex digit.
 */
int	hex_decode(const char *in, size_t inlen, uint8_t *out, size_t n);

#endif /* VTFS_BASE_BYTES_H */
