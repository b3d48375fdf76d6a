/*
 * reply: bencoded HTTP tracker responses (BEP 3 announce and scrape, BEP 23
 * compact peers, BEP 7 peers6, failure reason).  Pure; any thread.  Every
 * function appends to a struct buf whose cap and sticky error apply; check
 * buf_error() once at the end.
 */
#ifndef VTFS_TRACKER_REPLY_H
#define VTFS_TRACKER_REPLY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "tracker/swarm.h"

struct reply_announce {
	const struct swarm_counts	*counts;
	uint32_t			 interval;
	uint32_t			 min_interval;
	const struct swarm_peer_info	*peers;
	size_t				 npeers;
	bool				 compact;	/* BEP 23 + BEP 7; else
							 * dicts of ip and port */
};

void	reply_announce(struct buf *, const struct reply_announce *);
void	reply_failure(struct buf *, const char *reason);

/* A scrape: begin, one entry per info-hash (in sorted order), end. */
void	reply_scrape_begin(struct buf *);
void	reply_scrape_entry(struct buf *, const uint8_t info_hash[20],
	    const struct swarm_counts *);
void	reply_scrape_end(struct buf *);

/* Compact form of a peer: 6 bytes (IPv4) or 18 (IPv6); returns the size. */
size_t	reply_compact_peer(const struct swarm_addr *, uint8_t out[18]);

#endif /* VTFS_TRACKER_REPLY_H */
