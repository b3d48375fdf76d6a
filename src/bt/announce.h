/*
 * announce: the tracker client of one torrent.  Finds peers through the
 * torrent's HTTP(S) and UDP (BEP 15) trackers following BEP 12 tiers
 * (see tiers.h; private torrents, BEP 27: one tracker at a time),
 * re-announces on the tracker's interval (clamped), backs off on failure,
 * sends "completed" and, on announce_stop(), "stopped" within a bound.
 *
 * Runs on the caller's libuv loop: the network thread (DESIGN.md
 * "Threads").  Every function is called on that thread, and every callback
 * runs on it, never from inside the call that caused it.
 */
#ifndef VTFS_BT_ANNOUNCE_H
#define VTFS_BT_ANNOUNCE_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "bt/metainfo.h"
#include "bt/tracker_resp.h"

#define ANNOUNCE_NUMWANT	50
#define ANNOUNCE_WANT_PEERS_S	60	/* see announce_want_peers() */

struct announce_config {
	uint16_t	 port;		/* the port we accept peers on */
	const char	*bind_addr;	/* numeric source address of every
					 * tracker request, NULL: any;
					 * copied */
	const uint8_t	*peer_id;	/* 20 bytes, NULL: a new one */
	uint32_t	 connect_timeout_ms;	/* 0: 10 s */
	uint32_t	 timeout_ms;	/* one whole request; 0: 30 s */
	uint32_t	 udp_retry_base_ms;	/* 0: 15000 (BEP 15) */
	uint32_t	 udp_max_shift;	/* retransmit n cap; 0: 8 */
	uint32_t	 backoff_base_ms;	/* after a failed round; 0: 15 s */
	uint32_t	 backoff_max_ms;	/* 0: 30 min */
	int32_t		 numwant;	/* 0: ANNOUNCE_NUMWANT */
	bool		 one_at_a_time;	/* strict BEP 12 also for public
					 * torrents (private ones always) */
	bool		 every_tracker;	/* diagnostic: announce once to every
					 * tracker of every tier at once, no
					 * re-announce */
	uint64_t	 seed;		/* tier shuffle; 0: random */
	uint64_t	 left;		/* bytes we still miss at start */
};

/* One tracker's answer (or failure), for diagnostics and logs. */
struct announce_report {
	const char			*url;	/* borrowed */
	uint32_t			 tier;	/* 0-based */
	bool				 scrape;
	enum tracker_event		 event;
	int				 rc;	/* 0 or -errno */
	const struct tracker_error	*err;	/* rc < 0 */
	const struct tracker_resp	*resp;	/* announce, rc == 0 */
	const struct tracker_scrape	*counts;	/* scrape, rc == 0 */
	uint64_t			 elapsed_ms;
};

struct announce_callbacks {
	/* Peers from one answer (n >= 1); the array is borrowed. */
	void	(*on_peers)(void *arg, const struct tracker_peer *, uint32_t n);
	/* Every answer and failure, scrapes included; may be NULL. */
	void	(*on_report)(void *arg, const struct announce_report *);
	void	*arg;
};

struct announce;

/*
 * Create the client of torrent m (its info-hash, tiers and private flag
 * are copied: m may be freed afterwards).  Nothing is sent before
 * announce_start().  Returns 0, -EINVAL (no usable tracker), -ENOMEM.
 */
int	announce_new(uv_loop_t *, const struct announce_config *,
	    const struct metainfo *m, const struct announce_callbacks *,
	    struct announce **out);
/* Send the first announces ("started"). */
void	announce_start(struct announce *);
/* Counters sent with the next announces. */
void	announce_set_stats(struct announce *, uint64_t uploaded,
	    uint64_t downloaded, uint64_t left);
/* The download completed: announce "completed" now. */
void	announce_completed(struct announce *);
/*
 * The torrent has no peer: announce again to each tracker that answered
 * once ANNOUNCE_WANT_PEERS_S (or its min interval, if longer) has passed
 * since its answer, rather than after its whole interval.  Cheap: call it
 * on every tick while the need lasts.
 */
void	announce_want_peers(struct announce *);
/* Scrape every tracker once; results arrive through on_report. */
void	announce_scrape(struct announce *);
/* Trackers in the torrent (for callers counting reports). */
uint32_t announce_tracker_count(const struct announce *);

/*
 * Stop: cancel what is in flight, send "stopped" to every tracker that
 * accepted us, and call done(arg) once every one answered or bound_ms
 * passed, whichever comes first.  No on_peers after this call.
 */
void	announce_stop(struct announce *, uint32_t bound_ms,
	    void (*done)(void *arg), void *arg);
/*
 * Release everything.  Libuv handles close asynchronously: keep running
 * the loop (uv_run) until it has no more work before uv_loop_close().
 * Safe from inside a callback.
 */
void	announce_free(struct announce *);

#endif /* VTFS_BT_ANNOUNCE_H */
