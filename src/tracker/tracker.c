/*
 * tracker: the access policy and the announce path shared by the HTTP and
 * UDP fronts.  See tracker.h.
 */
#include "tracker/tracker.h"

#include <errno.h>

#include "base/clock.h"

uint64_t
tracker_now(void)
{
	return clock_now_ms() / 1000;
}

bool
tracker_allowed(struct tracker *t, const uint8_t ih[20])
{
	if (!t->private_mode)
		return true;
	if (t->catalog != NULL && catalog_contains(t->catalog, ih))
		return true;
	return t->whitelist != NULL && whitelist_contains(t->whitelist, ih);
}

const char *
tracker_announce(struct tracker *t, const struct swarm_announce *a,
    struct swarm_peer_info *out, size_t *nout, struct swarm_counts *counts)
{
	int rc;

	*nout = 0;
	if (!tracker_allowed(t, a->info_hash))
		return "unregistered torrent: not in this tracker's catalog";
	rc = swarm_announce(t->swarm, a, tracker_now(), out, nout, counts);
	if (rc == -ENOSPC)
		return "tracker full: too many torrents";
	if (rc < 0)
		return "tracker out of memory";
	return NULL;
}
