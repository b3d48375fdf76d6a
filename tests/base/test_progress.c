/*
 * Unit tests for base/progress: the pure formatting, silence when stderr
 * is not a terminal, and a forced bar fed by several threads at once.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/progress.h"

static void
test_progress_format(void **state)
{
	char out[256];

	/* Half done at 1 MiB/s: 512 KiB left, ETA 0:01. */
	progress_format(out, sizeof(out), 200, "hashing", 512 << 10, 1 << 20,
	    1 << 20, NULL);
	assert_non_null(strstr(out, "hashing ["));
	assert_non_null(strstr(out, " 50%"));
	assert_non_null(strstr(out, "512.0 KiB / 1.0 MiB"));
	assert_non_null(strstr(out, "1.0 MiB/s"));
	assert_non_null(strstr(out, "ETA 0:01"));

	/* Long ETA and an extra text. */
	progress_format(out, sizeof(out), 200, "dl", 0, (uint64_t)10 << 30,
	    1 << 20, "3 peers");
	assert_non_null(strstr(out, "  0%"));
	assert_non_null(strstr(out, "ETA 2:50:40"));
	assert_non_null(strstr(out, "  3 peers"));

	/* No rate yet, no total. */
	progress_format(out, sizeof(out), 200, "x", 100, 0, 0, NULL);
	assert_string_equal(out, "x 100 B  -/s");
	progress_format(out, sizeof(out), 200, "x", 100, 1000, 0, NULL);
	assert_non_null(strstr(out, "ETA --:--"));

	/* Narrow terminals: no graphic, cut to the width. */
	progress_format(out, sizeof(out), 30, "hashing", 512 << 10, 1 << 20,
	    1 << 20, NULL);
	assert_null(strchr(out, '['));
	assert_int_equal(strlen(out), 30);

	/* done above total is shown as 100 %. */
	progress_format(out, sizeof(out), 200, "x", 2000, 1000, 1, NULL);
	assert_non_null(strstr(out, "100%"));
}

/* Run fn with stderr sent to a pipe; returns what was written. */
static char *
capture_stderr(void (*fn)(void *), void *arg)
{
	static char got[65536];
	int fds[2], saved = dup(STDERR_FILENO);
	ssize_t n;

	assert_int_equal(pipe(fds), 0);
	assert_int_equal(fcntl(fds[0], F_SETFL, O_NONBLOCK), 0);
	dup2(fds[1], STDERR_FILENO);
	fn(arg);
	dup2(saved, STDERR_FILENO);
	close(saved);
	close(fds[1]);
	n = read(fds[0], got, sizeof(got) - 1);
	close(fds[0]);
	got[n > 0 ? n : 0] = '\0';
	return got;
}

static void
quiet_run(void *arg)
{
	struct progress *p = progress_new("quiet", 100, 0);

	assert_non_null(p);
	assert_false(progress_active(p));
	progress_add(p, 50);
	progress_set_extra(p, "x");
	progress_add(p, 50);
	assert_int_equal(progress_done(p), 100);
	progress_finish(p, true);
	progress_free(p);
}

static void
test_progress_silent_without_tty(void **state)
{
	assert_string_equal(capture_stderr(quiet_run, NULL), "");
	/* A NULL bar is accepted everywhere. */
	progress_add(NULL, 1);
	progress_set_total(NULL, 1);
	progress_set_extra(NULL, "x");
	progress_finish(NULL, true);
	progress_free(NULL);
	assert_false(progress_active(NULL));
}

#define NTHREADS	4
#define PER_THREAD	200000

static void *
adder(void *arg)
{
	struct progress *p = arg;

	for (int i = 0; i < PER_THREAD; i++) {
		progress_add(p, 10);
		if (i % 50000 == 0)
			progress_set_extra(p, "busy");
	}
	return NULL;
}

static void
forced_run(void *arg)
{
	struct progress *p = progress_new("work", (uint64_t)NTHREADS *
	    PER_THREAD * 10, PROGRESS_FORCE);
	pthread_t t[NTHREADS];

	assert_non_null(p);
	assert_true(progress_active(p));
	for (int i = 0; i < NTHREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, adder, p), 0);
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(progress_done(p), (uint64_t)NTHREADS * PER_THREAD *
	    10);
	progress_finish(p, true);
	progress_free(p);
}

static void
test_progress_forced_threads(void **state)
{
	char *out = capture_stderr(forced_run, NULL);
	size_t n = strlen(out);

	/* The first call draws at once; the final line ends it. */
	assert_true(n > 0);
	assert_int_equal(out[0], '\r');
	assert_non_null(strstr(out, "work"));
	assert_non_null(strstr(out, "work: 7.6 MiB in "));
	assert_int_equal(out[n - 1], '\n');
}

static void
failed_run(void *arg)
{
	struct progress *p = progress_new("f", 10, PROGRESS_FORCE);

	progress_add(p, 1);	/* drawn at once */
	progress_finish(p, false);
	progress_free(p);
}

static void
test_progress_finish_failed_clears(void **state)
{
	char *out = capture_stderr(failed_run, NULL);
	size_t n = strlen(out);

	assert_true(n >= 4);
	assert_string_equal(out + n - 4, "\r\033[K");
	assert_null(strchr(out, '\n'));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_progress_format),
	    cmocka_unit_test(test_progress_silent_without_tty),
	    cmocka_unit_test(test_progress_forced_threads),
	    cmocka_unit_test(test_progress_finish_failed_clears),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
