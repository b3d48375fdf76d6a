/*
 * proto: the protocol state machine of one peer connection (BEP 3, BEP 6
 * fast extension, BEP 10 extension handshake) on top of the wire codec.
 * Pure: no sockets and no clock of its own; callers feed it received bytes
 * and the current time (monotonic ms), and send what it appends to its
 * output buffer.  Network thread only (any single thread in tests).
 *
 * It keeps am_choking / am_interested / peer_choking / peer_interested
 * exactly per BEP 3 (all start choked and not interested), the peer's
 * bitfield, the requests we have out to the peer (with the time each was
 * sent), the requests the peer made to us (a bounded queue), BEP 6
 * allowed-fast sets both ways, and the timers' decisions (handshake and idle
 * timeouts, keep-alives, request timeouts, snubbing).  Decisions that need
 * the whole torrent (what to request, whom to unchoke) belong to the picker
 * and the choker; proto only reports events and carries out actions.
 *
 * Typical use by the network thread:
 *	proto_init(p, &cfg, now);
 *	outgoing: proto_connect(p, &geom, ours, ip4, now);
 *	on readable: loop proto_feed(p, in, n, &used, now, &ev) while it
 *	    returns 1, handle ev (an incoming connection answers
 *	    PROTO_EV_HANDSHAKE with proto_accept() or closes);
 *	actions: proto_set_interested(), proto_request(), proto_cancel(),
 *	    proto_choke(), proto_unchoke(), proto_have(), proto_next_upload()
 *	    + proto_send_block();
 *	then write proto_out() and report it with proto_out_consumed();
 *	every second or so: proto_tick().
 * Any negative return means: close the connection (p->why says why).
 */
#ifndef VTFS_BT_PROTO_H
#define VTFS_BT_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/bitfield.h"
#include "base/buf.h"
#include "base/rate.h"
#include "bt/wire.h"

#define PROTO_MAX_OUT_REQS	500	/* DESIGN.md: outstanding <= 500 */
#define PROTO_MAX_IN_REQS	2000	/* DESIGN.md: incoming queue */
#define PROTO_HANDSHAKE_TIMEOUT_MS 10000
#define PROTO_IDLE_TIMEOUT_MS	120000
#define PROTO_KEEPALIVE_MS	90000	/* send one after this much silence */
#define PROTO_SNUB_MS		60000
#define PROTO_REQUEST_TIMEOUT_MS 60000	/* default; cfg.req_timeout_ms */
#define PROTO_ALLOWED_FAST_K	10	/* pieces in the set we grant */
#define PROTO_MAX_ALLOWED_FAST_IN 64	/* pieces kept from the peer's grants */
#define PROTO_CANCEL_RING	256	/* recent cancels remembered */
/* Queue entries cancels may scan before serving refills it (see
 * on_cancel()); each block taken for serving adds PROTO_MAX_IN_REQS. */
#define PROTO_CANCEL_BUDGET	((uint64_t)PROTO_MAX_IN_REQS * PROTO_MAX_IN_REQS)
#define PROTO_OUT_MAX		((size_t)8 << 20)	/* then -ENOBUFS */
#define PROTO_OUT_KEEP		((size_t)256 << 10)	/* kept when drained */
#define PROTO_DEFAULT_REQQ	250	/* peer's queue when it does not say */

struct proto_req {
	uint32_t	index;
	uint32_t	begin;
	uint32_t	length;
	uint64_t	sent_ms;	/* our requests: when sent */
};

enum proto_ev {
	PROTO_EV_NONE,		/* nothing to do (keep-alive, ignored msg) */
	PROTO_EV_HANDSHAKE,	/* ev.hs: an incoming connection must now
				 * proto_accept() or close */
	PROTO_EV_CHOKE,		/* peer choked us; ev.dropped[ev.ndropped]:
				 * our requests it discarded (no BEP 6) */
	PROTO_EV_UNCHOKE,
	PROTO_EV_INTERESTED,
	PROTO_EV_NOT_INTERESTED,
	PROTO_EV_HAVE,		/* ev.index, newly had by the peer */
	PROTO_EV_BITFIELD,	/* p->have loaded (bitfield, have all/none) */
	PROTO_EV_BLOCK,		/* a block we asked for: ev.index, begin,
				 * length, data (valid until the next feed) */
	PROTO_EV_BLOCK_LATE,	/* a block we had cancelled: discard */
	PROTO_EV_REJECT,	/* our request ev.index/begin/length refused */
	PROTO_EV_REQUEST,	/* a request was queued: proto_next_upload() */
	PROTO_EV_CANCEL,	/* the peer withdrew a queued request */
	PROTO_EV_ALLOWED_FAST,	/* ev.index may be requested while choked */
	PROTO_EV_SUGGEST,	/* ev.index */
	PROTO_EV_EXT_HANDSHAKE,	/* p->ext filled */
	PROTO_EV_EXTENDED,	/* ev.ext_id, ev.data/len: another extension */
	PROTO_EV_PORT,		/* ev.port (DHT) */
};

struct proto_event {
	enum proto_ev		 type;
	uint32_t		 index;
	uint32_t		 begin;
	uint32_t		 length;
	const uint8_t		*data;		/* borrowed, see PROTO_EV_BLOCK */
	size_t			 len;
	uint8_t			 ext_id;
	uint16_t		 port;
	const struct proto_req	*dropped;	/* borrowed: p's scratch */
	uint32_t		 ndropped;
	const struct wire_handshake *hs;	/* borrowed: p->remote */
};

struct proto_config {
	uint8_t		 peer_id[20];	/* ours */
	uint8_t		 info_hash[20];	/* outgoing: the torrent's */
	bool		 fast;		/* offer BEP 6 */
	bool		 ext;		/* offer BEP 10 */
	const char	*client;	/* borrowed during proto_init() only:
					 * "v" in our extension handshake */
	uint16_t	 listen_port;	/* "p", 0: not sent */
	uint32_t	 req_timeout_ms; /* 0: PROTO_REQUEST_TIMEOUT_MS */
};

enum proto_phase {
	PROTO_HANDSHAKE,	/* waiting for the peer's handshake */
	PROTO_ATTACH,		/* incoming: handshake read, torrent unknown */
	PROTO_RUNNING,
};

struct proto {
	struct proto_config	 cfg;		/* cfg.client is NULL: see
						 * client[] */
	char			 client[WIRE_MAX_CLIENT + 1];
	uint8_t			 ip4[4];	/* the peer's, for allowed fast */
	bool			 has_ip4;
	enum proto_phase	 phase;
	bool			 outgoing;
	bool			 am_choking;
	bool			 am_interested;
	bool			 peer_choking;
	bool			 peer_interested;
	bool			 fast;		/* negotiated: both offered */
	bool			 ext;
	bool			 snubbed;
	bool			 first_done;	/* a bitfield may no longer come */
	struct wire_handshake	 remote;	/* the peer's handshake */
	struct wire_geom	 geom;
	const struct bitfield	*ours;		/* borrowed: our verified
						 * pieces (the session's) */
	struct bitfield		 have;		/* the peer's pieces */
	struct wire_dec		 dec;
	struct buf		 out;		/* bytes to send */
	size_t			 out_off;	/* already sent of out */

	struct proto_req	*reqs;		/* owned: ours, in send order */
	uint32_t		 nreqs;
	struct proto_req	*inq;		/* owned: the peer's requests */
	uint32_t		 in_head, in_end;
	struct proto_req	*scratch;	/* owned: dropped/expired lists */
	struct {
		uint32_t	 index, begin;
	}			 cancelled[PROTO_CANCEL_RING];
	uint32_t		 ncancelled;	/* total ever; ring index mod */
	uint32_t		 af_in[PROTO_MAX_ALLOWED_FAST_IN];
	uint32_t		 naf_in;
	uint32_t		 af_out[PROTO_ALLOWED_FAST_K];
	uint32_t		 naf_out;
	struct wire_ext_hs	 ext_hs;	/* the peer's, when has_ext_hs */
	bool			 has_ext_hs;
	uint32_t		 peer_reqq;	/* its queue: cap on our reqs */

	uint64_t		 connected_ms;
	uint64_t		 last_recv_ms;
	uint64_t		 last_send_ms;
	uint64_t		 last_block_ms;
	struct rate		 down;		/* payload bytes from the peer */
	struct rate		 up;		/* payload bytes to the peer */
	uint64_t		 n_unknown;	/* ignored messages */
	uint64_t		 n_late;	/* blocks after our cancel */
	uint64_t		 n_refused;	/* peer requests not queued */
	uint64_t		 cancel_budget;	/* see PROTO_CANCEL_BUDGET */
	uint64_t		 n_cancel_ignored; /* over the budget */
	const char		*why;		/* static: last error's reason */
};

/* Timers' verdicts from proto_tick(). */
struct proto_tick {
	const struct proto_req	*expired;	/* borrowed: requests timed
						 * out, already cancelled */
	uint32_t		 nexpired;
	bool			 snub_changed;	/* p->snubbed flipped */
};

int	proto_init(struct proto *, const struct proto_config *, uint64_t now);
void	proto_fini(struct proto *);

/*
 * Outgoing: the torrent is known; sends our handshake.  ip4 (may be NULL)
 * is the peer's IPv4 address, for the BEP 6 allowed-fast set we grant.
 */
int	proto_connect(struct proto *, const struct wire_geom *,
	    const struct bitfield *ours, const uint8_t *ip4, uint64_t now);
/*
 * Incoming, after PROTO_EV_HANDSHAKE named a torrent we serve: sends our
 * handshake, then our bitfield and extension handshake.
 */
int	proto_accept(struct proto *, const uint8_t info_hash[20],
	    const struct wire_geom *, const struct bitfield *ours,
	    const uint8_t *ip4, uint64_t now);

/*
 * Feed received bytes; same contract as wire_dec_feed(): 1 with *ev,
 * 0 when all input is consumed, < 0 to close (-EBADMSG malformed,
 * -EMSGSIZE over the cap, -EPROTO wrong for the state, -ENOBUFS our
 * output is full, -ENOMEM).
 */
int	proto_feed(struct proto *, const uint8_t *in, size_t len, size_t *used,
	    uint64_t now, struct proto_event *ev);
/* One decoded message (proto_feed() calls this). */
int	proto_on_msg(struct proto *, const struct wire_msg *, uint64_t now,
	    struct proto_event *ev);

/* Actions: each appends what must be sent; 0 or < 0 (close). */
int	proto_set_interested(struct proto *, bool, uint64_t now);
/* Interest from the bitfields alone: the peer has a piece we lack. */
bool	proto_peer_has_needed(const struct proto *);
/*
 * Request a block.  -EAGAIN when the peer chokes us and the piece is not
 * allowed fast, -EBUSY past PROTO_MAX_OUT_REQS or the peer's reqq, -EINVAL
 * for a block outside the torrent or one already requested.
 */
int	proto_request(struct proto *, uint32_t index, uint32_t begin,
	    uint32_t length, uint64_t now);
bool	proto_can_request(const struct proto *, uint32_t index);
/* Cancel our request (sends CANCEL); -ENOENT when it is not out. */
int	proto_cancel(struct proto *, uint32_t index, uint32_t begin,
	    uint32_t length, uint64_t now);
/* Our outstanding requests (in send order). */
static inline uint32_t
proto_nreqs(const struct proto *p)
{
	return p->nreqs;
}
int	proto_choke(struct proto *, uint64_t now);
int	proto_unchoke(struct proto *, uint64_t now);
/* Announce a newly verified piece. */
int	proto_have(struct proto *, uint32_t index, uint64_t now);
int	proto_send_extended(struct proto *, uint8_t ext_id, const void *,
	    size_t, uint64_t now);
/*
 * The next queued request of the peer to serve, or false.  The caller
 * reads the block (verified data only) and sends it with
 * proto_send_block(); it should stop taking requests while proto_out()
 * holds more than it wants buffered (flow control).
 */
bool	proto_next_upload(struct proto *, struct proto_req *out);
static inline uint32_t
proto_nqueued(const struct proto *p)
{
	return p->in_end - p->in_head;
}
int	proto_send_block(struct proto *, uint32_t index, uint32_t begin,
	    const void *data, uint32_t len, uint64_t now);

/*
 * Timers: -ETIMEDOUT when the handshake took over 10 s or the peer was
 * silent for 120 s; sends a keep-alive when we were silent for 90 s;
 * cancels requests older than cfg.req_timeout_ms (listed in t->expired for
 * the picker); updates p->snubbed (no block for 60 s while requests are
 * out).
 */
int	proto_tick(struct proto *, uint64_t now, struct proto_tick *t);

/* Bytes waiting to be sent, and how many of them were sent. */
static inline const uint8_t *
proto_out(const struct proto *p, size_t *len)
{
	*len = p->out.len - p->out_off;
	return p->out.data + p->out_off;
}
void	proto_out_consumed(struct proto *, size_t n);

/*
 * BEP 6 canonical allowed-fast set for a peer at ip4 (its /24 is used):
 * writes min(k, npieces) distinct indexes to out.  Returns the count.
 */
uint32_t proto_allowed_fast_set(const uint8_t ip4[4],
	    const uint8_t info_hash[20], uint32_t npieces, uint32_t k,
	    uint32_t *out);

#endif /* VTFS_BT_PROTO_H */
