/*
 * announce: see announce.h.  The schedule is the pure tiers module; this
 * file turns its jobs into HTTP or UDP requests, feeds the answers back,
 * and keeps one timer: the next due announce, or the bound of a stop.
 *
 * Callbacks to the user may free the client: depth counts how deep we are
 * in them, and the memory goes only at depth 0 once the timer is closed.
 */
#include "bt/announce.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define LOG_TAG "announce"
#include "base/log.h"
#include "bt/announce_http.h"
#include "bt/announce_udp.h"
#include "bt/peer_id.h"
#include "bt/tiers.h"

enum job_kind {
	JOB_TIERS,	/* scheduled by tiers */
	JOB_EVERY,	/* diagnostic: every tracker once */
	JOB_SCRAPE,
	JOB_STOP,
};

struct job {
	struct announce			*a;
	struct job			*next;
	enum job_kind			 kind;
	struct tiers_job		 tj;
	struct announce_http_xfer	*hx;	/* one of these two */
	struct announce_udp_xfer	*ux;
	uint64_t			 start_ms;
};

struct tracker_id {
	uint8_t	*id;	/* owned */
	size_t	 len;
};

struct announce {
	uv_loop_t			*loop;	/* borrowed */
	struct announce_config		 cfg;	/* bind_addr, peer_id: NULL */
	struct announce_xfer_opts	 opts;
	struct announce_callbacks	 cbs;
	uint8_t				 info_hash[20];
	uint8_t				 peer_id[20];
	uint32_t			 key;
	uint64_t			 uploaded;
	uint64_t			 downloaded;
	uint64_t			 left;
	struct tiers			*tiers;	/* owned */
	struct tracker_id		*tids;	/* owned, by tracker id */
	struct announce_http		*http;	/* owned */
	struct announce_udp		*udp;	/* owned */
	uv_timer_t			 timer;
	bool				 timer_closed;
	struct job			*jobs;	/* in flight */
	bool				 every_pending;
	bool				 scrape_pending;
	bool				 running;
	bool				 stopping;
	uint32_t			 stops_left;
	void				(*done)(void *);
	void				*done_arg;
	unsigned			 depth;
	bool				 freeing;
	uv_thread_t			 owner;	/* the loop's thread */
};

/* Network thread only (DESIGN.md "Threads"): checked in debug builds. */
#define ASSERT_LOOP_THREAD(a)                                                 \
	do {                                                                  \
		uv_thread_t self_ = uv_thread_self();                         \
		assert(uv_thread_equal(&(a)->owner, &self_));                 \
		(void)self_;                                                  \
	} while (0)

static void	on_xfer_done(void *, struct announce_xfer_result *);
static void	schedule(struct announce *);

static void
maybe_release(struct announce *a)
{
	if (!a->freeing || a->depth > 0 || !a->timer_closed)
		return;
	if (a->tids) {
		for (uint32_t i = 0; i < tiers_count(a->tiers); i++)
			free(a->tids[i].id);
		free(a->tids);
	}
	tiers_free(a->tiers);
	free(a);
}

static void
job_unlink(struct job *j)
{
	for (struct job **pp = &j->a->jobs; *pp; pp = &(*pp)->next) {
		if (*pp == j) {
			*pp = j->next;
			return;
		}
	}
}

static void
job_cancel(struct job *j)
{
	job_unlink(j);
	if (j->hx)
		announce_http_cancel(j->hx);
	if (j->ux)
		announce_udp_cancel(j->ux);
	free(j);
}

static void
cancel_jobs(struct announce *a, bool all)
{
	struct job *j = a->jobs, *next;

	for (; j; j = next) {
		next = j->next;
		if (all || j->kind != JOB_STOP)
			job_cancel(j);
	}
}

static void
report(struct announce *a, const struct job *j, int rc,
    const struct tracker_error *err, const struct tracker_resp *resp,
    const struct tracker_scrape *counts)
{
	struct announce_report r = {
		.url = j->tj.url, .tier = j->tj.tier,
		.scrape = j->kind == JOB_SCRAPE, .event = j->tj.event,
		.rc = rc, .err = err, .resp = resp, .counts = counts,
		.elapsed_ms = uv_now(a->loop) - j->start_ms,
	};

	if (a->cbs.on_report && !a->freeing)
		a->cbs.on_report(a->cbs.arg, &r);
}

/* Start j's request; on failure it is reported and given back. */
static int
job_start(struct announce *a, struct job *j)
{
	struct tracker_id *tid = &a->tids[j->tj.id];
	struct tracker_req req = {
		.port = a->cfg.port, .uploaded = a->uploaded,
		.downloaded = a->downloaded, .left = a->left,
		.event = j->tj.event, .numwant = a->cfg.numwant, .key = a->key,
		.tracker_id = tid->id, .tracker_id_len = tid->len,
	};
	enum announce_xfer_kind kind = j->kind == JOB_SCRAPE ?
	    ANNOUNCE_XFER_SCRAPE : ANNOUNCE_XFER_ANNOUNCE;
	uint32_t timeout = a->cfg.timeout_ms;
	struct tracker_error err = {0};
	int rc;

	memcpy(req.info_hash, a->info_hash, 20);
	memcpy(req.peer_id, a->peer_id, 20);
	if (j->kind == JOB_STOP)
		req.numwant = 0;
	j->start_ms = uv_now(a->loop);
	if (strncmp(j->tj.url, "udp://", 6) == 0)
		rc = announce_udp_start(a->udp, j->tj.url, kind, &req, timeout,
		    on_xfer_done, j, &j->ux, &err);
	else if (strncmp(j->tj.url, "http://", 7) == 0 ||
	    strncmp(j->tj.url, "https://", 8) == 0)
		rc = announce_http_start(a->http, j->tj.url, kind, &req,
		    timeout, on_xfer_done, j, &j->hx, &err);
	else
		rc = tracker_error_set(&err, -EPROTONOSUPPORT, TRACKER_E_URL,
		    "unsupported scheme (http, https and udp only)");
	if (rc == 0) {
		j->next = a->jobs;
		a->jobs = j;
		return 0;
	}
	log_warn("tracker %s: %s: %s", j->tj.url, tracker_strerror(err.code),
	    err.msg);
	/* Not from inside announce_stop(): callbacks never run in a call. */
	if (j->kind != JOB_STOP)
		report(a, j, rc, &err, NULL, NULL);
	return rc;
}

static struct job *
job_new(struct announce *a, enum job_kind kind, const struct tiers_job *tj)
{
	struct job *j = calloc(1, sizeof(*j));

	if (j) {
		j->a = a;
		j->kind = kind;
		j->tj = *tj;
	}
	return j;
}

static void
stop_finish(struct announce *a)
{
	void (*done)(void *) = a->done;
	struct tracker_error err;

	uv_timer_stop(&a->timer);
	tracker_error_set(&err, -ETIMEDOUT, TRACKER_E_TIMEOUT,
	    "no answer to \"stopped\" within the stop bound");
	for (struct job *j = a->jobs; j && !a->freeing; j = j->next) {
		if (j->kind != JOB_STOP)
			continue;
		log_warn("tracker %s: %s", j->tj.url, err.msg);
		report(a, j, -ETIMEDOUT, &err, NULL, NULL);
		if (a->freeing)
			break;	/* the callback freed every job */
	}
	cancel_jobs(a, true);
	a->done = NULL;
	if (done && !a->freeing)
		done(a->done_arg);
}

static void
keep_tracker_id(struct announce *a, uint32_t id, struct tracker_resp *resp)
{
	struct tracker_id *t = &a->tids[id];

	if (!resp->tracker_id)
		return;
	free(t->id);
	t->id = resp->tracker_id;	/* moved */
	t->len = resp->tracker_id_len;
	resp->tracker_id = NULL;
	resp->tracker_id_len = 0;
}

static void
log_answer(const struct job *j, const struct tracker_resp *r)
{
	char esc[TRACKER_MAX_WARNING * 4 + 8];

	if (r->warning)
		log_warn("tracker %s: warning: %s", j->tj.url,
		    log_escape(r->warning, strlen(r->warning), esc,
		    sizeof(esc)));
	if (r->flags & TRACKER_F_INTERVAL_CLAMPED)
		log_info("tracker %s: interval clamped to %u s", j->tj.url,
		    r->interval);
	if (r->flags & TRACKER_F_PEERS_CAPPED)
		log_info("tracker %s: peer list capped at %u", j->tj.url,
		    TRACKER_MAX_PEERS);
	if (r->flags & TRACKER_F_PEERS_DROPPED)
		log_info("tracker %s: %u unusable peers dropped", j->tj.url,
		    r->dropped);
	log_debug("tracker %s: %u peers, interval %u s", j->tj.url, r->npeers,
	    r->interval);
}

static void
on_xfer_done(void *arg, struct announce_xfer_result *res)
{
	struct job *j = arg;
	struct announce *a = j->a;
	uint64_t now = uv_now(a->loop);
	struct tracker_resp *r = &res->resp;

	job_unlink(j);
	a->depth++;
	if (res->rc < 0)
		log_warn("tracker %s: %s%s%s: %s", j->tj.url,
		    j->kind == JOB_SCRAPE ? "scrape: " : "",
		    tracker_strerror(res->err.code),
		    res->err.code == TRACKER_E_FAILURE ? " with" : "",
		    res->err.msg);
	else if (j->kind != JOB_SCRAPE)
		log_answer(j, r);
	switch (j->kind) {
	case JOB_TIERS:
		if (res->rc < 0) {
			tiers_on_failure(a->tiers, &j->tj, now);
			break;
		}
		keep_tracker_id(a, j->tj.id, r);
		tiers_on_success(a->tiers, &j->tj, r->interval,
		    r->min_interval, now);
		break;
	case JOB_EVERY:
		if (res->rc < 0)
			break;
		keep_tracker_id(a, j->tj.id, r);
		tiers_set_started(a->tiers, j->tj.id);
		break;
	default:
		break;
	}
	if (res->rc == 0 && j->kind != JOB_SCRAPE && j->kind != JOB_STOP &&
	    r->npeers > 0 && a->cbs.on_peers && !a->stopping && !a->freeing)
		a->cbs.on_peers(a->cbs.arg, r->peers, r->npeers);
	report(a, j, res->rc, res->rc < 0 ? &res->err : NULL,
	    res->rc == 0 && j->kind != JOB_SCRAPE ? r : NULL,
	    res->rc == 0 && j->kind == JOB_SCRAPE ? &res->scrape : NULL);
	if (j->kind == JOB_STOP && --a->stops_left == 0 && !a->freeing)
		stop_finish(a);
	free(j);
	if (!a->freeing)
		schedule(a);
	a->depth--;
	maybe_release(a);
}

static void
on_timer(uv_timer_t *t)
{
	struct announce *a = t->data;

	a->depth++;
	if (a->stopping)
		stop_finish(a);	/* the bound passed */
	else
		schedule(a);
	a->depth--;
	maybe_release(a);
}

/* Start whatever is due, then sleep until the next due time. */
static void
schedule(struct announce *a)
{
	struct tiers_job tj;
	uint64_t now, due;

	if (a->stopping || a->freeing || !a->running)
		return;
	now = uv_now(a->loop);
	for (uint32_t i = 0; a->every_pending && tiers_get(a->tiers, i, &tj);
	    i++) {
		struct job *j = job_new(a, JOB_EVERY, &tj);

		if (!j || job_start(a, j) < 0)
			free(j);
	}
	a->every_pending = false;
	for (uint32_t i = 0; a->scrape_pending && tiers_get(a->tiers, i, &tj);
	    i++) {
		struct job *j;

		tj.event = TRACKER_EV_NONE;
		j = job_new(a, JOB_SCRAPE, &tj);
		if (!j || job_start(a, j) < 0)
			free(j);
	}
	a->scrape_pending = false;
	if (a->cfg.every_tracker)
		return;
	while (!a->freeing && tiers_next(a->tiers, now, &tj)) {
		struct job *j = job_new(a, JOB_TIERS, &tj);

		if (j && job_start(a, j) == 0)
			continue;
		free(j);
		tiers_on_failure(a->tiers, &tj, now);
	}
	due = tiers_next_due(a->tiers);
	if (due != UINT64_MAX && !a->freeing)
		uv_timer_start(&a->timer, on_timer, due > now ? due - now : 0,
		    0);
}

int
announce_new(uv_loop_t *loop, const struct announce_config *cfg,
    const struct metainfo *m, const struct announce_callbacks *cbs,
    struct announce **out)
{
	struct announce *a = calloc(1, sizeof(*a));
	struct tiers_config tc = {0};
	int rc = -ENOMEM;

	if (!a)
		return -ENOMEM;
	a->loop = loop;
	a->owner = uv_thread_self();
	a->cfg = *cfg;
	a->cfg.bind_addr = NULL;
	a->cfg.peer_id = NULL;
	a->cbs = *cbs;
	a->left = cfg->left;
	a->timer_closed = true;
	if (a->cfg.numwant == 0)
		a->cfg.numwant = ANNOUNCE_NUMWANT;
	if (a->cfg.timeout_ms == 0)
		a->cfg.timeout_ms = ANNOUNCE_TIMEOUT_MS;
	if (cfg->bind_addr &&
	    strlen(cfg->bind_addr) >= sizeof(a->opts.bind_addr)) {
		rc = -EINVAL;
		goto fail;
	}
	if (cfg->bind_addr)
		strcpy(a->opts.bind_addr, cfg->bind_addr);
	a->opts.connect_timeout_ms = cfg->connect_timeout_ms ?
	    cfg->connect_timeout_ms : ANNOUNCE_CONNECT_TIMEOUT_MS;
	a->opts.udp_retry_base_ms = cfg->udp_retry_base_ms;
	a->opts.udp_max_shift = cfg->udp_max_shift;
	memcpy(a->info_hash, m->info_hash, 20);
	if (cfg->peer_id)
		memcpy(a->peer_id, cfg->peer_id, 20);
	else if ((rc = peer_id_make(a->peer_id)) < 0)
		goto fail;
	if ((rc = peer_id_random(&a->key, sizeof(a->key))) < 0)
		goto fail;
	tc.one_at_a_time = cfg->one_at_a_time || m->is_private;
	tc.backoff_base_ms = cfg->backoff_base_ms;
	tc.backoff_max_ms = cfg->backoff_max_ms;
	tc.seed = cfg->seed;
	if (tc.seed == 0 && (rc = peer_id_random(&tc.seed,
	    sizeof(tc.seed))) < 0)
		goto fail;
	rc = -EINVAL;
	a->tiers = tiers_new(m->tiers, m->ntiers, &tc);
	if (!a->tiers)
		goto fail;
	rc = -ENOMEM;
	a->tids = calloc(tiers_count(a->tiers), sizeof(*a->tids));
	if (!a->tids)
		goto fail;
	if ((rc = announce_http_new(loop, &a->opts, &a->http)) < 0)
		goto fail;
	if ((rc = announce_udp_new(loop, &a->opts, &a->udp)) < 0)
		goto fail;
	uv_timer_init(loop, &a->timer);
	a->timer.data = a;
	a->timer_closed = false;
	*out = a;
	return 0;
fail:
	announce_http_free(a->http);
	free(a->tids);
	a->tids = NULL;
	tiers_free(a->tiers);
	free(a);
	return rc;
}

uint32_t
announce_tracker_count(const struct announce *a)
{
	return tiers_count(a->tiers);
}

static void
kick(struct announce *a)
{
	if (!a->stopping && !a->freeing)
		uv_timer_start(&a->timer, on_timer, 0, 0);
}

void
announce_start(struct announce *a)
{
	ASSERT_LOOP_THREAD(a);
	a->running = true;
	if (a->cfg.every_tracker)
		a->every_pending = true;
	kick(a);
}

void
announce_set_stats(struct announce *a, uint64_t uploaded, uint64_t downloaded,
    uint64_t left)
{
	ASSERT_LOOP_THREAD(a);
	a->uploaded = uploaded;
	a->downloaded = downloaded;
	a->left = left;
}

void
announce_completed(struct announce *a)
{
	ASSERT_LOOP_THREAD(a);
	a->left = 0;
	tiers_set_completed(a->tiers, uv_now(a->loop));
	kick(a);
}

void
announce_want_peers(struct announce *a)
{
	ASSERT_LOOP_THREAD(a);
	if (a->stopping || a->freeing || !a->running)
		return;
	if (tiers_want_peers(a->tiers, ANNOUNCE_WANT_PEERS_S,
	    uv_now(a->loop))) {
		log_debug("no peers: announcing again sooner (next in %llu ms)",
		    (unsigned long long)(tiers_next_due(a->tiers) -
		    uv_now(a->loop)));
		kick(a);
	}
}

void
announce_scrape(struct announce *a)
{
	ASSERT_LOOP_THREAD(a);
	a->scrape_pending = true;
	kick(a);
}

void
announce_stop(struct announce *a, uint32_t bound_ms, void (*done)(void *),
    void *arg)
{
	struct tiers_job tj[META_MAX_URLS];
	uint32_t n;

	ASSERT_LOOP_THREAD(a);
	if (a->stopping || a->freeing)
		return;
	a->stopping = true;
	a->done = done;
	a->done_arg = arg;
	cancel_jobs(a, true);
	uv_timer_stop(&a->timer);
	n = tiers_stop_jobs(a->tiers, tj, META_MAX_URLS);
	/* The bound cuts the requests: it alone decides, so no race. */
	a->cfg.timeout_ms = bound_ms + 1000;
	a->stops_left = 0;
	a->depth++;
	for (uint32_t i = 0; i < n; i++) {
		struct job *j = job_new(a, JOB_STOP, &tj[i]);

		if (j && job_start(a, j) == 0)
			a->stops_left++;
		else
			free(j);
	}
	a->depth--;
	/* done runs from the timer: never inside this call. */
	uv_timer_start(&a->timer, on_timer, a->stops_left ? bound_ms : 0, 0);
}

static void
on_timer_closed(uv_handle_t *h)
{
	struct announce *a = h->data;

	a->timer_closed = true;
	maybe_release(a);
}

void
announce_free(struct announce *a)
{
	if (!a || a->freeing)
		return;
	ASSERT_LOOP_THREAD(a);
	a->freeing = true;
	cancel_jobs(a, true);
	announce_http_free(a->http);
	a->http = NULL;
	announce_udp_free(a->udp);
	a->udp = NULL;
	uv_timer_stop(&a->timer);
	uv_close((uv_handle_t *)&a->timer, on_timer_closed);
}
