/*
 * Tests for bt/netio on a real libuv loop over loopback (127.0.7.x): bulk
 * transfer with flow control, source binding, per-IP and total caps,
 * refused connections, backpressure through pause/resume.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/clock.h"
#include "bt/netio.h"

struct side {
	struct netio		*nio;
	struct netio_conn	*conn;		/* last accepted / connected */
	uint64_t		 got;		/* bytes received */
	uint32_t		 sum;		/* of received bytes */
	int			 connect_status;
	int			 nconnect, naccept, nclose, ndrain;
	int			 last_close;
	char			 peer_ip[64];
	uint64_t		 to_send;	/* client: bytes left */
	uint64_t		 sent;
	bool			 pause_on_accept;
};

static uv_loop_t loop;

static int
on_accept(void *ud, struct netio_conn *c)
{
	struct side *s = ud;

	s->naccept++;
	s->conn = c;
	netio_addr_str(netio_peer_addr(c), s->peer_ip, sizeof(s->peer_ip));
	if (s->pause_on_accept)
		netio_pause(c);
	return 0;
}

static void
pump(struct side *s)
{
	static uint8_t chunk[100000];

	while (s->to_send) {
		size_t n = s->to_send < sizeof(chunk) ? s->to_send
						       : sizeof(chunk);

		for (size_t i = 0; i < n; i++)
			chunk[i] = (uint8_t)(s->sent + i);
		if (netio_send(s->conn, chunk, n) != 0)
			return;		/* queue full: on_drain resumes */
		s->sent += n;
		s->to_send -= n;
	}
}

static void
on_connect(void *ud, struct netio_conn *c, int status)
{
	struct side *s = ud;

	s->nconnect++;
	s->connect_status = status;
	s->conn = c;
	if (status == 0)
		pump(s);
}

static int
on_data(void *ud, struct netio_conn *c, const uint8_t *p, size_t n)
{
	struct side *s = ud;

	for (size_t i = 0; i < n; i++) {
		if (p[i] != (uint8_t)(s->got + i))
			return -EBADMSG;
		s->sum += p[i];
	}
	s->got += n;
	return 0;
}

static void
on_drain(void *ud, struct netio_conn *c)
{
	struct side *s = ud;

	s->ndrain++;
	pump(s);
}

static void
on_close(void *ud, struct netio_conn *c, int reason)
{
	struct side *s = ud;

	s->nclose++;
	s->last_close = reason;
	if (s->conn == c)
		s->conn = NULL;
}

static const struct netio_ops ops = {
    .on_accept = on_accept,
    .on_connect = on_connect,
    .on_data = on_data,
    .on_drain = on_drain,
    .on_close = on_close,
};

static struct sockaddr_in
addr_of(const char *ip, uint16_t port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET,
	    .sin_port = htons(port)};

	inet_pton(AF_INET, ip, &sa.sin_addr);
	return sa;
}

/* Run the loop until cond holds, for at most 30 s (TSan is slow). */
#define RUN_UNTIL(cond)                                                       \
	do {                                                                  \
		uint64_t end_ = clock_now_ms() + 30000;                       \
		while (!(cond) && clock_now_ms() < end_)                      \
			uv_run(&loop, UV_RUN_NOWAIT);                         \
		assert_true(cond);                                            \
	} while (0)

static void
teardown_sides(struct side *a, struct side *b)
{
	netio_shutdown(a->nio);
	netio_shutdown(b->nio);
	for (int i = 0; i < 1000 && uv_run(&loop, UV_RUN_NOWAIT); i++)
		;
	netio_free(a->nio);
	netio_free(b->nio);
}

static void
setup_pair(struct side *srv, struct side *cli, uint32_t per_ip,
    size_t sendq)
{
	struct netio_config scfg = {.listen_addr = "127.0.7.1",
	    .listen_port = 0, .max_per_ip = per_ip, .max_conns = 4};
	struct netio_config ccfg = {.listen_addr = "127.0.7.2",
	    .no_listen = true, .max_sendq = sendq};

	/* Port 0 means "the default with fallback": take any free port. */
	scfg.listen_port = 0;
	assert_int_equal(netio_new(&loop, &scfg, &ops, srv, &srv->nio), 0);
	assert_int_not_equal(netio_port(srv->nio), 0);
	assert_int_equal(netio_new(&loop, &ccfg, &ops, cli, &cli->nio), 0);
	assert_int_equal(netio_port(cli->nio), 0);
}

static void
test_netio_bulk_transfer_flow_control(void **state)
{
	struct side srv = {0}, cli = {0};
	struct sockaddr_in sa;
	struct netio_conn *c;

	setup_pair(&srv, &cli, 0, 1 << 20);
	cli.to_send = 64ull << 20;
	sa = addr_of("127.0.7.1", netio_port(srv.nio));
	assert_int_equal(netio_connect(cli.nio, (struct sockaddr *)&sa, &c), 0);
	RUN_UNTIL(srv.got == 64ull << 20);
	assert_int_equal(cli.connect_status, 0);
	assert_int_equal(srv.naccept, 1);
	/* Outgoing connections leave from the configured address. */
	assert_memory_equal(srv.peer_ip, "127.0.7.2:", 10);
	/* 64 MiB through a 1 MiB queue: it filled and drained. */
	assert_true(cli.ndrain > 0);
	netio_close(cli.conn, 0);
	RUN_UNTIL(srv.nclose == 1 && cli.nclose == 1);
	assert_int_equal(srv.last_close, 0);	/* orderly EOF */
	teardown_sides(&srv, &cli);
}

static void
test_netio_caps(void **state)
{
	struct side srv = {0}, cli = {0};
	struct netio_config ccfg2 = {.listen_addr = "127.0.7.2",
	    .no_listen = true, .max_per_ip = 1};
	struct side cli2 = {0};
	struct sockaddr_in sa;
	struct netio_conn *c;

	setup_pair(&srv, &cli, 1, 0);
	sa = addr_of("127.0.7.1", netio_port(srv.nio));
	assert_int_equal(netio_connect(cli.nio, (struct sockaddr *)&sa, &c), 0);
	RUN_UNTIL(srv.naccept == 1);
	/* A second connection from 127.0.7.2 is refused by the server. */
	assert_int_equal(netio_connect(cli.nio, (struct sockaddr *)&sa, &c), 0);
	RUN_UNTIL(cli.nclose == 1);
	assert_int_equal(srv.naccept, 1);
	assert_int_equal(netio_count(srv.nio), 1);
	/* A client with max_per_ip 1 does not even try a second one. */
	assert_int_equal(netio_new(&loop, &ccfg2, &ops, &cli2, &cli2.nio), 0);
	assert_int_equal(netio_connect(cli2.nio, (struct sockaddr *)&sa, &c),
	    0);
	assert_int_equal(netio_connect(cli2.nio, (struct sockaddr *)&sa, &c),
	    -EEXIST);
	netio_shutdown(cli2.nio);
	for (int i = 0; i < 100; i++)
		uv_run(&loop, UV_RUN_NOWAIT);
	netio_free(cli2.nio);
	teardown_sides(&srv, &cli);
}

static void
test_netio_refused(void **state)
{
	struct side srv = {0}, cli = {0};
	struct sockaddr_in sa;
	struct netio_conn *c;
	uint16_t port;

	setup_pair(&srv, &cli, 0, 0);
	port = netio_port(srv.nio);
	teardown_sides(&srv, &cli);
	memset(&srv, 0, sizeof(srv));
	memset(&cli, 0, sizeof(cli));
	setup_pair(&srv, &cli, 0, 0);
	/* The old port is closed now (unless reused: then pick port-1). */
	if (port == netio_port(srv.nio))
		port--;
	sa = addr_of("127.0.7.1", port);
	assert_int_equal(netio_connect(cli.nio, (struct sockaddr *)&sa, &c), 0);
	RUN_UNTIL(cli.nconnect == 1 && cli.nclose == 1);
	assert_int_equal(cli.connect_status, UV_ECONNREFUSED);
	teardown_sides(&srv, &cli);
}

/* A reader that stops reading makes the sender's queue refuse, not grow. */
static void
test_netio_backpressure(void **state)
{
	struct side srv = {.pause_on_accept = true}, cli = {0};
	struct sockaddr_in sa;
	struct netio_conn *c;

	setup_pair(&srv, &cli, 0, 256 << 10);
	cli.to_send = 64ull << 20;
	sa = addr_of("127.0.7.1", netio_port(srv.nio));
	assert_int_equal(netio_connect(cli.nio, (struct sockaddr *)&sa, &c), 0);
	RUN_UNTIL(srv.naccept == 1 && cli.nconnect == 1);
	for (int i = 0; i < 2000; i++)
		uv_run(&loop, UV_RUN_NOWAIT);
	/* Sent at most what the kernel buffers plus our queue cap. */
	assert_true(cli.sent < 32ull << 20);
	assert_true(cli.to_send > 0);
	assert_int_equal(srv.got, 0);
	assert_true(netio_send_room(cli.conn) < (256u << 10));
	netio_resume(srv.conn);
	RUN_UNTIL(srv.got == 64ull << 20);
	teardown_sides(&srv, &cli);
}

/*
 * A reader that never reads is dropped once our pending write has not
 * moved for send_stall_ms (here 1.5 s; 60 s by default), and only then.
 */
static void
test_netio_send_stall(void **state)
{
	struct side srv = {.pause_on_accept = true}, cli = {0};
	struct netio_config scfg = {.listen_addr = "127.0.53.1",
	    .max_conns = 4};
	struct netio_config ccfg = {.listen_addr = "127.0.53.2",
	    .no_listen = true, .max_sendq = 256 << 10, .send_stall_ms = 1500};
	struct sockaddr_in sa;
	struct netio_conn *c;
	uint64_t t0;

	assert_int_equal(netio_new(&loop, &scfg, &ops, &srv, &srv.nio), 0);
	assert_int_equal(netio_new(&loop, &ccfg, &ops, &cli, &cli.nio), 0);
	cli.to_send = 64ull << 20;
	sa = addr_of("127.0.53.1", netio_port(srv.nio));
	assert_int_equal(netio_connect(cli.nio, (struct sockaddr *)&sa, &c), 0);
	RUN_UNTIL(srv.naccept == 1 && cli.nconnect == 1);
	t0 = clock_now_ms();
	RUN_UNTIL(cli.nclose == 1);
	assert_int_equal(cli.last_close, -ETIMEDOUT);
	/* Not before the stall time, and within a tick or two after it. */
	assert_true(clock_now_ms() - t0 >= 1500);
	assert_true(clock_now_ms() - t0 < 4000);
	assert_int_equal(srv.got, 0);
	teardown_sides(&srv, &cli);
}

/*
 * A plain socket reads nbytes every step_ms (without reading, 0) until ms
 * have passed or cli's connection closed.
 */
static void
trickle(int fd, struct side *cli, size_t nbytes, uint64_t step_ms,
    uint64_t ms)
{
	static uint8_t sink[64 << 10];
	uint64_t end = clock_now_ms() + ms, next = 0;

	while (clock_now_ms() < end && cli->nclose == 0) {
		if (nbytes > 0 && clock_now_ms() >= next) {
			(void)recv(fd, sink, nbytes, MSG_DONTWAIT);
			next = clock_now_ms() + step_ms;
		}
		uv_run(&loop, UV_RUN_NOWAIT);
	}
}

/*
 * A reader that drains a block now and then is kept; one that takes a
 * byte now and then to hold its connection open is dropped like one that
 * reads nothing (stall 1.5 s here).
 */
static void
test_netio_send_stall_trickle(void **state)
{
	struct side cli = {0};
	struct netio_config ccfg = {.listen_addr = "127.0.53.4",
	    .no_listen = true, .max_sendq = 256 << 10, .send_stall_ms = 1500};
	struct sockaddr_in sa = addr_of("127.0.53.3", 0);
	socklen_t sl = sizeof(sa);
	int lfd, fd = -1, small = 4096;
	struct netio_conn *c;
	uint64_t t0;

	lfd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(lfd >= 0);
	setsockopt(lfd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(lfd, 1), 0);
	getsockname(lfd, (struct sockaddr *)&sa, &sl);
	assert_int_equal(netio_new(&loop, &ccfg, &ops, &cli, &cli.nio), 0);
	cli.to_send = 1ull << 30;
	assert_int_equal(netio_connect(cli.nio, (struct sockaddr *)&sa, &c), 0);
	RUN_UNTIL(cli.nconnect == 1);
	fd = accept(lfd, NULL, NULL);
	assert_true(fd >= 0);
	/* 64 KiB every 200 ms for 4 s: slow, not stalled. */
	trickle(fd, &cli, 64 << 10, 200, 4000);
	assert_int_equal(cli.nclose, 0);
	/* A byte every 100 ms: closed. */
	t0 = clock_now_ms();
	trickle(fd, &cli, 1, 100, 10000);
	assert_int_equal(cli.nclose, 1);
	assert_int_equal(cli.last_close, -ETIMEDOUT);
	assert_true(clock_now_ms() - t0 < 4000);
	close(fd);
	close(lfd);
	netio_shutdown(cli.nio);
	for (int i = 0; i < 1000 && uv_run(&loop, UV_RUN_NOWAIT); i++)
		;
	netio_free(cli.nio);
}

static void
test_netio_parse_addr(void **state)
{
	struct sockaddr_storage ss;
	char out[64];

	assert_int_equal(netio_parse_addr("127.0.0.2:6881", &ss), 0);
	assert_string_equal(netio_addr_str(&ss, out, sizeof(out)),
	    "127.0.0.2:6881");
	assert_int_equal(netio_parse_addr("[::1]:80", &ss), 0);
	assert_string_equal(netio_addr_str(&ss, out, sizeof(out)), "[::1]:80");
	assert_int_equal(netio_parse_addr("127.0.0.2", &ss), -EINVAL);
	assert_int_equal(netio_parse_addr("127.0.0.2:", &ss), -EINVAL);
	assert_int_equal(netio_parse_addr("127.0.0.2:65536", &ss), -EINVAL);
	assert_int_equal(netio_parse_addr("host:80", &ss), -EINVAL);
	assert_int_equal(netio_parse_addr("[::1:80", &ss), -EINVAL);
	assert_int_equal(netio_parse_addr(":80", &ss), -EINVAL);
}

static int
setup(void **state)
{
	return uv_loop_init(&loop);
}

static int
teardown(void **state)
{
	return uv_loop_close(&loop);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_netio_bulk_transfer_flow_control),
	    cmocka_unit_test(test_netio_caps),
	    cmocka_unit_test(test_netio_refused),
	    cmocka_unit_test(test_netio_backpressure),
	    cmocka_unit_test(test_netio_send_stall),
	    cmocka_unit_test(test_netio_send_stall_trickle),
	    cmocka_unit_test(test_netio_parse_addr),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
