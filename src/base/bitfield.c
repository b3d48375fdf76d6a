/*
 * bitfield: see bitfield.h.  Bits are kept in wire order (MSB first), so the
 * scans below work a byte, or eight bytes, at a time and use clz on the
 * first non-empty byte.
 */
#include "base/bitfield.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Mask of the valid bits in the last byte. */
static uint8_t
last_mask(uint32_t nbits)
{
	unsigned r = nbits & 7;

	return r ? (uint8_t)(0xffu << (8 - r)) : 0xff;
}

static uint32_t
popcount_bytes(const uint8_t *p, size_t n)
{
	uint32_t c = 0;
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		uint64_t w;

		memcpy(&w, p + i, 8);
		c += (uint32_t)__builtin_popcountll(w);
	}
	for (; i < n; i++)
		c += (uint32_t)__builtin_popcount(p[i]);
	return c;
}

int
bitfield_init(struct bitfield *b, uint32_t nbits)
{
	memset(b, 0, sizeof(*b));
	if (nbits > BITFIELD_MAX_BITS)
		return -E2BIG;
	/* calloc(0) may return NULL; keep one byte so bits is never NULL. */
	b->bits = calloc(bitfield_bytes(nbits) + 1, 1);
	if (b->bits == NULL)
		return -ENOMEM;
	b->nbits = nbits;
	return 0;
}

void
bitfield_fini(struct bitfield *b)
{
	free(b->bits);
	memset(b, 0, sizeof(*b));
}

int
bitfield_copy(struct bitfield *dst, const struct bitfield *src)
{
	uint8_t *p;

	p = malloc(bitfield_bytes(src->nbits) + 1);
	if (p == NULL)
		return -ENOMEM;
	memcpy(p, src->bits, bitfield_bytes(src->nbits) + 1);
	free(dst->bits);
	dst->bits = p;
	dst->nbits = src->nbits;
	dst->count = src->count;
	return 0;
}

bool
bitfield_set(struct bitfield *b, uint32_t i)
{
	uint8_t m;

	if (i >= b->nbits)
		return false;
	m = (uint8_t)(0x80u >> (i & 7));
	if (b->bits[i >> 3] & m)
		return false;
	b->bits[i >> 3] |= m;
	b->count++;
	return true;
}

bool
bitfield_clear(struct bitfield *b, uint32_t i)
{
	uint8_t m;

	if (i >= b->nbits)
		return false;
	m = (uint8_t)(0x80u >> (i & 7));
	if (!(b->bits[i >> 3] & m))
		return false;
	b->bits[i >> 3] &= (uint8_t)~m;
	b->count--;
	return true;
}

void
bitfield_set_all(struct bitfield *b)
{
	size_t n = bitfield_bytes(b->nbits);

	if (n == 0)
		return;
	memset(b->bits, 0xff, n);
	b->bits[n - 1] = last_mask(b->nbits);
	b->count = b->nbits;
}

void
bitfield_clear_all(struct bitfield *b)
{
	memset(b->bits, 0, bitfield_bytes(b->nbits));
	b->count = 0;
}

int
bitfield_check_wire(uint32_t nbits, const uint8_t *p, size_t len)
{
	if (len != bitfield_bytes(nbits))
		return -EBADMSG;
	if (len > 0 && (p[len - 1] & (uint8_t)~last_mask(nbits)))
		return -EBADMSG;
	return 0;
}

int
bitfield_from_wire(struct bitfield *b, const uint8_t *p, size_t len)
{
	int rc = bitfield_check_wire(b->nbits, p, len);

	if (rc < 0)
		return rc;
	memcpy(b->bits, p, len);
	b->count = popcount_bytes(p, len);
	return 0;
}

void
bitfield_to_wire(const struct bitfield *b, uint8_t *out)
{
	memcpy(out, b->bits, bitfield_bytes(b->nbits));
}

/*
 * Shared scan: find the first bit at or after from whose value, after
 * XOR with flip (0x00 for set, 0xff for clear), is 1.
 */
static uint32_t
scan(const struct bitfield *b, uint32_t from, uint8_t flip)
{
	size_t n = bitfield_bytes(b->nbits);
	size_t i;
	uint8_t v;
	uint32_t bit;

	if (from >= b->nbits)
		return b->nbits;
	i = from >> 3;
	/* The first byte, masked to the bits at or after from. */
	v = (uint8_t)((b->bits[i] ^ flip) & (0xffu >> (from & 7)));
	while (v == 0) {
		if (++i >= n)
			return b->nbits;
		/* Skip whole uninteresting words quickly. */
		while (i + 8 <= n) {
			uint64_t w;

			memcpy(&w, b->bits + i, 8);
			if (flip)
				w = ~w;
			if (w != 0)
				break;
			i += 8;
		}
		if (i >= n)
			return b->nbits;
		v = (uint8_t)(b->bits[i] ^ flip);
	}
	bit = (uint32_t)(i * 8) + (uint32_t)(__builtin_clz(v) - 24);
	return bit < b->nbits ? bit : b->nbits;
}

uint32_t
bitfield_next_set(const struct bitfield *b, uint32_t from)
{
	return scan(b, from, 0x00);
}

uint32_t
bitfield_next_clear(const struct bitfield *b, uint32_t from)
{
	return scan(b, from, 0xff);
}

bool
bitfield_has_missing(const struct bitfield *a, const struct bitfield *b)
{
	size_t n = bitfield_bytes(a->nbits);
	size_t i = 0;

	if (a->nbits != b->nbits)
		return a->count > 0;
	for (; i + 8 <= n; i += 8) {
		uint64_t x, y;

		memcpy(&x, a->bits + i, 8);
		memcpy(&y, b->bits + i, 8);
		if (x & ~y)
			return true;
	}
	for (; i < n; i++)
		if (a->bits[i] & (uint8_t)~b->bits[i])
			return true;
	return false;
}
