/*
 * swarm: the tracker's peer table.  Peers are kept in memory per info-hash,
 * each with an expiry time; torrents live in 256 shards, each behind its own
 * mutex, so the HTTP and UDP threads announce in parallel.  No clock of its
 * own (callers pass the time in seconds) and no I/O.  Any thread.
 *
 * A peer is keyed by its address and port (the source address the tracker
 * saw, or the configured override): a client that restarts with a new peer
 * id replaces its old entry.  Peer ids are not stored (they would be 20 of
 * 44 bytes a peer; opentracker does not keep them either), so non-compact
 * replies carry no "peer id".  IPv4 addresses are stored IPv4-mapped.  A
 * peer costs 24 bytes.
 */
#ifndef VTFS_TRACKER_SWARM_H
#define VTFS_TRACKER_SWARM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define SWARM_NUMWANT_DEFAULT	50
#define SWARM_NUMWANT_MAX	200
#define SWARM_DEFAULT_MAX_TORRENTS	1000000u
#define SWARM_DEFAULT_MAX_PEERS		50000u	/* per torrent */

enum swarm_event {
	SWARM_EV_NONE,
	SWARM_EV_COMPLETED,
	SWARM_EV_STARTED,
	SWARM_EV_STOPPED,
	SWARM_EV_PAUSED,	/* BEP 21: a partial seed; kept as a leecher */
};

/* An endpoint: IPv4 is stored as ::ffff:a.b.c.d. */
struct swarm_addr {
	uint8_t		ip[16];
	uint16_t	port;
};

struct swarm_announce {
	uint8_t			info_hash[20];
	struct swarm_addr	addr;
	uint64_t		left;
	enum swarm_event	event;
	uint32_t		numwant;	/* already clamped by the caller */
};

struct swarm_peer_info {
	struct swarm_addr	addr;
};

struct swarm_counts {
	uint32_t	complete;	/* seeders */
	uint32_t	incomplete;	/* leechers */
	uint32_t	downloaded;	/* downloads: a "completed" event, or a
					 * leecher announcing left=0 */
};

struct swarm;

/*
 * ttl: seconds a peer stays without announcing again (about 2 x interval).
 * max_torrents, max_peers: caps (0: the defaults).  Returns NULL on ENOMEM.
 */
struct swarm	*swarm_new(uint32_t ttl, uint32_t max_torrents,
		    uint32_t max_peers);
void		 swarm_free(struct swarm *);

/*
 * Record an announce at time now (seconds) and write up to a->numwant other
 * peers into out (room for SWARM_NUMWANT_MAX) and their count into *nout;
 * counts gets the torrent's numbers after the announce.  A seeder is given
 * leechers first.  A "stopped" peer is removed and given no peers.  Returns
 * 0, or -ENOSPC when a new torrent would pass the torrent cap (the announce
 * is then refused), -ENOMEM.  A torrent at its peer cap still answers but
 * does not record the new peer.
 */
int		 swarm_announce(struct swarm *, const struct swarm_announce *a,
		    uint64_t now, struct swarm_peer_info *out, size_t *nout,
		    struct swarm_counts *counts);

/* Counts for one info-hash (zeros when unknown).  Returns true if known. */
bool		 swarm_scrape(struct swarm *, const uint8_t info_hash[20],
		    struct swarm_counts *counts);

/*
 * Drop peers whose time passed and torrents left without peers.  Called
 * periodically (it walks every shard, locking one at a time).  Returns the
 * number of peers dropped.
 */
size_t		 swarm_expire(struct swarm *, uint64_t now);

/* Totals, for logs and tests. */
void		 swarm_stats(struct swarm *, size_t *torrents, size_t *peers);

/* Fill a from 4 or 16 raw bytes and a port (host order). */
void		 swarm_addr_set(struct swarm_addr *, const uint8_t *ip,
		    size_t iplen, uint16_t port);
static inline bool
swarm_addr_is_v4(const struct swarm_addr *a)
{
	static const uint8_t pfx[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0xff, 0xff };

	return memcmp(a->ip, pfx, sizeof(pfx)) == 0;
}

#endif /* VTFS_TRACKER_SWARM_H */
