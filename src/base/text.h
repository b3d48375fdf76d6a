/*
 * text: small text helpers shared by the commands, the client and the
 * tracker: human-readable sizes and URL percent-encoding.  Pure, any
 * thread.
 */
#ifndef VTFS_BASE_TEXT_H
#define VTFS_BASE_TEXT_H

#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"

/* "512 B", "1.5 KiB", "3.2 GiB" for bytes (binary units). Returns out. */
char	*text_human(char *out, size_t outsz, double bytes);
/*
 * Append p[0..n) percent-encoded (RFC 3986: everything but unreserved
 * characters, upper-case hex) for a query string or a magnet link.
 */
void	text_url_escape(struct buf *, const void *p, size_t n);

/*
 * True when s is 1..max bytes of [A-Za-z0-9._-] only: a name safe as a file
 * name or a user name (no '/', no spaces, no escapes).
 */
bool	text_is_safe_name(const char *s, size_t max);

#endif /* VTFS_BASE_TEXT_H */
