/*
 * tree: see tree.h.  Built in two passes: the files, sorted path-wise, are
 * walked once to make a depth-first tree with sibling links (a sorted walk
 * meets each folder's entries together and in order); the nodes are then
 * renumbered breadth-first so that every folder's children are contiguous.
 */
#include "fs/tree.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/bytes.h"

struct fs_tree {
	const struct metainfo	*meta;	/* borrowed */
	struct fs_node		*nodes;	/* owned: nodes[ino - 1] */
	uint32_t		 n;
};

/* Depth-first node of the first pass. */
struct tmp_node {
	const char	*name;
	uint32_t	 namelen;
	uint32_t	 parent;
	uint32_t	 first, last, next;	/* children and sibling; 0 = none */
	uint32_t	 nchild, nsubdirs;
	uint32_t	 file;
	bool		 dir;
};

/* Compare paths component by component: '/' sorts before every byte. */
static int
path_cmp(const void *x, const void *y, void *arg)
{
	const struct metainfo *m = arg;
	const unsigned char *a = (const unsigned char *)
	    m->files[*(const uint32_t *)x].path;
	const unsigned char *b = (const unsigned char *)
	    m->files[*(const uint32_t *)y].path;

	for (;; a++, b++) {
		unsigned ca = *a == '/' ? 1 : *a, cb = *b == '/' ? 1 : *b;

		if (ca != cb)
			return (int)ca - (int)cb;
		if (!ca)
			return 0;
	}
}

static int
add_child(struct tmp_node *t, uint32_t *n, uint32_t parent, const char *name,
    uint32_t len, bool dir)
{
	struct tmp_node *p = &t[parent];
	uint32_t i = (*n)++;

	if (p->last && bytes_cmp(t[p->last].name, t[p->last].namelen, name,
	    len) == 0)
		return -EBADMSG;	/* a file and a folder with one name */
	t[i] = (struct tmp_node){.name = name, .namelen = len,
	    .parent = parent, .dir = dir};
	if (p->last)
		t[p->last].next = i;
	else
		p->first = i;
	p->last = i;
	p->nchild++;
	if (dir)
		p->nsubdirs++;
	return (int)i;
}

/* First pass: the depth-first tree.  t[0] is the mount's root. */
static int
build_dfs(const struct metainfo *m, const uint32_t *order, uint32_t nord,
    struct tmp_node *t, uint32_t *n)
{
	/* stack[d]: the folder at depth d on the current path. */
	uint32_t stack[META_MAX_PATH_DEPTH + 2];
	uint32_t depth = 1, base;
	int rc;

	t[0] = (struct tmp_node){.dir = true, .name = "", .namelen = 0};
	*n = 1;
	stack[0] = 0;
	if (m->multi) {
		rc = add_child(t, n, 0, m->name, (uint32_t)strlen(m->name),
		    true);
		if (rc < 0)
			return rc;
		stack[depth++] = (uint32_t)rc;
	}
	base = depth;
	for (uint32_t k = 0; k < nord; k++) {
		const struct meta_file *f = &m->files[order[k]];
		const char *c = m->multi ? f->path : m->name;
		uint32_t d = base;

		for (;;) {
			const char *slash = strchr(c, '/');
			uint32_t len = (uint32_t)(slash ? (size_t)(slash - c)
							: strlen(c));

			if (!slash) {
				rc = add_child(t, n, stack[d - 1], c, len,
				    false);
				if (rc < 0)
					return rc;
				t[rc].file = order[k];
				break;
			}
			if (d >= sizeof(stack) / sizeof(stack[0]))
				return -EBADMSG;
			/* Same folder as the previous file at this depth? */
			if (d < depth && bytes_cmp(t[stack[d]].name,
			    t[stack[d]].namelen, c, len) == 0) {
				d++;
			} else {
				rc = add_child(t, n, stack[d - 1], c, len,
				    true);
				if (rc < 0)
					return rc;
				stack[d++] = (uint32_t)rc;
				depth = d;
			}
			c = slash + 1;
		}
		depth = d;
	}
	return 0;
}

/* Second pass: breadth-first numbering, children contiguous. */
static int
renumber(struct fs_tree *tr, const struct tmp_node *t, uint32_t n)
{
	uint32_t *queue = malloc((size_t)n * sizeof(*queue));
	uint32_t *ino = malloc((size_t)n * sizeof(*ino));
	uint32_t head = 0, tail = 0;

	tr->nodes = calloc(n, sizeof(*tr->nodes));
	if (!queue || !ino || !tr->nodes) {
		free(queue);
		free(ino);
		return -ENOMEM;
	}
	queue[tail++] = 0;
	ino[0] = FS_TREE_ROOT;
	while (head < tail) {
		uint32_t i = queue[head++];

		for (uint32_t c = t[i].first; c; c = t[c].next) {
			ino[c] = tail + 1;
			queue[tail++] = c;
		}
	}
	for (uint32_t i = 0; i < n; i++) {
		struct fs_node *nd = &tr->nodes[ino[i] - 1];

		nd->name = t[i].name;
		nd->namelen = t[i].namelen;
		nd->parent = ino[t[i].parent];
		nd->dir = t[i].dir;
		nd->file = t[i].file;
		nd->first = t[i].first ? ino[t[i].first] : 0;
		nd->nchild = t[i].nchild;
		nd->nsubdirs = t[i].nsubdirs;
	}
	tr->n = n;
	free(queue);
	free(ino);
	return 0;
}

int
fs_tree_new(const struct metainfo *m, struct fs_tree **out)
{
	struct fs_tree *tr = calloc(1, sizeof(*tr));
	struct tmp_node *t = NULL;
	uint32_t *order = NULL, nord = 0, n = 0;
	size_t cap = 2;
	int rc = -ENOMEM;

	if (!tr)
		return -ENOMEM;
	tr->meta = m;
	order = malloc(((size_t)m->nfiles + 1) * sizeof(*order));
	if (!order)
		goto out;
	for (uint32_t i = 0; i < m->nfiles; i++) {
		const char *p = m->files[i].path;

		if (m->files[i].attr & META_ATTR_PAD)
			continue;
		order[nord++] = i;
		cap += 1;
		for (; *p; p++)
			cap += *p == '/';
	}
	qsort_r(order, nord, sizeof(*order), path_cmp, (void *)m);
	t = calloc(cap, sizeof(*t));
	if (!t)
		goto out;
	rc = build_dfs(m, order, nord, t, &n);
	if (rc)
		goto out;
	rc = renumber(tr, t, n);
out:
	free(order);
	free(t);
	if (rc) {
		fs_tree_free(tr);
		return rc;
	}
	*out = tr;
	return 0;
}

void
fs_tree_free(struct fs_tree *tr)
{
	if (!tr)
		return;
	free(tr->nodes);
	free(tr);
}

uint32_t
fs_tree_count(const struct fs_tree *tr)
{
	return tr->n;
}

const struct fs_node *
fs_tree_get(const struct fs_tree *tr, uint64_t ino)
{
	if (ino < 1 || ino > tr->n)
		return NULL;
	return &tr->nodes[ino - 1];
}

const struct fs_node *
fs_tree_lookup(const struct fs_tree *tr, uint64_t dir, const char *name,
    uint64_t *ino)
{
	const struct fs_node *d = fs_tree_get(tr, dir);
	size_t len = strlen(name);
	uint32_t lo = 0, hi;

	if (!d || !d->dir)
		return NULL;
	hi = d->nchild;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		const struct fs_node *c = &tr->nodes[d->first - 1 + mid];
		int cmp = bytes_cmp(c->name, c->namelen, name, len);

		if (cmp == 0) {
			*ino = (uint64_t)d->first + mid;
			return c;
		}
		if (cmp < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}
