/*
 * whitelist: a set of info-hashes read from a file (one 40-digit hex
 * info-hash per line; blank lines and lines starting with '#' ignored), for
 * private mode.  Reloading swaps the whole set.  Any thread: lookups take a
 * read lock, reload a write lock (the file is read before locking).
 */
#ifndef VTFS_TRACKER_WHITELIST_H
#define VTFS_TRACKER_WHITELIST_H

#include <stdbool.h>
#include <stdint.h>

#define WHITELIST_MAX	10000000u	/* entries */

struct whitelist;

struct whitelist *whitelist_new(void);
void	whitelist_free(struct whitelist *);
/*
 * Replace the set with the file's.  Returns the entry count, or -errno
 * (the old set is kept); a malformed line is -EBADMSG with *bad_line set.
 */
int	whitelist_load(struct whitelist *, const char *path, int *bad_line);
bool	whitelist_contains(struct whitelist *, const uint8_t info_hash[20]);

#endif /* VTFS_TRACKER_WHITELIST_H */
