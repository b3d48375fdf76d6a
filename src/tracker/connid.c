/*
 * connid: keyed, rotating BEP 15 connection ids.  See connid.h.
 */
#include "tracker/connid.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "base/bytes.h"

void
connid_init(struct connid *c, const uint8_t secret[32], uint32_t window)
{
	memcpy(c->secret, secret, sizeof(c->secret));
	c->window = window ? window : CONNID_WINDOW;
}

int
connid_init_random(struct connid *c)
{
	uint8_t s[32];

	if (getrandom(s, sizeof(s), 0) != (ssize_t)sizeof(s))
		return -EIO;
	connid_init(c, s, CONNID_WINDOW);
	OPENSSL_cleanse(s, sizeof(s));
	return 0;
}

static uint64_t
id_for(const struct connid *c, const struct swarm_addr *a, uint64_t w)
{
	uint8_t msg[8 + 16 + 2], mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;

	be64_put(msg, w);
	memcpy(msg + 8, a->ip, 16);
	be16_put(msg + 24, a->port);
	HMAC(EVP_sha256(), c->secret, sizeof(c->secret), msg, sizeof(msg),
	    mac, &maclen);
	return be64_get(mac);
}

uint64_t
connid_make(const struct connid *c, const struct swarm_addr *a, uint64_t now)
{
	return id_for(c, a, now / c->window);
}

bool
connid_check(const struct connid *c, const struct swarm_addr *a, uint64_t id,
    uint64_t now)
{
	uint64_t w = now / c->window;
	uint8_t got[8], want[8];
	bool ok;

	be64_put(got, id);
	be64_put(want, id_for(c, a, w));
	ok = CRYPTO_memcmp(got, want, 8) == 0;
	if (!ok && w > 0) {
		be64_put(want, id_for(c, a, w - 1));
		ok = CRYPTO_memcmp(got, want, 8) == 0;
	}
	return ok;
}
