/*
 * mountopt: the mount command's `-o opt[,opt...]` strings (FUSE and
 * mount(8) conventions plus vtfs's own options), parsed into a struct.
 * Pure, any thread.
 *
 * Accepted: ro; allow_other (forces default_permissions); allow_root;
 * default_permissions; fsname=S; subtype=S; cache_dir=DIR;
 * cache_size=SIZE; on_demand; read_timeout=SECONDS; listen=ADDR[:PORT];
 * peer=ADDR:PORT (repeatable); no_trackers; keep; no_keep; debug.
 * Ignored (mount(8)/fstab words that mean nothing here): defaults, dev,
 * nodev, suid, nosuid, exec, noexec, auto, noauto, user, nouser, users,
 * owner, group, _netdev, nofail, async, sync, atime, noatime, relatime,
 * norelatime, strictatime, nodiratime, lazytime, x-*, comment=*.
 * Refused: rw (the filesystem is read-only) and anything else.
 */
#ifndef VTFS_FS_MOUNTOPT_H
#define VTFS_FS_MOUNTOPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FS_MOUNTOPT_MAX_PEERS	64
#define FS_MOUNTOPT_STR		1024

struct fs_mountopt {
	bool		 allow_other;
	bool		 allow_root;
	bool		 default_permissions;
	bool		 on_demand;
	bool		 no_trackers;
	bool		 debug;
	int		 keep;		/* -1 unset, 0 no_keep, 1 keep */
	bool		 has_cache_size;
	uint64_t	 cache_size;
	unsigned	 read_timeout_s; /* 0: unset */
	char		 fsname[FS_MOUNTOPT_STR];	/* "" unset */
	char		 subtype[FS_MOUNTOPT_STR];
	char		 cache_dir[FS_MOUNTOPT_STR];
	char		 listen[FS_MOUNTOPT_STR];
	char		 peers[FS_MOUNTOPT_MAX_PEERS][64];
	unsigned	 npeers;
};

/* Clear to "nothing given" (keep -1). */
void	fs_mountopt_init(struct fs_mountopt *);
/*
 * Parse one -o argument into o (options accumulate over several -o).
 * Returns 0, or -EINVAL with a message in err (size errsz): unknown
 * option, rw, a bad value, a missing or unexpected "=value".
 */
int	fs_mountopt_parse(struct fs_mountopt *o, const char *s, char *err,
	    size_t errsz);
/* Parse "SECONDS" (1..86400) for --read-timeout.  Returns 0 or -EINVAL. */
int	fs_mountopt_timeout(const char *, unsigned *out);

#endif /* VTFS_FS_MOUNTOPT_H */
