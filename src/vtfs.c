/*
 * vtfs: mount BitTorrent torrents as read-only filesystems, and the
 * commands around that (create, info, ...).  This file only finds the
 * command on the command line and dispatches to it (src/cmd_*.c).
 */
#include "cmd.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const struct cmd commands[] = {
	{"--create", "--create PATH [--tracker URL]... [-o FILE] [--private]\n"
	    "       [--piece-size N] [--comment TEXT] [--webseed URL]...\n"
	    "       [--name NAME] [--no-date] [--force] [--quiet]",
	    cmd_create_main},
	{"--info", "--info TORRENT [--json]", cmd_info_main},
	{"--announce", "--announce TORRENT [--port N] [--listen ADDR[:PORT]] "
	    "[--timeout S] [--udp-retry-base MS] [--scrape] [--rounds N] "
	    "[--gap MS] [--session [--wait S] [--one-at-a-time]] [--json]",
	    cmd_announce_main},
	{"--download", "--download TORRENT --path DIR [--listen ADDR[:PORT]] "
	    "[--peer ADDR:PORT]... [--no-trackers] [--max-peers N] "
	    "[--max-upload-rate RATE] [--max-download-rate RATE] "
	    "[--seed-after] [--seed-ratio R] [--seed-time DURATION] [-q] [-v]",
	    cmd_download_main},
	{"--status", "--status MOUNTPOINT [--json]", cmd_status_main},
	{"--seed", "--seed TORRENT --path DIR [--listen ADDR[:PORT]] "
	    "[--peer ADDR:PORT]... [--no-trackers] [--max-peers N] "
	    "[--max-upload-rate RATE] [--max-download-rate RATE] "
	    "[--seed-ratio R] [--seed-time DURATION] [-q] [-v]",
	    cmd_seed_main},
	{NULL, NULL, NULL},
};

int
cmd_usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("vtfs: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'vtfs --help'.\n", stderr);
	return CMD_EXIT_USAGE;
}

static void
usage(FILE *f)
{
	fputs("usage:\n", f);
	for (const struct cmd *c = commands; c->flag; c++)
		fprintf(f, "  vtfs %s\n", c->usage);
	fputs("  vtfs [-f] [-o OPT[,OPT...]] [--cache-dir DIR] [--cache-size SIZE] "
	      "[--on-demand] [--read-timeout S] [--keep|--no-keep] "
	      "[--listen ADDR[:PORT]] [--peer ADDR:PORT]... [--no-trackers] "
	      "[-v] TORRENT MOUNTPOINT\n"
	      "  vtfs --help | --version\n"
	      "\nSee vtfs(1) for every option.\n", f);
}

/* The mode option may stand anywhere: "vtfs --create dir --tracker URL". */
static const struct cmd *
find_command(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--") == 0)
			break;
		for (const struct cmd *c = commands; c->flag; c++) {
			size_t n = strlen(c->flag);

			if (strncmp(a, c->flag, n) == 0 &&
			    (a[n] == '\0' || a[n] == '='))
				return c;
		}
	}
	return NULL;
}

int
main(int argc, char **argv)
{
	const struct cmd *c;

	/* --help anywhere wins: "vtfs --announce --help" is not a file. */
	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return CMD_EXIT_OK;
		}
	}
	c = find_command(argc, argv);
	if (c)
		return c->main(argc, argv);
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return CMD_EXIT_OK;
		}
		if (strcmp(argv[i], "--version") == 0 ||
		    strcmp(argv[i], "-V") == 0) {
			printf("vtfs %s\n", VTFS_VERSION);
			return CMD_EXIT_OK;
		}
	}
	/* No mode option: the default command, mounting. */
	if (argc > 1)
		return cmd_mount_main(argc, argv);
	usage(stderr);
	return CMD_EXIT_USAGE;
}
