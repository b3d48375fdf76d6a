/*
 * connid: keyed, rotating BEP 15 connection ids.  See connid.h.
 */
#include "tracker/connid.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/hmac.h>
#include <openssl/params.h>

#include "base/bytes.h"

/*
 * Each thread keeps an HMAC context keyed once (EVP_MAC_init with a NULL
 * key reuses it): HMAC() would fetch the digest and allocate a context for
 * every packet, a third of the UDP path's time.  gen tells a context made
 * for another struct connid (or an older secret) apart.
 */
struct mac_cache {
	EVP_MAC_CTX	*ctx;	/* owned */
	uint64_t	 gen;
};

static pthread_key_t cache_key;
static pthread_once_t cache_once = PTHREAD_ONCE_INIT;
static EVP_MAC *hmac;		/* fetched once, never freed */
static atomic_uint_least64_t next_gen = 1;

static void
cache_free(void *p)
{
	struct mac_cache *m = p;

	EVP_MAC_CTX_free(m->ctx);
	free(m);
}

static void
cache_init(void)
{
	pthread_key_create(&cache_key, cache_free);
	hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
}

static EVP_MAC_CTX *
mac_for(const struct connid *c)
{
	struct mac_cache *m;
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
		    (char *)"SHA256", 0),
		OSSL_PARAM_construct_end(),
	};

	pthread_once(&cache_once, cache_init);
	m = pthread_getspecific(cache_key);
	if (m != NULL && m->gen == c->gen)
		return EVP_MAC_init(m->ctx, NULL, 0, NULL) ? m->ctx : NULL;
	if (m == NULL) {
		m = calloc(1, sizeof(*m));
		if (m == NULL || pthread_setspecific(cache_key, m) != 0) {
			free(m);
			return NULL;
		}
	}
	EVP_MAC_CTX_free(m->ctx);
	m->gen = 0;
	m->ctx = hmac ? EVP_MAC_CTX_new(hmac) : NULL;
	if (m->ctx == NULL ||
	    !EVP_MAC_init(m->ctx, c->secret, sizeof(c->secret), params))
		return NULL;
	m->gen = c->gen;
	return m->ctx;
}

void
connid_init(struct connid *c, const uint8_t secret[32], uint32_t window)
{
	memcpy(c->secret, secret, sizeof(c->secret));
	c->window = window ? window : CONNID_WINDOW;
	c->gen = atomic_fetch_add(&next_gen, 1);
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
	EVP_MAC_CTX *ctx = mac_for(c);
	size_t maclen = 0;

	be64_put(msg, w);
	memcpy(msg + 8, a->ip, 16);
	be16_put(msg + 24, a->port);
	if (ctx == NULL || !EVP_MAC_update(ctx, msg, sizeof(msg)) ||
	    !EVP_MAC_final(ctx, mac, &maclen, sizeof(mac)) || maclen < 8) {
		/* Without a context, the one-shot call (slower). */
		unsigned int len = 0;

		if (HMAC(EVP_sha256(), c->secret, sizeof(c->secret), msg,
		    sizeof(msg), mac, &len) == NULL)
			return 0;
	}
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
