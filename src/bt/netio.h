/*
 * netio: the TCP transport of peer connections on the network thread's
 * libuv loop.  One listener; outgoing connects bound to the listen address
 * (so that tests can give every peer its own 127.0.0.x); caps on
 * connections in total and per IP; one receive buffer shared by every
 * connection and read in large chunks (a peer costs no receive memory while
 * idle); a bounded send queue per connection that coalesces everything
 * written during one loop iteration into as few writes as possible.  Knows
 * nothing of BitTorrent.  Network thread only.
 */
#ifndef VTFS_BT_NETIO_H
#define VTFS_BT_NETIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <uv.h>

#define NETIO_DEFAULT_PORT	6881
#define NETIO_PORT_TRIES	10	/* 6881..6890, then any free port */
#define NETIO_RECV_CHUNK	(256u << 10)
#define NETIO_DEFAULT_SENDQ	(4u << 20)
#define NETIO_SEND_STALL_MS	60000	/* a write that moves too little */
#define NETIO_STALL_MIN_BYTES	(16u << 10)	/* ...less than this */

struct netio;
struct netio_conn;

struct netio_config {
	const char	*listen_addr;	/* NULL: 0.0.0.0; also the source of
					 * outgoing connections when set */
	uint16_t	 listen_port;	/* 0: NETIO_DEFAULT_PORT with fallback */
	bool		 no_listen;	/* outgoing connections only */
	uint32_t	 max_conns;	/* 0: no cap */
	uint32_t	 max_per_ip;	/* 0: no cap */
	size_t		 max_sendq;	/* bytes; 0: NETIO_DEFAULT_SENDQ */
	uint32_t	 connect_timeout_ms;	/* 0: 10 s */
	uint32_t	 send_stall_ms;	/* 0: NETIO_SEND_STALL_MS: a
					 * connection whose pending write
					 * moved less than
					 * NETIO_STALL_MIN_BYTES for that
					 * long is closed with -ETIMEDOUT */
};

/*
 * Callbacks, all on the loop thread.  A callback may call netio_close() on
 * its connection (it stays valid until on_close); it must not free it.
 */
struct netio_ops {
	/* An incoming connection passed the caps.  Return 0 to keep it. */
	int	(*on_accept)(void *ud, struct netio_conn *);
	/* An outgoing connection is up (status 0) or failed (-errno). */
	void	(*on_connect)(void *ud, struct netio_conn *, int status);
	/* Bytes arrived (valid during the call).  Return 0, or -errno to
	 * close the connection with that reason. */
	int	(*on_data)(void *ud, struct netio_conn *, const uint8_t *,
		    size_t);
	/* The send queue fell below half its cap after being full. */
	void	(*on_drain)(void *ud, struct netio_conn *);
	/* The connection is gone (reason: 0, -ECONNRESET, -ETIMEDOUT, or
	 * what netio_close() was given).  Called once; memory freed after. */
	void	(*on_close)(void *ud, struct netio_conn *, int reason);
};

/*
 * Returns 0, or -errno (listen address unusable, port taken, ...).  The
 * listening socket is made before any handle, so a refused address leaves
 * *out NULL; should libuv then refuse the socket, *out is set and already
 * shut down (run the loop, then netio_free()).
 */
int	netio_new(uv_loop_t *, const struct netio_config *,
	    const struct netio_ops *, void *ud, struct netio **out);
/* Close every connection and the listener; on_close runs for each. */
void	netio_shutdown(struct netio *);
/* Free after netio_shutdown() once the loop has run the closes. */
void	netio_free(struct netio *);
/* The port actually listened on (0 with no_listen). */
uint16_t netio_port(const struct netio *);
uint32_t netio_count(const struct netio *);

/*
 * Start an outgoing connection.  Returns 0 and the connection (on_connect
 * follows), -EEXIST (already connected to that IP and max_per_ip reached),
 * -EMFILE (max_conns), or -errno.
 */
int	netio_connect(struct netio *, const struct sockaddr *,
	    struct netio_conn **out);
/*
 * Queue bytes (copied).  Returns 0, or -ENOBUFS when the queue would pass
 * its cap (nothing queued; wait for on_drain), -ENOTCONN when closing.
 */
int	netio_send(struct netio_conn *, const void *, size_t);
/* Room left in the send queue. */
size_t	netio_send_room(const struct netio_conn *);
/* Stop and restart reading (backpressure, rate limits). */
void	netio_pause(struct netio_conn *);
void	netio_resume(struct netio_conn *);
/* Close at a safe point; queued data is dropped.  Idempotent. */
void	netio_close(struct netio_conn *, int reason);

void	netio_set_data(struct netio_conn *, void *);
void	*netio_get_data(const struct netio_conn *);
const struct sockaddr_storage *netio_peer_addr(const struct netio_conn *);
bool	netio_incoming(const struct netio_conn *);
/* "1.2.3.4:5678" or "[::1]:5678" into out (size >= 64). */
char	*netio_addr_str(const struct sockaddr_storage *, char *out, size_t);
/* Same IPv4 or IPv6 address (ports ignored). */
bool	netio_same_ip(const struct sockaddr_storage *,
	    const struct sockaddr_storage *);
/* Parse "ADDR:PORT" or "[V6]:PORT".  Returns 0 or -EINVAL. */
int	netio_parse_addr(const char *, struct sockaddr_storage *out);

#endif /* VTFS_BT_NETIO_H */
