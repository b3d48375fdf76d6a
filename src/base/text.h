/*
 * text: small text helpers shared by the commands, the client and the
 * tracker: human-readable sizes and URL percent-encoding.  Pure, any
 * thread.
 */
#ifndef VTFS_BASE_TEXT_H
#define VTFS_BASE_TEXT_H

#include <stddef.h>

#include "base/buf.h"

/* "512 B", "1.5 KiB", "3.2 GiB" for bytes (binary units). Returns out. */
char	*text_human(char *out, size_t outsz, double bytes);
/*
 * Append p[0..n) percent-encoded (RFC 3986: everything but unreserved
 * characters, upper-case hex) for a query string or a magnet link.
 */
void	text_url_escape(struct buf *, const void *p, size_t n);

#endif /* VTFS_BASE_TEXT_H */
