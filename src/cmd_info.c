/*
 * cmd_info: `vtfs --info TORRENT [--json]` shows what a .torrent holds.
 * Human output shows every string from the torrent through text_display()
 * (UTF-8 kept, control bytes escaped); --json builds one object with
 * jansson, so hostile names stay valid JSON.  Pad
 * files (BEP 47) are left out of both.  Main thread.
 */
#include "cmd.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "base/bytes.h"
#include "base/log.h"
#include "base/text.h"
#include "bt/metainfo.h"

/*
 * Print s as text_display() shows it: UTF-8 names readable, control bytes
 * and invalid sequences as \xNN.
 */
static void
put_escaped(FILE *f, const char *s)
{
	size_t len = strlen(s), sz = 4 * len + 8;
	char *esc = malloc(sz);

	if (!esc) {
		fputs("(out of memory)", f);
		return;
	}
	fputs(text_display(s, len, esc, sz), f);
	free(esc);
}

static void
print_human(const struct metainfo *m)
{
	char hex[2 * 32 + 1], sz[32];
	uint32_t shown = 0;

	fputs("name:         ", stdout);
	put_escaped(stdout, m->name);
	hex_encode(m->info_hash, sizeof(m->info_hash), hex);
	printf("\ninfo-hash:    %s\n", hex);
	if (m->has_v2) {
		hex_encode(m->info_hash_v2, sizeof(m->info_hash_v2), hex);
		printf("info-hash v2: %s\n", hex);
	}
	text_human(sz, sizeof(sz), (double)m->piece_len);
	printf("pieces:       %" PRIu32 " x %s (last %" PRIu32 " bytes)\n",
	    m->npieces, sz, meta_piece_size(m, m->npieces - 1));
	text_human(sz, sizeof(sz), (double)m->total);
	printf("total size:   %s (%" PRIu64 " bytes)\n", sz, m->total);
	printf("private:      %s\n", m->is_private ? "yes" : "no");
	printf("trackers:%s\n", m->ntiers ? "" : "     none");
	for (uint32_t t = 0; t < m->ntiers; t++) {
		for (uint32_t u = 0; u < m->tiers[t].nurls; u++) {
			if (u == 0)
				printf("  tier %-3" PRIu32 "    ", t + 1);
			else
				fputs("              ", stdout);
			put_escaped(stdout, m->tiers[t].urls[u]);
			putchar('\n');
		}
	}
	printf("web seeds:%s\n", m->nweb_seeds ? "" : "    none");
	for (uint32_t i = 0; i < m->nweb_seeds; i++) {
		fputs("              ", stdout);
		put_escaped(stdout, m->web_seeds[i]);
		putchar('\n');
	}
	if (m->comment) {
		fputs("comment:      ", stdout);
		put_escaped(stdout, m->comment);
		putchar('\n');
	}
	if (m->created_by) {
		fputs("created by:   ", stdout);
		put_escaped(stdout, m->created_by);
		putchar('\n');
	}
	if (m->creation_date) {
		time_t t = (time_t)m->creation_date;
		struct tm tm;
		char date[64];

		if (gmtime_r(&t, &tm) &&
		    strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S UTC", &tm))
			printf("created:      %s\n", date);
		else
			printf("created:      %" PRId64 "\n", m->creation_date);
	}
	for (uint32_t i = 0; i < m->nfiles; i++)
		shown += !(m->files[i].attr & META_ATTR_PAD);
	printf("files:        %" PRIu32 "\n", shown);
	for (uint32_t i = 0; i < m->nfiles; i++) {
		const struct meta_file *f = &m->files[i];

		if (f->attr & META_ATTR_PAD)
			continue;
		printf("  %15" PRIu64 "  ", f->size);
		put_escaped(stdout, f->path);
		putchar('\n');
	}
}

/* json_stringn: every string here is valid UTF-8 (metainfo makes it so). */
static json_t *
jstr(const char *s)
{
	return s ? json_stringn(s, strlen(s)) : json_null();
}

/* Sets *bad when a value could not be made (jansson returns NULL). */
static void
jset(json_t *obj, const char *key, json_t *v, bool *bad)
{
	if (!v || json_object_set_new(obj, key, v) < 0)
		*bad = true;
}

static void
jappend(json_t *arr, json_t *v, bool *bad)
{
	if (!v || json_array_append_new(arr, v) < 0)
		*bad = true;
}

static json_t *
info_json(const struct metainfo *m)
{
	json_t *o = json_object(), *tiers = json_array(), *seeds = json_array();
	json_t *files = json_array();
	char hex[2 * 32 + 1];
	bool bad = !o || !tiers || !seeds || !files;

	if (bad) {
		json_decref(tiers);
		json_decref(seeds);
		json_decref(files);
		json_decref(o);
		return NULL;
	}
	jset(o, "name", jstr(m->name), &bad);
	hex_encode(m->info_hash, sizeof(m->info_hash), hex);
	jset(o, "info_hash", jstr(hex), &bad);
	if (m->has_v2)
		hex_encode(m->info_hash_v2, sizeof(m->info_hash_v2), hex);
	jset(o, "info_hash_v2", m->has_v2 ? jstr(hex) : json_null(), &bad);
	jset(o, "piece_length", json_integer(m->piece_len), &bad);
	jset(o, "piece_count", json_integer(m->npieces), &bad);
	jset(o, "total_size", json_integer((json_int_t)m->total), &bad);
	jset(o, "private", json_boolean(m->is_private), &bad);
	jset(o, "multi_file", json_boolean(m->multi), &bad);
	for (uint32_t t = 0; t < m->ntiers; t++) {
		json_t *tier = json_array();

		for (uint32_t u = 0; tier && u < m->tiers[t].nurls; u++)
			jappend(tier, jstr(m->tiers[t].urls[u]), &bad);
		jappend(tiers, tier, &bad);
	}
	jset(o, "trackers", tiers, &bad);
	for (uint32_t i = 0; i < m->nweb_seeds; i++)
		jappend(seeds, jstr(m->web_seeds[i]), &bad);
	jset(o, "web_seeds", seeds, &bad);
	jset(o, "comment", jstr(m->comment), &bad);
	jset(o, "created_by", jstr(m->created_by), &bad);
	jset(o, "creation_date", m->creation_date ?
	    json_integer(m->creation_date) : json_null(), &bad);
	for (uint32_t i = 0; i < m->nfiles; i++) {
		const struct meta_file *f = &m->files[i];
		json_t *jf;

		if (f->attr & META_ATTR_PAD)
			continue;
		jf = json_object();
		if (jf) {
			jset(jf, "path", jstr(f->path), &bad);
			jset(jf, "size", json_integer((json_int_t)f->size),
			    &bad);
		}
		jappend(files, jf, &bad);
	}
	jset(o, "files", files, &bad);
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static int
print_json(const struct metainfo *m)
{
	json_t *o = info_json(m);
	int rc;

	if (!o)
		return -ENOMEM;
	/* ASCII only: safe on a terminal, and the same JSON for a script. */
	rc = json_dumpf(o, stdout, JSON_INDENT(2) | JSON_ENSURE_ASCII);
	json_decref(o);
	if (rc < 0)
		return -EIO;
	putchar('\n');
	return 0;
}

int
cmd_info_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"info", required_argument, NULL, 'i'},
		{"json", no_argument, NULL, 'j'},
		{NULL, 0, NULL, 0},
	};
	char esc[512], msg[sizeof(((struct meta_error *)0)->msg) * 4];
	const char *path = NULL;
	struct meta_error err;
	struct metainfo *m;
	bool json = false;
	int c, rc;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 'i':
			if (path)
				return cmd_usage_error("--info given twice");
			path = optarg;
			break;
		case 'j':
			json = true;
			break;
		case ':':
			return cmd_usage_error("--info needs a .torrent file");
		default:
			return cmd_usage_error("--info: unknown option '%s'",
			    argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cmd_usage_error("--info: unexpected argument '%s'",
		    argv[optind]);
	if (!path || !*path)
		return cmd_usage_error("--info needs a .torrent file");
	rc = meta_load_file(path, &m, &err);
	if (rc < 0) {
		fprintf(stderr, "vtfs: %s: %s: %s\n",
		    log_escape(path, strlen(path), esc, sizeof(esc)),
		    meta_strerror(err.code),
		    log_escape(err.msg, strlen(err.msg), msg, sizeof(msg)));
		return CMD_EXIT_FAIL;
	}
	if (json)
		rc = print_json(m);
	else
		print_human(m);
	meta_free(m);
	if (fflush(stdout) != 0 || rc < 0) {
		fprintf(stderr, "vtfs: --info: cannot write the output\n");
		return CMD_EXIT_FAIL;
	}
	return CMD_EXIT_OK;
}
