/*
 * http: libmicrohttpd front, announce and scrape, and request dispatch.
 * See http.h.
 *
 * The query string is taken raw, from MHD's URI log callback, and parsed by
 * announce.c: MHD decodes arguments into C strings, which would cut a
 * binary info_hash at its first %00.
 */
#define LOG_TAG "http"
#include "tracker/http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "tracker/announce.h"
#include "tracker/http_req.h"
#include "tracker/reply.h"

#define REPLY_MAX	(64u << 10)

struct http {
	struct tracker		*t;	/* borrowed */
	struct http_opts	 opts;
	struct http_listener	**l;	/* owned, each owned */
	size_t			 n;
};

enum MHD_Result
http_respond(struct MHD_Connection *c, unsigned status, const char *ctype,
    void *data, size_t len, bool must_free)
{
	struct MHD_Response *r;
	enum MHD_Result rc;

	r = MHD_create_response_from_buffer(len, data, must_free ?
	    MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
	if (r == NULL) {
		if (must_free)
			free(data);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	rc = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return rc;
}

enum MHD_Result
http_respond_text(struct MHD_Connection *c, unsigned status, const char *text)
{
	return http_respond(c, status, "text/plain; charset=utf-8",
	    (void *)text, strlen(text), false);
}

bool
http_client_is_loopback(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci;
	const struct sockaddr *sa;

	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci == NULL || ci->client_addr == NULL)
		return false;
	sa = ci->client_addr;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)sa;

		return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)sa;
		const uint8_t *b = in6->sin6_addr.s6_addr;

		if (IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr))
			return true;
		return IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr) && b[12] == 127;
	}
	return false;
}

static int
client_addr(struct MHD_Connection *c, struct swarm_addr *a)
{
	const union MHD_ConnectionInfo *ci;
	const struct sockaddr *sa;

	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci == NULL || ci->client_addr == NULL)
		return -EINVAL;
	sa = ci->client_addr;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)sa;

		swarm_addr_set(a, (const uint8_t *)&in->sin_addr, 4, 0);
		return 0;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)sa;

		swarm_addr_set(a, in6->sin6_addr.s6_addr, 16, 0);
		return 0;
	}
	return -EAFNOSUPPORT;
}

static enum MHD_Result
respond_bencode(struct MHD_Connection *c, struct buf *b)
{
	size_t len;
	uint8_t *data;

	if (buf_error(b) != 0) {
		buf_fini(b);
		return http_respond_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "reply too large\n");
	}
	data = buf_steal(b, &len);
	return http_respond(c, MHD_HTTP_OK, "text/plain", data, len, true);
}

static enum MHD_Result
respond_failure(struct MHD_Connection *c, const char *reason)
{
	struct buf b;

	buf_init(&b, REPLY_MAX);
	reply_failure(&b, reason);
	return respond_bencode(c, &b);
}

/* The query string of the raw target (after '?'), or "". */
static const char *
query_of(const struct http_req *r, size_t *len)
{
	const char *q = r->uri ? strchr(r->uri, '?') : NULL;

	if (q == NULL) {
		*len = 0;
		return "";
	}
	q++;
	*len = strcspn(q, "#");
	return q;
}

/* "" (no passkey), the passkey after prefix + '/', or NULL: not a match. */
static const char *
route_passkey(const char *url, const char *prefix)
{
	size_t l = strlen(prefix);

	if (strncmp(url, prefix, l) != 0)
		return NULL;
	if (url[l] == '\0')
		return "";
	if (url[l] == '/' && url[l + 1] != '\0' && strchr(url + l + 1,
	    '/') == NULL)
		return url + l + 1;
	return NULL;
}

static const char *
check_passkey(struct http_listener *l, const char *passkey)
{
	if (passkey[0] == '\0') {
		if (l->t->require_passkey)
			return "passkey required: announce to /announce/PASSKEY";
		return NULL;
	}
	if (!auth_passkey_ok(l->t->auth, passkey, strlen(passkey)))
		return "unknown passkey";
	return NULL;
}

static enum MHD_Result
do_announce(struct http_listener *l, struct MHD_Connection *c,
    struct http_req *r, const char *passkey)
{
	struct swarm_peer_info peers[SWARM_NUMWANT_MAX];
	struct reply_announce ra;
	struct swarm_counts counts;
	struct swarm_announce a;
	struct ann_query q;
	enum ann_err err;
	const char *qs, *why;
	size_t qlen, n;
	struct buf b;

	if ((why = check_passkey(l, passkey)) != NULL)
		return respond_failure(c, why);
	qs = query_of(r, &qlen);
	if (ann_parse_announce(qs, qlen, &q, &err) < 0)
		return respond_failure(c, ann_strerror(err));
	if (client_addr(c, &a.addr) < 0)
		return respond_failure(c, "no client address");
	if (q.has_ip && l->t->allow_ip_param)
		memcpy(a.addr.ip, q.ip, 16);
	a.addr.port = q.port;
	memcpy(a.info_hash, q.info_hash, 20);
	a.left = q.has_left ? q.left : 1;
	a.event = q.event;
	a.numwant = q.numwant;
	why = tracker_announce(l->t, &a, peers, &n, &counts);
	if (why != NULL)
		return respond_failure(c, why);
	ra = (struct reply_announce){
		.counts = &counts,
		.interval = l->t->interval,
		.min_interval = l->t->interval / 2 < TRACKER_MAX_MIN_INTERVAL ?
		    l->t->interval / 2 : TRACKER_MAX_MIN_INTERVAL,
		.peers = peers,
		.npeers = n,
		.compact = q.compact,
	};
	buf_init(&b, REPLY_MAX);
	reply_announce(&b, &ra);
	return respond_bencode(c, &b);
}

static int
cmp20(const void *a, const void *b)
{
	return memcmp(a, b, 20);
}

static enum MHD_Result
do_scrape(struct http_listener *l, struct MHD_Connection *c,
    struct http_req *r, const char *passkey)
{
	struct ann_scrape *s;
	enum ann_err err;
	const char *qs, *why;
	size_t qlen;
	struct buf b;

	if ((why = check_passkey(l, passkey)) != NULL)
		return respond_failure(c, why);
	s = malloc(sizeof(*s));
	if (s == NULL)
		return MHD_NO;
	qs = query_of(r, &qlen);
	if (ann_parse_scrape(qs, qlen, s, &err) < 0) {
		free(s);
		return respond_failure(c, ann_strerror(err));
	}
	if (s->n == 0) {
		/* A full scrape is not offered: it leaks every swarm. */
		free(s);
		return respond_failure(c, "scrape needs info_hash");
	}
	qsort(s->hashes, s->n, 20, cmp20);
	buf_init(&b, REPLY_MAX);
	reply_scrape_begin(&b);
	for (uint32_t i = 0; i < s->n; i++) {
		struct swarm_counts counts;

		if (i > 0 && memcmp(s->hashes[i - 1], s->hashes[i], 20) == 0)
			continue;
		if (!tracker_allowed(l->t, s->hashes[i]))
			continue;
		swarm_scrape(l->t->swarm, s->hashes[i], &counts);
		reply_scrape_entry(&b, s->hashes[i], &counts);
	}
	reply_scrape_end(&b);
	free(s);
	return respond_bencode(c, &b);
}

static enum MHD_Result
dispatch_get(struct http_listener *l, struct MHD_Connection *c,
    struct http_req *r, const char *url)
{
	const char *pk;
	size_t len;

	if ((pk = route_passkey(url, "/announce")) != NULL)
		return do_announce(l, c, r, pk);
	if ((pk = route_passkey(url, "/scrape")) != NULL)
		return do_scrape(l, c, r, pk);
	if (l->t->catalog == NULL)
		return http_respond_text(c, MHD_HTTP_NOT_FOUND, "not found\n");
	if (strcmp(url, "/") == 0 || strcmp(url, "/index.html") == 0)
		return http_catalog_index(l, c);
	if (strcmp(url, "/api/torrents") == 0)
		return http_catalog_json(l, c);
	len = strlen(url);
	if (strncmp(url, "/t/", 3) == 0 && len > 11 &&
	    strcmp(url + len - 8, ".torrent") == 0) {
		char name[CATALOG_MAX_NAME + 1];

		if (len - 11 > CATALOG_MAX_NAME)
			return http_respond_text(c, MHD_HTTP_NOT_FOUND,
			    "not found\n");
		snprintf(name, sizeof(name), "%.*s", (int)(len - 11), url + 3);
		return http_catalog_file(l, c, name);
	}
	return http_respond_text(c, MHD_HTTP_NOT_FOUND, "not found\n");
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_size, void **req_cls)
{
	struct http_listener *l = cls;
	struct http_req *r = *req_cls;
	bool first;

	if (r == NULL)
		return MHD_NO;
	first = !r->started;
	r->started = true;
	if (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0) {
		if (*upload_size != 0) {
			*upload_size = 0;	/* a body on GET: ignored */
			return MHD_YES;
		}
		return dispatch_get(l, c, r, url);
	}
	if (l->t->catalog != NULL && strcmp(method, "POST") == 0 &&
	    strcmp(url, "/api/torrents") == 0)
		return http_catalog_upload(l, c, r, upload_data, upload_size);
	if (l->t->catalog != NULL && strcmp(method, "DELETE") == 0 &&
	    strncmp(url, "/api/torrents/", 14) == 0) {
		if (!first && *upload_size != 0) {
			*upload_size = 0;
			return MHD_YES;
		}
		return http_catalog_delete(l, c, url + 14);
	}
	if (!first && *upload_size != 0) {
		*upload_size = 0;
		return MHD_YES;
	}
	return http_respond_text(c, MHD_HTTP_METHOD_NOT_ALLOWED,
	    "method not allowed\n");
}

static void *
on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
	struct http_req *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return NULL;
	r->uri = strdup(uri);
	buf_init(&r->body, HTTP_MAX_BODY);
	return r;
}

static void
on_completed(void *cls, struct MHD_Connection *c, void **req_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct http_req *r = *req_cls;

	if (r == NULL)
		return;
	if (r->pp != NULL)
		MHD_destroy_post_processor(r->pp);
	buf_fini(&r->body);
	free(r->uri);
	free(r);
	*req_cls = NULL;
}

static void
on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];

	if (log_get_level() < LOG_LVL_DEBUG)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	log_debug("mhd: %s", msg);
}

struct http *
http_new(struct tracker *t, const struct http_opts *o)
{
	struct http *h = calloc(1, sizeof(*h));

	if (h == NULL)
		return NULL;
	h->t = t;
	h->opts = *o;
	if (h->opts.threads == 0)
		h->opts.threads = 2;
	if (h->opts.max_connections == 0)
		h->opts.max_connections = 1024;
	if (h->opts.timeout_s == 0)
		h->opts.timeout_s = 15;
	return h;
}

int
http_add_listener(struct http *h, int fd, bool tls)
{
	struct http_listener **nl, *l;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
	    MHD_USE_ERROR_LOG;

	if (tls && (h->opts.tls_cert == NULL || h->opts.tls_key == NULL))
		return -EINVAL;
	nl = realloc(h->l, (h->n + 1) * sizeof(*nl));
	if (nl == NULL)
		return -ENOMEM;
	h->l = nl;
	l = calloc(1, sizeof(*l));
	if (l == NULL)
		return -ENOMEM;
	l->t = h->t;
	l->tls = tls;
	if (tls)
		flags |= MHD_USE_TLS;
	/* Without TLS the list ends before the certificate options. */
	l->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, l,
	    MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
	    MHD_OPTION_LISTEN_SOCKET, fd,
	    MHD_OPTION_THREAD_POOL_SIZE, h->opts.threads,
	    MHD_OPTION_CONNECTION_LIMIT, h->opts.max_connections,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, h->opts.max_per_ip,
	    MHD_OPTION_CONNECTION_TIMEOUT, h->opts.timeout_s,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(16u << 10),
	    MHD_OPTION_URI_LOG_CALLBACK, on_uri, NULL,
	    MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
	    tls ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, h->opts.tls_cert,
	    MHD_OPTION_HTTPS_MEM_KEY, h->opts.tls_key,
	    MHD_OPTION_END);
	if (l->d == NULL) {
		free(l);
		return -EIO;
	}
	h->l[h->n++] = l;
	return 0;
}

void
http_free(struct http *h)
{
	if (h == NULL)
		return;
	for (size_t i = 0; i < h->n; i++) {
		MHD_stop_daemon(h->l[i]->d);
		free(h->l[i]);
	}
	free(h->l);
	free(h);
}
