/*
 * metainfo: a .torrent file (BEP 3) parsed, validated and sanitised.  Pure
 * apart from meta_load_file(); any thread.  A struct metainfo is immutable
 * after parsing and may be shared read-only between threads.
 *
 * Covers BEP 3 single- and multi-file torrents, BEP 12 announce-list tiers,
 * BEP 27 private, BEP 19 url-list, BEP 47 pad files and attributes, and the
 * v1 side of BEP 52 hybrid torrents (v1 info-hash, plus the v2 hash).
 * v2-only torrents are refused with META_E_V2_ONLY.
 *
 * Every name from the torrent is sanitised before it is stored here (see
 * meta_sanitise_component()): nothing in struct metainfo can escape a
 * directory when joined under it.
 */
#ifndef VTFS_BT_METAINFO_H
#define VTFS_BT_METAINFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define META_MAX_TORRENT_SIZE	((size_t)10 << 20)	/* .torrent file */
#define META_MIN_PIECE_LEN	(16u << 10)
#define META_MAX_PIECE_LEN	(128u << 20)
#define META_MAX_PIECES		(1u << 21)
#define META_MAX_FILES		1000000u
#define META_MAX_PATH_DEPTH	64u
#define META_MAX_NAME		255u	/* bytes in one path component */
#define META_MAX_TIERS		64u
#define META_MAX_URLS		256u	/* trackers (all tiers) or web seeds */

/* BEP 47 attributes. */
enum meta_attr {
	META_ATTR_PAD = 1 << 0,		/* 'p' */
	META_ATTR_HIDDEN = 1 << 1,	/* 'h' */
	META_ATTR_EXEC = 1 << 2,	/* 'x' */
	META_ATTR_SYMLINK = 1 << 3,	/* 'l' */
};

struct meta_file {
	char		*path;	/* owned: sanitised components joined by '/',
				 * relative to the torrent's top folder (a
				 * single-file torrent: the name) */
	uint64_t	 offset;	/* of its first byte in the torrent */
	uint64_t	 size;
	unsigned	 attr;	/* enum meta_attr */
};

struct meta_tier {
	char		**urls;	/* owned */
	uint32_t	  nurls;
};

struct metainfo {
	uint8_t		 info_hash[20];		/* SHA-1 of the raw info dict */
	bool		 has_v2;		/* hybrid v1+v2 */
	uint8_t		 info_hash_v2[32];	/* SHA-256, when has_v2 */
	char		*name;			/* owned, sanitised */
	bool		 multi;			/* files live in a folder */
	uint32_t	 piece_len;
	uint32_t	 npieces;
	uint64_t	 total;		/* all bytes, pad files included */
	uint8_t		*pieces;	/* owned: 20 * npieces */
	struct meta_file *files;	/* owned: in torrent order, pads included */
	uint32_t	 nfiles;
	struct meta_tier *tiers;	/* owned: announce-list, or announce alone */
	uint32_t	 ntiers;
	bool		 is_private;	/* BEP 27 */
	char		**web_seeds;	/* owned: BEP 19 url-list */
	uint32_t	 nweb_seeds;
	char		*comment;	/* owned, may be NULL */
	char		*created_by;	/* owned, may be NULL */
	int64_t		 creation_date;	/* 0 when absent */
	uint8_t		*info_raw;	/* owned copy of the info dict's bytes */
	size_t		 info_len;
};

/* Why a torrent was refused: specific, for messages and tests. */
enum meta_errcode {
	META_OK,
	META_E_IO,		/* cannot open or read the file */
	META_E_NOT_REGULAR,	/* the path is not a regular file */
	META_E_TOO_BIG,		/* above META_MAX_TORRENT_SIZE */
	META_E_BENCODE,		/* not valid bencode (msg says why) */
	META_E_NOT_DICT,	/* the root is not a dictionary */
	META_E_NO_INFO,		/* info missing or not a dictionary */
	META_E_V2_ONLY,		/* a v2-only torrent: not supported yet */
	META_E_NAME,		/* name missing, or unusable after sanitising */
	META_E_PIECE_LEN,	/* piece length missing or out of range */
	META_E_PIECES,		/* pieces missing, or length not 20*n */
	META_E_PIECE_COUNT,	/* 20*n does not match the total size */
	META_E_LENGTH,		/* a length missing, negative or overflowing */
	META_E_BOTH_LAYOUTS,	/* both "length" and "files", or neither */
	META_E_FILES,		/* files list malformed or empty */
	META_E_TOO_MANY_FILES,
	META_E_PATH,		/* a path missing, empty or unusable */
	META_E_PATH_DEPTH,	/* a path deeper than META_MAX_PATH_DEPTH */
	META_E_DUP_PATH,	/* two files with one path after sanitising,
				 * or a file that is also a folder */
	META_E_TRACKERS,	/* announce-list malformed or over the caps */
	META_E_NOMEM,
};

struct meta_error {
	enum meta_errcode	code;
	char			msg[256];	/* human-readable detail */
};

/*
 * Parse a .torrent held in memory.  Returns 0 and a new metainfo in *out,
 * or -EBADMSG (malformed), -E2BIG (over a cap), -ERANGE (overflow),
 * -ENOTSUP (v2-only), -ENOMEM; err (may be NULL) says why.
 */
int	meta_parse(const void *buf, size_t len, struct metainfo **out,
	    struct meta_error *err);
/*
 * Read and parse a .torrent file: refuses what is not a regular file and
 * files above META_MAX_TORRENT_SIZE before reading them.  Errors as
 * meta_parse(), plus -errno of open/read (META_E_IO).
 */
int	meta_load_file(const char *path, struct metainfo **out,
	    struct meta_error *err);
void	meta_free(struct metainfo *);
const char *meta_strerror(enum meta_errcode);

/* Bytes in piece i (the last piece may be short). */
uint32_t meta_piece_size(const struct metainfo *, uint32_t piece);
static inline const uint8_t *
meta_piece_hash(const struct metainfo *m, uint32_t piece)
{
	return m->pieces + (size_t)piece * 20;
}
/* Index of the file holding torrent byte off (< total); pads included. */
uint32_t meta_file_at(const struct metainfo *, uint64_t off);

/*
 * Sanitise one path component into out (size >= META_MAX_NAME + 1):
 * '/', '\\' and control bytes become '_', invalid UTF-8 sequences become
 * '_', the result is cut to META_MAX_NAME bytes on a character boundary.
 * Returns 0, or -EINVAL when nothing usable is left ("", ".", "..").
 */
int	meta_sanitise_component(const uint8_t *in, size_t len, char *out);

#endif /* VTFS_BT_METAINFO_H */
