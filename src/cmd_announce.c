/*
 * cmd_announce: `vtfs --announce TORRENT`, a tracker diagnostic.  By
 * default it announces once to every tracker of every tier at the same
 * time and prints each one's answer (peers as ADDR:PORT, seeders,
 * leechers, interval) or its error, then sends "stopped" to those that
 * accepted us.  With --session it announces as a download would (BEP 12
 * tier order and failover) and stops at the first peers.  Exit status 0
 * when at least one tracker answered.  Runs its own libuv loop on the main
 * thread, which plays the network thread.
 */
#include "cmd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <jansson.h>
#include <uv.h>

#include "base/bytes.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/num.h"
#include "bt/announce.h"
#include "bt/metainfo.h"

#define STOP_BOUND_MS	2000u	/* "stopped" never delays exit longer */

struct run {
	uv_loop_t		 loop;
	struct announce		*ann;
	uv_timer_t		 timer;	/* --wait deadline, round gaps */
	uint64_t		 t0_ms;
	bool			 session;
	bool			 scrape;
	bool			 scraping;	/* the round's scrape is on */
	bool			 json;
	uint32_t		 rounds;	/* left to start */
	uint32_t		 gap_ms;
	uint32_t		 expect;	/* reports left in this round */
	uint32_t		 answered;	/* announces that succeeded */
	uint64_t		 npeers;
	bool			 ended;
	json_t			*out;	/* --json: array of reports */
};

static void
peer_str(const struct tracker_peer *p, char *out, size_t outsz)
{
	char a[INET6_ADDRSTRLEN];

	inet_ntop(p->family, p->addr, a, sizeof(a));
	if (p->family == AF_INET6)
		snprintf(out, outsz, "[%s]:%u", a, p->port);
	else
		snprintf(out, outsz, "%s:%u", a, p->port);
}

static void
on_stopped(void *arg)
{
	struct run *r = arg;

	announce_free(r->ann);
	r->ann = NULL;
	uv_close((uv_handle_t *)&r->timer, NULL);
}

static void
end_run(struct run *r)
{
	if (r->ended)
		return;
	r->ended = true;
	uv_timer_stop(&r->timer);
	announce_stop(r->ann, STOP_BOUND_MS, on_stopped, r);
}

static void
on_timer(uv_timer_t *t)
{
	struct run *r = t->data;

	if (!r->session && r->rounds > 0 && r->expect == 0) {
		/* The gap between two rounds is over. */
		r->rounds--;
		r->expect = announce_tracker_count(r->ann);
		announce_start(r->ann);
		return;
	}
	fprintf(stderr, "vtfs: --announce: giving up after the --wait time\n");
	end_run(r);
}

static json_t *
report_json(const struct announce_report *rep, double at_ms)
{
	json_t *o = json_object(), *peers;

	json_object_set_new(o, "url", json_string(rep->url));
	json_object_set_new(o, "tier", json_integer(rep->tier + 1));
	json_object_set_new(o, "kind", json_string(rep->scrape ? "scrape" :
	    rep->event == TRACKER_EV_STOPPED ? "stopped" : "announce"));
	json_object_set_new(o, "ok", json_boolean(rep->rc == 0));
	json_object_set_new(o, "ms", json_integer((json_int_t)rep->elapsed_ms));
	json_object_set_new(o, "at_ms", json_real(at_ms));
	if (rep->rc < 0) {
		json_object_set_new(o, "error",
		    json_string(tracker_strerror(rep->err->code)));
		/* err->msg is escaped ASCII: valid UTF-8. */
		json_object_set_new(o, "message", json_string(rep->err->msg));
		return o;
	}
	if (rep->counts) {
		json_object_set_new(o, "seeders",
		    json_integer(rep->counts->complete));
		json_object_set_new(o, "leechers",
		    json_integer(rep->counts->incomplete));
		json_object_set_new(o, "downloaded",
		    json_integer(rep->counts->downloaded));
		return o;
	}
	if (!rep->resp)
		return o;
	json_object_set_new(o, "interval", json_integer(rep->resp->interval));
	json_object_set_new(o, "seeders", json_integer(rep->resp->complete));
	json_object_set_new(o, "leechers",
	    json_integer(rep->resp->incomplete));
	peers = json_array();
	for (uint32_t i = 0; i < rep->resp->npeers; i++) {
		char s[INET6_ADDRSTRLEN + 10];

		peer_str(&rep->resp->peers[i], s, sizeof(s));
		json_array_append_new(peers, json_string(s));
	}
	json_object_set_new(o, "peers", peers);
	if (rep->resp->warning) {
		char esc[TRACKER_MAX_WARNING * 4 + 8];

		json_object_set_new(o, "warning", json_string(log_escape(
		    rep->resp->warning, strlen(rep->resp->warning), esc,
		    sizeof(esc))));
	}
	return o;
}

static void
print_report(const struct announce_report *rep, double at_ms)
{
	const struct tracker_resp *p = rep->resp;
	char s[INET6_ADDRSTRLEN + 10];

	printf("+%.0f ms tier %u %s: ", at_ms, rep->tier + 1, rep->url);
	if (rep->rc < 0) {
		printf("%s%s: %s: %s (%" PRIu64 " ms)\n",
		    rep->scrape ? "scrape " :
		    rep->event == TRACKER_EV_STOPPED ? "stopped " : "",
		    "error", tracker_strerror(rep->err->code), rep->err->msg,
		    rep->elapsed_ms);
		return;
	}
	if (rep->counts) {
		printf("scrape: seeders %" PRId64 ", leechers %" PRId64
		    ", downloaded %" PRId64 " (%" PRIu64 " ms)\n",
		    rep->counts->complete, rep->counts->incomplete,
		    rep->counts->downloaded, rep->elapsed_ms);
		return;
	}
	if (rep->event == TRACKER_EV_STOPPED) {
		printf("stopped: ok (%" PRIu64 " ms)\n", rep->elapsed_ms);
		return;
	}
	printf("ok: interval %u s, seeders %" PRId64 ", leechers %" PRId64
	    ", %u peers (%" PRIu64 " ms)\n", p->interval, p->complete,
	    p->incomplete, p->npeers, rep->elapsed_ms);
	if (p->warning) {
		char esc[TRACKER_MAX_WARNING * 4 + 8];

		printf("  warning: %s\n", log_escape(p->warning,
		    strlen(p->warning), esc, sizeof(esc)));
	}
	for (uint32_t i = 0; i < p->npeers; i++) {
		peer_str(&p->peers[i], s, sizeof(s));
		printf("  peer %s\n", s);
	}
}

static void
on_report(void *arg, const struct announce_report *rep)
{
	struct run *r = arg;
	double at = (double)(clock_now_ms() - r->t0_ms);

	if (rep->rc == 0 && rep->resp && rep->event != TRACKER_EV_STOPPED) {
		r->answered++;
		r->npeers += rep->resp->npeers;
	}
	if (r->json)
		json_array_append_new(r->out, report_json(rep, at));
	else
		print_report(rep, at);
	fflush(stdout);
	if (rep->event == TRACKER_EV_STOPPED && !rep->scrape)
		return;
	if (r->session) {
		if (rep->rc == 0 && rep->resp && rep->resp->npeers > 0)
			end_run(r);
		return;
	}
	if (r->expect > 0 && --r->expect == 0) {
		if (r->scrape && !r->scraping) {
			/* After the announces, so the counts include ours. */
			r->scraping = true;
			r->expect = announce_tracker_count(r->ann);
			announce_scrape(r->ann);
			return;
		}
		r->scraping = false;
		if (r->rounds > 0)
			uv_timer_start(&r->timer, on_timer, r->gap_ms, 0);
		else
			end_run(r);
	}
}

/* "ADDR:PORT", "[V6]:PORT" or a bare numeric "ADDR" (port unchanged). */
static int
parse_listen(const char *s, char *addr, size_t addrsz, uint16_t *port)
{
	const char *colon = strrchr(s, ':');
	const char *a = s;
	size_t alen = strlen(s);
	int64_t p = *port;
	uint8_t tmp[16];

	if (inet_pton(AF_INET, s, tmp) == 1 || inet_pton(AF_INET6, s, tmp) == 1)
		colon = NULL;	/* a bare address */
	else if (!colon || num_parse_i64(colon + 1, 1, 65535, &p) < 0)
		return -EINVAL;
	else
		alen = (size_t)(colon - s);
	if (alen >= 2 && s[0] == '[' && s[alen - 1] == ']') {
		a++;
		alen -= 2;
	}
	if (alen == 0 || alen >= addrsz)
		return -EINVAL;
	memcpy(addr, a, alen);
	addr[alen] = '\0';
	if (inet_pton(AF_INET, addr, tmp) != 1 &&
	    inet_pton(AF_INET6, addr, tmp) != 1)
		return -EINVAL;
	*port = (uint16_t)p;
	return 0;
}

static void
usage(void)
{
	fputs("usage: vtfs --announce TORRENT [--port N] [--listen ADDR[:PORT]]\n"
	    "         [--timeout S] [--udp-retry-base MS] [--scrape]\n"
	    "         [--rounds N] [--gap MS] [--session [--wait S]\n"
	    "         [--one-at-a-time]] [--json] [--log-level LEVEL]\n", stdout);
}

int
cmd_announce_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"announce", required_argument, NULL, 'a'},
		{"port", required_argument, NULL, 'p'},
		{"listen", required_argument, NULL, 'l'},
		{"timeout", required_argument, NULL, 't'},
		{"udp-retry-base", required_argument, NULL, 'u'},
		{"scrape", no_argument, NULL, 's'},
		{"rounds", required_argument, NULL, 'r'},
		{"gap", required_argument, NULL, 'g'},
		{"session", no_argument, NULL, 'S'},
		{"wait", required_argument, NULL, 'w'},
		{"one-at-a-time", no_argument, NULL, '1'},
		{"json", no_argument, NULL, 'j'},
		{"log-level", required_argument, NULL, 'L'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct announce_config cfg = {.port = 6881};
	struct announce_callbacks cbs = {.on_report = on_report};
	struct run r = {.rounds = 1, .gap_ms = 1000};
	const char *torrent = NULL;
	char bind[INET6_ADDRSTRLEN];
	struct metainfo *m = NULL;
	struct meta_error merr;
	int64_t v, wait_s = 60, timeout_s = 10;
	enum log_level lvl;
	int c, rc;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'a':
			torrent = optarg;
			break;
		case 'p':
			if (num_parse_i64(optarg, 1, 65535, &v) < 0)
				return cmd_usage_error("--port: not a port: %s",
				    optarg);
			cfg.port = (uint16_t)v;
			break;
		case 'l':
			if (parse_listen(optarg, bind, sizeof(bind),
			    &cfg.port) < 0)
				return cmd_usage_error("--listen: expected "
				    "ADDR[:PORT] with a numeric address: %s",
				    optarg);
			cfg.bind_addr = bind;
			break;
		case 't':
			if (num_parse_i64(optarg, 1, 3600, &timeout_s) < 0)
				return cmd_usage_error("--timeout: seconds "
				    "1..3600: %s", optarg);
			break;
		case 'u':
			if (num_parse_i64(optarg, 1, 60000, &v) < 0)
				return cmd_usage_error("--udp-retry-base: ms "
				    "1..60000: %s", optarg);
			cfg.udp_retry_base_ms = (uint32_t)v;
			break;
		case 's':
			r.scrape = true;
			break;
		case 'r':
			if (num_parse_i64(optarg, 1, 100, &v) < 0)
				return cmd_usage_error("--rounds: 1..100: %s",
				    optarg);
			r.rounds = (uint32_t)v;
			break;
		case 'g':
			if (num_parse_i64(optarg, 0, 3600000, &v) < 0)
				return cmd_usage_error("--gap: ms: %s", optarg);
			r.gap_ms = (uint32_t)v;
			break;
		case 'S':
			r.session = true;
			break;
		case 'w':
			if (num_parse_i64(optarg, 1, 86400, &wait_s) < 0)
				return cmd_usage_error("--wait: seconds: %s",
				    optarg);
			break;
		case '1':
			cfg.one_at_a_time = true;
			break;
		case 'j':
			r.json = true;
			break;
		case 'L':
			if (log_parse_level(optarg, &lvl) < 0)
				return cmd_usage_error("--log-level: error, "
				    "warn, info or debug: %s", optarg);
			log_set_level(lvl);
			break;
		case 'h':
			usage();
			return CMD_EXIT_OK;
		default:
			return cmd_usage_error("--announce: bad option");
		}
	}
	if (!torrent || optind != argc)
		return cmd_usage_error("--announce takes one TORRENT");
	rc = meta_load_file(torrent, &m, &merr);
	if (rc < 0) {
		fprintf(stderr, "vtfs: %s: %s: %s\n", torrent,
		    meta_strerror(merr.code), merr.msg);
		return CMD_EXIT_FAIL;
	}
	cfg.timeout_ms = (uint32_t)timeout_s * 1000u;
	cfg.every_tracker = !r.session;
	cfg.left = m->total;
	cbs.on_report = on_report;
	cbs.arg = &r;
	uv_loop_init(&r.loop);
	uv_timer_init(&r.loop, &r.timer);
	r.timer.data = &r;
	rc = announce_new(&r.loop, &cfg, m, &cbs, &r.ann);
	meta_free(m);
	if (rc < 0) {
		fprintf(stderr, "vtfs: %s: %s\n", torrent, rc == -EINVAL ?
		    "no usable tracker in the torrent" : strerror(-rc));
		uv_close((uv_handle_t *)&r.timer, NULL);
		uv_run(&r.loop, UV_RUN_DEFAULT);
		uv_loop_close(&r.loop);
		return CMD_EXIT_FAIL;
	}
	if (r.json)
		r.out = json_array();
	r.t0_ms = clock_now_ms();
	if (r.session) {
		uv_timer_start(&r.timer, on_timer, (uint64_t)wait_s * 1000u, 0);
		announce_start(r.ann);
	} else {
		r.rounds--;
		r.expect = announce_tracker_count(r.ann);
		announce_start(r.ann);
	}
	uv_run(&r.loop, UV_RUN_DEFAULT);
	uv_loop_close(&r.loop);
	if (r.json) {
		json_dumpf(r.out, stdout, JSON_INDENT(2));
		fputc('\n', stdout);
		json_decref(r.out);
	}
	if (r.answered == 0) {
		fprintf(stderr, "vtfs: %s: no tracker answered\n", torrent);
		return CMD_EXIT_FAIL;
	}
	return CMD_EXIT_OK;
}
