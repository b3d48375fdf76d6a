/* sha: see sha.h. */
#include "base/sha.h"

#include <assert.h>
#include <stdlib.h>

#include <openssl/evp.h>

struct sha {
	EVP_MD_CTX	*ctx;	/* owned */
	const EVP_MD	*md;
};

void
sha1(const void *p, size_t n, uint8_t out[SHA1_LEN])
{
	int ok = EVP_Digest(p, n, out, NULL, EVP_sha1(), NULL);

	assert(ok == 1);
	(void)ok;
}

void
sha256(const void *p, size_t n, uint8_t out[SHA256_LEN])
{
	int ok = EVP_Digest(p, n, out, NULL, EVP_sha256(), NULL);

	assert(ok == 1);
	(void)ok;
}

struct sha *
sha_new(enum sha_kind kind)
{
	struct sha *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->md = kind == SHA_1 ? EVP_sha1() : EVP_sha256();
	s->ctx = EVP_MD_CTX_new();
	if (!s->ctx || EVP_DigestInit_ex(s->ctx, s->md, NULL) != 1) {
		sha_free(s);
		return NULL;
	}
	return s;
}

void
sha_free(struct sha *s)
{
	if (!s)
		return;
	EVP_MD_CTX_free(s->ctx);
	free(s);
}

void
sha_update(struct sha *s, const void *p, size_t n)
{
	EVP_DigestUpdate(s->ctx, p, n);
}

void
sha_final(struct sha *s, uint8_t *out)
{
	EVP_DigestFinal_ex(s->ctx, out, NULL);
	EVP_DigestInit_ex(s->ctx, s->md, NULL);
}
