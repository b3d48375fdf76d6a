/*
 * text: small text helpers shared by the commands, the client and the
 * tracker: human-readable sizes, URL percent-encoding, strict UTF-8 and
 * showing hostile text on a terminal.  Pure, any thread.
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

/*
 * Length of the valid UTF-8 sequence at the start of p[0..n), or 0 when the
 * bytes there are not one (RFC 3629: no overlong forms, no surrogates,
 * nothing above U+10FFFF; 0 when n is 0).
 */
size_t	text_utf8_len(const void *p, size_t n);
/* True when p[0..n) is strict UTF-8 throughout. */
bool	text_utf8_valid(const void *p, size_t n);

/*
 * p[0..len) made safe for a terminal, NUL-terminated in out[outsz]: valid
 * UTF-8 is kept as it is (names in any script print readably), while
 * control characters (C0, DEL, C1), backslashes and bytes of invalid
 * sequences become \xNN, so no escape sequence from a torrent reaches the
 * terminal.  Cut with "..." when out is too small (4 * len + 4 always
 * fits).  Returns out.
 */
char	*text_display(const void *p, size_t len, char *out, size_t outsz);

#endif /* VTFS_BASE_TEXT_H */
