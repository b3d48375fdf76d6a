/*
 * wire: the BitTorrent peer wire codec (BEP 3, BEP 6 fast extension, BEP 10
 * extension protocol).  Pure: bytes in -> messages out, messages in -> bytes
 * out; no sockets, no clock.  A decoder belongs to one connection and is used
 * on the network thread only (any single thread in tests).
 *
 * Decoding checks, in this order, before anything is buffered: the length
 * prefix against WIRE_MAX_MSG (-EMSGSIZE), then the message's length for its
 * type (-EBADMSG), then its indexes and block ranges against the torrent's
 * geometry (-EBADMSG).  Unknown message ids are not errors: they are returned
 * as WIRE_UNKNOWN (length-capped like any other) so that a future extension
 * of a peer does not cost the connection; the caller ignores them.
 * Whether a message is allowed in the current state (fast messages without
 * BEP 6, a bitfield after the first message, ...) is for the state machine
 * (peer_proto.h) to decide, not the codec.
 */
#ifndef VTFS_BT_WIRE_H
#define VTFS_BT_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/bitfield.h"
#include "base/buf.h"

#define WIRE_HANDSHAKE_LEN	68
#define WIRE_PSTR		"BitTorrent protocol"
#define WIRE_BLOCK		(16u << 10)	/* request block size, and cap */
/* DESIGN.md: peer message <= 1 MiB + header (length prefix excluded). */
#define WIRE_MAX_MSG		((1u << 20) + 13)
#define WIRE_MAX_EXT_NAMES	32	/* extension names kept from "m" */
#define WIRE_MAX_EXT_NAME	31
#define WIRE_MAX_CLIENT		63	/* bytes of "v" kept */

/* Reserved bits (BEP 4 numbering: byte, mask). */
#define WIRE_RSV_EXT_BYTE	5	/* BEP 10 extension protocol */
#define WIRE_RSV_EXT_MASK	0x10
#define WIRE_RSV_FAST_BYTE	7	/* BEP 6 fast extension */
#define WIRE_RSV_FAST_MASK	0x04
#define WIRE_RSV_DHT_BYTE	7	/* BEP 5 (PORT message) */
#define WIRE_RSV_DHT_MASK	0x01

enum wire_id {
	WIRE_CHOKE = 0,
	WIRE_UNCHOKE = 1,
	WIRE_INTERESTED = 2,
	WIRE_NOT_INTERESTED = 3,
	WIRE_HAVE = 4,
	WIRE_BITFIELD = 5,
	WIRE_REQUEST = 6,
	WIRE_PIECE = 7,
	WIRE_CANCEL = 8,
	WIRE_PORT = 9,
	WIRE_SUGGEST = 0x0d,		/* BEP 6 */
	WIRE_HAVE_ALL = 0x0e,
	WIRE_HAVE_NONE = 0x0f,
	WIRE_REJECT = 0x10,
	WIRE_ALLOWED_FAST = 0x11,
	WIRE_EXTENDED = 20,		/* BEP 10 */
	/* Not ids on the wire: */
	WIRE_KEEPALIVE = 256,		/* zero length prefix */
	WIRE_HANDSHAKE,
	WIRE_UNKNOWN,			/* an id we do not know: ignore */
};

/* The torrent's shape, for range checks. */
struct wire_geom {
	uint32_t	npieces;
	uint32_t	piece_len;
	uint64_t	total;		/* bytes, pad files included */
};

/* Size of piece i under g (the last piece may be short). */
uint32_t	wire_piece_size(const struct wire_geom *g, uint32_t i);

struct wire_handshake {
	uint8_t		reserved[8];
	uint8_t		info_hash[20];
	uint8_t		peer_id[20];
};

/*
 * A decoded message.  data points into the decoder's input or its own
 * buffer and stays valid until the next wire_dec_feed() call (or until the
 * caller's input buffer is reused): copy what must live longer.
 */
struct wire_msg {
	enum wire_id	 type;
	uint32_t	 index;		/* have, request, piece, cancel, reject,
					 * suggest, allowed fast */
	uint32_t	 begin;		/* request, piece, cancel, reject */
	uint32_t	 length;	/* request, cancel, reject; piece: block */
	uint16_t	 port;		/* port */
	uint8_t		 ext_id;	/* extended: 0 is the handshake */
	uint8_t		 raw_id;	/* unknown: the id byte */
	const uint8_t	*data;		/* borrowed: bitfield bytes, piece block,
					 * extended payload (after ext_id) */
	size_t		 len;
	struct wire_handshake hs;	/* handshake */
};

struct wire_dec {
	struct wire_geom geom;
	bool		 have_geom;
	bool		 want_hs;	/* next bytes are a handshake */
	uint8_t		*buf;		/* owned: a partial message */
	size_t		 fill;		/* bytes of it held */
	size_t		 alloc;
	uint8_t		 hdr[5];	/* partial length prefix + id */
	size_t		 hdr_fill;
};

/*
 * Start a decoder.  expect_handshake: the first 68 bytes are a BEP 3
 * handshake.  geom may be NULL when the torrent is not known yet (an
 * incoming connection learns it from the handshake's info-hash); messages
 * after the handshake then fail with -EPROTO until wire_dec_set_geom().
 */
void	wire_dec_init(struct wire_dec *, const struct wire_geom *geom,
	    bool expect_handshake);
void	wire_dec_set_geom(struct wire_dec *, const struct wire_geom *);
void	wire_dec_fini(struct wire_dec *);

/*
 * Feed in[0..len).  Sets *used to the bytes consumed and returns 1 with a
 * message in *msg, 0 when all input was consumed without completing one,
 * or -EMSGSIZE / -EBADMSG / -EPROTO / -ENOMEM (the connection is then
 * unusable).  Call again with in + *used until it returns 0.  A message that
 * lies whole in in is returned without copying (msg->data points into in).
 */
int	wire_dec_feed(struct wire_dec *, const uint8_t *in, size_t len,
	    size_t *used, struct wire_msg *msg);

/*
 * Encoders: append one message to out (its cap and sticky error apply);
 * each returns buf_error(out) afterwards, so 0 or -ENOMEM / -EMSGSIZE.
 */
int	wire_put_handshake(struct buf *out, const uint8_t reserved[8],
	    const uint8_t info_hash[20], const uint8_t peer_id[20]);
int	wire_put_keepalive(struct buf *out);
/* choke, unchoke, interested, not interested, have all, have none */
int	wire_put_simple(struct buf *out, enum wire_id);
/* have, suggest, allowed fast */
int	wire_put_index(struct buf *out, enum wire_id, uint32_t index);
/* request, cancel, reject */
int	wire_put_req(struct buf *out, enum wire_id, uint32_t index,
	    uint32_t begin, uint32_t length);
int	wire_put_bitfield(struct buf *out, const struct bitfield *);
/* The 13-byte header of a piece message; the caller appends len bytes. */
int	wire_put_piece_hdr(struct buf *out, uint32_t index, uint32_t begin,
	    uint32_t len);
int	wire_put_piece(struct buf *out, uint32_t index, uint32_t begin,
	    const void *data, uint32_t len);
int	wire_put_port(struct buf *out, uint16_t port);
int	wire_put_extended(struct buf *out, uint8_t ext_id, const void *payload,
	    size_t len);
/* Any decoded message back to bytes (tests, relays). */
int	wire_put_msg(struct buf *out, const struct wire_msg *);

/* BEP 10 extension handshake (extended message id 0). */
struct wire_ext_name {
	char		name[WIRE_MAX_EXT_NAME + 1];
	uint8_t		id;		/* 0: disabled */
};

struct wire_ext_hs {
	struct wire_ext_name m[WIRE_MAX_EXT_NAMES];
	uint32_t	nm;
	char		v[WIRE_MAX_CLIENT + 1];	/* client name, raw bytes up
						 * to the first NUL: escape
						 * before printing */
	bool		has_reqq;
	uint32_t	reqq;
	bool		has_p;
	uint16_t	p;		/* listen port */
	uint8_t		yourip[16];
	uint8_t		yourip_len;	/* 0, 4 or 16 */
	int64_t		metadata_size;	/* BEP 9, -1 when absent */
};

/*
 * Parse an extension handshake payload.  The payload must be one valid
 * bencoded dictionary (-EBADMSG otherwise); keys of a wrong type or out of
 * range are ignored (BEP 10: unknown keys are ignored too); extra "m" names
 * past WIRE_MAX_EXT_NAMES and names longer than WIRE_MAX_EXT_NAME are
 * dropped.
 */
int	wire_ext_hs_parse(const uint8_t *p, size_t len, struct wire_ext_hs *);
/* The id the peer gave to name, or 0. */
uint8_t	wire_ext_hs_id(const struct wire_ext_hs *, const char *name);
/* Append a whole extended message (id 20, ext id 0) carrying hs. */
int	wire_put_ext_hs(struct buf *out, const struct wire_ext_hs *);

const char *wire_id_name(enum wire_id);

#endif /* VTFS_BT_WIRE_H */
