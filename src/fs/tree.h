/*
 * tree: the mount's inode table, built once from a torrent's file list.
 * Pure and immutable after fs_tree_new(), so any thread (every FUSE worker)
 * may read it without a lock.
 *
 * The root (inode 1, FUSE_ROOT_ID) holds the torrent's name: the file itself
 * for a single-file torrent, its top folder for a multi-file one (as btfs and
 * the download layout do).  Pad files (BEP 47) are left out.  Inode numbers
 * are the nodes' positions in breadth-first order with each folder's
 * children sorted by name, so they are stable for a given torrent across
 * mounts, a folder's children are contiguous, and a lookup is a binary
 * search.  Names point into the metainfo's path strings: the tree costs one
 * small node per file or folder.
 */
#ifndef VTFS_FS_TREE_H
#define VTFS_FS_TREE_H

#include <stdbool.h>
#include <stdint.h>

#include "bt/metainfo.h"

#define FS_TREE_ROOT 1u

struct fs_node {
	const char	*name;		/* points into the metainfo's strings */
	uint32_t	 namelen;
	uint32_t	 parent;	/* inode of the parent (root: itself) */
	bool		 dir;
	uint32_t	 file;		/* files only: index in meta->files */
	uint32_t	 first;		/* folders: inode of the first child */
	uint32_t	 nchild;	/* folders: number of children */
	uint32_t	 nsubdirs;	/* folders: how many children are folders */
};

struct fs_tree;

/*
 * Build the tree of meta (borrowed: it must outlive the tree).  Returns 0,
 * -ENOMEM, or -EBADMSG when two entries collide (metainfo refuses such
 * torrents, so that is a programmer error upstream).
 */
int	fs_tree_new(const struct metainfo *, struct fs_tree **out);
void	fs_tree_free(struct fs_tree *);

/* Number of inodes; valid inodes are 1 ..= fs_tree_count(). */
uint32_t fs_tree_count(const struct fs_tree *);
/* The node of ino, or NULL when out of range. */
const struct fs_node *fs_tree_get(const struct fs_tree *, uint64_t ino);
/* Child of folder dir named name[0..len), its inode in *ino; NULL if none. */
const struct fs_node *fs_tree_lookup(const struct fs_tree *, uint64_t dir,
	    const char *name, uint64_t *ino);

#endif /* VTFS_FS_TREE_H */
