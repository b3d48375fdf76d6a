/*
 * tracker: what the HTTP and UDP fronts share: settings, the peer table,
 * the access policy (open or private: catalog + whitelist) and the one
 * announce path both fronts call.  Fields are set at start and read-only
 * afterwards (the objects they point to lock themselves); any thread.
 */
#ifndef VTFS_TRACKER_TRACKER_H
#define VTFS_TRACKER_TRACKER_H

#include <stdbool.h>
#include <stdint.h>

#include "tracker/auth.h"
#include "tracker/catalog.h"
#include "tracker/connid.h"
#include "tracker/swarm.h"
#include "tracker/whitelist.h"

#define TRACKER_DEFAULT_INTERVAL	300	/* s; LAN: shorter than 1800 */
#define TRACKER_MIN_INTERVAL		60
/*
 * "min interval" is half the interval, at most this: a client that has no
 * peer may ask again that soon (vtfs does), so a mount made before its
 * seeder started finds it within a minute, whatever the interval.
 */
#define TRACKER_MAX_MIN_INTERVAL	60

struct tracker {
	uint32_t		 interval;	/* s, >= TRACKER_MIN_INTERVAL */
	bool			 private_mode;	/* catalog + whitelist only */
	bool			 require_passkey;
	bool			 allow_ip_param;	/* trust ip= */
	bool			 allow_plain_auth;	/* creds over http */
	struct swarm		*swarm;		/* owned by main */
	struct whitelist	*whitelist;	/* owned by main, may be NULL */
	struct catalog		*catalog;	/* owned by main, may be NULL */
	struct auth		*auth;		/* owned by main */
	struct connid		 connid;
};

/* Seconds on the monotonic clock: the swarm's time base. */
uint64_t tracker_now(void);

/*
 * Announce a->info_hash after the access checks.  Returns 0, or a failure
 * reason for the client (a static string).
 */
const char *tracker_announce(struct tracker *, const struct swarm_announce *a,
	    struct swarm_peer_info *out, size_t *nout,
	    struct swarm_counts *counts);
/* True if the info-hash may be tracked (always in open mode). */
bool	tracker_allowed(struct tracker *, const uint8_t info_hash[20]);

#endif /* VTFS_TRACKER_TRACKER_H */
