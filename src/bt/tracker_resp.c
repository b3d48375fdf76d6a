/*
 * tracker_resp: see tracker_resp.h.  The HTTP parser rests on the strict
 * bencode decoder; peer lists are sized from their byte length and capped
 * before allocation.  Errors that are the tracker's fault get a specific
 * code; the caller (which knows the URL) logs them once.
 */
#include "bt/tracker_resp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "base/bencode.h"
#include "base/bytes.h"
#include "base/text.h"
#include "base/log.h"

/* A response is small: this bounds the decoder's work on a 1 MiB body. */
#define TRACKER_MAX_NODES	(TRACKER_MAX_PEERS * 8u + 64u)

static const char *const errnames[] = {
	[TRACKER_OK] = "ok",
	[TRACKER_E_EMPTY] = "empty response",
	[TRACKER_E_TOO_BIG] = "response too big",
	[TRACKER_E_BENCODE] = "response is not bencode",
	[TRACKER_E_NOT_DICT] = "response is not a dictionary",
	[TRACKER_E_FAILURE] = "tracker refused",
	[TRACKER_E_INTERVAL] = "interval missing or invalid",
	[TRACKER_E_PEERS] = "peers of an unknown form",
	[TRACKER_E_PEERS_LEN] = "compact peers not a multiple of 6",
	[TRACKER_E_PEERS6_LEN] = "compact peers6 not a multiple of 18",
	[TRACKER_E_NO_FILE] = "scrape does not list the torrent",
	[TRACKER_E_UDP_SHORT] = "UDP reply too short",
	[TRACKER_E_UDP_TID] = "UDP transaction id mismatch",
	[TRACKER_E_UDP_ACTION] = "UDP reply of an unexpected action",
	[TRACKER_E_URL] = "unusable tracker URL",
	[TRACKER_E_NO_SCRAPE] = "tracker URL has no scrape form",
	[TRACKER_E_DNS] = "name resolution failed",
	[TRACKER_E_CONNECT] = "cannot connect",
	[TRACKER_E_TIMEOUT] = "timed out",
	[TRACKER_E_REDIRECT] = "bad redirect",
	[TRACKER_E_HTTP_STATUS] = "HTTP error status",
	[TRACKER_E_TRANSPORT] = "transport error",
	[TRACKER_E_CANCELLED] = "cancelled",
	[TRACKER_E_NOMEM] = "out of memory",
};

const char *
tracker_strerror(enum tracker_errcode code)
{
	if ((size_t)code < sizeof(errnames) / sizeof(errnames[0]) &&
	    errnames[code])
		return errnames[code];
	return "unknown error";
}

const char *
tracker_event_name(enum tracker_event ev)
{
	switch (ev) {
	case TRACKER_EV_COMPLETED:
		return "completed";
	case TRACKER_EV_STARTED:
		return "started";
	case TRACKER_EV_STOPPED:
		return "stopped";
	default:
		return "";
	}
}

int
tracker_error_set(struct tracker_error *err, int rc, enum tracker_errcode code,
    const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return rc;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return rc;
}

/* ---- URLs ---- */

int
tracker_resp_announce_url(struct buf *out, const char *url,
    const struct tracker_req *req)
{
	buf_puts(out, url);
	buf_putc(out, strchr(url, '?') ? '&' : '?');
	buf_puts(out, "info_hash=");
	text_url_escape(out, req->info_hash, 20);
	buf_puts(out, "&peer_id=");
	text_url_escape(out, req->peer_id, 20);
	buf_printf(out, "&port=%u&uploaded=%llu&downloaded=%llu&left=%llu"
	    "&compact=1&key=%08x", req->port,
	    (unsigned long long)req->uploaded,
	    (unsigned long long)req->downloaded,
	    (unsigned long long)req->left, req->key);
	if (req->numwant >= 0)
		buf_printf(out, "&numwant=%d", req->numwant);
	if (req->event != TRACKER_EV_NONE)
		buf_printf(out, "&event=%s", tracker_event_name(req->event));
	if (req->tracker_id && req->tracker_id_len > 0) {
		buf_puts(out, "&trackerid=");
		text_url_escape(out, req->tracker_id, req->tracker_id_len);
	}
	return buf_error(out);
}

int
tracker_resp_scrape_url(struct buf *out, const char *url,
    const uint8_t info_hash[20])
{
	const char *q = strchr(url, '?');
	size_t end = q ? (size_t)(q - url) : strlen(url);
	const char *slash = memrchr(url, '/', end);

	/* "http://host" has its last slash in "//": no path at all. */
	if (!slash || slash == url || slash[-1] == '/' ||
	    strncmp(slash + 1, "announce", 8) != 0)
		return -ENOTSUP;
	buf_append(out, url, (size_t)(slash + 1 - url));
	buf_puts(out, "scrape");
	buf_append(out, slash + 9, end - (size_t)(slash + 9 - url));
	if (q) {
		buf_puts(out, q);
		buf_putc(out, '&');
	} else {
		buf_putc(out, '?');
	}
	buf_puts(out, "info_hash=");
	text_url_escape(out, info_hash, 20);
	return buf_error(out);
}

/* ---- HTTP responses ---- */

void
tracker_resp_fini(struct tracker_resp *r)
{
	if (!r)
		return;
	free(r->warning);
	free(r->tracker_id);
	free(r->peers);
	memset(r, 0, sizeof(*r));
}

static uint32_t
clamp_interval(int64_t v, bool *clamped)
{
	if (v < TRACKER_INTERVAL_MIN) {
		*clamped = true;
		return TRACKER_INTERVAL_MIN;
	}
	if (v > TRACKER_INTERVAL_MAX) {
		*clamped = true;
		return TRACKER_INTERVAL_MAX;
	}
	return (uint32_t)v;
}

/* Append one peer unless it is unusable (port 0) or over the cap. */
static void
peer_add(struct tracker_resp *r, uint32_t cap, int family, const uint8_t *addr,
    uint16_t port)
{
	struct tracker_peer *p;

	if (port == 0) {
		r->dropped++;
		r->flags |= TRACKER_F_PEERS_DROPPED;
		return;
	}
	if (r->npeers >= cap) {
		r->flags |= TRACKER_F_PEERS_CAPPED;
		return;
	}
	p = &r->peers[r->npeers++];
	memset(p, 0, sizeof(*p));
	p->family = family;
	memcpy(p->addr, addr, family == AF_INET ? 4 : 16);
	p->port = port;
}

static void
add_compact(struct tracker_resp *r, uint32_t cap, const uint8_t *s, size_t len,
    size_t stride)
{
	int family = stride == 6 ? AF_INET : AF_INET6;
	size_t alen = stride - 2;

	for (size_t off = 0; off + stride <= len; off += stride) {
		if (r->npeers >= cap) {
			r->flags |= TRACKER_F_PEERS_CAPPED;
			return;
		}
		peer_add(r, cap, family, s + off, be16_get(s + off + alen));
	}
}

/* A dictionary peer (BEP 3): "ip" a literal address, "port" 1..65535. */
static void
add_dict_peer(struct tracker_resp *r, uint32_t cap, const struct benc_node *d)
{
	const struct benc_node *ip = benc_dict_get_type(d, "ip", BENC_STR);
	const struct benc_node *port = benc_dict_get_type(d, "port", BENC_INT);
	char tmp[INET6_ADDRSTRLEN];
	uint8_t addr[16];

	if (!ip || !port || ip->slen == 0 || ip->slen >= sizeof(tmp) ||
	    port->i < 0 || port->i > 65535)
		goto bad;
	memcpy(tmp, ip->s, ip->slen);
	tmp[ip->slen] = '\0';
	/* Host names are not resolved: trackers send literals in practice. */
	if (inet_pton(AF_INET, tmp, addr) == 1)
		peer_add(r, cap, AF_INET, addr, (uint16_t)port->i);
	else if (inet_pton(AF_INET6, tmp, addr) == 1)
		peer_add(r, cap, AF_INET6, addr, (uint16_t)port->i);
	else
		goto bad;
	return;
bad:
	r->dropped++;
	r->flags |= TRACKER_F_PEERS_DROPPED;
}

static int
parse_peers(const struct benc_node *root, struct tracker_resp *r,
    struct tracker_error *err)
{
	const struct benc_node *peers = benc_dict_get(root, "peers");
	const struct benc_node *peers6 =
	    benc_dict_get_type(root, "peers6", BENC_STR);
	size_t want = 0;

	if (peers && peers->type == BENC_STR) {
		if (peers->slen % 6 != 0)
			return tracker_error_set(err, -EBADMSG,
			    TRACKER_E_PEERS_LEN,
			    "compact peers of %zu bytes, not a multiple of 6",
			    peers->slen);
		want += peers->slen / 6;
	} else if (peers && peers->type == BENC_LIST) {
		want += peers->count;
	} else if (peers) {
		return tracker_error_set(err, -EBADMSG, TRACKER_E_PEERS,
		    "peers is neither a string nor a list");
	}
	if (peers6) {
		if (peers6->slen % 18 != 0)
			return tracker_error_set(err, -EBADMSG,
			    TRACKER_E_PEERS6_LEN,
			    "compact peers6 of %zu bytes, not a multiple of 18",
			    peers6->slen);
		want += peers6->slen / 18;
	}
	if (want > TRACKER_MAX_PEERS) {
		want = TRACKER_MAX_PEERS;
		r->flags |= TRACKER_F_PEERS_CAPPED;
	}
	if (want == 0)
		return 0;
	r->peers = calloc(want, sizeof(*r->peers));
	if (!r->peers)
		return tracker_error_set(err, -ENOMEM, TRACKER_E_NOMEM,
		    "out of memory for %zu peers", want);
	if (peers && peers->type == BENC_STR) {
		add_compact(r, (uint32_t)want, peers->s, peers->slen, 6);
	} else if (peers) {
		for (const struct benc_node *p = benc_first(peers); p;
		    p = benc_next(peers, p)) {
			if (r->npeers >= want) {
				r->flags |= TRACKER_F_PEERS_CAPPED;
				break;
			}
			if (p->type != BENC_DICT) {
				r->dropped++;
				r->flags |= TRACKER_F_PEERS_DROPPED;
				continue;
			}
			add_dict_peer(r, (uint32_t)want, p);
		}
	}
	if (peers6)
		add_compact(r, (uint32_t)want, peers6->s, peers6->slen, 18);
	return 0;
}

static char *
dup_bytes(const uint8_t *s, size_t n)
{
	char *p = malloc(n + 1);

	if (p) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

/*
 * Decode a body into doc with the caps of a tracker response: a dictionary
 * without "failure reason" (-EPROTO, err->msg holds the reason escaped).
 */
static int
decode_body(const void *body, size_t len, struct benc_doc *doc,
    struct tracker_error *err)
{
	struct benc_limits lim = {.max_depth = 16,
	    .max_nodes = TRACKER_MAX_NODES, .max_str = TRACKER_MAX_BODY};
	const struct benc_node *n;
	struct benc_error berr;
	char esc[64], fesc[200];
	int rc;

	if (len == 0)
		return tracker_error_set(err, -EBADMSG, TRACKER_E_EMPTY,
		    "empty response");
	if (len > TRACKER_MAX_BODY)
		return tracker_error_set(err, -E2BIG, TRACKER_E_TOO_BIG,
		    "response of %zu bytes, above %zu", len,
		    TRACKER_MAX_BODY);
	rc = benc_decode(body, len, &lim, doc, &berr);
	if (rc == -ENOMEM)
		return tracker_error_set(err, rc, TRACKER_E_NOMEM,
		    "out of memory decoding the response");
	if (rc < 0)
		return tracker_error_set(err, -EBADMSG, TRACKER_E_BENCODE,
		    "not bencode (%s at byte %zu), starts \"%s\"",
		    benc_strerror(berr.code), berr.off,
		    log_escape(body, len < 24 ? len : 24, esc, sizeof(esc)));
	if (benc_root(doc)->type != BENC_DICT) {
		benc_doc_fini(doc);
		return tracker_error_set(err, -EBADMSG, TRACKER_E_NOT_DICT,
		    "response is not a dictionary");
	}
	/* A refusal wins over whatever else the dictionary holds. */
	n = benc_dict_get_type(benc_root(doc), "failure reason", BENC_STR);
	if (n) {
		rc = tracker_error_set(err, -EPROTO, TRACKER_E_FAILURE, "%s",
		    log_escape(n->s, n->slen, fesc, sizeof(fesc)));
		benc_doc_fini(doc);
		return rc;
	}
	return 0;
}

static int64_t
dict_count(const struct benc_node *d, const char *key)
{
	const struct benc_node *n = benc_dict_get_type(d, key, BENC_INT);

	return n && n->i >= 0 ? n->i : -1;
}

int
tracker_resp_parse_http(const void *body, size_t len, struct tracker_resp *out,
    struct tracker_error *err)
{
	struct benc_doc doc = {0};
	struct tracker_resp r = {0};
	const struct benc_node *root, *n;
	bool clamped = false;
	int rc;

	rc = decode_body(body, len, &doc, err);
	if (rc < 0)
		return rc;
	root = benc_root(&doc);
	n = benc_dict_get_type(root, "interval", BENC_INT);
	if (!n) {
		rc = tracker_error_set(err, -EBADMSG, TRACKER_E_INTERVAL,
		    "interval missing or not an integer");
		goto out;
	}
	r.interval = clamp_interval(n->i, &clamped);
	n = benc_dict_get_type(root, "min interval", BENC_INT);
	if (n && n->i > 0)
		r.min_interval = n->i > TRACKER_INTERVAL_MAX ?
		    TRACKER_INTERVAL_MAX : (uint32_t)n->i;
	if (clamped)
		r.flags |= TRACKER_F_INTERVAL_CLAMPED;
	r.complete = dict_count(root, "complete");
	r.incomplete = dict_count(root, "incomplete");
	n = benc_dict_get_type(root, "warning message", BENC_STR);
	if (n) {
		r.warning = dup_bytes(n->s, n->slen > TRACKER_MAX_WARNING ?
		    TRACKER_MAX_WARNING : n->slen);
		if (!r.warning)
			goto nomem;
	}
	n = benc_dict_get_type(root, "tracker id", BENC_STR);
	if (n && n->slen > TRACKER_MAX_TRACKERID) {
		r.flags |= TRACKER_F_TRACKERID_LONG;
	} else if (n && n->slen > 0) {
		r.tracker_id = (uint8_t *)dup_bytes(n->s, n->slen);
		if (!r.tracker_id)
			goto nomem;
		r.tracker_id_len = n->slen;
	}
	rc = parse_peers(root, &r, err);
	if (rc < 0)
		goto out;
	*out = r;
	memset(&r, 0, sizeof(r));
	rc = 0;
	goto out;
nomem:
	rc = tracker_error_set(err, -ENOMEM, TRACKER_E_NOMEM, "out of memory");
out:
	tracker_resp_fini(&r);
	benc_doc_fini(&doc);
	return rc;
}

int
tracker_resp_parse_scrape(const void *body, size_t len,
    const uint8_t info_hash[20], struct tracker_scrape *out,
    struct tracker_error *err)
{
	struct benc_doc doc = {0};
	const struct benc_node *root, *files;
	int rc;

	rc = decode_body(body, len, &doc, err);
	if (rc < 0)
		return rc;
	root = benc_root(&doc);
	files = benc_dict_get_type(root, "files", BENC_DICT);
	rc = -ENOENT;
	for (const struct benc_node *k = files ? benc_first(files) : NULL;
	    k;) {
		const struct benc_node *v = benc_next(files, k);

		if (!v)
			break;
		if (k->slen != 20 || memcmp(k->s, info_hash, 20) != 0 ||
		    v->type != BENC_DICT) {
			k = benc_next(files, v);
			continue;
		}
		out->complete = dict_count(v, "complete");
		out->incomplete = dict_count(v, "incomplete");
		out->downloaded = dict_count(v, "downloaded");
		rc = 0;
		break;
	}
	benc_doc_fini(&doc);
	if (rc < 0)
		return tracker_error_set(err, rc, TRACKER_E_NO_FILE,
		    "scrape reply does not list the torrent");
	return 0;
}

/* ---- UDP (BEP 15) ---- */

size_t
tracker_resp_udp_connect(uint8_t out[TRACKER_UDP_CONNECT_LEN], uint32_t tid)
{
	be64_put(out, TRACKER_UDP_PROTOCOL_ID);
	be32_put(out + 8, TRACKER_UDP_CONNECT);
	be32_put(out + 12, tid);
	return TRACKER_UDP_CONNECT_LEN;
}

size_t
tracker_resp_udp_announce(uint8_t out[TRACKER_UDP_ANNOUNCE_LEN],
    uint64_t connection_id, uint32_t tid, const struct tracker_req *req)
{
	be64_put(out, connection_id);
	be32_put(out + 8, TRACKER_UDP_ANNOUNCE);
	be32_put(out + 12, tid);
	memcpy(out + 16, req->info_hash, 20);
	memcpy(out + 36, req->peer_id, 20);
	be64_put(out + 56, req->downloaded);
	be64_put(out + 64, req->left);
	be64_put(out + 72, req->uploaded);
	be32_put(out + 80, (uint32_t)req->event);
	be32_put(out + 84, 0);	/* ip: the packet's source */
	be32_put(out + 88, req->key);
	be32_put(out + 92, (uint32_t)req->numwant);
	be16_put(out + 96, req->port);
	return TRACKER_UDP_ANNOUNCE_LEN;
}

size_t
tracker_resp_udp_scrape(uint8_t out[TRACKER_UDP_SCRAPE_LEN],
    uint64_t connection_id, uint32_t tid, const uint8_t info_hash[20])
{
	be64_put(out, connection_id);
	be32_put(out + 8, TRACKER_UDP_SCRAPE);
	be32_put(out + 12, tid);
	memcpy(out + 16, info_hash, 20);
	return TRACKER_UDP_SCRAPE_LEN;
}

void
tracker_resp_udp_fini(struct tracker_udp_reply *r)
{
	if (r)
		tracker_resp_fini(&r->resp);
}

static int
udp_announce(const uint8_t *p, size_t len, size_t peer_len,
    struct tracker_udp_reply *out, struct tracker_error *err)
{
	struct tracker_resp r = {0};
	bool clamped = false;
	size_t n;

	if (len < 20)
		return tracker_error_set(err, -EBADMSG, TRACKER_E_UDP_SHORT,
		    "UDP announce reply of %zu bytes, below 20", len);
	if ((len - 20) % peer_len != 0)
		return tracker_error_set(err, -EBADMSG, TRACKER_E_PEERS_LEN,
		    "UDP announce reply with %zu peer bytes, not a multiple "
		    "of %zu", len - 20, peer_len);
	r.interval = clamp_interval(be32_get(p + 8), &clamped);
	if (clamped)
		r.flags |= TRACKER_F_INTERVAL_CLAMPED;
	r.incomplete = be32_get(p + 12);
	r.complete = be32_get(p + 16);
	n = (len - 20) / peer_len;
	if (n > TRACKER_MAX_PEERS) {
		n = TRACKER_MAX_PEERS;
		r.flags |= TRACKER_F_PEERS_CAPPED;
	}
	if (n > 0) {
		r.peers = calloc(n, sizeof(*r.peers));
		if (!r.peers)
			return tracker_error_set(err, -ENOMEM, TRACKER_E_NOMEM,
			    "out of memory for %zu peers", n);
		add_compact(&r, (uint32_t)n, p + 20, len - 20, peer_len);
	}
	out->resp = r;
	return 0;
}

int
tracker_resp_parse_udp(const void *pkt, size_t len, uint32_t tid,
    enum tracker_udp_action want, size_t peer_len,
    struct tracker_udp_reply *out, struct tracker_error *err)
{
	const uint8_t *p = pkt;
	struct tracker_udp_reply r = {0};
	char esc[200];
	uint32_t action;
	int rc;

	if (len < 8)
		return tracker_error_set(err, -EBADMSG, TRACKER_E_UDP_SHORT,
		    "UDP reply of %zu bytes, below 8", len);
	action = be32_get(p);
	if (be32_get(p + 4) != tid)
		return tracker_error_set(err, -ESRCH, TRACKER_E_UDP_TID,
		    "UDP reply for transaction %08x, ours is %08x",
		    be32_get(p + 4), tid);
	if (action == TRACKER_UDP_ERROR)
		return tracker_error_set(err, -EPROTO, TRACKER_E_FAILURE, "%s",
		    log_escape(p + 8, len - 8, esc, sizeof(esc)));
	if (action != (uint32_t)want)
		return tracker_error_set(err, -EPROTO, TRACKER_E_UDP_ACTION,
		    "UDP reply with action %u, expected %u", action,
		    (unsigned)want);
	r.action = want;
	switch (want) {
	case TRACKER_UDP_CONNECT:
		if (len < 16)
			return tracker_error_set(err, -EBADMSG,
			    TRACKER_E_UDP_SHORT,
			    "UDP connect reply of %zu bytes, below 16", len);
		r.connection_id = be64_get(p + 8);
		break;
	case TRACKER_UDP_ANNOUNCE:
		rc = udp_announce(p, len, peer_len, &r, err);
		if (rc < 0)
			return rc;
		break;
	case TRACKER_UDP_SCRAPE:
		if (len < 20)
			return tracker_error_set(err, -EBADMSG,
			    TRACKER_E_UDP_SHORT,
			    "UDP scrape reply of %zu bytes, below 20", len);
		r.scrape.complete = be32_get(p + 8);
		r.scrape.downloaded = be32_get(p + 12);
		r.scrape.incomplete = be32_get(p + 16);
		break;
	default:
		return tracker_error_set(err, -EINVAL, TRACKER_E_UDP_ACTION,
		    "cannot wait for action %u", (unsigned)want);
	}
	*out = r;
	return 0;
}
