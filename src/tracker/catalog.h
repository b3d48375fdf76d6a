/*
 * catalog: the directory of .torrent files the tracker serves (GET
 * /t/NAME.torrent), lists (index page, JSON) and, in private mode, tracks.
 * The directory is the catalog's state: a restart rescans it, so what was
 * published stays published.  Any thread: readers take a read lock on the
 * in-memory index; add and remove serialise on a write lock and touch the
 * directory with write-to-temporary + fsync + rename.
 *
 * Stored names are safe by construction: [A-Za-z0-9._-], at most
 * CATALOG_MAX_NAME bytes, not starting with '.', so NAME never needs
 * quoting in a path or URL.  Files whose stem is not safe are skipped (and
 * logged) at scan time.
 */
#ifndef VTFS_TRACKER_CATALOG_H
#define VTFS_TRACKER_CATALOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bt/metainfo.h"

#define CATALOG_MAX_NAME	120
#define CATALOG_MAX_ENTRIES	100000u

struct catalog_entry {
	char		 name[CATALOG_MAX_NAME + 1];	/* file stem, safe */
	uint8_t		 info_hash[20];
	char		*title;		/* owned: the torrent's name
					 * (sanitised, still hostile text) */
	char		*tracker;	/* owned: first tracker URL, or NULL */
	uint64_t	 size;		/* bytes, pad files excluded */
	uint32_t	 nfiles;	/* pad files excluded */
};

struct catalog;

/*
 * Open (and create if missing) dir and index its .torrent files.  Returns
 * NULL with *err set (-errno).
 */
struct catalog	*catalog_open(const char *dir, int *err);
void		 catalog_free(struct catalog *);
/* Rescan the directory (SIGHUP).  Returns the entry count or -errno. */
int		 catalog_rescan(struct catalog *);

/*
 * Validate a .torrent (metainfo parser) and store it.  On success name gets
 * the stored name (size CATALOG_MAX_NAME + 1) and *existed tells whether
 * the info-hash was already there (then nothing is written: re-uploads are
 * idempotent).  Returns 0; -EBADMSG/-E2BIG/-ERANGE/-ENOTSUP with merr set
 * for a refused torrent; -ENOSPC at CATALOG_MAX_ENTRIES; -errno for I/O.
 */
int		 catalog_add(struct catalog *, const void *data, size_t len,
		    char *name, bool *existed, struct meta_error *merr);
/* Remove by stored name or 40-digit hex info-hash.  0 or -ENOENT/-errno. */
int		 catalog_remove(struct catalog *, const char *key);
bool		 catalog_contains(struct catalog *, const uint8_t ih[20]);
/*
 * Path of NAME's .torrent into path (size pathsz), if NAME is a stored
 * name.  Returns 0 or -ENOENT.
 */
int		 catalog_file_path(struct catalog *, const char *name,
		    char *path, size_t pathsz);
/* A copy of every entry, sorted by name; free with catalog_list_free(). */
int		 catalog_list(struct catalog *, struct catalog_entry **out,
		    size_t *n);
void		 catalog_list_free(struct catalog_entry *, size_t n);
/* True if s is a safe stored name. */
bool		 catalog_name_ok(const char *s);

#endif /* VTFS_TRACKER_CATALOG_H */
