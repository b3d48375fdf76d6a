/*
 * ops: the FUSE low-level operations of a mount (libfuse 3.12+ API): a
 * read-only tree from fs/tree whose reads are answered from the session's
 * store when verified and otherwise parked on the session (DESIGN.md,
 * "The read path").  Every write-type operation gets EROFS.
 *
 * Threads: fs_ctx_new()/fs_ctx_free() on the main thread, with no FUSE
 * worker running; the operations run on FUSE workers (any number at once)
 * and on the session's callback threads (parked reads finishing).  The
 * context is shared read-only except for counters (atomics) and per-open
 * file readahead state (a mutex per open file).
 */
#ifndef VTFS_FS_OPS_H
#define VTFS_FS_OPS_H

#define FUSE_USE_VERSION FUSE_MAKE_VERSION(3, 12)
#include <fuse_lowlevel.h>

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "bt/metainfo.h"
#include "bt/session.h"
#include "fs/tree.h"

/* Entry and attribute timeouts: the tree never changes while mounted. */
#define FS_TIMEOUT_S		86400.0
#define FS_MAX_READ		(1u << 20)
#define FS_DEFAULT_READ_TIMEOUT_S 120u

struct fs_ops_config {
	const struct metainfo	*meta;		/* borrowed */
	const struct fs_tree	*tree;		/* borrowed */
	struct session		*session;	/* borrowed */
	uid_t			 uid;		/* owner of every node */
	gid_t			 gid;
	time_t			 mtime;		/* every node's times */
	unsigned		 read_timeout_s; /* parked read -> EIO */
	/* For the status document (borrowed, may be NULL): */
	const char		*mountpoint;
	const char		*source;
	const char		*cache_dir;
	uint64_t		 cache_size;
	bool			 on_demand;
};

struct fs_ctx;

int	fs_ctx_new(const struct fs_ops_config *, struct fs_ctx **out);
void	fs_ctx_free(struct fs_ctx *);
/* The operations; the userdata given to fuse_session_new is the ctx. */
const struct fuse_lowlevel_ops *fs_ops(void);
/* Bytes of file (index in meta->files) that are verified now. */
uint64_t fs_file_have(struct session *, const struct metainfo *,
	    uint32_t file);
/* Open files and parked reads now (any thread). */
uint32_t fs_ctx_open_files(const struct fs_ctx *);
uint32_t fs_ctx_parked_reads(const struct fs_ctx *);

#endif /* VTFS_FS_OPS_H */
