/*
 * log: leveled, tagged log lines to stderr, a file or syslog.  Any thread:
 * each line is formatted into a local buffer and written with one write(2).
 *
 * A .c file that logs defines LOG_TAG (its module name) before including
 * this header.  Strings from peers, trackers or files are passed through
 * log_escape() first.
 */
#ifndef VTFS_BASE_LOG_H
#define VTFS_BASE_LOG_H

#include <stddef.h>

enum log_level {
	LOG_LVL_ERROR,
	LOG_LVL_WARN,
	LOG_LVL_INFO,
	LOG_LVL_DEBUG,
};

void	log_set_level(enum log_level);
enum log_level log_get_level(void);
/* Parse "error", "warn", "info" or "debug".  Returns 0 or -EINVAL. */
int	log_parse_level(const char *, enum log_level *out);
/* Send lines to a file (appending) instead of stderr.  Returns 0 or -errno. */
int	log_to_file(const char *path);
/* Send lines to syslog(3) under ident (a daemon after detaching). */
void	log_to_syslog(const char *ident);

void	log_msg(enum log_level, const char *tag, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Write s[0..len) into out (size outsz, always NUL-terminated) with every
 * byte outside printable ASCII, and '\\' and '"', escaped as \xNN; cut with
 * "..." when it does not fit.  Returns out.
 */
char	*log_escape(const void *s, size_t len, char *out, size_t outsz);

#define log_error(...) log_msg(LOG_LVL_ERROR, LOG_TAG, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_LVL_WARN, LOG_TAG, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_LVL_INFO, LOG_TAG, __VA_ARGS__)
#define log_debug(...)                                                        \
	do {                                                                  \
		if (log_get_level() >= LOG_LVL_DEBUG)                         \
			log_msg(LOG_LVL_DEBUG, LOG_TAG, __VA_ARGS__);         \
	} while (0)

#endif /* VTFS_BASE_LOG_H */
