/*
 * cmd_swarm: what --download and --seed share: their common options
 * (--listen, --peer, --no-trackers, --max-peers, --max-upload-rate,
 * --max-download-rate, --seed-ratio, --seed-time), the start-up (torrent
 * loaded, SIGINT/SIGTERM blocked for the session's threads, session
 * started), the wait for a signal, the seeding limits and the tear-down.
 * Main thread.
 */
#ifndef VTFS_CMD_SWARM_H
#define VTFS_CMD_SWARM_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "bt/session.h"

struct metainfo;

#define CMD_SWARM_MAX_PEERS	256

struct cmd_swarm_opts {
	struct sockaddr_storage	 peers[CMD_SWARM_MAX_PEERS];
	size_t			 npeers;
	const char		*listen;
	bool			 no_trackers;
	uint64_t		 max_peers;
	uint64_t		 max_up, max_down;	/* bytes/s, 0 none */
	bool			 has_ratio;	/* --seed-ratio */
	uint64_t		 seed_ratio;	/* thousandths */
	bool			 has_time;	/* --seed-time */
	uint64_t		 seed_time;	/* seconds */
};

/*
 * getopt_long entries for the shared options (val 'l','P','T','m','U','R',
 * 'r','t').
 */
#define CMD_SWARM_LONGOPTS \
	{"listen", required_argument, NULL, 'l'}, \
	{"peer", required_argument, NULL, 'P'}, \
	{"no-trackers", no_argument, NULL, 'T'}, \
	{"max-peers", required_argument, NULL, 'm'}, \
	{"max-upload-rate", required_argument, NULL, 'U'}, \
	{"max-download-rate", required_argument, NULL, 'R'}, \
	{"seed-ratio", required_argument, NULL, 'r'}, \
	{"seed-time", required_argument, NULL, 't'}

/*
 * Take option c with argument arg when it is one of ours: returns 0 (taken),
 * 1 (not ours) or CMD_EXIT_USAGE (bad value, message printed).
 */
int	cmd_swarm_opt(struct cmd_swarm_opts *, int c, const char *arg);
/* Copy the options into cfg (peers borrowed from o). */
void	cmd_swarm_config(const struct cmd_swarm_opts *o,
	    struct session_config *cfg);

/* One running command's torrent and session. */
struct cmd_swarm_run {
	struct metainfo		*m;	/* owned */
	struct session		*s;	/* owned */
	sigset_t		 sigs;	/* SIGINT, SIGTERM: blocked */
	sigset_t		 old;	/* the mask to restore */
	uint64_t		 t0_ms;	/* session started */
	uint64_t		 seed_ms;	/* seeding since; 0: not yet */
};

/*
 * Load torrent, block SIGINT/SIGTERM (the session's threads inherit the
 * mask: signals come to cmd_swarm_wait()), start the session on path
 * (STORAGE_DOWNLOAD layout, seed_only for --seed).  Returns 0, or
 * CMD_EXIT_FAIL with the message printed and nothing left to free.
 */
int	cmd_swarm_begin(const struct cmd_swarm_opts *, const char *torrent,
	    const char *path, bool seed_only, struct cmd_swarm_run *r);
/* Wait up to ms for SIGINT/SIGTERM: returns the signal or 0. */
int	cmd_swarm_wait(struct cmd_swarm_run *, unsigned ms);
/* Seconds since cmd_swarm_begin(). */
double	cmd_swarm_secs(const struct cmd_swarm_run *);
/* uploaded / size, as "1.23" ("-" for an empty torrent). */
char	*cmd_swarm_ratio(char *out, size_t outsz, const struct session_stats *);
/*
 * Seeding has begun (its clock for --seed-time starts now); once per run.
 */
void	cmd_swarm_seeding(struct cmd_swarm_run *);
/*
 * True when a seeding limit (--seed-ratio, --seed-time) is reached; why
 * then says which ("seed ratio 1.50 reached (uploaded ...)").  Only once
 * cmd_swarm_seeding() was called.
 */
bool	cmd_swarm_limit(const struct cmd_swarm_opts *, struct cmd_swarm_run *,
	    const struct session_stats *, char *why, size_t whysz);
/* Free the session and the torrent, restore the signal mask. */
void	cmd_swarm_end(struct cmd_swarm_run *);

#endif /* VTFS_CMD_SWARM_H */
