/*
 * peer_id: our BEP 20 peer id, "-VT0100-" followed by 12 random bytes, and
 * the random tracker key.  Any thread.
 */
#ifndef VTFS_BT_PEER_ID_H
#define VTFS_BT_PEER_ID_H

#include <stddef.h>
#include <stdint.h>

#define PEER_ID_LEN	20
#define PEER_ID_PREFIX	"-VT0100-"	/* client "VT", version 0.1.0.0 */

/* Fill out with a new peer id.  Returns 0 or -errno of getrandom(2). */
int	peer_id_make(uint8_t out[PEER_ID_LEN]);
/* n random bytes from the kernel.  Returns 0 or -errno. */
int	peer_id_random(void *out, size_t n);

#endif /* VTFS_BT_PEER_ID_H */
