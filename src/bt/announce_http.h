/*
 * announce_http: HTTP(S) tracker requests through libcurl's multi_socket
 * interface on a libuv loop (uv_poll for curl's sockets, one uv_timer for
 * its timeouts): nothing blocks the loop (curl resolves names in its own
 * thread).  Network thread only.
 *
 * Every request: only http and https, at most ANNOUNCE_MAX_REDIRECTS
 * redirects and only to http/https, the body capped at TRACKER_MAX_BODY
 * as it arrives, no content decoding (a gzip bomb stays compressed and is
 * refused as not bencode), a connect timeout and a whole-request timeout.
 */
#ifndef VTFS_BT_ANNOUNCE_HTTP_H
#define VTFS_BT_ANNOUNCE_HTTP_H

#include <uv.h>

#include "bt/announce_xfer.h"

struct announce_http;
struct announce_http_xfer;

/* Returns 0 and a new context in *out, or -ENOMEM / -EIO (curl init). */
int	announce_http_new(uv_loop_t *, const struct announce_xfer_opts *,
	    struct announce_http **out);
/*
 * Cancel every request (no callbacks) and release the context; its libuv
 * handles close on the next loop iterations, so keep running the loop.
 */
void	announce_http_free(struct announce_http *);

/*
 * Start an announce (req) or a scrape of req->info_hash to url within
 * timeout_ms.  Returns 0 and a handle in *out (valid until the callback or
 * announce_http_cancel()), or -errno with err set (URL unusable).
 */
int	announce_http_start(struct announce_http *, const char *url,
	    enum announce_xfer_kind, const struct tracker_req *req,
	    uint32_t timeout_ms, announce_xfer_cb *cb, void *arg,
	    struct announce_http_xfer **out, struct tracker_error *err);
/* Stop a request; its callback will not be called. */
void	announce_http_cancel(struct announce_http_xfer *);

#endif /* VTFS_BT_ANNOUNCE_HTTP_H */
