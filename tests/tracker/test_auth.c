/* Unit tests: users file, scrypt hashes, passkeys (tracker/auth.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "tracker/auth.h"

static void
test_auth_hash_verify(void **state)
{
	char h[256], h2[256];

	(void)state;
	assert_int_equal(auth_hash_password("pw", h, sizeof(h)), 0);
	assert_int_equal(auth_hash_password("pw", h2, sizeof(h2)), 0);
	assert_string_not_equal(h, h2);		/* salted */
	assert_true(auth_verify_password("pw", h));
	assert_false(auth_verify_password("pw ", h));
	assert_false(auth_verify_password("", h));
	/* Malformed stored hashes never verify. */
	assert_false(auth_verify_password("pw", ""));
	assert_false(auth_verify_password("pw", "scrypt$14$8$1$00$00"));
	assert_false(auth_verify_password("pw", "scrypt$30$8$1$"
	    "00000000000000000000000000000000$"
	    "0000000000000000000000000000000000000000000000000000000000000000"));
	h[strlen(h) - 1] ^= 1;
	assert_false(auth_verify_password("pw", h));
}

static void
test_auth_names(void **state)
{
	static const struct {
		const char	*name;
		bool		 ok;
	} rows[] = {
		{ "alice", true }, { "a.b-c_d9", true }, { "", false },
		{ "a:b", false }, { "a,ou=x", false }, { "*", false },
		{ "a b", false }, { "\xc3\xa9", false },
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		    false },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		assert_int_equal(auth_name_ok(rows[i].name), rows[i].ok);
}

static void
test_auth_users_file(void **state)
{
	char path[] = "/tmp/vtfs-test-users-XXXXXX", k1[33], k2[33];
	struct auth *a;
	bool admin = false;
	int fd, err;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	unlink(path);
	assert_int_equal(auth_add_user(path, "root", "rootpw", true, k1), 0);
	assert_int_equal(auth_add_user(path, "bob", "bobpw", false, k2), 0);
	assert_int_equal(auth_add_user(path, "bad:name", "x", false, k2),
	    -EINVAL);
	assert_int_equal(auth_add_user(path, "x", "", false, k2), -EINVAL);
	a = auth_new(path, NULL, &err);
	assert_non_null(a);
	assert_int_equal(auth_check(a, "root", "rootpw", &admin), 0);
	assert_true(admin);
	assert_int_equal(auth_check(a, "bob", "bobpw", &admin), 0);
	assert_false(admin);
	assert_int_equal(auth_check(a, "bob", "rootpw", &admin), -EACCES);
	assert_int_equal(auth_check(a, "nobody", "x", &admin), -EACCES);
	assert_int_equal(auth_check(a, "root", "", &admin), -EACCES);
	assert_true(auth_passkey_ok(a, k1, strlen(k1)));
	assert_true(auth_passkey_ok(a, k2, strlen(k2)));
	assert_false(auth_passkey_ok(a, "0123456789abcdef0123456789abcdef",
	    32));
	assert_false(auth_passkey_ok(a, k1, 31));
	/* Replacing a user changes its password and passkey. */
	assert_int_equal(auth_add_user(path, "bob", "newpw", true, k2), 0);
	assert_int_equal(auth_reload(a), 0);
	assert_int_equal(auth_check(a, "bob", "bobpw", &admin), -EACCES);
	assert_int_equal(auth_check(a, "bob", "newpw", &admin), 0);
	assert_true(admin);
	auth_free(a);
	/* A malformed line refuses the whole file. */
	{
		FILE *f = fopen(path, "a");

		fputs("garbage line\n", f);
		fclose(f);
	}
	assert_null(auth_new(path, NULL, &err));
	assert_int_equal(err, -EBADMSG);
	unlink(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_auth_hash_verify),
		cmocka_unit_test(test_auth_names),
		cmocka_unit_test(test_auth_users_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
