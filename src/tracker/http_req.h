/*
 * http_req: what the HTTP front's files share: the per-request state and
 * small response helpers.  MHD threads only.
 */
#ifndef VTFS_TRACKER_HTTP_REQ_H
#define VTFS_TRACKER_HTTP_REQ_H

#include <stdbool.h>
#include <stddef.h>

#include <microhttpd.h>

#include "base/buf.h"
#include "tracker/tracker.h"

#define HTTP_MAX_BODY	(META_MAX_TORRENT_SIZE + (64u << 10))

struct http_listener {
	struct tracker		*t;	/* borrowed */
	bool			 tls;
	struct MHD_Daemon	*d;
};

struct http_req {
	char			*uri;		/* owned: raw request target */
	bool			 started;	/* first call seen */
	bool			 upload_begun;	/* auth checked */
	bool			 too_big;	/* body over HTTP_MAX_BODY */
	bool			 bad_body;	/* multipart did not parse */
	bool			 multipart;
	bool			 in_file;	/* pp: inside the file field */
	bool			 file_done;	/* pp: a file field ended */
	char			 field[64];	/* pp: current file field */
	struct MHD_PostProcessor *pp;		/* owned, multipart only */
	struct buf		 body;		/* the .torrent bytes */
};

enum MHD_Result http_respond(struct MHD_Connection *, unsigned status,
	    const char *ctype, void *data, size_t len, bool must_free);
enum MHD_Result http_respond_text(struct MHD_Connection *, unsigned status,
	    const char *text);
enum MHD_Result http_respond_json_error(struct MHD_Connection *,
	    unsigned status, const char *msg);
/* True if the client address of c is loopback (127/8, ::1, mapped). */
bool	http_client_is_loopback(struct MHD_Connection *);

/* Catalog routes (http_catalog.c); each returns what MHD expects. */
enum MHD_Result http_catalog_index(struct http_listener *,
	    struct MHD_Connection *);
enum MHD_Result http_catalog_json(struct http_listener *,
	    struct MHD_Connection *);
enum MHD_Result http_catalog_file(struct http_listener *,
	    struct MHD_Connection *, const char *name);
enum MHD_Result http_catalog_upload(struct http_listener *,
	    struct MHD_Connection *, struct http_req *, const char *data,
	    size_t *size);
enum MHD_Result http_catalog_delete(struct http_listener *,
	    struct MHD_Connection *, const char *name);

#endif /* VTFS_TRACKER_HTTP_REQ_H */
