/*
 * choker: BEP 3 tit-for-tat unchoking decisions.  Pure: the caller passes
 * the peers' states and rates and the time, and applies the verdicts with
 * proto_choke()/proto_unchoke().  Network thread only.
 *
 * Every CHOKER_INTERVAL_MS (choker_due()), the regular slots (default 4) go
 * to the interested peers with the best rate: the rate we download from
 * them while we leech, the rate we upload to them while we seed.  Peers
 * that are not interested take no slot and stay choked.  Anti-snubbing:
 * while leeching, a peer that snubs us (no block for 60 s while we have
 * requests out) gets no regular slot; it may still win the optimistic one.
 * One extra optimistic slot goes to a random interested peer outside the
 * regular slots, rotated every CHOKER_OPTIMISTIC_MS; peers connected for
 * less than CHOKER_NEW_PEER_MS weigh CHOKER_NEW_WEIGHT times more, so that
 * newcomers get a first piece to trade with.
 */
#ifndef VTFS_BT_CHOKER_H
#define VTFS_BT_CHOKER_H

#include <stdbool.h>
#include <stdint.h>

#define CHOKER_SLOTS		4
#define CHOKER_INTERVAL_MS	10000
#define CHOKER_OPTIMISTIC_MS	30000
#define CHOKER_NEW_PEER_MS	60000
#define CHOKER_NEW_WEIGHT	3
#define CHOKER_NO_PEER		UINT32_MAX

struct choker_peer {
	uint32_t	id;		/* caller's, unique */
	bool		interested;	/* peer_interested */
	bool		snubbed;	/* it snubs us */
	uint64_t	down_rate;	/* bytes/s from it */
	uint64_t	up_rate;	/* bytes/s to it */
	uint64_t	connected_ms;	/* when the connection started */
	bool		unchoke;	/* out: the verdict */
	bool		optimistic;	/* out: holds the optimistic slot */
};

struct choker {
	uint32_t	slots;
	uint64_t	last_run_ms;
	uint64_t	last_opt_ms;
	bool		ran;
	uint32_t	opt_id;		/* CHOKER_NO_PEER when none */
	uint64_t	rng;
};

/* slots 0: CHOKER_SLOTS.  seed: for the optimistic draw (tests fix it). */
void		choker_init(struct choker *, uint32_t slots, uint64_t seed);
/* True when a regular re-evaluation is due. */
bool		choker_due(const struct choker *, uint64_t now);
/*
 * Decide for peers[0..n): sets each peer's unchoke and optimistic flags and
 * returns how many are unchoked.  May be called early (a peer became
 * interested, a peer left): the optimistic peer is only rotated when its
 * time is up or it is gone.
 */
uint32_t	choker_run(struct choker *, struct choker_peer *peers, uint32_t n,
		    bool seeding, uint64_t now);

#endif /* VTFS_BT_CHOKER_H */
