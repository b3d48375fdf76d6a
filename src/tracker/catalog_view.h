/*
 * catalog_view: the catalog as an HTML index page (readable without
 * JavaScript) and as JSON (GET /api/torrents), with each torrent's swarm
 * counts.  Torrent names and tracker URLs are hostile text: HTML output
 * escapes every one of & < > " ', URLs are %-encoded, and JSON goes through
 * jansson.  Pure; any thread.
 */
#ifndef VTFS_TRACKER_CATALOG_VIEW_H
#define VTFS_TRACKER_CATALOG_VIEW_H

#include <stddef.h>

#include "base/buf.h"
#include "tracker/catalog.h"
#include "tracker/swarm.h"

/* Append s, HTML-escaped, to b. */
void	view_html_escape(struct buf *, const char *s);
/* The magnet link of e (xt, dn, tr), unescaped for HTML. */
void	view_magnet(struct buf *, const struct catalog_entry *e);

void	view_html_index(struct buf *, const struct catalog_entry *e,
	    const struct swarm_counts *counts, size_t n);
/* A NUL-terminated JSON array, to free(); NULL on ENOMEM. */
char	*view_json_list(const struct catalog_entry *e,
	    const struct swarm_counts *counts, size_t n);

#endif /* VTFS_TRACKER_CATALOG_VIEW_H */
