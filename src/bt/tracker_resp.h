/*
 * tracker_resp: the tracker protocol as bytes.  Builds HTTP announce and
 * scrape URLs (BEP 3, BEP 23 compact, BEP 48 scrape URL rule) and BEP 15
 * UDP packets; parses HTTP bencoded responses (failure reason, warning,
 * interval and min interval clamped, tracker id, compact peers (BEP 23),
 * peers6 (BEP 7), dictionary peers) and BEP 15 replies (connect, announce,
 * scrape, error).  Pure: no I/O, no clock; any thread.
 *
 * Everything here is hostile input: sizes are checked against the caps
 * below before anything is allocated, and every refusal has its own error
 * code (enum tracker_errcode) with a human-readable, escaped message.
 */
#ifndef VTFS_BT_TRACKER_RESP_H
#define VTFS_BT_TRACKER_RESP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"

#define TRACKER_MAX_BODY	((size_t)1 << 20)	/* HTTP response */
#define TRACKER_MAX_PEERS	2000u	/* kept from one response */
#define TRACKER_INTERVAL_MIN	60u	/* seconds: announce no faster */
#define TRACKER_INTERVAL_MAX	3600u	/* seconds: nor slower */
#define TRACKER_MAX_TRACKERID	128u	/* bytes of a "tracker id" kept */
#define TRACKER_MAX_WARNING	512u	/* bytes of a "warning message" kept */
#define TRACKER_MAX_URL		2048u	/* an announce URL we build */

#define TRACKER_UDP_PROTOCOL_ID	0x41727101980ull
#define TRACKER_UDP_CONNECT_LEN	16u
#define TRACKER_UDP_ANNOUNCE_LEN 98u
#define TRACKER_UDP_SCRAPE_LEN	36u	/* one info-hash */
#define TRACKER_UDP_MAX_PACKET	65536u

/* Values are BEP 15's. */
enum tracker_event {
	TRACKER_EV_NONE = 0,
	TRACKER_EV_COMPLETED = 1,
	TRACKER_EV_STARTED = 2,
	TRACKER_EV_STOPPED = 3,
};

enum tracker_udp_action {
	TRACKER_UDP_CONNECT = 0,
	TRACKER_UDP_ANNOUNCE = 1,
	TRACKER_UDP_SCRAPE = 2,
	TRACKER_UDP_ERROR = 3,
};

/* Why a reply (or a request) failed: one error type for the whole client. */
enum tracker_errcode {
	TRACKER_OK,
	TRACKER_E_EMPTY,	/* empty body */
	TRACKER_E_TOO_BIG,	/* body above TRACKER_MAX_BODY */
	TRACKER_E_BENCODE,	/* not bencode (HTML, truncated, ...) */
	TRACKER_E_NOT_DICT,	/* the root is not a dictionary */
	TRACKER_E_FAILURE,	/* "failure reason" or a UDP error action */
	TRACKER_E_INTERVAL,	/* interval missing or not an integer */
	TRACKER_E_PEERS,	/* peers neither a string nor a list */
	TRACKER_E_PEERS_LEN,	/* compact peers not a multiple of 6 */
	TRACKER_E_PEERS6_LEN,	/* peers6 not a multiple of 18 */
	TRACKER_E_NO_FILE,	/* scrape: our info-hash is not in "files" */
	TRACKER_E_UDP_SHORT,	/* UDP reply shorter than its action needs */
	TRACKER_E_UDP_TID,	/* UDP transaction id is not ours */
	TRACKER_E_UDP_ACTION,	/* UDP action is not the one we asked for */
	TRACKER_E_URL,		/* announce URL unusable or unsupported */
	TRACKER_E_NO_SCRAPE,	/* the URL has no scrape form (BEP 48) */
	TRACKER_E_DNS,		/* name resolution failed */
	TRACKER_E_CONNECT,	/* refused, unreachable */
	TRACKER_E_TIMEOUT,	/* no (complete) answer in time */
	TRACKER_E_REDIRECT,	/* too many redirects, or to another scheme */
	TRACKER_E_HTTP_STATUS,	/* HTTP status other than 200 */
	TRACKER_E_TRANSPORT,	/* any other transport error */
	TRACKER_E_CANCELLED,	/* the request was stopped by us */
	TRACKER_E_NOMEM,
};

struct tracker_error {
	enum tracker_errcode	code;
	char			msg[256];	/* escaped detail */
};

struct tracker_peer {
	int		family;		/* AF_INET or AF_INET6 */
	uint8_t		addr[16];	/* network order; 4 bytes for v4 */
	uint16_t	port;		/* host order, never 0 */
};

/* What a response carried beyond the plain case (for logs and tests). */
enum tracker_resp_flag {
	TRACKER_F_INTERVAL_CLAMPED = 1 << 0,
	TRACKER_F_PEERS_CAPPED = 1 << 1,	/* over TRACKER_MAX_PEERS */
	TRACKER_F_PEERS_DROPPED = 1 << 2,	/* port 0, bad address */
	TRACKER_F_TRACKERID_LONG = 1 << 3,	/* ignored: too long */
};

struct tracker_resp {
	uint32_t		 interval;	/* s, clamped to [MIN, MAX] */
	uint32_t		 min_interval;	/* s, 0 when absent; <= MAX */
	int64_t			 complete;	/* seeders, -1 when unknown */
	int64_t			 incomplete;	/* leechers, -1 when unknown */
	char			*warning;	/* owned, NUL-terminated, raw
						 * bytes: escape to print */
	uint8_t			*tracker_id;	/* owned, NULL when absent */
	size_t			 tracker_id_len;
	struct tracker_peer	*peers;		/* owned */
	uint32_t		 npeers;
	uint32_t		 dropped;	/* entries refused */
	unsigned		 flags;		/* enum tracker_resp_flag */
};

struct tracker_scrape {
	int64_t		complete;	/* seeders */
	int64_t		incomplete;	/* leechers */
	int64_t		downloaded;	/* completed downloads */
};

/* The fields of one announce, for both transports. */
struct tracker_req {
	uint8_t			 info_hash[20];
	uint8_t			 peer_id[20];
	uint16_t		 port;
	uint64_t		 uploaded;
	uint64_t		 downloaded;
	uint64_t		 left;
	enum tracker_event	 event;
	int32_t			 numwant;	/* -1: tracker default */
	uint32_t		 key;
	const uint8_t		*tracker_id;	/* borrowed, may be NULL */
	size_t			 tracker_id_len;
};

/*
 * UDP reply.  For TRACKER_UDP_ANNOUNCE, resp is filled (interval clamped,
 * complete/incomplete set, no warning/tracker id) and owned by the reply.
 */
struct tracker_udp_reply {
	enum tracker_udp_action	 action;
	uint64_t		 connection_id;	/* CONNECT */
	struct tracker_resp	 resp;		/* ANNOUNCE */
	struct tracker_scrape	 scrape;	/* SCRAPE */
};

const char *tracker_strerror(enum tracker_errcode);
const char *tracker_event_name(enum tracker_event);	/* "started", "" */

/*
 * Append the announce URL for req to out: announce_url, then '?' or '&',
 * then the query (info_hash and peer_id URL-encoded, compact=1, event when
 * not NONE, trackerid when given).  Returns 0 or the buf error.
 */
int	tracker_resp_announce_url(struct buf *out, const char *announce_url,
	    const struct tracker_req *req);
/*
 * Append the scrape URL for info_hash (BEP 48: the last path component
 * must start with "announce", which becomes "scrape").  Returns 0,
 * -ENOTSUP when the URL has no scrape form, or the buf error.
 */
int	tracker_resp_scrape_url(struct buf *out, const char *announce_url,
	    const uint8_t info_hash[20]);

/*
 * Parse an HTTP announce response.  Returns 0 and fills *out (release it
 * with tracker_resp_fini()), or -EBADMSG (malformed), -E2BIG (over the
 * body cap), -EPROTO (the tracker said "failure reason": err->msg holds
 * it, escaped), -ENOMEM; err (may be NULL) says why.  out is written only
 * on success.
 */
int	tracker_resp_parse_http(const void *body, size_t len,
	    struct tracker_resp *out, struct tracker_error *err);
/* Parse an HTTP scrape response for info_hash; errors as above. */
int	tracker_resp_parse_scrape(const void *body, size_t len,
	    const uint8_t info_hash[20], struct tracker_scrape *out,
	    struct tracker_error *err);
void	tracker_resp_fini(struct tracker_resp *);

/* BEP 15 requests; each returns the packet length. */
size_t	tracker_resp_udp_connect(uint8_t out[TRACKER_UDP_CONNECT_LEN],
	    uint32_t tid);
size_t	tracker_resp_udp_announce(uint8_t out[TRACKER_UDP_ANNOUNCE_LEN],
	    uint64_t connection_id, uint32_t tid, const struct tracker_req *);
size_t	tracker_resp_udp_scrape(uint8_t out[TRACKER_UDP_SCRAPE_LEN],
	    uint64_t connection_id, uint32_t tid, const uint8_t info_hash[20]);

/*
 * Parse a BEP 15 reply to our request (transaction tid, action want).
 * peer_len is 6 on an IPv4 socket, 18 on IPv6.  Returns 0 and fills *out
 * (tracker_resp_udp_fini() it), or -EBADMSG (short, peers not a multiple
 * of peer_len), -EPROTO (the tracker's error action: err->msg holds its
 * message; or an unexpected action), -ESRCH (another transaction id: not a
 * reply to us, ignore it), -ENOMEM.
 */
int	tracker_resp_parse_udp(const void *pkt, size_t len, uint32_t tid,
	    enum tracker_udp_action want, size_t peer_len,
	    struct tracker_udp_reply *out, struct tracker_error *err);
void	tracker_resp_udp_fini(struct tracker_udp_reply *);

/* Set err (may be NULL) to code with a printf message; returns rc. */
int	tracker_error_set(struct tracker_error *err, int rc,
	    enum tracker_errcode code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif /* VTFS_BT_TRACKER_RESP_H */
