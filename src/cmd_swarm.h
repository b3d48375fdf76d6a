/*
 * cmd_swarm: the options --download and --seed share (--listen, --peer,
 * --no-trackers, --max-peers, --max-upload-rate, --max-download-rate) and
 * their copy into a session_config.  Main thread.
 */
#ifndef VTFS_CMD_SWARM_H
#define VTFS_CMD_SWARM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "bt/session.h"

#define CMD_SWARM_MAX_PEERS	256

struct cmd_swarm_opts {
	struct sockaddr_storage	 peers[CMD_SWARM_MAX_PEERS];
	size_t			 npeers;
	const char		*listen;
	bool			 no_trackers;
	uint64_t		 max_peers;
	uint64_t		 max_up, max_down;	/* bytes/s, 0 none */
};

/* getopt_long entries for the shared options (val 'l','P','T','m','U','R'). */
#define CMD_SWARM_LONGOPTS \
	{"listen", required_argument, NULL, 'l'}, \
	{"peer", required_argument, NULL, 'P'}, \
	{"no-trackers", no_argument, NULL, 'T'}, \
	{"max-peers", required_argument, NULL, 'm'}, \
	{"max-upload-rate", required_argument, NULL, 'U'}, \
	{"max-download-rate", required_argument, NULL, 'R'}

/*
 * Take option c with argument arg when it is one of ours: returns 0 (taken),
 * 1 (not ours) or CMD_EXIT_USAGE (bad value, message printed).
 */
int	cmd_swarm_opt(struct cmd_swarm_opts *, int c, const char *arg);
/* Copy the options into cfg (peers borrowed from o). */
void	cmd_swarm_config(const struct cmd_swarm_opts *o,
	    struct session_config *cfg);

#endif /* VTFS_CMD_SWARM_H */
