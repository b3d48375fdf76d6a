/*
 * Fuzz the bencode decoder: any input either fails cleanly or decodes into
 * a tree whose spans lie inside the input, and re-encoding a decoded tree
 * gives back the exact input bytes when its keys were sorted.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "base/bencode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
reencode(struct buf *b, const struct benc_node *n)
{
	switch (n->type) {
	case BENC_INT:
		benc_put_int(b, n->i);
		break;
	case BENC_STR:
		benc_put_str(b, n->s, n->slen);
		break;
	case BENC_LIST:
	case BENC_DICT:
		/* Depth is capped at 100 by the decoder: recursion is safe. */
		buf_putc(b, n->type == BENC_LIST ? 'l' : 'd');
		for (const struct benc_node *c = benc_first(n); c;
		     c = benc_next(n, c))
			reencode(b, c);
		benc_put_end(b);
		break;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct benc_limits lim = {.max_nodes = 1 << 16};
	struct benc_doc doc;
	struct benc_error err;
	struct buf b;

	if (benc_decode(data, size, &lim, &doc, &err) != 0) {
		assert(err.code != BENC_OK && err.off <= size);
		return 0;
	}
	assert(doc.n > 0 && doc.nodes[0].len == size);
	for (uint32_t i = 0; i < doc.n; i++)
		assert(doc.nodes[i].off + doc.nodes[i].len <= size);
	if (doc.unsorted == 0) {
		buf_init(&b, size + 1);
		reencode(&b, benc_root(&doc));
		assert(buf_error(&b) == 0 && b.len == size &&
		    memcmp(b.data, data, size) == 0);
		buf_fini(&b);
	}
	benc_doc_fini(&doc);
	return 0;
}
