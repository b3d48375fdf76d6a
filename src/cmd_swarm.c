/* cmd_swarm: see cmd_swarm.h. */
#include "cmd_swarm.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cmd.h"

#include "base/clock.h"
#define LOG_TAG "swarm"
#include "base/log.h"
#include "base/num.h"
#include "base/text.h"
#include "bt/metainfo.h"
#include "bt/netio.h"

#define MAX_RATE	((uint64_t)1 << 40)
#define MAX_RATIO	1000000u	/* thousandths: a ratio of 1000 */
#define MAX_SEED_TIME	(100ull * 365 * 86400)	/* seconds */

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
	case 'r':
		if (num_parse_milli(arg, MAX_RATIO, &o->seed_ratio) < 0)
			return cmd_usage_error("--seed-ratio %s: expected a "
			    "ratio 0..1000 (e.g. 1.5)", arg);
		o->has_ratio = true;
		return 0;
	case 't':
		if (num_parse_duration(arg, MAX_SEED_TIME, &o->seed_time) < 0)
			return cmd_usage_error("--seed-time %s: expected "
			    "seconds or a duration (90, 30m, 2h, 1h30m)", arg);
		o->has_time = true;
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

int
cmd_swarm_begin(const struct cmd_swarm_opts *o, const char *torrent,
    const char *path, bool seed_only, struct cmd_swarm_run *r)
{
	struct session_config cfg;
	struct meta_error merr;
	int rc;

	memset(r, 0, sizeof(*r));
	if ((rc = meta_load_file(torrent, &r->m, &merr)) < 0) {
		fprintf(stderr, "vtfs: %s: %s\n", torrent, merr.msg);
		return CMD_EXIT_FAIL;
	}
	if (o->no_trackers && o->npeers == 0)
		log_warn("no trackers and no --peer: waiting for incoming "
		    "connections");

	/* The session's threads inherit this mask: signals come here. */
	sigemptyset(&r->sigs);
	sigaddset(&r->sigs, SIGINT);
	sigaddset(&r->sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &r->sigs, &r->old);
	/* libuv writes to sockets with plain write(): a peer that resets
	 * the connection while we send to it must cost an EPIPE on that
	 * connection, not the process (the mount does the same). */
	signal(SIGPIPE, SIG_IGN);

	memset(&cfg, 0, sizeof(cfg));
	cfg.meta = r->m;
	cfg.layout = STORAGE_DOWNLOAD;
	cfg.dir = path;
	cmd_swarm_config(o, &cfg);
	cfg.seed_only = seed_only;
	r->t0_ms = clock_now_ms();
	if ((rc = session_start(&cfg, &r->s)) < 0) {
		fprintf(stderr, "vtfs: %s: %s\n", path, strerror(-rc));
		meta_free(r->m);
		r->m = NULL;
		pthread_sigmask(SIG_SETMASK, &r->old, NULL);
		return CMD_EXIT_FAIL;
	}
	return 0;
}

int
cmd_swarm_wait(struct cmd_swarm_run *r, unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	int sig = sigtimedwait(&r->sigs, NULL, &ts);

	return sig > 0 ? sig : 0;
}

double
cmd_swarm_secs(const struct cmd_swarm_run *r)
{
	return (double)(clock_now_ms() - r->t0_ms) / 1000.0;
}

char *
cmd_swarm_ratio(char *out, size_t outsz, const struct session_stats *st)
{
	if (st->total_bytes == 0)
		snprintf(out, outsz, "-");
	else
		snprintf(out, outsz, "%.2f",
		    (double)st->uploaded / (double)st->total_bytes);
	return out;
}

void
cmd_swarm_seeding(struct cmd_swarm_run *r)
{
	if (r->seed_ms == 0)
		r->seed_ms = clock_now_ms();
}

bool
cmd_swarm_limit(const struct cmd_swarm_opts *o, struct cmd_swarm_run *r,
    const struct session_stats *st, char *why, size_t whysz)
{
	char up[32], ratio[32];

	if (r->seed_ms == 0)
		return false;
	text_human(up, sizeof(up), (double)st->uploaded);
	cmd_swarm_ratio(ratio, sizeof(ratio), st);
	/* uploaded / total >= R / 1000, in integers. */
	if (o->has_ratio && st->total_bytes > 0 &&
	    (unsigned __int128)st->uploaded * 1000 >=
	    (unsigned __int128)o->seed_ratio * st->total_bytes) {
		snprintf(why, whysz, "seed ratio %" PRIu64 ".%03" PRIu64
		    " reached (uploaded %s, ratio %s)", o->seed_ratio / 1000,
		    o->seed_ratio % 1000, up, ratio);
		return true;
	}
	if (o->has_time &&
	    clock_now_ms() - r->seed_ms >= o->seed_time * 1000) {
		snprintf(why, whysz, "seed time %" PRIu64 " s reached "
		    "(uploaded %s, ratio %s)", o->seed_time, up, ratio);
		return true;
	}
	return false;
}

void
cmd_swarm_end(struct cmd_swarm_run *r)
{
	session_free(r->s);
	meta_free(r->m);
	r->s = NULL;
	r->m = NULL;
	pthread_sigmask(SIG_SETMASK, &r->old, NULL);
}
