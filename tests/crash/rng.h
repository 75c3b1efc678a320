/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * rng.h - the seeded random numbers of the crash loop and the exerciser.
 *
 * xoshiro256** seeded through splitmix64 (both public-domain algorithms by
 * Blackman and Vigna, written here from their published definitions), so
 * that one 64-bit seed replays one operation sequence on any machine.
 * No libc rand(): its sequence differs between C libraries.
 */
#ifndef GFS_RNG_H
#define GFS_RNG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rng {
	uint64_t s[4];
};

static inline uint64_t rng_splitmix(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static inline void rng_seed(struct rng *r, uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		r->s[i] = rng_splitmix(&seed);
}

static inline uint64_t rng_rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static inline uint64_t rng_next(struct rng *r)
{
	uint64_t *s = r->s, res = rng_rotl(s[1] * 5, 7) * 9, t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rng_rotl(s[3], 45);
	return res;
}

/* Uniform in [0, n) (n > 0; the modulo bias is irrelevant here). */
static inline uint64_t rng_below(struct rng *r, uint64_t n)
{
	return n ? rng_next(r) % n : 0;
}

/* Uniform in [lo, hi]. */
static inline uint64_t rng_range(struct rng *r, uint64_t lo, uint64_t hi)
{
	return lo + rng_below(r, hi - lo + 1);
}

static inline bool rng_chance(struct rng *r, unsigned percent)
{
	return rng_below(r, 100) < percent;
}

static inline void rng_fill(struct rng *r, void *buf, size_t len)
{
	unsigned char *p = buf;

	while (len) {
		uint64_t v = rng_next(r);
		size_t n = len < 8 ? len : 8;

		for (size_t i = 0; i < n; i++, v >>= 8)
			*p++ = (unsigned char)v;
		len -= n;
	}
}

/* Picks an index from a table of weights (a sum of 0 gives 0). */
static inline int rng_pick(struct rng *r, const unsigned *weights, int n)
{
	uint64_t sum = 0, x;

	for (int i = 0; i < n; i++)
		sum += weights[i];
	x = rng_below(r, sum);
	for (int i = 0; i < n; i++) {
		if (x < weights[i])
			return i;
		x -= weights[i];
	}
	return 0;
}

#endif
