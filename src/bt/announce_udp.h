/*
 * announce_udp: BEP 15 UDP tracker requests (connect, announce, scrape) on
 * a libuv loop.  Names are resolved with uv_getaddrinfo (libuv's thread
 * pool), never on the loop.  One socket per address family serves every
 * request; replies are matched by source address and transaction id.  A
 * connection id is reused for ANNOUNCE_UDP_CONN_TTL_MS.  A request is sent
 * again after base * 2^n ms (n capped at udp_max_shift) until its deadline.
 * Short replies, replies with another transaction id or another action are
 * ignored (logged; the last one is named in the timeout error).  Network
 * thread only.
 */
#ifndef VTFS_BT_ANNOUNCE_UDP_H
#define VTFS_BT_ANNOUNCE_UDP_H

#include <uv.h>

#include "bt/announce_xfer.h"

struct announce_udp;
struct announce_udp_xfer;

int	announce_udp_new(uv_loop_t *, const struct announce_xfer_opts *,
	    struct announce_udp **out);
/*
 * Cancel every request (no callbacks) and release the context; its libuv
 * handles close on the next loop iterations, so keep running the loop.
 */
void	announce_udp_free(struct announce_udp *);

/*
 * Start an announce or a scrape to url ("udp://host:port[/...]") within
 * timeout_ms.  Returns 0 and a handle in *out (valid until the callback
 * or announce_udp_cancel()), or -errno with err set.
 */
int	announce_udp_start(struct announce_udp *, const char *url,
	    enum announce_xfer_kind, const struct tracker_req *req,
	    uint32_t timeout_ms, announce_xfer_cb *cb, void *arg,
	    struct announce_udp_xfer **out, struct tracker_error *err);
/* Stop a request; its callback will not be called. */
void	announce_udp_cancel(struct announce_udp_xfer *);

/*
 * Split "udp://host:port[/path]" into host (brackets of an IPv6 literal
 * removed) and port.  Returns 0 or -EINVAL.  Pure.
 */
int	announce_udp_parse_url(const char *url, char *host, size_t hostsz,
	    char *port, size_t portsz);

#endif /* VTFS_BT_ANNOUNCE_UDP_H */
