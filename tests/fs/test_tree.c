/* Unit tests for fs/tree: layout, lookups, pads, collisions, a large tree. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fs/tree.h"

/* A hand-made metainfo: only the fields the tree reads. */
static struct metainfo *
meta_make(const char *name, bool multi, const char *const *paths,
    const unsigned *attrs, uint32_t n)
{
	struct metainfo *m = calloc(1, sizeof(*m));

	m->name = strdup(name);
	m->multi = multi;
	m->nfiles = n;
	m->files = calloc(n, sizeof(*m->files));
	for (uint32_t i = 0; i < n; i++) {
		m->files[i].path = strdup(paths[i]);
		m->files[i].size = i;
		m->files[i].attr = attrs ? attrs[i] : 0;
	}
	return m;
}

static void
meta_unmake(struct metainfo *m)
{
	for (uint32_t i = 0; i < m->nfiles; i++)
		free(m->files[i].path);
	free(m->files);
	free(m->name);
	free(m);
}

static const struct fs_node *
walk(const struct fs_tree *t, const char *path, uint64_t *ino)
{
	char buf[512], *save, *c;
	const struct fs_node *nd = fs_tree_get(t, FS_TREE_ROOT);

	*ino = FS_TREE_ROOT;
	snprintf(buf, sizeof(buf), "%s", path);
	for (c = strtok_r(buf, "/", &save); c && nd;
	     c = strtok_r(NULL, "/", &save))
		nd = fs_tree_lookup(t, *ino, c, ino);
	return nd;
}

static void
test_tree_multi_file_layout(void **state)
{
	static const char *const paths[] = {
	    "b/z.txt", "a.txt", ".pad/123", "b/c/deep.bin", "b/a", "empty",
	    "b/c.d",
	};
	static const unsigned attrs[] = {0, 0, META_ATTR_PAD, 0, 0, 0, 0};
	struct metainfo *m = meta_make("top", true, paths, attrs, 7);
	struct fs_tree *t;
	const struct fs_node *root, *top, *nd;
	uint64_t ino, ino2;

	assert_int_equal(fs_tree_new(m, &t), 0);
	/* root, top, a.txt, b, empty, b/a, b/c, b/c.d, b/z.txt, deep.bin */
	assert_int_equal(fs_tree_count(t), 10);
	root = fs_tree_get(t, FS_TREE_ROOT);
	assert_true(root->dir);
	assert_int_equal(root->nchild, 1);
	top = fs_tree_lookup(t, FS_TREE_ROOT, "top", &ino);
	assert_non_null(top);
	assert_true(top->dir);
	assert_int_equal(top->parent, FS_TREE_ROOT);
	assert_int_equal(top->nchild, 3);	/* a.txt b empty; no .pad */
	assert_int_equal(top->nsubdirs, 1);
	assert_null(fs_tree_lookup(t, ino, ".pad", &ino2));
	/* Children are contiguous and sorted. */
	assert_memory_equal(fs_tree_get(t, top->first)->name, "a.txt", 5);
	assert_memory_equal(fs_tree_get(t, top->first + 1)->name, "b", 1);
	assert_memory_equal(fs_tree_get(t, top->first + 2)->name, "empty", 5);

	nd = walk(t, "top/b/c/deep.bin", &ino);
	assert_non_null(nd);
	assert_false(nd->dir);
	assert_int_equal(nd->file, 3);
	assert_true(fs_tree_get(t, nd->parent)->dir);
	nd = walk(t, "top/b/c.d", &ino);
	assert_non_null(nd);
	assert_int_equal(nd->file, 6);
	nd = walk(t, "top/b", &ino);
	assert_int_equal(nd->nchild, 4);	/* a c c.d z.txt */
	assert_null(walk(t, "top/b/zz", &ino));
	assert_null(walk(t, "top/a.txt/x", &ino));
	assert_null(fs_tree_get(t, 0));
	assert_null(fs_tree_get(t, 11));
	fs_tree_free(t);
	meta_unmake(m);
}

static void
test_tree_single_file(void **state)
{
	static const char *const paths[] = {"movie.mkv"};
	struct metainfo *m = meta_make("movie.mkv", false, paths, NULL, 1);
	struct fs_tree *t;
	const struct fs_node *nd;
	uint64_t ino;

	assert_int_equal(fs_tree_new(m, &t), 0);
	assert_int_equal(fs_tree_count(t), 2);
	nd = fs_tree_lookup(t, FS_TREE_ROOT, "movie.mkv", &ino);
	assert_non_null(nd);
	assert_int_equal(ino, 2);
	assert_false(nd->dir);
	assert_int_equal(nd->file, 0);
	fs_tree_free(t);
	meta_unmake(m);
}

static void
test_tree_file_folder_collision(void **state)
{
	static const char *const paths[] = {"a/b", "a"};
	struct metainfo *m = meta_make("x", true, paths, NULL, 2);
	struct fs_tree *t;

	assert_int_equal(fs_tree_new(m, &t), -EBADMSG);
	meta_unmake(m);
}

/* Same torrent, same inode numbers, whatever the file order. */
static void
test_tree_inodes_stable(void **state)
{
	static const char *const p1[] = {"d/1", "c", "d/0", "a/b/c"};
	static const char *const p2[] = {"a/b/c", "d/0", "c", "d/1"};
	struct metainfo *m1 = meta_make("t", true, p1, NULL, 4);
	struct metainfo *m2 = meta_make("t", true, p2, NULL, 4);
	struct fs_tree *t1, *t2;
	uint64_t i1, i2;

	assert_int_equal(fs_tree_new(m1, &t1), 0);
	assert_int_equal(fs_tree_new(m2, &t2), 0);
	for (size_t k = 0; k < 4; k++) {
		char path[64];

		snprintf(path, sizeof(path), "t/%s", p1[k]);
		assert_non_null(walk(t1, path, &i1));
		assert_non_null(walk(t2, path, &i2));
		assert_int_equal(i1, i2);
	}
	fs_tree_free(t1);
	fs_tree_free(t2);
	meta_unmake(m1);
	meta_unmake(m2);
}

/* 100,000 files in 100 folders: built and fully looked up quickly. */
static void
test_tree_large(void **state)
{
	enum { N = 100000 };
	char **paths = malloc(N * sizeof(*paths));
	struct metainfo *m;
	struct fs_tree *t;
	struct timespec a, b;
	double ms;

	for (int i = 0; i < N; i++) {
		paths[i] = malloc(32);
		snprintf(paths[i], 32, "dir%03d/file%06d", (i * 7919) % 100, i);
	}
	m = meta_make("big", true, (const char *const *)paths, NULL, N);
	clock_gettime(CLOCK_MONOTONIC, &a);
	assert_int_equal(fs_tree_new(m, &t), 0);
	for (int i = 0; i < N; i++) {
		char p[48];
		uint64_t ino;
		const struct fs_node *nd;

		snprintf(p, sizeof(p), "big/%s", paths[i]);
		nd = walk(t, p, &ino);
		assert_non_null(nd);
		assert_int_equal(nd->file, (uint32_t)i);
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	ms = (double)(b.tv_sec - a.tv_sec) * 1e3 +
	    (double)(b.tv_nsec - a.tv_nsec) / 1e6;
	print_message("100k files: build + 100k lookups in %.1f ms, %u inodes\n",
	    ms, fs_tree_count(t));
	assert_int_equal(fs_tree_count(t), N + 100 + 2);
	fs_tree_free(t);
	meta_unmake(m);
	for (int i = 0; i < N; i++)
		free(paths[i]);
	free(paths);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_tree_multi_file_layout),
	    cmocka_unit_test(test_tree_single_file),
	    cmocka_unit_test(test_tree_file_folder_collision),
	    cmocka_unit_test(test_tree_inodes_stable),
	    cmocka_unit_test(test_tree_large),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
