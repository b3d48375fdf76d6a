/* Unit tests for fs/mountopt: every option, ignored words, each error. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "fs/mountopt.h"

static void
test_accepts(void **state)
{
	struct fs_mountopt o;
	char err[256];

	(void)state;
	fs_mountopt_init(&o);
	assert_int_equal(o.keep, -1);
	assert_int_equal(fs_mountopt_parse(&o, "ro,allow_other,fsname=x.t,"
	    "subtype=vt,cache_dir=/c/d,cache_size=4G,on_demand,"
	    "read_timeout=30,listen=127.0.0.1:6881,peer=127.0.0.2:1,"
	    "peer=[::1]:2,no_trackers,no_keep", err, sizeof(err)), 0);
	assert_true(o.allow_other);
	assert_true(o.default_permissions);	/* forced */
	assert_string_equal(o.fsname, "x.t");
	assert_string_equal(o.subtype, "vt");
	assert_string_equal(o.cache_dir, "/c/d");
	assert_true(o.has_cache_size);
	assert_int_equal(o.cache_size, 4ull << 30);
	assert_true(o.on_demand);
	assert_int_equal(o.read_timeout_s, 30);
	assert_string_equal(o.listen, "127.0.0.1:6881");
	assert_int_equal(o.npeers, 2);
	assert_string_equal(o.peers[1], "[::1]:2");
	assert_true(o.no_trackers);
	assert_int_equal(o.keep, 0);
	/* Options accumulate over several -o; the last keep wins. */
	assert_int_equal(fs_mountopt_parse(&o, "keep", err, sizeof(err)), 0);
	assert_int_equal(o.keep, 1);
}

static void
test_ignored(void **state)
{
	struct fs_mountopt o, zero;
	char err[256];

	(void)state;
	fs_mountopt_init(&o);
	fs_mountopt_init(&zero);
	assert_int_equal(fs_mountopt_parse(&o, "defaults,dev,nodev,suid,"
	    "nosuid,exec,noexec,auto,noauto,user,nouser,users,_netdev,nofail,"
	    "noatime,relatime,x-systemd.automount,comment=x,,ro", err,
	    sizeof(err)), 0);
	assert_memory_equal(&o, &zero, sizeof(o));
}

static void
test_errors(void **state)
{
	static const struct {
		const char	*in;
		const char	*err;
	} cases[] = {
		{"rw", "-o rw: vtfs mounts are read-only (use ro)"},
		{"ro,rw", "-o rw: vtfs mounts are read-only (use ro)"},
		{"bogus", "unknown mount option -o bogus"},
		{"allow_other=1", "-o allow_other takes no value"},
		{"noauto=1", "-o noauto takes no value"},
		{"keep=yes", "-o keep takes no value"},
		{"cache_dir", "-o cache_dir needs a value (cache_dir=...)"},
		{"cache_dir=", "-o cache_dir: empty value"},
		{"cache_size=lots", "-o cache_size=lots: expected a size such "
		    "as 4G"},
		{"read_timeout=0", "-o read_timeout=0: expected 1..86400 "
		    "seconds"},
		{"read_timeout=86401", "-o read_timeout=86401: expected "
		    "1..86400 seconds"},
		{"read_timeout=-5", "-o read_timeout=-5: expected 1..86400 "
		    "seconds"},
		{"peer", "-o peer needs a value (peer=...)"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fs_mountopt o;
		char err[256];

		fs_mountopt_init(&o);
		assert_int_equal(fs_mountopt_parse(&o, cases[i].in, err,
		    sizeof(err)), -EINVAL);
		assert_string_equal(err, cases[i].err);
	}
}

static void
test_too_many_peers(void **state)
{
	struct fs_mountopt o;
	char err[256];

	(void)state;
	fs_mountopt_init(&o);
	for (unsigned i = 0; i < FS_MOUNTOPT_MAX_PEERS; i++)
		assert_int_equal(fs_mountopt_parse(&o, "peer=127.0.0.1:1", err,
		    sizeof(err)), 0);
	assert_int_equal(fs_mountopt_parse(&o, "peer=127.0.0.1:1", err,
	    sizeof(err)), -EINVAL);
	assert_string_equal(err, "-o peer: too many peers");
}

static void
test_timeout(void **state)
{
	unsigned t = 0;

	(void)state;
	assert_int_equal(fs_mountopt_timeout("120", &t), 0);
	assert_int_equal(t, 120);
	assert_int_equal(fs_mountopt_timeout("", &t), -EINVAL);
	assert_int_equal(fs_mountopt_timeout("1.5", &t), -EINVAL);
	assert_int_equal(fs_mountopt_timeout("0", &t), -EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accepts),
		cmocka_unit_test(test_ignored),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_too_many_peers),
		cmocka_unit_test(test_timeout),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
