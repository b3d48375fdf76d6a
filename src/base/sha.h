/*
 * sha: SHA-1 and SHA-256 through OpenSSL's EVP (SHA-NI where the CPU has
 * it).  One-shot helpers, and a reusable context for streaming data.  A
 * context belongs to one thread at a time.
 */
#ifndef VTFS_BASE_SHA_H
#define VTFS_BASE_SHA_H

#include <stddef.h>
#include <stdint.h>

#define SHA1_LEN   20
#define SHA256_LEN 32

enum sha_kind {
	SHA_1,
	SHA_256,
};

void	sha1(const void *, size_t, uint8_t out[SHA1_LEN]);
void	sha256(const void *, size_t, uint8_t out[SHA256_LEN]);

struct sha;

/* NULL on allocation failure. */
struct sha	*sha_new(enum sha_kind);
void		 sha_free(struct sha *);
void		 sha_update(struct sha *, const void *, size_t);
/* Write the digest and reset the context for the next message. */
void		 sha_final(struct sha *, uint8_t *out);

#endif /* VTFS_BASE_SHA_H */
