/*
 * catalog_view: HTML and JSON renderings of the catalog.  See
 * catalog_view.h.
 */
#include "tracker/catalog_view.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "base/bytes.h"
#include "base/text.h"

void
view_html_escape(struct buf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '&':
			buf_puts(b, "&amp;");
			break;
		case '<':
			buf_puts(b, "&lt;");
			break;
		case '>':
			buf_puts(b, "&gt;");
			break;
		case '"':
			buf_puts(b, "&quot;");
			break;
		case '\'':
			buf_puts(b, "&#39;");
			break;
		default:
			buf_putc(b, *s);
		}
	}
}

void
view_magnet(struct buf *b, const struct catalog_entry *e)
{
	char hex[41];

	hex_encode(e->info_hash, 20, hex);
	buf_puts(b, "magnet:?xt=urn:btih:");
	buf_puts(b, hex);
	buf_puts(b, "&dn=");
	text_url_escape(b, e->title, strlen(e->title));
	if (e->tracker != NULL) {
		buf_puts(b, "&tr=");
		text_url_escape(b, e->tracker, strlen(e->tracker));
	}
}

void
view_html_index(struct buf *b, const struct catalog_entry *e,
    const struct swarm_counts *counts, size_t n)
{
	buf_puts(b, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
	    "<title>vtfs-tracker catalog</title>"
	    "<style>body{font-family:sans-serif}td,th{padding:2px 8px;"
	    "text-align:left}td.n{text-align:right}</style>"
	    "</head><body>\n<h1>Torrents</h1>\n");
	buf_printf(b, "<p>%zu torrent%s. JSON: <a href=\"/api/torrents\">"
	    "/api/torrents</a></p>\n", n, n == 1 ? "" : "s");
	buf_puts(b, "<table>\n<tr><th>Name</th><th>Size</th><th>Files</th>"
	    "<th>Seeders</th><th>Leechers</th><th>Completed</th>"
	    "<th>Links</th></tr>\n");
	for (size_t i = 0; i < n; i++) {
		char size[32];

		text_human(size, sizeof(size), (double)e[i].size);
		buf_puts(b, "<tr><td>");
		view_html_escape(b, e[i].title);
		buf_printf(b, "</td><td class=\"n\">%s</td>"
		    "<td class=\"n\">%" PRIu32 "</td>"
		    "<td class=\"n\">%" PRIu32 "</td>"
		    "<td class=\"n\">%" PRIu32 "</td>"
		    "<td class=\"n\">%" PRIu32 "</td><td><a href=\"/t/",
		    size, e[i].nfiles, counts[i].complete,
		    counts[i].incomplete, counts[i].downloaded);
		view_html_escape(b, e[i].name);
		buf_puts(b, ".torrent\">.torrent</a> <a href=\"");
		{
			struct buf m;

			buf_init(&m, 1 << 16);
			view_magnet(&m, &e[i]);
			if (buf_error(&m) == 0 && m.data != NULL)
				view_html_escape(b, (const char *)m.data);
			buf_fini(&m);
		}
		buf_puts(b, "\">magnet</a></td></tr>\n");
	}
	buf_puts(b, "</table>\n</body></html>\n");
}

char *
view_json_list(const struct catalog_entry *e,
    const struct swarm_counts *counts, size_t n)
{
	json_t *arr = json_array();
	char *out = NULL;

	if (arr == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		char hex[41], url[CATALOG_MAX_NAME + 16];
		struct buf m;
		json_t *o;

		hex_encode(e[i].info_hash, 20, hex);
		snprintf(url, sizeof(url), "/t/%s.torrent", e[i].name);
		buf_init(&m, 1 << 16);
		view_magnet(&m, &e[i]);
		/* Names are sanitised UTF-8; json_string() refuses others. */
		o = json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:s,"
		    " s:s?}",
		    "name", e[i].name, "title", e[i].title, "info_hash", hex,
		    "size", (json_int_t)e[i].size,
		    "files", (json_int_t)e[i].nfiles,
		    "seeders", (json_int_t)counts[i].complete,
		    "leechers", (json_int_t)counts[i].incomplete,
		    "completed", (json_int_t)counts[i].downloaded,
		    "url", url,
		    "magnet", buf_error(&m) == 0 ? (const char *)m.data : NULL);
		buf_fini(&m);
		if (o == NULL || json_array_append_new(arr, o) < 0)
			goto out;
	}
	out = json_dumps(arr, JSON_COMPACT);
out:
	json_decref(arr);
	return out;
}
