/*
 * progress: see progress.h.
 *
 * The byte counter is an atomic so that workers never wait on each other;
 * the first caller that finds the bar due (an atomic deadline) and wins a
 * trylock redraws it, the others go on.  The rate comes from base/rate (a
 * sliding window of a few seconds, fed at each redraw), so it follows
 * changes (a download whose peers come and go) without flickering.  The line is
 * formatted under the lock and written after it is released: no lock is
 * held across write(2).
 */
#include "base/progress.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/rate.h"
#include "base/text.h"

#define LINE_MAX_BYTES	512
#define BAR_WIDTH	20

struct progress {
	char		*label;		/* owned */
	bool		 active;
	uint64_t	 start_ns;
	_Atomic uint64_t done;
	_Atomic uint64_t total;
	_Atomic uint64_t next_draw_ns;	/* gate: redraw not before */
	pthread_mutex_t	 lock;
	/* protected by lock: */
	struct rate	 meter;
	double		 rate;		/* bytes/s at the last sample */
	uint64_t	 last_done;	/* done at the last sample */
	char		 extra[PROGRESS_EXTRA_MAX];
	bool		 drawn;		/* a bar is on screen */
};

static void
format_eta(char *out, size_t outsz, double s)
{
	uint64_t t;

	if (s < 0 || s > 99.0 * 3600) {
		snprintf(out, outsz, "--:--");
		return;
	}
	t = (uint64_t)(s + 0.5);
	if (t >= 3600)
		snprintf(out, outsz, "%u:%02u:%02u", (unsigned)(t / 3600),
		    (unsigned)(t / 60 % 60), (unsigned)(t % 60));
	else
		snprintf(out, outsz, "%u:%02u", (unsigned)(t / 60),
		    (unsigned)(t % 60));
}

char *
progress_format(char *out, size_t outsz, size_t width, const char *label,
    uint64_t done, uint64_t total, double rate, const char *extra)
{
	char d[32], t[32], r[32], eta[32], tail[LINE_MAX_BYTES];
	size_t llen, tlen, bar;
	int pct = -1;

	if (outsz == 0)
		return out;
	text_human(d, sizeof(d), (double)done);
	if (total) {
		if (done > total)
			done = total;
		pct = (int)(done * 100.0 / (double)total);
		text_human(t, sizeof(t), (double)total);
	}
	if (rate > 0)
		text_human(r, sizeof(r), rate);
	if (total && rate > 0)
		format_eta(eta, sizeof(eta), (double)(total - done) / rate);
	else
		snprintf(eta, sizeof(eta), "--:--");

	/* Everything after the bar graphic. */
	if (pct >= 0)
		snprintf(tail, sizeof(tail),
		    " %3d%%  %s / %s  %s/s  ETA %s%s%s", pct, d, t,
		    rate > 0 ? r : "-", eta, extra && *extra ? "  " : "",
		    extra ? extra : "");
	else
		snprintf(tail, sizeof(tail), " %s  %s/s%s%s", d,
		    rate > 0 ? r : "-", extra && *extra ? "  " : "",
		    extra ? extra : "");

	llen = strlen(label);
	tlen = strlen(tail);
	/*
	 * "label [####....]tail": a graphic of a fixed width (so that it does
	 * not jump as the numbers change), when there is room for it.
	 */
	bar = 0;
	if (pct >= 0 && width >= llen + tlen + 3 + BAR_WIDTH)
		bar = BAR_WIDTH;
	if (bar) {
		char g[BAR_WIDTH + 1];
		size_t fill = bar * (size_t)pct / 100;

		memset(g, '#', fill);
		memset(g + fill, '.', bar - fill);
		g[bar] = '\0';
		snprintf(out, outsz, "%s [%s]%s", label, g, tail);
	} else {
		snprintf(out, outsz, "%s%s", label, tail);
	}
	if (width > 0 && width < outsz && strlen(out) > width)
		out[width] = '\0';
	return out;
}

struct progress *
progress_new(const char *label, uint64_t total, unsigned flags)
{
	struct progress *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->label = strdup(label ? label : "");
	if (!p->label || pthread_mutex_init(&p->lock, NULL) != 0) {
		free(p->label);
		free(p);
		return NULL;
	}
	p->active = (flags & PROGRESS_FORCE) || isatty(STDERR_FILENO);
	p->start_ns = clock_now_ns();
	/* 100 ms slots (the redraw period): a 2 s window. */
	rate_init(&p->meter, PROGRESS_REDRAW_MS, p->start_ns / 1000000u);
	atomic_init(&p->done, 0);
	atomic_init(&p->total, total);
	atomic_init(&p->next_draw_ns, p->start_ns);
	return p;
}

void
progress_free(struct progress *p)
{
	if (!p)
		return;
	pthread_mutex_destroy(&p->lock);
	free(p->label);
	free(p);
}

bool
progress_active(const struct progress *p)
{
	return p && p->active;
}

uint64_t
progress_done(const struct progress *p)
{
	return p ? atomic_load_explicit(&p->done, memory_order_relaxed) : 0;
}

static size_t
term_width(void)
{
	struct winsize ws;

	if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col > LINE_MAX_BYTES - 16 ? LINE_MAX_BYTES - 16
		    : ws.ws_col;
	return 80;
}

static void
write_all(const char *s, size_t n)
{
	while (n > 0) {
		ssize_t w = write(STDERR_FILENO, s, n);

		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

/* Sample the rate; caller holds p->lock. */
static void
sample_locked(struct progress *p, uint64_t now_ns, uint64_t done)
{
	uint64_t now_ms = now_ns / 1000000u;

	if (done < p->last_done)
		return;
	rate_add(&p->meter, now_ms, done - p->last_done);
	p->last_done = done;
	p->rate = (double)rate_get(&p->meter, now_ms);
}

static void
redraw(struct progress *p, uint64_t now)
{
	char line[LINE_MAX_BYTES + 16];
	size_t width = term_width() - 1;	/* no wrap in the last column */
	size_t n;

	if (pthread_mutex_trylock(&p->lock) != 0)
		return;
	sample_locked(p, now, atomic_load(&p->done));
	line[0] = '\r';
	progress_format(line + 1, LINE_MAX_BYTES, width, p->label,
	    p->last_done, atomic_load(&p->total), p->rate, p->extra);
	p->drawn = true;
	pthread_mutex_unlock(&p->lock);
	n = strlen(line);
	memcpy(line + n, "\033[K", 3);
	write_all(line, n + 3);
}

static void
maybe_redraw(struct progress *p)
{
	uint64_t now, due;

	if (!p->active)
		return;
	now = clock_now_ns();
	due = atomic_load_explicit(&p->next_draw_ns, memory_order_relaxed);
	if (now < due)
		return;
	/* One caller per period wins the right to draw. */
	if (!atomic_compare_exchange_strong(&p->next_draw_ns, &due,
	    now + (uint64_t)PROGRESS_REDRAW_MS * 1000000u))
		return;
	redraw(p, now);
}

void
progress_add(struct progress *p, uint64_t n)
{
	if (!p)
		return;
	atomic_fetch_add_explicit(&p->done, n, memory_order_relaxed);
	maybe_redraw(p);
}

void
progress_set_total(struct progress *p, uint64_t total)
{
	if (!p)
		return;
	atomic_store(&p->total, total);
	maybe_redraw(p);
}

void
progress_set_extra(struct progress *p, const char *text)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	snprintf(p->extra, sizeof(p->extra), "%s", text ? text : "");
	pthread_mutex_unlock(&p->lock);
}

void
progress_finish(struct progress *p, bool ok)
{
	char line[LINE_MAX_BYTES + 16], d[32], r[32];
	uint64_t done;
	double secs;
	int n;

	if (!p || !p->active)
		return;
	if (!ok) {
		pthread_mutex_lock(&p->lock);
		ok = !p->drawn;	/* nothing on screen: nothing to clear */
		pthread_mutex_unlock(&p->lock);
		if (!ok)
			write_all("\r\033[K", 4);
		return;
	}
	done = atomic_load(&p->done);
	secs = (double)(clock_now_ns() - p->start_ns) / 1e9;
	text_human(d, sizeof(d), (double)done);
	text_human(r, sizeof(r), secs > 0 ? (double)done / secs : 0);
	n = snprintf(line, sizeof(line), "\r%s: %s in %.2f s, %s/s\033[K\n",
	    p->label, d, secs, r);
	if (n > 0)
		write_all(line, (size_t)n < sizeof(line) ? (size_t)n
		    : sizeof(line) - 1);
}
