/*
 * udp_proto: BEP 15 (UDP tracker protocol) packets: requests parsed with
 * every length checked before a field is read, responses built into caller
 * buffers.  Pure; any thread.  Connection ids are checked by the caller
 * (connid.h): parsing only extracts them.
 */
#ifndef VTFS_TRACKER_UDP_PROTO_H
#define VTFS_TRACKER_UDP_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include "tracker/swarm.h"

#define UDP_PROTOCOL_ID		0x41727101980ULL
#define UDP_MAX_SCRAPE		74	/* info-hashes: fits 8 + 12 * 74 */
#define UDP_MAX_PACKET		1500	/* bytes we answer with at most */
#define UDP_ANNOUNCE_LEN	98	/* without BEP 41 options */

enum udp_action {
	UDP_ACT_CONNECT = 0,
	UDP_ACT_ANNOUNCE = 1,
	UDP_ACT_SCRAPE = 2,
	UDP_ACT_ERROR = 3,
};

enum udp_err {
	UDP_OK,
	UDP_E_SHORT,		/* shorter than its action needs (or < 16) */
	UDP_E_PROTOCOL_ID,	/* connect without the magic */
	UDP_E_ACTION,		/* unknown action */
	UDP_E_EVENT,		/* announce event not 0..3 */
	UDP_E_PORT,		/* announce port 0 */
	UDP_E_SCRAPE_LEN,	/* not 16 + 20 * n */
	UDP_E_SCRAPE_COUNT,	/* 0 or above UDP_MAX_SCRAPE hashes */
};

struct udp_req {
	enum udp_action	action;
	uint32_t	tid;
	uint64_t	conn_id;	/* the protocol id for a connect */
	/* announce */
	uint8_t		info_hash[20];
	uint8_t		peer_id[20];
	uint64_t	downloaded;
	uint64_t	left;
	uint64_t	uploaded;
	enum swarm_event event;
	uint32_t	ip;		/* host order; 0: the source address */
	uint32_t	key;
	uint32_t	numwant;	/* clamped; -1 and negatives: default */
	uint16_t	port;
	/* scrape */
	const uint8_t	*hashes;	/* points into the packet: n * 20 */
	uint32_t	nhashes;
};

/*
 * Parse one datagram.  Returns 0, or -EBADMSG with *err set; when the
 * packet was long enough to carry a transaction id, out->tid and
 * out->action are set even on failure (so an error can be sent back).
 */
int	udp_parse(const uint8_t *p, size_t len, struct udp_req *out,
	    enum udp_err *err);
const char *udp_strerror(enum udp_err);

/* Responses; each returns the bytes written (cap must be >= the size). */
size_t	udp_put_connect(uint8_t *out, uint32_t tid, uint64_t conn_id);
/*
 * An announce response carrying as many of peers as fit in cap; v6 chooses
 * 18-byte entries (the request came over IPv6, BEP 15) and only peers of
 * that family are written.
 */
size_t	udp_put_announce(uint8_t *out, size_t cap, uint32_t tid,
	    uint32_t interval, const struct swarm_counts *,
	    const struct swarm_peer_info *peers, size_t npeers, int v6);
size_t	udp_put_scrape_head(uint8_t *out, uint32_t tid);
size_t	udp_put_scrape_entry(uint8_t *out, const struct swarm_counts *);
size_t	udp_put_error(uint8_t *out, size_t cap, uint32_t tid,
	    const char *msg);

#endif /* VTFS_TRACKER_UDP_PROTO_H */
