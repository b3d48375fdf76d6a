/*
 * catalog: the .torrent directory.  See catalog.h.
 *
 * The index is an array sorted by name (for listing and lookups by name)
 * plus an array of info-hashes sorted for bsearch (private-mode checks run
 * on every announce).  Both are rebuilt after a change: catalogs are small
 * next to the announce rate, and uploads rare.
 */
#define LOG_TAG "catalog"
#include "tracker/catalog.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/text.h"
#include "base/bytes.h"
#include "base/log.h"

struct hash_ref {
	uint8_t		info_hash[20];
};

struct catalog {
	char			*dir;		/* owned */
	int			 dirfd;
	pthread_rwlock_t	 lock;
	pthread_mutex_t		 write_lock;	/* serialises add/remove */
	struct catalog_entry	*entries;	/* owned, sorted by name */
	size_t			 n;		/* protected by lock */
	struct hash_ref		*hashes;	/* owned, sorted */
};

bool
catalog_name_ok(const char *s)
{
	return s[0] != '.' && s[0] != '-' && text_is_safe_name(s, CATALOG_MAX_NAME);
}

static void
entry_fini(struct catalog_entry *e)
{
	free(e->title);
	free(e->tracker);
	e->title = e->tracker = NULL;
}

void
catalog_list_free(struct catalog_entry *e, size_t n)
{
	for (size_t i = 0; i < n; i++)
		entry_fini(&e[i]);
	free(e);
}

static int
entry_from_meta(struct catalog_entry *e, const char *name,
    const struct metainfo *m)
{
	memset(e, 0, sizeof(*e));
	snprintf(e->name, sizeof(e->name), "%s", name);
	memcpy(e->info_hash, m->info_hash, 20);
	for (uint32_t i = 0; i < m->nfiles; i++) {
		if (m->files[i].attr & META_ATTR_PAD)
			continue;
		e->nfiles++;
		e->size += m->files[i].size;
	}
	e->title = strdup(m->name);
	if (m->ntiers > 0 && m->tiers[0].nurls > 0)
		e->tracker = strdup(m->tiers[0].urls[0]);
	if (e->title == NULL ||
	    (m->ntiers > 0 && m->tiers[0].nurls > 0 && e->tracker == NULL)) {
		entry_fini(e);
		return -ENOMEM;
	}
	return 0;
}

static int
cmp_entry(const void *a, const void *b)
{
	return strcmp(((const struct catalog_entry *)a)->name,
	    ((const struct catalog_entry *)b)->name);
}

static int
cmp_hash(const void *a, const void *b)
{
	return memcmp(a, b, 20);
}

/* Install a new entry array (sorted here) and its hash index. */
static int
install(struct catalog *c, struct catalog_entry *e, size_t n)
{
	struct hash_ref *h = NULL, *oldh;
	struct catalog_entry *olde;
	size_t oldn;

	if (n > 1)
		qsort(e, n, sizeof(*e), cmp_entry);
	if (n > 0) {
		h = malloc(n * sizeof(*h));
		if (h == NULL)
			return -ENOMEM;
		for (size_t i = 0; i < n; i++)
			memcpy(h[i].info_hash, e[i].info_hash, 20);
		qsort(h, n, sizeof(*h), cmp_hash);
	}
	pthread_rwlock_wrlock(&c->lock);
	olde = c->entries;
	oldn = c->n;
	oldh = c->hashes;
	c->entries = e;
	c->n = n;
	c->hashes = h;
	pthread_rwlock_unlock(&c->lock);
	catalog_list_free(olde, oldn);
	free(oldh);
	return 0;
}

static int
scan(struct catalog *c)
{
	struct catalog_entry *e = NULL;
	size_t n = 0, cap = 0;
	struct dirent *d;
	int fd, rc = 0;
	DIR *dir;

	fd = openat(c->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	dir = fdopendir(fd);
	if (dir == NULL) {
		rc = -errno;
		close(fd);
		return rc;
	}
	while ((d = readdir(dir)) != NULL) {
		char stem[NAME_MAX + 1], path[PATH_MAX];
		struct meta_error merr;
		struct metainfo *m;
		size_t len = strlen(d->d_name);

		if (len <= 8 || strcmp(d->d_name + len - 8, ".torrent") != 0)
			continue;
		snprintf(stem, sizeof(stem), "%.*s", (int)(len - 8),
		    d->d_name);
		if (!catalog_name_ok(stem)) {
			char esc[128];

			log_warn("skipping %s: name not in [A-Za-z0-9._-]",
			    log_escape(d->d_name, len, esc, sizeof(esc)));
			continue;
		}
		snprintf(path, sizeof(path), "%s/%s", c->dir, d->d_name);
		if (meta_load_file(path, &m, &merr) < 0) {
			log_warn("skipping %s: %s", d->d_name, merr.msg);
			continue;
		}
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			struct catalog_entry *ne;

			if (ncap > CATALOG_MAX_ENTRIES || (ne = realloc(e,
			    ncap * sizeof(*ne))) == NULL) {
				meta_free(m);
				rc = n >= CATALOG_MAX_ENTRIES ? -E2BIG :
				    -ENOMEM;
				break;
			}
			e = ne;
			cap = ncap;
		}
		if (entry_from_meta(&e[n], stem, m) == 0)
			n++;
		meta_free(m);
	}
	closedir(dir);
	if (rc == 0)
		rc = install(c, e, n);
	if (rc < 0) {
		catalog_list_free(e, n);
		return rc;
	}
	return (int)n;
}

struct catalog *
catalog_open(const char *dir, int *err)
{
	struct catalog *c;
	int rc;

	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		*err = -errno;
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		*err = -ENOMEM;
		return NULL;
	}
	pthread_rwlock_init(&c->lock, NULL);
	pthread_mutex_init(&c->write_lock, NULL);
	c->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	/* Absolute: a daemon changes its directory to / after this. */
	c->dir = realpath(dir, NULL);
	if (c->dirfd < 0 || c->dir == NULL) {
		*err = c->dirfd < 0 ? -errno : -ENOMEM;
		catalog_free(c);
		return NULL;
	}
	rc = scan(c);
	if (rc < 0) {
		*err = rc;
		catalog_free(c);
		return NULL;
	}
	return c;
}

void
catalog_free(struct catalog *c)
{
	if (c == NULL)
		return;
	catalog_list_free(c->entries, c->n);
	free(c->hashes);
	if (c->dirfd >= 0)
		close(c->dirfd);
	free(c->dir);
	pthread_rwlock_destroy(&c->lock);
	pthread_mutex_destroy(&c->write_lock);
	free(c);
}

int
catalog_rescan(struct catalog *c)
{
	int rc;

	pthread_mutex_lock(&c->write_lock);
	rc = scan(c);
	pthread_mutex_unlock(&c->write_lock);
	return rc;
}

bool
catalog_contains(struct catalog *c, const uint8_t ih[20])
{
	bool found;

	pthread_rwlock_rdlock(&c->lock);
	found = c->n > 0 &&
	    bsearch(ih, c->hashes, c->n, sizeof(c->hashes[0]), cmp_hash);
	pthread_rwlock_unlock(&c->lock);
	return found;
}

/* Index of name, or -1.  Caller holds the lock. */
static ssize_t
find_name_locked(struct catalog *c, const char *name)
{
	struct catalog_entry key, *e;

	if (c->n == 0)
		return -1;
	snprintf(key.name, sizeof(key.name), "%s", name);
	e = bsearch(&key, c->entries, c->n, sizeof(*e), cmp_entry);
	return e ? e - c->entries : -1;
}

static ssize_t
find_hash_locked(struct catalog *c, const uint8_t ih[20])
{
	for (size_t i = 0; i < c->n; i++)
		if (memcmp(c->entries[i].info_hash, ih, 20) == 0)
			return (ssize_t)i;
	return -1;
}

int
catalog_file_path(struct catalog *c, const char *name, char *path,
    size_t pathsz)
{
	ssize_t i;

	if (!catalog_name_ok(name))
		return -ENOENT;
	pthread_rwlock_rdlock(&c->lock);
	i = find_name_locked(c, name);
	pthread_rwlock_unlock(&c->lock);
	if (i < 0)
		return -ENOENT;
	snprintf(path, pathsz, "%s/%s.torrent", c->dir, name);
	return 0;
}

int
catalog_list(struct catalog *c, struct catalog_entry **out, size_t *nout)
{
	struct catalog_entry *e;
	size_t n;
	int rc = 0;

	pthread_rwlock_rdlock(&c->lock);
	n = c->n;
	e = calloc(n ? n : 1, sizeof(*e));
	if (e == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		e[i] = c->entries[i];
		e[i].title = strdup(c->entries[i].title);
		e[i].tracker = c->entries[i].tracker ?
		    strdup(c->entries[i].tracker) : NULL;
		if (e[i].title == NULL ||
		    (c->entries[i].tracker && e[i].tracker == NULL)) {
			catalog_list_free(e, i + 1);
			rc = -ENOMEM;
			goto out;
		}
	}
	*out = e;
	*nout = n;
out:
	pthread_rwlock_unlock(&c->lock);
	return rc;
}

/* A safe stem from the torrent's name: [A-Za-z0-9._-], '_' otherwise. */
static void
safe_stem(const char *title, char *out, size_t outsz)
{
	size_t n = 0;

	for (const char *s = title; *s != '\0' && n + 1 < outsz &&
	    n < CATALOG_MAX_NAME - 9; s++) {
		char ch = *s;
		bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' ||
		    ch == '-';

		if (n == 0 && (ch == '.' || ch == '-'))
			ok = false;
		if (!ok) {
			/* One '_' for a run of unsafe bytes. */
			if (n > 0 && out[n - 1] == '_')
				continue;
			ch = '_';
		}
		out[n++] = ch;
	}
	out[n] = '\0';
	if (n == 0 || strcmp(out, "_") == 0)
		snprintf(out, outsz, "torrent");
}

/* Write data to dir/name.torrent without replacing anything. */
static int
store_file(struct catalog *c, const char *name, const void *data, size_t len)
{
	char tmp[64], final[CATALOG_MAX_NAME + 16];
	const uint8_t *p = data;
	int fd, rc = 0;

	snprintf(tmp, sizeof(tmp), ".upload-%ld.tmp", (long)gettid());
	snprintf(final, sizeof(final), "%s.torrent", name);
	fd = openat(c->dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0644);
	if (fd < 0)
		return -errno;
	while (len > 0) {
		ssize_t w = write(fd, p, len);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			break;
		}
		p += w;
		len -= (size_t)w;
	}
	if (rc == 0 && fsync(fd) < 0)
		rc = -errno;
	if (close(fd) < 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && renameat2(c->dirfd, tmp, c->dirfd, final,
	    RENAME_NOREPLACE) < 0)
		rc = -errno;
	if (rc < 0)
		unlinkat(c->dirfd, tmp, 0);
	else
		fsync(c->dirfd);
	return rc;
}

/* Copy the current entries plus room for one more.  Caller holds write_lock. */
static int
copy_entries(struct catalog *c, struct catalog_entry **out, size_t *n)
{
	struct catalog_entry *e;
	size_t cnt;
	int rc;

	rc = catalog_list(c, &e, &cnt);
	if (rc < 0)
		return rc;
	{
		struct catalog_entry *ne = realloc(e, (cnt + 1) * sizeof(*e));

		if (ne == NULL) {
			catalog_list_free(e, cnt);
			return -ENOMEM;
		}
		e = ne;
	}
	*out = e;
	*n = cnt;
	return 0;
}

int
catalog_add(struct catalog *c, const void *data, size_t len, char *name,
    bool *existed, struct meta_error *merr)
{
	char stem[CATALOG_MAX_NAME + 1], hex[41];
	struct catalog_entry *e = NULL;
	struct metainfo *m = NULL;
	size_t n = 0;
	ssize_t i;
	int rc;

	rc = meta_parse(data, len, &m, merr);
	if (rc < 0)
		return rc;
	pthread_mutex_lock(&c->write_lock);
	pthread_rwlock_rdlock(&c->lock);
	i = find_hash_locked(c, m->info_hash);
	if (i >= 0)
		snprintf(name, CATALOG_MAX_NAME + 1, "%s", c->entries[i].name);
	if (i < 0 && c->n >= CATALOG_MAX_ENTRIES)
		rc = -ENOSPC;
	pthread_rwlock_unlock(&c->lock);
	if (i >= 0 || rc < 0) {
		*existed = i >= 0;
		goto out;
	}
	safe_stem(m->name, stem, sizeof(stem));
	hex_encode(m->info_hash, 20, hex);
	pthread_rwlock_rdlock(&c->lock);
	if (find_name_locked(c, stem) >= 0) {
		size_t l = strlen(stem);

		snprintf(stem + l, sizeof(stem) - l, "-%.8s", hex);
	}
	pthread_rwlock_unlock(&c->lock);
	{
		char fname[CATALOG_MAX_NAME + 16];

		snprintf(fname, sizeof(fname), "%s.torrent", stem);
		if (faccessat(c->dirfd, fname, F_OK, 0) == 0) {
			/* A file we do not index (unparsable) holds the name. */
			size_t l = strlen(stem);

			snprintf(stem + l, sizeof(stem) - l, "-%s", hex + 8);
		}
	}
	if ((rc = copy_entries(c, &e, &n)) < 0)
		goto out;
	if ((rc = entry_from_meta(&e[n], stem, m)) < 0)
		goto out;
	n++;
	if ((rc = store_file(c, stem, data, len)) < 0)
		goto out;
	if ((rc = install(c, e, n)) < 0) {
		char fname[CATALOG_MAX_NAME + 16];

		snprintf(fname, sizeof(fname), "%s.torrent", stem);
		unlinkat(c->dirfd, fname, 0);
		goto out;
	}
	e = NULL;
	n = 0;
	snprintf(name, CATALOG_MAX_NAME + 1, "%s", stem);
	*existed = false;
out:
	pthread_mutex_unlock(&c->write_lock);
	catalog_list_free(e, n);
	meta_free(m);
	return rc;
}

int
catalog_remove(struct catalog *c, const char *key)
{
	struct catalog_entry *e = NULL;
	char fname[CATALOG_MAX_NAME + 16];
	uint8_t ih[20];
	size_t n = 0;
	ssize_t i;
	int rc;

	pthread_mutex_lock(&c->write_lock);
	pthread_rwlock_rdlock(&c->lock);
	if (strlen(key) == 40 && hex_decode(key, 40, ih, 20) == 0)
		i = find_hash_locked(c, ih);
	else
		i = catalog_name_ok(key) ? find_name_locked(c, key) : -1;
	if (i >= 0)
		snprintf(fname, sizeof(fname), "%s.torrent",
		    c->entries[i].name);
	pthread_rwlock_unlock(&c->lock);
	if (i < 0) {
		rc = -ENOENT;
		goto out;
	}
	if ((rc = copy_entries(c, &e, &n)) < 0)
		goto out;
	if (unlinkat(c->dirfd, fname, 0) < 0) {
		rc = -errno;
		goto out;
	}
	fsync(c->dirfd);
	entry_fini(&e[i]);
	memmove(&e[i], &e[i + 1], (n - (size_t)i - 1) * sizeof(*e));
	n--;
	if ((rc = install(c, e, n)) < 0)
		goto out;
	e = NULL;
	n = 0;
out:
	pthread_mutex_unlock(&c->write_lock);
	catalog_list_free(e, n);
	return rc;
}
