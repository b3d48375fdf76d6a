/*
 * vtfs --create PATH [--tracker URL]... [options]: make a .torrent of a
 * file or directory (bt/create does the work).  Main thread; the hashing
 * workers are create_build()'s.  SIGINT, SIGTERM and SIGHUP only set a
 * flag: the workers stop, nothing is written, and the exit status is
 * 128 + the signal.
 */
#include "cmd.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/bytes.h"
#include "base/num.h"
#include "base/progress.h"
#include "base/text.h"
#include "bt/create.h"

static atomic_int create_cancel;
static atomic_int create_signal;

static void
on_signal(int sig)
{
	atomic_store(&create_signal, sig);
	atomic_store(&create_cancel, 1);
}

static void
catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

struct args {
	const char	*path;
	const char	*out;		/* NULL: NAME.torrent */
	const char	**trackers;	/* owned array, borrowed strings */
	size_t		 ntrackers;
	const char	**web_seeds;	/* owned array, borrowed strings */
	size_t		 nweb_seeds;
	struct create_opts opts;
	bool		 force;
	bool		 quiet;
};

static int
push(const char ***v, size_t *n, const char *s)
{
	const char **nv;

	if (*n >= CREATE_MAX_URLS)
		return cmd_usage_error("more than %u URLs of one kind",
		    CREATE_MAX_URLS);
	nv = realloc(*v, (*n + 1) * sizeof(*nv));
	if (!nv)
		return cmd_usage_error("out of memory");
	nv[(*n)++] = s;
	*v = nv;
	return 0;
}

static int
parse_args(int argc, char **argv, struct args *a)
{
	enum {
		OPT_CREATE = 256, OPT_TRACKER, OPT_PRIVATE, OPT_PIECE_SIZE,
		OPT_COMMENT, OPT_WEBSEED, OPT_NAME, OPT_NO_DATE, OPT_FORCE,
	};
	static const struct option longopts[] = {
		{"create", required_argument, NULL, OPT_CREATE},
		{"tracker", required_argument, NULL, OPT_TRACKER},
		{"output", required_argument, NULL, 'o'},
		{"private", no_argument, NULL, OPT_PRIVATE},
		{"piece-size", required_argument, NULL, OPT_PIECE_SIZE},
		{"comment", required_argument, NULL, OPT_COMMENT},
		{"webseed", required_argument, NULL, OPT_WEBSEED},
		{"name", required_argument, NULL, OPT_NAME},
		{"no-date", no_argument, NULL, OPT_NO_DATE},
		{"force", no_argument, NULL, OPT_FORCE},
		{"quiet", no_argument, NULL, 'q'},
		{NULL, 0, NULL, 0},
	};
	uint64_t v;
	int c, rc;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:q", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_CREATE:
			a->path = optarg;
			break;
		case OPT_TRACKER:
			rc = push(&a->trackers, &a->ntrackers, optarg);
			if (rc)
				return rc;
			break;
		case 'o':
			a->out = optarg;
			break;
		case OPT_PRIVATE:
			a->opts.is_private = true;
			break;
		case OPT_PIECE_SIZE:
			if (num_parse_size(optarg, CREATE_MAX_PIECE, &v) != 0 ||
			    !create_piece_len_ok(v))
				return cmd_usage_error("--piece-size %s: must "
				    "be a power of two from 16K to 128M "
				    "(bytes, or with a K or M suffix)", optarg);
			a->opts.piece_len = (uint32_t)v;
			break;
		case OPT_COMMENT:
			a->opts.comment = optarg;
			break;
		case OPT_WEBSEED:
			rc = push(&a->web_seeds, &a->nweb_seeds, optarg);
			if (rc)
				return rc;
			break;
		case OPT_NAME:
			a->opts.name = optarg;
			break;
		case OPT_NO_DATE:
			a->opts.no_date = true;
			break;
		case OPT_FORCE:
			a->force = true;
			break;
		case 'q':
			a->quiet = true;
			break;
		case ':':
			return cmd_usage_error("%s needs an argument",
			    argv[optind - 1]);
		default:
			return cmd_usage_error("--create: unknown option %s",
			    argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cmd_usage_error("--create: unexpected argument \"%s\" "
		    "(PATH goes right after --create)", argv[optind]);
	if (!a->path || !*a->path)
		return cmd_usage_error("--create needs a PATH");
	a->opts.trackers = a->trackers;
	a->opts.ntrackers = a->ntrackers;
	a->opts.web_seeds = a->web_seeds;
	a->opts.nweb_seeds = a->nweb_seeds;
	return 0;
}

/* NAME.torrent in the current directory, unless -o says otherwise. */
static char *
output_path(const struct args *a, const char *name)
{
	char *p = NULL;

	if (a->out)
		return strdup(a->out);
	if (asprintf(&p, "%s.torrent", name) < 0)
		return NULL;
	return p;
}

static void
print_summary(const char *out, const struct create_result *r)
{
	char hex[41], total[32], piece[32];

	hex_encode(r->info_hash, sizeof(r->info_hash), hex);
	text_human(total, sizeof(total), (double)r->total);
	text_human(piece, sizeof(piece), (double)r->piece_len);
	printf("created: %s\n", out);
	printf("files: %u (%s, %llu bytes)\n", r->nfiles, total,
	    (unsigned long long)r->total);
	if (r->nskipped)
		printf("skipped: %u symbolic links or special files\n",
		    r->nskipped);
	printf("pieces: %u x %s (%u bytes)\n", r->npieces, piece,
	    r->piece_len);
	printf("info_hash: %s\n", hex);
}

int
cmd_create_main(int argc, char **argv)
{
	struct args a;
	struct create_error err;
	struct create_result res;
	struct progress *bar = NULL;
	struct buf out;
	char *name = NULL, *out_path = NULL;
	int rc, status = CMD_EXIT_FAIL;

	memset(&a, 0, sizeof(a));
	buf_init(&out, CREATE_MAX_TORRENT);
	rc = parse_args(argc, argv, &a);
	if (rc) {
		status = rc;
		goto out;
	}
	if (!a.opts.name && create_default_name(a.path, &name, &err) != 0) {
		fprintf(stderr, "vtfs: %s\n", err.msg);
		goto out;
	}
	out_path = output_path(&a, a.opts.name ? a.opts.name : name);
	if (!out_path) {
		fprintf(stderr, "vtfs: out of memory\n");
		goto out;
	}
	if (create_check_output(out_path, a.force, &err) != 0) {
		fprintf(stderr, "vtfs: %s\n", err.msg);
		goto out;
	}
	if (a.ntrackers == 0)
		fprintf(stderr, "vtfs: warning: no --tracker: peers will not "
		    "find each other through this torrent\n");
	catch_signals();
	if (!a.quiet)
		bar = progress_new("hashing", 0, 0);
	a.opts.progress = bar;
	a.opts.cancel = &create_cancel;
	rc = create_build(a.path, &a.opts, &out, &res, &err);
	progress_finish(bar, rc == 0);
	if (rc == 0)
		rc = create_write_file(out_path, out.data, out.len, a.force,
		    &create_cancel, &err);
	if (rc == -EINTR) {
		fprintf(stderr, "vtfs: interrupted; no torrent written\n");
		status = 128 + atomic_load(&create_signal);
		goto out;
	}
	if (rc) {
		fprintf(stderr, "vtfs: %s\n", err.msg);
		goto out;
	}
	if (!a.quiet)
		print_summary(out_path, &res);
	status = CMD_EXIT_OK;
out:
	progress_free(bar);
	buf_fini(&out);
	free(out_path);
	free(name);
	free(a.trackers);
	free(a.web_seeds);
	return status;
}
