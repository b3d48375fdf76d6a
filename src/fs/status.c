/* status: the mount's JSON status document (see status.h). */
#include "fs/status.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "base/bytes.h"

double
fs_status_percent(uint64_t have, uint64_t total)
{
	if (total == 0)
		return 100.0;
	if (have >= total)
		return 100.0;
	return (double)have * 100.0 / (double)total;
}

static int
set_str(json_t *o, const char *k, const char *v)
{
	if (!v)
		return json_object_set_new(o, k, json_null());
	return json_object_set_new(o, k, json_string(v));
}

static int
set_u64(json_t *o, const char *k, uint64_t v)
{
	return json_object_set_new(o, k, json_integer((json_int_t)v));
}

char *
fs_status_json(const struct fs_status_info *in)
{
	const struct session_stats *st = in->stats;
	char hex[41];
	json_t *o = json_object();
	char *out;
	int rc = 0;

	if (!o)
		return NULL;
	hex_encode(in->meta->info_hash, 20, hex);
	rc |= set_u64(o, "version", FS_STATUS_VERSION);
	rc |= set_str(o, "name", in->meta->name);
	rc |= set_str(o, "infohash", hex);
	rc |= set_str(o, "mountpoint", in->mountpoint);
	rc |= set_str(o, "source", in->source);
	rc |= set_str(o, "cache_dir", in->cache_dir);
	rc |= set_u64(o, "pid", (uint64_t)in->pid);
	rc |= set_u64(o, "uptime_s", in->uptime_s);
	rc |= set_u64(o, "piece_length", in->meta->piece_len);
	rc |= set_u64(o, "pieces", st->npieces);
	rc |= set_u64(o, "pieces_have", st->have);
	rc |= set_u64(o, "total_bytes", st->total_bytes);
	rc |= set_u64(o, "have_bytes", st->have_bytes);
	rc |= json_object_set_new(o, "progress",
	    json_real(fs_status_percent(st->have_bytes, st->total_bytes)));
	rc |= json_object_set_new(o, "complete", json_boolean(st->complete));
	rc |= json_object_set_new(o, "on_demand", json_boolean(in->on_demand));
	rc |= set_u64(o, "downloaded", st->downloaded);
	rc |= set_u64(o, "uploaded", st->uploaded);
	rc |= set_u64(o, "rate_down", st->rate_down);
	rc |= set_u64(o, "rate_up", st->rate_up);
	rc |= set_u64(o, "peers", st->peers);
	rc |= set_u64(o, "seeds", st->seeds);
	rc |= set_u64(o, "hash_fails", st->hash_fails);
	rc |= set_u64(o, "banned", st->banned);
	rc |= set_u64(o, "cache_used", st->cache_used);
	rc |= set_u64(o, "cache_size", in->cache_size);
	rc |= set_u64(o, "open_files", in->open_files);
	rc |= set_u64(o, "parked_reads", in->parked_reads);
	out = rc == 0 ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) :
	    NULL;
	json_decref(o);
	return out;
}

static void
human(char *out, size_t sz, double v)
{
	static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	unsigned u = 0;

	while (v >= 1024.0 && u < 4) {
		v /= 1024.0;
		u++;
	}
	if (u == 0)
		snprintf(out, sz, "%.0f %s", v, units[u]);
	else
		snprintf(out, sz, "%.1f %s", v, units[u]);
}

static uint64_t
get_u64(json_t *o, const char *k, int *bad)
{
	json_t *v = json_object_get(o, k);

	if (!json_is_integer(v)) {
		*bad = 1;
		return 0;
	}
	return (uint64_t)json_integer_value(v);
}

int
fs_status_print(FILE *f, const char *json, size_t len)
{
	json_t *o = json_loadb(json, len, 0, NULL);
	char have[32], total[32], down[32], up[32], rd[32], ru[32], cu[32],
	    cs[32];
	const char *name, *hash, *mnt, *cdir;
	uint64_t csize;
	int bad = 0;

	if (!json_is_object(o)) {
		json_decref(o);
		return -EBADMSG;
	}
	name = json_string_value(json_object_get(o, "name"));
	hash = json_string_value(json_object_get(o, "infohash"));
	mnt = json_string_value(json_object_get(o, "mountpoint"));
	cdir = json_string_value(json_object_get(o, "cache_dir"));
	human(have, sizeof(have), (double)get_u64(o, "have_bytes", &bad));
	human(total, sizeof(total), (double)get_u64(o, "total_bytes", &bad));
	human(down, sizeof(down), (double)get_u64(o, "downloaded", &bad));
	human(up, sizeof(up), (double)get_u64(o, "uploaded", &bad));
	human(rd, sizeof(rd), (double)get_u64(o, "rate_down", &bad));
	human(ru, sizeof(ru), (double)get_u64(o, "rate_up", &bad));
	human(cu, sizeof(cu), (double)get_u64(o, "cache_used", &bad));
	csize = get_u64(o, "cache_size", &bad);
	human(cs, sizeof(cs), (double)csize);
	if (bad || !name || !hash) {
		json_decref(o);
		return -EBADMSG;
	}
	fprintf(f, "name:       %s\n", name);
	fprintf(f, "infohash:   %s\n", hash);
	if (mnt)
		fprintf(f, "mountpoint: %s\n", mnt);
	fprintf(f, "progress:   %.1f%% (%s of %s, %" PRIu64 "/%" PRIu64
	    " pieces)%s\n",
	    json_number_value(json_object_get(o, "progress")), have, total,
	    get_u64(o, "pieces_have", &bad), get_u64(o, "pieces", &bad),
	    json_is_true(json_object_get(o, "complete")) ? ", complete" : "");
	fprintf(f, "rates:      down %s/s, up %s/s\n", rd, ru);
	fprintf(f, "transfer:   received %s, sent %s\n", down, up);
	fprintf(f, "peers:      %" PRIu64 " (%" PRIu64 " seeds), %" PRIu64
	    " hash failures, %" PRIu64 " banned\n", get_u64(o, "peers", &bad),
	    get_u64(o, "seeds", &bad), get_u64(o, "hash_fails", &bad),
	    get_u64(o, "banned", &bad));
	fprintf(f, "cache:      %s used%s%s%s%s\n", cu,
	    csize ? " of " : "", csize ? cs : "", cdir ? " in " : "",
	    cdir ? cdir : "");
	fprintf(f, "reads:      %" PRIu64 " open files, %" PRIu64
	    " waiting for data%s\n", get_u64(o, "open_files", &bad),
	    get_u64(o, "parked_reads", &bad),
	    json_is_true(json_object_get(o, "on_demand")) ? ", on demand" :
	    "");
	json_decref(o);
	return 0;
}
