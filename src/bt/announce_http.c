/*
 * announce_http: see announce_http.h.  The classic curl + libuv pairing:
 * curl tells us (socket callback) which sockets to watch, we tell curl
 * (curl_multi_socket_action) when one is ready or its timer fired, and
 * collect finished transfers with curl_multi_info_read.
 *
 * A user callback may start or cancel requests, or free the whole
 * context: the context counts how deep it is in callbacks and tears down
 * only at depth 0.
 */
#include "bt/announce_http.h"

#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define LOG_TAG "announce"
#include "base/buf.h"
#include "base/log.h"

#define sock_of(p) ((struct sock *)((char *)(p) - offsetof(struct sock, poll)))

struct announce_http {
	uv_loop_t			*loop;	/* borrowed */
	CURLM				*multi;	/* owned */
	uv_timer_t			 timer;
	struct announce_xfer_opts	 opts;
	struct announce_http_xfer	*xfers;	/* in flight */
	unsigned			 handles;	/* open uv handles */
	unsigned			 depth;	/* inside our callbacks */
	bool				 freeing;
};

struct announce_http_xfer {
	struct announce_http		*h;
	struct announce_http_xfer	*next;
	CURL				*easy;	/* owned */
	enum announce_xfer_kind		 kind;
	uint8_t				 info_hash[20];
	struct buf			 body;	/* capped at TRACKER_MAX_BODY */
	bool				 too_big;
	char				 errbuf[CURL_ERROR_SIZE];
	announce_xfer_cb		*cb;
	void				*arg;
};

struct sock {
	uv_poll_t		 poll;
	curl_socket_t		 fd;
	struct announce_http	*h;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;

static void
curl_init(void)
{
	curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static void
http_teardown(struct announce_http *h)
{
	if (h->multi) {
		curl_multi_cleanup(h->multi);
		h->multi = NULL;
	}
	if (h->handles == 0)
		free(h);
}

static void
on_handle_closed(uv_handle_t *hd)
{
	struct announce_http *h = hd->data;

	if (hd->type == UV_POLL)
		free(sock_of(hd));
	if (--h->handles == 0 && h->freeing && h->depth == 0)
		http_teardown(h);
}

static void
leave(struct announce_http *h)
{
	if (--h->depth == 0 && h->freeing)
		http_teardown(h);
}

/* Take x out of the context: no callback can reach it any more. */
static void
xfer_detach(struct announce_http_xfer *x)
{
	struct announce_http *h = x->h;

	for (struct announce_http_xfer **pp = &h->xfers; *pp;
	    pp = &(*pp)->next) {
		if (*pp == x) {
			*pp = x->next;
			break;
		}
	}
	if (h->multi && !h->freeing)
		curl_multi_remove_handle(h->multi, x->easy);
}

static void
xfer_destroy(struct announce_http_xfer *x)
{
	curl_easy_cleanup(x->easy);
	buf_fini(&x->body);
	free(x);
}

/* Map a finished transfer to the tracker error vocabulary. */
static void
xfer_result(struct announce_http_xfer *x, CURLcode cc,
    struct announce_xfer_result *res)
{
	struct tracker_error *err = &res->err;
	long status = 0, redirects = 0;
	curl_off_t got = 0;
	int rc;

	curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(x->easy, CURLINFO_REDIRECT_COUNT, &redirects);
	curl_easy_getinfo(x->easy, CURLINFO_SIZE_DOWNLOAD_T, &got);
	switch (cc) {
	case CURLE_OK:
		break;
	case CURLE_WRITE_ERROR:
	case CURLE_FILESIZE_EXCEEDED:
		if (x->too_big || cc == CURLE_FILESIZE_EXCEEDED) {
			res->rc = tracker_error_set(err, -E2BIG,
			    TRACKER_E_TOO_BIG, "response above %zu bytes",
			    TRACKER_MAX_BODY);
			return;
		}
		goto transport;
	case CURLE_OPERATION_TIMEDOUT:
		res->rc = tracker_error_set(err, -ETIMEDOUT, TRACKER_E_TIMEOUT,
		    "no complete answer in time (%lld bytes received): %s",
		    (long long)got, x->errbuf);
		return;
	case CURLE_COULDNT_CONNECT:
		res->rc = tracker_error_set(err, -ECONNREFUSED,
		    TRACKER_E_CONNECT, "%s", x->errbuf);
		return;
	case CURLE_COULDNT_RESOLVE_HOST:
		res->rc = tracker_error_set(err, -EHOSTUNREACH, TRACKER_E_DNS,
		    "%s", x->errbuf);
		return;
	case CURLE_TOO_MANY_REDIRECTS:
		res->rc = tracker_error_set(err, -ELOOP, TRACKER_E_REDIRECT,
		    "more than %d redirects", ANNOUNCE_MAX_REDIRECTS);
		return;
	case CURLE_UNSUPPORTED_PROTOCOL:
		if (redirects > 0) {
			res->rc = tracker_error_set(err, -EPROTONOSUPPORT,
			    TRACKER_E_REDIRECT,
			    "redirect to a scheme other than http/https");
			return;
		}
		res->rc = tracker_error_set(err, -EPROTONOSUPPORT,
		    TRACKER_E_URL, "%s", x->errbuf);
		return;
	default:
transport:
		res->rc = tracker_error_set(err, -EIO, TRACKER_E_TRANSPORT,
		    "%s: %s", curl_easy_strerror(cc), x->errbuf);
		return;
	}
	if (x->kind == ANNOUNCE_XFER_SCRAPE)
		rc = tracker_resp_parse_scrape(x->body.data, x->body.len,
		    x->info_hash, &res->scrape, err);
	else
		rc = tracker_resp_parse_http(x->body.data, x->body.len,
		    &res->resp, err);
	/* A refusal explains itself whatever the status; else the status. */
	if (status != 200 && !(rc == -EPROTO && err->code == TRACKER_E_FAILURE)) {
		if (rc == 0)
			tracker_resp_fini(&res->resp);
		rc = tracker_error_set(err, -EPROTO, TRACKER_E_HTTP_STATUS,
		    "HTTP status %ld", status);
	}
	res->rc = rc;
}

static void
check_done(struct announce_http *h)
{
	CURLMsg *m;
	int left;

	while (!h->freeing && h->multi &&
	    (m = curl_multi_info_read(h->multi, &left)) != NULL) {
		struct announce_http_xfer *x = NULL;
		struct announce_xfer_result res = {0};

		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &x);
		xfer_result(x, m->data.result, &res);
		/* The callback may free the context: x leaves it first. */
		xfer_detach(x);
		x->cb(x->arg, &res);
		tracker_resp_fini(&res.resp);
		xfer_destroy(x);
	}
}

static void
on_poll(uv_poll_t *p, int status, int events)
{
	struct sock *s = sock_of(p);
	struct announce_http *h = s->h;
	int flags = 0, running;

	if (h->freeing)
		return;
	if (status < 0)
		flags = CURL_CSELECT_ERR;
	if (events & UV_READABLE)
		flags |= CURL_CSELECT_IN;
	if (events & UV_WRITABLE)
		flags |= CURL_CSELECT_OUT;
	h->depth++;
	curl_multi_socket_action(h->multi, s->fd, flags, &running);
	check_done(h);
	leave(h);
}

static void
on_timer(uv_timer_t *t)
{
	struct announce_http *h = t->data;
	int running;

	if (h->freeing)
		return;
	h->depth++;
	curl_multi_socket_action(h->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	check_done(h);
	leave(h);
}

static int
curl_on_socket(CURL *easy, curl_socket_t fd, int what, void *userp,
    void *socketp)
{
	struct announce_http *h = userp;
	struct sock *s = socketp;
	int events = 0;

	if (what == CURL_POLL_REMOVE) {
		if (s) {
			uv_poll_stop(&s->poll);
			uv_close((uv_handle_t *)&s->poll, on_handle_closed);
			if (!h->freeing)
				curl_multi_assign(h->multi, fd, NULL);
		}
		return 0;
	}
	if (!s) {
		s = calloc(1, sizeof(*s));
		if (!s)
			return -1;
		s->fd = fd;
		s->h = h;
		if (uv_poll_init_socket(h->loop, &s->poll, fd) < 0) {
			free(s);
			return -1;
		}
		s->poll.data = h;
		h->handles++;
		curl_multi_assign(h->multi, fd, s);
	}
	if (what & CURL_POLL_IN)
		events |= UV_READABLE;
	if (what & CURL_POLL_OUT)
		events |= UV_WRITABLE;
	uv_poll_start(&s->poll, events, on_poll);
	return 0;
}

static int
curl_on_timer(CURLM *multi, long timeout_ms, void *userp)
{
	struct announce_http *h = userp;

	if (h->freeing)
		return 0;
	if (timeout_ms < 0)
		uv_timer_stop(&h->timer);
	else
		uv_timer_start(&h->timer, on_timer, (uint64_t)timeout_ms, 0);
	return 0;
}

int
announce_http_new(uv_loop_t *loop, const struct announce_xfer_opts *opts,
    struct announce_http **out)
{
	struct announce_http *h;

	pthread_once(&curl_once, curl_init);
	if (curl_init_rc != CURLE_OK)
		return -EIO;
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->loop = loop;
	h->opts = *opts;
	h->multi = curl_multi_init();
	if (!h->multi) {
		free(h);
		return -ENOMEM;
	}
	uv_timer_init(loop, &h->timer);
	h->timer.data = h;
	h->handles = 1;
	curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, curl_on_socket);
	curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h);
	curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, curl_on_timer);
	curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, h);
	*out = h;
	return 0;
}

void
announce_http_free(struct announce_http *h)
{
	if (!h)
		return;
	while (h->xfers) {
		struct announce_http_xfer *x = h->xfers;

		xfer_detach(x);
		xfer_destroy(x);
	}
	/* curl closes its cached connections here: REMOVE callbacks. */
	h->freeing = true;
	curl_multi_cleanup(h->multi);
	h->multi = NULL;
	uv_timer_stop(&h->timer);
	uv_close((uv_handle_t *)&h->timer, on_handle_closed);
}

static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
	struct announce_http_xfer *x = arg;
	size_t len = size * n;

	/* Counted as it arrives: a 10 MB body stops at the cap. */
	if (len > TRACKER_MAX_BODY - x->body.len) {
		x->too_big = true;
		return 0;
	}
	if (buf_append(&x->body, p, len) < 0)
		return 0;
	return len;
}

static int
easy_setup(struct announce_http_xfer *x, const char *url, uint32_t timeout_ms)
{
	const struct announce_xfer_opts *o = &x->h->opts;
	CURL *e = x->easy;
	char iface[80];
	CURLcode cc = CURLE_OK;

	/* Each call is checked in one place: the first failure wins. */
#define SET(opt, val)                                                         \
	do {                                                                  \
		if (cc == CURLE_OK)                                           \
			cc = curl_easy_setopt(e, opt, val);                   \
	} while (0)
	SET(CURLOPT_URL, url);
	SET(CURLOPT_PRIVATE, x);
	SET(CURLOPT_ERRORBUFFER, x->errbuf);
	SET(CURLOPT_WRITEFUNCTION, on_body);
	SET(CURLOPT_WRITEDATA, x);
	SET(CURLOPT_NOSIGNAL, 1L);
	/*
	 * One connection per request: announces are minutes apart, and a
	 * kept-alive socket the tracker closed meanwhile fails the next one.
	 */
	SET(CURLOPT_FORBID_REUSE, 1L);
	SET(CURLOPT_FRESH_CONNECT, 1L);
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
	SET(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	SET(CURLOPT_FOLLOWLOCATION, 1L);
	SET(CURLOPT_MAXREDIRS, (long)ANNOUNCE_MAX_REDIRECTS);
	SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)TRACKER_MAX_BODY);
	/* No Accept-Encoding and no decoding: bytes are capped as sent. */
	SET(CURLOPT_HTTP_CONTENT_DECODING, 0L);
	SET(CURLOPT_CONNECTTIMEOUT_MS, (long)o->connect_timeout_ms);
	SET(CURLOPT_TIMEOUT_MS, (long)timeout_ms);
	SET(CURLOPT_USERAGENT, "vtfs/" VTFS_VERSION);
	if (o->bind_addr[0]) {
		snprintf(iface, sizeof(iface), "host!%s", o->bind_addr);
		SET(CURLOPT_INTERFACE, iface);
		if (strchr(o->bind_addr, ':') == NULL)
			SET(CURLOPT_IPRESOLVE, (long)CURL_IPRESOLVE_V4);
		else
			SET(CURLOPT_IPRESOLVE, (long)CURL_IPRESOLVE_V6);
	}
#undef SET
	return cc == CURLE_OK ? 0 : -EINVAL;
}

int
announce_http_start(struct announce_http *h, const char *url,
    enum announce_xfer_kind kind, const struct tracker_req *req,
    uint32_t timeout_ms, announce_xfer_cb *cb, void *arg,
    struct announce_http_xfer **out, struct tracker_error *err)
{
	struct announce_http_xfer *x;
	struct buf full;
	int rc;

	if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
		return tracker_error_set(err, -EPROTONOSUPPORT, TRACKER_E_URL,
		    "not an http(s) URL");
	buf_init(&full, TRACKER_MAX_URL);
	if (kind == ANNOUNCE_XFER_SCRAPE)
		rc = tracker_resp_scrape_url(&full, url, req->info_hash);
	else
		rc = tracker_resp_announce_url(&full, url, req);
	if (rc == -ENOTSUP) {
		buf_fini(&full);
		return tracker_error_set(err, rc, TRACKER_E_NO_SCRAPE,
		    "no scrape URL: the path does not end in announce*");
	}
	if (rc < 0) {
		buf_fini(&full);
		return tracker_error_set(err, rc, TRACKER_E_URL,
		    "URL too long");
	}
	x = calloc(1, sizeof(*x));
	if (!x) {
		buf_fini(&full);
		return tracker_error_set(err, -ENOMEM, TRACKER_E_NOMEM,
		    "out of memory");
	}
	x->h = h;
	x->kind = kind;
	memcpy(x->info_hash, req->info_hash, 20);
	x->cb = cb;
	x->arg = arg;
	buf_init(&x->body, TRACKER_MAX_BODY);
	x->easy = curl_easy_init();
	rc = x->easy ? easy_setup(x, (const char *)full.data, timeout_ms) :
	    -ENOMEM;
	buf_fini(&full);
	if (rc == 0 && curl_multi_add_handle(h->multi, x->easy) != CURLM_OK)
		rc = -EIO;
	if (rc < 0) {
		curl_easy_cleanup(x->easy);
		buf_fini(&x->body);
		free(x);
		return tracker_error_set(err, rc, TRACKER_E_TRANSPORT,
		    "cannot set up the request");
	}
	x->next = h->xfers;
	h->xfers = x;
	*out = x;
	return 0;
}

void
announce_http_cancel(struct announce_http_xfer *x)
{
	if (x) {
		xfer_detach(x);
		xfer_destroy(x);
	}
}
