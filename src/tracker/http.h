/*
 * http: the HTTP front on libmicrohttpd: announce and scrape (BEP 3, 23, 7;
 * optional passkey as /announce/PASSKEY), the catalog (GET / index page,
 * GET /api/torrents JSON, GET /t/NAME.torrent) and publishing (POST
 * /api/torrents, DELETE /api/torrents/NAME, admins only, HTTP basic auth).
 * One MHD daemon per listening socket, each with its own pool of threads
 * (epoll), connection cap, per-connection timeout and request size caps.
 * Start and stop from the main thread; requests run on MHD's threads.
 */
#ifndef VTFS_TRACKER_HTTP_H
#define VTFS_TRACKER_HTTP_H

#include <stdbool.h>

#include "tracker/tracker.h"

struct http_opts {
	unsigned	threads;		/* per daemon; 0: 2 */
	unsigned	max_connections;	/* per daemon; 0: 1024 */
	unsigned	max_per_ip;		/* 0: no limit */
	unsigned	timeout_s;		/* idle connection; 0: 15 */
	const char	*tls_cert;		/* PEM text (borrowed) */
	const char	*tls_key;		/* PEM text (borrowed) */
};

struct http;

struct http	*http_new(struct tracker *, const struct http_opts *);
/*
 * Serve on fd (a bound, listening TCP socket, which the daemon takes
 * over); tls: serve HTTPS with the certificate of the options.  Returns 0
 * or -errno.
 */
int		 http_add_listener(struct http *, int fd, bool tls);
/* Stop every daemon (waits for its threads) and free. */
void		 http_free(struct http *);

#endif /* VTFS_TRACKER_HTTP_H */
