/*
 * picker: chooses which blocks to request from which peer.  Pure: no I/O,
 * no clock of its own (callers pass the time).  Network thread only.
 *
 * Pieces have a priority (SKIP / NORMAL / HIGH / CRITICAL); within a
 * priority class pieces are taken rarest first, and pieces already started
 * are finished before new ones are started.  Blocks are 16 KiB (the last
 * block of the last piece may be short).  Each block remembers who it was
 * requested from and when (up to PICKER_MAX_DUP peers at once: endgame and
 * stalled critical blocks ask a second peer), and who delivered it, so a
 * piece that fails its hash names its senders.  Byte ranges of BEP 47 pad
 * files are never requested.
 *
 * Peers are named by small integers the caller chooses (a connection slot,
 * < PICKER_MAX_PEERS).  The caller reports every availability change
 * (picker_peer_add/have/remove), every request's fate (picker_on_block /
 * picker_on_lost) and every verified or failed piece.
 *
 * Cost: pieces are kept in an array ordered by (priority class, min(avail,
 * 255)) with bucket boundaries, so an availability change moves one piece
 * in O(1) and a pick walks only candidate pieces; a peer whose pieces are
 * sparse among the candidates is served by walking its bitfield instead.
 */
#ifndef VTFS_BT_PICKER_H
#define VTFS_BT_PICKER_H

#include <stdbool.h>
#include <stdint.h>

#include "base/bitfield.h"

#define PICKER_BLOCK		(16u << 10)
#define PICKER_MAX_DUP		3	/* peers asked for one block at once */
#define PICKER_MAX_PEERS	65536u
#define PICKER_SNUBBED_MAX	2	/* requests out to a snubbed peer */
#define PICKER_PIPE_MIN		2
#define PICKER_PIPE_MAX		500
#define PICKER_PIPE_SECONDS	3
#define PICKER_NO_PEER		UINT32_MAX	/* sender of a pad block */

enum picker_prio {
	PICKER_SKIP,		/* never request (pad files, --on-demand) */
	PICKER_NORMAL,		/* background, rarest first */
	PICKER_HIGH,		/* inside a reader's window */
	PICKER_CRITICAL,	/* a read() is parked on it */
};

struct picker_block {
	uint32_t	piece;
	uint32_t	begin;
	uint32_t	length;
};

struct picker_peer {
	uint32_t		 id;		/* < PICKER_MAX_PEERS */
	const struct bitfield	*have;		/* borrowed: its pieces */
	uint64_t		 rate;		/* bytes/s we get from it */
	bool			 snubbed;
};

/* What a received block means. */
struct picker_recv {
	bool		fresh;		/* first copy: keep the data */
	bool		piece_done;	/* every block is in: hash the piece */
	uint32_t	ncancel;	/* others asked for it too: cancel */
	uint32_t	cancel[PICKER_MAX_DUP];
};

struct picker;

/*
 * All pieces start NORMAL and missing.  NULL on a bad geometry
 * (npieces 0 or > 2^21, total not matching) or no memory.
 */
struct picker	*picker_new(uint32_t npieces, uint32_t piece_len,
		    uint64_t total);
void		 picker_free(struct picker *);

/*
 * A BEP 47 pad range [off, off+len): its blocks are never requested and
 * count as received (the bytes are zeros when hashing).  Ranges must come
 * in increasing order, without overlap, before the first pick (-EINVAL).
 */
int		 picker_add_pad(struct picker *, uint64_t off, uint64_t len);
/* Every byte of the piece is padding: the caller checks it locally. */
bool		 picker_piece_is_pad(const struct picker *, uint32_t piece);

/* Raise [first, last] to at least prio. */
void		 picker_raise(struct picker *, uint32_t first, uint32_t last,
		    enum picker_prio prio);
/* Set [first, last] to exactly prio (lowering: a reader moved away). */
void		 picker_set_prio(struct picker *, uint32_t first, uint32_t last,
		    enum picker_prio prio);
enum picker_prio picker_prio(const struct picker *, uint32_t piece);

/* Still wanted: not had, not SKIP, not all padding. */
bool		 picker_wants(const struct picker *, uint32_t piece);
/*
 * Does a peer with these pieces have one we want?  (Our interest, BEP 3;
 * O(wanted pieces) at worst, so call it on a bitfield, and use
 * picker_wants() on each HAVE.)
 */
bool		 picker_peer_interesting(const struct picker *,
		    const struct bitfield *have);

/* A verified piece (or one from the resume record): never requested. */
void		 picker_set_have(struct picker *, uint32_t piece);
bool		 picker_have(const struct picker *, uint32_t piece);
/* The piece was evicted from a capped cache: wanted again (its prio). */
void		 picker_clear_have(struct picker *, uint32_t piece);
uint32_t	 picker_have_count(const struct picker *);

/*
 * Availability.  A peer whose bitfield is full when added counts as a seed
 * (cheap: no per-piece update).  picker_peer_remove() also forgets every
 * request out to it (the blocks become free).  -EINVAL for a bad id or a
 * bitfield of another size.
 */
int		 picker_peer_add(struct picker *, uint32_t id,
		    const struct bitfield *have);
void		 picker_peer_have(struct picker *, uint32_t id, uint32_t piece);
void		 picker_peer_remove(struct picker *, uint32_t id,
		    const struct bitfield *have);
uint32_t	 picker_availability(const struct picker *, uint32_t piece);
/* Requests out to the peer, as the picker counts them. */
uint32_t	 picker_peer_nreq(const struct picker *, uint32_t id);

/*
 * Shuffle the order of equal pieces (same priority, same availability)
 * with the caller's seed, so that peers starting from the same sources
 * pick different pieces (a swarm needs them to have something to trade).
 * Rarest first and every other rule still decide; only ties move.
 */
void		 picker_shuffle(struct picker *, uint64_t seed);

/*
 * Spread each CRITICAL piece over about n peers (at most ceil(blocks/n) of
 * its blocks out to one peer at a time).  The caller sets n to the number
 * of peers that can serve (unchoked, not snubbed), at most 4; 1 (the
 * default) lets one peer take a whole piece.  To give critical blocks to
 * the fastest peers first, pick for peers in decreasing rate order.
 */
void		 picker_set_spread(struct picker *, uint32_t n);

/*
 * Fill out[] with up to max blocks for peer, marked as requested from it at
 * now; returns how many.  A snubbed peer gets at most PICKER_SNUBBED_MAX out
 * at a time.  A CRITICAL block requested more than stall_ms ago from a peer
 * slower than this one is requested again from this one.  In endgame
 * (every wanted block requested) blocks out to other peers are requested
 * again.  The caller sends them all or reports the unsent ones lost.
 */
uint32_t	 picker_pick(struct picker *, const struct picker_peer *peer,
		    uint64_t now, uint32_t stall_ms, struct picker_block *out,
		    uint32_t max);
bool		 picker_in_endgame(struct picker *);

/*
 * A block arrived from peer (one we asked for; the wire layer has checked
 * that).  -ENOENT when the piece is not being downloaded (we have it, or it
 * was never started): discard the data.
 */
int		 picker_on_block(struct picker *, uint32_t peer, uint32_t piece,
		    uint32_t begin, struct picker_recv *r);
/* A request will not be answered (reject, choke, timeout, cancel). */
void		 picker_on_lost(struct picker *, uint32_t peer, uint32_t piece,
		    uint32_t begin);
/*
 * The piece failed its hash: its blocks become free again.  Writes the
 * distinct peers that sent its blocks to peers[] (up to max) and returns
 * how many there were.
 */
uint32_t	 picker_on_hash_fail(struct picker *, uint32_t piece,
		    uint32_t *peers, uint32_t max);

/* Requests to keep out to a peer downloading at rate bytes/s:
 * rate x 3 s / 16 KiB, within [2, 500]. */
uint32_t	 picker_pipeline_depth(uint64_t rate);

/*
 * Check every internal invariant (order, buckets, block counts, per-peer
 * request counts); O(npieces + active blocks).  0, or -EFAULT with a
 * static reason in *why.  For tests and debug builds.
 */
int		 picker_check(const struct picker *, const char **why);

/* Geometry helpers. */
uint32_t	 picker_piece_size(const struct picker *, uint32_t piece);
uint32_t	 picker_nblocks(const struct picker *, uint32_t piece);

#endif /* VTFS_BT_PICKER_H */
