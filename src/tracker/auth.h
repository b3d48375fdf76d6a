/*
 * auth: who may publish.  A users file (--users FILE) holds one user per
 * line:
 *
 *	NAME:ROLE:scrypt$LOGN$R$P$SALT_HEX$HASH_HEX:PASSKEY
 *
 * ROLE is "admin" or "user"; the hash is scrypt (OpenSSL EVP_PBE_scrypt,
 * N = 2^LOGN) of the password with a random 16-byte salt; PASSKEY is 32 hex
 * digits (for /announce/PASSKEY).  Passwords are compared in constant time
 * (CRYPTO_memcmp), and an unknown user costs the same scrypt as a known
 * one.  Optionally users bind to LDAP instead (ldap_auth.h).  Any thread:
 * checks run one at a time (scrypt uses 16 MiB; this bounds memory under a
 * flood of bad logins), the file is reread by auth_reload().
 */
#ifndef VTFS_TRACKER_AUTH_H
#define VTFS_TRACKER_AUTH_H

#include <stdbool.h>
#include <stddef.h>

#define AUTH_MAX_NAME		64
#define AUTH_MAX_PASSWORD	1024
#define AUTH_PASSKEY_LEN	32	/* hex digits */

struct ldap_auth;
struct auth;

/*
 * users: path of the users file, or NULL; ldap: LDAP settings (borrowed,
 * may be NULL).  A missing file is an empty user list.  NULL with *err.
 */
struct auth	*auth_new(const char *users, struct ldap_auth *ldap, int *err);
void		 auth_free(struct auth *);
int		 auth_reload(struct auth *);

/*
 * Check a name and password: the users file first, then LDAP.  Returns 0
 * with *admin set, or -EACCES.
 */
int		 auth_check(struct auth *, const char *name, const char *pass,
		    bool *admin);
/* True if passkey belongs to a user of the file. */
bool		 auth_passkey_ok(struct auth *, const char *passkey,
		    size_t len);

/* True if name is usable: [A-Za-z0-9._-], 1..AUTH_MAX_NAME bytes. */
bool		 auth_name_ok(const char *name);
/* Hash pass into out (size >= 256).  Returns 0 or -errno. */
int		 auth_hash_password(const char *pass, char *out, size_t outsz);
/* True if pass matches an encoded hash (constant time). */
bool		 auth_verify_password(const char *pass, const char *encoded);
/*
 * Add or replace NAME in the users file (atomically: temporary + rename,
 * mode 0600), with a new passkey written to passkey (size >= 33).
 */
int		 auth_add_user(const char *path, const char *name,
		    const char *pass, bool admin, char *passkey);

#endif /* VTFS_TRACKER_AUTH_H */
