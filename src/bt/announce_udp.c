/*
 * announce_udp: see announce_udp.h.  A request walks RESOLVING ->
 * CONNECTING (skipped with a live connection id) -> REQUEST.  One timer per
 * request does both the retransmits and the deadline.  A request is freed
 * once it is done and its timer and name lookup are over; the context once
 * it is being freed and no request or socket refers to it.
 */
#include "bt/announce_udp.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOG_TAG "announce"
#include "base/log.h"
#include "bt/peer_id.h"

#define UDP_CONN_CACHE	32u

enum udp_family { FAM_V4, FAM_V6, FAM_N };

struct conn_ent {
	struct sockaddr_storage	sa;
	uint64_t		id;
	uint64_t		expires_ms;
};

struct announce_udp {
	uv_loop_t			*loop;	/* borrowed */
	struct announce_xfer_opts	 opts;
	uv_udp_t			 sock[FAM_N];
	bool				 sock_open[FAM_N];
	struct conn_ent			 cache[UDP_CONN_CACHE];
	struct announce_udp_xfer	*xfers;	/* in flight */
	unsigned			 refs;	/* xfers + open sockets */
	bool				 freeing;
	uint8_t				 rbuf[TRACKER_UDP_MAX_PACKET];
};

enum xfer_state { X_RESOLVING, X_CONNECTING, X_REQUEST };

struct announce_udp_xfer {
	struct announce_udp		*u;
	struct announce_udp_xfer	*next;
	enum xfer_state			 st;
	enum announce_xfer_kind		 kind;
	struct tracker_req		 req;	/* tracker_id not used */
	char				 host[256];
	char				 port[8];
	uv_getaddrinfo_t		 gai;
	bool				 gai_pending;
	uv_timer_t			 timer;
	bool				 timer_open;
	struct sockaddr_storage		 sa;
	enum udp_family			 fam;
	uint32_t			 tid;
	uint32_t			 shift;	/* retransmits so far */
	uint32_t			 sends;
	uint64_t			 deadline_ms;
	uint64_t			 conn_id;
	bool				 cached_id;
	uint8_t				 pkt[TRACKER_UDP_ANNOUNCE_LEN];
	size_t				 pktlen;
	struct tracker_error		 last_bad;	/* ignored reply */
	bool				 done;
	announce_xfer_cb		*cb;
	void				*arg;
};

int
announce_udp_parse_url(const char *url, char *host, size_t hostsz, char *port,
    size_t portsz)
{
	const char *h, *end, *colon;
	size_t hlen, plen;

	if (strncmp(url, "udp://", 6) != 0)
		return -EINVAL;
	h = url + 6;
	if (*h == '[') {
		end = strchr(h, ']');
		if (!end || end[1] != ':')
			return -EINVAL;
		colon = end + 1;
		h++;
	} else {
		colon = h + strcspn(h, ":/?");
		if (*colon != ':')
			return -EINVAL;
		end = colon;
	}
	hlen = (size_t)(end - h);
	plen = strspn(colon + 1, "0123456789");
	if (hlen == 0 || hlen >= hostsz || plen == 0 || plen >= portsz ||
	    plen > 5 || (colon[1 + plen] != '\0' && colon[1 + plen] != '/'))
		return -EINVAL;
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	memcpy(port, colon + 1, plen);
	port[plen] = '\0';
	if (atoi(port) < 1 || atoi(port) > 65535)
		return -EINVAL;
	return 0;
}

static bool
sa_equal(const struct sockaddr *a, const struct sockaddr *b)
{
	if (a->sa_family != b->sa_family)
		return false;
	if (a->sa_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;

		return x->sin_port == y->sin_port &&
		    x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	if (a->sa_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const void *)a,
		    *y = (const void *)b;

		return x->sin6_port == y->sin6_port &&
		    memcmp(&x->sin6_addr, &y->sin6_addr, 16) == 0;
	}
	return false;
}

static struct conn_ent *
cache_find(struct announce_udp *u, const struct sockaddr *sa, uint64_t now)
{
	for (uint32_t i = 0; i < UDP_CONN_CACHE; i++)
		if (u->cache[i].expires_ms > now &&
		    sa_equal((struct sockaddr *)&u->cache[i].sa, sa))
			return &u->cache[i];
	return NULL;
}

static void
cache_put(struct announce_udp *u, const struct sockaddr_storage *sa,
    uint64_t id, uint64_t now)
{
	struct conn_ent *e = cache_find(u, (const struct sockaddr *)sa, now);

	for (uint32_t i = 0; !e && i < UDP_CONN_CACHE; i++)
		if (u->cache[i].expires_ms <= now)
			e = &u->cache[i];
	if (!e) {
		e = &u->cache[0];
		for (uint32_t i = 1; i < UDP_CONN_CACHE; i++)
			if (u->cache[i].expires_ms < e->expires_ms)
				e = &u->cache[i];
	}
	e->sa = *sa;
	e->id = id;
	e->expires_ms = now + ANNOUNCE_UDP_CONN_TTL_MS;
}

static void
cache_drop(struct announce_udp *u, const struct sockaddr *sa, uint64_t now)
{
	struct conn_ent *e = cache_find(u, sa, now);

	if (e)
		e->expires_ms = 0;
}

static void
ctx_unref(struct announce_udp *u)
{
	if (--u->refs == 0 && u->freeing)
		free(u);
}

static void
xfer_maybe_free(struct announce_udp_xfer *x)
{
	struct announce_udp *u = x->u;

	if (!x->done || x->timer_open || x->gai_pending)
		return;
	free(x);
	ctx_unref(u);
}

static void
on_timer_closed(uv_handle_t *h)
{
	struct announce_udp_xfer *x = h->data;

	x->timer_open = false;
	xfer_maybe_free(x);
}

/* End x: its callback (when res) runs once, then its handles close. */
static void
xfer_finish(struct announce_udp_xfer *x, struct announce_xfer_result *res)
{
	struct announce_udp *u = x->u;

	for (struct announce_udp_xfer **pp = &u->xfers; *pp;
	    pp = &(*pp)->next) {
		if (*pp == x) {
			*pp = x->next;
			break;
		}
	}
	x->done = true;
	uv_timer_stop(&x->timer);
	if (x->gai_pending)
		uv_cancel((uv_req_t *)&x->gai);
	if (res) {
		x->cb(x->arg, res);
		tracker_resp_fini(&res->resp);
	}
	uv_close((uv_handle_t *)&x->timer, on_timer_closed);
}

static void
xfer_fail(struct announce_udp_xfer *x, int rc, enum tracker_errcode code,
    const char *msg)
{
	struct announce_xfer_result res = {0};

	res.rc = tracker_error_set(&res.err, rc, code, "%s", msg);
	xfer_finish(x, &res);
}

static void	on_xfer_timer(uv_timer_t *);

static void
arm(struct announce_udp_xfer *x)
{
	const struct announce_xfer_opts *o = &x->u->opts;
	uint64_t now = uv_now(x->u->loop);
	uint32_t shift = x->shift < o->udp_max_shift ? x->shift :
	    o->udp_max_shift;
	uint64_t wait = (uint64_t)o->udp_retry_base_ms << shift;

	if (now + wait > x->deadline_ms)
		wait = x->deadline_ms > now ? x->deadline_ms - now : 0;
	uv_timer_start(&x->timer, on_xfer_timer, wait, 0);
}

static void
send_pkt(struct announce_udp_xfer *x)
{
	uv_buf_t b = uv_buf_init((char *)x->pkt, (unsigned)x->pktlen);
	int rc;

	x->sends++;
	rc = uv_udp_try_send(&x->u->sock[x->fam], &b, 1,
	    (const struct sockaddr *)&x->sa);
	/* A send that fails is a lost packet: the retransmit covers it. */
	if (rc < 0)
		log_debug("udp tracker %s:%s: send: %s", x->host, x->port,
		    uv_strerror(rc));
}

/* Enter st (CONNECTING or REQUEST) with a new transaction, and send. */
static void
send_step(struct announce_udp_xfer *x, enum xfer_state st)
{
	x->st = st;
	x->shift = 0;
	if (peer_id_random(&x->tid, sizeof(x->tid)) < 0) {
		xfer_fail(x, -EIO, TRACKER_E_TRANSPORT, "no random bytes");
		return;
	}
	if (st == X_CONNECTING)
		x->pktlen = tracker_resp_udp_connect(x->pkt, x->tid);
	else if (x->kind == ANNOUNCE_XFER_SCRAPE)
		x->pktlen = tracker_resp_udp_scrape(x->pkt, x->conn_id, x->tid,
		    x->req.info_hash);
	else
		x->pktlen = tracker_resp_udp_announce(x->pkt, x->conn_id,
		    x->tid, &x->req);
	send_pkt(x);
	arm(x);
}

static void
on_xfer_timer(uv_timer_t *t)
{
	struct announce_udp_xfer *x = t->data;
	uint64_t now = uv_now(x->u->loop);
	char msg[sizeof(x->last_bad.msg) + 96];

	if (now >= x->deadline_ms) {
		if (x->st == X_RESOLVING)
			snprintf(msg, sizeof(msg), "name resolution timed out");
		else if (x->last_bad.code != TRACKER_OK)
			snprintf(msg, sizeof(msg), "no valid reply to %u sends "
			    "(last reply ignored: %s)", x->sends,
			    x->last_bad.msg);
		else
			snprintf(msg, sizeof(msg), "no reply to %u sends",
			    x->sends);
		xfer_fail(x, -ETIMEDOUT, TRACKER_E_TIMEOUT, msg);
		return;
	}
	/* BEP 15: send again after 15 * 2^n s (base configurable). */
	x->shift++;
	send_pkt(x);
	arm(x);
}

static void
on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	struct announce_udp *u = h->data;

	b->base = (char *)u->rbuf;
	b->len = sizeof(u->rbuf);
}

/* A reply from x's tracker that is ours: move on or finish. */
static void
xfer_on_reply(struct announce_udp_xfer *x, struct tracker_udp_reply *r)
{
	struct announce_xfer_result res = {0};
	uint64_t now = uv_now(x->u->loop);

	if (x->st == X_CONNECTING) {
		x->conn_id = r->connection_id;
		cache_put(x->u, &x->sa, x->conn_id, now);
		send_step(x, X_REQUEST);
		return;
	}
	res.resp = r->resp;
	memset(&r->resp, 0, sizeof(r->resp));
	res.scrape = r->scrape;
	xfer_finish(x, &res);
}

static void
on_recv(uv_udp_t *h, ssize_t nread, const uv_buf_t *b,
    const struct sockaddr *from, unsigned flags)
{
	struct announce_udp *u = h->data;
	struct tracker_error err = {0};
	bool matched = false;
	char esc[300];

	if (nread <= 0 || !from || u->freeing)
		return;
	for (struct announce_udp_xfer *x = u->xfers; x; x = x->next) {
		struct tracker_udp_reply r;
		enum tracker_udp_action want;
		size_t plen = x->sa.ss_family == AF_INET6 ? 18 : 6;
		int rc;

		if (x->st == X_RESOLVING ||
		    !sa_equal((const struct sockaddr *)&x->sa, from))
			continue;
		matched = true;
		want = x->st == X_CONNECTING ? TRACKER_UDP_CONNECT :
		    x->kind == ANNOUNCE_XFER_SCRAPE ? TRACKER_UDP_SCRAPE :
		    TRACKER_UDP_ANNOUNCE;
		rc = tracker_resp_parse_udp(b->base, (size_t)nread, x->tid,
		    want, plen, &r, &err);
		if (rc == 0) {
			xfer_on_reply(x, &r);
			tracker_resp_udp_fini(&r);
			return;
		}
		if (rc == -EPROTO && err.code == TRACKER_E_FAILURE) {
			if (x->cached_id)
				cache_drop(u, from, uv_now(u->loop));
			xfer_fail(x, rc, err.code, err.msg);
			return;
		}
		x->last_bad = err;
	}
	if (matched)
		log_warn("udp tracker: ignored a reply of %zd bytes: %s",
		    nread, log_escape(err.msg, strlen(err.msg), esc,
		    sizeof(esc)));
	else
		log_debug("udp tracker: stray datagram of %zd bytes", nread);
}

static int
sock_open(struct announce_udp *u, enum udp_family fam)
{
	const char *bind = u->opts.bind_addr;
	struct sockaddr_storage sa;
	int rc;

	if (u->sock_open[fam])
		return 0;
	if (fam == FAM_V4)
		rc = uv_ip4_addr(bind[0] && !strchr(bind, ':') ? bind :
		    "0.0.0.0", 0, (struct sockaddr_in *)&sa);
	else
		rc = uv_ip6_addr(bind[0] && strchr(bind, ':') ? bind : "::", 0,
		    (struct sockaddr_in6 *)&sa);
	if (rc < 0)
		return rc;
	rc = uv_udp_init(u->loop, &u->sock[fam]);
	if (rc < 0)
		return rc;
	u->sock[fam].data = u;
	u->sock_open[fam] = true;
	u->refs++;
	rc = uv_udp_bind(&u->sock[fam], (struct sockaddr *)&sa, 0);
	if (rc == 0)
		rc = uv_udp_recv_start(&u->sock[fam], on_alloc, on_recv);
	return rc;
}

static void
on_resolved(uv_getaddrinfo_t *g, int status, struct addrinfo *res)
{
	struct announce_udp_xfer *x = g->data;
	struct announce_udp *u = x->u;
	struct conn_ent *e;
	char msg[512];
	int rc;

	x->gai_pending = false;
	if (x->done) {
		uv_freeaddrinfo(res);
		xfer_maybe_free(x);
		return;
	}
	if (status < 0 || !res) {
		snprintf(msg, sizeof(msg), "cannot resolve %s: %s", x->host,
		    uv_strerror(status));
		uv_freeaddrinfo(res);
		xfer_fail(x, -EHOSTUNREACH, TRACKER_E_DNS, msg);
		return;
	}
	memset(&x->sa, 0, sizeof(x->sa));
	memcpy(&x->sa, res->ai_addr, res->ai_addrlen < sizeof(x->sa) ?
	    res->ai_addrlen : sizeof(x->sa));
	uv_freeaddrinfo(res);
	x->fam = x->sa.ss_family == AF_INET6 ? FAM_V6 : FAM_V4;
	rc = sock_open(u, x->fam);
	if (rc < 0) {
		snprintf(msg, sizeof(msg), "cannot open a UDP socket%s%s: %s",
		    u->opts.bind_addr[0] ? " on " : "", u->opts.bind_addr,
		    uv_strerror(rc));
		xfer_fail(x, -EIO, TRACKER_E_TRANSPORT, msg);
		return;
	}
	e = cache_find(u, (struct sockaddr *)&x->sa, uv_now(u->loop));
	if (e) {
		log_debug("udp tracker %s:%s: connection id reused", x->host,
		    x->port);
		x->conn_id = e->id;
		x->cached_id = true;
		send_step(x, X_REQUEST);
	} else {
		send_step(x, X_CONNECTING);
	}
}

int
announce_udp_new(uv_loop_t *loop, const struct announce_xfer_opts *opts,
    struct announce_udp **out)
{
	struct announce_udp *u = calloc(1, sizeof(*u));

	if (!u)
		return -ENOMEM;
	u->loop = loop;
	u->opts = *opts;
	if (u->opts.udp_retry_base_ms == 0)
		u->opts.udp_retry_base_ms = ANNOUNCE_UDP_RETRY_BASE_MS;
	if (u->opts.udp_max_shift == 0 ||
	    u->opts.udp_max_shift > ANNOUNCE_UDP_MAX_SHIFT)
		u->opts.udp_max_shift = ANNOUNCE_UDP_MAX_SHIFT;
	u->refs = 1;	/* dropped by announce_udp_free() */
	*out = u;
	return 0;
}

static void
on_sock_closed(uv_handle_t *h)
{
	ctx_unref(h->data);
}

void
announce_udp_free(struct announce_udp *u)
{
	if (!u)
		return;
	u->freeing = true;
	while (u->xfers)
		xfer_finish(u->xfers, NULL);
	for (int f = 0; f < FAM_N; f++) {
		if (u->sock_open[f]) {
			u->sock_open[f] = false;
			uv_close((uv_handle_t *)&u->sock[f], on_sock_closed);
		}
	}
	ctx_unref(u);
}

int
announce_udp_start(struct announce_udp *u, const char *url,
    enum announce_xfer_kind kind, const struct tracker_req *req,
    uint32_t timeout_ms, announce_xfer_cb *cb, void *arg,
    struct announce_udp_xfer **out, struct tracker_error *err)
{
	struct announce_udp_xfer *x;
	struct addrinfo hints = {.ai_socktype = SOCK_DGRAM,
	    .ai_flags = AI_NUMERICSERV};
	const char *bind = u->opts.bind_addr;
	int rc;

	x = calloc(1, sizeof(*x));
	if (!x)
		return tracker_error_set(err, -ENOMEM, TRACKER_E_NOMEM,
		    "out of memory");
	if (announce_udp_parse_url(url, x->host, sizeof(x->host), x->port,
	    sizeof(x->port)) < 0) {
		free(x);
		return tracker_error_set(err, -EINVAL, TRACKER_E_URL,
		    "not a udp://host:port URL");
	}
	x->u = u;
	x->kind = kind;
	x->req = *req;
	x->req.tracker_id = NULL;
	x->req.tracker_id_len = 0;
	x->cb = cb;
	x->arg = arg;
	x->deadline_ms = uv_now(u->loop) + timeout_ms;
	hints.ai_family = !bind[0] ? AF_UNSPEC : strchr(bind, ':') ? AF_INET6 :
	    AF_INET;
	x->gai.data = x;
	rc = uv_getaddrinfo(u->loop, &x->gai, on_resolved, x->host, x->port,
	    &hints);
	if (rc < 0) {
		free(x);
		return tracker_error_set(err, -EIO, TRACKER_E_DNS,
		    "cannot start name resolution: %s", uv_strerror(rc));
	}
	x->gai_pending = true;
	uv_timer_init(u->loop, &x->timer);
	x->timer.data = x;
	x->timer_open = true;
	x->st = X_RESOLVING;
	uv_timer_start(&x->timer, on_xfer_timer, timeout_ms, 0);
	u->refs++;
	x->next = u->xfers;
	u->xfers = x;
	*out = x;
	return 0;
}

void
announce_udp_cancel(struct announce_udp_xfer *x)
{
	if (x && !x->done)
		xfer_finish(x, NULL);
}
