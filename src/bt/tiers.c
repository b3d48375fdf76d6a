/*
 * tiers: see tiers.h.  Trackers live in one array in tier order; a tier is
 * a range of it, a group is a range of tiers.  Promotion rotates a tier's
 * range, so trackers are found by their stable id.
 */
#include "bt/tiers.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "base/rng.h"

#define TIERS_BACKOFF_BASE_MS	15000u
#define TIERS_BACKOFF_MAX_MS	1800000u
#define TIERS_BACKOFF_SHIFT_MAX	16u

struct trk {
	uint32_t	 id;
	uint32_t	 tier;
	char		*url;		/* owned */
	bool		 started;	/* accepted a "started": owes "stopped" */
};

struct tier {
	uint32_t	first;	/* range in trks[] */
	uint32_t	n;
};

struct group {
	uint32_t	first;	/* range in trks[] (whole tiers) */
	uint32_t	n;
	uint32_t	cursor;		/* offset of the tracker in use */
	uint32_t	round_fails;	/* failures in a row */
	uint32_t	backoffs;	/* full rounds failed in a row */
	uint64_t	due_ms;
	uint64_t	ok_ms;		/* last answer (when answered) */
	uint32_t	min_s;		/* its min interval, 0: none */
	bool		answered;	/* since the last failure */
	bool		busy;
	bool		completed;	/* owes a "completed" */
};

struct tiers {
	struct trk	*trks;	/* owned */
	uint32_t	 ntrks;
	struct tier	*tiers;	/* owned */
	uint32_t	 ntiers;
	struct group	*groups;	/* owned */
	uint32_t	 ngroups;
	uint32_t	 backoff_base_ms;
	uint32_t	 backoff_max_ms;
};

static void
shuffle(struct trk *t, uint32_t n, uint64_t *seed)
{
	for (uint32_t i = n; i > 1; i--) {
		uint32_t j = rng_below(seed, i);
		struct trk tmp = t[i - 1];

		t[i - 1] = t[j];
		t[j] = tmp;
	}
}

void
tiers_free(struct tiers *t)
{
	if (!t)
		return;
	for (uint32_t i = 0; i < t->ntrks; i++)
		free(t->trks[i].url);
	free(t->trks);
	free(t->tiers);
	free(t->groups);
	free(t);
}

struct tiers *
tiers_new(const struct meta_tier *mt, uint32_t ntiers,
    const struct tiers_config *cfg)
{
	struct tiers *t = calloc(1, sizeof(*t));
	uint64_t seed = cfg->seed;
	uint32_t total = 0;

	if (!t)
		return NULL;
	t->backoff_base_ms = cfg->backoff_base_ms ? cfg->backoff_base_ms :
	    TIERS_BACKOFF_BASE_MS;
	t->backoff_max_ms = cfg->backoff_max_ms ? cfg->backoff_max_ms :
	    TIERS_BACKOFF_MAX_MS;
	for (uint32_t i = 0; i < ntiers; i++) {
		if (mt[i].nurls > META_MAX_URLS - total)
			goto fail;
		total += mt[i].nurls;
	}
	if (total == 0)
		goto fail;
	t->trks = calloc(total, sizeof(*t->trks));
	t->tiers = calloc(ntiers, sizeof(*t->tiers));
	t->groups = calloc(ntiers, sizeof(*t->groups));
	if (!t->trks || !t->tiers || !t->groups)
		goto fail;
	for (uint32_t i = 0; i < ntiers; i++) {
		struct tier *ti;

		if (mt[i].nurls == 0)
			continue;
		ti = &t->tiers[t->ntiers];
		ti->first = t->ntrks;
		ti->n = mt[i].nurls;
		for (uint32_t j = 0; j < mt[i].nurls; j++) {
			struct trk *k = &t->trks[t->ntrks];

			k->id = t->ntrks;
			k->tier = t->ntiers;
			k->url = strdup(mt[i].urls[j]);
			if (!k->url)
				goto fail;
			t->ntrks++;
		}
		shuffle(&t->trks[ti->first], ti->n, &seed);
		t->ntiers++;
	}
	if (cfg->one_at_a_time) {
		t->groups[0].first = 0;
		t->groups[0].n = t->ntrks;
		t->ngroups = 1;
	} else {
		for (uint32_t i = 0; i < t->ntiers; i++) {
			t->groups[i].first = t->tiers[i].first;
			t->groups[i].n = t->tiers[i].n;
		}
		t->ngroups = t->ntiers;
	}
	return t;
fail:
	tiers_free(t);
	return NULL;
}

uint32_t
tiers_count(const struct tiers *t)
{
	return t->ntrks;
}

static uint32_t
find(const struct tiers *t, uint32_t id)
{
	for (uint32_t i = 0; i < t->ntrks; i++)
		if (t->trks[i].id == id)
			return i;
	return UINT32_MAX;
}

static struct group *
group_of(struct tiers *t, uint32_t idx)
{
	for (uint32_t g = 0; g < t->ngroups; g++)
		if (idx >= t->groups[g].first &&
		    idx < t->groups[g].first + t->groups[g].n)
			return &t->groups[g];
	return NULL;
}

bool
tiers_next(struct tiers *t, uint64_t now_ms, struct tiers_job *out)
{
	for (uint32_t i = 0; i < t->ngroups; i++) {
		struct group *g = &t->groups[i];
		struct trk *k;

		if (g->busy || g->due_ms > now_ms)
			continue;
		k = &t->trks[g->first + g->cursor];
		g->busy = true;
		out->id = k->id;
		out->tier = k->tier;
		out->url = k->url;
		if (!k->started)
			out->event = TRACKER_EV_STARTED;
		else if (g->completed)
			out->event = TRACKER_EV_COMPLETED;
		else
			out->event = TRACKER_EV_NONE;
		return true;
	}
	return false;
}

uint64_t
tiers_next_due(const struct tiers *t)
{
	uint64_t due = UINT64_MAX;

	for (uint32_t i = 0; i < t->ngroups; i++)
		if (!t->groups[i].busy && t->groups[i].due_ms < due)
			due = t->groups[i].due_ms;
	return due;
}

/* Move trks[idx] to the front of its tier; returns its new index. */
static uint32_t
promote(struct tiers *t, uint32_t idx)
{
	uint32_t first = t->tiers[t->trks[idx].tier].first;
	struct trk k = t->trks[idx];

	memmove(&t->trks[first + 1], &t->trks[first],
	    (idx - first) * sizeof(*t->trks));
	t->trks[first] = k;
	return first;
}

void
tiers_on_success(struct tiers *t, const struct tiers_job *job,
    uint32_t interval_s, uint32_t min_interval_s, uint64_t now_ms)
{
	uint32_t idx = find(t, job->id);
	struct group *g;
	uint32_t wait_s;

	assert(idx != UINT32_MAX);
	g = group_of(t, idx);
	assert(g && g->busy);
	if (job->event == TRACKER_EV_STARTED ||
	    job->event == TRACKER_EV_COMPLETED) {
		t->trks[idx].started = true;
		g->completed = false;
	}
	idx = promote(t, idx);
	g->cursor = idx - g->first;
	g->busy = false;
	g->round_fails = 0;
	g->backoffs = 0;
	wait_s = interval_s > min_interval_s ? interval_s : min_interval_s;
	g->due_ms = now_ms + (uint64_t)wait_s * 1000u;
	g->ok_ms = now_ms;
	g->min_s = min_interval_s;
	g->answered = true;
	/* Completed while this announce was out: say so at once. */
	if (g->completed)
		g->due_ms = now_ms;
}

void
tiers_on_failure(struct tiers *t, const struct tiers_job *job,
    uint64_t now_ms)
{
	uint32_t idx = find(t, job->id);
	struct group *g;

	assert(idx != UINT32_MAX);
	g = group_of(t, idx);
	assert(g && g->busy);
	g->busy = false;
	g->answered = false;
	g->cursor = (g->cursor + 1) % g->n;
	if (++g->round_fails < g->n) {
		g->due_ms = now_ms;	/* fail over at once */
		return;
	}
	/* A whole round failed: start again from the group's first. */
	uint32_t shift = g->backoffs < TIERS_BACKOFF_SHIFT_MAX ? g->backoffs :
	    TIERS_BACKOFF_SHIFT_MAX;
	uint64_t wait = (uint64_t)t->backoff_base_ms << shift;

	if (wait > t->backoff_max_ms)
		wait = t->backoff_max_ms;
	g->round_fails = 0;
	g->cursor = 0;
	g->backoffs++;
	g->due_ms = now_ms + wait;
}

void
tiers_set_completed(struct tiers *t, uint64_t now_ms)
{
	for (uint32_t i = 0; i < t->ngroups; i++) {
		t->groups[i].completed = true;
		if (!t->groups[i].busy)
			t->groups[i].due_ms = now_ms;
	}
}

bool
tiers_want_peers(struct tiers *t, uint32_t floor_s, uint64_t now_ms)
{
	bool sooner = false;

	for (uint32_t i = 0; i < t->ngroups; i++) {
		struct group *g = &t->groups[i];
		uint32_t wait_s = g->min_s > floor_s ? g->min_s : floor_s;
		uint64_t at = g->ok_ms + (uint64_t)wait_s * 1000u;

		/* Busy, failing (its backoff rules) or due sooner anyway. */
		if (g->busy || !g->answered || at >= g->due_ms)
			continue;
		g->due_ms = at > now_ms ? at : now_ms;
		sooner = true;
	}
	return sooner;
}

uint32_t
tiers_stop_jobs(const struct tiers *t, struct tiers_job *out, uint32_t max)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < t->ntrks && n < max; i++) {
		if (!t->trks[i].started)
			continue;
		out[n].id = t->trks[i].id;
		out[n].tier = t->trks[i].tier;
		out[n].url = t->trks[i].url;
		out[n].event = TRACKER_EV_STOPPED;
		n++;
	}
	return n;
}

uint32_t
tiers_pos(const struct tiers *t, uint32_t id)
{
	uint32_t idx = find(t, id);

	if (idx == UINT32_MAX)
		return UINT32_MAX;
	return idx - t->tiers[t->trks[idx].tier].first;
}

bool
tiers_get(const struct tiers *t, uint32_t i, struct tiers_job *out)
{
	if (i >= t->ntrks)
		return false;
	out->id = t->trks[i].id;
	out->tier = t->trks[i].tier;
	out->url = t->trks[i].url;
	out->event = t->trks[i].started ? TRACKER_EV_NONE :
	    TRACKER_EV_STARTED;
	return true;
}

void
tiers_set_started(struct tiers *t, uint32_t id)
{
	uint32_t idx = find(t, id);

	if (idx != UINT32_MAX)
		t->trks[idx].started = true;
}
