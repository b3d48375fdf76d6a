/*
 * http_catalog: the catalog's HTTP routes: index page, JSON list, .torrent
 * files, admin upload and delete.  MHD threads.
 *
 * Credentials: basic auth is checked before any of the body is read, so a
 * refused upload costs the server nothing; over plain HTTP it is refused
 * unless the client is on loopback or --allow-plain-auth is set (the
 * password would cross the LAN in clear).
 */
#define LOG_TAG "catalog"
#include "tracker/http_req.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "base/bytes.h"
#include "base/log.h"
#include "tracker/catalog_view.h"

#define REALM	"vtfs-tracker"

enum MHD_Result
http_respond_json_error(struct MHD_Connection *c, unsigned status,
    const char *msg)
{
	char *s;
	json_t *o = json_pack("{s:s}", "error", msg);

	s = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (s == NULL)
		return MHD_NO;
	return http_respond(c, status, "application/json", s, strlen(s),
	    true);
}

/* Entries and their swarm counts; free both with free_snapshot(). */
static int
snapshot(struct http_listener *l, struct catalog_entry **e,
    struct swarm_counts **counts, size_t *n)
{
	int rc = catalog_list(l->t->catalog, e, n);

	if (rc < 0)
		return rc;
	*counts = calloc(*n ? *n : 1, sizeof(**counts));
	if (*counts == NULL) {
		catalog_list_free(*e, *n);
		return -ENOMEM;
	}
	for (size_t i = 0; i < *n; i++)
		swarm_scrape(l->t->swarm, (*e)[i].info_hash, &(*counts)[i]);
	return 0;
}

enum MHD_Result
http_catalog_index(struct http_listener *l, struct MHD_Connection *c)
{
	struct catalog_entry *e;
	struct swarm_counts *counts;
	struct buf b;
	size_t n, len;
	uint8_t *data;

	if (snapshot(l, &e, &counts, &n) < 0)
		return MHD_NO;
	buf_init(&b, (size_t)256 << 20);
	view_html_index(&b, e, counts, n);
	catalog_list_free(e, n);
	free(counts);
	if (buf_error(&b) != 0) {
		buf_fini(&b);
		return MHD_NO;
	}
	data = buf_steal(&b, &len);
	return http_respond(c, MHD_HTTP_OK, "text/html; charset=utf-8", data,
	    len, true);
}

enum MHD_Result
http_catalog_json(struct http_listener *l, struct MHD_Connection *c)
{
	struct catalog_entry *e;
	struct swarm_counts *counts;
	size_t n;
	char *s;

	if (snapshot(l, &e, &counts, &n) < 0)
		return MHD_NO;
	s = view_json_list(e, counts, n);
	catalog_list_free(e, n);
	free(counts);
	if (s == NULL)
		return MHD_NO;
	return http_respond(c, MHD_HTTP_OK, "application/json", s, strlen(s),
	    true);
}

enum MHD_Result
http_catalog_file(struct http_listener *l, struct MHD_Connection *c,
    const char *name)
{
	char path[4096];
	struct MHD_Response *r;
	enum MHD_Result rc;
	struct stat st;
	int fd;

	if (catalog_file_path(l->t->catalog, name, path, sizeof(path)) < 0)
		return http_respond_text(c, MHD_HTTP_NOT_FOUND, "not found\n");
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return http_respond_text(c, MHD_HTTP_NOT_FOUND, "not found\n");
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return http_respond_text(c, MHD_HTTP_NOT_FOUND, "not found\n");
	}
	r = MHD_create_response_from_fd((size_t)st.st_size, fd);
	if (r == NULL) {
		close(fd);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
	    "application/x-bittorrent");
	rc = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return rc;
}

static enum MHD_Result
deny_auth(struct MHD_Connection *c, const char *msg)
{
	struct MHD_Response *r;
	enum MHD_Result rc;

	r = MHD_create_response_from_buffer(strlen(msg), (void *)msg,
	    MHD_RESPMEM_PERSISTENT);
	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
	    "text/plain; charset=utf-8");
	rc = MHD_queue_basic_auth_fail_response(c, REALM, r);
	MHD_destroy_response(r);
	return rc;
}

/*
 * Check that the client is an admin.  Returns true, or false after queuing
 * the refusal into *res.
 */
static bool
require_admin(struct http_listener *l, struct MHD_Connection *c,
    enum MHD_Result *res)
{
	char *user, *pass = NULL;
	bool admin = false, ok;

	if (!l->tls && !l->t->allow_plain_auth &&
	    !http_client_is_loopback(c)) {
		*res = http_respond_text(c, MHD_HTTP_FORBIDDEN,
		    "credentials are refused over plain HTTP: use the HTTPS "
		    "listener\n");
		return false;
	}
	user = MHD_basic_auth_get_username_password(c, &pass);
	if (user == NULL || pass == NULL) {
		if (user != NULL)
			MHD_free(user);
		*res = deny_auth(c, "authentication required\n");
		return false;
	}
	ok = auth_check(l->t->auth, user, pass, &admin) == 0 && admin;
	if (!ok) {
		char esc[128];

		log_warn("refused publishing credentials for user \"%s\"",
		    log_escape(user, strlen(user), esc, sizeof(esc)));
	}
	MHD_free(user);
	explicit_bzero(pass, strlen(pass));
	MHD_free(pass);
	if (!ok) {
		*res = deny_auth(c, "bad credentials, or not an admin\n");
		return false;
	}
	return true;
}

static enum MHD_Result
on_post_field(void *cls, enum MHD_ValueKind kind, const char *key,
    const char *filename, const char *content_type,
    const char *transfer_encoding, const char *data, uint64_t off,
    size_t size)
{
	struct http_req *r = cls;

	if (r->file_done)
		return MHD_YES;
	if (r->in_file && strcmp(key, r->field) != 0) {
		r->file_done = true;
		return MHD_YES;
	}
	if (!r->in_file) {
		if (filename == NULL && strcmp(key, "torrent") != 0)
			return MHD_YES;
		snprintf(r->field, sizeof(r->field), "%s", key);
		r->in_file = true;
	}
	if (buf_append(&r->body, data, size) < 0)
		r->too_big = true;
	return MHD_YES;
}

static enum MHD_Result
upload_start(struct http_listener *l, struct MHD_Connection *c,
    struct http_req *r)
{
	const char *ctype, *clen;
	enum MHD_Result res;

	if (!require_admin(l, c, &res))
		return res;
	clen = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (clen != NULL && strtoull(clen, NULL, 10) > HTTP_MAX_BODY)
		return http_respond_json_error(c,
		    MHD_HTTP_CONTENT_TOO_LARGE, "torrent too large");
	ctype = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_CONTENT_TYPE);
	if (ctype != NULL && strncasecmp(ctype, "multipart/form-data",
	    19) == 0) {
		r->multipart = true;
		r->pp = MHD_create_post_processor(c, 64 * 1024, on_post_field,
		    r);
		if (r->pp == NULL)
			return http_respond_json_error(c,
			    MHD_HTTP_BAD_REQUEST, "bad multipart body");
	}
	return MHD_YES;
}

static enum MHD_Result
upload_finish(struct http_listener *l, struct MHD_Connection *c,
    struct http_req *r)
{
	char name[CATALOG_MAX_NAME + 1], hex[41], url[CATALOG_MAX_NAME + 16];
	struct meta_error merr;
	bool existed = false;
	json_t *o;
	char *s;
	int rc;

	if (r->too_big)
		return http_respond_json_error(c, MHD_HTTP_CONTENT_TOO_LARGE,
		    "torrent too large");
	if (r->bad_body)
		return http_respond_json_error(c, MHD_HTTP_BAD_REQUEST,
		    "malformed multipart body");
	if (r->body.len == 0)
		return http_respond_json_error(c, MHD_HTTP_BAD_REQUEST,
		    "no torrent in the request body");
	memset(&merr, 0, sizeof(merr));
	rc = catalog_add(l->t->catalog, r->body.data, r->body.len, name,
	    &existed, &merr);
	if (rc == -EBADMSG || rc == -E2BIG || rc == -ERANGE ||
	    rc == -ENOTSUP) {
		char esc[300], msg[400];

		log_escape(merr.msg, strlen(merr.msg), esc, sizeof(esc));
		snprintf(msg, sizeof(msg), "invalid torrent: %s", esc);
		log_warn("upload refused: %s", msg);
		return http_respond_json_error(c, MHD_HTTP_BAD_REQUEST, msg);
	}
	if (rc == -ENOSPC)
		return http_respond_json_error(c,
		    MHD_HTTP_INSUFFICIENT_STORAGE, "catalog full");
	if (rc < 0) {
		log_error("storing an upload failed: %s", strerror(-rc));
		return http_respond_json_error(c,
		    MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot store torrent");
	}
	{
		struct catalog_entry *e;
		size_t n;

		/* Fetch the info-hash back by name for the reply. */
		memset(hex, 0, sizeof(hex));
		if (catalog_list(l->t->catalog, &e, &n) == 0) {
			for (size_t i = 0; i < n; i++)
				if (strcmp(e[i].name, name) == 0)
					hex_encode(e[i].info_hash, 20, hex);
			catalog_list_free(e, n);
		}
	}
	if (!existed)
		log_info("published %s (%s)", name, hex);
	snprintf(url, sizeof(url), "/t/%s.torrent", name);
	o = json_pack("{s:s, s:s, s:s, s:b}", "name", name, "info_hash", hex,
	    "url", url, "existed", existed);
	s = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (s == NULL)
		return MHD_NO;
	return http_respond(c, existed ? MHD_HTTP_OK : MHD_HTTP_CREATED,
	    "application/json", s, strlen(s), true);
}

enum MHD_Result
http_catalog_upload(struct http_listener *l, struct MHD_Connection *c,
    struct http_req *r, const char *data, size_t *size)
{
	if (!r->upload_begun) {
		r->upload_begun = true;
		return upload_start(l, c, r);
	}
	if (*size > 0) {
		if (r->pp != NULL) {
			if (MHD_post_process(r->pp, data, *size) != MHD_YES)
				r->bad_body = true;
		} else if (buf_append(&r->body, data, *size) < 0) {
			r->too_big = true;
		}
		*size = 0;
		return MHD_YES;
	}
	return upload_finish(l, c, r);
}

enum MHD_Result
http_catalog_delete(struct http_listener *l, struct MHD_Connection *c,
    const char *name)
{
	enum MHD_Result res;
	int rc;

	if (!require_admin(l, c, &res))
		return res;
	rc = catalog_remove(l->t->catalog, name);
	if (rc == -ENOENT)
		return http_respond_json_error(c, MHD_HTTP_NOT_FOUND,
		    "no such torrent");
	if (rc < 0)
		return http_respond_json_error(c,
		    MHD_HTTP_INTERNAL_SERVER_ERROR, strerror(-rc));
	log_info("removed %s", name);
	return http_respond(c, MHD_HTTP_OK, "application/json",
	    (void *)"{\"removed\":true}", 16, false);
}
