/* tokenbucket: see tokenbucket.h. */
#include "base/tokenbucket.h"

#define TB_MIN_BURST	16384
#define TB_MAX		((int64_t)1 << 50)

void
tb_init(struct tokenbucket *tb, uint64_t rate, uint64_t burst,
    uint64_t now_ms)
{
	if (rate > (uint64_t)TB_MAX)
		rate = (uint64_t)TB_MAX;
	if (burst == 0)
		burst = rate / 4;
	if (burst < TB_MIN_BURST)
		burst = TB_MIN_BURST;
	if (burst > (uint64_t)TB_MAX)
		burst = (uint64_t)TB_MAX;
	tb->rate = rate;
	tb->burst = (int64_t)burst;
	tb->tokens = tb->burst;
	tb->last_ms = now_ms;
}

static void
tb_refill(struct tokenbucket *tb, uint64_t now_ms)
{
	uint64_t dt, add;

	if (now_ms <= tb->last_ms)
		return;
	dt = now_ms - tb->last_ms;
	if (dt > 60000)
		dt = 60000;
	add = tb->rate * dt / 1000;
	if (add == 0)
		return;	/* keep last_ms: the fraction accrues */
	tb->last_ms = now_ms;
	tb->tokens += (int64_t)add;
	if (tb->tokens > tb->burst)
		tb->tokens = tb->burst;
}

bool
tb_ok(struct tokenbucket *tb, uint64_t now_ms)
{
	if (tb->rate == 0)
		return true;
	tb_refill(tb, now_ms);
	return tb->tokens > 0;
}

void
tb_spend(struct tokenbucket *tb, uint64_t n)
{
	if (tb->rate == 0)
		return;
	if (n > (uint64_t)TB_MAX)
		n = (uint64_t)TB_MAX;
	tb->tokens -= (int64_t)n;
	if (tb->tokens < -TB_MAX)
		tb->tokens = -TB_MAX;
}

uint64_t
tb_wait_ms(struct tokenbucket *tb, uint64_t now_ms)
{
	if (tb_ok(tb, now_ms))
		return 0;
	return ((uint64_t)(1 - tb->tokens) * 1000 + tb->rate - 1) / tb->rate;
}
