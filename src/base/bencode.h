/*
 * bencode: a strict decoder into a flat array of nodes that keeps the raw
 * byte span of every value (an info-hash is the SHA-1 of the info
 * dictionary's exact bytes), and an encoder on top of struct buf.  Pure; any
 * thread.  A decoded document is immutable and may be read from several
 * threads.
 *
 * Strictness (BEP 3): integers are canonical (no "-0", no leading zeros, no
 * '+', not empty) and fit in int64; string lengths are canonical and capped;
 * nesting is capped at BENC_MAX_DEPTH; the node count is capped; nothing may
 * follow the root value.  The parser is iterative: no input can drive it
 * into deep recursion.
 *
 * Dictionary keys: duplicate keys are always rejected (two "info" or two
 * "length" keys are read differently by different clients, an ambiguity an
 * attacker can use).  Keys out of sorted order are accepted by default,
 * because .torrent files from old or sloppy generators have them and every
 * mainstream client loads them; the info-hash is taken from the raw bytes, so
 * the order does not change it.  doc->unsorted counts such dictionaries;
 * BENC_STRICT_ORDER rejects them instead (-EBADMSG, BENC_E_UNSORTED).
 */
#ifndef VTFS_BASE_BENCODE_H
#define VTFS_BASE_BENCODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"

#define BENC_MAX_DEPTH		100
#define BENC_DEFAULT_MAX_NODES	(1u << 22)
#define BENC_DEFAULT_MAX_STR	((size_t)64 << 20)

enum benc_type {
	BENC_INT = 1,
	BENC_STR,
	BENC_LIST,
	BENC_DICT,
};

/*
 * Nodes are stored in pre-order: a container's first child follows it, and
 * a node's next sibling is size nodes after it.  A dictionary's children
 * alternate key (a string) and value.
 */
struct benc_node {
	enum benc_type	 type;
	uint32_t	 size;	/* nodes in this subtree, itself included */
	uint32_t	 count;	/* list: items; dict: key/value pairs */
	size_t		 off;	/* raw span of the value in the input */
	size_t		 len;
	union {
		int64_t	 i;	/* BENC_INT */
		struct {	/* BENC_STR */
			const uint8_t	*s;	/* points into the input */
			size_t		 slen;
		};
	};
};

/* Specific reasons, for messages and for tests. */
enum benc_errcode {
	BENC_OK,
	BENC_E_TRUNCATED,	/* input ends inside a value */
	BENC_E_INT_SYNTAX,	/* ie, i-0e, i03e, i+3e, i1x */
	BENC_E_INT_RANGE,	/* does not fit in int64 */
	BENC_E_STRLEN_SYNTAX,	/* 03:abc, 3x */
	BENC_E_STR_TOO_LONG,	/* length above the cap */
	BENC_E_TOO_DEEP,	/* nesting above max_depth */
	BENC_E_TOO_MANY,	/* more nodes than max_nodes */
	BENC_E_TRAILING,	/* bytes after the root value */
	BENC_E_BAD_TYPE,	/* a byte that starts no value */
	BENC_E_KEY_NOT_STRING,	/* dictionary key is not a string */
	BENC_E_DUP_KEY,		/* the same key twice in one dictionary */
	BENC_E_UNSORTED,	/* keys out of order, with BENC_STRICT_ORDER */
	BENC_E_NOMEM,
};

enum benc_flags {
	BENC_STRICT_ORDER = 1 << 0,
};

struct benc_limits {
	uint32_t	max_depth;	/* 0: BENC_MAX_DEPTH */
	uint32_t	max_nodes;	/* 0: BENC_DEFAULT_MAX_NODES */
	size_t		max_str;	/* 0: BENC_DEFAULT_MAX_STR */
	unsigned	flags;		/* enum benc_flags */
};

struct benc_doc {
	const uint8_t		*buf;	/* borrowed: the input */
	size_t			 len;
	struct benc_node	*nodes;	/* owned */
	uint32_t		 n;
	uint32_t		 unsorted;	/* dictionaries with keys out of order */
};

struct benc_error {
	enum benc_errcode	code;
	size_t			off;	/* where in the input */
};

/*
 * Decode buf[0..len) into doc (which borrows buf: keep it alive).  lim may
 * be NULL for the defaults.  Returns 0, or -EBADMSG (malformed), -E2BIG
 * (over a cap), -ERANGE (integer overflow), -ENOMEM; err (may be NULL) gets
 * the specific reason and offset.  On failure doc is left empty.
 */
int	benc_decode(const void *buf, size_t len, const struct benc_limits *lim,
	    struct benc_doc *doc, struct benc_error *err);
void	benc_doc_fini(struct benc_doc *);
const char *benc_strerror(enum benc_errcode);

static inline const struct benc_node *
benc_root(const struct benc_doc *d)
{
	return d->n ? &d->nodes[0] : NULL;
}

/* First child of a list or dictionary, or NULL. */
const struct benc_node *benc_first(const struct benc_node *parent);
/* The sibling after cur inside parent, or NULL. */
const struct benc_node *benc_next(const struct benc_node *parent,
	    const struct benc_node *cur);
/* Value of key in a dictionary, or NULL (also when dict is not one). */
const struct benc_node *benc_dict_get(const struct benc_node *dict,
	    const char *key);
/* Typed lookups: NULL when missing or of another type. */
const struct benc_node *benc_dict_get_type(const struct benc_node *dict,
	    const char *key, enum benc_type);
bool	benc_str_eq(const struct benc_node *, const char *);
static inline const uint8_t *
benc_raw(const struct benc_doc *d, const struct benc_node *n)
{
	return d->buf + n->off;
}

/*
 * Encoder: appends to a struct buf (whose cap and sticky error apply).
 * Dictionary keys must be written in sorted order by the caller.
 */
int	benc_put_int(struct buf *, int64_t);
int	benc_put_str(struct buf *, const void *, size_t);
int	benc_put_cstr(struct buf *, const char *);
int	benc_put_list(struct buf *);
int	benc_put_dict(struct buf *);
int	benc_put_end(struct buf *);

#endif /* VTFS_BASE_BENCODE_H */
