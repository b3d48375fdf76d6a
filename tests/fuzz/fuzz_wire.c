/*
 * libFuzzer target: arbitrary bytes from a peer through the wire decoder
 * and the protocol state machine, in chunks of varying size, with the
 * actions a network thread would take (accept, request on unchoke, serve
 * requests, timers).  Must never crash, leak or grow without bound.
 *
 * Input: byte 0 selects options (bit 0: prepend a valid handshake so the
 * fuzzer reaches the messages; bit 1: we offer BEP 6; bit 2: BEP 10;
 * bits 3-7: chunk size), the rest is what the peer sends.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bt/proto.h"
#include "bt/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct wire_geom geom = {37, 32768, 36 * 32768 + 1234};

static void
act(struct proto *p, const struct proto_event *ev, uint64_t now)
{
	static uint8_t block[WIRE_BLOCK];
	struct proto_req r;

	switch (ev->type) {
	case PROTO_EV_UNCHOKE:
	case PROTO_EV_BITFIELD:
	case PROTO_EV_HAVE:
		(void)proto_set_interested(p, proto_peer_has_needed(p), now);
		for (uint32_t i = 0; i < geom.npieces; i++)
			if (proto_can_request(p, i))
				(void)proto_request(p, i, 0, 1000, now);
		break;
	case PROTO_EV_INTERESTED:
		(void)proto_unchoke(p, now);
		break;
	case PROTO_EV_NOT_INTERESTED:
		(void)proto_choke(p, now);
		break;
	case PROTO_EV_REQUEST:
		while (proto_next_upload(p, &r))
			(void)proto_send_block(p, r.index, r.begin, block,
			    r.length, now);
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
	if (proto_init(&p, &cfg, now) < 0) {
		bitfield_fini(&ours);
		return 0;
	}
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
				act(&p, &ev, now);
			}
			/* Send what is queued, as a socket would. */
			(void)proto_out(&p, &olen);
			proto_out_consumed(&p, olen);
		}
		now += 7000;
		if (proto_tick(&p, now, &t) < 0)
			break;
	}
done:
	free(in);
out:
	proto_fini(&p);
	bitfield_fini(&ours);
	return 0;
}
