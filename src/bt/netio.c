/*
 * netio: see netio.h.
 *
 * Sends are coalesced: netio_send() appends to the connection's filling
 * buffer and marks it dirty; a uv_prepare handle (run once per loop
 * iteration, just before the loop polls) flushes every dirty connection with
 * uv_try_write() and hands what the kernel did not take to one uv_write().
 * So a burst of small messages (requests, haves) becomes one syscall, and a
 * connection never has more than one write in flight.
 *
 * A peer that stops reading its socket must not hold our memory (its send
 * queue, up to max_sendq) for ever: the once-a-second tick closes a
 * connection whose pending write has moved less than NETIO_STALL_MIN_BYTES
 * (one block) in send_stall_ms.  Progress is what the peer's TCP
 * acknowledged (see acked()), so a slow reader is not taken for a dead one,
 * but one that takes a byte now and then to keep its connection (and our
 * queue) is.
 *
 * Connections are freed only in their close callback, so a pointer stays
 * valid for the rest of the loop iteration in which netio_close() was called.
 */
#define LOG_TAG "netio"
#include "bt/netio.h"

#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/log.h"

struct netio_conn {
	uv_tcp_t		 tcp;		/* first: handle->data = conn */
	uv_connect_t		 creq;
	uv_write_t		 wreq;
	struct netio		*nio;		/* borrowed */
	struct netio_conn	*prev, *next;	/* all connections */
	struct netio_conn	*dirty_next;	/* flush list */
	struct sockaddr_storage	 peer;
	struct buf		 out;		/* filling */
	struct buf		 inflight;	/* owned by the uv_write */
	uint64_t		 deadline_ms;	/* connecting: give up after */
	uint64_t		 progress_ms;	/* writing: last progress */
	uint64_t		 acked_mark;	/* acked() then */
	uint64_t		 submitted;	/* bytes given to the socket
						 * (try_write + uv_write) */
	void			*data;		/* the user's */
	int			 close_reason;
	bool			 incoming;
	bool			 connecting;
	bool			 closing;
	bool			 paused;
	bool			 write_busy;
	bool			 dirty;
	bool			 full;		/* a send was refused */
};

struct netio {
	uv_loop_t		*loop;		/* borrowed */
	struct netio_config	 cfg;
	struct netio_ops	 ops;
	void			*ud;
	uv_tcp_t		 listener;
	uv_prepare_t		 flusher;
	uv_timer_t		 tick;
	bool			 listening;
	bool			 shut;
	uint16_t		 port;
	struct sockaddr_storage	 src;		/* bind outgoing here */
	bool			 bind_src;
	struct netio_conn	*conns;
	struct netio_conn	*dirty;
	uint32_t		 nconns;
	uint32_t		 open_handles;	/* not yet closed */
	uint8_t			*rbuf;		/* owned, NETIO_RECV_CHUNK */
};

static void conn_flush(struct netio_conn *);

static socklen_t
addr_len(const struct sockaddr_storage *ss)
{
	return ss->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
					 : sizeof(struct sockaddr_in);
}

bool
netio_same_ip(const struct sockaddr_storage *a,
    const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		    ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
		   &((const struct sockaddr_in6 *)b)->sin6_addr, 16) == 0;
}

static uint32_t
count_ip(const struct netio *nio, const struct sockaddr_storage *ss)
{
	uint32_t n = 0;

	for (const struct netio_conn *c = nio->conns; c; c = c->next)
		if (!c->closing && netio_same_ip(&c->peer, ss))
			n++;
	return n;
}

char *
netio_addr_str(const struct sockaddr_storage *ss, char *out, size_t outsz)
{
	char ip[INET6_ADDRSTRLEN] = "?";

	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)ss;

		inet_ntop(AF_INET6, &s6->sin6_addr, ip, sizeof(ip));
		snprintf(out, outsz, "[%s]:%u", ip, ntohs(s6->sin6_port));
	} else {
		const struct sockaddr_in *s4 = (const void *)ss;

		inet_ntop(AF_INET, &s4->sin_addr, ip, sizeof(ip));
		snprintf(out, outsz, "%s:%u", ip, ntohs(s4->sin_port));
	}
	return out;
}

int
netio_parse_addr(const char *s, struct sockaddr_storage *out)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon, *hs = s;
	size_t hlen;
	unsigned long port;
	char *end;

	memset(out, 0, sizeof(*out));
	if (*s == '[') {
		const char *rb = strchr(s, ']');

		if (!rb || rb[1] != ':')
			return -EINVAL;
		hs = s + 1;
		hlen = (size_t)(rb - hs);
		colon = rb + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon)
			return -EINVAL;
		hlen = (size_t)(colon - s);
	}
	if (hlen == 0 || hlen >= sizeof(host))
		return -EINVAL;
	memcpy(host, hs, hlen);
	host[hlen] = '\0';
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (errno || *end || end == colon + 1 || port > 65535)
		return -EINVAL;
	if (inet_pton(AF_INET, host, &((struct sockaddr_in *)out)->sin_addr)
	    == 1) {
		out->ss_family = AF_INET;
		((struct sockaddr_in *)out)->sin_port = htons((uint16_t)port);
		return 0;
	}
	if (inet_pton(AF_INET6, host,
	    &((struct sockaddr_in6 *)out)->sin6_addr) == 1) {
		out->ss_family = AF_INET6;
		((struct sockaddr_in6 *)out)->sin6_port = htons((uint16_t)port);
		return 0;
	}
	return -EINVAL;
}

static void
on_handle_closed(uv_handle_t *h)
{
	struct netio *nio = h->data;

	nio->open_handles--;
}

static void
on_conn_closed(uv_handle_t *h)
{
	struct netio_conn *c = h->data;
	struct netio *nio = c->nio;

	if (c->prev)
		c->prev->next = c->next;
	else
		nio->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	nio->nconns--;
	nio->open_handles--;
	if (c->dirty) {
		/* Still queued for the next flush: unlink it first. */
		struct netio_conn **pp = &nio->dirty;

		while (*pp && *pp != c)
			pp = &(*pp)->dirty_next;
		if (*pp)
			*pp = c->dirty_next;
		c->dirty = false;
	}
	if (nio->ops.on_close)
		nio->ops.on_close(nio->ud, c, c->close_reason);
	buf_fini(&c->out);
	buf_fini(&c->inflight);
	free(c);
}

void
netio_close(struct netio_conn *c, int reason)
{
	if (c->closing)
		return;
	c->closing = true;
	c->close_reason = reason;
	uv_read_stop((uv_stream_t *)&c->tcp);
	uv_close((uv_handle_t *)&c->tcp, on_conn_closed);
}

static struct netio_conn *
conn_new(struct netio *nio, bool incoming)
{
	struct netio_conn *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	if (uv_tcp_init(nio->loop, &c->tcp) != 0) {
		free(c);
		return NULL;
	}
	c->tcp.data = c;
	c->nio = nio;
	c->incoming = incoming;
	buf_init(&c->out, nio->cfg.max_sendq);
	buf_init(&c->inflight, nio->cfg.max_sendq);
	c->next = nio->conns;
	if (c->next)
		c->next->prev = c;
	nio->conns = c;
	nio->nconns++;
	nio->open_handles++;
	return c;
}

static void
on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	struct netio_conn *c = h->data;

	/*
	 * One buffer for every connection: libuv calls alloc and read back
	 * to back for one stream, and on_data consumes the bytes at once.
	 */
	b->base = (char *)c->nio->rbuf;
	b->len = NETIO_RECV_CHUNK;
}

static void
on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *b)
{
	struct netio_conn *c = s->data;
	int rc;

	if (c->closing)
		return;
	if (nread > 0) {
		rc = c->nio->ops.on_data(c->nio->ud, c, (const uint8_t *)b->base,
		    (size_t)nread);
		if (rc < 0)
			netio_close(c, rc);
	} else if (nread == UV_EOF) {
		netio_close(c, 0);
	} else if (nread < 0) {
		netio_close(c, (int)nread);
	}
}

static void
start_reading(struct netio_conn *c)
{
	if (!c->paused && !c->closing)
		uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
}

static void
on_incoming(uv_stream_t *server, int status)
{
	struct netio *nio = server->data;
	struct netio_conn *c;
	int len = sizeof(struct sockaddr_storage);
	char a[64];

	if (status < 0) {
		log_warn("accept: %s", uv_strerror(status));
		return;
	}
	c = conn_new(nio, true);
	if (!c)
		return;
	if (uv_accept(server, (uv_stream_t *)&c->tcp) != 0 ||
	    uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&c->peer, &len)
	    != 0) {
		netio_close(c, -ECONNABORTED);
		return;
	}
	if (nio->cfg.max_conns && nio->nconns > nio->cfg.max_conns) {
		log_debug("refusing %s: %u connections",
		    netio_addr_str(&c->peer, a, sizeof(a)), nio->nconns - 1);
		netio_close(c, -EMFILE);
		return;
	}
	if (nio->cfg.max_per_ip &&
	    count_ip(nio, &c->peer) > nio->cfg.max_per_ip) {
		log_debug("refusing %s: too many from that address",
		    netio_addr_str(&c->peer, a, sizeof(a)));
		netio_close(c, -EEXIST);
		return;
	}
	uv_tcp_nodelay(&c->tcp, 1);
	if (nio->ops.on_accept && nio->ops.on_accept(nio->ud, c) != 0) {
		netio_close(c, -ECONNREFUSED);
		return;
	}
	start_reading(c);
}

static void
on_connected(uv_connect_t *req, int status)
{
	struct netio_conn *c = req->data;
	struct netio *nio = c->nio;

	c->connecting = false;
	if (c->closing)
		status = c->close_reason ? c->close_reason : -ECANCELED;
	if (status == 0) {
		uv_tcp_nodelay(&c->tcp, 1);
		start_reading(c);
	}
	if (nio->ops.on_connect)
		nio->ops.on_connect(nio->ud, c, status);
	if (status < 0)
		netio_close(c, status);
}

int
netio_connect(struct netio *nio, const struct sockaddr *sa,
    struct netio_conn **out)
{
	struct sockaddr_storage peer;
	struct netio_conn *c;
	int rc;

	if (nio->shut)
		return -ESHUTDOWN;
	memset(&peer, 0, sizeof(peer));
	memcpy(&peer, sa, sa->sa_family == AF_INET6
	    ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in));
	if (nio->cfg.max_conns && nio->nconns >= nio->cfg.max_conns)
		return -EMFILE;
	if (nio->cfg.max_per_ip &&
	    count_ip(nio, &peer) >= nio->cfg.max_per_ip)
		return -EEXIST;
	c = conn_new(nio, false);
	if (!c)
		return -ENOMEM;
	c->peer = peer;
	if (nio->bind_src && nio->src.ss_family == peer.ss_family) {
		rc = uv_tcp_bind(&c->tcp, (const struct sockaddr *)&nio->src,
		    0);
		if (rc) {
			netio_close(c, rc);
			return rc;
		}
	}
	c->connecting = true;
	c->deadline_ms = clock_now_ms() + nio->cfg.connect_timeout_ms;
	c->creq.data = c;
	rc = uv_tcp_connect(&c->creq, &c->tcp, (const struct sockaddr *)&peer,
	    on_connected);
	if (rc) {
		c->connecting = false;
		netio_close(c, rc);
		return rc;
	}
	*out = c;
	return 0;
}

/*
 * Bytes the peer's TCP acknowledged: given to the socket, minus what libuv
 * and the kernel (SIOCOUTQ: unsent + unacknowledged) still hold.  Once the
 * peer's receive buffer is full, only its reading moves this.  libuv's
 * queue alone would not do: the kernel wakes writers only when a good part
 * of a send buffer of megabytes is free, long after a slow reader started.
 */
static uint64_t
acked(struct netio_conn *c)
{
	uint64_t held = uv_stream_get_write_queue_size((uv_stream_t *)&c->tcp);
	uv_os_fd_t fd;
	int outq = 0;

	if (uv_fileno((uv_handle_t *)&c->tcp, &fd) == 0 &&
	    ioctl(fd, TIOCOUTQ, &outq) == 0 && outq > 0)
		held += (uint64_t)outq;
	return held < c->submitted ? c->submitted - held : 0;
}

/* A pending write while the peer acknowledged less than
 * NETIO_STALL_MIN_BYTES in send_stall_ms: the peer is not reading. */
static bool
send_stalled(struct netio_conn *c, uint64_t now)
{
	uint64_t a;

	if (!c->write_busy)
		return false;
	a = acked(c);
	if (a >= c->acked_mark + NETIO_STALL_MIN_BYTES) {
		c->progress_ms = now;
		c->acked_mark = a;
	}
	return now - c->progress_ms >= c->nio->cfg.send_stall_ms;
}

static void
on_tick(uv_timer_t *t)
{
	struct netio *nio = t->data;
	uint64_t now = clock_now_ms();
	char a[64];

	for (struct netio_conn *c = nio->conns; c; c = c->next) {
		if (c->closing)
			continue;
		if (c->connecting && now >= c->deadline_ms) {
			netio_close(c, -ETIMEDOUT);
		} else if (send_stalled(c, now)) {
			size_t q = c->out.len + uv_stream_get_write_queue_size(
			    (uv_stream_t *)&c->tcp);

			log_debug("%s: not reading: %zu bytes unsent after %u ms",
			    netio_addr_str(&c->peer, a, sizeof(a)), q,
			    c->nio->cfg.send_stall_ms);
			netio_close(c, -ETIMEDOUT);
		}
	}
}

static void
maybe_drained(struct netio_conn *c)
{
	size_t queued = c->out.len + c->inflight.len;

	if (c->full && !c->closing && queued <= c->nio->cfg.max_sendq / 2) {
		c->full = false;
		if (c->nio->ops.on_drain)
			c->nio->ops.on_drain(c->nio->ud, c);
	}
}

static void
on_written(uv_write_t *req, int status)
{
	struct netio_conn *c = req->data;

	c->write_busy = false;
	c->progress_ms = clock_now_ms();
	buf_reset(&c->inflight);
	if (c->closing)
		return;
	if (status < 0) {
		netio_close(c, status);
		return;
	}
	conn_flush(c);
	maybe_drained(c);
}

static void
conn_flush(struct netio_conn *c)
{
	struct buf tmp;
	uv_buf_t ub;
	int n, rc;

	if (c->closing || c->write_busy || c->connecting || c->out.len == 0)
		return;
	ub = uv_buf_init((char *)c->out.data, (unsigned)c->out.len);
	n = uv_try_write((uv_stream_t *)&c->tcp, &ub, 1);
	if (n < 0 && n != UV_EAGAIN) {
		netio_close(c, n);
		return;
	}
	if (n > 0) {
		c->submitted += (uint64_t)n;
		memmove(c->out.data, c->out.data + n, c->out.len - (size_t)n);
		c->out.len -= (size_t)n;
	}
	if (c->out.len) {
		/* The rest goes out as one write; swap the buffers. */
		tmp = c->inflight;
		c->inflight = c->out;
		c->out = tmp;
		buf_reset(&c->out);
		ub = uv_buf_init((char *)c->inflight.data,
		    (unsigned)c->inflight.len);
		c->wreq.data = c;
		rc = uv_write(&c->wreq, (uv_stream_t *)&c->tcp, &ub, 1,
		    on_written);
		if (rc) {
			netio_close(c, rc);
			return;
		}
		c->submitted += c->inflight.len;
		c->write_busy = true;
		c->progress_ms = clock_now_ms();
		c->acked_mark = acked(c);
	}
	maybe_drained(c);
}

static void
on_prepare(uv_prepare_t *p)
{
	struct netio *nio = p->data;
	struct netio_conn *c;

	while ((c = nio->dirty) != NULL) {
		nio->dirty = c->dirty_next;
		c->dirty = false;
		conn_flush(c);
	}
	uv_prepare_stop(p);
}

int
netio_send(struct netio_conn *c, const void *p, size_t n)
{
	struct netio *nio = c->nio;

	if (c->closing)
		return -ENOTCONN;
	if (n > nio->cfg.max_sendq - c->out.len - c->inflight.len ||
	    c->out.len + c->inflight.len > nio->cfg.max_sendq) {
		c->full = true;
		return -ENOBUFS;
	}
	if (buf_append(&c->out, p, n) != 0) {
		int err = buf_error(&c->out);

		buf_reset(&c->out);	/* keep nothing partial */
		c->full = true;
		return err == -EMSGSIZE ? -ENOBUFS : err;
	}
	if (!c->dirty) {
		c->dirty = true;
		c->dirty_next = nio->dirty;
		nio->dirty = c;
		uv_prepare_start(&nio->flusher, on_prepare);
	}
	return 0;
}

size_t
netio_send_room(const struct netio_conn *c)
{
	size_t q = c->out.len + c->inflight.len;

	return q >= c->nio->cfg.max_sendq ? 0 : c->nio->cfg.max_sendq - q;
}

void
netio_pause(struct netio_conn *c)
{
	if (c->paused || c->closing)
		return;
	c->paused = true;
	uv_read_stop((uv_stream_t *)&c->tcp);
}

void
netio_resume(struct netio_conn *c)
{
	if (!c->paused)
		return;
	c->paused = false;
	if (!c->connecting)
		start_reading(c);
}

void
netio_set_data(struct netio_conn *c, void *p)
{
	c->data = p;
}

void *
netio_get_data(const struct netio_conn *c)
{
	return c->data;
}

const struct sockaddr_storage *
netio_peer_addr(const struct netio_conn *c)
{
	return &c->peer;
}

bool
netio_incoming(const struct netio_conn *c)
{
	return c->incoming;
}

/* Plain syscalls so that a taken port can be retried at once. */
static int
listen_fd(const struct sockaddr_storage *addr, uint16_t port)
{
	struct sockaddr_storage sa = *addr;
	int one = 1, fd, rc;

	if (sa.ss_family == AF_INET6)
		((struct sockaddr_in6 *)&sa)->sin6_port = htons(port);
	else
		((struct sockaddr_in *)&sa)->sin_port = htons(port);
	fd = socket(sa.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, addr_len(&sa)) != 0 ||
	    listen(fd, 128) != 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	return fd;
}

static int
open_listener(const struct netio_config *cfg,
    const struct sockaddr_storage *addr)
{
	int fd = -EADDRINUSE;

	if (cfg->listen_port)
		return listen_fd(addr, cfg->listen_port);
	for (int i = 0; i < NETIO_PORT_TRIES && fd == -EADDRINUSE; i++)
		fd = listen_fd(addr, (uint16_t)(NETIO_DEFAULT_PORT + i));
	if (fd == -EADDRINUSE)
		fd = listen_fd(addr, 0);
	return fd;
}

static int
start_listener(struct netio *nio, int fd)
{
	struct sockaddr_storage bound;
	socklen_t blen = sizeof(bound);
	int rc;

	getsockname(fd, (struct sockaddr *)&bound, &blen);
	nio->port = ntohs(bound.ss_family == AF_INET6
	    ? ((struct sockaddr_in6 *)&bound)->sin6_port
	    : ((struct sockaddr_in *)&bound)->sin_port);
	rc = uv_tcp_init(nio->loop, &nio->listener);
	if (rc) {
		close(fd);
		return rc;
	}
	nio->listener.data = nio;
	nio->open_handles++;
	nio->listening = true;
	rc = uv_tcp_open(&nio->listener, fd);
	if (rc) {
		close(fd);
		return rc;
	}
	return uv_listen((uv_stream_t *)&nio->listener, 128, on_incoming);
}

int
netio_new(uv_loop_t *loop, const struct netio_config *cfg,
    const struct netio_ops *ops, void *ud, struct netio **out)
{
	struct netio *nio;
	struct sockaddr_storage addr;
	int fd = -1, rc;

	memset(&addr, 0, sizeof(addr));
	addr.ss_family = AF_INET;
	if (cfg->listen_addr) {
		char tmp[INET6_ADDRSTRLEN + 8];
		bool v6 = strchr(cfg->listen_addr, ':') != NULL;

		snprintf(tmp, sizeof(tmp), v6 ? "[%s]:0" : "%s:0",
		    cfg->listen_addr);
		if (netio_parse_addr(tmp, &addr) != 0)
			return -EINVAL;
	}
	if (!cfg->no_listen) {
		fd = open_listener(cfg, &addr);
		if (fd < 0)
			return fd;
	}
	nio = calloc(1, sizeof(*nio));
	if (nio)
		nio->rbuf = malloc(NETIO_RECV_CHUNK);
	if (!nio || !nio->rbuf) {
		if (nio)
			free(nio);
		if (fd >= 0)
			close(fd);
		return -ENOMEM;
	}
	nio->loop = loop;
	nio->cfg = *cfg;
	nio->ops = *ops;
	nio->ud = ud;
	nio->src = addr;
	nio->bind_src = cfg->listen_addr != NULL;
	if (!nio->cfg.max_sendq)
		nio->cfg.max_sendq = NETIO_DEFAULT_SENDQ;
	if (!nio->cfg.connect_timeout_ms)
		nio->cfg.connect_timeout_ms = 10000;
	if (!nio->cfg.send_stall_ms)
		nio->cfg.send_stall_ms = NETIO_SEND_STALL_MS;
	uv_prepare_init(loop, &nio->flusher);
	nio->flusher.data = nio;
	uv_timer_init(loop, &nio->tick);
	nio->tick.data = nio;
	nio->open_handles += 2;
	uv_timer_start(&nio->tick, on_tick, 1000, 1000);
	uv_unref((uv_handle_t *)&nio->tick);
	*out = nio;
	if (fd >= 0) {
		rc = start_listener(nio, fd);
		if (rc) {
			netio_shutdown(nio);
			return rc;
		}
	}
	return 0;
}

void
netio_shutdown(struct netio *nio)
{
	if (nio->shut)
		return;
	nio->shut = true;
	for (struct netio_conn *c = nio->conns; c; c = c->next)
		netio_close(c, -ESHUTDOWN);
	if (nio->listening)
		uv_close((uv_handle_t *)&nio->listener, on_handle_closed);
	uv_close((uv_handle_t *)&nio->flusher, on_handle_closed);
	uv_close((uv_handle_t *)&nio->tick, on_handle_closed);
}

void
netio_free(struct netio *nio)
{
	if (!nio)
		return;
	assert(nio->shut && nio->open_handles == 0);
	free(nio->rbuf);
	free(nio);
}

uint16_t
netio_port(const struct netio *nio)
{
	return nio->port;
}

uint32_t
netio_count(const struct netio *nio)
{
	return nio->nconns;
}
