/*
 * cmd_download: `vtfs --download TORRENT --path DIR` downloads a torrent
 * the way a plain client does (DIR/NAME, or DIR/NAME/... for a multi-file
 * torrent), with a progress bar on a terminal and a summary line, and exits
 * 0 once every piece is verified and on disk.  SIGINT/SIGTERM stop the
 * session cleanly (resume record written, "stopped" announced within
 * STOP_BOUND_MS) and the next run resumes.  With --seed-after (implied by
 * --seed-ratio and --seed-time) it keeps serving after completion until a
 * signal or a seeding limit, then stops the same way and exits 0.
 *
 * Main thread: cmd_swarm_begin() blocks SIGINT/SIGTERM before the
 * session's threads start (they inherit the mask); the loop waits for them
 * while it polls the session's statistics for the bar.
 */
#include "cmd.h"
#include "cmd_swarm.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define LOG_TAG "download"
#include "base/log.h"
#include "base/progress.h"
#include "base/text.h"
#include "bt/metainfo.h"
#include "bt/session.h"

#define POLL_MS		25
#define STOP_BOUND_MS	600	/* Ctrl-C: whole stop well under 1 s */
#define DONE_BOUND_MS	2000	/* after completion */

static const struct option opts[] = {
	{"download", required_argument, NULL, 'D'},
	{"path", required_argument, NULL, 'p'},
	CMD_SWARM_LONGOPTS,
	{"seed-after", no_argument, NULL, 'A'},
	{"quiet", no_argument, NULL, 'q'},
	{"verbose", no_argument, NULL, 'v'},
	{NULL, 0, NULL, 0},
};

/* The end-of-run summary, on stderr. */
static void
summary(const struct metainfo *m, const struct session_stats *st,
    double secs, bool done)
{
	char total[32], got[32], sent[32], rate[32], ratio[32];
	double r = secs > 0 ? (double)st->downloaded / secs : 0;

	text_human(total, sizeof(total), (double)st->have_bytes);
	text_human(got, sizeof(got), (double)st->downloaded);
	text_human(sent, sizeof(sent), (double)st->uploaded);
	text_human(rate, sizeof(rate), r);
	cmd_swarm_ratio(ratio, sizeof(ratio), st);
	fprintf(stderr, "vtfs: %s: %s (%" PRIu32 "/%" PRIu32 " pieces) in "
	    "%.1f s; received %s (%" PRIu64 " bytes, %" PRIu64 " verified, "
	    "%s/s), sent %s (%" PRIu64 " bytes), ratio %s; %" PRIu32
	    " hash failures, %" PRIu32 " peers banned\n",
	    done ? "complete" : "stopped", total, st->have, st->npieces, secs,
	    got, st->downloaded, st->downloaded_ok, rate, sent, st->uploaded,
	    ratio, st->hash_fails, st->banned);
	(void)m;
}

int
cmd_download_main(int argc, char **argv)
{
	static struct cmd_swarm_opts so;
	struct cmd_swarm_run run;
	struct session_stats st;
	struct metainfo *m;
	struct session *s;
	struct progress *bar = NULL;
	const char *torrent = NULL, *path = NULL;
	bool quiet = false, verbose = false;
	bool seed_after = false, seeding = false, limited = false;
	uint64_t shown = 0;
	char why[256];
	int c, rc, sig = 0, status;

	memset(&so, 0, sizeof(so));
	optind = 1;
	while ((c = getopt_long(argc, argv, "qv", opts, NULL)) != -1) {
		switch (c) {
		case 'D':
			torrent = optarg;
			break;
		case 'p':
			path = optarg;
			break;
		case 'A':
			seed_after = true;
			break;
		case 'q':
			quiet = true;
			break;
		case 'v':
			verbose = true;
			break;
		default:
			if ((rc = cmd_swarm_opt(&so, c, optarg)) == 1)
				return cmd_usage_error("see vtfs --help");
			if (rc != 0)
				return rc;
			break;
		}
	}
	if (optind < argc)
		return cmd_usage_error("unexpected argument %s", argv[optind]);
	if (!torrent || !path)
		return cmd_usage_error("--download TORRENT --path DIR");
	/* A seeding limit means seeding after the download. */
	if (so.has_ratio || so.has_time)
		seed_after = true;
	log_set_level(verbose ? LOG_LVL_DEBUG : quiet ? LOG_LVL_ERROR :
	    LOG_LVL_WARN);
	if (cmd_swarm_begin(&so, torrent, path, false, &run) != 0)
		return CMD_EXIT_FAIL;
	m = run.m;
	s = run.s;
	session_get_stats(s, &st);
	if (!quiet)
		bar = progress_new(m->name, st.total_bytes, 0);
	progress_add(bar, st.have_bytes);
	shown = st.have_bytes;
	for (;;) {
		char extra[PROGRESS_EXTRA_MAX], up[32];

		if ((sig = cmd_swarm_wait(&run, POLL_MS)) > 0)
			break;
		session_get_stats(s, &st);
		if (st.have_bytes > shown) {
			progress_add(bar, st.have_bytes - shown);
			shown = st.have_bytes;
		}
		text_human(up, sizeof(up), (double)st.rate_up);
		snprintf(extra, sizeof(extra), "%" PRIu32 " peers  up %s/s",
		    st.peers, up);
		progress_set_extra(bar, extra);
		if (st.complete && !seed_after)
			break;
		if (st.complete && !seeding) {
			/* --seed-after: the session keeps serving. */
			seeding = true;
			cmd_swarm_seeding(&run);
			progress_finish(bar, true);
			progress_free(bar);
			bar = NULL;
			if (!quiet) {
				printf("vtfs: %s complete; seeding until "
				    "%s\n", m->name, so.has_ratio ||
				    so.has_time ? "a limit is reached or "
				    "interrupted" : "interrupted");
				fflush(stdout);
			}
		}
		if (seeding && cmd_swarm_limit(&so, &run, &st, why,
		    sizeof(why))) {
			limited = true;
			break;
		}
	}
	session_stop(s, sig > 0 ? STOP_BOUND_MS : DONE_BOUND_MS);
	session_get_stats(s, &st);
	progress_finish(bar, st.complete);
	progress_free(bar);
	if (limited)
		fprintf(stderr, "vtfs: %s: stopped seeding: %s\n", m->name,
		    why);
	if (!quiet || !st.complete)
		summary(m, &st, cmd_swarm_secs(&run), st.complete);
	status = st.complete ? CMD_EXIT_OK : sig > 0 ? 128 + sig :
	    CMD_EXIT_FAIL;
	cmd_swarm_end(&run);
	return status;
}
