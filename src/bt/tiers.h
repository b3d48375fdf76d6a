/*
 * tiers: which tracker to announce to, and when (BEP 12 with the BEP 27
 * rule for private torrents).  Pure: no I/O, no clock of its own (callers
 * pass the time in ms), a seeded shuffle.  Network thread only.
 *
 * Each tier is shuffled once at creation.  Trackers are tried in order;
 * one that answers moves to the front of its tier and stays the one used
 * until it fails.  A failure moves on to the next tracker at once; when
 * every tracker of a group has failed in a row, the group backs off
 * exponentially (backoff_base_ms * 2^n, up to backoff_max_ms) before the
 * next round.
 *
 * Groups: with one_at_a_time (mandatory for private torrents, BEP 27: one
 * tracker at a time, switching only on failure) all tiers form one group
 * walked tier after tier, so exactly one tracker is in use.  Otherwise
 * every tier is its own group and the tiers announce in parallel, so a
 * torrent keeps finding peers while any tracker is down or hangs.
 */
#ifndef VTFS_BT_TIERS_H
#define VTFS_BT_TIERS_H

#include <stdbool.h>
#include <stdint.h>

#include "bt/metainfo.h"
#include "bt/tracker_resp.h"

struct tiers_config {
	bool		one_at_a_time;	/* BEP 27 / strict BEP 12 */
	uint32_t	backoff_base_ms;	/* 0: 15000 */
	uint32_t	backoff_max_ms;		/* 0: 1800000 */
	uint64_t	seed;		/* for the shuffle */
};

struct tiers_job {
	uint32_t		 id;	/* stable tracker id */
	uint32_t		 tier;	/* 0-based, as in the torrent */
	const char		*url;	/* owned by tiers */
	enum tracker_event	 event;
};

struct tiers;

/* Returns NULL on -ENOMEM or when there is no tracker at all. */
struct tiers	*tiers_new(const struct meta_tier *, uint32_t ntiers,
		    const struct tiers_config *);
void		 tiers_free(struct tiers *);
uint32_t	 tiers_count(const struct tiers *);	/* trackers */

/*
 * The next announce due at now: returns true and fills *out, marking its
 * group busy until tiers_on_success/failure() for that job.
 */
bool		 tiers_next(struct tiers *, uint64_t now_ms,
		    struct tiers_job *out);
/* When the next job is due (ms); UINT64_MAX when every group is busy. */
uint64_t	 tiers_next_due(const struct tiers *);
/*
 * The tracker of job answered: interval and min_interval in s (already
 * clamped by the parser); the next announce of its group is due after
 * max(interval, min_interval).
 */
void		 tiers_on_success(struct tiers *, const struct tiers_job *,
		    uint32_t interval_s, uint32_t min_interval_s,
		    uint64_t now_ms);
void		 tiers_on_failure(struct tiers *, const struct tiers_job *,
		    uint64_t now_ms);
/*
 * The torrent needs peers (it has none): every idle group whose tracker
 * answered last time announces again once max(its min interval, floor_s)
 * has passed since that answer, instead of waiting for the whole interval
 * (a LAN tracker's 30 min would leave a mount made before its seeder
 * empty that long).  Returns true when some announce became due sooner.
 */
bool		 tiers_want_peers(struct tiers *, uint32_t floor_s,
		    uint64_t now_ms);
/* The download completed: every idle group announces "completed" now. */
void		 tiers_set_completed(struct tiers *, uint64_t now_ms);
/*
 * Trackers owed a "stopped" (they accepted a "started"): fills up to max
 * jobs with event STOPPED and returns how many.
 */
uint32_t	 tiers_stop_jobs(const struct tiers *, struct tiers_job *out,
		    uint32_t max);
/*
 * The i-th tracker (0 <= i < tiers_count()) in the current order, with
 * event STARTED unless it accepted one already, or false: for a diagnostic that announces to every one.
 */
bool		 tiers_get(const struct tiers *, uint32_t i,
		    struct tiers_job *out);
/* Tracker id accepted a "started" outside tiers_next() (diagnostics). */
void		 tiers_set_started(struct tiers *, uint32_t id);
/* Position of tracker id inside its tier now (for tests and logs). */
uint32_t	 tiers_pos(const struct tiers *, uint32_t id);

#endif /* VTFS_BT_TIERS_H */
