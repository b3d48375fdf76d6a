/*
 * cmd_seed: `vtfs --seed TORRENT --path DIR` serves the data of a torrent
 * laid out as a plain client downloads it (DIR/NAME, or DIR/NAME/...).  It
 * checks every piece first (the hasher's threads, with a progress bar on a
 * terminal), reports per file what is missing or wrong, then announces as
 * a seeder (left=0 when complete), listens and uploads until SIGINT or
 * SIGTERM, and announces `stopped` on the way out.  With some pieces
 * missing it seeds the pieces it has and says so; with none it fails.
 *
 * Main thread: it blocks SIGINT/SIGTERM before the session's threads start
 * (they inherit the mask), then waits for them with sigtimedwait() while it
 * polls the session's statistics.
 */
#include "cmd.h"
#include "cmd_swarm.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/bitfield.h"
#include "base/clock.h"
#define LOG_TAG "seed"
#include "base/log.h"
#include "base/num.h"
#include "base/progress.h"
#include "base/text.h"
#include "bt/metainfo.h"
#include "bt/netio.h"
#include "bt/resume.h"
#include "bt/session.h"
#include "bt/storage.h"

#define POLL_MS		50
#define STOP_BOUND_MS	1500	/* the `stopped` announce */

static const struct option opts[] = {
	{"seed", required_argument, NULL, 'S'},
	{"path", required_argument, NULL, 'p'},
	CMD_SWARM_LONGOPTS,
	{"quiet", no_argument, NULL, 'q'},
	{"verbose", no_argument, NULL, 'v'},
	{NULL, 0, NULL, 0},
};

/*
 * Per file: what the check found.  Returns how many files lack data.
 * The session's own bitfield is rebuilt from session_piece_verified().
 */
static int
report_files(const struct metainfo *m, struct session *s)
{
	struct resume_file_report *rep;
	struct storage *st = session_storage(s);
	struct bitfield have;
	uint32_t n = storage_nslots(st);
	int bad = 0, rc;

	if (bitfield_init(&have, m->npieces) < 0)
		return -ENOMEM;
	for (uint32_t i = 0; i < m->npieces; i++)
		if (session_piece_verified(s, i))
			bitfield_set(&have, i);
	if ((rep = calloc(n ? n : 1, sizeof(*rep))) == NULL) {
		bitfield_fini(&have);
		return -ENOMEM;
	}
	rc = resume_report(m, st, &have, NULL, rep);
	for (uint32_t i = 0; rc == 0 && i < n && i < m->nfiles; i++) {
		const struct resume_file_report *r = &rep[i];
		char what[512];

		if (r->pad || r->pieces == 0 || r->pieces_good == r->pieces)
			continue;
		log_escape(m->files[i].path, strlen(m->files[i].path), what,
		    sizeof(what));
		bad++;
		if (!r->present)
			fprintf(stderr, "vtfs: %s: missing (%" PRIu32 " of %"
			    PRIu32 " pieces lost)\n", what,
			    r->pieces - r->pieces_good, r->pieces);
		else if (!r->size_ok)
			fprintf(stderr, "vtfs: %s: wrong size, %" PRIu32
			    " of %" PRIu32 " pieces missing or wrong\n", what,
			    r->pieces - r->pieces_good, r->pieces);
		else
			fprintf(stderr, "vtfs: %s: %" PRIu32 " of %" PRIu32
			    " pieces missing or wrong (%" PRIu64
			    " bytes good)\n", what,
			    r->pieces - r->pieces_good, r->pieces,
			    r->bytes_good);
	}
	free(rep);
	bitfield_fini(&have);
	return rc < 0 ? rc : bad;
}

int
cmd_seed_main(int argc, char **argv)
{
	static struct cmd_swarm_opts so;
	struct session_config cfg;
	struct session_stats st;
	struct meta_error merr;
	struct metainfo *m = NULL;
	struct session *s = NULL;
	struct progress *bar = NULL;
	const char *torrent = NULL, *path = NULL;
	bool quiet = false, verbose = false;
	bool checked = false;
	uint64_t t0, shown = 0;
	sigset_t sigs, old;
	int c, rc, sig = 0, status = CMD_EXIT_OK;

	memset(&so, 0, sizeof(so));
	optind = 1;
	while ((c = getopt_long(argc, argv, "qv", opts, NULL)) != -1) {
		switch (c) {
		case 'S':
			torrent = optarg;
			break;
		case 'p':
			path = optarg;
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
		return cmd_usage_error("--seed TORRENT --path DIR");
	log_set_level(verbose ? LOG_LVL_DEBUG : quiet ? LOG_LVL_ERROR :
	    LOG_LVL_WARN);
	if ((rc = meta_load_file(torrent, &m, &merr)) < 0) {
		fprintf(stderr, "vtfs: %s: %s\n", torrent, merr.msg);
		return CMD_EXIT_FAIL;
	}

	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, &old);

	memset(&cfg, 0, sizeof(cfg));
	cfg.meta = m;
	cfg.layout = STORAGE_DOWNLOAD;
	cfg.dir = path;
	cmd_swarm_config(&so, &cfg);
	cfg.seed_only = true;
	t0 = clock_now_ms();
	if ((rc = session_start(&cfg, &s)) < 0) {
		fprintf(stderr, "vtfs: %s: %s\n", path, strerror(-rc));
		meta_free(m);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		return CMD_EXIT_FAIL;
	}
	if (!quiet)
		bar = progress_new("checking", 0, 0);
	for (;;) {
		struct timespec ts = {0, POLL_MS * 1000000L};

		sig = sigtimedwait(&sigs, NULL, &ts);
		if (sig > 0)
			break;
		session_get_stats(s, &st);
		if (st.npieces == 0)	/* not published yet */
			continue;
		if (!checked) {
			if (st.check_total > 0)
				progress_set_total(bar, st.check_total);
			if (st.check_done > shown) {
				progress_add(bar, st.check_done - shown);
				shown = st.check_done;
			}
			if (st.checking)
				continue;
			checked = true;
			progress_finish(bar, true);
			progress_free(bar);
			bar = NULL;
			rc = report_files(m, s);
			if (rc < 0)
				fprintf(stderr, "vtfs: %s: report: %s\n",
				    path, strerror(-rc));
			session_get_stats(s, &st);
			if (st.have == 0) {
				fprintf(stderr, "vtfs: %s: no piece of %s "
				    "found: nothing to seed\n", path,
				    m->name);
				status = CMD_EXIT_FAIL;
				break;
			}
			if (st.complete) {
				if (!quiet)
					printf("vtfs: seeding %s: all %" PRIu32
					    " pieces verified (%.1f s)\n",
					    m->name, st.npieces,
					    (double)(clock_now_ms() - t0) /
					    1000.0);
			} else {
				printf("vtfs: seeding %s partially: %" PRIu32
				    " of %" PRIu32 " pieces verified, %"
				    PRIu64 " of %" PRIu64 " bytes\n",
				    m->name, st.have, st.npieces,
				    st.have_bytes, st.total_bytes);
			}
			fflush(stdout);
		}
	}
	progress_finish(bar, false);
	progress_free(bar);
	session_stop(s, STOP_BOUND_MS);
	session_get_stats(s, &st);
	if (!quiet && checked) {
		char sent[32];

		text_human(sent, sizeof(sent), (double)st.uploaded);
		printf("vtfs: stopped seeding %s after %.1f s: sent %s (%"
		    PRIu64 " bytes)\n", m->name,
		    (double)(clock_now_ms() - t0) / 1000.0, sent,
		    st.uploaded);
		fflush(stdout);
	}
	session_free(s);
	meta_free(m);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (status == CMD_EXIT_OK && sig > 0 && !checked)
		status = 128 + sig;
	return status;
}
