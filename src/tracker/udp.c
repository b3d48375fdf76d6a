/*
 * udp: BEP 15 server threads.  See udp.h.
 */
#define LOG_TAG "udp"
#include "tracker/udp.h"

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/log.h"
#include "tracker/udp_proto.h"

#define BATCH		32
#define POLL_MS		200

struct udp_bufs {
	uint8_t	in[BATCH][2048];
	uint8_t	out[BATCH][UDP_MAX_PACKET];
};

struct udp_sock {
	struct udp	*u;
	int		 fd;
	pthread_t	 thread;
	bool		 started;
};

struct udp {
	struct tracker		*t;	/* borrowed */
	atomic_bool		 stop;
	struct udp_sock		**socks;	/* owned */
	size_t			 n;
};

static size_t
handle_announce(struct tracker *t, const struct udp_req *r,
    const struct swarm_addr *src, int v6, uint8_t *out)
{
	struct swarm_peer_info peers[SWARM_NUMWANT_MAX];
	struct swarm_counts counts;
	struct swarm_announce a;
	const char *why;
	size_t n;

	if (t->require_passkey)
		return udp_put_error(out, UDP_MAX_PACKET, r->tid,
		    "passkey required: use the HTTP announce URL");
	memcpy(a.info_hash, r->info_hash, 20);
	a.addr = *src;
	if (r->ip != 0 && t->allow_ip_param && !v6) {
		uint8_t ip4[4] = { (uint8_t)(r->ip >> 24),
			(uint8_t)(r->ip >> 16), (uint8_t)(r->ip >> 8),
			(uint8_t)r->ip };

		swarm_addr_set(&a.addr, ip4, 4, 0);
	}
	a.addr.port = r->port;
	a.left = r->left;
	a.event = r->event;
	a.numwant = r->numwant;
	why = tracker_announce(t, &a, peers, &n, &counts);
	if (why != NULL)
		return udp_put_error(out, UDP_MAX_PACKET, r->tid, why);
	return udp_put_announce(out, UDP_MAX_PACKET, r->tid, t->interval,
	    &counts, peers, n, v6);
}

static size_t
handle_scrape(struct tracker *t, const struct udp_req *r, uint8_t *out)
{
	size_t n = udp_put_scrape_head(out, r->tid);

	for (uint32_t i = 0; i < r->nhashes; i++) {
		struct swarm_counts c;
		const uint8_t *ih = r->hashes + (size_t)i * 20;

		/* Unknown or refused torrents read as zeros (order matters). */
		memset(&c, 0, sizeof(c));
		if (tracker_allowed(t, ih))
			swarm_scrape(t->swarm, ih, &c);
		n += udp_put_scrape_entry(out + n, &c);
	}
	return n;
}

size_t
udp_handle(struct tracker *t, const uint8_t *pkt, size_t len,
    const struct swarm_addr *src, int v6, uint8_t *out)
{
	uint64_t now = tracker_now();
	struct udp_req r;
	enum udp_err err;
	int rc;

	rc = udp_parse(pkt, len, &r, &err);
	if (rc == 0 && r.action == UDP_ACT_CONNECT)
		return udp_put_connect(out, r.tid,
		    connid_make(&t->connid, src, now));
	if (len < 16 || r.action == UDP_ACT_CONNECT)
		return 0;	/* no id to check: drop */
	if (!connid_check(&t->connid, src, r.conn_id, now)) {
		log_debug("dropped packet with a bad connection id");
		return 0;
	}
	if (rc < 0)
		return udp_put_error(out, UDP_MAX_PACKET, r.tid,
		    udp_strerror(err));
	if (r.action == UDP_ACT_ANNOUNCE)
		return handle_announce(t, &r, src, v6, out);
	return handle_scrape(t, &r, out);
}

static void
addr_of(const struct sockaddr_storage *ss, struct swarm_addr *a, int *v6)
{
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)ss;

		swarm_addr_set(a, (const uint8_t *)&in->sin_addr, 4,
		    ntohs(in->sin_port));
		*v6 = 0;
	} else {
		const struct sockaddr_in6 *in6 = (const void *)ss;

		swarm_addr_set(a, in6->sin6_addr.s6_addr, 16,
		    ntohs(in6->sin6_port));
		*v6 = !swarm_addr_is_v4(a);
	}
}

static void *
udp_thread(void *arg)
{
	struct udp_sock *s = arg;
	struct udp_bufs *bufs = malloc(sizeof(*bufs));
	struct sockaddr_storage from[BATCH];
	struct mmsghdr msgs[BATCH], replies[BATCH];
	struct iovec iov[BATCH], riov[BATCH];
	uint8_t (*in)[2048], (*out)[UDP_MAX_PACKET];

	if (bufs == NULL) {
		log_error("no memory for the UDP thread");
		return NULL;
	}
	in = bufs->in;
	out = bufs->out;
	while (!atomic_load(&s->u->stop)) {
		struct pollfd pfd = { .fd = s->fd, .events = POLLIN };
		int got, nrep = 0;

		if (poll(&pfd, 1, POLL_MS) <= 0)
			continue;
		for (int i = 0; i < BATCH; i++) {
			iov[i] = (struct iovec){ in[i], sizeof(in[i]) };
			msgs[i].msg_hdr = (struct msghdr){
				.msg_name = &from[i],
				.msg_namelen = sizeof(from[i]),
				.msg_iov = &iov[i],
				.msg_iovlen = 1,
			};
		}
		got = recvmmsg(s->fd, msgs, BATCH, MSG_DONTWAIT, NULL);
		if (got <= 0)
			continue;
		for (int i = 0; i < got; i++) {
			struct swarm_addr src;
			size_t n;
			int v6;

			if (msgs[i].msg_hdr.msg_flags & MSG_TRUNC)
				continue;
			addr_of(&from[i], &src, &v6);
			n = udp_handle(s->u->t, in[i], msgs[i].msg_len, &src,
			    v6, out[nrep]);
			if (n == 0)
				continue;
			riov[nrep] = (struct iovec){ out[nrep], n };
			replies[nrep].msg_hdr = (struct msghdr){
				.msg_name = &from[i],
				.msg_namelen = msgs[i].msg_hdr.msg_namelen,
				.msg_iov = &riov[nrep],
				.msg_iovlen = 1,
			};
			nrep++;
		}
		for (int sent = 0; sent < nrep;) {
			int k = sendmmsg(s->fd, replies + sent,
			    (unsigned)(nrep - sent), MSG_DONTWAIT);

			if (k <= 0)
				break;	/* full socket buffer: drop the rest */
			sent += k;
		}
	}
	free(bufs);
	return NULL;
}

struct udp *
udp_new(struct tracker *t)
{
	struct udp *u = calloc(1, sizeof(*u));

	if (u != NULL)
		u->t = t;
	return u;
}

int
udp_add_socket(struct udp *u, int fd)
{
	struct udp_sock **ns, *s;
	int rc;

	ns = realloc(u->socks, (u->n + 1) * sizeof(*ns));
	if (ns == NULL)
		return -ENOMEM;
	u->socks = ns;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return -ENOMEM;
	s->u = u;
	s->fd = fd;
	rc = pthread_create(&s->thread, NULL, udp_thread, s);
	if (rc != 0) {
		free(s);
		return -rc;
	}
	s->started = true;
	u->socks[u->n++] = s;
	return 0;
}

void
udp_free(struct udp *u)
{
	if (u == NULL)
		return;
	atomic_store(&u->stop, true);
	for (size_t i = 0; i < u->n; i++) {
		if (u->socks[i]->started)
			pthread_join(u->socks[i]->thread, NULL);
		close(u->socks[i]->fd);
		free(u->socks[i]);
	}
	free(u->socks);
	free(u);
}
