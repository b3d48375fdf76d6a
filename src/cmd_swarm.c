/* cmd_swarm: see cmd_swarm.h. */
#include "cmd_swarm.h"

#include "cmd.h"

#include "base/num.h"
#include "bt/netio.h"

#define MAX_RATE	((uint64_t)1 << 40)

int
cmd_swarm_opt(struct cmd_swarm_opts *o, int c, const char *arg)
{
	switch (c) {
	case 'l':
		o->listen = arg;
		return 0;
	case 'P':
		if (o->npeers >= CMD_SWARM_MAX_PEERS)
			return cmd_usage_error("at most %d --peer",
			    CMD_SWARM_MAX_PEERS);
		if (netio_parse_addr(arg, &o->peers[o->npeers]) < 0)
			return cmd_usage_error("--peer %s: expected ADDR:PORT",
			    arg);
		o->npeers++;
		return 0;
	case 'T':
		o->no_trackers = true;
		return 0;
	case 'm':
		if (num_parse_u64(arg, 10000, &o->max_peers) < 0 ||
		    o->max_peers == 0)
			return cmd_usage_error("--max-peers %s: expected "
			    "1..10000", arg);
		return 0;
	case 'U':
	case 'R':
		if (num_parse_size(arg, MAX_RATE, c == 'U' ? &o->max_up :
		    &o->max_down) < 0)
			return cmd_usage_error("--max-%s-rate %s: expected "
			    "bytes/s (K, M suffixes)", c == 'U' ? "upload" :
			    "download", arg);
		return 0;
	default:
		return 1;
	}
}

void
cmd_swarm_config(const struct cmd_swarm_opts *o, struct session_config *cfg)
{
	cfg->listen = o->listen;
	cfg->peers = o->peers;
	cfg->npeers = o->npeers;
	cfg->no_trackers = o->no_trackers;
	cfg->max_peers = (uint32_t)o->max_peers;
	cfg->max_up_rate = o->max_up;
	cfg->max_down_rate = o->max_down;
}
