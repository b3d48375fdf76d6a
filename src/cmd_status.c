/*
 * cmd_status: `vtfs --status MOUNTPOINT [--json]` shows a mount's progress,
 * rates, peers, cache use and per-file progress.  It reads the mount
 * itself: the root's `user.vtfs.status` xattr (the daemon's JSON status
 * document, fs/status.h) and every file's `user.vtfs.progress`.  Main
 * thread only.
 */
#include "cmd.h"

#include <errno.h>
#include <ftw.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include "fs/status.h"

#define STATUS_MAX	65536
#define MAX_FILES	1000000u	/* per-file progress listed */
#define HUMAN_FILES	200u		/* lines without --json */

static const struct option opts[] = {
	{"status", required_argument, NULL, 's'},
	{"json", no_argument, NULL, 'j'},
	{NULL, 0, NULL, 0},
};

/* nftw() has no user pointer. */
static json_t *g_files;
static size_t g_rootlen;
static unsigned g_nfiles;

static int
walk_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	char v[32];
	ssize_t n;
	json_t *f;

	(void)ftw;
	if (type != FTW_F || !S_ISREG(st->st_mode))
		return 0;
	if (g_nfiles >= MAX_FILES)
		return 1;
	n = lgetxattr(path, "user.vtfs.progress", v, sizeof(v) - 1);
	if (n < 0)
		return 0;
	v[n] = '\0';
	f = json_pack("{s:s, s:I, s:f}", "path",
	    path[g_rootlen] ? path + g_rootlen + 1 : "",
	    "size", (json_int_t)st->st_size, "progress", strtod(v, NULL));
	if (f)
		json_array_append_new(g_files, f);
	g_nfiles++;
	return 0;
}

static void
print_files(const json_t *files, const char *rootname)
{
	size_t i;
	json_t *f;

	printf("files:\n");
	json_array_foreach(files, i, f) {
		const char *p;

		if (i >= HUMAN_FILES) {
			printf("  ... %zu more (see --json)\n",
			    json_array_size(files) - HUMAN_FILES);
			break;
		}
		p = json_string_value(json_object_get(f, "path"));
		printf("  %5.1f%%  %12lld  %s\n",
		    json_number_value(json_object_get(f, "progress")),
		    (long long)json_integer_value(json_object_get(f, "size")),
		    p && p[0] ? p : rootname);
	}
}

int
cmd_status_main(int argc, char **argv)
{
	const char *mnt = NULL;
	bool json = false;
	char *buf;
	ssize_t n;
	json_t *doc;
	int c, rc = CMD_EXIT_FAIL;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			mnt = optarg;
			break;
		case 'j':
			json = true;
			break;
		default:
			return cmd_usage_error("see vtfs --help");
		}
	}
	if (optind < argc)
		return cmd_usage_error("unexpected argument %s", argv[optind]);
	if (!mnt)
		return cmd_usage_error("--status MOUNTPOINT");
	if ((buf = malloc(STATUS_MAX + 1)) == NULL)
		return CMD_EXIT_FAIL;
	n = getxattr(mnt, "user.vtfs.status", buf, STATUS_MAX);
	if (n < 0) {
		int e = errno;

		if (e == ENODATA || e == ENOTSUP)
			fprintf(stderr, "vtfs: %s: not a vtfs mount\n", mnt);
		else if (e == ENOTCONN)
			fprintf(stderr, "vtfs: %s: the vtfs daemon is gone "
			    "(run fusermount3 -u %s)\n", mnt, mnt);
		else
			fprintf(stderr, "vtfs: %s: %s\n", mnt, strerror(e));
		free(buf);
		return CMD_EXIT_FAIL;
	}
	buf[n] = '\0';
	doc = json_loadb(buf, (size_t)n, 0, NULL);
	if (!json_is_object(doc)) {
		fprintf(stderr, "vtfs: %s: malformed status document\n", mnt);
		goto out;
	}
	g_files = json_array();
	g_rootlen = strlen(mnt);
	while (g_rootlen > 1 && mnt[g_rootlen - 1] == '/')
		g_rootlen--;
	g_nfiles = 0;
	if (g_files && nftw(mnt, walk_one, 16, FTW_PHYS | FTW_MOUNT) < 0)
		fprintf(stderr, "vtfs: %s: walking the tree: %s\n", mnt,
		    strerror(errno));
	if (json) {
		char *out;

		json_object_set(doc, "files", g_files);
		out = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		if (out)
			puts(out);
		free(out);
		rc = out ? CMD_EXIT_OK : CMD_EXIT_FAIL;
	} else {
		if (fs_status_print(stdout, buf, (size_t)n) < 0) {
			fprintf(stderr, "vtfs: %s: malformed status "
			    "document\n", mnt);
			goto out;
		}
		print_files(g_files, json_string_value(json_object_get(doc,
		    "name")));
		rc = CMD_EXIT_OK;
	}
out:
	json_decref(g_files);
	g_files = NULL;
	json_decref(doc);
	free(buf);
	return rc;
}
