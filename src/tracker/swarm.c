/*
 * swarm: peer table.  See swarm.h.
 *
 * Layout: 256 shards chosen by a keyed hash of the info-hash; each shard is
 * an open-addressing table (linear probing, backward-shift deletion) of
 * torrents stored inline; each torrent holds a sorted array of peers keyed
 * by (address, port), so finding a peer is a binary search and a torrent
 * with 10 peers costs one small allocation.  Info-hashes are chosen by
 * clients, so the table hash is keyed with a random secret drawn at start:
 * an outsider cannot aim many info-hashes at one probe chain.
 */
#include "tracker/swarm.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#define SWARM_SHARDS	256
#define PEER_KEY_LEN	18	/* ip[16] + port (big-endian) */

struct peer {
	uint8_t		key[PEER_KEY_LEN];
	uint8_t		seeder;
	uint8_t		completed;	/* its "completed" was counted */
	uint32_t	expire;		/* seconds, swarm clock */
};

struct torrent {
	uint8_t		 hash[20];
	uint32_t	 seeders;
	uint32_t	 leechers;
	uint32_t	 downloaded;
	uint32_t	 npeers;
	uint32_t	 cap;
	struct peer	*peers;	/* owned, sorted by key; NULL: slot empty */
	uint8_t		 used;
};

struct shard {
	pthread_mutex_t	 lock;
	struct torrent	*slots;	/* owned; protected by lock */
	uint32_t	 mask;	/* slots - 1, a power of two */
	uint32_t	 count;	/* protected by lock */
};

struct swarm {
	uint32_t	 ttl;
	uint32_t	 max_torrents;
	uint32_t	 max_peers;
	uint64_t	 k0, k1;	/* hash key */
	atomic_uint	 ntorrents;
	atomic_size_t	 npeers;
	struct shard	 shards[SWARM_SHARDS];
};

static _Thread_local uint64_t rng_state;

static uint64_t
rng_next(void)
{
	uint64_t x = rng_state;

	if (x == 0) {
		if (getrandom(&x, sizeof(x), 0) != sizeof(x) || x == 0)
			x = (uint64_t)(uintptr_t)&x | 1;
	}
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	rng_state = x;
	return x;
}

static uint64_t
load64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static uint64_t
mix(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

static uint64_t
hash_of(const struct swarm *s, const uint8_t ih[20])
{
	uint64_t h = s->k0;
	uint32_t tail;

	h = mix(h ^ load64(ih));
	h = mix(h ^ load64(ih + 8) ^ s->k1);
	memcpy(&tail, ih + 16, sizeof(tail));
	return mix(h ^ tail);
}

struct swarm *
swarm_new(uint32_t ttl, uint32_t max_torrents, uint32_t max_peers)
{
	struct swarm *s;
	uint64_t key[2];

	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	if (getrandom(key, sizeof(key), 0) != sizeof(key)) {
		free(s);
		return NULL;
	}
	s->k0 = key[0];
	s->k1 = key[1];
	s->ttl = ttl ? ttl : 600;
	s->max_torrents = max_torrents ? max_torrents :
	    SWARM_DEFAULT_MAX_TORRENTS;
	s->max_peers = max_peers ? max_peers : SWARM_DEFAULT_MAX_PEERS;
	for (int i = 0; i < SWARM_SHARDS; i++)
		pthread_mutex_init(&s->shards[i].lock, NULL);
	return s;
}

void
swarm_free(struct swarm *s)
{
	if (s == NULL)
		return;
	for (int i = 0; i < SWARM_SHARDS; i++) {
		struct shard *sh = &s->shards[i];

		if (sh->slots != NULL)
			for (uint32_t j = 0; j <= sh->mask; j++)
				free(sh->slots[j].peers);
		free(sh->slots);
		pthread_mutex_destroy(&sh->lock);
	}
	free(s);
}

void
swarm_addr_set(struct swarm_addr *a, const uint8_t *ip, size_t iplen,
    uint16_t port)
{
	memset(a, 0, sizeof(*a));
	if (iplen == 4) {
		a->ip[10] = 0xff;
		a->ip[11] = 0xff;
		memcpy(a->ip + 12, ip, 4);
	} else {
		memcpy(a->ip, ip, 16);
	}
	a->port = port;
}

static void
peer_key(const struct swarm_addr *a, uint8_t key[PEER_KEY_LEN])
{
	memcpy(key, a->ip, 16);
	key[16] = (uint8_t)(a->port >> 8);
	key[17] = (uint8_t)a->port;
}

static struct shard *
shard_of(struct swarm *s, uint64_t h)
{
	return &s->shards[h >> 56];
}

/* Slot holding ih, or the empty slot where it would go. */
static struct torrent *
shard_probe_locked(struct shard *sh, uint64_t h, const uint8_t ih[20])
{
	uint32_t i = (uint32_t)h & sh->mask;

	for (;;) {
		struct torrent *t = &sh->slots[i];

		if (!t->used || memcmp(t->hash, ih, 20) == 0)
			return t;
		i = (i + 1) & sh->mask;
	}
}

static int
shard_grow_locked(struct swarm *s, struct shard *sh)
{
	uint32_t nslots = sh->slots ? (sh->mask + 1) * 2 : 16;
	struct torrent *old = sh->slots, *slots;
	uint32_t oldn = sh->slots ? sh->mask + 1 : 0;

	slots = calloc(nslots, sizeof(*slots));
	if (slots == NULL)
		return -ENOMEM;
	sh->slots = slots;
	sh->mask = nslots - 1;
	for (uint32_t i = 0; i < oldn; i++) {
		if (!old[i].used)
			continue;
		*shard_probe_locked(sh, hash_of(s, old[i].hash),
		    old[i].hash) = old[i];
	}
	free(old);
	return 0;
}

/* Remove the torrent in slot t, shifting later entries of its chain back. */
static void
shard_remove_locked(struct swarm *s, struct shard *sh, struct torrent *t)
{
	uint32_t i = (uint32_t)(t - sh->slots), j = i;

	free(t->peers);
	for (;;) {
		struct torrent *cand;
		uint32_t home;

		j = (j + 1) & sh->mask;
		cand = &sh->slots[j];
		if (!cand->used)
			break;
		home = (uint32_t)hash_of(s, cand->hash) & sh->mask;
		/* cand may move to i if i lies cyclically in [home, j). */
		if (((j - home) & sh->mask) >= ((j - i) & sh->mask)) {
			sh->slots[i] = *cand;
			i = j;
		}
	}
	memset(&sh->slots[i], 0, sizeof(sh->slots[i]));
	sh->count--;
	atomic_fetch_sub(&s->ntorrents, 1);
}

/* Binary search: index of key, or of where it would be inserted. */
static uint32_t
peer_find(const struct torrent *t, const uint8_t key[PEER_KEY_LEN],
    bool *found)
{
	uint32_t lo = 0, hi = t->npeers;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		int c = memcmp(t->peers[mid].key, key, PEER_KEY_LEN);

		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

static void
peer_remove(struct swarm *s, struct torrent *t, uint32_t i)
{
	if (t->peers[i].seeder)
		t->seeders--;
	else
		t->leechers--;
	memmove(&t->peers[i], &t->peers[i + 1],
	    (t->npeers - i - 1) * sizeof(t->peers[0]));
	t->npeers--;
	atomic_fetch_sub(&s->npeers, 1);
}

static struct peer *
peer_insert(struct swarm *s, struct torrent *t, uint32_t i)
{
	if (t->npeers == t->cap) {
		/* 2, 4, 8, then +50%: a 10-peer swarm takes 12 slots. */
		uint32_t ncap = t->cap < 8 ? (t->cap ? t->cap * 2 : 2) :
		    t->cap + t->cap / 2;
		struct peer *np;

		if (ncap > s->max_peers)
			ncap = s->max_peers;
		np = realloc(t->peers, ncap * sizeof(*np));
		if (np == NULL)
			return NULL;
		t->peers = np;
		t->cap = ncap;
	}
	memmove(&t->peers[i + 1], &t->peers[i],
	    (t->npeers - i) * sizeof(t->peers[0]));
	t->npeers++;
	atomic_fetch_add(&s->npeers, 1);
	memset(&t->peers[i], 0, sizeof(t->peers[i]));
	return &t->peers[i];
}

static void
peer_out(const struct peer *p, struct swarm_peer_info *o)
{
	memcpy(o->addr.ip, p->key, 16);
	o->addr.port = (uint16_t)(p->key[16] << 8 | p->key[17]);
}

/*
 * Pick up to want peers other than self, from a random starting point so
 * that every peer gets handed out.  A seeder gets leechers only (it has
 * nothing to gain from other seeders); a leecher gets anyone.
 */
static size_t
pick_peers(const struct torrent *t, uint32_t self, bool seeder,
    uint32_t want, uint32_t now, struct swarm_peer_info *out)
{
	size_t n = 0;
	uint32_t start;

	if (t->npeers == 0 || want == 0)
		return 0;
	start = (uint32_t)(rng_next() % t->npeers);
	for (uint32_t k = 0, i = start; k < t->npeers && n < want; k++) {
		const struct peer *p = &t->peers[i];

		if (++i == t->npeers)
			i = 0;
		if (self != UINT32_MAX && p == &t->peers[self])
			continue;

		if (p->expire < now || (seeder && p->seeder))
			continue;
		peer_out(p, &out[n++]);
	}
	return n;
}

static void
counts_of(const struct torrent *t, struct swarm_counts *c)
{
	c->complete = t->seeders;
	c->incomplete = t->leechers;
	c->downloaded = t->downloaded;
}

int
swarm_announce(struct swarm *s, const struct swarm_announce *a,
    uint64_t now64, struct swarm_peer_info *out, size_t *nout,
    struct swarm_counts *counts)
{
	uint64_t h = hash_of(s, a->info_hash);
	struct shard *sh = shard_of(s, h);
	uint32_t now = (uint32_t)now64, idx, want;
	uint8_t key[PEER_KEY_LEN];
	struct torrent *t;
	struct peer *p;
	bool found, seeder = a->left == 0;
	int rc = 0;

	*nout = 0;
	memset(counts, 0, sizeof(*counts));
	peer_key(&a->addr, key);
	want = a->numwant > SWARM_NUMWANT_MAX ? SWARM_NUMWANT_MAX : a->numwant;
	pthread_mutex_lock(&sh->lock);
	if (sh->slots == NULL && (rc = shard_grow_locked(s, sh)) < 0)
		goto out;
	t = shard_probe_locked(sh, h, a->info_hash);
	if (!t->used) {
		if (a->event == SWARM_EV_STOPPED)
			goto out;
		if (atomic_load(&s->ntorrents) >= s->max_torrents) {
			rc = -ENOSPC;
			goto out;
		}
		if ((sh->count + 1) * 4 > (sh->mask + 1) * 3) {
			if ((rc = shard_grow_locked(s, sh)) < 0)
				goto out;
			t = shard_probe_locked(sh, h, a->info_hash);
		}
		memset(t, 0, sizeof(*t));
		memcpy(t->hash, a->info_hash, 20);
		t->used = 1;
		sh->count++;
		atomic_fetch_add(&s->ntorrents, 1);
	}
	idx = peer_find(t, key, &found);
	if (a->event == SWARM_EV_STOPPED) {
		if (found) {
			/* Some clients (aria2) stop at once, left=0, with no
			 * "completed" event: count that download too. */
			if (!t->peers[idx].seeder && seeder &&
			    !t->peers[idx].completed)
				t->downloaded++;
			peer_remove(s, t, idx);
		}
		counts_of(t, counts);
		if (t->npeers == 0 && t->downloaded == 0)
			shard_remove_locked(s, sh, t);
		goto out;
	}
	if (!found) {
		if (t->npeers >= s->max_peers) {
			/* Full: answer, but do not record this peer. */
			*nout = pick_peers(t, UINT32_MAX, seeder, want, now, out);
			counts_of(t, counts);
			goto out;
		}
		p = peer_insert(s, t, idx);
		if (p == NULL) {
			rc = -ENOMEM;
			if (t->npeers == 0 && t->downloaded == 0)
				shard_remove_locked(s, sh, t);
			goto out;
		}
		memcpy(p->key, key, PEER_KEY_LEN);
		p->seeder = seeder;
		if (seeder)
			t->seeders++;
		else
			t->leechers++;
	} else {
		p = &t->peers[idx];
		if (p->seeder != seeder) {
			if (seeder && !p->completed) {
				/* A leecher became a seeder: a download. */
				p->completed = 1;
				t->downloaded++;
			}
			if (seeder) {
				t->seeders++;
				t->leechers--;
			} else {
				t->leechers++;
				t->seeders--;
			}
			p->seeder = seeder;
		}
	}
	p->expire = now + s->ttl;
	if (a->event == SWARM_EV_COMPLETED && !p->completed) {
		p->completed = 1;
		t->downloaded++;
	}
	*nout = pick_peers(t, idx, seeder, want, now, out);
	counts_of(t, counts);
out:
	pthread_mutex_unlock(&sh->lock);
	return rc;
}

bool
swarm_scrape(struct swarm *s, const uint8_t info_hash[20],
    struct swarm_counts *counts)
{
	uint64_t h = hash_of(s, info_hash);
	struct shard *sh = shard_of(s, h);
	bool known = false;

	memset(counts, 0, sizeof(*counts));
	pthread_mutex_lock(&sh->lock);
	if (sh->slots != NULL) {
		struct torrent *t = shard_probe_locked(sh, h, info_hash);

		if (t->used) {
			counts_of(t, counts);
			known = true;
		}
	}
	pthread_mutex_unlock(&sh->lock);
	return known;
}

static size_t
torrent_expire(struct swarm *s, struct torrent *t, uint32_t now)
{
	uint32_t j = 0;
	size_t dropped = 0;

	for (uint32_t i = 0; i < t->npeers; i++) {
		struct peer *p = &t->peers[i];

		if (p->expire < now) {
			if (p->seeder)
				t->seeders--;
			else
				t->leechers--;
			dropped++;
			continue;
		}
		if (i != j)
			t->peers[j] = *p;
		j++;
	}
	t->npeers = j;
	atomic_fetch_sub(&s->npeers, dropped);
	if (t->cap > 16 && t->npeers < t->cap / 4) {
		struct peer *np = realloc(t->peers,
		    (t->cap / 2) * sizeof(*np));

		if (np != NULL) {
			t->peers = np;
			t->cap /= 2;
		}
	}
	return dropped;
}

size_t
swarm_expire(struct swarm *s, uint64_t now64)
{
	uint32_t now = (uint32_t)now64;
	size_t dropped = 0;

	for (int i = 0; i < SWARM_SHARDS; i++) {
		struct shard *sh = &s->shards[i];

		pthread_mutex_lock(&sh->lock);
		for (uint32_t j = 0; sh->slots != NULL && j <= sh->mask;) {
			struct torrent *t = &sh->slots[j];

			if (!t->used) {
				j++;
				continue;
			}
			dropped += torrent_expire(s, t, now);
			if (t->npeers == 0) {
				/*
				 * Removal may shift a later entry into slot
				 * j: look at j again.
				 */
				shard_remove_locked(s, sh, t);
				continue;
			}
			j++;
		}
		pthread_mutex_unlock(&sh->lock);
	}
	return dropped;
}

void
swarm_stats(struct swarm *s, size_t *torrents, size_t *peers)
{
	*torrents = atomic_load(&s->ntorrents);
	*peers = atomic_load(&s->npeers);
}
