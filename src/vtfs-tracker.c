/*
 * vtfs-tracker: the LAN's BitTorrent tracker (HTTP and UDP) and .torrent
 * catalog.  Option parsing, sockets, daemonising, signals and wiring only;
 * the work is in src/tracker/.  The main thread binds everything, starts the
 * HTTP and UDP threads, then sleeps in sigtimedwait(): SIGTERM/SIGINT stop
 * the tracker gracefully, SIGHUP reloads the users file, the whitelist and
 * the catalog directory, and every 15 s it expires peers.
 */
#define LOG_TAG "main"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "base/num.h"
#include "tracker/auth.h"
#include "tracker/catalog.h"
#include "tracker/http.h"
#include "tracker/ldap_auth.h"
#include "tracker/tracker.h"
#include "tracker/udp.h"
#include "tracker/whitelist.h"

#define MAX_LISTEN	16
#define EXPIRE_EVERY_S	15

struct listen_addr {
	struct sockaddr_storage	ss;
	socklen_t		len;
	const char		*text;
	bool			tls;
};

struct opts {
	bool			 foreground;
	struct listen_addr	 listen[MAX_LISTEN];
	int			 nlisten;
	const char		*tls_cert;
	const char		*tls_key;
	const char		*catalog;
	const char		*whitelist;
	const char		*users;
	const char		*add_user;
	bool			 admin;
	bool			 private_mode;
	bool			 require_passkey;
	bool			 allow_ip_param;
	bool			 allow_plain_auth;
	const char		*ldap_uri;
	const char		*ldap_base;
	const char		*ldap_admin_group;
	uint32_t		 interval;
	uint32_t		 max_torrents;
	uint32_t		 max_peers;
	struct http_opts	 http;
	const char		*log_file;
	const char		*log_level;
	const char		*pid_file;
};

enum {
	OPT_LISTEN = 256,
	OPT_LISTEN_TLS,
	OPT_TLS_CERT,
	OPT_TLS_KEY,
	OPT_CATALOG,
	OPT_WHITELIST,
	OPT_USERS,
	OPT_ADD_USER,
	OPT_ADMIN,
	OPT_PRIVATE,
	OPT_REQUIRE_PASSKEY,
	OPT_ALLOW_IP,
	OPT_ALLOW_PLAIN,
	OPT_LDAP_URI,
	OPT_LDAP_BASE,
	OPT_LDAP_GROUP,
	OPT_INTERVAL,
	OPT_MAX_TORRENTS,
	OPT_MAX_PEERS,
	OPT_HTTP_THREADS,
	OPT_MAX_CONN,
	OPT_MAX_PER_IP,
	OPT_TIMEOUT,
	OPT_LOG,
	OPT_LOG_LEVEL,
	OPT_PID_FILE,
	OPT_VERSION,
};

static const struct option long_opts[] = {
	{ "foreground", no_argument, NULL, 'f' },
	{ "help", no_argument, NULL, 'h' },
	{ "listen", required_argument, NULL, OPT_LISTEN },
	{ "listen-tls", required_argument, NULL, OPT_LISTEN_TLS },
	{ "tls-cert", required_argument, NULL, OPT_TLS_CERT },
	{ "tls-key", required_argument, NULL, OPT_TLS_KEY },
	{ "catalog", required_argument, NULL, OPT_CATALOG },
	{ "whitelist", required_argument, NULL, OPT_WHITELIST },
	{ "users", required_argument, NULL, OPT_USERS },
	{ "add-user", required_argument, NULL, OPT_ADD_USER },
	{ "admin", no_argument, NULL, OPT_ADMIN },
	{ "private", no_argument, NULL, OPT_PRIVATE },
	{ "require-passkey", no_argument, NULL, OPT_REQUIRE_PASSKEY },
	{ "allow-ip-param", no_argument, NULL, OPT_ALLOW_IP },
	{ "allow-plain-auth", no_argument, NULL, OPT_ALLOW_PLAIN },
	{ "ldap-uri", required_argument, NULL, OPT_LDAP_URI },
	{ "ldap-base", required_argument, NULL, OPT_LDAP_BASE },
	{ "ldap-admin-group", required_argument, NULL, OPT_LDAP_GROUP },
	{ "interval", required_argument, NULL, OPT_INTERVAL },
	{ "max-torrents", required_argument, NULL, OPT_MAX_TORRENTS },
	{ "max-peers", required_argument, NULL, OPT_MAX_PEERS },
	{ "http-threads", required_argument, NULL, OPT_HTTP_THREADS },
	{ "max-connections", required_argument, NULL, OPT_MAX_CONN },
	{ "max-connections-per-ip", required_argument, NULL, OPT_MAX_PER_IP },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "log", required_argument, NULL, OPT_LOG },
	{ "log-level", required_argument, NULL, OPT_LOG_LEVEL },
	{ "pid-file", required_argument, NULL, OPT_PID_FILE },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};

static void
usage(FILE *f)
{
	fputs("usage: vtfs-tracker [options]\n"
	    "       vtfs-tracker --users FILE --add-user NAME [--admin]"
	    "  (password on stdin)\n"
	    "  -f, --foreground           stay in the foreground, log to "
	    "stderr\n"
	    "  --listen ADDR:PORT         HTTP and UDP tracker (repeatable;"
	    " default\n"
	    "                             0.0.0.0:6969 and [::]:6969)\n"
	    "  --listen-tls ADDR:PORT     HTTPS (repeatable; needs --tls-cert,"
	    " --tls-key)\n"
	    "  --tls-cert FILE, --tls-key FILE   PEM certificate and key\n"
	    "  --catalog DIR              serve and accept .torrent files in "
	    "DIR\n"
	    "  --private                  track only catalog and whitelist "
	    "torrents\n"
	    "  --whitelist FILE           hex info-hashes, one a line "
	    "(private mode)\n"
	    "  --users FILE               publishing users (scrypt hashes, "
	    "passkeys)\n"
	    "  --require-passkey          announces must use "
	    "/announce/PASSKEY\n"
	    "  --ldap-uri URI --ldap-base DN --ldap-admin-group DN\n"
	    "                             also check users by LDAP bind\n"
	    "  --interval SECONDS         announce interval (default 300, "
	    "60..86400)\n"
	    "  --allow-ip-param           trust the ip= parameter\n"
	    "  --allow-plain-auth         accept credentials over plain HTTP\n"
	    "  --max-torrents N           (default 1000000)\n"
	    "  --max-peers N              per torrent (default 50000)\n"
	    "  --http-threads N           per listener (default: usable CPUs)\n"
	    "  --max-connections N        per listener (default 1024)\n"
	    "  --max-connections-per-ip N (default 0: no limit)\n"
	    "  --timeout SECONDS          idle HTTP connection (default 15)\n"
	    "  --log FILE, --log-level error|warn|info|debug (default info)\n"
	    "  --pid-file FILE\n", f);
}

static int
parse_listen(const char *s, bool tls, struct listen_addr *l)
{
	char host[128];
	const char *colon;
	int64_t port;
	size_t hl;

	memset(l, 0, sizeof(*l));
	l->text = s;
	l->tls = tls;
	if (s[0] == '[') {
		const char *end = strchr(s, ']');

		if (end == NULL || end[1] != ':')
			return -EINVAL;
		hl = (size_t)(end - s - 1);
		if (hl >= sizeof(host))
			return -EINVAL;
		memcpy(host, s + 1, hl);
		host[hl] = '\0';
		colon = end + 1;
	} else {
		colon = strrchr(s, ':');
		if (colon == NULL)
			return -EINVAL;
		hl = (size_t)(colon - s);
		if (hl >= sizeof(host))
			return -EINVAL;
		memcpy(host, s, hl);
		host[hl] = '\0';
	}
	if (num_parse_i64(colon + 1, 1, 65535, &port) != 0)
		return -EINVAL;
	if (s[0] == '[') {
		struct sockaddr_in6 *in6 = (void *)&l->ss;

		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		if (inet_pton(AF_INET6, host, &in6->sin6_addr) != 1)
			return -EINVAL;
		l->len = sizeof(*in6);
	} else {
		struct sockaddr_in *in = (void *)&l->ss;

		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)port);
		if (inet_pton(AF_INET, host, &in->sin_addr) != 1)
			return -EINVAL;
		l->len = sizeof(*in);
	}
	return 0;
}

static int
parse_u32(const char *s, const char *what, uint32_t min, uint32_t max,
    uint32_t *out)
{
	int64_t v;

	if (num_parse_i64(s, min, max, &v) != 0) {
		fprintf(stderr, "vtfs-tracker: %s: %s is not in %u..%u\n",
		    what, s, min, max);
		return -EINVAL;
	}
	*out = (uint32_t)v;
	return 0;
}

/* CPUs this process may run on (taskset, cgroups), at least 1. */
static unsigned
cpus_usable(void)
{
	cpu_set_t set;
	int n;

	if (sched_getaffinity(0, sizeof(set), &set) == 0) {
		n = CPU_COUNT(&set);
		if (n > 0)
			return (unsigned)n;
	}
	n = (int)sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (unsigned)n : 1;
}

static int
parse_opts(int argc, char **argv, struct opts *o)
{
	uint32_t v;
	int c;

	memset(o, 0, sizeof(*o));
	o->interval = TRACKER_DEFAULT_INTERVAL;
	o->http.threads = cpus_usable();
	while ((c = getopt_long(argc, argv, "fh", long_opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			o->foreground = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case OPT_VERSION:
			printf("vtfs-tracker %s\n", VTFS_VERSION);
			exit(0);
		case OPT_LISTEN:
		case OPT_LISTEN_TLS:
			if (o->nlisten == MAX_LISTEN) {
				fprintf(stderr, "vtfs-tracker: too many "
				    "listen addresses (max %d)\n", MAX_LISTEN);
				return -EINVAL;
			}
			if (parse_listen(optarg, c == OPT_LISTEN_TLS,
			    &o->listen[o->nlisten]) < 0) {
				fprintf(stderr, "vtfs-tracker: bad address "
				    "%s (want IPv4:PORT or [IPv6]:PORT)\n",
				    optarg);
				return -EINVAL;
			}
			o->nlisten++;
			break;
		case OPT_TLS_CERT:
			o->tls_cert = optarg;
			break;
		case OPT_TLS_KEY:
			o->tls_key = optarg;
			break;
		case OPT_CATALOG:
			o->catalog = optarg;
			break;
		case OPT_WHITELIST:
			o->whitelist = optarg;
			break;
		case OPT_USERS:
			o->users = optarg;
			break;
		case OPT_ADD_USER:
			o->add_user = optarg;
			break;
		case OPT_ADMIN:
			o->admin = true;
			break;
		case OPT_PRIVATE:
			o->private_mode = true;
			break;
		case OPT_REQUIRE_PASSKEY:
			o->require_passkey = true;
			break;
		case OPT_ALLOW_IP:
			o->allow_ip_param = true;
			break;
		case OPT_ALLOW_PLAIN:
			o->allow_plain_auth = true;
			break;
		case OPT_LDAP_URI:
			o->ldap_uri = optarg;
			break;
		case OPT_LDAP_BASE:
			o->ldap_base = optarg;
			break;
		case OPT_LDAP_GROUP:
			o->ldap_admin_group = optarg;
			break;
		case OPT_INTERVAL:
			if (parse_u32(optarg, "--interval",
			    TRACKER_MIN_INTERVAL, 86400, &o->interval) < 0)
				return -EINVAL;
			break;
		case OPT_MAX_TORRENTS:
			if (parse_u32(optarg, "--max-torrents", 1, 100000000,
			    &o->max_torrents) < 0)
				return -EINVAL;
			break;
		case OPT_MAX_PEERS:
			if (parse_u32(optarg, "--max-peers", 1, 10000000,
			    &o->max_peers) < 0)
				return -EINVAL;
			break;
		case OPT_HTTP_THREADS:
			if (parse_u32(optarg, "--http-threads", 1, 256, &v) < 0)
				return -EINVAL;
			o->http.threads = v;
			break;
		case OPT_MAX_CONN:
			if (parse_u32(optarg, "--max-connections", 1, 1000000,
			    &v) < 0)
				return -EINVAL;
			o->http.max_connections = v;
			break;
		case OPT_MAX_PER_IP:
			if (parse_u32(optarg, "--max-connections-per-ip", 0,
			    1000000, &v) < 0)
				return -EINVAL;
			o->http.max_per_ip = v;
			break;
		case OPT_TIMEOUT:
			if (parse_u32(optarg, "--timeout", 1, 3600, &v) < 0)
				return -EINVAL;
			o->http.timeout_s = v;
			break;
		case OPT_LOG:
			o->log_file = optarg;
			break;
		case OPT_LOG_LEVEL:
			o->log_level = optarg;
			break;
		case OPT_PID_FILE:
			o->pid_file = optarg;
			break;
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "vtfs-tracker: unexpected argument %s\n",
		    argv[optind]);
		return -EINVAL;
	}
	return 0;
}

/* --add-user: the password is one line of stdin (not echoed on a tty). */
static int
add_user(const struct opts *o)
{
	char pass[AUTH_MAX_PASSWORD + 2], passkey[AUTH_PASSKEY_LEN + 1];
	struct termios old, noecho;
	bool tty = isatty(STDIN_FILENO);
	size_t len;
	int rc;

	if (o->users == NULL) {
		fprintf(stderr, "vtfs-tracker: --add-user needs --users FILE\n");
		return 2;
	}
	if (!auth_name_ok(o->add_user)) {
		fprintf(stderr, "vtfs-tracker: user names are 1..%d of "
		    "[A-Za-z0-9._-]\n", AUTH_MAX_NAME);
		return 2;
	}
	if (tty) {
		fprintf(stderr, "password for %s: ", o->add_user);
		tcgetattr(STDIN_FILENO, &old);
		noecho = old;
		noecho.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(STDIN_FILENO, TCSANOW, &noecho);
	}
	if (fgets(pass, sizeof(pass), stdin) == NULL)
		pass[0] = '\0';
	if (tty) {
		tcsetattr(STDIN_FILENO, TCSANOW, &old);
		fputc('\n', stderr);
	}
	len = strcspn(pass, "\r\n");
	if (pass[len] == '\0' && len > AUTH_MAX_PASSWORD) {
		fprintf(stderr, "vtfs-tracker: password too long\n");
		return 2;
	}
	pass[len] = '\0';
	if (len == 0) {
		fprintf(stderr, "vtfs-tracker: empty password\n");
		return 2;
	}
	rc = auth_add_user(o->users, o->add_user, pass, o->admin, passkey);
	explicit_bzero(pass, sizeof(pass));
	if (rc < 0) {
		fprintf(stderr, "vtfs-tracker: %s: %s\n", o->users,
		    strerror(-rc));
		return 1;
	}
	printf("%s\n", passkey);
	fprintf(stderr, "vtfs-tracker: %s %s in %s; passkey printed above\n",
	    o->admin ? "admin" : "user", o->add_user, o->users);
	return 0;
}

static char *
read_text_file(const char *path)
{
	char *s = NULL;
	struct stat st;
	FILE *f = fopen(path, "re");

	if (f == NULL)
		return NULL;
	if (fstat(fileno(f), &st) == 0 && st.st_size < (1 << 20) &&
	    (s = calloc(1, (size_t)st.st_size + 1)) != NULL &&
	    fread(s, 1, (size_t)st.st_size, f) != (size_t)st.st_size) {
		free(s);
		s = NULL;
	}
	fclose(f);
	return s;
}

static int
bind_socket(const struct listen_addr *l, int type)
{
	int fd, one = 1;

	fd = socket(l->ss.ss_family, type | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (l->ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (type == SOCK_DGRAM) {
		int sz = 4 << 20;

		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	}
	if (bind(fd, (const struct sockaddr *)&l->ss, l->len) < 0 ||
	    (type == SOCK_STREAM && listen(fd, 1024) < 0)) {
		int rc = -errno;

		close(fd);
		return rc;
	}
	return fd;
}

struct sockets {
	int	tcp[MAX_LISTEN];
	int	udp[MAX_LISTEN];
};

static int
bind_all(const struct opts *o, struct sockets *s)
{
	for (int i = 0; i < o->nlisten; i++) {
		s->tcp[i] = bind_socket(&o->listen[i], SOCK_STREAM);
		s->udp[i] = o->listen[i].tls ? -1 :
		    bind_socket(&o->listen[i], SOCK_DGRAM);
		if (s->tcp[i] < 0 || (!o->listen[i].tls && s->udp[i] < 0)) {
			int rc = s->tcp[i] < 0 ? s->tcp[i] : s->udp[i];

			fprintf(stderr, "vtfs-tracker: cannot listen on %s: "
			    "%s\n", o->listen[i].text, strerror(-rc));
			return rc;
		}
	}
	return 0;
}

static void
reload(struct tracker *t, const struct opts *o)
{
	int rc, bad = 0;

	if (t->whitelist != NULL) {
		rc = whitelist_load(t->whitelist, o->whitelist, &bad);
		if (rc < 0)
			log_error("whitelist %s: %s%s", o->whitelist,
			    strerror(-rc), bad ? " (malformed line)" : "");
		else
			log_info("whitelist: %d info-hashes", rc);
	}
	if (t->catalog != NULL) {
		rc = catalog_rescan(t->catalog);
		if (rc < 0)
			log_error("catalog rescan: %s", strerror(-rc));
		else
			log_info("catalog: %d torrents", rc);
	}
	if ((rc = auth_reload(t->auth)) < 0)
		log_error("users %s: %s", o->users, strerror(-rc));
}

/* Sleep on signals; expire peers periodically.  Returns at SIGTERM. */
static void
main_loop(struct tracker *t, const struct opts *o, const sigset_t *set)
{
	struct timespec ts = { .tv_sec = EXPIRE_EVERY_S };

	for (;;) {
		int sig = sigtimedwait(set, NULL, &ts);
		size_t nt, np, dropped;

		if (sig == SIGTERM || sig == SIGINT) {
			log_info("signal %d: shutting down", sig);
			return;
		}
		if (sig == SIGHUP) {
			log_info("SIGHUP: reloading");
			reload(t, o);
			continue;
		}
		dropped = swarm_expire(t->swarm, tracker_now());
		swarm_stats(t->swarm, &nt, &np);
		if (dropped > 0)
			log_debug("expired %zu peers; %zu torrents, %zu peers",
			    dropped, nt, np);
	}
}

static int
setup_logs(const struct opts *o)
{
	enum log_level lvl;

	if (o->log_level != NULL) {
		if (log_parse_level(o->log_level, &lvl) < 0) {
			fprintf(stderr, "vtfs-tracker: bad --log-level %s\n",
			    o->log_level);
			return -EINVAL;
		}
		log_set_level(lvl);
	}
	if (o->log_file != NULL) {
		int rc = log_to_file(o->log_file);

		if (rc < 0) {
			fprintf(stderr, "vtfs-tracker: %s: %s\n", o->log_file,
			    strerror(-rc));
			return rc;
		}
	}
	return 0;
}

static int
check_opts(struct opts *o, char **tls_cert, char **tls_key)
{
	bool any_tls = false;

	if (o->nlisten == 0) {
		parse_listen("0.0.0.0:6969", false, &o->listen[0]);
		parse_listen("[::]:6969", false, &o->listen[1]);
		o->nlisten = 2;
	}
	for (int i = 0; i < o->nlisten; i++)
		any_tls |= o->listen[i].tls;
	if (any_tls) {
		if (o->tls_cert == NULL || o->tls_key == NULL) {
			fprintf(stderr, "vtfs-tracker: --listen-tls needs "
			    "--tls-cert and --tls-key\n");
			return -EINVAL;
		}
		*tls_cert = read_text_file(o->tls_cert);
		*tls_key = read_text_file(o->tls_key);
		if (*tls_cert == NULL || *tls_key == NULL) {
			fprintf(stderr, "vtfs-tracker: cannot read %s or %s\n",
			    o->tls_cert, o->tls_key);
			return -EINVAL;
		}
		o->http.tls_cert = *tls_cert;
		o->http.tls_key = *tls_key;
	}
	if (o->ldap_uri != NULL && (o->ldap_base == NULL ||
	    o->ldap_admin_group == NULL)) {
		fprintf(stderr, "vtfs-tracker: --ldap-uri needs --ldap-base "
		    "and --ldap-admin-group\n");
		return -EINVAL;
	}
	if (o->require_passkey && o->users == NULL) {
		fprintf(stderr, "vtfs-tracker: --require-passkey needs "
		    "--users FILE\n");
		return -EINVAL;
	}
	if (o->whitelist != NULL && !o->private_mode)
		fprintf(stderr, "vtfs-tracker: note: --whitelist only "
		    "matters with --private\n");
	return 0;
}

/* path made absolute against the current directory (to free()). */
static char *
absolute_path(const char *path)
{
	char cwd[4096], *out;

	if (getcwd(cwd, sizeof(cwd)) == NULL ||
	    asprintf(&out, "%s/%s", cwd, path) < 0)
		return NULL;
	return out;
}

static int
write_pid_file(const char *path)
{
	FILE *f = fopen(path, "we");

	if (f == NULL)
		return -errno;
	fprintf(f, "%ld\n", (long)getpid());
	return fclose(f) == 0 ? 0 : -errno;
}

static int
run(struct opts *o)
{
	struct tracker t = { 0 };
	struct ldap_auth ldap = {
		.uri = o->ldap_uri,
		.base = o->ldap_base,
		.admin_group = o->ldap_admin_group,
	};
	char *tls_cert = NULL, *tls_key = NULL, *abs[3] = { NULL };
	struct sockets socks;
	struct http *http = NULL;
	struct udp *udp = NULL;
	sigset_t set;
	int rc, err = 0, bad = 0, status = 1;

	memset(&socks, -1, sizeof(socks));
	if (check_opts(o, &tls_cert, &tls_key) < 0 || setup_logs(o) < 0)
		goto out;
	if (!o->foreground) {
		/* daemon() moves to /: paths read later must be absolute. */
		const char **paths[3] = { &o->pid_file, &o->users,
			&o->whitelist };

		for (int i = 0; i < 3; i++)
			if (*paths[i] != NULL && (*paths[i])[0] != '/' &&
			    (abs[i] = absolute_path(*paths[i])) != NULL)
				*paths[i] = abs[i];
	}
	t.interval = o->interval;
	t.private_mode = o->private_mode;
	t.require_passkey = o->require_passkey;
	t.allow_ip_param = o->allow_ip_param;
	t.allow_plain_auth = o->allow_plain_auth;
	if (connid_init_random(&t.connid) < 0)
		goto out;
	t.swarm = swarm_new(2 * o->interval + 60, o->max_torrents,
	    o->max_peers);
	t.auth = auth_new(o->users, o->ldap_uri ? &ldap : NULL, &err);
	if (t.swarm == NULL || t.auth == NULL) {
		fprintf(stderr, "vtfs-tracker: cannot set up: %s\n",
		    t.auth == NULL ? strerror(-err) : "no memory");
		goto out;
	}
	if (o->whitelist != NULL) {
		t.whitelist = whitelist_new();
		rc = t.whitelist ? whitelist_load(t.whitelist, o->whitelist,
		    &bad) : -ENOMEM;
		if (rc < 0) {
			fprintf(stderr, "vtfs-tracker: %s: %s%s\n",
			    o->whitelist, strerror(-rc), bad ?
			    " (malformed line)" : "");
			goto out;
		}
	}
	if (o->catalog != NULL) {
		t.catalog = catalog_open(o->catalog, &err);
		if (t.catalog == NULL) {
			fprintf(stderr, "vtfs-tracker: catalog %s: %s\n",
			    o->catalog, strerror(-err));
			goto out;
		}
	}
	if (bind_all(o, &socks) < 0)
		goto out;
	if (!o->foreground) {
		if (daemon(0, 0) < 0) {
			perror("vtfs-tracker: daemon");
			goto out;
		}
		if (o->log_file == NULL)
			log_to_syslog("vtfs-tracker");
	}
	if (o->pid_file != NULL && (rc = write_pid_file(o->pid_file)) < 0)
		log_error("pid file %s: %s", o->pid_file, strerror(-rc));
	/* Threads inherit the mask: only this thread takes the signals. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	http = http_new(&t, &o->http);
	udp = udp_new(&t);
	if (http == NULL || udp == NULL)
		goto out;
	for (int i = 0; i < o->nlisten; i++) {
		rc = http_add_listener(http, socks.tcp[i], o->listen[i].tls);
		if (rc < 0) {
			log_error("cannot serve HTTP on %s: %s",
			    o->listen[i].text, strerror(-rc));
			goto out;
		}
		socks.tcp[i] = -1;	/* MHD closes it */
		if (socks.udp[i] >= 0) {
			rc = udp_add_socket(udp, socks.udp[i]);
			if (rc < 0) {
				log_error("cannot serve UDP on %s: %s",
				    o->listen[i].text, strerror(-rc));
				goto out;
			}
			socks.udp[i] = -1;
		}
		log_info("listening on %s (%s)", o->listen[i].text,
		    o->listen[i].tls ? "HTTPS" : "HTTP and UDP");
	}
	log_info("vtfs-tracker %s: %s mode, interval %us%s", VTFS_VERSION,
	    o->private_mode ? "private" : "open", o->interval,
	    o->catalog ? ", catalog on" : "");
	main_loop(&t, o, &set);
	status = 0;
out:
	http_free(http);
	udp_free(udp);
	for (int i = 0; i < MAX_LISTEN; i++) {
		if (socks.tcp[i] >= 0)
			close(socks.tcp[i]);
		if (socks.udp[i] >= 0)
			close(socks.udp[i]);
	}
	if (o->pid_file != NULL && status == 0)
		unlink(o->pid_file);
	catalog_free(t.catalog);
	whitelist_free(t.whitelist);
	auth_free(t.auth);
	swarm_free(t.swarm);
	free(tls_cert);
	free(tls_key);
	for (int i = 0; i < 3; i++)
		free(abs[i]);
	if (status == 0)
		log_info("stopped");
	return status;
}

int
main(int argc, char **argv)
{
	struct opts o;

	if (parse_opts(argc, argv, &o) < 0)
		return 2;
	if (o.add_user != NULL)
		return add_user(&o);
	return run(&o);
}
