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
 * directory when joined under it.  The policy, for the torrent name and
 * every component of every file path:
 *
 *  - "name.utf-8" / "path.utf-8" are used instead of "name" / "path" when
 *    present, of the right type and valid UTF-8;
 *  - components "", "." and ".." are dropped from file paths (as libtorrent
 *    does), so an absolute path or one with ".." stays inside the torrent's
 *    folder; a path with no component left is refused (META_E_PATH), and a
 *    torrent name "", "." or ".." is refused (META_E_NAME);
 *  - '/', '\\', NUL and every other control byte (0x00-0x1f, 0x7f) become
 *    '_', and so does every byte that is not part of a valid UTF-8 sequence
 *    (overlong forms, surrogates and code points above U+10FFFF included);
 *  - a component longer than META_MAX_NAME bytes is cut on a UTF-8
 *    character boundary; when it has an extension (from its last '.', not
 *    at the start) of at most META_MAX_EXT bytes, the extension is kept;
 *  - after sanitising, two files with the same path, or a file whose path
 *    is also a folder of another file, are refused (META_E_DUP_PATH).  Pad
 *    files are not part of that check (hybrid torrents repeat ".pad/N").
 *
 * Pad files (BEP 47 attribute 'p', or a path under ".pad/" as written by
 * older libtorrent) stay in files[] with META_ATTR_PAD so that offsets stay
 * right; consumers hide them.
 *
 * Text fields (comment, created by) are copied with invalid UTF-8 and NUL
 * bytes replaced by '_', so every string here is valid UTF-8 (JSON-safe);
 * control characters such as newlines are kept, and printing them to a
 * terminal still needs escaping.  Tracker and web seed URLs with a control
 * byte, a space or invalid UTF-8, or longer than META_MAX_URL, are
 * skipped; duplicates are dropped (the first one is kept).
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
#define META_MAX_URL		4096u	/* bytes in one URL */
#define META_MAX_EXT		16u	/* an extension kept when cutting a name */

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
	META_E_WEB_SEEDS,	/* url-list malformed or over the caps */
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
/*
 * Index of the file holding torrent byte off (< total); pads included, empty
 * files never returned.  Binary search.  Returns nfiles when off >= total.
 */
uint32_t meta_file_at(const struct metainfo *, uint64_t off);

/*
 * Sanitise one path component into out (size >= META_MAX_NAME + 1):
 * '/', '\\' and control bytes become '_', invalid UTF-8 sequences become
 * '_', the result is cut to META_MAX_NAME bytes on a character boundary,
 * keeping a short extension (see the policy above).
 * Returns 0, or -EINVAL when nothing usable is left ("", ".", "..").
 */
int	meta_sanitise_component(const uint8_t *in, size_t len, char *out);

#endif /* VTFS_BT_METAINFO_H */
