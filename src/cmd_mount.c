/*
 * cmd_mount: `vtfs [options] TORRENT MOUNTPOINT`, the default command:
 * mount a torrent (a .torrent path or an http(s) URL of one) as a
 * read-only FUSE filesystem whose reads drive the download (src/fs/ops.c).
 *
 * Lifecycle: everything that can fail is done before the mount, with its
 * error printed: the torrent is loaded, the mountpoint checked (missing,
 * not a folder, not empty, a dead mount), the session started (the store
 * opened, the listen address bound) and the filesystem mounted.  Unless
 * -f, the command forks first; the child does all of the above, tells the
 * parent through a pipe that the mount is ready (the parent then exits 0,
 * so the tree can be listed as soon as the command returns) and logs to
 * <cache>/<infohash>/vtfs.log from then on (syslog if that fails).
 *
 * Stopping: `fusermount3 -u` ends the FUSE loop; SIGINT/SIGTERM/SIGHUP are
 * taken by a signal thread (every other thread blocks them) that detaches
 * the mount, which ends the loop the same way (and, if files are still
 * held open after a grace time, aborts the FUSE connection).  Then the
 * session is stopped (parked reads get EIO, `stopped` is announced within
 * STOP_BOUND_MS, the resume record is written).  A killed daemon leaves
 * the kernel's ENOTCONN; `fusermount3 -u` clears it.
 *
 * Threads: the main thread runs this and fuse_session_loop_mt(); the signal
 * thread; FUSE workers and the session's threads (see fs/ops.h).
 */
#include "cmd.h"

#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <malloc.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/bytes.h"
#include "base/clock.h"
#define LOG_TAG "mount"
#include "base/log.h"
#include "base/num.h"
#include "bt/metainfo.h"
#include "bt/netio.h"
#include "bt/session.h"
#include "fs/mountopt.h"
#include "fs/ops.h"
#include "fs/tree.h"

#define STOP_BOUND_MS		1000	/* `stopped` announce on unmount */
#define FETCH_TIMEOUT_S		60
#define FETCH_CONNECT_S		15
#define ABORT_GRACE_MS		3000	/* detached but still held open */
#define MAX_THREADS		32
#define READ_AHEAD_KB		1024

static const struct option opts[] = {
	{"foreground", no_argument, NULL, 'f'},
	{"cache-dir", required_argument, NULL, 'C'},
	{"cache-size", required_argument, NULL, 'S'},
	{"on-demand", no_argument, NULL, 'O'},
	{"read-timeout", required_argument, NULL, 't'},
	{"keep", no_argument, NULL, 'k'},
	{"no-keep", no_argument, NULL, 'K'},
	{"listen", required_argument, NULL, 'l'},
	{"peer", required_argument, NULL, 'P'},
	{"no-trackers", no_argument, NULL, 'T'},
	{"verbose", no_argument, NULL, 'v'},
	{NULL, 0, NULL, 0},
};

struct mount_run {
	struct fs_mountopt	 o;
	bool			 foreground;
	bool			 verbose;
	const char		*source;
	char			 mnt[PATH_MAX];
	char			 cache_root[PATH_MAX];
	struct metainfo		*meta;
	struct sockaddr_storage	 peers[FS_MOUNTOPT_MAX_PEERS];
	int			 ready_fd;	/* pipe to the parent, or -1 */
	unsigned		 conn_dev;	/* FUSE connection, 0 unknown */
	struct fuse_session	*se;
	pthread_t		 main_thread;
	atomic_int		 loop_done;
};

/* ------------------------------------------------------------------ */
/* The torrent: a file or an http(s) URL */

struct fetch_buf {
	char	*data;
	size_t	 len;
	bool	 too_big;
};

static size_t
fetch_write(char *p, size_t sz, size_t n, void *arg)
{
	struct fetch_buf *b = arg;
	size_t add = sz * n;
	char *d;

	if (add > META_MAX_TORRENT_SIZE - b->len) {
		b->too_big = true;
		return 0;
	}
	if ((d = realloc(b->data, b->len + add)) == NULL)
		return 0;
	memcpy(d + b->len, p, add);
	b->data = d;
	b->len += add;
	return add;
}

static int
fetch_url(const char *url, struct metainfo **out)
{
	struct fetch_buf b = {NULL, 0, false};
	struct meta_error merr;
	char cerr[CURL_ERROR_SIZE] = "";
	CURLcode cc;
	CURL *h;
	int rc;

	if ((h = curl_easy_init()) == NULL) {
		fprintf(stderr, "vtfs: %s: cannot start libcurl\n", url);
		return -ENOMEM;
	}
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(h, CURLOPT_MAXREDIRS, 5L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, (long)FETCH_CONNECT_S);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, (long)FETCH_TIMEOUT_S);
	curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE,
	    (curl_off_t)META_MAX_TORRENT_SIZE);
	curl_easy_setopt(h, CURLOPT_FAILONERROR, 1L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "vtfs/" VTFS_VERSION);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, cerr);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, fetch_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
	cc = curl_easy_perform(h);
	curl_easy_cleanup(h);
	if (b.too_big || cc == CURLE_FILESIZE_EXCEEDED) {
		fprintf(stderr, "vtfs: %s: the torrent is larger than %zu "
		    "bytes\n", url, META_MAX_TORRENT_SIZE);
		free(b.data);
		return -E2BIG;
	}
	if (cc != CURLE_OK) {
		fprintf(stderr, "vtfs: %s: %s\n", url,
		    cerr[0] ? cerr : curl_easy_strerror(cc));
		free(b.data);
		return -EIO;
	}
	rc = meta_parse(b.data, b.len, out, &merr);
	free(b.data);
	if (rc < 0)
		fprintf(stderr, "vtfs: %s: %s\n", url, merr.msg);
	return rc;
}

static int
load_torrent(const char *src, struct metainfo **out)
{
	struct meta_error merr;
	int rc;

	if (strncmp(src, "http://", 7) == 0 ||
	    strncmp(src, "https://", 8) == 0)
		return fetch_url(src, out);
	if ((rc = meta_load_file(src, out, &merr)) < 0)
		fprintf(stderr, "vtfs: %s: %s\n", src, merr.msg);
	return rc;
}

/* ------------------------------------------------------------------ */
/* The mountpoint */

static int
check_mountpoint(const char *arg, char *abs, size_t abssz)
{
	struct stat st;
	struct dirent *de;
	DIR *d;

	if (stat(arg, &st) < 0) {
		int e = errno;

		if (e == ENOTCONN)
			fprintf(stderr, "vtfs: %s: a dead FUSE mount is there "
			    "(run fusermount3 -u %s)\n", arg, arg);
		else if (e == ENOENT)
			fprintf(stderr, "vtfs: %s: the mountpoint does not "
			    "exist (create the folder first)\n", arg);
		else
			fprintf(stderr, "vtfs: %s: %s\n", arg, strerror(e));
		return -e;
	}
	if (!S_ISDIR(st.st_mode)) {
		fprintf(stderr, "vtfs: %s: the mountpoint is not a folder\n",
		    arg);
		return -ENOTDIR;
	}
	if ((d = opendir(arg)) == NULL) {
		fprintf(stderr, "vtfs: %s: %s\n", arg, strerror(errno));
		return -errno;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0) {
			closedir(d);
			fprintf(stderr, "vtfs: %s: the mountpoint is not empty "
			    "\n", arg);
			return -ENOTEMPTY;
		}
	}
	closedir(d);
	if (realpath(arg, abs) == NULL || strlen(abs) >= abssz) {
		fprintf(stderr, "vtfs: %s: %s\n", arg, strerror(errno));
		return -EINVAL;
	}
	return 0;
}

/* Undo /proc/self/mountinfo's octal escapes (\040 etc.) in place. */
static void
unescape(char *s)
{
	char *o = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' &&
		    s[2] >= '0' && s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			*o++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 +
			    (s[3] - '0'));
			s += 3;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
}

/* The device "major:minor" of the FUSE mount at mnt, without a FUSE call. */
static int
mount_dev(const char *mnt, unsigned *maj, unsigned *min)
{
	char line[8192];
	FILE *f = fopen("/proc/self/mountinfo", "re");
	int found = -ENOENT;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char mp[4096], type[256];
		unsigned a, b;

		if (sscanf(line, "%*u %*u %u:%u %*s %4095s %*s", &a, &b,
		    mp) != 3)
			continue;
		unescape(mp);
		if (strcmp(mp, mnt) != 0)
			continue;
		{
			const char *sep = strstr(line, " - ");

			if (!sep || sscanf(sep + 3, "%255s", type) != 1 ||
			    strncmp(type, "fuse", 4) != 0)
				continue;
		}
		*maj = a;
		*min = b;
		found = 0;	/* the last one is the top of the stack */
	}
	fclose(f);
	return found;
}

/* Large kernel readahead requests: 1 MiB per FUSE read. */
static void
raise_readahead(struct mount_run *r)
{
	unsigned maj = 0, min = 0;
	char path[128];
	FILE *f;

	if (mount_dev(r->mnt, &maj, &min) < 0) {
		log_warn("%s: not found in /proc/self/mountinfo", r->mnt);
		return;
	}
	if (maj == 0)
		r->conn_dev = min;
	snprintf(path, sizeof(path), "/sys/class/bdi/%u:%u/read_ahead_kb",
	    maj, min);
	if ((f = fopen(path, "we")) == NULL) {
		log_info("%s: %s (readahead stays at the default)", path,
		    strerror(errno));
		return;
	}
	fprintf(f, "%u\n", READ_AHEAD_KB);
	if (fclose(f) != 0)
		log_info("%s: %s", path, strerror(errno));
}

/*
 * The kernel's FUSE request timeout (Linux 6.14+: a request unanswered
 * that long aborts the whole connection), 0 when none: the smaller
 * non-zero of /proc/sys/fs/fuse/{default,max}_request_timeout.
 */
static unsigned
kernel_fuse_timeout(void)
{
	static const char *const files[] = {
		"/proc/sys/fs/fuse/default_request_timeout",
		"/proc/sys/fs/fuse/max_request_timeout",
	};
	unsigned best = 0;

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		FILE *f = fopen(files[i], "re");
		unsigned v = 0;

		if (!f)
			continue;
		if (fscanf(f, "%u", &v) == 1 && v > 0 &&
		    (best == 0 || v < best))
			best = v;
		fclose(f);
	}
	return best;
}

/* --read-timeout, default FS_DEFAULT_READ_TIMEOUT_S, under the kernel's. */
static unsigned
read_timeout(unsigned asked)
{
	unsigned t = asked ? asked : FS_DEFAULT_READ_TIMEOUT_S;
	unsigned k = kernel_fuse_timeout();

	if (k > 0 && t + 2 > k) {
		unsigned nt = k > 3 ? k - 2 : 1;

		log_info("read timeout %u s -> %u s (kernel FUSE request "
		    "timeout %u s)", t, nt, k);
		t = nt;
	}
	return t;
}

/* ------------------------------------------------------------------ */
/* Stopping */

static void
detach(const char *mnt)
{
	pid_t pid;
	int st;

	if (umount2(mnt, MNT_DETACH) == 0)
		return;
	/* Not root: the setuid helper does it. */
	pid = fork();
	if (pid == 0) {
		execlp("fusermount3", "fusermount3", "-u", "-z", "-q", mnt,
		    (char *)NULL);
		_exit(127);
	}
	if (pid > 0)
		waitpid(pid, &st, 0);
}

static void
abort_conn(unsigned dev)
{
	char path[96];
	FILE *f;

	if (dev == 0)
		return;
	snprintf(path, sizeof(path), "/sys/fs/fuse/connections/%u/abort",
	    dev);
	if ((f = fopen(path, "we")) != NULL) {
		fputs("1\n", f);
		fclose(f);
	}
}

static void *
signal_thread(void *arg)
{
	struct mount_run *r = arg;
	sigset_t set;
	int sig = 0;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	if (sigwait(&set, &sig) != 0 || r->loop_done)
		return NULL;
	log_info("signal %d: unmounting %s", sig, r->mnt);
	fuse_session_exit(r->se);
	detach(r->mnt);
	/* Files still open keep a detached mount alive: end it. */
	for (unsigned i = 0; i < ABORT_GRACE_MS / 50 && !r->loop_done; i++) {
		struct timespec ts = {0, 50 * 1000000L};

		nanosleep(&ts, NULL);
	}
	if (!r->loop_done) {
		log_warn("%s still in use: aborting the FUSE connection",
		    r->mnt);
		abort_conn(r->conn_dev);
	}
	return NULL;
}

/* Remove the torrent's cache folder (--no-keep). */
static void
remove_store(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char p[PATH_MAX];

	if (!d)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if ((size_t)snprintf(p, sizeof(p), "%s/%s", dir, de->d_name) <
		    sizeof(p) && unlink(p) < 0)
			log_warn("%s: %s", p, strerror(errno));
	}
	closedir(d);
	if (rmdir(dir) < 0)
		log_warn("%s: %s", dir, strerror(errno));
}

/* ------------------------------------------------------------------ */
/* The mount */

static void
tell_parent(struct mount_run *r, char c)
{
	if (r->ready_fd < 0)
		return;
	if (write(r->ready_fd, &c, 1) != 1)
		log_warn("telling the parent: %s", strerror(errno));
	close(r->ready_fd);
	r->ready_fd = -1;
}

/*
 * After the mount: stdin/stdout to /dev/null, stderr (where log lines go)
 * to <store>/vtfs.log.  dup2() swaps fd 2 under the session's threads
 * atomically: base/log keeps writing to fd 2, no global changes.
 */
static void
become_daemon(struct mount_run *r, const char *store_dir)
{
	char path[PATH_MAX];
	int fd, lfd = -1;

	if ((size_t)snprintf(path, sizeof(path), "%s/vtfs.log", store_dir) <
	    sizeof(path))
		lfd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
		    0600);
	if (lfd < 0)
		log_warn("%s: %s: logging nowhere", path, strerror(errno));
	tell_parent(r, '0');
	if ((fd = open("/dev/null", O_RDWR | O_CLOEXEC)) >= 0) {
		dup2(fd, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
		dup2(lfd >= 0 ? lfd : fd, STDERR_FILENO);
		if (fd > STDERR_FILENO)
			close(fd);
	}
	if (lfd > STDERR_FILENO)
		close(lfd);
	if (chdir("/") < 0)
		log_warn("chdir /: %s", strerror(errno));
}

static int
add_opt(char **optstr, const char *opt)
{
	return fuse_opt_add_opt_escaped(optstr, opt) < 0 ? -ENOMEM : 0;
}

/* The child (or the foreground process): mount and serve until unmounted. */
static int
serve(struct mount_run *r)
{
	struct fuse_args args = FUSE_ARGS_INIT(0, NULL);
	struct fuse_loop_config *lc = NULL;
	struct session_config cfg;
	struct fs_ops_config oc;
	struct fs_ctx *ctx = NULL;
	struct fs_tree *tree = NULL;
	struct session *s = NULL;
	char *optstr = NULL, fsname[FS_MOUNTOPT_STR + 16], store[PATH_MAX];
	pthread_t sigthr;
	bool sig_started = false, mounted = false;
	sigset_t set, old;
	int rc, status = CMD_EXIT_FAIL;

	/* Every thread made from here on blocks these: the signal thread
	 * takes them. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, &old);
	signal(SIGPIPE, SIG_IGN);

	memset(&cfg, 0, sizeof(cfg));
	cfg.meta = r->meta;
	cfg.layout = STORAGE_CACHE;
	cfg.dir = r->cache_root;
	cfg.listen = r->o.listen[0] ? r->o.listen : NULL;
	cfg.peers = r->peers;
	cfg.npeers = r->o.npeers;
	cfg.no_trackers = r->o.no_trackers;
	cfg.on_demand = r->o.on_demand;
	cfg.cache_size = r->o.cache_size;
	if ((rc = session_start(&cfg, &s)) < 0) {
		fprintf(stderr, "vtfs: starting the session (cache %s): %s\n",
		    r->cache_root, strerror(-rc));
		goto out;
	}
	snprintf(store, sizeof(store), "%s",
	    storage_path(session_storage(s)));
	if ((rc = fs_tree_new(r->meta, &tree)) < 0) {
		fprintf(stderr, "vtfs: building the tree: %s\n", strerror(-rc));
		goto out;
	}
	memset(&oc, 0, sizeof(oc));
	oc.meta = r->meta;
	oc.tree = tree;
	oc.session = s;
	oc.uid = getuid();
	oc.gid = getgid();
	oc.mtime = r->meta->creation_date > 0 ?
	    (time_t)r->meta->creation_date : time(NULL);
	oc.read_timeout_s = read_timeout(r->o.read_timeout_s);
	oc.mountpoint = r->mnt;
	oc.source = r->source;
	oc.cache_dir = store;
	oc.cache_size = r->o.cache_size;
	oc.on_demand = r->o.on_demand;
	if ((rc = fs_ctx_new(&oc, &ctx)) < 0) {
		fprintf(stderr, "vtfs: %s\n", strerror(-rc));
		goto out;
	}

	snprintf(fsname, sizeof(fsname), "fsname=%s",
	    r->o.fsname[0] ? r->o.fsname : r->source);
	rc = fuse_opt_add_arg(&args, "vtfs");
	if (rc == 0 && r->o.debug)
		rc = fuse_opt_add_arg(&args, "-d");
	if (rc == 0)
		rc = add_opt(&optstr, "ro");
	if (rc == 0)
		rc = add_opt(&optstr, fsname);
	if (rc == 0) {
		char sub[FS_MOUNTOPT_STR + 16];

		snprintf(sub, sizeof(sub), "subtype=%s",
		    r->o.subtype[0] ? r->o.subtype : "vtfs");
		rc = add_opt(&optstr, sub);
	}
	if (rc == 0)
		rc = add_opt(&optstr, "max_read=1048576");
	if (rc == 0 && r->o.allow_other)
		rc = add_opt(&optstr, "allow_other");
	if (rc == 0 && r->o.allow_root)
		rc = add_opt(&optstr, "allow_root");
	if (rc == 0 && r->o.default_permissions)
		rc = add_opt(&optstr, "default_permissions");
	if (rc == 0)
		rc = fuse_opt_add_arg(&args, "-o");
	if (rc == 0)
		rc = fuse_opt_add_arg(&args, optstr);
	if (rc < 0) {
		fprintf(stderr, "vtfs: out of memory\n");
		goto out;
	}
	r->se = fuse_session_new(&args, fs_ops(), sizeof(struct
	    fuse_lowlevel_ops), ctx);
	if (!r->se) {
		fprintf(stderr, "vtfs: cannot start FUSE (options %s)\n",
		    optstr);
		goto out;
	}
	if (fuse_session_mount(r->se, r->mnt) != 0) {
		fprintf(stderr, "vtfs: %s: mounting failed (is /dev/fuse "
		    "usable? for allow_other, user_allow_other in "
		    "/etc/fuse.conf)\n", r->mnt);
		goto out;
	}
	mounted = true;
	raise_readahead(r);
	r->main_thread = pthread_self();
	if (pthread_create(&sigthr, NULL, signal_thread, r) == 0)
		sig_started = true;
	else
		log_warn("no signal thread: stop with fusermount3 -u");
	if (!r->foreground)
		become_daemon(r, store);
	log_info("mounted %s on %s (cache %s)", r->source, r->mnt, store);

	if ((lc = fuse_loop_cfg_create()) == NULL) {
		log_error("out of memory");
		goto out;
	}
	fuse_loop_cfg_set_max_threads(lc, MAX_THREADS);
	fuse_loop_cfg_set_idle_threads(lc, 8);
	fuse_loop_cfg_set_clone_fd(lc, 1);
	rc = fuse_session_loop_mt(r->se, lc);
	r->loop_done = 1;
	log_info("unmounted %s (loop %d)", r->mnt, rc);
	status = CMD_EXIT_OK;
out:
	tell_parent(r, '1');
	if (sig_started) {
		r->loop_done = 1;
		pthread_kill(sigthr, SIGTERM);
		pthread_join(sigthr, NULL);
	}
	/* Parked reads end (EIO) before the FUSE session goes away. */
	if (s)
		session_stop(s, STOP_BOUND_MS);
	if (r->se) {
		if (mounted)
			fuse_session_unmount(r->se);
		fuse_session_destroy(r->se);
		r->se = NULL;
	}
	fuse_loop_cfg_destroy(lc);
	fuse_opt_free_args(&args);
	free(optstr);
	session_free(s);
	if (s && r->o.keep == 0) {
		log_info("--no-keep: removing %s", store);
		remove_store(store);
	}
	fs_ctx_free(ctx);
	fs_tree_free(tree);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return status;
}

/* ------------------------------------------------------------------ */

static int
parse(struct mount_run *r, int argc, char **argv)
{
	char err[256];
	uint64_t v;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "fo:vhd", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			r->foreground = true;
			break;
		case 'o':
			if (fs_mountopt_parse(&r->o, optarg, err,
			    sizeof(err)) < 0)
				return cmd_usage_error("%s", err);
			break;
		case 'd':
			r->o.debug = true;
			r->foreground = true;
			break;
		case 'C':
			if (snprintf(r->o.cache_dir, sizeof(r->o.cache_dir),
			    "%s", optarg) >= (int)sizeof(r->o.cache_dir))
				return cmd_usage_error("--cache-dir: too long");
			break;
		case 'S':
			if (num_parse_size(optarg, UINT64_MAX / 2, &v) < 0)
				return cmd_usage_error("--cache-size %s: "
				    "expected a size such as 4G", optarg);
			r->o.cache_size = v;
			break;
		case 'O':
			r->o.on_demand = true;
			break;
		case 't':
			if (fs_mountopt_timeout(optarg,
			    &r->o.read_timeout_s) < 0)
				return cmd_usage_error("--read-timeout %s: "
				    "expected 1..86400 seconds", optarg);
			break;
		case 'k':
			r->o.keep = 1;
			break;
		case 'K':
			r->o.keep = 0;
			break;
		case 'l':
			if (snprintf(r->o.listen, sizeof(r->o.listen), "%s",
			    optarg) >= (int)sizeof(r->o.listen))
				return cmd_usage_error("--listen: too long");
			break;
		case 'P':
			if (r->o.npeers >= FS_MOUNTOPT_MAX_PEERS ||
			    strlen(optarg) >= sizeof(r->o.peers[0]))
				return cmd_usage_error("--peer %s: too many "
				    "or too long", optarg);
			strcpy(r->o.peers[r->o.npeers++], optarg);
			break;
		case 'T':
			r->o.no_trackers = true;
			break;
		case 'v':
			r->verbose = true;
			break;
		case 'h':
			return cmd_usage_error("usage: vtfs [options] TORRENT "
			    "MOUNTPOINT");
		default:
			return cmd_usage_error("see vtfs --help");
		}
	}
	if (argc - optind != 2)
		return cmd_usage_error("expected TORRENT MOUNTPOINT");
	r->source = argv[optind];
	for (unsigned i = 0; i < r->o.npeers; i++)
		if (netio_parse_addr(r->o.peers[i], &r->peers[i]) < 0)
			return cmd_usage_error("peer %s: expected ADDR:PORT",
			    r->o.peers[i]);
	return 0;
}

/* The cache root as an absolute path (the daemon changes to /). */
static int
cache_root(struct mount_run *r)
{
	char cwd[PATH_MAX];
	int rc;

	if (!r->o.cache_dir[0]) {
		if ((rc = storage_default_cache_root(r->cache_root,
		    sizeof(r->cache_root))) < 0) {
			fprintf(stderr, "vtfs: no cache folder (set "
			    "--cache-dir, XDG_CACHE_HOME or HOME)\n");
			return rc;
		}
		return 0;
	}
	if (r->o.cache_dir[0] == '/' || getcwd(cwd, sizeof(cwd)) == NULL) {
		snprintf(r->cache_root, sizeof(r->cache_root), "%s",
		    r->o.cache_dir);
		return 0;
	}
	if ((size_t)snprintf(r->cache_root, sizeof(r->cache_root), "%s/%s",
	    cwd, r->o.cache_dir) >= sizeof(r->cache_root)) {
		fprintf(stderr, "vtfs: --cache-dir: path too long\n");
		return -ENAMETOOLONG;
	}
	return 0;
}

int
cmd_mount_main(int argc, char **argv)
{
	struct mount_run *r = calloc(1, sizeof(*r));
	int rc, pfd[2];
	pid_t pid;
	char c;

	if (!r) {
		fputs("vtfs: out of memory\n", stderr);
		return CMD_EXIT_FAIL;
	}
	fs_mountopt_init(&r->o);
	r->ready_fd = -1;
	if ((rc = parse(r, argc, argv)) != 0) {
		free(r);
		return rc;
	}
	log_set_level(r->verbose ? LOG_LVL_DEBUG : LOG_LVL_INFO);
	/*
	 * A long-lived daemon: few malloc arenas (FUSE workers and the pool
	 * would each grow one), and piece buffers mmapped so that a freed
	 * one goes back to the system (no dynamic threshold creeping up).
	 */
	mallopt(M_ARENA_MAX, 2);
	mallopt(M_MMAP_THRESHOLD, 256 << 10);
	rc = CMD_EXIT_FAIL;
	if (check_mountpoint(argv[optind + 1], r->mnt, sizeof(r->mnt)) < 0 ||
	    cache_root(r) < 0 || load_torrent(r->source, &r->meta) < 0)
		goto out;
	if (r->foreground) {
		rc = serve(r);
		goto out;
	}
	if (pipe2(pfd, O_CLOEXEC) < 0) {
		fprintf(stderr, "vtfs: pipe: %s\n", strerror(errno));
		goto out;
	}
	fflush(NULL);
	if ((pid = fork()) < 0) {
		fprintf(stderr, "vtfs: fork: %s\n", strerror(errno));
		goto out;
	}
	if (pid == 0) {
		close(pfd[0]);
		r->ready_fd = pfd[1];
		setsid();
		rc = serve(r);
		meta_free(r->meta);
		free(r);
		_exit(rc);
	}
	close(pfd[1]);
	/* The child says '0' once mounted; anything else: it failed and
	 * printed why. */
	while ((rc = (int)read(pfd[0], &c, 1)) < 0 && errno == EINTR)
		;
	close(pfd[0]);
	if (rc == 1 && c == '0') {
		rc = CMD_EXIT_OK;
	} else {
		int st;

		waitpid(pid, &st, 0);
		if (rc != 1)
			fprintf(stderr, "vtfs: the daemon died before the "
			    "mount was ready\n");
		rc = CMD_EXIT_FAIL;
	}
out:
	meta_free(r->meta);
	free(r);
	return rc;
}
