/*
 * udpload: a BEP 15 load generator for bench/tracker/run.sh.
 *
 *   udpload bench HOST PORT SECONDS HASHES.bin [WINDOW]
 *	connect once, then keep WINDOW announces in flight (random torrent
 *	from HASHES.bin, random peer id and port, numwant 50) for SECONDS;
 *	print "announces/s N".
 *   udpload fill HOST PORT HASHES.bin NPEERS
 *	announce every torrent of HASHES.bin from NPEERS ports each (a
 *	peer is an address + port), waiting for every reply (retrying lost
 *	ones); print "filled N".
 *
 * IPv4 only; the source address is SRC_IP (env, default 127.0.3.50).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static uint8_t *hashes;
static size_t nhashes;
static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static void
put64(uint8_t *p, uint64_t v)
{
	put32(p, v >> 32);
	put32(p + 4, (uint32_t)v);
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
}

static int
open_sock(const char *host, int port, int local_port)
{
	struct sockaddr_in dst = { .sin_family = AF_INET }, src = {
		.sin_family = AF_INET };
	const char *sip = getenv("SRC_IP") ? getenv("SRC_IP") : "127.0.3.50";
	int fd = socket(AF_INET, SOCK_DGRAM, 0), sz = 8 << 20;

	inet_pton(AF_INET, sip, &src.sin_addr);
	src.sin_port = htons((uint16_t)local_port);
	inet_pton(AF_INET, host, &dst.sin_addr);
	dst.sin_port = htons((uint16_t)port);
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	if (bind(fd, (void *)&src, sizeof(src)) < 0 ||
	    connect(fd, (void *)&dst, sizeof(dst)) < 0) {
		perror("socket");
		exit(1);
	}
	return fd;
}

static uint64_t
do_connect(int fd)
{
	uint8_t p[16], r[64];

	for (int tries = 0; tries < 20; tries++) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };

		put64(p, 0x41727101980ULL);
		put32(p + 8, 0);
		put32(p + 12, 0xc0ffee);
		send(fd, p, 16, 0);
		if (poll(&pfd, 1, 500) > 0 && recv(fd, r, sizeof(r), 0) >= 16 &&
		    get32(r) == 0 && get32(r + 4) == 0xc0ffee)
			return (uint64_t)get32(r + 8) << 32 | get32(r + 12);
	}
	fprintf(stderr, "udpload: no connect reply\n");
	exit(1);
}

static void
make_announce(uint8_t *p, uint64_t cid, uint32_t tid, const uint8_t *ih,
    uint16_t port)
{
	memset(p, 0, 98);
	put64(p, cid);
	put32(p + 8, 1);
	put32(p + 12, tid);
	memcpy(p + 16, ih, 20);
	memcpy(p + 36, "-UL0001-", 8);
	put64(p + 44, rnd());
	put32(p + 52, (uint32_t)rnd());
	put64(p + 64, 100);	/* left */
	put32(p + 80, 2);	/* started */
	put32(p + 92, 50);	/* numwant */
	p[96] = port >> 8;
	p[97] = port & 0xff;
}

static void
load_hashes(const char *path)
{
	struct stat st;
	int fd = open(path, O_RDONLY);

	if (fd < 0 || fstat(fd, &st) < 0 || st.st_size % 20 != 0) {
		fprintf(stderr, "udpload: bad hashes file %s\n", path);
		exit(1);
	}
	hashes = malloc((size_t)st.st_size);
	if (read(fd, hashes, (size_t)st.st_size) != st.st_size)
		exit(1);
	nhashes = (size_t)st.st_size / 20;
	close(fd);
}

static int
bench(const char *host, int port, double secs, int window)
{
	int fd = open_sock(host, port, 0);
	uint64_t cid = do_connect(fd), done = 0;
	double t0 = now(), last_send = t0, end = t0 + secs;
	uint8_t p[98], r[2048];
	int inflight = 0;

	while (now() < end) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };

		while (inflight < window) {
			make_announce(p, cid, (uint32_t)rnd(),
			    hashes + (rnd() % nhashes) * 20,
			    (uint16_t)(1024 + rnd() % 64000));
			if (send(fd, p, 98, 0) < 0)
				break;
			inflight++;
			last_send = now();
		}
		if (poll(&pfd, 1, 100) <= 0) {
			/* Lost packets: refill the window. */
			if (now() - last_send > 0.1)
				inflight = 0;
			continue;
		}
		while (recv(fd, r, sizeof(r), MSG_DONTWAIT) > 0) {
			if (get32(r) == 1)
				done++;
			if (inflight > 0)
				inflight--;
		}
	}
	printf("announces/s %.0f\n", done / (now() - t0));
	return 0;
}

static int
fill(const char *host, int port, int npeers)
{
	int fd = open_sock(host, port, 0);
	uint64_t cid = do_connect(fd);
	uint8_t p[98], r[2048];
	size_t total = nhashes * (size_t)npeers, next = 0, acked = 0;
	uint8_t *got = calloc(total, 1);
	double deadline = now() + 600;

	/* tid = index; ports 10000 + j make the peers distinct. */
	while (acked < total && now() < deadline) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int sent = 0;

		for (; next < total && sent < 256; next++, sent++) {
			make_announce(p, cid, (uint32_t)next,
			    hashes + (next / npeers) * 20,
			    (uint16_t)(10000 + next % npeers));
			send(fd, p, 98, 0);
		}
		while (poll(&pfd, 1, next < total ? 1 : 300) > 0) {
			ssize_t n = recv(fd, r, sizeof(r), MSG_DONTWAIT);
			uint32_t tid;

			if (n < 8)
				break;
			tid = get32(r + 4);
			if (get32(r) == 1 && tid < total && !got[tid]) {
				got[tid] = 1;
				acked++;
			}
		}
		if (next == total && acked < total) {
			/* Resend what is missing. */
			for (size_t i = 0; i < total; i++)
				if (!got[i]) {
					make_announce(p, cid, (uint32_t)i,
					    hashes + (i / npeers) * 20,
					    (uint16_t)(10000 + i % npeers));
					send(fd, p, 98, 0);
				}
		}
	}
	printf("filled %zu of %zu\n", acked, total);
	return acked == total ? 0 : 1;
}

int
main(int argc, char **argv)
{
	if (argc >= 6 && strcmp(argv[1], "bench") == 0) {
		load_hashes(argv[5]);
		rng ^= (uint64_t)getpid() << 20;
		return bench(argv[2], atoi(argv[3]), atof(argv[4]),
		    argc > 6 ? atoi(argv[6]) : 64);
	}
	if (argc == 6 && strcmp(argv[1], "fill") == 0) {
		load_hashes(argv[4]);
		return fill(argv[2], atoi(argv[3]), atoi(argv[5]));
	}
	fprintf(stderr, "usage: udpload bench HOST PORT SECONDS HASHES [WIN]\n"
	    "       udpload fill HOST PORT HASHES NPEERS\n");
	return 2;
}
