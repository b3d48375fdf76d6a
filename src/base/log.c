/*
 * log: see log.h.  The sink is chosen once at start-up (before threads are
 * started); the level may change at any time and is an atomic.
 */
#include "base/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

static _Atomic int log_level = LOG_LVL_INFO;
static int log_fd = STDERR_FILENO;
static int log_syslog;

static const char *const level_names[] = {"error", "warn", "info", "debug"};

void
log_set_level(enum log_level lvl)
{
	atomic_store(&log_level, (int)lvl);
}

enum log_level
log_get_level(void)
{
	return (enum log_level)atomic_load(&log_level);
}

int
log_parse_level(const char *s, enum log_level *out)
{
	for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]);
	     i++) {
		if (strcmp(s, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	return -EINVAL;
}

int
log_to_file(const char *path)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);

	if (fd < 0)
		return -errno;
	if (log_fd != STDERR_FILENO)
		close(log_fd);
	log_fd = fd;
	log_syslog = 0;
	return 0;
}

void
log_to_syslog(const char *ident)
{
	openlog(ident, LOG_PID, LOG_DAEMON);
	log_syslog = 1;
}

void
log_msg(enum log_level lvl, const char *tag, const char *fmt, ...)
{
	static const int prio[] = {LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG};
	char line[1024];
	size_t n = 0;
	va_list ap;
	int rc;

	if ((int)lvl > atomic_load(&log_level))
		return;
	if (!log_syslog) {
		struct timespec ts;
		struct tm tm;

		clock_gettime(CLOCK_REALTIME, &ts);
		localtime_r(&ts.tv_sec, &tm);
		n = strftime(line, sizeof(line), "%H:%M:%S", &tm);
		rc = snprintf(line + n, sizeof(line) - n, ".%03ld %-5s %s: ",
		    ts.tv_nsec / 1000000, level_names[lvl], tag);
	} else {
		rc = snprintf(line, sizeof(line), "%s: ", tag);
	}
	if (rc > 0)
		n += (size_t)rc;
	if (n >= sizeof(line))
		n = sizeof(line) - 1;
	va_start(ap, fmt);
	rc = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	va_end(ap);
	if (rc > 0)
		n += (size_t)rc;
	if (n >= sizeof(line) - 1) {
		n = sizeof(line) - 2;
		memcpy(line + n - 3, "...", 3);
	}
	if (log_syslog) {
		line[n] = '\0';
		syslog(prio[lvl], "%s", line);
		return;
	}
	line[n++] = '\n';
	/* One write: lines from several threads never interleave. */
	if (write(log_fd, line, n) < 0)
		return;
}

char *
log_escape(const void *s, size_t len, char *out, size_t outsz)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = s;
	size_t o = 0;

	if (outsz == 0)
		return out;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = p[i];
		size_t need = (c < 0x20 || c > 0x7e || c == '\\' || c == '"')
		    ? 4 : 1;

		if (o + need + 4 > outsz) {
			if (outsz >= 4 && o + 4 <= outsz) {
				memcpy(out + o, "...", 3);
				o += 3;
			}
			break;
		}
		if (need == 1) {
			out[o++] = (char)c;
		} else {
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	out[o < outsz ? o : outsz - 1] = '\0';
	return out;
}
