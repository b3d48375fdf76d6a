/*
 * swarm: the internals of one session shared by session.c (threads, the
 * cross-thread queue, the hasher, announces, reads, the resume record) and
 * peer.c (connections: netio <-> wire/proto <-> picker, the candidate list
 * and the connection policy, bans, serving verified blocks).  Not a public
 * API: include it from those two files only.
 *
 * Everything below is owned by the network thread unless a field says
 * otherwise.
 */
#ifndef VTFS_BT_SWARM_H
#define VTFS_BT_SWARM_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include <uv.h>

#include "base/bitfield.h"
#include "base/rate.h"
#include "base/tokenbucket.h"
#include "bt/choker.h"
#include "bt/picker.h"
#include "bt/pieceseq.h"
#include "bt/proto.h"
#include "bt/session.h"

struct announce;
struct hasher;
struct hasher_check;
struct netio;
struct netio_conn;
struct picker;
struct tracker_peer;

#define SWARM_CLIENT		"vtfs 0.1"
#define SWARM_MAX_CANDS		4096u	/* known peer addresses kept */
#define SWARM_MAX_IPS		4096u	/* per-IP records kept */
#define SWARM_DEFAULT_PEERS	60u	/* connections per torrent */
#define SWARM_MAX_CONNECTING	24u	/* outgoing connects at once */
#define SWARM_PER_IP		2u	/* connections from one address */
#define SWARM_RETRY_MIN_MS	1000u	/* reconnect back-off */
#define SWARM_RETRY_MAX_MS	10000u
#define SWARM_BAN_SCORE		4u	/* sole sender of a bad piece: 2,
					 * one of several senders: 1 */
#define SWARM_TICK_MS		250u
#define SWARM_STALL_MS		2000u	/* critical block re-request */
#define SWARM_SLOW_START_MS	5000u	/* after an unchoke: */
#define SWARM_SLOW_START_DEPTH	64u	/* at least this many requests */
#define SWARM_UPLOAD_INFLIGHT	64u	/* block reads in flight per peer */
#define SWARM_BUF_BYTES		((uint64_t)48 << 20)	/* assembly */

enum cand_state {
	CAND_IDLE,
	CAND_CONNECTING,
	CAND_CONNECTED,
};

/* A peer address we may dial (from a tracker or --peer). */
struct cand {
	struct sockaddr_storage	 addr;
	enum cand_state		 state;
	bool			 pinned;	/* --peer: never forgotten */
	bool			 seed;		/* had every piece: not dialled
						 * while we need nothing */
	uint32_t		 fails;
	uint64_t		 next_try_ms;
};

/* What we know of one IP address: misbehaviour, bans. */
struct ipinfo {
	struct sockaddr_storage	 addr;		/* port ignored */
	uint32_t		 score;		/* bad pieces, weighted */
	bool			 banned;
};

/* One connection. */
struct peer {
	struct session		*s;
	uint32_t		 id;		/* slot, the picker's peer id */
	uint32_t		 gen;		/* slot generation (async work) */
	struct netio_conn	*conn;		/* NULL once closed */
	struct proto		 p;
	bool			 proto_ok;	/* proto_init() done */
	bool			 running;	/* handshake done */
	bool			 in_picker;	/* availability reported */
	int32_t			 cand;		/* index in s->cands, -1 */
	uint32_t		 live_idx;	/* in s->live */
	uint32_t		 uploads;	/* block reads in flight */
	uint64_t		 unchoked_ms;	/* when the peer unchoked us */
	bool			 paused;	/* reading stopped: down limit */
	char			 name[64];	/* "1.2.3.4:5678" */
};

enum cmd_type {
	CMD_READ,
	CMD_CANCEL,
	CMD_WINDOW,
	CMD_WINDOW_CLOSE,
	CMD_STOP,
};

/* A call from another thread, queued for the loop. */
struct cmd {
	enum cmd_type		 type;
	struct session_read	*rd;		/* CMD_READ */
	uint64_t		 read_id;	/* CMD_CANCEL */
	int			 status;
	uint64_t		 reader, off, len;
	struct cmd		*next;
};

/* A reader's HIGH window. */
struct window {
	uint64_t	 reader;
	uint32_t	 first, last;	/* pieces */
	struct window	*next;
};

struct session {
	struct session_config	 cfg;		/* peers copied below */
	const struct metainfo	*meta;
	struct sockaddr_storage	*init_peers;	/* owned */
	char			*listen;	/* owned copy */
	char			 cache_root[4096];
	char			 resume_path[4096];
	uint8_t			 peer_id[20];

	char			 bind_host[256];	/* numeric, or "" */
	pthread_t		 thread;
	bool			 thread_started;
	bool			 joined;
	bool			 loop_ok;
	struct cmd		 stop_cmd;	/* never freed */
	uint32_t		 stop_bound_ms;
	uv_loop_t		 loop;
	uv_async_t		 wake;
	uv_timer_t		 tick;
	uint64_t		 nticks;

	/* Cross-thread queue (qlock). */
	pthread_mutex_t		 qlock;
	struct cmd		*qhead, *qtail;

	/* Published for any thread. */
	struct pieceseq		 vseq;		/* verified: readers' view */
	_Atomic uint32_t	 nverified;
	_Atomic uint64_t	 have_bytes_pub;
	pthread_mutex_t		 slock;		/* guards stats */
	struct session_stats	 stats;

	/* Network thread. */
	struct storage		*st;
	struct hasher		*hasher;
	struct picker		*pk;
	struct netio		*net;
	struct announce		*ann;
	struct bitfield		 have;		/* verified */
	struct bitfield		*checking;	/* owned: pieces under recheck */
	bool			 recheck_running;
	struct hasher_check	*recheck_job;
	uint16_t		 port;
	uint8_t			**asm_;		/* per piece: assembly buffer
						 * (hasher_buf_get), or NULL */
	uint32_t		 nasm;
	struct peer		**peers;	/* slots */
	struct peer		**live;		/* the connections, dense */
	uint32_t		 nlive;
	struct peer		**fill_list;	/* scratch of swarm_fill_all */
	uint32_t		 npeer_slots;
	uint32_t		 npeers;	/* live connections */
	uint32_t		*slot_gen;
	uint32_t		*id_ip;		/* slot -> index in ips */
	uint32_t		 next_slot;
	uint32_t		 cand_cursor;
	struct cand		*cands;
	uint32_t		 ncands;
	struct ipinfo		*ips;
	uint32_t		 nips;
	uint32_t		 max_peers;
	uint32_t		 nconnecting;
	struct rate		 down, up;
	uint64_t		 downloaded, uploaded;
	uint64_t		 downloaded_ok;	/* payload of pieces verified
						 * after a download */
	uint32_t		 hash_fails, banned;
	uint64_t		 have_bytes, total_bytes;	/* no pads */
	struct session_read	*reads;		/* parked */
	_Atomic uint64_t	 next_read_id;	/* any thread */
	struct window		*windows;
	uint32_t		 pending_works;	/* uv_queue_work in flight */
	bool			 stopping;
	bool			 announce_done;
	bool			 hasher_closed;
	bool			 final_started;	/* last resume save */
	bool			 final_done;
	bool			 finished;
	bool			 resume_busy;
	bool			 resume_dirty;
	bool			 completed_sent;
	uint64_t		 last_resume_ms;
	bool			 want_pass;	/* interest re-evaluation due */
	/* session_cache.c: the capped piece cache (cfg.cache_size) */
	_Atomic uint32_t	*access;	/* per piece: last use, s */
	struct bitfield		 keep;		/* files' heads and tails */
	struct bitfield		 evicting;	/* hole punch in flight */
	bool			 cache_full;	/* background fetch stops */
	bool			 cache_evicting_now;	/* no recursion */
	struct choker		 choker;
	struct choker_peer	*chk;		/* scratch of swarm_choke */
	bool			 want_choke;	/* early choker run due */
	struct tokenbucket	 up_tb, down_tb;	/* --max-*-rate */
	bool			 up_starved;	/* uploads wait for tokens */
	bool			 down_paused;	/* some peer is paused */
};

/* peer.c */
int	swarm_net_start(struct session *);
void	swarm_add_peer(struct session *, const struct sockaddr_storage *,
	    bool pinned);
void	swarm_add_tracker_peers(struct session *, const struct tracker_peer *,
	    uint32_t n);
void	swarm_tick(struct session *, uint64_t now);
void	swarm_connect_more(struct session *, uint64_t now);
/* A piece was verified (HAVE to everyone) or failed (strikes). */
void	swarm_piece_verified(struct session *, uint32_t piece);
void	swarm_piece_failed(struct session *, uint32_t piece);
/* Refill requests of every unchoked peer. */
void	swarm_fill_all(struct session *);
void	swarm_shutdown(struct session *);
void	swarm_free(struct session *);

/* session.c */
/* The assembly buffer of piece, made on first use; NULL when none left. */
uint8_t	*session_asm_get(struct session *, uint32_t piece);
/* Every block of piece is in: hand it to the hasher. */
void	session_piece_complete(struct session *, uint32_t piece);
bool	session_have(const struct session *, uint32_t piece);
/* Bytes of piece that are not padding. */
uint64_t session_piece_payload(const struct metainfo *, uint32_t piece);

/* session_cache.c (network thread, but session_touch_piece: any) */
int	session_cache_setup(struct session *);
void	session_cache_free(struct session *);
void	session_touch_piece(struct session *, uint32_t piece);
/* Update cache_full (a piece was verified or evicted). */
void	session_cache_check_full(struct session *);
/* Evict over the cap, update cache_full. */
void	session_cache_tick(struct session *);
/* Queue c for the loop (any thread). */
void	session_post(struct session *, struct cmd *c);

/* session_read.c (network thread) */
enum picker_prio session_base_prio(struct session *, uint32_t piece);
/* Set the picker's priority of the missing pieces in [first, last]. */
void	session_reprio(struct session *, uint32_t first, uint32_t last);
void	session_read_park(struct session *, struct session_read *);
void	session_read_cancelled(struct session *, uint64_t id, int status);
void	session_reads_on_piece(struct session *, uint32_t piece);
void	session_reads_deadlines(struct session *, uint64_t now);
void	session_reads_shutdown(struct session *);
void	session_window_set(struct session *, uint64_t reader, uint64_t off,
	    uint64_t len, bool close);

#endif /* VTFS_BT_SWARM_H */
