/*
 * cmd_seed: `vtfs --seed TORRENT --path DIR` serves the data of a torrent
 * laid out as a plain client downloads it (DIR/NAME, or DIR/NAME/...).  It
 * checks every piece first (the hasher's threads, with a progress bar on a
 * terminal), reports per file what is missing or wrong, then announces as
 * a seeder (left=0 when complete), listens and uploads until SIGINT or
 * SIGTERM or a seeding limit (--seed-ratio, --seed-time), and announces
 * `stopped` on the way out.  With some pieces missing it seeds the pieces
 * it has and says so; with none it fails.
 *
 * Main thread: cmd_swarm_begin() blocks SIGINT/SIGTERM before the
 * session's threads start (they inherit the mask); the loop waits for them
 * while it polls the session's statistics.
 */
#include "cmd.h"
#include "cmd_swarm.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOG_TAG "seed"
#include "base/log.h"
#include "base/progress.h"
#include "base/text.h"
#include "bt/metainfo.h"
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

/* What is on disk: covered bytes per piece and per file. */
struct cover {
	const struct metainfo	*m;
	uint64_t		*piece;	/* [npieces] */
	uint64_t		*file;	/* [nfiles] */
	uint32_t		 cur;	/* file cursor: ranges come in order */
};

static void
cover_add(struct cover *c, uint64_t off, uint64_t len)
{
	uint64_t pl = c->m->piece_len, end = off + len;

	for (uint64_t p = off / pl; p * pl < end && p < c->m->npieces; p++) {
		uint64_t lo = p * pl > off ? p * pl : off;
		uint64_t hi = (p + 1) * pl < end ? (p + 1) * pl : end;

		c->piece[p] += hi - lo;
	}
}

static int
on_range(void *arg, uint64_t off, uint64_t len)
{
	struct cover *c = arg;
	const struct metainfo *m = c->m;
	uint64_t end = off + len;

	cover_add(c, off, len);
	while (c->cur < m->nfiles &&
	    m->files[c->cur].offset + m->files[c->cur].size <= off)
		c->cur++;
	for (uint32_t i = c->cur; i < m->nfiles &&
	    m->files[i].offset < end; i++) {
		uint64_t fs = m->files[i].offset;
		uint64_t fe = fs + m->files[i].size;

		c->file[i] += (fe < end ? fe : end) - (fs > off ? fs : off);
	}
	return 0;
}

/* Non-pad bytes of every piece, into need[npieces]. */
static void
piece_needs(const struct metainfo *m, uint64_t *need)
{
	for (uint32_t i = 0; i < m->nfiles; i++) {
		if (m->files[i].attr & META_ATTR_PAD)
			continue;
		cover_add(&(struct cover){.m = m, .piece = need},
		    m->files[i].offset, m->files[i].size);
	}
}

/* One file's line: missing data, wrong data, or pieces it shares. */
static void
report_file(const struct metainfo *m, uint32_t i, uint64_t on_disk,
    uint32_t npieces, uint32_t wrong, uint32_t gaps)
{
	char name[512], size[32], got[32];

	log_escape(m->files[i].path, strlen(m->files[i].path), name,
	    sizeof(name));
	text_human(size, sizeof(size), (double)m->files[i].size);
	if (on_disk < m->files[i].size) {
		if (on_disk == 0)
			snprintf(got, sizeof(got), "0");
		else
			text_human(got, sizeof(got), (double)on_disk);
		fprintf(stderr, "vtfs: %s: missing (%s of %s)", name, got,
		    size);
		if (wrong > 0)
			fprintf(stderr, "; wrong data in %" PRIu32 " of %"
			    PRIu32 " pieces", wrong, npieces);
		fputc('\n', stderr);
	} else if (wrong > 0) {
		fprintf(stderr, "vtfs: %s: wrong data in %" PRIu32 " of %"
		    PRIu32 " pieces\n", name, wrong, npieces);
	} else if (gaps > 0) {
		fprintf(stderr, "vtfs: %s: complete, but %" PRIu32 " of %"
		    PRIu32 " pieces unavailable (shared with missing "
		    "files)\n", name, gaps, npieces);
	}
}

/*
 * Per file: what the check found.  A piece that was not verified is
 * missing when some of its bytes are not on disk (file absent, short, or
 * a hole), wrong when they all are.  Returns how many files lack data, or
 * -errno.
 */
static int
report_files(const struct metainfo *m, struct session *s)
{
	struct storage *st = session_storage(s);
	struct storage_slot_info si;
	struct cover c = {.m = m};
	uint64_t *need;
	int bad = 0, rc;

	need = calloc(m->npieces, sizeof(*need));
	c.piece = calloc(m->npieces, sizeof(*c.piece));
	c.file = calloc(m->nfiles ? m->nfiles : 1, sizeof(*c.file));
	if (!need || !c.piece || !c.file) {
		rc = -ENOMEM;
		goto out;
	}
	piece_needs(m, need);
	if ((rc = storage_data_ranges(st, on_range, &c)) < 0)
		goto out;
	for (uint32_t i = 0; i < m->nfiles && i < storage_nslots(st); i++) {
		const struct meta_file *f = &m->files[i];
		uint32_t first, last, wrong = 0, gaps = 0;
		uint64_t on_disk = c.file[i];

		if ((f->attr & META_ATTR_PAD) || f->size == 0)
			continue;
		if ((rc = storage_slot_info(st, i, &si)) < 0)
			goto out;
		if (!si.present)
			on_disk = 0;
		first = (uint32_t)(f->offset / m->piece_len);
		last = (uint32_t)((f->offset + f->size - 1) / m->piece_len);
		for (uint32_t p = first; p <= last; p++) {
			if (session_piece_verified(s, p))
				continue;
			if (c.piece[p] < need[p])
				gaps++;
			else
				wrong++;
		}
		if (wrong == 0 && gaps == 0)
			continue;
		bad++;
		report_file(m, i, on_disk, last - first + 1, wrong, gaps);
	}
	rc = 0;
out:
	free(need);
	free(c.piece);
	free(c.file);
	return rc < 0 ? rc : bad;
}

int
cmd_seed_main(int argc, char **argv)
{
	static struct cmd_swarm_opts so;
	struct cmd_swarm_run run;
	struct session_stats st;
	struct metainfo *m;
	struct session *s;
	struct progress *bar = NULL;
	const char *torrent = NULL, *path = NULL;
	bool quiet = false, verbose = false;
	bool checked = false, limited = false;
	uint64_t shown = 0;
	char why[256];
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
	if (cmd_swarm_begin(&so, torrent, path, true, &run) != 0)
		return CMD_EXIT_FAIL;
	m = run.m;
	s = run.s;
	if (!quiet)
		bar = progress_new("checking", 0, 0);
	for (;;) {
		if ((sig = cmd_swarm_wait(&run, POLL_MS)) > 0)
			break;
		session_get_stats(s, &st);
		if (st.npieces == 0)	/* not published yet */
			continue;
		if (checked) {
			if (cmd_swarm_limit(&so, &run, &st, why,
			    sizeof(why))) {
				limited = true;
				break;
			}
			continue;
		}
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
			fprintf(stderr, "vtfs: %s: report: %s\n", path,
			    strerror(-rc));
		session_get_stats(s, &st);
		if (st.have == 0) {
			fprintf(stderr, "vtfs: %s: no piece of %s found: "
			    "nothing to seed\n", path, m->name);
			status = CMD_EXIT_FAIL;
			break;
		}
		if (st.complete) {
			if (!quiet)
				printf("vtfs: seeding %s: all %" PRIu32
				    " pieces verified (%.1f s)\n", m->name,
				    st.npieces, cmd_swarm_secs(&run));
		} else {
			printf("vtfs: seeding %s partially: %" PRIu32 " of %"
			    PRIu32 " pieces verified, %" PRIu64 " of %"
			    PRIu64 " bytes\n", m->name, st.have, st.npieces,
			    st.have_bytes, st.total_bytes);
		}
		fflush(stdout);
		cmd_swarm_seeding(&run);
	}
	progress_finish(bar, false);
	progress_free(bar);
	session_stop(s, STOP_BOUND_MS);
	session_get_stats(s, &st);
	if (limited)
		fprintf(stderr, "vtfs: %s: stopped seeding: %s\n", m->name,
		    why);
	if (!quiet && checked) {
		char sent[32], ratio[32];

		text_human(sent, sizeof(sent), (double)st.uploaded);
		cmd_swarm_ratio(ratio, sizeof(ratio), &st);
		printf("vtfs: stopped seeding %s after %.1f s: sent %s (%"
		    PRIu64 " bytes), ratio %s\n", m->name,
		    cmd_swarm_secs(&run), sent, st.uploaded, ratio);
		fflush(stdout);
	}
	cmd_swarm_end(&run);
	if (status == CMD_EXIT_OK && sig > 0 && !checked)
		status = 128 + sig;
	return status;
}
