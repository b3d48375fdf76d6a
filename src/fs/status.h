/*
 * status: the JSON status document of a mount (jansson), served as the
 * root's `user.vtfs.status` xattr and read back by `vtfs --status`.  Pure:
 * built from a metainfo, a session_stats snapshot and facts about the
 * mount.  Any thread.
 */
#ifndef VTFS_FS_STATUS_H
#define VTFS_FS_STATUS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "bt/metainfo.h"
#include "bt/session.h"

#define FS_STATUS_VERSION	1

struct fs_status_info {
	const struct metainfo		*meta;
	const struct session_stats	*stats;
	const char	*mountpoint;	/* may be NULL */
	const char	*source;	/* the TORRENT argument, may be NULL */
	const char	*cache_dir;	/* may be NULL */
	uint64_t	 cache_size;	/* cap, 0 none */
	bool		 on_demand;
	long		 pid;
	uint64_t	 uptime_s;
	uint32_t	 open_files;
	uint32_t	 parked_reads;
};

/* Percent of verified bytes (0..100, 100 for an empty range). */
double	fs_status_percent(uint64_t have, uint64_t total);
/* A new NUL-terminated compact JSON document (free()), or NULL: ENOMEM. */
char	*fs_status_json(const struct fs_status_info *);
/*
 * Print a status document (as parsed from fs_status_json()) for people.
 * Returns 0 or -EBADMSG when a required member is missing.
 */
int	fs_status_print(FILE *, const char *json, size_t len);

#endif /* VTFS_FS_STATUS_H */
