/*
 * announce: parsing of HTTP announce and scrape query strings (BEP 3, 23,
 * 7), straight from the raw request target: info_hash and peer_id are binary
 * and may hold %00, so the query is decoded here and not by the HTTP
 * library.  Pure; any thread.
 *
 * Rules: every %XX escape must be complete and hexadecimal; '+' is a space;
 * info_hash and peer_id must decode to exactly 20 bytes; port is 1..65535;
 * uploaded/downloaded/left are decimal u64; numwant is -1 (the default) or
 * 0..10^9 and is clamped to SWARM_NUMWANT_MAX; a key that matters may not
 * appear twice (two info_hash in one announce are ambiguous); unknown keys
 * are ignored.  A scrape takes 0..ANN_MAX_SCRAPE info_hash keys.
 */
#ifndef VTFS_TRACKER_ANNOUNCE_H
#define VTFS_TRACKER_ANNOUNCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tracker/swarm.h"

#define ANN_MAX_QUERY	8192	/* bytes of query string */
#define ANN_MAX_SCRAPE	64	/* info-hashes in one scrape */

enum ann_err {
	ANN_OK,
	ANN_E_TOO_LONG,		/* query above ANN_MAX_QUERY */
	ANN_E_ESCAPE,		/* bad or truncated %XX */
	ANN_E_DUP_KEY,		/* a key given twice */
	ANN_E_INFO_HASH,	/* missing, or not 20 bytes */
	ANN_E_PEER_ID,		/* missing, or not 20 bytes */
	ANN_E_PORT,		/* missing, 0, or not 1..65535 */
	ANN_E_NUMBER,		/* uploaded/downloaded/left not a u64 */
	ANN_E_EVENT,		/* unknown event */
	ANN_E_NUMWANT,		/* not -1 or 0..10^9 */
	ANN_E_IP,		/* ip= is not an address */
	ANN_E_TOO_MANY,		/* scrape above ANN_MAX_SCRAPE */
};

struct ann_query {
	uint8_t			info_hash[20];
	uint8_t			peer_id[20];
	uint16_t		port;
	uint64_t		uploaded;
	uint64_t		downloaded;
	uint64_t		left;
	bool			has_left;	/* absent: a leecher */
	enum swarm_event	event;
	uint32_t		numwant;	/* clamped */
	bool			compact;	/* default true */
	bool			no_peer_id;
	bool			has_ip;		/* ip= given and valid */
	uint8_t			ip[16];		/* IPv4-mapped if v4 */
};

struct ann_scrape {
	uint8_t		hashes[ANN_MAX_SCRAPE][20];
	uint32_t	n;
};

/*
 * Parse the query part (after '?', without it) of an announce.  Returns 0
 * and fills *out, or -EBADMSG / -EMSGSIZE with *err set.
 */
int	ann_parse_announce(const char *q, size_t len, struct ann_query *out,
	    enum ann_err *err);
/* The same for a scrape: every info_hash key, in order. */
int	ann_parse_scrape(const char *q, size_t len, struct ann_scrape *out,
	    enum ann_err *err);
const char *ann_strerror(enum ann_err);

/*
 * Decode one %-escaped component in[0..len) into out (room for cap bytes).
 * Returns the decoded length, -EBADMSG on a bad escape or -EMSGSIZE when it
 * does not fit.
 */
int	ann_unescape(const char *in, size_t len, uint8_t *out, size_t cap);

#endif /* VTFS_TRACKER_ANNOUNCE_H */
