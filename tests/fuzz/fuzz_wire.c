/*
 * libFuzzer target: arbitrary bytes from a peer through the wire decoder
 * and the protocol state machine, in chunks of varying size, with the
 * actions a network thread would take (accept, availability and blocks
 * into the picker, requests from the picker on unchoke, serve requests,
 * timers).  Must never crash, leak, grow without bound or break one of the
 * picker's invariants.
 *
 * Input: byte 0 selects options (bit 0: prepend a valid handshake so the
 * fuzzer reaches the messages; bit 1: we offer BEP 6; bit 2: BEP 10;
 * bits 3-7: chunk size), the rest is what the peer sends.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bt/picker.h"
#include "bt/proto.h"
#include "bt/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct wire_geom geom = {37, 32768, 36 * 32768 + 1234};

static void
ask(struct proto *p, struct picker *pk, uint64_t now)
{
	struct picker_peer pp = {1, &p->have, rate_get(&p->down, now),
	    p->snubbed};
	struct picker_block out[64];
	uint32_t n;

	(void)proto_set_interested(p, picker_peer_interesting(pk, &p->have),
	    now);
	n = picker_pick(pk, &pp, now, 5000, out, 64);
	for (uint32_t i = 0; i < n; i++)
		if (proto_request(p, out[i].piece, out[i].begin,
		    out[i].length, now) < 0)
			picker_on_lost(pk, 1, out[i].piece, out[i].begin);
}

static void
act(struct proto *p, struct picker *pk, bool *added,
    const struct proto_event *ev, uint64_t now)
{
	static uint8_t block[WIRE_BLOCK];
	struct picker_recv r;
	struct proto_req q;
	uint32_t senders[4];

	switch (ev->type) {
	case PROTO_EV_BITFIELD:
		if (!*added)
			*added = picker_peer_add(pk, 1, &p->have) == 0;
		ask(p, pk, now);
		break;
	case PROTO_EV_HAVE:
		if (!*added)
			*added = picker_peer_add(pk, 1, &p->have) == 0;
		else
			picker_peer_have(pk, 1, ev->index);
		/* fall through */
	case PROTO_EV_UNCHOKE:
		ask(p, pk, now);
		break;
	case PROTO_EV_CHOKE:
		for (uint32_t i = 0; i < ev->ndropped; i++)
			picker_on_lost(pk, 1, ev->dropped[i].index,
			    ev->dropped[i].begin);
		break;
	case PROTO_EV_REJECT:
		picker_on_lost(pk, 1, ev->index, ev->begin);
		break;
	case PROTO_EV_BLOCK:
		if (picker_on_block(pk, 1, ev->index, ev->begin, &r) == 0 &&
		    r.piece_done) {
			/* Alternate hash verdicts to reach both paths. */
			if (ev->index % 2)
				picker_on_hash_fail(pk, ev->index, senders, 4);
			else
				picker_set_have(pk, ev->index);
		}
		ask(p, pk, now);
		break;
	case PROTO_EV_INTERESTED:
		(void)proto_unchoke(p, now);
		break;
	case PROTO_EV_NOT_INTERESTED:
		(void)proto_choke(p, now);
		break;
	case PROTO_EV_REQUEST:
		while (proto_next_upload(p, &q))
			(void)proto_send_block(p, q.index, q.begin, block,
			    q.length, now);
		break;
	default:
		break;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proto p;
	struct proto_config cfg;
	struct bitfield ours;
	struct proto_tick t;
	struct picker *pk;
	bool added = false;
	const char *why;
	uint8_t *in;
	size_t len, pos = 0, chunk;
	uint64_t now = 1000;
	uint8_t opt;

	if (size < 1)
		return 0;
	opt = data[0];
	data++;
	size--;
	chunk = (size_t)(opt >> 3) * 37 + 1;
	memset(&cfg, 0, sizeof(cfg));
	memset(cfg.peer_id, 'v', 20);
	memset(cfg.info_hash, 0x11, 20);
	cfg.fast = opt & 2;
	cfg.ext = opt & 4;
	cfg.client = "fuzz";
	if (bitfield_init(&ours, geom.npieces) < 0)
		return 0;
	for (uint32_t i = 0; i < geom.npieces; i += 2)
		bitfield_set(&ours, i);
	pk = picker_new(geom.npieces, geom.piece_len, geom.total);
	if (pk == NULL || proto_init(&p, &cfg, now) < 0) {
		picker_free(pk);
		bitfield_fini(&ours);
		return 0;
	}
	for (uint32_t i = 0; i < geom.npieces; i++)
		if (bitfield_test(&ours, i))
			picker_set_have(pk, i);
	(void)picker_add_pad(pk, 3 * 32768 + 100, 40000);
	/* The peer's bytes, optionally behind a valid handshake. */
	len = size + ((opt & 1) ? WIRE_HANDSHAKE_LEN : 0);
	in = malloc(len ? len : 1);
	if (in == NULL)
		goto out;
	if (opt & 1) {
		in[0] = 19;
		memcpy(in + 1, WIRE_PSTR, 19);
		memset(in + 20, 0xff, 8);
		memset(in + 28, 0x11, 20);
		memset(in + 48, 'p', 20);
	}
	memcpy(in + ((opt & 1) ? WIRE_HANDSHAKE_LEN : 0), data, size);
	while (pos < len) {
		size_t end = pos + chunk < len ? pos + chunk : len;
		int rc = 0;

		while (pos < end) {
			struct proto_event ev;
			size_t used, olen;

			rc = proto_feed(&p, in + pos, end - pos, &used, now, &ev);
			pos += used;
			if (rc < 0)
				goto done;
			if (rc == 1 && ev.type == PROTO_EV_HANDSHAKE &&
			    p.phase == PROTO_ATTACH) {
				static const uint8_t ip[4] = {10, 1, 2, 3};

				if (memcmp(ev.hs->info_hash, cfg.info_hash,
				    20) != 0 ||
				    proto_accept(&p, ev.hs->info_hash, &geom,
				    &ours, ip, now) < 0)
					goto done;
			} else if (rc == 1) {
				act(&p, pk, &added, &ev, now);
				if (picker_check(pk, &why) != 0)
					abort();
			}
			/* Send what is queued, as a socket would. */
			(void)proto_out(&p, &olen);
			proto_out_consumed(&p, olen);
		}
		now += 7000;
		if (proto_tick(&p, now, &t) < 0)
			break;
		for (uint32_t i = 0; i < t.nexpired; i++)
			picker_on_lost(pk, 1, t.expired[i].index,
			    t.expired[i].begin);
	}
done:
	free(in);
out:
	if (added)
		picker_peer_remove(pk, 1, &p.have);
	if (picker_check(pk, &why) != 0)
		abort();
	picker_free(pk);
	proto_fini(&p);
	bitfield_fini(&ours);
	return 0;
}
