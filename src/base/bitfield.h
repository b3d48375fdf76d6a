/*
 * bitfield: a fixed-size set of bits with a count of the set ones, stored in
 * BEP 3 wire order (bit 0 is the high bit of byte 0), so that it goes to and
 * from a peer's BITFIELD message without conversion.  Pure; not thread-safe
 * (one owner at a time; read-only sharing is fine).
 */
#ifndef VTFS_BASE_BITFIELD_H
#define VTFS_BASE_BITFIELD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BITFIELD_MAX_BITS	(1u << 21)	/* DESIGN.md: pieces <= 2^21 */

struct bitfield {
	uint8_t		*bits;	/* owned: bitfield_bytes(nbits) bytes */
	uint32_t	 nbits;
	uint32_t	 count;	/* set bits */
};

static inline size_t
bitfield_bytes(uint32_t nbits)
{
	return ((size_t)nbits + 7) / 8;
}

/* All bits clear.  Returns 0, -E2BIG past BITFIELD_MAX_BITS, -ENOMEM. */
int	bitfield_init(struct bitfield *, uint32_t nbits);
void	bitfield_fini(struct bitfield *);
/* dst (initialised or zeroed) becomes a copy of src.  0 or -ENOMEM. */
int	bitfield_copy(struct bitfield *dst, const struct bitfield *src);

/* Out-of-range indexes test false and are not changed. */
static inline bool
bitfield_test(const struct bitfield *b, uint32_t i)
{
	return i < b->nbits && (b->bits[i >> 3] & (0x80u >> (i & 7)));
}
/* Set or clear bit i; returns true when the bit changed. */
bool	bitfield_set(struct bitfield *, uint32_t i);
bool	bitfield_clear(struct bitfield *, uint32_t i);
void	bitfield_set_all(struct bitfield *);
void	bitfield_clear_all(struct bitfield *);

static inline uint32_t
bitfield_count(const struct bitfield *b)
{
	return b->count;
}
static inline bool
bitfield_all(const struct bitfield *b)
{
	return b->count == b->nbits;
}
static inline bool
bitfield_none(const struct bitfield *b)
{
	return b->count == 0;
}

/*
 * Load a peer's BITFIELD payload.  len must be exactly
 * bitfield_bytes(b->nbits) and the spare bits of the last byte must be zero
 * (BEP 3); otherwise -EBADMSG and b is unchanged.
 */
int	bitfield_from_wire(struct bitfield *, const uint8_t *p, size_t len);
/* Check a payload as bitfield_from_wire() would, without loading it. */
int	bitfield_check_wire(uint32_t nbits, const uint8_t *p, size_t len);
/* Write bitfield_bytes(nbits) bytes; spare bits are zero. */
void	bitfield_to_wire(const struct bitfield *, uint8_t *out);

/* First set (clear) bit at or after from, or b->nbits when there is none. */
uint32_t bitfield_next_set(const struct bitfield *, uint32_t from);
uint32_t bitfield_next_clear(const struct bitfield *, uint32_t from);
/* True when a has a bit set that b lacks (a peer has something we need). */
bool	bitfield_has_missing(const struct bitfield *a, const struct bitfield *b);

#define BITFIELD_FOREACH_SET(b, i)					\
	for ((i) = bitfield_next_set((b), 0); (i) < (b)->nbits;		\
	    (i) = bitfield_next_set((b), (i) + 1))

#endif /* VTFS_BASE_BITFIELD_H */
