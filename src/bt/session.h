/*
 * session: one torrent's swarm, the engine that --download, --seed and the
 * mount drive.  session_start() starts the network thread (a libuv loop that
 * owns netio, announce, the picker, every peer's protocol state and the
 * choker) and the hasher pool.  Every function below is callable from any
 * thread (the main thread, FUSE workers): they post to the loop through a
 * queue and a uv_async wake-up, or read state published for readers.  None
 * waits on the network.
 *
 * The contract for readers (DESIGN.md, "The read path"): a byte range that
 * is verified can be read from session_storage() at once; a range that is
 * not is parked with session_read_start(), which raises its pieces to
 * CRITICAL, and its callback runs exactly once when every piece of the range
 * is verified (0), when the read is cancelled (the status given), when its
 * deadline passes (-ETIMEDOUT), or when the session stops (-ESHUTDOWN).  The
 * callback never runs on the network thread: it may do disk I/O and reply to
 * FUSE.
 */
#ifndef VTFS_BT_SESSION_H
#define VTFS_BT_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "bt/storage.h"

struct metainfo;
struct session;

struct session_config {
	const struct metainfo	*meta;		/* borrowed: outlives it */
	enum storage_layout	 layout;	/* CACHE (mount) or DOWNLOAD */
	const char		*dir;		/* cache root or --path DIR */
	const char		*listen;	/* "ADDR", "ADDR:PORT" or NULL */
	const struct sockaddr_storage *peers;	/* --peer, may be NULL */
	size_t			 npeers;
	bool			 no_trackers;	/* only --peer */
	bool			 seed_only;	/* --seed: never download */
	bool			 on_demand;	/* mount: fetch only what is read */
	uint64_t		 cache_size;	/* CACHE: cap in bytes, 0 none */
	uint64_t		 max_up_rate;	/* bytes/s, 0 none */
	uint64_t		 max_down_rate;
	uint32_t		 max_peers;	/* 0: default */
	unsigned		 unchoke_slots;	/* 0: default (4) */
	unsigned		 udp_retry_base_ms;	/* 0: BEP 15's 15 s */
};

struct session_stats {
	uint32_t	npieces;
	uint32_t	have;		/* verified pieces */
	uint64_t	have_bytes;
	uint64_t	total_bytes;	/* pad files excluded */
	uint64_t	downloaded;	/* payload bytes received */
	uint64_t	downloaded_ok;	/* of which in verified pieces: what
					 * the trackers are told */
	uint64_t	uploaded;	/* payload bytes sent */
	uint64_t	rate_down;	/* bytes/s, recent */
	uint64_t	rate_up;
	uint32_t	peers;		/* connected */
	uint32_t	seeds;		/* of which have everything */
	uint32_t	hash_fails;
	uint32_t	banned;
	uint64_t	cache_used;	/* CACHE: bytes on disk */
	bool		complete;
	bool		checking;	/* start-up recheck running */
	uint64_t	check_done;	/* its bytes hashed */
	uint64_t	check_total;
};

/*
 * Open the store (resuming: trusted pieces from the resume record, the
 * rest rechecked in the background), start the threads, announce, connect.
 * Returns 0 or -errno (the store could not be opened, the listen address
 * is unusable, ...).
 */
int	session_start(const struct session_config *, struct session **out);
/*
 * Stop: parked reads get -ESHUTDOWN, `stopped` is announced within
 * announce_bound_ms, the resume record is written, the threads are
 * joined.  Blocks the caller (never call it from a session callback).
 */
void	session_stop(struct session *, unsigned announce_bound_ms);
void	session_free(struct session *);

/* A snapshot, any thread. */
void	session_get_stats(struct session *, struct session_stats *out);
bool	session_piece_verified(struct session *, uint32_t piece);
bool	session_range_verified(struct session *, uint64_t off, uint64_t len);
/*
 * Verified data lives here (storage_read/storage_map): borrowed.  Read it
 * directly only when no piece can leave the store (no cache cap); else
 * through session_read_verified().
 */
struct storage *session_storage(struct session *);
/*
 * Copy [off, off + len) out of the store into buf, only if every piece of
 * it is verified and stays so during the copy.  With a cache cap a piece
 * may be evicted (its hole punched, reading as zeros) and downloaded
 * again at any time, also between a check and a pread: this one sees
 * both.  Returns 0, -EAGAIN (some piece is not verified, or changed
 * during the copy: park the read), -ERANGE, or the store's -errno.  Any
 * thread, no lock held across the pread.
 */
int	session_read_verified(struct session *, uint64_t off, size_t len,
	    void *buf);

/* A parked read; the caller owns the memory until done() has run. */
struct session_read {
	uint64_t	 off;		/* torrent byte range */
	uint64_t	 len;
	uint64_t	 deadline_ms;	/* clock_now_ms() based; 0: none */
	void		(*done)(struct session_read *, int status);
	void		*user;
	uint64_t	 id;		/* set when session_read_start() parks
					 * it, unique in the session: what a
					 * cancel names */
	/* private to session: */
	struct session_read *next;
	uint32_t	 first, last;	/* pieces */
	uint32_t	 missing;
	int		 state;
};

/*
 * Returns 1 when the range is verified already (done is not called), 0
 * when parked (done will be called once), or -errno.
 */
int	session_read_start(struct session *, struct session_read *);
/*
 * Ask for done(status) now (a FUSE interrupt: -EINTR) of the read whose
 * id is given (rd->id, read while the read was known to be parked).  The
 * session matches the id, never a pointer: a cancel that arrives after
 * its read ended is a no-op, even when the read's memory holds another
 * parked read by then.
 */
void	session_read_cancel(struct session *, uint64_t id, int status);

/*
 * Readers' windows: reader is any id unique per open file.  The session
 * makes [off, off + len) HIGH for that reader (replacing its previous
 * window) and keeps those pieces out of cache eviction.  With a cache cap,
 * len is clamped to half the cap.
 */
void	session_reader_window(struct session *, uint64_t reader, uint64_t off,
	    uint64_t len);
void	session_reader_close(struct session *, uint64_t reader);

/*
 * A reader used [off, off + len) (served from the store): the capped
 * cache evicts the least recently used pieces first.  Any thread, no lock.
 */
void	session_touch(struct session *, uint64_t off, uint64_t len);

#endif /* VTFS_BT_SESSION_H */
