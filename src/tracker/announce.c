/*
 * announce: HTTP announce/scrape query parsing.  See announce.h.
 */
#include "tracker/announce.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "base/bytes.h"
#include "base/num.h"

#define ANN_MAX_VALUE	64	/* decoded bytes of one value we read */

int
ann_unescape(const char *in, size_t len, uint8_t *out, size_t cap)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		uint8_t c = (uint8_t)in[i];

		if (c == '%') {
			if (len - i < 3 || hex_decode(in + i + 1, 2, &c, 1) < 0)
				return -EBADMSG;
			i += 2;
		} else if (c == '+') {
			c = ' ';
		}
		if (n == cap)
			return -EMSGSIZE;
		out[n++] = c;
	}
	return (int)n;
}

/* Keys we read; each may appear once in an announce. */
enum ann_key {
	K_INFO_HASH,
	K_PEER_ID,
	K_PORT,
	K_UPLOADED,
	K_DOWNLOADED,
	K_LEFT,
	K_EVENT,
	K_NUMWANT,
	K_COMPACT,
	K_NO_PEER_ID,
	K_IP,
	K_COUNT,
	K_OTHER = K_COUNT,
};

static const char *const key_names[K_COUNT] = {
	[K_INFO_HASH] = "info_hash",
	[K_PEER_ID] = "peer_id",
	[K_PORT] = "port",
	[K_UPLOADED] = "uploaded",
	[K_DOWNLOADED] = "downloaded",
	[K_LEFT] = "left",
	[K_EVENT] = "event",
	[K_NUMWANT] = "numwant",
	[K_COMPACT] = "compact",
	[K_NO_PEER_ID] = "no_peer_id",
	[K_IP] = "ip",
};

static enum ann_key
key_lookup(const uint8_t *k, size_t len)
{
	for (int i = 0; i < K_COUNT; i++)
		if (strlen(key_names[i]) == len &&
		    memcmp(key_names[i], k, len) == 0)
			return (enum ann_key)i;
	return K_OTHER;
}

/*
 * Walk the key=value pairs of q, decoding both; cb gets each pair (value
 * NUL-terminated, truncated values flagged by vlen < 0 as -EMSGSIZE).
 */
struct pair {
	enum ann_key	key;
	uint8_t		val[ANN_MAX_VALUE + 1];
	int		vlen;	/* or -EMSGSIZE: longer than ANN_MAX_VALUE */
};

static int
next_pair(const char **qp, const char *end, struct pair *p)
{
	const char *q = *qp, *amp, *eq;
	uint8_t kbuf[32];
	int klen;

	amp = memchr(q, '&', (size_t)(end - q));
	if (amp == NULL)
		amp = end;
	eq = memchr(q, '=', (size_t)(amp - q));
	if (eq == NULL)
		eq = amp;
	*qp = amp < end ? amp + 1 : end;
	klen = ann_unescape(q, (size_t)(eq - q), kbuf, sizeof(kbuf));
	if (klen == -EBADMSG)
		return -EBADMSG;
	p->key = klen < 0 ? K_OTHER : key_lookup(kbuf, (size_t)klen);
	p->vlen = 0;
	if (eq < amp) {
		p->vlen = ann_unescape(eq + 1, (size_t)(amp - eq - 1), p->val,
		    ANN_MAX_VALUE);
		if (p->vlen == -EBADMSG)
			return -EBADMSG;
	}
	if (p->vlen >= 0)
		p->val[p->vlen] = '\0';
	return 0;
}

static int
fail(enum ann_err *err, enum ann_err e, int rc)
{
	*err = e;
	return rc;
}

static int
parse_u64(const struct pair *p, uint64_t *out)
{
	if (p->vlen <= 0)
		return -EBADMSG;
	return num_parse_u64((const char *)p->val, UINT64_MAX, out) ?
	    -EBADMSG : 0;
}

static int
parse_event(const struct pair *p, enum swarm_event *ev)
{
	static const struct {
		const char		*name;
		enum swarm_event	 ev;
	} events[] = {
		{ "", SWARM_EV_NONE },
		{ "empty", SWARM_EV_NONE },
		{ "started", SWARM_EV_STARTED },
		{ "stopped", SWARM_EV_STOPPED },
		{ "completed", SWARM_EV_COMPLETED },
		{ "paused", SWARM_EV_PAUSED },
	};

	if (p->vlen < 0)
		return -EBADMSG;
	for (size_t i = 0; i < sizeof(events) / sizeof(events[0]); i++)
		if (strcmp((const char *)p->val, events[i].name) == 0) {
			*ev = events[i].ev;
			return 0;
		}
	return -EBADMSG;
}

static int
parse_numwant(const struct pair *p, uint32_t *out)
{
	int64_t v;

	if (p->vlen <= 0 ||
	    num_parse_i64((const char *)p->val, -1, 1000000000, &v) != 0)
		return -EBADMSG;
	if (v < 0)
		v = SWARM_NUMWANT_DEFAULT;
	else if (v > SWARM_NUMWANT_MAX)
		v = SWARM_NUMWANT_MAX;
	*out = (uint32_t)v;
	return 0;
}

static int
parse_ip(const struct pair *p, uint8_t ip[16])
{
	uint8_t v4[4];

	if (p->vlen <= 0)
		return -EBADMSG;
	if (inet_pton(AF_INET, (const char *)p->val, v4) == 1) {
		memset(ip, 0, 10);
		ip[10] = ip[11] = 0xff;
		memcpy(ip + 12, v4, 4);
		return 0;
	}
	if (inet_pton(AF_INET6, (const char *)p->val, ip) == 1)
		return 0;
	return -EBADMSG;
}

static int
apply_pair(const struct pair *p, struct ann_query *a, enum ann_err *err)
{
	int64_t v;

	switch (p->key) {
	case K_INFO_HASH:
		if (p->vlen != 20)
			return fail(err, ANN_E_INFO_HASH, -EBADMSG);
		memcpy(a->info_hash, p->val, 20);
		break;
	case K_PEER_ID:
		if (p->vlen != 20)
			return fail(err, ANN_E_PEER_ID, -EBADMSG);
		memcpy(a->peer_id, p->val, 20);
		break;
	case K_PORT:
		if (p->vlen <= 0 ||
		    num_parse_i64((const char *)p->val, 1, 65535, &v) != 0)
			return fail(err, ANN_E_PORT, -EBADMSG);
		a->port = (uint16_t)v;
		break;
	case K_UPLOADED:
		if (parse_u64(p, &a->uploaded) < 0)
			return fail(err, ANN_E_NUMBER, -EBADMSG);
		break;
	case K_DOWNLOADED:
		if (parse_u64(p, &a->downloaded) < 0)
			return fail(err, ANN_E_NUMBER, -EBADMSG);
		break;
	case K_LEFT:
		if (parse_u64(p, &a->left) < 0)
			return fail(err, ANN_E_NUMBER, -EBADMSG);
		a->has_left = true;
		break;
	case K_EVENT:
		if (parse_event(p, &a->event) < 0)
			return fail(err, ANN_E_EVENT, -EBADMSG);
		break;
	case K_NUMWANT:
		if (parse_numwant(p, &a->numwant) < 0)
			return fail(err, ANN_E_NUMWANT, -EBADMSG);
		break;
	case K_COMPACT:
		a->compact = !(p->vlen == 1 && p->val[0] == '0');
		break;
	case K_NO_PEER_ID:
		a->no_peer_id = !(p->vlen == 1 && p->val[0] == '0');
		break;
	case K_IP:
		/* Only used when the admin allows it; malformed is an error. */
		if (parse_ip(p, a->ip) < 0)
			return fail(err, ANN_E_IP, -EBADMSG);
		a->has_ip = true;
		break;
	default:
		break;
	}
	return 0;
}

int
ann_parse_announce(const char *q, size_t len, struct ann_query *out,
    enum ann_err *err)
{
	const char *end = q + len;
	struct ann_query a;
	unsigned seen = 0;
	struct pair p;
	int rc;

	*err = ANN_OK;
	if (len > ANN_MAX_QUERY)
		return fail(err, ANN_E_TOO_LONG, -EMSGSIZE);
	memset(&a, 0, sizeof(a));
	a.numwant = SWARM_NUMWANT_DEFAULT;
	a.compact = true;
	while (q < end) {
		if (*q == '&') {
			q++;
			continue;
		}
		if (next_pair(&q, end, &p) < 0)
			return fail(err, ANN_E_ESCAPE, -EBADMSG);
		if (p.key == K_OTHER)
			continue;
		if (seen & (1u << p.key))
			return fail(err, ANN_E_DUP_KEY, -EBADMSG);
		seen |= 1u << p.key;
		if ((rc = apply_pair(&p, &a, err)) < 0)
			return rc;
	}
	if (!(seen & (1u << K_INFO_HASH)))
		return fail(err, ANN_E_INFO_HASH, -EBADMSG);
	if (!(seen & (1u << K_PEER_ID)))
		return fail(err, ANN_E_PEER_ID, -EBADMSG);
	if (!(seen & (1u << K_PORT)))
		return fail(err, ANN_E_PORT, -EBADMSG);
	*out = a;
	return 0;
}

int
ann_parse_scrape(const char *q, size_t len, struct ann_scrape *out,
    enum ann_err *err)
{
	const char *end = q + len;
	struct pair p;

	*err = ANN_OK;
	out->n = 0;
	if (len > ANN_MAX_QUERY)
		return fail(err, ANN_E_TOO_LONG, -EMSGSIZE);
	while (q < end) {
		if (*q == '&') {
			q++;
			continue;
		}
		if (next_pair(&q, end, &p) < 0)
			return fail(err, ANN_E_ESCAPE, -EBADMSG);
		if (p.key != K_INFO_HASH)
			continue;
		if (p.vlen != 20)
			return fail(err, ANN_E_INFO_HASH, -EBADMSG);
		if (out->n == ANN_MAX_SCRAPE)
			return fail(err, ANN_E_TOO_MANY, -EMSGSIZE);
		memcpy(out->hashes[out->n++], p.val, 20);
	}
	return 0;
}

const char *
ann_strerror(enum ann_err e)
{
	switch (e) {
	case ANN_OK:
		return "ok";
	case ANN_E_TOO_LONG:
		return "query string too long";
	case ANN_E_ESCAPE:
		return "malformed %-escape in query string";
	case ANN_E_DUP_KEY:
		return "a parameter is repeated";
	case ANN_E_INFO_HASH:
		return "invalid info_hash (must be 20 bytes)";
	case ANN_E_PEER_ID:
		return "invalid peer_id (must be 20 bytes)";
	case ANN_E_PORT:
		return "invalid port (must be 1..65535)";
	case ANN_E_NUMBER:
		return "invalid uploaded/downloaded/left";
	case ANN_E_EVENT:
		return "invalid event";
	case ANN_E_NUMWANT:
		return "invalid numwant";
	case ANN_E_IP:
		return "invalid ip";
	case ANN_E_TOO_MANY:
		return "too many info_hash in one scrape";
	}
	return "unknown error";
}
