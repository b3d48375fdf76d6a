/* mountopt: parse the mount command's -o strings (see mountopt.h). */
#include "fs/mountopt.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/num.h"

#define MAX_TIMEOUT_S	86400u

static const char *const ignored[] = {
	"defaults", "dev", "nodev", "suid", "nosuid", "exec", "noexec",
	"auto", "noauto", "user", "nouser", "users", "owner", "group",
	"_netdev", "nofail", "async", "sync", "atime", "noatime", "relatime",
	"norelatime", "strictatime", "nodiratime", "lazytime", NULL,
};

void
fs_mountopt_init(struct fs_mountopt *o)
{
	memset(o, 0, sizeof(*o));
	o->keep = -1;
}

int
fs_mountopt_timeout(const char *s, unsigned *out)
{
	uint64_t v;

	if (num_parse_u64(s, MAX_TIMEOUT_S, &v) < 0 || v == 0)
		return -EINVAL;
	*out = (unsigned)v;
	return 0;
}

static int
fail(char *err, size_t errsz, const char *fmt, const char *what)
{
	snprintf(err, errsz, fmt, what);
	return -EINVAL;
}

static int
copy_str(char *dst, const char *val, const char *name, char *err,
    size_t errsz)
{
	size_t n = strlen(val);

	if (n == 0)
		return fail(err, errsz, "-o %s: empty value", name);
	if (n >= FS_MOUNTOPT_STR)
		return fail(err, errsz, "-o %s: value too long", name);
	memcpy(dst, val, n + 1);
	return 0;
}

/* One option: name (NUL-terminated) and val (NULL when no '='). */
static int
one(struct fs_mountopt *o, const char *name, const char *val, char *err,
    size_t errsz)
{
	static const struct {
		const char	*name;
		size_t		 off;
	} flags[] = {
		{"allow_other", offsetof(struct fs_mountopt, allow_other)},
		{"allow_root", offsetof(struct fs_mountopt, allow_root)},
		{"default_permissions",
		    offsetof(struct fs_mountopt, default_permissions)},
		{"on_demand", offsetof(struct fs_mountopt, on_demand)},
		{"no_trackers", offsetof(struct fs_mountopt, no_trackers)},
		{"debug", offsetof(struct fs_mountopt, debug)},
	};

	if (strncmp(name, "x-", 2) == 0 || strcmp(name, "comment") == 0)
		return 0;
	for (const char *const *p = ignored; *p; p++)
		if (strcmp(name, *p) == 0)
			return val ? fail(err, errsz, "-o %s takes no value",
			    name) : 0;
	if (strcmp(name, "rw") == 0)
		return fail(err, errsz, "-o %s: vtfs mounts are read-only "
		    "(use ro)", name);
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		if (strcmp(name, flags[i].name) != 0)
			continue;
		if (val)
			return fail(err, errsz, "-o %s takes no value", name);
		*(bool *)((char *)o + flags[i].off) = true;
		return 0;
	}
	if (strcmp(name, "ro") == 0 || strcmp(name, "keep") == 0 ||
	    strcmp(name, "no_keep") == 0) {
		if (val)
			return fail(err, errsz, "-o %s takes no value", name);
		if (name[0] == 'k')
			o->keep = 1;
		else if (name[0] == 'n')
			o->keep = 0;
		return 0;
	}
	if (strcmp(name, "fsname") != 0 && strcmp(name, "subtype") != 0 &&
	    strcmp(name, "cache_dir") != 0 && strcmp(name, "cache_size") != 0 &&
	    strcmp(name, "read_timeout") != 0 && strcmp(name, "listen") != 0 &&
	    strcmp(name, "peer") != 0)
		return fail(err, errsz, "unknown mount option -o %s", name);
	if (!val) {
		snprintf(err, errsz, "-o %s needs a value (%s=...)", name,
		    name);
		return -EINVAL;
	}
	if (strcmp(name, "fsname") == 0)
		return copy_str(o->fsname, val, name, err, errsz);
	if (strcmp(name, "subtype") == 0)
		return copy_str(o->subtype, val, name, err, errsz);
	if (strcmp(name, "cache_dir") == 0)
		return copy_str(o->cache_dir, val, name, err, errsz);
	if (strcmp(name, "listen") == 0)
		return copy_str(o->listen, val, name, err, errsz);
	if (strcmp(name, "cache_size") == 0) {
		if (num_parse_size(val, UINT64_MAX / 2, &o->cache_size) < 0)
			return fail(err, errsz, "-o cache_size=%s: expected a "
			    "size such as 4G", val);
		o->has_cache_size = true;
		return 0;
	}
	if (strcmp(name, "read_timeout") == 0) {
		if (fs_mountopt_timeout(val, &o->read_timeout_s) < 0)
			return fail(err, errsz, "-o read_timeout=%s: expected "
			    "1..86400 seconds", val);
		return 0;
	}
	/* peer */
	if (o->npeers >= FS_MOUNTOPT_MAX_PEERS)
		return fail(err, errsz, "-o %s: too many peers", name);
	if (strlen(val) >= sizeof(o->peers[0]))
		return fail(err, errsz, "-o peer=%s: too long", val);
	strcpy(o->peers[o->npeers++], val);
	return 0;
}

int
fs_mountopt_parse(struct fs_mountopt *o, const char *s, char *err,
    size_t errsz)
{
	char item[FS_MOUNTOPT_STR + 32];

	err[0] = '\0';
	while (*s) {
		const char *end = strchr(s, ',');
		size_t n = end ? (size_t)(end - s) : strlen(s);
		char *eq;
		int rc;

		if (n >= sizeof(item))
			return fail(err, errsz, "-o %s: option too long", "");
		memcpy(item, s, n);
		item[n] = '\0';
		s += n;
		if (*s == ',')
			s++;
		if (n == 0)
			continue;
		if ((eq = strchr(item, '=')) != NULL)
			*eq++ = '\0';
		if ((rc = one(o, item, eq, err, errsz)) < 0)
			return rc;
	}
	if (o->allow_other)
		o->default_permissions = true;
	return 0;
}
