/*
 * announce_xfer: what the two tracker transports (announce_http,
 * announce_udp) share: their options, one request's result and its
 * callback.  Types only.  Network thread only.
 */
#ifndef VTFS_BT_ANNOUNCE_XFER_H
#define VTFS_BT_ANNOUNCE_XFER_H

#include <stdbool.h>
#include <stdint.h>

#include "bt/tracker_resp.h"

#define ANNOUNCE_CONNECT_TIMEOUT_MS	10000u
#define ANNOUNCE_TIMEOUT_MS		30000u
#define ANNOUNCE_UDP_RETRY_BASE_MS	15000u	/* BEP 15: 15 * 2^n s */
#define ANNOUNCE_UDP_MAX_SHIFT		8u	/* BEP 15: n <= 8 */
#define ANNOUNCE_UDP_CONN_TTL_MS	60000u	/* BEP 15: a minute */
#define ANNOUNCE_MAX_REDIRECTS		3

struct announce_xfer_opts {
	char		bind_addr[64];	/* numeric source address, "" any */
	uint32_t	connect_timeout_ms;
	uint32_t	udp_retry_base_ms;
	uint32_t	udp_max_shift;
};

enum announce_xfer_kind {
	ANNOUNCE_XFER_ANNOUNCE,
	ANNOUNCE_XFER_SCRAPE,
};

/*
 * One request's outcome.  On success (rc 0) resp (announce) or scrape is
 * set; the callback may move resp out (and must then zero it), whatever
 * is left is released after the callback returns.
 */
struct announce_xfer_result {
	int			 rc;	/* 0 or -errno */
	struct tracker_error	 err;	/* rc < 0 */
	struct tracker_resp	 resp;
	struct tracker_scrape	 scrape;
};

/*
 * Called once per request that was not cancelled, from the loop (never
 * from inside the start call).
 */
typedef void	announce_xfer_cb(void *arg, struct announce_xfer_result *);

#endif /* VTFS_BT_ANNOUNCE_XFER_H */
