/*
 * auth: users file with scrypt hashes, plus LDAP.  See auth.h.
 */
#define LOG_TAG "auth"
#include "tracker/auth.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "base/text.h"
#include "base/bytes.h"
#include "base/log.h"
#include "tracker/ldap_auth.h"

#define SCRYPT_LOGN	14
#define SCRYPT_R	8
#define SCRYPT_P	1
#define SCRYPT_MAXMEM	((uint64_t)64 << 20)
#define SALT_LEN	16
#define HASH_LEN	32
#define MAX_USERS	10000
#define MAX_LINE	512

struct user {
	char	name[AUTH_MAX_NAME + 1];
	bool	admin;
	char	hash[256];
	char	passkey[AUTH_PASSKEY_LEN + 1];
};

struct auth {
	char			*path;		/* owned, may be NULL */
	struct ldap_auth	*ldap;		/* borrowed */
	pthread_mutex_t		 lock;		/* users and scrypt */
	struct user		*users;		/* owned */
	size_t			 n;
	char			 dummy[256];	/* for unknown users */
};

bool
auth_name_ok(const char *s)
{
	return text_is_safe_name(s, AUTH_MAX_NAME);
}

static int
scrypt_raw(const char *pass, const uint8_t *salt, size_t saltlen,
    unsigned logn, unsigned r, unsigned p, uint8_t out[HASH_LEN])
{
	if (EVP_PBE_scrypt(pass, strlen(pass), salt, saltlen,
	    (uint64_t)1 << logn, r, p, SCRYPT_MAXMEM, out, HASH_LEN) != 1)
		return -EINVAL;
	return 0;
}

int
auth_hash_password(const char *pass, char *out, size_t outsz)
{
	uint8_t salt[SALT_LEN], h[HASH_LEN];
	char salthex[2 * SALT_LEN + 1], hhex[2 * HASH_LEN + 1];

	if (getrandom(salt, sizeof(salt), 0) != (ssize_t)sizeof(salt))
		return -EIO;
	if (scrypt_raw(pass, salt, sizeof(salt), SCRYPT_LOGN, SCRYPT_R,
	    SCRYPT_P, h) < 0)
		return -EINVAL;
	hex_encode(salt, sizeof(salt), salthex);
	hex_encode(h, sizeof(h), hhex);
	if ((size_t)snprintf(out, outsz, "scrypt$%d$%d$%d$%s$%s", SCRYPT_LOGN,
	    SCRYPT_R, SCRYPT_P, salthex, hhex) >= outsz)
		return -ENAMETOOLONG;
	return 0;
}

bool
auth_verify_password(const char *pass, const char *enc)
{
	unsigned logn, r, p;
	char salthex[2 * SALT_LEN + 1], hhex[2 * HASH_LEN + 1];
	uint8_t salt[SALT_LEN], want[HASH_LEN], got[HASH_LEN];
	int used = 0;

	if (sscanf(enc, "scrypt$%2u$%2u$%2u$%32[0-9a-f]$%64[0-9a-f]%n", &logn,
	    &r, &p, salthex, hhex, &used) != 5 || enc[used] != '\0')
		return false;
	if (logn < 10 || logn > 20 || r < 1 || r > 16 || p < 1 || p > 4 ||
	    strlen(salthex) != 2 * SALT_LEN || strlen(hhex) != 2 * HASH_LEN)
		return false;
	if (hex_decode(salthex, 2 * SALT_LEN, salt, SALT_LEN) != 0 ||
	    hex_decode(hhex, 2 * HASH_LEN, want, HASH_LEN) != 0)
		return false;
	if (scrypt_raw(pass, salt, SALT_LEN, logn, r, p, got) < 0)
		return false;
	return CRYPTO_memcmp(got, want, HASH_LEN) == 0;
}

/* Parse one line; returns 1 (user), 0 (skip), -EBADMSG. */
static int
parse_user(char *line, struct user *u)
{
	char *f[4], *save = NULL, *s;
	int nf = 0;

	line[strcspn(line, "\r\n")] = '\0';
	if (line[0] == '\0' || line[0] == '#')
		return 0;
	for (s = strtok_r(line, ":", &save); s != NULL && nf < 4;
	    s = strtok_r(NULL, ":", &save))
		f[nf++] = s;
	if (nf != 4 || s != NULL || !auth_name_ok(f[0]))
		return -EBADMSG;
	if (strcmp(f[1], "admin") != 0 && strcmp(f[1], "user") != 0)
		return -EBADMSG;
	if (strlen(f[2]) >= sizeof(u->hash) ||
	    strlen(f[3]) != AUTH_PASSKEY_LEN)
		return -EBADMSG;
	memset(u, 0, sizeof(*u));
	snprintf(u->name, sizeof(u->name), "%s", f[0]);
	u->admin = strcmp(f[1], "admin") == 0;
	snprintf(u->hash, sizeof(u->hash), "%s", f[2]);
	snprintf(u->passkey, sizeof(u->passkey), "%s", f[3]);
	return 1;
}

static int
load_users(const char *path, struct user **out, size_t *nout)
{
	struct user *users = NULL;
	size_t n = 0;
	char line[MAX_LINE];
	int rc = 0, lineno = 0;
	FILE *f;

	*out = NULL;
	*nout = 0;
	f = fopen(path, "re");
	if (f == NULL)
		return errno == ENOENT ? 0 : -errno;
	while (fgets(line, sizeof(line), f) != NULL) {
		struct user u, *nu;

		lineno++;
		rc = parse_user(line, &u);
		if (rc < 0) {
			log_error("%s:%d: malformed user line", path, lineno);
			break;
		}
		if (rc == 0)
			continue;
		if (n == MAX_USERS) {
			rc = -E2BIG;
			break;
		}
		nu = realloc(users, (n + 1) * sizeof(*nu));
		if (nu == NULL) {
			rc = -ENOMEM;
			break;
		}
		users = nu;
		users[n++] = u;
		rc = 0;
	}
	fclose(f);
	if (rc < 0) {
		free(users);
		return rc;
	}
	*out = users;
	*nout = n;
	return 0;
}

struct auth *
auth_new(const char *users, struct ldap_auth *ldap, int *err)
{
	struct auth *a = calloc(1, sizeof(*a));

	if (a == NULL) {
		*err = -ENOMEM;
		return NULL;
	}
	pthread_mutex_init(&a->lock, NULL);
	a->ldap = ldap;
	if (users != NULL && (a->path = strdup(users)) == NULL) {
		*err = -ENOMEM;
		auth_free(a);
		return NULL;
	}
	if ((*err = auth_reload(a)) < 0) {
		auth_free(a);
		return NULL;
	}
	return a;
}

void
auth_free(struct auth *a)
{
	if (a == NULL)
		return;
	pthread_mutex_destroy(&a->lock);
	free(a->users);
	free(a->path);
	free(a);
}

int
auth_reload(struct auth *a)
{
	struct user *users, *old;
	size_t n;
	int rc;

	if (a->path == NULL)
		return 0;
	rc = load_users(a->path, &users, &n);
	if (rc < 0)
		return rc;
	pthread_mutex_lock(&a->lock);
	old = a->users;
	a->users = users;
	a->n = n;
	pthread_mutex_unlock(&a->lock);
	free(old);
	return 0;
}

int
auth_check(struct auth *a, const char *name, const char *pass, bool *admin)
{
	const struct user *u = NULL;
	bool ok, is_admin = false;

	if (!auth_name_ok(name) || pass[0] == '\0' ||
	    strlen(pass) > AUTH_MAX_PASSWORD)
		return -EACCES;
	pthread_mutex_lock(&a->lock);
	/* Made at the first check: scrypt's 16 MiB are not spent at start. */
	if (a->dummy[0] == '\0' &&
	    auth_hash_password("dummy password", a->dummy,
	    sizeof(a->dummy)) < 0)
		a->dummy[0] = '\0';
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->users[i].name, name) == 0)
			u = &a->users[i];
	/* The same work whether or not the user exists. */
	ok = auth_verify_password(pass, u ? u->hash : a->dummy) && u != NULL;
	if (ok)
		is_admin = u->admin;
	pthread_mutex_unlock(&a->lock);
	if (!ok && u == NULL && a->ldap != NULL)
		ok = ldap_auth_check(a->ldap, name, pass, &is_admin) == 0;
	if (!ok)
		return -EACCES;
	*admin = is_admin;
	return 0;
}

bool
auth_passkey_ok(struct auth *a, const char *key, size_t len)
{
	bool ok = false;

	if (len != AUTH_PASSKEY_LEN)
		return false;
	pthread_mutex_lock(&a->lock);
	for (size_t i = 0; i < a->n; i++)
		if (CRYPTO_memcmp(a->users[i].passkey, key, len) == 0)
			ok = true;
	pthread_mutex_unlock(&a->lock);
	return ok;
}

int
auth_add_user(const char *path, const char *name, const char *pass,
    bool admin, char *passkey)
{
	char hash[256], tmp[4096], line[MAX_LINE];
	uint8_t key[AUTH_PASSKEY_LEN / 2];
	FILE *in, *out;
	int fd, rc;

	if (!auth_name_ok(name))
		return -EINVAL;
	if (pass[0] == '\0' || strlen(pass) > AUTH_MAX_PASSWORD)
		return -EINVAL;
	if ((rc = auth_hash_password(pass, hash, sizeof(hash))) < 0)
		return rc;
	if (getrandom(key, sizeof(key), 0) != (ssize_t)sizeof(key))
		return -EIO;
	hex_encode(key, sizeof(key), passkey);
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	out = fdopen(fd, "w");
	if (out == NULL) {
		rc = -errno;
		close(fd);
		unlink(tmp);
		return rc;
	}
	in = fopen(path, "re");
	if (in != NULL) {
		while (fgets(line, sizeof(line), in) != NULL) {
			size_t l = strlen(name);

			/* Keep every other user's line as it is. */
			if (strncmp(line, name, l) == 0 && line[l] == ':')
				continue;
			fputs(line, out);
		}
		fclose(in);
	}
	fprintf(out, "%s:%s:%s:%s\n", name, admin ? "admin" : "user", hash,
	    passkey);
	rc = fflush(out) == 0 && fsync(fileno(out)) == 0 ? 0 : -errno;
	if (fclose(out) != 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && rename(tmp, path) < 0)
		rc = -errno;
	if (rc < 0)
		unlink(tmp);
	return rc;
}
