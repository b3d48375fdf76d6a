/*
 * progress: a one-line progress bar on a terminal (label, bytes done of
 * total, percent, rate, ETA and an optional extra text), redrawn in place
 * with '\r' on stderr at most PROGRESS_REDRAW_MS apart, and a final summary
 * line from progress_finish().  When stderr is not a terminal it prints
 * nothing at all, so scripts and logs stay clean.
 *
 * Threads: progress_add() and progress_set_extra() may be called from any
 * number of threads at once (hashing workers, the network thread); the
 * counter is an atomic and whichever caller finds the bar due redraws it.
 * progress_new(), progress_finish() and progress_free() belong to the
 * thread that owns the bar, with no other thread calling it any more.
 */
#ifndef VTFS_BASE_PROGRESS_H
#define VTFS_BASE_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PROGRESS_REDRAW_MS	100
#define PROGRESS_EXTRA_MAX	64	/* bytes of extra text kept */

enum progress_flags {
	PROGRESS_FORCE = 1 << 0,	/* draw even when stderr is no TTY */
};

struct progress;

/*
 * A bar for total bytes (0 when unknown: no percent, no ETA).  label is
 * copied.  Returns NULL on allocation failure; every function accepts a
 * NULL bar and does nothing, so callers need no checks.
 */
struct progress	*progress_new(const char *label, uint64_t total,
		    unsigned flags);
void		 progress_free(struct progress *);

/* Whether the bar draws at all (stderr is a terminal, or forced). */
bool		 progress_active(const struct progress *);
/* Add n bytes done; redraws when due.  Any thread. */
void		 progress_add(struct progress *, uint64_t n);
/* Change the total (a download learns it late).  Any thread. */
void		 progress_set_total(struct progress *, uint64_t total);
/* Replace the extra text ("12 peers"); NULL clears it.  Any thread. */
void		 progress_set_extra(struct progress *, const char *text);
uint64_t	 progress_done(const struct progress *);
/*
 * Draw the final line ("label: 1.0 GiB in 0.52 s, 1.9 GiB/s") followed by a
 * newline, or clear the bar when ok is false (an error message follows).
 */
void		 progress_finish(struct progress *, bool ok);

/*
 * Pure formatting, for the bar and for tests: "label  42%  430.0 MiB / 1.0
 * GiB  1.9 GiB/s  ETA 0:03  extra", cut to width columns.  rate is in
 * bytes per second (0: unknown).  Returns out.
 */
char		*progress_format(char *out, size_t outsz, size_t width,
		    const char *label, uint64_t done, uint64_t total,
		    double rate, const char *extra);

#endif /* VTFS_BASE_PROGRESS_H */
