/*
 * erofs: the FUSE operations that would write, each answering EROFS (the
 * mount is read-only: data verified by hash never changes).  Any FUSE
 * worker.
 */
#ifndef VTFS_FS_EROFS_H
#define VTFS_FS_EROFS_H

#include "fs/ops.h"

void	fs_erofs_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr,
	    int to_set, struct fuse_file_info *fi);
void	fs_erofs_mknod(fuse_req_t req, fuse_ino_t parent, const char *name,
	    mode_t mode, dev_t rdev);
void	fs_erofs_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name,
	    mode_t mode);
void	fs_erofs_unlink(fuse_req_t req, fuse_ino_t parent, const char *name);
void	fs_erofs_symlink(fuse_req_t req, const char *link, fuse_ino_t parent,
	    const char *name);
void	fs_erofs_rename(fuse_req_t req, fuse_ino_t parent, const char *name,
	    fuse_ino_t newparent, const char *newname, unsigned int flags);
void	fs_erofs_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent,
	    const char *newname);
void	fs_erofs_write(fuse_req_t req, fuse_ino_t ino, const char *buf,
	    size_t size, off_t off, struct fuse_file_info *fi);
void	fs_erofs_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name,
	    const char *value, size_t size, int flags);
void	fs_erofs_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name);
void	fs_erofs_create(fuse_req_t req, fuse_ino_t parent, const char *name,
	    mode_t mode, struct fuse_file_info *fi);
void	fs_erofs_fallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t off,
	    off_t len, struct fuse_file_info *fi);

#endif /* VTFS_FS_EROFS_H */
