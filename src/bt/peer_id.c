/* peer_id: see peer_id.h. */
#include "bt/peer_id.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>

int
peer_id_random(void *out, size_t n)
{
	uint8_t *p = out;

	while (n > 0) {
		ssize_t r = getrandom(p, n, 0);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

int
peer_id_make(uint8_t out[PEER_ID_LEN])
{
	size_t plen = sizeof(PEER_ID_PREFIX) - 1;

	memcpy(out, PEER_ID_PREFIX, plen);
	return peer_id_random(out + plen, PEER_ID_LEN - plen);
}
